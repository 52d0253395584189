/* spec_check: paths, types and functions of a spec (see spec_check.h). */
#include "spec_check.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VARS 8
#define MAX_PATH 1024

typedef struct {
  const char *name;
  loop *l;
} scope_var;

typedef struct {
  spec *s;
  ksmc_diag *d;
  scope_var vars[MAX_VARS];
  int nvars;
  bool in_agg;        /* checking an aggregate's argument */
  bool each_source;   /* checking an each: source (may iterate at its end) */
  path_ref *agg_iter; /* the iterating path found in it */
  int nagg;           /* aggregates numbered so far */
} checker;

static char *xstrdup(const char *s) {
  char *d = strdup(s ? s : "");
  if (!d) abort();
  return d;
}

/* ---- views ---------------------------------------------------------------------------- */

static void cident(char *out, size_t len, const char *s) {
  size_t o = 0;
  for (; *s && o + 1 < len; s++) out[o++] = isalnum((unsigned char)*s) ? *s : '_';
  out[o] = '\0';
}

/* True if some node of the trie under n already uses cname. */
static bool cname_taken(const vnode *n, const char *cname) {
  if (n->cname && !strcmp(n->cname, cname)) return true;
  for (size_t i = 0; i < n->nkids; i++)
    if (cname_taken(n->kids[i], cname)) return true;
  return false;
}

static vnode *child(view *v, vnode *parent, const char *key) {
  for (size_t i = 0; i < parent->nkids; i++)
    if (!strcmp(parent->kids[i]->key, key)) return parent->kids[i];
  vnode *n = calloc(1, sizeof *n);
  if (!n) abort();
  n->key = xstrdup(key);
  char base[600], id[256];
  cident(id, sizeof id, key);
  snprintf(base, sizeof base, "%.300s%s%s", parent->cname ? parent->cname : "",
           parent->cname ? "_" : "", id);
  char name[620];
  snprintf(name, sizeof name, "%s", base);
  for (int k = 2; cname_taken(&v->root, name) || !strcmp(name, "_self") || !strcmp(name, "_key");
       k++)
    snprintf(name, sizeof name, "%s_%d", base, k);
  n->cname = xstrdup(name);
  vnode **kids = realloc(parent->kids, (parent->nkids + 1) * sizeof *kids);
  if (!kids) abort();
  parent->kids = kids;
  parent->kids[parent->nkids++] = n;
  return n;
}

static view *new_view(spec *s, view *parent, const char *cname, const char *spath, bool is_map) {
  view *v = calloc(1, sizeof *v);
  if (!v) abort();
  v->id = (int)s->nviews;
  v->parent = parent;
  v->schema_path = xstrdup(spath);
  v->is_map = is_map;
  char name[620];
  snprintf(name, sizeof name, "%.600s", cname);
  for (int k = 2;; k++) {
    bool taken = false;
    for (size_t i = 0; i < s->nviews; i++) taken |= !strcmp(s->views[i]->cname, name);
    if (!taken) break;
    snprintf(name, sizeof name, "%.600s_%d", cname, k);
  }
  v->cname = xstrdup(name);
  view **vs = realloc(s->views, (s->nviews + 1) * sizeof *vs);
  if (!vs) abort();
  s->views = vs;
  s->views[s->nviews++] = v;
  return v;
}

/* The item view of collection node n in view v, created on first use. */
static view *item_view(spec *s, view *v, vnode *n, const char *spath, bool is_map) {
  if (n->iter) return n->iter;
  char cname[620];
  snprintf(cname, sizeof cname, "%.300s%s%.300s", v->id ? v->cname : "", v->id ? "_" : "",
           n->cname);
  n->iter = new_view(s, v, cname, spath, is_map);
  return n->iter;
}

const view *view_canonical(const view *v) {
  while (v && v->same) v = v->same;
  return v;
}

/* Merges the slots of item view src into dst (recursively, nested collections too), so one
 * C struct and one walker serve both collections: src's nodes take dst's C names and src
 * becomes an alias (`same`). Returns false if the two read a key differently (a field in
 * one, a collection of another shape in the other). */
static bool merge_view(view *dst, view *src);

static bool merge_nodes(view *dv, vnode *dn, vnode *sn) {
  bool ok = true;
  for (size_t i = 0; i < sn->nkids; i++) {
    vnode *sk = sn->kids[i], *dk = child(dv, dn, sk->key);
    dk->leaf |= sk->leaf;
    free(sk->cname);
    sk->cname = xstrdup(dk->cname);
    if (sk->iter) {
      if (!dk->iter)
        dk->iter = sk->iter;
      else
        ok &= merge_view(dk->iter, sk->iter);
    }
    ok &= merge_nodes(dv, dk, sk);
  }
  return ok;
}

static bool merge_view(view *dst, view *src) {
  dst = (view *)view_canonical(dst);
  src = (view *)view_canonical(src);
  if (dst == src) return true;
  if (dst->is_map != src->is_map) return false;
  src->same = dst;
  dst->root.leaf |= src->root.leaf;
  return merge_nodes(dst, &dst->root, &src->root);
}

/* A like: family reads its rebound collections with the template's code: their item
 * views become one. */
static void merge_like_views(spec *s, ksmc_diag *d) {
  for (size_t i = 0; i < s->nfamilies; i++) {
    const family *f = &s->families[i];
    if (f->like_of < 0) continue;
    const family *t = &s->families[f->like_of];
    for (size_t j = 0; j < f->nloops; j++) {
      const loop *l = &f->loops[j];
      if (!l->rebound || !l->item) continue;
      for (size_t k = 0; k < t->nloops; k++)
        if (!strcmp(t->loops[k].var, l->var) && t->loops[k].item &&
            !merge_view(t->loops[k].item, l->item))
          ksmc_error(d, l->pos, "'$%s' reads its items differently from '%s' (%s vs %s)", l->var,
                     t->name, l->item->schema_path, t->loops[k].item->schema_path);
    }
  }
}

/* ---- paths ---------------------------------------------------------------------------- */

static vtype vtype_of(schema_type t) {
  switch (t) {
  case ST_STRING:
  case ST_ANY: /* custom resources: a scalar of varying JSON type reads as its text */
    return VT_STR;
  case ST_INT:
  case ST_NUMBER:
    return VT_NUM;
  case ST_BOOL:
    return VT_BOOL;
  case ST_TIMESTAMP:
    return VT_TS;
  case ST_QUANTITY:
    return VT_QTY;
  default:
    return VT_OBJ;
  }
}

static const char *vtype_name(vtype t) {
  static const char *const n[] = {"a string",   "a number",  "a boolean", "a timestamp",
                                  "a quantity", "an object", "a list",    "an error"};
  return n[t];
}

static scope_var *find_var(checker *c, const char *name) {
  for (int i = c->nvars - 1; i >= 0; i--)
    if (!strcmp(c->vars[i].name, name)) return &c->vars[i];
  return NULL;
}

static void unknown_var(checker *c, const expr *e) {
  const char *names[MAX_VARS];
  for (int i = 0; i < c->nvars; i++) names[i] = c->vars[i].name;
  const char *hint = ksmc_did_you_mean(e->var, names, c->nvars);
  if (hint)
    ksmc_error(c->d, e->pos, "unknown variable '$%s'; did you mean '$%s'?", e->var, hint);
  else
    ksmc_error(c->d, e->pos, "unknown variable '$%s' (variables are bound by each:)", e->var);
}

static void unknown_field(checker *c, const path_seg *seg, const char *parent) {
  const char *names[256];
  char storage[8192];
  int n = schema_children(c->s->schema, parent, names, 256, storage, sizeof storage);
  const char *hint = ksmc_did_you_mean(seg->name, names, n);
  const char *where = *parent ? parent : "the object root";
  if (hint)
    ksmc_error(c->d, seg->pos, "%s has no field '%s' in %s; did you mean '%s'?", where, seg->name,
               c->s->kind, hint);
  else
    ksmc_error(c->d, seg->pos, "%s has no field '%s' in %s", where, seg->name, c->s->kind);
}

static vtype check_expr(checker *c, expr *e);

/* Resolves filter conditions [f=v,...] inside item view iv (schema path spath). */
static void check_filter(checker *c, path_seg *seg, view *iv, const char *spath) {
  for (size_t i = 0; i < seg->nconds; i++) {
    seg_cond *cond = &seg->conds[i];
    char fpath[MAX_PATH];
    snprintf(fpath, sizeof fpath, "%s.%s", spath, cond->field);
    schema_type ft = schema_lookup(c->s->schema, fpath);
    if (ft == ST_NONE) {
      path_seg fake = {.kind = SEG_FIELD, .name = cond->field, .pos = seg->pos};
      unknown_field(c, &fake, spath);
      continue;
    }
    vnode *n = child(iv, &iv->root, cond->field);
    n->leaf = true;
    cond->node = n;
    vtype want = vtype_of(ft);
    vtype got = cond->value ? check_expr(c, cond->value) : VT_STR;
    bool ok = got == want || (want == VT_NUM && cond->value->kind == E_NUM) ||
              (want == VT_STR && got == VT_NUM && cond->value->kind == E_PATH);
    if (!ok)
      ksmc_error(c->d, cond->value->pos, "selector compares %s field '%s' with %s",
                 vtype_name(want), cond->field, vtype_name(got));
  }
}

/* Applies one iterating segment: the current node becomes a collection. */
static bool iterate(checker *c, path_ref *r, path_seg *seg, int idx, view **v, vnode **node,
                    char *spath, bool allow_iter) {
  schema_type st = schema_lookup(c->s->schema, spath);
  bool want_map = seg->kind == SEG_MAPALL;
  if (st != (want_map ? ST_MAP : ST_ARRAY)) {
    ksmc_error(c->d, seg->pos, "%s is %s, not %s; %s", *spath ? spath : "the root",
               schema_type_name(st), want_map ? "a map" : "an array",
               want_map ? "iterate arrays with [*]" : "iterate maps with {*}");
    return false;
  }
  if (r->iterates) {
    ksmc_error(c->d, seg->pos,
               "a path may iterate only one collection; bind the outer one "
               "with each:");
    return false;
  }
  if (!allow_iter) {
    ksmc_error(c->d, seg->pos,
               "this path iterates a collection here; bind it with each: or "
               "wrap it in first(), last(), max(), count() or any()");
    return false;
  }
  strcat(spath, want_map ? "{}" : "[]");
  view *iv = item_view(c->s, *v, *node, spath, want_map);
  r->iterates = true;
  r->iter_view = iv;
  r->iter_seg = idx;
  r->coll_view = *v;
  r->coll_node = *node;
  r->filter = seg->kind == SEG_FILTER ? seg : NULL;
  if (seg->kind == SEG_FILTER) check_filter(c, seg, iv, spath);
  *v = iv;
  *node = &iv->root;
  return true;
}

/* Steps into field `seg` from the current node. */
static bool field_step(checker *c, path_seg *seg, view *v, vnode **node, char *spath) {
  schema_type st = schema_lookup(c->s->schema, spath);
  char next[MAX_PATH];
  if (st == ST_MAP) {
    snprintf(next, sizeof next, "%s{}", spath);
  } else if (st == ST_OBJECT) {
    snprintf(next, sizeof next, "%s.%s", spath, seg->name);
    if (schema_lookup(c->s->schema, next) == ST_NONE) {
      unknown_field(c, seg, spath);
      return false;
    }
  } else {
    ksmc_error(c->d, seg->pos, "%s is %s and has no field '%s'", spath, schema_type_name(st),
               seg->name);
    return false;
  }
  strcpy(spath, next);
  *node = child(v, *node, seg->name);
  return true;
}

/* Starts a path at its variable: fills the view, node and schema path. */
static bool path_start(checker *c, expr *e, path_ref *r, view **v, char *spath) {
  if (!e->var) {
    *v = c->s->views[0];
    spath[0] = '\0';
    return true;
  }
  scope_var *sv = find_var(c, e->var);
  if (!sv) {
    unknown_var(c, e);
    return false;
  }
  r->var = sv->name;
  if (sv->l->kind == LOOP_VIEW && !sv->l->item) return false; /* its source had an error */
  if (sv->l->kind != LOOP_VIEW) {
    if (e->nsegs) ksmc_error(c->d, e->pos, "$%s is a string from a literal list", e->var);
    r->list_var = true;
    return false;
  }
  *v = sv->l->item;
  snprintf(spath, MAX_PATH, "%s", (*v)->schema_path);
  return true;
}

static vtype check_path(checker *c, expr *e) {
  path_ref *r = calloc(1, sizeof *r);
  if (!r) abort();
  e->ref = r;
  view *v;
  char spath[MAX_PATH];
  if (!path_start(c, e, r, &v, spath)) {
    r->type = r->list_var ? VT_STR : VT_ERR;
    return r->type;
  }
  vnode *node = &v->root;
  for (size_t i = 0; i < e->nsegs; i++) {
    path_seg *seg = &e->segs[i];
    bool ok = seg->kind == SEG_FIELD ? field_step(c, seg, v, &node, spath)
                                     : iterate(c, r, seg, (int)i, &v, &node, spath,
                                               c->in_agg || (c->each_source && i + 1 == e->nsegs));
    if (!ok) return r->type = VT_ERR;
  }
  node->leaf = true;
  r->v = v;
  r->node = node;
  r->stype = schema_lookup(c->s->schema, spath);
  r->type = vtype_of(r->stype);
  if (r->iterates && c->in_agg) {
    if (c->agg_iter && (c->agg_iter->coll_node != r->coll_node ||
                        c->agg_iter->filter != r->filter || c->agg_iter->iter_view != r->iter_view))
      ksmc_error(c->d, e->pos, "an aggregate may iterate only one collection");
    if (!c->agg_iter) c->agg_iter = r;
  }
  return r->type;
}

/* ---- functions ------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  int nargs; /* -1: one or more */
} fn_sig;

static const fn_sig functions[] = {{"timestamp", 1},
                                   {"nonzero", 1},
                                   {"present", 1},
                                   {"nonempty", 1},
                                   {"quantity", 1},
                                   {"quantity_int", 1},
                                   {"quantity_approx", 1},
                                   {"key", 1},
                                   {"sanitize", 1},
                                   {"resource_units", 1},
                                   {"ip_family", 1},
                                   {"format_bool", 1},
                                   {"has_prefix", 2},
                                   {"trim_prefix", 2},
                                   {"concat", -1},
                                   {"if", 3},
                                   {"in", 2},
                                   {"first", 1},
                                   {"last", 1},
                                   {"max", 1},
                                   {"count", 1},
                                   {"any", 1},
                                   /* Go conversions KSM applies to single fields */
                                   {"number", 1},
                                   {"scaled_int_or_percent", 3},
                                   {"base64_len", 1},
                                   /* KSM CustomResourceStateMetrics' value conversion */
                                   {"crs_number", 1},
                                   {"join", 2},
                                   /* go-cron schedules (KSM's CronJob next schedule time) */
                                   {"cron_next", 2},
                                   {"cron_valid", 1},
                                   {NULL, 0}};

static const fn_sig *find_fn(checker *c, const expr *e) {
  const char *names[64];
  int n = 0;
  for (const fn_sig *f = functions; f->name; f++) {
    if (!strcmp(f->name, e->str)) return f;
    names[n++] = f->name;
  }
  const char *hint = ksmc_did_you_mean(e->str, names, n);
  if (hint)
    ksmc_error(c->d, e->pos, "unknown function '%s'; did you mean '%s'?", e->str, hint);
  else
    ksmc_error(c->d, e->pos, "unknown function '%s'", e->str);
  return NULL;
}

static bool is_aggregate(const char *name) {
  return !strcmp(name, "first") || !strcmp(name, "last") || !strcmp(name, "max") ||
         !strcmp(name, "count") || !strcmp(name, "any") || !strcmp(name, "join");
}

static bool want(checker *c, const expr *arg, vtype got, vtype want, const char *fn) {
  if (got == want) return true;
  if (got == VT_ERR) return false;
  const char *hint = "";
  if (got == VT_TS) hint = " (use timestamp())";
  if (got == VT_QTY) hint = " (use quantity() or quantity_int())";
  if (got == VT_BOOL && want == VT_STR) hint = " (use format_bool())";
  ksmc_error(c->d, arg->pos, "%s() needs %s here, not %s%s", fn, vtype_name(want), vtype_name(got),
             hint);
  return false;
}

/* String-valued arguments also accept numeric paths (read as their JSON text). */
static vtype as_string(const expr *e, vtype t) {
  return t == VT_NUM && e->kind == E_PATH ? VT_STR : t;
}

static bool want_path(checker *c, const expr *arg, const char *fn) {
  if (arg->kind == E_PATH) return true;
  ksmc_error(c->d, arg->pos, "%s() takes a path", fn);
  return false;
}

static bool want_lit(checker *c, const expr *arg, const char *fn) {
  if (arg->kind == E_STR) return true;
  ksmc_error(c->d, arg->pos, "%s() takes a string literal here", fn);
  return false;
}

/* Checks an aggregate's argument with iteration allowed; numbers the aggregate. */
static vtype check_aggregate(checker *c, expr *e) {
  if (c->in_agg) {
    ksmc_error(c->d, e->pos, "aggregates cannot be nested");
    return VT_OBJ;
  }
  c->in_agg = true;
  c->agg_iter = NULL;
  vtype t = check_expr(c, e->args[0]);
  c->in_agg = false;
  if (!c->agg_iter)
    ksmc_error(c->d, e->args[0]->pos,
               "%s() needs a path that iterates, like "
               ".status.conditions[*].type",
               e->str);
  e->id = c->nagg++;
  const char *f = e->str;
  if (!strcmp(f, "count")) return VT_NUM;
  if (!strcmp(f, "any")) return want(c, e->args[0], t, VT_BOOL, f) ? VT_BOOL : VT_ERR;
  if (!strcmp(f, "max")) return want(c, e->args[0], t, VT_NUM, f) ? VT_NUM : VT_ERR;
  if (!strcmp(f, "join") && !want_lit(c, e->args[1], f)) return VT_ERR;
  return want(c, e->args[0], as_string(e->args[0], t), VT_STR, f) ? VT_STR : VT_ERR;
}

static vtype check_call(checker *c, expr *e) {
  const fn_sig *f = find_fn(c, e);
  if (!f) return VT_ERR;
  if ((f->nargs >= 0 && (int)e->nargs != f->nargs) || (f->nargs < 0 && e->nargs == 0)) {
    ksmc_error(c->d, e->pos, "%s() takes %d argument%s, not %zu", f->name, f->nargs,
               f->nargs == 1 ? "" : "s", e->nargs);
    return VT_ERR;
  }
  const char *n = f->name;
  if (is_aggregate(n)) return check_aggregate(c, e);
  vtype a0 = check_expr(c, e->args[0]);
  if (!strcmp(n, "timestamp"))
    return want_path(c, e->args[0], n) && want(c, e->args[0], a0, VT_TS, n) ? VT_NUM : VT_ERR;
  if (!strcmp(n, "nonzero"))
    return want_path(c, e->args[0], n) && want(c, e->args[0], a0, VT_TS, n) ? VT_BOOL : VT_ERR;
  if (!strcmp(n, "present")) return want_path(c, e->args[0], n) ? VT_BOOL : VT_ERR;
  if (!strcmp(n, "crs_number")) { /* KSM CRS's toFloat64 of any scalar */
    bool ok = want_path(c, e->args[0], n) && a0 != VT_ERR;
    if (ok && (a0 == VT_OBJ || a0 == VT_LIST)) {
      ksmc_error(c->d, e->args[0]->pos, "crs_number() needs a scalar field, not %s",
                 vtype_name(a0));
      ok = false;
    }
    return ok ? VT_NUM : VT_ERR;
  }
  if (!strcmp(n, "quantity") || !strcmp(n, "quantity_int") || !strcmp(n, "quantity_approx"))
    return want_path(c, e->args[0], n) && want(c, e->args[0], a0, VT_QTY, n) ? VT_NUM : VT_ERR;
  if (!strcmp(n, "format_bool"))
    return want_path(c, e->args[0], n) && want(c, e->args[0], a0, VT_BOOL, n) ? VT_STR : VT_ERR;
  if (!strcmp(n, "key")) {
    const path_ref *r = e->args[0]->ref;
    bool ok = e->args[0]->kind == E_PATH && e->args[0]->var && e->args[0]->nsegs == 0 && r &&
              r->v && r->v->is_map;
    if (!ok) ksmc_error(c->d, e->args[0]->pos, "key() takes a variable bound to a map's {*}");
    return ok ? VT_STR : VT_ERR;
  }
  if (!strcmp(n, "if")) {
    vtype a1 = check_expr(c, e->args[1]), a2 = check_expr(c, e->args[2]);
    want(c, e->args[0], a0, VT_BOOL, n);
    /* A numeric path reads as its text only when the other branch is a string. */
    if (a1 == VT_STR) a2 = as_string(e->args[2], a2);
    if (a2 == VT_STR) a1 = as_string(e->args[1], a1);
    if (a1 != a2)
      ksmc_error(c->d, e->args[2]->pos,
                 "if() branches have different types: %s "
                 "and %s",
                 vtype_name(a1), vtype_name(a2));
    return a1;
  }
  if (!strcmp(n, "in")) {
    check_expr(c, e->args[1]);
    if (e->args[1]->kind != E_LIST) ksmc_error(c->d, e->args[1]->pos, "in() takes a [list]");
    return want(c, e->args[0], as_string(e->args[0], a0), VT_STR, n) ? VT_BOOL : VT_ERR;
  }
  if (!strcmp(n, "has_prefix") || !strcmp(n, "trim_prefix")) {
    check_expr(c, e->args[1]);
    want_lit(c, e->args[1], n);
    bool ok = want(c, e->args[0], as_string(e->args[0], a0), VT_STR, n);
    return !ok ? VT_OBJ : n[0] == 'h' ? VT_BOOL : VT_STR;
  }
  if (!strcmp(n, "concat")) {
    for (size_t i = 1; i < e->nargs; i++)
      want(c, e->args[i], as_string(e->args[i], check_expr(c, e->args[i])), VT_STR, n);
    return want(c, e->args[0], as_string(e->args[0], a0), VT_STR, n) ? VT_STR : VT_ERR;
  }
  if (!strcmp(n, "number"))
    return want(c, e->args[0], as_string(e->args[0], a0), VT_STR, n) ? VT_NUM : VT_ERR;
  if (!strcmp(n, "base64_len")) /* a []byte field: JSON carries it as base64 */
    return want_path(c, e->args[0], n) && want(c, e->args[0], a0, VT_STR, n) ? VT_NUM : VT_ERR;
  if (!strcmp(n, "cron_valid"))
    return want(c, e->args[0], as_string(e->args[0], a0), VT_STR, n) ? VT_BOOL : VT_ERR;
  if (!strcmp(n, "cron_next")) {
    vtype from = check_expr(c, e->args[1]);
    bool ok = want(c, e->args[0], as_string(e->args[0], a0), VT_STR, n);
    ok &= want(c, e->args[1], from, VT_NUM, n);
    return ok ? VT_NUM : VT_ERR;
  }
  if (!strcmp(n, "scaled_int_or_percent")) {
    vtype total = check_expr(c, e->args[1]);
    check_expr(c, e->args[2]);
    bool ok =
        want_path(c, e->args[0], n) && want(c, e->args[0], as_string(e->args[0], a0), VT_STR, n);
    ok &= want(c, e->args[1], total, VT_NUM, n);
    if (e->args[2]->kind != E_BOOL) {
      ksmc_error(c->d, e->args[2]->pos, "%s() takes true (round up) or false (round down) here", n);
      ok = false;
    }
    return ok ? VT_NUM : VT_ERR;
  }
  if (!strcmp(n, "resource_units")) {
    if (!c->each_source)
      ksmc_error(c->d, e->pos, "resource_units() gives a list: use it as an each: source");
    return want(c, e->args[0], as_string(e->args[0], a0), VT_STR, n) ? VT_LIST : VT_ERR;
  }
  /* nonempty, sanitize, ip_family: one string argument */
  bool ok = want(c, e->args[0], as_string(e->args[0], a0), VT_STR, n);
  return !ok ? VT_OBJ : !strcmp(n, "nonempty") ? VT_BOOL : VT_STR;
}

/* ---- expressions ---------------------------------------------------------------------- */

static vtype check_binary(checker *c, expr *e) {
  vtype l = check_expr(c, e->l), r = check_expr(c, e->r);
  if (l == VT_ERR || r == VT_ERR) return VT_ERR;
  if (e->kind >= E_LT) {
    if (l != VT_NUM || r != VT_NUM)
      ksmc_error(c->d, e->pos, "'<', '<=', '>', '>=' compare numbers, not %s and %s", vtype_name(l),
                 vtype_name(r));
    return VT_BOOL;
  }
  if (e->kind == E_AND || e->kind == E_OR) {
    if (l != VT_BOOL) ksmc_error(c->d, e->l->pos, "expected a condition, found %s", vtype_name(l));
    if (r != VT_BOOL) ksmc_error(c->d, e->r->pos, "expected a condition, found %s", vtype_name(r));
    return VT_BOOL;
  }
  if (l == VT_NUM && r == VT_NUM) return VT_BOOL; /* numbers compare as float64 */
  vtype ls = as_string(e->l, l), rs = as_string(e->r, r);
  if (ls != rs || (ls != VT_STR && ls != VT_BOOL))
    ksmc_error(c->d, e->pos, "cannot compare %s with %s", vtype_name(l), vtype_name(r));
  return VT_BOOL;
}

static vtype check_expr(checker *c, expr *e) {
  if (!e) return VT_OBJ;
  vtype t = VT_OBJ;
  switch (e->kind) {
  case E_PATH:
    t = check_path(c, e);
    break;
  case E_STR:
    t = VT_STR;
    break;
  case E_NUM:
    t = VT_NUM;
    break;
  case E_BOOL:
    t = VT_BOOL;
    break;
  case E_LIST:
    t = VT_LIST;
    break;
  case E_CALL:
    t = check_call(c, e);
    break;
  case E_NOT:
    t = check_expr(c, e->l);
    if (t != VT_BOOL && t != VT_ERR) ksmc_error(c->d, e->l->pos, "'!' needs a condition");
    t = t == VT_ERR ? VT_ERR : VT_BOOL;
    break;
  default:
    t = check_binary(c, e);
  }
  e->type = (int)t;
  return t;
}

/* ---- families ------------------------------------------------------------------------- */

static void check_label_value(checker *c, label *l) {
  if (!l->value) return;
  vtype t = as_string(l->value, check_expr(c, l->value));
  l->value->type = (int)t;
  if (t != VT_STR && t != VT_ERR) {
    const char *hint = t == VT_BOOL ? " (use format_bool())" : "";
    ksmc_error(c->d, l->value->pos, "label '%s' needs a string value, not %s%s", l->name,
               vtype_name(t), hint);
  }
}

static void check_loops(checker *c, family *f) {
  for (size_t i = 0; i < f->nloops; i++) {
    loop *l = &f->loops[i];
    if (find_var(c, l->var)) ksmc_error(c->d, l->pos, "variable '$%s' is already bound", l->var);
    if (l->kind == LOOP_FN) {
      c->each_source = true;
      check_expr(c, l->source);
      c->each_source = false;
    } else if (l->kind == LOOP_VIEW && l->source) {
      if (l->source->kind != E_PATH) {
        ksmc_error(c->d, l->source->pos, "each: takes a path ending in [*], [field=value] or {*}");
      } else {
        c->each_source = true;
        check_expr(c, l->source);
        c->each_source = false;
        const path_ref *r = l->source->ref;
        if (r && r->iterates && r->iter_seg + 1 == (int)l->source->nsegs)
          l->item = r->iter_view;
        else if (r && r->type != VT_ERR)
          ksmc_error(c->d, l->source->pos,
                     "each: takes a path ending in [*], [field=value] or "
                     "{*}");
      }
      /* A variable whose source failed stays bound (item NULL) so later uses stay quiet. */
    }
    if (c->nvars == MAX_VARS) {
      ksmc_error(c->d, l->pos, "too many nested loops");
      continue;
    }
    c->vars[c->nvars++] = (scope_var){l->var, l};
  }
}

static void check_unique_labels(checker *c, const family *f) {
  const char *names[128];
  ksmc_pos pos[128];
  int n = 0;
  for (size_t i = 0; i < c->s->nlabels && n < 128; i++, n++) {
    names[n] = c->s->labels[i].name;
    pos[n] = c->s->labels[i].pos;
  }
  for (size_t i = 0; i < f->nlabels && n < 128; i++, n++) {
    names[n] = f->labels[i].name;
    pos[n] = f->labels[i].pos;
  }
  if (f->st && n < 128) {
    names[n] = f->st->label;
    pos[n++] = f->st->pos;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++)
      if (!strcmp(names[i], names[j])) {
        ksmc_error(c->d, pos[i], "label '%s' is already defined for family '%s'", names[i],
                   f->name);
        ksmc_note(c->d, pos[j], "first defined here");
        break;
      }
}

static void check_value(checker *c, family *f) {
  if (!f->value) {
    if (!f->st && !f->dyn && !f->has_if_empty)
      ksmc_error(c->d, f->pos, "family '%s' needs a value (e.g. `value: 1`)", f->name);
    return;
  }
  if (f->st)
    ksmc_error(c->d, f->value->pos, "a family with states: has no value: (1 or 0 per state)");
  vtype t = check_expr(c, f->value);
  if (t != VT_NUM && t != VT_BOOL && t != VT_ERR)
    ksmc_error(c->d, f->value->pos, "value needs a number or condition, not %s%s", vtype_name(t),
               t == VT_TS    ? " (use timestamp())"
               : t == VT_QTY ? " (use quantity())"
                             : "");
}

static void check_states(checker *c, family *f) {
  if (!f->st) return;
  if (!f->st->of) return;
  vtype t = as_string(f->st->of, check_expr(c, f->st->of));
  if (t != VT_STR && t != VT_ERR)
    ksmc_error(c->d, f->st->of->pos, "states.of needs a string, not %s", vtype_name(t));
  if (f->st->n == 0) ksmc_error(c->d, f->st->pos, "states.values is empty");
}

static void check_dynamic(checker *c, family *f) {
  if (!f->dyn || !f->dyn->from) return;
  check_expr(c, f->dyn->from);
  const path_ref *r = f->dyn->from->ref;
  if (f->dyn->from->kind != E_PATH || !r || r->stype != ST_MAP || r->iterates)
    ksmc_error(c->d, f->dyn->from->pos,
               "dynamic_labels.from needs a map path such as "
               ".metadata.labels");
  if (f->nloops) ksmc_error(c->d, f->dyn->pos, "dynamic_labels cannot be combined with each:");
}

static void check_if_empty(checker *c, family *f) {
  if (!f->has_if_empty) return;
  if (f->nif_empty != f->nlabels)
    ksmc_error(c->d, f->pos, "if_empty must give the same labels as labels: (%zu), not %zu",
               f->nlabels, f->nif_empty);
  for (size_t i = 0; i < f->nif_empty && i < f->nlabels; i++) {
    if (strcmp(f->if_empty[i].name, f->labels[i].name))
      ksmc_error(c->d, f->if_empty[i].pos, "if_empty label %zu is '%s', expected '%s'", i + 1,
                 f->if_empty[i].name, f->labels[i].name);
    check_label_value(c, &f->if_empty[i]);
  }
}

static void check_family(checker *c, family *f);

/* also: blocks: their own loops, where, labels and value (no states or dynamic labels). */
static void check_also(checker *c, family *f) {
  for (size_t i = 0; i < f->nalso; i++) {
    family *b = &f->also[i];
    if (f->st || f->dyn || f->has_if_empty)
      ksmc_error(c->d, b->pos,
                 "also: blocks cannot be combined with states:, dynamic_labels: or if_empty:");
    if (b->value) check_family(c, b); /* a block without one was reported when loaded */
  }
}

static void check_where(checker *c, family *f) {
  if (!f->where) return;
  vtype t = check_expr(c, f->where);
  if (t != VT_BOOL && t != VT_ERR)
    ksmc_error(c->d, f->where->pos, "where needs a condition, not %s", vtype_name(t));
}

/* then: blocks run inside the family's loops: the family's variables stay bound while
 * each block's own loops, where, labels and value are checked. */
static void check_then(checker *c, family *f) {
  int outer = c->nvars;
  for (size_t i = 0; i < f->nthen; i++) {
    family *b = &f->then[i];
    if (!b->value) continue; /* reported when loaded */
    check_loops(c, b);
    check_where(c, b);
    for (size_t j = 0; j < b->nlabels; j++) check_label_value(c, &b->labels[j]);
    check_value(c, b);
    check_unique_labels(c, b);
    c->nvars = outer;
  }
}

static void warn_counter_name(checker *c, const family *f) {
  if (f->type == FT_COUNTER && strlen(f->name) > 6 &&
      strcmp(f->name + strlen(f->name) - 6, "_total"))
    ksmc_warning(c->d, f->pos, "counter '%s' should end in _total", f->name);
}

static void check_family(checker *c, family *f) {
  check_also(c, f);
  c->nvars = 0;
  check_loops(c, f);
  check_where(c, f);
  if (f->nthen) {
    check_then(c, f);
    warn_counter_name(c, f);
    return;
  }
  for (size_t i = 0; i < f->nlabels; i++) check_label_value(c, &f->labels[i]);
  check_states(c, f);
  check_dynamic(c, f);
  check_value(c, f);
  int nvars = c->nvars;
  c->nvars = 0; /* if_empty runs outside the loops */
  check_if_empty(c, f);
  c->nvars = nvars;
  check_unique_labels(c, f);
  warn_counter_name(c, f);
}

void spec_check(spec *s, const schema *sch, const yt_node *resource, ksmc_diag *d) {
  ksmc_pos rpos = resource ? resource->pos : (ksmc_pos){s->file, 1, 1};
  if (!s->kind) return;
  s->schema = s->custom_schema ? s->custom_schema : schema_find_kind(sch, s->kind);
  if (!s->schema) {
    const char *names[64];
    int n = 0;
    for (size_t i = 0; i < sch->nkinds && n < 64; i++) names[n++] = sch->kinds[i].kind;
    const char *hint = ksmc_did_you_mean(s->kind, names, n);
    const yt_node *k = yt_get(resource, "kind");
    if (k) rpos = k->pos;
    if (hint)
      ksmc_error(d, rpos, "kind '%s' is not in the field schema; did you mean '%s'?", s->kind,
                 hint);
    else
      ksmc_error(d, rpos,
                 "kind '%s' is not in the field schema; a custom resource declares the fields "
                 "it reads in a schema: section (docs/custom-resources.md)",
                 s->kind);
    return;
  }
  view *root = new_view(s, NULL, "root", "", false);
  /* Every object's identity is read whatever its families use. */
  static const char *const meta[] = {"uid", "name", "namespace", "resourceVersion"};
  s->meta[0] = child(root, &root->root, "kind");
  vnode *md = child(root, &root->root, "metadata");
  for (int i = 0; i < 4; i++) s->meta[i + 1] = child(root, md, meta[i]);
  for (int i = 0; i < 5; i++) s->meta[i]->leaf = true;
  checker c = {.s = s, .d = d};
  int errors0 = d->errors;
  for (size_t i = 0; i < s->nlabels; i++) check_label_value(&c, &s->labels[i]);
  for (size_t i = 0; i < s->nfamilies; i++) {
    family *f = &s->families[i];
    if (f->like_of == -2) continue; /* its like: failed (reported) */
    int errors = d->errors, nagg = c.nagg;
    /* A like: family numbers its aggregates as its template does: one body serves both. */
    if (f->like_of >= 0) c.nagg = s->families[f->like_of].agg_base;
    f->agg_base = c.nagg;
    check_family(&c, f);
    if (c.nagg < nagg) c.nagg = nagg;
    if (f->like_of >= 0 && d->errors > errors)
      ksmc_note(d, f->like_pos, "in '%s', which is '%s' with its each: collections rebound",
                f->name, s->families[f->like_of].name);
  }
  if (d->errors == errors0) merge_like_views(s, d);
}
