/* expr: recursive-descent parser of the spec expression language (grammar in expr.h). */
#include "expr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_lex.h"

typedef struct {
  expr_lexer lx;
  int tok;
  ksmc_pos base; /* position of the expression's first byte */
  ksmc_diag *diag;
  bool failed;
} parser;

static ksmc_pos tok_pos(const parser *p) {
  ksmc_pos pos = p->base;
  for (const char *c = p->lx.start; c < p->lx.tok; c++) {
    if (*c == '\n') {
      pos.line++;
      pos.col = 1;
    } else {
      pos.col++;
    }
  }
  return pos;
}

static void advance(parser *p) { p->tok = expr_lex(&p->lx); }

static char *tok_text(const parser *p, size_t skip_front, size_t skip_back) {
  size_t n = (size_t)(p->lx.cur - p->lx.tok) - skip_front - skip_back;
  char *s = malloc(n + 1);
  if (!s) abort();
  memcpy(s, p->lx.tok + skip_front, n);
  s[n] = '\0';
  return s;
}

static void syntax_error(parser *p, const char *what) {
  if (p->failed) return;
  int n = (int)(p->lx.cur - p->lx.tok);
  if (p->tok == ET_EOF)
    ksmc_error(p->diag, tok_pos(p), "%s, found end of expression", what);
  else
    ksmc_error(p->diag, tok_pos(p), "%s, found '%.*s'", what, n, p->lx.tok);
  p->failed = true;
}

static bool expect(parser *p, int tok, const char *what) {
  if (p->tok == tok) {
    advance(p);
    return true;
  }
  syntax_error(p, what);
  return false;
}

static expr *new_expr(expr_kind k, ksmc_pos pos) {
  expr *e = calloc(1, sizeof *e);
  if (!e) abort();
  e->kind = k;
  e->pos = pos;
  return e;
}

/* Decodes a quoted string token: "..." with \" \\ \n \t escapes, or '...' verbatim. */
static char *unquote(const parser *p) {
  const char *s = p->lx.tok;
  size_t n = (size_t)(p->lx.cur - s);
  char *out = malloc(n);
  if (!out) abort();
  size_t o = 0;
  if (s[0] == '\'') {
    memcpy(out, s + 1, n - 2);
    o = n - 2;
  } else {
    for (size_t i = 1; i + 1 < n; i++) {
      char c = s[i];
      if (c == '\\' && i + 2 < n) {
        c = s[++i];
        c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
      }
      out[o++] = c;
    }
  }
  out[o] = '\0';
  return out;
}

static expr *parse_expr(parser *p);

static void push_arg(expr *e, expr *a) {
  expr **args = realloc(e->args, (e->nargs + 1) * sizeof *args);
  if (!args) abort();
  e->args = args;
  e->args[e->nargs++] = a;
}

static path_seg *push_seg(expr *e, seg_kind k, ksmc_pos pos) {
  path_seg *s = realloc(e->segs, (e->nsegs + 1) * sizeof *s);
  if (!s) abort();
  e->segs = s;
  path_seg *seg = &e->segs[e->nsegs++];
  memset(seg, 0, sizeof *seg);
  seg->kind = k;
  seg->pos = pos;
  return seg;
}

/* A filter value: a string, a bare word, a number, true/false, or a path. */
static expr *parse_filter_value(parser *p) {
  ksmc_pos pos = tok_pos(p);
  if (p->tok == ET_IDENT) {
    expr *v = new_expr(E_STR, pos);
    v->str = tok_text(p, 0, 0);
    if (!strcmp(v->str, "true") || !strcmp(v->str, "false")) {
      v->kind = E_BOOL;
      v->b = v->str[0] == 't';
    }
    advance(p);
    return v;
  }
  return parse_expr(p);
}

static bool parse_filter(parser *p, path_seg *seg) {
  for (;;) {
    if (p->tok != ET_IDENT) {
      syntax_error(p, "expected a field name in the selector");
      return false;
    }
    seg_cond c = {tok_text(p, 0, 0), NULL, NULL};
    advance(p);
    if (!expect(p, ET_EQ, "expected '=' in the selector")) {
      free(c.field);
      return false;
    }
    c.value = parse_filter_value(p);
    seg_cond *cs = realloc(seg->conds, (seg->nconds + 1) * sizeof *cs);
    if (!cs) abort();
    seg->conds = cs;
    seg->conds[seg->nconds++] = c;
    if (!c.value) return false;
    if (p->tok == ET_COMMA) {
      advance(p);
      continue;
    }
    return expect(p, ET_RBRACK, "expected ']' after the selector");
  }
}

/* Selectors and quoted keys after a path segment: [*], {*}, [f=v], ["key"]. */
static bool parse_selectors(parser *p, expr *e) {
  for (;;) {
    ksmc_pos pos = tok_pos(p);
    if (p->tok == ET_ALL) {
      push_seg(e, SEG_ALL, pos);
      advance(p);
    } else if (p->tok == ET_MAPALL) {
      push_seg(e, SEG_MAPALL, pos);
      advance(p);
    } else if (p->tok == ET_LBRACK) {
      advance(p);
      if (p->tok == ET_STR) {
        push_seg(e, SEG_FIELD, pos)->name = unquote(p);
        advance(p);
        if (!expect(p, ET_RBRACK, "expected ']' after the quoted key")) return false;
      } else if (!parse_filter(p, push_seg(e, SEG_FILTER, pos))) {
        return false;
      }
    } else {
      return true;
    }
  }
}

static expr *parse_path(parser *p) {
  expr *e = new_expr(E_PATH, tok_pos(p));
  if (p->tok == ET_VAR) {
    e->var = tok_text(p, 1, 0);
    advance(p);
    if (!parse_selectors(p, e)) goto fail;
  }
  while (p->tok == ET_DOT) {
    advance(p);
    ksmc_pos pos = tok_pos(p);
    if (p->tok == ET_LBRACK) { /* .["key"] */
      if (!parse_selectors(p, e)) goto fail;
      continue;
    }
    if (p->tok != ET_IDENT) {
      syntax_error(p, "expected a field name after '.'");
      goto fail;
    }
    push_seg(e, SEG_FIELD, pos)->name = tok_text(p, 0, 0);
    advance(p);
    if (!parse_selectors(p, e)) goto fail;
  }
  return e;
fail:
  expr_free(e);
  return NULL;
}

static expr *parse_call(parser *p, ksmc_pos pos, char *name) {
  expr *e = new_expr(E_CALL, pos);
  e->str = name;
  advance(p); /* ( */
  if (p->tok == ET_RPAREN) {
    advance(p);
    return e;
  }
  for (;;) {
    expr *a = parse_expr(p);
    if (!a) goto fail;
    push_arg(e, a);
    if (p->tok == ET_COMMA) {
      advance(p);
      continue;
    }
    if (!expect(p, ET_RPAREN, "expected ',' or ')' in the argument list")) goto fail;
    return e;
  }
fail:
  expr_free(e);
  return NULL;
}

static expr *parse_list(parser *p) {
  expr *e = new_expr(E_LIST, tok_pos(p));
  advance(p); /* [ */
  for (;;) {
    ksmc_pos pos = tok_pos(p);
    if (p->tok != ET_STR && p->tok != ET_IDENT) {
      syntax_error(p, "expected a string in the list");
      expr_free(e);
      return NULL;
    }
    expr *s = new_expr(E_STR, pos);
    s->str = p->tok == ET_STR ? unquote(p) : tok_text(p, 0, 0);
    push_arg(e, s);
    advance(p);
    if (p->tok == ET_COMMA) {
      advance(p);
      continue;
    }
    if (!expect(p, ET_RBRACK, "expected ',' or ']' in the list")) {
      expr_free(e);
      return NULL;
    }
    return e;
  }
}

static expr *parse_primary(parser *p) {
  ksmc_pos pos = tok_pos(p);
  switch (p->tok) {
  case ET_DOT:
  case ET_VAR:
    return parse_path(p);
  case ET_LBRACK:
    return parse_list(p);
  case ET_STR: {
    expr *e = new_expr(E_STR, pos);
    e->str = unquote(p);
    advance(p);
    return e;
  }
  case ET_NUM: {
    expr *e = new_expr(E_NUM, pos);
    e->num_text = tok_text(p, 0, 0);
    e->num = strtod(e->num_text, NULL);
    advance(p);
    return e;
  }
  case ET_IDENT: {
    char *name = tok_text(p, 0, 0);
    advance(p);
    if (p->tok == ET_LPAREN) return parse_call(p, pos, name);
    if (!strcmp(name, "true") || !strcmp(name, "false")) {
      expr *e = new_expr(E_BOOL, pos);
      e->b = name[0] == 't';
      free(name);
      return e;
    }
    ksmc_error(p->diag, pos,
               "unexpected word '%s' (paths start with '.' or '$', strings are quoted)", name);
    p->failed = true;
    free(name);
    return NULL;
  }
  case ET_LPAREN: {
    advance(p);
    expr *e = parse_expr(p);
    if (e && !expect(p, ET_RPAREN, "expected ')'")) {
      expr_free(e);
      return NULL;
    }
    return e;
  }
  default:
    syntax_error(p, "expected a path, literal or function call");
    return NULL;
  }
}

static expr *parse_unary(parser *p) {
  if (p->tok != ET_NOT) return parse_primary(p);
  expr *e = new_expr(E_NOT, tok_pos(p));
  advance(p);
  e->l = parse_unary(p);
  if (!e->l) {
    expr_free(e);
    return NULL;
  }
  return e;
}

static expr *binary(expr_kind k, expr *l, expr *r) {
  expr *e = new_expr(k, l->pos);
  e->l = l;
  e->r = r;
  return e;
}

static expr *parse_cmp(parser *p) {
  expr *l = parse_unary(p);
  expr_kind k;
  switch (l ? p->tok : ET_EOF) {
  case ET_EQEQ:
    k = E_EQ;
    break;
  case ET_NE:
    k = E_NE;
    break;
  case ET_LT:
    k = E_LT;
    break;
  case ET_LE:
    k = E_LE;
    break;
  case ET_GT:
    k = E_GT;
    break;
  case ET_GE:
    k = E_GE;
    break;
  default:
    return l;
  }
  advance(p);
  expr *r = parse_unary(p);
  if (!r) {
    expr_free(l);
    return NULL;
  }
  return binary(k, l, r);
}

static expr *parse_chain(parser *p, int tok, expr_kind k, expr *(*sub)(parser *)) {
  expr *l = sub(p);
  while (l && p->tok == tok) {
    advance(p);
    expr *r = sub(p);
    if (!r) {
      expr_free(l);
      return NULL;
    }
    l = binary(k, l, r);
  }
  return l;
}

static expr *parse_and(parser *p) { return parse_chain(p, ET_AND, E_AND, parse_cmp); }

static expr *parse_expr(parser *p) { return parse_chain(p, ET_OR, E_OR, parse_and); }

expr *expr_parse(const char *text, ksmc_pos pos, ksmc_diag *d) {
  parser p = {.lx = {text, text, text + strlen(text), text}, .base = pos, .diag = d};
  advance(&p);
  expr *e = parse_expr(&p);
  if (e && p.tok != ET_EOF) {
    syntax_error(&p, "unexpected text after the expression");
    expr_free(e);
    return NULL;
  }
  if (p.failed) {
    expr_free(e);
    return NULL;
  }
  return e;
}

void expr_free(expr *e) {
  if (!e) return;
  free(e->var);
  for (size_t i = 0; i < e->nsegs; i++) {
    free(e->segs[i].name);
    for (size_t j = 0; j < e->segs[i].nconds; j++) {
      free(e->segs[i].conds[j].field);
      expr_free(e->segs[i].conds[j].value);
    }
    free(e->segs[i].conds);
  }
  free(e->segs);
  free(e->str);
  free(e->num_text);
  for (size_t i = 0; i < e->nargs; i++) expr_free(e->args[i]);
  free(e->args);
  expr_free(e->l);
  expr_free(e->r);
  free(e->ref);
  free(e);
}

/* Appends formatted text to buf (bounded). */
static void put(char *buf, size_t len, const char *fmt, const char *s) {
  size_t at = strlen(buf);
  if (at < len) snprintf(buf + at, len - at, fmt, s);
}

static void print_path(const expr *e, char *buf, size_t len) {
  if (e->var) put(buf, len, "$%s", e->var);
  for (size_t i = 0; i < e->nsegs; i++) {
    const path_seg *s = &e->segs[i];
    if (s->kind == SEG_FIELD) put(buf, len, strpbrk(s->name, "./ ") ? "[\"%s\"]" : ".%s", s->name);
    if (s->kind == SEG_ALL) put(buf, len, "%s", "[*]");
    if (s->kind == SEG_MAPALL) put(buf, len, "%s", "{*}");
    if (s->kind == SEG_FILTER) {
      put(buf, len, "%s", "[");
      for (size_t j = 0; j < s->nconds; j++) {
        put(buf, len, j ? ",%s=" : "%s=", s->conds[j].field);
        expr_print(s->conds[j].value, buf, len);
      }
      put(buf, len, "%s", "]");
    }
  }
  if (!e->var && e->nsegs == 0) put(buf, len, "%s", ".");
}

void expr_print(const expr *e, char *buf, size_t len) {
  static const char *const ops[] = {
      [E_AND] = " && ", [E_OR] = " || ", [E_EQ] = " == ", [E_NE] = " != ",
      [E_LT] = " < ",   [E_LE] = " <= ", [E_GT] = " > ",  [E_GE] = " >= "};
  switch (e->kind) {
  case E_PATH:
    print_path(e, buf, len);
    break;
  case E_STR:
    put(buf, len, "\"%s\"", e->str);
    break;
  case E_NUM:
    put(buf, len, "%s", e->num_text);
    break;
  case E_BOOL:
    put(buf, len, "%s", e->b ? "true" : "false");
    break;
  case E_CALL:
  case E_LIST:
    put(buf, len, e->kind == E_CALL ? "%s(" : "%s[", e->kind == E_CALL ? e->str : "");
    for (size_t i = 0; i < e->nargs; i++) {
      if (i) put(buf, len, "%s", ", ");
      expr_print(e->args[i], buf, len);
    }
    put(buf, len, "%s", e->kind == E_CALL ? ")" : "]");
    break;
  case E_NOT:
    put(buf, len, "%s", "!");
    expr_print(e->l, buf, len);
    break;
  default:
    expr_print(e->l, buf, len);
    put(buf, len, "%s", ops[e->kind]);
    expr_print(e->r, buf, len);
  }
}
