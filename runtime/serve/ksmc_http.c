/* HTTP endpoints on libmicrohttpd; see ksmc_http.h.
 *
 * Why libmicrohttpd: a small, long-maintained C library in Debian with an internal thread
 * pool over epoll, per-connection timeouts and limits, chunked streaming responses from
 * a reader callback (so /metrics streams from the store snapshots without building the
 * body), and automatic HEAD handling. */
#include "ksmc_http.h"

#include "ksmc_tape.h"
#include "ksmc_websec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILTER_VALUES 32
#define METRICS_BLOCK (256 * 1024)
/* libmicrohttpd's per-connection memory pool. /metrics needs room for its 256 KiB
 * response blocks. libmicrohttpd maps pools above 32 KiB and zeroes them whole for every
 * connection (80 page faults: ~2.7 ms of CPU per connection on a VM), so the telemetry
 * listener, which only sends small buffered answers (/readyz, /healthz, self-metrics),
 * takes 32 KiB, which it allocates with malloc: a /readyz probe polled during the
 * initial sync no longer takes CPU from it. */
#define CONN_MEMORY (320 * 1024)
#define TELE_CONN_MEMORY (32 * 1024)
#define WATCHDOG_TICK_MS 100

/* One listener: its daemon and how many connections it holds. */
typedef struct {
  struct ksmc_http *h;
  struct MHD_Daemon *d;
  size_t conn_memory; /* CONN_MEMORY or TELE_CONN_MEMORY */
  size_t nconns;      /* under h->lock */
} listener;

/* A live connection (MHD socket context), from accept to close. Every phase has a
 * deadline; the watchdog shuts down the socket of a connection past it, which makes
 * libmicrohttpd see EOF and close it (its own timeout is an *idle* timeout only, so a
 * client sending a byte a second would keep its slot forever). The watchdog also closes
 * a connection whose peer has shut down its sending side (FIN) once no response is being
 * written to it: libmicrohttpd (epoll, edge-triggered) does not always read that EOF and
 * would keep such a socket until a deadline. */
typedef struct conn_rec {
  struct conn_rec *prev, *next;
  listener *l;
  ksmc_websec_gen *gen; /* TLS and auth generation (NULL without --tls-config/token) */
  int fd;
  double deadline; /* monotonic seconds */
  unsigned phase;  /* bumped by every phase change (conn_deadline) */
  bool responding; /* a response is queued and not yet completed */
  bool eof_seen;   /* the watchdog saw the peer's FIN during phase eof_phase */
  unsigned eof_phase;
  bool killed;
} conn_rec;

struct ksmc_http {
  ksmc_http_config cfg;
  unsigned max_conns, per_ip, header_timeout, timeout; /* cfg with defaults applied */
  listener main_l, tele_l;
  pthread_mutex_t lock; /* conns, nconns, deadlines, stopping */
  pthread_cond_t wake;
  conn_rec *conns;
  struct pollfd *pfd; /* the watchdog's poll set, pfd_cap entries (watchdog thread only) */
  size_t pfd_cap;
  bool stopping, watchdog_started;
  pthread_t watchdog;
  ksmc_tm_series *dur_get, *dur_head;
  ksmc_tm_series *scrape_plain, *scrape_gzip, *resp_plain, *resp_gzip;
  ksmc_tape_hub *tapes; /* plain /metrics bodies: concurrent scrapes share walks */
};

/* One /metrics response in flight. */
typedef struct {
  ksmc_http *h;
  ksmc_expo_req *q;     /* gzip GET */
  ksmc_tape_reader *tr; /* plain GET; both NULL for HEAD */
  struct timespec t0;
  bool gzip;
  size_t sent;
} metrics_resp;

static const char landing_main[] =
    "<html>\n<head><title>ksmc</title></head>\n<body>\n<h1>ksmc</h1>\n"
    "<p>A fast drop-in replacement for kube-state-metrics.</p>\n<ul>\n"
    "<li><a href=\"/metrics\">metrics</a></li>\n<li><a href=\"/healthz\">healthz</a></li>\n"
    "<li><a href=\"/livez\">livez</a></li>\n</ul>\n</body>\n</html>\n";
static const char landing_tele[] =
    "<html>\n<head><title>ksmc telemetry</title></head>\n<body>\n<h1>ksmc telemetry</h1>\n"
    "<ul>\n<li><a href=\"/metrics\">metrics</a></li>\n<li><a href=\"/readyz\">readyz</a></li>\n"
    "</ul>\n</body>\n</html>\n";

static double mono_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static struct conn_rec *conn_of(struct MHD_Connection *c);

/* Queues r (and releases it), with the web config's extra headers. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r) {
  struct conn_rec *cr = conn_of(c);
  if (cr && cr->gen) {
    size_t n;
    const ksmc_webcfg_pair *hv = ksmc_websec_headers(cr->gen, &n);
    for (size_t i = 0; i < n; i++) MHD_add_response_header(r, hv[i].name, hv[i].value);
  }
  if (cr) {
    pthread_mutex_lock(&cr->l->h->lock);
    cr->responding = true;
    pthread_mutex_unlock(&cr->l->h->lock);
  }
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

/* Queues a static (or copied) body with a content type. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body, size_t n,
                             const char *ctype, enum MHD_ResponseMemoryMode mode) {
  struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body, mode);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, "Allow", "GET, HEAD");
  return queue(c, status, r);
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *s) {
  return reply(c, status, s, strlen(s), "text/plain; charset=utf-8", MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result reply_probe(struct MHD_Connection *c, ksmc_probe_fn fn, void *arg) {
  if (!fn || fn(arg)) return reply_text(c, MHD_HTTP_OK, "OK");
  return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "Service Unavailable");
}

/* ---- /metrics ---- */

typedef struct {
  const char *res[MAX_FILTER_VALUES], *exc[MAX_FILTER_VALUES];
  size_t nres, nexc;
} filter_args;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
  (void)kind;
  filter_args *f = cls;
  if (!value) return MHD_YES;
  if (strcmp(key, "resources") == 0 && f->nres < MAX_FILTER_VALUES) f->res[f->nres++] = value;
  if (strcmp(key, "exclude_resources") == 0 && f->nexc < MAX_FILTER_VALUES)
    f->exc[f->nexc++] = value;
  return MHD_YES;
}

static ssize_t metrics_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  metrics_resp *m = cls;
  if (!m->q && !m->tr) return MHD_CONTENT_READER_END_OF_STREAM;
  ssize_t n = m->tr ? ksmc_tape_read(m->tr, buf, max) : ksmc_expo_read(m->q, buf, max);
  if (n == KSMC_TAPE_SUSPENDED) return 0; /* resumed when the chunk it needs is ready */
  if (n < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
  if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
  m->sent += (size_t)n;
  return n;
}

static void metrics_done(void *cls) {
  metrics_resp *m = cls;
  ksmc_http *h = m->h;
  bool get = m->q || m->tr;
  if (get) {
    size_t plain = m->tr ? ksmc_tape_reader_bytes(m->tr) : ksmc_expo_req_bytes(m->q);
    ksmc_tm_add(m->gzip ? h->scrape_gzip : h->scrape_plain, (double)plain);
    ksmc_tm_add(m->gzip ? h->resp_gzip : h->resp_plain, (double)m->sent);
    ksmc_tape_close(m->tr);
    ksmc_expo_end(m->q);
  }
  ksmc_tm_observe(get ? h->dur_get : h->dur_head, since(&m->t0));
  free(m);
}

/* A scrape waiting for the chunk another scrape is rendering (ksmc_tape) gives its pool
 * thread back: its connection is suspended until the chunk is published. */
static void suspend_conn(void *c) { MHD_suspend_connection(c); }
static void resume_conn(void *c) { MHD_resume_connection(c); }

/* Starts the body writer (GET) for the request's format, encoding and filters. */
static bool metrics_begin(ksmc_http *h, struct MHD_Connection *c, metrics_resp *m,
                          ksmc_expo_format fmt) {
  filter_args fa = {.nres = 0};
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &fa);
  ksmc_expo_opts o = {.format = fmt,
                      .gzip = m->gzip,
                      .gzip_level = h->cfg.gzip_level,
                      .resources = fa.res,
                      .nresources = fa.nres,
                      .exclude = fa.exc,
                      .nexclude = fa.nexc};
  if (!m->gzip && h->tapes) {
    ksmc_tape_waiter w = {suspend_conn, resume_conn, c};
    return (m->tr = ksmc_tape_open(h->tapes, &o, &w)) != NULL;
  }
  m->q = ksmc_expo_begin(h->cfg.expo, &o);
  return m->q != NULL;
}

static enum MHD_Result serve_metrics(ksmc_http *h, struct MHD_Connection *c, bool head) {
  ksmc_expo_negotiated neg;
  ksmc_expo_negotiate(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
                      &neg);
  metrics_resp *m = calloc(1, sizeof *m);
  if (!m) return MHD_NO;
  m->h = h;
  clock_gettime(CLOCK_MONOTONIC, &m->t0);
  m->gzip = h->cfg.enable_gzip && ksmc_expo_gzip_accepted(MHD_lookup_connection_value(
                                      c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
  if (!head && !metrics_begin(h, c, m, neg.format)) {
    free(m);
    return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
  }
  struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, METRICS_BLOCK,
                                                             metrics_read, m, metrics_done);
  if (!r) {
    metrics_done(m);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, neg.content_type);
  if (m->gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
  return queue(c, MHD_HTTP_OK, r);
}

/* ---- telemetry /metrics ---- */

/* Refreshes the per-resource store gauges from the live stores. */
static void update_store_gauges(ksmc_http *h) {
  ksmc_selfmetrics *sm = h->cfg.self;
  if (!h->cfg.expo) return;
  for (size_t i = 0; i < ksmc_expo_nresources(h->cfg.expo); i++) {
    const ksmc_expo_resource *r = ksmc_expo_resource_at(h->cfg.expo, i);
    size_t objects = 0, bytes = 0;
    for (size_t s = 0; s < r->nstores; s++) {
      objects += ksmc_store_count(r->stores[s]);
      bytes += ksmc_store_bytes(r->stores[s]);
    }
    const char *lv[] = {r->kind->resource};
    ksmc_tm_set(ksmc_tm_series_get(sm->objects, lv), (double)objects);
    ksmc_tm_set(ksmc_tm_series_get(sm->store_bytes, lv), (double)bytes);
  }
}

/* Copies the shared walks' counters (ksmc_tape) into the self-metrics. */
static void update_tape_metrics(ksmc_http *h) {
  ksmc_selfmetrics *sm = h->cfg.self;
  if (!h->tapes) return;
  ksmc_tape_stats st;
  ksmc_tape_get_stats(h->tapes, &st);
  ksmc_tm_set(ksmc_tm_series_get(sm->scrape_joined, NULL), (double)st.joined);
  ksmc_tm_set(ksmc_tm_series_get(sm->scrape_replayed, NULL), (double)st.replayed);
  ksmc_tm_set(ksmc_tm_series_get(sm->scrape_fell_behind, NULL), (double)st.fallbacks);
}

/* Copies ksmc_websec's authentication and reload counters into the self-metrics. */
static void update_websec_metrics(ksmc_http *h) {
  ksmc_selfmetrics *sm = h->cfg.self;
  if (!h->cfg.sec) return;
  ksmc_websec_stats st;
  ksmc_websec_get_stats(h->cfg.sec, &st);
  for (int i = 0; i < KSMC_AUTH_REFUSED_NREASONS; i++) {
    const char *lv[] = {ksmc_websec_refusal_name((ksmc_auth_refusal)i)};
    ksmc_tm_set(ksmc_tm_series_get(sm->auth_refused, lv), (double)st.refused[i]);
  }
  ksmc_tm_set(ksmc_tm_series_get(sm->web_reloads, (const char *[]){"success"}),
              (double)st.reloads_ok);
  ksmc_tm_set(ksmc_tm_series_get(sm->web_reloads, (const char *[]){"failure"}),
              (double)st.reloads_failed);
  ksmc_tm_set(ksmc_tm_series_get(sm->web_reload_ok, NULL), st.last_reload_ok ? 1 : 0);
  ksmc_tm_set(ksmc_tm_series_get(sm->web_reload_success, NULL), st.last_reload_success_time);
}

static enum MHD_Result serve_telemetry(ksmc_http *h, struct MHD_Connection *c) {
  ksmc_expo_negotiated neg;
  ksmc_expo_negotiate(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
                      &neg);
  ksmc_buf b = {0};
  if (h->cfg.self) {
    update_store_gauges(h);
    update_websec_metrics(h);
    update_tape_metrics(h);
    ksmc_tm_render(h->cfg.self->tm, &b, neg.format == KSMC_EXPO_OPENMETRICS);
  } else if (neg.format == KSMC_EXPO_OPENMETRICS) {
    ksmc_buf_puts(&b, KSMC_LIT("# EOF\n"));
  }
  enum MHD_Result ret =
      ksmc_buf_failed(&b)
          ? reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n")
          : reply(c, MHD_HTTP_OK, b.p ? b.p : "", b.n, neg.content_type, MHD_RESPMEM_MUST_COPY);
  ksmc_buf_free(&b);
  return ret;
}

/* ---- connection tracking and deadlines ---- */

static conn_rec *conn_of(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *i =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return i ? i->socket_context : NULL;
}

/* Moves a connection to its next phase: deadline `secs` from now. */
static void conn_deadline(ksmc_http *h, struct MHD_Connection *c, unsigned secs) {
  conn_rec *r = conn_of(c);
  if (!r) return;
  pthread_mutex_lock(&h->lock);
  r->deadline = mono_now() + secs;
  r->phase++;
  pthread_mutex_unlock(&h->lock);
}

/* Accepted: the request headers (and a TLS handshake) must be in within the header
 * timeout. Closed: forget it. Runs on the pool thread that owns the connection. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode what) {
  listener *l = cls;
  ksmc_http *h = l->h;
  if (what == MHD_CONNECTION_NOTIFY_STARTED) {
    conn_rec *r = calloc(1, sizeof *r);
    if (!r) return; /* untracked: MHD's idle timeout still applies */
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    r->fd = i ? i->connect_fd : -1;
    r->l = l;
    if (h->cfg.sec) {
      r->gen = ksmc_websec_acquire(h->cfg.sec);
      if (ksmc_websec_tls(h->cfg.sec)) {
        const union MHD_ConnectionInfo *ti =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        /* without its generation's credentials the handshake must not go ahead */
        if (!ti || !ti->tls_session || !ksmc_websec_setup_session(r->gen, ti->tls_session))
          r->deadline = 0, r->killed = r->fd >= 0 && shutdown(r->fd, SHUT_RDWR) == 0;
      }
    }
    pthread_mutex_lock(&h->lock);
    if (!r->killed) r->deadline = mono_now() + h->header_timeout;
    r->next = h->conns;
    if (h->conns) h->conns->prev = r;
    h->conns = r;
    l->nconns++;
    pthread_mutex_unlock(&h->lock);
    *socket_ctx = r;
    return;
  }
  conn_rec *r = *socket_ctx;
  if (!r) return;
  /* libmicrohttpd notifies before it closes the socket, so the watchdog (which only
   * touches listed connections, under the lock) never shuts down a reused fd. */
  pthread_mutex_lock(&h->lock);
  if (r->prev)
    r->prev->next = r->next;
  else
    h->conns = r->next;
  if (r->next) r->next->prev = r->prev;
  l->nconns--;
  pthread_mutex_unlock(&h->lock);
  if (r->gen) {
    if (ksmc_websec_tls(h->cfg.sec)) { /* count a handshake refused on the client certificate */
      const union MHD_ConnectionInfo *ti =
          MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
      if (ti && ti->tls_session) ksmc_websec_tls_closed(h->cfg.sec, ti->tls_session);
    }
    ksmc_websec_release(h->cfg.sec, r->gen);
  }
  free(r);
  *socket_ctx = NULL;
}

/* A request is done (response sent or connection failed): a kept-alive connection has
 * the idle timeout to complete its next request's headers. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)req_cls, (void)toe;
  listener *l = cls;
  conn_rec *r = conn_of(c);
  if (r) {
    pthread_mutex_lock(&l->h->lock);
    r->responding = false;
    pthread_mutex_unlock(&l->h->lock);
  }
  conn_deadline(l->h, c, l->h->timeout);
}

/* Half-closed peers (under h->lock): a connection whose peer has sent its FIN
 * (POLLRDHUP) and that is not being answered is shut down once it has stayed in the
 * same phase for a whole tick. The tick of grace lets libmicrohttpd finish requests it
 * has already read (pipelined ones) before the FIN: each moves the connection to a new
 * phase. */
static void close_half_closed(ksmc_http *h) {
  size_t n = 0;
  for (conn_rec *r = h->conns; r; r = r->next) n++;
  if (n > h->pfd_cap) {
    struct pollfd *p = realloc(h->pfd, n * 2 * sizeof *p);
    if (!p) return;
    h->pfd = p;
    h->pfd_cap = n * 2;
  }
  size_t k = 0;
  for (conn_rec *r = h->conns; r; r = r->next, k++)
    h->pfd[k] = (struct pollfd){
        .fd = r->killed || r->responding ? -1 : r->fd, .events = POLLRDHUP, .revents = 0};
  if (k == 0 || poll(h->pfd, k, 0) <= 0) {
    for (conn_rec *r = h->conns; r; r = r->next) r->eof_seen = false;
    return;
  }
  k = 0;
  for (conn_rec *r = h->conns; r; r = r->next, k++) {
    bool eof = h->pfd[k].fd >= 0 && (h->pfd[k].revents & (POLLRDHUP | POLLHUP | POLLERR));
    if (!eof) {
      r->eof_seen = false;
    } else if (!r->eof_seen || r->eof_phase != r->phase) {
      r->eof_seen = true;
      r->eof_phase = r->phase;
    } else {
      shutdown(r->fd, SHUT_RDWR);
      r->killed = true;
    }
  }
}

/* Shuts down the sockets of connections past their deadline, every WATCHDOG_TICK_MS; and
 * gives the shared walks their tick (ksmc_tape_trim: idle buffers freed, held scrapes
 * re-checked). */
static void *watchdog_main(void *arg) {
  ksmc_http *h = arg;
  pthread_mutex_lock(&h->lock);
  while (!h->stopping) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += WATCHDOG_TICK_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&h->wake, &h->lock, &until);
    double now = mono_now();
    for (conn_rec *r = h->conns; r; r = r->next)
      if (!r->killed && r->fd >= 0 && now > r->deadline) {
        shutdown(r->fd, SHUT_RDWR);
        r->killed = true;
      }
    close_half_closed(h);
    if (h->tapes) { /* resumes connections: not under h->lock, which MHD's threads take */
      pthread_mutex_unlock(&h->lock);
      ksmc_tape_trim(h->tapes);
      pthread_mutex_lock(&h->lock);
    }
  }
  pthread_mutex_unlock(&h->lock);
  return NULL;
}

/* ---- routing ---- */

/* Request markers in *req_cls (static, never freed): set by the URI callback from the
 * raw request target, then "seen" once the handler had its first call. */
static const char uri_ok = 0, uri_bad = 0, seen_ok = 0, seen_bad = 0;

/* A raw path is served only if its percent-escapes are well-formed and decode to no NUL
 * byte (libmicrohttpd leaves "%zz" alone and decodes "%00" into a C string that ends
 * early: "/%00" would compare equal to "/"). */
static bool raw_path_ok(const char *uri) {
  for (const char *p = uri; *p && *p != '?'; p++) {
    if (*p != '%') continue;
    if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2])) return false;
    if (p[1] == '0' && p[2] == '0') return false;
    p += 2;
  }
  return true;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls, (void)c;
  return (void *)(raw_path_ok(uri) ? &uri_ok : &uri_bad);
}

/* libmicrohttpd calls a handler once when the headers are in, then for each piece of
 * upload data, then once more with none left. Answering on the first call is an "early
 * response" after which MHD must close the connection, so answers wait for the last
 * call (keep-alive works) and request bodies are discarded. Returns true while the
 * request is still arriving (*ret set). On the first call the connection enters its
 * response phase: the rest of the request and the whole response must be done within
 * the (write) timeout. */
static bool request_pending(listener *l, struct MHD_Connection *c, void **req_cls,
                            size_t *upload_size, enum MHD_Result *ret) {
  *ret = MHD_YES;
  if (*req_cls != &seen_ok && *req_cls != &seen_bad) {
    *req_cls = (void *)(*req_cls == &uri_bad ? &seen_bad : &seen_ok);
    conn_deadline(l->h, c, l->h->timeout);
    return true;
  }
  if (*upload_size) {
    *upload_size = 0;
    return true;
  }
  return false;
}

/* Beyond the listener's connection limit every request is answered 503 and the
 * connection closed (the listener accepts a few more than the limit for that). */
static bool over_limit(listener *l) {
  pthread_mutex_lock(&l->h->lock);
  bool over = l->nconns > l->h->max_conns;
  pthread_mutex_unlock(&l->h->lock);
  return over;
}

static enum MHD_Result reply_overloaded(struct MHD_Connection *c) {
  static const char msg[] = "Service Unavailable: too many connections\n";
  struct MHD_Response *r =
      MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
  return queue(c, MHD_HTTP_SERVICE_UNAVAILABLE, r);
}

/* Authentication (basic auth users or bearer token): 401 with the challenges, or 503
 * when too many password checks are running. Returns true when a response was queued. */
static bool check_auth(ksmc_http *h, struct MHD_Connection *c, enum MHD_Result *ret) {
  if (!h->cfg.sec) return false;
  conn_rec *r = conn_of(c);
  const char *authz =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  ksmc_auth_result a =
      r && r->gen ? ksmc_websec_check(h->cfg.sec, r->gen, authz) : KSMC_AUTH_DENIED;
  if (a == KSMC_AUTH_OK) return false;
  static const char busy[] = "Service Unavailable: too many password checks\n";
  static const char denied[] = "Unauthorized\n";
  bool is_busy = a == KSMC_AUTH_BUSY;
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(is_busy ? sizeof busy - 1 : sizeof denied - 1,
                                      (void *)(is_busy ? busy : denied), MHD_RESPMEM_PERSISTENT);
  if (!resp) {
    *ret = MHD_NO;
    return true;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  if (is_busy) {
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
  } else if (r && r->gen) {
    bool basic, bearer;
    ksmc_websec_challenges(r->gen, &basic, &bearer);
    if (basic) MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic");
    if (bearer) MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
  }
  *ret = queue(c, is_busy ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_UNAUTHORIZED, resp);
  return true;
}

/* Common checks; returns true when a response was queued into *ret. */
static bool check_method(struct MHD_Connection *c, const char *method, bool *head,
                         enum MHD_Result *ret) {
  *head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
  if (*head || strcmp(method, MHD_HTTP_METHOD_GET) == 0) return false;
  *ret = reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n");
  return true;
}

/* The checks every request passes first; returns true when a response was queued. */
static bool preamble(listener *l, struct MHD_Connection *c, const char *method, void **req_cls,
                     size_t *upload_size, bool *head, bool *bad_path, enum MHD_Result *ret) {
  if (request_pending(l, c, req_cls, upload_size, ret)) return true;
  if (over_limit(l)) {
    *ret = reply_overloaded(c);
    return true;
  }
  if (check_auth(l->h, c, ret)) return true;
  if (check_method(c, method, head, ret)) return true;
  *bad_path = *req_cls == &seen_bad;
  return false;
}

static enum MHD_Result handle_main(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **req_cls) {
  (void)version, (void)upload;
  listener *l = cls;
  ksmc_http *h = l->h;
  bool head, bad_path;
  enum MHD_Result ret;
  if (preamble(l, c, method, req_cls, upload_size, &head, &bad_path, &ret)) return ret;
  if (bad_path) return reply_text(c, MHD_HTTP_NOT_FOUND, "404 page not found\n");
  if (strcmp(url, "/metrics") == 0) return serve_metrics(h, c, head);
  if (strcmp(url, "/healthz") == 0) return reply_text(c, MHD_HTTP_OK, "OK");
  if (strcmp(url, "/livez") == 0) return reply_probe(c, h->cfg.livez, h->cfg.livez_arg);
  if (strcmp(url, "/") == 0)
    return reply(c, MHD_HTTP_OK, landing_main, sizeof landing_main - 1, "text/html; charset=utf-8",
                 MHD_RESPMEM_PERSISTENT);
  return reply_text(c, MHD_HTTP_NOT_FOUND, "404 page not found\n");
}

static enum MHD_Result handle_tele(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **req_cls) {
  (void)version, (void)upload;
  listener *l = cls;
  ksmc_http *h = l->h;
  bool head, bad_path;
  enum MHD_Result ret;
  if (preamble(l, c, method, req_cls, upload_size, &head, &bad_path, &ret)) return ret;
  if (bad_path) return reply_text(c, MHD_HTTP_NOT_FOUND, "404 page not found\n");
  if (strcmp(url, "/metrics") == 0) return serve_telemetry(h, c);
  if (strcmp(url, "/readyz") == 0) return reply_probe(c, h->cfg.readyz, h->cfg.readyz_arg);
  if (strcmp(url, "/") == 0)
    return reply(c, MHD_HTTP_OK, landing_tele, sizeof landing_tele - 1, "text/html; charset=utf-8",
                 MHD_RESPMEM_PERSISTENT);
  return reply_text(c, MHD_HTTP_NOT_FOUND, "404 page not found\n");
}

/* ---- listeners ---- */

/* MHD_USE_ITC: without it a pool thread whose listen socket is paused (connection limit
 * reached) only notices MHD_stop_daemon at its next connection timeout, up to a minute.
 * The listener accepts max_conns + overflow connections; the overflow ones get a 503. */
static struct MHD_Daemon *start_on(listener *l, const struct sockaddr *sa, unsigned extra_flags,
                                   MHD_AccessHandlerCallback fn) {
  const ksmc_http *h = l->h;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
                   MHD_ALLOW_SUSPEND_RESUME | extra_flags;
  unsigned threads = h->cfg.threads ? h->cfg.threads : 4u;
  unsigned hard = h->max_conns + h->max_conns / 8 + 2 * threads;
  const ksmc_websec *sec = h->cfg.sec;
  if (sec && ksmc_websec_tls(sec))
    /* The first generation's certificate starts the listener; every connection then gets
     * its generation's credentials in on_connection (that is how certificates reload). */
    return MHD_start_daemon(
        flags | MHD_USE_TLS, 0, NULL, NULL, fn, l, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, hard,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->per_ip, MHD_OPTION_CONNECTION_TIMEOUT, h->timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, l->conn_memory, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, l, MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, l, MHD_OPTION_HTTPS_MEM_CERT, ksmc_websec_cert_pem(sec), MHD_OPTION_HTTPS_MEM_KEY,
        ksmc_websec_key_pem(sec), MHD_OPTION_HTTPS_PRIORITIES, ksmc_websec_priorities(sec),
        MHD_OPTION_END);
  return MHD_start_daemon(
      flags, 0, NULL, NULL, fn, l, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, hard, MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->per_ip,
      MHD_OPTION_CONNECTION_TIMEOUT, h->timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT, l->conn_memory,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, l, MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, l, MHD_OPTION_END);
}

static bool any_host(const char *host) {
  return !host || !*host || strcmp(host, "::") == 0 || strcmp(host, "[::]") == 0;
}

/* Binds host:port. "::" (KSM's default) is dual stack, falling back to IPv4 when the
 * machine has no IPv6. */
static struct MHD_Daemon *listen_on(listener *l, const char *host, int port,
                                    MHD_AccessHandlerCallback fn, char *err, size_t errlen) {
  struct sockaddr_in6 a6 = {
      .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT};
  struct sockaddr_in a4 = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port),
                           .sin_addr.s_addr = htonl(INADDR_ANY)};
  struct MHD_Daemon *d = NULL;
  if (any_host(host)) {
    d = start_on(l, (struct sockaddr *)&a6, MHD_USE_IPv6 | MHD_USE_DUAL_STACK, fn);
    if (!d) d = start_on(l, (struct sockaddr *)&a4, 0, fn);
  } else {
    struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &ai);
    if (rc != 0) {
      snprintf(err, errlen, "cannot resolve listen host %s: %s", host, gai_strerror(rc));
      return NULL;
    }
    if (ai->ai_family == AF_INET6) {
      memcpy(&a6, ai->ai_addr, sizeof a6);
      a6.sin6_port = htons((uint16_t)port);
      d = start_on(l, (struct sockaddr *)&a6, MHD_USE_IPv6, fn);
    } else {
      memcpy(&a4, ai->ai_addr, sizeof a4);
      a4.sin_port = htons((uint16_t)port);
      d = start_on(l, (struct sockaddr *)&a4, 0, fn);
    }
    freeaddrinfo(ai);
  }
  if (!d)
    snprintf(err, errlen, "cannot listen on %s:%d (address in use or not permitted%s?)",
             any_host(host) ? "[::]" : host, port,
             l->h->cfg.sec && ksmc_websec_tls(l->h->cfg.sec) ? ", or TLS setup failed" : "");
  return d;
}

static void cache_series(ksmc_http *h) {
  ksmc_selfmetrics *sm = h->cfg.self;
  if (!sm) return;
  h->dur_get = ksmc_tm_series_get(sm->request_seconds, (const char *[]){"metrics", "get"});
  h->dur_head = ksmc_tm_series_get(sm->request_seconds, (const char *[]){"metrics", "head"});
  h->scrape_plain = ksmc_tm_series_get(sm->scrape_bytes, (const char *[]){"identity"});
  h->scrape_gzip = ksmc_tm_series_get(sm->scrape_bytes, (const char *[]){"gzip"});
  h->resp_plain = ksmc_tm_series_get(sm->response_bytes, (const char *[]){"identity"});
  h->resp_gzip = ksmc_tm_series_get(sm->response_bytes, (const char *[]){"gzip"});
}

ksmc_http *ksmc_http_start(const ksmc_http_config *cfg, char *err, size_t errlen) {
  ksmc_http *h = calloc(1, sizeof *h);
  if (!h) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  h->cfg = *cfg;
  h->max_conns = cfg->max_connections ? cfg->max_connections : 1024u;
  h->per_ip = cfg->max_connections_per_ip ? cfg->max_connections_per_ip : h->max_conns / 4 + 1;
  h->header_timeout = cfg->header_timeout_seconds ? cfg->header_timeout_seconds : 5u;
  h->timeout = cfg->timeout_seconds ? cfg->timeout_seconds : 60u;
  h->main_l.h = h->tele_l.h = h;
  h->main_l.conn_memory = CONN_MEMORY;
  h->tele_l.conn_memory = TELE_CONN_MEMORY;
  pthread_mutex_init(&h->lock, NULL);
  pthread_cond_init(&h->wake, NULL);
  cache_series(h);
  if (cfg->expo && !(h->tapes = ksmc_tape_hub_new(cfg->expo, NULL))) {
    snprintf(err, errlen, "out of memory");
    ksmc_http_stop(h);
    return NULL;
  }
  if (pthread_create(&h->watchdog, NULL, watchdog_main, h) != 0) {
    snprintf(err, errlen, "cannot start the connection watchdog thread");
    ksmc_http_stop(h);
    return NULL;
  }
  h->watchdog_started = true;
  if (cfg->port >= 0 &&
      !(h->main_l.d = listen_on(&h->main_l, cfg->host, cfg->port, handle_main, err, errlen))) {
    ksmc_http_stop(h);
    return NULL;
  }
  if (cfg->telemetry_port >= 0 &&
      !(h->tele_l.d = listen_on(&h->tele_l, cfg->telemetry_host, cfg->telemetry_port, handle_tele,
                                err, errlen))) {
    ksmc_http_stop(h);
    return NULL;
  }
  return h;
}

static uint16_t bound_port(struct MHD_Daemon *d) {
  if (!d) return 0;
  const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  return i ? i->port : 0;
}

uint16_t ksmc_http_port(const ksmc_http *h) { return bound_port(h->main_l.d); }
uint16_t ksmc_http_telemetry_port(const ksmc_http *h) { return bound_port(h->tele_l.d); }

/* Both listeners stop accepting first, then each closes its connections (stuck ones
 * included: MHD shuts their sockets down) and joins its threads; the watchdog goes last
 * (the connection list is empty by then). */
void ksmc_http_stop(ksmc_http *h) {
  if (!h) return;
  listener *ls[] = {&h->main_l, &h->tele_l};
  MHD_socket quiesced[2] = {MHD_INVALID_SOCKET, MHD_INVALID_SOCKET};
  /* libmicrohttpd must not be stopped with suspended connections */
  if (h->tapes) ksmc_tape_stop_suspending(h->tapes);
  for (int i = 0; i < 2; i++)
    if (ls[i]->d) quiesced[i] = MHD_quiesce_daemon(ls[i]->d);
  for (int i = 0; i < 2; i++) {
    if (ls[i]->d) MHD_stop_daemon(ls[i]->d);
    if (quiesced[i] != MHD_INVALID_SOCKET) close(quiesced[i]);
  }
  if (h->watchdog_started) {
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->watchdog, NULL);
  }
  pthread_cond_destroy(&h->wake);
  pthread_mutex_destroy(&h->lock);
  ksmc_tape_hub_free(h->tapes);
  free(h->pfd);
  free(h);
}
