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
      indent(b, depth + 1);
      sb_printf(b, "ksmc_sv lv_%s = ksmc_sv_lit(list_%s[i_%s].p, list_%s[i_%s].n);\n", l->var,
                l->var, l->var, l->var, l->var);
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
      sb_printf(b, "ksmc_sv lv_%s = ksmc_sv_lit(fn_%s[i_%s].p, fn_%s[i_%s].n);\n", l->var, l->var,
                l->var, l->var, l->var);
    } else {
      const path_ref *r = spec_path_ref(l->source);
      indent(b, depth);
      sb_printf(b, "const ksmc_items *col_%s = &%s%s->%s_items;\n", l->var, r->var ? "it_" : "v",
                r->var ? r->var : "", r->coll_node->cname);
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
    sb_printf(b, ", ksmc_sv_lit(\"");
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
  emit_aggregates(out, sc);
  sb b = {0};
  /* The help text appears once, in the family table, so editing it is one hunk. */
  sb_printf(&b, "/* %s:%d: %s */\n", sc->display, f->pos.line, f->name);
  sb_printf(&b, "static void family_%d(ksmc_render_ctx *ctx, const v_root_t *v) {\n",
            sc->fam_index);
  sb_printf(&b, "  (void)v;\n");
  if (f->distinct || f->has_if_empty) sb_printf(&b, "  const size_t fam_start = ctx->out.n;\n");
  if (f->dyn && f->dyn->allow != DYN_ALL) {
    const char *a = f->dyn->allow == DYN_LABELS ? "labels_allow" : "annotations_allow";
    sb_printf(&b,
              "  if (!ctx->opts.%s || ctx->opts.%s->npatterns == 0) return; /* no allowlist */\n",
              a, a);
  }
  int depth = open_loops(&b, sc, 1);
  if (f->where) {
    where_comment(&b, sc->display, f->where->pos, depth);
    indent(&b, depth);
    sb_printf(&b, "if (!(");
    emit_bool(&b, sc, f->where);
    sb_printf(&b, ")) %s;\n", f->nloops ? "continue" : "return");
  }
  emit_sample(&b, sc, depth);
  close_loops(&b, depth, 1);
  if (f->has_if_empty) emit_if_empty(&b, sc);
  sb_printf(&b, "}\n\n");
  fputs(sb_str(&b), out);
  sb_free(&b);
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
  for (size_t i = 0; i < s->nfamilies; i++) {
    emit_scope sc = {s, &s->families[i], (int)i, display, NULL};
    emit_family(out, &sc);
  }
}
