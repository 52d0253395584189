/* expr_lex: token stream of the spec expression language. */
#ifndef KSMC_GEN_EXPR_LEX_H
#define KSMC_GEN_EXPR_LEX_H

typedef enum {
  ET_EOF,
  ET_AND,
  ET_OR,
  ET_EQEQ,
  ET_NE,
  ET_LT,
  ET_LE,
  ET_GT,
  ET_GE,
  ET_NOT,
  ET_EQ,
  ET_LPAREN,
  ET_RPAREN,
  ET_ALL,
  ET_MAPALL,
  ET_LBRACK,
  ET_RBRACK,
  ET_COMMA,
  ET_DOT,
  ET_VAR,
  ET_TRUE,
  ET_FALSE,
  ET_NUM,
  ET_IDENT,
  ET_STR,
  ET_BAD
} expr_tok;

typedef struct {
  const char *start; /* beginning of the expression text */
  const char *cur, *lim, *tok;
} expr_lexer;

/* Next token; l->tok..l->cur is its text. The text must be NUL-terminated at lim. */
int expr_lex(expr_lexer *l);

#endif
