/* schema: the field schema of Kubernetes objects (schema/k8s.schema), used to check every
 * path a spec reads: field names, JSON types, arrays and maps.
 *
 * The file lists, per kind, one `<path> <type>` line per field; `[]` marks array
 * elements and `{}` map values, e.g. `.status.containerStatuses[].restartCount int`.
 * It is lexed with re2c (schema_lex.re). */
#ifndef KSMC_GEN_SCHEMA_H
#define KSMC_GEN_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef enum {
  ST_NONE = 0, /* not in the schema */
  ST_STRING,
  ST_INT,
  ST_NUMBER,
  ST_BOOL,
  ST_TIMESTAMP,
  ST_QUANTITY,
  ST_OBJECT,
  ST_ARRAY,
  ST_MAP,
  ST_ANY /* custom resources only (spec `schema:`): a scalar whose JSON type varies */
} schema_type;

typedef struct {
  char *path;
  schema_type type;
} schema_field;

typedef struct {
  char *kind;          /* "Pod" */
  char *group_version; /* "core.v1" */
  schema_field *fields;
  size_t nfields;
  /* private: indices of fields sorted by path (schema_load builds it), so schema_lookup
   * is a binary search; NULL (a custom resource's small schema): a linear scan */
  size_t *by_path;
} schema_kind;

typedef struct {
  schema_kind *kinds;
  size_t nkinds;
} schema;

/* Loads a schema file; reports problems to d with file:line:col. Returns false on error. */
bool schema_load(schema *s, const char *file, ksmc_diag *d);

void schema_free(schema *s);

/* The kind named `kind`, or NULL. */
const schema_kind *schema_find_kind(const schema *s, const char *kind);

/* Type of a normalized path (e.g. ".spec.containers[].name"), ST_NONE if unknown. The
 * root path "" is an object. A path listed twice has the type of its first line. */
schema_type schema_lookup(const schema_kind *k, const char *path);

/* Fills names[] (up to max) with the field names directly under `parent` (for "did you
 * mean" hints); returns how many. The strings point into the schema. */
int schema_children(const schema_kind *k, const char *parent, const char **names, int max,
                    char *storage, size_t storage_len);

/* "string", "int", ... */
const char *schema_type_name(schema_type t);

#endif
