/* ksmc_gen: primitives called by generated serializers (see ksmc_gen.h). */
#include "ksmc_gen.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ksmc_cron.h"
#include "ksmc_escape.h"
#include "ksmc_fmt.h"
#include "ksmc_gonum.h"
#include "ksmc_kube_names.h"
#include "ksmc_labels.h"
#include "ksmc_quantity.h"
#include "ksmc_time.h"

int ksmc_tok_skip(const ksmc_render_ctx *ctx, int t) {
  int pending = 1; /* values still to pass, including the one at t */
  while (pending > 0 && (unsigned)t < ctx->ntok) {
    const jsmntok_t *k = &ctx->tok[t++];
    pending--;
    if (k->type == JSMN_OBJECT)
      pending += 2 * k->size;
    else if (k->type == JSMN_ARRAY)
      pending += k->size;
  }
  return t;
}

int ksmc_key_lookup_at(ksmc_render_ctx *ctx, size_t start, size_t len, const ksmc_slice *keys,
                       size_t n) {
  ksmc_sv raw = {ctx->json + start, len, KSMC_SV_JSON};
  for (size_t i = 0; i < n; i++)
    if (ksmc_sv_eq_lit_any(ctx, raw, keys[i].p, keys[i].n)) return (int)i;
  return -1;
}

bool ksmc_sv_in(ksmc_render_ctx *ctx, ksmc_sv v, const ksmc_slice *list, size_t n) {
  if (v.kind == KSMC_SV_NONE) return false;
  ksmc_slice s = ksmc_sv_decode(ctx, v, 0);
  for (size_t i = 0; i < n; i++)
    if (list[i].n == s.n && memcmp(list[i].p, s.p, s.n) == 0) return true;
  return false;
}

/* Out of line also here (GCC would inline it into callers in this file, giving each of them
 * the slow path's register saves). */
__attribute__((noinline)) ksmc_slice ksmc_sv_decode_json(ksmc_render_ctx *ctx, ksmc_sv v,
                                                         int slot) {
  /* Decoded only when it carries JSON escapes or bytes that decoding would change. */
  if (ksmc_json_is_plain(v.p, v.n)) return (ksmc_slice){v.p, v.n};
  ksmc_buf *b = slot ? &ctx->scratch2 : &ctx->scratch;
  ksmc_buf_reset(b);
  ksmc_json_unescape(b, v.p, v.n);
  return (ksmc_slice){b->p ? b->p : "", b->n};
}

bool ksmc_sv_eq_lit_any(ksmc_render_ctx *ctx, ksmc_sv a, const char *lit, size_t n) {
  if (a.kind == KSMC_SV_NONE) return false;
  /* Raw bytes that decode to themselves (the common case) compare as they are. */
  if (a.kind <= KSMC_SV_CLEAN || ksmc_json_is_plain(a.p, a.n))
    return a.n == n && memcmp(a.p, lit, n) == 0;
  ksmc_slice s = ksmc_sv_decode(ctx, a, 0);
  return s.n == n && memcmp(s.p, lit, n) == 0;
}

bool ksmc_sv_eq_any(ksmc_render_ctx *ctx, ksmc_sv a, ksmc_sv b) {
  if (a.kind == KSMC_SV_NONE || b.kind == KSMC_SV_NONE) return false;
  /* Identical bytes of the same kind decode identically. */
  if (a.kind == b.kind && a.n == b.n && memcmp(a.p, b.p, a.n) == 0) return true;
  ksmc_slice x = ksmc_sv_decode(ctx, a, 0);
  ksmc_slice y = ksmc_sv_decode(ctx, b, 1);
  return x.n == y.n && memcmp(x.p, y.p, x.n) == 0;
}

double ksmc_num_tok(const ksmc_render_ctx *ctx, int t) {
  if (t < 0 || ctx->tok[t].type != JSMN_PRIMITIVE) return 0;
  const jsmntok_t *k = &ctx->tok[t];
  const char *p = ctx->json + k->start;
  size_t n = (size_t)(k->end - k->start);
  if (p[0] == 't') return 1;
  if (p[0] == 'f' || p[0] == 'n') return 0;
  /* Fast path: small non-negative or negative integers. */
  size_t i = p[0] == '-';
  if (n - i > 0 && n - i <= 15) {
    int64_t v = 0;
    size_t j = i;
    for (; j < n && p[j] >= '0' && p[j] <= '9'; j++) v = v * 10 + (p[j] - '0');
    if (j == n) return i ? -(double)v : (double)v;
  }
  char tmp[64];
  if (n >= sizeof tmp) n = sizeof tmp - 1;
  memcpy(tmp, p, n);
  tmp[n] = '\0';
  return strtod(tmp, NULL);
}

bool ksmc_bool_tok(const ksmc_render_ctx *ctx, int t) {
  return t >= 0 && ctx->tok[t].type == JSMN_PRIMITIVE && ctx->json[ctx->tok[t].start] == 't';
}

/* Parses a timestamp token; false when absent or malformed (warning counted). */
static bool ts_parse(ksmc_render_ctx *ctx, int t, int64_t *unix_sec) {
  if (t < 0) return false;
  if (ctx->tok[t].type != JSMN_STRING) {
    ksmc_render_warn(ctx, "timestamp is not a string", t);
    return false;
  }
  ksmc_slice s = ksmc_sv_decode(ctx, ksmc_sv_tok(ctx, t), 0); /* CLEAN: no call */
  /* The API server's 20-byte form, as the last one parsed: its value without parsing
   * (an object's conditions, start and container times are mostly one or two instants). */
  if (s.n == sizeof ctx->ts_last && ctx->ts_last_ok && !memcmp(s.p, ctx->ts_last, s.n)) {
    *unix_sec = ctx->ts_last_sec;
    return true;
  }
  if (!ksmc_time_parse_rfc3339(s.p, s.n, unix_sec)) {
    ksmc_render_warn(ctx, "malformed RFC3339 timestamp", t);
    return false;
  }
  if (s.n == sizeof ctx->ts_last) {
    memcpy(ctx->ts_last, s.p, s.n);
    ctx->ts_last_sec = *unix_sec;
    ctx->ts_last_ok = true;
  }
  return true;
}

double ksmc_ts_tok(ksmc_render_ctx *ctx, int t) {
  int64_t v;
  return ts_parse(ctx, t, &v) ? (double)v : (double)KSMC_TIME_ZERO_UNIX;
}

bool ksmc_ts_nonzero(ksmc_render_ctx *ctx, int t) {
  int64_t v;
  return ts_parse(ctx, t, &v) && v != KSMC_TIME_ZERO_UNIX;
}

/* Reads a quantity token with conv; a malformed one drops the sample. */
static double qty(ksmc_render_ctx *ctx, int t, bool (*conv)(const char *, size_t, double *)) {
  if (t < 0) return 0;
  ksmc_slice s = ksmc_sv_decode(ctx, ksmc_sv_tok(ctx, t), 0); /* CLEAN: no call */
  double v;
  if (ctx->tok[t].type == JSMN_STRING && conv(s.p, s.n, &v)) return v;
  if (ctx->tok[t].type == JSMN_PRIMITIVE && conv(s.p, s.n, &v)) return v;
  ksmc_render_warn(ctx, "malformed quantity", t);
  ctx->sample_drop = true;
  return 0;
}

double ksmc_qty_tok(ksmc_render_ctx *ctx, int t) { return qty(ctx, t, ksmc_quantity_float); }

double ksmc_qty_int_tok(ksmc_render_ctx *ctx, int t) { return qty(ctx, t, ksmc_quantity_int); }

double ksmc_qty_approx_tok(ksmc_render_ctx *ctx, int t) {
  return qty(ctx, t, ksmc_quantity_approx);
}

double ksmc_fn_number(ksmc_render_ctx *ctx, ksmc_sv v) {
  double d;
  if (v.kind != KSMC_SV_NONE) {
    ksmc_slice s = ksmc_sv_decode(ctx, v, 0);
    if (ksmc_go_parse_float(s.p, s.n, &d)) return d;
  }
  ctx->sample_drop = true;
  return 0;
}

/* Parses a cron spec string value with the context's zone cache. */
static bool cron_parse(ksmc_render_ctx *ctx, ksmc_sv spec, ksmc_cron_sched *s) {
  if (spec.kind == KSMC_SV_NONE) return false;
  if (!ctx->cron && !(ctx->cron = ksmc_cron_ctx_from_env())) {
    ctx->out.oom = true;
    return false;
  }
  ksmc_slice v = ksmc_sv_decode(ctx, spec, 1);
  return ksmc_cron_parse(ctx->cron, v.p, v.n, s, NULL, 0);
}

double ksmc_fn_cron_next(ksmc_render_ctx *ctx, ksmc_sv spec, double from) {
  ksmc_cron_sched s;
  if (!cron_parse(ctx, spec, &s)) {
    ctx->sample_drop = true;
    return 0;
  }
  return (double)ksmc_cron_next(&s, (int64_t)from);
}

bool ksmc_fn_cron_valid(ksmc_render_ctx *ctx, ksmc_sv spec) {
  ksmc_cron_sched s;
  return cron_parse(ctx, spec, &s);
}

double ksmc_fn_scaled_int_or_percent(ksmc_render_ctx *ctx, int t, double total, bool round_up) {
  if (t < 0) {
    ctx->sample_drop = true; /* "nil value for IntOrString" */
    return 0;
  }
  const jsmntok_t *k = &ctx->tok[t];
  ksmc_slice s = ksmc_sv_decode(ctx, ksmc_sv_tok(ctx, t), 0);
  int64_t v;
  bool is_string = k->type == JSMN_STRING;
  if ((is_string || k->type == JSMN_PRIMITIVE) &&
      ksmc_intstr_scaled(s.p, s.n, is_string, (int64_t)total, round_up, &v))
    return (double)v;
  ksmc_render_warn(ctx, "invalid IntOrString", t);
  ctx->sample_drop = true;
  return 0;
}

double ksmc_fn_base64_len(ksmc_render_ctx *ctx, int t) {
  if (t < 0) return 0;
  const jsmntok_t *k = &ctx->tok[t];
  if (k->type == JSMN_PRIMITIVE && k->end - k->start == 4 &&
      !memcmp(ctx->json + k->start, "null", 4))
    return 0;
  size_t n;
  if (k->type == JSMN_STRING) {
    ksmc_slice s = ksmc_sv_decode(ctx, ksmc_sv_tok(ctx, t), 0);
    if (ksmc_go_base64_len(s.p, s.n, &n)) return (double)n;
  }
  ksmc_render_warn(ctx, "invalid base64", t);
  ctx->sample_drop = true;
  return 0;
}

static ksmc_buf *slot_buf(ksmc_render_ctx *ctx, int slot) {
  return slot ? &ctx->scratch2 : &ctx->scratch;
}

/* True if every byte of p[0..n) is one SanitizeLabelName keeps ([a-zA-Z0-9_]). */
static bool label_word(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9') && c != '_')
      return false;
  }
  return true;
}

ksmc_sv ksmc_fn_sanitize(ksmc_render_ctx *ctx, ksmc_sv v, int slot) {
  if (v.kind == KSMC_SV_NONE) return v;
  /* A name in the document's bytes that is already valid is returned as it is (bytes in a
   * scratch slot are copied: the caller may reuse that slot while using the result). */
  uintptr_t at = (uintptr_t)v.p, json = (uintptr_t)ctx->json;
  if (v.kind <= KSMC_SV_CLEAN && at >= json && at + v.n <= json + ctx->json_len &&
      label_word(v.p, v.n))
    return ksmc_sv_clean(v.p, v.n);
  ksmc_slice s = ksmc_sv_decode(ctx, v, slot);
  /* Decoding may have used the same slot: sanitize from a copy in the private slot. */
  ksmc_buf *tmp = &ctx->scratch3;
  ksmc_buf_reset(tmp);
  ksmc_buf_put(tmp, s.p, s.n);
  if (ksmc_buf_failed(tmp)) ctx->out.oom = true; /* the render fails with KSMC_E_NOMEM */
  ksmc_buf *b = slot_buf(ctx, slot);
  ksmc_buf_reset(b);
  ksmc_label_sanitize(b, tmp->p ? tmp->p : "", tmp->n);
  return ksmc_sv_clean(b->p ? b->p : "", b->n); /* [a-zA-Z0-9_] only */
}

size_t ksmc_fn_resource_units(ksmc_render_ctx *ctx, ksmc_sv v, ksmc_slice out[3]) {
  if (v.kind == KSMC_SV_NONE) return 0;
  ksmc_slice s = ksmc_sv_decode(ctx, v, 0);
  return ksmc_resource_units(s.p, s.n, out);
}

ksmc_sv ksmc_fn_ip_family(ksmc_render_ctx *ctx, ksmc_sv v) {
  if (v.kind == KSMC_SV_NONE) return v;
  ksmc_slice s = ksmc_sv_decode(ctx, v, 0);
  ksmc_slice f = ksmc_ip_family(s.p, s.n);
  return f.n ? ksmc_sv_clean(f.p, f.n) : ksmc_sv_none(); /* "4" or "6" */
}

bool ksmc_fn_has_prefix(ksmc_render_ctx *ctx, ksmc_sv v, const char *lit, size_t n) {
  if (v.kind == KSMC_SV_NONE) return false;
  ksmc_slice s = ksmc_sv_decode(ctx, v, 0);
  return s.n >= n && memcmp(s.p, lit, n) == 0;
}

ksmc_sv ksmc_fn_trim_prefix(ksmc_render_ctx *ctx, ksmc_sv v, const char *lit, size_t n, int slot) {
  if (v.kind == KSMC_SV_NONE) return v;
  ksmc_slice s = ksmc_sv_decode(ctx, v, slot);
  if (s.n >= n && memcmp(s.p, lit, n) == 0) return ksmc_sv_lit(s.p + n, s.n - n);
  return ksmc_sv_lit(s.p, s.n);
}

void ksmc_fn_join_add(ksmc_render_ctx *ctx, ksmc_buf *acc, ksmc_sv v, const char *sep, size_t n) {
  if (v.kind == KSMC_SV_NONE) return;
  ksmc_slice s = ksmc_sv_decode(ctx, v, 0);
  if (acc->n) ksmc_buf_put(acc, sep, n);
  ksmc_buf_put(acc, s.p, s.n);
}

ksmc_sv ksmc_fn_join_end(ksmc_render_ctx *ctx, ksmc_buf *acc) {
  if (ksmc_buf_failed(acc)) ctx->out.oom = true;
  char *p = acc->n ? ksmc_arena_alloc(ctx, acc->n, 1) : NULL;
  size_t n = p ? acc->n : 0;
  if (p) memcpy(p, acc->p, n);
  ksmc_buf_free(acc);
  return ksmc_sv_lit(p ? p : "", n);
}

ksmc_sv ksmc_fn_concat(ksmc_render_ctx *ctx, const ksmc_sv *parts, size_t n, int slot) {
  /* Parts may point into the destination slot: join in the private slot first. */
  ksmc_buf *joined = &ctx->scratch3;
  ksmc_buf_reset(joined);
  for (size_t i = 0; i < n; i++) {
    if (parts[i].kind == KSMC_SV_NONE) return ksmc_sv_none();
    if (parts[i].kind == KSMC_SV_JSON)
      ksmc_json_unescape(joined, parts[i].p, parts[i].n);
    else
      ksmc_buf_put(joined, parts[i].p, parts[i].n);
  }
  if (ksmc_buf_failed(joined)) ctx->out.oom = true;
  ksmc_buf *b = slot_buf(ctx, slot);
  ksmc_buf_reset(b);
  ksmc_buf_put(b, joined->p ? joined->p : "", joined->n);
  return ksmc_sv_lit(b->p ? b->p : "", b->n);
}

/* Escapes v into buffer b as a label value. */
static void put_label_value(ksmc_buf *b, ksmc_sv v) {
  if (v.kind == KSMC_SV_JSON)
    ksmc_escape_json_to_label_value(b, v.p, v.n);
  else if (v.kind == KSMC_SV_PLAIN)
    ksmc_escape_label_value(b, v.p, v.n);
  else if (v.kind == KSMC_SV_CLEAN)
    ksmc_buf_put(b, v.p, v.n);
}

void ksmc_prefix_label(ksmc_render_ctx *ctx, const char *lit, size_t n, ksmc_sv v) {
  ksmc_buf_put(&ctx->prefix, lit, n);
  put_label_value(&ctx->prefix, v);
  ksmc_buf_putc(&ctx->prefix, '"');
}

void ksmc_sample_label_any(ksmc_render_ctx *ctx, const char *lit, size_t n, ksmc_sv v) {
  if (v.kind == KSMC_SV_NONE) {
    ctx->sample_drop = true;
    return;
  }
  ksmc_buf_put(&ctx->out, lit, n);
  put_label_value(&ctx->out, v);
  ksmc_buf_putc(&ctx->out, '"');
}

/* Collects the map's entries selected by the allowlist into ctx->kv (decoded into
 * ctx->scratch, which is not touched again until the labels are written). */
static size_t collect_kv(ksmc_render_ctx *ctx, int map_tok, const ksmc_allowlist_entry *allow,
                         bool allow_all) {
  if (!ksmc_tok_is(ctx, map_tok, JSMN_OBJECT)) return 0;
  map_tok = ksmc_tok_expand(ctx, map_tok);
  if (map_tok < 0) return 0;
  int n = ctx->tok[map_tok].size;
  if ((size_t)n > ctx->kv_cap) {
    ksmc_kv *kv = realloc(ctx->kv, (size_t)n * sizeof *kv);
    if (!kv) {
      ctx->out.oom = true;
      return 0;
    }
    ctx->kv = kv;
    ctx->kv_cap = (size_t)n;
  }
  /* First pass: decode into scratch, remembering offsets (scratch may move). */
  ksmc_buf *b = &ctx->scratch;
  ksmc_buf_reset(b);
  size_t cnt = 0;
  int t = map_tok + 1;
  for (int i = 0; i < n; i++) {
    int val = t + 1;
    ksmc_sv k = ksmc_sv_tok(ctx, t);
    size_t koff = b->n;
    if (k.kind == KSMC_SV_JSON)
      ksmc_json_unescape(b, k.p, k.n);
    else
      ksmc_buf_put(b, k.p, k.n);
    size_t klen = b->n - koff;
    if (allow_all || ksmc_allowlist_match(allow, b->p ? b->p + koff : "", klen)) {
      ksmc_sv v = ksmc_sv_tok(ctx, ksmc_tok_value(ctx, val));
      size_t voff = b->n;
      if (v.kind == KSMC_SV_JSON)
        ksmc_json_unescape(b, v.p, v.n);
      else
        ksmc_buf_put(b, v.p, v.n);
      ctx->kv[cnt].key = (ksmc_slice){(const char *)(uintptr_t)koff, klen};
      ctx->kv[cnt].value = (ksmc_slice){(const char *)(uintptr_t)voff, b->n - voff};
      cnt++;
    } else {
      b->n = koff;
    }
    t = ksmc_tok_skip(ctx, val);
  }
  /* Offsets -> pointers, now that scratch is final. Only empty keys and values (e.g.
   * "labels":{"":""}) leave a fresh scratch unallocated: NULL + 0 is undefined, so they
   * point into "" (fuzz_render, regressions/fuzz_render/empty-label-key-and-value). */
  const char *base = b->p ? b->p : "";
  for (size_t i = 0; i < cnt; i++) {
    ctx->kv[i].key.p = base + (uintptr_t)ctx->kv[i].key.p;
    ctx->kv[i].value.p = base + (uintptr_t)ctx->kv[i].value.p;
  }
  return cnt;
}

bool ksmc_sample_dynamic(ksmc_render_ctx *ctx, int map_tok, const char *prefix,
                         const ksmc_allowlist_entry *allow, bool allow_all, bool open) {
  size_t n = collect_kv(ctx, map_tok, allow, allow_all);
  if (n == 0 || ksmc_buf_failed(&ctx->scratch)) return false;
  ksmc_kv_sort(ctx->kv, n);
  size_t at = ctx->out.n;
  ksmc_labels_write_dynamic(&ctx->out, prefix, ctx->kv, n, &ctx->scratch2);
  if (open && ctx->out.n > at) ctx->out.p[at] = '{';
  return ctx->out.n > at;
}

/* `}` when close, a space, the value as ksmc_fmt_value writes it, newline: one room check. */
static void write_value(ksmc_render_ctx *ctx, double value, bool close) {
  ksmc_buf *b = &ctx->out;
  if (b->cap - b->n < KSMC_FMT_G_MAX + 3 && !ksmc_buf_reserve(b, KSMC_FMT_G_MAX + 3)) return;
  char *w = b->p + b->n;
  if (close) *w++ = '}';
  *w++ = ' ';
  if (value == 0) /* KSM prints -0 as "0" too (ksmc_fmt_value) */
    *w++ = '0';
  else
    w += ksmc_fmt_g(w, value);
  *w++ = '\n';
  b->n = (size_t)(w - b->p);
}

void ksmc_sample_end_any(ksmc_render_ctx *ctx, double value, bool close) {
  if (ctx->sample_drop) {
    ksmc_buf_truncate(&ctx->out, ctx->sample_mark);
    return;
  }
  write_value(ctx, value, close);
}

/* True if the line [start, end) already occurs as a whole line in [from, start). */
static bool line_seen(const char *p, size_t from, size_t start, size_t end) {
  size_t len = end - start;
  size_t i = from;
  while (i < start) {
    const char *nl = memchr(p + i, '\n', start - i);
    size_t line_end = nl ? (size_t)(nl - p) + 1 : start;
    if (line_end - i == len && memcmp(p + i, p + start, len) == 0) return true;
    i = line_end;
  }
  return false;
}

void ksmc_sample_end_distinct(ksmc_render_ctx *ctx, double value, bool close, size_t family_start) {
  ksmc_sample_end(ctx, value, close);
  if (ctx->sample_drop || ksmc_buf_failed(&ctx->out)) return;
  if (line_seen(ctx->out.p, family_start, ctx->sample_mark, ctx->out.n))
    ksmc_buf_truncate(&ctx->out, ctx->sample_mark);
}

/* ---- custom resources ------------------------------------------------------------------ */

static bool ieq(const char *p, size_t n, const char *lit) {
  size_t m = strlen(lit);
  if (n != m) return false;
  for (size_t i = 0; i < n; i++) {
    char c = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] - 'A' + 'a') : p[i];
    if (c != lit[i]) return false;
  }
  return true;
}

/* strconv.ParseFloat of the whole of p[0..n): false when anything is left over. */
static bool parse_float(const char *p, size_t n, double *out) {
  char tmp[128];
  if (n == 0 || n >= sizeof tmp) return false;
  memcpy(tmp, p, n);
  tmp[n] = '\0';
  if (tmp[0] == ' ' || tmp[0] == '\t' || tmp[0] == '\n') return false; /* strtod skips them */
  char *end;
  errno = 0;
  double v = strtod(tmp, &end);
  if (*end || errno == ERANGE) return false;
  *out = v;
  return true;
}

double ksmc_fn_crs_number(ksmc_render_ctx *ctx, int t) {
  if (t < 0) return 0;
  const jsmntok_t *k = &ctx->tok[t];
  double v = 0;
  if (k->type == JSMN_PRIMITIVE) {
    const char *p = ctx->json + k->start;
    if (p[0] == 't' || p[0] == 'f' || p[0] == 'n') return p[0] == 't';
    if (parse_float(p, (size_t)(k->end - k->start), &v)) return v;
  } else if (k->type == JSMN_STRING) {
    ksmc_slice s = ksmc_sv_decode(ctx, ksmc_sv_tok(ctx, t), 0);
    int64_t unix_sec;
    if (ieq(s.p, s.n, "true") || ieq(s.p, s.n, "yes")) return 1;
    if (ieq(s.p, s.n, "false") || ieq(s.p, s.n, "no") || ieq(s.p, s.n, "unknown")) return 0;
    if (ksmc_time_parse_rfc3339(s.p, s.n, &unix_sec)) return (double)unix_sec;
    if (s.n > 1 && s.p[s.n - 1] == '%' && parse_float(s.p, s.n - 1, &v)) return v / 100;
    if (ksmc_quantity_float(s.p, s.n, &v)) return v;
    if (parse_float(s.p, s.n, &v)) return v;
  }
  ksmc_render_warn(ctx, "value is not a number", t);
  ctx->sample_drop = true;
  return 0;
}

/* ---- whole families every kind has ------------------------------------------------- */

void ksmc_family_timestamp(ksmc_render_ctx *ctx, const char *name, size_t n, int ts, bool close) {
  int64_t v; /* parsed once: ksmc_ts_nonzero, then its value */
  if (!ts_parse(ctx, ts, &v) || v == KSMC_TIME_ZERO_UNIX) return;
  ksmc_sample_begin(ctx, name, n);
  ksmc_sample_end(ctx, (double)v, close);
}

void ksmc_family_allowlisted(ksmc_render_ctx *ctx, const char *name, size_t n, int map,
                             const char *prefix, const ksmc_allowlist_entry *allow,
                             bool static_labels) {
  if (!allow || allow->npatterns == 0) return; /* no allowlist */
  ksmc_sample_begin(ctx, name, n);
  bool open = ksmc_sample_dynamic(ctx, map, prefix, allow, false, !static_labels);
  ksmc_sample_end(ctx, 1.0, static_labels ? true : open);
}
