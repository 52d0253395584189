/* emit_agg: aggregates (first, last, max, count, any, join) become small static functions that
 * loop over one collection's items. */
#include <string.h>

#include "emit_internal.h"

/* Calls fn on every expression of family f (and nested sub-expressions). */
static void visit(const expr *e, void (*fn)(const expr *, void *), void *arg) {
  if (!e) return;
  fn(e, arg);
  for (size_t i = 0; i < e->nargs; i++) visit(e->args[i], fn, arg);
  visit(e->l, fn, arg);
  visit(e->r, fn, arg);
  for (size_t i = 0; i < e->nsegs; i++)
    for (size_t j = 0; j < e->segs[i].nconds; j++) visit(e->segs[i].conds[j].value, fn, arg);
}

static void visit_family(const family *f, void (*fn)(const expr *, void *), void *arg) {
  for (size_t i = 0; i < f->nloops; i++) visit(f->loops[i].source, fn, arg);
  visit(f->where, fn, arg);
  for (size_t i = 0; i < f->nlabels; i++) visit(f->labels[i].value, fn, arg);
  for (size_t i = 0; i < f->nif_empty; i++) visit(f->if_empty[i].value, fn, arg);
  if (f->st) visit(f->st->of, fn, arg);
  if (f->dyn) visit(f->dyn->from, fn, arg);
  visit(f->value, fn, arg);
}

static void find_iter(const expr *e, void *arg) {
  const path_ref *r = spec_path_ref(e);
  if (r && r->iterates && !*(const expr **)arg) *(const expr **)arg = e;
}

void emit_agg_args(sb *b, const emit_scope *sc) {
  for (size_t i = 0; i < sc->f->nloops; i++)
    sb_printf(b, ", %s_%s", sc->f->loops[i].kind != LOOP_VIEW ? "lv" : "it", sc->f->loops[i].var);
}

void emit_agg_params(sb *b, const emit_scope *sc) {
  for (size_t i = 0; i < sc->f->nloops; i++) {
    const loop *l = &sc->f->loops[i];
    if (l->kind != LOOP_VIEW) {
      sb_printf(b, ", ksmc_sv lv_%s", l->var);
    } else {
      sb_printf(b, ", const ");
      view_type(b, l->item);
      sb_printf(b, " *it_%s", l->var);
    }
  }
}

typedef struct {
  FILE *out;
  const emit_scope *sc;
} agg_ctx;

/* The C code of the loop body for each aggregate kind. */
static void agg_body(sb *b, const emit_scope *sc, const expr *e) {
  const char *f = e->str;
  const expr *arg = e->args[0];
  if (!strcmp(f, "count")) {
    sb_printf(b, "    (void)ag;\n    acc += 1;\n");
  } else if (!strcmp(f, "any")) {
    sb_printf(b, "    if (");
    emit_bool(b, sc, arg);
    sb_printf(b, ") return true;\n");
  } else if (!strcmp(f, "max")) {
    sb_printf(b, "    double x = ");
    emit_num(b, sc, arg);
    sb_printf(b, ";\n    if (!found || x > acc) acc = x;\n    found = true;\n");
  } else if (!strcmp(f, "join")) {
    const char *sep = e->args[1]->str;
    sb_printf(b, "    ksmc_fn_join_add(ctx, &acc, ");
    emit_sv(b, sc, arg, 0);
    sb_printf(b, ", \"");
    sb_cstr(b, sep, strlen(sep));
    sb_printf(b, "\", %zu);\n", strlen(sep));
  } else { /* first, last */
    sb_printf(b, "    acc = ");
    emit_sv(b, sc, arg, 0);
    sb_printf(b, ";\n%s", !strcmp(f, "first") ? "    break;\n" : "");
  }
}

static void emit_one(const expr *e, void *arg) {
  if (e->kind != E_CALL) return;
  const char *f = e->str;
  bool num = !strcmp(f, "max") || !strcmp(f, "count");
  bool boolean = !strcmp(f, "any");
  bool join = !strcmp(f, "join");
  if (!num && !boolean && !join && strcmp(f, "first") && strcmp(f, "last")) return;
  const agg_ctx *a = arg;
  const expr *it = NULL;
  visit(e->args[0], find_iter, &it);
  if (!it) return;
  const path_ref *r = spec_path_ref(it);
  emit_scope sc = *a->sc;
  sc.agg_item = "ag";
  sb b = {0};
  char src[240] = "";
  expr_print(e, src, sizeof src);
  sb_printf(&b, "/* ");
  sb_comment(&b, src, 200);
  sb_printf(&b, " */\nstatic %s agg_%d_%d(ksmc_render_ctx *ctx, const v_root_t *v",
            num       ? "double"
            : boolean ? "bool"
                      : "ksmc_sv",
            sc.fam_index, e->id);
  emit_agg_params(&b, &sc);
  sb_printf(&b, ") {\n  (void)ctx;\n  (void)v;\n");
  for (size_t i = 0; i < sc.f->nloops; i++)
    sb_printf(&b, "  (void)%s_%s;\n", sc.f->loops[i].kind != LOOP_VIEW ? "lv" : "it",
              sc.f->loops[i].var);
  if (num)
    sb_printf(&b, "  double acc = 0;\n%s", !strcmp(f, "max") ? "  bool found = false;\n" : "");
  if (join)
    sb_printf(&b, "  ksmc_buf acc = {0};\n");
  else if (!num && !boolean)
    sb_printf(&b, "  ksmc_sv acc = ksmc_sv_lit(\"\", 0);\n");
  sb_printf(&b, "  const ksmc_items *col = &%s%s->%s_items;\n", r->var ? "it_" : "v",
            r->var ? r->var : "", r->coll_node->cname);
  sb_printf(&b, "  for (uint32_t i = 0; i < col->n; i++) {\n    const ");
  view_type(&b, r->iter_view);
  sb_printf(&b, " *ag = &((const ");
  view_type(&b, r->iter_view);
  sb_printf(&b, " *)col->items)[i];\n");
  if (r->filter) {
    sb_printf(&b, "    if (!(");
    emit_filter(&b, &sc, r->filter, "ag");
    sb_printf(&b, ")) continue;\n");
  }
  agg_body(&b, &sc, e);
  sb_printf(&b, "  }\n");
  if (!strcmp(f, "max")) sb_printf(&b, "  if (!found) ctx->sample_drop = true;\n");
  sb_printf(&b, "  return %s;\n}\n\n",
            boolean ? "false"
            : join  ? "ksmc_fn_join_end(ctx, &acc)"
                    : "acc");
  fputs(sb_str(&b), a->out);
  sb_free(&b);
}

void emit_aggregates(FILE *out, const emit_scope *sc) {
  agg_ctx a = {out, sc};
  visit_family(sc->f, emit_one, &a);
}
