/* Fuzz target: object JSON -> every generated serializer.
 * Input: 1 byte of options, then the object's JSON. The options pick the kind (pods,
 * nodes or any compiled kind), the label/annotation allowlists (none, "*", a few
 * patterns), which families are on, and a small object size limit. Invariants: on success every
 * family's bytes are valid exposition lines of that family (ksmc_expo_lint.h) and rendering the
 * same object again with the same context gives the same bytes; on failure the error is
 * a known code with a message and the output is empty. */
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_expo_lint.h"
#include "ksmc_render.h"

static void check_render(ksmc_render_ctx *ctx, const char *json, size_t len) {
  int r = ksmc_render_object(ctx, json, len);
  const ksmc_kind_desc *k = ctx->opts.kind;
  if (r != KSMC_OK) {
    FUZZ_CHECK(r > KSMC_OK && r <= KSMC_E_NO_UID, "unknown error code %d", r);
    FUZZ_CHECK(ctx->err[0] != '\0', "error %d without a message", r);
    return;
  }
  FUZZ_CHECK(!ksmc_buf_failed(&ctx->out), "out of memory");
  const char *out = ctx->out.p ? ctx->out.p : ""; /* no sample at all: nothing allocated */
  uint32_t prev = 0;
  for (size_t i = 0; i < k->nfamilies; i++) {
    uint32_t start = ksmc_render_fam_start(ctx, i), end = ctx->fam_end[i];
    FUZZ_CHECK(start == prev && start <= end && end <= ctx->out.n, "family %zu range", i);
    prev = end;
    if (!ctx->enabled[i])
      FUZZ_CHECK(start == end, "disabled family %s has bytes", k->families[i].name);
    size_t bad = 0;
    const char *why = ksmc_lint_text(out + start, end - start, true, k->families[i].name, &bad);
    FUZZ_CHECK(!why, "%s: %s at offset %zu:\n%.*s", k->families[i].name, why, bad,
               (int)(end - start), out + start);
  }
  FUZZ_CHECK(prev == ctx->out.n, "bytes after the last family");
  /* Same object, same context: same bytes. */
  static ksmc_buf first; /* the oracle's copy: reused across inputs */
  ksmc_buf_reset(&first);
  ksmc_buf_put(&first, ctx->out.p, ctx->out.n);
  FUZZ_CHECK(ksmc_render_object(ctx, json, len) == KSMC_OK, "second render failed");
  size_t d = 0;
  while (d < first.n && d < ctx->out.n && first.p[d] == ctx->out.p[d]) d++;
  size_t from = d > 200 ? d - 200 : 0;
  FUZZ_CHECK(
      fuzz_same(first.p, first.n, ctx->out.p, ctx->out.n),
      "second render differs at byte %zu (%zu vs %zu bytes):\n--- first\n%.*s\n--- second\n%.*s", d,
      first.n, ctx->out.n, (int)((first.n > d + 200 ? d + 200 : first.n) - from),
      first.p ? first.p + from : "", (int)((ctx->out.n > d + 200 ? d + 200 : ctx->out.n) - from),
      ctx->out.p ? ctx->out.p + from : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t opt = data[0];
  const char *json = (const char *)data + 1;
  size_t len = size - 1;

  /* Pods and nodes (the kinds with golden seeds) get half the inputs, every kind the rest. */
  const ksmc_kind_desc *kind = opt & 0x10 ? ksmc_kinds[(opt >> 1 & 7) % ksmc_nkinds]
                                          : ksmc_kind_find(opt & 1 ? "nodes" : "pods");
  FUZZ_CHECK(kind != NULL, "kind not compiled in");
  static const char *const flags[] = {
      NULL, "*=[*]", "pods=[app,team*,*name,x*y],nodes=[*,kubernetes.io/*]", "pods=[],nodes=[]"};
  ksmc_allowlist labels = {0}, annotations = {0};
  char err[256];
  const char *lf = flags[(opt >> 1) & 3], *af = flags[(opt >> 3) & 1 ? 1 : 0];
  if (lf) FUZZ_CHECK(ksmc_allowlist_parse(&labels, lf, err, sizeof err), "%s", err);
  if (af) FUZZ_CHECK(ksmc_allowlist_parse(&annotations, af, err, sizeof err), "%s", err);
  bool *enabled = NULL;
  if (opt & 0x20) {
    enabled = calloc(kind->nfamilies ? kind->nfamilies : 1, sizeof *enabled);
    for (size_t i = 0; i < kind->nfamilies; i++) enabled[i] = (opt & 0x40) || (i % 3 != 0);
  }
  ksmc_render_opts o = {.kind = kind,
                        .family_enabled = enabled,
                        .labels_allow = ksmc_allowlist_for(&labels, kind->resource),
                        .annotations_allow = ksmc_allowlist_for(&annotations, kind->resource),
                        .max_object_bytes = (opt & 0x80) ? 512 : 0};
  ksmc_render_ctx ctx;
  FUZZ_CHECK(ksmc_render_ctx_init(&ctx, &o) == KSMC_OK, "init");
  check_render(&ctx, json, len);
  ksmc_render_ctx_free(&ctx);
  ksmc_allowlist_free(&labels);
  ksmc_allowlist_free(&annotations);
  free(enabled);
  return 0;
}
