/* spec_schema: the field schema of a custom resource, declared in its spec.
 *
 * CRDs have no entry in schema/k8s.schema, so a spec for a custom resource lists the
 * fields its families read in a `schema:` mapping of schema path to type, in the syntax
 * of k8s.schema (`.status.conditions[].type: string`). Parents are implied (`.status`
 * object, `.status.conditions` array, `.status.conditions[]` object); `.kind`,
 * `.apiVersion` and every ObjectMeta field (`.metadata.*`, copied from the k8s schema)
 * are always there. Besides k8s.schema's types, `any` declares a scalar whose JSON type
 * varies (read as text in labels, converted by crs_number()). */
#ifndef KSMC_GEN_SPEC_SCHEMA_H
#define KSMC_GEN_SPEC_SCHEMA_H

#include <stdbool.h>

#include "diag.h"
#include "schema.h"
#include "ytree.h"

/* Builds *out for kind `kind` (group_version `gv`, e.g. "cert-manager.io.v1") from the
 * `schema:` mapping m, taking ObjectMeta from any kind of k8s. Reports every malformed
 * path, unknown type and conflicting declaration at its file:line:col. Returns false
 * when any error was reported; *out is filled (and must be freed) either way. */
bool spec_schema_build(schema_kind *out, const char *kind, const char *gv, const yt_node *m,
                       const schema *k8s, ksmc_diag *d);

/* Frees what spec_schema_build allocated. */
void spec_schema_free(schema_kind *k);

#endif
