/* emit_family: one static render function per metric family: loops over the views'
 * items, the where: condition, then straight-line sample writes. */
#include <stdlib.h>
#include <string.h>

#include "emit_internal.h"

static void indent(sb *b, int depth) { sb_printf(b, "%*s", 2 * depth, ""); }

static void where_comment(sb *b, const char *display, ksmc_pos pos, int depth) {
  indent(b, depth);
  sb_printf(b, "/* %s:%d */\n", display, pos.line);
}

/* True if the collection of loop variable var is a parameter of the body (shared bodies). */
static bool is_param(const emit_scope *sc, const char *var) {
  for (size_t i = 0; i < sc->npvars; i++)
    if (!strcmp(sc->pvars[i], var)) return true;
  return false;
}

/* Opens loops [from, to) of the scope's family; returns the nesting depth of the body. */
static int open_loops_range(sb *b, const emit_scope *sc, size_t from, size_t to, int depth) {
  const family *f = sc->f;
  for (size_t i = from; i < to; i++) {
    const loop *l = &f->loops[i];
    if (l->kind == LOOP_LIST) {
      indent(b, depth);
      sb_printf(b, "static const ksmc_slice list_%s[] = {", l->var);
      for (size_t j = 0; j < l->nlist; j++) {
        sb_printf(b, j ? ", {\"" : "{\"");
        sb_cstr(b, l->list[j], strlen(l->list[j]));
        sb_printf(b, "\", %zu}", strlen(l->list[j]));
      }
      sb_printf(b, "};\n");
      indent(b, depth);
      sb_printf(b, "for (size_t i_%s = 0; i_%s < %zu; i_%s++) {\n", l->var, l->var, l->nlist,
                l->var);
      const char *ctor = "ksmc_sv_clean"; /* unless an element needs escaping */
      for (size_t j = 0; j < l->nlist; j++)
        if (strcmp(sv_lit_ctor(l->list[j]), "ksmc_sv_clean")) ctor = "ksmc_sv_lit";
      indent(b, depth + 1);
      sb_printf(b, "ksmc_sv lv_%s = %s(list_%s[i_%s].p, list_%s[i_%s].n);\n", l->var, ctor, l->var,
                l->var, l->var, l->var);
    } else if (l->kind == LOOP_FN) {
      indent(b, depth);
      sb_printf(b, "ksmc_slice fn_%s[3];\n", l->var);
      indent(b, depth);
      sb_printf(b, "size_t n_%s = ksmc_fn_resource_units(ctx, ", l->var);
      emit_sv(b, sc, l->source->args[0], 0);
      sb_printf(b, ", fn_%s);\n", l->var);
      indent(b, depth);
      sb_printf(b, "for (size_t i_%s = 0; i_%s < n_%s; i_%s++) {\n", l->var, l->var, l->var,
                l->var);
      indent(b, depth + 1);
      sb_printf(b, "ksmc_sv lv_%s = ksmc_sv_clean(fn_%s[i_%s].p, fn_%s[i_%s].n); /* unit */\n",
                l->var, l->var, l->var, l->var, l->var);
    } else {
      const path_ref *r = spec_path_ref(l->source);
      if (!is_param(sc, l->var)) {
        indent(b, depth);
        sb_printf(b, "const ksmc_items *col_%s = &%s%s->%s_items;\n", l->var, r->var ? "it_" : "v",
                  r->var ? r->var : "", r->coll_node->cname);
      }
      indent(b, depth);
      sb_printf(b, "for (uint32_t i_%s = 0; i_%s < col_%s->n; i_%s++) {\n", l->var, l->var, l->var,
                l->var);
      indent(b, depth + 1);
      sb_printf(b, "const ");
      view_type(b, l->item);
      sb_printf(b, " *it_%s = &((const ", l->var);
      view_type(b, l->item);
      sb_printf(b, " *)col_%s->items)[i_%s];\n", l->var, l->var);
      if (r->filter) {
        indent(b, depth + 1);
        sb_printf(b, "if (!(");
        char item[80];
        snprintf(item, sizeof item, "it_%s", l->var);
        emit_filter(b, sc, r->filter, item);
        sb_printf(b, ")) continue;\n");
      }
    }
    depth++;
  }
  return depth;
}

/* Opens all the family's loops; returns the nesting depth of the body. */
static int open_loops(sb *b, const emit_scope *sc, int depth) {
  return open_loops_range(b, sc, 0, sc->f->nloops, depth);
}

static void close_loops(sb *b, int depth, int down_to) {
  for (int d = depth - 1; d >= down_to; d--) {
    indent(b, d);
    sb_printf(b, "}\n");
  }
}

static bool has_static_labels(const emit_scope *sc) {
  return sc->s->nlabels || sc->f->nlabels || sc->f->st;
}

/* The literal written before a label value: `,name="` or `{name="` for the very first. */
static void label_lit(sb *b, const char *name, bool first) {
  sb tmp = {0};
  sb_printf(&tmp, "%c%s=\"", first ? '{' : ',', name);
  sb_printf(b, "\"");
  sb_cstr(b, tmp.p, tmp.n);
  sb_printf(b, "\", %zu", tmp.n);
  sb_free(&tmp);
}

static void emit_labels(sb *b, const emit_scope *sc, const label *ls, size_t n, int depth) {
  for (size_t i = 0; i < n; i++) {
    indent(b, depth);
    sb_printf(b, "ksmc_sample_label(ctx, ");
    label_lit(b, ls[i].name, sc->s->nlabels == 0 && i == 0);
    sb_printf(b, ", ");
    emit_sv(b, sc, ls[i].value, 0);
    sb_printf(b, "); /* :%d */\n", ls[i].pos.line);
  }
}

static void sample_begin(sb *b, const emit_scope *sc, int depth) {
  indent(b, depth);
  if (sc->shared)
    sb_printf(b, "ksmc_sample_begin(ctx, fam, fam_n);\n");
  else
    sb_printf(b, "ksmc_sample_begin(ctx, \"%s\", %zu);\n", sc->f->name, strlen(sc->f->name));
}

/* `close` argument of ksmc_sample_end. */
static const char *close_arg(const emit_scope *sc) {
  if (has_static_labels(sc)) return "true";
  return sc->f->dyn ? "open" : "false";
}

static void sample_end(sb *b, const emit_scope *sc, int depth, const char *value) {
  indent(b, depth);
  if (sc->f->distinct)
    sb_printf(b, "ksmc_sample_end_distinct(ctx, %s, %s, fam_start);\n", value, close_arg(sc));
  else
    sb_printf(b, "ksmc_sample_end(ctx, %s, %s);\n", value, close_arg(sc));
}

static void emit_dynamic(sb *b, const emit_scope *sc, int depth) {
  const dynamic_labels *d = sc->f->dyn;
  static const char *const allow[] = {"NULL", "ctx->opts.labels_allow",
                                      "ctx->opts.annotations_allow", "NULL"};
  indent(b, depth);
  sb_printf(b, "bool open = ksmc_sample_dynamic(ctx, ");
  emit_tok(b, sc, d->from);
  sb_printf(b, ", \"%s\", %s, %s, %s);\n", d->prefix, allow[d->allow],
            d->allow == DYN_ALL ? "true" : "false", has_static_labels(sc) ? "false" : "true");
  if (has_static_labels(sc)) {
    indent(b, depth);
    sb_printf(b, "(void)open;\n");
  }
}

static void emit_states(sb *b, const emit_scope *sc, int depth) {
  const states *st = sc->f->st;
  indent(b, depth);
  sb_printf(b, "ksmc_sv of = ");
  emit_sv(b, sc, st->of, 0);
  sb_printf(b, ";\n");
  indent(b, depth);
  sb_printf(b, "int match = -1;\n");
  for (size_t i = 0; i < st->n; i++) {
    indent(b, depth);
    sb_printf(b, "%sif (ksmc_sv_eq_lit(ctx, of, \"", i ? "else " : "");
    sb_cstr(b, st->match_values[i], strlen(st->match_values[i]));
    sb_printf(b, "\", %zu)) match = %zu;\n", strlen(st->match_values[i]), i);
  }
  for (size_t i = 0; i < st->n; i++) {
    sample_begin(b, sc, depth);
    emit_labels(b, sc, sc->f->labels, sc->f->nlabels, depth);
    indent(b, depth);
    sb_printf(b, "ksmc_sample_label(ctx, ");
    label_lit(b, st->label, sc->s->nlabels == 0 && sc->f->nlabels == 0);
    sb_printf(b, ", %s(\"", sv_lit_ctor(st->label_values[i]));
    sb_cstr(b, st->label_values[i], strlen(st->label_values[i]));
    sb_printf(b, "\", %zu));\n", strlen(st->label_values[i]));
    char value[64];
    snprintf(value, sizeof value, "match == %zu ? 1.0 : 0.0", i);
    sample_end(b, sc, depth, value);
  }
}

static void emit_sample(sb *b, const emit_scope *sc, int depth) {
  const family *f = sc->f;
  if (f->st) {
    emit_states(b, sc, depth);
    return;
  }
  sample_begin(b, sc, depth);
  emit_labels(b, sc, f->labels, f->nlabels, depth);
  if (f->dyn) emit_dynamic(b, sc, depth);
  sb value = {0};
  if (f->value)
    emit_num(&value, sc, f->value);
  else
    sb_printf(&value, "1.0");
  sample_end(b, sc, depth, sb_str(&value));
  sb_free(&value);
}

static void emit_if_empty(sb *b, const emit_scope *sc) {
  const family *f = sc->f;
  sb_printf(b, "  if (ctx->out.n == fam_start) { /* if_empty */\n");
  sample_begin(b, sc, 2);
  emit_labels(b, sc, f->if_empty, f->nif_empty, 2);
  sample_end(b, sc, 2, "1.0");
  sb_printf(b, "  }\n");
}

/* A then: block as a family of its own whose loops are the family's loops followed by
 * the block's (what its expressions and aggregate helpers see). Free with free(m->loops). */
static family merged_block(const family *f, const family *blk) {
  family m = *blk;
  m.nloops = f->nloops + blk->nloops;
  m.loops = malloc((m.nloops ? m.nloops : 1) * sizeof *m.loops);
  if (!m.loops) abort();
  if (f->nloops) memcpy(m.loops, f->loops, f->nloops * sizeof *m.loops);
  if (blk->nloops) memcpy(m.loops + f->nloops, blk->loops, blk->nloops * sizeof *m.loops);
  m.distinct = f->distinct;
  return m;
}

/* A family with then: blocks: one function; inside each iteration of the family's loops
 * (that passes its where:), every block in order runs its own loops, where and sample. */
static void emit_then_family(FILE *out, const emit_scope *sc) {
  const family *f = sc->f;
  family *m = calloc(f->nthen, sizeof *m);
  if (!m) abort();
  emit_aggregates(out, sc);
  for (size_t i = 0; i < f->nthen; i++) {
    m[i] = merged_block(f, &f->then[i]);
    emit_scope msc = *sc;
    msc.f = &m[i];
    msc.fam_index = f->then[i].part_index;
    emit_aggregates(out, &msc);
  }
  sb b = {0};
  sb_printf(&b, "/* %s:%d: %s */\n", sc->display, f->pos.line, f->name);
  sb_printf(&b, "static void family_%d(ksmc_render_ctx *ctx, const v_root_t *v) {\n",
            sc->fam_index);
  sb_printf(&b, "  (void)v;\n");
  if (f->distinct) sb_printf(&b, "  const size_t fam_start = ctx->out.n;\n");
  int depth = open_loops(&b, sc, 1);
  if (f->where) {
    where_comment(&b, sc->display, f->where->pos, depth);
    indent(&b, depth);
    sb_printf(&b, "if (!(");
    emit_bool(&b, sc, f->where);
    sb_printf(&b, ")) %s;\n", f->nloops ? "continue" : "return");
  }
  for (size_t i = 0; i < f->nthen; i++) {
    emit_scope msc = *sc;
    msc.f = &m[i];
    msc.fam_index = f->then[i].part_index;
    indent(&b, depth);
    sb_printf(&b, "{ /* then: %s:%d */\n", sc->display, f->then[i].pos.line);
    int d = open_loops_range(&b, &msc, f->nloops, m[i].nloops, depth + 1);
    int body = d;
    if (m[i].where) {
      where_comment(&b, sc->display, m[i].where->pos, d);
      indent(&b, d);
      sb_printf(&b, "if (");
      emit_bool(&b, &msc, m[i].where);
      sb_printf(&b, ") {\n");
      body = d + 1;
    }
    emit_sample(&b, &msc, body);
    close_loops(&b, body, depth);
  }
  close_loops(&b, depth, 1);
  sb_printf(&b, "}\n\n");
  fputs(sb_str(&b), out);
  sb_free(&b);
  for (size_t i = 0; i < f->nthen; i++) free(m[i].loops);
  free(m);
}

static void family_body(sb *b, const emit_scope *sc);

/* A family that only writes samples from the object (no loops, labels, blocks...). */
static bool plain_family(const family *f) {
  return !f->nloops && !f->nlabels && !f->st && !f->has_if_empty && !f->distinct && !f->nalso &&
         !f->nthen;
}

/* A call `name(one root path)`, e.g. nonzero(.metadata.creationTimestamp). */
static const path_ref *call_of_root_path(const expr *e, const char *name) {
  if (!e || e->kind != E_CALL || strcmp(e->str, name) || e->nargs != 1 ||
      e->args[0]->kind != E_PATH)
    return NULL;
  const path_ref *r = spec_path_ref(e->args[0]);
  return r && !r->var && !r->iterates ? r : NULL;
}

/* The families every kind declares alike -- a timestamp (`where: nonzero(P)`, `value:
 * timestamp(P)`) or allowlisted labels/annotations -- become one call of their runtime
 * helper (ksmc_gen.h) instead of the same lines in every generated file. */
static bool emit_runtime_family(FILE *out, const emit_scope *sc) {
  const family *f = sc->f;
  if (!plain_family(f)) return false;
  sb b = {0};
  if (!f->dyn) {
    const path_ref *w = call_of_root_path(f->where, "nonzero");
    const path_ref *v = call_of_root_path(f->value, "timestamp");
    if (!w || !v || w->node != v->node) return false;
    sb_printf(&b, "  ksmc_family_timestamp(ctx, \"%s\", %zu, ", f->name, strlen(f->name));
    emit_tok(&b, sc, f->value->args[0]);
    sb_printf(&b, ", %s); /* :%d */\n", has_static_labels(sc) ? "true" : "false",
              f->where->pos.line);
  } else {
    if (f->where || f->value || (f->dyn->allow != DYN_LABELS && f->dyn->allow != DYN_ANNOTATIONS))
      return false;
    sb_printf(&b, "  ksmc_family_allowlisted(ctx, \"%s\", %zu, ", f->name, strlen(f->name));
    emit_tok(&b, sc, f->dyn->from);
    sb_printf(&b, ", \"%s\", ctx->opts.%s, %s);\n", f->dyn->prefix,
              f->dyn->allow == DYN_LABELS ? "labels_allow" : "annotations_allow",
              has_static_labels(sc) ? "true" : "false");
  }
  fprintf(out, "/* %s:%d: %s */\n", sc->display, f->pos.line, f->name);
  fprintf(out, "static void family_%d(ksmc_render_ctx *ctx, const v_root_t *v) {\n%s}\n\n",
          sc->fam_index, sb_str(&b));
  sb_free(&b);
  return true;
}

static void emit_family(FILE *out, const emit_scope *sc) {
  const family *f = sc->f;
  if (f->nthen) {
    emit_then_family(out, sc);
    return;
  }
  if (f->nalso) {
    /* The family's own samples and each also: block are functions of their own (a
     * where: returns early), called in order by the family's function. */
    family own = *f;
    own.nalso = 0;
    emit_scope osc = *sc;
    osc.f = &own;
    osc.fam_index = f->part_index;
    emit_family(out, &osc);
    for (size_t i = 0; i < f->nalso; i++) {
      emit_scope bsc = *sc;
      bsc.f = &f->also[i];
      bsc.fam_index = f->also[i].part_index;
      emit_family(out, &bsc);
    }
    fprintf(out, "/* %s:%d: %s */\n", sc->display, f->pos.line, f->name);
    fprintf(out, "static void family_%d(ksmc_render_ctx *ctx, const v_root_t *v) {\n",
            sc->fam_index);
    fprintf(out, "  family_%d(ctx, v);\n", f->part_index);
    for (size_t i = 0; i < f->nalso; i++)
      fprintf(out, "  family_%d(ctx, v); /* also: %s:%d */\n", f->also[i].part_index, sc->display,
              f->also[i].pos.line);
    fprintf(out, "}\n\n");
    return;
  }
  if (emit_runtime_family(out, sc)) return;
  emit_aggregates(out, sc);
  sb b = {0};
  /* The help text appears once, in the family table, so editing it is one hunk. */
  sb_printf(&b, "/* %s:%d: %s */\n", sc->display, f->pos.line, f->name);
  sb_printf(&b, "static void family_%d(ksmc_render_ctx *ctx, const v_root_t *v) {\n",
            sc->fam_index);
  family_body(&b, sc);
  sb_printf(&b, "\n");
  fputs(sb_str(&b), out);
  sb_free(&b);
}

/* The statements of a family without blocks, and the function's closing brace. */
static void family_body(sb *b, const emit_scope *sc) {
  const family *f = sc->f;
  sb_printf(b, "  (void)v;\n");
  if (f->distinct || f->has_if_empty) sb_printf(b, "  const size_t fam_start = ctx->out.n;\n");
  if (f->dyn && f->dyn->allow != DYN_ALL) {
    const char *a = f->dyn->allow == DYN_LABELS ? "labels_allow" : "annotations_allow";
    sb_printf(b,
              "  if (!ctx->opts.%s || ctx->opts.%s->npatterns == 0) return; /* no allowlist */\n",
              a, a);
  }
  int depth = open_loops(b, sc, 1);
  if (f->where) {
    where_comment(b, sc->display, f->where->pos, depth);
    indent(b, depth);
    sb_printf(b, "if (!(");
    emit_bool(b, sc, f->where);
    sb_printf(b, ")) %s;\n", f->nloops ? "continue" : "return");
  }
  emit_sample(b, sc, depth);
  close_loops(b, depth, 1);
  if (f->has_if_empty) emit_if_empty(b, sc);
  sb_printf(b, "}\n");
}

/* ---- like: groups: one body, called by the template and by each variant ------------ */

typedef struct {
  const char **pvars; /* the template's loop variables some variant rebinds */
  size_t npvars;
  bool has_variants; /* some variant shares the body */
} like_group;

/* The body of family i as a shared body with the group's parameters (aggregates named as
 * the template's: the checker numbered them alike). */
static void shared_body(sb *b, const spec *s, size_t i, int t, const like_group *g,
                        const char *display) {
  emit_scope sc = {s, &s->families[i], t, display, NULL, true, g->pvars, g->npvars};
  family_body(b, &sc);
}

/* The call of the shared body from family f: its name and its collections. */
static void body_call(FILE *out, const family *f, int t, const like_group *g) {
  fprintf(out, "  body_%d(ctx, v, \"%s\", %zu", t, f->name, strlen(f->name));
  for (size_t k = 0; k < g->npvars; k++)
    for (size_t j = 0; j < f->nloops; j++)
      if (!strcmp(f->loops[j].var, g->pvars[k]))
        fprintf(out, ", &v->%s_items", spec_path_ref(f->loops[j].source)->coll_node->cname);
  fprintf(out, ");\n");
}

/* Finds the like: groups; a variant whose body would not come out the same as its
 * template's (it should always) is emitted on its own. */
static like_group *like_groups(const spec *s, bool *shares, const char *display) {
  like_group *g = calloc(s->nfamilies ? s->nfamilies : 1, sizeof *g);
  if (!g) abort();
  for (size_t i = 0; i < s->nfamilies; i++) {
    const family *f = &s->families[i];
    if (f->like_of < 0) continue;
    like_group *tg = &g[f->like_of];
    const family *t = &s->families[f->like_of];
    for (size_t j = 0; j < t->nloops; j++) {
      bool rebound = false, listed = false;
      for (size_t k = 0; k < f->nloops; k++)
        rebound |= f->loops[k].rebound && !strcmp(f->loops[k].var, t->loops[j].var);
      for (size_t k = 0; k < tg->npvars; k++) listed |= !strcmp(tg->pvars[k], t->loops[j].var);
      if (!rebound || listed) continue;
      tg->pvars = realloc(tg->pvars, (tg->npvars + 1) * sizeof *tg->pvars);
      if (!tg->pvars) abort();
      tg->pvars[tg->npvars++] = t->loops[j].var;
    }
  }
  for (size_t i = 0; i < s->nfamilies; i++) {
    const family *f = &s->families[i];
    if (f->like_of < 0) continue;
    sb a = {0}, b = {0};
    shared_body(&a, s, (size_t)f->like_of, f->like_of, &g[f->like_of], display);
    shared_body(&b, s, i, f->like_of, &g[f->like_of], display);
    shares[i] = a.n == b.n && !memcmp(sb_str(&a), sb_str(&b), a.n);
    g[f->like_of].has_variants |= shares[i];
    sb_free(&a);
    sb_free(&b);
  }
  return g;
}

void emit_families(FILE *out, const spec *s, const char *display) {
  int next = (int)s->nfamilies; /* also: blocks are numbered after the families */
  for (size_t i = 0; i < s->nfamilies; i++) {
    family *f = &s->families[i];
    for (size_t j = 0; j < f->nthen; j++) f->then[j].part_index = next++;
    if (!f->nalso) continue;
    f->part_index = next++;
    for (size_t j = 0; j < f->nalso; j++) f->also[j].part_index = next++;
  }
  bool *shares = calloc(s->nfamilies ? s->nfamilies : 1, sizeof *shares);
  if (!shares) abort();
  like_group *g = like_groups(s, shares, display);
  for (size_t i = 0; i < s->nfamilies; i++) {
    const family *f = &s->families[i];
    emit_scope sc = {s, f, (int)i, display, NULL, false, NULL, 0};
    if (g[i].has_variants) {
      /* The template: its aggregates, the shared body, and its own call of it. */
      emit_aggregates(out, &sc);
      sb b = {0};
      sb_printf(&b, "/* %s:%d: %s, and the families like it: the body they share */\n", display,
                f->pos.line, f->name);
      sb_printf(&b,
                "static void body_%zu(ksmc_render_ctx *ctx, const v_root_t *v, const char *fam, "
                "size_t fam_n",
                i);
      for (size_t k = 0; k < g[i].npvars; k++)
        sb_printf(&b, ", const ksmc_items *col_%s", g[i].pvars[k]);
      sb_printf(&b, ") {\n");
      shared_body(&b, s, i, (int)i, &g[i], display);
      sb_printf(&b, "\n");
      fputs(sb_str(&b), out);
      sb_free(&b);
    }
    if (g[i].has_variants || shares[i]) {
      int t = shares[i] ? f->like_of : (int)i;
      if (shares[i])
        fprintf(out, "/* %s:%d: %s, like %s */\n", display, f->pos.line, f->name,
                s->families[t].name);
      else
        fprintf(out, "/* %s:%d: %s */\n", display, f->pos.line, f->name);
      fprintf(out, "static void family_%zu(ksmc_render_ctx *ctx, const v_root_t *v) {\n", i);
      body_call(out, f, t, &g[t]);
      fprintf(out, "}\n\n");
      continue;
    }
    emit_family(out, &sc);
  }
  for (size_t i = 0; i < s->nfamilies; i++) free(g[i].pvars);
  free(g);
  free(shares);
}
