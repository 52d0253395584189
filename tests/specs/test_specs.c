/* test_specs: the compiler front end on spec files and in-memory specs.
 *  - every tests/specs/bad/<case>.yaml reports exactly <case>.stderr;
 *  - the real specs compile without diagnostics and emit byte-identical output twice;
 *  - small in-memory specs exercise the language (each, states, aggregates). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "ktest.h"
#include "schema.h"
#include "spec.h"

static schema sch;

static char *slurp(const char *path, size_t *n) {
  *n = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)len + 1);
  *n = fread(p, 1, (size_t)len, f);
  p[*n] = '\0';
  fclose(f);
  return p;
}

/* Loads `file` and returns what the diagnostics printed (caller frees). */
static char *diagnostics_of(const char *file, int *errors) {
  char *out = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&out, &n);
  ksmc_diag d = {mem, 0, 0};
  spec *s = spec_load(file, &sch, &d);
  spec_free(s);
  fclose(mem);
  *errors = d.errors;
  return out;
}

static void test_bad_specs(void) {
  DIR *dir = opendir("tests/specs/bad");
  CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
  struct dirent *e;
  int cases = 0;
  while ((e = readdir(dir))) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".yaml")) continue;
    char yaml[512], want_path[512];
    snprintf(yaml, sizeof yaml, "tests/specs/bad/%s", e->d_name);
    snprintf(want_path, sizeof want_path, "tests/specs/bad/%.*s.stderr", (int)(l - 5), e->d_name);
    size_t wn = 0;
    char *want = slurp(want_path, &wn);
    int errors;
    char *got = diagnostics_of(yaml, &errors);
    int ok = want && !strcmp(got, want);
    if (!ok)
      fprintf(stderr, "\n%s\n  want:\n%s  got:\n%s", yaml, want ? want : "(no .stderr)\n", got);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_TRUE(errors > 0);
    free(want);
    free(got);
    cases++;
  }
  closedir(dir);
  CU_ASSERT_TRUE(cases >= 10);
}

/* Emits the C of a spec into a string. Not inlined: inlined at -O3, gcc 12 takes the
 * memstream's buffer for a pointer to the local `out` (-Wdangling-pointer, a false
 * positive that broke whole-tree Release builds). */
__attribute__((noinline)) static char *emit_to_string(const spec *s, const char *name) {
  char *out = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&out, &n);
  emit_kind_c(s, name, s->file, mem);
  emit_kind_h(s, name, s->file, mem);
  fclose(mem);
  return out;
}

static void check_real_spec(const char *file, const char *name, const char *committed) {
  char *diag = NULL;
  size_t dn = 0;
  FILE *mem = open_memstream(&diag, &dn);
  ksmc_diag d = {mem, 0, 0};
  spec *s = spec_load(file, &sch, &d);
  fclose(mem);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(d.errors + d.warnings, 0);
  CU_ASSERT_STRING_EQUAL(diag, "");
  char *a = emit_to_string(s, name), *b = emit_to_string(s, name);
  CU_ASSERT_STRING_EQUAL(a, b); /* deterministic */
  size_t cn = 0;
  char *c = slurp(committed, &cn);
  CU_ASSERT_PTR_NOT_NULL(c);
  if (c) CU_ASSERT_TRUE(strncmp(a, c, cn) == 0); /* the committed .c is what the spec gives */
  free(a);
  free(b);
  free(c);
  free(diag);
  spec_free(s);
}

static void test_real_specs(void) {
  check_real_spec("specs/pod.yaml", "pod", "generated/pod.c");
  check_real_spec("specs/node.yaml", "node", "generated/node.c");
}

static const char *const header =
    "resource: {kind: Pod, version: v1, plural: pods, namespaced: true}\n"
    "labels: {pod: .metadata.name}\n"
    "families:\n";

static spec *load_text(const char *families, int *errors, char **diag) {
  char text[4096];
  snprintf(text, sizeof text, "%s%s", header, families);
  size_t n = 0;
  FILE *mem = open_memstream(diag, &n);
  ksmc_diag d = {mem, 0, 0};
  spec *s = spec_load_text("mem.yaml", text, &sch, &d);
  fclose(mem);
  *errors = d.errors;
  return s;
}

static void test_language_constructs(void) {
  int errors;
  char *diag = NULL;
  spec *s =
      load_text("  - name: a\n    type: gauge\n    stability: alpha\n    help: h\n"
                "    each: {c: '.spec.containers[*]', r: '$c.resources.limits{*}'}\n"
                "    where: key($r) != \"pods\"\n"
                "    labels: {container: $c.name, resource: sanitize(key($r))}\n"
                "    value: quantity($r)\n"
                "  - name: b\n    type: gauge\n    stability: stable\n    help: h\n"
                "    states: {label: phase, of: .status.phase, values: [A, B]}\n"
                "  - name: c\n    type: gauge\n    stability: alpha\n    help: h\n"
                "    value: max(timestamp(.status.conditions[type=Ready].lastTransitionTime))\n"
                "  - name: d\n    type: gauge\n    stability: alpha\n    help: h\n"
                "    each: {c: '.spec.containers[*]'}\n"
                "    where: count($c.args[*]) > 0\n"
                "    value: if(present(.spec.priority), .spec.priority, 1)\n",
                &errors, &diag);
  CU_ASSERT_EQUAL(errors, 0);
  if (errors) fprintf(stderr, "%s", diag);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->nfamilies, 4);
  CU_ASSERT_EQUAL(s->families[3].value->type, VT_NUM); /* if() of numbers stays a number */
  CU_ASSERT_EQUAL(s->families[0].nloops, 2);
  CU_ASSERT_EQUAL(s->families[1].st->n, 2);
  char *labels = spec_family_label_list(s, &s->families[0]);
  CU_ASSERT_STRING_EQUAL(labels, "pod,container,resource");
  free(labels);
  /* views: root, containers, limits map, conditions, args */
  CU_ASSERT_EQUAL(s->nviews, 5);
  /* the emitted C of count() and a numeric if() compiles warning-free (checked by the
     real specs' build); here: emission does not crash and names the helper */
  char *c = emit_to_string(s, "t");
  CU_ASSERT_PTR_NOT_NULL(strstr(c, "acc += 1;"));
  free(c);
  spec_free(s);
  free(diag);
}

/* then: blocks run inside each iteration of the family's loops, see its variables, and
 * may give different label sets (shown in brackets when only some blocks have them). */
static void test_then_blocks(void) {
  int errors;
  char *diag = NULL;
  spec *s = load_text("  - name: t\n    type: gauge\n    stability: alpha\n    help: h\n"
                      "    each: {c: '.spec.containers[*]'}\n"
                      "    where: nonempty($c.name)\n"
                      "    then:\n"
                      "      - each: {p: '$c.ports[*]'}\n"
                      "        labels: {container: $c.name, port: $p.name}\n"
                      "        value: 1\n"
                      "      - where: present($c.image)\n"
                      "        labels: {container: $c.name, image: $c.image}\n"
                      "        value: count($c.args[*])\n",
                      &errors, &diag);
  CU_ASSERT_EQUAL(errors, 0);
  if (errors) fprintf(stderr, "%s", diag);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->families[0].nthen, 2);
  CU_ASSERT_EQUAL(s->families[0].then[0].nloops, 1);
  char *labels = spec_family_label_list(s, &s->families[0]);
  CU_ASSERT_STRING_EQUAL(labels, "pod,container,[port],[image]");
  free(labels);
  char *c = emit_to_string(s, "t");
  /* both blocks inside the containers loop, the second's where as an if (not continue) */
  const char *loop = strstr(c, "for (uint32_t i_c = 0;");
  const char *b1 = strstr(c, "{ /* then: mem.yaml:11 */");
  const char *b2 = strstr(c, "{ /* then: mem.yaml:14 */");
  CU_ASSERT_TRUE(loop && b1 && b2 && loop < b1 && b1 < b2);
  CU_ASSERT_PTR_NOT_NULL(b2 ? strstr(b2, "if (") : NULL);
  CU_ASSERT_PTR_NOT_NULL(strstr(c, "acc += 1;")); /* the count() helper of the block */
  free(c);
  spec_free(s);
  free(diag);
}

/* like: a family with another name, help and stability whose samples are its template's,
 * over rebound root collections: one shared body in the C, called with each family's name
 * and collection, and one view struct for both collections (the union of what is read). */
static void test_like_variants(void) {
  int errors;
  char *diag = NULL;
  spec *s = load_text("  - name: t\n    type: gauge\n    stability: stable\n    help: h\n"
                      "    each: {c: '.spec.containers[*]', r: '$c.resources.limits{*}'}\n"
                      "    where: key($r) != \"pods\"\n"
                      "    labels: {container: $c.name, resource: key($r)}\n"
                      "    value: count($c.args[*])\n"
                      "  - name: i\n    type: gauge\n    stability: alpha\n    help: h\n"
                      "    each: {c: '.spec.initContainers[*]'}\n"
                      "    labels: {container: $c.name, policy: $c.restartPolicy}\n"
                      "    value: 1\n"
                      "  - name: t_init\n    type: counter\n    stability: alpha\n"
                      "    help: init help\n"
                      "    like: t\n"
                      "    each: {c: '.spec.initContainers[*]'}\n",
                      &errors, &diag);
  CU_ASSERT_EQUAL(errors, 0);
  if (errors) fprintf(stderr, "%s", diag);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL_FATAL(s->nfamilies, 3);
  const family *v = &s->families[2];
  CU_ASSERT_STRING_EQUAL(v->name, "t_init");
  CU_ASSERT_STRING_EQUAL(v->help, "init help");
  CU_ASSERT_EQUAL(v->type, FT_COUNTER);
  CU_ASSERT_EQUAL(v->stab, STAB_ALPHA);
  CU_ASSERT_EQUAL(v->like_of, 0);
  CU_ASSERT_EQUAL(v->nloops, 2);
  CU_ASSERT_TRUE(v->loops[0].rebound && !v->loops[1].rebound);
  CU_ASSERT_EQUAL(v->pos.line, 19); /* its own position; the body keeps the template's */
  CU_ASSERT_EQUAL(v->where->pos.line, 9);
  char *lt = spec_family_label_list(s, &s->families[0]), *lv = spec_family_label_list(s, v);
  CU_ASSERT_STRING_EQUAL(lt, lv);
  free(lt);
  free(lv);
  char *c = emit_to_string(s, "t");
  /* one body with the name and the rebound collection as parameters */
  CU_ASSERT_PTR_NOT_NULL(strstr(c, "static void body_0(ksmc_render_ctx *ctx, const v_root_t *v, "
                                   "const char *fam, size_t fam_n, const ksmc_items *col_c) {"));
  CU_ASSERT_PTR_NOT_NULL(strstr(c, "ksmc_sample_begin(ctx, fam, fam_n);"));
  CU_ASSERT_PTR_NOT_NULL(strstr(c, "body_0(ctx, v, \"t\", 1, &v->spec_containers_items);"));
  CU_ASSERT_PTR_NOT_NULL(
      strstr(c, "body_0(ctx, v, \"t_init\", 6, &v->spec_initContainers_items);"));
  /* both collections are read into one item struct, the union (restartPolicy from 'i') */
  CU_ASSERT_PTR_NULL(strstr(c, "v_spec_initContainers_t"));
  CU_ASSERT_PTR_NOT_NULL(strstr(c, "walk_items_spec_containers(ctx, start, "
                                   "&o->spec_initContainers_items);"));
  const char *st = strstr(c, "} v_spec_containers_t;");
  const char *pol = strstr(c, "  int restartPolicy;\n");
  CU_ASSERT_TRUE(st && pol && pol < st);
  /* the count() helper exists once, the template's */
  CU_ASSERT_PTR_NOT_NULL(strstr(c, "agg_0_0("));
  CU_ASSERT_PTR_NULL(strstr(c, "agg_2_"));
  free(c);
  spec_free(s);
  free(diag);
}

/* Families every kind declares alike become one call of a runtime helper; `close`/
 * `static_labels` follow whether the kind has default labels. */
static void test_runtime_families(void) {
  static const char *const fams =
      "families:\n"
      "  - {name: c, type: gauge, stability: alpha, help: h,\n"
      "     where: nonzero(.metadata.creationTimestamp), value: "
      "timestamp(.metadata.creationTimestamp)}\n"
      "  - {name: l, type: gauge, stability: alpha, help: h,\n"
      "     dynamic_labels: {from: .metadata.labels, prefix: label, allowlist: labels}}\n"
      "  - {name: d, type: gauge, stability: alpha, help: h,\n"
      "     where: nonzero(.metadata.creationTimestamp), value: "
      "timestamp(.metadata.deletionTimestamp)}\n";
  for (int with_labels = 0; with_labels < 2; with_labels++) {
    char text[2048];
    snprintf(text, sizeof text,
             "resource: {kind: Pod, version: v1, plural: pods, namespaced: true}\n%s%s",
             with_labels ? "labels: {pod: .metadata.name}\n" : "", fams);
    ksmc_diag d = {stderr, 0, 0};
    spec *s = spec_load_text("mem.yaml", text, &sch, &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    char *c = emit_to_string(s, "t");
    char want[256];
    snprintf(want, sizeof want,
             "ksmc_family_timestamp(ctx, \"c\", 1, v->metadata_creationTimestamp, %s); /* :%d */",
             with_labels ? "true" : "false", 4 + with_labels); /* the where: line */
    CU_ASSERT_PTR_NOT_NULL(strstr(c, want));
    snprintf(want, sizeof want,
             "ksmc_family_allowlisted(ctx, \"l\", 1, v->metadata_labels, \"label\", "
             "ctx->opts.labels_allow, %s);",
             with_labels ? "true" : "false");
    CU_ASSERT_PTR_NOT_NULL(strstr(c, want));
    /* where and value read different timestamps: written out */
    CU_ASSERT_PTR_NULL(strstr(c, "ksmc_family_timestamp(ctx, \"d\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(c, "ksmc_sample_begin(ctx, \"d\", 1);"));
    free(c);
    spec_free(s);
  }
}

static void test_errors_positions(void) {
  int errors;
  char *diag = NULL;
  spec *s = load_text("  - name: a\n    type: gauge\n    stability: alpha\n    help: h\n"
                      "    value: .status.phse\n",
                      &errors, &diag);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_EQUAL(errors, 1);
  CU_ASSERT_STRING_EQUAL(diag, "mem.yaml:8:20: error: .status has no field 'phse' in Pod; did you "
                               "mean 'phase'?\n");
  free(diag);
}

/* Editing one family's help text changes one hunk of the generated C (its descriptor). */
static void test_help_edit_is_one_hunk(void) {
  size_t n = 0;
  char *text = slurp("specs/pod.yaml", &n);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  const char *old_help = "help: The pods current phase.";
  char *at = strstr(text, old_help);
  CU_ASSERT_PTR_NOT_NULL_FATAL(at);
  char *edited = malloc(n + 64);
  snprintf(edited, n + 64, "%.*shelp: The pod's current phase (edited).%s", (int)(at - text), text,
           at + strlen(old_help));
  ksmc_diag d = {stderr, 0, 0};
  spec *a = spec_load_text("specs/pod.yaml", text, &sch, &d);
  spec *b = spec_load_text("specs/pod.yaml", edited, &sch, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  char *ca = emit_to_string(a, "pod"), *cb = emit_to_string(b, "pod");
  /* Walk both line by line: the differing lines must sit within one small window. */
  int first = -1, last = -1, line = 0;
  const char *p = ca, *q = cb;
  while (*p && *q) {
    const char *pe = strchr(p, '\n'), *qe = strchr(q, '\n');
    if (!pe || !qe) break;
    if (pe - p != qe - q || memcmp(p, q, (size_t)(pe - p)) != 0) {
      if (first < 0) first = line;
      last = line;
    }
    p = pe + 1;
    q = qe + 1;
    line++;
  }
  CU_ASSERT_TRUE(first >= 0);
  CU_ASSERT_TRUE(last - first <= 2);  /* .help and the two header literals */
  CU_ASSERT_TRUE(*p == 0 && *q == 0); /* same number of lines */
  free(ca);
  free(cb);
  free(edited);
  free(text);
  spec_free(a);
  spec_free(b);
}

static const ktest_case cases[] = {
    {"help edit is one hunk", test_help_edit_is_one_hunk},
    {"bad specs report exact diagnostics", test_bad_specs},
    {"real specs compile cleanly and deterministically", test_real_specs},
    {"language constructs", test_language_constructs},
    {"then: blocks", test_then_blocks},
    {"like: variants", test_like_variants},
    {"families every kind has are runtime calls", test_runtime_families},
    {"error positions", test_errors_positions},
    {NULL, NULL}};

int main(void) {
  ksmc_diag d = {stderr, 0, 0};
  if (!schema_load(&sch, "schema/k8s.schema", &d)) return 2;
  int rc = ktest_run("specs", cases);
  schema_free(&sch);
  return rc;
}
