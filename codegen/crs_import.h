/* crs_import: converts a kube-state-metrics CustomResourceStateMetrics (CRS) config into
 * ksmc specs (`ksmc-gen import-crs`).
 *
 * Each spec.resources[] entry becomes one spec for specs/custom/: the resource section
 * from groupVersionKind/resourcePlural, a schema: section declaring every field the
 * metrics read, and one family per metric with CRS's output: the metric name with its
 * prefix, the customresource_group/_version/_kind labels, commonLabels and labelsFromPath,
 * labels sorted by name, values through crs_number() (CRS's toFloat64). What CRS decides
 * at run time (is this path a list, a map or a value?) is decided from the metric's keys
 * and said in a note; what cannot be converted is an error and what converts with a
 * difference a warning, each at the config's file:line:col. */
#ifndef KSMC_GEN_CRS_IMPORT_H
#define KSMC_GEN_CRS_IMPORT_H

#include <stddef.h>

#include "diag.h"

typedef struct {
  char *name; /* file name stem: the kind in lower case ("certificate") */
  char *text; /* the spec's YAML */
} crs_spec;

/* Converts the CRS config in `file`. Returns the number of specs written to *out
 * (caller frees with crs_specs_free), or -1 when the file cannot be read or any error
 * was reported (then *out is NULL). */
int crs_import(const char *file, crs_spec **out, ksmc_diag *d);

void crs_specs_free(crs_spec *v, int n);

#endif
