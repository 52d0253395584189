/* ksmc_gen: the primitives generated serializers are made of.
 *
 * Generated code (generated/<kind>.c) walks an object's jsmn tokens once into a "view"
 * (token indexes of the fields its families read, and arrays of item views for the
 * arrays and maps they iterate), then writes each family's samples with the calls below.
 * Everything here is small and inline or lives in ksmc_gen.c; escaping, number
 * formatting and the exposition syntax are not repeated in generated code.
 *
 * A token index < 0 means "absent" (missing key or JSON null), which reads as Go's zero
 * value: "" for strings, 0 for numbers, false for booleans, the zero time for timestamps. */
#ifndef KSMC_GEN_H
#define KSMC_GEN_H

#include <jsmn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ksmc_buf.h"
#include "ksmc_render.h"

/* A string value: bytes of a JSON string token still JSON-escaped (KSMC_SV_JSON), plain
 * bytes (KSMC_SV_PLAIN), plain bytes known to need no label escaping either (KSMC_SV_CLEAN:
 * ASCII without `\`, `"` or LF, so written and compared as they are), or no value at all
 * (KSMC_SV_NONE: a partial function such as ip_family found nothing, which drops the sample
 * being written). PLAIN and CLEAN are the decoded kinds (kind <= KSMC_SV_CLEAN). */
typedef enum { KSMC_SV_PLAIN, KSMC_SV_CLEAN, KSMC_SV_JSON, KSMC_SV_NONE } ksmc_sv_kind;

typedef struct {
  const char *p;
  size_t n;
  ksmc_sv_kind kind;
} ksmc_sv;

/* Items of an iterated array or map, allocated in the render arena for one object. */
typedef struct {
  void *items;
  uint32_t n;
} ksmc_items;

/* The few inline functions below that every walker and family calls for each member or
 * sample: always inlined, also in the large generated files, where GCC's unit growth limit
 * would otherwise leave out-of-line copies (a call per key or sample, and a walker's
 * position and key passed through memory). */
#if defined(__GNUC__)
#define KSMC_HOT_INLINE __attribute__((always_inline))
#else
#define KSMC_HOT_INLINE
#endif

/* ---- scanning ---------------------------------------------------------------------- */

/* Generated walkers move a byte position through the object. Only values they keep are
 * tokenized; every other value is skipped by a string-aware bracket scan (ksmc_scan.c).
 * A malformed document sets ctx->scan_failed (first error in ctx->err) and every call
 * then returns the end of input, so walkers unwind without further checks. */
#define KSMC_NOT_THIS ((size_t)-1)
#define KSMC_MAX_DEPTH 1000000

/* End of the value starting at p (after leading whitespace). */
size_t ksmc_skip_value(ksmc_render_ctx *ctx, size_t p);

/* What ksmc_scan_leaf_at found: the position after the value and its token. */
typedef struct {
  size_t pos;
  int tok;
} ksmc_leaf;

/* ksmc_scan_leaf for the value at p (called by it; both results in registers). */
ksmc_leaf ksmc_scan_leaf_at(ksmc_render_ctx *ctx, size_t p);

/* Makes one token for the value at *pos and moves *pos past it. Returns its token index,
 * or -1 for null or an error. An object or array token covers the value's bytes but its
 * children are not tokenized (parent == KSMC_DEFERRED) until ksmc_tok_expand. Inline, so
 * a walker's position never goes through memory (the walk is a chain of dependent loads:
 * each member starts where the previous value ended). */
static inline KSMC_HOT_INLINE int ksmc_scan_leaf(ksmc_render_ctx *ctx, size_t *pos) {
  ksmc_leaf l = ksmc_scan_leaf_at(ctx, *pos);
  *pos = l.pos;
  return l.tok;
}

/* As ksmc_scan_leaf for a value already walked: its token, for the value that starts at
 * `start` (after leading whitespace) and ends at `end` (what the walk returned). */
int ksmc_leaf_token(ksmc_render_ctx *ctx, size_t start, size_t end);

/* Marks a container token whose children are not tokenized yet. */
#define KSMC_DEFERRED (-2)

/* In the `size` of a string or primitive token made by the scanner (never set by jsmn):
 * its raw bytes are CLEAN (see ksmc_sv_kind), checked once when the token is made (every
 * primitive the scanner makes is a validated number or literal), so every use of the
 * value (label, comparison) copies or compares the bytes without looking at them again. */
#define KSMC_TOK_CLEAN (1 << 30)

/* For a deferred container token: tokenizes its children with jsmn and returns the index
 * of the fully tokenized copy (children follow it); other tokens are returned as is. */
int ksmc_tok_expand(ksmc_render_ctx *ctx, int t);

/* ksmc_obj_open / ksmc_arr_open when json[p] is not the `{` / `[` (called by them): blanks
 * first, other types. */
size_t ksmc_obj_open_any(ksmc_render_ctx *ctx, size_t p);
size_t ksmc_arr_open_any(ksmc_render_ctx *ctx, size_t p);

/* Position after the `{` (or `[`) of the value at p, or KSMC_NOT_THIS when the value is
 * of another type (callers then skip it). */
static inline KSMC_HOT_INLINE size_t ksmc_obj_open(ksmc_render_ctx *ctx, size_t p) {
  if (p < ctx->json_len && ctx->json[p] == '{') return p + 1;
  return ksmc_obj_open_any(ctx, p);
}
static inline KSMC_HOT_INLINE size_t ksmc_arr_open(ksmc_render_ctx *ctx, size_t p) {
  if (p < ctx->json_len && ctx->json[p] == '[') return p + 1;
  return ksmc_arr_open_any(ctx, p);
}

/* An object member's key as ksmc_obj_key found it: the raw bytes json[start, start + len)
 * between its quotes, and whether they hold a backslash (`esc`: only then can the decoded
 * key differ from the bytes, so only then do matchers call ksmc_key_lookup). */
typedef struct {
  size_t start;
  size_t len;
  bool esc;
} ksmc_key;

/* ksmc_obj_key for every case its inline part does not take (called by it): blanks, keys
 * with a backslash, the end of input, errors (reported exactly). */
bool ksmc_obj_key_any(ksmc_render_ctx *ctx, size_t *pos, ksmc_key *key);

/* ksmc_obj_key for a key of compact JSON whose opening quote is at ks and whose first 16
 * bytes hold no quote or backslash (called by it): the rest of the key, then `:` (anything
 * else: as ksmc_obj_key_any from *pos). */
bool ksmc_obj_key_long(ksmc_render_ctx *ctx, size_t ks, size_t *pos, ksmc_key *key);

/* Next member of an object opened with ksmc_obj_open: true with *key the member's key and
 * *pos at its value; false at the closing `}` (*pos after it). Makes no token.
 *
 * Inline for compact JSON (what API servers send): `,"key":v` (or `"key":v` right after
 * the `{`) with a key that ends within one 16-byte SSE2 step and holds no backslash, and
 * the closing `}`. The position and the key then stay in the walker's registers (the
 * general path gets copies), and a walker pays no call per member. */
static inline KSMC_HOT_INLINE bool ksmc_obj_key(ksmc_render_ctx *ctx, size_t *pos, ksmc_key *key) {
  size_t p = *pos;
#ifdef __SSE2__
  const char *j = ctx->json;
  if (p + 20 <= ctx->json_len && !ctx->scan_failed) {
    size_t ks; /* the key's opening quote */
    if (j[p] == ',' && j[p + 1] == '"')
      ks = p + 1;
    else if (j[p] == '"' && p > 0 && j[p - 1] == '{')
      ks = p;
    else if (j[p] == '}') { /* the object's end */
      *pos = p + 1;
      return false;
    } else
      goto general;
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(j + ks + 1));
    unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8('"')));
    unsigned bs = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8('\\')));
    if (q && !(bs & ((q & (0 - q)) - 1))) { /* a quote, no backslash before it */
      size_t len = (size_t)__builtin_ctz(q), colon = ks + 1 + len + 1; /* < p + 19 */
      if (j[colon] == ':' && (unsigned char)j[colon + 1] > ' ') {
        *key = (ksmc_key){ks + 1, len, false};
        *pos = colon + 1;
        return true;
      }
    } else if (!(q | bs)) { /* 16 bytes or more: the next 16 (the rest out of line) */
      if (p + 36 <= ctx->json_len) {
        b = _mm_loadu_si128((const __m128i *)(const void *)(j + ks + 17));
        q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8('"')));
        bs = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8('\\')));
        if (q && !(bs & ((q & (0 - q)) - 1))) {
          size_t len = 16 + (size_t)__builtin_ctz(q), colon = ks + 1 + len + 1; /* < p + 35 */
          if (j[colon] == ':' && (unsigned char)j[colon + 1] > ' ') {
            *key = (ksmc_key){ks + 1, len, false};
            *pos = colon + 1;
            return true;
          }
        }
      }
      size_t at = p;
      ksmc_key k;
      bool more = ksmc_obj_key_long(ctx, ks, &at, &k);
      *pos = at;
      *key = k;
      return more;
    }
  }
general :
#endif
{
  size_t at = p;
  ksmc_key k;
  bool more = ksmc_obj_key_any(ctx, &at, &k);
  *pos = at;
  *key = k;
  return more;
}
}

/* A string token for the key json[start, start + len) found by ksmc_obj_key (`esc`: it
 * holds a backslash); -1 when memory runs out. */
int ksmc_key_token_at(ksmc_render_ctx *ctx, size_t start, size_t len, bool esc);

/* A string token for a key found by ksmc_obj_key (map walkers keep their entries' keys);
 * -1 when memory runs out. */
static inline int ksmc_key_token(ksmc_render_ctx *ctx, const ksmc_key *key) {
  return ksmc_key_token_at(ctx, key->start, key->len, key->esc);
}

/* ksmc_arr_next for what its inline part does not take (called by it). */
bool ksmc_arr_next_any(ksmc_render_ctx *ctx, size_t *pos);

/* Next element of an array opened with ksmc_arr_open: true with *pos at it; false at the
 * closing `]` (*pos after it). Inline for compact JSON (`,` then a value, or the `]`). */
static inline KSMC_HOT_INLINE bool ksmc_arr_next(ksmc_render_ctx *ctx, size_t *pos) {
  size_t p = *pos;
  const char *j = ctx->json;
  if (p + 1 < ctx->json_len && p > 0 && !ctx->scan_failed && j[p - 1] != '[') {
    if (j[p] == ',' && (unsigned char)j[p + 1] > ' ' && j[p + 1] != ']') {
      *pos = p + 1;
      return true;
    }
    if (j[p] == ']') {
      *pos = p + 1;
      return false;
    }
  }
  size_t at = p;
  bool more = ksmc_arr_next_any(ctx, &at);
  *pos = at;
  return more;
}

/* Makes room for `extra` more tokens. False when memory runs out. */
bool ksmc_tok_reserve(ksmc_render_ctx *ctx, unsigned extra);

/* After the root walker returned `end`: KSMC_OK, or KSMC_E_JSON when the document was
 * malformed or has data after the object (message in ctx->err). In a prefix render
 * (ksmc_render_object_prefix) the bytes after `end` are not looked at: end is kept. */
int ksmc_render_scanned(ksmc_render_ctx *ctx, size_t end);

/* ---- tokens ------------------------------------------------------------------------ */

/* Index of the token after the value at t and everything nested in it. */
int ksmc_tok_skip(const ksmc_render_ctx *ctx, int t);

/* Index of the key json[start, start + len) among keys[0..n) compared after JSON
 * unescaping, or -1 (ksmc_key_lookup). */
int ksmc_key_lookup_at(ksmc_render_ctx *ctx, size_t start, size_t len, const ksmc_slice *keys,
                       size_t n);

/* Index of key k among keys[0..n) compared after JSON unescaping, or -1. The generated
 * matchers call it only for escaped keys (k->esc) their raw-byte switch did not match.
 * (Inline: the walker's key is passed by value, so it stays in registers.) */
static inline int ksmc_key_lookup(ksmc_render_ctx *ctx, const ksmc_key *k, const ksmc_slice *keys,
                                  size_t n) {
  return ksmc_key_lookup_at(ctx, k->start, k->len, keys, n);
}

/* True if t is present and of the given jsmn type. */
static inline bool ksmc_tok_is(const ksmc_render_ctx *ctx, int t, jsmntype_t type) {
  return t >= 0 && ctx->tok[t].type == type;
}

/* Allocates n zeroed items of size sz from the per-object arena (stable addresses until
 * the next object). Returns NULL (and marks the render failed) when memory runs out. */
void *ksmc_arena_alloc(ksmc_render_ctx *ctx, size_t n, size_t sz);

/* ksmc_items_push when the array is full (it->n == *cap): grows it, then pushes. */
void *ksmc_items_grow(ksmc_render_ctx *ctx, ksmc_items *it, uint32_t *cap, size_t sz);

/* Appends one item to an array of views filled in one pass (*cap: its capacity, 0 for a
 * new array): returns the new item (not initialised), it->items may move to a larger
 * arena allocation (doubling; grown in place while it is the arena's newest). Items
 * already filled must not hold pointers into the array. NULL when memory runs out. */
static inline void *ksmc_items_push(ksmc_render_ctx *ctx, ksmc_items *it, uint32_t *cap,
                                    size_t sz) {
  if (it->n == *cap) return ksmc_items_grow(ctx, it, cap, sz);
  return (char *)it->items + (size_t)it->n++ * sz;
}

/* Normalises a value token: JSON null becomes absent (-1). */
static inline int ksmc_tok_value(const ksmc_render_ctx *ctx, int t) {
  const jsmntok_t *k = &ctx->tok[t];
  if (k->type == JSMN_PRIMITIVE && ctx->json[k->start] == 'n') return -1;
  return t;
}

/* ---- values ------------------------------------------------------------------------ */

/* The string value of token t: a JSON string's raw bytes (CLEAN when the token says so),
 * a number's or boolean's literal text, "" when absent. Objects and arrays read as "". */
static inline KSMC_HOT_INLINE ksmc_sv ksmc_sv_tok(const ksmc_render_ctx *ctx, int t) {
  if (t < 0) return (ksmc_sv){"", 0, KSMC_SV_CLEAN};
  const jsmntok_t *k = &ctx->tok[t];
  const char *p = ctx->json + k->start;
  size_t n = (size_t)(k->end - k->start);
  bool clean = (k->size & KSMC_TOK_CLEAN) != 0;
  if (k->type == JSMN_STRING) return (ksmc_sv){p, n, clean ? KSMC_SV_CLEAN : KSMC_SV_JSON};
  if (k->type == JSMN_PRIMITIVE) return (ksmc_sv){p, n, clean ? KSMC_SV_CLEAN : KSMC_SV_PLAIN};
  return (ksmc_sv){"", 0, KSMC_SV_CLEAN};
}

static inline ksmc_sv ksmc_sv_lit(const char *p, size_t n) {
  return (ksmc_sv){p, n, KSMC_SV_PLAIN};
}

/* A value whose bytes are known CLEAN (see ksmc_sv_kind): spec literals without `\`, `"`,
 * LF or non-ASCII bytes (the generator checks), label names, fixed words. */
static inline ksmc_sv ksmc_sv_clean(const char *p, size_t n) {
  return (ksmc_sv){p, n, KSMC_SV_CLEAN};
}

static inline ksmc_sv ksmc_sv_none(void) { return (ksmc_sv){"", 0, KSMC_SV_NONE}; }

/* ksmc_sv_decode of a KSMC_SV_JSON value (called by it): the bytes as they are when they
 * decode to themselves, else unescaped into scratch slot `slot`. */
ksmc_slice ksmc_sv_decode_json(ksmc_render_ctx *ctx, ksmc_sv v, int slot);

/* Decoded bytes of v (JSON escapes resolved into ctx scratch memory when needed). The
 * result stays valid until the next ksmc_sv_decode call on the same slot (0 or 1). Inline:
 * decoded kinds (PLAIN, CLEAN: nearly every value) and NONE ("") are returned as they are
 * without a call. */
static inline ksmc_slice ksmc_sv_decode(ksmc_render_ctx *ctx, ksmc_sv v, int slot) {
  if (v.kind != KSMC_SV_JSON) return (ksmc_slice){v.p, v.n};
  return ksmc_sv_decode_json(ctx, v, slot);
}

/* ksmc_sv_eq and ksmc_sv_eq_lit when a value may need decoding (called by them). */
bool ksmc_sv_eq_any(ksmc_render_ctx *ctx, ksmc_sv a, ksmc_sv b);
bool ksmc_sv_eq_lit_any(ksmc_render_ctx *ctx, ksmc_sv a, const char *lit, size_t n);

/* Decoded string equality. */
static inline bool ksmc_sv_eq(ksmc_render_ctx *ctx, ksmc_sv a, ksmc_sv b) {
  if (a.kind <= KSMC_SV_CLEAN && b.kind <= KSMC_SV_CLEAN)
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
  return ksmc_sv_eq_any(ctx, a, b);
}

/* Decoded string equality with a literal. */
static inline bool ksmc_sv_eq_lit(ksmc_render_ctx *ctx, ksmc_sv a, const char *lit, size_t n) {
  if (a.kind <= KSMC_SV_CLEAN) return a.n == n && memcmp(a.p, lit, n) == 0;
  return ksmc_sv_eq_lit_any(ctx, a, lit, n);
}

/* True if the decoded v equals one of list[0..n). */
bool ksmc_sv_in(ksmc_render_ctx *ctx, ksmc_sv v, const ksmc_slice *list, size_t n);

/* True unless v is "" (or absent). */
static inline bool ksmc_sv_nonempty(ksmc_sv v) { return v.kind != KSMC_SV_NONE && v.n > 0; }

/* The value of a JSON number or boolean token as float64 (true=1); 0 when absent or not
 * a number. Strings are not converted (Go would reject such an object). */
double ksmc_num_tok(const ksmc_render_ctx *ctx, int t);

/* True for the JSON literal true. */
bool ksmc_bool_tok(const ksmc_render_ctx *ctx, int t);

/* float64(t.Unix()) of an RFC3339 string token; the zero time (-62135596800) when absent.
 * A malformed timestamp counts a render warning and reads as the zero time. */
double ksmc_ts_tok(ksmc_render_ctx *ctx, int t);

/* True if the timestamp token is present and not Go's zero time. */
bool ksmc_ts_nonzero(ksmc_render_ctx *ctx, int t);

/* KSM's convertValueToFloat64 of a quantity token (0 when absent). A malformed quantity
 * counts a warning and drops the sample being written. */
double ksmc_qty_tok(ksmc_render_ctx *ctx, int t);

/* float64(Quantity.Value()) of a quantity token (0 when absent); malformed as above. */
double ksmc_qty_int_tok(ksmc_render_ctx *ctx, int t);

/* Quantity.AsApproximateFloat64() of a quantity token (ksmc_quantity_approx; 0 when
 * absent); malformed as above. */
double ksmc_qty_approx_tok(ksmc_render_ctx *ctx, int t);

/* ---- number functions -------------------------------------------------------------- */

/* strconv.ParseFloat(v, 64) (ksmc_go_parse_float); a string that does not parse drops
 * the sample being written. */
double ksmc_fn_number(ksmc_render_ctx *ctx, ksmc_sv v);

/* cron_next(spec, from): go-cron's ParseStandard(spec).Next(from) in Unix seconds
 * (ksmc_cron_parse, ksmc_cron_next; the zero time's -62135596800 when nothing matches
 * within five years). A spec that does not parse drops the sample being written. Zones
 * are loaded once per render context (ctx->cron, from $ZONEINFO and $TZ like Go). Reads
 * `spec` before decoding anything into scratch slot 1. */
double ksmc_fn_cron_next(ksmc_render_ctx *ctx, ksmc_sv spec, double from);

/* cron_valid(spec): spec parses as ksmc_fn_cron_next reads it. */
bool ksmc_fn_cron_valid(ksmc_render_ctx *ctx, ksmc_sv spec);

/* intstr.GetScaledValueFromIntOrPercent of an IntOrString token (a JSON number or a
 * "<n>%" string) against total (ksmc_intstr_scaled). Absent (Go's nil) or invalid drops
 * the sample being written; invalid also counts a render warning. */
double ksmc_fn_scaled_int_or_percent(ksmc_render_ctx *ctx, int t, double total, bool round_up);

/* len() of the []byte field in a JSON string token: the length after Go's base64
 * decoding (ksmc_go_base64_len). Absent or null (Go's nil slice) reads 0; a string that is
 * not valid base64, or a token that is not a string, counts a render warning and drops
 * the sample being written (Go fails to decode the whole object). */
double ksmc_fn_base64_len(ksmc_render_ctx *ctx, int t);

/* KSM CustomResourceStateMetrics' toFloat64 of any scalar token: numbers as float64,
 * booleans 1/0, strings "true"/"yes" 1 and "false"/"no"/"unknown" 0 (any case), RFC 3339
 * as Unix seconds, "N%" as N/100, quantities (MilliValue()/1000), else strconv.ParseFloat.
 * An absent token reads 0; anything unconvertible counts a warning and drops the sample
 * being written (CRS logs an error and writes no sample). */
double ksmc_fn_crs_number(ksmc_render_ctx *ctx, int t);

/* ---- string functions -------------------------------------------------------------- */

/* SanitizeLabelName(v), into scratch slot `slot` (CLEAN; v itself when it is a valid
 * name in the object's bytes). */
ksmc_sv ksmc_fn_sanitize(ksmc_render_ctx *ctx, ksmc_sv v, int slot);

/* Every KSM unit of a resource name (ksmc_resource_units); the `each:` source
 * resource_units(). Returns the count, units in out[0..2]. */
size_t ksmc_fn_resource_units(ksmc_render_ctx *ctx, ksmc_sv v, ksmc_slice out[3]);

/* "4"/"6" for a parseable IP address, none otherwise. */
ksmc_sv ksmc_fn_ip_family(ksmc_render_ctx *ctx, ksmc_sv v);

/* "true"/"false" (strconv.FormatBool) of a boolean token. */
static inline ksmc_sv ksmc_fn_format_bool(const ksmc_render_ctx *ctx, int t) {
  return ksmc_bool_tok(ctx, t) ? ksmc_sv_clean("true", 4) : ksmc_sv_clean("false", 5);
}

/* True if v starts with lit. */
bool ksmc_fn_has_prefix(ksmc_render_ctx *ctx, ksmc_sv v, const char *lit, size_t n);

/* v without the leading lit (v unchanged if it does not start with lit). */
ksmc_sv ksmc_fn_trim_prefix(ksmc_render_ctx *ctx, ksmc_sv v, const char *lit, size_t n, int slot);

/* join(): appends the decoded v to acc, after sep unless acc is still empty (KSM's
 * `if len(s) != 0 { s += "," }; s += x` loops; strings.Join unless leading elements are
 * ""). A NONE value is skipped. */
void ksmc_fn_join_add(ksmc_render_ctx *ctx, ksmc_buf *acc, ksmc_sv v, const char *sep, size_t n);

/* The joined string, copied into the object's arena; frees acc. */
ksmc_sv ksmc_fn_join_end(ksmc_render_ctx *ctx, ksmc_buf *acc);

/* Concatenation of n decoded values into scratch slot `slot`. */
ksmc_sv ksmc_fn_concat(ksmc_render_ctx *ctx, const ksmc_sv *parts, size_t n, int slot);

/* ---- samples ----------------------------------------------------------------------- */

/* Starts a sample line: `<name>` then the object's default labels (`{a="x",b="y"`; empty
 * when the kind has none). */
static inline KSMC_HOT_INLINE void ksmc_sample_begin(ksmc_render_ctx *ctx, const char *name,
                                                     size_t n) {
  ksmc_buf *b = &ctx->out;
  ctx->sample_mark = b->n;
  ctx->sample_drop = false;
  size_t need = n + ctx->prefix.n; /* one room check for both */
  if (b->cap - b->n < need && !ksmc_buf_reserve(b, need)) return;
  memcpy(b->p + b->n, name, n);
  if (ctx->prefix.n) memcpy(b->p + b->n + n, ctx->prefix.p, ctx->prefix.n);
  b->n += need;
}

/* Writes one default label into the object's prefix (`lit` is `{name="` or `,name="`).
 * A NONE value writes "". */
void ksmc_prefix_label(ksmc_render_ctx *ctx, const char *lit, size_t n, ksmc_sv v);

/* ksmc_sample_label for values that are not CLEAN (called by it). */
void ksmc_sample_label_any(ksmc_render_ctx *ctx, const char *lit, size_t n, ksmc_sv v);

/* Writes one label: `lit` is the precomputed `,name="` (or `{name="` for the first label
 * of a kind without default labels), then the escaped value and `"`. A value of kind
 * NONE marks the sample to be dropped. A CLEAN value is copied with one room check. */
static inline KSMC_HOT_INLINE void ksmc_sample_label(ksmc_render_ctx *ctx, const char *lit,
                                                     size_t n, ksmc_sv v) {
  if (v.kind != KSMC_SV_CLEAN) {
    ksmc_sample_label_any(ctx, lit, n, v);
    return;
  }
  ksmc_buf *b = &ctx->out;
  size_t need = n + v.n + 1;
  if (b->cap - b->n < need && !ksmc_buf_reserve(b, need)) return;
  char *w = b->p + b->n;
  memcpy(w, lit, n);
  memcpy(w + n, v.p, v.n);
  w[n + v.n] = '"';
  b->n += need;
}

/* Writes the dynamic labels of a map token (label_*, annotation_*, nodeselector_*): the
 * map's entries selected by `allow` (every entry when allow_all), sorted by raw key,
 * names sanitized with KSM's conflict rule. `open` writes `{` before the first pair
 * instead of `,` (for kinds without default labels). Returns true if anything was written. */
bool ksmc_sample_dynamic(ksmc_render_ctx *ctx, int map_tok, const char *prefix,
                         const ksmc_allowlist_entry *allow, bool allow_all, bool open);

/* ksmc_sample_end for any value (called by it). */
void ksmc_sample_end_any(ksmc_render_ctx *ctx, double value, bool close);

/* Ends the sample: `}` when `close`, a space, the value as KSM formats it, newline. A
 * dropped sample is erased. The values 1 and 0 of most samples are one 4-byte write. */
static inline KSMC_HOT_INLINE void ksmc_sample_end(ksmc_render_ctx *ctx, double value, bool close) {
  ksmc_buf *b = &ctx->out;
  if (close && !ctx->sample_drop && (value == 1.0 || value == 0.0) &&
      (b->cap - b->n >= 4 || ksmc_buf_reserve(b, 4))) {
    memcpy(b->p + b->n, value == 1.0 ? "} 1\n" : "} 0\n", 4); /* KSM prints -0 as 0 */
    b->n += 4;
    return;
  }
  ksmc_sample_end_any(ctx, value, close);
}

/* As ksmc_sample_end, but also erases the sample when an identical line (labels and
 * value) was already written for this family of this object. */
void ksmc_sample_end_distinct(ksmc_render_ctx *ctx, double value, bool close, size_t family_start);

/* Counts a non-fatal problem of this object (bad timestamp, quantity, ...). */
void ksmc_render_warn(ksmc_render_ctx *ctx, const char *what, int tok);

/* ---- whole families every kind has ------------------------------------------------- */
/* The emitter calls these instead of writing the same lines into every generated file. */

/* A family of one sample, the Unix seconds of timestamp token `ts`, none when it is absent
 * or the zero time (`kube_<kind>_created`, `..._deletion_timestamp`). `close` as in
 * ksmc_sample_end (false only for kinds without default labels). */
void ksmc_family_timestamp(ksmc_render_ctx *ctx, const char *name, size_t n, int ts, bool close);

/* A family of one sample of value 1 whose labels are the entries of map token `map`
 * selected by `allow` (`kube_<kind>_labels`, `..._annotations`; see ksmc_sample_dynamic);
 * none without an allowlist for this resource. `static_labels`: the kind has default
 * labels, so the dynamic ones continue them. */
void ksmc_family_allowlisted(ksmc_render_ctx *ctx, const char *name, size_t n, int map,
                             const char *prefix, const ksmc_allowlist_entry *allow,
                             bool static_labels);

/* ---- object frame ------------------------------------------------------------------ */

/* Tokenizes json into ctx (growing the token array as needed) and resets the per-object
 * state. Returns KSMC_OK or an error with ctx->err set (byte offset included). */
int ksmc_render_begin(ksmc_render_ctx *ctx, const char *json, size_t len);

/* Checks the object's kind token against the spec's kind (absent is fine), copies
 * uid/name/namespace/resourceVersion into ctx. Returns KSMC_OK or an error. */
int ksmc_render_meta(ksmc_render_ctx *ctx, int kind_tok, const char *kind, int uid_tok,
                     int name_tok, int ns_tok, int rv_tok);

/* Closes the object: checks for allocation failure. Returns KSMC_OK or KSMC_E_NOMEM. */
int ksmc_render_finish(ksmc_render_ctx *ctx);

/* Per family: true if the family is enabled in ctx's options. */
static inline bool ksmc_family_on(const ksmc_render_ctx *ctx, size_t i) { return ctx->enabled[i]; }

#endif
