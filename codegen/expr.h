/* expr: the expression language of specs (paths, literals, function calls, operators).
 *
 *   expr    := or
 *   or      := and ("||" and)*
 *   and     := cmp ("&&" cmp)*
 *   cmp     := unary (("==" | "!=" | "<" | "<=" | ">" | ">=") unary)?
 *   unary   := "!" unary | primary
 *   primary := path | string | number | "true" | "false" | call | "(" expr ")" | list
 *   path    := ("." seg | "$" ident) ("." seg)* ; seg := ident sel? | "[" string "]"
 *   sel     := "[*]" | "[" ident "=" value ("," ident "=" value)* "]" | "{*}"
 *   call    := ident "(" (expr ("," expr)*)? ")"
 *   list    := "[" (string|ident) ("," (string|ident))* "]"
 *
 * Paths start at the object root (".metadata.name") or at a loop variable ("$c.name").
 * `[*]` iterates an array, `[type=Ready]` iterates the elements whose field equals a
 * value, `{*}` iterates a map's entries. The lexer is re2c (expr_lex.re). */
#ifndef KSMC_GEN_EXPR_H
#define KSMC_GEN_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef struct expr expr;

typedef enum {
  SEG_FIELD,  /* .name or ["name"] */
  SEG_ALL,    /* [*] */
  SEG_FILTER, /* [f=v,...] */
  SEG_MAPALL  /* {*} */
} seg_kind;

typedef struct {
  char *field;
  expr *value;
  void *node; /* filled by the checker: the field's slot in the item view */
} seg_cond;

typedef struct {
  seg_kind kind;
  char *name;      /* SEG_FIELD */
  seg_cond *conds; /* SEG_FILTER */
  size_t nconds;
  ksmc_pos pos;
} path_seg;

typedef enum {
  E_PATH,
  E_STR,
  E_NUM,
  E_BOOL,
  E_CALL,
  E_LIST,
  E_NOT,
  E_AND,
  E_OR,
  E_EQ,
  E_NE,
  E_LT,
  E_LE,
  E_GT,
  E_GE
} expr_kind;

struct expr {
  expr_kind kind;
  ksmc_pos pos;
  /* E_PATH */
  char *var; /* loop variable name, NULL for root paths */
  path_seg *segs;
  size_t nsegs;
  /* E_STR (also list items), E_CALL name */
  char *str;
  /* E_NUM */
  double num;
  char *num_text;
  /* E_BOOL */
  bool b;
  /* E_CALL / E_LIST */
  expr **args;
  size_t nargs;
  /* unary / binary */
  expr *l, *r;
  /* filled by the checker */
  void *ref; /* E_PATH: path_ref (spec.h) */
  int type;  /* vtype of the value (spec.h) */
  int id;    /* aggregate calls: number of the generated helper */
};

/* Parses `text`, which starts at `pos` in the spec (positions of sub-expressions are
 * computed from it). Reports syntax errors; returns NULL on error. */
expr *expr_parse(const char *text, ksmc_pos pos, ksmc_diag *d);

void expr_free(expr *e);

/* Writes the expression back as source text (for comments in generated code). */
void expr_print(const expr *e, char *buf, size_t len);

#endif
