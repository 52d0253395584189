/* ksmc_quantity: Kubernetes resource.Quantity values, converted as KSM converts them. */
#ifndef KSMC_QUANTITY_H
#define KSMC_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a quantity string with resource.ParseQuantity's grammar:
 *   [+-] digits [. digits] [suffix]   or   [+-] . digits [suffix]
 * suffix: binary Ki Mi Gi Ti Pi Ei; decimal n u m "" k M G T P E; or exponent e<int>/E<int>.
 * As in Go's parseQuantityString an empty number counts as 0, so "Gi", "+", "." and "e3"
 * parse (as 0); "", "1.2.3", "1Gb", "1 Gi", "--1", "1e", "0x10", "1K" do not.
 * On success stores Quantity.Value() (rounded up away from zero to an integer) in *value
 * and Quantity.MilliValue() (same rounding, scale 10^-3) in *milli and returns true. The
 * arithmetic is exact for any number of digits. Magnitudes beyond INT64_MAX saturate to
 * +-INT64_MAX (Go caps BinarySI there; for larger decimal amounts Go's ScaledValue
 * silently overflows -- such values never occur in valid objects). Returns false for
 * malformed input. */
bool ksmc_quantity_parse(const char *s, size_t n, int64_t *value, int64_t *milli);

/* ksmc_quantity_parse by the general parser alone (ksmc_quantity_parse, _float and _int
 * first try a fast path for digits with no suffix or m k M G Ki Mi Gi): the same results,
 * for tests to compare the two. */
bool ksmc_quantity_parse_general(const char *s, size_t n, int64_t *value, int64_t *milli);

/* KSM's convertValueToFloat64: float64(Value()) if Value() > MaxMilliValue
 * (9223372036854775), else float64(MilliValue()) / 1000. Returns false if malformed. */
bool ksmc_quantity_float(const char *s, size_t n, double *out);

/* float64(Quantity.Value()). Returns false if malformed. */
bool ksmc_quantity_int(const char *s, size_t n, double *out);

/* Quantity.AsApproximateFloat64() of the quantity resource.ParseQuantity builds (KSM's HPA
 * tolerance families): float64(mantissa) * math.Pow10(exponent) in double arithmetic, so
 * "0.3" (mantissa 3, exponent -1) gives 0.30000000000000004 and "0.0001" gives 0.0001 where
 * MilliValue() rounds up to 0.001. The mantissa/exponent pair is ParseQuantity's: its
 * int64Amount fast path (at most 18 digits, scale >= -9; binary suffixes without a fraction
 * and small enough) keeps the written digits; otherwise the inf.Dec amount rounded up to
 * nano scale (exponent -9; BinarySI capped at 2^63-1 with exponent 0). Returns false if
 * malformed. */
bool ksmc_quantity_approx(const char *s, size_t n, double *out);

#endif
