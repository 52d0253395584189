/* emit_expr: typed spec expressions -> C expressions over views and runtime calls. */
#include <stdlib.h>
#include <string.h>

#include "emit_internal.h"

void sb_printf(sb *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (b->cap - b->n < (size_t)n + 1) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap - b->n < (size_t)n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) abort();
    b->p = p;
    b->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)n;
}

void sb_free(sb *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

const char *sb_str(const sb *b) { return b->p ? b->p : ""; }

void sb_cstr(sb *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      sb_printf(b, "\\%c", c);
    else if (c == '\n')
      sb_printf(b, "\\n");
    else if (c < 0x20 || c >= 0x7f)
      sb_printf(b, "\\%03o", c);
    else if (c == '?' && i + 1 < n && s[i + 1] == '?') /* no trigraphs */
      sb_printf(b, "?\"\"");
    else
      sb_printf(b, "%c", c);
  }
}

void sb_comment(sb *b, const char *text, size_t max) {
  size_t n = strlen(text);
  for (size_t i = 0; i < n && i < max; i++) {
    char c = text[i];
    if (c == '*' && text[i + 1] == '/') {
      sb_printf(b, "* ");
      continue;
    }
    if (c == '/' && text[i + 1] == '*') {
      sb_printf(b, "/ ");
      continue;
    }
    sb_printf(b, "%c", c == '\n' ? ' ' : c);
  }
  if (n > max) sb_printf(b, "...");
}

void view_type(sb *b, const view *v) { sb_printf(b, "v_%s_t", view_canonical(v)->cname); }

/* The C variable holding the view a path starts from. */
static void base_var(sb *b, const emit_scope *sc, const expr *e) {
  const path_ref *r = spec_path_ref(e);
  if (r->iterates && sc->agg_item)
    sb_printf(b, "%s", sc->agg_item);
  else if (r->var)
    sb_printf(b, "it_%s", r->var);
  else
    sb_printf(b, "v");
}

void emit_tok(sb *b, const emit_scope *sc, const expr *e) {
  const path_ref *r = spec_path_ref(e);
  base_var(b, sc, e);
  if (r->node == &r->v->root)
    sb_printf(b, "->_self");
  else
    sb_printf(b, "->%s", r->node->cname);
}

const char *sv_lit_ctor(const char *s) {
  for (; *s; s++)
    if (*s == '\\' || *s == '"' || *s == '\n' || (unsigned char)*s >= 0x80) return "ksmc_sv_lit";
  return "ksmc_sv_clean";
}

static void lit(sb *b, const char *s) {
  sb_printf(b, "\"");
  sb_cstr(b, s, strlen(s));
  sb_printf(b, "\", %zu", strlen(s));
}

static bool is_fn(const expr *e, const char *name) {
  return e->kind == E_CALL && !strcmp(e->str, name);
}

static void emit_agg_call(sb *b, const emit_scope *sc, const expr *e) {
  sb_printf(b, "agg_%d_%d(ctx, v", sc->fam_index, e->id);
  emit_agg_args(b, sc);
  sb_printf(b, ")");
}

static bool is_aggregate(const expr *e) {
  return is_fn(e, "first") || is_fn(e, "last") || is_fn(e, "max") || is_fn(e, "count") ||
         is_fn(e, "any") || is_fn(e, "join");
}

static void emit_if(sb *b, const emit_scope *sc, const expr *e, int slot,
                    void (*branch)(sb *, const emit_scope *, const expr *, int)) {
  sb_printf(b, "(");
  emit_bool(b, sc, e->args[0]);
  sb_printf(b, " ? ");
  branch(b, sc, e->args[1], slot);
  sb_printf(b, " : ");
  branch(b, sc, e->args[2], slot);
  sb_printf(b, ")");
}

static void sv_branch(sb *b, const emit_scope *sc, const expr *e, int slot) {
  emit_sv(b, sc, e, slot);
}

static void emit_sv_call(sb *b, const emit_scope *sc, const expr *e, int slot) {
  const char *f = e->str;
  if (is_aggregate(e)) {
    emit_agg_call(b, sc, e);
  } else if (!strcmp(f, "key")) {
    sb_printf(b, "ksmc_sv_tok(ctx, ");
    base_var(b, sc, e->args[0]);
    sb_printf(b, "->_key)");
  } else if (!strcmp(f, "format_bool")) {
    sb_printf(b, "ksmc_fn_format_bool(ctx, ");
    emit_tok(b, sc, e->args[0]);
    sb_printf(b, ")");
  } else if (!strcmp(f, "sanitize")) {
    sb_printf(b, "ksmc_fn_sanitize(ctx, ");
    emit_sv(b, sc, e->args[0], slot);
    sb_printf(b, ", %d)", slot);
  } else if (!strcmp(f, "ip_family")) {
    sb_printf(b, "ksmc_fn_%s(ctx, ", f);
    emit_sv(b, sc, e->args[0], slot);
    sb_printf(b, ")");
  } else if (!strcmp(f, "trim_prefix")) {
    sb_printf(b, "ksmc_fn_trim_prefix(ctx, ");
    emit_sv(b, sc, e->args[0], slot);
    sb_printf(b, ", ");
    lit(b, e->args[1]->str);
    sb_printf(b, ", %d)", slot);
  } else if (!strcmp(f, "concat")) {
    sb_printf(b, "ksmc_fn_concat(ctx, (ksmc_sv[]){");
    for (size_t i = 0; i < e->nargs; i++) {
      sb_printf(b, i ? ", " : "");
      emit_sv(b, sc, e->args[i], slot);
    }
    sb_printf(b, "}, %zu, %d)", e->nargs, slot);
  } else if (!strcmp(f, "if")) {
    emit_if(b, sc, e, slot, sv_branch);
  }
}

void emit_sv(sb *b, const emit_scope *sc, const expr *e, int slot) {
  switch (e->kind) {
  case E_STR:
    sb_printf(b, "%s(", sv_lit_ctor(e->str));
    lit(b, e->str);
    sb_printf(b, ")");
    break;
  case E_PATH:
    if (spec_path_ref(e)->list_var) {
      sb_printf(b, "lv_%s", e->var);
    } else {
      sb_printf(b, "ksmc_sv_tok(ctx, ");
      emit_tok(b, sc, e);
      sb_printf(b, ")");
    }
    break;
  case E_CALL:
    emit_sv_call(b, sc, e, slot);
    break;
  default:
    sb_printf(b, "ksmc_sv_lit(\"\", 0) /* unsupported */");
    break;
  }
}

static void num_branch(sb *b, const emit_scope *sc, const expr *e, int slot) {
  (void)slot;
  emit_num(b, sc, e);
}

void emit_num(sb *b, const emit_scope *sc, const expr *e) {
  if (e->type == VT_BOOL) {
    sb_printf(b, "(");
    emit_bool(b, sc, e);
    sb_printf(b, " ? 1.0 : 0.0)");
    return;
  }
  if (e->kind == E_NUM) {
    sb_printf(b, "%s%s", e->num_text, strpbrk(e->num_text, ".eE") ? "" : ".0");
  } else if (e->kind == E_PATH) {
    sb_printf(b, "ksmc_num_tok(ctx, ");
    emit_tok(b, sc, e);
    sb_printf(b, ")");
  } else if (is_aggregate(e)) {
    emit_agg_call(b, sc, e);
  } else if (is_fn(e, "if")) {
    emit_if(b, sc, e, 0, num_branch);
  } else if (is_fn(e, "number")) {
    sb_printf(b, "ksmc_fn_number(ctx, ");
    emit_sv(b, sc, e->args[0], 0);
    sb_printf(b, ")");
  } else if (is_fn(e, "scaled_int_or_percent")) {
    sb_printf(b, "ksmc_fn_scaled_int_or_percent(ctx, ");
    emit_tok(b, sc, e->args[0]);
    sb_printf(b, ", ");
    emit_num(b, sc, e->args[1]);
    sb_printf(b, ", %s)", e->args[2]->b ? "true" : "false");
  } else if (is_fn(e, "base64_len")) {
    sb_printf(b, "ksmc_fn_base64_len(ctx, ");
    emit_tok(b, sc, e->args[0]);
    sb_printf(b, ")");
  } else if (is_fn(e, "cron_next")) {
    /* slot 1: timestamp() decodes into slot 0, and argument order is unspecified */
    sb_printf(b, "ksmc_fn_cron_next(ctx, ");
    emit_sv(b, sc, e->args[0], 1);
    sb_printf(b, ", ");
    emit_num(b, sc, e->args[1]);
    sb_printf(b, ")");
  } else if (is_fn(e, "crs_number")) {
    sb_printf(b, "ksmc_fn_crs_number(ctx, ");
    emit_tok(b, sc, e->args[0]);
    sb_printf(b, ")");
  } else if (e->kind == E_CALL) {
    const char *fn = is_fn(e, "timestamp")         ? "ksmc_ts_tok"
                     : is_fn(e, "quantity")        ? "ksmc_qty_tok"
                     : is_fn(e, "quantity_approx") ? "ksmc_qty_approx_tok"
                                                   : "ksmc_qty_int_tok";
    sb_printf(b, "%s(ctx, ", fn);
    emit_tok(b, sc, e->args[0]);
    sb_printf(b, ")");
  }
}

static void emit_eq(sb *b, const emit_scope *sc, const expr *e) {
  const expr *l = e->l, *r = e->r;
  sb_printf(b, e->kind == E_NE ? "!" : "");
  if (l->type == VT_NUM && r->type == VT_NUM) {
    sb_printf(b, "(");
    emit_num(b, sc, l);
    sb_printf(b, " == ");
    emit_num(b, sc, r);
    sb_printf(b, ")");
    return;
  }
  if (l->type == VT_BOOL) {
    sb_printf(b, "(");
    emit_bool(b, sc, l);
    sb_printf(b, " == ");
    emit_bool(b, sc, r);
    sb_printf(b, ")");
    return;
  }
  if (l->kind == E_STR) {
    const expr *t = l;
    l = r;
    r = t;
  }
  if (r->kind == E_STR) {
    sb_printf(b, "ksmc_sv_eq_lit(ctx, ");
    emit_sv(b, sc, l, 0);
    sb_printf(b, ", ");
    lit(b, r->str);
    sb_printf(b, ")");
    return;
  }
  sb_printf(b, "ksmc_sv_eq(ctx, ");
  emit_sv(b, sc, l, 0);
  sb_printf(b, ", ");
  emit_sv(b, sc, r, 1);
  sb_printf(b, ")");
}

static void emit_in(sb *b, const emit_scope *sc, const expr *e) {
  const expr *list = e->args[1];
  sb_printf(b, "ksmc_sv_in(ctx, ");
  emit_sv(b, sc, e->args[0], 0);
  sb_printf(b, ", (const ksmc_slice[]){");
  for (size_t i = 0; i < list->nargs; i++) {
    sb_printf(b, i ? ", {" : "{");
    lit(b, list->args[i]->str);
    sb_printf(b, "}");
  }
  sb_printf(b, "}, %zu)", list->nargs);
}

static void bool_branch(sb *b, const emit_scope *sc, const expr *e, int slot) {
  (void)slot;
  emit_bool(b, sc, e);
}

static void emit_bool_call(sb *b, const emit_scope *sc, const expr *e) {
  if (is_aggregate(e)) {
    emit_agg_call(b, sc, e);
  } else if (is_fn(e, "present")) {
    sb_printf(b, "(");
    emit_tok(b, sc, e->args[0]);
    sb_printf(b, " >= 0)");
  } else if (is_fn(e, "nonzero")) {
    sb_printf(b, "ksmc_ts_nonzero(ctx, ");
    emit_tok(b, sc, e->args[0]);
    sb_printf(b, ")");
  } else if (is_fn(e, "nonempty")) {
    sb_printf(b, "ksmc_sv_nonempty(");
    emit_sv(b, sc, e->args[0], 0);
    sb_printf(b, ")");
  } else if (is_fn(e, "has_prefix")) {
    sb_printf(b, "ksmc_fn_has_prefix(ctx, ");
    emit_sv(b, sc, e->args[0], 0);
    sb_printf(b, ", ");
    lit(b, e->args[1]->str);
    sb_printf(b, ")");
  } else if (is_fn(e, "in")) {
    emit_in(b, sc, e);
  } else if (is_fn(e, "cron_valid")) {
    sb_printf(b, "ksmc_fn_cron_valid(ctx, ");
    emit_sv(b, sc, e->args[0], 0);
    sb_printf(b, ")");
  } else if (is_fn(e, "if")) {
    emit_if(b, sc, e, 0, bool_branch);
  }
}

void emit_bool(sb *b, const emit_scope *sc, const expr *e) {
  switch (e->kind) {
  case E_BOOL:
    sb_printf(b, e->b ? "true" : "false");
    break;
  case E_PATH:
    sb_printf(b, "ksmc_bool_tok(ctx, ");
    emit_tok(b, sc, e);
    sb_printf(b, ")");
    break;
  case E_NOT:
    sb_printf(b, "!");
    emit_bool(b, sc, e->l);
    break;
  case E_AND:
  case E_OR:
    sb_printf(b, "(");
    emit_bool(b, sc, e->l);
    sb_printf(b, e->kind == E_AND ? " && " : " || ");
    emit_bool(b, sc, e->r);
    sb_printf(b, ")");
    break;
  case E_EQ:
  case E_NE:
    emit_eq(b, sc, e);
    break;
  case E_LT:
  case E_LE:
  case E_GT:
  case E_GE: {
    static const char *const ops[] = {
        [E_LT] = " < ", [E_LE] = " <= ", [E_GT] = " > ", [E_GE] = " >= "};
    sb_printf(b, "(");
    emit_num(b, sc, e->l);
    sb_printf(b, "%s", ops[e->kind]);
    emit_num(b, sc, e->r);
    sb_printf(b, ")");
    break;
  }
  case E_CALL:
    emit_bool_call(b, sc, e);
    break;
  default:
    sb_printf(b, "false");
  }
}

void emit_filter(sb *b, const emit_scope *sc, const path_seg *filter, const char *item) {
  for (size_t i = 0; i < filter->nconds; i++) {
    const seg_cond *c = &filter->conds[i];
    const vnode *n = c->node;
    sb_printf(b, i ? " && " : "");
    if (c->value->kind == E_BOOL) {
      sb_printf(b, "%sksmc_bool_tok(ctx, %s->%s)", c->value->b ? "" : "!", item, n->cname);
    } else if (c->value->kind == E_NUM) {
      sb_printf(b, "ksmc_num_tok(ctx, %s->%s) == %s", item, n->cname, c->value->num_text);
    } else if (c->value->kind == E_STR) {
      sb_printf(b, "ksmc_sv_eq_lit(ctx, ksmc_sv_tok(ctx, %s->%s), ", item, n->cname);
      lit(b, c->value->str);
      sb_printf(b, ")");
    } else {
      sb_printf(b, "ksmc_sv_eq(ctx, ksmc_sv_tok(ctx, %s->%s), ", item, n->cname);
      emit_sv(b, sc, c->value, 1);
      sb_printf(b, ")");
    }
  }
  if (filter->nconds == 0) sb_printf(b, "true");
}
