/* schema_dump: the metric schema, i.e. what a set of specs exposes, as plain data.
 *
 * The metric schema is the part of the checked spec model that the users of the metrics
 * see: per kind its API coordinates, per family its name, type, stability, opt-in,
 * help, the label names in output order and the unit of its value. It is what
 * `ksmc-gen schema` dumps (text or JSON), what `ksmc-gen diff` compares, and what the
 * docs and the ClusterRole are generated from. It is built from the compiler's model
 * (ms_add_spec) or read back from its own JSON (schema_read.c), never from YAML
 * directly: there is one spec parser.
 *
 * Every string is owned by the schema. Kinds are sorted by kind name; families keep
 * their spec (output) order, so the same specs always give the same bytes. */
#ifndef KSMC_GEN_SCHEMA_DUMP_H
#define KSMC_GEN_SCHEMA_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "schema.h"
#include "spec.h"

/* Version of the JSON layout, written as "ksmc_metric_schema". A reader refuses others. */
#define MS_JSON_VERSION 1

typedef struct {
  char *name;      /* "pod", or "label_*" for dynamic labels */
  char *source;    /* the expression the value comes from, as spec text */
  bool dynamic;    /* a dynamic_labels group (name is "<prefix>_*") */
  bool is_default; /* one of the kind's default labels */
} ms_label;

typedef struct {
  char *name;
  char *type;       /* gauge | counter | info | stateset */
  char *stability;  /* stable | alpha | beta | experimental */
  char *deprecated; /* "v2.14.0", or NULL */
  char *help;
  bool opt_in;
  ms_label *labels; /* output order: default labels, labels, states label, dynamic */
  size_t nlabels;
  char **states; /* label values of a `states:` family, in sample order */
  size_t nstates;
  char *dynamic; /* allowlist of dynamic labels: labels | annotations | all, or NULL */
  char *unit;    /* what the value measures (see ms_value_unit), e.g. "unix_seconds" */
  char *value;   /* the value expression as spec text ("" with states/dynamic labels) */
  char *select;  /* which samples exist: each/where/distinct/if_empty as text ("" none) */
  char *file;    /* spec location */
  int line;
} ms_family;

typedef struct {
  char *kind;
  char *group; /* "" for the core group */
  char *version;
  char *resource; /* plural */
  bool namespaced;
  char *file;
  ms_family *families;
  size_t nfamilies;
} ms_kind;

typedef struct {
  ms_kind *kinds;
  size_t nkinds;
} ms_schema;

/* Appends the kind of a checked spec (kinds stay sorted by kind, then group). */
void ms_add_spec(ms_schema *m, const spec *s);

void ms_free(ms_schema *m);

/* The unit class of a family's value: "constant" (info-style 1, dynamic labels), "state"
 * (1/0 per state), "boolean", "unix_seconds", "quantity", "count", "number" or "mixed"
 * (an if() whose branches differ).
 * A change of class is a change of what the series mean. */
const char *ms_value_unit(const family *f);

/* The family named `name` in the schema (and its kind), or NULL. */
const ms_family *ms_find_family(const ms_schema *m, const char *name, const ms_kind **kind);

/* Writers: deterministic, byte for byte. */
void ms_write_json(const ms_schema *m, FILE *out);
void ms_write_text(const ms_schema *m, FILE *out);

/* Writes s as a JSON string literal (quotes included; control bytes as \u00XX). */
void ms_json_string(FILE *out, const char *s);

/* The short name of a kind's file: "specs/pod.yaml" -> "pod" (caller frees). */
char *ms_file_stem(const char *file);

/* ---- schema_read.c ---------------------------------------------------------------- */

/* Reads a file written by ms_write_json and appends its kinds. Problems are reported at
 * file:line:col; returns false on any. */
bool ms_read_json(ms_schema *m, const char *file, ksmc_diag *d);

/* Same from memory (tests); `file` names the text in messages. */
bool ms_read_json_text(ms_schema *m, const char *file, const char *text, size_t len, ksmc_diag *d);

/* Loads inputs into m: each path is a directory (its *.yaml specs, sorted), a schema JSON
 * file (*.json) or a spec file. Specs are checked against the field schema in
 * schema_file, loaded only when a spec is read. Returns false when anything failed (all
 * problems reported). A family name defined twice is an error. */
bool ms_load_inputs(ms_schema *m, char *const *paths, size_t npaths, const char *schema_file,
                    ksmc_diag *d);

/* Expands directories among paths into their *.yaml files and those of their custom/
 * subdirectory (custom resources), sorted; other paths are kept
 * as given. Returns a NULL-terminated array (free with ms_free_paths); NULL after
 * reporting an unreadable directory. */
char **ms_expand_paths(char *const *paths, size_t npaths, size_t *count, ksmc_diag *d);
void ms_free_paths(char **paths);

#endif
