/* schema_diff: what a spec change does to the series users query, classified.
 *
 * Families are matched by name. Every difference becomes one change:
 *
 *   breaking  queries, dashboards or alerts that worked stop working:
 *             family removed (or renamed: a removed and an added family of the same kind
 *             with identical help and label names are reported as one likely rename),
 *             type changed, label removed or renamed, label added to a stable family,
 *             label order changed in a stable family, value unit changed, state
 *             removed, stable family demoted, default-enabled family made opt-in,
 *             resource (plural) renamed;
 *   risky     series identity or meaning may change, a human should look:
 *             label added (non-stable family), label order changed (non-stable), label
 *             source changed, help rewritten, stability changed otherwise, deprecation,
 *             state added, value computation or sample selection changed, dynamic
 *             label allowlist changed, opt-in family enabled by default, API group or
 *             version or scope changed, family moved to another kind;
 *   safe      existing series stay as they are: family added (default or opt-in),
 *             help typo fixed, deprecation removed, states reordered.
 *
 * A breaking change can be accepted explicitly (ms_allow) by family name, old name or
 * kind; it is then reported as allowed and does not fail the diff. */
#ifndef KSMC_GEN_SCHEMA_DIFF_H
#define KSMC_GEN_SCHEMA_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "schema_dump.h"

typedef enum { CH_BREAKING, CH_RISKY, CH_SAFE } ms_class;

typedef struct {
  ms_class cls;
  bool allowed;     /* a breaking change accepted by an --allow pattern */
  char *family;     /* family name (the new one for renames), or the kind for kind changes */
  char *old_family; /* renames: the old name; else NULL */
  char *kind;
  const char *code; /* stable identifier, e.g. "label_removed" */
  char *message;    /* what changed and what it does to the series */
  char *old_value;  /* the compared values as text, or NULL */
  char *new_value;
  char *file; /* where to look: the new spec, the old one for removals */
  int line;
  size_t seq; /* detection order (ties in sorting) */
} ms_change;

typedef struct {
  ms_change *v;
  size_t n;
  size_t cap;
} ms_changes;

/* Compares two schemas; changes come sorted by class, then family, then detection order. */
void ms_diff(const ms_schema *old_s, const ms_schema *new_s, ms_changes *out);

void ms_changes_free(ms_changes *c);

/* Marks breaking changes whose family, old name or kind matches one of the fnmatch(3)
 * patterns as allowed. used[i] (if not NULL) tells whether pattern i matched any. */
void ms_allow(ms_changes *c, char *const *patterns, size_t n, bool *used);

/* Reads an allow file: one pattern per line, `#` starts a comment, blank lines are
 * ignored. Appends to *patterns (strings owned by the caller); false after reporting a
 * problem at file:line:col. */
bool ms_read_allow_file(const char *file, char ***patterns, size_t *n, ksmc_diag *d);

typedef struct {
  size_t breaking; /* not allowed */
  size_t allowed;
  size_t risky;
  size_t safe;
} ms_counts;

ms_counts ms_count(const ms_changes *c);

/* The class name: "breaking", "risky", "safe". */
const char *ms_class_name(ms_class c);

/* Edit distance of two strings in bytes (help typo detection). */
size_t ms_edit_distance(const char *a, const char *b);

/* Report writers (diff_report.c). */
void ms_report_text(const ms_changes *c, FILE *out);
void ms_report_markdown(const ms_changes *c, FILE *out);
void ms_report_json(const ms_changes *c, FILE *out);

#endif
