/* spec: the checked model of one spec file (one resource kind and its metric families).
 *
 * spec_load turns a YAML tree into this model, checking every key, name, path and type
 * against the field schema and reporting each problem at its file:line:col. The emitter
 * only ever sees a model that passed every check. */
#ifndef KSMC_GEN_SPEC_H
#define KSMC_GEN_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "expr.h"
#include "schema.h"
#include "ytree.h"

/* ---- views: what the generated walker extracts -------------------------------------- */

typedef struct view view;
typedef struct vnode vnode;

/* One JSON key in a view's trie of read fields. */
struct vnode {
  char *key;   /* JSON key (NULL for the view's root) */
  char *cname; /* C identifier of its slots, unique in the view */
  vnode **kids;
  size_t nkids;
  bool leaf;  /* the value's token index is kept (`int <cname>`) */
  view *iter; /* the value is iterated: item views in `ksmc_items <cname>_items` */
};

/* A view: the fields read from the object root, or from each item of an iterated array
 * or map. Item views always keep `_self` (the item's token) and, for maps, `_key`. */
struct view {
  int id;
  char *cname;       /* "root" or a name derived from the collection's path */
  char *schema_path; /* normalized schema path of the item ("" for the root) */
  bool is_map;       /* items are map entries */
  vnode root;
  view *parent;
  view *same; /* merged into this view (a like: family's collection): its C type, walker
               * and slots are `same`'s; NULL for a view emitted itself */
};

/* The view whose C struct holds v's slots (v itself unless merged). */
const view *view_canonical(const view *v);

/* ---- typed expressions ------------------------------------------------------------- */

typedef enum {
  VT_STR, /* string value (string fields, numbers as text, function results) */
  VT_NUM, /* float64 */
  VT_BOOL,
  VT_TS,   /* a timestamp field: use timestamp() / nonzero() */
  VT_QTY,  /* a quantity field: use quantity() / quantity_int() */
  VT_OBJ,  /* object, array or map: only present() applies */
  VT_LIST, /* literal list of strings */
  VT_ERR   /* an error was already reported for this expression: stay quiet */
} vtype;

/* What the checker attaches to an E_PATH expression. */
typedef struct {
  view *v;                /* view holding the final slot */
  vnode *node;            /* the slot */
  const char *var;        /* loop variable the path starts from (NULL: the root view) */
  bool iterates;          /* the path iterates a collection (only inside aggregates/each) */
  view *iter_view;        /* the collection's item view when iterates */
  int iter_seg;           /* index of the iterating segment */
  view *coll_view;        /* view holding the iterated collection's slot */
  vnode *coll_node;       /* the collection's slot (coll_node->iter == iter_view) */
  const path_seg *filter; /* the [f=v] selector, or NULL */
  bool list_var;          /* the path is a literal-list loop variable */
  vtype type;
  schema_type stype;
} path_ref;

/* ---- families ----------------------------------------------------------------------- */

typedef enum { LOOP_VIEW, LOOP_LIST, LOOP_FN } loop_kind;

/* One `each:` entry: a variable bound to every item of a collection or literal list. */
typedef struct {
  char *var;
  ksmc_pos pos;
  loop_kind kind;
  expr *source; /* LOOP_VIEW: path ending in [*], [f=v] or {*}; LOOP_FN: list function */
  char **list;  /* LOOP_LIST: literal strings */
  size_t nlist;
  view *item;   /* LOOP_VIEW: the item view */
  bool rebound; /* like: variant: this loop's collection replaces the template's */
} loop;

typedef struct {
  char *name;
  ksmc_pos pos;
  expr *value;
} label;

typedef struct {
  char *label; /* label name, e.g. "phase" */
  expr *of;    /* compared value */
  char **label_values;
  char **match_values;
  size_t n;
  ksmc_pos pos;
} states;

typedef enum { DYN_NONE, DYN_LABELS, DYN_ANNOTATIONS, DYN_ALL } dyn_allow;

typedef struct {
  expr *from;   /* map path */
  char *prefix; /* "label", "annotation", "nodeselector" */
  dyn_allow allow;
  ksmc_pos pos;
} dynamic_labels;

typedef enum { FT_GAUGE, FT_COUNTER, FT_INFO, FT_STATESET } family_type;

typedef enum { STAB_STABLE, STAB_ALPHA, STAB_BETA, STAB_EXPERIMENTAL } stability;

typedef struct family {
  char *name;
  ksmc_pos pos;
  family_type type;
  stability stab;
  char *deprecated_since;
  char *help;
  bool opt_in;
  loop *loops;
  size_t nloops;
  expr *where;
  label *labels;
  size_t nlabels;
  states *st;          /* optional */
  dynamic_labels *dyn; /* optional */
  expr *value;         /* NULL with states/dynamic (value 1 / per state) */
  label *if_empty;     /* labels of the one sample written when the loops yield none */
  size_t nif_empty;
  bool has_if_empty;
  bool distinct;
  /* `also:` blocks: more samples of this family, written after these, each with its own
   * each/where/labels/value (so the label set may differ between samples). A block is a
   * family sharing name, help and type; it has no blocks itself. */
  struct family *also;
  size_t nalso;
  /* `then:` blocks: written inside every iteration of this family's loops (after its
   * where:), one after the other; each block has its own nested each/where/labels/value,
   * whose loops and expressions may use the family's loop variables. A family with
   * blocks has no labels or value of its own. */
  struct family *then;
  size_t nthen;
  int part_index; /* blocks: index of the generated render function (emitter) */
  /* `like:`: this family is family `like_of`'s body (where/labels/value/...) with its
   * own name, help, type and stability, and some of its root each: collections rebound
   * (loops with `rebound`). -1 for an ordinary family, -2 for one whose like: failed
   * (reported; not checked further). The checker merges each rebound
   * collection's view into the template's, so the emitter writes one body for both. */
  int like_of;
  ksmc_pos like_pos; /* the like: value */
  int agg_base;      /* checker: number of the family's first aggregate */
} family;

typedef struct {
  char *file; /* spec path as given (repo-relative in the build) */
  char *kind;
  char *group;
  char *version;
  char *resource;
  bool namespaced;
  label *labels; /* default labels */
  size_t nlabels;
  family *families;
  size_t nfamilies;
  vnode *meta[5]; /* kind, metadata.uid, .name, .namespace, .resourceVersion */
  view **views;   /* views[0] is the root */
  size_t nviews;
  const schema_kind *schema;
  schema_kind *custom_schema; /* from the spec's `schema:` section (custom resources) */
} spec;

/* Loads and checks one spec; returns NULL when any error was reported. */
spec *spec_load(const char *file, const schema *sch, ksmc_diag *d);

/* Loads and checks a spec from memory (tests). */
spec *spec_load_text(const char *file, const char *text, const schema *sch, ksmc_diag *d);

void spec_free(spec *s);

/* Looks at the path annotation the checker left on an E_PATH expression. */
const path_ref *spec_path_ref(const expr *e);

/* The family's label names in output order, comma separated, dynamic ones as
 * "<prefix>_*" (caller frees). */
char *spec_family_label_list(const spec *s, const family *f);

const char *family_type_name(family_type t);
const char *stability_name(stability s);

#endif
