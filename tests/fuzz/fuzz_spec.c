/* Fuzz target: spec YAML -> the ksmc-gen front end (parse, check, model) and, for a spec
 * that passes, the emitter. Invariant: a spec is either rejected with at least one error
 * or accepted with none. */
#include <stdint.h>

#include "emit.h"
#include "fuzz_util.h"
#include "schema.h"
#include "spec.h"

#ifndef KSMC_SOURCE_DIR
#error KSMC_SOURCE_DIR must name the source tree (for schema/k8s.schema)
#endif

/* The field schema is loaded once: libFuzzer's entry points are the only place for it. */
static schema sch;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  devnull = fopen("/dev/null", "w");
  ksmc_diag d = {stderr, 0, 0};
  if (!devnull || !schema_load(&sch, KSMC_SOURCE_DIR "/schema/k8s.schema", &d)) {
    fprintf(stderr, "fuzz_spec: cannot load the schema\n");
    abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_strdup(data, size);
  ksmc_diag d = {devnull, 0, 0};
  spec *s = spec_load_text("fuzz.yaml", text, &sch, &d);
  FUZZ_CHECK((s != NULL) == (d.errors == 0), "spec %p with %d errors", (void *)s, d.errors);
  if (s) {
    emit_kind_c(s, "fuzz", "fuzz.yaml", devnull);
    emit_kind_h(s, "fuzz", "fuzz.yaml", devnull);
  }
  spec_free(s);
  free(text);
  return 0;
}
