#include "kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define META_FIELDS "metadata.name", "metadata.namespace"

static const kind_def BUILTIN[] = {
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
    /* held (empty unless created, or generated as workload owners) */
    {"apps",
     "v1",
     "statefulsets",
     "statefulset",
     "StatefulSet",
     "StatefulSetList",
     true,
     "\"sts\"",
     "\"all\"",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"apps",
     "v1",
     "daemonsets",
     "daemonset",
     "DaemonSet",
     "DaemonSetList",
     true,
     "\"ds\"",
     "\"all\"",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"batch",
     "v1",
     "jobs",
     "job",
     "Job",
     "JobList",
     true,
     "",
     "\"all\"",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"batch",
     "v1",
     "cronjobs",
     "cronjob",
     "CronJob",
     "CronJobList",
     true,
     "\"cj\"",
     "\"all\"",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"",
     "v1",
     "services",
     "service",
     "Service",
     "ServiceList",
     true,
     "\"svc\"",
     "\"all\"",
     TABLE_GENERIC,
     {META_FIELDS, "spec.clusterIP", "spec.type"},
     {META_FIELDS, "spec.clusterIP", "spec.type"}},
    {"",
     "v1",
     "configmaps",
     "configmap",
     "ConfigMap",
     "ConfigMapList",
     true,
     "\"cm\"",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"",
     "v1",
     "secrets",
     "secret",
     "Secret",
     "SecretList",
     true,
     "",
     "",
     TABLE_GENERIC,
     {META_FIELDS, "type"},
     {META_FIELDS, "type"}},
    {"",
     "v1",
     "persistentvolumeclaims",
     "persistentvolumeclaim",
     "PersistentVolumeClaim",
     "PersistentVolumeClaimList",
     true,
     "\"pvc\"",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"",
     "v1",
     "persistentvolumes",
     "persistentvolume",
     "PersistentVolume",
     "PersistentVolumeList",
     false,
     "\"pv\"",
     "",
     TABLE_GENERIC,
     {"metadata.name"},
     {"metadata.name"}},
    {"discovery.k8s.io",
     "v1",
     "endpointslices",
     "endpointslice",
     "EndpointSlice",
     "EndpointSliceList",
     true,
     "",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    /* kinds KSM exports by default (and endpoints, ingressclasses); filled by synth.c */
    {"",
     "v1",
     "replicationcontrollers",
     "replicationcontroller",
     "ReplicationController",
     "ReplicationControllerList",
     true,
     "\"rc\"",
     "\"all\"",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"",
     "v1",
     "resourcequotas",
     "resourcequota",
     "ResourceQuota",
     "ResourceQuotaList",
     true,
     "\"quota\"",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"",
     "v1",
     "limitranges",
     "limitrange",
     "LimitRange",
     "LimitRangeList",
     true,
     "\"limits\"",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"",
     "v1",
     "endpoints",
     "endpoints",
     "Endpoints",
     "EndpointsList",
     true,
     "\"ep\"",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"coordination.k8s.io",
     "v1",
     "leases",
     "lease",
     "Lease",
     "LeaseList",
     true,
     "",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"storage.k8s.io",
     "v1",
     "storageclasses",
     "storageclass",
     "StorageClass",
     "StorageClassList",
     false,
     "\"sc\"",
     "",
     TABLE_GENERIC,
     {"metadata.name"},
     {"metadata.name"}},
    {"storage.k8s.io",
     "v1",
     "volumeattachments",
     "volumeattachment",
     "VolumeAttachment",
     "VolumeAttachmentList",
     false,
     "",
     "",
     TABLE_GENERIC,
     {"metadata.name"},
     {"metadata.name"}},
    {"networking.k8s.io",
     "v1",
     "ingressclasses",
     "ingressclass",
     "IngressClass",
     "IngressClassList",
     false,
     "",
     "",
     TABLE_GENERIC,
     {"metadata.name"},
     {"metadata.name"}},
    {"networking.k8s.io",
     "v1",
     "networkpolicies",
     "networkpolicy",
     "NetworkPolicy",
     "NetworkPolicyList",
     true,
     "\"netpol\"",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"networking.k8s.io",
     "v1",
     "ingresses",
     "ingress",
     "Ingress",
     "IngressList",
     true,
     "\"ing\"",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"autoscaling",
     "v2",
     "horizontalpodautoscalers",
     "horizontalpodautoscaler",
     "HorizontalPodAutoscaler",
     "HorizontalPodAutoscalerList",
     true,
     "\"hpa\"",
     "\"all\"",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"policy",
     "v1",
     "poddisruptionbudgets",
     "poddisruptionbudget",
     "PodDisruptionBudget",
     "PodDisruptionBudgetList",
     true,
     "\"pdb\"",
     "",
     TABLE_GENERIC,
     {META_FIELDS},
     {META_FIELDS}},
    {"certificates.k8s.io",
     "v1",
     "certificatesigningrequests",
     "certificatesigningrequest",
     "CertificateSigningRequest",
     "CertificateSigningRequestList",
     false,
     "\"csr\"",
     "",
     TABLE_GENERIC,
     {"metadata.name"},
     {"metadata.name"}},
    {"admissionregistration.k8s.io",
     "v1",
     "mutatingwebhookconfigurations",
     "mutatingwebhookconfiguration",
     "MutatingWebhookConfiguration",
     "MutatingWebhookConfigurationList",
     false,
     "",
     "\"api-extensions\"",
     TABLE_GENERIC,
     {"metadata.name"},
     {"metadata.name"}},
    {"admissionregistration.k8s.io",
     "v1",
     "validatingwebhookconfigurations",
     "validatingwebhookconfiguration",
     "ValidatingWebhookConfiguration",
     "ValidatingWebhookConfigurationList",
     false,
     "",
     "\"api-extensions\"",
     TABLE_GENERIC,
     {"metadata.name"},
     {"metadata.name"}},
};

kind_def KINDS[KINDS_MAX];
size_t NKINDS;

void kinds_init(void) {
  NKINDS = sizeof BUILTIN / sizeof BUILTIN[0];
  if (NKINDS > KINDS_MAX) abort(); /* kinds.c grew past KINDS_MAX */
  memcpy(KINDS, BUILTIN, sizeof BUILTIN);
}

/* A DNS-1123-ish name: lower-case letters, digits, '-' and '.', not empty. */
static bool dns_name(const char *s, bool dots) {
  if (!*s) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || (dots && *s == '.')))
      return false;
  return true;
}

static char *xstrdup(const char *s) {
  char *d = strdup(s);
  if (!d) abort();
  return d;
}

bool kinds_add_crd(const char *spec, char *err, size_t errlen) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", spec);
  /* GROUP/VERSION/PLURAL:KIND[:cluster] */
  char *colon = strchr(buf, ':');
  if (colon) *colon = '\0';
  char *group = buf, *version = NULL, *plural = NULL;
  char *sl = strchr(group, '/');
  if (sl) *sl = '\0', version = sl + 1, sl = strchr(version, '/');
  if (sl) *sl = '\0', plural = sl + 1;
  char *kind = colon ? colon + 1 : NULL, *scope = kind ? strchr(kind, ':') : NULL;
  if (scope) *scope++ = '\0';
  if (!version || !plural || !kind || !*kind || !dns_name(group, true) || !strchr(group, '.') ||
      !dns_name(version, false) || !dns_name(plural, false) || strchr(plural, '/') ||
      (scope && strcmp(scope, "cluster") && strcmp(scope, "namespaced"))) {
    snprintf(err, errlen,
             "bad --crd '%s': want GROUP/VERSION/PLURAL:KIND[:cluster], e.g. "
             "cert-manager.io/v1/certificates:Certificate (the group needs a dot)",
             spec);
    return false;
  }
  if (kind_find(group, version, plural) >= 0 || kind_by_resource(plural) >= 0) {
    snprintf(err, errlen, "--crd '%s': resource %s is already served", spec, plural);
    return false;
  }
  if (NKINDS == KINDS_MAX) {
    snprintf(err, errlen, "--crd '%s': at most %d kinds", spec, KINDS_MAX);
    return false;
  }
  char singular[128], list_kind[160];
  size_t i = 0;
  for (; kind[i] && i + 1 < sizeof singular; i++)
    singular[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z' ? kind[i] - 'A' + 'a' : kind[i]);
  singular[i] = '\0';
  snprintf(list_kind, sizeof list_kind, "%sList", kind);
  KINDS[NKINDS++] = (kind_def){.group = xstrdup(group),
                               .version = xstrdup(version),
                               .resource = xstrdup(plural),
                               .singular = xstrdup(singular),
                               .kind = xstrdup(kind),
                               .list_kind = xstrdup(list_kind),
                               .namespaced = !scope || !strcmp(scope, "namespaced"),
                               .short_names = "",
                               .categories = "",
                               .table = TABLE_GENERIC,
                               .fields = {"metadata.name", "metadata.namespace"},
                               .paths = {"metadata.name", "metadata.namespace"}};
  return true;
}

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
