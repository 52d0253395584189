/* ksmc_labels: SanitizeLabelName, dynamic names, sorting, conflicts, allowlists. */
#include "ksmc_labels.h"
#include "ktest.h"

static void check_name(const char *prefix, const char *key, const char *want) {
  ksmc_buf b = {0};
  ksmc_buf_putc(&b, '{'); /* appends after existing bytes */
  ksmc_label_dynamic_name(&b, prefix, key, strlen(key));
  CU_ASSERT_EQUAL(b.p[0], '{');
  KTEST_ASSERT_BYTES(b.p + 1, b.n - 1, want);
  ksmc_buf_free(&b);
}

static void check_sanitize(const char *s, size_t n, const char *want) {
  ksmc_buf b = {0};
  ksmc_buf_putc(&b, '{'); /* appends after existing bytes (and p is never NULL) */
  ksmc_label_sanitize(&b, s, n);
  KTEST_ASSERT_BYTES(b.p + 1, b.n - 1, want);
  ksmc_buf_free(&b);
}

#define SAN(lit, want) check_sanitize(lit, sizeof(lit) - 1, want)

static void test_sanitize(void) {
  SAN("ephemeral-storage", "ephemeral_storage");
  SAN("hugepages-2Mi", "hugepages_2Mi"); /* no snake case, no lowercasing */
  SAN("nvidia.com/gpu", "nvidia_com_gpu");
  SAN("h\xc3\xa9llo", "h_llo");   /* one rune, one `_` */
  SAN("\xf0\x9f\x98\x80x", "_x"); /* 4-byte rune */
  SAN("a\xff\xfe"
      "b",
      "a__b");             /* each invalid byte */
  SAN("\xe2\x82z", "__z"); /* truncated sequence: 2 invalid bytes */
  SAN("\xc0\xaf", "__");   /* overlong */
  SAN("a\0b", "a_b");
  SAN("", "");
  SAN("AZaz09_", "AZaz09_");
}

static void test_doc_examples(void) {
  check_name("label", "app.kubernetes.io/name", "label_app_kubernetes_io_name");
  check_name("label", "fooBar", "label_foo_bar");
  check_name("label", "FooBar", "label_foo_bar");
  check_name("label", "foo-Bar", "label_foo_bar");
  check_name("label", "aBC", "label_a_bc");
  check_name("label", "camelCaseKEYName", "label_camel_case_keyname");
  check_name("label", "a1B", "label_a1_b");
  check_name("label", "h\xc3\xa9llo", "label_h_llo");
  check_name("label", "__x", "label___x");
  check_name("label", "9abc", "label_9abc");
  check_name("annotation", "kubernetes.io/change-cause", "annotation_kubernetes_io_change_cause");
  check_name("nodeselector", "kubernetes.io/os", "nodeselector_kubernetes_io_os");
}

static void test_snake_edges(void) {
  check_name("label", "", "label_");
  check_name("label", "A", "label_a");
  check_name("label", "aB", "label_a_b");
  check_name("label", "aBcD", "label_a_bc_d");
  check_name("label", "ABC", "label_abc");
  check_name("label", "a_B", "label_a_b"); /* `_` is not [a-z0-9] */
  check_name("label",
             "\xc3\xa9"
             "B",
             "label__b"); /* sanitized `_` then B: no insert */
  check_name("label", "x9Y8Z", "label_x9_y8_z");
}

static void test_sort(void) {
  ksmc_kv kv[] = {{KSMC_LIT("a"), KSMC_LIT("1")},  {KSMC_LIT("_x"), KSMC_LIT("2")},
                  {KSMC_LIT("Z"), KSMC_LIT("3")},  {KSMC_LIT("B"), KSMC_LIT("4")},
                  {KSMC_LIT("ab"), KSMC_LIT("5")}, {KSMC_LIT("\xc3\xa9"), KSMC_LIT("6")},
                  {KSMC_LIT("a.b"), KSMC_LIT("7")}};
  ksmc_kv_sort(kv, 7);
  const char *want[] = {"B", "Z", "_x", "a", "a.b", "ab", "\xc3\xa9"};
  for (int i = 0; i < 7; i++) KTEST_ASSERT_BYTES(kv[i].key.p, kv[i].key.n, want[i]);
  ksmc_kv_sort(kv, 0); /* no-op */
}

static void check_dynamic(const char *prefix, ksmc_kv *kv, size_t n, const char *want) {
  ksmc_buf out = {0}, scratch = {0};
  ksmc_buf_puts(&out, KSMC_LIT("{pod=\"p\""));
  ksmc_kv_sort(kv, n);
  ksmc_labels_write_dynamic(&out, prefix, kv, n, &scratch);
  CU_ASSERT_FALSE(ksmc_buf_failed(&out));
  KTEST_ASSERT_BYTES(out.p, out.n, want);
  /* the scratch buffer is reusable: a second call gives the same bytes */
  ksmc_buf_reset(&out);
  ksmc_buf_puts(&out, KSMC_LIT("{pod=\"p\""));
  ksmc_labels_write_dynamic(&out, prefix, kv, n, &scratch);
  KTEST_ASSERT_BYTES(out.p, out.n, want);
  ksmc_buf_free(&out);
  ksmc_buf_free(&scratch);
}

static void test_write_dynamic(void) {
  ksmc_kv kv[] = {{KSMC_LIT("team"), KSMC_LIT("a\"b")},
                  {KSMC_LIT("app.kubernetes.io/name"), KSMC_LIT("web\nx")}};
  check_dynamic("label", kv, 2,
                "{pod=\"p\",label_app_kubernetes_io_name=\"web\\nx\",label_team=\"a\\\"b\"");
  check_dynamic("label", kv, 0, "{pod=\"p\"");
  ksmc_kv empty[] = {{KSMC_LIT("k"), KSMC_LIT("")}};
  check_dynamic("annotation", empty, 1, "{pod=\"p\",annotation_k=\"\"");
}

static void test_conflicts(void) {
  /* doc example */
  ksmc_kv kv[] = {{KSMC_LIT("foo_bar"), KSMC_LIT("2")},
                  {KSMC_LIT("fooBar"), KSMC_LIT("3")},
                  {KSMC_LIT("foo.bar"), KSMC_LIT("1")}};
  check_dynamic("label", kv, 3,
                "{pod=\"p\",label_foo_bar_conflict1=\"1\",label_foo_bar_conflict2=\"3\","
                "label_foo_bar_conflict3=\"2\"");
  /* two conflicts and an unrelated label in between keep their places */
  ksmc_kv kv2[] = {{KSMC_LIT("a-b"), KSMC_LIT("1")},
                   {KSMC_LIT("a_a"), KSMC_LIT("x")},
                   {KSMC_LIT("a_b"), KSMC_LIT("2")}};
  check_dynamic("label", kv2, 3,
                "{pod=\"p\",label_a_b_conflict1=\"1\",label_a_a=\"x\",label_a_b_conflict2=\"2\"");
}

static void test_conflict_next_free(void) {
  /* "a-b_conflict1" sorts first and takes label_a_b_conflict1, so the a.b/a_b conflict
   * advances to the next free numbers. */
  ksmc_kv kv[] = {{KSMC_LIT("a-b_conflict1"), KSMC_LIT("0")},
                  {KSMC_LIT("a.b"), KSMC_LIT("1")},
                  {KSMC_LIT("a_b"), KSMC_LIT("2")}};
  check_dynamic("label", kv, 3,
                "{pod=\"p\",label_a_b_conflict1=\"0\",label_a_b_conflict2=\"1\","
                "label_a_b_conflict3=\"2\"");
  /* a later key whose own name is already taken by a renamed label */
  ksmc_kv kv2[] = {{KSMC_LIT("a.b"), KSMC_LIT("1")},
                   {KSMC_LIT("a_b"), KSMC_LIT("2")},
                   {KSMC_LIT("a_b_conflict1"), KSMC_LIT("3")}};
  check_dynamic("label", kv2, 3,
                "{pod=\"p\",label_a_b_conflict1=\"1\",label_a_b_conflict2=\"2\","
                "label_a_b_conflict1_conflict1=\"3\"");
}

static void test_many_labels(void) {
  enum { N = 300 };
  static char keys[N][16];
  ksmc_kv kv[N];
  for (int i = 0; i < N; i++) {
    snprintf(keys[i], sizeof keys[i], "k%03d", N - 1 - i);
    kv[i].key = (ksmc_slice){keys[i], strlen(keys[i])};
    kv[i].value = KSMC_LIT("v");
  }
  ksmc_buf out = {0}, scratch = {0};
  ksmc_kv_sort(kv, N);
  ksmc_labels_write_dynamic(&out, "label", kv, N, &scratch);
  CU_ASSERT_EQUAL(out.n, (size_t)N * strlen(",label_k000=\"v\""));
  CU_ASSERT_EQUAL(memcmp(out.p, ",label_k000=\"v\",label_k001=", 27), 0);
  ksmc_buf_free(&out);
  ksmc_buf_free(&scratch);
}

static void check_parse_err(const char *flag, const char *needle) {
  ksmc_allowlist al = {0};
  char err[256] = "";
  CU_ASSERT_FALSE(ksmc_allowlist_parse(&al, flag, err, sizeof err));
  if (!strstr(err, needle))
    fprintf(stderr, "\n  flag [%s]: error [%s] lacks [%s]", flag, err, needle);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
  CU_ASSERT_EQUAL(al.n, 0);
  ksmc_allowlist_free(&al);
}

static void test_allowlist_parse(void) {
  ksmc_allowlist al = {0};
  char err[256];
  CU_ASSERT_TRUE(
      ksmc_allowlist_parse(&al, "pods=[app, team ,*],nodes=[*], jobs=[]", err, sizeof err));
  CU_ASSERT_EQUAL(al.n, 3);
  CU_ASSERT_STRING_EQUAL(al.entries[0].resource, "pods");
  CU_ASSERT_EQUAL(al.entries[0].npatterns, 3);
  CU_ASSERT_STRING_EQUAL(al.entries[0].patterns[1], "team");
  CU_ASSERT_STRING_EQUAL(al.entries[2].resource, "jobs");
  CU_ASSERT_EQUAL(al.entries[2].npatterns, 0);
  /* last flag wins: the map is replaced */
  CU_ASSERT_TRUE(ksmc_allowlist_parse(&al, "services=[x]", err, sizeof err));
  CU_ASSERT_EQUAL(al.n, 1);
  CU_ASSERT_STRING_EQUAL(al.entries[0].resource, "services");
  /* a failed parse leaves the previous value */
  CU_ASSERT_FALSE(ksmc_allowlist_parse(&al, "pods=app", err, sizeof err));
  CU_ASSERT_EQUAL(al.n, 1);
  /* the same resource twice: the later one wins */
  CU_ASSERT_TRUE(ksmc_allowlist_parse(&al, "pods=[a],pods=[b,c]", err, sizeof err));
  CU_ASSERT_EQUAL(al.n, 1);
  CU_ASSERT_EQUAL(al.entries[0].npatterns, 2);
  CU_ASSERT_TRUE(ksmc_allowlist_parse(&al, "", err, sizeof err));
  CU_ASSERT_EQUAL(al.n, 0);
  ksmc_allowlist_free(&al);
  ksmc_allowlist_free(&al); /* idempotent */
}

static void test_allowlist_errors(void) {
  check_parse_err("pods", "pods");
  check_parse_err("pods=app", "pods");
  check_parse_err("pods= [app]", "pods");
  check_parse_err("pods=[app", "pods=[app");
  check_parse_err("=[app]", "=[app]");
  check_parse_err("pods=[a]x", "x");
  check_parse_err("pods=[a],nodes", "nodes");
  check_parse_err("pods=[a*b*c]", "a*b*c");
}

static void test_allowlist_for(void) {
  ksmc_allowlist al = {0};
  char err[256];
  CU_ASSERT_TRUE(ksmc_allowlist_parse(&al, "pods=[app],nodes=[]", err, sizeof err));
  const ksmc_allowlist_entry *e = ksmc_allowlist_for(&al, "pods");
  CU_ASSERT_PTR_NOT_NULL(e);
  CU_ASSERT_PTR_NULL(ksmc_allowlist_for(&al, "nodes")); /* empty list: zero samples */
  CU_ASSERT_PTR_NULL(ksmc_allowlist_for(&al, "jobs"));
  CU_ASSERT_TRUE(ksmc_allowlist_parse(&al, "pods=[app],*=[team]", err, sizeof err));
  e = ksmc_allowlist_for(&al, "pods"); /* "*" wins over the explicit entry */
  CU_ASSERT_PTR_NOT_NULL(e);
  CU_ASSERT_STRING_EQUAL(e->patterns[0], "team");
  CU_ASSERT_PTR_NOT_NULL(ksmc_allowlist_for(&al, "jobs"));
  CU_ASSERT_TRUE(ksmc_allowlist_parse(&al, "*=[],pods=[app]", err, sizeof err));
  CU_ASSERT_PTR_NULL(ksmc_allowlist_for(&al, "pods"));
  ksmc_allowlist_free(&al);
}

static bool match(const ksmc_allowlist_entry *e, const char *key) {
  return ksmc_allowlist_match(e, key, strlen(key));
}

static void test_allowlist_match(void) {
  ksmc_allowlist al = {0};
  char err[256];
  CU_ASSERT_TRUE(ksmc_allowlist_parse(
      &al, "pods=[app,team.*,*.io/name,a*z,*],nodes=[*,x],jobs=[*suffix,prefix*]", err,
      sizeof err));
  const ksmc_allowlist_entry *p = ksmc_allowlist_for(&al, "pods");
  CU_ASSERT_TRUE(match(p, "app"));
  CU_ASSERT_FALSE(match(p, "app2")); /* exact */
  CU_ASSERT_FALSE(match(p, "ap"));
  CU_ASSERT_TRUE(match(p, "team.x"));
  CU_ASSERT_TRUE(match(p, "team."));
  CU_ASSERT_FALSE(match(p, "myteam.x")); /* anchored */
  CU_ASSERT_TRUE(match(p, "app.kubernetes.io/name"));
  CU_ASSERT_FALSE(match(p, "app.kubernetes.io/name2"));
  CU_ASSERT_TRUE(match(p, "az"));
  CU_ASSERT_TRUE(match(p, "abcz"));
  CU_ASSERT_FALSE(match(p, "a"));     /* prefix and suffix may not overlap */
  CU_ASSERT_FALSE(match(p, "a\nz"));  /* RE2 `.` does not match LF */
  CU_ASSERT_FALSE(match(p, "other")); /* "*" not first: ignored */
  const ksmc_allowlist_entry *n = ksmc_allowlist_for(&al, "nodes");
  CU_ASSERT_TRUE(match(n, "anything"));
  CU_ASSERT_TRUE(match(n, ""));
  const ksmc_allowlist_entry *j = ksmc_allowlist_for(&al, "jobs");
  CU_ASSERT_TRUE(match(j, "the-suffix"));
  CU_ASSERT_TRUE(match(j, "prefix-x"));
  CU_ASSERT_FALSE(match(j, "suffix-no"));
  CU_ASSERT_FALSE(ksmc_allowlist_match(NULL, "x", 1));
  ksmc_allowlist_free(&al);
}

static const ktest_case cases[] = {{"sanitize", test_sanitize},
                                   {"doc examples", test_doc_examples},
                                   {"snake case edges", test_snake_edges},
                                   {"sort", test_sort},
                                   {"write dynamic", test_write_dynamic},
                                   {"conflicts", test_conflicts},
                                   {"conflict next free", test_conflict_next_free},
                                   {"many labels", test_many_labels},
                                   {"allowlist parse", test_allowlist_parse},
                                   {"allowlist errors", test_allowlist_errors},
                                   {"allowlist for", test_allowlist_for},
                                   {"allowlist match", test_allowlist_match},
                                   {0}};
KTEST_MAIN("ksmc_labels", cases)
