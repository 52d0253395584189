/* rbac_emit: the ClusterRole ksmc needs, generated from the compiled specs.
 *
 * ksmc only lists and watches the resources of its specs, so the role grants exactly
 * `list` and `watch` on exactly those resources, one rule per API group (core group
 * first, then by name; resources sorted and de-duplicated). Same specs, same bytes. */
#ifndef KSMC_GEN_RBAC_EMIT_H
#define KSMC_GEN_RBAC_EMIT_H

#include <stdio.h>

#include "schema_dump.h"

/* Writes the ClusterRole named `name` as YAML. */
void rbac_emit(const ms_schema *m, const char *name, FILE *out);

#endif
