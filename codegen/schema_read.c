/* schema_read: loads metric schemas from the inputs of `ksmc-gen schema|diff|docs|rbac`:
 * spec directories and files (through the compiler's own spec_load) and the JSON that
 * `ksmc-gen schema --format json` writes (through jsmn, validated key by key). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The only translation unit of ksmc-gen that compiles jsmn; static so that it can never
 * clash with the runtime's copy. */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "schema_dump.h"

typedef struct {
  const char *file;
  const char *js;
  size_t len;
  jsmntok_t *t;
  int n;
  ksmc_diag *d;
} jctx;

static ksmc_pos pos_at(const jctx *c, int offset) {
  ksmc_pos p = {c->file, 1, 1};
  for (int i = 0; i < offset && (size_t)i < c->len; i++) {
    if (c->js[i] == '\n') {
      p.line++;
      p.col = 1;
    } else {
      p.col++;
    }
  }
  return p;
}

static ksmc_pos tok_pos(const jctx *c, int i) {
  /* strings start after their quote: point at the quote */
  int at = c->t[i].start - (c->t[i].type == JSMN_STRING ? 1 : 0);
  return pos_at(c, at < 0 ? 0 : at);
}

/* Index of the token after the whole subtree at i: the tokens inside a value lie within
 * its [start, end), so this needs no recursion however deep the input nests. */
static int skip(const jctx *c, int i) {
  int j = i + 1;
  while (j < c->n && c->t[j].start < c->t[i].end) j++;
  return j;
}

static bool tok_is(const jctx *c, int i, const char *s) {
  size_t l = strlen(s);
  return (size_t)(c->t[i].end - c->t[i].start) == l && !memcmp(c->js + c->t[i].start, s, l);
}

static void put_utf8(char *out, size_t *o, unsigned cp) {
  if (cp < 0x80) {
    out[(*o)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*o)++] = (char)(0xc0 | (cp >> 6));
    out[(*o)++] = (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out[(*o)++] = (char)(0xe0 | (cp >> 12));
    out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[(*o)++] = (char)(0x80 | (cp & 0x3f));
  } else {
    out[(*o)++] = (char)(0xf0 | (cp >> 18));
    out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[(*o)++] = (char)(0x80 | (cp & 0x3f));
  }
}

static int hex4(const char *s, unsigned *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    char ch = s[i];
    int x = ch >= '0' && ch <= '9'   ? ch - '0'
            : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
            : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                     : -1;
    if (x < 0) return 0;
    *v = *v * 16 + (unsigned)x;
  }
  return 1;
}

/* The decoded string at token i (caller frees), or NULL after reporting an error. */
static char *get_string(const jctx *c, int i, const char *what) {
  if (c->t[i].type != JSMN_STRING) {
    ksmc_error(c->d, tok_pos(c, i), "%s must be a string", what);
    return NULL;
  }
  const char *s = c->js + c->t[i].start;
  size_t n = (size_t)(c->t[i].end - c->t[i].start), o = 0;
  char *out = malloc(n + 1);
  if (!out) abort();
  for (size_t k = 0; k < n; k++) {
    if (s[k] != '\\') {
      out[o++] = s[k];
      continue;
    }
    char e = k + 1 < n ? s[++k] : '\0';
    unsigned cp;
    switch (e) {
    case '"':
      out[o++] = '"';
      break;
    case '\\':
      out[o++] = '\\';
      break;
    case '/':
      out[o++] = '/';
      break;
    case 'b':
      out[o++] = '\b';
      break;
    case 'f':
      out[o++] = '\f';
      break;
    case 'n':
      out[o++] = '\n';
      break;
    case 'r':
      out[o++] = '\r';
      break;
    case 't':
      out[o++] = '\t';
      break;
    case 'u':
      if (k + 4 < n && hex4(s + k + 1, &cp)) {
        k += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && k + 6 < n && s[k + 1] == '\\' && s[k + 2] == 'u') {
          unsigned lo;
          if (hex4(s + k + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            k += 6;
          }
        }
        if (cp == 0 || (cp >= 0xd800 && cp < 0xe000)) {
          ksmc_error(c->d, pos_at(c, c->t[i].start + (int)k - 5), "%s: unsupported \\u escape",
                     what);
          free(out);
          return NULL;
        }
        put_utf8(out, &o, cp); /* 4 bytes at most, never more than the 6 escape bytes */
        break;
      }
      /* fall through */
    default:
      ksmc_error(c->d, pos_at(c, c->t[i].start + (int)k - 1), "%s: invalid escape", what);
      free(out);
      return NULL;
    }
  }
  out[o] = '\0';
  return out;
}

static bool get_bool(const jctx *c, int i, const char *what, bool *v) {
  if (c->t[i].type == JSMN_PRIMITIVE && (tok_is(c, i, "true") || tok_is(c, i, "false"))) {
    *v = tok_is(c, i, "true");
    return true;
  }
  ksmc_error(c->d, tok_pos(c, i), "%s must be true or false", what);
  return false;
}

static bool get_int(const jctx *c, int i, const char *what, int *v) {
  if (c->t[i].type == JSMN_PRIMITIVE) {
    char buf[32];
    int l = c->t[i].end - c->t[i].start;
    if (l > 0 && l < (int)sizeof buf) {
      memcpy(buf, c->js + c->t[i].start, (size_t)l);
      buf[l] = '\0';
      char *end;
      errno = 0;
      long x = strtol(buf, &end, 10);
      if (!*end && !errno && x >= 0 && x <= 1000000000) {
        *v = (int)x;
        return true;
      }
    }
  }
  ksmc_error(c->d, tok_pos(c, i), "%s must be a non-negative integer", what);
  return false;
}

/* A string or null (NULL value, no error). */
static bool get_opt_string(const jctx *c, int i, const char *what, char **v) {
  *v = NULL;
  if (c->t[i].type == JSMN_PRIMITIVE && tok_is(c, i, "null")) return true;
  *v = get_string(c, i, what);
  return *v != NULL;
}

/* Checks that object i has only `keys` and all of `required`; fills vals[] with the
 * value token of each key (-1 when absent). */
static bool get_keys(const jctx *c, int i, const char *what, const char *const *keys, int *vals,
                     unsigned required) {
  if (c->t[i].type != JSMN_OBJECT) {
    ksmc_error(c->d, tok_pos(c, i), "%s must be an object", what);
    return false;
  }
  int nkeys = 0;
  while (keys[nkeys]) vals[nkeys++] = -1;
  bool ok = true;
  int j = i + 1;
  for (int k = 0; k < c->t[i].size; k++) {
    int key = j, val = j + 1;
    int found = -1;
    for (int x = 0; x < nkeys && found < 0; x++)
      if (tok_is(c, key, keys[x])) found = x;
    if (found < 0) {
      ksmc_error(c->d, tok_pos(c, key), "%s: unknown key '%.*s'", what,
                 c->t[key].end - c->t[key].start, c->js + c->t[key].start);
      ok = false;
    } else if (vals[found] >= 0) {
      ksmc_error(c->d, tok_pos(c, key), "%s: duplicate key '%s'", what, keys[found]);
      ok = false;
    } else {
      vals[found] = val;
    }
    j = skip(c, val);
  }
  for (int x = 0; x < nkeys; x++)
    if ((required >> x & 1) && vals[x] < 0) {
      ksmc_error(c->d, tok_pos(c, i), "%s: missing key '%s'", what, keys[x]);
      ok = false;
    }
  return ok;
}

static bool is_one_of(const char *s, const char *const *set) {
  for (; *set; set++)
    if (!strcmp(s, *set)) return true;
  return false;
}

static bool read_label(const jctx *c, int i, ms_label *l) {
  static const char *const keys[] = {"name", "dynamic", "default", "source", NULL};
  int v[4];
  if (!get_keys(c, i, "label", keys, v, 1u)) return false;
  l->name = get_string(c, v[0], "label name");
  bool ok = l->name != NULL;
  if (v[1] >= 0) ok &= get_bool(c, v[1], "label dynamic", &l->dynamic);
  if (v[2] >= 0) ok &= get_bool(c, v[2], "label default", &l->is_default);
  l->source = v[3] >= 0 ? get_string(c, v[3], "label source") : strdup("");
  return ok && l->source;
}

static char *dup_or(const jctx *c, int tok, const char *what, const char *dflt) {
  if (tok < 0) {
    char *s = strdup(dflt);
    if (!s) abort();
    return s;
  }
  return get_string(c, tok, what);
}

static bool read_family(const jctx *c, int i, ms_family *f) {
  static const char *const keys[] = {"name",       "type",   "stability",
                                     "deprecated", "opt_in", "help",
                                     "labels",     "states", "dynamic_allowlist",
                                     "unit",       "value",  "select",
                                     "file",       "line",   NULL};
  static const char *const types[] = {"gauge", "counter", "info", "stateset", NULL};
  static const char *const stabs[] = {"stable", "alpha", "beta", "experimental", NULL};
  static const char *const allow[] = {"labels", "annotations", "all", NULL};
  int v[14];
  if (!get_keys(c, i, "family", keys, v, 0x67u)) return false;
  bool ok = true;
  f->name = get_string(c, v[0], "family name");
  f->type = get_string(c, v[1], "family type");
  f->stability = get_string(c, v[2], "family stability");
  f->help = get_string(c, v[5], "family help");
  ok = f->name && f->type && f->stability && f->help;
  if (f->type && !is_one_of(f->type, types)) {
    ksmc_error(c->d, tok_pos(c, v[1]), "unknown metric type '%s'", f->type);
    ok = false;
  }
  if (f->stability && !is_one_of(f->stability, stabs)) {
    ksmc_error(c->d, tok_pos(c, v[2]), "unknown stability '%s'", f->stability);
    ok = false;
  }
  if (v[3] >= 0) ok &= get_opt_string(c, v[3], "deprecated", &f->deprecated);
  if (v[4] >= 0) ok &= get_bool(c, v[4], "opt_in", &f->opt_in);
  if (c->t[v[6]].type != JSMN_ARRAY) {
    ksmc_error(c->d, tok_pos(c, v[6]), "labels must be an array");
    return false;
  }
  f->labels = calloc((size_t)c->t[v[6]].size + 1, sizeof *f->labels);
  if (!f->labels) abort();
  for (int k = 0, j = v[6] + 1; k < c->t[v[6]].size; k++, j = skip(c, j))
    ok &= read_label(c, j, &f->labels[f->nlabels++]);
  if (v[7] >= 0) {
    if (c->t[v[7]].type != JSMN_ARRAY) {
      ksmc_error(c->d, tok_pos(c, v[7]), "states must be an array");
      return false;
    }
    f->states = calloc((size_t)c->t[v[7]].size + 1, sizeof *f->states);
    if (!f->states) abort();
    for (int k = 0, j = v[7] + 1; k < c->t[v[7]].size; k++, j = skip(c, j)) {
      f->states[f->nstates] = get_string(c, j, "state");
      ok &= f->states[f->nstates++] != NULL;
    }
  }
  if (v[8] >= 0 && get_opt_string(c, v[8], "dynamic_allowlist", &f->dynamic) && f->dynamic &&
      !is_one_of(f->dynamic, allow)) {
    ksmc_error(c->d, tok_pos(c, v[8]), "unknown dynamic_allowlist '%s'", f->dynamic);
    ok = false;
  }
  f->unit = dup_or(c, v[9], "unit", "");
  f->value = dup_or(c, v[10], "value", "");
  f->select = dup_or(c, v[11], "select", "");
  f->file = dup_or(c, v[12], "file", "");
  ok &= f->unit && f->value && f->select && f->file;
  if (v[13] >= 0) ok &= get_int(c, v[13], "line", &f->line);
  return ok;
}

static bool read_kind(const jctx *c, int i, ms_kind *k) {
  static const char *const keys[] = {"kind",       "group", "version",  "resource",
                                     "namespaced", "file",  "families", NULL};
  int v[7];
  if (!get_keys(c, i, "kind", keys, v, 0x5fu)) return false;
  k->kind = get_string(c, v[0], "kind");
  k->group = get_string(c, v[1], "group");
  k->version = get_string(c, v[2], "version");
  k->resource = get_string(c, v[3], "resource");
  bool ok = k->kind && k->group && k->version && k->resource;
  ok &= get_bool(c, v[4], "namespaced", &k->namespaced);
  k->file = dup_or(c, v[5], "file", "");
  ok &= k->file != NULL;
  if (c->t[v[6]].type != JSMN_ARRAY) {
    ksmc_error(c->d, tok_pos(c, v[6]), "families must be an array");
    return false;
  }
  k->families = calloc((size_t)c->t[v[6]].size + 1, sizeof *k->families);
  if (!k->families) abort();
  for (int x = 0, j = v[6] + 1; x < c->t[v[6]].size; x++, j = skip(c, j))
    ok &= read_family(c, j, &k->families[k->nfamilies++]);
  return ok;
}

bool ms_read_json_text(ms_schema *m, const char *file, const char *text, size_t len, ksmc_diag *d) {
  jctx c = {file, text, len, NULL, 0, d};
  jsmn_parser p;
  jsmn_init(&p);
  int n = jsmn_parse(&p, text, len, NULL, 0);
  if (n < 1) {
    ksmc_error(d, pos_at(&c, (int)p.pos), "%s",
               n == 0 ? "empty input, expected a JSON object" : "invalid JSON");
    return false;
  }
  c.t = calloc((size_t)n, sizeof *c.t);
  if (!c.t) abort();
  c.n = n;
  jsmn_init(&p);
  n = jsmn_parse(&p, text, len, c.t, (unsigned)n);
  bool ok = n > 0 && skip(&c, 0) == n;
  if (!ok) /* a syntax error, a truncated text, or a second value after the first */
    ksmc_error(d, pos_at(&c, n > 0 ? c.t[skip(&c, 0)].start : (int)p.pos), "%s",
               n == JSMN_ERROR_PART ? "unexpected end of input: the JSON is truncated"
                                    : "invalid JSON");
  static const char *const keys[] = {"ksmc_metric_schema", "kinds", NULL};
  int v[2], version = 0;
  ok = ok && get_keys(&c, 0, "metric schema", keys, v, 3u) &&
       get_int(&c, v[0], "ksmc_metric_schema", &version);
  if (ok && version != MS_JSON_VERSION) {
    ksmc_error(d, tok_pos(&c, v[0]), "metric schema version %d, this ksmc-gen reads version %d",
               version, MS_JSON_VERSION);
    ok = false;
  }
  if (ok && c.t[v[1]].type != JSMN_ARRAY) {
    ksmc_error(d, tok_pos(&c, v[1]), "kinds must be an array");
    ok = false;
  }
  ms_schema got = {0};
  if (ok) {
    got.kinds = calloc((size_t)c.t[v[1]].size + 1, sizeof *got.kinds);
    if (!got.kinds) abort();
    for (int k = 0, j = v[1] + 1; k < c.t[v[1]].size; k++, j = skip(&c, j))
      ok &= read_kind(&c, j, &got.kinds[got.nkinds++]);
  }
  if (ok) { /* keep m sorted: move kinds one by one */
    for (size_t k = 0; k < got.nkinds; k++) {
      ms_kind *kinds = realloc(m->kinds, (m->nkinds + 1) * sizeof *kinds);
      if (!kinds) abort();
      m->kinds = kinds;
      size_t at = m->nkinds;
      while (at > 0 && (strcmp(m->kinds[at - 1].kind, got.kinds[k].kind) > 0 ||
                        (!strcmp(m->kinds[at - 1].kind, got.kinds[k].kind) &&
                         strcmp(m->kinds[at - 1].group, got.kinds[k].group) > 0)))
        at--;
      memmove(&m->kinds[at + 1], &m->kinds[at], (m->nkinds - at) * sizeof *m->kinds);
      m->kinds[at] = got.kinds[k];
      m->nkinds++;
    }
    free(got.kinds);
  } else {
    ms_free(&got);
  }
  free(c.t);
  return ok;
}

bool ms_read_json(ms_schema *m, const char *file, ksmc_diag *d) {
  FILE *f = fopen(file, "rb");
  if (!f) {
    ksmc_error(d, (ksmc_pos){file, 0, 0}, "cannot read: %s", strerror(errno));
    return false;
  }
  char *text = NULL;
  size_t len = 0, cap = 0, got;
  char chunk[65536];
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + got + 1 > cap) {
      cap = (len + got + 1) * 2;
      char *p = realloc(text, cap);
      if (!p) abort();
      text = p;
    }
    memcpy(text + len, chunk, got);
    len += got;
  }
  fclose(f);
  bool ok = ms_read_json_text(m, file, text ? text : "", len, d);
  free(text);
  return ok;
}

/* ---- inputs ---------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix);
}

char **ms_expand_paths(char *const *paths, size_t npaths, size_t *count, ksmc_diag *d) {
  char **out = NULL;
  size_t n = 0, cap = 0;
  bool ok = true;
#define PUSH(s)                                                                                    \
  do {                                                                                             \
    if (n + 2 > cap) {                                                                             \
      cap = cap ? cap * 2 : 16;                                                                    \
      char **p_ = realloc(out, cap * sizeof *out);                                                 \
      if (!p_) abort();                                                                            \
      out = p_;                                                                                    \
    }                                                                                              \
    out[n++] = (s);                                                                                \
  } while (0)
  for (size_t i = 0; i < npaths; i++) {
    struct stat st;
    if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      DIR *dir = opendir(paths[i]);
      if (!dir) {
        ksmc_error(d, (ksmc_pos){paths[i], 0, 0}, "cannot read directory: %s", strerror(errno));
        ok = false;
        continue;
      }
      size_t first = n, plen = strlen(paths[i]);
      while (plen > 1 && paths[i][plen - 1] == '/') plen--;
      struct dirent *e;
      while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, "custom")) { /* specs/custom/: custom resources, same rules */
          char *sub = malloc(plen + 8);
          if (!sub) abort();
          sprintf(sub, "%.*s/custom", (int)plen, paths[i]);
          DIR *cd = opendir(sub);
          struct dirent *ce;
          while (cd && (ce = readdir(cd))) {
            if (ce->d_name[0] == '.' || !ends_with(ce->d_name, ".yaml")) continue;
            char *p = malloc(strlen(sub) + strlen(ce->d_name) + 2);
            if (!p) abort();
            sprintf(p, "%s/%s", sub, ce->d_name);
            PUSH(p);
          }
          if (cd) closedir(cd);
          free(sub);
          continue;
        }
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".yaml")) continue;
        char *p = malloc(plen + strlen(e->d_name) + 2);
        if (!p) abort();
        sprintf(p, "%.*s/%s", (int)plen, paths[i], e->d_name);
        PUSH(p);
      }
      closedir(dir);
      if (n == first) /* a wrong path in CI would otherwise read as "every family removed" */
        ksmc_warning(d, (ksmc_pos){paths[i], 0, 0}, "no *.yaml spec in this directory");
      if (n > first) qsort(out + first, n - first, sizeof *out, cmp_str);
    } else {
      char *p = strdup(paths[i]);
      if (!p) abort();
      PUSH(p);
    }
  }
#undef PUSH
  if (!out) {
    out = calloc(1, sizeof *out);
    if (!out) abort();
  }
  out[n] = NULL;
  *count = n;
  if (!ok) {
    ms_free_paths(out);
    return NULL;
  }
  return out;
}

void ms_free_paths(char **paths) {
  if (!paths) return;
  for (char **p = paths; *p; p++) free(*p);
  free(paths);
}

/* Reports a family name that two kinds (or two specs) both define. */
static bool check_unique(const ms_schema *m, ksmc_diag *d) {
  bool ok = true;
  for (size_t i = 0; i < m->nkinds; i++)
    for (size_t j = 0; j < m->kinds[i].nfamilies; j++) {
      const ms_family *f = &m->kinds[i].families[j];
      const ms_kind *k;
      const ms_family *first = ms_find_family(m, f->name, &k);
      if (first != f) {
        ksmc_error(d, (ksmc_pos){f->file, f->line, 0}, "family '%s' is defined twice", f->name);
        ksmc_note(d, (ksmc_pos){first->file, first->line, 0}, "first defined here (kind %s)",
                  k->kind);
        ok = false;
      }
    }
  return ok;
}

bool ms_load_inputs(ms_schema *m, char *const *paths, size_t npaths, const char *schema_file,
                    ksmc_diag *d) {
  size_t n;
  char **files = ms_expand_paths(paths, npaths, &n, d);
  if (!files) return false;
  bool ok = true, have_schema = false;
  schema sch = {0};
  for (size_t i = 0; i < n; i++) {
    if (ends_with(files[i], ".json")) {
      ok &= ms_read_json(m, files[i], d);
      continue;
    }
    if (!have_schema) {
      if (!schema_load(&sch, schema_file, d)) {
        ok = false;
        break;
      }
      have_schema = true;
    }
    spec *s = spec_load(files[i], &sch, d);
    if (s) ms_add_spec(m, s);
    ok &= s != NULL;
    spec_free(s);
  }
  if (have_schema) schema_free(&sch);
  ms_free_paths(files);
  return ok && check_unique(m, d);
}
