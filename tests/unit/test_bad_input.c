/* Bad input: objects no API server should send, rendered by the generated serializers.
 *
 * Invalid UTF-8, multi-megabyte labels and annotations, 100k-level nesting, numbers out
 * of range, duplicate keys, truncated JSON, non-object roots and objects of the wrong
 * kind are either rendered safely (escaped, clamped) or skipped with an error code and a
 * message -- never a crash, a stack overflow or a malformed exposition line. Every
 * rendered byte goes through the strict line checker of tests/fuzz/ksmc_expo_lint.h
 * (samples only, each of its own family, valid escapes and UTF-8, no repeated label). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../runtime/cli/ksmc_input.h"
#include "../fuzz/ksmc_expo_lint.h"
#include "ksmc_err.h"
#include "ksmc_fmt.h"
#include "ksmc_render.h"
#include "ksmc_time.h"
#include "ktest.h"

typedef struct {
  ksmc_allowlist labels, annotations;
  ksmc_render_ctx ctx;
} renderer;

/* A renderer for `resource` with allowlists "*" for labels and annotations. */
static void renderer_init(renderer *r, const char *resource) {
  memset(r, 0, sizeof *r);
  char err[128];
  CU_ASSERT_TRUE_FATAL(ksmc_allowlist_parse(&r->labels, "*=[*]", err, sizeof err));
  CU_ASSERT_TRUE_FATAL(ksmc_allowlist_parse(&r->annotations, "*=[*]", err, sizeof err));
  const ksmc_kind_desc *k = ksmc_kind_find(resource);
  CU_ASSERT_PTR_NOT_NULL_FATAL(k);
  ksmc_render_opts o = {.kind = k,
                        .labels_allow = ksmc_allowlist_for(&r->labels, resource),
                        .annotations_allow = ksmc_allowlist_for(&r->annotations, resource)};
  CU_ASSERT_EQUAL_FATAL(ksmc_render_ctx_init(&r->ctx, &o), KSMC_OK);
}

static void renderer_free(renderer *r) {
  ksmc_render_ctx_free(&r->ctx);
  ksmc_allowlist_free(&r->labels);
  ksmc_allowlist_free(&r->annotations);
}

/* Every family's bytes pass the line checker. Returns false (and says why) if not. */
static bool output_valid(const ksmc_render_ctx *ctx) {
  const ksmc_kind_desc *k = ctx->opts.kind;
  for (size_t i = 0; i < k->nfamilies; i++) {
    uint32_t s = ksmc_render_fam_start(ctx, i), e = ctx->fam_end[i];
    const char *out = ctx->out.p ? ctx->out.p : ""; /* no sample at all: nothing allocated */
    size_t bad = 0;
    const char *why = ksmc_lint_text(out + s, e - s, true, k->families[i].name, &bad);
    if (why) {
      size_t from = s + bad, show = e - from < 120 ? e - from : 120;
      fprintf(stderr, "\n  %s: %s: [%.*s]\n", k->families[i].name, why, (int)show, out + from);
      return false;
    }
  }
  return ctx->out.n == (ctx->opts.kind->nfamilies ? ctx->fam_end[k->nfamilies - 1] : 0);
}

/* Renders json; returns the result code after checking the contract: KSMC_OK with
 * valid exposition, or an error with a message and no output. */
static int render(renderer *r, const char *json, size_t len) {
  int rc = ksmc_render_object(&r->ctx, json, len);
  if (rc == KSMC_OK) {
    CU_ASSERT_TRUE(output_valid(&r->ctx));
  } else {
    CU_ASSERT_TRUE(rc > KSMC_OK && rc <= KSMC_E_NO_UID);
    CU_ASSERT_TRUE(r->ctx.err[0] != '\0');
    CU_ASSERT_EQUAL(r->ctx.out.n, 0);
  }
  return rc;
}

static int render_s(renderer *r, const char *json) { return render(r, json, strlen(json)); }

/* The output holds `needle`. */
static bool out_has(const renderer *r, const char *needle) {
  size_t n = strlen(needle);
  if (r->ctx.out.n < n) return false;
  for (size_t i = 0; i + n <= r->ctx.out.n; i++)
    if (!memcmp(r->ctx.out.p + i, needle, n)) return true;
  return false;
}

/* ---- invalid UTF-8 --------------------------------------------------------------- */

static void test_invalid_utf8(void) {
  renderer r;
  renderer_init(&r, "pods");
  /* Raw invalid bytes (lone continuation, overlong, surrogate, > U+10FFFF, truncated) in
   * values and keys, plus escaped lone surrogates. */
  const char *pod = "{\"metadata\":{\"name\":\"p\x80\xC0\xAF\",\"namespace\":\"n\xED\xA0\x80\","
                    "\"uid\":\"u\xF4\x90\x80\x80\","
                    "\"labels\":{\"k\xFF\":\"v\xE2\x82\",\"ok\":\"\\ud800x\\udc00\"},"
                    "\"annotations\":{\"a\xC3\":\"\xF0\x9F\x98\"}},"
                    "\"spec\":{\"nodeName\":\"\xFE\xFF\",\"containers\":[{\"name\":\"c\x80\","
                    "\"image\":\"i\\u0000\\n\\\"\"}]},"
                    "\"status\":{\"phase\":\"Running\xC0\",\"reason\":\"\\udfff\"}}";
  CU_ASSERT_EQUAL(render_s(&r, pod), KSMC_OK);
  /* Invalid bytes become U+FFFD (Go's encoding/json). */
  CU_ASSERT_TRUE(out_has(&r, "pod=\"p\xEF\xBF\xBD"));
  renderer_free(&r);

  renderer_init(&r, "nodes");
  CU_ASSERT_EQUAL(
      render_s(&r, "{\"metadata\":{\"name\":\"\x80\",\"uid\":\"u\",\"labels\":{\"\x80\":\"\xFF\"}},"
                   "\"status\":{\"nodeInfo\":{\"kernelVersion\":\"\xC1\xBF\"}}}"),
      KSMC_OK);
  renderer_free(&r);
}

/* ---- enormous labels and annotations ------------------------------------------- */

static void test_enormous_labels(void) {
  renderer r;
  renderer_init(&r, "pods");
  ksmc_buf j = {0};
  ksmc_buf_puts(
      &j,
      KSMC_LIT("{\"metadata\":{\"name\":\"big\",\"namespace\":\"n\",\"uid\":\"u\",\"labels\":{"));
  /* One 4 MB value full of characters that need escaping, one 1 MB key, 20000 labels. */
  ksmc_buf_puts(&j, KSMC_LIT("\"huge\":\""));
  for (size_t i = 0; i < (4u << 20) / 4; i++) ksmc_buf_puts(&j, KSMC_LIT("a\\\"\\n"));
  ksmc_buf_puts(&j, KSMC_LIT("\",\""));
  for (size_t i = 0; i < (1u << 20); i++) ksmc_buf_putc(&j, i % 7 ? 'k' : '.');
  ksmc_buf_puts(&j, KSMC_LIT("\":\"x\""));
  for (int i = 0; i < 20000; i++) {
    char kv[64];
    int n = snprintf(kv, sizeof kv, ",\"l%d\":\"v%d\"", i, i);
    ksmc_buf_put(&j, kv, (size_t)n);
  }
  ksmc_buf_puts(&j, KSMC_LIT("},\"annotations\":{\"big\":\""));
  for (size_t i = 0; i < (2u << 20) / 3; i++) ksmc_buf_puts(&j, KSMC_LIT("z\xC3\xA9"));
  ksmc_buf_puts(&j, KSMC_LIT("\"}}}"));
  CU_ASSERT_FALSE_FATAL(ksmc_buf_failed(&j));
  CU_ASSERT_EQUAL(render(&r, j.p, j.n), KSMC_OK);
  CU_ASSERT_TRUE(out_has(&r, "label_huge=\"a\\\"\\na\\\"\\n"));
  CU_ASSERT_TRUE(out_has(&r, "label_l19999=\"v19999\""));
  CU_ASSERT_TRUE(r.ctx.out.n > (6u << 20));
  ksmc_buf_free(&j);
  renderer_free(&r);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Tens of thousands of labels (an object within the API server's 1.5 MB limit can carry
 * them) render in time linear in their number: naming them used to compare every label
 * with every earlier one, 50 s for 50k labels. Half the keys collide after sanitizing and
 * some look like the _conflictN names the collisions produce. */
static void test_many_labels(void) {
  renderer r;
  renderer_init(&r, "pods");
  ksmc_buf j = {0};
  ksmc_buf_puts(
      &j,
      KSMC_LIT("{\"metadata\":{\"name\":\"many\",\"namespace\":\"n\",\"uid\":\"u\",\"labels\":{"));
  for (int i = 0; i < 100000; i++) {
    char kv[96];
    int n = i % 4 == 0   ? snprintf(kv, sizeof kv, "\"c.%d\":\"1\",", i / 4)
            : i % 4 == 1 ? snprintf(kv, sizeof kv, "\"c-%d\":\"2\",", i / 4)
            : i % 4 == 2 ? snprintf(kv, sizeof kv, "\"c_%d_conflict1\":\"3\",", i / 4)
                         : snprintf(kv, sizeof kv, "\"plain%d\":\"4\",", i);
    ksmc_buf_put(&j, kv, (size_t)n);
  }
  ksmc_buf_puts(&j, KSMC_LIT("\"z\":\"\"}}}"));
  double t0 = now_s();
  CU_ASSERT_EQUAL(render(&r, j.p, j.n), KSMC_OK);
  double took = now_s() - t0;
  if (took > 10) fprintf(stderr, "\n  100k labels took %.1f s\n", took);
  CU_ASSERT_TRUE(took < 10);
  CU_ASSERT_TRUE(out_has(&r, "label_c_7_conflict1=\""));
  CU_ASSERT_TRUE(out_has(&r, "label_plain99999=\"4\""));
  ksmc_buf_free(&j);
  renderer_free(&r);
}

/* ---- deep nesting ------------------------------------------------------------------ */

typedef struct {
  const char *json;
  size_t len;
  const char *resource;
  int rc;
} deep_job;

static void *deep_render(void *arg) {
  deep_job *d = arg;
  renderer r;
  renderer_init(&r, d->resource);
  d->rc = render(&r, d->json, d->len);
  renderer_free(&r);
  return NULL;
}

/* Renders on a thread with a 256 KiB stack: a parser that recursed once per level would
 * need megabytes for 100k levels and crash here. */
static int render_small_stack(const char *resource, const char *json, size_t len) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 256 * 1024);
  deep_job d = {json, len, resource, -1};
  pthread_t t;
  CU_ASSERT_EQUAL_FATAL(pthread_create(&t, &a, deep_render, &d), 0);
  pthread_join(t, NULL);
  pthread_attr_destroy(&a);
  return d.rc;
}

/* `{"metadata":{...},"<where>":` + levels of open + "1" + close + `}`. */
static void nested(ksmc_buf *b, const char *where, size_t levels, const char *open,
                   const char *close) {
  ksmc_buf_reset(b);
  ksmc_buf_puts(b,
                KSMC_LIT("{\"metadata\":{\"name\":\"deep\",\"namespace\":\"n\",\"uid\":\"u\"},\""));
  ksmc_buf_put(b, where, strlen(where));
  ksmc_buf_puts(b, KSMC_LIT("\":"));
  for (size_t i = 0; i < levels; i++) ksmc_buf_put(b, open, strlen(open));
  ksmc_buf_putc(b, '1');
  for (size_t i = 0; i < levels; i++) ksmc_buf_put(b, close, strlen(close));
  ksmc_buf_putc(b, '}');
}

static void count_object(void *user, const char *doc, size_t off, size_t len) {
  (void)doc, (void)off, (void)len;
  ++*(size_t *)user;
}

static void ignore_error(void *user, size_t off, const char *msg) {
  (void)user, (void)off, (void)msg;
}

static void test_deep_nesting(void) {
  ksmc_buf b = {0};
  /* An unknown member, 100k arrays and 100k objects deep: skipped, the rest renders. */
  nested(&b, "x", 100000, "[", "]");
  CU_ASSERT_EQUAL(render_small_stack("pods", b.p, b.n), KSMC_OK);
  nested(&b, "x", 100000, "{\"a\":", "}");
  CU_ASSERT_EQUAL(render_small_stack("pods", b.p, b.n), KSMC_OK);
  /* Inside fields the serializer reads: spec, status, a container, a label value. */
  nested(&b, "spec", 100000, "{\"containers\":[", "]}");
  int rc = render_small_stack("pods", b.p, b.n);
  CU_ASSERT_TRUE(rc == KSMC_OK || rc == KSMC_E_JSON);
  nested(&b, "status", 100000, "{\"conditions\":[{\"type\":", "}]}");
  rc = render_small_stack("pods", b.p, b.n);
  CU_ASSERT_TRUE(rc == KSMC_OK || rc == KSMC_E_JSON);
  nested(&b, "status", 100000, "{\"capacity\":", "}");
  rc = render_small_stack("nodes", b.p, b.n);
  CU_ASSERT_TRUE(rc == KSMC_OK || rc == KSMC_E_JSON);
  /* Unbalanced: 100k opens, no closes. */
  ksmc_buf_reset(&b);
  for (size_t i = 0; i < 100000; i++) ksmc_buf_puts(&b, KSMC_LIT("{\"a\":["));
  CU_ASSERT_EQUAL(render_small_stack("pods", b.p, b.n), KSMC_E_JSON);
  /* ksmc render's input splitter on the same shapes. */
  nested(&b, "x", 100000, "[", "]");
  size_t objects = 0;
  CU_ASSERT_EQUAL(ksmc_input_objects(b.p, b.n, count_object, ignore_error, &objects), 0);
  CU_ASSERT_EQUAL(objects, 1);
  ksmc_buf_reset(&b);
  for (size_t i = 0; i < 100000; i++) ksmc_buf_puts(&b, KSMC_LIT("{\"items\":["));
  CU_ASSERT_EQUAL(ksmc_input_objects(b.p, b.n, count_object, ignore_error, &objects), 1);
  /* A value closed by the other kind of bracket is not an object (fuzz_input found
   * `{...]` handed out as one). */
  objects = 0;
  static const char mismatched[] = "{\"a\":[1}]\n{\"items\":[{\"b\":1]]}\n{\"ok\":{}}\n";
  CU_ASSERT_EQUAL(
      ksmc_input_objects(mismatched, sizeof mismatched - 1, count_object, ignore_error, &objects),
      2);
  CU_ASSERT_EQUAL(objects, 1);
  ksmc_buf_free(&b);
}

/* ---- numbers out of range ------------------------------------------------------------ */

static void test_numbers_out_of_range(void) {
  renderer r;
  renderer_init(&r, "pods");
  static const char *const nums[] = {"1e400",
                                     "-1e400",
                                     "-0",
                                     "1e-400",
                                     "123456789012345678901234567890",
                                     "-9223372036854775809",
                                     "9223372036854775808",
                                     "4294967296",
                                     "1.7976931348623157e308",
                                     "0.000000000000000000001",
                                     "-0.0",
                                     "1E+2"};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    char json[1024];
    snprintf(
        json, sizeof json,
        "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\",\"generation\":%s,"
        "\"creationTimestamp\":\"2020-01-01T00:00:00Z\",\"deletionGracePeriodSeconds\":%s},"
        "\"spec\":{\"priority\":%s,\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":"
        "{\"cpu\":\"%se\",\"memory\":%s}}}]},"
        "\"status\":{\"containerStatuses\":[{\"name\":\"c\",\"restartCount\":%s,\"ready\":true,"
        "\"lastState\":{\"terminated\":{\"exitCode\":%s,\"reason\":\"OOMKilled\"}}}]}}",
        nums[i], nums[i], nums[i], nums[i], nums[i], nums[i], nums[i]);
    int rc = render_s(&r, json);
    if (rc != KSMC_OK) fprintf(stderr, "\n  %s: %s\n", nums[i], r.ctx.err);
    CU_ASSERT_TRUE(rc == KSMC_OK || rc == KSMC_E_JSON);
  }
  /* Quantities and timestamps out of range: clamped or dropped, never malformed. */
  static const char *const qty[] = {
      "1e400",  "99999999999999999999999999Ei",   "-1e400",
      "1e-400", "0.0000000000000000000000000001", "9223372036854775808"};
  renderer_free(&r);
  renderer_init(&r, "nodes");
  for (size_t i = 0; i < sizeof qty / sizeof qty[0]; i++) {
    char json[512];
    snprintf(json, sizeof json,
             "{\"metadata\":{\"name\":\"n\",\"uid\":\"u\",\"creationTimestamp\":\"99999-01-01T00:"
             "00:00Z\"},"
             "\"status\":{\"capacity\":{\"cpu\":\"%s\",\"memory\":\"%s\",\"pods\":\"%s\"},"
             "\"allocatable\":{\"cpu\":\"%s\"}}}",
             qty[i], qty[i], qty[i], qty[i]);
    CU_ASSERT_EQUAL(render_s(&r, json), KSMC_OK);
  }
  renderer_free(&r);
}

/* ---- duplicate keys: Go's encoding/json keeps the last ------------------------------- */

static void test_duplicate_keys(void) {
  renderer r;
  renderer_init(&r, "pods");
  CU_ASSERT_EQUAL(
      render_s(&r, "{\"metadata\":{\"name\":\"first\",\"namespace\":\"n\",\"uid\":\"u\","
                   "\"name\":\"last\",\"labels\":{\"app\":\"a\",\"app\":\"b\",\"x\":\"1\"},"
                   "\"labels\":{\"app\":\"c\",\"app\":\"d\"}},"
                   "\"status\":{\"phase\":\"Pending\"},\"status\":{\"phase\":\"Running\"}}"),
      KSMC_OK);
  CU_ASSERT_TRUE(out_has(&r, "pod=\"last\""));
  CU_ASSERT_FALSE(out_has(&r, "pod=\"first\""));
  CU_ASSERT_TRUE(out_has(&r, "label_app=\"d\""));
  CU_ASSERT_FALSE(out_has(&r, "label_app=\"a\""));
  /* (A repeated object member replaces the earlier one as a whole; Go would merge the two
   * maps and keep x. The API server never sends repeated keys.) */
  CU_ASSERT_TRUE(out_has(&r, "phase=\"Running\"} 1"));
  /* Keys that differ but sanitize to one label name get _conflictN, never a repeat. */
  CU_ASSERT_EQUAL(
      render_s(&r, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\","
                   "\"labels\":{\"a.b\":\"1\",\"a-b\":\"2\",\"a_b\":\"3\",\"a/b\":\"4\"}}}"),
      KSMC_OK);
  renderer_free(&r);
}

/* ---- escaped keys: matched after decoding, like any key ------------------------------ */

/* A pod whose keys exercise every walker of pods.yaml: keys of 1 to 21 bytes (the key
 * scanner has a 16-byte fast step), map keys (labels, annotations, resource names). */
static const char escaped_keys_pod[] =
    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\","
    "\"uid\":\"u\",\"resourceVersion\":\"7\",\"creationTimestamp\":\"2024-01-02T03:04:05Z\","
    "\"deletionTimestamp\":\"2024-01-03T03:04:05Z\",\"labels\":{\"app\":\"a\",\"a/b\":\"c\"},"
    "\"annotations\":{\"note\":\"x\"},\"managedFields\":[{\"manager\":\"m\",\"fieldsV1\":"
    "{\"f:spec\":{\"f:containers\":{}}}}],\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
    "\"kind\":\"ReplicaSet\",\"name\":\"rs\",\"uid\":\"o\",\"controller\":true}]},"
    "\"spec\":{\"nodeName\":\"node-1\",\"priorityClassName\":\"high\",\"serviceAccountName\":"
    "\"sa\",\"schedulerName\":\"default-scheduler\",\"restartPolicy\":\"Always\","
    "\"hostNetwork\":true,\"runtimeClassName\":\"rc\",\"overhead\":{\"cpu\":\"10m\"},"
    "\"nodeSelector\":{\"disk\":\"ssd\"},\"containers\":[{\"name\":\"c\",\"image\":\"img:1\","
    "\"env\":[{\"name\":\"E\",\"value\":\"v\"}],\"resources\":{\"requests\":{\"cpu\":\"100m\","
    "\"memory\":\"128Mi\"},\"limits\":{\"cpu\":\"1\",\"nvidia.com/gpu\":\"2\"}}}],"
    "\"initContainers\":[{\"name\":\"i\",\"image\":\"init:1\"}],\"volumes\":[{\"name\":\"v\","
    "\"persistentVolumeClaim\":{\"claimName\":\"pvc\",\"readOnly\":true}}],\"tolerations\":"
    "[{\"key\":\"k\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\",\"tolerationSeconds\":5}]},"
    "\"status\":{\"phase\":\"Running\",\"qosClass\":\"Burstable\",\"hostIP\":\"10.0.0.1\","
    "\"podIP\":\"10.1.0.2\",\"podIPs\":[{\"ip\":\"10.1.0.2\"}],\"startTime\":"
    "\"2024-01-02T03:04:06Z\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
    "\"lastTransitionTime\":\"2024-01-02T03:04:07Z\"}],\"containerStatuses\":[{\"name\":\"c\","
    "\"image\":\"img:1\",\"imageID\":\"id\",\"containerID\":\"containerd://x\",\"ready\":true,"
    "\"started\":true,\"restartCount\":2,\"state\":{\"running\":{\"startedAt\":"
    "\"2024-01-02T03:04:08Z\"}},\"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":"
    "\"Error\",\"finishedAt\":\"2024-01-02T03:04:09Z\"}}}],\"initContainerStatuses\":[{\"name\":"
    "\"i\",\"ready\":false,\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":0,"
    "\"reason\":\"Completed\"}}},{\"name\":\"j\",\"state\":{\"waiting\":{\"reason\":"
    "\"PodInitializing\"}}}]}}";

/* json with one byte of every key written as a \u00XX escape (the first, middle or last
 * byte, in turn) and, when `blanks`, whitespace around every key and colon. */
static void escape_keys(ksmc_buf *out, const char *json, bool blanks) {
  size_t n = strlen(json), nkey = 0;
  for (size_t i = 0; i < n; i++) {
    if (json[i] != '"') {
      ksmc_buf_putc(out, json[i]);
      continue;
    }
    size_t e = i + 1;
    while (json[e] != '"') e += json[e] == '\\' ? 2 : 1;
    if (json[e + 1] != ':') { /* a value: as it is */
      ksmc_buf_put(out, json + i, e + 1 - i);
      i = e;
      continue;
    }
    size_t len = e - i - 1, pick = nkey % 3 == 0 ? 0 : nkey % 3 == 1 ? len / 2 : len - 1;
    nkey++;
    if (blanks) ksmc_buf_puts(out, KSMC_LIT("\n  "));
    ksmc_buf_putc(out, '"');
    for (size_t k = 0; k < len; k++) {
      char c = json[i + 1 + k];
      if (k == pick) {
        char esc[8];
        snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)c);
        ksmc_buf_put(out, esc, 6);
      } else {
        ksmc_buf_putc(out, c);
      }
    }
    ksmc_buf_put(out, blanks ? "\" : " : "\":", blanks ? 4 : 2);
    i = e + 1; /* the colon */
  }
}

static void test_escaped_keys(void) {
  renderer r;
  renderer_init(&r, "pods");
  CU_ASSERT_EQUAL_FATAL(render_s(&r, escaped_keys_pod), KSMC_OK);
  ksmc_buf want = {0}, json = {0};
  ksmc_buf_put(&want, r.ctx.out.p, r.ctx.out.n);
  /* Every family this pod has must be there (the comparison below is otherwise weak). */
  CU_ASSERT_TRUE(out_has(&r, "kube_pod_container_resource_requests{"));
  CU_ASSERT_TRUE(out_has(&r, "kube_pod_init_container_status_terminated_reason{"));
  CU_ASSERT_TRUE(out_has(&r, "kube_pod_spec_volumes_persistentvolumeclaims_readonly{"));
  CU_ASSERT_TRUE(out_has(&r, "kube_pod_tolerations{"));
  CU_ASSERT_TRUE(out_has(&r, "label_a_b=\"c\""));
  for (int blanks = 0; blanks < 2; blanks++) {
    ksmc_buf_reset(&json);
    escape_keys(&json, escaped_keys_pod, blanks);
    CU_ASSERT_FALSE(ksmc_buf_failed(&json));
    CU_ASSERT_EQUAL(render(&r, json.p, json.n), KSMC_OK);
    bool same = r.ctx.out.n == want.n && memcmp(r.ctx.out.p, want.p, want.n) == 0;
    if (!same)
      fprintf(stderr, "\n  escaped keys (blanks %d): other output\n%.*s", blanks, (int)json.n,
              json.p);
    CU_ASSERT_TRUE(same);
  }
  /* An escape that decodes to another key does not match: "na\\me" is na\me. */
  CU_ASSERT_EQUAL(render_s(&r, "{\"metadata\":{\"na\\\\me\":\"x\",\"namespace\":\"n\","
                               "\"uid\":\"u\",\"name\\u0000\":\"y\",\"nam\":\"z\"}}"),
                  KSMC_OK);
  CU_ASSERT_TRUE(out_has(&r, "kube_pod_info{namespace=\"n\",pod=\"\","));
  CU_ASSERT_EQUAL(render_s(&r, "{\"metadata\":{\"\\u006eame\":\"x\",\"namespace\":\"n\","
                               "\"uid\":\"u\"}}"),
                  KSMC_OK);
  CU_ASSERT_TRUE(out_has(&r, "kube_pod_info{namespace=\"n\",pod=\"x\","));
  ksmc_buf_free(&want);
  ksmc_buf_free(&json);
  renderer_free(&r);
}

/* Empty keys and values in the label and annotation maps, on a fresh renderer (nothing
 * decoded yet, so no scratch memory): fuzz_render found NULL + 0 there (UBSan). */
static void test_empty_keys(void) {
  static const char *const kinds[] = {"nodes", "pods", "namespaces"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    renderer r;
    renderer_init(&r, kinds[i]);
    CU_ASSERT_EQUAL(render_s(&r, "{\"metadata\":{\"name\":\"n\",\"namespace\":\"n\",\"uid\":"
                                 "\"u\",\"labels\":{\"\":\"\"},\"annotations\":{\"\":\"\"}}}"),
                    KSMC_OK);
    renderer_free(&r);
  }
}

/* ---- truncated JSON, non-object roots, wrong kind ------------------------------------ */

static void test_truncated(void) {
  static const char pod[] =
      "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\","
      "\"labels\":{\"a\":\"b\\\"c\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},"
      "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"c\",\"restartCount\":3}"
      "]}}";
  renderer r;
  renderer_init(&r, "pods");
  CU_ASSERT_EQUAL(render(&r, pod, sizeof pod - 1), KSMC_OK);
  /* Each prefix ends right at an inaccessible page, so reading one byte past the end
   * crashes even without ASan (fuzz_render found `...,"status":null,` read past its end). */
  long pg = sysconf(_SC_PAGESIZE);
  char *area =
      mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CU_ASSERT_FATAL(area != MAP_FAILED);
  CU_ASSERT_EQUAL_FATAL(mprotect(area + pg, (size_t)pg, PROT_NONE), 0);
  for (size_t n = 0; n < sizeof pod - 1; n++) {
    char *p = area + pg - n;
    memcpy(p, pod, n);
    int rc = render(&r, p, n);
    if (rc != KSMC_E_JSON && rc != KSMC_E_NOT_OBJECT)
      fprintf(stderr, "\n  prefix of %zu bytes: %d %s\n", n, rc, r.ctx.err);
    CU_ASSERT_TRUE(rc == KSMC_E_JSON || (n == 0 && rc == KSMC_E_NOT_OBJECT));
  }
  /* Objects of every kind cut after a member's comma, with null and empty members. */
  static const char *const cuts[] = {"{\"metadata\":{\"name\":\"s\",\"uid\":\"u\"},\"spec\":null,",
                                     "{\"metadata\":{\"name\":\"s\",\"uid\":\"u\",",
                                     "{\"status\":{\"conditions\":[{},", "{\"spec\":{\"x\":[1, "};
  for (size_t k = 0; k < ksmc_nkinds; k++) {
    renderer rk;
    renderer_init(&rk, ksmc_kinds[k]->resource);
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
      size_t n = strlen(cuts[c]);
      memcpy(area + pg - n, cuts[c], n);
      CU_ASSERT_EQUAL(render(&rk, area + pg - n, n), KSMC_E_JSON);
    }
    renderer_free(&rk);
  }
  munmap(area, (size_t)pg * 2);
  renderer_free(&r);
}

static void test_non_object_roots(void) {
  static const char *const roots[] = {"",
                                      " ",
                                      "[]",
                                      "[{}]",
                                      "\"pod\"",
                                      "1",
                                      "null",
                                      "true",
                                      "-0",
                                      "{",
                                      "}",
                                      "{}}",
                                      "{\"metadata\":{}} {\"metadata\":{}}",
                                      "\xEF\xBB\xBF{}"};
  renderer r;
  renderer_init(&r, "pods");
  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
    int rc = render_s(&r, roots[i]);
    if (rc != KSMC_E_NOT_OBJECT && rc != KSMC_E_JSON)
      fprintf(stderr, "\n  root [%s]: %d %s\n", roots[i], rc, r.ctx.err);
    CU_ASSERT_TRUE(rc == KSMC_E_NOT_OBJECT || rc == KSMC_E_JSON);
  }
  renderer_free(&r);
}

/* Bare words and malformed numbers where a value belongs: Go rejects the object, and no
 * unchecked byte may reach a label (fuzz_render found `"name":pods-\x1c...\x99` rendered
 * raw into a statefulset label). */
static void test_invalid_values(void) {
  static const char *const values[] = {
      "pods-role\x1c\x99", "01",   "1.",    "-",     ".5", "1e", "+1", "tru", "nulll", "NaN",
      "Infinity",          "0x10", "1_000", "\"a\"x"};
  static const char *const where[] = {
      "{\"metadata\":{\"name\":%s,\"namespace\":\"n\",\"uid\":\"u\"}}",
      "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\"},\"x\":%s}",
      "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\"},"
      "\"status\":{\"containerStatuses\":[{\"name\":\"c\",\"restartCount\":%s}]}}"};
  /* Keys without values inside maps the serializers read: jsmn accepts {"a""b"}, and
   * the label writer then paired keys with the wrong tokens, reading stale ones
   * (fuzz_render: a second render of the same object differed). */
  static const char *const maps[] = {"{\"a\"\"b\",\"c\":\"d\"}", "{\"a\":}", "{\"a\"}",
                                     "{\"a\":\"b\",\"c\"}", "{\"a\":[\"x\":1]}"};
  renderer rp;
  renderer_init(&rp, "pods");
  for (size_t m = 0; m < sizeof maps / sizeof maps[0]; m++) {
    char json[512];
    snprintf(
        json, sizeof json,
        "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\",\"labels\":{\"x\":\"y\"},"
        "\"annotations\":%s}}",
        maps[m]);
    int rc = render_s(&rp, json);
    if (rc != KSMC_E_JSON) fprintf(stderr, "\n  %s: %d\n", json, rc);
    CU_ASSERT_EQUAL(rc, KSMC_E_JSON);
  }
  renderer_free(&rp);
  for (size_t k = 0; k < ksmc_nkinds; k++) {
    renderer r;
    renderer_init(&r, ksmc_kinds[k]->resource);
    for (size_t w = 0; w < sizeof where / sizeof where[0]; w++)
      for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        char json[512];
        snprintf(json, sizeof json, where[w], values[v]);
        int rc = render_s(&r, json);
        if (rc == KSMC_OK && w < 2)
          fprintf(stderr, "\n  %s rendered: %s\n", ksmc_kinds[k]->resource, json);
        if (w < 2) CU_ASSERT_EQUAL(rc, KSMC_E_JSON);
      }
    renderer_free(&r);
  }
}

/* True if s[0..n) is a JSON number (the grammar, written out independently of the scanner). */
static bool json_number(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && s[i] == '-') i++;
  if (i >= n || s[i] < '0' || s[i] > '9') return false;
  if (s[i++] != '0')
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  if (i < n && s[i] == '.') {
    if (++i >= n || s[i] < '0' || s[i] > '9') return false;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    if (++i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return false;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  }
  return i == n;
}

/* Kept numbers and booleans (restartCount): the scanner's one-step path for unsigned
 * integers and true/false, and its general path for everything else, accept exactly the
 * JSON grammar's values, whatever ends them, and read the value written. */
static void test_kept_primitives(void) {
  static const char *const fixed[] = {"0",
                                      "7",
                                      "00",
                                      "01",
                                      "12",
                                      "true",
                                      "false",
                                      "null",
                                      "truex",
                                      "fals",
                                      "tru",
                                      "falsee",
                                      "-1",
                                      "1.5",
                                      "1e3",
                                      "-0",
                                      "+1",
                                      "1234567890123456789",
                                      "9007199254740993",
                                      "123456789012345",
                                      "0.",
                                      "1e"};
  static const char alpha[] = "0123456789000-+.eEtrufalsn";
  static const char *const after[] = {",", " ,", "\n,", "\t,", "\r,"};
  renderer r;
  renderer_init(&r, "pods");
  uint64_t x = 0x6a09e667f3bcc908ull;
  size_t bad = 0, ok_numbers = 0;
  for (int iter = 0; iter < 6000; iter++) {
    char tok[32];
    if ((size_t)iter < sizeof fixed / sizeof *fixed) {
      snprintf(tok, sizeof tok, "%s", fixed[iter]);
    } else {
      ktest_rand(&x);
      size_t len = 1 + (size_t)(x >> 59) % 20;
      for (size_t i = 0; i < len; i++) tok[i] = alpha[(x >> (i % 9 * 6)) % (sizeof alpha - 1)];
      tok[len] = 0;
      if (iter % 3 == 0) /* mostly digits: the common case */
        for (size_t i = 0; i < len; i++) tok[i] = (char)('0' + (x >> (i * 3)) % 10);
    }
    size_t n = strlen(tok);
    char json[512];
    if (iter % 2)
      snprintf(json, sizeof json,
               "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\"},\"status\":{"
               "\"containerStatuses\":[{\"name\":\"c\",\"restartCount\":%s%s\"ready\":true}]}}",
               tok, after[(size_t)iter / 2 % 5]);
    else
      snprintf(json, sizeof json,
               "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\"},\"status\":{"
               "\"containerStatuses\":[{\"name\":\"c\",\"restartCount\":%s%s}]}}",
               tok, iter % 4 ? "" : " ");
    bool number = json_number(tok, n);
    bool valid = number || !strcmp(tok, "true") || !strcmp(tok, "false") || !strcmp(tok, "null");
    int rc = render_s(&r, json);
    bool same = (rc == KSMC_OK) == valid;
    if (same && number) { /* the sample carries the number's value */
      char want[96];
      snprintf(want, sizeof want,
               "restarts_total{namespace=\"n\",pod=\"p\",uid=\"u\",container=\"c\"} ");
      ksmc_buf b = {0};
      ksmc_buf_put(&b, want, strlen(want));
      ksmc_fmt_value(&b, strtod(tok, NULL));
      ksmc_buf_putc(&b, '\n');
      ksmc_buf_putc(&b, 0);
      same = out_has(&r, b.p);
      ksmc_buf_free(&b);
      ok_numbers++;
    }
    if (!same && bad++ < 5)
      fprintf(stderr, "\n  restartCount %s: rc %d, valid %d\n", tok, rc, valid);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_TRUE(ok_numbers > 1000);
  renderer_free(&r);
}

static void test_wrong_kind(void) {
  renderer r;
  renderer_init(&r, "pods");
  CU_ASSERT_EQUAL(render_s(&r, "{\"kind\":\"Node\",\"metadata\":{\"name\":\"n\",\"uid\":\"u\"}}"),
                  KSMC_E_KIND);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.ctx.err, "Node"));
  /* The message stays bounded for a huge, hostile kind. */
  ksmc_buf b = {0};
  ksmc_buf_puts(&b, KSMC_LIT("{\"kind\":\""));
  for (int i = 0; i < 100000; i++) ksmc_buf_puts(&b, KSMC_LIT("\\n\xFF"));
  ksmc_buf_puts(&b, KSMC_LIT("\",\"metadata\":{\"uid\":\"u\"}}"));
  CU_ASSERT_EQUAL(render(&r, b.p, b.n), KSMC_E_KIND);
  CU_ASSERT_TRUE(strlen(r.ctx.err) < sizeof r.ctx.err);
  CU_ASSERT_EQUAL(render_s(&r, "{\"kind\":7,\"metadata\":{\"uid\":\"u\"}}"), KSMC_E_KIND);
  /* Still usable afterwards. */
  CU_ASSERT_EQUAL(
      render_s(
          &r, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\"}}"),
      KSMC_OK);
  ksmc_buf_free(&b);
  renderer_free(&r);
}

/* ---- the checker itself --------------------------------------------------------------- */

static void test_lint(void) {
  size_t bad;
  static const char *const good[] = {"a 1\n", "a{b=\"\\\\\\\"\\n\xC3\xA9\"} -1.5e+06\n",
                                     "a:b{c=\"\",d=\"x\"} NaN\n", "a +Inf\n"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    CU_ASSERT_PTR_NULL(ksmc_lint_text(good[i], strlen(good[i]), true, NULL, &bad));
  static const char *const wrong[] = {"a 1",
                                      "1a 1\n",
                                      "a{} 1\n",
                                      "a{b=\"x\"}1\n",
                                      "a{b=\"\\t\"} 1\n",
                                      "a{b=\"\xFF\"} 1\n",
                                      "a{b=\"1\",b=\"2\"} 1\n",
                                      "a 1.\n",
                                      "a 1e5\n",
                                      "a{b=\"x} 1\n",
                                      "# HELP a b\n",
                                      "a{b=\"x\",} 1\n",
                                      "a inf\n"};
  for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    const char *why = ksmc_lint_text(wrong[i], strlen(wrong[i]), true, NULL, &bad);
    if (!why) fprintf(stderr, "\n  accepted [%s]\n", wrong[i]);
    CU_ASSERT_PTR_NOT_NULL(why);
  }
}

/* ---- timestamps: the last one parsed is remembered -------------------------------- */

/* The value of the first line of `family` ("name{"), false if there is none. */
static bool line_value(const renderer *r, const char *family, double *v) {
  size_t n = strlen(family);
  const char *p = r->ctx.out.p, *end = p + r->ctx.out.n;
  while (p && p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) break;
    if ((size_t)(nl - p) > n && !memcmp(p, family, n)) {
      const char *sp = memchr(p, ' ', (size_t)(nl - p)); /* labels hold no space here */
      if (!sp) return false;
      *v = strtod(sp + 1, NULL);
      return true;
    }
    p = nl + 1;
  }
  return false;
}

/* The renderer keeps the last 20-byte timestamp it parsed and its value. Random pods with
 * timestamps from a pool of near-identical strings (one digit apart, the same instant
 * escaped, 20-byte strings the parser rejects, other lengths) give, rendered one after
 * another with one renderer (the cache carried between objects), exactly the bytes a
 * fresh renderer gives for each, and the parser's values. */
static void test_timestamp_cache(void) {
  static const char *const pool[] = {
      "2024-01-02T03:04:05Z",       "2024-01-02T03:04:06Z", "2024-01-02T03:04:05Z",
      "2024-01-02T03:04:0\\u0035Z", "1970-01-01T00:00:01Z", "2024-02-29T12:00:00Z",
      "2023-02-29T12:00:00Z",       "2024-01-02T03:04:05z", "2024-01-02T03:04:05+01:00",
      "2024-01-02T03:04:05.5Z",     "0001-01-01T00:00:00Z", "2024-01-02 03:04:05Z",
      "2024-13-02T03:04:05Z",       "2124-01-02T03:04:05Z"};
  size_t np = sizeof pool / sizeof pool[0];
  renderer a;
  renderer_init(&a, "pods");
  unsigned seed = 11;
  char json[1024];
  for (int i = 0; i < 3000; i++) {
    const char *t1 = pool[rand_r(&seed) % np], *t2 = pool[rand_r(&seed) % np],
               *t3 = pool[rand_r(&seed) % np];
    int n = snprintf(json, sizeof json,
                     "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\","
                     "\"creationTimestamp\":\"%s\"},\"status\":{\"startTime\":\"%s\","
                     "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
                     "\"lastTransitionTime\":\"%s\"},{\"type\":\"Initialized\","
                     "\"status\":\"True\",\"lastTransitionTime\":\"%s\"}]}}",
                     t1, t2, t3, t1);
    CU_ASSERT_TRUE_FATAL(n > 0 && (size_t)n < sizeof json);
    renderer b;
    renderer_init(&b, "pods");
    CU_ASSERT_EQUAL_FATAL(render(&a, json, (size_t)n), KSMC_OK);
    CU_ASSERT_EQUAL_FATAL(render(&b, json, (size_t)n), KSMC_OK);
    CU_ASSERT_EQUAL(a.ctx.out.n, b.ctx.out.n);
    CU_ASSERT_TRUE(a.ctx.out.n == b.ctx.out.n && !memcmp(a.ctx.out.p, b.ctx.out.p, a.ctx.out.n));
    CU_ASSERT_EQUAL(a.ctx.warnings, b.ctx.warnings);
    /* the values: what the parser makes of the (unescaped) strings */
    const char *ts[2] = {t1, t2}, *fam[2] = {"kube_pod_created{", "kube_pod_start_time{"};
    for (int k = 0; k < 2; k++) {
      if (strchr(ts[k], '\\')) continue;
      int64_t want;
      double got;
      if (!ksmc_time_parse_rfc3339(ts[k], strlen(ts[k]), &want) || want == KSMC_TIME_ZERO_UNIX)
        continue;
      CU_ASSERT_TRUE(line_value(&a, fam[k], &got) && got == (double)want);
    }
    renderer_free(&b);
  }
  renderer_free(&a);
}

static const ktest_case cases[] = {{"lint", test_lint},
                                   {"invalid_utf8", test_invalid_utf8},
                                   {"enormous_labels", test_enormous_labels},
                                   {"many_labels", test_many_labels},
                                   {"deep_nesting", test_deep_nesting},
                                   {"numbers_out_of_range", test_numbers_out_of_range},
                                   {"duplicate_keys", test_duplicate_keys},
                                   {"empty_keys", test_empty_keys},
                                   {"escaped_keys", test_escaped_keys},
                                   {"truncated", test_truncated},
                                   {"non_object_roots", test_non_object_roots},
                                   {"wrong_kind", test_wrong_kind},
                                   {"invalid_values", test_invalid_values},
                                   {"kept primitives", test_kept_primitives},
                                   {"timestamp_cache", test_timestamp_cache},
                                   {0}};
KTEST_MAIN("bad_input", cases)
