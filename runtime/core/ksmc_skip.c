/* ksmc_skip: the 64-byte block skipper (see ksmc_skip.h). */
#include "ksmc_skip.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Bitmasks of one 64-byte block: bit i is byte i. */
typedef struct {
  uint64_t bs, quote, open, close;
} block_bits;

#ifdef __SSE2__
static inline uint64_t eq16x4(const __m128i b[4], __m128i v) {
  uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b[0], v));
  uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b[1], v));
  uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b[2], v));
  uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b[3], v));
  return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}

static inline __attribute__((always_inline)) void classify(const unsigned char *blk,
                                                           block_bits *m) {
  __m128i b[4];
  for (int k = 0; k < 4; k++) b[k] = _mm_loadu_si128((const __m128i *)(const void *)(blk + 16 * k));
  m->bs = eq16x4(b, _mm_set1_epi8('\\'));
  m->quote = eq16x4(b, _mm_set1_epi8('"'));
  /* '[' 0x5b and '{' 0x7b differ only in bit 0x20, as do ']' 0x5d and '}' 0x7d */
  __m128i low[4], v20 = _mm_set1_epi8(0x20);
  for (int k = 0; k < 4; k++) low[k] = _mm_or_si128(b[k], v20);
  m->open = eq16x4(low, _mm_set1_epi8('{'));
  m->close = eq16x4(low, _mm_set1_epi8('}'));
}
#else
/* Portable fallback: one table lookup per byte. */
static const unsigned char byte_class[256] = {
    ['\\'] = 1, ['"'] = 2, ['{'] = 4, ['['] = 4, ['}'] = 8, [']'] = 8};

static inline __attribute__((always_inline)) void classify(const unsigned char *blk,
                                                           block_bits *m) {
  *m = (block_bits){0};
  for (int i = 0; i < 64; i++) {
    unsigned c = byte_class[blk[i]];
    if (!c) continue;
    uint64_t bit = (uint64_t)1 << i;
    if (c & 1) m->bs |= bit;
    if (c & 2) m->quote |= bit;
    if (c & 4) m->open |= bit;
    if (c & 8) m->close |= bit;
  }
}
#endif

static inline unsigned popcount64(uint64_t x) {
#if defined(__POPCNT__)
  return (unsigned)__builtin_popcountll(x);
#else /* x86-64 baseline has no popcnt instruction; GCC would call libgcc */
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (unsigned)((x * 0x0101010101010101ull) >> 56);
#endif
}

/* x86-64 CPUs with AVX2 (and POPCNT and PCLMULQDQ, which all of them have) take a second copy of
 * the scanners: 32 bytes per compare instead of 16, popcount and carry-less multiply instructions
 * (PCLMULQDQ, for the prefix XOR). Chosen per call by __builtin_cpu_supports (a load and a test of
 * libgcc's CPU model). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__SSE2__)
#define KSMC_SKIP_AVX2 1
#include <immintrin.h>

__attribute__((target("avx2"))) static inline void classify_avx2(const unsigned char *blk,
                                                                 block_bits *m) {
  __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)blk);
  __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 32));
#define EQ64(a, b, v)                                                                              \
  ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, v)) |                             \
   (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, v)) << 32)
  m->bs = EQ64(lo, hi, _mm256_set1_epi8('\\'));
  m->quote = EQ64(lo, hi, _mm256_set1_epi8('"'));
  __m256i v20 = _mm256_set1_epi8(0x20);
  __m256i llo = _mm256_or_si256(lo, v20), lhi = _mm256_or_si256(hi, v20);
  m->open = EQ64(llo, lhi, _mm256_set1_epi8('{'));
  m->close = EQ64(llo, lhi, _mm256_set1_epi8('}'));
#undef EQ64
}

__attribute__((target("popcnt"))) static inline unsigned popcount_hw(uint64_t x) {
  return (unsigned)__builtin_popcountll(x);
}

__attribute__((target("pclmul"))) static inline uint64_t prefix_xor_clmul(uint64_t x) {
  __m128i r = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)x), _mm_set1_epi8(-1), 0);
  return (uint64_t)_mm_cvtsi128_si64(r);
}

static inline bool cpu_has_avx2(void) {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
         __builtin_cpu_supports("pclmul");
}

/* CPUs with AVX-512BW take a third copy: one 64-byte compare into a mask register per class
 * instead of two 32-byte compares, two movemasks, a shift and an or (framing watch events
 * ~10% faster on an AMD EPYC). Only from the Ice Lake / Zen 4 generation on (AVX-512 VBMI
 * as the marker): Skylake-SP lowers the core's clock for 512-bit work, which would cost
 * the scalar code around the skips more than the skips gain. */
__attribute__((target("avx512f,avx512bw"))) static inline void
classify_avx512(const unsigned char *blk, block_bits *m) {
  __m512i b = _mm512_loadu_si512((const void *)blk);
  m->bs = _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('\\'));
  m->quote = _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('"'));
  __m512i low = _mm512_or_si512(b, _mm512_set1_epi8(0x20));
  m->open = _mm512_cmpeq_epi8_mask(low, _mm512_set1_epi8('{'));
  m->close = _mm512_cmpeq_epi8_mask(low, _mm512_set1_epi8('}'));
}

static inline bool cpu_has_avx512(void) {
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
}
#endif

/* Which copy a loop is compiled for (the `lvl` parameters below, constant in each copy). */
enum { LVL_BASE, LVL_AVX2, LVL_AVX512 };

/* The 64 bytes at b. */
static inline __attribute__((always_inline)) void classify_block(const unsigned char *b,
                                                                 block_bits *m, int lvl) {
#ifdef KSMC_SKIP_AVX2
  if (lvl == LVL_AVX512) {
    classify_avx512(b, m);
    return;
  }
  if (lvl == LVL_AVX2) {
    classify_avx2(b, m);
    return;
  }
#endif
  (void)lvl;
  classify(b, m);
}

static inline __attribute__((always_inline)) unsigned count_bits(uint64_t x, int lvl) {
#ifdef KSMC_SKIP_AVX2
  if (lvl >= LVL_AVX2) return popcount_hw(x);
#endif
  (void)lvl;
  return popcount64(x);
}

static inline uint64_t prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

/* Escaped bytes of a block: those after an odd-length run of backslashes. *carry is 1 when
 * the block's first byte is escaped by a run that ends the previous block; on return, the
 * same for the next block. */
static inline __attribute__((always_inline)) uint64_t escaped_bits(uint64_t bs, uint64_t *carry) {
  if (!(bs | *carry)) return 0; /* most blocks: no backslash anywhere near */
  const uint64_t even = 0x5555555555555555ull, odd = ~even;
  uint64_t starts = bs & ~(bs << 1);
  uint64_t even_start_mask = even ^ *carry;
  uint64_t even_starts = starts & even_start_mask, odd_starts = starts & ~even_start_mask;
  uint64_t even_carries = bs + even_starts, odd_carries;
  bool ends_odd = __builtin_add_overflow(bs, odd_starts, &odd_carries);
  odd_carries |= *carry;
  *carry = ends_odd;
  return ((even_carries & ~bs) & odd) | ((odd_carries & ~bs) & even);
}

/* In-string bytes from the unescaped quotes: prefix XOR (a carry-less multiply by all ones
 * on the AVX2 path). */
static inline __attribute__((always_inline)) uint64_t string_bits(uint64_t quotes, int lvl) {
#ifdef KSMC_SKIP_AVX2
  if (lvl >= LVL_AVX2) return prefix_xor_clmul(quotes);
#endif
  (void)lvl;
  return prefix_xor(quotes);
}

/* Where the block loop stands: escape and in-string carries, depth, and the last block's
 * escaped and in-string masks (for the state after a partial block). */
typedef struct {
  uint64_t carry, prev_in_str, escaped, in_str;
  size_t depth;
} scan_regs;

#define SCAN_GO ((size_t)-2) /* block_step: the value continues after this block */

/* One block at offset blk of the loop below: SCAN_GO, or what scan() returns. */
static inline __attribute__((always_inline)) size_t
block_step(const block_bits *m, scan_regs *r, size_t blk, size_t max_depth, bool strict, int lvl) {
  /* Escaped bytes: those after an odd-length run of backslashes (runs may continue from
   * the previous block: carry). */
  r->escaped = escaped_bits(m->bs, &r->carry);
  /* In-string bytes: between an unescaped quote and the next (opening quote included). */
  uint64_t quotes = m->quote & ~r->escaped;
  r->in_str = string_bits(quotes, lvl) ^ r->prev_in_str;
  r->prev_in_str = (uint64_t)((int64_t)r->in_str >> 63);
  uint64_t opens = m->open & ~r->in_str, closes = m->close & ~r->in_str;
  /* Up to the first backslash outside a string the masks are exact: brackets after it
   * do not count */
  uint64_t unsure = strict ? m->bs & ~r->in_str : 0;
  if (unsure) {
    uint64_t before = (unsure & (0 - unsure)) - 1;
    opens &= before;
    closes &= before;
  }
  unsigned nopen = count_bits(opens, lvl), nclose = count_bits(closes, lvl);
  size_t depth = r->depth;
  if (!unsure && depth > nclose && depth + nopen <= max_depth) { /* cannot close here */
    r->depth = depth + nopen - nclose;
    return SCAN_GO;
  }
  for (uint64_t b = opens | closes; b; b &= b - 1) {
    unsigned i = (unsigned)__builtin_ctzll(b);
    if (opens >> i & 1) {
      if (++depth > max_depth) return 0;
    } else if (--depth == 0) {
      return blk + i + 1;
    }
  }
  if (unsure) return KSMC_SKIP_UNSURE;
  r->depth = depth;
  return SCAN_GO;
}

/* The one block loop of every scanner here: scans s[p..len) in 64-byte blocks from state
 * *st (depth, in-string and escape carries at s[p]) and returns the offset just past the
 * bracket that brings the depth to 0, 0 when the value nests deeper than max_depth or does
 * not close before len (then *st is the state after s[len - 1]), or, when strict, after
 * reaching a backslash outside a string (up to which the masks are exact) before the close:
 * KSMC_SKIP_UNSURE with *st unchanged. Without strict such a backslash escapes the next
 * byte like any other. *st is written only when 0 is returned for an unclosed value. Whole
 * blocks are read in place; a partial last one is copied into a block padded with blanks
 * after the loop, so the loop itself makes no call and keeps its state in registers. */
static inline __attribute__((always_inline)) size_t scan(ksmc_skip_state *st, const char *s,
                                                         size_t len, size_t p, size_t max_depth,
                                                         bool strict, int lvl) {
  scan_regs r = {st->esc ? 1 : 0, st->in_str ? ~0ull : 0, 0, 0, st->depth};
  const unsigned char *u = (const unsigned char *)s;
  size_t blk = p;
  block_bits m;
  for (; blk < len && len - blk >= 64; blk += 64) {
    classify_block(u + blk, &m, lvl);
    size_t e = block_step(&m, &r, blk, max_depth, strict, lvl);
    if (e != SCAN_GO) return e;
  }
  if (blk < len) { /* the partial last block; the state after its last real byte */
    size_t k = len - blk;
    unsigned char pad[64];
    memset(pad, ' ', sizeof pad);
    memcpy(pad, u + blk, k);
    classify_block(pad, &m, lvl);
    size_t e = block_step(&m, &r, blk, max_depth, strict, lvl);
    if (e != SCAN_GO) return e;
    r.carry = r.escaped >> k & 1; /* the padding holds no backslash */
    r.prev_in_str = r.in_str >> (k - 1) & 1 ? ~0ull : 0;
  }
  *st = (ksmc_skip_state){r.depth, r.prev_in_str != 0, (int)r.carry};
  return 0;
}

/* From depth 0 at s[p]; a copy of the loop per strictness, so the common non-strict skips
 * pay nothing for the strict checks. */
static inline __attribute__((always_inline)) size_t skip(const char *s, size_t len, size_t p,
                                                         size_t max_depth, bool strict, int lvl) {
  ksmc_skip_state st = {0, 0, 0};
  if (strict) return scan(&st, s, len, p, max_depth, true, lvl);
  return scan(&st, s, len, p, max_depth, false, lvl);
}

static size_t skip_sse2(const char *s, size_t len, size_t p, size_t max_depth, bool strict) {
  return skip(s, len, p, max_depth, strict, LVL_BASE);
}

#ifdef KSMC_SKIP_AVX2
__attribute__((target("avx2,popcnt,pclmul"))) static size_t
skip_avx2(const char *s, size_t len, size_t p, size_t max_depth, bool strict) {
  return skip(s, len, p, max_depth, strict, LVL_AVX2);
}

__attribute__((target("avx512f,avx512bw,avx2,popcnt,pclmul"))) static size_t
skip_avx512(const char *s, size_t len, size_t p, size_t max_depth, bool strict) {
  return skip(s, len, p, max_depth, strict, LVL_AVX512);
}
#endif

bool ksmc_skip_isa_available(ksmc_skip_isa isa) {
#ifdef KSMC_SKIP_AVX2
  if (isa == KSMC_SKIP_AVX2) return cpu_has_avx2();
  if (isa == KSMC_SKIP_AVX512) return cpu_has_avx512();
#endif
  return isa == KSMC_SKIP_AUTO || isa == KSMC_SKIP_BASELINE;
}

/* The copy that runs for isa (AUTO: the CPU's best). */
static int level(ksmc_skip_isa isa) {
#ifdef KSMC_SKIP_AVX2
  if (isa == KSMC_SKIP_AUTO)
    return cpu_has_avx512() ? LVL_AVX512 : cpu_has_avx2() ? LVL_AVX2 : LVL_BASE;
  return isa == KSMC_SKIP_AVX512 ? LVL_AVX512 : isa == KSMC_SKIP_AVX2 ? LVL_AVX2 : LVL_BASE;
#else
  (void)isa;
  return LVL_BASE;
#endif
}

size_t ksmc_skip_container_isa(const char *s, size_t len, size_t p, size_t max_depth, bool strict,
                               ksmc_skip_isa isa) {
#ifdef KSMC_SKIP_AVX2
  int lvl = level(isa);
  if (lvl == LVL_AVX512) return skip_avx512(s, len, p, max_depth, strict);
  if (lvl == LVL_AVX2) return skip_avx2(s, len, p, max_depth, strict);
#endif
  (void)level;
  return skip_sse2(s, len, p, max_depth, strict);
}

size_t ksmc_skip_container(const char *s, size_t len, size_t p, size_t max_depth) {
  return ksmc_skip_container_isa(s, len, p, max_depth, false, KSMC_SKIP_AUTO);
}

size_t ksmc_skip_container_strict(const char *s, size_t len, size_t p) {
  return ksmc_skip_container_isa(s, len, p, (size_t)-1, true, KSMC_SKIP_AUTO);
}

static size_t resume_sse2(ksmc_skip_state *st, const char *s, size_t len) {
  return scan(st, s, len, 0, (size_t)-1, true, LVL_BASE);
}

#ifdef KSMC_SKIP_AVX2
__attribute__((target("avx2,popcnt,pclmul"))) static size_t resume_avx2(ksmc_skip_state *st,
                                                                        const char *s, size_t len) {
  return scan(st, s, len, 0, (size_t)-1, true, LVL_AVX2);
}

__attribute__((target("avx512f,avx512bw,avx2,popcnt,pclmul"))) static size_t
resume_avx512(ksmc_skip_state *st, const char *s, size_t len) {
  return scan(st, s, len, 0, (size_t)-1, true, LVL_AVX512);
}
#endif

size_t ksmc_skip_resume_isa(ksmc_skip_state *st, const char *s, size_t len, ksmc_skip_isa isa) {
#ifdef KSMC_SKIP_AVX2
  int lvl = level(isa);
  if (lvl == LVL_AVX512) return resume_avx512(st, s, len);
  if (lvl == LVL_AVX2) return resume_avx2(st, s, len);
#endif
  return resume_sse2(st, s, len);
}

size_t ksmc_skip_resume(ksmc_skip_state *st, const char *s, size_t len) {
  return ksmc_skip_resume_isa(st, s, len, KSMC_SKIP_AUTO);
}

size_t ksmc_skip_container_baseline(const char *s, size_t len, size_t p, size_t max_depth) {
  return ksmc_skip_container_isa(s, len, p, max_depth, false, KSMC_SKIP_BASELINE);
}

size_t ksmc_skip_strict_spans_isa(const char *s, size_t len, const ksmc_skip_span *sp, size_t n,
                                  size_t min_len, ksmc_skip_isa isa) {
  ksmc_skip_state st = {0, 0, 0};
  size_t at = 0; /* the scan stands at s[at] in state st */
  for (size_t i = 0; i < n; i++) {
    size_t a = sp[i].start, b = sp[i].end;
    if (a < at || a == 0 || b <= a || b > len || b - a < min_len || (s[a] != '{' && s[a] != '['))
      continue; /* scanned as ordinary bytes (a span at 0 would be the value itself) */
    size_t e = a > at ? ksmc_skip_resume_isa(&st, s + at, a - at, isa) : 0;
    if (e) return e == KSMC_SKIP_UNSURE ? 0 : at + e; /* closed before the span: exact */
    at = a;
    if (st.in_str || st.esc || st.depth == 0) continue; /* not a container here */
    at = b; /* balanced, no backslash outside a string: the same state after it */
  }
  size_t e = at < len ? ksmc_skip_resume_isa(&st, s + at, len - at, isa) : 0;
  return e == KSMC_SKIP_UNSURE ? 0 : e ? at + e : 0;
}

size_t ksmc_skip_strict_spans(const char *s, size_t len, const ksmc_skip_span *sp, size_t n,
                              size_t min_len) {
  return ksmc_skip_strict_spans_isa(s, len, sp, n, min_len, KSMC_SKIP_AUTO);
}
