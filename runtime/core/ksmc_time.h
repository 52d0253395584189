/* ksmc_time: metav1.Time values as KSM reads them. */
#ifndef KSMC_TIME_H
#define KSMC_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* time.Time{}.Unix(): what Go's t.Unix() gives for an unset (zero) metav1.Time. */
#define KSMC_TIME_ZERO_UNIX (-62135596800LL)

/* Parses s as Go's time.Parse(time.RFC3339, s) does -- "2006-01-02T15:04:05Z07:00", with
 * optional fractional seconds of any length, "Z" or a numeric offset "+hh:mm"/"-hh:mm" --
 * and stores t.Unix() (whole seconds, floor, offset applied) in *unix_sec. Returns false
 * when Go would return an error (bad shape, month 13, day 31 in April, hour 24, ...).
 * Like Go, whose Parse falls back to its general layout parser when the strict RFC 3339
 * fast path fails, it also accepts a one-digit hour, a ',' before the fraction and an
 * offset of up to +-24:60. Years 0000-9999; no libc time zone code is involved. */
bool ksmc_time_parse_rfc3339(const char *s, size_t n, int64_t *unix_sec);

/* ksmc_time_parse_rfc3339 by the general parser alone (ksmc_time_parse_rfc3339 first tries
 * a fixed-position path for the API server's "2006-01-02T15:04:05Z"): the same results,
 * for tests to compare the two. */
bool ksmc_time_parse_rfc3339_general(const char *s, size_t n, int64_t *unix_sec);

#endif
