/* Fuzz target: splitting offline input into objects (ksmc_input_objects, `ksmc render`).
 * Invariants: every reported object lies inside the document and is a balanced '{...}';
 * every error offset lies inside it; the error count matches the callbacks. */
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_input.h"

typedef struct {
  size_t len;
  int errors;
} seen;

static void on_object(void *user, const char *doc, size_t off, size_t len) {
  seen *s = user;
  FUZZ_CHECK(off <= s->len && len <= s->len - off && len >= 2, "object [%zu,+%zu) of %zu", off, len,
             s->len);
  FUZZ_CHECK(doc[off] == '{' && doc[off + len - 1] == '}',
             "object [%zu, +%zu) is not {...}: [%.*s] ... [%.*s]", off, len,
             (int)(len > 120 ? 120 : len), doc + off, (int)(len > 120 ? 120 : len),
             doc + off + len - (len > 120 ? 120 : len));
}

static void on_error(void *user, size_t off, const char *msg) {
  seen *s = user;
  FUZZ_CHECK(off <= s->len, "error offset %zu of %zu", off, s->len);
  FUZZ_CHECK(msg && msg[0], "error without a message");
  s->errors++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  seen s = {size, 0};
  int n = ksmc_input_objects((const char *)data, size, on_object, on_error, &s);
  FUZZ_CHECK(n == s.errors, "returned %d errors, reported %d", n, s.errors);
  return 0;
}
