/* kinds: the static registry of resource types the simulator serves. Adding a kind is one
 * table row (plus, optionally, Table columns in table.c and a generator in synth.c). */
#ifndef APISIM_KINDS_H
#define APISIM_KINDS_H

#include <stdbool.h>
#include <stddef.h>

enum { TABLE_GENERIC, TABLE_POD, TABLE_NODE, TABLE_NAMESPACE, TABLE_DEPLOYMENT, TABLE_REPLICASET };

#define KIND_MAX_FIELDS 16
#define KINDS_MAX 48 /* capacity of per-kind arrays; NKINDS <= KINDS_MAX */

typedef struct {
  const char *group;    /* "" for core */
  const char *version;  /* "v1" */
  const char *resource; /* plural, e.g. "pods" */
  const char *singular;
  const char *kind;
  const char *list_kind;
  bool namespaced;
  const char *short_names; /* JSON array body, e.g. "\"po\"" */
  const char *categories;  /* JSON array body or "" */
  int table;
  /* Field selector labels this kind supports, with the JSON path each reads. */
  const char *fields[KIND_MAX_FIELDS];
  const char *paths[KIND_MAX_FIELDS];
} kind_def;

/* The kind registry: the built-in table plus the custom resources of --crd. Written only
 * by kinds_init() and kinds_add_crd() at start-up, before any thread exists; read-only
 * from then on. */
extern kind_def KINDS[KINDS_MAX];
extern size_t NKINDS;

/* Fills KINDS with the built-in kinds. */
void kinds_init(void);

/* Registers a custom resource from "GROUP/VERSION/PLURAL:KIND[:cluster]" (namespaced
 * unless ":cluster"), e.g. "cert-manager.io/v1/certificates:Certificate". It is then
 * served like any kind: discovery, LIST/WATCH, GET and writes (so kubectl apply works).
 * Returns false with a message in err for a malformed spec or a name already served. */
bool kinds_add_crd(const char *spec, char *err, size_t errlen);

/* Kind index by group/version/resource; -1 if unknown. */
int kind_find(const char *group, const char *version, const char *resource);
int kind_by_resource(const char *resource); /* plural, singular, short name or kind */
/* "apps/v1" or "v1" */
const char *kind_api_version(const kind_def *k, char *buf, size_t n);

#endif
