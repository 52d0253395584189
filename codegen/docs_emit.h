/* docs_emit: the metric reference, docs/metrics/<kind>.md, generated from the schema.
 *
 * One page per spec (named after the spec file: specs/pod.yaml -> pod.md) with a table
 * of its families in output order (name, type, stability, labels, help, opt-in), like
 * kube-state-metrics' docs, and an index (README.md). The pages are committed and the
 * test command fails when they differ from what the specs produce. */
#ifndef KSMC_GEN_DOCS_EMIT_H
#define KSMC_GEN_DOCS_EMIT_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "schema_dump.h"

/* Writes the page of one kind. */
void docs_emit_kind(const ms_kind *k, FILE *out);

/* Writes the index of all kinds. */
void docs_emit_index(const ms_schema *m, FILE *out);

/* Creates dir (and its parents) and writes <dir>/<stem>.md for every kind and
 * <dir>/README.md; false after reporting a write error. */
bool docs_write(const ms_schema *m, const char *dir, ksmc_diag *d);

#endif
