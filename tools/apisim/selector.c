#include "selector.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dupn(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) abort();
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

static char *trimdup(const char *s, const char *e) {
  while (s < e && isspace((unsigned char)*s)) s++;
  while (e > s && isspace((unsigned char)e[-1])) e--;
  return dupn(s, (size_t)(e - s));
}

static sel_req *add_req(selector *s) {
  sel_req *r = realloc(s->reqs, (s->n + 1) * sizeof *r);
  if (!r) abort();
  s->reqs = r;
  memset(&r[s->n], 0, sizeof *r);
  return &r[s->n++];
}

static void add_val(sel_req *r, char *v) {
  char **vv = realloc(r->vals, (r->nvals + 1) * sizeof *vv);
  if (!vv) abort();
  r->vals = vv;
  vv[r->nvals++] = v;
}

/* Splits on commas that are not inside parentheses. */
static const char *next_term(const char *p, const char **end) {
  int depth = 0;
  const char *q = p;
  for (; *q; q++) {
    if (*q == '(')
      depth++;
    else if (*q == ')')
      depth--;
    else if (*q == ',' && depth == 0)
      break;
  }
  *end = q;
  return p;
}

static bool valid_key(const char *k) {
  if (!*k) return false;
  for (const char *p = k; *p; p++)
    if (!(isalnum((unsigned char)*p) || strchr("-_./", *p))) return false;
  return true;
}

/* An equality term of either selector, `key!=v`, `key==v` or `key=v`: fills r and returns
 * true; false (r untouched) when t has no such operator. */
static bool parse_equality(sel_req *r, const char *t) {
  const char *op, *end = t + strlen(t);
  size_t oplen = 2;
  if ((op = strstr(t, "!="))) {
    r->op = SEL_NE;
  } else if ((op = strstr(t, "=="))) {
    r->op = SEL_EQ;
  } else if ((op = strchr(t, '='))) {
    r->op = SEL_EQ;
    oplen = 1;
  } else {
    return false;
  }
  r->key = trimdup(t, op);
  add_val(r, trimdup(op + oplen, end));
  return true;
}

const char *label_selector_parse(selector *s, const char *text, char *err, size_t errn) {
  memset(s, 0, sizeof *s);
  if (!text) return NULL;
  const char *p = text;
  while (*p) {
    const char *end;
    next_term(p, &end);
    char *term = trimdup(p, end);
    p = *end ? end + 1 : end;
    if (!*term) {
      free(term);
      continue;
    }
    sel_req *r = add_req(s);
    char *t = term;
    char *op;
    if (t[0] == '!') {
      r->op = SEL_NOTEXISTS;
      r->key = trimdup(t + 1, t + strlen(t));
    } else if (parse_equality(r, t)) {
      /* key=v, key==v, key!=v */
    } else if ((op = strchr(t, '('))) {
      char *close = strrchr(t, ')');
      char *sp = op;
      while (sp > t && isspace((unsigned char)sp[-1])) sp--;
      /* key then " in " / " notin " */
      char *kw = sp;
      while (kw > t && !isspace((unsigned char)kw[-1])) kw--;
      size_t kwl = (size_t)(sp - kw);
      if (!close || close < op || kw == t) goto bad;
      if (kwl == 2 && !strncmp(kw, "in", 2))
        r->op = SEL_IN;
      else if (kwl == 5 && !strncmp(kw, "notin", 5))
        r->op = SEL_NOTIN;
      else
        goto bad;
      r->key = trimdup(t, kw);
      const char *v = op + 1;
      while (v < close) {
        const char *c = memchr(v, ',', (size_t)(close - v));
        if (!c) c = close;
        add_val(r, trimdup(v, c));
        v = c + 1;
      }
    } else {
      r->op = SEL_EXISTS;
      r->key = trimdup(t, t + strlen(t));
    }
    if (!valid_key(r->key)) goto bad;
    free(term);
    continue;
  bad:
    snprintf(err, errn,
             "unable to parse requirement: found '%s', expected: in, notin, =, ==, !=, gt, lt",
             term);
    free(term);
    return err;
  }
  return NULL;
}

const char *field_selector_parse(selector *s, int kind, const char *text, char *err, size_t errn) {
  memset(s, 0, sizeof *s);
  if (!text) return NULL;
  const kind_def *k = &KINDS[kind];
  const char *p = text;
  while (*p) {
    const char *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    char *term = trimdup(p, end);
    p = *end ? end + 1 : end;
    if (!*term) {
      free(term);
      continue;
    }
    sel_req *r = add_req(s);
    if (!parse_equality(r, term)) {
      snprintf(err, errn, "invalid selector: '%s'; can't understand '%s'", text, term);
      free(term);
      return err;
    }
    free(term);
    r->field = -1;
    for (int i = 0; i < KIND_MAX_FIELDS && k->fields[i]; i++)
      if (!strcmp(k->fields[i], r->key)) r->field = i;
    if (r->field < 0) {
      snprintf(err, errn, "field label not supported: %s", r->key);
      return err;
    }
  }
  return NULL;
}

static const char *label_get(const obj *o, const char *k) {
  for (size_t i = 0; i < o->nlabels; i++)
    if (!strcmp(o->labels[i].k, k)) return o->labels[i].v;
  return NULL;
}

static bool in_vals(const sel_req *r, const char *v) {
  for (size_t i = 0; i < r->nvals; i++)
    if (!strcmp(r->vals[i], v)) return true;
  return false;
}

bool label_selector_match(const selector *s, const obj *o) {
  for (size_t i = 0; i < s->n; i++) {
    const sel_req *r = &s->reqs[i];
    const char *v = label_get(o, r->key);
    bool ok;
    switch (r->op) {
    case SEL_EQ:
    case SEL_IN:
      ok = v && in_vals(r, v);
      break;
    case SEL_NE:
    case SEL_NOTIN:
      ok = !v || !in_vals(r, v);
      break;
    case SEL_EXISTS:
      ok = v != NULL;
      break;
    default:
      ok = v == NULL;
      break;
    }
    if (!ok) return false;
  }
  return true;
}

bool field_selector_match(const selector *s, const obj *o) {
  for (size_t i = 0; i < s->n; i++) {
    const sel_req *r = &s->reqs[i];
    const char *v = o->fields[r->field] ? o->fields[r->field] : "";
    bool eq = !strcmp(v, r->vals[0]);
    if (eq != (r->op == SEL_EQ)) return false;
  }
  return true;
}

void selector_free(selector *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->reqs[i].key);
    for (size_t j = 0; j < s->reqs[i].nvals; j++) free(s->reqs[i].vals[j]);
    free(s->reqs[i].vals);
  }
  free(s->reqs);
  memset(s, 0, sizeof *s);
}
