/* ksmc_skip: finding where a JSON object or array ends without looking at what is in it.
 *
 * Most of a Kubernetes object is never read by any metric family (managedFields, env,
 * volumes, probes...): the renderer and the watch/list plumbing only need to know where
 * such a value ends. This scanner classifies 64 bytes per step (quotes, backslashes and
 * brackets as bitmasks, with SSE2 on x86-64 and an 8-byte SWAR fallback elsewhere),
 * resolves escaped quotes and in-string ranges with carries and a prefix XOR (the stage 1
 * of simdjson), and checks nesting depth per block with popcounts, so a block that cannot
 * close the value costs a few dozen instructions whatever it contains. */
#ifndef KSMC_SKIP_H
#define KSMC_SKIP_H

#include <stdbool.h>
#include <stddef.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The string scanners' fast step: looks at s[*i..) sixteen bytes per SSE2 compare while
 * sixteen bytes fit before len. Returns true with *i at the first `"` or backslash found,
 * or false with *i at the first offset whose sixteen bytes do not fit (the caller goes on
 * from there byte- or word-wise). Without SSE2: false at once. */
static inline bool ksmc_quote_or_backslash16(const char *s, size_t *i, size_t len) {
#ifdef __SSE2__
  const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\');
  size_t j = *i;
  for (; j + 16 <= len; j += 16) {
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
    unsigned m =
        (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(b, vq), _mm_cmpeq_epi8(b, vb)));
    if (m) {
      *i = j + (unsigned)__builtin_ctz(m);
      return true;
    }
  }
  *i = j;
#else
  (void)s;
  (void)i;
  (void)len;
#endif
  return false;
}

/* s[p] is `{` or `[`. Returns the offset just past the bracket that brings the nesting
 * depth back to 0 (brackets inside strings, escaped quotes included, do not count), or 0
 * when the value is not closed within s[0..len) or nests deeper than max_depth. Brackets
 * are counted, not matched: `{]` closes (a parser of the kept values rejects that), and a
 * backslash outside a string (invalid JSON too) escapes a following quote. Never reads
 * outside s[0..len). */
size_t ksmc_skip_container(const char *s, size_t len, size_t p, size_t max_depth);

/* ksmc_skip_container with the x86-64 baseline classification (SSE2; a table elsewhere)
 * even on a CPU with AVX2, where ksmc_skip_container uses AVX2: same results, for tests
 * to check both (ksmc_skip_container_isa below, with KSMC_SKIP_BASELINE). */
size_t ksmc_skip_container_baseline(const char *s, size_t len, size_t p, size_t max_depth);

/* Returned by ksmc_skip_container_strict when the value has a backslash outside a string. */
#define KSMC_SKIP_UNSURE ((size_t)-1)

/* ksmc_skip_container without a depth limit, for callers that must agree exactly with a
 * byte-wise scan in which a backslash escapes only inside strings: returns
 * KSMC_SKIP_UNSURE instead when s[p..len) has a backslash outside a string before the
 * value closes (invalid JSON, where the block masks could differ). */
size_t ksmc_skip_container_strict(const char *s, size_t len, size_t p);

/* Where a resumable scan stands between two pieces of one value: the nesting depth, and
 * whether the next byte is inside a string and escaped by a backslash before it. */
typedef struct {
  size_t depth;
  int in_str;
  int esc;
} ksmc_skip_state;

/* The strict scan fed in pieces, for values cut by chunk boundaries (watch streams): scans
 * s[0..len) from state *st (depth 0: s[0] is the value's `{` or `[`; the initial state is
 * all zero) and returns the offset just past the bracket that brings the depth to 0, or 0
 * when the value does not close within s[0..len), in which case *st is the state after
 * s[len - 1], ready for the next piece. Returns KSMC_SKIP_UNSURE, *st unchanged, if
 * a backslash outside a string comes before the close (the result is then left to a
 * byte-wise scan from *st). Feeding a value in any pieces gives the offsets of
 * ksmc_skip_container_strict on the whole. */
size_t ksmc_skip_resume(ksmc_skip_state *st, const char *s, size_t len);

/* A container another scan passed over: s[start] is its `{` or `[`, and end is what
 * ksmc_skip_container_strict (or ksmc_skip_container_isa, strict, at any max_depth)
 * returned for it, i.e. just past its close. */
typedef struct {
  size_t start, end;
} ksmc_skip_span;

/* ksmc_skip_container_strict(s, len, 0) (s[0] is the value's `{` or `[`) found by the
 * resumable scan without reading the spans' bytes again: where the scan stands at a span's
 * start outside a string with no escape pending, inside the value, the span is balanced
 * and holds no backslash outside a string, so the scan resumes after it in the same state.
 * Returns that offset, or 0 when this scan cannot show it (the value does not close in
 * s[0..len), or a backslash outside a string comes before its close): callers then scan
 * the usual way. Spans shorter than min_len, out of order, overlapping, past len or met
 * inside a string are scanned as ordinary bytes; a span whose end is not its start's
 * strict close breaks the result (the precondition above). */
size_t ksmc_skip_strict_spans(const char *s, size_t len, const ksmc_skip_span *sp, size_t n,
                              size_t min_len);

/* Which copy of the scanners runs: the CPU's best (AUTO, what the functions above use),
 * the baseline one (SSE2 on x86-64, portable elsewhere), the AVX2 one (x86-64 CPUs with
 * AVX2, POPCNT and PCLMULQDQ: 32-byte compares, popcount and carry-less multiply
 * instructions) or the AVX-512 one (those with AVX-512F and BW too: one 64-byte compare into
 * a mask per class); chosen per call from the CPU model libgcc reads at start-up. All give
 * the same results; the explicit choices exist so tests can compare them. */
typedef enum { KSMC_SKIP_AUTO, KSMC_SKIP_BASELINE, KSMC_SKIP_AVX2, KSMC_SKIP_AVX512 } ksmc_skip_isa;

/* True if this build and CPU can run isa. */
bool ksmc_skip_isa_available(ksmc_skip_isa isa);

/* ksmc_skip_container (with strict: the strict variant, at max_depth),
 * ksmc_skip_resume and ksmc_skip_strict_spans on the copy isa, which must be available. */
size_t ksmc_skip_container_isa(const char *s, size_t len, size_t p, size_t max_depth, bool strict,
                               ksmc_skip_isa isa);
size_t ksmc_skip_resume_isa(ksmc_skip_state *st, const char *s, size_t len, ksmc_skip_isa isa);
size_t ksmc_skip_strict_spans_isa(const char *s, size_t len, const ksmc_skip_span *sp, size_t n,
                                  size_t min_len, ksmc_skip_isa isa);

#endif
