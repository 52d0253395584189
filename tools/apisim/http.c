#include "http.h"
#include "kinds.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define GZIP_THRESHOLD (128 * 1024)

const char *req_arg(req *r, const char *name) {
  return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(req *r, const char *name) {
  return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

bool req_gzip_ok(req *r) {
  if (r->sim->cfg.no_gzip) return false;
  const char *ae = req_header(r, "Accept-Encoding");
  if (!ae) return false;
  /* a comma-separated token exactly equal to "gzip" after trimming, like the apiserver */
  const char *p = ae;
  while (*p) {
    while (*p == ' ' || *p == '\t') p++;
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (n == 4 && !memcmp(p, "gzip", 4)) return true;
    if (!e) break;
    p = e + 1;
  }
  return false;
}

int req_output(req *r) {
  const char *acc = req_header(r, "Accept");
  if (!acc) return OUT_JSON;
  if (strstr(acc, "as=Table")) return OUT_TABLE;
  if (strstr(acc, "as=PartialObjectMetadata")) return OUT_PARTIAL;
  return OUT_JSON;
}

void http_add_std_headers(struct MHD_Response *resp, const char *ctype) {
  MHD_add_response_header(resp, "Content-Type", ctype ? ctype : "application/json");
  MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
}

static void add_extra_headers(req *r, struct MHD_Response *resp) {
  if (r->rv_header[0]) MHD_add_response_header(resp, "X-Apisim-Resource-Version", r->rv_header);
}

static void count_status(req *r, int code) {
  r->status = code;
  if (code >= 500)
    atomic_fetch_add(&r->sim->stats.errors_5xx, 1);
  else if (code >= 400)
    atomic_fetch_add(&r->sim->stats.errors_4xx, 1);
}

static bool gzip_segments(rbuilder *rb, ksmc_buf *out) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  ksmc_buf_reserve(out, rb->total / 4 + 1024);
  for (size_t i = 0; i <= rb->nseg; i++) {
    bool last = i == rb->nseg;
    if (!last) {
      rb_seg *s = &rb->segs[i];
      z.next_in = (Bytef *)(s->p ? s->p : rb->arena.p + s->off);
      z.avail_in = (uInt)s->n;
    } else {
      z.next_in = NULL;
      z.avail_in = 0;
    }
    int rc;
    do {
      if (out->cap - out->n < 65536) ksmc_buf_reserve(out, 65536);
      if (ksmc_buf_failed(out)) {
        deflateEnd(&z);
        return false;
      }
      z.next_out = (Bytef *)out->p + out->n;
      z.avail_out = (uInt)(out->cap - out->n);
      rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      out->n = out->cap - z.avail_out;
    } while (last ? rc != Z_STREAM_END : z.avail_in > 0);
  }
  deflateEnd(&z);
  return true;
}

static void free_buf_cb(void *p) { free(p); }

enum MHD_Result send_body(req *r, int code, const char *ctype, ksmc_buf *body) {
  if (ksmc_buf_failed(body)) {
    ksmc_buf_free(body);
    return send_status(r, 500, "InternalError", "out of memory");
  }
  struct MHD_Response *resp;
  bool gz = false;
  if (body->n > GZIP_THRESHOLD && req_gzip_ok(r)) {
    rbuilder rb = {0};
    rb_seg seg = {body->p, 0, body->n};
    rb.segs = &seg;
    rb.nseg = 1;
    rb.total = body->n;
    ksmc_buf out = {0};
    if (gzip_segments(&rb, &out)) {
      ksmc_buf_free(body);
      *body = out;
      gz = true;
    } else {
      ksmc_buf_free(&out);
    }
  }
  size_t n = body->n;
  resp = MHD_create_response_from_buffer_with_free_callback(n, body->p ? body->p : strdup(""),
                                                            free_buf_cb);
  body->p = NULL;
  body->n = body->cap = 0;
  http_add_std_headers(resp, ctype);
  add_extra_headers(r, resp);
  if (gz) {
    MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    atomic_fetch_add(&r->sim->stats.gzip_responses, 1);
  }
  count_status(r, code);
  r->bytes = n;
  atomic_fetch_add(&r->sim->stats.bytes_sent, n);
  enum MHD_Result ret = MHD_queue_response(r->c, (unsigned)code, resp);
  MHD_destroy_response(resp);
  return ret;
}

enum MHD_Result send_status_details(req *r, int code, const char *reason, const char *message,
                                    const char *details) {
  ksmc_buf b = {0};
  ksmc_buf_puts(&b, KSMC_LIT("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                             "\"status\":\"Failure\",\"message\":\""));
  json_escape(&b, message, strlen(message));
  ksmc_buf_puts(&b, KSMC_LIT("\",\"reason\":\""));
  ksmc_buf_put(&b, reason, strlen(reason));
  ksmc_buf_putc(&b, '"');
  if (details) {
    ksmc_buf_puts(&b, KSMC_LIT(",\"details\":"));
    ksmc_buf_put(&b, details, strlen(details));
  }
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, ",\"code\":%d}", code);
  ksmc_buf_put(&b, tmp, (size_t)n);
  return send_body(r, code, "application/json", &b);
}

enum MHD_Result send_status(req *r, int code, const char *reason, const char *message) {
  return send_status_details(r, code, reason, message, NULL);
}

/* ---- response builder ---- */

static void rb_push(rbuilder *rb, rb_seg s) {
  if (!s.n) return;
  rb->total += s.n;
  if (!s.p && rb->nseg) {
    rb_seg *l = &rb->segs[rb->nseg - 1];
    if (!l->p && l->off + l->n == s.off) {
      l->n += s.n;
      return;
    }
  }
  if (rb->nseg == rb->cap) {
    rb->cap = rb->cap ? rb->cap * 2 : 256;
    rb->segs = realloc(rb->segs, rb->cap * sizeof *rb->segs);
    if (!rb->segs) abort();
  }
  rb->segs[rb->nseg++] = s;
}

void rb_lit(rbuilder *rb, const void *p, size_t n) {
  size_t off = rb->arena.n;
  ksmc_buf_put(&rb->arena, p, n);
  rb_push(rb, (rb_seg){NULL, off, n});
}

void rb_str(rbuilder *rb, const char *s) { rb_lit(rb, s, strlen(s)); }

void rb_fmt(rbuilder *rb, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof tmp) n = sizeof tmp - 1;
  rb_lit(rb, tmp, (size_t)n);
}

void rb_ext(rbuilder *rb, obj *hold, const char *p, size_t n) {
  if (rb->nref == rb->refcap) {
    rb->refcap = rb->refcap ? rb->refcap * 2 : 256;
    rb->refs = realloc(rb->refs, rb->refcap * sizeof *rb->refs);
    if (!rb->refs) abort();
  }
  if (!rb->nref || rb->refs[rb->nref - 1] != hold) rb->refs[rb->nref++] = obj_ref(hold);
  rb_push(rb, (rb_seg){p, 0, n});
}

void rb_free(rbuilder *rb) {
  for (size_t i = 0; i < rb->nref; i++) obj_unref(rb->refs[i]);
  free(rb->refs);
  free(rb->segs);
  ksmc_buf_free(&rb->arena);
  memset(rb, 0, sizeof *rb);
}

typedef struct {
  rbuilder rb;
  size_t seg, off;     /* next byte to send */
  size_t sent, cut_at; /* list_cut fault: end with an error after cut_at bytes (0: never) */
  apisim *sim;
  unsigned gen; /* a simulated restart cuts the body */
} rb_reader;

static ssize_t rb_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  rb_reader *rd = cls;
  if (rd->gen != atomic_load(&rd->sim->restart_gen)) return MHD_CONTENT_READER_END_WITH_ERROR;
  if (rd->cut_at) {
    if (rd->sent >= rd->cut_at) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (max > rd->cut_at - rd->sent) max = rd->cut_at - rd->sent;
  }
  size_t n = 0;
  while (n < max && rd->seg < rd->rb.nseg) {
    rb_seg *s = &rd->rb.segs[rd->seg];
    const char *p = s->p ? s->p : rd->rb.arena.p + s->off;
    size_t take = s->n - rd->off;
    if (take > max - n) take = max - n;
    memcpy(buf + n, p + rd->off, take);
    n += take;
    rd->off += take;
    if (rd->off == s->n) {
      rd->seg++;
      rd->off = 0;
    }
  }
  rd->sent += n;
  return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void rb_reader_free(void *cls) {
  rb_reader *rd = cls;
  rb_free(&rd->rb);
  free(rd);
}

/* gzip_corrupt fault: odd firings scramble bytes in the middle of the deflate data (an
 * inflate error or garbage, caught by the CRC at the latest), even ones only the CRC-32
 * trailer (every byte inflates correctly, then the check fails). */
static void corrupt_gzip(ksmc_buf *gz, long nth) {
  if (gz->n < 64) return;
  if (nth % 2) {
    for (size_t i = gz->n / 2; i < gz->n / 2 + 16; i++) gz->p[i] = (char)(gz->p[i] ^ 0x5a);
  } else {
    gz->p[gz->n - 8] = (char)(gz->p[gz->n - 8] ^ 0xff);
  }
}

enum MHD_Result rb_send(req *r, rbuilder *rb, int code, const char *ctype) {
  if (ksmc_buf_failed(&rb->arena)) {
    rb_free(rb);
    return send_status(r, 500, "InternalError", "out of memory");
  }
  apisim_faults *f = &r->sim->faults;
  bool cut = r->list && code == 200 && fault_take(f, &f->list_cut);
  if (cut) atomic_fetch_add(&r->sim->stats.faults_injected, 1);
  bool gz = false;
  if (rb->total > GZIP_THRESHOLD && req_gzip_ok(r)) {
    ksmc_buf out = {0};
    bool ok = gzip_segments(rb, &out);
    rb_free(rb);
    if (!ok) {
      ksmc_buf_free(&out);
      return send_status(r, 500, "InternalError", "gzip failed");
    }
    if (r->list && code == 200 && fault_take(f, &f->gzip_corrupt)) {
      unsigned long long nth = atomic_fetch_add(&r->sim->stats.faults_injected, 1);
      corrupt_gzip(&out, (long)nth);
    }
    atomic_fetch_add(&r->sim->stats.gzip_responses, 1);
    /* stream the compressed bytes through the same reader (restart and list_cut apply) */
    size_t n = out.n;
    rb->arena = out;
    rb->total = 0;
    rb_push(rb, (rb_seg){NULL, 0, n});
    gz = true;
  } else if (rb->total <= 64 * 1024 && !cut) {
    ksmc_buf flat = {0};
    ksmc_buf_reserve(&flat, rb->total + 1);
    for (size_t i = 0; i < rb->nseg; i++)
      ksmc_buf_put(&flat, rb->segs[i].p ? rb->segs[i].p : rb->arena.p + rb->segs[i].off,
                   rb->segs[i].n);
    rb_free(rb);
    return send_body(r, code, ctype, &flat);
  }
  /* Large bodies stream straight from the shared object buffers: the reader copies
   * segment bytes into libmicrohttpd's send buffer (no per-request serialization). */
  rb_reader *rd = calloc(1, sizeof *rd);
  if (!rd) abort();
  rd->rb = *rb;
  memset(rb, 0, sizeof *rb);
  rd->sim = r->sim;
  rd->gen = r->gen;
  size_t total = rd->rb.total;
  if (cut) rd->cut_at = total / 2 ? total / 2 : 1;
  struct MHD_Response *resp =
      MHD_create_response_from_callback(total, 256 * 1024, rb_read, rd, rb_reader_free);
  if (!resp) {
    rb_reader_free(rd);
    return MHD_NO;
  }
  http_add_std_headers(resp, ctype);
  add_extra_headers(r, resp);
  if (gz) {
    MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
  }
  count_status(r, code);
  r->bytes = total;
  atomic_fetch_add(&r->sim->stats.bytes_sent, total);
  enum MHD_Result ret = MHD_queue_response(r->c, (unsigned)code, resp);
  MHD_destroy_response(resp);
  return ret;
}

/* ---- routing ---- */

/* strtok_r, not strtok: every connection has its own thread, and strtok's hidden state is
 * shared by all of them. Two requests split at once can take each other's segments; an
 * endpointslices LIST split short is routed to handle_discovery, which answers 200 with
 * the group's APIResourceList (fault_soak's one CI failure: ksmc took that for an empty
 * list). */
static int split_path(char *path, char **segs, int max) {
  int n = 0;
  char *save = NULL;
  for (char *s = strtok_r(path, "/", &save); s && n < max; s = strtok_r(NULL, "/", &save))
    segs[n++] = s;
  return n;
}

static enum MHD_Result route_resource(req *r, const char *group, const char *version, char **segs,
                                      int n) {
  bool force_watch = false;
  if (n > 0 && !strcmp(segs[0], "watch")) {
    force_watch = true;
    segs++;
    n--;
  }
  const char *ns = NULL, *res = NULL, *name = NULL, *sub = NULL;
  if (n >= 3 && !strcmp(segs[0], "namespaces")) {
    ns = segs[1];
    res = segs[2];
    name = n > 3 ? segs[3] : NULL;
    sub = n > 4 ? segs[4] : NULL;
  } else if (n >= 1) {
    res = segs[0];
    name = n > 1 ? segs[1] : NULL;
    sub = n > 2 ? segs[2] : NULL;
  }
  int kind = res ? kind_find(group, version, res) : -1;
  if (kind < 0 || (sub && strcmp(sub, "status")) || n > 5)
    return send_status_details(r, 404, "NotFound",
                               "the server could not find the requested resource", "{}");
  if (ns && !KINDS[kind].namespaced)
    return send_status_details(r, 404, "NotFound",
                               "the server could not find the requested resource", "{}");
  {
    apisim_faults *f = &r->sim->faults;
    if (fault_take(f, &f->stall_count)) {
      long ms;
      pthread_mutex_lock(&f->mu);
      ms = f->stall_ms;
      pthread_mutex_unlock(&f->mu);
      atomic_fetch_add(&r->sim->stats.faults_injected, 1);
      usleep((useconds_t)ms * 1000);
    }
    if (fault_take(f, &f->error_count)) {
      long code, ra;
      pthread_mutex_lock(&f->mu);
      code = f->error_code ? f->error_code : 503;
      ra = f->retry_after;
      pthread_mutex_unlock(&f->mu);
      atomic_fetch_add(&r->sim->stats.faults_injected, 1);
      const char *reason = code == 429   ? "TooManyRequests"
                           : code == 503 ? "ServiceUnavailable"
                           : code == 504 ? "Timeout"
                                         : "InternalError";
      const char *msg =
          code == 429 ? "Too many requests, please try again later."
                      : "injected fault: the server is currently unable to handle the request";
      ksmc_buf b = {0};
      char tmp[512];
      int len = snprintf(tmp, sizeof tmp,
                         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
                         "\"Failure\",\"message\":\"%s\",\"reason\":\"%s\",\"details\":{"
                         "\"retryAfterSeconds\":%ld},\"code\":%ld}",
                         msg, reason, ra, code);
      ksmc_buf_put(&b, tmp, (size_t)len);
      struct MHD_Response *resp =
          MHD_create_response_from_buffer_with_free_callback(b.n, b.p, free_buf_cb);
      http_add_std_headers(resp, "application/json");
      snprintf(tmp, sizeof tmp, "%ld", ra);
      MHD_add_response_header(resp, "Retry-After", tmp);
      count_status(r, (int)code);
      r->bytes = (size_t)len;
      enum MHD_Result ret = MHD_queue_response(r->c, (unsigned)code, resp);
      MHD_destroy_response(resp);
      return ret;
    }
  }
  /* the namespaces resource itself: /api/v1/namespaces/{name} */
  if (!strcmp(r->method, "GET")) {
    const char *w = req_arg(r, "watch");
    bool watch = force_watch || (w && strcmp(w, "false") && strcmp(w, "0"));
    if (name) {
      if (watch) return handle_watch(r, kind, ns, name);
      return handle_get(r, kind, ns, name);
    }
    if (watch) return handle_watch(r, kind, ns, NULL);
    apisim_faults *f = &r->sim->faults;
    if (fault_take(f, &f->list_not_a_list)) { /* what a request routed by a mangled path gets */
      atomic_fetch_add(&r->sim->stats.faults_injected, 1);
      return send_resource_list(r, group, version);
    }
    r->list = true;
    return handle_list(r, kind, ns);
  }
  if (!strcmp(r->method, "POST") && !name) return handle_create(r, kind, ns);
  if (!strcmp(r->method, "PUT") && name) return handle_update(r, kind, ns, name);
  if (!strcmp(r->method, "PATCH") && name) return handle_patch(r, kind, ns, name);
  if (!strcmp(r->method, "DELETE") && name) return handle_delete(r, kind, ns, name);
  return send_status(r, 405, "MethodNotAllowed",
                     "the server does not allow this method on the requested resource");
}

static enum MHD_Result dispatch(req *r) {
  apisim *sim = r->sim;
  const char *url = r->url;
  if (!strncmp(url, "/_sim/", 6) || !strcmp(url, "/_sim")) return handle_control(r, url);
  if (!strcmp(url, "/healthz") || !strcmp(url, "/readyz") || !strcmp(url, "/livez")) {
    ksmc_buf b = {0};
    ksmc_buf_puts(&b, KSMC_LIT("ok"));
    return send_body(r, 200, "text/plain; charset=utf-8", &b);
  }
  if (sim->cfg.token) {
    const char *auth = req_header(r, "Authorization");
    char want[600];
    snprintf(want, sizeof want, "Bearer %s", sim->cfg.token);
    if (!auth || strcmp(auth, want)) return send_status(r, 401, "Unauthorized", "Unauthorized");
  }
  char *path = strdup(url);
  char *segs[16];
  int n = split_path(path, segs, 16);
  enum MHD_Result ret;
  if (n >= 1 && !strcmp(segs[0], "api")) {
    if (n <= 2)
      ret = handle_discovery(r, url);
    else if (!strcmp(segs[1], "v1"))
      ret = route_resource(r, "", "v1", segs + 2, n - 2);
    else
      ret = send_status_details(r, 404, "NotFound",
                                "the server could not find the requested resource", "{}");
  } else if (n >= 1 && !strcmp(segs[0], "apis")) {
    if (n <= 3)
      ret = handle_discovery(r, url);
    else
      ret = route_resource(r, segs[1], segs[2], segs + 3, n - 3);
  } else if (n >= 2 && !strcmp(segs[0], "openapi") && !strcmp(segs[1], "v3")) {
    ret = handle_openapi(r, url);
  } else if (n == 1 && !strcmp(segs[0], "version")) {
    ret = handle_discovery(r, url);
  } else {
    ret = send_status_details(r, 404, "NotFound",
                              "the server could not find the requested resource", "{}");
  }
  free(path);
  return ret;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
  (void)kind;
  ksmc_buf *b = cls;
  if (b->n) ksmc_buf_putc(b, '&');
  ksmc_buf_put(b, key, strlen(key));
  if (value) {
    ksmc_buf_putc(b, '=');
    ksmc_buf_put(b, value, strlen(value));
  }
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
  (void)version;
  apisim *sim = cls;
  req *r = *con_cls;
  if (!r) {
    r = calloc(1, sizeof *r);
    if (!r) return MHD_NO;
    r->sim = sim;
    r->c = c;
    snprintf(r->method, sizeof r->method, "%s", method);
    r->url = strdup(url);
    ksmc_buf q = {0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
    r->query = strdup(q.n ? ksmc_buf_cstr(&q) : "");
    ksmc_buf_free(&q);
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->gen = atomic_load(&sim->restart_gen);
    *con_cls = r;
    atomic_fetch_add(&sim->stats.requests, 1);
    /* A simulated restart: connections from before it and every API request while the
     * server is "down" are closed without an answer (control endpoints stay reachable). */
    if (strncmp(url, "/_sim", 5)) {
      const union MHD_ConnectionInfo *ci =
          MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
      unsigned conn_gen =
          ci && ci->socket_context ? (unsigned)(uintptr_t)ci->socket_context - 1 : r->gen;
      if (conn_gen != r->gen || faults_down(sim)) return MHD_NO;
    }
    return MHD_YES;
  }
  if (*upload_size) {
    ksmc_buf_put(&r->body, upload_data, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  if (r->handled) return MHD_YES;
  r->handled = true;
  return dispatch(r);
}

/* Remembers the restart generation a connection was accepted in (+1, so never NULL). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  (void)c;
  apisim *sim = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    *socket_context = (void *)(uintptr_t)(atomic_load(&sim->restart_gen) + 1);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)c;
  (void)toe;
  apisim *sim = cls;
  req *r = *con_cls;
  if (!r) return;
  if (!sim->cfg.quiet) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms =
        (double)(t1.tv_sec - r->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6;
    fprintf(stderr, "apisim: %s %s%s%s %d %llu %.1fms%s\n", r->method, r->url,
            r->query[0] ? "?" : "", r->query, r->status, (unsigned long long)r->bytes, ms,
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
  }
  free(r->url);
  free(r->query);
  ksmc_buf_free(&r->body);
  free(r);
  *con_cls = NULL;
}

/* libmicrohttpd's own messages, prefixed; the ones our deliberate aborts cause (watch
 * client gone, truncation fault) are dropped. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (strstr(msg, "application error generating response")) return;
  size_t n = strlen(msg);
  while (n && msg[n - 1] == '\n') msg[--n] = 0;
  fprintf(stderr, "apisim: libmicrohttpd: %s\n", msg);
}

int http_start(apisim *sim) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)sim->cfg.port);
  if (inet_pton(AF_INET, sim->cfg.address, &sa.sin_addr) != 1) {
    fprintf(stderr, "apisim: bad --address %s (IPv4 expected)\n", sim->cfg.address);
    return -1;
  }
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                   MHD_USE_ERROR_LOG;
  if (sim->cfg.tls) flags |= MHD_USE_TLS;
  struct MHD_OptionItem opts[] = {
      {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
      {MHD_OPTION_SOCK_ADDR, 0, &sa},
      {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, sim},
      {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, sim},
      {MHD_OPTION_CONNECTION_TIMEOUT, 0, NULL},
      {MHD_OPTION_CONNECTION_LIMIT, 4000, NULL},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 1024 * 1024, NULL},
      {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
      {MHD_OPTION_THREAD_STACK_SIZE, 512 * 1024, NULL},
      {sim->cfg.tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, sim->cert_pem},
      {sim->cfg.tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, sim->key_pem},
      {MHD_OPTION_END, 0, NULL},
  };
  struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, sim, MHD_OPTION_ARRAY,
                                          opts, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "apisim: cannot listen on %s:%d\n", sim->cfg.address, sim->cfg.port);
    return -1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  sim->port = info ? info->port : sim->cfg.port;
  sim->daemon = d;
  return 0;
}

void http_stop(apisim *sim) {
  if (!sim->daemon) return;
  MHD_quiesce_daemon(sim->daemon);
  MHD_stop_daemon(sim->daemon);
  sim->daemon = NULL;
}
