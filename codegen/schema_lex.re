/* schema_lex: re2c lexer for schema/k8s.schema lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

typedef enum { TK_EOF, TK_NL, TK_KIND, TK_PATH, TK_WORD, TK_BAD } tk;

typedef struct {
  const char *cur, *lim, *tok, *line_start;
  int line;
} lexer;

static tk lex(lexer *l) {
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

      ident = [A-Za-z_$][A-Za-z0-9_$-]*;
      seg = "." ident | "[]" | "{}";

      $              { return TK_EOF; }
      [ \t]+         { continue; }
      "#" [^\n\x00]* { continue; }
      "\n"           { l->line++; l->line_start = l->cur; return TK_NL; }
      "kind" / [ \t] { return TK_KIND; }
      seg+           { return TK_PATH; }
      [A-Za-z0-9_.-]+ { return TK_WORD; }
      *              { return TK_BAD; }
    */
  }
}

static const char *const type_names[] = {"",          "string",   "int",    "number", "bool",
                                         "timestamp", "quantity", "object", "array",  "map",
                                         "any"};

const char *schema_type_name(schema_type t) { return type_names[t]; }

static schema_type parse_type(const char *p, size_t n) {
  for (int i = ST_STRING; i <= ST_MAP; i++)
    if (strlen(type_names[i]) == n && memcmp(type_names[i], p, n) == 0) return (schema_type)i;
  return ST_NONE;
}

static char *dup_n(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (!s) abort();
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

static ksmc_pos tok_pos(const char *file, const lexer *l) {
  return (ksmc_pos){file, l->line, (int)(l->tok - l->line_start) + 1};
}

static void add_field(schema_kind *k, char *path, schema_type t) {
  schema_field *f = realloc(k->fields, (k->nfields + 1) * sizeof *f);
  if (!f) abort();
  k->fields = f;
  k->fields[k->nfields++] = (schema_field){path, t};
}

static schema_kind *add_kind(schema *s, char *name, char *gv) {
  schema_kind *k = realloc(s->kinds, (s->nkinds + 1) * sizeof *k);
  if (!k) abort();
  s->kinds = k;
  s->kinds[s->nkinds] = (schema_kind){name, gv, NULL, 0, NULL};
  return &s->kinds[s->nkinds++];
}

/* Skips to the end of the line after an error. */
static tk skip_line(lexer *l) {
  tk t;
  while ((t = lex(l)) != TK_NL && t != TK_EOF) {
  }
  return t;
}

static bool parse_lines(schema *s, const char *file, lexer *l, ksmc_diag *d) {
  schema_kind *cur = NULL;
  int errors = d->errors;
  for (;;) {
    tk t = lex(l);
    if (t == TK_EOF) break;
    if (t == TK_NL) continue;
    if (t == TK_KIND) {
      tk a = lex(l);
      const char *np = l->tok;
      size_t nn = (size_t)(l->cur - l->tok);
      tk b = lex(l);
      if (a != TK_WORD || b != TK_WORD) {
        ksmc_error(d, tok_pos(file, l), "expected `kind <Kind> <group.version>`");
        if (b != TK_NL) skip_line(l);
        continue;
      }
      cur = add_kind(s, dup_n(np, nn), dup_n(l->tok, (size_t)(l->cur - l->tok)));
      continue;
    }
    if (t != TK_PATH || !cur) {
      ksmc_error(d, tok_pos(file, l), cur ? "expected a path" : "expected `kind` first");
      skip_line(l);
      continue;
    }
    char *path = dup_n(l->tok, (size_t)(l->cur - l->tok));
    tk ty = lex(l);
    schema_type st = ty == TK_WORD ? parse_type(l->tok, (size_t)(l->cur - l->tok)) : ST_NONE;
    if (st == ST_NONE) {
      ksmc_error(d, tok_pos(file, l), "unknown field type for %s", path);
      free(path);
      if (ty != TK_NL) skip_line(l);
      continue;
    }
    add_field(cur, path, st);
  }
  return d->errors == errors;
}

/* A field's path and line order, sorted to build by_path. */
typedef struct {
  const char *path;
  size_t index;
} path_index;

static int cmp_path_index(const void *a, const void *b) {
  const path_index *x = a, *y = b;
  int c = strcmp(x->path, y->path);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Builds k->by_path: field indices ordered by (path, line) for schema_lookup. */
static void index_kind(schema_kind *k) {
  if (!k->nfields) return;
  path_index *t = malloc(k->nfields * sizeof *t);
  k->by_path = malloc(k->nfields * sizeof *k->by_path);
  if (!t || !k->by_path) abort();
  for (size_t i = 0; i < k->nfields; i++) t[i] = (path_index){k->fields[i].path, i};
  qsort(t, k->nfields, sizeof *t, cmp_path_index);
  for (size_t i = 0; i < k->nfields; i++) k->by_path[i] = t[i].index;
  free(t);
}

bool schema_load(schema *s, const char *file, ksmc_diag *d) {
  memset(s, 0, sizeof *s);
  FILE *f = fopen(file, "rb");
  if (!f) {
    ksmc_error(d, (ksmc_pos){file, 0, 0}, "cannot open schema: %m");
    return false;
  }
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap + 1);
  if (!buf) abort();
  size_t r;
  while ((r = fread(buf + len, 1, cap - len, f)) > 0) {
    len += r;
    if (len == cap) {
      cap *= 2;
      char *p = realloc(buf, cap + 1);
      if (!p) abort();
      buf = p;
    }
  }
  fclose(f);
  buf[len] = '\0';
  lexer l = {buf, buf + len, buf, buf, 1};
  bool ok = parse_lines(s, file, &l, d);
  free(buf);
  for (size_t i = 0; i < s->nkinds; i++) index_kind(&s->kinds[i]);
  return ok;
}

void schema_free(schema *s) {
  for (size_t i = 0; i < s->nkinds; i++) {
    for (size_t j = 0; j < s->kinds[i].nfields; j++) free(s->kinds[i].fields[j].path);
    free(s->kinds[i].fields);
    free(s->kinds[i].by_path);
    free(s->kinds[i].kind);
    free(s->kinds[i].group_version);
  }
  free(s->kinds);
  memset(s, 0, sizeof *s);
}

const schema_kind *schema_find_kind(const schema *s, const char *kind) {
  for (size_t i = 0; i < s->nkinds; i++)
    if (strcmp(s->kinds[i].kind, kind) == 0) return &s->kinds[i];
  return NULL;
}

schema_type schema_lookup(const schema_kind *k, const char *path) {
  if (!*path) return ST_OBJECT;
  if (!k->by_path) {
    for (size_t i = 0; i < k->nfields; i++)
      if (strcmp(k->fields[i].path, path) == 0) return k->fields[i].type;
    return ST_NONE;
  }
  /* The first of the sorted entries not below path (the earliest line if repeated). */
  size_t lo = 0, hi = k->nfields;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(k->fields[k->by_path[mid]].path, path) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < k->nfields && strcmp(k->fields[k->by_path[lo]].path, path) == 0)
    return k->fields[k->by_path[lo]].type;
  return ST_NONE;
}

int schema_children(const schema_kind *k, const char *parent, const char **names, int max,
                    char *storage, size_t storage_len) {
  size_t pl = strlen(parent), used = 0;
  int n = 0;
  for (size_t i = 0; i < k->nfields && n < max; i++) {
    const char *p = k->fields[i].path;
    if (strncmp(p, parent, pl) != 0 || p[pl] != '.') continue;
    const char *name = p + pl + 1;
    size_t nl = strcspn(name, ".[{");
    if (name[nl] != '\0') continue; /* grandchild */
    if (used + nl + 1 > storage_len) break;
    memcpy(storage + used, name, nl);
    storage[used + nl] = '\0';
    names[n++] = storage + used;
    used += nl + 1;
  }
  return n;
}
