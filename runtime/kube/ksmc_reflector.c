#include "ksmc_reflector.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ksmc_backoff.h"
#include "ksmc_err.h"
#include "ksmc_framer.h"
#include "ksmc_gunzip.h"
#include "ksmc_jscan.h"
#include "ksmc_request.h"
#include "ksmc_shard.h"

#define ERRBODY_MAX 16384
#define VERY_SHORT_WATCH_MS 1000
#define MAX_RETRY_AFTER_MS 600000
/* Bytes of a prefetched page buffered before its transfer is paused (the rest waits,
 * compressed, in socket buffers): bounds the memory pipelining adds to one page. */
#define PREFETCH_BUFFER_MAX (1u << 20)
/* How long the current page stays paused while its next page's request finds a
 * connection (see hold_done): a loopback connect takes well under a millisecond. */
#define PREFETCH_HOLD_MAX_MS 50

typedef enum { PH_IDLE, PH_LIST, PH_WATCH } phase;
typedef enum { NEXT_LIST, NEXT_PAGE, NEXT_WATCH } next_step;
typedef enum { AB_NONE, AB_GONE, AB_ERROR_EVENT, AB_MALFORMED } abort_reason;
/* Which resourceVersion a list asks for (when not continuing). */
typedef enum { RV_CONSISTENT, RV_ANY, RV_NOT_OLDER } list_rv_mode;

struct stream;

/* Content-Encoding of a LIST response whose body ksmc decodes itself (ksmc_gunzip). */
typedef enum { ENC_IDENTITY, ENC_GZIP, ENC_OTHER } body_encoding;

/* One of a stream's two easy handles and what curl keeps pointers to for its lifetime:
 * callbacks get the tag, and tell the current request from the prefetch by tag->easy. */
typedef struct {
  struct stream *s;
  CURL *easy;
  bool raw_body;     /* a LIST request: libcurl passes the body undecoded */
  body_encoding enc; /* its Content-Encoding (raw_body only) */
  char err[CURL_ERROR_SIZE];
} handle_tag;

/* The next LIST page, requested as soon as the current page's metadata.continue is
 * parsed (it precedes items), so the server prepares it while the current page is still
 * being parsed. Its body is buffered until it becomes the current page (promote). */
typedef struct {
  bool active; /* requested for the current page's continue token */
  bool done;   /* transfer finished with `res` (handle no longer in the multi) */
  bool paused; /* PREFETCH_BUFFER_MAX reached: resumed when it becomes current */
  bool sent;   /* its request is about to be sent on a connection of its own */
  CURLcode res;
  CURL *easy;
  ksmc_request_lists lists;
  long http;
  bool got_status;
  int64_t retry_after_ms, req_start_ms;
  ksmc_buf body, spare;
} prefetch;

typedef struct stream {
  ksmc_ingest *ig;
  size_t idx;
  ksmc_stream_spec spec; /* strings owned */
  CURL *easy;            /* the current request's handle */
  ksmc_request_lists lists;
  handle_tag tags[2];
  prefetch pre;
  bool prefetched;    /* the current page's next page was requested */
  bool want_prefetch; /* its continue token is known: request it (outside curl callbacks) */
  bool held;          /* the current transfer is paused until the loop requested it */
  int64_t held_ms;    /* since when */
  phase phase;
  next_step next;
  int64_t due_ms;
  ksmc_framer framer;
  ksmc_list_parser lp;
  ksmc_gunzip gz; /* the current LIST page's decoder (ENC_GZIP); freed when the list ends */
  bool gz_open;   /* begun for the current request */
  ksmc_buf url;
  ksmc_buf rv;   /* last resourceVersion seen (list or event) */
  ksmc_buf cont; /* continue token of the next page */
  ksmc_buf errbody;
  long http;
  bool got_status;
  int64_t retry_after_ms;
  int64_t req_start_ms, list_start_ms;
  uint64_t list_items, list_kept, watch_events;
  uint64_t list_bytes;   /* decoded body bytes of the LIST in progress */
  uint64_t listed_bytes; /* ... of the last complete one: sizes the watch's recv buffer */
  bool list_open, paginate, ever_listed;
  bool absent; /* optional stream, last LIST answered 404 (see ksmc_stream_spec) */
  list_rv_mode rv_mode;
  abort_reason abort;
  char abort_msg[256];
  ksmc_backoff backoff;
  ksmc_stream_stats st; /* guarded by ig->mu */
} stream;

static handle_tag *tag_of(stream *s, CURL *easy) {
  return s->tags[0].easy == easy ? &s->tags[0] : &s->tags[1];
}

struct ksmc_ingest {
  ksmc_ingest_opts o;
  CURLM *multi;
  stream *s;
  size_t n;
  atomic_bool stop;
  bool awaiting_shard;  /* ingest thread only */
  bool reshard_pending; /* guarded by mu, with new_shard/new_total */
  int32_t new_shard, new_total;
  bool all_synced_logged;
  bool niced; /* nice_after_sync applied (ingest thread only) */
  int64_t start_ms;
  bool watch_read; /* this loop turn delivered watch body bytes (ingest thread only) */
  /* fds[0]: the read end of `wake`; then curl's sockets and what curl waits for on each
   * (CURLMOPT_SOCKETFUNCTION), with the revents of the last poll (ingest thread only) */
  struct pollfd *fds;
  size_t nfds, fds_cap;
  int wake[2]; /* a pipe: ksmc_ingest_stop and _set_shard write a byte to end a poll */
  pthread_mutex_t mu;
};

/* ---- small helpers ---- */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void logf_(ksmc_ingest *ig, ksmc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(ksmc_ingest *ig, ksmc_log_level lvl, const char *fmt, ...) {
  if (!ig->o.log || lvl > ig->o.log_level) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  ig->o.log(ig->o.log_user, lvl, line);
}

#define LOCKED(s, stmt)                                                                            \
  do {                                                                                             \
    pthread_mutex_lock(&(s)->ig->mu);                                                              \
    stmt;                                                                                          \
    pthread_mutex_unlock(&(s)->ig->mu);                                                            \
  } while (0)

static void set_last_error(stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_last_error(stream *s, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  LOCKED(s, memcpy(s->st.last_error, msg, sizeof msg));
}

static void copy_slice(ksmc_buf *b, ksmc_slice v) {
  ksmc_buf_reset(b);
  ksmc_buf_put(b, v.p, v.n);
  ksmc_buf_cstr(b);
}

static bool slice_is(ksmc_slice v, const char *s) {
  return v.n == strlen(s) && memcmp(v.p, s, v.n) == 0;
}

/* metadata.<key> of an object, unquoted. */
static bool meta_field(const char *json, size_t len, const char *key, ksmc_slice *out) {
  ksmc_slice v;
  return ksmc_jscan_members_in(json, len, "metadata", &key, 1, &v) && ksmc_jscan_unquote(v, out);
}

/* metadata.uid and metadata.resourceVersion (unquoted) in one pass that stops at the
 * later of the two, before labels, annotations and managedFields. Returns a bitmask:
 * 1 uid found, 2 resourceVersion found. */
static unsigned meta_uid_rv(const char *json, size_t len, ksmc_slice *uid, ksmc_slice *rv) {
  static const char *const keys[2] = {"uid", "resourceVersion"};
  ksmc_slice v[2];
  unsigned f = ksmc_jscan_members_in(json, len, "metadata", keys, 2, v);
  if ((f & 1) && !ksmc_jscan_unquote(v[0], uid)) f &= ~1u;
  if ((f & 2) && !ksmc_jscan_unquote(v[1], rv)) f &= ~2u;
  return f;
}

/* "HTTP 403: <Status message>" or the curl error, for logs and last_error. */
static void describe_failure(stream *s, CURLcode res, char *out, size_t outlen) {
  ksmc_slice m, mq;
  if (s->http && s->http != 200) {
    bool has =
        ksmc_jscan_member(s->errbody.p, s->errbody.n, "message", &mq) && ksmc_jscan_unquote(mq, &m);
    snprintf(out, outlen, "HTTP %ld%s%.*s", s->http, has ? ": " : "", has ? (int)m.n : 0,
             has ? m.p : "");
  } else if (s->abort != AB_NONE) {
    snprintf(out, outlen, "%s", s->abort_msg);
  } else {
    const char *err = tag_of(s, s->easy)->err;
    snprintf(out, outlen, "%s", err[0] ? err : curl_easy_strerror(res));
  }
}

/* ---- scheduling ---- */

static void schedule(stream *s, next_step next, bool backoff) {
  int64_t now = now_ms();
  int64_t delay = backoff ? ksmc_backoff_next(&s->backoff, now, s->retry_after_ms) : 0;
  s->next = next;
  s->due_ms = now + delay;
  if (delay)
    logf_(s->ig, KSMC_LOG_INFO, "%s: backing off %.1f s before the next %s", s->spec.name,
          (double)delay / 1000, next == NEXT_WATCH ? "watch" : "list");
}

static void end_list(stream *s, bool complete) {
  if (!s->list_open) return;
  s->list_open = false;
  s->ig->o.sink.list_end(s->ig->o.sink.user, s->idx, complete);
}

/* ---- body callbacks ---- */

/* Records why the current request is abandoned (s->abort, and the message that
 * describe_failure reports); returns false, for body callbacks that stop the transfer. */
static bool abort_request(stream *s, abort_reason why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool abort_request(stream *s, abort_reason why, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->abort_msg, sizeof s->abort_msg, fmt, ap);
  va_end(ap);
  s->abort = why;
  return false;
}

static bool on_item(void *u, const char *json, size_t len) {
  stream *s = u;
  ksmc_ingest *ig = s->ig;
  s->list_items++;
  ksmc_slice uid;
  if (!meta_field(json, len, "uid", &uid)) {
    LOCKED(s, s->st.objects_skipped++);
    logf_(ig, KSMC_LOG_WARN, "%s: list item without metadata.uid skipped", s->spec.name);
  } else if (ksmc_shard_keep(uid.p, uid.n, ig->o.shard, ig->o.total_shards)) {
    s->list_kept++;
    ig->o.sink.object(ig->o.sink.user, s->idx, KSMC_EV_ADDED, true, json, len, uid);
  }
  if (s->list_items % ig->o.progress_every == 0)
    logf_(ig, KSMC_LOG_INFO, "%s: list in progress: %llu objects in %.1f s", s->spec.name,
          (unsigned long long)s->list_items, (double)(now_ms() - s->list_start_ms) / 1000);
  return true;
}

static bool on_list_error(void *u, int err, const char *msg) {
  stream *s = u;
  if (err == KSMC_E_TOO_BIG) {
    LOCKED(s, s->st.objects_skipped++);
    logf_(s->ig, KSMC_LOG_WARN, "%s: %s", s->spec.name, msg);
    return true;
  }
  return abort_request(s, AB_MALFORMED, "%s", msg);
}

static bool on_error_event(stream *s, ksmc_slice obj) {
  ksmc_slice code, mq, m = {"", 0};
  int64_t c = 0;
  if (ksmc_jscan_member(obj.p, obj.n, "code", &code)) ksmc_jscan_int(code, &c);
  if (ksmc_jscan_member(obj.p, obj.n, "message", &mq)) ksmc_jscan_unquote(mq, &m);
  LOCKED(s, s->st.events_error++);
  return abort_request(s, c == 410 ? AB_GONE : AB_ERROR_EVENT, "ERROR event %lld: %.*s",
                       (long long)c, (int)m.n, m.p);
}

static bool on_bookmark(stream *s, ksmc_slice obj) {
  ksmc_slice rv;
  if (meta_field(obj.p, obj.n, "resourceVersion", &rv) && rv.n) copy_slice(&s->rv, rv);
  LOCKED(s, s->st.events_bookmark++);
  return true;
}

static void count_event(stream *s, ksmc_event_type t) {
  LOCKED(s, t == KSMC_EV_ADDED      ? s->st.events_added++
            : t == KSMC_EV_MODIFIED ? s->st.events_modified++
                                    : s->st.events_deleted++);
}

static bool on_event(void *u, ksmc_slice type, ksmc_slice obj) {
  stream *s = u;
  ksmc_ingest *ig = s->ig;
  s->watch_events++;
  if (slice_is(type, "BOOKMARK")) return on_bookmark(s, obj);
  if (slice_is(type, "ERROR")) return on_error_event(s, obj);
  ksmc_event_type t;
  if (slice_is(type, "ADDED"))
    t = KSMC_EV_ADDED;
  else if (slice_is(type, "MODIFIED"))
    t = KSMC_EV_MODIFIED;
  else if (slice_is(type, "DELETED"))
    t = KSMC_EV_DELETED;
  else
    return abort_request(s, AB_MALFORMED, "unknown watch event type %.*s", (int)type.n, type.p);
  ksmc_slice uid, rv;
  unsigned f = meta_uid_rv(obj.p, obj.n, &uid, &rv);
  if (!(f & 1))
    return abort_request(s, AB_MALFORMED, "%.*s event without metadata.uid", (int)type.n, type.p);
  if ((f & 2) && rv.n) copy_slice(&s->rv, rv); /* never "": a watch from "" starts over */
  count_event(s, t);
  if (!ksmc_shard_keep(uid.p, uid.n, ig->o.shard, ig->o.total_shards)) return true;
  if (ksmc_framer_prerendered(&s->framer) && t != KSMC_EV_DELETED)
    ig->o.sink.object_prerendered(ig->o.sink.user, s->idx, t, obj.p, obj.n, uid);
  else
    ig->o.sink.object(ig->o.sink.user, s->idx, t, false, obj.p, obj.n, uid);
  return true;
}

/* The framer's prerender: ADDED and MODIFIED objects the sink will render (a DELETED
 * object is removed by its uid, not rendered), on a sharded stream only when the object
 * looks like this shard's (a guess from the line's bytes: on_event decides). */
static size_t on_prerender(void *u, ksmc_slice type, const char *obj, size_t avail,
                           const ksmc_skip_span **spans, size_t *nspans) {
  stream *s = u;
  ksmc_ingest *ig = s->ig;
  if (!slice_is(type, "MODIFIED") && !slice_is(type, "ADDED")) return 0;
  if (ig->o.total_shards > 1) {
    ksmc_slice uid, rv;
    if (!(meta_uid_rv(obj, avail, &uid, &rv) & 1) ||
        !ksmc_shard_keep(uid.p, uid.n, ig->o.shard, ig->o.total_shards))
      return 0;
  }
  return ig->o.sink.prerender(ig->o.sink.user, s->idx, obj, avail, spans, nspans);
}

static bool on_watch_error(void *u, int err, const char *msg) {
  stream *s = u;
  if (err == KSMC_E_TOO_BIG) LOCKED(s, s->st.objects_skipped++);
  return abort_request(s, AB_MALFORMED, "%s", msg);
}

static void maybe_prefetch(stream *s);

/* The framer's callbacks for s's watch (the same for every feed and the flush). */
static ksmc_framer_cb watch_cb(stream *s) {
  return (ksmc_framer_cb){s, on_event, on_watch_error,
                          ksmc_sink_prerenders(&s->ig->o.sink) ? on_prerender : NULL};
}

/* Body bytes of the current request, decoded. */
static bool body_plain(stream *s, const char *p, size_t n) {
  LOCKED(s, s->st.bytes += n);
  if (!s->got_status) {
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->http);
    s->got_status = true;
  }
  if (s->http != 200) {
    size_t room = ERRBODY_MAX - s->errbody.n;
    ksmc_buf_put(&s->errbody, p, n < room ? n : room);
    return true;
  }
  if (s->phase == PH_LIST) {
    s->list_bytes += n;
    ksmc_list_cb cb = {s, on_item, on_list_error};
    if (!ksmc_list_feed(&s->lp, p, n, &cb)) return false;
    maybe_prefetch(s);
    return true;
  }
  s->ig->watch_read = true;
  ksmc_framer_cb cb = watch_cb(s);
  return ksmc_framer_feed(&s->framer, p, n, &cb);
}

static bool on_decoded(void *u, const char *p, size_t n) { return body_plain(u, p, n); }

/* Body bytes of the current request as received: LIST bodies in gzip are decoded here
 * (ksmc_gunzip), everything else was decoded by libcurl. */
static bool body_current(stream *s, const char *p, size_t n) {
  handle_tag *t = tag_of(s, s->easy);
  if (!t->raw_body || t->enc == ENC_IDENTITY) return body_plain(s, p, n);
  if (t->enc == ENC_OTHER)
    return abort_request(s, AB_MALFORMED, "unsupported Content-Encoding (only gzip)");
  if (!s->gz_open) {
    if (ksmc_gunzip_begin(&s->gz) != KSMC_GUNZIP_OK)
      return abort_request(s, AB_MALFORMED, "gzip: out of memory");
    s->gz_open = true;
  }
  char err[160];
  int rc = ksmc_gunzip_feed(&s->gz, p, n, on_decoded, s, err, sizeof err);
  if (rc == KSMC_GUNZIP_BAD) abort_request(s, AB_MALFORMED, "%s", err);
  return rc == KSMC_GUNZIP_OK; /* STOPPED: body_plain said why */
}

/* A gzip LIST body that ended before its gzip trailer (the items may all be there, but
 * their bytes are unchecked). */
static bool gzip_short(stream *s) {
  handle_tag *t = tag_of(s, s->easy);
  return t->raw_body && t->enc == ENC_GZIP && !ksmc_gunzip_complete(&s->gz);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *u) {
  handle_tag *t = u;
  stream *s = t->s;
  size_t n = size * nmemb;
  if (t->easy == s->easy) {
    /* curl reads a whole page within one socket action: pause (these bytes come again
     * after the unpause) so that the loop can request the next page right now */
    if (s->want_prefetch && !s->held) {
      s->held = true;
      s->held_ms = now_ms();
      return CURL_WRITEFUNC_PAUSE;
    }
    return body_current(s, p, n) ? n : 0;
  }
  /* the prefetched page: kept until it becomes the current one */
  if (!s->pre.got_status) {
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &s->pre.http);
    s->pre.got_status = true;
  }
  if (s->pre.body.n >= PREFETCH_BUFFER_MAX) {
    if (!s->pre.paused)
      logf_(s->ig, KSMC_LOG_DEBUG, "%s: next page paused after %zu bytes", s->spec.name,
            s->pre.body.n);
    s->pre.paused = true;
    return CURL_WRITEFUNC_PAUSE; /* curl delivers these bytes again after the unpause */
  }
  ksmc_buf_put(&s->pre.body, p, n);
  return ksmc_buf_failed(&s->pre.body) ? 0 : n;
}

/* Retry-After in seconds or as an HTTP date; 0 if absent or unparsable. */
static int64_t parse_retry_after(const char *v, size_t n) {
  char tmp[128];
  while (n && (*v == ' ' || *v == '\t')) v++, n--;
  while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
  if (!n || n >= sizeof tmp) return 0;
  memcpy(tmp, v, n);
  tmp[n] = 0;
  char *end;
  long secs = strtol(tmp, &end, 10);
  if (*end) {
    time_t when = curl_getdate(tmp, NULL);
    secs = when > 0 ? (long)(when - time(NULL)) : 0;
  }
  if (secs <= 0) return 0;
  return secs * 1000 > MAX_RETRY_AFTER_MS ? MAX_RETRY_AFTER_MS : secs * 1000;
}

/* "gzip", "identity" or anything else, from a Content-Encoding header value. */
static body_encoding parse_encoding(const char *v, size_t n) {
  while (n && (*v == ' ' || *v == '\t')) v++, n--;
  while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  if (n == 4 && strncasecmp(v, "gzip", 4) == 0) return ENC_GZIP;
  if (n == 0 || (n == 8 && strncasecmp(v, "identity", 8) == 0)) return ENC_IDENTITY;
  return ENC_OTHER;
}

static size_t on_header(char *p, size_t size, size_t nitems, void *u) {
  handle_tag *t = u;
  stream *s = t->s;
  size_t n = size * nitems;
  if (n > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
    *(t->easy == s->easy ? &s->retry_after_ms : &s->pre.retry_after_ms) =
        parse_retry_after(p + 12, n - 12);
  else if (t->raw_body && n > 17 && strncasecmp(p, "Content-Encoding:", 17) == 0)
    t->enc = parse_encoding(p + 17, n - 17);
  return n;
}

/* ---- starting requests ---- */

static void url_selectors(stream *s) {
  if (s->spec.field_selector) ksmc_url_param(&s->url, "fieldSelector", s->spec.field_selector);
  if (s->spec.label_selector) ksmc_url_param(&s->url, "labelSelector", s->spec.label_selector);
}

/* curl calls this once a request has its connection, right before sending it: for the
 * prefetched page, the current page may then go on (hold_done). */
static int on_prereq(void *u, char *ip, char *local_ip, int port, int local_port) {
  (void)ip, (void)local_ip, (void)port, (void)local_port;
  handle_tag *t = u;
  if (t->easy == t->s->pre.easy) t->s->pre.sent = true;
  return CURL_PREREQFUNC_OK;
}

/* Sets up easy for s->url and adds it to the multi handle; `watch` requests read the
 * socket in buffers sized by the stream's last LIST (ksmc_watch_recv_bytes: a batch of
 * back-to-back events, see watch_batch_us, is read in one recv), LIST bodies come
 * undecoded (body_current decodes gzip). */
static CURLcode setup_easy(stream *s, CURL *easy, ksmc_request_lists *lists, long timeout_s,
                           int64_t start_ms, bool watch) {
  ksmc_ingest *ig = s->ig;
  handle_tag *t = tag_of(s, easy);
  curl_easy_reset(easy);
  ksmc_request_lists_free(lists);
  ksmc_request_limits lim = {ig->o.idle_timeout_s, timeout_s};
  t->err[0] = 0;
  t->raw_body = !watch && !ig->o.config->disable_compression;
  t->enc = ENC_IDENTITY;
  CURLcode rc =
      ksmc_buf_failed(&s->url)
          ? CURLE_OUT_OF_MEMORY
          : ksmc_request_setup(easy, ig->o.config, ksmc_buf_cstr(&s->url), start_ms, &lim, lists);
  if (!rc && t->raw_body) rc = ksmc_request_raw_gzip(easy, ig->o.config);
  if (!rc) rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  if (!rc) rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
  if (!rc) rc = curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  if (!rc) rc = curl_easy_setopt(easy, CURLOPT_HEADERDATA, t);
  if (!rc) rc = curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
  if (!rc) rc = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->err);
  if (!rc && watch)
    rc = curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, ksmc_watch_recv_bytes(s->listed_bytes));
  if (!rc && !watch) rc = curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, on_prereq);
  if (!rc && !watch) rc = curl_easy_setopt(easy, CURLOPT_PREREQDATA, t);
  if (!rc && curl_multi_add_handle(ig->multi, easy) != CURLM_OK) rc = CURLE_FAILED_INIT;
  return rc;
}

static bool start_request(stream *s, phase ph, long timeout_s) {
  ksmc_ingest *ig = s->ig;
  s->http = 0;
  s->got_status = false;
  s->retry_after_ms = 0;
  s->abort = AB_NONE;
  ksmc_buf_reset(&s->errbody);
  s->gz_open = false;
  s->req_start_ms = now_ms();
  CURLcode rc = setup_easy(s, s->easy, &s->lists, timeout_s, s->req_start_ms, ph == PH_WATCH);
  if (rc) {
    set_last_error(s, "cannot start request: %s", curl_easy_strerror(rc));
    logf_(ig, KSMC_LOG_ERROR, "%s: cannot start request: %s", s->spec.name, curl_easy_strerror(rc));
    return false;
  }
  s->phase = ph;
  return true;
}

static void begin_list(stream *s) {
  s->list_open = true;
  s->list_items = s->list_kept = 0;
  s->list_bytes = 0;
  s->list_start_ms = now_ms();
  ksmc_buf_reset(&s->cont);
  s->ig->o.sink.list_begin(s->ig->o.sink.user, s->idx);
  bool relist = s->ever_listed;
  LOCKED(s, (s->st.lists++, s->st.relists += relist));
  const char *mode = s->rv_mode == RV_ANY         ? "0 (any)"
                     : s->rv_mode == RV_NOT_OLDER ? s->rv.p
                                                  : "\"\" (latest)";
  logf_(s->ig, KSMC_LOG_INFO, "%s: %s started (resourceVersion %s, %s)", s->spec.name,
        relist ? "relist" : "list", mode ? mode : "", s->paginate ? "paginated" : "one page");
}

/* s->url for a page: `cont` (NUL-terminated, may be empty) continues a paginated list. */
static void page_url(stream *s, const ksmc_buf *cont) {
  char limit[32];
  ksmc_buf_reset(&s->url);
  ksmc_buf_put(&s->url, s->spec.path, strlen(s->spec.path));
  if (s->paginate) {
    snprintf(limit, sizeof limit, "%zu", s->ig->o.page_size);
    ksmc_url_param(&s->url, "limit", limit);
  }
  if (cont->n) {
    ksmc_url_param(&s->url, "continue", cont->p);
  } else if (s->rv_mode == RV_ANY) {
    ksmc_url_param(&s->url, "resourceVersion", "0");
  } else if (s->rv_mode == RV_NOT_OLDER && s->rv.n) {
    ksmc_url_param(&s->url, "resourceVersion", ksmc_buf_cstr(&s->rv));
  }
  url_selectors(s);
}

static void request_page(stream *s) {
  ksmc_buf_cstr(&s->cont);
  page_url(s, &s->cont);
  ksmc_list_reset(&s->lp);
  s->prefetched = s->want_prefetch = s->held = false;
  if (!start_request(s, PH_LIST, 0)) {
    end_list(s, false);
    LOCKED(s, s->st.list_errors++);
    schedule(s, NEXT_LIST, true);
  }
}

/* Drops the prefetched page (the list failed or the ingest stops). */
static void cancel_prefetch(stream *s) {
  prefetch *pf = &s->pre;
  if (!pf->active) return;
  if (!pf->done) curl_multi_remove_handle(s->ig->multi, pf->easy);
  if (pf->paused) { /* do not reuse a handle left paused: take a fresh one */
    CURL *fresh = curl_easy_init();
    if (fresh) {
      tag_of(s, pf->easy)->easy = fresh;
      curl_easy_cleanup(pf->easy);
      pf->easy = fresh;
    }
  }
  pf->active = pf->paused = false;
  ksmc_buf_reset(&pf->body);
}

/* The page buffers and the decoder are only needed while a list runs. */
static void free_prefetch_buffers(stream *s) {
  ksmc_buf_free(&s->pre.body);
  ksmc_buf_free(&s->pre.spare);
  ksmc_gunzip_free(&s->gz);
  s->gz_open = false;
}

/* Notes that the next page can be requested (the body callback cannot add handles). */
static void maybe_prefetch(stream *s) {
  if (!s->prefetched && !s->pre.active && s->lp.cont.n) s->want_prefetch = true;
}

/* Requests the next page as soon as the current one's continue token is known. A failure
 * to start it is not an error: the page is then requested after the current one. */
static void start_prefetch(stream *s) {
  s->want_prefetch = false;
  if (s->prefetched || s->pre.active || s->phase != PH_LIST || !s->lp.cont.n ||
      atomic_load(&s->ig->stop))
    return;
  s->prefetched = true;
  page_url(s, &s->lp.cont);
  prefetch *pf = &s->pre;
  pf->http = 0;
  pf->got_status = false;
  pf->retry_after_ms = 0;
  pf->done = pf->paused = pf->sent = false;
  pf->req_start_ms = now_ms();
  ksmc_buf_reset(&pf->body);
  if (setup_easy(s, pf->easy, &pf->lists, 0, pf->req_start_ms, false) == CURLE_OK) {
    pf->active = true;
    logf_(s->ig, KSMC_LOG_DEBUG, "%s: next page requested after %zu items of this one",
          s->spec.name, s->lp.items);
  }
}

static void list_done(stream *s, CURLcode res);

/* The prefetched page becomes the current request: its handle and request state are
 * swapped in, the bytes received so far are parsed, and if it already finished it is
 * completed at once. */
static void promote_prefetch(stream *s) {
  prefetch *pf = &s->pre;
  CURL *e = s->easy;
  s->easy = pf->easy;
  pf->easy = e;
  ksmc_request_lists l = s->lists;
  s->lists = pf->lists;
  pf->lists = l;
  s->http = pf->http;
  s->got_status = pf->got_status;
  s->retry_after_ms = pf->retry_after_ms;
  s->req_start_ms = pf->req_start_ms;
  s->abort = AB_NONE;
  ksmc_buf_reset(&s->errbody);
  s->gz_open = false;
  ksmc_list_reset(&s->lp);
  s->prefetched = s->want_prefetch = s->held = false;
  s->phase = PH_LIST;
  pf->active = false;
  bool done = pf->done, paused = pf->paused;
  pf->paused = false;
  CURLcode res = pf->res;
  /* replay from a buffer a new prefetch (started by this very replay) cannot touch */
  ksmc_buf body = pf->body;
  pf->body = pf->spare;
  bool ok = body.n == 0 || body_current(s, body.p, body.n);
  ksmc_buf_reset(&body);
  pf->spare = body;
  if (ok && paused && !done) { /* may deliver the held bytes right here, in order */
    CURLcode rc = curl_easy_pause(s->easy, CURLPAUSE_CONT);
    if (rc != CURLE_OK) ok = false, res = rc;
  }
  if (!ok && !done) curl_multi_remove_handle(s->ig->multi, s->easy);
  if (!ok || done) {
    s->phase = PH_IDLE;
    list_done(s, ok || res != CURLE_OK ? res : CURLE_WRITE_ERROR);
  }
}

static void request_watch(stream *s) {
  ksmc_ingest *ig = s->ig;
  long min = ig->o.min_watch_timeout_s;
  long t = (long)ksmc_backoff_rand(&s->backoff, min, 2 * min);
  char ts[32];
  snprintf(ts, sizeof ts, "%ld", t);
  ksmc_buf_reset(&s->url);
  ksmc_buf_put(&s->url, s->spec.path, strlen(s->spec.path));
  ksmc_url_param(&s->url, "watch", "true");
  ksmc_url_param(&s->url, "allowWatchBookmarks", "true");
  ksmc_url_param(&s->url, "resourceVersion", ksmc_buf_cstr(&s->rv));
  ksmc_url_param(&s->url, "timeoutSeconds", ts);
  url_selectors(s);
  ksmc_framer_reset(&s->framer);
  s->watch_events = 0;
  LOCKED(s, s->st.watches++);
  logf_(ig, KSMC_LOG_DEBUG, "%s: watch from resourceVersion %s (timeout %ld s)", s->spec.name,
        ksmc_buf_cstr(&s->rv), t);
  if (!start_request(s, PH_WATCH, t + 30)) {
    LOCKED(s, s->st.watch_errors++);
    schedule(s, NEXT_WATCH, true);
  }
}

static void start_next(stream *s) {
  if (s->next == NEXT_WATCH) {
    request_watch(s);
    return;
  }
  if (s->next == NEXT_LIST) begin_list(s);
  request_page(s);
}

/* ---- finished requests ---- */

/* ksmc_ingest_opts.nice_after_sync, once: this thread's nice value + n (at most 19). */
static void lower_priority(ksmc_ingest *ig) {
  ig->niced = true;
  if (ig->o.nice_after_sync <= 0) return;
#ifdef __linux__
  id_t tid = (id_t)syscall(SYS_gettid); /* Linux: the nice value is per thread */
  errno = 0;
  int cur = getpriority(PRIO_PROCESS, tid);
  if (cur == -1 && errno) return;
  int want = cur + ig->o.nice_after_sync > 19 ? 19 : cur + ig->o.nice_after_sync;
  if (setpriority(PRIO_PROCESS, tid, want) == 0)
    logf_(ig, KSMC_LOG_DEBUG, "ingest thread now at nice %d (scrapes first)", want);
  else
    logf_(ig, KSMC_LOG_WARN, "cannot lower the ingest thread's priority: %s", strerror(errno));
#endif
}

static void maybe_log_all_synced(ksmc_ingest *ig) {
  if (ig->all_synced_logged || !ksmc_ingest_all_synced(ig)) return;
  ig->all_synced_logged = true;
  logf_(ig, KSMC_LOG_INFO, "all %zu streams synced in %.2f s", ig->n,
        (double)(now_ms() - ig->start_ms) / 1000);
  if (!ig->niced) lower_priority(ig);
}

static void list_finished(stream *s) {
  ksmc_ingest *ig = s->ig;
  int64_t took = now_ms() - s->list_start_ms;
  copy_slice(&s->rv, (ksmc_slice){s->lp.rv.p ? s->lp.rv.p : "", s->lp.rv.n});
  free_prefetch_buffers(s);
  end_list(s, true);
  s->ever_listed = true;
  s->listed_bytes = s->list_bytes;
  if (s->absent)
    logf_(ig, KSMC_LOG_INFO, "%s: now served by the API server (its CRD was installed)",
          s->spec.name);
  s->absent = false;
  LOCKED(s, (s->st.synced = !ig->reshard_pending, s->st.absent = false,
             s->st.objects_listed = s->list_items, s->st.last_list_ms = took));
  logf_(ig, KSMC_LOG_INFO,
        "%s: list done: %llu objects (%llu on this shard) in %.2f s at resourceVersion %s",
        s->spec.name, (unsigned long long)s->list_items, (unsigned long long)s->list_kept,
        (double)took / 1000, ksmc_buf_cstr(&s->rv));
  /* relists: from the watch cache at our RV (client-go) or a consistent paginated read */
  s->rv_mode = ig->o.use_apiserver_cache ? RV_NOT_OLDER : RV_CONSISTENT;
  s->paginate = !ig->o.use_apiserver_cache;
  schedule(s, NEXT_WATCH, false);
  maybe_log_all_synced(ig);
}

/* The first page of a LIST of an optional stream answered 404: the API server does not
 * serve the resource (a CRD that is not installed, or was deleted). Like KSM's discovery
 * of custom resources, that is a state, not an error: the stream serves no objects,
 * counts as synced, and looks again every absent_recheck_ms without backoff or retries
 * in between. One warning when it becomes absent, debug lines after that. */
static void resource_absent(stream *s, const char *why) {
  ksmc_ingest *ig = s->ig;
  end_list(s, true); /* nothing was received: a deleted CRD's objects disappear */
  bool first = !s->absent;
  s->absent = true;
  s->rv_mode = RV_CONSISTENT;
  s->paginate = true;
  ksmc_buf_reset(&s->rv);
  LOCKED(s, (s->st.synced = !ig->reshard_pending, s->st.absent = true, s->st.objects_listed = 0));
  set_last_error(s, "list: %s", why);
  double every = (double)ig->o.absent_recheck_ms / 1000;
  if (first)
    logf_(ig, KSMC_LOG_WARN,
          "%s: not served by the API server (%s): is its CRD installed? Exporting no objects "
          "and checking again every %g s",
          s->spec.name, why, every);
  else
    logf_(ig, KSMC_LOG_DEBUG, "%s: still not served; checking again in %g s", s->spec.name, every);
  s->next = NEXT_LIST;
  s->due_ms = now_ms() + ig->o.absent_recheck_ms;
  maybe_log_all_synced(ig);
}

static void list_failed(stream *s, CURLcode res) {
  cancel_prefetch(s);
  free_prefetch_buffers(s);
  char why[300];
  describe_failure(s, res, why, sizeof why);
  if (s->http == 404 && s->spec.optional && s->cont.n == 0) {
    resource_absent(s, why);
    return;
  }
  end_list(s, false);
  LOCKED(s, s->st.list_errors++);
  set_last_error(s, "list: %s", why);
  if (s->http == 401) ksmc_kube_config_token_invalidate(s->ig->o.config);
  if (s->http == 410) {
    /* an expired continue token (or a too old RV): start over with a consistent list; if a
     * page after the first expired, client-go's pager falls back to one unpaginated list */
    bool continued = s->cont.n > 0;
    bool at_once = continued || s->rv_mode != RV_CONSISTENT; /* else a 410 loop: back off */
    logf_(s->ig, KSMC_LOG_WARN, "%s: list %s (%s); relisting", s->spec.name,
          continued ? "continue token expired" : "resourceVersion expired", why);
    s->rv_mode = RV_CONSISTENT;
    s->paginate = !continued;
    schedule(s, NEXT_LIST, !at_once);
    return;
  }
  logf_(s->ig, KSMC_LOG_WARN, "%s: list failed: %s", s->spec.name, why);
  if (s->rv_mode == RV_NOT_OLDER) { /* e.g. 504 ResourceVersionTooLarge: like client-go, */
    s->rv_mode = RV_CONSISTENT;     /* fall back to a consistent read */
    s->paginate = true;
  }
  schedule(s, NEXT_LIST, true);
}

/* A complete 200 body that is not a page of a list: no "items" member, or no
 * metadata.resourceVersion (a discovery document answered for a mangled path, a proxy's
 * own JSON). Taken as an empty list it would empty the store, then watch from no
 * resourceVersion: the API server sends every object again as ADDED, each with its own
 * (older) resourceVersion, and a watch that ends before the last one resumes from the last
 * one received: the objects not yet sent and older than it never come back, and nothing
 * says so (fault_soak's CI failure). Sets the abort reason. */
static bool not_a_list(stream *s) {
  const ksmc_list_parser *l = &s->lp;
  if (l->has_items && l->rv.n) return false;
  abort_request(s, AB_MALFORMED, "the answer is not a list (%s%s): it has no %s",
                l->kind[0] ? "kind " : "no kind", l->kind,
                !l->has_items ? "\"items\"" : "metadata.resourceVersion");
  return true;
}

static void list_done(stream *s, CURLcode res) {
  bool cut_gzip = res == CURLE_OK && s->http == 200 && gzip_short(s);
  if (res == CURLE_OK && s->http == 200 && ksmc_list_complete(&s->lp) && !cut_gzip &&
      !not_a_list(s)) {
    logf_(s->ig, KSMC_LOG_DEBUG, "%s: page of %zu items in %lld ms", s->spec.name, s->lp.items,
          (long long)(now_ms() - s->req_start_ms));
    if (s->lp.cont.n) {
      copy_slice(&s->cont, (ksmc_slice){s->lp.cont.p, s->lp.cont.n});
      if (s->pre.active)
        promote_prefetch(s);
      else
        schedule(s, NEXT_PAGE, false);
    } else {
      list_finished(s);
    }
    return;
  }
  if (res == CURLE_OK && s->http == 200 && s->abort == AB_NONE)
    abort_request(s, AB_MALFORMED, "%s",
                  cut_gzip ? "gzip: body ended before the gzip trailer" : "truncated list body");
  list_failed(s, res);
}

static void watch_failed(stream *s, CURLcode res, next_step next, bool backoff) {
  char why[300];
  describe_failure(s, res, why, sizeof why);
  LOCKED(s, s->st.watch_errors++);
  set_last_error(s, "watch: %s", why);
  logf_(s->ig, next == NEXT_LIST ? KSMC_LOG_WARN : KSMC_LOG_INFO, "%s: watch ended: %s; %s",
        s->spec.name, why, next == NEXT_LIST ? "relisting" : "re-watching");
  schedule(s, next, backoff);
}

static void watch_done(stream *s, CURLcode res) {
  ksmc_ingest *ig = s->ig;
  if (s->http == 200 && s->abort == AB_NONE) { /* the bytes the framer still holds */
    ksmc_framer_cb cb = watch_cb(s);
    ksmc_framer_flush(&s->framer, &cb);
  }
  bool very_short = now_ms() - s->req_start_ms < VERY_SHORT_WATCH_MS && s->watch_events == 0;
  if (s->abort == AB_GONE) {
    logf_(ig, KSMC_LOG_INFO, "%s: watch expired (%s); relisting", s->spec.name, s->abort_msg);
    schedule(s, NEXT_LIST, true);
  } else if (s->abort != AB_NONE) {
    watch_failed(s, res, NEXT_LIST, true);
  } else if (s->http == 200) {
    if (res == CURLE_OK && ksmc_framer_partial(&s->framer)) {
      /* our RV is the last complete event's: nothing is lost */
      abort_request(s, AB_MALFORMED, "watch stream ended inside an event");
      watch_failed(s, res, NEXT_WATCH, very_short);
    } else if (res == CURLE_OK && !very_short) {
      logf_(ig, KSMC_LOG_DEBUG, "%s: watch ended after %llu events; re-watching", s->spec.name,
            (unsigned long long)s->watch_events);
      schedule(s, NEXT_WATCH, false);
    } else if (res == CURLE_OK) {
      abort_request(s, AB_MALFORMED, "very short watch (no event in < 1 s)");
      watch_failed(s, res, NEXT_LIST, true);
    } else {
      watch_failed(s, res, NEXT_WATCH, very_short); /* a broken stream, like client-go's EOF */
    }
  } else if (s->http == 0 || s->http == 429) {
    watch_failed(s, res, NEXT_WATCH, true); /* API server unreachable or busy: keep our RV */
  } else {
    if (s->http == 401) ksmc_kube_config_token_invalidate(ig->o.config);
    watch_failed(s, res, NEXT_LIST, true);
  }
}

static void on_done(ksmc_ingest *ig, CURL *easy, CURLcode res) {
  handle_tag *t = NULL;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
  curl_multi_remove_handle(ig->multi, easy);
  if (!t) return;
  stream *s = t->s;
  if (easy != s->easy) { /* the prefetched page: completed when it becomes current */
    if (!s->pre.got_status) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &s->pre.http);
    s->pre.got_status = true;
    s->pre.done = true;
    s->pre.res = res;
    return;
  }
  if (!s->got_status) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &s->http);
  phase ph = s->phase;
  s->phase = PH_IDLE;
  if (ph == PH_LIST)
    list_done(s, res);
  else
    watch_done(s, res);
}

/* ---- the loop ---- */

/* CURLMOPT_SOCKETFUNCTION: keeps ig->fds[1..] in step with the sockets curl waits on. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *u, void *socketp) {
  (void)easy;
  (void)socketp;
  ksmc_ingest *ig = u;
  size_t i = 1;
  while (i < ig->nfds && ig->fds[i].fd != fd) i++;
  if (what == CURL_POLL_REMOVE) {
    if (i < ig->nfds) ig->fds[i] = ig->fds[--ig->nfds];
    return 0;
  }
  if (i == ig->nfds) {
    if (ig->nfds == ig->fds_cap) {
      size_t cap = 2 * ig->fds_cap;
      struct pollfd *f = realloc(ig->fds, cap * sizeof *f);
      if (!f) return -1; /* curl fails the transfers on this socket */
      ig->fds = f;
      ig->fds_cap = cap;
    }
    ig->nfds++;
  }
  ig->fds[i] = (struct pollfd){
      fd, (short)((what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0)), 0};
  return 0;
}

/* Runs curl on the sockets the last poll found ready, then on its expired timers (new
 * handles, unpaused transfers, timeouts). curl_multi_perform would instead serve every
 * transfer and, for each, poll its socket with a zero timeout before reading it: one
 * syscall per stream per loop turn (~28 with KSM's default resources, most of them
 * quiet) on top of the recv. */
static CURLMcode run_ready(ksmc_ingest *ig) {
  int running;
  CURLMcode mc = CURLM_OK;
  /* on_socket may reorder ig->fds while curl runs: act on a copy of the ready ones */
  struct pollfd ready[16];
  size_t i = 1;
  while (i < ig->nfds && mc == CURLM_OK) {
    size_t n = 0;
    for (; i < ig->nfds && n < sizeof ready / sizeof ready[0]; i++)
      if (ig->fds[i].revents) {
        ready[n++] = ig->fds[i];
        ig->fds[i].revents = 0;
      }
    for (size_t k = 0; k < n && mc == CURLM_OK; k++) {
      short r = ready[k].revents;
      int ev = (r & (POLLIN | POLLPRI) ? CURL_CSELECT_IN : 0) |
               (r & POLLOUT ? CURL_CSELECT_OUT : 0) |
               (r & (POLLERR | POLLHUP | POLLNVAL) ? CURL_CSELECT_ERR : 0);
      mc = curl_multi_socket_action(ig->multi, ready[k].fd, ev, &running);
    }
  }
  long tmo = -1;
  if (mc == CURLM_OK) mc = curl_multi_timeout(ig->multi, &tmo);
  if (mc == CURLM_OK && tmo == 0)
    mc = curl_multi_socket_action(ig->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  return mc;
}

/* Waits up to wait_ms (less when a curl timer is due earlier) for a ready curl socket or
 * a wake-up. Returns false on a poll error other than EINTR. */
static bool poll_ready(ksmc_ingest *ig, int wait_ms) {
  long tmo = -1;
  if (curl_multi_timeout(ig->multi, &tmo) == CURLM_OK && tmo >= 0 && tmo < wait_ms)
    wait_ms = (int)tmo;
  for (size_t i = 0; i < ig->nfds; i++) ig->fds[i].revents = 0;
  int n = poll(ig->fds, (nfds_t)ig->nfds, wait_ms);
  if (n < 0) return errno == EINTR;
  if (ig->fds[0].revents) {
    char buf[64];
    while (read(ig->wake[0], buf, sizeof buf) > 0) continue;
    ig->fds[0].revents = 0;
  }
  return true;
}

/* Ends a poll_ready in progress (or the next one). Any thread. */
static void wake_up(ksmc_ingest *ig) {
  char c = 1;
  ssize_t w = write(ig->wake[1], &c, 1); /* a full pipe is awake already */
  (void)w;
}

static void drain(ksmc_ingest *ig) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(ig->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL *easy = m->easy_handle;
    CURLcode res = m->data.result;
    on_done(ig, easy, res);
  }
}

/* Resumes the current transfer paused for start_prefetch; curl may deliver the held
 * bytes right here. */
static void resume_held(stream *s) {
  s->held = false;
  if (s->phase != PH_LIST) return;
  CURLcode rc = curl_easy_pause(s->easy, CURLPAUSE_CONT);
  if (rc == CURLE_OK) return;
  curl_multi_remove_handle(s->ig->multi, s->easy);
  s->phase = PH_IDLE;
  list_done(s, rc);
}

/* Whether the current page, paused for start_prefetch, may go on: once the next page's
 * request has a connection (or failed, or after PREFETCH_HOLD_MAX_MS). Resuming earlier
 * defeats the prefetch over HTTP/1.1: curl serves the ready handles in order and
 * reads the whole current page before it gets to the new handle, which then finds the
 * current page's connection free again and sends its request there, after the page, so
 * the server's work on the next page never overlapped ksmc's on this one (seen with
 * strace: two connections in all, page N+1 sent on page N's socket after its last byte). */
static bool hold_done(const stream *s, int64_t now, int64_t *wait) {
  const prefetch *pf = &s->pre;
  if (!pf->active || pf->sent || pf->done || now - s->held_ms >= PREFETCH_HOLD_MAX_MS) return true;
  if (PREFETCH_HOLD_MAX_MS - (now - s->held_ms) < *wait)
    *wait = PREFETCH_HOLD_MAX_MS - (now - s->held_ms);
  return false;
}

/* Starts due streams; returns the ms until the next one is due (capped at 1 s). */
static int start_due(ksmc_ingest *ig) {
  int64_t now = now_ms(), wait = 1000;
  for (size_t i = 0; i < ig->n && !atomic_load(&ig->stop); i++) {
    stream *s = &ig->s[i];
    if (s->want_prefetch) start_prefetch(s);
    if (s->held && hold_done(s, now, &wait)) resume_held(s);
    if (s->phase != PH_IDLE) continue;
    if (s->due_ms <= now)
      start_next(s);
    else if (s->due_ms - now < wait)
      wait = s->due_ms - now;
  }
  return (int)wait;
}

/* Writes to a connection the server closed raise SIGPIPE, and curl (CURLOPT_NOSIGNAL, as a
 * threaded program needs) does not mask it: block it on this thread so they fail with
 * EPIPE instead, and drop any pending one before restoring the caller's mask. */
static void block_sigpipe(sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, old);
}

static void restore_sigpipe(const sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  struct timespec zero = {0, 0};
  while (sigtimedwait(&set, NULL, &zero) == SIGPIPE) continue;
  pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Watch batching (ksmc_ingest_opts.watch_batch_us) only while every stream is idle or
 * watching: lists, prefetches and held pages run at full speed. */
static bool batch_watch_ok(const ksmc_ingest *ig) {
  if (ig->o.watch_batch_us <= 0) return false;
  for (size_t i = 0; i < ig->n; i++) {
    const stream *s = &ig->s[i];
    if (s->phase == PH_LIST || s->held || s->want_prefetch || s->pre.active) return false;
  }
  return true;
}

/* Lets back-to-back watch events accumulate in the socket buffer for `us` microseconds
 * (ksmc_ingest_stop is noticed after it). */
static void batch_pause(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) continue;
}

/* Takes a pending ksmc_ingest_set_shard: aborts every request and schedules a fresh
 * list of every stream with the new shard. */
static void apply_reshard(ksmc_ingest *ig) {
  pthread_mutex_lock(&ig->mu);
  bool pending = ig->reshard_pending;
  int32_t shard = ig->new_shard, total = ig->new_total;
  ig->reshard_pending = false;
  for (size_t i = 0; pending && i < ig->n; i++) ig->s[i].st.synced = false;
  pthread_mutex_unlock(&ig->mu);
  if (!pending) return;
  bool first = ig->awaiting_shard;
  ig->awaiting_shard = false;
  ig->o.shard = shard;
  ig->o.total_shards = total;
  int64_t now = now_ms();
  for (size_t i = 0; i < ig->n; i++) {
    stream *s = &ig->s[i];
    if (s->phase != PH_IDLE) curl_multi_remove_handle(ig->multi, s->easy);
    s->phase = PH_IDLE;
    end_list(s, false);
    s->next = NEXT_LIST;
    s->rv_mode = ig->o.use_apiserver_cache ? RV_ANY : RV_CONSISTENT;
    s->paginate = true;
    ksmc_buf_reset(&s->cont);
    s->due_ms = now;
  }
  ig->all_synced_logged = false;
  ig->start_ms = now;
  logf_(ig, KSMC_LOG_INFO, "%s: shard %d of %d; listing every stream",
        first ? "sharding" : "re-sharding", shard, total);
}

void ksmc_ingest_set_shard(ksmc_ingest *ig, int32_t shard, int32_t total) {
  pthread_mutex_lock(&ig->mu);
  ig->reshard_pending = true;
  ig->new_shard = shard;
  ig->new_total = total;
  for (size_t i = 0; i < ig->n; i++) ig->s[i].st.synced = false;
  pthread_mutex_unlock(&ig->mu);
  wake_up(ig);
}

int ksmc_ingest_run(ksmc_ingest *ig) {
  sigset_t old;
  block_sigpipe(&old);
  ig->start_ms = now_ms();
  if (ig->awaiting_shard)
    logf_(ig, KSMC_LOG_INFO, "connecting to %s (%s) with %zu streams once the shard is known",
          ig->o.config->server, ig->o.config->source, ig->n);
  else
    logf_(ig, KSMC_LOG_INFO, "connecting to %s (%s) with %zu streams, shard %d of %d",
          ig->o.config->server, ig->o.config->source, ig->n, ig->o.shard, ig->o.total_shards);
  int rc = 0;
  bool busy = false; /* the last poll woke for watch bytes that were (nearly) there already */
  int64_t polled_us = 0;
  long pause_us = ig->o.watch_batch_us; /* doubles while busy, up to watch_batch_max_us */
  while (!atomic_load(&ig->stop)) {
    /* finished transfers schedule their successors, which start right away: curl's own
     * timer for a new handle is 0, so the poll returns at once */
    apply_reshard(ig);
    ig->watch_read = false;
    CURLMcode mc = run_ready(ig);
    drain(ig);
    int wait = ig->awaiting_shard ? 1000 : start_due(ig);
    if (mc == CURLM_OK && ig->watch_read && busy && batch_watch_ok(ig)) {
      batch_pause(pause_us);
      pause_us = pause_us > ig->o.watch_batch_max_us / 2 ? ig->o.watch_batch_max_us : 2 * pause_us;
    } else if (!busy) {
      pause_us = ig->o.watch_batch_us;
    }
    if (mc == CURLM_OK) {
      int64_t t0 = now_us();
      if (!poll_ready(ig, wait)) {
        logf_(ig, KSMC_LOG_ERROR, "poll failed: %s", strerror(errno));
        rc = -1;
        break;
      }
      polled_us = now_us() - t0;
    }
    /* the next turn reads watch bytes that arrived within a batch period of this one */
    busy = polled_us < ig->o.watch_batch_us;
    if (mc != CURLM_OK) {
      logf_(ig, KSMC_LOG_ERROR, "curl multi failed: %s", curl_multi_strerror(mc));
      rc = -1;
      break;
    }
  }
  for (size_t i = 0; i < ig->n; i++) {
    stream *s = &ig->s[i];
    if (s->phase != PH_IDLE) curl_multi_remove_handle(ig->multi, s->easy);
    s->phase = PH_IDLE;
    cancel_prefetch(s);
    end_list(s, false);
  }
  restore_sigpipe(&old);
  return rc;
}

void ksmc_ingest_stop(ksmc_ingest *ig) {
  atomic_store(&ig->stop, true);
  wake_up(ig);
}

/* ---- construction ---- */

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

static bool stream_init(ksmc_ingest *ig, size_t i, const ksmc_stream_spec *spec) {
  stream *s = &ig->s[i];
  s->ig = ig;
  s->idx = i;
  s->spec.name = strdup(spec->name ? spec->name : spec->path);
  s->spec.path = strdup(spec->path);
  s->spec.field_selector = dup_or_null(spec->field_selector);
  s->spec.label_selector = dup_or_null(spec->label_selector);
  s->spec.optional = spec->optional;
  s->easy = curl_easy_init();
  s->pre.easy = curl_easy_init();
  s->tags[0] = (handle_tag){.s = s, .easy = s->easy};
  s->tags[1] = (handle_tag){.s = s, .easy = s->pre.easy};
  ksmc_framer_init(&s->framer, ig->o.max_object_bytes);
  ksmc_list_init(&s->lp, ig->o.max_object_bytes);
  ksmc_gunzip_init(&s->gz);
  ksmc_backoff_init(&s->backoff, ig->o.seed + i * 0x9e3779b97f4a7c15ULL);
  if (ig->o.backoff_init_ms) s->backoff.init_ms = s->backoff.step_ms = ig->o.backoff_init_ms;
  if (ig->o.backoff_max_ms) s->backoff.max_ms = ig->o.backoff_max_ms;
  s->next = NEXT_LIST;
  s->rv_mode = ig->o.use_apiserver_cache ? RV_ANY : RV_CONSISTENT;
  s->paginate = true;
  return s->spec.name && s->spec.path && s->easy && s->pre.easy;
}

static void fill_defaults(ksmc_ingest_opts *o) {
  if (!o->page_size) o->page_size = 500;
  if (!o->idle_timeout_s) o->idle_timeout_s = 150;
  if (!o->min_watch_timeout_s) o->min_watch_timeout_s = 300;
  if (!o->progress_every) o->progress_every = 10000;
  if (!o->absent_recheck_ms) o->absent_recheck_ms = 30000;
  if (!o->watch_batch_us) o->watch_batch_us = 2000;
  if (o->watch_batch_max_us < o->watch_batch_us) o->watch_batch_max_us = 4 * o->watch_batch_us;
  if (o->total_shards < 1) o->total_shards = 1;
  if (!o->seed) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    o->seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
  }
}

ksmc_ingest *ksmc_ingest_new(const ksmc_ingest_opts *o, char *err, size_t errlen) {
  if (!o->config || !o->sink.list_begin || !o->sink.object || !o->sink.list_end) {
    snprintf(err, errlen, "ingest: config and every sink callback are required");
    return NULL;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    snprintf(err, errlen, "ingest: curl_global_init failed");
    return NULL;
  }
  ksmc_ingest *ig = calloc(1, sizeof *ig);
  if (!ig) goto oom;
  ig->o = *o;
  ig->wake[0] = ig->wake[1] = -1;
  fill_defaults(&ig->o);
  ig->o.streams = NULL;
  ig->awaiting_shard = o->await_shard;
  pthread_mutex_init(&ig->mu, NULL);
  atomic_init(&ig->stop, false);
  ig->multi = curl_multi_init();
  ig->s = calloc(o->nstreams ? o->nstreams : 1, sizeof *ig->s);
  if (!ig->multi || !ig->s) goto oom;
  ig->fds_cap = 8;
  ig->fds = malloc(ig->fds_cap * sizeof *ig->fds);
  if (!ig->fds || pipe2(ig->wake, O_NONBLOCK | O_CLOEXEC) != 0) goto oom;
  ig->fds[0] = (struct pollfd){ig->wake[0], POLLIN, 0};
  ig->nfds = 1;
  if (curl_multi_setopt(ig->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
      curl_multi_setopt(ig->multi, CURLMOPT_SOCKETDATA, ig) != CURLM_OK)
    goto oom;
  for (ig->n = 0; ig->n < o->nstreams; ig->n++)
    if (!stream_init(ig, ig->n, &o->streams[ig->n])) {
      ig->n++;
      goto oom;
    }
  return ig;
oom:
  snprintf(err, errlen, "ingest: out of memory");
  if (ig)
    ksmc_ingest_free(ig);
  else
    curl_global_cleanup();
  return NULL;
}

static void stream_free(stream *s) {
  if (s->easy) curl_easy_cleanup(s->easy);
  if (s->pre.easy) curl_easy_cleanup(s->pre.easy);
  ksmc_request_lists_free(&s->lists);
  ksmc_request_lists_free(&s->pre.lists);
  ksmc_buf_free(&s->pre.body);
  ksmc_buf_free(&s->pre.spare);
  ksmc_framer_free(&s->framer);
  ksmc_list_free(&s->lp);
  ksmc_gunzip_free(&s->gz);
  ksmc_buf_free(&s->url);
  ksmc_buf_free(&s->rv);
  ksmc_buf_free(&s->cont);
  ksmc_buf_free(&s->errbody);
  free((char *)s->spec.name);
  free((char *)s->spec.path);
  free((char *)s->spec.field_selector);
  free((char *)s->spec.label_selector);
}

void ksmc_ingest_free(ksmc_ingest *ig) {
  if (!ig) return;
  for (size_t i = 0; i < ig->n; i++) {
    if (ig->s[i].phase != PH_IDLE) curl_multi_remove_handle(ig->multi, ig->s[i].easy);
    cancel_prefetch(&ig->s[i]);
    stream_free(&ig->s[i]);
  }
  if (ig->multi) curl_multi_cleanup(ig->multi);
  free(ig->fds);
  if (ig->wake[0] >= 0) close(ig->wake[0]);
  if (ig->wake[1] >= 0) close(ig->wake[1]);
  free(ig->s);
  pthread_mutex_destroy(&ig->mu);
  free(ig);
  curl_global_cleanup();
}

/* ---- observers ---- */

size_t ksmc_ingest_nstreams(const ksmc_ingest *ig) { return ig->n; }

void ksmc_ingest_stats(ksmc_ingest *ig, size_t s, ksmc_stream_stats *out) {
  pthread_mutex_lock(&ig->mu);
  *out = ig->s[s].st;
  pthread_mutex_unlock(&ig->mu);
}

bool ksmc_ingest_synced(ksmc_ingest *ig, size_t s) {
  pthread_mutex_lock(&ig->mu);
  bool r = ig->s[s].st.synced;
  pthread_mutex_unlock(&ig->mu);
  return r;
}

bool ksmc_ingest_all_synced(ksmc_ingest *ig) {
  pthread_mutex_lock(&ig->mu);
  bool r = true;
  for (size_t i = 0; i < ig->n && r; i++) r = ig->s[i].st.synced;
  pthread_mutex_unlock(&ig->mu);
  return r;
}
