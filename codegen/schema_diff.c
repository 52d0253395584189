/* schema_diff: compares two metric schemas and classifies every change (rules in
 * schema_diff.h). */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "schema_diff.h"

static char *xstrdup(const char *s) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) abort();
  return d;
}

const char *ms_class_name(ms_class c) {
  static const char *const names[] = {"breaking", "risky", "safe"};
  return names[c];
}

typedef struct {
  ms_changes *out;
  const ms_kind *kind;  /* kind the current family belongs to (new side, else old) */
  const ms_family *at;  /* where changes point */
  const char *family;   /* name reported */
  const char *old_name; /* renames */
} diff_ctx;

__attribute__((format(printf, 6, 7))) static void add(diff_ctx *c, ms_class cls, const char *code,
                                                      const char *old_v, const char *new_v,
                                                      const char *fmt, ...) {
  ms_changes *o = c->out;
  if (o->n == o->cap) {
    o->cap = o->cap ? o->cap * 2 : 32;
    ms_change *v = realloc(o->v, o->cap * sizeof *v);
    if (!v) abort();
    o->v = v;
  }
  ms_change *ch = &o->v[o->n++];
  *ch = (ms_change){.cls = cls, .code = code, .seq = o->n - 1};
  ch->family = xstrdup(c->family);
  ch->old_family = xstrdup(c->old_name);
  ch->kind = xstrdup(c->kind->kind);
  ch->old_value = xstrdup(old_v);
  ch->new_value = xstrdup(new_v);
  ch->file = xstrdup(c->at ? c->at->file : c->kind->file);
  ch->line = c->at ? c->at->line : 0;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&ch->message, fmt, ap) < 0) abort();
  va_end(ap);
}

size_t ms_edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  size_t *row = malloc((m + 1) * sizeof *row);
  if (!row) abort();
  for (size_t j = 0; j <= m; j++) row[j] = j;
  for (size_t i = 1; i <= n; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  size_t d = row[m];
  free(row);
  return d;
}

/* "a, b, c" (caller frees). */
static char *label_names(const ms_family *f) {
  size_t len = 1;
  for (size_t i = 0; i < f->nlabels; i++) len += strlen(f->labels[i].name) + 2;
  char *s = calloc(1, len);
  if (!s) abort();
  for (size_t i = 0; i < f->nlabels; i++) {
    if (i) strcat(s, ", ");
    strcat(s, f->labels[i].name);
  }
  return s;
}

static int label_index(const ms_family *f, const char *name) {
  for (size_t i = 0; i < f->nlabels; i++)
    if (!strcmp(f->labels[i].name, name)) return (int)i;
  return -1;
}

static bool same_label_names(const ms_family *a, const ms_family *b) {
  if (a->nlabels != b->nlabels) return false;
  for (size_t i = 0; i < a->nlabels; i++)
    if (strcmp(a->labels[i].name, b->labels[i].name)) return false;
  return true;
}

static bool has_state(const ms_family *f, const char *s) {
  for (size_t i = 0; i < f->nstates; i++)
    if (!strcmp(f->states[i], s)) return true;
  return false;
}

/* The label holding the state of a states family: the last non-dynamic label. */
static const char *state_label(const ms_family *f) {
  for (size_t i = f->nlabels; i-- > 0;)
    if (!f->labels[i].dynamic) return f->labels[i].name;
  return "state";
}

static void diff_labels(diff_ctx *c, const ms_family *o, const ms_family *n) {
  bool stable = !strcmp(o->stability, "stable");
  bool *paired = calloc(n->nlabels + 1, sizeof *paired);
  if (!paired) abort();
  for (size_t i = 0; i < o->nlabels; i++) {
    const ms_label *l = &o->labels[i];
    if (label_index(n, l->name) >= 0) continue;
    int to = -1; /* rename: an added label with the same source, else at the same place */
    for (size_t j = 0; j < n->nlabels && to < 0; j++)
      if (!paired[j] && label_index(o, n->labels[j].name) < 0 && *l->source &&
          !strcmp(n->labels[j].source, l->source))
        to = (int)j;
    if (to < 0 && i < n->nlabels && !paired[i] && label_index(o, n->labels[i].name) < 0)
      to = (int)i;
    if (to >= 0) {
      paired[to] = true;
      add(c, CH_BREAKING, "label_renamed", l->name, n->labels[to].name,
          "label '%s' renamed to '%s': queries that select or group by '%s' break", l->name,
          n->labels[to].name, l->name);
    } else {
      add(c, CH_BREAKING, "label_removed", l->name, NULL,
          "label '%s' removed: queries that select or group by it break, and series that "
          "differed only in it collapse",
          l->name);
    }
  }
  for (size_t j = 0; j < n->nlabels; j++) {
    if (paired[j] || label_index(o, n->labels[j].name) >= 0) continue;
    if (stable)
      add(c, CH_BREAKING, "label_added", NULL, n->labels[j].name,
          "label '%s' added to a stable family: every series changes identity (KSM's "
          "stability policy forbids this)",
          n->labels[j].name);
    else
      add(c, CH_RISKY, "label_added", NULL, n->labels[j].name,
          "label '%s' added: every series changes identity; rules that match the full label "
          "set see new series",
          n->labels[j].name);
  }
  free(paired);
  /* order of the labels both sides have */
  size_t j = 0;
  bool reordered = false;
  for (size_t i = 0; i < o->nlabels && !reordered; i++) {
    if (label_index(n, o->labels[i].name) < 0) continue;
    while (j < n->nlabels && label_index(o, n->labels[j].name) < 0) j++;
    reordered = j >= n->nlabels || strcmp(n->labels[j].name, o->labels[i].name);
    j++;
  }
  if (reordered) {
    char *a = label_names(o), *b = label_names(n);
    if (stable)
      add(c, CH_BREAKING, "label_order_changed", a, b,
          "label order changed in a stable family: the exposition of every series changes "
          "(Prometheus identity is unchanged; byte-level consumers and KSM compatibility break)");
    else
      add(c, CH_RISKY, "label_order_changed", a, b,
          "label order changed: the exposition of every series changes (Prometheus identity "
          "is unchanged)");
    free(a);
    free(b);
  }
  for (size_t i = 0; i < o->nlabels; i++) {
    int k = label_index(n, o->labels[i].name);
    if (k < 0 || !*o->labels[i].source || !*n->labels[k].source) continue;
    if (strcmp(o->labels[i].source, n->labels[k].source))
      add(c, CH_RISKY, "label_source_changed", o->labels[i].source, n->labels[k].source,
          "label '%s' now comes from another expression: its values, and so series identity, "
          "may change",
          o->labels[i].name);
  }
}

static void diff_states(diff_ctx *c, const ms_family *o, const ms_family *n) {
  const char *label = state_label(n);
  for (size_t i = 0; i < o->nstates; i++)
    if (!has_state(n, o->states[i]))
      add(c, CH_BREAKING, "state_removed", o->states[i], NULL,
          "state '%s' removed: series with %s=\"%s\" disappear", o->states[i], label, o->states[i]);
  for (size_t i = 0; i < n->nstates; i++)
    if (!has_state(o, n->states[i]))
      add(c, CH_RISKY, "state_added", NULL, n->states[i],
          "state '%s' added: one more series per object; sums over the states change",
          n->states[i]);
  bool same_set = o->nstates == n->nstates;
  for (size_t i = 0; i < o->nstates && same_set; i++) same_set = has_state(n, o->states[i]);
  bool same_order = same_set;
  for (size_t i = 0; i < o->nstates && same_order; i++)
    same_order = !strcmp(o->states[i], n->states[i]);
  if (same_set && !same_order)
    add(c, CH_SAFE, "states_reordered", NULL, NULL,
        "states reordered: only the order of samples in the exposition changes");
}

static bool str_eq(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

static void diff_help(diff_ctx *c, const ms_family *o, const ms_family *n) {
  if (!strcmp(o->help, n->help)) return;
  size_t d = ms_edit_distance(o->help, n->help);
  size_t lo = strlen(o->help), ln = strlen(n->help), longest = lo > ln ? lo : ln;
  if (d <= 3 || d * 20 <= longest)
    add(c, CH_SAFE, "help_edited", o->help, n->help,
        "help edited (%zu character%s): a typo-level fix, the series are unchanged", d,
        d == 1 ? "" : "s");
  else
    add(c, CH_RISKY, "help_rewritten", o->help, n->help,
        "help rewritten: check that the meaning of the series did not change");
}

static void diff_family(diff_ctx *c, const ms_kind *ok, const ms_family *o, const ms_family *n) {
  if (strcmp(ok->kind, c->kind->kind))
    add(c, CH_RISKY, "kind_changed", ok->kind, c->kind->kind,
        "family moved from kind %s to kind %s: its series describe other objects", ok->kind,
        c->kind->kind);
  if (strcmp(o->type, n->type))
    add(c, CH_BREAKING, "type_changed", o->type, n->type,
        "type changed from %s to %s: queries and recording rules written for a %s break", o->type,
        n->type, o->type);
  if (!strcmp(o->stability, "stable") && strcmp(n->stability, "stable"))
    add(c, CH_BREAKING, "stability_demoted", o->stability, n->stability,
        "stable family demoted to %s: it loses its stability guarantee", n->stability);
  else if (strcmp(o->stability, n->stability))
    add(c, CH_RISKY, "stability_changed", o->stability, n->stability,
        "stability changed from %s to %s: the HELP text changes%s", o->stability, n->stability,
        !strcmp(n->stability, "stable") ? " and the family is now frozen" : "");
  if (!o->opt_in && n->opt_in)
    add(c, CH_BREAKING, "made_opt_in", "default-enabled", "opt-in",
        "default-enabled family made opt-in: its series disappear unless "
        "--metric-opt-in-list names it");
  else if (o->opt_in && !n->opt_in)
    add(c, CH_RISKY, "enabled_by_default", "opt-in", "default-enabled",
        "opt-in family now enabled by default: new series on every deployment (cardinality)");
  if (!str_eq(o->deprecated, n->deprecated)) {
    if (n->deprecated)
      add(c, CH_RISKY, "deprecated", o->deprecated, n->deprecated,
          "family deprecated since %s: HELP changes; plan the move away from it", n->deprecated);
    else
      add(c, CH_SAFE, "undeprecated", o->deprecated, NULL, "deprecation removed");
  }
  diff_help(c, o, n);
  diff_labels(c, o, n);
  diff_states(c, o, n);
  if (!str_eq(o->dynamic, n->dynamic))
    add(c, CH_RISKY, "dynamic_allowlist_changed", o->dynamic ? o->dynamic : "none",
        n->dynamic ? n->dynamic : "none",
        "dynamic labels now governed by %s (was %s): which label_* labels appear changes",
        n->dynamic ? n->dynamic : "none", o->dynamic ? o->dynamic : "none");
  if (*o->unit && *n->unit && strcmp(o->unit, n->unit))
    add(c, CH_BREAKING, "unit_changed", o->unit, n->unit,
        "value unit changed from %s to %s: the same series now mean something else", o->unit,
        n->unit);
  else if (strcmp(o->value, n->value))
    add(c, CH_RISKY, "value_changed", o->value, n->value,
        "value computed differently: check that unit and meaning are unchanged");
  if (strcmp(o->select, n->select))
    add(c, CH_RISKY, "selection_changed", o->select, n->select,
        "sample selection (each/where) changed: which series exist may differ");
}

static void diff_kind(diff_ctx *c, const ms_kind *o, const ms_kind *n) {
  c->kind = n;
  c->at = NULL;
  c->family = n->kind;
  c->old_name = NULL;
  if (strcmp(o->resource, n->resource))
    add(c, CH_BREAKING, "resource_renamed", o->resource, n->resource,
        "resource renamed from %s to %s: --resources, allowlists and opt-in lists naming it "
        "stop matching",
        o->resource, n->resource);
  if (strcmp(o->group, n->group) || strcmp(o->version, n->version)) {
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/%s", *o->group ? o->group : "core", o->version);
    snprintf(b, sizeof b, "%s/%s", *n->group ? n->group : "core", n->version);
    add(c, CH_RISKY, "api_changed", a, b,
        "API group/version changed from %s to %s: the API server must serve it and the "
        "ClusterRole changes",
        a, b);
  }
  if (o->namespaced != n->namespaced)
    add(c, CH_RISKY, "scope_changed", o->namespaced ? "namespaced" : "cluster-scoped",
        n->namespaced ? "namespaced" : "cluster-scoped",
        "resource is now %s: namespace filtering and RBAC change",
        n->namespaced ? "namespaced" : "cluster-scoped");
}

static const ms_kind *find_kind(const ms_schema *m, const char *kind) {
  for (size_t i = 0; i < m->nkinds; i++)
    if (!strcmp(m->kinds[i].kind, kind)) return &m->kinds[i];
  return NULL;
}

static int cmp_change(const void *pa, const void *pb) {
  const ms_change *a = pa, *b = pb;
  if (a->cls != b->cls) return (int)a->cls - (int)b->cls;
  int c = strcmp(a->family, b->family);
  if (c) return c;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void ms_diff(const ms_schema *old_s, const ms_schema *new_s, ms_changes *out) {
  diff_ctx c = {out, NULL, NULL, NULL, NULL};
  size_t first = out->n;
  for (size_t i = 0; i < new_s->nkinds; i++) {
    const ms_kind *ok = find_kind(old_s, new_s->kinds[i].kind);
    if (ok) diff_kind(&c, ok, &new_s->kinds[i]);
  }
  /* families removed, and the added ones that look like their new names */
  size_t nadded = 0;
  for (size_t i = 0; i < new_s->nkinds; i++) nadded += new_s->kinds[i].nfamilies;
  const ms_family **renamed_to = calloc(nadded + 1, sizeof *renamed_to);
  if (!renamed_to) abort();
  for (size_t i = 0; i < old_s->nkinds; i++) {
    const ms_kind *k = &old_s->kinds[i];
    for (size_t j = 0; j < k->nfamilies; j++) {
      const ms_family *f = &k->families[j];
      if (ms_find_family(new_s, f->name, NULL)) continue;
      const ms_family *to = NULL;
      const ms_kind *nk = find_kind(new_s, k->kind);
      size_t slot = 0;
      for (size_t x = 0; x < new_s->nkinds; x++) {
        for (size_t y = 0; y < new_s->kinds[x].nfamilies; y++, slot++) {
          const ms_family *a = &new_s->kinds[x].families[y];
          if (!to && &new_s->kinds[x] == nk && !renamed_to[slot] &&
              !ms_find_family(old_s, a->name, NULL) && !strcmp(a->help, f->help) &&
              same_label_names(a, f)) {
            to = a;
            renamed_to[slot] = a;
          }
        }
      }
      if (to) {
        c.kind = nk;
        c.at = to;
        c.family = to->name;
        c.old_name = f->name;
        add(&c, CH_BREAKING, "family_renamed", f->name, to->name,
            "family renamed from %s (likely: same kind, help and labels): queries on the old "
            "name find nothing",
            f->name);
        diff_family(&c, k, f, to);
      } else {
        c.kind = k;
        c.at = f;
        c.family = f->name;
        c.old_name = NULL;
        add(&c, CH_BREAKING, "family_removed", f->name, NULL,
            "family removed: its series disappear and queries on it find nothing");
      }
    }
  }
  size_t slot = 0;
  for (size_t i = 0; i < new_s->nkinds; i++) {
    const ms_kind *k = &new_s->kinds[i];
    for (size_t j = 0; j < k->nfamilies; j++, slot++) {
      const ms_family *f = &k->families[j];
      c.kind = k;
      c.at = f;
      c.family = f->name;
      c.old_name = NULL;
      const ms_kind *ok;
      const ms_family *o = ms_find_family(old_s, f->name, &ok);
      if (o)
        diff_family(&c, ok, o, f);
      else if (!renamed_to[slot])
        add(&c, CH_SAFE, "family_added", NULL, f->name,
            f->opt_in ? "opt-in family added: no series unless --metric-opt-in-list names it"
                      : "family added: new series, existing ones are unchanged");
    }
  }
  free(renamed_to);
  if (out->n > first) qsort(out->v + first, out->n - first, sizeof *out->v, cmp_change);
}

void ms_changes_free(ms_changes *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->v[i].family);
    free(c->v[i].old_family);
    free(c->v[i].kind);
    free(c->v[i].message);
    free(c->v[i].old_value);
    free(c->v[i].new_value);
    free(c->v[i].file);
  }
  free(c->v);
  *c = (ms_changes){0};
}

void ms_allow(ms_changes *c, char *const *patterns, size_t n, bool *used) {
  for (size_t i = 0; i < c->n; i++) {
    ms_change *ch = &c->v[i];
    if (ch->cls != CH_BREAKING) continue;
    for (size_t p = 0; p < n; p++) {
      if (!fnmatch(patterns[p], ch->family, 0) || !fnmatch(patterns[p], ch->kind, 0) ||
          (ch->old_family && !fnmatch(patterns[p], ch->old_family, 0))) {
        ch->allowed = true;
        if (used) used[p] = true;
      }
    }
  }
}

bool ms_read_allow_file(const char *file, char ***patterns, size_t *n, ksmc_diag *d) {
  FILE *f = fopen(file, "r");
  if (!f) {
    ksmc_error(d, (ksmc_pos){file, 0, 0}, "cannot read allow file: %s", strerror(errno));
    return false;
  }
  char *line = NULL;
  size_t cap = 0;
  int lineno = 0;
  bool ok = true;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *p = line;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) continue;
    char *end = p;
    while (*end && !isspace((unsigned char)*end)) end++;
    char *rest = end;
    while (isspace((unsigned char)*rest)) rest++;
    if (*rest) {
      ksmc_error(d, (ksmc_pos){file, lineno, (int)(rest - line) + 1},
                 "one family name or pattern per line (put reasons after '#')");
      ok = false;
      continue;
    }
    *end = '\0';
    char **v = realloc(*patterns, (*n + 1) * sizeof *v);
    if (!v) abort();
    *patterns = v;
    v[(*n)++] = xstrdup(p);
  }
  free(line);
  fclose(f);
  return ok;
}

ms_counts ms_count(const ms_changes *c) {
  ms_counts k = {0};
  for (size_t i = 0; i < c->n; i++) {
    if (c->v[i].cls == CH_BREAKING && c->v[i].allowed)
      k.allowed++;
    else if (c->v[i].cls == CH_BREAKING)
      k.breaking++;
    else if (c->v[i].cls == CH_RISKY)
      k.risky++;
    else
      k.safe++;
  }
  return k;
}
