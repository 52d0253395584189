/* spec_schema: a custom resource's field schema from its spec (see spec_schema.h). */
#include "spec_schema.h"

#include <stdlib.h>
#include <string.h>

static const char *const decl_types[] = {"string",   "int",    "number", "bool", "timestamp",
                                         "quantity", "object", "array",  "map",  "any"};
static const schema_type decl_values[] = {ST_STRING,   ST_INT,    ST_NUMBER, ST_BOOL, ST_TIMESTAMP,
                                          ST_QUANTITY, ST_OBJECT, ST_ARRAY,  ST_MAP,  ST_ANY};
#define NTYPES (sizeof decl_types / sizeof decl_types[0])

static char *dup_n(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) abort();
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static schema_field *find(schema_kind *k, const char *path, size_t n) {
  for (size_t i = 0; i < k->nfields; i++)
    if (strlen(k->fields[i].path) == n && !memcmp(k->fields[i].path, path, n)) return &k->fields[i];
  return NULL;
}

static void add(schema_kind *k, const char *path, size_t n, schema_type t) {
  schema_field *f = realloc(k->fields, (k->nfields + 1) * sizeof *f);
  if (!f) abort();
  k->fields = f;
  k->fields[k->nfields++] = (schema_field){dup_n(path, n), t};
}

/* Length of a valid schema path (`.a.b[].c{}`), or 0 with *bad at the first bad byte. */
static size_t path_len(const char *p, size_t *bad) {
  size_t i = 0;
  while (p[i]) {
    if (p[i] == '.') {
      size_t j = i + 1;
      while (p[j] && (strchr("_$-", p[j]) || (p[j] >= 'a' && p[j] <= 'z') ||
                      (p[j] >= 'A' && p[j] <= 'Z') || (p[j] >= '0' && p[j] <= '9')))
        j++;
      if (j == i + 1) break;
      i = j;
    } else if ((p[i] == '[' && p[i + 1] == ']') || (p[i] == '{' && p[i + 1] == '}')) {
      if (i == 0) break;
      i += 2;
    } else {
      break;
    }
  }
  if (p[i] || i == 0) {
    *bad = i;
    return 0;
  }
  return i;
}

/* Declares (path[0..n), t); a different earlier type is a conflict reported at pos. */
static void declare(schema_kind *k, const char *path, size_t n, schema_type t, bool implied,
                    ksmc_pos pos, ksmc_diag *d) {
  schema_field *f = find(k, path, n);
  if (!f) {
    add(k, path, n, t);
  } else if (f->type != t) {
    if (implied)
      ksmc_error(d, pos, "this path needs %.*s to be %s, but it is %s", (int)n, path,
                 schema_type_name(t), schema_type_name(f->type));
    else
      ksmc_error(d, pos, "%.*s is declared %s here but is %s already", (int)n, path,
                 schema_type_name(t), schema_type_name(f->type));
  }
}

static bool is_meta(const char *p) {
  return !strncmp(p, ".metadata", 9) && (p[9] == '\0' || p[9] == '.');
}

bool spec_schema_build(schema_kind *out, const char *kind, const char *gv, const yt_node *m,
                       const schema *k8s, ksmc_diag *d) {
  int errors = d->errors;
  *out = (schema_kind){dup_n(kind, strlen(kind)), dup_n(gv, strlen(gv)), NULL, 0, NULL};
  add(out, ".kind", 5, ST_STRING);
  add(out, ".apiVersion", 11, ST_STRING);
  for (size_t i = 0; k8s && i < k8s->nkinds; i++) {
    const schema_kind *k = &k8s->kinds[i];
    if (schema_lookup(k, ".metadata") != ST_OBJECT) continue;
    for (size_t j = 0; j < k->nfields; j++)
      if (is_meta(k->fields[j].path))
        add(out, k->fields[j].path, strlen(k->fields[j].path), k->fields[j].type);
    break;
  }
  if (m->type != YT_MAP) {
    ksmc_error(d, m->pos,
               "schema must be a mapping of field path to type, e.g. "
               "`.status.conditions[].type: string`");
    return false;
  }
  for (size_t i = 0; i < m->npairs; i++) {
    const yt_node *key = m->pairs[i].key, *val = m->pairs[i].value;
    ksmc_pos kp = key->pos;
    kp.col += key->style_offset;
    const char *p = key->str;
    size_t bad = 0, n = path_len(p, &bad);
    if (!n) {
      ksmc_pos bp = kp;
      bp.col += (int)bad;
      ksmc_error(d, bp,
                 "invalid schema path '%s' (fields are .name, array elements [], map values {}, "
                 "e.g. .status.conditions[].type)",
                 p);
      continue;
    }
    bool dup = false;
    for (size_t j = 0; j < i; j++) dup |= !strcmp(m->pairs[j].key->str, p);
    if (dup) {
      ksmc_error(d, kp, "%s is declared twice", p);
      continue;
    }
    if (is_meta(p) || !strcmp(p, ".kind") || !strcmp(p, ".apiVersion")) {
      ksmc_error(d, kp,
                 "%s is always declared (ObjectMeta, kind and apiVersion come from the "
                 "Kubernetes schema)",
                 p);
      continue;
    }
    if (val->type != YT_SCALAR) {
      ksmc_error(d, val->pos, "the type of %s must be a scalar, not %s", p,
                 yt_type_name(val->type));
      continue;
    }
    schema_type t = ST_NONE;
    for (size_t j = 0; j < NTYPES; j++)
      if (!strcmp(val->str, decl_types[j])) t = decl_values[j];
    if (t == ST_NONE) {
      const char *hint = ksmc_did_you_mean(val->str, decl_types, (int)NTYPES);
      ksmc_pos vp = val->pos;
      vp.col += val->style_offset;
      if (hint)
        ksmc_error(d, vp, "unknown field type '%s' for %s; did you mean '%s'?", val->str, p, hint);
      else
        ksmc_error(d, vp,
                   "unknown field type '%s' for %s (string, int, number, bool, timestamp, "
                   "quantity, object, array, map or any)",
                   val->str, p);
      continue;
    }
    /* Every proper prefix is a container whose kind the next segment tells. */
    for (size_t j = 1; j < n; j++) {
      schema_type pt = p[j] == '.' ? ST_OBJECT : p[j] == '[' ? ST_ARRAY : p[j] == '{' ? ST_MAP : 0;
      if (pt) declare(out, p, j, pt, true, kp, d);
    }
    declare(out, p, n, t, false, kp, d);
  }
  return d->errors == errors;
}

void spec_schema_free(schema_kind *k) {
  for (size_t i = 0; i < k->nfields; i++) free(k->fields[i].path);
  free(k->fields);
  free(k->by_path);
  free(k->kind);
  free(k->group_version);
  memset(k, 0, sizeof *k);
}
