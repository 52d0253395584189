/* expr_lex: re2c lexer for the spec expression language (see expr.h). */
#include "expr_lex.h"

int expr_lex(expr_lexer *l) {
  const char *YYMARKER;
  (void)YYMARKER;
  for (;;) {
    l->tok = l->cur;
    /*!re2c
      re2c:define:YYCTYPE = "unsigned char";
      re2c:define:YYCURSOR = l->cur;
      re2c:define:YYLIMIT = l->lim;
      re2c:yyfill:enable = 0;
      re2c:eof = 0;

      ident = [A-Za-z_][A-Za-z0-9_-]*;
      num = "-"? [0-9]+ ("." [0-9]+)? ([eE] [+-]? [0-9]+)?;
      dq = "\"" ([^"\\\x00] | "\\" [^\x00])* "\"";
      sq = "'" [^'\x00]* "'";

      $        { return ET_EOF; }
      [ \t\r\n]+ { continue; }
      "&&"     { return ET_AND; }
      "||"     { return ET_OR; }
      "=="     { return ET_EQEQ; }
      "!="     { return ET_NE; }
      "<="     { return ET_LE; }
      ">="     { return ET_GE; }
      "<"      { return ET_LT; }
      ">"      { return ET_GT; }
      "!"      { return ET_NOT; }
      "="      { return ET_EQ; }
      "("      { return ET_LPAREN; }
      ")"      { return ET_RPAREN; }
      "[*]"    { return ET_ALL; }
      "{*}"    { return ET_MAPALL; }
      "["      { return ET_LBRACK; }
      "]"      { return ET_RBRACK; }
      ","      { return ET_COMMA; }
      "."      { return ET_DOT; }
      "$" ident { return ET_VAR; }
      num      { return ET_NUM; }
      ident    { return ET_IDENT; }
      dq | sq  { return ET_STR; }
      *        { return ET_BAD; }
    */
  }
}
