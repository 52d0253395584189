/* ksmc_render: render contexts and the object frame (tokenize, metadata, finish). */
#include "ksmc_render.h"

#include "ksmc_cron.h"

#include <stdio.h>
#include <stdlib.h>

#include "ksmc_escape.h"
#include "ksmc_gen.h"

#define ARENA_BLOCK (64 * 1024)

/* Arena blocks form a list; the first stays allocated between objects. */
typedef struct arena_block {
  struct arena_block *next;
  size_t cap;
  size_t used;
  max_align_t data[];
} arena_block;

const char *ksmc_strerror(int err) {
  static const char *const msgs[] = {
#define KSMC_ERR_MSG(code, msg) msg,
      KSMC_ERRORS(KSMC_ERR_MSG)
#undef KSMC_ERR_MSG
  };
  if (err < 0 || (size_t)err >= sizeof msgs / sizeof msgs[0]) return "unknown error";
  return msgs[err];
}

void ksmc_family_defaults(const ksmc_kind_desc *kind, bool *flags) {
  for (size_t i = 0; i < kind->nfamilies; i++) flags[i] = !kind->families[i].opt_in;
}

int ksmc_render_ctx_init(ksmc_render_ctx *ctx, const ksmc_render_opts *opts) {
  memset(ctx, 0, sizeof *ctx);
  ctx->opts = *opts;
  size_t nf = opts->kind->nfamilies;
  ctx->fam_end = calloc(nf ? nf : 1, sizeof *ctx->fam_end);
  ctx->enabled = calloc(nf ? nf : 1, sizeof *ctx->enabled);
  if (!ctx->fam_end || !ctx->enabled) {
    ksmc_render_ctx_free(ctx);
    return KSMC_E_NOMEM;
  }
  if (opts->family_enabled)
    memcpy(ctx->enabled, opts->family_enabled, nf * sizeof *ctx->enabled);
  else
    ksmc_family_defaults(opts->kind, ctx->enabled);
  return KSMC_OK;
}

static void arena_free_all(ksmc_render_ctx *ctx) {
  arena_block *b = ctx->arena;
  while (b) {
    arena_block *next = b->next;
    free(b);
    b = next;
  }
  ctx->arena = NULL;
}

void ksmc_render_ctx_free(ksmc_render_ctx *ctx) {
  ksmc_buf_free(&ctx->out);
  ksmc_buf_free(&ctx->uid);
  ksmc_buf_free(&ctx->name);
  ksmc_buf_free(&ctx->ns);
  ksmc_buf_free(&ctx->rv);
  ksmc_buf_free(&ctx->prefix);
  ksmc_buf_free(&ctx->scratch);
  ksmc_buf_free(&ctx->scratch2);
  ksmc_buf_free(&ctx->scratch3);
  free(ctx->fam_end);
  free(ctx->enabled);
  free(ctx->tok);
  free(ctx->kv);
  arena_free_all(ctx);
  ksmc_cron_ctx_free(ctx->cron);
  memset(ctx, 0, sizeof *ctx);
}

int ksmc_render_object(ksmc_render_ctx *ctx, const char *json, size_t len) {
  return ctx->opts.kind->render(ctx, json, len);
}

int ksmc_render_object_prefix(ksmc_render_ctx *ctx, const char *json, size_t avail, size_t *end) {
  ctx->prefix_render = true;
  ctx->nspans = 0;
  int rc = ctx->opts.kind->render(ctx, json, avail);
  ctx->prefix_render = false;
  *end = ctx->prefix_end;
  return rc;
}

/* Frees every arena block but the oldest, which is kept (emptied) for the next object. */
static void arena_reset(ksmc_render_ctx *ctx) {
  arena_block *b = ctx->arena;
  while (b && b->next) {
    arena_block *next = b->next;
    free(b);
    b = next;
  }
  ctx->arena = b;
  if (b) b->used = 0;
}

/* ksmc_arena_alloc without the zeroing (for ksmc_items_grow: its items are initialised by
 * the caller, and the slots past n are not read). */
static void *arena_alloc_raw(ksmc_render_ctx *ctx, size_t n, size_t sz) {
  if (n && sz > (SIZE_MAX - sizeof(max_align_t)) / n) return NULL;
  size_t align = sizeof(max_align_t);
  size_t need = (n * sz + align - 1) / align * align;
  arena_block *b = ctx->arena;
  if (!b || b->cap - b->used < need) {
    size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;
    arena_block *nb = malloc(sizeof *nb + cap);
    if (!nb) {
      ctx->out.oom = true;
      return NULL;
    }
    nb->cap = cap;
    nb->used = 0;
    nb->next = b;
    ctx->arena = b = nb;
  }
  void *p = (char *)b->data + b->used;
  b->used += need;
  return p;
}

void *ksmc_arena_alloc(ksmc_render_ctx *ctx, size_t n, size_t sz) {
  void *p = arena_alloc_raw(ctx, n, sz);
  if (p && n != 0 && sz != 0) memset(p, 0, n * sz);
  return p;
}

void *ksmc_items_grow(ksmc_render_ctx *ctx, ksmc_items *it, uint32_t *cap, size_t sz) {
  size_t align = sizeof(max_align_t);
  uint32_t ncap = *cap ? *cap * 2 : 4;
  if (ncap <= *cap || (size_t)ncap > (SIZE_MAX - align) / sz) return NULL;
  size_t old_need = ((size_t)*cap * sz + align - 1) / align * align;
  size_t new_need = ((size_t)ncap * sz + align - 1) / align * align;
  arena_block *b = ctx->arena;
  if (it->items && b && (char *)it->items + old_need == (char *)b->data + b->used &&
      b->cap - b->used >= new_need - old_need) {
    b->used += new_need - old_need; /* the array is the newest allocation: grow in place */
  } else {
    void *grown = arena_alloc_raw(ctx, ncap, sz);
    if (!grown) return NULL;
    if (it->n) memcpy(grown, it->items, (size_t)it->n * sz);
    it->items = grown;
  }
  *cap = ncap;
  return (char *)it->items + (size_t)it->n++ * sz;
}

bool ksmc_tok_reserve(ksmc_render_ctx *ctx, unsigned extra) {
  if (ctx->ntok_cap - ctx->ntok >= extra) return true;
  unsigned cap = ctx->ntok_cap ? ctx->ntok_cap : 1024;
  while (cap - ctx->ntok < extra) {
    if (cap > (1u << 26)) return false;
    cap *= 2;
  }
  jsmntok_t *t = realloc(ctx->tok, cap * sizeof *t);
  if (!t) {
    ctx->out.oom = true;
    return false;
  }
  ctx->tok = t;
  ctx->ntok_cap = cap;
  return true;
}

static void reset_object(ksmc_render_ctx *ctx) {
  ksmc_buf_reset(&ctx->out);
  ksmc_buf_reset(&ctx->prefix);
  ksmc_buf_reset(&ctx->uid);
  ksmc_buf_reset(&ctx->name);
  ksmc_buf_reset(&ctx->ns);
  ksmc_buf_reset(&ctx->rv);
  ctx->err[0] = '\0';
  ctx->err_offset = 0;
  ctx->warn[0] = '\0';
  ctx->warnings = 0;
  arena_reset(ctx);
  memset(ctx->fam_end, 0, ctx->opts.kind->nfamilies * sizeof *ctx->fam_end);
}

int ksmc_render_begin(ksmc_render_ctx *ctx, const char *json, size_t len) {
  reset_object(ctx);
  ctx->json = json;
  ctx->json_len = len;
  if (ctx->opts.max_object_bytes && len > ctx->opts.max_object_bytes) {
    snprintf(ctx->err, sizeof ctx->err, "object of %zu bytes exceeds the limit of %zu", len,
             ctx->opts.max_object_bytes);
    return KSMC_E_TOO_BIG;
  }
  if (len > INT32_MAX) {
    snprintf(ctx->err, sizeof ctx->err, "object of %zu bytes is too large", len);
    return KSMC_E_TOO_BIG;
  }
  ctx->ntok = 0;
  ctx->scan_failed = false;
  size_t p = 0;
  while (p < len && (json[p] == ' ' || json[p] == '\n' || json[p] == '\r' || json[p] == '\t')) p++;
  if (p == len || json[p] != '{') {
    snprintf(ctx->err, sizeof ctx->err, "expected a JSON object at byte offset %zu", p);
    ctx->err_offset = p;
    return KSMC_E_NOT_OBJECT;
  }
  return KSMC_OK;
}

/* Copies the decoded string of token t into b ("" when absent). */
static void copy_decoded(ksmc_render_ctx *ctx, int t, ksmc_buf *b) {
  ksmc_buf_reset(b);
  ksmc_sv v = ksmc_sv_tok(ctx, t);
  if (v.kind == KSMC_SV_JSON)
    ksmc_json_unescape(b, v.p, v.n);
  else
    ksmc_buf_put(b, v.p, v.n);
  ksmc_buf_cstr(b);
}

int ksmc_render_meta(ksmc_render_ctx *ctx, int kind_tok, const char *kind, int uid_tok,
                     int name_tok, int ns_tok, int rv_tok) {
  if (kind_tok >= 0 && !ksmc_sv_eq_lit(ctx, ksmc_sv_tok(ctx, kind_tok), kind, strlen(kind))) {
    ksmc_slice got = ksmc_sv_decode(ctx, ksmc_sv_tok(ctx, kind_tok), 0);
    snprintf(ctx->err, sizeof ctx->err, "object is a %.*s, not a %s",
             (int)(got.n > 64 ? 64 : got.n), got.p, kind);
    return KSMC_E_KIND;
  }
  copy_decoded(ctx, uid_tok, &ctx->uid);
  copy_decoded(ctx, name_tok, &ctx->name);
  copy_decoded(ctx, ns_tok, &ctx->ns);
  copy_decoded(ctx, rv_tok, &ctx->rv);
  return KSMC_OK;
}

int ksmc_render_finish(ksmc_render_ctx *ctx) {
  if (ctx->scan_failed) { /* found while a family expanded a value it reads; err is set */
    ksmc_buf_reset(&ctx->out);
    return KSMC_E_JSON;
  }
  if (ksmc_buf_failed(&ctx->out) || ksmc_buf_failed(&ctx->prefix) ||
      ksmc_buf_failed(&ctx->scratch) || ksmc_buf_failed(&ctx->scratch2)) {
    ksmc_buf_reset(&ctx->out);
    snprintf(ctx->err, sizeof ctx->err, "out of memory rendering the object");
    return KSMC_E_NOMEM;
  }
  return KSMC_OK;
}

void ksmc_render_warn(ksmc_render_ctx *ctx, const char *what, int tok) {
  if (ctx->warnings++ == 0) {
    int off = tok >= 0 ? ctx->tok[tok].start : -1;
    snprintf(ctx->warn, sizeof ctx->warn, "%s at byte offset %d", what, off);
  }
}
