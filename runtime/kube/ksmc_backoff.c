#include "ksmc_backoff.h"

void ksmc_backoff_init(ksmc_backoff *b, uint64_t seed) {
  /* splitmix64 of the seed, so that small seeds give well-mixed states */
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  b->rng = z ? z : 1;
  b->init_ms = KSMC_BACKOFF_INIT_MS;
  b->max_ms = KSMC_BACKOFF_MAX_MS;
  b->reset_ms = KSMC_BACKOFF_RESET_MS;
  b->step_ms = b->init_ms;
  b->last_ms = -1;
}

void ksmc_backoff_reset(ksmc_backoff *b) {
  b->step_ms = b->init_ms;
  b->last_ms = -1;
}

static uint64_t next_u64(ksmc_backoff *b) {
  uint64_t x = b->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  b->rng = x;
  return x * 0x2545f4914f6cdd1dULL;
}

int64_t ksmc_backoff_rand(ksmc_backoff *b, int64_t lo, int64_t hi) {
  uint64_t span = (uint64_t)(hi - lo);
  return lo + (int64_t)(next_u64(b) % span);
}

int64_t ksmc_backoff_next(ksmc_backoff *b, int64_t now_ms, int64_t retry_after_ms) {
  if (b->last_ms >= 0 && now_ms - b->last_ms >= b->reset_ms) b->step_ms = b->init_ms;
  int64_t d = b->step_ms;
  b->step_ms = d * 2 > b->max_ms ? b->max_ms : d * 2;
  b->last_ms = now_ms;
  int64_t delay = ksmc_backoff_rand(b, d, 2 * d);
  return delay < retry_after_ms ? retry_after_ms : delay;
}
