/* spec_load: YAML tree -> spec model. Checks the document's structure (known keys, no
 * duplicates, value shapes, Prometheus names) and hands expressions to spec_check. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "spec_check.h"
#include "spec_schema.h"

/* Allowed keys of one kind of mapping. */
typedef struct {
  const char *what; /* "family 'x'", "resource" ... for messages */
  const char *const *allowed;
  const char *const *required;
} key_rules;

static char *xstrdup(const char *s) {
  char *d = strdup(s ? s : "");
  if (!d) abort();
  return d;
}

static int count_strs(const char *const *v) {
  int n = 0;
  while (v && v[n]) n++;
  return n;
}

/* Reports unknown, duplicate and missing keys of a mapping. Returns false if the node
 * is not a mapping. */
static bool check_keys(const yt_node *m, const key_rules *r, ksmc_diag *d) {
  if (!m || m->type != YT_MAP) {
    if (m) ksmc_error(d, m->pos, "%s must be a mapping, not %s", r->what, yt_type_name(m->type));
    return false;
  }
  int nallowed = count_strs(r->allowed);
  for (size_t i = 0; i < m->npairs; i++) {
    const yt_node *k = m->pairs[i].key;
    bool known = false;
    for (int j = 0; j < nallowed; j++) known |= strcmp(k->str, r->allowed[j]) == 0;
    if (!known) {
      const char *hint = ksmc_did_you_mean(k->str, r->allowed, nallowed);
      if (hint)
        ksmc_error(d, k->pos, "unknown key '%s' in %s; did you mean '%s'?", k->str, r->what, hint);
      else
        ksmc_error(d, k->pos, "unknown key '%s' in %s", k->str, r->what);
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(m->pairs[j].key->str, k->str) == 0) {
        ksmc_error(d, k->pos, "duplicate key '%s' in %s", k->str, r->what);
        ksmc_note(d, m->pairs[j].key->pos, "first defined here");
        break;
      }
  }
  for (int j = 0; r->required && r->required[j]; j++)
    if (!yt_get(m, r->required[j]))
      ksmc_error(d, m->pos, "missing key '%s' in %s", r->required[j], r->what);
  return true;
}

/* A scalar's text, or NULL (with an error) when the node is not a scalar. */
static const char *scalar(const yt_node *n, const char *what, ksmc_diag *d) {
  if (!n) return NULL;
  if (n->type != YT_SCALAR) {
    ksmc_error(d, n->pos, "%s must be a scalar, not %s", what, yt_type_name(n->type));
    return NULL;
  }
  return n->str;
}

static bool parse_bool(const yt_node *n, const char *what, bool *out, ksmc_diag *d) {
  const char *s = scalar(n, what, d);
  if (!s) return false;
  if (!strcmp(s, "true") || !strcmp(s, "false")) {
    *out = s[0] == 't';
    return true;
  }
  ksmc_error(d, n->pos, "%s must be true or false, not '%s'", what, s);
  return false;
}

/* Position of a scalar's first content byte (after an opening quote). */
static ksmc_pos content_pos(const yt_node *n) {
  ksmc_pos p = n->pos;
  p.col += n->style_offset;
  return p;
}

/* Parses a scalar as an expression. Quoted scalars are string literals unless they
 * start like a path (so `"1"` is a string and `".a"` is still a path). */
static expr *parse_expr_node(const yt_node *n, const char *what, ksmc_diag *d) {
  const char *s = scalar(n, what, d);
  if (!s) return NULL;
  if (n->quoted && s[0] != '.' && s[0] != '$') {
    expr *e = calloc(1, sizeof *e);
    if (!e) abort();
    e->kind = E_STR;
    e->pos = content_pos(n);
    e->str = xstrdup(s);
    return e;
  }
  return expr_parse(s, content_pos(n), d);
}

static bool valid_metric_name(const char *s) {
  if (!*s || !(isalpha((unsigned char)*s) || *s == '_' || *s == ':')) return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_' || *s == ':')) return false;
  return true;
}

static bool valid_label_name(const char *s) {
  if (!*s || !(isalpha((unsigned char)*s) || *s == '_')) return false;
  if (s[0] == '_' && s[1] == '_') return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
  return true;
}

/* Parses a `labels:` mapping (name -> expression). */
static label *parse_labels(const yt_node *m, size_t *n, ksmc_diag *d) {
  *n = 0;
  if (!m) return NULL;
  if (m->type != YT_MAP) {
    ksmc_error(d, m->pos, "labels must be a mapping of label name to value");
    return NULL;
  }
  label *ls = calloc(m->npairs ? m->npairs : 1, sizeof *ls);
  if (!ls) abort();
  for (size_t i = 0; i < m->npairs; i++) {
    const yt_node *k = m->pairs[i].key;
    if (!valid_label_name(k->str))
      ksmc_error(d, k->pos, "invalid label name '%s' (must match [a-zA-Z_][a-zA-Z0-9_]*)", k->str);
    for (size_t j = 0; j < i; j++)
      if (!strcmp(m->pairs[j].key->str, k->str)) {
        ksmc_error(d, k->pos, "duplicate label '%s'", k->str);
        ksmc_note(d, m->pairs[j].key->pos, "first defined here");
      }
    ls[*n].name = xstrdup(k->str);
    ls[*n].pos = k->pos;
    ls[*n].value = parse_expr_node(m->pairs[i].value, "a label value", d);
    (*n)++;
  }
  return ls;
}

static char **scalar_list(const yt_node *seq, size_t *n, const char *what, ksmc_diag *d) {
  *n = 0;
  if (!seq || seq->type != YT_SEQ) {
    if (seq) ksmc_error(d, seq->pos, "%s must be a sequence", what);
    return NULL;
  }
  char **v = calloc(seq->nitems ? seq->nitems : 1, sizeof *v);
  if (!v) abort();
  for (size_t i = 0; i < seq->nitems; i++) {
    const char *s = scalar(seq->items[i], what, d);
    v[(*n)++] = xstrdup(s);
  }
  return v;
}

static bool parse_loops(family *f, const yt_node *m, ksmc_diag *d) {
  if (!m) return true;
  if (m->type != YT_MAP) {
    ksmc_error(d, m->pos, "each must be a mapping of variable name to collection");
    return false;
  }
  f->loops = calloc(m->npairs ? m->npairs : 1, sizeof *f->loops);
  if (!f->loops) abort();
  for (size_t i = 0; i < m->npairs; i++) {
    loop *l = &f->loops[f->nloops++];
    l->var = xstrdup(m->pairs[i].key->str);
    l->pos = m->pairs[i].key->pos;
    const yt_node *src = m->pairs[i].value;
    if (src->type == YT_SEQ) {
      l->kind = LOOP_LIST;
      l->list = scalar_list(src, &l->nlist, "a literal list", d);
    } else {
      l->source = parse_expr_node(src, "a collection", d);
      l->kind = l->source && l->source->kind == E_CALL ? LOOP_FN : LOOP_VIEW;
    }
  }
  return true;
}

static const char *const states_keys[] = {"label", "of", "values", NULL};

static states *parse_states(const yt_node *m, ksmc_diag *d) {
  static const key_rules r = {"states", states_keys, states_keys};
  if (!m || !check_keys(m, &r, d)) return NULL;
  states *st = calloc(1, sizeof *st);
  if (!st) abort();
  st->pos = m->pos;
  st->label = xstrdup(scalar(yt_get(m, "label"), "states.label", d));
  if (!valid_label_name(st->label))
    ksmc_error(d, yt_get(m, "label") ? yt_get(m, "label")->pos : m->pos, "invalid label name '%s'",
               st->label);
  if (yt_get(m, "of")) st->of = parse_expr_node(yt_get(m, "of"), "states.of", d);
  const yt_node *vals = yt_get(m, "values");
  if (vals && vals->type == YT_SEQ) { /* label value == compared value */
    st->label_values = scalar_list(vals, &st->n, "states.values", d);
    st->match_values = calloc(st->n ? st->n : 1, sizeof(char *));
    if (!st->match_values) abort();
    for (size_t i = 0; i < st->n; i++) st->match_values[i] = xstrdup(st->label_values[i]);
  } else if (vals && vals->type == YT_MAP) { /* label value: compared value */
    st->n = vals->npairs;
    st->label_values = calloc(st->n ? st->n : 1, sizeof(char *));
    st->match_values = calloc(st->n ? st->n : 1, sizeof(char *));
    if (!st->label_values || !st->match_values) abort();
    for (size_t i = 0; i < st->n; i++) {
      st->label_values[i] = xstrdup(vals->pairs[i].key->str);
      st->match_values[i] = xstrdup(scalar(vals->pairs[i].value, "a state value", d));
    }
  } else if (vals) {
    ksmc_error(d, vals->pos, "states.values must be a sequence or a mapping");
  }
  return st;
}

static const char *const dyn_keys[] = {"from", "prefix", "allowlist", NULL};

static dynamic_labels *parse_dynamic(const yt_node *m, ksmc_diag *d) {
  static const key_rules r = {"dynamic_labels", dyn_keys, dyn_keys};
  if (!m || !check_keys(m, &r, d)) return NULL;
  dynamic_labels *dl = calloc(1, sizeof *dl);
  if (!dl) abort();
  dl->pos = m->pos;
  if (yt_get(m, "from")) dl->from = parse_expr_node(yt_get(m, "from"), "dynamic_labels.from", d);
  dl->prefix = xstrdup(scalar(yt_get(m, "prefix"), "dynamic_labels.prefix", d));
  if (!valid_label_name(dl->prefix))
    ksmc_error(d, m->pos, "invalid dynamic label prefix '%s'", dl->prefix);
  const yt_node *a = yt_get(m, "allowlist");
  const char *s = scalar(a, "dynamic_labels.allowlist", d);
  if (s && !strcmp(s, "labels"))
    dl->allow = DYN_LABELS;
  else if (s && !strcmp(s, "annotations"))
    dl->allow = DYN_ANNOTATIONS;
  else if (s && !strcmp(s, "all"))
    dl->allow = DYN_ALL;
  else if (s)
    ksmc_error(d, a->pos, "dynamic_labels.allowlist must be labels, annotations or all, not '%s'",
               s);
  return dl;
}

static bool parse_enum(const yt_node *n, const char *what, const char *const *names, int *out,
                       ksmc_diag *d) {
  const char *s = scalar(n, what, d);
  if (!s) return false;
  int cnt = count_strs(names);
  for (int i = 0; i < cnt; i++)
    if (!strcmp(s, names[i])) {
      *out = i;
      return true;
    }
  const char *hint = ksmc_did_you_mean(s, names, cnt);
  if (hint)
    ksmc_error(d, n->pos, "unknown %s '%s'; did you mean '%s'?", what, s, hint);
  else
    ksmc_error(d, n->pos, "unknown %s '%s'", what, s);
  return false;
}

static const char *const family_types[] = {"gauge", "counter", "info", "stateset", NULL};
static const char *const stabilities[] = {"stable", "alpha", "beta", "experimental", NULL};

const char *family_type_name(family_type t) { return family_types[t]; }
const char *stability_name(stability s) { return stabilities[s]; }

static const char *const family_keys[] = {
    "name",     "type",     "help",   "stability", "deprecated",     "opt_in",
    "each",     "where",    "labels", "states",    "dynamic_labels", "value",
    "if_empty", "distinct", "also",   "then",      "like",           NULL};
static const char *const block_keys[] = {"each", "where", "labels", "value", NULL};
static const char *const block_required[] = {"value", NULL};

/* The sample-producing keys shared by a family and its also: blocks. */
static void parse_samples(family *f, const yt_node *m, ksmc_diag *d) {
  parse_loops(f, yt_get(m, "each"), d);
  if (yt_get(m, "where")) f->where = parse_expr_node(yt_get(m, "where"), "where", d);
  f->labels = parse_labels(yt_get(m, "labels"), &f->nlabels, d);
  if (yt_get(m, "value")) f->value = parse_expr_node(yt_get(m, "value"), "value", d);
}

/* Parses an `also:` or `then:` sequence of sample blocks into *out. */
static void parse_blocks(family *f, const yt_node *seq, const char *key, family **out, size_t *nout,
                         ksmc_diag *d) {
  if (seq->type != YT_SEQ) {
    ksmc_error(d, seq->pos, "%s must be a sequence of sample blocks", key);
    return;
  }
  *out = calloc(seq->nitems ? seq->nitems : 1, sizeof **out);
  if (!*out) abort();
  char what[200];
  snprintf(what, sizeof what, "a%s %s: block of '%s'", key[0] == 'a' ? "n" : "", key,
           f->name ? f->name : "?");
  key_rules r = {what, block_keys, block_required};
  for (size_t i = 0; i < seq->nitems; i++) {
    family *b = &(*out)[(*nout)++];
    b->like_of = -1;
    b->name = xstrdup(f->name);
    b->help = xstrdup(f->help);
    b->type = f->type;
    b->stab = f->stab;
    b->pos = seq->items[i]->pos;
    if (seq->items[i]->type != YT_MAP) {
      ksmc_error(d, seq->items[i]->pos, "%s must be a mapping", what);
      continue;
    }
    if (check_keys(seq->items[i], &r, d)) parse_samples(b, seq->items[i], d);
  }
}

/* The key node of a mapping entry (for its position), or NULL. */
static const yt_node *key_node(const yt_node *m, const char *key) {
  for (size_t i = 0; m && m->type == YT_MAP && i < m->npairs; i++)
    if (m->pairs[i].key->str && !strcmp(m->pairs[i].key->str, key)) return m->pairs[i].key;
  return NULL;
}

/* A family with then: blocks writes samples only from them. */
static void check_then_keys(const yt_node *m, ksmc_diag *d) {
  static const char *const own[] = {"labels",   "value", "states", "dynamic_labels",
                                    "if_empty", "also",  NULL};
  for (int i = 0; own[i]; i++) {
    const yt_node *k = key_node(m, own[i]);
    if (k)
      ksmc_error(d, k->pos,
                 "%s: cannot be combined with then: (each then: block has its own labels and "
                 "value)",
                 own[i]);
  }
}

static const char *const family_required[] = {"name", "type", "help", "stability", NULL};

/* A family's keys (all known, the required ones present) and its header: name, type,
 * stability, help, deprecated, opt_in. Returns false if m is not a mapping. */
static bool parse_header(family *f, const yt_node *m, ksmc_diag *d) {
  char what[160];
  const yt_node *nm = yt_get(m, "name");
  snprintf(what, sizeof what, "family '%s'", nm && nm->str ? nm->str : "?");
  key_rules r = {what, family_keys, family_required};
  if (!check_keys(m, &r, d)) return false;
  f->pos = m->pos;
  free(f->name);
  f->name = xstrdup(scalar(nm, "name", d));
  if (nm && !valid_metric_name(f->name))
    ksmc_error(d, nm->pos, "invalid metric name '%s' (must match [a-zA-Z_:][a-zA-Z0-9_:]*)",
               f->name);
  int v = 0;
  if (yt_get(m, "type") && parse_enum(yt_get(m, "type"), "metric type", family_types, &v, d))
    f->type = (family_type)v;
  if (yt_get(m, "stability") && parse_enum(yt_get(m, "stability"), "stability", stabilities, &v, d))
    f->stab = (stability)v;
  free(f->help);
  f->help = xstrdup(scalar(yt_get(m, "help"), "help", d));
  free(f->deprecated_since);
  f->deprecated_since = NULL;
  if (yt_get(m, "deprecated"))
    f->deprecated_since = xstrdup(scalar(yt_get(m, "deprecated"), "deprecated", d));
  f->opt_in = false;
  if (yt_get(m, "opt_in")) parse_bool(yt_get(m, "opt_in"), "opt_in", &f->opt_in, d);
  return true;
}

static void parse_family(family *f, const yt_node *m, ksmc_diag *d) {
  if (!parse_header(f, m, d)) return;
  if (yt_get(m, "distinct")) parse_bool(yt_get(m, "distinct"), "distinct", &f->distinct, d);
  parse_samples(f, m, d);
  if (yt_get(m, "states")) f->st = parse_states(yt_get(m, "states"), d);
  if (yt_get(m, "dynamic_labels")) f->dyn = parse_dynamic(yt_get(m, "dynamic_labels"), d);
  if (yt_get(m, "also")) parse_blocks(f, yt_get(m, "also"), "also", &f->also, &f->nalso, d);
  if (yt_get(m, "then")) {
    check_then_keys(m, d);
    parse_blocks(f, yt_get(m, "then"), "then", &f->then, &f->nthen, d);
  }
  if (yt_get(m, "if_empty")) {
    f->has_if_empty = true;
    f->if_empty = parse_labels(yt_get(m, "if_empty"), &f->nif_empty, d);
  }
}

static const char *const resource_keys[] = {"kind",   "group",      "version",
                                            "plural", "namespaced", NULL};
static const char *const resource_required[] = {"kind", "version", "plural", "namespaced", NULL};
static const char *const top_keys[] = {"resource", "schema", "labels", "families", NULL};
static const char *const top_required[] = {"resource", "families", NULL};

static void parse_resource(spec *s, const yt_node *m, ksmc_diag *d) {
  static const key_rules r = {"resource", resource_keys, resource_required};
  if (!check_keys(m, &r, d)) return;
  s->kind = xstrdup(scalar(yt_get(m, "kind"), "kind", d));
  s->group = xstrdup(yt_get(m, "group") ? scalar(yt_get(m, "group"), "group", d) : "");
  s->version = xstrdup(scalar(yt_get(m, "version"), "version", d));
  s->resource = xstrdup(scalar(yt_get(m, "plural"), "plural", d));
  if (yt_get(m, "namespaced")) parse_bool(yt_get(m, "namespaced"), "namespaced", &s->namespaced, d);
}

/* ---- like: variants ----------------------------------------------------------------- */

/* The keys a like: variant may have: its own header, and each: entries that rebind some
 * of the template's collections. Everything that writes samples comes from the template. */
static const char *const like_keys[] = {"name",   "type", "help", "stability", "deprecated",
                                        "opt_in", "like", "each", NULL};

/* The index of the earlier family whose YAML node is named `name`, or -1. */
static int earlier_family(const yt_node *seq, size_t before, const char *name) {
  for (size_t j = 0; j < before; j++) {
    const yt_node *n = seq->items[j]->type == YT_MAP ? yt_get(seq->items[j], "name") : NULL;
    if (n && n->type == YT_SCALAR && !strcmp(n->str, name)) return (int)j;
  }
  return -1;
}

/* A loop source a variant may rebind: a path from the object root ending in [*] or {*}. */
static bool root_collection(const expr *e) {
  return e && e->kind == E_PATH && !e->var && e->nsegs > 1 &&
         (e->segs[e->nsegs - 1].kind == SEG_ALL || e->segs[e->nsegs - 1].kind == SEG_MAPALL);
}

/* Parses family i, `m`, which has `like:`: the template's node (an earlier family)
 * parsed again, quietly (its own errors were reported with it), under this family's
 * header, with the collections this family's each: names rebound. */
static void parse_variant(family *f, const yt_node *seq, size_t i, ksmc_diag *d) {
  const yt_node *m = seq->items[i], *like = yt_get(m, "like");
  /* Its own header first, so a failed like: still names the family. */
  f->like_of = -2; /* until the template is found: not checked further */
  parse_header(f, m, d);
  for (size_t k = 0; k < m->npairs; k++) {
    const yt_node *key = m->pairs[k].key;
    bool own = false, known = false;
    for (int j = 0; like_keys[j]; j++) own |= !strcmp(key->str, like_keys[j]);
    for (int j = 0; family_keys[j]; j++) known |= !strcmp(key->str, family_keys[j]);
    if (!own && known)
      ksmc_error(d, key->pos,
                 "%s: cannot be combined with like: (a like: family takes its samples from the "
                 "family it names; its each: only rebinds collections)",
                 key->str);
  }
  const char *tname = scalar(like, "like", d);
  if (!tname) return;
  int t = earlier_family(seq, i, tname);
  if (t < 0) {
    const char *names[512];
    int n = 0;
    for (size_t j = 0; j < i && n < 512; j++) {
      const yt_node *jn = seq->items[j]->type == YT_MAP ? yt_get(seq->items[j], "name") : NULL;
      if (jn && jn->type == YT_SCALAR) names[n++] = jn->str;
    }
    const char *hint = ksmc_did_you_mean(tname, names, n);
    if (hint)
      ksmc_error(d, content_pos(like), "like: no earlier family is named '%s'; did you mean '%s'?",
                 tname, hint);
    else
      ksmc_error(d, content_pos(like),
                 "like: no earlier family is named '%s' (the template comes first)", tname);
    return;
  }
  const yt_node *tm = seq->items[t];
  static const char *const no_copy[] = {"like", "also", "then", NULL};
  for (int j = 0; no_copy[j]; j++)
    if (yt_get(tm, no_copy[j])) {
      ksmc_error(d, content_pos(like), "like: '%s' has %s:, which a like: family cannot copy",
                 tname, no_copy[j]);
      ksmc_note(d, key_node(tm, no_copy[j])->pos, "'%s' has %s: here", tname, no_copy[j]);
      return;
    }
  /* The template's body, parsed again (quietly: its errors were reported with it), then
   * this family's header once more over the template's. */
  char *buf = NULL;
  size_t len = 0;
  FILE *sink = open_memstream(&buf, &len);
  if (!sink) abort();
  ksmc_diag quiet = {.out = sink};
  parse_family(f, tm, &quiet);
  parse_header(f, m, &quiet);
  fclose(sink);
  free(buf);
  f->like_of = t;
  f->like_pos = content_pos(like);
  /* each: rebinds some of the template's root collections, variable by variable. */
  const yt_node *each = yt_get(m, "each");
  if (!each) return;
  if (each->type != YT_MAP) {
    ksmc_error(d, each->pos, "each must be a mapping of variable name to collection");
    return;
  }
  for (size_t k = 0; k < each->npairs; k++) {
    const yt_node *var = each->pairs[k].key, *src = each->pairs[k].value;
    loop *l = NULL;
    const char *vars[64];
    int nv = 0;
    for (size_t j = 0; j < f->nloops; j++) {
      if (!strcmp(f->loops[j].var, var->str)) l = &f->loops[j];
      if (nv < 64) vars[nv++] = f->loops[j].var;
    }
    if (!l) {
      const char *hint = ksmc_did_you_mean(var->str, vars, nv);
      if (hint)
        ksmc_error(d, var->pos, "like: '%s' binds no variable '$%s'; did you mean '$%s'?", tname,
                   var->str, hint);
      else
        ksmc_error(d, var->pos, "like: '%s' binds no variable '$%s' to rebind", tname, var->str);
      continue;
    }
    if (l->rebound) {
      ksmc_error(d, var->pos, "variable '$%s' is rebound twice", var->str);
      continue;
    }
    if (!root_collection(l->source)) {
      ksmc_error(d, var->pos,
                 "like: only collections read from the object root (.a.b[*], .a.b{*}) can be "
                 "rebound; '%s' binds '$%s' otherwise",
                 tname, var->str);
      continue;
    }
    expr *e = src->type == YT_SCALAR ? parse_expr_node(src, "a collection", d) : NULL;
    if (src->type != YT_SCALAR) ksmc_error(d, src->pos, "each: rebinds a variable to a path");
    if (!e) continue;
    if (!root_collection(e) ||
        e->segs[e->nsegs - 1].kind != l->source->segs[l->source->nsegs - 1].kind) {
      ksmc_error(d, e->pos, "'$%s' must be rebound to a path from the object root ending in %s",
                 var->str, l->source->segs[l->source->nsegs - 1].kind == SEG_ALL ? "[*]" : "{*}");
      expr_free(e);
      continue;
    }
    expr_free(l->source);
    l->source = e;
    l->pos = var->pos;
    l->rebound = true;
  }
}

static void parse_families(spec *s, const yt_node *seq, ksmc_diag *d) {
  if (seq->type != YT_SEQ) {
    ksmc_error(d, seq->pos, "families must be a sequence");
    return;
  }
  s->families = calloc(seq->nitems ? seq->nitems : 1, sizeof *s->families);
  if (!s->families) abort();
  for (size_t i = 0; i < seq->nitems; i++) {
    family *f = &s->families[s->nfamilies++];
    f->like_of = -1;
    if (seq->items[i]->type == YT_MAP && yt_get(seq->items[i], "like"))
      parse_variant(f, seq, i, d);
    else
      parse_family(f, seq->items[i], d);
    for (size_t j = 0; f->name && j + 1 < s->nfamilies; j++)
      if (s->families[j].name && !strcmp(s->families[j].name, f->name)) {
        ksmc_error(d, f->pos, "duplicate family '%s'", f->name);
        ksmc_note(d, s->families[j].pos, "first defined here");
      }
  }
}

/* A custom resource declares the fields it reads (spec_schema.h). */
static void parse_custom_schema(spec *s, const yt_node *m, const schema *sch, ksmc_diag *d) {
  if (!*s->group)
    ksmc_error(d, m->pos, "schema: is for custom resources, which need an API group in resource:");
  char *gv = malloc(strlen(s->group) + strlen(s->version ? s->version : "") + 2);
  if (!gv) abort();
  sprintf(gv, "%s.%s", s->group, s->version ? s->version : "");
  s->custom_schema = calloc(1, sizeof *s->custom_schema);
  if (!s->custom_schema) abort();
  spec_schema_build(s->custom_schema, s->kind, gv, m, sch, d);
  free(gv);
}

static spec *build(const char *file, yt_node *root, const schema *sch, ksmc_diag *d) {
  static const key_rules r = {"the spec", top_keys, top_required};
  spec *s = calloc(1, sizeof *s);
  if (!s) abort();
  s->file = xstrdup(file);
  if (check_keys(root, &r, d)) {
    if (yt_get(root, "resource")) parse_resource(s, yt_get(root, "resource"), d);
    s->labels = parse_labels(yt_get(root, "labels"), &s->nlabels, d);
    if (yt_get(root, "families")) parse_families(s, yt_get(root, "families"), d);
    if (yt_get(root, "schema") && s->kind) parse_custom_schema(s, yt_get(root, "schema"), sch, d);
  }
  spec_check(s, sch, yt_get(root, "resource"), d);
  return s;
}

spec *spec_load_text(const char *file, const char *text, const schema *sch, ksmc_diag *d) {
  int before = d->errors;
  yt_node *root = yt_parse(file, text, strlen(text), d);
  if (!root) return NULL;
  spec *s = build(file, root, sch, d);
  yt_free(root);
  if (d->errors != before) {
    spec_free(s);
    return NULL;
  }
  return s;
}

spec *spec_load(const char *file, const schema *sch, ksmc_diag *d) {
  int before = d->errors;
  yt_node *root = yt_parse_file(file, d);
  if (!root) return NULL;
  spec *s = build(file, root, sch, d);
  yt_free(root);
  if (d->errors != before) {
    spec_free(s);
    return NULL;
  }
  return s;
}
