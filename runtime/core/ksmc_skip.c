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

/* On x86-64, CPUs with AVX2 (and POPCNT) classify a block with two 32-byte compares per
 * class instead of four 16-byte ones and count bits with one instruction: skip_avx2 is
 * skip() compiled for them, chosen per call by __builtin_cpu_supports (libgcc's CPU model,
 * filled at start-up: no state of ours). The results are the same bits. */
#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__)
#define KSMC_SKIP_AVX2 1
#include <immintrin.h>

static inline __attribute__((target("avx2,popcnt"))) uint64_t eq32x2(const __m256i b[2],
                                                                     __m256i v) {
  uint64_t lo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b[0], v));
  uint64_t hi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b[1], v));
  return lo | hi << 32;
}

static inline __attribute__((target("avx2,popcnt"))) void classify_avx2(const unsigned char *blk,
                                                                        block_bits *m) {
  __m256i b[2], low[2], v20 = _mm256_set1_epi8(0x20);
  for (int k = 0; k < 2; k++) {
    b[k] = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 32 * k));
    low[k] = _mm256_or_si256(b[k], v20);
  }
  m->bs = eq32x2(b, _mm256_set1_epi8('\\'));
  m->quote = eq32x2(b, _mm256_set1_epi8('"'));
  m->open = eq32x2(low, _mm256_set1_epi8('{'));
  m->close = eq32x2(low, _mm256_set1_epi8('}'));
}
#endif

/* `hw`: the caller is compiled for a CPU with the popcnt instruction. */
static inline __attribute__((always_inline)) unsigned popcount64(uint64_t x, bool hw) {
  if (hw) return (unsigned)__builtin_popcountll(x);
#if defined(__POPCNT__)
  return (unsigned)__builtin_popcountll(x);
#else /* x86-64 baseline has no popcnt instruction; GCC would call libgcc */
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (unsigned)((x * 0x0101010101010101ull) >> 56);
#endif
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

/* `avx2`: the caller is skip_avx2 (classify_avx2 and the popcnt instruction). */
static inline __attribute__((always_inline)) size_t skip(const char *s, size_t len, size_t p,
                                                         size_t max_depth, bool strict, bool avx2) {
  const uint64_t even = 0x5555555555555555ull, odd = ~even;
  uint64_t prev_odd_bs = 0, prev_in_str = 0;
  size_t depth = 0;
  for (size_t blk = p; blk < len; blk += 64) {
    block_bits m;
    unsigned char pad[64];
    const unsigned char *b = (const unsigned char *)s + blk;
    if (len - blk < 64) { /* the last partial block, padded with spaces */
      memset(pad, ' ', sizeof pad);
      memcpy(pad, s + blk, len - blk);
      b = pad;
    }
#ifdef KSMC_SKIP_AVX2
    if (avx2)
      classify_avx2(b, &m);
    else
#endif
      classify(b, &m);
    /* Escaped bytes: those after an odd-length run of backslashes (runs may continue from
     * the previous block: prev_odd_bs). */
    uint64_t starts = m.bs & ~(m.bs << 1);
    uint64_t even_start_mask = even ^ prev_odd_bs;
    uint64_t even_starts = starts & even_start_mask, odd_starts = starts & ~even_start_mask;
    uint64_t even_carries = m.bs + even_starts, odd_carries;
    bool ends_odd = __builtin_add_overflow(m.bs, odd_starts, &odd_carries);
    odd_carries |= prev_odd_bs;
    prev_odd_bs = ends_odd;
    uint64_t escaped = ((even_carries & ~m.bs) & odd) | ((odd_carries & ~m.bs) & even);
    /* In-string bytes: between an unescaped quote and the next (opening quote included). */
    uint64_t quotes = m.quote & ~escaped;
    uint64_t in_str = prefix_xor(quotes) ^ prev_in_str;
    prev_in_str = (uint64_t)((int64_t)in_str >> 63);
    /* Up to the first backslash outside a string the masks are exact, so one is seen */
    if (strict && (m.bs & ~in_str)) return KSMC_SKIP_UNSURE;
    uint64_t opens = m.open & ~in_str, closes = m.close & ~in_str;
    unsigned nopen = popcount64(opens, avx2), nclose = popcount64(closes, avx2);
    if (depth > nclose && depth + nopen <= max_depth) { /* cannot close the value here */
      depth = depth + nopen - nclose;
      continue;
    }
    for (uint64_t b = opens | closes; b; b &= b - 1) {
      unsigned i = (unsigned)__builtin_ctzll(b);
      if (opens >> i & 1) {
        if (++depth > max_depth) return 0;
      } else if (--depth == 0) {
        return blk + i + 1;
      }
    }
  }
  return 0;
}

#ifdef KSMC_SKIP_AVX2
static __attribute__((target("avx2,popcnt"))) size_t skip_avx2(const char *s, size_t len, size_t p,
                                                               size_t max_depth, bool strict) {
  return skip(s, len, p, max_depth, strict, true);
}

static inline bool has_avx2(void) {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}
#endif

size_t ksmc_skip_container(const char *s, size_t len, size_t p, size_t max_depth) {
#ifdef KSMC_SKIP_AVX2
  if (has_avx2()) return skip_avx2(s, len, p, max_depth, false);
#endif
  return skip(s, len, p, max_depth, false, false);
}

size_t ksmc_skip_container_baseline(const char *s, size_t len, size_t p, size_t max_depth) {
  return skip(s, len, p, max_depth, false, false);
}

size_t ksmc_skip_container_strict(const char *s, size_t len, size_t p) {
#ifdef KSMC_SKIP_AVX2
  if (has_avx2()) return skip_avx2(s, len, p, (size_t)-1, true);
#endif
  return skip(s, len, p, (size_t)-1, true, false);
}

size_t ksmc_skip_resume(ksmc_skip_state *st, const char *s, size_t len) {
  const uint64_t even = 0x5555555555555555ull, odd = ~even;
  uint64_t prev_odd_bs = st->esc ? 1 : 0, prev_in_str = st->in_str ? ~0ull : 0;
  size_t depth = st->depth;
  for (size_t blk = 0; blk < len; blk += 64) {
    block_bits m;
    size_t k = len - blk; /* bytes of this block */
    if (k >= 64) {
      k = 64;
      classify((const unsigned char *)s + blk, &m);
    } else {
      unsigned char pad[64];
      memset(pad, ' ', sizeof pad);
      memcpy(pad, s + blk, k);
      classify(pad, &m);
    }
    uint64_t starts = m.bs & ~(m.bs << 1);
    uint64_t even_start_mask = even ^ prev_odd_bs;
    uint64_t even_starts = starts & even_start_mask, odd_starts = starts & ~even_start_mask;
    uint64_t even_carries = m.bs + even_starts, odd_carries;
    bool ends_odd = __builtin_add_overflow(m.bs, odd_starts, &odd_carries);
    odd_carries |= prev_odd_bs;
    uint64_t escaped = ((even_carries & ~m.bs) & odd) | ((odd_carries & ~m.bs) & even);
    uint64_t quotes = m.quote & ~escaped;
    uint64_t in_str = prefix_xor(quotes) ^ prev_in_str;
    uint64_t opens = m.open & ~in_str, closes = m.close & ~in_str;
    /* the masks are exact up to the first backslash outside a string */
    uint64_t unsure = m.bs & ~in_str;
    if (unsure) {
      opens &= (unsure & (0 - unsure)) - 1;
      closes &= (unsure & (0 - unsure)) - 1;
    }
    unsigned nopen = popcount64(opens, false), nclose = popcount64(closes, false);
    if (depth > nclose && !unsure) {
      depth = depth + nopen - nclose;
    } else {
      for (uint64_t b = opens | closes; b; b &= b - 1) {
        unsigned i = (unsigned)__builtin_ctzll(b);
        if (opens >> i & 1) {
          depth++;
        } else if (--depth == 0) {
          return blk + i + 1;
        }
      }
      if (unsure) return KSMC_SKIP_UNSURE;
    }
    if (k == 64) {
      prev_odd_bs = ends_odd;
      prev_in_str = (uint64_t)((int64_t)in_str >> 63);
    } else { /* the state after the last real byte; the padding holds no backslash */
      prev_odd_bs = escaped >> k & 1;
      prev_in_str = in_str >> (k - 1) & 1 ? ~0ull : 0;
    }
  }
  *st = (ksmc_skip_state){depth, prev_in_str != 0, (int)prev_odd_bs};
  return 0;
}
