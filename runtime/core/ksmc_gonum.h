/* ksmc_gonum: Go number parsers and decoders whose exact acceptance KSM's output depends
 * on (strconv.ParseFloat, strconv.Atoi, intstr.GetScaledValueFromIntOrPercent, the
 * base64 of encoding/json's []byte fields). */
#ifndef KSMC_GONUM_H
#define KSMC_GONUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* strconv.ParseFloat(s, 64): decimal and hexadecimal (with a 'p' exponent) floats,
 * underscores between digits only after a base prefix, "inf"/"infinity"/"nan" in any
 * case with an optional sign. No leading or trailing space. False when Go returns an
 * error (syntax, or a finite number too large: ErrRange). */
bool ksmc_go_parse_float(const char *s, size_t n, double *out);

/* strconv.Atoi(s) on a 64-bit machine: optional sign, decimal digits, fits int64. */
bool ksmc_go_atoi(const char *s, size_t n, int64_t *out);

/* intstr.GetScaledValueFromIntOrPercent(v, total, roundUp). An IntOrString is a JSON
 * number (is_string false: must be an int32) or a string (is_string true: must be
 * "<Atoi>%"); a percentage is scaled as int(math.Ceil|Floor(float64(p)*float64(total)/100)).
 * False when Go returns an error (not a percentage, bad number). */
bool ksmc_intstr_scaled(const char *s, size_t n, bool is_string, int64_t total, bool round_up,
                        int64_t *out);

/* len() of a []byte field that encoding/json decoded from the string s: Go's
 * base64.StdEncoding.Decode, which skips CR and LF anywhere, needs '=' padding to a
 * multiple of 4 characters, allows nothing after the padding and does not check the
 * unused bits of the last character. False when Go returns a CorruptInputError. */
bool ksmc_go_base64_len(const char *s, size_t n, size_t *out);

#endif
