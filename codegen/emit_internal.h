/* emit_internal: what the emitter's files share -- a string builder, the code writer and
 * the naming of generated identifiers. */
#ifndef KSMC_GEN_EMIT_INTERNAL_H
#define KSMC_GEN_EMIT_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#include "spec.h"

/* A growable C string. */
typedef struct {
  char *p;
  size_t n, cap;
} sb;

__attribute__((format(printf, 2, 3))) void sb_printf(sb *b, const char *fmt, ...);
void sb_free(sb *b);
/* Appends s as a C string literal body (escapes quotes, backslashes, control bytes). */
void sb_cstr(sb *b, const char *s, size_t n);
/* Returns the string (never NULL) */
const char *sb_str(const sb *b);

/* The runtime constructor of a string literal's value: "ksmc_sv_clean" when s has no `\`,
 * `"`, LF or non-ASCII byte (written and compared as it is), else "ksmc_sv_lit". */
const char *sv_lit_ctor(const char *s);

/* Per-family emission state: where each loop variable lives in C. */
typedef struct {
  const spec *s;
  const family *f;
  int fam_index;
  const char *display;  /* spec path for comments */
  const char *agg_item; /* C variable of the aggregate's current item, or NULL */
  /* A body shared by a family and its like: variants: the family name is the parameter
   * `fam`/`fam_n` and the collections of these loop variables are parameters `col_<var>`. */
  bool shared;
  const char *const *pvars;
  size_t npvars;
} emit_scope;

/* C type name of a view's struct ("v_root_t"). */
void view_type(sb *b, const view *v);

/* C expression of the token index a path reads. */
void emit_tok(sb *b, const emit_scope *sc, const expr *e);

/* C expressions of each type; `slot` picks the scratch buffer for computed strings. */
void emit_sv(sb *b, const emit_scope *sc, const expr *e, int slot);
void emit_num(sb *b, const emit_scope *sc, const expr *e);
void emit_bool(sb *b, const emit_scope *sc, const expr *e);

/* C condition selecting the items of a [f=v] filter; `item` is the item's C variable. */
void emit_filter(sb *b, const emit_scope *sc, const path_seg *filter, const char *item);

/* Writes the static helper functions of every aggregate used by family f. */
void emit_aggregates(FILE *out, const emit_scope *sc);

/* Arguments passed to aggregate helpers at a call site: ", it_a, lv_b ..." */
void emit_agg_args(sb *b, const emit_scope *sc);

/* Parameters of aggregate helpers: ", const v_x_t *it_a, ksmc_sv lv_b ..." */
void emit_agg_params(sb *b, const emit_scope *sc);

/* Views, walkers and the per-view init functions. */
void emit_views(FILE *out, const spec *s);

/* Family render functions. */
void emit_families(FILE *out, const spec *s, const char *display);

/* A comment-safe copy of text (no comment terminators), truncated to max bytes. */
void sb_comment(sb *b, const char *text, size_t max);

#endif
