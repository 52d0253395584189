/* crs_import: CRS config -> ksmc specs (see crs_import.h). */
#include "crs_import.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emit_internal.h"
#include "ytree.h"

#define MAX_LABELS 64
#define MAX_FIELDS 256

static char *xstrdup(const char *s) {
  char *d = strdup(s ? s : "");
  if (!d) abort();
  return d;
}

/* One label of a family: name and the spec expression of its value. */
typedef struct {
  char *name;
  char *expr;
} lbl;

/* The conversion of one resource. */
typedef struct {
  ksmc_diag *d;
  const char *file;
  char *fields[MAX_FIELDS]; /* schema: path and type, in first-use order */
  const char *types[MAX_FIELDS];
  ksmc_pos field_pos[MAX_FIELDS];
  int nfields;
  sb fam;                   /* families text */
  lbl res_lbls[MAX_LABELS]; /* the resource's labelsFromPath, converted once */
  int nres;
} conv;

/* A converted CRS path. */
typedef struct {
  char expr[2048];  /* ksmc path expression, e.g. ".status.conditions[type=\"Ready\"]" */
  char spath[2048]; /* schema path, e.g. ".status.conditions[]" */
  bool filter_end;  /* the last segment is a [k=v] selector (the path iterates) */
  char fkey[256];   /* that selector's field */
  bool ok;
} cpath;

static bool ident(const char *s) {
  if (!*s || !(isalpha((unsigned char)*s) || *s == '_')) return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-')) return false;
  return true;
}

static void declare(conv *c, const char *path, const char *type, ksmc_pos pos) {
  /* ObjectMeta, kind and apiVersion are always in a custom resource's schema */
  if (!*path || !strncmp(path, ".metadata", 9) || !strcmp(path, ".kind") ||
      !strcmp(path, ".apiVersion"))
    return;
  for (int i = 0; i < c->nfields; i++)
    if (!strcmp(c->fields[i], path)) {
      if (strcmp(c->types[i], type)) {
        /* a container read as a value too, or a map and a list: no static type fits */
        ksmc_error(c->d, pos, "%s is read as %s here and as %s elsewhere; ksmc needs one type",
                   path, type, c->types[i]);
      }
      return;
    }
  if (c->nfields == MAX_FIELDS) {
    ksmc_error(c->d, pos, "too many fields");
    return;
  }
  c->fields[c->nfields] = xstrdup(path);
  c->types[c->nfields] = type;
  c->field_pos[c->nfields++] = pos;
}

/* Converts a CRS path (a sequence of scalars) appended to base (expr "", "$e"; schema
 * path of base). A [k=v] selector is allowed only as the last segment when last_filter. */
static cpath convert_path(conv *c, const yt_node *seq, const char *base_expr,
                          const char *base_spath, bool last_filter) {
  cpath p = {.ok = true};
  snprintf(p.expr, sizeof p.expr, "%s", base_expr);
  snprintf(p.spath, sizeof p.spath, "%s", base_spath);
  if (!seq) return p;
  if (seq->type != YT_SEQ) {
    ksmc_error(c->d, seq->pos, "a path must be a list of keys, e.g. [status, phase]");
    p.ok = false;
    return p;
  }
  for (size_t i = 0; i < seq->nitems; i++) {
    const yt_node *s = seq->items[i];
    if (s->type != YT_SCALAR) {
      ksmc_error(c->d, s->pos, "a path segment must be a scalar");
      p.ok = false;
      return p;
    }
    const char *t = s->str;
    size_t n = strlen(t), el = strlen(p.expr), sl = strlen(p.spath);
    if (n > 2 && t[0] == '[' && t[n - 1] == ']') {
      const char *eq = strchr(t, '=');
      char key[256], val[512];
      if (!eq || (size_t)(eq - t - 1) >= sizeof key) {
        ksmc_error(c->d, s->pos, "cannot convert list lookup '%s' (want [field=value])", t);
        p.ok = false;
        return p;
      }
      snprintf(key, sizeof key, "%.*s", (int)(eq - t - 1), t + 1);
      snprintf(val, sizeof val, "%.*s", (int)(n - (size_t)(eq - t) - 2), eq + 1);
      if (!last_filter || i + 1 != seq->nitems) {
        ksmc_error(c->d, s->pos,
                   "cannot convert '%s' here: ksmc iterates a [field=value] selection, so it "
                   "must end a metric's path (bind the element, then read below it)",
                   t);
        p.ok = false;
        return p;
      }
      if (!ident(key) || strpbrk(val, "\"\\")) {
        ksmc_error(c->d, s->pos, "cannot convert list lookup '%s': field or value not supported",
                   t);
        p.ok = false;
        return p;
      }
      snprintf(p.expr + el, sizeof p.expr - el, "[%s=\"%s\"]", key, val);
      snprintf(p.spath + sl, sizeof p.spath - sl, "[]");
      snprintf(p.fkey, sizeof p.fkey, "%s", key);
      p.filter_end = true;
      continue;
    }
    if (strchr(t, '=')) {
      ksmc_error(c->d, s->pos,
                 "cannot convert '%s': a key=value match on an object has no ksmc equivalent; "
                 "use a where: condition in the spec",
                 t);
      p.ok = false;
      return p;
    }
    bool digits = n && strspn(t, "0123456789") == n;
    if (digits || !ident(t)) {
      ksmc_error(c->d, s->pos,
                 digits ? "cannot convert list index '%s': ksmc reads lists with [*], "
                          "[field=value], first() or last()"
                        : "cannot convert key '%s': ksmc paths take identifier keys",
                 t);
      p.ok = false;
      return p;
    }
    snprintf(p.expr + el, sizeof p.expr - el, ".%s", t);
    snprintf(p.spath + sl, sizeof p.spath - sl, ".%s", t);
  }
  return p;
}

/* ---- labels -------------------------------------------------------------------------- */

static void set_label(lbl *v, int *n, const char *name, const char *expr) {
  for (int i = 0; i < *n; i++)
    if (!strcmp(v[i].name, name)) {
      free(v[i].expr);
      v[i].expr = xstrdup(expr);
      return;
    }
  if (*n == MAX_LABELS) return;
  v[*n].name = xstrdup(name);
  v[(*n)++].expr = xstrdup(expr);
}

static int cmp_lbl(const void *a, const void *b) {
  return strcmp(((const lbl *)a)->name, ((const lbl *)b)->name);
}

/* A spec string literal as a YAML scalar: "..." (a quoted scalar is a string literal
 * unless it starts like a path; those go through concat()). */
static void yaml_string(sb *b, const char *s) {
  bool pathlike = s[0] == '.' || s[0] == '$';
  sb_printf(b, pathlike ? "'concat(\"" : "\"");
  for (const char *p = s; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    if (pathlike && (ch == '\'' || ch == '"' || ch == '\\'))
      sb_printf(b, ch == '\'' ? "''" : "\\%c", ch);
    else if (!pathlike && (ch == '"' || ch == '\\'))
      sb_printf(b, "\\%c", ch);
    else if (!pathlike && ch < 0x20)
      sb_printf(b, "\\x%02x", ch);
    else
      sb_printf(b, "%c", ch);
  }
  sb_printf(b, pathlike ? "\")'" : "\"");
}

/* An expression as a YAML scalar: plain unless YAML would misread it. */
static void yaml_expr(sb *b, const char *e) {
  bool quote = strstr(e, ": ") || strstr(e, " #") || strchr("[{\"'!&*|>%@`#,?:-", e[0]);
  if (!quote) {
    sb_printf(b, "%s", e);
    return;
  }
  sb_printf(b, "'");
  for (const char *p = e; *p; p++) sb_printf(b, *p == '\'' ? "''" : "%c", *p);
  sb_printf(b, "'");
}

/* Adds labelsFromPath entries (name -> path relative to base) to v. */
static void path_labels(conv *c, const yt_node *m, const char *base_expr, const char *base_spath,
                        lbl *v, int *n) {
  if (!m) return;
  if (m->type != YT_MAP) {
    ksmc_error(c->d, m->pos, "labelsFromPath must be a mapping of label name to path");
    return;
  }
  for (size_t i = 0; i < m->npairs; i++) {
    const char *name = m->pairs[i].key->str;
    if (strchr(name, '*')) {
      ksmc_error(c->d, m->pairs[i].key->pos,
                 "cannot convert '%s': copying a whole map into labels has no ksmc equivalent "
                 "(dynamic_labels: covers metadata.labels/annotations allowlists)",
                 name);
      continue;
    }
    cpath p = convert_path(c, m->pairs[i].value, base_expr, base_spath, false);
    if (!p.ok) continue;
    if (!p.expr[0]) {
      ksmc_error(c->d, m->pairs[i].value->pos, "label '%s' reads the whole object", name);
      continue;
    }
    declare(c, p.spath, "any", m->pairs[i].value->pos);
    set_label(v, n, name, p.expr);
  }
}

static void common_labels(conv *c, const yt_node *m, lbl *v, int *n) {
  if (!m) return;
  if (m->type != YT_MAP) {
    ksmc_error(c->d, m->pos, "commonLabels must be a mapping of label name to value");
    return;
  }
  for (size_t i = 0; i < m->npairs; i++) {
    if (m->pairs[i].value->type != YT_SCALAR) {
      ksmc_error(c->d, m->pairs[i].value->pos, "a common label's value must be a scalar");
      continue;
    }
    sb lit = {0};
    yaml_string(&lit, m->pairs[i].value->str);
    set_label(v, n, m->pairs[i].key->str, sb_str(&lit));
    sb_free(&lit);
  }
}

static const char *scalar_of(const yt_node *m, const char *key) {
  const yt_node *n = yt_get(m, key);
  return n && n->type == YT_SCALAR ? n->str : NULL;
}

static bool is_true(const yt_node *m, const char *key) {
  const char *s = scalar_of(m, key);
  return s && !strcmp(s, "true");
}

/* Warns about keys of a CRS mapping that the conversion does not know. */
static void known_keys(conv *c, const yt_node *m, const char *what, const char *const *keys) {
  if (!m || m->type != YT_MAP) return;
  for (size_t i = 0; i < m->npairs; i++) {
    bool known = false;
    for (const char *const *k = keys; *k; k++) known |= !strcmp(*k, m->pairs[i].key->str);
    if (!known)
      ksmc_warning(c->d, m->pairs[i].key->pos, "unknown key '%s' in %s is ignored",
                   m->pairs[i].key->str, what);
  }
}

/* ---- one metric ---------------------------------------------------------------------- */

typedef struct {
  const yt_node *res;
  const char *prefix;
  const char *group, *version, *kind;
} res_info;

/* A [k=v] selector reads field k of each element. */
static void declare_filter(conv *c, const cpath *p, ksmc_pos pos) {
  char f[2400];
  snprintf(f, sizeof f, "%s.%s", p->spath, p->fkey);
  declare(c, f, "any", pos);
}

static void write_family(conv *c, const char *name, const char *type, const char *help,
                         const char *loops, const char *where, lbl *v, int n, const char *value) {
  qsort(v, (size_t)n, sizeof *v, cmp_lbl);
  sb *b = &c->fam;
  sb_printf(b, "\n  - name: %s\n    type: %s\n    stability: alpha\n    help: ", name, type);
  yaml_string(b, help);
  sb_printf(b, "\n");
  if (loops[0]) sb_printf(b, "    each:\n%s", loops);
  if (where[0]) {
    sb_printf(b, "    where: ");
    yaml_expr(b, where);
    sb_printf(b, "\n");
  }
  if (n) sb_printf(b, "    labels:\n");
  for (int i = 0; i < n; i++) {
    sb_printf(b, "      %s: ", v[i].name);
    if (v[i].expr[0] == '"' || v[i].expr[0] == '\'')
      sb_printf(b, "%s", v[i].expr); /* already a YAML string */
    else
      yaml_expr(b, v[i].expr);
    sb_printf(b, "\n");
  }
  sb_printf(b, "    value: ");
  yaml_expr(b, value);
  sb_printf(b, "\n");
}

static void convert_metric(conv *c, const res_info *ri, const yt_node *m) {
  static const char *const metric_keys[] = {"name",           "help",      "each", "commonLabels",
                                            "labelsFromPath", "errorLogV", NULL};
  static const char *const each_keys[] = {"type", "gauge", "stateSet", "info", NULL};
  static const char *const gauge_keys[] = {"path",      "valueFrom",      "labelFromKey",
                                           "nilIsZero", "labelsFromPath", NULL};
  static const char *const ss_keys[] = {"path",      "labelName",      "list",
                                        "valueFrom", "labelsFromPath", NULL};
  static const char *const info_keys[] = {"path", "labelsFromPath", "labelFromKey", NULL};
  if (m->type != YT_MAP) {
    ksmc_error(c->d, m->pos, "a metric must be a mapping");
    return;
  }
  known_keys(c, m, "a metric", metric_keys);
  const char *mname = scalar_of(m, "name");
  const yt_node *each = yt_get(m, "each");
  if (!mname || !each || each->type != YT_MAP || !scalar_of(each, "type")) {
    ksmc_error(c->d, m->pos, "a metric needs a name and each.type");
    return;
  }
  known_keys(c, each, "each", each_keys);
  char name[512];
  snprintf(name, sizeof name, "%s%s%s", ri->prefix, *ri->prefix ? "_" : "", mname);
  const char *help = scalar_of(m, "help") ? scalar_of(m, "help") : "";
  const char *t = scalar_of(each, "type");
  lbl v[MAX_LABELS];
  int n = 0;
  /* base labels, in CRS's order of precedence */
  common_labels(c, yt_get(ri->res, "commonLabels"), v, &n);
  common_labels(c, yt_get(m, "commonLabels"), v, &n);
  sb lit = {0};
  const char *auto_names[] = {"customresource_group", "customresource_version",
                              "customresource_kind"};
  const char *auto_values[] = {ri->group, ri->version, ri->kind};
  for (int i = 0; i < 3; i++) {
    lit.n = 0;
    yaml_string(&lit, auto_values[i]);
    set_label(v, &n, auto_names[i], sb_str(&lit));
  }
  sb_free(&lit);
  for (int i = 0; i < c->nres; i++) set_label(v, &n, c->res_lbls[i].name, c->res_lbls[i].expr);
  path_labels(c, yt_get(m, "labelsFromPath"), "", "", v, &n);

  char loops[4400] = "", where[2100] = "", value[4200] = "";
  const char *ftype = NULL;
  if (!strcasecmp(t, "gauge")) {
    const yt_node *g = yt_get(each, "gauge");
    known_keys(c, g, "gauge", gauge_keys);
    ftype = "gauge";
    const yt_node *path = yt_get(g, "path");
    cpath p = convert_path(c, path, "", "", true);
    if (!p.ok) goto done;
    const char *lfk = scalar_of(g, "labelFromKey");
    bool rel = yt_get(g, "valueFrom") || yt_get(g, "labelsFromPath");
    char eb[2048] = "", es[2048] = "";
    ksmc_pos ppos = path ? path->pos : g ? g->pos : each->pos;
    if (p.filter_end) {
      snprintf(loops, sizeof loops, "      e: %s\n", p.expr);
      snprintf(eb, sizeof eb, "$e");
      snprintf(es, sizeof es, "%s", p.spath);
      declare(c, p.spath, "object", ppos);
      declare_filter(c, &p, ppos);
      ksmc_note(c->d, ppos, "%s: [%s=...] selects every matching element (CRS: the first)", name,
                p.fkey);
    } else if (lfk || rel) {
      bool map = lfk != NULL;
      snprintf(loops, sizeof loops, "      e: %s%s\n", p.expr, map ? "{*}" : "[*]");
      snprintf(eb, sizeof eb, "$e");
      snprintf(es, sizeof es, "%.2040s%s", p.spath, map ? "{}" : "[]");
      ksmc_note(c->d, ppos, "%s: the path is taken to be %s (CRS decides at run time)", name,
                map ? "a map (labelFromKey)" : "a list (valueFrom/labelsFromPath)");
      if (map) {
        set_label(v, &n, lfk, "key($e)");
        ksmc_warning(c->d, yt_get(g, "labelFromKey")->pos,
                     "%s: samples follow the map's JSON order (CRS: sorted by labels)", name);
      }
    } else {
      snprintf(eb, sizeof eb, "%s", p.expr);
      snprintf(es, sizeof es, "%s", p.spath);
    }
    cpath vp = convert_path(c, yt_get(g, "valueFrom"), eb, es, false);
    if (!vp.ok) goto done;
    if (!vp.expr[0]) {
      ksmc_error(c->d, ppos, "%s: a gauge needs a path to its value", name);
      goto done;
    }
    /* the element is an object when a field is read below it, else the value itself */
    if (loops[0] && !p.filter_end && strcmp(vp.spath, es)) declare(c, es, "object", ppos);
    declare(c, vp.spath, "any", ppos);
    path_labels(c, yt_get(g, "labelsFromPath"), eb, es, v, &n);
    if (is_true(g, "nilIsZero"))
      snprintf(value, sizeof value, "if(present(%s), crs_number(%s), 0)", vp.expr, vp.expr);
    else {
      snprintf(where, sizeof where, "present(%s)", vp.expr);
      snprintf(value, sizeof value, "crs_number(%s)", vp.expr);
    }
  } else if (!strcasecmp(t, "stateset")) {
    const yt_node *s = yt_get(each, "stateSet");
    known_keys(c, s, "stateSet", ss_keys);
    ftype = "stateset";
    const yt_node *path = yt_get(s, "path"), *list = yt_get(s, "list");
    const char *label = scalar_of(s, "labelName");
    ksmc_pos ppos = path ? path->pos : s ? s->pos : each->pos;
    if (!label || !list || list->type != YT_SEQ || !list->nitems) {
      ksmc_error(c->d, ppos, "%s: a stateSet needs labelName and a non-empty list", name);
      goto done;
    }
    cpath p = convert_path(c, path, "", "", true);
    if (!p.ok) goto done;
    char eb[2048], es[2048];
    snprintf(eb, sizeof eb, "%s", p.expr);
    snprintf(es, sizeof es, "%s", p.spath);
    sb l = {0};
    if (p.filter_end) {
      sb_printf(&l, "      e: %s\n", p.expr);
      snprintf(eb, sizeof eb, "$e");
      declare_filter(c, &p, ppos);
      ksmc_note(c->d, ppos, "%s: [%s=...] selects every matching element (CRS: the first)", name,
                p.fkey);
    }
    /* states sorted: CRS sorts a state set's samples by their labels */
    char *states[256];
    size_t ns = 0;
    for (size_t i = 0; i < list->nitems && ns < 256; i++)
      if (list->items[i]->type == YT_SCALAR && !strpbrk(list->items[i]->str, "\"\\\n"))
        states[ns++] = list->items[i]->str;
      else
        ksmc_error(c->d, list->items[i]->pos, "cannot convert this state");
    for (size_t i = 1; i < ns; i++)
      for (size_t j = i; j > 0 && strcmp(states[j - 1], states[j]) > 0; j--) {
        char *x = states[j];
        states[j] = states[j - 1];
        states[j - 1] = x;
      }
    sb_printf(&l, "      state: [");
    for (size_t i = 0; i < ns; i++) {
      sb_printf(&l, "%s", i ? ", " : "");
      yaml_string(&l, states[i]);
    }
    sb_printf(&l, "]\n");
    snprintf(loops, sizeof loops, "%s", sb_str(&l));
    sb_free(&l);
    cpath vp = convert_path(c, yt_get(s, "valueFrom"), eb, es, false);
    if (!vp.ok) goto done;
    if (!vp.expr[0]) {
      ksmc_error(c->d, ppos, "%s: a stateSet needs a path to its value", name);
      goto done;
    }
    if (p.filter_end || strcmp(vp.spath, es)) declare(c, es, "object", ppos);
    declare(c, vp.spath, "any", ppos);
    path_labels(c, yt_get(s, "labelsFromPath"), eb, es, v, &n);
    set_label(v, &n, label, "$state");
    snprintf(where, sizeof where, "present(%s)", vp.expr);
    snprintf(value, sizeof value, "%s == $state", vp.expr);
  } else if (!strcasecmp(t, "info")) {
    const yt_node *in = yt_get(each, "info");
    known_keys(c, in, "info", info_keys);
    ftype = "info";
    const yt_node *path = yt_get(in, "path");
    ksmc_pos ppos = path ? path->pos : in ? in->pos : each->pos;
    if (yt_get(in, "labelFromKey")) {
      ksmc_error(c->d, yt_get(in, "labelFromKey")->pos,
                 "cannot convert labelFromKey on an info metric: CRS writes samples with two "
                 "different label sets in one family");
      goto done;
    }
    cpath p = convert_path(c, path, "", "", true);
    if (!p.ok) goto done;
    char eb[2048], es[2048];
    snprintf(eb, sizeof eb, "%s", p.expr);
    snprintf(es, sizeof es, "%s", p.spath);
    if (p.filter_end) {
      snprintf(loops, sizeof loops, "      e: %s\n", p.expr);
      snprintf(eb, sizeof eb, "$e");
      declare_filter(c, &p, ppos);
      ksmc_note(c->d, ppos, "%s: [%s=...] selects every matching element (CRS: the first)", name,
                p.fkey);
    } else if (p.expr[0]) {
      ksmc_note(c->d, ppos,
                "%s: the path is taken to be an object (CRS writes one sample per element "
                "when it is a list)",
                name);
      snprintf(where, sizeof where, "present(%s)", p.expr);
    }
    if (p.expr[0]) declare(c, es, "object", ppos);
    path_labels(c, yt_get(in, "labelsFromPath"), eb, es, v, &n);
    snprintf(value, sizeof value, "1");
  } else {
    ksmc_error(c->d, yt_get(each, "type")->pos,
               "unknown metric type '%s' (Gauge, StateSet or Info)", t);
    goto done;
  }
  write_family(c, name, ftype, help, loops, where, v, n, value);
done:
  for (int i = 0; i < n; i++) {
    free(v[i].name);
    free(v[i].expr);
  }
}

/* ---- one resource -------------------------------------------------------------------- */

static void lower(char *s) {
  for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

static char *convert_resource(conv *c, const yt_node *r, char **stem) {
  static const char *const res_keys[] = {
      "groupVersionKind", "resourcePlural", "metricNamePrefix", "commonLabels",
      "labelsFromPath",   "metrics",        "errorLogV",        NULL};
  if (r->type != YT_MAP) {
    ksmc_error(c->d, r->pos, "a resource must be a mapping");
    return NULL;
  }
  known_keys(c, r, "a resource", res_keys);
  const yt_node *gvk = yt_get(r, "groupVersionKind");
  res_info ri = {.res = r};
  ri.group = scalar_of(gvk, "group");
  ri.version = scalar_of(gvk, "version");
  ri.kind = scalar_of(gvk, "kind");
  if (!gvk || !ri.group || !ri.version || !ri.kind) {
    ksmc_error(c->d, gvk ? gvk->pos : r->pos, "groupVersionKind needs group, version and kind");
    return NULL;
  }
  if (!strcmp(ri.version, "*") || !strcmp(ri.kind, "*")) {
    ksmc_error(c->d, gvk->pos,
               "cannot convert a wildcard version or kind: a ksmc spec is compiled for one "
               "version and kind; name them");
    return NULL;
  }
  const yt_node *pre = yt_get(r, "metricNamePrefix");
  ri.prefix = pre && pre->type == YT_SCALAR ? pre->str : "kube_customresource";
  if (pre && pre->type == YT_SCALAR && !pre->quoted && !strcmp(pre->str, "null"))
    ri.prefix = "kube_customresource";
  char plural[256];
  const char *rp = scalar_of(r, "resourcePlural");
  if (rp) {
    snprintf(plural, sizeof plural, "%s", rp);
  } else { /* flect's rules for the common cases */
    size_t kl = strlen(ri.kind);
    const char *k = ri.kind;
    char last = kl ? (char)tolower((unsigned char)k[kl - 1]) : 0;
    char prev = kl > 1 ? (char)tolower((unsigned char)k[kl - 2]) : 0;
    if (last == 'y' && !strchr("aeiou", prev))
      snprintf(plural, sizeof plural, "%.*sies", (int)kl - 1, k);
    else if (last == 's' || last == 'x' || (last == 'h' && (prev == 's' || prev == 'c')))
      snprintf(plural, sizeof plural, "%ses", k);
    else
      snprintf(plural, sizeof plural, "%ss", k);
    lower(plural);
    ksmc_note(c->d, gvk->pos, "resourcePlural not given: using '%s'", plural);
  }
  const yt_node *metrics = yt_get(r, "metrics");
  if (!metrics || metrics->type != YT_SEQ) {
    ksmc_error(c->d, r->pos, "a resource needs a metrics list");
    return NULL;
  }
  path_labels(c, yt_get(r, "labelsFromPath"), "", "", c->res_lbls, &c->nres);
  for (size_t i = 0; i < metrics->nitems; i++) convert_metric(c, &ri, metrics->items[i]);

  sb out = {0};
  sb_printf(&out,
            "# Generated by `ksmc-gen import-crs %s`\n"
            "# from the CustomResourceStateMetrics config of %s/%s %s.\n"
            "# Review it, then keep it as specs/custom/<name>.yaml.\n"
            "# Differences from CRS (docs/custom-resources.md): a label whose path is absent\n"
            "# is written as label=\"\" (CRS omits it; the same series for Prometheus), and\n"
            "# samples of a list or map follow its JSON order (CRS sorts them by labels).\n"
            "resource:\n  kind: %s\n  group: %s\n  version: %s\n  plural: %s\n"
            "  namespaced: true\n",
            c->file, ri.group, ri.version, ri.kind, ri.kind, ri.group, ri.version, plural);
  ksmc_note(c->d, gvk->pos,
            "%s is taken to be namespaced; set namespaced: false in the spec for a "
            "cluster-scoped CRD",
            ri.kind);
  sb_printf(&out, "\n# The fields the families read (CRDs are not in schema/k8s.schema).\n"
                  "schema:\n");
  for (int i = 0; i < c->nfields; i++) sb_printf(&out, "  %s: %s\n", c->fields[i], c->types[i]);
  if (!c->nfields) sb_printf(&out, "  .spec: object\n");
  sb_printf(&out, "\nfamilies:%s", sb_str(&c->fam));
  *stem = xstrdup(ri.kind);
  lower(*stem);
  return out.p;
}

int crs_import(const char *file, crs_spec **out, ksmc_diag *d) {
  *out = NULL;
  int before = d->errors;
  yt_node *root = yt_parse_file(file, d);
  if (!root) return -1;
  const char *kind = scalar_of(root, "kind");
  if (root->type != YT_MAP || (kind && strcmp(kind, "CustomResourceStateMetrics")))
    ksmc_error(d, root->pos, "not a CustomResourceStateMetrics config");
  const yt_node *spec = yt_get(root, "spec");
  const yt_node *res = spec ? yt_get(spec, "resources") : NULL;
  if (!res || res->type != YT_SEQ) {
    ksmc_error(d, spec ? spec->pos : root->pos, "expected spec.resources: a list");
    yt_free(root);
    return -1;
  }
  crs_spec *v = calloc(res->nitems + 1, sizeof *v);
  if (!v) abort();
  int n = 0;
  for (size_t i = 0; i < res->nitems; i++) {
    conv c = {.d = d, .file = file};
    char *stem = NULL;
    char *text = convert_resource(&c, res->items[i], &stem);
    for (int j = 0; j < c.nfields; j++) free(c.fields[j]);
    for (int j = 0; j < c.nres; j++) {
      free(c.res_lbls[j].name);
      free(c.res_lbls[j].expr);
    }
    sb_free(&c.fam);
    if (text) {
      for (int j = 0; j < n; j++)
        if (!strcmp(v[j].name, stem))
          ksmc_error(d, res->items[i]->pos, "a second resource of kind '%s'", stem);
      v[n].name = stem;
      v[n++].text = text;
    }
  }
  yt_free(root);
  if (d->errors != before) {
    crs_specs_free(v, n);
    return -1;
  }
  *out = v;
  return n;
}

void crs_specs_free(crs_spec *v, int n) {
  for (int i = 0; v && i < n; i++) {
    free(v[i].name);
    free(v[i].text);
  }
  free(v);
}
