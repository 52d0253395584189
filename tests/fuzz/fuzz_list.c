/* Fuzz target: the LIST-page parser fed in arbitrary chunks.
 * Input: 8 bytes of seed, then the page body. Parsed whole and in random chunks; items,
 * errors, resourceVersion, continue and completeness must be identical. */
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_framer.h"

typedef struct {
  ksmc_buf log;
} rec;

FUZZ_ORACLE static bool on_item(void *u, const char *json, size_t len) {
  rec *r = u;
  FUZZ_CHECK(len > 0 && json[0] == '{' && json[len - 1] == '}',
             "item of %zu bytes is not an object: [%.*s] ... [%.*s]", len,
             (int)(len > 120 ? 120 : len), json, (int)(len > 120 ? 120 : len),
             json + len - (len > 120 ? 120 : len));
  ksmc_buf_put(&r->log, "ITEM ", 5);
  ksmc_buf_put(&r->log, json, len);
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

static void run(ksmc_list_parser *l, const char *s, size_t n, uint64_t seed, size_t maxchunk,
                rec *r) {
  ksmc_list_cb cb = {r, on_item, on_error};
  size_t at = 0;
  while (at < n) {
    size_t c = maxchunk ? 1 + fuzz_rand(&seed) % maxchunk : n - at;
    if (c > n - at) c = n - at;
    if (!ksmc_list_feed(l, s + at, c, &cb)) break;
    at += c;
  }
  char tail[64];
  int k =
      snprintf(tail, sizeof tail, "END items=%zu complete=%d\n", l->items, ksmc_list_complete(l));
  ksmc_buf_put(&r->log, tail, (size_t)k);
  ksmc_buf_put(&r->log, "RV ", 3);
  if (l->rv.n) ksmc_buf_put(&r->log, l->rv.p, l->rv.n);
  ksmc_buf_put(&r->log, "\nCONT ", 6);
  if (l->cont.n) ksmc_buf_put(&r->log, l->cont.p, l->cont.n);
  ksmc_buf_putc(&r->log, '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t seed = fuzz_take_seed(&data, &size, 8);
  static const size_t limits[] = {0, 16, 64, 300, 4096};
  size_t max = limits[seed % 5];
  size_t maxchunk = 1 + (seed >> 8) % 64;
  const char *s = (const char *)data;

  /* The logs are the oracle's: kept across inputs (reset, not freed). */
  static rec whole, chunked;
  ksmc_buf_reset(&whole.log);
  ksmc_buf_reset(&chunked.log);
  ksmc_list_parser l;
  ksmc_list_init(&l, max);
  run(&l, s, size, seed, 0, &whole);
  ksmc_list_reset(&l);
  run(&l, s, size, seed >> 16, maxchunk, &chunked);
  FUZZ_CHECK(!ksmc_buf_failed(&whole.log), "out of memory");
  FUZZ_CHECK(fuzz_same(whole.log.p, whole.log.n, chunked.log.p, chunked.log.n),
             "chunked parsing differs:\n--- whole\n%.*s--- chunked\n%.*s", (int)whole.log.n,
             whole.log.p, (int)chunked.log.n, chunked.log.p);
  ksmc_list_free(&l);
  return 0;
}
