#include "kinds.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define META_FIELDS "metadata.name", "metadata.namespace"

const kind_def KINDS[] = {
    {"",
     "v1",
     "pods",
     "pod",
     "Pod",
     "PodList",
     true,
     "\"po\"",
     "\"all\"",
     TABLE_POD,
     {META_FIELDS, "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
      "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
      "status.nominatedNodeName", "spec.host"},
     {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
      "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
      "status.podIP", "status.nominatedNodeName", "spec.nodeName"}},
    {"",
     "v1",
     "nodes",
     "node",
     "Node",
     "NodeList",
     false,
     "\"no\"",
     "",
     TABLE_NODE,
     {"metadata.name", "spec.unschedulable"},
     {"metadata.name", "spec.unschedulable"}},
    {"",
     "v1",
     "namespaces",
     "namespace",
     "Namespace",
     "NamespaceList",
     false,
     "\"ns\"",
     "",
     TABLE_NAMESPACE,
     {"metadata.name", "status.phase"},
     {"metadata.name", "status.phase"}},
    {"",
     "v1",
     "events",
     "event",
     "Event",
     "EventList",
     true,
     "\"ev\"",
     "",
     TABLE_GENERIC,
     {META_FIELDS, "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
      "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
      "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
     {META_FIELDS, "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
      "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
      "involvedObject.fieldPath", "reason", "reportingComponent", "source.component", "type"}},
    {"apps",
     "v1",
     "deployments",
     "deployment",
     "Deployment",
     "DeploymentList",
     true,
     "\"deploy\"",
     "\"all\"",
     TABLE_DEPLOYMENT,
     {META_FIELDS},
     {META_FIELDS}},
    {"apps",
     "v1",
     "replicasets",
     "replicaset",
     "ReplicaSet",
     "ReplicaSetList",
     true,
     "\"rs\"",
     "\"all\"",
     TABLE_REPLICASET,
     {META_FIELDS},
     {META_FIELDS}},
};
const size_t NKINDS = sizeof KINDS / sizeof KINDS[0];

int kind_find(const char *group, const char *version, const char *resource) {
  for (size_t i = 0; i < NKINDS; i++)
    if (!strcmp(KINDS[i].group, group) && !strcmp(KINDS[i].version, version) &&
        !strcmp(KINDS[i].resource, resource))
      return (int)i;
  return -1;
}

int kind_by_resource(const char *r) {
  for (size_t i = 0; i < NKINDS; i++) {
    const kind_def *k = &KINDS[i];
    char sn[32];
    snprintf(sn, sizeof sn, "\"%s\"", r);
    if (!strcmp(k->resource, r) || !strcmp(k->singular, r) || !strcasecmp(k->kind, r) ||
        (k->short_names && strstr(k->short_names, sn)))
      return (int)i;
  }
  return -1;
}

const char *kind_api_version(const kind_def *k, char *buf, size_t n) {
  if (!k->group[0])
    snprintf(buf, n, "%s", k->version);
  else
    snprintf(buf, n, "%s/%s", k->group, k->version);
  return buf;
}
