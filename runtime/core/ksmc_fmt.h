/* ksmc_fmt: sample values formatted byte-for-byte like kube-state-metrics. */
#ifndef KSMC_FMT_H
#define KSMC_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "ksmc_buf.h"

/* Longest text ksmc_fmt_g can produce, NUL excluded ("-2.2250738585072014e-308" is 24). */
#define KSMC_FMT_G_MAX 32

/* Writes v into dst exactly as Go's strconv.FormatFloat(v, 'g', -1, 64): the shortest
 * decimal digits that round-trip to v (ties broken towards the exact value, as Go and
 * Ryu do), in exponent form `d[.ddd]e±XX` (at least two exponent digits) iff the decimal
 * exponent is < -4 or >= 6 (Go uses eprec = 6 for shortest formatting), else plain:
 * `100000`, `1e+06`, `1.234567e+06`, `0.0001`, `1e-05`. NaN -> "NaN", +Inf -> "+Inf",
 * -Inf -> "-Inf", -0 -> "-0". Returns the length; dst must hold KSMC_FMT_G_MAX bytes; no
 * NUL is written. */
size_t ksmc_fmt_g(char *dst, double v);

/* Appends a sample value exactly as KSM's writeFloat: "1", "0" (also for -0), "-1",
 * "NaN", "+Inf", "-Inf", else ksmc_fmt_g(v). */
void ksmc_fmt_value(ksmc_buf *b, double v);

/* Appends the decimal text of a signed 64-bit integer (like strconv.FormatInt(v, 10)). */
void ksmc_fmt_i64(ksmc_buf *b, int64_t v);

#endif
