/* bench_ingest: single-core ingest cost of JSON objects, per object.
 *
 *   bench_ingest MODE FILE [--resource pods] [--min-time S] [--chunk BYTES] [--copies K]
 *
 * MODE
 *   render  ksmc_render_object with the default families (tokenize + walk + write lines)
 *   jsmn    jsmn tokenize only (the tokenizer ksmc_render uses today, same flags)
 *   scan    a SWAR structural scan that only finds the end of each object (strings
 *           skipped 8 bytes at a time, one string at a time): how ksmc_scan.c skipped
 *   scan64  the same result from a block scanner: 64 bytes per step, bitmasks of quotes,
 *           backslashes and brackets (SSE2), escapes and in-string ranges by carries and
 *           prefix XOR (simdjson's stage 1), depth checked per block by popcounts. The
 *           cost of skipping what no family reads independent of how many strings it has
 *           (runtime/core/ksmc_skip.c is this scanner).
 *
 *   watch   the watch path: the objects as one stream of {"type":"MODIFIED","object":...}
 *           lines, fed to the event framer in 16 KiB chunks (libcurl's default), each
 *           event's object rendered (framing + slicing + render; per event)
 *   frame   the same without rendering: framing and slicing `object` only
 *   churn   the exporter's whole watch path on a recorded churn: FILE's objects are
 *           rendered into a store (as a list), then EVENTS (--events, a watch stream
 *           recorded from apisim, one event per line) go through the framer in 16 KiB
 *           chunks and are applied as the reflector and ksmc_run.c's sink do (metadata.uid
 *           found in every event, DELETED by that uid without rendering, others rendered
 *           and upserted). Each pass starts from a fresh
 *           store; only the replay is timed, per event. Under callgrind use
 *           --toggle-collect=replay_events (a single pass: --min-time 0). Objects are
 *           rendered ahead of their framing as the exporter does (ksmc_framer_cb.prerender:
 *           the framer's scan skips what the renderer skipped); --no-fuse frames first and
 *           renders after, as before.
 *
 *   expo    the plain /metrics body of FILE's objects: rendered into one store (--copies K
 *           times each, under distinct uids, copies outer so the records lie in memory as
 *           a LIST of K * objects would), then the whole text body is read through
 *           ksmc_expo_read into a 256 KiB buffer (libmicrohttpd's block) per pass. Timed
 *           per object stored; mb_per_s is body bytes per second. The body is
 *           family-major, so each family revisits every record: at 30,000 pods the
 *           records (~240 MB) are far out of cache, as in a live scrape.
 *
 * --chunk BYTES (watch, frame, churn): feed the framer this many bytes at a time instead of
 * 16 KiB. The exporter has curl read a watch in buffers sized by its last LIST
 * (ksmc_watch_recv_bytes: 1/32 of the listed bytes, 1 MiB at 3,000 pods): --chunk 262144 cuts ~1
 * event in 28 across two feeds, 16 KiB more than half of them (each cut event is copied
 * into the framer's buffer).
 *
 * FILE is NDJSON (one object per line, e.g. apisim's /_sim/objects) or one pretty-printed
 * object. Prints one line of key=value pairs; times are the fastest pass over all objects
 * (median in brackets), in nanoseconds per object. */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <jsmn.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench_common.h"
#include "ksmc_expo.h"
#include "ksmc_framer.h"
#include "ksmc_jscan.h"
#include "ksmc_kind.h"
#include "ksmc_render.h"
#include "ksmc_store.h"

typedef struct {
  bench_lines L;
  ksmc_render_ctx ctx;
  jsmntok_t *tok;
  unsigned ntok;
  size_t out_bytes;
  size_t tokens;
  size_t sink;
  char *stream; /* watch/frame: the event stream */
  size_t stream_len;
  bool render;
  ksmc_store *store; /* churn */
  size_t events, upserts, deletes;
  size_t chunk; /* watch/frame/churn: bytes per framer feed (--chunk; 16 KiB) */
  /* churn: objects rendered ahead of their framing (the sink's prerender), as ksmc does
   * unless --no-fuse */
  bool fuse;
  ksmc_framer *framer;
  const char *pre_json; /* the render kept aside: its object, NULL if none */
  size_t pre_len;
  size_t prerendered; /* events stored from a confirmed prerender */
  ksmc_expo *expo;    /* expo: the store as the one resource */
  char *block;        /* expo: the reader's buffer */
  size_t copies;      /* expo: --copies */
} state;

/* ---- watch path ---------------------------------------------------------------------- */

static bool on_event(void *user, ksmc_slice type, ksmc_slice object) {
  state *s = user;
  (void)type;
  s->sink += object.n;
  if (s->render) {
    if (ksmc_render_object(&s->ctx, object.p, object.n) != 0) {
      fprintf(stderr, "bench_ingest: watch event: %s\n", s->ctx.err);
      exit(1);
    }
    s->out_bytes += s->ctx.out.n;
  }
  return true;
}

static bool on_error(void *user, int err, const char *msg) {
  (void)user;
  fprintf(stderr, "bench_ingest: framer error %d: %s\n", err, msg);
  exit(1);
}

static void pass_watch(void *arg) {
  state *s = arg;
  ksmc_framer f;
  ksmc_framer_init(&f, 0);
  ksmc_framer_cb cb = {s, on_event, on_error, NULL};
  s->sink = s->out_bytes = 0;
  for (size_t i = 0; i < s->stream_len; i += s->chunk) {
    size_t k = s->stream_len - i < s->chunk ? s->stream_len - i : s->chunk;
    ksmc_framer_feed(&f, s->stream + i, k, &cb);
  }
  ksmc_framer_free(&f);
}

static void build_stream(state *s) {
  static const char head[] = "{\"type\":\"MODIFIED\",\"object\":";
  size_t cap = s->L.payload + s->L.n * (sizeof head + 2);
  s->stream = malloc(cap);
  if (!s->stream) exit(1);
  size_t n = 0;
  for (size_t i = 0; i < s->L.n; i++) {
    memcpy(s->stream + n, head, sizeof head - 1);
    n += sizeof head - 1;
    memcpy(s->stream + n, s->L.line[i], s->L.len[i]);
    n += s->L.len[i];
    s->stream[n++] = '}';
    s->stream[n++] = '\n';
  }
  s->stream_len = n;
}

/* ---- churn: the exporter's watch path with its store ---------------------------------- */

/* As ksmc_reflector.c's on_event (metadata.uid and resourceVersion found for every event)
 * and ksmc_run.c's sink_object (keep them alike). */
static bool on_churn_event(void *user, ksmc_slice type, ksmc_slice obj) {
  state *s = user;
  s->events++;
  static const char *const keys[2] = {"uid", "resourceVersion"};
  ksmc_slice v[2], uid;
  if (!(ksmc_jscan_members_in(obj.p, obj.n, "metadata", keys, 2, v) & 1) ||
      !ksmc_jscan_unquote(v[0], &uid)) {
    fprintf(stderr, "bench_ingest: churn event without metadata.uid\n");
    exit(1);
  }
  bool plain = uid.n && !memchr(uid.p, '\\', uid.n);
  bool del = type.n == 7 && !memcmp(type.p, "DELETED", 7);
  bool pre = ksmc_framer_prerendered(s->framer) && !del && s->pre_json == obj.p &&
             s->pre_len == obj.n; /* the store step of ksmc_run.c's sink_object_prerendered */
  s->pre_json = NULL;
  if (del && plain) {
    ksmc_store_delete(s->store, uid.p, uid.n);
    s->deletes++;
    return true;
  }
  if (pre) {
    s->prerendered++;
  } else if (ksmc_render_object(&s->ctx, obj.p, obj.n) != 0 || !s->ctx.uid.n) {
    fprintf(stderr, "bench_ingest: churn event: %s\n", s->ctx.err);
    exit(1);
  }
  if (del) {
    ksmc_store_delete(s->store, s->ctx.uid.p, s->ctx.uid.n);
  } else {
    ksmc_store_upsert(s->store, s->ctx.uid.p, s->ctx.uid.n, s->ctx.out.p, s->ctx.out.n,
                      s->ctx.fam_end);
    s->upserts++;
  }
  return true;
}

/* As the reflector's on_prerender and ksmc_run.c's sink_prerender (the render step ahead
 * of the framing). */
static size_t on_churn_prerender(void *user, ksmc_slice type, const char *obj, size_t avail,
                                 const ksmc_skip_span **spans, size_t *nspans) {
  state *s = user;
  s->pre_json = NULL;
  if (!(type.n == 8 && !memcmp(type.p, "MODIFIED", 8)) &&
      !(type.n == 5 && !memcmp(type.p, "ADDED", 5)))
    return 0;
  size_t end;
  if (ksmc_render_object_prefix(&s->ctx, obj, avail, &end) != KSMC_OK || !s->ctx.uid.n) return 0;
  s->pre_json = obj;
  s->pre_len = end;
  *spans = s->ctx.spans;
  *nspans = s->ctx.nspans;
  return end;
}

static void churn_store(state *s) {
  ksmc_store_free(s->store);
  s->store = ksmc_store_new(s->ctx.opts.kind, "");
  if (!s->store) exit(1);
  for (size_t i = 0; i < s->L.n; i++) {
    if (ksmc_render_object(&s->ctx, s->L.line[i], s->L.len[i]) != 0) exit(1);
    ksmc_store_relist_add(s->store, s->ctx.uid.p, s->ctx.uid.n, s->ctx.out.p, s->ctx.out.n,
                          s->ctx.fam_end);
  }
  ksmc_store_relist_commit(s->store);
}

__attribute__((noinline)) static void replay_events(state *s) {
  ksmc_framer f;
  ksmc_framer_init(&f, 0);
  ksmc_framer_cb cb = {s, on_churn_event, on_error, s->fuse ? on_churn_prerender : NULL};
  s->framer = &f;
  s->pre_json = NULL;
  s->events = s->upserts = s->deletes = s->prerendered = 0;
  for (size_t i = 0; i < s->stream_len; i += s->chunk) {
    size_t k = s->stream_len - i < s->chunk ? s->stream_len - i : s->chunk;
    ksmc_framer_feed(&f, s->stream + i, k, &cb);
  }
  ksmc_framer_flush(&f, &cb);
  ksmc_framer_free(&f);
}

/* Fastest and median replay time per event over passes of fresh stores. */
static void run_churn(state *s, double min_time, double *best, double *median, int *passes) {
  static double t[BENCH_MAX_PASSES];
  int n = 0;
  double start = bench_now();
  while (n < BENCH_MAX_PASSES && (n < 1 || bench_now() - start < min_time)) {
    churn_store(s);
    double t0 = bench_now();
    replay_events(s);
    t[n++] = bench_now() - t0;
  }
  qsort(t, (size_t)n, sizeof t[0], bench_cmp_double);
  *best = t[0];
  *median = t[n / 2];
  *passes = n;
}

/* ---- expo: the plain scrape's body ----------------------------------------------------- */

#define EXPO_BLOCK (256u * 1024u)

/* Renders FILE's objects `copies` times into one store (uids "<uid>/<copy>"). */
static void expo_store(state *s) {
  s->store = ksmc_store_new(s->ctx.opts.kind, "");
  if (!s->store) exit(1);
  char uid[512];
  for (size_t c = 0; c < s->copies; c++)
    for (size_t i = 0; i < s->L.n; i++) {
      if (ksmc_render_object(&s->ctx, s->L.line[i], s->L.len[i]) != 0) exit(1);
      int n = snprintf(uid, sizeof uid, "%.*s/%zu", (int)s->ctx.uid.n, s->ctx.uid.p, c);
      if (n < 0 || (size_t)n >= sizeof uid) exit(1);
      if (ksmc_store_relist_add(s->store, uid, (size_t)n, s->ctx.out.p, s->ctx.out.n,
                                s->ctx.fam_end) != KSMC_OK)
        exit(1);
    }
  ksmc_store_relist_commit(s->store);
  ksmc_expo_resource r = {.kind = s->ctx.opts.kind, .stores = &s->store, .nstores = 1};
  s->expo = ksmc_expo_new(&r, 1);
  s->block = malloc(EXPO_BLOCK);
  if (!s->expo || !s->block) exit(1);
}

static void pass_expo(void *arg) {
  state *s = arg;
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  ksmc_expo_req *q = ksmc_expo_begin(s->expo, &o);
  if (!q) exit(1);
  ssize_t n;
  while ((n = ksmc_expo_read(q, s->block, EXPO_BLOCK)) > 0) s->sink += (unsigned char)s->block[0];
  if (n < 0) exit(1);
  s->out_bytes = ksmc_expo_req_bytes(q);
  ksmc_expo_end(q);
}

static void pass_render(void *arg) {
  state *s = arg;
  size_t out = 0;
  for (size_t i = 0; i < s->L.n; i++) {
    int r = ksmc_render_object(&s->ctx, s->L.line[i], s->L.len[i]);
    if (r != 0) {
      fprintf(stderr, "bench_ingest: object %zu: %s\n", i, s->ctx.err);
      exit(1);
    }
    out += s->ctx.out.n;
  }
  s->out_bytes = out;
}

static void pass_jsmn(void *arg) {
  state *s = arg;
  size_t toks = 0;
  for (size_t i = 0; i < s->L.n; i++) {
    for (;;) {
      jsmn_parser p;
      jsmn_init(&p);
      int r = jsmn_parse(&p, s->L.line[i], s->L.len[i], s->tok, s->ntok);
      if (r == JSMN_ERROR_NOMEM) {
        s->ntok *= 2;
        s->tok = realloc(s->tok, s->ntok * sizeof *s->tok);
        if (!s->tok) exit(1);
        continue;
      }
      if (r < 0) {
        fprintf(stderr, "bench_ingest: object %zu: jsmn error %d\n", i, r);
        exit(1);
      }
      toks += (size_t)r;
      break;
    }
  }
  s->tokens = toks;
}

/* ---- skip scan ----------------------------------------------------------------------- */

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline uint64_t has_byte(uint64_t x, unsigned char c) {
  uint64_t y = x ^ (ONES * c);
  return (y - ONES) & ~y & HIGHS;
}

static inline uint64_t load64(const char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* p points just after an opening quote; returns the position after the closing quote. */
static const char *skip_string(const char *p, const char *end) {
  for (;;) {
    while (end - p >= 8) {
      uint64_t v = load64(p);
      uint64_t m = has_byte(v, '"') | has_byte(v, '\\');
      if (m) {
        p += __builtin_ctzll(m) >> 3;
        break;
      }
      p += 8;
    }
    while (p < end && *p != '"' && *p != '\\') p++;
    if (p >= end) return end;
    if (*p == '"') return p + 1;
    p += 2; /* backslash escape: the next byte never closes the string */
  }
}

/* p points at '{' or '['; returns the position after the matching close. */
static const char *skip_container(const char *p, const char *end) {
  int depth = 0;
  while (p < end) {
    char c = *p++;
    if (c == '"')
      p = skip_string(p, end);
    else if (c == '{' || c == '[')
      depth++;
    else if ((c == '}' || c == ']') && --depth == 0)
      return p;
  }
  return end;
}

/* ---- block skip scan (64 bytes per step) ---------------------------------------------- */

#ifdef __SSE2__
static inline uint64_t eq_mask(const __m128i b[4], char c) {
  __m128i v = _mm_set1_epi8(c);
  uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b[0], v));
  uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b[1], v));
  uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b[2], v));
  uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b[3], v));
  return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}

static inline uint64_t prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

/* p points at '{' or '['; returns the position after the matching close (end if none). */
static const char *skip_container64(const char *p, const char *end) {
  const uint64_t even = 0x5555555555555555ull, odd = ~even;
  uint64_t prev_odd_bs = 0, prev_in_str = 0;
  long depth = 0;
  for (const char *blk = p; blk < end; blk += 64) {
    __m128i b[4];
    if (end - blk >= 64) {
      for (int k = 0; k < 4; k++) b[k] = _mm_loadu_si128((const __m128i *)(blk + 16 * k));
    } else {
      char pad[64];
      memset(pad, ' ', sizeof pad);
      memcpy(pad, blk, (size_t)(end - blk));
      for (int k = 0; k < 4; k++) b[k] = _mm_loadu_si128((const __m128i *)(pad + 16 * k));
    }
    /* escaped bytes: those after an odd-length run of backslashes */
    uint64_t bs = eq_mask(b, '\\');
    uint64_t starts = bs & ~(bs << 1);
    uint64_t even_start_mask = even ^ prev_odd_bs;
    uint64_t even_starts = starts & even_start_mask, odd_starts = starts & ~even_start_mask;
    uint64_t even_carries = bs + even_starts, odd_carries;
    bool ends_odd = __builtin_add_overflow(bs, odd_starts, &odd_carries);
    odd_carries |= prev_odd_bs;
    prev_odd_bs = ends_odd;
    uint64_t escaped = ((even_carries & ~bs) & odd) | ((odd_carries & ~bs) & even);
    uint64_t quotes = eq_mask(b, '"') & ~escaped;
    uint64_t in_str = prefix_xor(quotes) ^ prev_in_str;
    prev_in_str = (uint64_t)((int64_t)in_str >> 63);
    uint64_t opens = (eq_mask(b, '{') | eq_mask(b, '[')) & ~in_str;
    uint64_t closes = (eq_mask(b, '}') | eq_mask(b, ']')) & ~in_str;
    if (depth - __builtin_popcountll(closes) > 0) { /* cannot reach depth 0 here */
      depth += __builtin_popcountll(opens) - __builtin_popcountll(closes);
      continue;
    }
    for (uint64_t m = opens | closes; m; m &= m - 1) {
      int i = __builtin_ctzll(m);
      if (opens >> i & 1)
        depth++;
      else if (--depth == 0)
        return blk + i + 1 <= end ? blk + i + 1 : end;
    }
  }
  return end;
}

#else /* no SSE2: the block scan falls back to the string-at-a-time one */
static const char *skip_container(const char *p, const char *end);
#define skip_container64 skip_container
#endif

static void pass_scan64(void *arg) {
  state *s = arg;
  size_t sink = 0;
  for (size_t i = 0; i < s->L.n; i++) {
    const char *p = s->L.line[i], *end = p + s->L.len[i];
    while (p < end && *p != '{') p++;
    sink += (size_t)(skip_container64(p, end) - s->L.line[i]);
  }
  s->sink = sink;
}

static void pass_scan(void *arg) {
  state *s = arg;
  size_t sink = 0;
  for (size_t i = 0; i < s->L.n; i++) {
    const char *p = s->L.line[i], *end = p + s->L.len[i];
    while (p < end && *p != '{') p++;
    sink += (size_t)(skip_container(p, end) - s->L.line[i]);
  }
  s->sink = sink;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: bench_ingest render|watch|frame|jsmn|scan|scan64 FILE [--resource R] "
            "[--min-time S] [--chunk BYTES]\n       bench_ingest churn FILE --events EVENTS "
            "[--resource R] [--min-time S] [--chunk BYTES] [--no-fuse]\n       bench_ingest "
            "expo FILE [--resource R] [--min-time S] [--copies K]\n"
            "(modes and options: the comment at the top of bench/bench_ingest.c)\n");
    return 2;
  }
  const char *mode = argv[1], *file = argv[2], *resource = "pods", *events = NULL;
  double min_time = 2.0;
  static state s;
  s.fuse = true;
  for (int i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "--no-fuse"))
      s.fuse = false;
    else if (i + 1 >= argc)
      break;
    else if (!strcmp(argv[i], "--resource"))
      resource = argv[++i];
    else if (!strcmp(argv[i], "--min-time"))
      min_time = atof(argv[++i]);
    else if (!strcmp(argv[i], "--events"))
      events = argv[++i];
    else if (!strcmp(argv[i], "--copies"))
      s.copies = (size_t)atol(argv[++i]);
    else if (!strcmp(argv[i], "--chunk"))
      s.chunk = (size_t)atol(argv[++i]);
  }
  if (!s.chunk) s.chunk = 16384;
  if (bench_load(file, &s.L) != 0) {
    fprintf(stderr, "bench_ingest: cannot read %s\n", file);
    return 1;
  }
  void (*pass)(void *) = NULL;
  if (!strcmp(mode, "churn")) {
    const ksmc_kind_desc *kind = ksmc_kind_find(resource);
    ksmc_render_opts o = {.kind = kind};
    FILE *ef = events ? fopen(events, "rb") : NULL;
    if (!kind || !ef || ksmc_render_ctx_init(&s.ctx, &o) != 0) {
      fprintf(stderr, "bench_ingest: churn needs --events FILE and a known resource\n");
      return 1;
    }
    fseek(ef, 0, SEEK_END);
    s.stream_len = (size_t)ftell(ef);
    rewind(ef);
    s.stream = malloc(s.stream_len ? s.stream_len : 1);
    if (!s.stream || fread(s.stream, 1, s.stream_len, ef) != s.stream_len) return 1;
    fclose(ef);
    double best, median;
    int passes;
    run_churn(&s, min_time, &best, &median, &passes);
    double n = (double)s.events;
    printf("mode=churn objects=%zu events=%zu upserts=%zu fast_deletes=%zu event_bytes=%zu "
           "prerendered=%zu passes=%d ns_per_event=%.1f median_ns_per_event=%.1f "
           "store_objects=%zu\n",
           s.L.n, s.events, s.upserts, s.deletes, s.stream_len, s.prerendered, passes,
           best * 1e9 / n, median * 1e9 / n, ksmc_store_count(s.store));
    ksmc_store_free(s.store);
    ksmc_render_ctx_free(&s.ctx);
    free(s.stream);
    return 0;
  }
  if (!strcmp(mode, "render")) {
    const ksmc_kind_desc *kind = ksmc_kind_find(resource);
    if (!kind) {
      fprintf(stderr, "bench_ingest: unknown resource %s\n", resource);
      return 1;
    }
    ksmc_render_opts o = {.kind = kind};
    if (ksmc_render_ctx_init(&s.ctx, &o) != 0) return 1;
    pass = pass_render;
  } else if (!strcmp(mode, "watch") || !strcmp(mode, "frame")) {
    const ksmc_kind_desc *kind = ksmc_kind_find(resource);
    ksmc_render_opts o = {.kind = kind};
    if (!kind || ksmc_render_ctx_init(&s.ctx, &o) != 0) return 1;
    s.render = !strcmp(mode, "watch");
    build_stream(&s);
    pass = pass_watch;
  } else if (!strcmp(mode, "expo")) {
    const ksmc_kind_desc *kind = ksmc_kind_find(resource);
    ksmc_render_opts o = {.kind = kind};
    if (!kind || ksmc_render_ctx_init(&s.ctx, &o) != 0) return 1;
    if (!s.copies) s.copies = 1;
    expo_store(&s);
    pass = pass_expo;
  } else if (!strcmp(mode, "jsmn")) {
    s.ntok = 4096;
    s.tok = malloc(s.ntok * sizeof *s.tok);
    pass = pass_jsmn;
  } else if (!strcmp(mode, "scan")) {
    pass = pass_scan;
  } else if (!strcmp(mode, "scan64")) {
    pass = pass_scan64;
  } else {
    fprintf(stderr, "bench_ingest: unknown mode %s\n", mode);
    return 2;
  }
  pass(&s); /* warm-up: caches, buffers grown */
  double median;
  int passes;
  double best = bench_repeat(min_time, pass, &s, &median, &passes);
  if (s.expo) {
    double objects = (double)ksmc_store_count(s.store);
    printf("mode=expo objects=%.0f body_bytes=%zu passes=%d ns_per_object=%.1f "
           "median_ns_per_object=%.1f ms_per_body=%.2f mb_per_s=%.1f\n",
           objects, s.out_bytes, passes, best * 1e9 / objects, median * 1e9 / objects, best * 1e3,
           (double)s.out_bytes / best / 1e6);
    ksmc_expo_free(s.expo);
    ksmc_store_free(s.store);
    free(s.block);
    ksmc_render_ctx_free(&s.ctx);
    return s.sink == 1 ? 3 : 0;
  }
  double n = (double)s.L.n;
  printf("mode=%s objects=%zu bytes=%zu bytes_per_object=%.0f passes=%d ns_per_object=%.1f "
         "median_ns_per_object=%.1f mb_per_s=%.1f out_bytes_per_object=%.0f "
         "tokens_per_object=%.0f scanned_bytes=%zu\n",
         mode, s.L.n, s.L.payload, (double)s.L.payload / n, passes, best * 1e9 / n,
         median * 1e9 / n, (double)s.L.payload / best / 1e6, (double)s.out_bytes / n,
         (double)s.tokens / n, s.sink);
  if (s.ctx.opts.kind) ksmc_render_ctx_free(&s.ctx);
  free(s.stream);
  return s.sink == 1 ? 3 : 0; /* keeps the scan from being optimised away */
}
