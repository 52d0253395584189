/* ksmc_backoff: client-go's reflector backoff, per stream.
 *
 * Constants from client-go tools/cache/reflector.go: the first delay is 800 ms, each
 * further failure doubles it up to 30 s, and each delay gets jitter 1.0, i.e. it is
 * uniformly drawn from [d, 2d) (apimachinery wait.Jitter). If no backoff was taken for
 * 2 minutes the API server is assumed healthy and the sequence starts over. A server's
 * Retry-After is honoured: the delay is never shorter than it.
 *
 * The random generator is seeded per context, so tests are deterministic and nothing is
 * global. */
#ifndef KSMC_BACKOFF_H
#define KSMC_BACKOFF_H

#include <stdint.h>

#define KSMC_BACKOFF_INIT_MS 800
#define KSMC_BACKOFF_MAX_MS 30000
#define KSMC_BACKOFF_RESET_MS 120000

typedef struct {
  uint64_t rng;     /* xorshift64* state, never 0 */
  int64_t step_ms;  /* the un-jittered delay the next failure starts from */
  int64_t last_ms;  /* when the last backoff was taken; <0: never */
  int64_t init_ms;  /* KSMC_BACKOFF_INIT_MS unless a test changes it */
  int64_t max_ms;   /* KSMC_BACKOFF_MAX_MS */
  int64_t reset_ms; /* KSMC_BACKOFF_RESET_MS */
} ksmc_backoff;

/* Prepares a backoff with client-go's constants and the given seed (any value). */
void ksmc_backoff_init(ksmc_backoff *b, uint64_t seed);

/* The delay before the next attempt after a failure at now_ms (any monotonic clock, ms).
 * retry_after_ms > 0 is the server's Retry-After: the result is at least that. */
int64_t ksmc_backoff_next(ksmc_backoff *b, int64_t now_ms, int64_t retry_after_ms);

/* Starts the sequence over (the next failure waits ~init again). */
void ksmc_backoff_reset(ksmc_backoff *b);

/* Uniform random integer in [lo, hi) from the context's generator (hi > lo). */
int64_t ksmc_backoff_rand(ksmc_backoff *b, int64_t lo, int64_t hi);

#endif
