/* Fuzz target: the watch-event framer fed in arbitrary chunks.
 * Input: 8 bytes of seed (split points, object size limit), then the stream. The stream
 * is framed twice -- in one piece and in random chunks down to single bytes -- and both
 * runs must report exactly the same events and errors (framing is chunk-independent),
 * and a reset framer must forget a
 * partial event. Two more runs (whole, chunked) frame it with a consumer that renders ahead
 * (ksmc_framer_cb.prerender): a stand-in renderer that takes the object's strict close as
 * its end and records strict skips from some of its brackets (in strings too, which the
 * framer must not take) as the containers it passed over; the events and errors must be
 * those of the plain run, and an event marked prerendered must be exactly that object. */
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_framer.h"

typedef struct {
  ksmc_buf log;
  ksmc_framer *f;
  uint64_t seed;
  const char *pre; /* the object rendered ahead, NULL if none */
  size_t pre_len;
  ksmc_skip_span spans[16];
} rec;

FUZZ_ORACLE static bool on_event(void *u, ksmc_slice type, ksmc_slice obj) {
  rec *r = u;
  FUZZ_CHECK(obj.n > 0, "empty event object");
  if (r->f && ksmc_framer_prerendered(r->f))
    FUZZ_CHECK(r->pre == obj.p && r->pre_len == obj.n, "prerendered event is not the render's");
  r->pre = NULL;
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

/* The stand-in renderer: the object's strict close is its end; containers from some of its
 * brackets (chosen by the seed) are recorded as passed over. */
FUZZ_ORACLE static size_t on_prerender(void *u, ksmc_slice type, const char *obj, size_t avail,
                                       const ksmc_skip_span **spans, size_t *nspans) {
  rec *r = u;
  (void)type;
  r->pre = NULL;
  size_t end = ksmc_skip_container_strict(obj, avail, 0);
  if (!end || end == KSMC_SKIP_UNSURE) return 0;
  size_t n = 0;
  for (size_t i = 1; i + 1 < end && n < 16; i++) {
    if ((obj[i] != '{' && obj[i] != '[') || fuzz_rand(&r->seed) % 3 == 0) continue;
    size_t b = ksmc_skip_container_strict(obj, avail, i);
    if (!b || b == KSMC_SKIP_UNSURE || b > end) continue;
    r->spans[n++] = (ksmc_skip_span){i, b};
    if (fuzz_rand(&r->seed) % 2) i = b - 1; /* in order, or nested ones too */
  }
  r->pre = obj;
  r->pre_len = end;
  *spans = r->spans;
  *nspans = n;
  return end;
}

static void run(ksmc_framer *f, const char *s, size_t n, uint64_t seed, size_t maxchunk, rec *r) {
  ksmc_framer_cb cb = {r, on_event, on_error, r->f ? on_prerender : NULL};
  size_t at = 0;
  while (at < n) {
    size_t c = maxchunk ? 1 + fuzz_rand(&seed) % maxchunk : n - at;
    if (c > n - at) c = n - at;
    ksmc_framer_feed(f, s + at, c, &cb);
    at += c;
  }
  ksmc_framer_flush(f, &cb); /* a no-op without prerender */
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
  static rec whole, chunked, again, ahead;
  ksmc_buf_reset(&whole.log);
  ksmc_buf_reset(&chunked.log);
  ksmc_buf_reset(&again.log);
  ksmc_buf_reset(&ahead.log);
  ksmc_framer f;
  ksmc_framer_init(&f, max);
  ahead.f = &f;
  ahead.seed = seed | 1;
  ahead.pre = NULL;
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
  /* rendering ahead: in one piece (every event's line in the chunk), then in chunks (the
   * events whole in a chunk) */
  for (int k = 0; k < 2; k++) {
    ksmc_buf_reset(&ahead.log);
    ksmc_framer_reset(&f);
    run(&f, s, size, seed >> 32, k ? 8 * maxchunk : 0, &ahead);
    FUZZ_CHECK(fuzz_same(whole.log.p, whole.log.n, ahead.log.p, ahead.log.n),
               "framing with a render ahead differs:\n--- whole\n%.*s--- ahead\n%.*s",
               (int)whole.log.n, whole.log.p, (int)ahead.log.n, ahead.log.p);
  }
  ksmc_framer_free(&f);
  return 0;
}
