#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ja_chunk {
  ja_chunk *next;
  size_t used, cap;
  char mem[];
};

void *ja_alloc(jarena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  ja_chunk *c = a->head;
  if (!c || c->cap - c->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    c = malloc(sizeof *c + cap);
    if (!c) abort();
    c->next = a->head;
    c->used = 0;
    c->cap = cap;
    a->head = c;
  }
  void *p = c->mem + c->used;
  c->used += n;
  return p;
}

char *ja_strndup(jarena *a, const char *s, size_t n) {
  char *p = ja_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

void ja_free(jarena *a) {
  ja_chunk *c = a->head;
  while (c) {
    ja_chunk *n = c->next;
    free(c);
    c = n;
  }
  a->head = NULL;
}

void ja_reset(jarena *a) {
  ja_chunk *c = a->head;
  if (!c) return;
  ja_chunk *n = c->next;
  while (n) {
    ja_chunk *x = n->next;
    free(n);
    n = x;
  }
  c->next = NULL;
  c->used = 0;
}

jv *jv_new(jarena *a, jv_type t) {
  jv *v = ja_alloc(a, sizeof *v);
  memset(v, 0, sizeof *v);
  v->t = t;
  return v;
}

/* ---- parser ---- */

typedef struct {
  jarena *a;
  const char *p, *end;
  const char *err;
  int depth;
} jparser;

static void skip_ws(jparser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
    ps->p++;
}

/* Scans a string starting after the opening quote; returns body length. */
static bool scan_string(jparser *ps, const char **s, size_t *n) {
  const char *start = ps->p;
  const char *p = ps->p;
  while (p < ps->end) {
    const char *q = memchr(p, '"', (size_t)(ps->end - p));
    if (!q) break;
    /* count preceding backslashes */
    const char *b = q;
    while (b > start && b[-1] == '\\') b--;
    if (((q - b) & 1) == 0) {
      *s = start;
      *n = (size_t)(q - start);
      ps->p = q + 1;
      return true;
    }
    p = q + 1;
  }
  ps->err = "unterminated string";
  return false;
}

static jv *parse_value(jparser *ps);

static jv *parse_value(jparser *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end) {
    ps->err = "unexpected end of input";
    return NULL;
  }
  if (++ps->depth > 200) {
    ps->err = "nesting too deep";
    return NULL;
  }
  jv *v = NULL;
  char c = *ps->p;
  if (c == '{' || c == '[') {
    bool obj = c == '{';
    v = jv_new(ps->a, obj ? JV_OBJ : JV_ARR);
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
      ps->p++;
      ps->depth--;
      return v;
    }
    for (;;) {
      const char *k = NULL;
      size_t kl = 0;
      if (obj) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') {
          ps->err = "expected object key";
          return NULL;
        }
        ps->p++;
        if (!scan_string(ps, &k, &kl)) return NULL;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
          ps->err = "expected ':'";
          return NULL;
        }
        ps->p++;
      }
      jv *child = parse_value(ps);
      if (!child) return NULL;
      child->key = k;
      child->klen = kl;
      ja_append(v, child);
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        continue;
      }
      if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
        ps->p++;
        break;
      }
      ps->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
      return NULL;
    }
  } else if (c == '"') {
    v = jv_new(ps->a, JV_STR);
    ps->p++;
    if (!scan_string(ps, &v->s, &v->n)) return NULL;
  } else if (c == 't' || c == 'f' || c == 'n') {
    const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
    size_t wl = strlen(w);
    if ((size_t)(ps->end - ps->p) < wl || memcmp(ps->p, w, wl) != 0) {
      ps->err = "invalid literal";
      return NULL;
    }
    v = jv_new(ps->a, c == 'n' ? JV_NULL : JV_BOOL);
    v->s = ps->p;
    v->n = wl;
    ps->p += wl;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    v = jv_new(ps->a, JV_NUM);
    v->s = ps->p;
    while (ps->p < ps->end && strchr("+-0123456789.eE", *ps->p)) ps->p++;
    v->n = (size_t)(ps->p - v->s);
  } else {
    ps->err = "unexpected character";
    return NULL;
  }
  ps->depth--;
  return v;
}

jv *jv_parse(jarena *a, const char *text, size_t n, const char **err) {
  jparser ps = {a, text, text + n, NULL, 0};
  jv *v = parse_value(&ps);
  if (v) {
    skip_ws(&ps);
    if (ps.p != ps.end) {
      ps.err = "trailing data after JSON value";
      v = NULL;
    }
  }
  if (!v && err) *err = ps.err ? ps.err : "invalid JSON";
  return v;
}

/* ---- writer ---- */

void jv_write(ksmc_buf *b, const jv *v) {
  switch (v->t) {
  case JV_NULL:
    ksmc_buf_put(b, "null", 4);
    break;
  case JV_BOOL:
  case JV_NUM:
    ksmc_buf_put(b, v->s, v->n);
    break;
  case JV_STR:
    ksmc_buf_putc(b, '"');
    ksmc_buf_put(b, v->s, v->n);
    ksmc_buf_putc(b, '"');
    break;
  case JV_ARR:
  case JV_OBJ: {
    bool obj = v->t == JV_OBJ;
    ksmc_buf_putc(b, obj ? '{' : '[');
    for (const jv *c = v->head; c; c = c->next) {
      if (c != v->head) ksmc_buf_putc(b, ',');
      if (obj) {
        ksmc_buf_putc(b, '"');
        ksmc_buf_put(b, c->key, c->klen);
        ksmc_buf_put(b, "\":", 2);
      }
      jv_write(b, c);
    }
    ksmc_buf_putc(b, obj ? '}' : ']');
    break;
  }
  }
}

void json_escape(ksmc_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      ksmc_buf_putc(b, '\\');
      ksmc_buf_putc(b, (char)c);
    } else if (c < 0x20) {
      if (c == '\n')
        ksmc_buf_put(b, "\\n", 2);
      else if (c == '\t')
        ksmc_buf_put(b, "\\t", 2);
      else if (c == '\r')
        ksmc_buf_put(b, "\\r", 2);
      else {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        ksmc_buf_put(b, u, 6);
      }
    } else {
      ksmc_buf_putc(b, (char)c);
    }
  }
}

/* ---- construction and access ---- */

jv *jv_strn(jarena *a, const char *s, size_t n) {
  jv *v = jv_new(a, JV_STR);
  ksmc_buf b = {0};
  json_escape(&b, s, n);
  v->s = ja_strndup(a, b.p ? b.p : "", b.n);
  v->n = b.n;
  ksmc_buf_free(&b);
  return v;
}

jv *jv_str(jarena *a, const char *s) { return jv_strn(a, s, strlen(s)); }

jv *jv_num(jarena *a, long long x) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", x);
  jv *v = jv_new(a, JV_NUM);
  v->s = ja_strndup(a, tmp, (size_t)n);
  v->n = (size_t)n;
  return v;
}

jv *jv_bool(jarena *a, bool x) {
  jv *v = jv_new(a, JV_BOOL);
  v->s = x ? "true" : "false";
  v->n = x ? 4 : 5;
  return v;
}

bool jkey_eq(const jv *m, const char *key) {
  size_t kl = strlen(key);
  return m->klen == kl && memcmp(m->key, key, kl) == 0;
}

jv *jo_get(const jv *o, const char *key) {
  if (!o || o->t != JV_OBJ) return NULL;
  for (jv *c = o->head; c; c = c->next)
    if (jkey_eq(c, key)) return c;
  return NULL;
}

jv *jo_path(const jv *o, const char *path) {
  char seg[128];
  const jv *cur = o;
  while (cur && *path) {
    const char *dot = strchr(path, '.');
    size_t l = dot ? (size_t)(dot - path) : strlen(path);
    if (l >= sizeof seg) return NULL;
    memcpy(seg, path, l);
    seg[l] = 0;
    cur = jo_get(cur, seg);
    path += l + (dot ? 1 : 0);
  }
  return (jv *)cur;
}

void ja_append(jv *arr, jv *val) {
  val->next = NULL;
  if (arr->tail)
    arr->tail->next = val;
  else
    arr->head = val;
  arr->tail = val;
}

jv *jo_set(jarena *a, jv *o, const char *key, jv *val) {
  size_t kl = strlen(key);
  val->key = ja_strndup(a, key, kl);
  val->klen = kl;
  for (jv *c = o->head, *prev = NULL; c; prev = c, c = c->next) {
    if (jkey_eq(c, key)) {
      val->next = c->next;
      if (prev)
        prev->next = val;
      else
        o->head = val;
      if (o->tail == c) o->tail = val;
      return val;
    }
  }
  ja_append(o, val);
  return val;
}

void jo_del(jv *o, const char *key) {
  if (!o || o->t != JV_OBJ) return;
  for (jv *c = o->head, *prev = NULL; c; prev = c, c = c->next) {
    if (jkey_eq(c, key)) {
      if (prev)
        prev->next = c->next;
      else
        o->head = c->next;
      if (o->tail == c) o->tail = prev;
      return;
    }
  }
}

jv *jo_obj(jarena *a, jv *o, const char *key) {
  jv *c = jo_get(o, key);
  if (c && c->t == JV_OBJ) return c;
  return jo_set(a, o, key, jv_new(a, JV_OBJ));
}

size_t jv_len(const jv *v) {
  size_t n = 0;
  if (v && (v->t == JV_ARR || v->t == JV_OBJ))
    for (jv *c = v->head; c; c = c->next) n++;
  return n;
}

jv *ja_at(const jv *arr, size_t i) {
  if (!arr || (arr->t != JV_ARR && arr->t != JV_OBJ)) return NULL;
  jv *c = arr->head;
  while (c && i--) c = c->next;
  return c;
}

bool jv_eq_cstr(const jv *v, const char *s) {
  size_t l = strlen(s);
  return v && v->t == JV_STR && v->n == l && memcmp(v->s, s, l) == 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char *jv_cstr(jarena *a, const jv *v) {
  if (!v || v->t != JV_STR) {
    if (v && (v->t == JV_NUM || v->t == JV_BOOL)) return ja_strndup(a, v->s, v->n);
    return NULL;
  }
  if (!memchr(v->s, '\\', v->n)) return ja_strndup(a, v->s, v->n);
  char *out = ja_alloc(a, v->n * 3 + 1), *o = out;
  for (size_t i = 0; i < v->n; i++) {
    char c = v->s[i];
    if (c != '\\' || i + 1 >= v->n) {
      *o++ = c;
      continue;
    }
    c = v->s[++i];
    switch (c) {
    case 'n':
      *o++ = '\n';
      break;
    case 't':
      *o++ = '\t';
      break;
    case 'r':
      *o++ = '\r';
      break;
    case 'b':
      *o++ = '\b';
      break;
    case 'f':
      *o++ = '\f';
      break;
    case 'u': {
      unsigned cp = 0;
      for (int k = 0; k < 4 && i + 1 < v->n; k++) {
        int h = hexval(v->s[++i]);
        cp = cp * 16 + (unsigned)(h < 0 ? 0 : h);
      }
      if (cp < 0x80)
        *o++ = (char)cp;
      else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
      } else {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
      }
      break;
    }
    default:
      *o++ = c;
    }
  }
  *o = 0;
  return out;
}

long long jv_int(const jv *v, long long dflt) {
  if (!v || v->t != JV_NUM) return dflt;
  char tmp[32];
  size_t n = v->n < 31 ? v->n : 31;
  memcpy(tmp, v->s, n);
  tmp[n] = 0;
  return strtoll(tmp, NULL, 10);
}

static const char *list_merge_key(const char *field) {
  static const char *const MAP[][2] = {{"containers", "name"},
                                       {"initContainers", "name"},
                                       {"ephemeralContainers", "name"},
                                       {"volumes", "name"},
                                       {"env", "name"},
                                       {"ports", "containerPort"},
                                       {"volumeMounts", "mountPath"},
                                       {"imagePullSecrets", "name"},
                                       {"conditions", "type"},
                                       {"ownerReferences", "uid"},
                                       {"hostAliases", "ip"},
                                       {"volumeDevices", "devicePath"}};
  for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
    if (!strcmp(MAP[i][0], field)) return MAP[i][1];
  return NULL;
}

static bool same_scalar(const jv *x, const jv *y) {
  return x && y && x->t == y->t && x->n == y->n && !memcmp(x->s, y->s, x->n);
}

static jv *merge(jarena *a, jv *target, const jv *patch, bool strategic);

static jv *copy_node(jarena *a, const jv *m) {
  jv *cp = jv_new(a, m->t);
  *cp = *m;
  cp->next = NULL;
  return cp;
}

static jv *merge_list(jarena *a, jv *target, const jv *patch, const char *key) {
  jv *out = jv_new(a, JV_ARR);
  /* target elements, patched or deleted */
  for (jv *t = target->head; t;) {
    jv *next = t->next;
    jv *tk = jo_get(t, key), *hit = NULL;
    for (jv *p = patch->head; p && tk; p = p->next)
      if (same_scalar(jo_get(p, key), tk)) hit = p;
    if (hit && jv_eq_cstr(jo_get(hit, "$patch"), "delete")) {
      t = next;
      continue;
    }
    ja_append(out, hit ? merge(a, t, hit, true) : t);
    t = next;
  }
  /* new elements */
  for (jv *p = patch->head; p; p = p->next) {
    if (p->t != JV_OBJ || jv_eq_cstr(jo_get(p, "$patch"), "delete")) continue;
    jv *pk = jo_get(p, key);
    bool found = false;
    for (jv *t = target->head; t && pk; t = t->next)
      if (same_scalar(jo_get(t, key), pk)) found = true;
    if (!found) ja_append(out, merge(a, NULL, p, true));
  }
  return out;
}

static jv *merge(jarena *a, jv *target, const jv *patch, bool strategic) {
  if (!patch || patch->t != JV_OBJ) return (jv *)patch;
  if (!target || target->t != JV_OBJ) target = jv_new(a, JV_OBJ);
  for (const jv *m = patch->head; m; m = m->next) {
    if (m->klen && m->key[0] == '$') continue;
    char *key = ja_strndup(a, m->key, m->klen);
    if (m->t == JV_NULL) {
      jo_del(target, key);
      continue;
    }
    jv *cur = jo_get(target, key);
    jv *merged;
    const char *lk = strategic && m->t == JV_ARR ? list_merge_key(key) : NULL;
    if (lk && cur && cur->t == JV_ARR)
      merged = merge_list(a, cur, m, lk);
    else
      merged = merge(a, cur, m, strategic);
    if (merged == m) merged = copy_node(a, m); /* keep the patch's sibling links intact */
    jo_set(a, target, key, merged);
  }
  return target;
}

jv *jv_merge_patch(jarena *a, jv *target, const jv *patch) {
  return merge(a, target, patch, false);
}

jv *jv_strategic_patch(jarena *a, jv *target, const jv *patch) {
  return merge(a, target, patch, true);
}

/* ---- streaming writer ---- */

void jw_init(jw *w, ksmc_buf *b) {
  w->b = b;
  w->depth = 0;
  w->first[0] = true;
}

void jw_key(jw *w, const char *key) {
  if (!w->first[w->depth]) ksmc_buf_putc(w->b, ',');
  w->first[w->depth] = false;
  if (key) {
    ksmc_buf_putc(w->b, '"');
    ksmc_buf_put(w->b, key, strlen(key));
    ksmc_buf_put(w->b, "\":", 2);
  }
}

void jw_obj(jw *w, const char *key) {
  jw_key(w, key);
  ksmc_buf_putc(w->b, '{');
  w->first[++w->depth] = true;
}

void jw_arr(jw *w, const char *key) {
  jw_key(w, key);
  ksmc_buf_putc(w->b, '[');
  w->first[++w->depth] = true;
}

void jw_end(jw *w, char close) {
  ksmc_buf_putc(w->b, close);
  w->depth--;
}

void jw_s(jw *w, const char *key, const char *val) {
  jw_key(w, key);
  ksmc_buf_putc(w->b, '"');
  json_escape(w->b, val, strlen(val));
  ksmc_buf_putc(w->b, '"');
}

void jw_i(jw *w, const char *key, long long val) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", val);
  jw_key(w, key);
  ksmc_buf_put(w->b, tmp, (size_t)n);
}

void jw_b(jw *w, const char *key, bool val) {
  jw_key(w, key);
  ksmc_buf_put(w->b, val ? "true" : "false", val ? 4 : 5);
}

void jw_raw(jw *w, const char *key, const char *raw) {
  jw_key(w, key);
  ksmc_buf_put(w->b, raw, strlen(raw));
}

void jw_fmt(jw *w, const char *key, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof tmp) n = sizeof tmp - 1;
  jw_key(w, key);
  ksmc_buf_putc(w->b, '"');
  json_escape(w->b, tmp, (size_t)n);
  ksmc_buf_putc(w->b, '"');
}
