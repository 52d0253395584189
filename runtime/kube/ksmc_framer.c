#include "ksmc_framer.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ksmc_err.h"
#include "ksmc_jscan.h"
#include "ksmc_skip.h"

/* The head of a watch event as the API server writes it: {"type":"T","object":{ */
#define HEAD_TYPE "{\"type\":\""
#define HEAD_OBJECT "\",\"object\":{"

/* Memory above this is given back after an object instead of kept for the next one. */
#define KEEP_BYTES ((size_t)1 << 20)

typedef enum { NEST_MORE, NEST_CLOSED, NEST_BAD } nest_result;

static bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* Bytes that matter inside a string ('"', '\\', '\n') and outside one ('"', brackets). */
static bool str_special(unsigned char c) { return c == '"' || c == '\\' || c == '\n'; }
static bool nest_special(unsigned char c) {
  return c == '"' || c == '{' || c == '}' || c == '[' || c == ']';
}

/* Nonzero if a byte of w equals the byte repeated in rep; the lowest set bit marks the
 * first such byte exactly (SWAR). */
static inline uint64_t has_byte(uint64_t w, uint64_t rep) {
  uint64_t x = w ^ rep;
  return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

#define REP(c) (0x0101010101010101ull * (unsigned char)(c))

/* Skips ordinary string bytes from j; returns the index of the next special one or n.
 * Eight bytes at a time, jumping to the first special byte of a word. */
static size_t skip_plain(const char *p, size_t j, size_t n) {
  for (uint64_t w, m; j + 8 <= n; j += 8) {
    memcpy(&w, p + j, 8);
    m = has_byte(w, REP('"')) | has_byte(w, REP('\\')) | has_byte(w, REP('\n'));
    if (m) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      j += (size_t)__builtin_ctzll(m) >> 3;
#endif
      break;
    }
  }
  while (j < n && !str_special((unsigned char)p[j])) j++;
  return j;
}

/* Advances through p[*i..n) inside one value whose first byte is fed with depth 0.
 * Stops just after the byte that brings the depth back to 0 (NEST_CLOSED, or NEST_BAD if
 * it does not match the opening bracket), at n (NEST_MORE) or after a raw newline inside a
 * string, which JSON forbids, or anywhere in the value in line mode (NEST_BAD). */
static nest_result nest_scan(ksmc_jnest *st, const char *p, size_t n, size_t *i) {
  for (size_t j = *i; j < n; j++) {
    char c = p[j];
    if (st->in_str) {
      if (st->esc) {
        st->esc = false;
        continue;
      }
      j = skip_plain(p, j, n);
      if (j == n) break;
      c = p[j];
      if (c == '\\') {
        st->esc = true;
      } else if (c == '"') {
        st->in_str = false;
      } else {
        *i = j + 1;
        return NEST_BAD;
      }
      continue;
    }
    if (c == '\n' && st->lines) {
      *i = j + 1;
      return NEST_BAD;
    }
    if (!nest_special((unsigned char)c)) continue;
    if (c == '"') {
      st->in_str = true;
    } else if (c == '{' || c == '[') {
      if (st->depth++ == 0) st->open = c;
    } else if (--st->depth == 0) {
      *i = j + 1;
      return (c == '}') == (st->open == '{') ? NEST_CLOSED : NEST_BAD;
    }
  }
  *i = n;
  return NEST_MORE;
}

/* Appends k bytes of the current object unless it outgrew max (then only counts them). */
static void absorb(ksmc_buf *b, bool *oversized, size_t *total, size_t max, const char *p,
                   size_t k) {
  *total += k;
  if (*oversized) return;
  if (b->n + k > max) {
    *oversized = true;
    ksmc_buf_free(b);
    return;
  }
  ksmc_buf_put(b, p, k);
  if (ksmc_buf_failed(b)) {
    *oversized = true;
    ksmc_buf_free(b);
  }
}

static void trim(ksmc_buf *b) {
  if (b->cap > KEEP_BYTES) ksmc_buf_free(b);
  ksmc_buf_reset(b);
}

/* ---- watch event framer ---- */

void ksmc_framer_init(ksmc_framer *f, size_t max_event) {
  memset(f, 0, sizeof *f);
  f->max_event = max_event ? max_event : KSMC_FRAMER_DEFAULT_MAX;
}

void ksmc_framer_reset(ksmc_framer *f) {
  trim(&f->ev);
  trim(&f->line);
  f->line_through = false;
  f->nest = (ksmc_jnest){0};
  f->in_event = f->oversized = f->skip_line = false;
  f->event_bytes = 0;
}

void ksmc_framer_free(ksmc_framer *f) {
  ksmc_buf_free(&f->ev);
  ksmc_buf_free(&f->line);
}

bool ksmc_framer_partial(const ksmc_framer *f) { return f->in_event; }

bool ksmc_framer_prerendered(const ksmc_framer *f) { return f->prerendered; }

static bool framer_error(ksmc_framer *f, const ksmc_framer_cb *cb, int err) {
  return cb->error ? cb->error(cb->user, err, f->msg) : true;
}

/* Hands out (or reports) the complete event ev[0..n). */
static bool finish_event_at(ksmc_framer *f, const ksmc_framer_cb *cb, const char *ev, size_t n) {
  f->in_event = false;
  if (f->oversized) {
    snprintf(f->msg, sizeof f->msg, "watch event of %zu bytes exceeds the %zu-byte limit; skipped",
             f->event_bytes, f->max_event);
    return framer_error(f, cb, KSMC_E_TOO_BIG);
  }
  ksmc_slice type, tq, obj;
  bool ok;
  if (f->obj_end && f->obj_end + 1 == n) { /* the API server's shape: sliced while framing */
    type = (ksmc_slice){ev + sizeof HEAD_TYPE - 1, f->type_len};
    obj = (ksmc_slice){ev + f->obj_at, f->obj_end - f->obj_at};
    ok = true;
  } else {
    ok = ksmc_jscan_member(ev, n, "type", &tq) && ksmc_jscan_unquote(tq, &type) &&
         ksmc_jscan_member(ev, n, "object", &obj);
  }
  bool go;
  if (ok) {
    go = cb->event(cb->user, type, obj);
  } else {
    int shown = n < 60 ? (int)n : 60;
    snprintf(f->msg, sizeof f->msg, "malformed watch event (no type or object): %.*s", shown, ev);
    go = framer_error(f, cb, KSMC_E_JSON);
  }
  trim(&f->ev);
  return go;
}

static bool finish_event(ksmc_framer *f, const ksmc_framer_cb *cb) {
  return finish_event_at(f, cb, f->ev.p, f->ev.n);
}

static bool bad_event(ksmc_framer *f, const ksmc_framer_cb *cb, bool line_end) {
  f->in_event = false;
  trim(&f->ev);
  snprintf(f->msg, sizeof f->msg, "malformed watch event: %s",
           line_end ? "line ends inside the event" : "mismatched brackets");
  return framer_error(f, cb, KSMC_E_JSON);
}

static void begin_event(ksmc_framer *f) {
  f->in_event = true;
  f->oversized = false;
  f->fast = true;
  f->event_bytes = f->obj_at = f->obj_end = 0;
  f->nest = (ksmc_jnest){.lines = true, .open = '{'};
  ksmc_buf_reset(&f->ev);
}

/* Outside an event: skips whitespace, starts an event at '{', or reports garbage and
 * skips to the next newline. Returns false if the error callback stopped the feed. */
static bool between_events(ksmc_framer *f, const char *p, size_t n, size_t *i,
                           const ksmc_framer_cb *cb) {
  if (f->skip_line) {
    const char *nl = memchr(p + *i, '\n', n - *i);
    *i = nl ? (size_t)(nl - p) + 1 : n;
    if (nl) f->skip_line = false;
    return true;
  }
  char c = p[*i];
  if (is_ws(c)) {
    (*i)++;
  } else if (c == '{') {
    begin_event(f);
  } else {
    f->skip_line = true;
    snprintf(f->msg, sizeof f->msg, "malformed watch stream: byte 0x%02x between events",
             (unsigned char)c);
    return framer_error(f, cb, KSMC_E_JSON);
  }
  return true;
}

/* The head of an event as the API server writes it, `{"type":"T","object":{` with T free
 * of quotes and backslashes, at p[0..lim): returns the offset of the object's `{` and sets
 * *tlen to T's length, or returns 0 (any other shape, or not all in p[0..lim)). */
static size_t event_head(const char *p, size_t lim, size_t *tlen) {
  const size_t h1 = sizeof HEAD_TYPE - 1, h2 = sizeof HEAD_OBJECT - 1;
  if (lim < h1 + h2 || memcmp(p, HEAD_TYPE, h1) != 0) return 0;
  size_t room = lim - h1 - h2 < 64 ? lim - h1 - h2 : 64;
  const char *q = memchr(p + h1, '"', room + 1);
  if (!q) return 0;
  size_t t = (size_t)(q - (p + h1));
  if (memchr(p + h1, '\\', t) || memcmp(q, HEAD_OBJECT, h2) != 0) return 0;
  *tlen = t;
  return h1 + t + h2 - 1;
}

/* The fused path of a fresh event with the API server's head whose line ends in this
 * chunk (p[j] is its object's `{`, p[lim] the newline): the consumer renders the object
 * first (cb->prerender), and the strict scan reads only the bytes between the containers
 * the renderer passed over (ksmc_skip_strict_spans: the close fast_scan's
 * ksmc_skip_resume from p[j] finds, or 0 when that cannot be shown). When the renderer's
 * end is that close and the event's `}` follows it, the event is handed out exactly as
 * fast_scan's loop would hand it out (in place, the object sliced, the size limit
 * applied), with f->prerendered set during the call: returns 0, or -1 when the callback
 * stopped the feed. Otherwise returns 1 with nothing changed, and the loop frames the
 * event (the render is then not confirmed and the consumer drops it). */
static int fused_event(ksmc_framer *f, const char *p, size_t start, size_t j, size_t lim,
                       const ksmc_framer_cb *cb, size_t *i) {
  const ksmc_skip_span *sp = NULL;
  size_t nsp = 0;
  ksmc_slice type = {p + start + sizeof HEAD_TYPE - 1, f->type_len};
  size_t e = cb->prerender(cb->user, type, p + j, lim - j, &sp, &nsp);
  if (!e || e >= lim - j || p[j + e] != '}') return 1;
  if (ksmc_skip_strict_spans(p + j, lim - j, sp, nsp, 0) != e) return 1;
  size_t end = j + e + 1; /* the loop: the object closes at j + e, the event at its `}` */
  f->obj_end = j + e - start;
  f->event_bytes = end - start;
  f->oversized = f->event_bytes > f->max_event;
  f->prerendered = !f->oversized; /* an oversized event is reported, not handed out */
  bool go = finish_event_at(f, cb, p + start, end - start);
  f->prerendered = false;
  *i = end;
  return go ? 0 : -1;
}

/* The fast path, in which every event starts: the API server writes one event per line,
 * so an event is at most the bytes up to the next newline (memchr), and where it closes is
 * found by the resumable 64-byte block scanner, in place when the event lies in this chunk
 * and carried across chunks (the bytes appended to f->ev) when it does not. An event with
 * the API server's head is scanned from its object's `{`, so the object's end is known
 * when the event closes right after it and finish_event_at slices it without a second
 * skip; when the consumer renders objects ahead (cb->prerender) and the line ends in this
 * chunk, fused_event tries that first. The outcome is nest_scan's in every case: an event not
 * closed before the newline is cut, a wrong closing bracket is reported, bytes after the close are
 * framed again. Where the two could differ (a backslash outside a string; a newline escaped inside
 * a string) the scan stops with f->nest exact at p[*i] and returns 1: the byte-wise path frames the
 * rest of the event. Returns 0 when p[*i..] moved on, -1 when a callback stopped the feed. */
static int fast_scan(ksmc_framer *f, const char *p, size_t n, size_t *i, const ksmc_framer_cb *cb) {
  size_t start = *i, j = start;
  const char *nl = memchr(p + start, '\n', n - start);
  size_t lim = nl ? (size_t)(nl - p) : n;
  if (f->event_bytes == 0) { /* a fresh event: p[start] is its `{` */
    size_t h = event_head(p + j, lim - j, &f->type_len);
    if (h) {
      f->obj_at = h;
      f->nest.depth = 1;
      j += h;
      if (nl && cb->prerender) {
        int r = fused_event(f, p, start, j, lim, cb, i);
        if (r <= 0) return r;
      }
    }
  }
  for (;;) {
    size_t base = f->obj_at && !f->obj_end; /* in the object: its depth is the event's - 1 */
    ksmc_skip_state st = {(size_t)f->nest.depth - base, f->nest.in_str, f->nest.esc};
    size_t e = ksmc_skip_resume(&st, p + j, lim - j);
    if (e == KSMC_SKIP_UNSURE) break;
    if (e == 0) { /* open at lim */
      f->nest.depth = (int)(st.depth + base);
      f->nest.in_str = st.in_str;
      f->nest.esc = st.esc;
      j = lim;
      if (!nl) break;
      if (st.in_str && st.esc) break; /* a newline escaped in a string: nest_scan goes on */
      *i = lim + 1;
      return bad_event(f, cb, true) ? 0 : -1;
    }
    j += e;
    if (base) { /* the object closed: the event must close next */
      f->obj_end = f->event_bytes + (j - start);
      f->nest.depth = 1;
      f->nest.in_str = f->nest.esc = false;
      continue;
    }
    bool go;
    if (p[j - 1] != '}') { /* every event opens with `{` */
      go = bad_event(f, cb, false);
    } else if (f->event_bytes == 0) { /* all in this chunk: framed in place */
      f->event_bytes = j - start;
      f->oversized = f->event_bytes > f->max_event;
      go = finish_event_at(f, cb, p + start, j - start);
    } else {
      absorb(&f->ev, &f->oversized, &f->event_bytes, f->max_event, p + start, j - start);
      go = finish_event(f, cb);
    }
    *i = j;
    return go ? 0 : -1;
  }
  absorb(&f->ev, &f->oversized, &f->event_bytes, f->max_event, p + start, j - start);
  *i = j;
  return j == n ? 0 : 1;
}

/* Frames p[0..n) as it comes (what ksmc_framer_feed does without a prerender callback). */
static bool feed_now(ksmc_framer *f, const char *p, size_t n, const ksmc_framer_cb *cb) {
  size_t i = 0;
  while (i < n) {
    if (!f->in_event) {
      if (!between_events(f, p, n, &i, cb)) return false;
      continue;
    }
    if (f->fast) {
      int r = fast_scan(f, p, n, &i, cb);
      if (r < 0) return false;
      if (r == 0) continue;
      f->fast = false; /* the byte-wise scan takes the event from p[i] */
    }
    size_t start = i;
    nest_result r = nest_scan(&f->nest, p, n, &i);
    absorb(&f->ev, &f->oversized, &f->event_bytes, f->max_event, p + start, i - start);
    if (r == NEST_CLOSED && !finish_event(f, cb)) return false;
    if (r == NEST_BAD && !bad_event(f, cb, p[i - 1] == '\n')) return false;
  }
  return true;
}

/* Hands the held line to feed_now, whole. */
static bool feed_held(ksmc_framer *f, const ksmc_framer_cb *cb) {
  bool go = f->line.n ? feed_now(f, f->line.p, f->line.n, cb) : true;
  trim(&f->line);
  return go;
}

/* Holds p[0..k), the start of a line cut by the chunk, or (too long to hold, or out of
 * memory) frames what is held and p[0..k) at once and the rest of the line as it comes. */
static bool hold(ksmc_framer *f, const char *p, size_t k, const ksmc_framer_cb *cb) {
  if (f->line.n + k <= f->max_event && ksmc_buf_reserve(&f->line, k)) {
    ksmc_buf_put(&f->line, p, k);
    return true;
  }
  f->line.oom = false; /* a failed reservation's sticky error; the held bytes are intact */
  f->line_through = true;
  return feed_held(f, cb) && feed_now(f, p, k, cb);
}

/* With a prerender callback, a line cut by the chunk is held until its newline and then
 * framed whole from the held copy, so that its event is rendered ahead too (the cut events
 * were copied into f->ev before anyway). Framing does not depend on how the stream is cut
 * (test_kube_framer, fuzz_watch): holding bytes and framing them later as one piece gives
 * the same events and errors in the same order; ksmc_framer_flush frames what is held at
 * the end of the stream. */
bool ksmc_framer_feed(ksmc_framer *f, const char *p, size_t n, const ksmc_framer_cb *cb) {
  if (!cb->prerender) return feed_now(f, p, n, cb);
  size_t i = 0;
  if (f->line.n || f->line_through) { /* the rest of a cut line first */
    const char *nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t)(nl - p) + 1 : n;
    if (f->line_through) {
      if (!feed_now(f, p, k, cb)) return false;
      f->line_through = !nl;
    } else if (!hold(f, p, k, cb)) {
      return false;
    } else if (nl && !f->line_through && !feed_held(f, cb)) {
      return false;
    }
    i = k;
    if (!nl) return true;
    f->line_through = false; /* the line ended: the next one may be held */
  }
  const char *last = memrchr(p + i, '\n', n - i);
  size_t lines = last ? (size_t)(last - p) + 1 : i; /* p[i..lines): whole lines */
  if (lines > i && !feed_now(f, p + i, lines - i, cb)) return false;
  return lines == n || hold(f, p + lines, n - lines, cb);
}

bool ksmc_framer_flush(ksmc_framer *f, const ksmc_framer_cb *cb) {
  f->line_through = false;
  return feed_held(f, cb);
}

/* ---- LIST page parser ---- */

enum {
  L_START,
  L_KEY,
  L_KEYSTR,
  L_COLON,
  L_VALUE,
  L_AFTER,
  L_ITEMS,
  L_CAPTURE,
  L_SKIPNEST,
  L_SKIPSTR,
  L_SKIPPRIM,
  L_DONE
};
enum { CAP_ITEM = 1, CAP_META };

/* A list's metadata is small; it may exceed a (test's) tiny item limit. */
#define META_MAX ((size_t)64 << 10)

void ksmc_list_init(ksmc_list_parser *l, size_t max_item) {
  memset(l, 0, sizeof *l);
  l->max_item = max_item ? max_item : KSMC_FRAMER_DEFAULT_MAX;
}

void ksmc_list_reset(ksmc_list_parser *l) {
  ksmc_buf_reset(&l->rv);
  ksmc_buf_reset(&l->cont);
  ksmc_buf_cstr(&l->rv);
  ksmc_buf_cstr(&l->cont);
  trim(&l->cap);
  l->items = 0;
  l->has_items = false;
  l->kind[0] = 0;
  l->in_kind = false;
  l->kindlen = 0;
  l->state = L_START;
  l->failed = false;
  l->keylen = 0;
}

void ksmc_list_free(ksmc_list_parser *l) {
  ksmc_buf_free(&l->rv);
  ksmc_buf_free(&l->cont);
  ksmc_buf_free(&l->cap);
}

bool ksmc_list_complete(const ksmc_list_parser *l) { return l->state == L_DONE && !l->failed; }

static bool list_fail(ksmc_list_parser *l, const ksmc_list_cb *cb, const char *what, char c) {
  l->failed = true;
  snprintf(l->msg, sizeof l->msg, "malformed list body: %s (byte 0x%02x)", what, (unsigned char)c);
  if (cb->error) cb->error(cb->user, KSMC_E_JSON, l->msg);
  return false;
}

static bool key_is(const ksmc_list_parser *l, const char *k) {
  size_t n = strlen(k);
  return l->keylen == n && memcmp(l->key, k, n) == 0;
}

static void begin_capture(ksmc_list_parser *l, int what, int ret) {
  l->capture = what;
  l->ret_state = ret;
  l->nest = (ksmc_jnest){0};
  l->oversized = false;
  l->cap_bytes = 0;
  ksmc_buf_reset(&l->cap);
  l->state = L_CAPTURE;
}

static void copy_string_member(const ksmc_buf *obj, const char *key, ksmc_buf *out) {
  ksmc_slice v, s;
  ksmc_buf_reset(out);
  if (ksmc_jscan_member(obj->p, obj->n, key, &v) && ksmc_jscan_unquote(v, &s))
    ksmc_buf_put(out, s.p, s.n);
  ksmc_buf_cstr(out);
}

static bool finish_capture(ksmc_list_parser *l, const ksmc_list_cb *cb) {
  l->state = l->ret_state;
  bool go = true;
  if (l->oversized) {
    snprintf(l->msg, sizeof l->msg, "list %s of %zu bytes exceeds the %zu-byte limit; skipped",
             l->capture == CAP_ITEM ? "item" : "metadata", l->cap_bytes, l->max_item);
    go = cb->error ? cb->error(cb->user, KSMC_E_TOO_BIG, l->msg) : true;
  } else if (l->capture == CAP_META) {
    copy_string_member(&l->cap, "resourceVersion", &l->rv);
    copy_string_member(&l->cap, "continue", &l->cont);
  } else {
    l->items++;
    go = cb->item(cb->user, l->cap.p, l->cap.n);
  }
  trim(&l->cap);
  return go;
}

/* nest_scan's outcome for a captured value (not in line mode), found with the resumable
 * 64-byte block scanner between newlines; the newlines themselves are taken as nest_scan
 * takes them (an unescaped one inside a string is an error). Where the block scanner
 * cannot decide (a backslash outside a string) its state is exact at p[j] and nest_scan
 * goes on from there. */
static nest_result capture_scan(ksmc_jnest *ns, const char *p, size_t n, size_t *i) {
  size_t j = *i;
  if (ns->depth == 0 && !ns->in_str && j < n) ns->open = p[j]; /* the value's `{` */
  while (j < n) {
    const char *nl = memchr(p + j, '\n', n - j);
    size_t lim = nl ? (size_t)(nl - p) : n;
    if (lim > j) {
      ksmc_skip_state st = {(size_t)ns->depth, ns->in_str, ns->esc};
      size_t e = ksmc_skip_resume(&st, p + j, lim - j);
      if (e == KSMC_SKIP_UNSURE) break;
      if (e) {
        *i = j + e;
        ns->depth = 0;
        ns->in_str = ns->esc = false;
        return (p[j + e - 1] == '}') == (ns->open == '{') ? NEST_CLOSED : NEST_BAD;
      }
      ns->depth = (int)st.depth;
      ns->in_str = st.in_str;
      ns->esc = st.esc;
    }
    j = lim;
    if (!nl) break;
    if (ns->in_str && !ns->esc) { /* a raw newline in a string */
      *i = j + 1;
      return NEST_BAD;
    }
    ns->esc = false; /* escaped in a string, or blank between tokens */
    j++;
  }
  *i = j;
  return j < n ? nest_scan(ns, p, n, i) : NEST_MORE;
}

static bool list_capture(ksmc_list_parser *l, const char *p, size_t n, size_t *i,
                         const ksmc_list_cb *cb) {
  size_t start = *i;
  bool fresh = l->cap_bytes == 0 && !l->oversized;
  nest_result r = capture_scan(&l->nest, p, n, i);
  if (r == NEST_CLOSED && fresh && l->capture == CAP_ITEM && *i - start <= l->max_item) {
    /* the whole item is in this chunk: handed out in place, not copied */
    l->state = l->ret_state;
    l->items++;
    bool go = cb->item(cb->user, p + start, *i - start);
    trim(&l->cap);
    return go;
  }
  size_t max = l->capture == CAP_META && l->max_item < META_MAX ? META_MAX : l->max_item;
  absorb(&l->cap, &l->oversized, &l->cap_bytes, max, p + start, *i - start);
  if (r == NEST_BAD)
    return list_fail(l, cb, "broken object (mismatched brackets or a newline in a string)",
                     p[*i - 1]);
  return r == NEST_CLOSED ? finish_capture(l, cb) : true;
}

static void list_keystr(ksmc_list_parser *l, const char *p, size_t n, size_t *i) {
  for (; *i < n; (*i)++) {
    char c = p[*i];
    if (l->nest.esc) {
      l->nest.esc = false;
    } else if (c == '\\') {
      l->nest.esc = true;
      continue;
    } else if (c == '"') {
      (*i)++;
      l->state = L_COLON;
      return;
    }
    if (l->keylen < sizeof l->key) l->key[l->keylen] = c;
    l->keylen++;
  }
}

static void list_skipstr(ksmc_list_parser *l, const char *p, size_t n, size_t *i) {
  for (; *i < n; (*i)++) {
    char c = p[*i];
    if (l->nest.esc) {
      l->nest.esc = false;
    } else if (c == '\\') {
      l->nest.esc = true;
    } else if (c == '"') {
      (*i)++;
      l->state = L_AFTER;
      l->in_kind = false;
      return;
    }
    if (l->in_kind && l->kindlen + 1 < sizeof l->kind) {
      l->kind[l->kindlen++] = c;
      l->kind[l->kindlen] = 0;
    }
  }
}

/* A value of the top-level object starts at c. */
static void list_value(ksmc_list_parser *l, char c, size_t *i) {
  l->nest = (ksmc_jnest){0};
  if (c == '[' && key_is(l, "items")) {
    l->has_items = true;
    l->state = L_ITEMS;
    (*i)++;
  } else if (c == '{' && key_is(l, "metadata")) {
    begin_capture(l, CAP_META, L_AFTER);
  } else if (c == '"') {
    l->in_kind = key_is(l, "kind");
    if (l->in_kind) l->kind[l->kindlen = 0] = 0;
    l->state = L_SKIPSTR;
    (*i)++;
  } else if (c == '{' || c == '[') {
    l->state = L_SKIPNEST;
  } else {
    if (c == 'n' && key_is(l, "items")) l->has_items = true; /* "items": null, an empty list */
    l->state = L_SKIPPRIM;
  }
}

/* One step of the structural states; returns false on a malformed body. */
static bool list_punct(ksmc_list_parser *l, char c, size_t *i, const ksmc_list_cb *cb) {
  switch (l->state) {
  case L_START:
    if (c != '{') return list_fail(l, cb, "expected '{'", c);
    l->state = L_KEY;
    break;
  case L_KEY:
    if (c == '}') {
      l->state = L_DONE;
    } else if (c == '"') {
      l->keylen = 0;
      l->nest.esc = false;
      l->state = L_KEYSTR;
    } else {
      return list_fail(l, cb, "expected a key", c);
    }
    break;
  case L_COLON:
    if (c != ':') return list_fail(l, cb, "expected ':'", c);
    l->state = L_VALUE;
    break;
  case L_VALUE:
    list_value(l, c, i);
    return true;
  case L_AFTER:
    if (c != ',' && c != '}') return list_fail(l, cb, "expected ',' or '}'", c);
    l->state = c == ',' ? L_KEY : L_DONE;
    break;
  case L_ITEMS:
    if (c == '{') {
      begin_capture(l, CAP_ITEM, L_ITEMS);
      return true;
    }
    if (c == ']')
      l->state = L_AFTER;
    else if (c != ',')
      return list_fail(l, cb, "items[] holds a non-object", c);
    break;
  default:
    return list_fail(l, cb, "trailing bytes after the list", c);
  }
  (*i)++;
  return true;
}

static void list_skipprim(ksmc_list_parser *l, const char *p, size_t n, size_t *i) {
  while (*i < n && p[*i] != ',' && p[*i] != '}' && !is_ws(p[*i])) (*i)++;
  if (*i < n) l->state = L_AFTER;
}

bool ksmc_list_feed(ksmc_list_parser *l, const char *p, size_t n, const ksmc_list_cb *cb) {
  if (l->failed) return false;
  size_t i = 0;
  while (i < n) {
    switch (l->state) {
    case L_KEYSTR:
      list_keystr(l, p, n, &i);
      break;
    case L_SKIPSTR:
      list_skipstr(l, p, n, &i);
      break;
    case L_SKIPPRIM:
      list_skipprim(l, p, n, &i);
      break;
    case L_SKIPNEST: {
      nest_result r = nest_scan(&l->nest, p, n, &i);
      if (r == NEST_BAD)
        return list_fail(l, cb, "broken value (mismatched brackets or a newline in a string)",
                         p[i - 1]);
      if (r == NEST_CLOSED) l->state = L_AFTER;
      break;
    }
    case L_CAPTURE:
      if (!list_capture(l, p, n, &i, cb)) return false;
      break;
    default:
      if (is_ws(p[i])) {
        i++;
      } else if (!list_punct(l, p[i], &i, cb)) {
        return false;
      }
    }
  }
  return true;
}
