/* Fuzz target: the request path of /metrics without sockets -- what ksmc_http does with a
 * request's Accept and Accept-Encoding headers and its query string.
 * Input: 2 bytes of options (read size), then "<Accept>\n<Accept-Encoding>\n<query>"; a
 * header line of exactly "-" means the header is absent. The query is split and
 * percent-decoded as libmicrohttpd does (MHD_http_unescape) and its resources= and
 * exclude_resources= values (at most 32 each, as ksmc_http keeps) filter a body over
 * stores of the generated pods and nodes kinds. Invariants: the negotiated content type
 * is one of the documented ones and matches the format; the body is valid exposition,
 * holds a resource iff a plain reference filter selects it, ends with "# EOF" exactly for
 * OpenMetrics, and its gzip form inflates to the same bytes. */
#include <microhttpd.h>
#include <stdint.h>
#include <zlib.h>

#include "fuzz_util.h"
#include "ksmc_err.h"
#include "ksmc_expo.h"
#include "ksmc_expo_lint.h"
#include "ksmc_store.h"

#define MAX_FILTER_VALUES 32

/* What every input renders from, made once per process (libFuzzer's entry points are the
 * only place for it): the stores are only read while rendering, so sharing them does not
 * carry anything from one input to the next (the ksmc_expo, which has caches, is made per
 * input). The buffers are reused to keep allocation off the hot path. */
static struct {
  const ksmc_kind_desc *pods, *nodes;
  ksmc_store *ps, *ns, *empty;
  ksmc_buf body, gz, plain;
} fx;

/* Two objects per store; family i of object j is "<family name>{uid="j"} i". */
static ksmc_store *make_store(const ksmc_kind_desc *k, int objects) {
  ksmc_store *s = ksmc_store_new(k, "");
  FUZZ_CHECK(s != NULL, "store");
  for (int j = 0; j < objects; j++) {
    ksmc_buf b = {0};
    uint32_t *ends = calloc(k->nfamilies, sizeof *ends);
    for (size_t i = 0; i < k->nfamilies; i++) {
      char line[256];
      int n = snprintf(line, sizeof line, "%s{uid=\"u%d\"} %zu\n", k->families[i].name, j, i);
      ksmc_buf_put(&b, line, (size_t)n);
      ends[i] = (uint32_t)b.n;
    }
    char uid[16];
    snprintf(uid, sizeof uid, "u%d", j);
    FUZZ_CHECK(ksmc_store_upsert(s, uid, strlen(uid), b.p, b.n, ends) == KSMC_OK, "upsert");
    free(ends);
    ksmc_buf_free(&b);
  }
  return s;
}

/* Reference filter: comma items trimmed of " \t\r\n"; an item-less list is no filter. */
FUZZ_ORACLE static bool ref_in(const char *name, char **vals, size_t n, bool *any) {
  bool found = false;
  for (size_t i = 0; i < n; i++) {
    const char *p = vals[i];
    for (;;) {
      size_t m = strcspn(p, ",");
      size_t a = 0, e = m;
      while (a < e && strchr(" \t\r\n", p[a])) a++;
      while (e > a && strchr(" \t\r\n", p[e - 1])) e--;
      if (e > a) *any = true;
      if (e - a == strlen(name) && !memcmp(p + a, name, e - a)) found = true;
      if (!p[m]) break;
      p += m + 1;
    }
  }
  return found;
}

FUZZ_ORACLE static bool ref_selected(const char *name, char **res, size_t nres, char **exc,
                                     size_t nexc) {
  bool any = false, any_exc = false;
  bool in_res = ref_in(name, res, nres, &any);
  if (any && !in_res) return false;
  return !ref_in(name, exc, nexc, &any_exc);
}

static void read_body(ksmc_expo *e, const ksmc_expo_opts *o, size_t chunk, ksmc_buf *out) {
  ksmc_expo_req *q = ksmc_expo_begin(e, o);
  FUZZ_CHECK(q != NULL, "begin");
  char *buf = malloc(chunk);
  for (;;) {
    ssize_t n = ksmc_expo_read(q, buf, chunk);
    FUZZ_CHECK(n >= 0 && (size_t)n <= chunk, "read returned %zd", n);
    if (n == 0) break;
    ksmc_buf_put(out, buf, (size_t)n);
  }
  free(buf);
  ksmc_expo_end(q);
}

FUZZ_ORACLE static void inflate_all(const ksmc_buf *gz, ksmc_buf *out) {
  z_stream z = {0};
  FUZZ_CHECK(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK, "inflateInit2");
  z.next_in = (Bytef *)gz->p;
  z.avail_in = (uInt)gz->n;
  char buf[16384];
  int r;
  do {
    z.next_out = (Bytef *)buf;
    z.avail_out = sizeof buf;
    r = inflate(&z, Z_NO_FLUSH);
    FUZZ_CHECK(r == Z_OK || r == Z_STREAM_END, "inflate: %d", r);
    ksmc_buf_put(out, buf, sizeof buf - z.avail_out);
  } while (r != Z_STREAM_END);
  FUZZ_CHECK(z.avail_in == 0, "bytes after the gzip member");
  inflateEnd(&z);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fx.pods = ksmc_kind_find("pods");
  fx.nodes = ksmc_kind_find("nodes");
  FUZZ_CHECK(fx.pods && fx.nodes, "kinds not compiled in");
  fx.ps = make_store(fx.pods, 2);
  fx.ns = make_store(fx.nodes, 1);
  fx.empty = make_store(fx.nodes, 0);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t opt = fuzz_take_seed(&data, &size, 2);
  size_t chunk = 1 + opt % 8192;
  char *text = fuzz_strdup(data, size);
  char *accept = text, *enc = NULL, *query = NULL;
  if ((enc = strchr(accept, '\n'))) {
    *enc++ = '\0';
    if ((query = strchr(enc, '\n'))) *query++ = '\0';
  }
  if (!strcmp(accept, "-")) accept = NULL;
  if (enc && !strcmp(enc, "-")) enc = NULL;

  ksmc_expo_negotiated neg;
  memset(&neg, 0xAA, sizeof neg);
  ksmc_expo_negotiate(accept, &neg);
  FUZZ_CHECK(memchr(neg.content_type, '\0', sizeof neg.content_type), "content type unterminated");
  if (neg.format == KSMC_EXPO_TEXT) {
    FUZZ_CHECK(!strcmp(neg.content_type, KSMC_CONTENT_TYPE_TEXT), "text: %s", neg.content_type);
  } else {
    FUZZ_CHECK(neg.format == KSMC_EXPO_OPENMETRICS, "format %d", (int)neg.format);
    FUZZ_CHECK(!strncmp(neg.content_type, "application/openmetrics-text; version=", 38) &&
                   strstr(neg.content_type, "; charset=utf-8; escaping=") &&
                   !strchr(neg.content_type, '\n') && !strchr(neg.content_type, '\r'),
               "openmetrics: %s", neg.content_type);
  }
  bool gzip = ksmc_expo_gzip_accepted(enc);

  /* Query string, as libmicrohttpd hands it to ksmc_http's collect_arg. */
  char *res[MAX_FILTER_VALUES], *exc[MAX_FILTER_VALUES];
  size_t nres = 0, nexc = 0;
  for (char *p = query; p;) {
    char *amp = strchr(p, '&');
    if (amp) *amp = '\0';
    char *eq = strchr(p, '=');
    if (eq) {
      *eq = '\0';
      MHD_http_unescape(p);
      MHD_http_unescape(eq + 1);
      if (!strcmp(p, "resources") && nres < MAX_FILTER_VALUES) res[nres++] = eq + 1;
      if (!strcmp(p, "exclude_resources") && nexc < MAX_FILTER_VALUES) exc[nexc++] = eq + 1;
    }
    p = amp ? amp + 1 : NULL;
  }

  ksmc_store *pod_stores[] = {fx.ps};
  ksmc_store *node_stores[] = {fx.ns, fx.empty};
  ksmc_expo_resource r[] = {{.kind = fx.pods, .stores = pod_stores, .nstores = 1},
                            {.kind = fx.nodes, .stores = node_stores, .nstores = 2}};
  ksmc_expo *e = ksmc_expo_new(r, 2);
  FUZZ_CHECK(e != NULL, "expo");

  ksmc_expo_opts o = {.format = neg.format,
                      .gzip = false,
                      .gzip_level = 1,
                      .resources = (const char *const *)res,
                      .nresources = nres,
                      .exclude = (const char *const *)exc,
                      .nexclude = nexc};
  ksmc_buf *body = &fx.body;
  ksmc_buf_reset(body);
  read_body(e, &o, chunk, body);
  size_t bad = 0;
  const char *why = ksmc_lint_text(body->p, body->n, false, NULL, &bad);
  FUZZ_CHECK(!why, "%s at %zu:\n%.*s", why, bad, (int)body->n, body->p);
  bool om = neg.format == KSMC_EXPO_OPENMETRICS;
  bool eof = body->n >= 6 && !memcmp(body->p + body->n - 6, "# EOF\n", 6);
  FUZZ_CHECK(om == eof, "openmetrics %d but # EOF %d", om, eof);
  ksmc_buf_putc(body, '\0');
  FUZZ_CHECK(!ksmc_buf_failed(body), "out of memory");
  bool has_pods = strstr(body->p, "\nkube_pod_") || !strncmp(body->p, "kube_pod_", 9);
  bool has_nodes = strstr(body->p, "\nkube_node_") || !strncmp(body->p, "kube_node_", 10);
  FUZZ_CHECK(has_pods == ref_selected("pods", res, nres, exc, nexc), "pods %d", has_pods);
  FUZZ_CHECK(has_nodes == ref_selected("nodes", res, nres, exc, nexc), "nodes %d", has_nodes);
  body->n--;

  if (gzip) {
    ksmc_buf_reset(&fx.gz);
    ksmc_buf_reset(&fx.plain);
    o.gzip = true;
    read_body(e, &o, chunk, &fx.gz);
    inflate_all(&fx.gz, &fx.plain);
    FUZZ_CHECK(fuzz_same(fx.plain.p, fx.plain.n, body->p, body->n), "gzip body differs");
  }
  ksmc_expo_free(e);
  free(text);
  return 0;
}
