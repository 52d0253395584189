/* The reflector's list+watch state machine against a scripted in-test HTTP server:
 * pagination, watch from the list's RV, bookmarks, re-watch on EOF, relist on 410 (ERROR
 * event and expired continue), backoff honouring Retry-After, malformed events, sharding,
 * selectors, request headers and watch batching. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "ksmc_jscan.h"
#include "ksmc_reflector.h"
#include "ksmc_request.h"
#include "ktest.h"

/* ---- a scripted HTTP/1.1 server ---- */

typedef struct {
  int status;
  const char *headers;    /* extra header lines, each ending in \r\n, or NULL */
  const char *chunks[16]; /* body, written as separate HTTP chunks */
  const char *bin;        /* or a binary body of bin_n bytes, in chunks of bin_chunk */
  size_t bin_n, bin_chunk;
  bool hang;  /* keep the connection open until the server stops */
  int gap_ms; /* pause between chunks; 0: 2 ms */
  bool keep;  /* keep-alive: the body in one write, then read the next request here */
} resp;

typedef void (*handler_fn)(int nreq, const char *target, resp *r);

typedef struct {
  int fd, port;
  pthread_t th;
  atomic_bool stop;
  atomic_int active;
  handler_fn handler;
  pthread_mutex_t mu;
  int nreq;
  char targets[32][512];
  int64_t times[32];
  int64_t ends[32]; /* when the response was completely written */
  int conns[32];    /* the connection (1, 2, ... in accept order) each request came on */
  int nconn;
  char first_headers[4096];
} server;

static server srv;

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k <= 0) return;
    p += k, n -= (size_t)k;
  }
}

static void send_resp(int fd, const resp *r) {
  char head[1024];
  if (r->keep) { /* the whole response in one write: curl may read it in one go */
    ksmc_buf b = {0};
    for (int i = 0; i < 16 && r->chunks[i]; i++)
      ksmc_buf_put(&b, r->chunks[i], strlen(r->chunks[i]));
    int k = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     r->status, b.n);
    ksmc_buf_put(&b, head, (size_t)k); /* appended, then rotated to the front */
    ksmc_buf out = {0};
    ksmc_buf_put(&out, b.p + b.n - (size_t)k, (size_t)k);
    ksmc_buf_put(&out, b.p, b.n - (size_t)k);
    write_all(fd, out.p, out.n);
    ksmc_buf_free(&b);
    ksmc_buf_free(&out);
    return;
  }
  int k = snprintf(head, sizeof head,
                   "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                   "Transfer-Encoding: chunked\r\nConnection: close\r\n%s\r\n",
                   r->status, r->headers ? r->headers : "");
  write_all(fd, head, (size_t)k);
  for (int i = 0; i < 16 && r->chunks[i]; i++) {
    size_t n = strlen(r->chunks[i]);
    k = snprintf(head, sizeof head, "%zx\r\n", n);
    write_all(fd, head, (size_t)k);
    write_all(fd, r->chunks[i], n);
    write_all(fd, "\r\n", 2);
    usleep(r->gap_ms ? (useconds_t)r->gap_ms * 1000 : 2000);
  }
  for (size_t at = 0; r->bin && at < r->bin_n; at += r->bin_chunk) {
    size_t n = r->bin_n - at < r->bin_chunk ? r->bin_n - at : r->bin_chunk;
    k = snprintf(head, sizeof head, "%zx\r\n", n);
    write_all(fd, head, (size_t)k);
    write_all(fd, r->bin + at, n);
    write_all(fd, "\r\n", 2);
  }
  while (r->hang && !atomic_load(&srv.stop)) usleep(10000);
  if (!r->hang) write_all(fd, "0\r\n\r\n", 5);
}

static void *conn_thread(void *arg) {
  int fd = (int)(intptr_t)arg;
  pthread_mutex_lock(&srv.mu);
  int conn = ++srv.nconn;
  pthread_mutex_unlock(&srv.mu);
  bool follow = false; /* a later request on a keep-alive connection */
next_request:;
  char req[4096];
  size_t n = 0;
  while (n < sizeof req - 1) {
    struct pollfd p = {fd, POLLIN, 0};
    if (follow && poll(&p, 1, 20) <= 0) { /* idle in the client's pool: until stop */
      if (atomic_load(&srv.stop)) break;
      continue;
    }
    ssize_t k = read(fd, req + n, sizeof req - 1 - n);
    if (k <= 0) break;
    n += (size_t)k;
    req[n] = 0;
    if (strstr(req, "\r\n\r\n")) break;
  }
  req[n] = 0;
  if (follow && !strstr(req, "\r\n\r\n")) { /* closed or stopped between requests */
    close(fd);
    atomic_fetch_sub(&srv.active, 1);
    return NULL;
  }
  char target[512] = "";
  sscanf(req, "GET %511s", target);
  resp r = {.status = 200};
  pthread_mutex_lock(&srv.mu);
  int idx = srv.nreq++;
  if (idx < 32) {
    snprintf(srv.targets[idx], sizeof srv.targets[idx], "%s", target);
    srv.times[idx] = mono_ms();
    srv.conns[idx] = conn;
  }
  if (idx == 0) snprintf(srv.first_headers, sizeof srv.first_headers, "%s", req);
  srv.handler(idx, target, &r);
  pthread_mutex_unlock(&srv.mu);
  send_resp(fd, &r);
  if (idx < 32) {
    pthread_mutex_lock(&srv.mu);
    srv.ends[idx] = mono_ms();
    pthread_mutex_unlock(&srv.mu);
  }
  if (r.keep && !atomic_load(&srv.stop)) {
    follow = true;
    goto next_request;
  }
  close(fd);
  atomic_fetch_sub(&srv.active, 1);
  return NULL;
}

static void *accept_thread(void *arg) {
  (void)arg;
  while (!atomic_load(&srv.stop)) {
    struct pollfd p = {srv.fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    int c = accept(srv.fd, NULL, NULL);
    if (c < 0) continue;
    atomic_fetch_add(&srv.active, 1);
    pthread_t t;
    pthread_create(&t, NULL, conn_thread, (void *)(intptr_t)c);
    pthread_detach(t);
  }
  return NULL;
}

static void server_start(handler_fn h) {
  signal(SIGPIPE, SIG_IGN); /* the client may close first */
  memset(&srv, 0, sizeof srv);
  pthread_mutex_init(&srv.mu, NULL);
  srv.handler = h;
  srv.fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CU_ASSERT_EQUAL_FATAL(bind(srv.fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(srv.fd, (struct sockaddr *)&a, &len);
  srv.port = ntohs(a.sin_port);
  listen(srv.fd, 16);
  pthread_create(&srv.th, NULL, accept_thread, NULL);
}

static void server_stop(void) {
  atomic_store(&srv.stop, true);
  pthread_join(srv.th, NULL);
  while (atomic_load(&srv.active) > 0) usleep(5000);
  close(srv.fd);
  pthread_mutex_destroy(&srv.mu);
}

static int nreq(void) {
  pthread_mutex_lock(&srv.mu);
  int n = srv.nreq;
  pthread_mutex_unlock(&srv.mu);
  return n;
}

/* ---- a recording sink ---- */

typedef struct {
  pthread_mutex_t mu;
  ksmc_buf log;
} recorder;

static recorder rec;

static void rec_line(const char *line) {
  pthread_mutex_lock(&rec.mu);
  ksmc_buf_put(&rec.log, line, strlen(line));
  pthread_mutex_unlock(&rec.mu);
}

static void sink_begin(void *u, size_t s) {
  (void)u, (void)s;
  rec_line("begin\n");
}

static int64_t event_ms[8]; /* when the sink saw watch events 0..7 of a test */
static int event_nice[8];   /* the calling thread's nice value then (Linux: per thread) */
static int item_nice;       /* ... and at the last list item */
static atomic_int nevents;  /* written by the ingest thread only */

static void sink_object(void *u, size_t s, ksmc_event_type t, bool in_list, const char *json,
                        size_t len, ksmc_slice uid) {
  (void)uid;
  (void)u, (void)s;
  int k = atomic_load(&nevents);
  if (in_list) item_nice = getpriority(PRIO_PROCESS, 0);
  if (!in_list && k < 8) {
    event_ms[k] = mono_ms();
    event_nice[k] = getpriority(PRIO_PROCESS, 0);
    atomic_store(&nevents, k + 1);
  }
  ksmc_slice v, name;
  char line[128];
  bool ok = ksmc_jscan_member2(json, len, "metadata", "name", &v) && ksmc_jscan_unquote(v, &name);
  static const char *const tn[] = {"ADDED", "MODIFIED", "DELETED"};
  snprintf(line, sizeof line, "%s %.*s\n", in_list ? "item" : tn[t], ok ? (int)name.n : 1,
           ok ? name.p : "?");
  rec_line(line);
}

static void sink_end(void *u, size_t s, bool complete) {
  (void)u, (void)s;
  rec_line(complete ? "end complete\n" : "end discard\n");
}

static atomic_int paused_logs;   /* "next page paused" lines */
static atomic_int crc_logs;      /* "gzip: incorrect CRC-32" lines */
static atomic_int cut_logs;      /* "before the gzip trailer" lines */
static atomic_int not_list_logs; /* "the answer is not a list (kind APIResourceList): it has
                                    no "items"" and "(kind PodList) ... no
                                    metadata.resourceVersion" lines */

static void quiet_log(void *u, ksmc_log_level l, const char *line) {
  (void)u;
  if (strstr(line, "next page paused")) atomic_fetch_add(&paused_logs, 1);
  if (strstr(line, "list failed: gzip: incorrect CRC-32")) atomic_fetch_add(&crc_logs, 1);
  if (strstr(line, "list failed: gzip: body ended before the gzip trailer"))
    atomic_fetch_add(&cut_logs, 1);
  if (strstr(line, "list failed: the answer is not a list (kind APIResourceList): it has no "
                   "\"items\"") ||
      strstr(line, "list failed: the answer is not a list (kind PodList): it has no "
                   "metadata.resourceVersion"))
    atomic_fetch_add(&not_list_logs, 1);
  if (getenv("KSMC_TEST_VERBOSE")) fprintf(stderr, "  [%d] %s\n", l, line);
}

typedef struct {
  ksmc_ingest *ig;
  ksmc_kube_config cfg;
  pthread_t th;
} harness;

static void *run(void *ig) {
  ksmc_ingest_run(ig);
  return NULL;
}

static bool start_optional; /* the next start()'s stream is optional (a custom resource) */

static void start(harness *h, handler_fn fn, const ksmc_ingest_opts *extra,
                  const char *field_selector) {
  server_start(fn);
  pthread_mutex_init(&rec.mu, NULL);
  rec.log = (ksmc_buf){0};
  char url[64], err[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
  ksmc_kube_config_opts co = {.apiserver = url, .service_host = ""};
  CU_ASSERT_EQUAL_FATAL(ksmc_kube_config_load(&co, &h->cfg, err, sizeof err), 0);
  static ksmc_stream_spec spec;
  spec = (ksmc_stream_spec){"pods", "/api/v1/pods", field_selector, NULL, start_optional};
  ksmc_ingest_opts o = extra ? *extra : (ksmc_ingest_opts){0};
  o.config = &h->cfg;
  o.streams = &spec;
  o.nstreams = 1;
  o.sink = (ksmc_sink){NULL, sink_begin, sink_object, sink_end, NULL, NULL};
  o.backoff_init_ms = o.backoff_init_ms ? o.backoff_init_ms : 50;
  o.seed = 1;
  o.log = quiet_log;
  o.log_level = KSMC_LOG_DEBUG;
  if (!o.page_size) o.page_size = 2;
  h->ig = ksmc_ingest_new(&o, err, sizeof err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(h->ig);
  pthread_create(&h->th, NULL, run, h->ig);
}

/* Waits until the server has seen n requests (5 s at most). */
static void wait_requests(int n) {
  int64_t until = mono_ms() + 5000;
  while (nreq() < n && mono_ms() < until) usleep(5000);
  CU_ASSERT_TRUE(nreq() >= n);
}

static void finish(harness *h) {
  ksmc_ingest_stop(h->ig);
  pthread_join(h->th, NULL);
  server_stop();
}

static void cleanup(harness *h) {
  ksmc_ingest_free(h->ig);
  ksmc_kube_config_free(&h->cfg);
  ksmc_buf_free(&rec.log);
  pthread_mutex_destroy(&rec.mu);
}

static void assert_log(const char *want) { KTEST_ASSERT_BYTES(rec.log.p, rec.log.n, want); }

#define POD(name, uid, rv)                                                                         \
  "{\"metadata\":{\"name\":\"" name "\",\"uid\":\"" uid "\",\"resourceVersion\":\"" rv "\"}}"
#define EV(type, obj) "{\"type\":\"" type "\",\"object\":" obj "}\n"
#define GONE                                                                                       \
  "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","             \
  "\"message\":\"The provided continue parameter is too "                                          \
  "old\",\"reason\":\"Expired\",\"code\":410}"

/* ---- scenarios ---- */

static void h_full_cycle(int n, const char *t, resp *r) {
  (void)t;
  switch (n) {
  case 0:
    r->chunks[0] =
        "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"100\",\"continue\":\"c1\"},";
    r->chunks[1] = "\"items\":[" POD("a", "ua", "90") "," POD("b", "ub", "91");
    r->chunks[2] = "]}";
    break;
  case 1:
    r->chunks[0] =
        "{\"items\":[" POD("c", "uc", "92") "],\"metadata\":{\"resourceVersion\":\"100\"}}";
    break;
  case 2:
    r->chunks[0] = EV("ADDED", POD("d", "ud", "101")) "{\"type\":\"MODI";
    r->chunks[1] =
        "FIED\",\"object\":" POD("a", "ua", "102") "}\n" EV("DELETED", POD("b", "ub", "103"));
    r->chunks[2] = EV("BOOKMARK", "{\"metadata\":{\"resourceVersion\":\"150\"}}");
    break;
  case 3:
    r->chunks[0] = EV("ERROR", GONE);
    break;
  case 4:
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"200\"},\"items\":[" POD(
        "a", "ua", "102") "," POD("c", "uc", "92") "," POD("d", "ud", "101") "]}";
    break;
  default:
    r->hang = true;
  }
}

static void test_full_cycle(void) {
  harness h;
  start(&h, h_full_cycle, NULL, NULL);
  wait_requests(6);
  CU_ASSERT_TRUE(ksmc_ingest_synced(h.ig, 0));
  finish(&h);
  assert_log("begin\nitem a\nitem b\nitem c\nend complete\nADDED d\nMODIFIED a\nDELETED b\n"
             "begin\nitem a\nitem c\nitem d\nend complete\n");
  CU_ASSERT_STRING_EQUAL(srv.targets[0], "/api/v1/pods?limit=2");
  CU_ASSERT_STRING_EQUAL(srv.targets[1], "/api/v1/pods?limit=2&continue=c1");
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[2], "/api/v1/pods?watch=true&allowWatchBookmarks=true"
                                                "&resourceVersion=100&timeoutSeconds="));
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[3], "&resourceVersion=150&")); /* the bookmark's */
  CU_ASSERT_STRING_EQUAL(srv.targets[4], "/api/v1/pods?limit=2");
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[5], "&resourceVersion=200&"));
  /* the next page, the watch and the re-watch after a clean end start at once (a loop
   * that waited for its poll timeout took ~1 s per step, 3 s here; the bound leaves room for
   * valgrind) */
  int64_t steps = srv.times[3] - srv.times[0];
  if (getenv("KSMC_TEST_VERBOSE")) fprintf(stderr, "  3 steps in %lld ms\n", (long long)steps);
  CU_ASSERT_TRUE(steps < 1500);
  long ts = atol(strstr(srv.targets[2], "timeoutSeconds=") + 15);
  CU_ASSERT_TRUE(ts >= 300 && ts < 600);
  ksmc_stream_stats st;
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_EQUAL(st.lists, 2);
  CU_ASSERT_EQUAL(st.relists, 1);
  CU_ASSERT_EQUAL(st.watches, 3);
  CU_ASSERT_EQUAL(st.events_added, 1);
  CU_ASSERT_EQUAL(st.events_modified, 1);
  CU_ASSERT_EQUAL(st.events_deleted, 1);
  CU_ASSERT_EQUAL(st.events_bookmark, 1);
  CU_ASSERT_EQUAL(st.events_error, 1);
  CU_ASSERT_EQUAL(st.objects_listed, 3);
  CU_ASSERT_TRUE(st.synced);
  CU_ASSERT_TRUE(st.bytes > 500);
  /* headers */
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.first_headers, "Accept: application/json\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.first_headers, "gzip"));
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.first_headers, "User-Agent: ksmc/"));
  CU_ASSERT_PTR_NULL(strstr(srv.first_headers, "Authorization")); /* plain http */
  cleanup(&h);
}

/* Pipelined pages: page 1 trickles in 16 chunks; page 2 (over 1 MiB) must be requested
 * as soon as page 1's continue token is parsed, buffered, paused at the buffer limit and
 * resumed, and its items delivered after page 1's, in order. */
#define BIG_ITEMS 4000
static char *big_page;
static const char *small_items[14] = {
    "," POD("p1", "u1", "1"),   "," POD("p2", "u2", "1"),   "," POD("p3", "u3", "1"),
    "," POD("p4", "u4", "1"),   "," POD("p5", "u5", "1"),   "," POD("p6", "u6", "1"),
    "," POD("p7", "u7", "1"),   "," POD("p8", "u8", "1"),   "," POD("p9", "u9", "1"),
    "," POD("p10", "u10", "1"), "," POD("p11", "u11", "1"), "," POD("p12", "u12", "1"),
    "," POD("p13", "u13", "1"), "," POD("p14", "u14", "1")};

static void h_pipelined(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0) {
    r->chunks[0] =
        "{\"metadata\":{\"resourceVersion\":\"100\",\"continue\":\"c1\"},\"items\":[" POD("a", "ua",
                                                                                          "1");
    for (int i = 0; i < 14; i++) r->chunks[1 + i] = small_items[i];
    r->chunks[15] = "]}";
  } else if (n == 1) {
    r->chunks[0] = big_page;
  } else {
    r->hang = true;
  }
}

/* Appends n list items named <name>0.. (uid the same) with a 256-byte annotation of
 * padc to page, comma-separated, and the recorder's "item <name>i" lines to want. */
static void put_padded_items(ksmc_buf *page, ksmc_buf *want, const char *name, int n, char padc) {
  char item[400], pad[257];
  memset(pad, padc, 256);
  pad[256] = 0;
  for (int i = 0; i < n; i++) {
    int k = snprintf(item, sizeof item,
                     "%s{\"metadata\":{\"name\":\"%s%d\",\"uid\":\"%s%d\",\"resourceVersion\":"
                     "\"1\",\"annotations\":{\"x\":\"%s\"}}}",
                     i ? "," : "", name, i, name, i, pad);
    ksmc_buf_put(page, item, (size_t)k);
    k = snprintf(item, sizeof item, "item %s%d\n", name, i);
    ksmc_buf_put(want, item, (size_t)k);
  }
}

/* Waits (at most 5 s) for stream 0's first sync and asserts it happened. */
static void wait_synced(harness *h) {
  int64_t until = mono_ms() + 5000;
  while (!ksmc_ingest_synced(h->ig, 0) && mono_ms() < until) usleep(5000);
  CU_ASSERT_TRUE(ksmc_ingest_synced(h->ig, 0));
}

/* Runs the reflector against fn until it has made nreq requests and stream 0 has synced,
 * then stops it; h keeps what it received until cleanup. */
static void run_until_synced(harness *h, handler_fn fn, int nreq) {
  start(h, fn, NULL, NULL);
  wait_requests(nreq);
  wait_synced(h);
  finish(h);
}

static void test_pipelined_pages(void) {
  ksmc_buf page = {0}, want = {0};
  char item[32];
  ksmc_buf_puts(&want, KSMC_LIT("begin\nitem a\n"));
  for (int i = 1; i <= 14; i++) {
    snprintf(item, sizeof item, "item p%d\n", i);
    ksmc_buf_put(&want, item, strlen(item));
  }
  ksmc_buf_puts(&page, KSMC_LIT("{\"metadata\":{\"resourceVersion\":\"100\"},\"items\":["));
  put_padded_items(&page, &want, "big", BIG_ITEMS, 'x');
  ksmc_buf_puts(&page, KSMC_LIT("]}"));
  ksmc_buf_puts(&want, KSMC_LIT("end complete\n"));
  CU_ASSERT_TRUE(page.n > (1u << 20) + (1u << 18)); /* over the prefetch buffer limit */
  big_page = (char *)ksmc_buf_cstr(&page);
  atomic_store(&paused_logs, 0);
  harness h;
  run_until_synced(&h, h_pipelined, 3); /* both pages and the watch */
  KTEST_ASSERT_BYTES(rec.log.p, rec.log.n, ksmc_buf_cstr(&want));
  CU_ASSERT_STRING_EQUAL(srv.targets[1], "/api/v1/pods?limit=2&continue=c1");
  /* page 2 was asked for while page 1 was still being sent */
  CU_ASSERT_TRUE(srv.times[1] < srv.ends[0]);
  CU_ASSERT_TRUE(atomic_load(&paused_logs) >= 1);
  ksmc_stream_stats st;
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_EQUAL(st.objects_listed, 15 + BIG_ITEMS);
  CU_ASSERT_EQUAL(st.lists, 1);
  cleanup(&h);
  ksmc_buf_free(&page);
  ksmc_buf_free(&want);
}

/* Keep-alive pages that arrive whole: page 1 sits complete in the socket when its
 * continue token is parsed, so curl could read all of it in the same
 * socket action and hand its connection to page 2's request afterwards (the
 * prefetch would then wait for page 1 instead of overlapping it). Page 2 must be asked
 * for on a connection of its own; items stay in order. */
static char *keep_page1;

static void h_keepalive(int n, const char *t, resp *r) {
  (void)t;
  r->keep = true;
  if (n == 0) {
    r->chunks[0] = keep_page1;
  } else if (n == 1) {
    r->chunks[0] =
        "{\"metadata\":{\"resourceVersion\":\"100\"},\"items\":[" POD("z", "uz", "1") "]}";
  } else {
    r->keep = false;
    r->hang = true;
  }
}

static void test_prefetch_own_connection(void) {
  ksmc_buf page = {0}, want = {0};
  ksmc_buf_puts(&want, KSMC_LIT("begin\n"));
  ksmc_buf_puts(&page, KSMC_LIT("{\"metadata\":{\"resourceVersion\":\"100\",\"continue\":\"c1\"},"
                                "\"items\":["));
  put_padded_items(&page, &want, "k", 120, 'y'); /* ~40 KB: whole in the socket buffer at once */
  ksmc_buf_puts(&page, KSMC_LIT("]}"));
  ksmc_buf_puts(&want, KSMC_LIT("item z\nend complete\n"));
  keep_page1 = (char *)ksmc_buf_cstr(&page);
  harness h;
  run_until_synced(&h, h_keepalive, 3); /* both pages and the watch */
  KTEST_ASSERT_BYTES(rec.log.p, rec.log.n, ksmc_buf_cstr(&want));
  CU_ASSERT_STRING_EQUAL(srv.targets[1], "/api/v1/pods?limit=2&continue=c1");
  CU_ASSERT_NOT_EQUAL(srv.conns[1], srv.conns[0]); /* not after page 1 on its connection */
  cleanup(&h);
  ksmc_buf_free(&page);
  ksmc_buf_free(&want);
}

static void h_expired_continue(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"5\",\"continue\":\"c1\"},\"items\":[" POD(
        "a", "ua", "1") "," POD("b", "ub", "2") "]}";
  } else if (n == 1) {
    r->status = 410;
    r->chunks[0] = GONE;
  } else if (n == 2) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[" POD(
        "a", "ua", "1") "," POD("b", "ub", "2") "," POD("c", "uc", "8") "]}";
  } else {
    r->hang = true;
  }
}

static void test_expired_continue(void) {
  harness h;
  start(&h, h_expired_continue, NULL, NULL);
  wait_requests(4);
  finish(&h);
  assert_log("begin\nitem a\nitem b\nend discard\nbegin\nitem a\nitem b\nitem c\nend complete\n");
  /* client-go's pager: one unpaginated, consistent list after an expired continue */
  CU_ASSERT_STRING_EQUAL(srv.targets[2], "/api/v1/pods");
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[3], "resourceVersion=9&"));
  ksmc_stream_stats st;
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_EQUAL(st.list_errors, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(st.last_error, "HTTP 410: The provided continue parameter"));
  cleanup(&h);
}

static void h_retry_after(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0) {
    r->status = 429;
    r->headers = "Retry-After: 1\r\n";
    r->chunks[0] = "{\"kind\":\"Status\",\"message\":\"too many requests\",\"code\":429}";
  } else if (n == 1) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"3\"},\"items\":[]}";
  } else {
    r->hang = true;
  }
}

static void test_retry_after(void) {
  harness h;
  start(&h, h_retry_after, NULL, NULL);
  wait_requests(3);
  finish(&h);
  CU_ASSERT_TRUE(srv.times[1] - srv.times[0] >= 990);
  assert_log("begin\nend discard\nbegin\nend complete\n");
  ksmc_stream_stats st;
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_STRING_EQUAL(st.last_error, "list: HTTP 429: too many requests");
  cleanup(&h);
}

#define UID_A "3f2a9c1e-5b7d-4e8a-9c3b-1d2e3f4a5b6c" /* shard 3 of 4 */
#define UID_Z "00000000-0000-0000-0000-000000000000" /* shard 1 of 4 */

static void h_sharding(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[" POD(
        "a", UID_A, "1") "," POD("z", UID_Z, "2") "]}";
  } else if (n == 1) {
    r->chunks[0] = EV("MODIFIED", POD("z", UID_Z, "8")) EV("MODIFIED", POD("a", UID_A, "9"));
    r->hang = true;
  } else {
    r->hang = true;
  }
}

static void test_sharding_and_cache(void) {
  harness h;
  ksmc_ingest_opts o = {
      .shard = 3, .total_shards = 4, .use_apiserver_cache = true, .page_size = 500};
  start(&h, h_sharding, &o, "spec.nodeName=n1");
  wait_requests(2);
  usleep(100000);
  finish(&h);
  assert_log("begin\nitem a\nend complete\nMODIFIED a\n");
  CU_ASSERT_STRING_EQUAL(
      srv.targets[0], "/api/v1/pods?limit=500&resourceVersion=0&fieldSelector=spec.nodeName%3Dn1");
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[1], "&fieldSelector=spec.nodeName%3Dn1"));
  cleanup(&h);
}

static void h_reshard(int n, const char *t, resp *r) {
  (void)t;
  if (n % 2 == 0) /* every list: both pods; every watch: hangs until the re-shard aborts it */
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[" POD(
        "a", UID_A, "1") "," POD("z", UID_Z, "2") "]}";
  else
    r->hang = true;
}

/* Autosharding: with await_shard nothing starts until the shard is set; each
 * ksmc_ingest_set_shard drops synced at once, aborts the watch and relists with the new
 * shard (a shard outside [0, total) keeps nothing). */
static void test_reshard(void) {
  harness h;
  ksmc_ingest_opts o = {.await_shard = true, .page_size = 500};
  start(&h, h_reshard, &o, NULL);
  usleep(200000);
  CU_ASSERT_EQUAL(nreq(), 0);
  CU_ASSERT_FALSE(ksmc_ingest_all_synced(h.ig));
  ksmc_ingest_set_shard(h.ig, 3, 4);
  wait_requests(2);
  usleep(50000);
  CU_ASSERT_TRUE(ksmc_ingest_all_synced(h.ig));
  ksmc_ingest_set_shard(h.ig, 1, 4);
  CU_ASSERT_FALSE(ksmc_ingest_all_synced(h.ig)); /* /readyz 503 from the call on */
  wait_requests(4);
  usleep(50000);
  CU_ASSERT_TRUE(ksmc_ingest_all_synced(h.ig));
  ksmc_ingest_set_shard(h.ig, -1, 4);
  wait_requests(6);
  usleep(50000);
  finish(&h);
  assert_log("begin\nitem a\nend complete\nbegin\nitem z\nend complete\nbegin\nend complete\n");
  for (int i = 0; i < 6; i += 2)
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[i], "/api/v1/pods?limit=500"));
  cleanup(&h);
}

static void h_malformed(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0 || n == 2) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[" POD("a", "ua", "1") "]}";
  } else if (n == 1) {
    r->chunks[0] =
        EV("ADDED", POD("b", "ub", "8")) "this is not json\n" EV("ADDED", POD("c", "uc", "9"));
  } else {
    r->hang = true;
  }
}

static void test_malformed_event_relists(void) {
  harness h;
  start(&h, h_malformed, NULL, NULL);
  wait_requests(4);
  finish(&h);
  assert_log("begin\nitem a\nend complete\nADDED b\nbegin\nitem a\nend complete\n");
  ksmc_stream_stats st;
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_EQUAL(st.watch_errors, 1);
  CU_ASSERT_EQUAL(st.relists, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(st.last_error, "malformed watch stream"));
  cleanup(&h);
}

static void h_server_errors(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0 || n == 3) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[" POD("a", "ua", "1") "]}";
  } else if (n == 1) {
    r->chunks[0] = EV("ADDED", POD("b", "ub", "8"));
    r->chunks[1] = "{\"type\":\"ADDED\",\"object\":{\"meta"; /* cut mid-event, clean EOF */
  } else if (n == 2) {
    r->status = 500;
    r->chunks[0] = "{\"kind\":\"Status\",\"message\":\"etcd is sad\",\"code\":500}";
  } else {
    r->hang = true;
  }
}

/* A watch that ends cleanly re-watches from its RV; a 500 on watch relists. */
static void test_eof_then_500(void) {
  harness h;
  start(&h, h_server_errors, NULL, NULL);
  wait_requests(5);
  finish(&h);
  assert_log("begin\nitem a\nend complete\nADDED b\nbegin\nitem a\nend complete\n");
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[2], "watch=true"));
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[2], "resourceVersion=8&"));
  CU_ASSERT_STRING_EQUAL(srv.targets[3], "/api/v1/pods?limit=2");
  cleanup(&h);
}

static void h_not_a_list(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[" POD("a", "ua", "1") "]}";
  } else if (n == 1) {
    r->chunks[0] = EV("ERROR", GONE);
  } else if (n == 2) { /* what a mangled path got from the simulator's discovery */
    r->chunks[0] = "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"v1\","
                   "\"resources\":[]}";
  } else if (n == 3) { /* a list without its resourceVersion */
    r->chunks[0] = "{\"kind\":\"PodList\",\"metadata\":{},\"items\":[]}";
  } else if (n == 4) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[" POD(
        "a", "ua", "1") "," POD("b", "ub", "8") "]}";
  } else {
    r->hang = true;
  }
}

/* A 200 answer to a LIST that parses completely but is not a list (no items, or no
 * resourceVersion) fails the list: the store keeps its objects (no "end complete" with
 * nothing in it), the error names what came, and the stream relists and then watches from
 * the good list's resourceVersion. Taken as an empty list, it emptied a store in CI and
 * the watch from "" that followed sent back only some objects. */
static void test_not_a_list(void) {
  harness h;
  start(&h, h_not_a_list, NULL, NULL);
  wait_requests(6);
  finish(&h);
  assert_log("begin\nitem a\nend complete\nbegin\nend discard\nbegin\nend discard\n"
             "begin\nitem a\nitem b\nend complete\n");
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[5], "watch=true"));
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[5], "resourceVersion=9&"));
  ksmc_stream_stats st;
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_EQUAL(st.list_errors, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(st.last_error, "list: the answer is not a list (kind PodList): it "
                                               "has no metadata.resourceVersion"));
  CU_ASSERT_EQUAL(atomic_load(&not_list_logs), 2);
  cleanup(&h);
}

static void h_empty_rv(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[" POD("a", "ua", "1") "]}";
  } else if (n == 1) { /* then a clean end: re-watch */
    r->chunks[0] =
        EV("ADDED", POD("b", "ub", "")) EV("BOOKMARK", "{\"metadata\":{\"resourceVersion\":\"\"}}");
  } else {
    r->hang = true;
  }
}

/* An event or a bookmark with an empty resourceVersion keeps the one ksmc watches from:
 * a watch from "" would start over from "now" with every object sent again. */
static void test_empty_rv_kept(void) {
  harness h;
  start(&h, h_empty_rv, NULL, NULL);
  wait_requests(3);
  finish(&h);
  assert_log("begin\nitem a\nend complete\nADDED b\n");
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[1], "watch=true"));
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[2], "watch=true"));
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[2], "resourceVersion=7&"));
  cleanup(&h);
}

/* Answers 503 to everything: a request that reaches the server before server_stop() must
 * not sync the stream either (with h_full_cycle a fast first LIST raced the stop). */
static void h_unavailable(int n, const char *t, resp *r) {
  (void)n;
  (void)t;
  r->status = 503;
  r->chunks[0] = "{\"kind\":\"Status\",\"message\":\"unavailable\",\"code\":503}";
}

/* Nothing listens: the list fails, backs off, and the stream is not synced. */
static void test_connection_refused(void) {
  harness h;
  start(&h, h_unavailable, NULL, NULL);
  server_stop();
  usleep(300000);
  CU_ASSERT_FALSE(ksmc_ingest_synced(h.ig, 0));
  CU_ASSERT_FALSE(ksmc_ingest_all_synced(h.ig));
  ksmc_stream_stats st;
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_TRUE(st.list_errors >= 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(st.last_error, "list: "));
  ksmc_ingest_stop(h.ig);
  pthread_join(h.th, NULL);
  cleanup(&h);
}

#define NOT_FOUND                                                                                  \
  "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","             \
  "\"message\":\"the server could not find the requested resource\",\"reason\":\"NotFound\","      \
  "\"code\":404}"

/* A custom resource whose CRD is missing, installed, then deleted again. */
static void h_absent(int n, const char *t, resp *r) {
  (void)t;
  switch (n) {
  case 0:
  case 1:
  case 4:
    r->status = 404;
    r->chunks[0] = NOT_FOUND;
    break;
  case 2:
    r->chunks[0] =
        "{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[" POD("a", "ua", "9") "]}";
    break;
  case 3: /* the watch: the CRD was deleted */
    r->status = 404;
    r->chunks[0] = NOT_FOUND;
    break;
  default:
    r->hang = true;
  }
}

/* An optional stream (a custom resource): a 404 LIST is "not served", not a failure: an
 * empty complete list (objects of a deleted CRD go), synced for /readyz, and the next
 * look after absent_recheck_ms, not after a growing backoff. A non-optional stream treats
 * the same 404 as a failed list. */
static void test_absent_resource(void) {
  harness h;
  ksmc_ingest_opts o = {.absent_recheck_ms = 150};
  start_optional = true;
  start(&h, h_absent, &o, NULL);
  start_optional = false;
  wait_requests(1);
  int64_t until = mono_ms() + 2000;
  while (!ksmc_ingest_synced(h.ig, 0) && mono_ms() < until) usleep(2000);
  CU_ASSERT_TRUE(ksmc_ingest_all_synced(h.ig));
  ksmc_stream_stats st;
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_TRUE(st.absent);
  CU_ASSERT_EQUAL(st.list_errors, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(st.last_error, "HTTP 404: the server could not find"));
  wait_requests(6);
  finish(&h);
  assert_log("begin\nend complete\nbegin\nend complete\nbegin\nitem a\nend complete\n"
             "begin\nend complete\nbegin\nend discard\n"); /* the last one hangs */
  CU_ASSERT_TRUE(srv.times[1] - srv.times[0] >= 140);      /* the recheck period */
  CU_ASSERT_TRUE(srv.times[2] - srv.times[1] >= 140);
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.targets[3], "watch=true"));
  CU_ASSERT_TRUE(srv.times[5] - srv.times[4] >= 140); /* absent again after the relist */
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_TRUE(st.absent);
  CU_ASSERT_TRUE(ksmc_ingest_synced(h.ig, 0));
  cleanup(&h);

  start(&h, h_absent, NULL, NULL); /* the same answers for a built-in kind */
  wait_requests(2);
  finish(&h);
  CU_ASSERT_EQUAL(strncmp(rec.log.p, "begin\nend discard\nbegin\nend discard\n", 36), 0);
  CU_ASSERT_FALSE(ksmc_ingest_synced(h.ig, 0));
  cleanup(&h);
}

/* gzip_body: one gzip member of s (zlib level 6) into out; its length. */
static size_t gzip_body(const char *s, char *out, size_t cap) {
  z_stream z = {0};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
  z.next_in = (Bytef *)(uintptr_t)s;
  z.avail_in = (uInt)strlen(s);
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap;
  int rc = deflate(&z, Z_FINISH);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? cap - z.avail_out : 0;
}

static char gz_page1[2048], gz_page2[2048], gz_page3[2048];
static size_t gz_n1, gz_n2, gz_n3;

static void h_gzip(int n, const char *t, resp *r) {
  (void)t;
  static const char *const gz = "Content-Encoding: gzip\r\n";
  switch (n) {
  case 0: /* page 1 in 7-byte chunks (the next page is requested while it decodes) */
    *r = (resp){.status = 200, .headers = gz, .bin = gz_page1, .bin_n = gz_n1, .bin_chunk = 7};
    break;
  case 1: /* page 2: its CRC-32 is wrong -> the list fails */
    *r = (resp){.status = 200, .headers = gz, .bin = gz_page2, .bin_n = gz_n2, .bin_chunk = 100};
    break;
  case 2: /* relist: every item, but the body ends before the gzip trailer */
    *r = (resp){.status = 200, .headers = gz, .bin = gz_page3, .bin_n = gz_n3 - 8, .bin_chunk = 3};
    break;
  case 3: /* relist: not compressed (a small list) */
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"100\"},\"items\":[" POD(
        "a", "ua", "90") "," POD("c", "uc", "92") "]}";
    break;
  default:
    r->hang = true;
  }
}

static void test_gzip_lists(void) {
  gz_n1 = gzip_body(
      "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"100\","
      "\"continue\":\"c1\"},\"items\":[" POD("a", "ua", "90") "," POD("b", "ub", "91") "]}",
      gz_page1, sizeof gz_page1);
  gz_n2 = gzip_body("{\"items\":[" POD("c", "uc", "92") "],\"metadata\":{\"resourceVersion\":"
                                                        "\"100\"}}",
                    gz_page2, sizeof gz_page2);
  gz_page2[gz_n2 - 8] ^= 0x20; /* the CRC-32 */
  gz_n3 = gzip_body("{\"metadata\":{\"resourceVersion\":\"100\"},\"items\":[" POD(
                        "a", "ua", "90") "," POD("c", "uc", "92") "]}",
                    gz_page3, sizeof gz_page3);
  CU_ASSERT_FATAL(gz_n1 && gz_n2 && gz_n3);
  atomic_store(&crc_logs, 0);
  atomic_store(&cut_logs, 0);
  harness h;
  run_until_synced(&h, h_gzip, 5);
  assert_log("begin\nitem a\nitem b\nend discard\nbegin\nitem a\nitem c\nend discard\n"
             "begin\nitem a\nitem c\nend complete\n");
  CU_ASSERT_STRING_EQUAL(srv.targets[1], "/api/v1/pods?limit=2&continue=c1");
  /* LIST requests offer gzip only: ksmc decodes it (ksmc_gunzip) */
  CU_ASSERT_PTR_NOT_NULL(strstr(srv.first_headers, "Accept-Encoding: gzip\r\n"));
  CU_ASSERT_EQUAL(atomic_load(&crc_logs), 1);
  CU_ASSERT_EQUAL(atomic_load(&cut_logs), 1);
  ksmc_stream_stats st;
  ksmc_ingest_stats(h.ig, 0, &st);
  CU_ASSERT_EQUAL(st.lists, 3);
  CU_ASSERT_EQUAL(st.list_errors, 2);
  CU_ASSERT_EQUAL(st.objects_listed, 2);
  cleanup(&h);
}

/* Watch batching (watch_batch_us, exaggerated to 400 ms here): three events 150 ms apart
 * are all delivered, in order, and not as they arrive: once the watch is busy (an event
 * came while the previous turn ran or soon after it) the thread pauses 400 ms before
 * reading again, so the first and last delivery are at least one pause apart, where
 * without batching they would be ~300 ms apart. (Only a stall of the ingest thread over
 * 300 ms, reading all three in one turn, could hide the pause.) */
static void h_batched_watch(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0) {
    r->chunks[0] = "{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[]}";
  } else if (n == 1) {
    r->chunks[0] = EV("ADDED", POD("a", "ua", "11"));
    r->chunks[1] = EV("ADDED", POD("b", "ub", "12"));
    r->chunks[2] = EV("ADDED", POD("c", "uc", "13"));
    r->gap_ms = 150;
  } else {
    r->hang = true;
  }
}

static void test_batched_watch(void) {
  harness h;
  atomic_store(&nevents, 0);
  ksmc_ingest_opts o = {.watch_batch_us = 400000};
  start(&h, h_batched_watch, &o, NULL);
  int64_t until = mono_ms() + 10000;
  while (atomic_load(&nevents) < 3 && mono_ms() < until) usleep(5000);
  finish(&h);
  assert_log("begin\nend complete\nADDED a\nADDED b\nADDED c\n");
  CU_ASSERT_EQUAL_FATAL(atomic_load(&nevents), 3);
  CU_ASSERT_TRUE(event_ms[2] - event_ms[0] >= 395);
  cleanup(&h);
}

/* nice_after_sync: list items are delivered at the thread's priority, watch events (after
 * every stream synced) at a nice value that much higher. */
static void h_one_item_one_event(int n, const char *t, resp *r) {
  (void)t;
  if (n == 0) {
    r->chunks[0] =
        "{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[" POD("a", "ua", "9") "]}";
  } else if (n == 1) {
    r->chunks[0] = EV("ADDED", POD("b", "ub", "11"));
  } else {
    r->hang = true;
  }
}

static void test_nice_after_sync(void) {
  harness h;
  atomic_store(&nevents, 0);
  item_nice = event_nice[0] = -100;
  ksmc_ingest_opts o = {.nice_after_sync = 3};
  start(&h, h_one_item_one_event, &o, NULL);
  int64_t until = mono_ms() + 10000;
  while (atomic_load(&nevents) < 1 && mono_ms() < until) usleep(5000);
  finish(&h);
  assert_log("begin\nitem a\nend complete\nADDED b\n");
  CU_ASSERT_EQUAL_FATAL(atomic_load(&nevents), 1);
  CU_ASSERT_TRUE(item_nice >= -20 && item_nice <= 19);
#ifdef __linux__
  CU_ASSERT_EQUAL(event_nice[0], item_nice + 3 > 19 ? 19 : item_nice + 3);
#endif
  cleanup(&h);
}

/* The watch's receive buffer follows the last LIST's size: 1/32 of it, a power of two,
 * never below curl's default 16 KiB nor above 1 MiB, and never smaller for a larger list. */
static void test_watch_recv_bytes(void) {
  CU_ASSERT_EQUAL(ksmc_watch_recv_bytes(0), 16384);
  CU_ASSERT_EQUAL(ksmc_watch_recv_bytes(32 * 16384), 16384);
  CU_ASSERT_EQUAL(ksmc_watch_recv_bytes(32 * 16384 + 32), 32768);
  CU_ASSERT_EQUAL(ksmc_watch_recv_bytes(32 * 262144), 262144);
  CU_ASSERT_EQUAL(ksmc_watch_recv_bytes(28000000), 1048576); /* 3,000 pods of 9.3 KB */
  CU_ASSERT_EQUAL(ksmc_watch_recv_bytes(UINT64_MAX), 1048576);
  long prev = 0;
  for (uint64_t b = 0; b < (uint64_t)1 << 36; b = b * 3 / 2 + 1000) {
    long n = ksmc_watch_recv_bytes(b);
    CU_ASSERT_TRUE(n >= KSMC_WATCH_RECV_MIN && n <= KSMC_WATCH_RECV_MAX);
    CU_ASSERT_EQUAL(n & (n - 1), 0);
    CU_ASSERT_TRUE(n >= prev);
    CU_ASSERT_TRUE(n == KSMC_WATCH_RECV_MAX || (uint64_t)n >= b / 32);
    CU_ASSERT_TRUE(n == KSMC_WATCH_RECV_MIN || (uint64_t)n * 16 < b);
    prev = n;
  }
}

static const ktest_case cases[] = {
    {"list, watch, bookmark, 410 relist", test_full_cycle},
    {"expired continue", test_expired_continue},
    {"pipelined pages, paused prefetch", test_pipelined_pages},
    {"prefetch on its own connection", test_prefetch_own_connection},
    {"429 Retry-After", test_retry_after},
    {"sharding, apiserver cache, selector", test_sharding_and_cache},
    {"re-sharding (autosharding)", test_reshard},
    {"malformed event relists", test_malformed_event_relists},
    {"EOF re-watch, 500 relist", test_eof_then_500},
    {"a 200 answer that is not a list", test_not_a_list},
    {"an empty resourceVersion is not watched from", test_empty_rv_kept},
    {"connection refused", test_connection_refused},
    {"absent optional resource (CRD)", test_absent_resource},
    {"gzip lists: decoded, CRC and cut bodies", test_gzip_lists},
    {"busy watches are read in batches", test_batched_watch},
    {"nice after the first sync", test_nice_after_sync},
    {"watch receive buffer by list size", test_watch_recv_bytes},
    {0}};
KTEST_MAIN("kube_reflector", cases)
