/* Helpers shared by the fuzz targets (header-only, no state). */
#ifndef KSMC_FUZZ_UTIL_H
#define KSMC_FUZZ_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts with a message: libFuzzer records the input as a crash. */
#define FUZZ_CHECK(cond, ...)                                                                      \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);              \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* Marks oracle code of a target (reference models, event logs): it is not what the target
 * tests, so it gets no coverage instrumentation -- cheaper, and it cannot make libFuzzer
 * keep an input only for taking another path through the oracle. */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_ORACLE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_ORACLE
#endif

/* A small deterministic generator (xorshift64*) for split points taken from the input. */
static inline uint64_t fuzz_rand(uint64_t *s) {
  uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* Reads up to 8 bytes of the input as a seed and advances past them. */
static inline uint64_t fuzz_take_seed(const uint8_t **data, size_t *size, size_t nbytes) {
  uint64_t s = 0;
  for (size_t i = 0; i < nbytes && *size; i++, (*data)++, (*size)--) s = s << 8 | **data;
  return s;
}

/* True if two byte ranges are equal (either may be empty with a NULL pointer). */
static inline bool fuzz_same(const void *a, size_t an, const void *b, size_t bn) {
  return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* A NUL-terminated copy of the input (caller frees). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  if (size) memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

#endif
