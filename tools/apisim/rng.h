/* rng: splitmix64, seeded; the state lives in the caller's struct. */
#ifndef APISIM_RNG_H
#define APISIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  uint64_t s;
} rng;

static inline uint64_t rng_next(rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static inline int rng_int(rng *r, int n) { return n > 0 ? (int)(rng_next(r) % (uint64_t)n) : 0; }
static inline int rng_range(rng *r, int lo, int hi) { return lo + rng_int(r, hi - lo + 1); }
static inline bool rng_chance(rng *r, double p) {
  return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0) < p;
}

#endif
