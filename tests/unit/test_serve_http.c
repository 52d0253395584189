/* HTTP server smoke tests on ephemeral ports with libcurl and raw sockets: routes,
 * status codes, negotiation and gzip end to end, probes, telemetry, and stalled clients
 * that must not block anyone (the pool has a single thread here on purpose). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ksmc_err.h"
#include "ksmc_http.h"
#include "ktest.h"

#define HDR(name, help, type) KSMC_LIT("# HELP " name " " help "\n# TYPE " name " " type "\n")

static const ksmc_family_desc fams[] = {
    {.name = "kube_pod_info",
     .type = KSMC_INFO,
     .header_text = HDR("kube_pod_info", "I", "gauge"),
     .header_openmetrics = HDR("kube_pod_info", "I", "info")},
};
static const ksmc_kind_desc pods = {.resource = "pods", .families = fams, .nfamilies = 1};
static const ksmc_kind_desc nodes = {.resource = "nodes", .families = fams, .nfamilies = 1};

typedef struct {
  ksmc_store *pods, *nodes;
  ksmc_expo *expo;
  ksmc_selfmetrics sm;
  ksmc_http *http;
  atomic_bool live, ready;
  char base[64], tele[64];
} server;

static bool probe(void *arg) { return atomic_load((atomic_bool *)arg); }

static void put(ksmc_store *s, const char *uid, const char *line) {
  uint32_t end = (uint32_t)strlen(line);
  CU_ASSERT_EQUAL(ksmc_store_upsert(s, uid, strlen(uid), line, end, &end), KSMC_OK);
}

/* Limits for server_start_limits; zeros are ksmc_http's defaults. */
typedef struct {
  unsigned max, per_ip, header_timeout;
} limits;

static void server_start_limits(server *sv, bool gzip, unsigned timeout, limits lim) {
  memset(sv, 0, sizeof *sv);
  sv->pods = ksmc_store_new(&pods, "");
  sv->nodes = ksmc_store_new(&nodes, "");
  put(sv->pods, "p1", "kube_pod_info{pod=\"a\"} 1\n");
  ksmc_expo_resource res[] = {{&pods, NULL, &sv->pods, 1}, {&nodes, NULL, &sv->nodes, 1}};
  sv->expo = ksmc_expo_new(res, 2);
  CU_ASSERT_FATAL(ksmc_selfmetrics_init(&sv->sm, "v0.1.0", "abc123", 1, 3));
  ksmc_http_config cfg = {.host = "127.0.0.1",
                          .port = 0,
                          .telemetry_host = "127.0.0.1",
                          .telemetry_port = 0,
                          .expo = sv->expo,
                          .self = &sv->sm,
                          .enable_gzip = gzip,
                          .livez = probe,
                          .livez_arg = &sv->live,
                          .readyz = probe,
                          .readyz_arg = &sv->ready,
                          .threads = 1,
                          .max_connections = lim.max ? lim.max : 16,
                          .max_connections_per_ip = lim.per_ip,
                          .header_timeout_seconds = lim.header_timeout,
                          .timeout_seconds = timeout};
  char err[256];
  sv->http = ksmc_http_start(&cfg, err, sizeof err);
  if (!sv->http) fprintf(stderr, "start: %s\n", err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(sv->http);
  snprintf(sv->base, sizeof sv->base, "http://127.0.0.1:%u", ksmc_http_port(sv->http));
  snprintf(sv->tele, sizeof sv->tele, "http://127.0.0.1:%u", ksmc_http_telemetry_port(sv->http));
}

static void server_start(server *sv, bool gzip, unsigned timeout) {
  server_start_limits(sv, gzip, timeout, (limits){0, 0, 0});
}

static void server_stop(server *sv) {
  ksmc_http_stop(sv->http);
  ksmc_expo_free(sv->expo);
  ksmc_store_free(sv->pods);
  ksmc_store_free(sv->nodes);
  ksmc_selfmetrics_free(&sv->sm);
}

typedef struct {
  long status;
  ksmc_buf body;
  char ctype[128], cenc[64], allow[64];
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *arg) {
  ksmc_buf_put(&((resp *)arg)->body, p, sz * n);
  return sz * n;
}

static void grab_header(const char *line, size_t n, const char *name, char *dst, size_t cap) {
  size_t k = strlen(name);
  if (n <= k || strncasecmp(line, name, k) != 0) return;
  const char *v = line + k;
  size_t vn = n - k;
  while (vn && (*v == ' ')) v++, vn--;
  while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n')) vn--;
  snprintf(dst, cap, "%.*s", (int)vn, v);
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg) {
  resp *r = arg;
  grab_header(p, sz * n, "Content-Type:", r->ctype, sizeof r->ctype);
  grab_header(p, sz * n, "Content-Encoding:", r->cenc, sizeof r->cenc);
  grab_header(p, sz * n, "Allow:", r->allow, sizeof r->allow);
  return sz * n;
}

/* Performs a request; decode: let curl inflate gzip. */
static resp fetch(const char *base, const char *path, const char *method, const char *accept,
                  const char *encoding) {
  resp r = {0};
  char url[256], hacc[512];
  snprintf(url, sizeof url, "%s%s", base, path);
  CURL *c = curl_easy_init();
  struct curl_slist *hl = NULL;
  if (accept) {
    snprintf(hacc, sizeof hacc, "Accept: %s", accept);
    hl = curl_slist_append(hl, hacc);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
  if (encoding) curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, encoding);
  if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (strcmp(method, "POST") == 0) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) fprintf(stderr, "\n  %s %s: %s\n", method, url, curl_easy_strerror(rc));
  CU_ASSERT_EQUAL(rc, CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(c);
  curl_slist_free_all(hl);
  ksmc_buf_cstr(&r.body);
  return r;
}

#define ASSERT_RESP(r, code, want_body)                                                            \
  do {                                                                                             \
    CU_ASSERT_EQUAL((r).status, code);                                                             \
    KTEST_ASSERT_BYTES((r).body.p ? (r).body.p : "", (r).body.n, want_body);                       \
    ksmc_buf_free(&(r).body);                                                                      \
  } while (0)

/* Fetches url twice on one handle; returns how many new connections the second needed. */
static long second_fetch_connects(const char *url) {
  CURL *c = curl_easy_init();
  resp r = {0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  long connects = -1;
  if (curl_easy_perform(c) == CURLE_OK && curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_cleanup(c);
  ksmc_buf_free(&r.body);
  return connects;
}

static void test_keep_alive(void) {
  server sv;
  server_start(&sv, false, 0);
  char url[128];
  snprintf(url, sizeof url, "%s/metrics", sv.base);
  CU_ASSERT_EQUAL(second_fetch_connects(url), 0);
  snprintf(url, sizeof url, "%s/healthz", sv.base);
  CU_ASSERT_EQUAL(second_fetch_connects(url), 0);
  snprintf(url, sizeof url, "%s/readyz", sv.tele);
  CU_ASSERT_EQUAL(second_fetch_connects(url), 0);
  server_stop(&sv);
}

static void test_routes(void) {
  server sv;
  server_start(&sv, false, 0);
  resp r = fetch(sv.base, "/healthz", "GET", NULL, NULL);
  ASSERT_RESP(r, 200, "OK");
  r = fetch(sv.base, "/livez", "GET", NULL, NULL);
  ASSERT_RESP(r, 503, "Service Unavailable");
  atomic_store(&sv.live, true);
  r = fetch(sv.base, "/livez", "GET", NULL, NULL);
  ASSERT_RESP(r, 200, "OK");
  r = fetch(sv.tele, "/readyz", "GET", NULL, NULL);
  ASSERT_RESP(r, 503, "Service Unavailable");
  atomic_store(&sv.ready, true);
  r = fetch(sv.tele, "/readyz", "GET", NULL, NULL);
  ASSERT_RESP(r, 200, "OK");
  r = fetch(sv.base, "/nope", "GET", NULL, NULL);
  ASSERT_RESP(r, 404, "404 page not found\n");
  r = fetch(sv.tele, "/healthz", "GET", NULL, NULL);
  ASSERT_RESP(r, 404, "404 page not found\n");
  r = fetch(sv.base, "/metrics", "POST", NULL, NULL);
  CU_ASSERT_STRING_EQUAL(r.allow, "GET, HEAD");
  ASSERT_RESP(r, 405, "Method Not Allowed\n");
  r = fetch(sv.base, "/", "GET", NULL, NULL);
  CU_ASSERT_EQUAL(r.status, 200);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.body.p, "href=\"/metrics\""));
  CU_ASSERT_STRING_EQUAL(r.ctype, "text/html; charset=utf-8");
  ksmc_buf_free(&r.body);
  r = fetch(sv.tele, "/", "GET", NULL, NULL);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.body.p, "href=\"/readyz\""));
  ksmc_buf_free(&r.body);
  server_stop(&sv);
}

static const char prom3[] =
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
    "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-"
    "utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

/* Lints the text body with `promtool check metrics` when promtool is installed. */
static void promtool_check(const char *base) {
  if (system("command -v promtool >/dev/null 2>&1") != 0) {
    fprintf(stderr, " [promtool not installed: lint skipped] ");
    return;
  }
  resp r = fetch(base, "/metrics", "GET", NULL, NULL);
  FILE *p = popen("promtool check metrics", "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  fwrite(r.body.p, 1, r.body.n, p);
  CU_ASSERT_EQUAL(pclose(p), 0);
  ksmc_buf_free(&r.body);
}

static void test_metrics(void) {
  server sv;
  server_start(&sv, false, 0);
  resp r = fetch(sv.base, "/metrics", "GET", NULL, "gzip");
  CU_ASSERT_STRING_EQUAL(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
  CU_ASSERT_STRING_EQUAL(r.cenc, ""); /* gzip not enabled */
  ASSERT_RESP(r, 200,
              "# HELP kube_pod_info I\n# TYPE kube_pod_info gauge\nkube_pod_info{pod=\"a\"} 1\n");
  r = fetch(sv.base, "/metrics", "GET", prom3, NULL);
  CU_ASSERT_STRING_EQUAL(
      r.ctype, "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
  ASSERT_RESP(
      r, 200,
      "# HELP kube_pod_info I\n# TYPE kube_pod_info info\nkube_pod_info{pod=\"a\"} 1\n# EOF\n");
  r = fetch(sv.base, "/metrics?resources=nodes&resources=%20pods%20,x&exclude_resources=pods",
            "GET", NULL, NULL);
  ASSERT_RESP(r, 200, "");
  r = fetch(sv.base, "/metrics?resources=nodes,pods", "GET", NULL, NULL);
  ASSERT_RESP(r, 200,
              "# HELP kube_pod_info I\n# TYPE kube_pod_info gauge\nkube_pod_info{pod=\"a\"} 1\n");
  r = fetch(sv.base, "/metrics", "HEAD", NULL, NULL);
  CU_ASSERT_STRING_EQUAL(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
  ASSERT_RESP(r, 200, "");
  /* Telemetry saw the scrapes (a response is accounted when MHD releases it, which can
   * trail the client's view by a moment: poll briefly). */
  const char *want[] = {
      "kube_state_metrics_build_info{implementation=\"ksmc\",revision=\"abc123\",version=\"v0.1."
      "0\"} 1\n",
      "kube_state_metrics_shard_ordinal{shard_ordinal=\"1\"} 1\n",
      "kube_state_metrics_total_shards 3\n",
      "http_request_duration_seconds_count{handler=\"metrics\",method=\"get\"} 4\n",
      "http_request_duration_seconds_count{handler=\"metrics\",method=\"head\"} 1\n",
      "ksmc_store_objects{resource=\"pods\"} 1\n",
      "ksmc_store_objects{resource=\"nodes\"} 0\n",
      "# TYPE ksmc_scrape_bytes_total counter\n",
  };
  size_t nwant = sizeof want / sizeof want[0], found = 0;
  for (int tries = 0; tries < 50 && found < nwant; tries++, usleep(20000)) {
    r = fetch(sv.tele, "/metrics", "GET", NULL, NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    found = 0;
    for (size_t i = 0; i < nwant; i++) found += strstr(r.body.p, want[i]) != NULL;
    if (found < nwant && tries == 49)
      for (size_t i = 0; i < nwant; i++)
        if (!strstr(r.body.p, want[i])) fprintf(stderr, "\n  missing: %s", want[i]);
    ksmc_buf_free(&r.body);
  }
  CU_ASSERT_EQUAL(found, nwant);
  promtool_check(sv.tele);
  r = fetch(sv.tele, "/metrics", "GET", "application/openmetrics-text", NULL);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.body.p, "# TYPE ksmc_scrape_bytes counter\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r.body.p, "le=\"1.0\""));
  CU_ASSERT_TRUE(r.body.n > 6 && strcmp(r.body.p + r.body.n - 6, "# EOF\n") == 0);
  ksmc_buf_free(&r.body);
  server_stop(&sv);
}

static void test_gzip(void) {
  server sv;
  server_start(&sv, true, 0);
  char line[128];
  for (int i = 0; i < 30000; i++) { /* > 1 MiB through curl's decoder */
    char uid[16];
    snprintf(uid, sizeof uid, "u%d", i);
    snprintf(line, sizeof line, "kube_pod_info{pod=\"pod-%d\",namespace=\"ns-%d\"} 1\n", i, i % 9);
    put(sv.pods, uid, line);
  }
  resp plain = fetch(sv.base, "/metrics", "GET", NULL, NULL);
  CU_ASSERT_STRING_EQUAL(plain.cenc, "");
  resp z = fetch(sv.base, "/metrics", "GET", NULL, "gzip");
  CU_ASSERT_STRING_EQUAL(z.cenc, "gzip");
  CU_ASSERT_TRUE(plain.body.n > 256 * 1024); /* several reader calls */
  CU_ASSERT_EQUAL(z.body.n, plain.body.n);
  CU_ASSERT_TRUE(z.body.n == plain.body.n && memcmp(z.body.p, plain.body.p, z.body.n) == 0);
  ksmc_buf_free(&plain.body);
  ksmc_buf_free(&z.body);
  server_stop(&sv);
}

/* ---- stalled clients ---- */

static int connect_to(const ksmc_http *h) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(ksmc_http_port(h))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int sz = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_stalled_clients(void) {
  server sv;
  server_start(&sv, false, 2);
  char line[160];
  for (int i = 0; i < 50000; i++) { /* a body far larger than the socket buffers */
    char uid[16];
    snprintf(uid, sizeof uid, "u%d", i);
    snprintf(line, sizeof line, "kube_pod_info{pod=\"pod-%d\",namespace=\"ns-%d\"} 1\n", i, i % 9);
    put(sv.pods, uid, line);
  }
  /* A half-sent request, and a full /metrics request whose response is never read. */
  int half = connect_to(sv.http);
  CU_ASSERT(write(half, "GET /metrics HTTP/1.1\r\nHost: x\r\n", 32) == 32);
  int noread = connect_to(sv.http);
  const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  CU_ASSERT(write(noread, req, sizeof req - 1) == (ssize_t)sizeof req - 1);
  usleep(200 * 1000);
  double t0 = now();
  for (int i = 0; i < 5; i++) {
    resp r = fetch(sv.base, "/healthz", "GET", NULL, NULL);
    ASSERT_RESP(r, 200, "OK");
    r = fetch(sv.base, "/metrics?resources=nodes", "GET", NULL, NULL);
    ASSERT_RESP(r, 200, "");
  }
  double dt = now() - t0;
  fprintf(stderr, " [10 requests beside 2 stalled clients: %.1f ms] ", dt * 1e3);
  CU_ASSERT_TRUE(dt < 1.0);
  /* The idle timeout (2 s) closes the half-sent request. */
  struct pollfd p = {.fd = half, .events = POLLIN};
  CU_ASSERT_EQUAL(poll(&p, 1, 5000), 1);
  char buf[64];
  CU_ASSERT_TRUE(read(half, buf, sizeof buf) <= 0);
  close(half);
  close(noread);
  server_stop(&sv);
}

/* ---- hostile clients: raw sockets ---- */

/* A socket from source address src (127.x.y.z) to the listener on `port`. */
static int connect_from(const char *src, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in s = {.sin_family = AF_INET},
                     a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, src, &s.sin_addr);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&s, sizeof s), 0);
  CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

/* Reads until the peer closes or `ms` pass; returns the bytes read (NUL-terminated into
 * buf) or -1 if the connection was reset before anything arrived. */
static ssize_t read_all(int fd, char *buf, size_t cap, int ms) {
  size_t n = 0;
  double end = now() + ms / 1e3;
  while (n + 1 < cap) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int left = (int)((end - now()) * 1e3);
    if (left <= 0 || poll(&p, 1, left) != 1) break;
    ssize_t k = read(fd, buf + n, cap - 1 - n);
    if (k < 0 && n == 0) return -1;
    if (k <= 0) break;
    n += (size_t)k;
  }
  buf[n] = 0;
  return (ssize_t)n;
}

/* Sends one raw request from src and returns the response's status (0: none). */
static int raw_status(const char *src, uint16_t port, const char *req, char *resp_out, size_t cap) {
  int fd = connect_from(src, port);
  CU_ASSERT(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
  char buf[4096];
  ssize_t n = read_all(fd, buf, sizeof buf, 3000);
  close(fd);
  int status = 0;
  if (n > 12 && strncmp(buf, "HTTP/1.1 ", 9) == 0) status = atoi(buf + 9);
  if (resp_out) snprintf(resp_out, cap, "%s", n > 0 ? buf : "");
  return status;
}

static int get_status(uint16_t port, const char *path) {
  char req[256];
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
  return raw_status("127.0.0.1", port, req, NULL, 0);
}

/* Paths match exactly after decoding; NUL escapes and malformed escapes are 404. */
static void test_odd_paths(void) {
  server sv;
  server_start(&sv, false, 0);
  uint16_t mp = ksmc_http_port(sv.http), tp = ksmc_http_telemetry_port(sv.http);
  static const char *const not_found[] = {"/%00", "/%00/",      "/metrics%00", "/%zz",
                                          "/%",   "/metrics%",  "/%2",         "/metrics%2F",
                                          "//",   "/metrics/.", "/./metrics",  "/healthz%00x",
                                          "/%2e", "/METRICS",   "/metrics;x",  "/livez%0a"};
  for (size_t i = 0; i < sizeof not_found / sizeof not_found[0]; i++) {
    int st = get_status(mp, not_found[i]);
    if (st != 404) fprintf(stderr, "\n  GET %s -> %d, want 404\n", not_found[i], st);
    CU_ASSERT_EQUAL(st, 404);
  }
  CU_ASSERT_EQUAL(get_status(mp, "/"), 200);
  CU_ASSERT_EQUAL(get_status(mp, "/?%00"), 200);      /* query strings are not the path */
  CU_ASSERT_EQUAL(get_status(mp, "/metric%73"), 200); /* decoded, like Go's mux */
  CU_ASSERT_EQUAL(get_status(mp, "/metrics?resources=%00"), 200);
  CU_ASSERT_EQUAL(get_status(tp, "/readyz%00"), 404);
  CU_ASSERT_EQUAL(get_status(tp, "/%00"), 404);
  CU_ASSERT_EQUAL(get_status(tp, "/"), 200);
  server_stop(&sv);
}

/* A client dribbling its headers a byte at a time is cut off at the header timeout (the
 * idle timeout alone would never fire); a kept-alive connection may idle longer. */
static void test_header_deadline(void) {
  server sv;
  server_start_limits(&sv, false, 10, (limits){0, 0, 1});
  uint16_t port = ksmc_http_port(sv.http);
  int fd = connect_from("127.0.0.1", port);
  const char req[] =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  double t0 = now(), closed = 0;
  for (size_t i = 0; i < sizeof req - 1 && !closed; i++) {
    if (write(fd, req + i, 1) != 1) closed = now() - t0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (!closed && poll(&p, 1, 100) == 1) closed = now() - t0; /* EOF */
  }
  close(fd);
  fprintf(stderr, " [slowloris closed after %.2f s] ", closed);
  CU_ASSERT_TRUE(closed > 0.8 && closed < 2.5);
  /* keep-alive: a second request 1.5 s after the first is still served */
  fd = connect_from("127.0.0.1", port);
  const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  char buf[1024];
  for (int i = 0; i < 2; i++) {
    if (i) usleep(1500 * 1000);
    CU_ASSERT(write(fd, get, sizeof get - 1) == (ssize_t)sizeof get - 1);
    ssize_t n = read_all(fd, buf, sizeof buf, 500);
    CU_ASSERT_TRUE(n > 0 && strncmp(buf, "HTTP/1.1 200", 12) == 0);
  }
  close(fd);
  server_stop(&sv);
}

/* Beyond max_connections requests get a clear 503; below it service resumes. */
static void test_connection_limit(void) {
  server sv;
  server_start_limits(&sv, false, 10, (limits){4, 100, 10});
  uint16_t port = ksmc_http_port(sv.http);
  int idle[4];
  for (int i = 0; i < 4; i++) idle[i] = connect_from("127.0.0.1", port);
  usleep(200 * 1000);
  char resp_text[4096];
  const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  CU_ASSERT_EQUAL(raw_status("127.0.0.2", port, req, resp_text, sizeof resp_text), 503);
  CU_ASSERT_PTR_NOT_NULL(strstr(resp_text, "Retry-After: 1\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(resp_text, "too many connections"));
  for (int i = 0; i < 4; i++) close(idle[i]);
  usleep(200 * 1000);
  CU_ASSERT_EQUAL(raw_status("127.0.0.2", port, req, NULL, 0), 200);
  server_stop(&sv);
}

/* One address may hold max_connections_per_ip connections; others are unaffected. */
static void test_per_ip_limit(void) {
  server sv;
  server_start_limits(&sv, false, 10, (limits){64, 3, 10});
  uint16_t port = ksmc_http_port(sv.http);
  int idle[3];
  for (int i = 0; i < 3; i++) idle[i] = connect_from("127.0.0.3", port);
  usleep(200 * 1000);
  const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  CU_ASSERT_EQUAL(raw_status("127.0.0.3", port, req, NULL, 0), 0); /* closed at accept */
  CU_ASSERT_EQUAL(raw_status("127.0.0.4", port, req, NULL, 0), 200);
  for (int i = 0; i < 3; i++) close(idle[i]);
  usleep(200 * 1000);
  CU_ASSERT_EQUAL(raw_status("127.0.0.3", port, req, NULL, 0), 200);
  server_stop(&sv);
}

/* Stopping is prompt with the listener full of stalled clients (its listen socket paused)
 * and a response nobody reads. */
static void test_stop_prompt(void) {
  server sv;
  server_start_limits(&sv, false, 60, (limits){8, 100, 60});
  char line[160];
  for (int i = 0; i < 20000; i++) {
    char uid[16];
    snprintf(uid, sizeof uid, "u%d", i);
    snprintf(line, sizeof line, "kube_pod_info{pod=\"pod-%d\",namespace=\"ns-%d\"} 1\n", i, i % 9);
    put(sv.pods, uid, line);
  }
  uint16_t port = ksmc_http_port(sv.http);
  int fds[40];
  for (int i = 0; i < 40; i++) {
    fds[i] = connect_from("127.0.0.5", port);
    const char *req = i == 0 ? "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" : "GET /metr";
    CU_ASSERT(write(fds[i], req, strlen(req)) == (ssize_t)strlen(req));
  }
  usleep(500 * 1000);
  double t0 = now();
  server_stop(&sv);
  double dt = now() - t0;
  fprintf(stderr, " [stopped in %.3f s] ", dt);
  CU_ASSERT_TRUE(dt < 1.0);
  for (int i = 0; i < 40; i++) close(fds[i]);
}

static void test_bind_errors(void) {
  server sv;
  server_start(&sv, false, 0);
  ksmc_http_config cfg = {
      .host = "127.0.0.1", .port = ksmc_http_port(sv.http), .telemetry_port = -1, .expo = sv.expo};
  char err[256] = "";
  CU_ASSERT_PTR_NULL(ksmc_http_start(&cfg, err, sizeof err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot listen on 127.0.0.1:"));
  cfg.host = "no.such.host.invalid";
  CU_ASSERT_PTR_NULL(ksmc_http_start(&cfg, err, sizeof err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot resolve listen host no.such.host.invalid"));
  /* Default host: dual stack (or IPv4 fallback) on a free port; telemetry disabled. */
  cfg.host = NULL;
  cfg.port = 0;
  ksmc_http *h = ksmc_http_start(&cfg, err, sizeof err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(h);
  CU_ASSERT_EQUAL(ksmc_http_telemetry_port(h), 0);
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%u", ksmc_http_port(h));
  resp r = fetch(base, "/healthz", "GET", NULL, NULL);
  ASSERT_RESP(r, 200, "OK");
  ksmc_http_stop(h);
  server_stop(&sv);
}

static const ktest_case cases[] = {
    {"routes, probes, 404, 405, landing pages", test_routes},
    {"keep-alive: connections are reused", test_keep_alive},
    {"metrics: negotiation, filters, HEAD, telemetry (promtool)", test_metrics},
    {"gzip end to end through curl", test_gzip},
    {"stalled clients block nobody; idle timeout", test_stalled_clients},
    {"bind errors and default host", test_bind_errors},
    {"odd paths: %00, bad escapes -> 404", test_odd_paths},
    {"header deadline (slowloris); keep-alive idles longer", test_header_deadline},
    {"connection limit: 503 beyond it, recovery", test_connection_limit},
    {"per-IP connection limit", test_per_ip_limit},
    {"stop is prompt with stalled clients", test_stop_prompt},
    {0}};

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = ktest_run("serve_http", cases);
  curl_global_cleanup();
  return rc;
}
