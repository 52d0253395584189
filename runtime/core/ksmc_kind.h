/* ksmc_kind: the contract between generated serializers (generated/ files) and the runtime.
 *
 * Each spec compiles into one ksmc_kind_desc: what the resource is (for list/watch and
 * discovery), its metric families in spec order (for headers, filters and schema tools)
 * and a render function that turns one object's JSON into that object's pre-rendered
 * exposition lines, family by family. generated/ksmc_registry.c lists every kind. */
#ifndef KSMC_KIND_H
#define KSMC_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_buf.h"
#include "ksmc_labels.h"

/* Bumped whenever generated code and the runtime stop fitting together. Every generated
 * file checks it and refuses to compile against another runtime. */
#define KSMC_GENERATED_ABI 1

typedef enum { KSMC_GAUGE, KSMC_COUNTER, KSMC_INFO, KSMC_STATESET } ksmc_metric_type;

typedef enum { KSMC_STABLE, KSMC_ALPHA, KSMC_BETA, KSMC_EXPERIMENTAL } ksmc_stability;

/* Which allowlist governs a family's dynamic labels, if any. */
typedef enum {
  KSMC_DYN_NONE,        /* no dynamic labels */
  KSMC_DYN_LABELS,      /* label_*: --metric-labels-allowlist */
  KSMC_DYN_ANNOTATIONS, /* annotation_*: --metric-annotations-allowlist */
  KSMC_DYN_ALL          /* every key, no allowlist (e.g. nodeselector_*) */
} ksmc_dynamic_kind;

typedef struct {
  const char *name;             /* metric family name, e.g. "kube_pod_info" */
  ksmc_metric_type type;        /* as declared; text format prints info/stateset as gauge */
  ksmc_stability stability;     /* STABLE prints "[STABLE] " before the help text */
  const char *deprecated_since; /* e.g. "v2.14.0" or NULL */
  const char *help;             /* the spec's help text, without prefixes */
  bool opt_in;                  /* disabled unless --metric-opt-in-list matches */
  ksmc_dynamic_kind dynamic;
  const char *labels;    /* label names in output order, comma separated; dynamic
                            ones shown as "label_*", "annotation_*", ... */
  const char *spec_file; /* repo-relative spec path */
  int spec_line;         /* line of the family in its spec */
  /* Precomputed header lines, text format 0.0.4 and OpenMetrics 1.0:
   * "# HELP <name> <prefixes><help>\n# TYPE <name> <type>\n" */
  ksmc_slice header_text;
  ksmc_slice header_openmetrics;
} ksmc_family_desc;

typedef struct ksmc_render_ctx ksmc_render_ctx;

/* Renders one object; see ksmc_render_object. */
typedef int (*ksmc_render_fn)(ksmc_render_ctx *ctx, const char *json, size_t len);

typedef struct {
  const char *kind;     /* "Pod" */
  const char *group;    /* "" for the core group, "apps", ... */
  const char *version;  /* "v1" */
  const char *resource; /* plural resource name as used by --resources: "pods" */
  bool namespaced;
  const char *spec_file;
  const ksmc_family_desc *families;
  size_t nfamilies;
  ksmc_render_fn render;
} ksmc_kind_desc;

/* Every compiled kind, sorted by resource name (KSM's writer order). */
extern const ksmc_kind_desc *const ksmc_kinds[];
extern const size_t ksmc_nkinds;

/* Finds a kind by resource name ("pods"); NULL if not compiled in. */
const ksmc_kind_desc *ksmc_kind_find(const char *resource);

#endif
