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

/* One piece of the stream still to send. A JSON watch event (o set) is written straight
 * from its object's bytes into libmicrohttpd's buffer: `{"type":"T","object":`, the kind
 * prefix, the object with its resourceVersion digits replaced by rv (if rvn), `}\n` — one
 * copy per event, nothing formatted in between. Anything else (bookmarks, errors, Table and
 * PartialObjectMetadata events, the faults' bytes) is formatted into w->pending and sent
 * as bytes [off, off + n) of it (o NULL). */
typedef struct {
  obj *o;           /* holds a reference */
  const char *type; /* "ADDED", "MODIFIED", "DELETED" */
  unsigned char tlen, rvn;
  char rv[22]; /* the resourceVersion to write into the object (rvn digits), if rvn */
  size_t off;  /* pending piece: where its bytes start in w->pending */
  size_t n;    /* bytes of the piece */
} piece;

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
  ksmc_buf pending;          /* bytes of the pieces with o NULL */
  piece *q;                  /* what produce() made, sent in order by watch_read() */
  size_t qn, qcap, qi, qoff; /* pieces; the first not fully sent and how much of it was */
  size_t queued;             /* bytes of the pieces in q */
  /* tests (tests/e2e/apisim_replay.sh): apisimBuffered=1 formats JSON events into pending
   * like every other piece (the path the direct one must match byte for byte);
   * apisimFill=N hands libmicrohttpd at most N bytes per call, cutting events anywhere */
  bool buffered;
  size_t fill_max;
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

static piece *q_push(watcher *w) {
  if (w->qn == w->qcap) {
    w->qcap = w->qcap ? w->qcap * 2 : 64;
    w->q = realloc(w->q, w->qcap * sizeof *w->q);
    if (!w->q) abort();
  }
  return &w->q[w->qn++];
}

/* Queues the bytes formatted into w->pending since `at` (appended to the last piece when
 * that one is pending bytes ending there). */
static void q_pending(watcher *w, size_t at) {
  size_t n = w->pending.n - at;
  if (!n) return;
  piece *last = w->qn > w->qi ? &w->q[w->qn - 1] : NULL;
  if (last && !last->o && last->off + last->n == at)
    last->n += n;
  else
    *q_push(w) = (piece){.off = at, .n = n};
  w->queued += n;
}

/* Decimal digits of v into out (at least 21 bytes); returns their count. */
static unsigned u64_digits(uint64_t v, char *out) {
  char tmp[21];
  unsigned n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (unsigned i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

/* Queues a JSON watch event of o (takes over the caller's reference) with rv_override
 * written as its resourceVersion (0: the object's own). Its bytes are what format_event
 * writes for OUT_JSON. */
static void q_event(watcher *w, const char *type, obj *o, uint64_t rv_override) {
  piece *p = q_push(w);
  p->o = o;
  p->type = type;
  p->tlen = (unsigned char)strlen(type);
  p->rvn = rv_override && o->rv_len ? (unsigned char)u64_digits(rv_override, p->rv) : 0;
  p->off = 0;
  p->n = 9 + p->tlen + 11 + o->kind_prefix_len + (o->len - 2) + 2;
  if (p->rvn) p->n = p->n - o->rv_len + p->rvn;
  w->queued += p->n;
}

/* Copies bytes [from, from + max) of piece p (as far as it goes) to dst; returns the count. */
static size_t piece_copy(const watcher *w, const piece *p, size_t from, char *dst, size_t max) {
  if (!p->o) {
    size_t n = p->n - from < max ? p->n - from : max;
    memcpy(dst, w->pending.p + p->off + from, n);
    return n;
  }
  const obj *o = p->o;
  size_t body_end = p->rvn ? o->rv_off : o->len;
  struct {
    const char *p;
    size_t n;
  } seg[7] = {
      {"{\"type\":\"", 9},
      {p->type, p->tlen},
      {"\",\"object\":", 11},
      {o->kind_prefix, o->kind_prefix_len},
      {o->buf + 2, body_end - 2},
      {p->rv, p->rvn},
      {p->rvn ? o->buf + o->rv_off + o->rv_len : NULL, p->rvn ? o->len - o->rv_off - o->rv_len : 0},
  };
  size_t got = 0;
  for (int i = 0; i < 8 && got < max; i++) {
    const char *sp = i < 7 ? seg[i].p : "}\n";
    size_t sn = i < 7 ? seg[i].n : 2;
    if (from >= sn) {
      from -= sn;
      continue;
    }
    size_t n = sn - from < max - got ? sn - from : max - got;
    memcpy(dst + got, sp + from, n);
    got += n;
    from = 0;
  }
  return got;
}

/* Drops every queued piece (and its reference) and the pending bytes. */
static void q_clear(watcher *w) {
  for (size_t i = w->qi; i < w->qn; i++) obj_unref(w->q[i].o);
  w->qn = w->qi = w->qoff = w->queued = 0;
  ksmc_buf_reset(&w->pending);
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

/* format_error / format_bookmark into the stream */
static void q_error(watcher *w, const char *msg) {
  size_t at = w->pending.n;
  format_error(&w->pending, msg);
  q_pending(w, at);
}

static void q_bookmark(watcher *w, uint64_t rv, bool initial_end) {
  size_t at = w->pending.n;
  format_bookmark(w, &w->pending, rv, initial_end);
  q_pending(w, at);
}

/* Emits one event subject to the per-watch faults; takes over the caller's reference to
 * o. Returns false when the stream ends. */
static bool emit(watcher *w, const char *type, obj *o, uint64_t rv_override) {
  apisim *sim = w->sim;
  if (w->state != W_RUN) {
    obj_unref(o);
    return false;
  }
  if (w->malformed_after >= 0 && !w->malformed_done && w->sent == w->malformed_after) {
    size_t at = w->pending.n;
    ksmc_buf_puts(&w->pending, KSMC_LIT("{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\","
                                        "\"apiVersion\":\"v1\",\"metadata\":{\"name\":\n"));
    q_pending(w, at);
    w->malformed_done = true;
    atomic_fetch_add(&sim->stats.faults_injected, 1);
  }
  if (w->truncate_after >= 0 && w->sent == w->truncate_after) {
    ksmc_buf t = {0};
    format_event(w, &t, type, o, rv_override);
    obj_unref(o);
    size_t at = w->pending.n;
    ksmc_buf_put(&w->pending, t.p, t.n / 2);
    q_pending(w, at);
    ksmc_buf_free(&t);
    w->state = W_ABORT;
    atomic_fetch_add(&sim->stats.faults_injected, 1);
    return false;
  }
  if (w->out == OUT_JSON && !w->buffered) {
    q_event(w, type, o, rv_override);
  } else {
    size_t at = w->pending.n;
    format_event(w, &w->pending, type, o, rv_override);
    q_pending(w, at);
    obj_unref(o);
  }
  w->sent++;
  atomic_fetch_add(&sim->stats.watch_events, 1);
  if (w->gone_after > 0 && w->sent >= w->gone_after) {
    q_error(w, "too old resource version: injected fault (watch_gone_after)");
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
    while (w->init_idx < w->ninit && w->queued < 256 * 1024) {
      obj *o = w->init[w->init_idx];
      w->init[w->init_idx++] = NULL;
      if (!emit(w, "ADDED", o, 0)) break;
    }
    return;
  }
  if (w->init_bookmark) {
    w->init_bookmark = false;
    q_bookmark(w, w->cursor, true);
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
    q_error(w, msg);
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
  /* a watch without namespace, name or selectors sends every event: reference only the
   * version it sends (the new one, or the last one for DELETED) */
  bool all = !w->ns && !w->name && !w->filtered;
  for (; i < k->rcount && nb < BATCH; i++) {
    event *e = &k->ring[(k->rhead + i) % k->rcap];
    batch[nb] = *e;
    if (all && e->type == EV_DELETED)
      batch[nb].o = NULL;
    else
      obj_ref(e->o);
    if (all && e->type != EV_DELETED)
      batch[nb].prev = NULL;
    else if (e->prev)
      obj_ref(e->prev);
    nb++;
  }
  pthread_mutex_unlock(&s->mu);
  if (bookmark_rv) {
    q_bookmark(w, bookmark_rv, false);
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
    /* which version to send, if any: emit() takes over that slot's reference, the other
     * slot's is dropped here (a DELETED event has the same version in both) */
    const char *type = NULL;
    bool send_o = false;
    uint64_t rv = e->rv;
    if (e->type == EV_DELETED) {
      if (all || matches(w, e->prev)) type = "DELETED";
    } else {
      bool is = all || matches(w, e->o);
      bool was = e->type == EV_MODIFIED && (all || matches(w, e->prev));
      if (is) {
        type = was ? "MODIFIED" : "ADDED";
        send_o = true;
        /* a replayed event (replay.c) carries a recorded version with an older RV */
        if (e->rv == e->o->rv) rv = 0;
      } else if (was) {
        type = "DELETED";
      }
    }
    if (!type || !send_o) obj_unref(e->o);
    if (!type || send_o) obj_unref(e->prev);
    if (type && !emit(w, type, send_o ? e->o : e->prev, rv)) {
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
    if (w->qi < w->qn) {
      size_t n = 0;
      if (w->fill_max && max > w->fill_max) max = w->fill_max;
      while (n < max && w->qi < w->qn) {
        piece *p = &w->q[w->qi];
        size_t c = piece_copy(w, p, w->qoff, buf + n, max - n);
        n += c;
        w->qoff += c;
        if (w->qoff == p->n) {
          obj_unref(p->o);
          p->o = NULL;
          w->qi++;
          w->qoff = 0;
        }
      }
      w->r->bytes += n;
      atomic_fetch_add(&w->sim->stats.bytes_sent, n);
      return (ssize_t)n;
    }
    q_clear(w);
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
  q_clear(w);
  free(w->q);
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
  w->buffered = truthy(req_arg(r, "apisimBuffered"));
  const char *fill = req_arg(r, "apisimFill");
  w->fill_max = fill ? strtoul(fill, NULL, 10) : 0;
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
    q_error(w, err);
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
      q_error(w, err);
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
