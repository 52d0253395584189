/* watch: chunked event streams. Each connection has its own thread (libmicrohttpd
 * thread-per-connection), so the content reader blocks on the store's condition variable
 * until events newer than its cursor exist, then formats them from the shared object
 * versions. Handles RV semantics, selector enter/leave, bookmarks, sendInitialEvents,
 * timeoutSeconds and the watch faults. */
#include "http.h"
#include "selector.h"
#include "table.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { W_RUN, W_END, W_ABORT };

typedef struct {
  apisim *sim;
  req *r;
  int kind;
  char *ns;
  char *name;
  selector ls, fs;
  bool filtered;
  int out;
  bool bookmarks;
  obj **init;
  size_t ninit, init_idx;
  bool init_bookmark;
  uint64_t cursor;
  struct timespec deadline;
  bool has_deadline;
  struct timespec next_bookmark;
  long sent;
  long close_after, gone_after, truncate_after, malformed_after;
  bool malformed_done;
  bool columns_sent;
  ksmc_buf pending;
  size_t pend_off;
  int state;
  int fd;
  unsigned gen; /* sim->restart_gen when the watch began: a restart cuts the stream */
} watcher;

static void ts_add(struct timespec *t, double secs) {
  long long ns = (long long)(secs * 1e9) + t->tv_nsec;
  t->tv_sec += (time_t)(ns / 1000000000LL);
  t->tv_nsec = (long)(ns % 1000000000LL);
}

static bool ts_before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static bool matches(watcher *w, const obj *o) {
  if (w->ns && strcmp(o->ns, w->ns)) return false;
  if (w->name && strcmp(o->name, w->name)) return false;
  return !w->filtered || (label_selector_match(&w->ls, o) && field_selector_match(&w->fs, o));
}

static void rb_flatten(rbuilder *rb, ksmc_buf *out) {
  for (size_t i = 0; i < rb->nseg; i++) {
    rb_seg *s = &rb->segs[i];
    ksmc_buf_put(out, s->p ? s->p : rb->arena.p + s->off, s->n);
  }
}

static void format_event(watcher *w, ksmc_buf *b, const char *type, obj *o, uint64_t rv_override) {
  ksmc_buf_puts(b, KSMC_LIT("{\"type\":\""));
  ksmc_buf_put(b, type, strlen(type));
  ksmc_buf_puts(b, KSMC_LIT("\",\"object\":"));
  if (w->out == OUT_TABLE) {
    rbuilder rb = {0};
    rb_fmt(&rb,
           "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/"
           "v1\",\"metadata\":{\"resourceVersion\":\"%llu\"},\"columnDefinitions\":",
           (unsigned long long)(rv_override ? rv_override : o->rv));
    if (!w->columns_sent) {
      ksmc_buf cols = {0};
      table_columns(w->kind, &cols);
      rb_lit(&rb, cols.p, cols.n);
      ksmc_buf_free(&cols);
      w->columns_sent = true;
    } else {
      rb_str(&rb, "null");
    }
    rb_str(&rb, ",\"rows\":[");
    table_row(&rb, w->r, o, rv_override, time(NULL));
    rb_str(&rb, "]}");
    rb_flatten(&rb, b);
    rb_free(&rb);
  } else if (w->out == OUT_PARTIAL) {
    ksmc_buf_puts(
        b,
        KSMC_LIT(
            "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":"));
    obj_write_range(b, o, o->meta_off, o->meta_off + o->meta_len, rv_override);
    ksmc_buf_putc(b, '}');
  } else {
    obj_write_full(b, o, rv_override);
  }
  ksmc_buf_puts(b, KSMC_LIT("}\n"));
}

static void format_bookmark(watcher *w, ksmc_buf *b, uint64_t rv, bool initial_end) {
  const kind_def *k = &KINDS[w->kind];
  char av[64], tmp[512];
  kind_api_version(k, av, sizeof av);
  int n = snprintf(tmp, sizeof tmp,
                   "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\","
                   "\"metadata\":{\"resourceVersion\":\"%llu\"%s}%s}}\n",
                   w->out == OUT_PARTIAL ? "PartialObjectMetadata" : k->kind,
                   w->out == OUT_PARTIAL ? "meta.k8s.io/v1" : av, (unsigned long long)rv,
                   initial_end ? ",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}" : "",
                   w->out != OUT_PARTIAL && k->table == TABLE_POD
                       ? ",\"spec\":{\"containers\":null},\"status\":{}"
                       : "");
  ksmc_buf_put(b, tmp, (size_t)n);
}

static void format_error(ksmc_buf *b, const char *msg) {
  ksmc_buf_puts(b, KSMC_LIT("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":"
                            "\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\""));
  json_escape(b, msg, strlen(msg));
  ksmc_buf_puts(b, KSMC_LIT("\",\"reason\":\"Expired\",\"code\":410}}\n"));
}

/* Emits one event subject to the per-watch faults. Returns false when the stream ends. */
static bool emit(watcher *w, const char *type, obj *o, uint64_t rv_override) {
  apisim *sim = w->sim;
  if (w->state != W_RUN) return false;
  if (w->malformed_after >= 0 && !w->malformed_done && w->sent == w->malformed_after) {
    ksmc_buf_puts(&w->pending, KSMC_LIT("{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\","
                                        "\"apiVersion\":\"v1\",\"metadata\":{\"name\":\n"));
    w->malformed_done = true;
    atomic_fetch_add(&sim->stats.faults_injected, 1);
  }
  if (w->truncate_after >= 0 && w->sent == w->truncate_after) {
    ksmc_buf t = {0};
    format_event(w, &t, type, o, rv_override);
    ksmc_buf_put(&w->pending, t.p, t.n / 2);
    ksmc_buf_free(&t);
    w->state = W_ABORT;
    atomic_fetch_add(&sim->stats.faults_injected, 1);
    return false;
  }
  format_event(w, &w->pending, type, o, rv_override);
  w->sent++;
  atomic_fetch_add(&sim->stats.watch_events, 1);
  if (w->gone_after > 0 && w->sent >= w->gone_after) {
    format_error(&w->pending, "too old resource version: injected fault (watch_gone_after)");
    w->state = W_END;
    atomic_fetch_add(&sim->stats.faults_injected, 1);
    return false;
  }
  if (w->close_after > 0 && w->sent >= w->close_after) {
    w->state = W_END;
    atomic_fetch_add(&sim->stats.faults_injected, 1);
    return false;
  }
  return true;
}

static bool client_gone(watcher *w) {
  if (w->fd < 0) return false;
  struct pollfd p = {.fd = w->fd, .events = POLLRDHUP};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* index (0..rcount) of the first event with rv > cursor */
static size_t first_after(const kstore *k, uint64_t cursor) {
  size_t lo = 0, hi = k->rcount;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (k->ring[(k->rhead + mid) % k->rcap].rv <= cursor)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

#define BATCH 256

static void produce(watcher *w) {
  apisim *sim = w->sim;
  store *s = &sim->st;
  if (w->init_idx < w->ninit) {
    while (w->init_idx < w->ninit && w->pending.n < 256 * 1024) {
      obj *o = w->init[w->init_idx];
      w->init[w->init_idx++] = NULL;
      bool go = emit(w, "ADDED", o, 0);
      obj_unref(o);
      if (!go) break;
    }
    return;
  }
  if (w->init_bookmark) {
    w->init_bookmark = false;
    format_bookmark(w, &w->pending, w->cursor, true);
    return;
  }
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (w->has_deadline && !ts_before(&now, &w->deadline)) {
    w->state = W_END;
    return;
  }
  if (atomic_load(&sim->stopping)) {
    w->state = W_END;
    return;
  }
  event batch[BATCH];
  size_t nb = 0;
  uint64_t bookmark_rv = 0;
  pthread_mutex_lock(&s->mu);
  kstore *k = &s->k[w->kind];
  if (w->cursor < k->evicted_rv) {
    uint64_t ev = k->evicted_rv;
    pthread_mutex_unlock(&s->mu);
    char msg[128];
    snprintf(msg, sizeof msg, "too old resource version: %llu (%llu)",
             (unsigned long long)w->cursor, (unsigned long long)ev);
    format_error(&w->pending, msg);
    w->state = W_END;
    return;
  }
  size_t i = first_after(k, w->cursor);
  if (i == k->rcount) {
    struct timespec wake = now;
    ts_add(&wake, 1.0);
    if (w->has_deadline && ts_before(&w->deadline, &wake)) wake = w->deadline;
    if (w->bookmarks && ts_before(&w->next_bookmark, &wake)) wake = w->next_bookmark;
    pthread_cond_timedwait(&s->cond[w->kind], &s->mu, &wake);
    clock_gettime(CLOCK_MONOTONIC, &now);
    i = first_after(k, w->cursor);
    if (i == k->rcount && w->bookmarks && !ts_before(&now, &w->next_bookmark) &&
        w->cursor >= k->evicted_rv) {
      bookmark_rv = s->rv;
      w->cursor = s->rv;
      w->next_bookmark = now;
      ts_add(&w->next_bookmark, sim->cfg.bookmark_interval);
      if (w->has_deadline) {
        struct timespec before = w->deadline;
        ts_add(&before, -2.0);
        if (ts_before(&now, &before) && ts_before(&before, &w->next_bookmark))
          w->next_bookmark = before;
      }
    }
  }
  for (; i < k->rcount && nb < BATCH; i++) {
    event *e = &k->ring[(k->rhead + i) % k->rcap];
    batch[nb] = *e;
    obj_ref(e->o);
    if (e->prev) obj_ref(e->prev);
    nb++;
  }
  pthread_mutex_unlock(&s->mu);
  if (bookmark_rv) {
    format_bookmark(w, &w->pending, bookmark_rv, false);
    return;
  }
  if (!nb && client_gone(w)) {
    w->state = W_ABORT;
    return;
  }
  size_t j = 0;
  for (; j < nb; j++) {
    event *e = &batch[j];
    w->cursor = e->rv;
    bool go = true;
    /* a replayed event (replay.c) carries a recorded version with an older RV */
    uint64_t rvo = e->rv != e->o->rv ? e->rv : 0;
    if (e->type == EV_ADDED) {
      if (matches(w, e->o)) go = emit(w, "ADDED", e->o, rvo);
    } else if (e->type == EV_DELETED) {
      if (matches(w, e->prev)) go = emit(w, "DELETED", e->prev, e->rv);
    } else {
      bool was = matches(w, e->prev), is = matches(w, e->o);
      if (was && is)
        go = emit(w, "MODIFIED", e->o, rvo);
      else if (is)
        go = emit(w, "ADDED", e->o, rvo);
      else if (was)
        go = emit(w, "DELETED", e->prev, e->rv);
    }
    obj_unref(e->o);
    obj_unref(e->prev);
    if (!go) {
      j++;
      break;
    }
  }
  for (; j < nb; j++) {
    obj_unref(batch[j].o);
    obj_unref(batch[j].prev);
  }
}

static ssize_t watch_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  watcher *w = cls;
  for (;;) {
    if (w->gen != atomic_load(&w->sim->restart_gen)) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (w->pend_off < w->pending.n) {
      size_t n = w->pending.n - w->pend_off;
      if (n > max) n = max;
      memcpy(buf, w->pending.p + w->pend_off, n);
      w->pend_off += n;
      w->r->bytes += n;
      atomic_fetch_add(&w->sim->stats.bytes_sent, n);
      return (ssize_t)n;
    }
    ksmc_buf_reset(&w->pending);
    w->pend_off = 0;
    if (w->state == W_END) return MHD_CONTENT_READER_END_OF_STREAM;
    if (w->state == W_ABORT) return MHD_CONTENT_READER_END_WITH_ERROR;
    produce(w);
  }
}

static void watch_free(void *cls) {
  watcher *w = cls;
  for (size_t i = w->init_idx; i < w->ninit; i++) obj_unref(w->init[i]);
  free(w->init);
  selector_free(&w->ls);
  selector_free(&w->fs);
  free(w->ns);
  free(w->name);
  ksmc_buf_free(&w->pending);
  atomic_fetch_sub(&w->sim->stats.watches_active, 1);
  free(w);
}

static bool truthy(const char *v) { return v && strcmp(v, "false") && strcmp(v, "0"); }

enum MHD_Result handle_watch(req *r, int kind, const char *ns, const char *name) {
  apisim *sim = r->sim;
  store *s = &sim->st;
  const char *rvs = req_arg(r, "resourceVersion");
  const char *rvm = req_arg(r, "resourceVersionMatch");
  const char *sie = req_arg(r, "sendInitialEvents");
  if (rvs && !*rvs) rvs = NULL;
  if (rvm && !*rvm) rvm = NULL;
  bool send_initial = truthy(sie);
  char err[600];
  if (sie && send_initial && (!rvm || strcmp(rvm, "NotOlderThan")))
    return send_status(r, 422, "Invalid",
                       "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: "
                       "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan");
  if (rvm && !sie)
    return send_status(
        r, 422, "Invalid",
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: "
        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided");
  if (rvm && strcmp(rvm, "NotOlderThan"))
    return send_status(
        r, 422, "Invalid",
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value");
  uint64_t want = 0;
  if (rvs) {
    char *end;
    errno = 0;
    want = strtoull(rvs, &end, 10);
    if (*end || errno || rvs[0] == '-') {
      snprintf(err, sizeof err, "invalid resource version: %.100s", rvs);
      return send_status(r, 400, "BadRequest", err);
    }
  }
  watcher *w = calloc(1, sizeof *w);
  if (!w) abort();
  w->sim = sim;
  w->r = r;
  w->kind = kind;
  w->ns = ns ? strdup(ns) : NULL;
  w->name = name ? strdup(name) : NULL;
  w->fd = -1;
  w->gen = atomic_load(&sim->restart_gen);
  const char *e = label_selector_parse(&w->ls, req_arg(r, "labelSelector"), err, sizeof err);
  if (!e) e = field_selector_parse(&w->fs, kind, req_arg(r, "fieldSelector"), err, sizeof err);
  if (e) {
    atomic_fetch_add(&sim->stats.watches_active, 1);
    watch_free(w);
    return send_status(r, 400, "BadRequest", e);
  }
  w->filtered = w->ls.n || w->fs.n;
  w->out = req_output(r);
  w->bookmarks = truthy(req_arg(r, "allowWatchBookmarks"));
  atomic_fetch_add(&sim->stats.watches, 1);
  atomic_fetch_add(&sim->stats.watches_active, 1);

  apisim_faults *f = &sim->faults;
  pthread_mutex_lock(&f->mu);
  w->close_after = f->watch_close_events;
  w->gone_after = f->watch_gone_after;
  w->truncate_after = f->watch_truncate_after ? f->watch_truncate_after : -1;
  w->malformed_after = f->watch_malformed_after ? f->watch_malformed_after : -1;
  long close_secs = f->watch_close_seconds;
  pthread_mutex_unlock(&f->mu);
  bool gone_start = fault_take(f, &f->watch_gone_start);

  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const char *ts = req_arg(r, "timeoutSeconds");
  double timeout = ts ? strtod(ts, NULL) : 0;
  if (close_secs > 0 && (timeout <= 0 || close_secs < timeout)) timeout = (double)close_secs;
  if (timeout > 0) {
    w->deadline = now;
    ts_add(&w->deadline, timeout);
    w->has_deadline = true;
  }
  w->next_bookmark = now;
  ts_add(&w->next_bookmark, sim->cfg.bookmark_interval);
  if (w->has_deadline && timeout > 2.5) {
    struct timespec before = w->deadline;
    ts_add(&before, -2.0);
    if (ts_before(&before, &w->next_bookmark)) w->next_bookmark = before;
  }

  bool initial = send_initial || !rvs || want == 0;
  if (gone_start) {
    atomic_fetch_add(&sim->stats.faults_injected, 1);
    snprintf(err, sizeof err, "too old resource version: %llu (%llu)", (unsigned long long)want,
             (unsigned long long)want + 1);
    format_error(&w->pending, err);
    w->state = W_END;
  } else {
    pthread_mutex_lock(&s->mu);
    kstore *k = &s->k[kind];
    store_expire_locked(s, kind, time(NULL));
    if (initial) {
      size_t start = 0;
      if (ns) {
        char pfx[300];
        snprintf(pfx, sizeof pfx, "%s/", ns);
        start = store_lower_bound_locked(k, pfx);
      }
      w->init = malloc((k->n ? k->n : 1) * sizeof *w->init);
      if (!w->init) abort();
      for (size_t i = start; i < k->n; i++) {
        obj *o = k->v[i];
        if (ns && strcmp(o->ns, ns)) break;
        if (matches(w, o)) w->init[w->ninit++] = obj_ref(o);
      }
      w->cursor = s->rv;
      w->init_bookmark = w->bookmarks && (send_initial || (!sie && (!rvs || want == 0)));
    } else if (want < k->evicted_rv) {
      snprintf(err, sizeof err, "too old resource version: %llu (%llu)", (unsigned long long)want,
               (unsigned long long)k->evicted_rv);
      format_error(&w->pending, err);
      w->state = W_END;
    } else {
      w->cursor = want;
    }
    pthread_mutex_unlock(&s->mu);
  }
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (ci) w->fd = ci->connect_fd;

  struct MHD_Response *resp =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, watch_read, w, watch_free);
  if (!resp) {
    watch_free(w);
    return MHD_NO;
  }
  http_add_std_headers(resp, "application/json");
  r->status = 200;
  r->streaming = true;
  enum MHD_Result ret = MHD_queue_response(r->c, 200, resp);
  MHD_destroy_response(resp);
  return ret;
}
