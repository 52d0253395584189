/* spec_model: lifetime and queries of the spec model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "spec_schema.h"

static void free_labels(label *ls, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(ls[i].name);
    expr_free(ls[i].value);
  }
  free(ls);
}

static void free_strs(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

static void free_vnode(vnode *n) {
  for (size_t i = 0; i < n->nkids; i++) {
    free_vnode(n->kids[i]);
    free(n->kids[i]);
  }
  free(n->kids);
  free(n->key);
  free(n->cname);
}

static void free_family(family *f) {
  free(f->name);
  free(f->help);
  free(f->deprecated_since);
  for (size_t i = 0; i < f->nloops; i++) {
    free(f->loops[i].var);
    expr_free(f->loops[i].source);
    free_strs(f->loops[i].list, f->loops[i].nlist);
  }
  free(f->loops);
  expr_free(f->where);
  free_labels(f->labels, f->nlabels);
  if (f->st) {
    free(f->st->label);
    expr_free(f->st->of);
    free_strs(f->st->label_values, f->st->n);
    free_strs(f->st->match_values, f->st->n);
    free(f->st);
  }
  if (f->dyn) {
    expr_free(f->dyn->from);
    free(f->dyn->prefix);
    free(f->dyn);
  }
  expr_free(f->value);
  free_labels(f->if_empty, f->nif_empty);
  for (size_t i = 0; i < f->nalso; i++) free_family(&f->also[i]);
  free(f->also);
  for (size_t i = 0; i < f->nthen; i++) free_family(&f->then[i]);
  free(f->then);
}

void spec_free(spec *s) {
  if (!s) return;
  for (size_t i = 0; i < s->nfamilies; i++) free_family(&s->families[i]);
  free(s->families);
  free_labels(s->labels, s->nlabels);
  for (size_t i = 0; i < s->nviews; i++) {
    free_vnode(&s->views[i]->root);
    free(s->views[i]->cname);
    free(s->views[i]->schema_path);
    free(s->views[i]);
  }
  free(s->views);
  free(s->file);
  free(s->kind);
  free(s->group);
  free(s->version);
  free(s->resource);
  if (s->custom_schema) spec_schema_free(s->custom_schema);
  free(s->custom_schema);
  free(s);
}

const path_ref *spec_path_ref(const expr *e) { return e->kind == E_PATH ? e->ref : NULL; }

static void append(char **out, size_t *len, const char *s) {
  size_t n = strlen(s);
  char *p = realloc(*out, *len + n + 2);
  if (!p) abort();
  *out = p;
  if (*len) p[(*len)++] = ',';
  memcpy(p + *len, s, n + 1);
  *len += n;
}

static bool has_label(const family *f, const char *name) {
  for (size_t i = 0; i < f->nlabels; i++)
    if (!strcmp(f->labels[i].name, name)) return true;
  return false;
}

/* Sample block b of family f: the family's then: blocks if it has any, else the family
 * itself (b == 0) followed by its also: blocks. */
static const family *block_of(const family *f, size_t b) {
  if (f->nthen) return &f->then[b];
  return b ? &f->also[b - 1] : f;
}

static size_t nblocks(const family *f) { return f->nthen ? f->nthen : f->nalso + 1; }

char *spec_family_label_list(const spec *s, const family *f) {
  char *out = calloc(1, 1);
  size_t len = 0;
  if (!out) abort();
  for (size_t i = 0; i < s->nlabels; i++) append(&out, &len, s->labels[i].name);
  /* The labels of every sample block, at their first use; a label that only some
   * samples have is written in brackets, as KSM's docs do ("[reason]"). */
  for (size_t b = 0; b < nblocks(f); b++) {
    const family *blk = block_of(f, b);
    for (size_t i = 0; i < blk->nlabels; i++) {
      const char *name = blk->labels[i].name;
      bool first = true, all = true;
      for (size_t c = 0; c < nblocks(f); c++) {
        bool has = has_label(block_of(f, c), name);
        if (c < b) first &= !has;
        all &= has;
      }
      if (!first) continue;
      char text[300];
      snprintf(text, sizeof text, all ? "%s" : "[%s]", name);
      append(&out, &len, text);
    }
  }
  if (f->st) append(&out, &len, f->st->label);
  if (f->dyn) {
    char dyn[300];
    snprintf(dyn, sizeof dyn, "%s_*", f->dyn->prefix);
    append(&out, &len, dyn);
  }
  return out;
}
