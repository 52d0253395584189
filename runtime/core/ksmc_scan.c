/* ksmc_scan: on-demand tokenizing of an object's JSON (see ksmc_gen.h, "scanning").
 *
 * Generated walkers move a byte position through the objects and arrays their families
 * read. Values they keep are tokenized (jsmn on just that value's bytes, or one token
 * for a scalar); everything else -- managedFields, env, probes, volumes' sources... -- is
 * passed over by a string-aware bracket scan that creates no tokens at all (64 bytes per
 * step, ksmc_skip.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ksmc_gen.h"
#include "ksmc_skip.h"

static bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* Inline: API servers send compact JSON, so the first byte is almost never blank (every
 * blank is <= ' '). */
static inline size_t skip_ws(const ksmc_render_ctx *ctx, size_t p) {
  if (p < ctx->json_len && (unsigned char)ctx->json[p] > ' ') return p;
  while (p < ctx->json_len && is_ws(ctx->json[p])) p++;
  return p;
}

/* Records the first scan error (with its byte offset) and returns the end of input so
 * every walker unwinds at once. */
static size_t scan_fail(ksmc_render_ctx *ctx, size_t p, const char *what) {
  if (!ctx->scan_failed) {
    ctx->scan_failed = true;
    ctx->err_offset = p;
    snprintf(ctx->err, sizeof ctx->err, "%s at byte offset %zu", what, p);
  }
  return ctx->json_len;
}

/* Nonzero if a byte of the 8-byte word w equals the byte repeated in `rep` (SWAR). */
static inline uint64_t has_byte(uint64_t w, uint64_t rep) {
  uint64_t x = w ^ rep;
  return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

#define REP(c) (0x0101010101010101ULL * (unsigned char)(c))

/* End of the string whose opening quote is at p (index after the closing quote). Sixteen
 * bytes per SSE2 compare while they fit (keys and most values end in the first), then
 * eight at a time; the lowest bit of has_byte's mask is exact (false positives only
 * appear above a real match), so it jumps straight to the first quote or backslash. */
/* (string_end_from: the opening quote is at p, bytes before i are known plain; *esc is set
 * when a backslash is met.) */
static inline size_t string_end_from(ksmc_render_ctx *ctx, size_t p, size_t i, bool *esc) {
  const unsigned char *s = (const unsigned char *)ctx->json;
  size_t n = ctx->json_len;
  while (ksmc_quote_or_backslash16(ctx->json, &i, n)) {
    if (s[i] == '"') return i + 1;
    *esc = true;
    i += 2; /* a backslash and the byte it escapes */
  }
  for (;;) {
    for (uint64_t w, m; i + 8 <= n; i += 8) {
      memcpy(&w, s + i, 8);
      m = has_byte(w, REP('"')) | has_byte(w, REP('\\'));
      if (m) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        i += (size_t)__builtin_ctzll(m) >> 3;
#endif
        break;
      }
    }
    while (i < n && s[i] != '"' && s[i] != '\\') i++;
    if (i >= n) return scan_fail(ctx, p, "unterminated string");
    if (s[i] == '"') return i + 1;
    *esc = true;
    i += 2; /* a backslash and the byte it escapes */
  }
}

static inline size_t string_end_esc(ksmc_render_ctx *ctx, size_t p, bool *esc) {
  return string_end_from(ctx, p, p + 1, esc);
}

static inline size_t string_end(ksmc_render_ctx *ctx, size_t p) {
  bool esc;
  return string_end_esc(ctx, p, &esc);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* True if s[0..n) is a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool valid_number(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && s[i] == '-') i++;
  if (i >= n || !is_digit(s[i])) return false;
  if (s[i++] != '0')
    while (i < n && is_digit(s[i])) i++;
  if (i < n && s[i] == '.') {
    if (++i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    if (++i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) i++;
  }
  return i == n;
}

/* End of a number/true/false/null starting at p. Anything else (a bare word, stray bytes:
 * JSON Go would reject) is an error, so no unchecked byte ever reaches a label value. */
static size_t primitive_end(ksmc_render_ctx *ctx, size_t p) {
  size_t i = p;
  while (i < ctx->json_len) {
    char c = ctx->json[i];
    if (c == ',' || c == '}' || c == ']' || is_ws(c)) break;
    i++;
  }
  const char *s = ctx->json + p;
  size_t n = i - p;
  if (n == 0) return scan_fail(ctx, p, "expected a value");
  if (!valid_number(s, n) && !(n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "null", 4))) &&
      !(n == 5 && !memcmp(s, "false", 5)))
    return scan_fail(ctx, p, "invalid JSON value");
  return i;
}

/* ksmc_skip_value's container skip in a prefix render (ksmc_render_object_prefix): strict
 * (where the plain skip would guess at a backslash outside a string, this one fails the
 * render) and recorded. Where it succeeds it ends where the plain skip ends: the masks are
 * exact up to the close. */
static __attribute__((noinline)) size_t skip_recorded(ksmc_render_ctx *ctx, size_t p) {
  size_t end =
      ksmc_skip_container_isa(ctx->json, ctx->json_len, p, KSMC_MAX_DEPTH, true, KSMC_SKIP_AUTO);
  if (end == KSMC_SKIP_UNSURE)
    return scan_fail(ctx, p, "backslash outside a string (prefix render)");
  if (!end) return scan_fail(ctx, p, "unterminated or too deeply nested object or array");
  if (end - p >= KSMC_RENDER_SPAN_MIN && ctx->nspans < KSMC_RENDER_SPANS)
    ctx->spans[ctx->nspans++] = (ksmc_skip_span){p, end};
  return end;
}

size_t ksmc_skip_value(ksmc_render_ctx *ctx, size_t p) {
  p = skip_ws(ctx, p);
  if (p >= ctx->json_len) return scan_fail(ctx, p, "unexpected end of input");
  char c = ctx->json[p];
  if (c == '"') return string_end(ctx, p);
  if (c != '{' && c != '[') return primitive_end(ctx, p);
  if (ctx->prefix_render) return skip_recorded(ctx, p);
  size_t end = ksmc_skip_container(ctx->json, ctx->json_len, p, KSMC_MAX_DEPTH);
  if (!end) return scan_fail(ctx, p, "unterminated or too deeply nested object or array");
  return end;
}

/* A new token slot (the array grows as needed); -1 when memory runs out. */
static inline int new_token(ksmc_render_ctx *ctx) {
  if (ctx->ntok == ctx->ntok_cap && !ksmc_tok_reserve(ctx, 1)) return -1;
  return (int)ctx->ntok++;
}

static inline int scalar_token(ksmc_render_ctx *ctx, jsmntype_t type, size_t start, size_t end) {
  int t = new_token(ctx);
  if (t < 0) return -1;
  bool container = type == JSMN_OBJECT || type == JSMN_ARRAY;
  ctx->tok[t] = (jsmntok_t){type, (int)start, (int)end, 0, container ? KSMC_DEFERRED : -1};
  return t;
}

/* Tokenizes the container [p, end) with jsmn, appending its tokens. */
static int container_tokens(ksmc_render_ctx *ctx, size_t p, size_t end) {
  for (;;) {
    jsmn_parser jp;
    jsmn_init(&jp);
    unsigned base = ctx->ntok;
    int r = jsmn_parse(&jp, ctx->json + p, end - p, ctx->tok + base, ctx->ntok_cap - base);
    if (r == JSMN_ERROR_NOMEM) {
      if (!ksmc_tok_reserve(ctx, ctx->ntok_cap)) return -1;
      continue;
    }
    if (r < 0) {
      scan_fail(ctx, p + jp.pos, "invalid JSON");
      return -1;
    }
    /* jsmn does not check that keys and values alternate: {"a""b"} parses as an object
     * of two keys without values, and walkers pairing keys with values would run past
     * the object's tokens. Every member of an object must be a string key with exactly
     * one child (its value), and no other string may have children. */
    for (int i = 0; i < r; i++) {
      const jsmntok_t *t = &ctx->tok[base + (unsigned)i];
      bool is_key = t->parent >= 0 && ctx->tok[base + (unsigned)t->parent].type == JSMN_OBJECT;
      if (is_key ? t->type != JSMN_STRING || t->size != 1 : t->type == JSMN_STRING && t->size) {
        scan_fail(ctx, p + (size_t)t->start, "invalid JSON (a key without a value)");
        return -1;
      }
    }
    for (int i = 0; i < r; i++) {
      jsmntok_t *t = &ctx->tok[base + (unsigned)i];
      t->start += (int)p;
      t->end += (int)p;
      if (t->parent >= 0) t->parent += (int)base;
    }
    ctx->ntok = base + (unsigned)r;
    return (int)base;
  }
}

int ksmc_tok_expand(ksmc_render_ctx *ctx, int t) {
  if (t < 0 || (ctx->tok[t].type != JSMN_OBJECT && ctx->tok[t].type != JSMN_ARRAY)) return t;
  if (ctx->tok[t].size >= 0 && ctx->tok[t].parent != KSMC_DEFERRED) return t;
  return container_tokens(ctx, (size_t)ctx->tok[t].start, (size_t)ctx->tok[t].end);
}

/* ksmc_scan_leaf_at's general path (containers, other scalars, errors): out of line, so the
 * fast paths save no registers for it. */
static __attribute__((noinline)) ksmc_leaf scan_leaf_general(ksmc_render_ctx *ctx, size_t p) {
  size_t end = ksmc_skip_value(ctx, p);
  return (ksmc_leaf){end, ksmc_leaf_token(ctx, p, end)};
}

ksmc_leaf ksmc_scan_leaf_at(ksmc_render_ctx *ctx, size_t at) {
  size_t p = skip_ws(ctx, at);
#ifdef __SSE2__
  /* Fast path: a string CLEAN up to its closing quote within 256 bytes (names, phases,
   * timestamps, images, uids) is found and checked at once, 16 bytes per step. */
  if (p < ctx->json_len && ctx->json[p] == '"' && !ctx->scan_failed) {
    const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), vn = _mm_set1_epi8('\n');
    for (size_t i = p + 1; i + 16 <= ctx->json_len && i < p + 257; i += 16) {
      __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(ctx->json + i));
      unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, vq));
      unsigned d = (unsigned)_mm_movemask_epi8(/* b: the sign bit is >= 0x80 */
                                               _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, vb),
                                                                         _mm_cmpeq_epi8(b, vn)),
                                                            b));
      if (d & ((q & (0 - q)) - 1)) break; /* not CLEAN before the quote (or the step's end) */
      if (!q) continue;
      size_t end = i + (size_t)__builtin_ctz(q);
      int t = scalar_token(ctx, JSMN_STRING, p + 1, end);
      if (t >= 0) ctx->tok[t].size = KSMC_TOK_CLEAN;
      return (ksmc_leaf){end + 1, t};
    }
  }
  /* Fast path: an unsigned integer or true/false ended by `,` `}` `]` or a blank within 16
   * bytes (restartCount, ready, hostNetwork...): the end primitive_end would find and the
   * check valid_number would make, in one step; anything else (signs, fractions, exponents,
   * leading zeros, null, longer or invalid values) takes the general path. */
  if (p + 16 <= ctx->json_len && !ctx->scan_failed &&
      ((unsigned char)(ctx->json[p] - '0') <= 9 || ctx->json[p] == 't' || ctx->json[p] == 'f')) {
    const char *j = ctx->json + p;
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)j);
    __m128i end_set =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8(',')),
                                               _mm_cmpeq_epi8(b, _mm_set1_epi8('}'))),
                                  _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8(']')),
                                               _mm_cmpeq_epi8(b, _mm_set1_epi8(' ')))),
                     _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('\n')),
                                               _mm_cmpeq_epi8(b, _mm_set1_epi8('\r'))),
                                  _mm_cmpeq_epi8(b, _mm_set1_epi8('\t'))));
    unsigned e = (unsigned)_mm_movemask_epi8(end_set);
    if (e) {
      unsigned k = (unsigned)__builtin_ctz(e), before = (1u << k) - 1;
      unsigned dig = (unsigned)_mm_movemask_epi8(_mm_and_si128(
          _mm_cmpgt_epi8(b, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(b, _mm_set1_epi8('9' + 1))));
      bool ok = (dig & before) == before ? k == 1 || j[0] != '0'
                                         : (k == 4 && memcmp(j, "true", 4) == 0) ||
                                               (k == 5 && memcmp(j, "false", 5) == 0);
      if (ok) {
        int t = scalar_token(ctx, JSMN_PRIMITIVE, p, p + k);
        if (t >= 0) ctx->tok[t].size = KSMC_TOK_CLEAN;
        return (ksmc_leaf){p + k, t};
      }
    }
  }
#endif
  return scan_leaf_general(ctx, p);
}

/* True if the string bytes json[start..end) are CLEAN (ksmc_sv_kind): no backslash, `"`,
 * LF or byte >= 0x80. Sixteen bytes per SSE2 step, reading past `end` only while the step
 * stays inside the document (the bytes past `end` are masked off). */
static inline bool clean_string(const ksmc_render_ctx *ctx, size_t start, size_t end) {
  const unsigned char *s = (const unsigned char *)ctx->json;
  size_t i = start;
#ifdef __SSE2__
  const __m128i vb = _mm_set1_epi8('\\'), vq = _mm_set1_epi8('"'), vn = _mm_set1_epi8('\n');
  for (; i < end && i + 16 <= ctx->json_len; i += 16) {
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, vb), _mm_cmpeq_epi8(b, vq)),
                               _mm_or_si128(_mm_cmpeq_epi8(b, vn), b)); /* sign bit: >= 0x80 */
    unsigned m = (unsigned)_mm_movemask_epi8(hit);
    if (end - i < 16) m &= (1u << (end - i)) - 1;
    if (m) return false;
  }
#endif
  for (; i < end; i++)
    if (s[i] == '\\' || s[i] == '"' || s[i] == '\n' || s[i] >= 0x80) return false;
  return true;
}

int ksmc_leaf_token(ksmc_render_ctx *ctx, size_t start, size_t end) {
  if (ctx->scan_failed) return -1;
  size_t p = skip_ws(ctx, start);
  char c = ctx->json[p];
  if (c == '"') {
    int t = scalar_token(ctx, JSMN_STRING, p + 1, end - 1);
    if (t >= 0 && clean_string(ctx, p + 1, end - 1)) ctx->tok[t].size = KSMC_TOK_CLEAN;
    return t;
  }
  if (c == '{' || c == '[') /* children are tokenized on demand (ksmc_tok_expand) */
    return scalar_token(ctx, c == '{' ? JSMN_OBJECT : JSMN_ARRAY, p, end);
  if (c == 'n') return -1;                           /* null reads as absent */
  int t = scalar_token(ctx, JSMN_PRIMITIVE, p, end); /* validated by primitive_end */
  if (t >= 0) ctx->tok[t].size = KSMC_TOK_CLEAN;
  return t;
}

size_t ksmc_obj_open_any(ksmc_render_ctx *ctx, size_t p) {
  p = skip_ws(ctx, p);
  if (p >= ctx->json_len || ctx->json[p] != '{') return KSMC_NOT_THIS;
  return p + 1;
}

size_t ksmc_arr_open_any(ksmc_render_ctx *ctx, size_t p) {
  p = skip_ws(ctx, p);
  if (p >= ctx->json_len || ctx->json[p] != '[') return KSMC_NOT_THIS;
  return p + 1;
}

/* Moves past a `,` between members; true if another member follows, false at `close`
 * (position after it). */
static bool next_member(ksmc_render_ctx *ctx, size_t *pos, char close, bool first) {
  size_t p = skip_ws(ctx, *pos);
  if (p >= ctx->json_len) {
    *pos = scan_fail(ctx, p, "unexpected end of input");
    return false;
  }
  if (ctx->json[p] == close) {
    *pos = p + 1;
    return false;
  }
  if (!first) {
    if (ctx->json[p] != ',') {
      *pos = scan_fail(ctx, p, "expected ',' or a closing bracket");
      return false;
    }
    p = skip_ws(ctx, p + 1);
    if (p >= ctx->json_len) { /* `,` then the end: callers read json[p] */
      *pos = scan_fail(ctx, p, "unexpected end of input");
      return false;
    }
  }
  *pos = p;
  return true;
}

/* ksmc_obj_key's general path (its inline part has tried compact JSON already): blanks,
 * escaped keys, the end of input, errors (reported exactly). */
bool ksmc_obj_key_any(ksmc_render_ctx *ctx, size_t *pos, ksmc_key *key) {
  size_t p = *pos;
  const char *j = ctx->json;
  bool first = p > 0 && j[p - 1] == '{';
  if (ctx->scan_failed || !next_member(ctx, &p, '}', first)) {
    *pos = ctx->scan_failed ? ctx->json_len : p;
    return false;
  }
  if (j[p] != '"') {
    *pos = scan_fail(ctx, p, "expected a string key");
    return false;
  }
  bool esc = false;
  size_t end = string_end_esc(ctx, p, &esc);
  if (ctx->scan_failed) return (*pos = ctx->json_len, false);
  *key = (ksmc_key){p + 1, end - 1 - (p + 1), esc};
  p = skip_ws(ctx, end);
  if (p >= ctx->json_len || j[p] != ':') {
    *pos = scan_fail(ctx, p, "expected ':' after a key");
    return false;
  }
  *pos = skip_ws(ctx, p + 1);
  return true;
}

/* A key of compact JSON whose opening quote is at ks and whose first 16 bytes hold no quote
 * or backslash: the rest of it, then `:` (anything else: the general path). */
bool ksmc_obj_key_long(ksmc_render_ctx *ctx, size_t ks, size_t *pos, ksmc_key *key) {
  bool esc = false;
  size_t end = string_end_from(ctx, ks, ks + 17, &esc); /* after the 16 checked bytes */
  if (ctx->scan_failed || end >= ctx->json_len || ctx->json[end] != ':')
    return ksmc_obj_key_any(ctx, pos, key);
  *key = (ksmc_key){ks + 1, end - 1 - (ks + 1), esc};
  *pos = skip_ws(ctx, end + 1);
  return true;
}

int ksmc_key_token_at(ksmc_render_ctx *ctx, size_t start, size_t len, bool esc) {
  int t = scalar_token(ctx, JSMN_STRING, start, start + len);
  if (t >= 0 && !esc && clean_string(ctx, start, start + len)) ctx->tok[t].size = KSMC_TOK_CLEAN;
  return t;
}

bool ksmc_arr_next_any(ksmc_render_ctx *ctx, size_t *pos) {
  size_t p = *pos;
  bool first = p > 0 && ctx->json[p - 1] == '[';
  /* compact JSON (`,` then a value) was ksmc_arr_next's inline part */
  if (ctx->scan_failed || !next_member(ctx, &p, ']', first)) {
    *pos = ctx->scan_failed ? ctx->json_len : p;
    return false;
  }
  *pos = p;
  return true;
}

int ksmc_render_scanned(ksmc_render_ctx *ctx, size_t end) {
  if (ctx->prefix_render) { /* the bytes after the object are not its own */
    ctx->prefix_end = end;
    return ctx->scan_failed ? KSMC_E_JSON : KSMC_OK;
  }
  if (!ctx->scan_failed && skip_ws(ctx, end) != ctx->json_len)
    scan_fail(ctx, skip_ws(ctx, end), "unexpected data after the object");
  return ctx->scan_failed ? KSMC_E_JSON : KSMC_OK;
}
