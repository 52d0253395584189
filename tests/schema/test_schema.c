/* test_schema: the metric schema library below `ksmc-gen schema|diff|docs|rbac`:
 *  - JSON written and read back is byte-identical, whatever the strings hold;
 *  - the JSON reader reports bad input at file:line:col and decodes escapes;
 *  - kind-level changes, opt-in changes and allow patterns classify as documented;
 *  - the ClusterRole groups resources by API group, core first, sorted, de-duplicated;
 *  - help typo detection (edit distance) and allow files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktest.h"
#include "rbac_emit.h"
#include "schema_diff.h"
#include "schema_dump.h"

/* One kind with one family, as JSON; fields spliced in by the caller. */
static char *kind_json(const char *kind, const char *group, const char *resource,
                       const char *namespaced, const char *family_extra) {
  char *s;
  if (asprintf(&s,
               "{\"ksmc_metric_schema\": 1, \"kinds\": [{\"kind\": \"%s\", \"group\": \"%s\", "
               "\"version\": \"v1\", \"resource\": \"%s\", \"namespaced\": %s, \"families\": ["
               "{\"name\": \"kube_%s_info\", \"type\": \"gauge\", \"stability\": \"stable\", "
               "\"help\": \"Info.\", \"labels\": [{\"name\": \"x\"}]%s}]}]}",
               kind, group, resource, namespaced, resource, family_extra) < 0)
    abort();
  return s;
}

static bool read_text(ms_schema *m, const char *text, char **diag) {
  size_t n = 0;
  FILE *mem = open_memstream(diag, &n);
  ksmc_diag d = {mem, 0, 0};
  bool ok = ms_read_json_text(m, "t.json", text, strlen(text), &d);
  fclose(mem);
  return ok;
}

static char *json_of(const ms_schema *m) {
  char *out = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&out, &n);
  ms_write_json(m, mem);
  fclose(mem);
  return out;
}

static void test_json_round_trip(void) {
  const char *text =
      "{\"ksmc_metric_schema\": 1, \"kinds\": [{\"kind\": \"Pod\", \"group\": \"\", "
      "\"version\": \"v1\", \"resource\": \"pods\", \"namespaced\": true, \"file\": \"p.yaml\", "
      "\"families\": [{\"name\": \"kube_pod_x\", \"type\": \"stateset\", \"stability\": "
      "\"beta\", \"deprecated\": \"v2\", \"opt_in\": true, "
      "\"help\": \"q\\\" b\\\\ n\\n t\\t c\\u0001 e\\u00e9 s\\ud83d\\ude00 /\\/\", "
      "\"labels\": [{\"name\": \"label_*\", \"dynamic\": true, \"source\": \"a\\\"b\"}], "
      "\"states\": [\"A|B\", \"<c>\"], \"dynamic_allowlist\": \"all\", \"unit\": \"state\", "
      "\"value\": \"\", \"select\": \"each $c\", \"file\": \"p.yaml\", \"line\": 7}]}]}";
  ms_schema m = {0};
  char *diag = NULL;
  CU_ASSERT_TRUE_FATAL(read_text(&m, text, &diag));
  CU_ASSERT_STRING_EQUAL(diag, "");
  const ms_family *f = &m.kinds[0].families[0];
  CU_ASSERT_STRING_EQUAL(f->help, "q\" b\\ n\n t\t c\x01 e\xc3\xa9 s\xf0\x9f\x98\x80 //");
  CU_ASSERT_TRUE(f->opt_in);
  CU_ASSERT_TRUE(f->labels[0].dynamic);
  CU_ASSERT_EQUAL(f->nstates, 2);
  char *once = json_of(&m);
  CU_ASSERT_PTR_NOT_NULL(strstr(once, "\"q\\\" b\\\\ n\\n t\\t c\\u0001 e\xc3\xa9 s"));
  ms_schema again = {0};
  char *diag2 = NULL;
  CU_ASSERT_TRUE_FATAL(read_text(&again, once, &diag2));
  char *twice = json_of(&again);
  CU_ASSERT_STRING_EQUAL(once, twice);
  free(diag);
  free(diag2);
  free(once);
  free(twice);
  ms_free(&m);
  ms_free(&again);
}

static void expect_error(const char *text, const char *want) {
  ms_schema m = {0};
  char *diag = NULL;
  CU_ASSERT_FALSE(read_text(&m, text, &diag));
  if (!strstr(diag, want)) fprintf(stderr, "\nwant '%s' in:\n%s", want, diag);
  CU_ASSERT_PTR_NOT_NULL(strstr(diag, want));
  free(diag);
  ms_free(&m);
}

static void test_json_errors(void) {
  expect_error("", "t.json:1:1: error: empty input");
  expect_error("{\"kinds\": [}", "t.json:1:12: error: invalid JSON");
  expect_error("{\"ksmc_metric_schema\": 2, \"kinds\": []}",
               "t.json:1:24: error: metric schema version 2, this ksmc-gen reads version 1");
  expect_error("{\"ksmc_metric_schema\": 1,\n \"kinds\": [], \"extra\": 1}",
               "t.json:2:15: error: metric schema: unknown key 'extra'");
  expect_error("[]", "t.json:1:1: error: metric schema must be an object");
  expect_error("{\"ksmc_metric_schema\": 1, \"kinds\": [{\"kind\": \"Pod\"}]}",
               "error: kind: missing key 'group'");
  char *bad_type = kind_json("Pod", "", "pods", "true", ", \"type\": \"gauge\"");
  expect_error(bad_type, "duplicate key 'type'");
  free(bad_type);
  char *bad_stab = kind_json("Pod", "", "pods", "1", "");
  expect_error(bad_stab, "namespaced must be true or false");
  free(bad_stab);
  char *nul = kind_json("P\\u0000", "", "pods", "true", "");
  expect_error(nul, "t.json:1:48: error: kind: unsupported \\u escape");
  free(nul);
  expect_error("{\"ksmc_metric_schema\": 1, \"kinds\": [{\"kind\": \"P\\x\"}]}", "invalid JSON");
  expect_error("{} {}", "invalid JSON");
}

static ms_changes diff_of(const char *old_text, const char *new_text) {
  ms_schema a = {0}, b = {0};
  char *d1 = NULL, *d2 = NULL;
  CU_ASSERT_TRUE(read_text(&a, old_text, &d1));
  CU_ASSERT_TRUE(read_text(&b, new_text, &d2));
  ms_changes c = {0};
  ms_diff(&a, &b, &c);
  free(d1);
  free(d2);
  ms_free(&a);
  ms_free(&b);
  return c;
}

static const ms_change *find(const ms_changes *c, const char *code) {
  for (size_t i = 0; i < c->n; i++)
    if (!strcmp(c->v[i].code, code)) return &c->v[i];
  return NULL;
}

static void test_kind_changes(void) {
  char *a = kind_json("Pod", "", "pods", "true", "");
  char *b = kind_json("Pod", "example.io", "podz", "false", "");
  ms_changes c = diff_of(a, b);
  const ms_change *r = find(&c, "resource_renamed");
  CU_ASSERT_TRUE_FATAL(r != NULL);
  CU_ASSERT_EQUAL(r->cls, CH_BREAKING);
  CU_ASSERT_STRING_EQUAL(r->family, "Pod");
  CU_ASSERT_EQUAL(find(&c, "api_changed")->cls, CH_RISKY);
  CU_ASSERT_STRING_EQUAL(find(&c, "api_changed")->new_value, "example.io/v1");
  CU_ASSERT_EQUAL(find(&c, "scope_changed")->cls, CH_RISKY);
  /* the family was renamed with the resource: same help and labels -> likely rename */
  const ms_change *fr = find(&c, "family_renamed");
  CU_ASSERT_TRUE_FATAL(fr != NULL);
  CU_ASSERT_STRING_EQUAL(fr->old_family, "kube_pods_info");
  CU_ASSERT_EQUAL(ms_count(&c).breaking, 2);
  /* allowing the kind accepts every breaking change of it */
  char *allow[] = {"Pod"};
  bool used[1] = {false};
  ms_allow(&c, allow, 1, used);
  CU_ASSERT_TRUE(used[0]);
  CU_ASSERT_EQUAL(ms_count(&c).breaking, 0);
  CU_ASSERT_EQUAL(ms_count(&c).allowed, 2);
  ms_changes_free(&c);
  free(a);
  free(b);
}

static void test_opt_in_and_allow_by_old_name(void) {
  char *a = kind_json("Pod", "", "pods", "true", ", \"opt_in\": true");
  char *b = kind_json("Pod", "", "pods", "true", "");
  ms_changes c = diff_of(a, b);
  CU_ASSERT_EQUAL(c.n, 1);
  CU_ASSERT_STRING_EQUAL(c.v[0].code, "enabled_by_default");
  CU_ASSERT_EQUAL(c.v[0].cls, CH_RISKY);
  ms_changes_free(&c);
  c = diff_of(b, a);
  CU_ASSERT_STRING_EQUAL(c.v[0].code, "made_opt_in");
  char *pattern[] = {"kube_*_info"};
  ms_allow(&c, pattern, 1, NULL);
  CU_ASSERT_TRUE(c.v[0].allowed);
  ms_changes_free(&c);
  free(a);
  free(b);
}

static void test_edit_distance(void) {
  CU_ASSERT_EQUAL(ms_edit_distance("", ""), 0);
  CU_ASSERT_EQUAL(ms_edit_distance("abc", ""), 3);
  CU_ASSERT_EQUAL(ms_edit_distance("kitten", "sitting"), 3);
  CU_ASSERT_EQUAL(ms_edit_distance("Unix creation timestamp", "Unix creation timestamp."), 1);
}

static void test_rbac_groups(void) {
  const char *text =
      "{\"ksmc_metric_schema\": 1, \"kinds\": ["
      "{\"kind\": \"Deployment\", \"group\": \"apps\", \"version\": \"v1\", \"resource\": "
      "\"deployments\", \"namespaced\": true, \"file\": \"specs/deployment.yaml\", \"families\": "
      "[]},"
      "{\"kind\": \"Pod\", \"group\": \"\", \"version\": \"v1\", \"resource\": \"pods\", "
      "\"namespaced\": true, \"file\": \"specs/pod.yaml\", \"families\": []},"
      "{\"kind\": \"CronJob\", \"group\": \"batch\", \"version\": \"v1\", \"resource\": "
      "\"cronjobs\", \"namespaced\": true, \"file\": \"specs/cronjob.yaml\", \"families\": []},"
      "{\"kind\": \"Node\", \"group\": \"\", \"version\": \"v1\", \"resource\": \"nodes\", "
      "\"namespaced\": false, \"file\": \"specs/node.yaml\", \"families\": []},"
      "{\"kind\": \"DaemonSet\", \"group\": \"apps\", \"version\": \"v1\", \"resource\": "
      "\"daemonsets\", \"namespaced\": true, \"file\": \"specs/daemonset.yaml\", \"families\": []},"
      "{\"kind\": \"PodAgain\", \"group\": \"\", \"version\": \"v1\", \"resource\": \"pods\", "
      "\"namespaced\": true, \"file\": \"specs/pod.yaml\", \"families\": []}]}";
  ms_schema m = {0};
  char *diag = NULL;
  CU_ASSERT_TRUE_FATAL(read_text(&m, text, &diag));
  char *out = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&out, &n);
  rbac_emit(&m, "ksmc", mem);
  fclose(mem);
  const char *want = "# Generated by `ksmc-gen rbac` from the compiled specs: do not edit.\n"
                     "#   specs/cronjob.yaml\n"
                     "#   specs/daemonset.yaml\n"
                     "#   specs/deployment.yaml\n"
                     "#   specs/node.yaml\n"
                     "#   specs/pod.yaml\n";
  CU_ASSERT_EQUAL(strncmp(out, want, strlen(want)), 0);
  const char *rules = "rules:\n"
                      "  - apiGroups:\n      - \"\"\n"
                      "    resources:\n      - nodes\n      - pods\n"
                      "    verbs:\n      - list\n      - watch\n"
                      "  - apiGroups:\n      - apps\n"
                      "    resources:\n      - daemonsets\n      - deployments\n"
                      "    verbs:\n      - list\n      - watch\n"
                      "  - apiGroups:\n      - batch\n"
                      "    resources:\n      - cronjobs\n"
                      "    verbs:\n      - list\n      - watch\n";
  const char *at = strstr(out, "rules:");
  CU_ASSERT_TRUE_FATAL(at != NULL);
  if (strcmp(at, rules)) fprintf(stderr, "\ngot:\n%s", at);
  CU_ASSERT_STRING_EQUAL(at, rules);
  free(out);
  free(diag);
  ms_free(&m);
}

static void test_allow_file(void) {
  char path[] = "/tmp/ksmc-allow-XXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_TRUE_FATAL(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("# accepted\n\n  kube_pod_info   # moved\nkube_a kube_b\nkube_node_*\n", f);
  fclose(f);
  char **v = NULL;
  size_t n = 0;
  char *diag = NULL;
  size_t dn = 0;
  FILE *mem = open_memstream(&diag, &dn);
  ksmc_diag d = {mem, 0, 0};
  CU_ASSERT_FALSE(ms_read_allow_file(path, &v, &n, &d));
  fclose(mem);
  char want[256];
  snprintf(want, sizeof want, "%s:4:8: error: one family name or pattern per line", path);
  CU_ASSERT_PTR_NOT_NULL(strstr(diag, want));
  CU_ASSERT_EQUAL(n, 2);
  CU_ASSERT_STRING_EQUAL(v[0], "kube_pod_info");
  CU_ASSERT_STRING_EQUAL(v[1], "kube_node_*");
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
  free(diag);
  remove(path);
}

static const ktest_case cases[] = {{"json round trip", test_json_round_trip},
                                   {"json errors", test_json_errors},
                                   {"kind-level changes", test_kind_changes},
                                   {"opt-in and allow", test_opt_in_and_allow_by_old_name},
                                   {"edit distance", test_edit_distance},
                                   {"rbac groups", test_rbac_groups},
                                   {"allow file", test_allow_file},
                                   {0}};
KTEST_MAIN("schema", cases)
