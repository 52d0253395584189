/* schema_dump: builds the metric schema from the checked spec model and writes it as
 * text or JSON. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "schema_dump.h"

static char *xstrdup(const char *s) {
  char *d = strdup(s ? s : "");
  if (!d) abort();
  return d;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) abort();
  return p;
}

/* Appends text to a growing string. */
typedef struct {
  char *p;
  size_t n;
} str_buf;

static void buf_add(str_buf *b, const char *s) {
  size_t l = strlen(s);
  char *p = realloc(b->p, b->n + l + 1);
  if (!p) abort();
  memcpy(p + b->n, s, l + 1);
  b->p = p;
  b->n += l;
}

static char *expr_text(const expr *e) {
  char buf[4096] = "";
  if (e) expr_print(e, buf, sizeof buf);
  return xstrdup(buf);
}

/* ---- value units --------------------------------------------------------------------- */

static const char *unit_of(const expr *e) {
  switch (e->kind) {
  case E_NUM:
    return "constant";
  case E_BOOL:
  case E_NOT:
  case E_AND:
  case E_OR:
  case E_EQ:
  case E_NE:
  case E_LT:
  case E_LE:
  case E_GT:
  case E_GE:
    return "boolean";
  case E_PATH:
    return e->type == VT_BOOL ? "boolean" : "number";
  case E_CALL:
    break;
  default:
    return "number";
  }
  static const char *const bools[] = {"present", "nonzero",    "nonempty",   "any",
                                      "in",      "has_prefix", "cron_valid", NULL};
  for (const char *const *b = bools; *b; b++)
    if (!strcmp(e->str, *b)) return "boolean";
  if (!strcmp(e->str, "timestamp") || !strcmp(e->str, "cron_next")) return "unix_seconds";
  if (!strcmp(e->str, "quantity") || !strcmp(e->str, "quantity_int") ||
      !strcmp(e->str, "quantity_approx"))
    return "quantity";
  if (!strcmp(e->str, "count")) return "count";
  if (!strcmp(e->str, "max") && e->nargs == 1) return unit_of(e->args[0]);
  if (!strcmp(e->str, "if") && e->nargs == 3) {
    const char *a = unit_of(e->args[1]), *b = unit_of(e->args[2]);
    return strcmp(a, b) ? "mixed" : a;
  }
  return "number";
}

const char *ms_value_unit(const family *f) {
  if (f->value) return unit_of(f->value);
  if (f->st) return "state";
  return "constant";
}

/* ---- building -------------------------------------------------------------------------- */

static char *select_text(const family *f) {
  str_buf b = {xstrdup(""), 0};
  for (size_t i = 0; i < f->nloops; i++) {
    const loop *l = &f->loops[i];
    if (b.n) buf_add(&b, "; ");
    buf_add(&b, "each $");
    buf_add(&b, l->var);
    buf_add(&b, " in ");
    if (l->kind == LOOP_LIST) {
      buf_add(&b, "[");
      for (size_t j = 0; j < l->nlist; j++) {
        if (j) buf_add(&b, ", ");
        buf_add(&b, l->list[j]);
      }
      buf_add(&b, "]");
    } else {
      char *t = expr_text(l->source);
      buf_add(&b, t);
      free(t);
    }
  }
  if (f->where) {
    char *t = expr_text(f->where);
    if (b.n) buf_add(&b, "; ");
    buf_add(&b, "where ");
    buf_add(&b, t);
    free(t);
  }
  if (f->distinct) buf_add(&b, b.n ? "; distinct" : "distinct");
  if (f->has_if_empty) buf_add(&b, b.n ? "; if_empty" : "if_empty");
  return b.p;
}

static void add_label(ms_family *mf, const char *name, char *source, bool dynamic,
                      bool is_default) {
  ms_label *l = &mf->labels[mf->nlabels++];
  l->name = xstrdup(name);
  l->source = source;
  l->dynamic = dynamic;
  l->is_default = is_default;
}

static void build_family(ms_family *mf, const spec *s, const family *f) {
  static const char *const allow[] = {NULL, "labels", "annotations", "all"};
  mf->name = xstrdup(f->name);
  mf->type = xstrdup(family_type_name(f->type));
  mf->stability = xstrdup(stability_name(f->stab));
  mf->deprecated = f->deprecated_since ? xstrdup(f->deprecated_since) : NULL;
  mf->help = xstrdup(f->help);
  mf->opt_in = f->opt_in;
  /* Sample blocks: the then: blocks, or the family itself and its also: blocks. */
  size_t nb = f->nthen ? f->nthen : f->nalso + 1;
  const family *first = f->nthen ? &f->then[0] : f;
  size_t nblock = 0;
  for (size_t b = 0; b < nb; b++)
    nblock += (f->nthen ? &f->then[b] : b ? &f->also[b - 1] : f)->nlabels;
  mf->labels = xcalloc(s->nlabels + nblock + 2, sizeof *mf->labels);
  for (size_t i = 0; i < s->nlabels; i++)
    add_label(mf, s->labels[i].name, expr_text(s->labels[i].value), false, true);
  /* Every block's labels at their first use (labels only some samples have included). */
  for (size_t b = 0; b < nb; b++) {
    const family *blk = f->nthen ? &f->then[b] : b ? &f->also[b - 1] : f;
    for (size_t i = 0; i < blk->nlabels; i++) {
      bool seen = false;
      for (size_t j = s->nlabels; j < mf->nlabels; j++)
        seen |= !strcmp(mf->labels[j].name, blk->labels[i].name);
      if (!seen) add_label(mf, blk->labels[i].name, expr_text(blk->labels[i].value), false, false);
    }
  }
  if (f->st) {
    add_label(mf, f->st->label, expr_text(f->st->of), false, false);
    mf->states = xcalloc(f->st->n, sizeof *mf->states);
    for (size_t i = 0; i < f->st->n; i++) mf->states[i] = xstrdup(f->st->label_values[i]);
    mf->nstates = f->st->n;
  }
  if (f->dyn) {
    char name[300];
    snprintf(name, sizeof name, "%s_*", f->dyn->prefix);
    add_label(mf, name, expr_text(f->dyn->from), true, false);
    mf->dynamic = allow[f->dyn->allow] ? xstrdup(allow[f->dyn->allow]) : NULL;
  }
  mf->unit = xstrdup(ms_value_unit(first));
  mf->value = expr_text(first->value);
  mf->select = select_text(f);
  mf->file = xstrdup(s->file);
  mf->line = f->pos.line;
}

static int kind_cmp(const ms_kind *a, const ms_kind *b) {
  int c = strcmp(a->kind, b->kind);
  return c ? c : strcmp(a->group, b->group);
}

void ms_add_spec(ms_schema *m, const spec *s) {
  ms_kind *kinds = realloc(m->kinds, (m->nkinds + 1) * sizeof *kinds);
  if (!kinds) abort();
  m->kinds = kinds;
  ms_kind k = {0};
  k.kind = xstrdup(s->kind);
  k.group = xstrdup(s->group);
  k.version = xstrdup(s->version);
  k.resource = xstrdup(s->resource);
  k.namespaced = s->namespaced;
  k.file = xstrdup(s->file);
  k.families = xcalloc(s->nfamilies, sizeof *k.families);
  k.nfamilies = s->nfamilies;
  for (size_t i = 0; i < s->nfamilies; i++) build_family(&k.families[i], s, &s->families[i]);
  /* insertion keeps kinds sorted and equal kinds in input order */
  size_t at = m->nkinds;
  while (at > 0 && kind_cmp(&m->kinds[at - 1], &k) > 0) at--;
  memmove(&m->kinds[at + 1], &m->kinds[at], (m->nkinds - at) * sizeof *m->kinds);
  m->kinds[at] = k;
  m->nkinds++;
}

static void free_family(ms_family *f) {
  free(f->name);
  free(f->type);
  free(f->stability);
  free(f->deprecated);
  free(f->help);
  for (size_t i = 0; i < f->nlabels; i++) {
    free(f->labels[i].name);
    free(f->labels[i].source);
  }
  free(f->labels);
  for (size_t i = 0; i < f->nstates; i++) free(f->states[i]);
  free(f->states);
  free(f->dynamic);
  free(f->unit);
  free(f->value);
  free(f->select);
  free(f->file);
}

void ms_free(ms_schema *m) {
  for (size_t i = 0; i < m->nkinds; i++) {
    ms_kind *k = &m->kinds[i];
    for (size_t j = 0; j < k->nfamilies; j++) free_family(&k->families[j]);
    free(k->families);
    free(k->kind);
    free(k->group);
    free(k->version);
    free(k->resource);
    free(k->file);
  }
  free(m->kinds);
  *m = (ms_schema){0};
}

const ms_family *ms_find_family(const ms_schema *m, const char *name, const ms_kind **kind) {
  for (size_t i = 0; i < m->nkinds; i++)
    for (size_t j = 0; j < m->kinds[i].nfamilies; j++)
      if (!strcmp(m->kinds[i].families[j].name, name)) {
        if (kind) *kind = &m->kinds[i];
        return &m->kinds[i].families[j];
      }
  return NULL;
}

char *ms_file_stem(const char *file) {
  char *copy = xstrdup(file);
  char *base = xstrdup(basename(copy));
  free(copy);
  char *dot = strrchr(base, '.');
  if (dot && dot != base) *dot = '\0';
  for (char *p = base; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) *p = '_';
  return base;
}

/* ---- JSON ------------------------------------------------------------------------------ */

void ms_json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      fputs("\\\"", out);
      break;
    case '\\':
      fputs("\\\\", out);
      break;
    case '\n':
      fputs("\\n", out);
      break;
    case '\t':
      fputs("\\t", out);
      break;
    case '\r':
      fputs("\\r", out);
      break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        fprintf(out, "\\u%04x", *p);
      else
        fputc(*p, out); /* UTF-8 passes through unchanged */
    }
  }
  fputc('"', out);
}

static void json_opt_string(FILE *out, const char *s) {
  if (s)
    ms_json_string(out, s);
  else
    fputs("null", out);
}

static void json_family(FILE *out, const ms_family *f) {
  fputs("        {\n          \"name\": ", out);
  ms_json_string(out, f->name);
  fputs(",\n          \"type\": ", out);
  ms_json_string(out, f->type);
  fputs(",\n          \"stability\": ", out);
  ms_json_string(out, f->stability);
  fputs(",\n          \"deprecated\": ", out);
  json_opt_string(out, f->deprecated);
  fprintf(out, ",\n          \"opt_in\": %s,\n          \"help\": ", f->opt_in ? "true" : "false");
  ms_json_string(out, f->help);
  fputs(",\n          \"labels\": [", out);
  for (size_t i = 0; i < f->nlabels; i++) {
    const ms_label *l = &f->labels[i];
    fputs(i ? ",\n            {\"name\": " : "\n            {\"name\": ", out);
    ms_json_string(out, l->name);
    fprintf(out, ", \"dynamic\": %s, \"default\": %s, \"source\": ", l->dynamic ? "true" : "false",
            l->is_default ? "true" : "false");
    ms_json_string(out, l->source);
    fputc('}', out);
  }
  fputs(f->nlabels ? "\n          ],\n          \"states\": [" : "],\n          \"states\": [",
        out);
  for (size_t i = 0; i < f->nstates; i++) {
    if (i) fputs(", ", out);
    ms_json_string(out, f->states[i]);
  }
  fputs("],\n          \"dynamic_allowlist\": ", out);
  json_opt_string(out, f->dynamic);
  fputs(",\n          \"unit\": ", out);
  ms_json_string(out, f->unit);
  fputs(",\n          \"value\": ", out);
  ms_json_string(out, f->value);
  fputs(",\n          \"select\": ", out);
  ms_json_string(out, f->select);
  fputs(",\n          \"file\": ", out);
  ms_json_string(out, f->file);
  fprintf(out, ",\n          \"line\": %d\n        }", f->line);
}

void ms_write_json(const ms_schema *m, FILE *out) {
  fprintf(out, "{\n  \"ksmc_metric_schema\": %d,\n  \"kinds\": [", MS_JSON_VERSION);
  for (size_t i = 0; i < m->nkinds; i++) {
    const ms_kind *k = &m->kinds[i];
    fputs(i ? ",\n    {\n      \"kind\": " : "\n    {\n      \"kind\": ", out);
    ms_json_string(out, k->kind);
    fputs(",\n      \"group\": ", out);
    ms_json_string(out, k->group);
    fputs(",\n      \"version\": ", out);
    ms_json_string(out, k->version);
    fputs(",\n      \"resource\": ", out);
    ms_json_string(out, k->resource);
    fprintf(out,
            ",\n      \"namespaced\": %s,\n      \"file\": ", k->namespaced ? "true" : "false");
    ms_json_string(out, k->file);
    fputs(",\n      \"families\": [", out);
    for (size_t j = 0; j < k->nfamilies; j++) {
      fputs(j ? ",\n" : "\n", out);
      json_family(out, &k->families[j]);
    }
    fputs(k->nfamilies ? "\n      ]\n    }" : "]\n    }", out);
  }
  fputs(m->nkinds ? "\n  ]\n}\n" : "]\n}\n", out);
}

/* ---- text ------------------------------------------------------------------------------ */

void ms_write_text(const ms_schema *m, FILE *out) {
  for (size_t i = 0; i < m->nkinds; i++) {
    const ms_kind *k = &m->kinds[i];
    fprintf(out, "%skind %s: group %s, version %s, resource %s, %s (%s)\n", i ? "\n" : "", k->kind,
            *k->group ? k->group : "\"\" (core)", k->version, k->resource,
            k->namespaced ? "namespaced" : "cluster-scoped", k->file);
    for (size_t j = 0; j < k->nfamilies; j++) {
      const ms_family *f = &k->families[j];
      fprintf(out, "  %s %s %s%s%s%s %s:%d\n", f->name, f->type, f->stability,
              f->deprecated ? " deprecated-since-" : "", f->deprecated ? f->deprecated : "",
              f->opt_in ? " opt-in" : " default-enabled", f->file, f->line);
      fputs("    labels:", out);
      for (size_t l = 0; l < f->nlabels; l++)
        fprintf(out, "%s %s%s", l ? "," : "", f->labels[l].name,
                f->labels[l].dynamic ? " (dynamic)" : "");
      if (!f->nlabels) fputs(" (none)", out);
      if (f->nstates) {
        fputs("\n    states:", out);
        for (size_t s = 0; s < f->nstates; s++) fprintf(out, "%s %s", s ? "," : "", f->states[s]);
      }
      fprintf(out, "\n    value: %s\n    help: %s\n", f->unit, f->help);
    }
  }
}
