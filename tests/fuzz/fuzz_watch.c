/* Fuzz target: the watch-event framer fed in arbitrary chunks.
 * Input: 8 bytes of seed (split points, object size limit), then the stream. The stream
 * is framed twice -- in one piece and in random chunks down to single bytes -- and both
 * runs must report exactly the same events and errors (framing is chunk-independent),
 * and a reset framer must forget a
 * partial event. */
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_framer.h"

typedef struct {
  ksmc_buf log;
} rec;

FUZZ_ORACLE static bool on_event(void *u, ksmc_slice type, ksmc_slice obj) {
  rec *r = u;
  FUZZ_CHECK(obj.n > 0, "empty event object");
  ksmc_buf_puts(&r->log, type);
  ksmc_buf_putc(&r->log, '|');
  ksmc_buf_puts(&r->log, obj);
  ksmc_buf_putc(&r->log, '\n');
  return true;
}

FUZZ_ORACLE static bool on_error(void *u, int err, const char *msg) {
  rec *r = u;
  char line[256];
  int n = snprintf(line, sizeof line, "ERR %d %s\n", err, msg);
  ksmc_buf_put(&r->log, line, (size_t)n);
  return true;
}

static void run(ksmc_framer *f, const char *s, size_t n, uint64_t seed, size_t maxchunk, rec *r) {
  ksmc_framer_cb cb = {r, on_event, on_error};
  size_t at = 0;
  while (at < n) {
    size_t c = maxchunk ? 1 + fuzz_rand(&seed) % maxchunk : n - at;
    if (c > n - at) c = n - at;
    ksmc_framer_feed(f, s + at, c, &cb);
    at += c;
  }
  if (ksmc_framer_partial(f)) ksmc_buf_puts(&r->log, KSMC_LIT("PARTIAL\n"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t seed = fuzz_take_seed(&data, &size, 8);
  static const size_t limits[] = {0, 16, 64, 300, 4096};
  size_t max = limits[seed % 5];
  size_t maxchunk = 1 + (seed >> 8) % 64;
  const char *s = (const char *)data;

  /* The logs are the oracle's: kept across inputs (reset, not freed) so that growing them
   * is not most of the allocations of an input. */
  static rec whole, chunked, again;
  ksmc_buf_reset(&whole.log);
  ksmc_buf_reset(&chunked.log);
  ksmc_buf_reset(&again.log);
  ksmc_framer f;
  ksmc_framer_init(&f, max);
  run(&f, s, size, seed, 0, &whole);
  ksmc_framer_reset(&f);
  run(&f, s, size, seed >> 16, maxchunk, &chunked);
  /* A reset must forget a partial event: the same stream again gives the same log. */
  ksmc_framer_reset(&f);
  run(&f, s, size, seed >> 24, maxchunk == 1 ? 1 : maxchunk / 2, &again);
  FUZZ_CHECK(!ksmc_buf_failed(&whole.log), "out of memory");
  FUZZ_CHECK(fuzz_same(whole.log.p, whole.log.n, chunked.log.p, chunked.log.n),
             "chunked framing differs:\n--- whole\n%.*s--- chunked\n%.*s", (int)whole.log.n,
             whole.log.p, (int)chunked.log.n, chunked.log.p);
  FUZZ_CHECK(fuzz_same(whole.log.p, whole.log.n, again.log.p, again.log.n),
             "framing after reset differs");
  ksmc_framer_free(&f);
  return 0;
}
