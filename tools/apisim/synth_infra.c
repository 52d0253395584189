/* synth_infra: the cluster-level objects no synthetic workload owns — StorageClasses,
 * IngressClasses, node and leader-election Leases, NetworkPolicies, the odd legacy
 * ReplicationController, Secrets (Helm release records, credentials, TLS), ResourceQuotas,
 * LimitRanges, Endpoints of selector-less Services, and the CSI VolumeAttachments of bound volumes.
 * Counts are those of a small real cluster (a handful per namespace, one Lease per node).
 * Everything draws from its own generator seeded from the cluster seed, so adding these objects
 * does not change any other synthetic object. */
#include "apisim.h"
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A MicroTime as the API server writes it: RFC 3339 with six fractional digits. */
static void micro_time(char out[40], time_t t, int usec) {
  char base[32];
  fmt_time(base, t); /* "YYYY-MM-DDTHH:MM:SSZ" */
  size_t n = strlen(base);
  if (n) base[n - 1] = 0;
  snprintf(out, 40, "%s.%06dZ", base, usec);
}

static void meta(jw *w, const char *name, const char *ns, const char *uid, const char *t) {
  jw_obj(w, "metadata");
  jw_s(w, "name", name);
  if (ns) jw_s(w, "namespace", ns);
  jw_s(w, "uid", uid);
  jw_s(w, "creationTimestamp", t);
}

/* ---- storage and ingress classes ---- */

static void gen_storageclasses(apisim *sim, rng *r, time_t born) {
  static const struct {
    const char *name, *provisioner, *reclaim, *binding, *params;
    bool dflt;
  } SC[] = {
      {"gp3", "ebs.csi.aws.com", "Delete", "WaitForFirstConsumer",
       "{\"type\":\"gp3\",\"encrypted\":\"true\",\"csi.storage.k8s.io/fstype\":\"ext4\"}", true},
      /* created by the installer long ago: no reclaimPolicy/volumeBindingMode written */
      {"gp2", "kubernetes.io/aws-ebs", NULL, NULL, "{\"type\":\"gp2\",\"fsType\":\"ext4\"}", false},
      {"efs-sc", "efs.csi.aws.com", "Retain", "Immediate",
       "{\"provisioningMode\":\"efs-ap\",\"fileSystemId\":\"fs-0a1b2c3d4e5f\","
       "\"directoryPerms\":\"700\"}",
       false},
  };
  for (size_t i = 0; i < sizeof SC / sizeof SC[0]; i++) {
    char t[32], uid[40];
    fmt_time(t, born + (time_t)i * 3600);
    synth_uid(r, uid);
    ksmc_buf b = {0};
    jw w;
    jw_init(&w, &b);
    jw_obj(&w, NULL);
    meta(&w, SC[i].name, NULL, uid, t);
    jw_obj(&w, "labels");
    jw_s(&w, "app.kubernetes.io/managed-by", i == 1 ? "EKS" : "Helm");
    jw_end(&w, '}');
    if (SC[i].dflt) {
      jw_obj(&w, "annotations");
      jw_s(&w, "storageclass.kubernetes.io/is-default-class", "true");
      jw_end(&w, '}');
    }
    jw_end(&w, '}');
    jw_s(&w, "provisioner", SC[i].provisioner);
    jw_raw(&w, "parameters", SC[i].params);
    if (SC[i].reclaim) jw_s(&w, "reclaimPolicy", SC[i].reclaim);
    if (SC[i].binding) jw_s(&w, "volumeBindingMode", SC[i].binding);
    jw_b(&w, "allowVolumeExpansion", i != 1);
    jw_end(&w, '}');
    synth_insert(sim, synth_kind("storageclasses"), &b, "helm", "helm", t, t);
    ksmc_buf_free(&b);
  }
}

static void gen_ingressclasses(apisim *sim, rng *r, time_t born) {
  static const char *IC[][2] = {{"nginx", "k8s.io/ingress-nginx"}, {"alb", "ingress.k8s.aws/alb"}};
  for (size_t i = 0; i < 2; i++) {
    char t[32], uid[40];
    fmt_time(t, born + 7200 + (time_t)i * 600);
    synth_uid(r, uid);
    ksmc_buf b = {0};
    jw w;
    jw_init(&w, &b);
    jw_obj(&w, NULL);
    meta(&w, IC[i][0], NULL, uid, t);
    jw_obj(&w, "labels");
    jw_s(&w, "app.kubernetes.io/name", i ? "aws-load-balancer-controller" : "ingress-nginx");
    jw_s(&w, "app.kubernetes.io/component", "controller");
    jw_end(&w, '}');
    if (i == 0) {
      jw_obj(&w, "annotations");
      jw_s(&w, "ingressclass.kubernetes.io/is-default-class", "true");
      jw_end(&w, '}');
    }
    jw_end(&w, '}');
    jw_obj(&w, "spec");
    jw_s(&w, "controller", IC[i][1]);
    jw_end(&w, '}');
    jw_end(&w, '}');
    synth_insert(sim, synth_kind("ingressclasses"), &b, "helm", "helm", t, t);
    ksmc_buf_free(&b);
  }
}

/* ---- leases: one per node in kube-node-lease, leader election in kube-system ---- */

static void gen_leases(apisim *sim, rng *r, const char *const *nodes, long nn, time_t now) {
  for (long i = 0; i < nn; i++) {
    char t[32], uid[40], nuid[40], renew[40];
    fmt_time(t, now - 86400 * 30 + rng_int(r, 86400));
    synth_uid(r, uid);
    synth_uid(r, nuid);
    micro_time(renew, now - rng_int(r, 10), rng_int(r, 1000000));
    ksmc_buf b = {0};
    jw w;
    jw_init(&w, &b);
    jw_obj(&w, NULL);
    meta(&w, nodes[i], "kube-node-lease", uid, t);
    synth_owner_ref(&w, "v1", "Node", nodes[i], nuid, false);
    jw_end(&w, '}');
    jw_obj(&w, "spec");
    jw_s(&w, "holderIdentity", nodes[i]);
    jw_i(&w, "leaseDurationSeconds", 40);
    jw_s(&w, "renewTime", renew);
    jw_end(&w, '}');
    jw_end(&w, '}');
    synth_insert(sim, synth_kind("leases"), &b, "kubelet", "kubelet", t, t);
    ksmc_buf_free(&b);
  }
  static const char *LEADERS[] = {"kube-controller-manager", "kube-scheduler",
                                  "cloud-controller-manager", "apiserver-4kyw5qzsm3xjdnbg"};
  for (size_t i = 0; i < sizeof LEADERS / sizeof LEADERS[0]; i++) {
    char t[32], uid[40], acquire[40], renew[40], holder[96], id[40];
    fmt_time(t, now - 86400 * 40);
    synth_uid(r, uid);
    synth_uid(r, id);
    micro_time(acquire, now - 86400 * (time_t)rng_range(r, 1, 9), rng_int(r, 1000000));
    micro_time(renew, now - rng_int(r, 2), rng_int(r, 1000000));
    bool apiserver = !strncmp(LEADERS[i], "apiserver-", 10);
    if (apiserver)
      snprintf(holder, sizeof holder, "%s_%s", LEADERS[i], id);
    else
      snprintf(holder, sizeof holder, "ip-10-0-%d-%d.eu-west-1.compute.internal_%s",
               rng_range(r, 0, 15), rng_range(r, 2, 250), id);
    ksmc_buf b = {0};
    jw w;
    jw_init(&w, &b);
    jw_obj(&w, NULL);
    meta(&w, LEADERS[i], "kube-system", uid, t);
    if (apiserver) {
      jw_obj(&w, "labels");
      jw_s(&w, "apiserver.kubernetes.io/identity", "kube-apiserver");
      jw_s(&w, "kubernetes.io/hostname", "ip-10-0-1-10.eu-west-1.compute.internal");
      jw_end(&w, '}');
    }
    jw_end(&w, '}');
    jw_obj(&w, "spec");
    jw_s(&w, "holderIdentity", holder);
    jw_i(&w, "leaseDurationSeconds", apiserver ? 3600 : 15);
    if (!apiserver) jw_s(&w, "acquireTime", acquire);
    jw_s(&w, "renewTime", renew);
    if (!apiserver) jw_i(&w, "leaseTransitions", rng_range(r, 0, 6));
    jw_end(&w, '}');
    jw_end(&w, '}');
    synth_insert(sim, synth_kind("leases"), &b, LEADERS[i], LEADERS[i], t, t);
    ksmc_buf_free(&b);
  }
}

/* ---- network policies: default deny plus an allow list in most app namespaces ---- */

static void gen_networkpolicy(apisim *sim, rng *r, const char *ns, const char *name, time_t born,
                              int kind) {
  char t[32], uid[40];
  fmt_time(t, born);
  synth_uid(r, uid);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  meta(&w, name, ns, uid, t);
  jw_i(&w, "generation", rng_range(r, 1, 4));
  jw_obj(&w, "labels");
  jw_s(&w, "app.kubernetes.io/part-of", ns);
  jw_s(&w, "policy-tier", kind == 0 ? "baseline" : "app");
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  if (kind == 0) {
    jw_raw(&w, "podSelector", "{}");
    jw_raw(&w, "policyTypes", "[\"Ingress\"]");
  } else if (kind == 1) {
    jw_raw(&w, "podSelector", "{}");
    jw_raw(&w, "ingress",
           "[{\"from\":[{\"podSelector\":{}}]},{\"from\":[{\"namespaceSelector\":{\"matchLabels\":"
           "{\"kubernetes.io/metadata.name\":\"monitoring\"}}}],\"ports\":[{\"protocol\":\"TCP\","
           "\"port\":\"metrics\"}]}]");
    jw_raw(&w, "policyTypes", "[\"Ingress\"]");
  } else {
    jw_raw(&w, "podSelector", "{}");
    jw_raw(&w, "egress",
           "[{\"to\":[{\"namespaceSelector\":{},\"podSelector\":{\"matchLabels\":{\"k8s-app\":"
           "\"kube-dns\"}}}],\"ports\":[{\"protocol\":\"UDP\",\"port\":53},{\"protocol\":\"TCP\","
           "\"port\":53}]},{\"to\":[{\"podSelector\":{}}]},{\"to\":[{\"ipBlock\":{\"cidr\":"
           "\"0.0.0.0/0\",\"except\":[\"169.254.169.254/32\"]}}],\"ports\":[{\"protocol\":\"TCP\","
           "\"port\":443}]}]");
    jw_raw(&w, "policyTypes", "[\"Egress\"]");
  }
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("networkpolicies"), &b, "kubectl-client-side-apply",
               "kubectl-client-side-apply", t, t);
  ksmc_buf_free(&b);
}

/* ---- a legacy ReplicationController (still found in old namespaces) ---- */

static void gen_replicationcontroller(apisim *sim, rng *r, const char *ns, time_t born) {
  static const char *NAMES[] = {"legacy-frontend", "redis-master", "memcached"};
  const char *name = NAMES[rng_int(r, 3)];
  char t[32], uid[40];
  fmt_time(t, born);
  synth_uid(r, uid);
  int want = rng_range(r, 1, 3), ready = rng_chance(r, 0.8) ? want : want - 1;
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  meta(&w, name, ns, uid, t);
  jw_i(&w, "generation", rng_range(r, 1, 5));
  jw_obj(&w, "labels");
  jw_s(&w, "app", name);
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_i(&w, "replicas", want);
  jw_obj(&w, "selector");
  jw_s(&w, "app", name);
  jw_end(&w, '}');
  char tmpl[400];
  snprintf(tmpl, sizeof tmpl,
           "{\"metadata\":{\"labels\":{\"app\":\"%s\"}},\"spec\":{\"containers\":[{\"name\":"
           "\"%s\",\"image\":\"registry.k8s.io/%s:1.0\",\"ports\":[{\"containerPort\":80}]}]}}",
           name, name, name);
  jw_raw(&w, "template", tmpl);
  jw_end(&w, '}');
  jw_obj(&w, "status");
  jw_i(&w, "replicas", want);
  jw_i(&w, "fullyLabeledReplicas", want);
  jw_i(&w, "readyReplicas", ready);
  jw_i(&w, "availableReplicas", ready);
  jw_i(&w, "observedGeneration", 1);
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("replicationcontrollers"), &b, "kubectl-create",
               "kube-controller-manager", t, t);
  ksmc_buf_free(&b);
}

/* ---- secrets: Helm release records, app credentials, a cert-manager TLS secret ---- */

static void gen_secret(apisim *sim, rng *r, const char *ns, const char *name, const char *type,
                       time_t born, const char *owner_kind) {
  char t[32], uid[40], ouid[40];
  fmt_time(t, born);
  synth_uid(r, uid);
  synth_uid(r, ouid);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  meta(&w, name, ns, uid, t);
  bool helm = !strcmp(type, "helm.sh/release.v1");
  if (helm) {
    jw_obj(&w, "labels");
    jw_s(&w, "name", ns);
    jw_s(&w, "owner", "helm");
    jw_s(&w, "status", "deployed");
    jw_fmt(&w, "version", "%d", rng_range(r, 1, 40));
    jw_end(&w, '}');
  }
  if (owner_kind) {
    jw_obj(&w, "annotations");
    jw_s(&w, "cert-manager.io/certificate-name", "edge-tls");
    jw_s(&w, "cert-manager.io/issuer-kind", "ClusterIssuer");
    jw_end(&w, '}');
    synth_owner_ref(&w, "cert-manager.io/v1", owner_kind, "edge-tls", ouid, true);
  }
  jw_end(&w, '}');
  jw_s(&w, "type", type);
  /* values are opaque base64 of the right size; ksmc never reads them */
  jw_obj(&w, "data");
  if (helm)
    jw_s(&w, "release", "SDRzSUFBQUFBQUFDLyt4OWEzUGJPTExvWDBIeC9tZG5ibDNKbGg4WlNqNGRqZT0=");
  else if (owner_kind) {
    jw_s(&w, "tls.crt", "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMuLi4KLS0tLS1FTkQ=");
    jw_s(&w, "tls.key", "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUUuLi4=");
  } else {
    jw_s(&w, "username", "YXBw");
    jw_s(&w, "password", "cGFzc3dvcmQtcm90YXRlZC0yMDI2");
  }
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("secrets"), &b, helm ? "helm" : "kubectl-client-side-apply",
               helm ? "helm" : "kubectl-client-side-apply", t, t);
  ksmc_buf_free(&b);
}

/* ---- a compute quota per application namespace ---- */

static void gen_resourcequota(apisim *sim, rng *r, const char *ns, time_t born) {
  char t[32], uid[40], hard[300], used[300];
  fmt_time(t, born);
  synth_uid(r, uid);
  int cpu = 8 * rng_range(r, 1, 8), pods = 25 * rng_range(r, 1, 8);
  snprintf(hard, sizeof hard,
           "{\"limits.cpu\":\"%d\",\"limits.memory\":\"%dGi\",\"pods\":\"%d\",\"requests.cpu\":"
           "\"%d\",\"requests.memory\":\"%dGi\"}",
           cpu * 2, cpu * 8, pods, cpu, cpu * 4);
  snprintf(used, sizeof used,
           "{\"limits.cpu\":\"%dm\",\"limits.memory\":\"%dMi\",\"pods\":\"%d\",\"requests.cpu\":"
           "\"%dm\",\"requests.memory\":\"%dMi\"}",
           rng_range(r, 100, cpu * 1500), rng_range(r, 128, cpu * 6000), rng_range(r, 0, pods),
           rng_range(r, 50, cpu * 900), rng_range(r, 64, cpu * 3000));
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  meta(&w, "compute-resources", ns, uid, t);
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_raw(&w, "hard", hard);
  jw_end(&w, '}');
  jw_obj(&w, "status");
  jw_raw(&w, "hard", hard);
  jw_raw(&w, "used", used);
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("resourcequotas"), &b, "kubectl-client-side-apply",
               "kube-controller-manager", t, t);
  ksmc_buf_free(&b);
}

/* ---- Endpoints of selector-less Services (hand-managed, as for external databases) and
 * the kube-system DNS Endpoints: one subset with ready and not-ready addresses, 1-2 ports ---- */

static void gen_endpoints(apisim *sim, rng *r, const char *ns, const char *name, time_t born,
                          bool dns) {
  char t[32], uid[40], ip[32];
  fmt_time(t, born);
  synth_uid(r, uid);
  int ready = rng_range(r, 1, 3), not_ready = rng_chance(r, 0.3) ? 1 : 0,
      net = rng_range(r, 1, 250);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  meta(&w, name, ns, uid, t);
  jw_obj(&w, "labels");
  jw_s(&w, dns ? "k8s-app" : "app", dns ? "kube-dns" : name);
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_arr(&w, "subsets");
  jw_obj(&w, NULL);
  jw_arr(&w, "addresses");
  for (int i = 0; i < ready; i++) {
    jw_obj(&w, NULL);
    snprintf(ip, sizeof ip, "10.%d.%d.%d", dns ? 244 : 32, net, 10 + i);
    jw_s(&w, "ip", ip);
    jw_end(&w, '}');
  }
  jw_end(&w, ']');
  if (not_ready) {
    jw_arr(&w, "notReadyAddresses");
    jw_obj(&w, NULL);
    snprintf(ip, sizeof ip, "10.%d.%d.%d", dns ? 244 : 32, net, 10 + ready);
    jw_s(&w, "ip", ip);
    jw_end(&w, '}');
    jw_end(&w, ']');
  }
  jw_arr(&w, "ports");
  jw_obj(&w, NULL);
  jw_s(&w, "name", dns ? "dns" : "postgres");
  jw_i(&w, "port", dns ? 53 : 5432);
  jw_s(&w, "protocol", dns ? "UDP" : "TCP");
  jw_end(&w, '}');
  if (dns) {
    jw_obj(&w, NULL);
    jw_s(&w, "name", "dns-tcp");
    jw_i(&w, "port", 53);
    jw_s(&w, "protocol", "TCP");
    jw_end(&w, '}');
  }
  jw_end(&w, ']');
  jw_end(&w, '}');
  jw_end(&w, ']');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("endpoints"), &b,
               dns ? "kube-controller-manager" : "kubectl-client-side-apply",
               dns ? "kube-controller-manager" : "kubectl-client-side-apply", t, t);
  ksmc_buf_free(&b);
}

/* ---- the default container limits of a namespace (a LimitRange as tenancy tooling writes it) ----
 */

static void gen_limitrange(apisim *sim, rng *r, const char *ns, time_t born) {
  char t[32], uid[40], lim[400];
  fmt_time(t, born);
  synth_uid(r, uid);
  int cpu = 100 * rng_range(r, 1, 5), mem = 128 * rng_range(r, 1, 8);
  snprintf(lim, sizeof lim,
           "[{\"type\":\"Container\",\"max\":{\"cpu\":\"%d\",\"memory\":\"%dGi\"},"
           "\"min\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"},\"default\":{\"cpu\":\"%dm\","
           "\"memory\":\"%dMi\"},\"defaultRequest\":{\"cpu\":\"%dm\",\"memory\":\"%dMi\"},"
           "\"maxLimitRequestRatio\":{\"cpu\":\"%d\"}}]",
           rng_range(r, 2, 8), rng_range(r, 4, 16), cpu * 2, mem * 2, cpu, mem,
           rng_range(r, 2, 10));
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  meta(&w, "default-limits", ns, uid, t);
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_raw(&w, "limits", lim);
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("limitranges"), &b, "kubectl-client-side-apply",
               "kubectl-client-side-apply", t, t);
  ksmc_buf_free(&b);
}

/* ---- an Ingress per web namespace: nginx with service backends and TLS, or an ALB with the
 * legacy class annotation, a resource backend and a default backend ---- */

static void gen_ingress(apisim *sim, rng *r, const char *ns, time_t born, bool alb) {
  char t[32], uid[40], host[160], rules[1200];
  fmt_time(t, born);
  synth_uid(r, uid);
  snprintf(host, sizeof host, "%s.example.com", ns);
  if (!alb)
    snprintf(rules, sizeof rules,
             "[{\"host\":\"shop.%s\",\"http\":{\"paths\":[{\"path\":\"/\",\"pathType\":"
             "\"Prefix\",\"backend\":{\"service\":{\"name\":\"web\",\"port\":{\"number\":80}}}},"
             "{\"path\":\"/api\",\"pathType\":\"Prefix\",\"backend\":{\"service\":{\"name\":"
             "\"api\",\"port\":{\"name\":\"http\"}}}}]}},{\"host\":\"admin.%s\",\"http\":{"
             "\"paths\":[{\"path\":\"/\",\"pathType\":\"Exact\",\"backend\":{\"service\":{"
             "\"name\":\"admin\",\"port\":{\"number\":%d}}}}]}}]",
             host, host, 8000 + rng_int(r, 1000));
  else
    snprintf(rules, sizeof rules,
             "[{\"host\":\"static.%s\",\"http\":{\"paths\":[{\"path\":\"/assets\",\"pathType\":"
             "\"ImplementationSpecific\",\"backend\":{\"resource\":{\"apiGroup\":"
             "\"k8s.example.com\",\"kind\":\"StorageBucket\",\"name\":\"assets\"}}},{\"path\":"
             "\"/\",\"pathType\":\"Prefix\",\"backend\":{\"service\":{\"name\":\"web\",\"port\":"
             "{\"number\":8080}}}}]}}]",
             host);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  meta(&w, alb ? "public" : "web", ns, uid, t);
  jw_i(&w, "generation", rng_range(r, 1, 6));
  jw_obj(&w, "labels");
  jw_s(&w, "app.kubernetes.io/part-of", ns);
  jw_end(&w, '}');
  if (alb) {
    jw_obj(&w, "annotations");
    jw_s(&w, "kubernetes.io/ingress.class", "alb");
    jw_s(&w, "alb.ingress.kubernetes.io/scheme", "internet-facing");
    jw_end(&w, '}');
  }
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  if (!alb) {
    jw_s(&w, "ingressClassName", "nginx");
    jw_arr(&w, "tls");
    jw_obj(&w, NULL);
    jw_arr(&w, "hosts");
    jw_fmt(&w, NULL, "shop.%s", host);
    jw_fmt(&w, NULL, "admin.%s", host);
    jw_end(&w, ']');
    jw_fmt(&w, "secretName", "%s-tls", ns);
    jw_end(&w, '}');
    jw_end(&w, ']');
  } else {
    jw_raw(&w, "defaultBackend", "{\"service\":{\"name\":\"fallback\",\"port\":{\"number\":80}}}");
  }
  jw_raw(&w, "rules", rules);
  jw_end(&w, '}');
  jw_obj(&w, "status");
  jw_raw(&w, "loadBalancer", "{\"ingress\":[{\"ip\":\"203.0.113.10\"}]}");
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("ingresses"), &b, alb ? "aws-load-balancer-controller" : "helm",
               "ingress-nginx-controller", t, t);
  ksmc_buf_free(&b);
}

void synth_volumeattachment(apisim *sim, const char *pv, const char *node, time_t created) {
  rng r = {synth_fnv(SYNTH_FNV_BASIS, pv)};
  char t[32], uid[40], name[80], dev[40];
  fmt_time(t, created + rng_range(&r, 5, 120));
  synth_uid(&r, uid);
  snprintf(name, sizeof name, "csi-%016llx%016llx%016llx%016llx", (unsigned long long)rng_next(&r),
           (unsigned long long)rng_next(&r), (unsigned long long)rng_next(&r),
           (unsigned long long)rng_next(&r));
  snprintf(dev, sizeof dev, "/dev/xvda%c", 'a' + rng_int(&r, 26));
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  meta(&w, name, NULL, uid, t);
  jw_obj(&w, "annotations");
  jw_s(&w, "csi.alpha.kubernetes.io/node-id", "i-0123456789abcdef0");
  jw_end(&w, '}');
  jw_raw(&w, "finalizers", "[\"external-attacher/ebs-csi-aws-com\"]");
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_s(&w, "attacher", "ebs.csi.aws.com");
  jw_s(&w, "nodeName", node);
  jw_obj(&w, "source");
  jw_s(&w, "persistentVolumeName", pv);
  jw_end(&w, '}');
  jw_end(&w, '}');
  bool attached = !rng_chance(&r, 0.03);
  jw_obj(&w, "status");
  jw_b(&w, "attached", attached);
  if (attached) {
    jw_obj(&w, "attachmentMetadata");
    jw_s(&w, "devicePath", dev);
    jw_end(&w, '}');
  }
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("volumeattachments"), &b, "csi-attacher", "csi-attacher", t, t);
  ksmc_buf_free(&b);
}

void synth_infra(apisim *sim, const char *const *nodes, long nn, const char *const *namespaces,
                 long nns) {
  rng r = {sim->cfg.seed * 0x9E3779B97F4A7C15ull + 0x1f2a3b4c5d6e7f80ull};
  time_t born = (time_t)sim->cfg.epoch - 86400 * 40;
  gen_storageclasses(sim, &r, born);
  gen_ingressclasses(sim, &r, born);
  gen_leases(sim, &r, nodes, nn, (time_t)sim->cfg.epoch);
  gen_networkpolicy(sim, &r, "kube-system", "allow-dns-egress", born + 86400, 2);
  gen_secret(sim, &r, "kube-system", "bootstrap-token-q3v9xk", "bootstrap.kubernetes.io/token",
             born, NULL);
  for (long i = 0; i < nns; i++) {
    time_t t = born + 86400 * 5 + rng_int(&r, 86400 * 10);
    if (rng_chance(&r, 0.8))
      gen_networkpolicy(sim, &r, namespaces[i], "default-deny-ingress", t, 0);
    if (rng_chance(&r, 0.6))
      gen_networkpolicy(sim, &r, namespaces[i], "allow-same-namespace", t + 60, 1);
    if (rng_chance(&r, 0.3))
      gen_networkpolicy(sim, &r, namespaces[i], "restrict-egress", t + 120, 2);
    if (i % 8 == 3 || (nns < 4 && i == 0)) gen_replicationcontroller(sim, &r, namespaces[i], t);
    if (rng_chance(&r, 0.7)) gen_resourcequota(sim, &r, namespaces[i], t);
    char name[96];
    snprintf(name, sizeof name, "sh.helm.release.v1.%s.v%d", namespaces[i], rng_range(&r, 1, 9));
    gen_secret(sim, &r, namespaces[i], name, "helm.sh/release.v1", t, NULL);
    if (rng_chance(&r, 0.7))
      gen_secret(sim, &r, namespaces[i], "db-credentials", "Opaque", t + 30, NULL);
    if (rng_chance(&r, 0.3))
      gen_secret(sim, &r, namespaces[i], "edge-tls", "kubernetes.io/tls", t + 90, "Certificate");
  }
  /* Drawn after every other object so that adding them changed none of those. */
  gen_endpoints(sim, &r, "kube-system", "kube-dns", born, true);
  for (long i = 0; i < nns; i++)
    if (i % 4 == 1 || (nns < 2 && i == 0))
      gen_endpoints(sim, &r, namespaces[i], "external-db", born + 86400 * 7 + rng_int(&r, 86400),
                    false);
  for (long i = 0; i < nns; i++)
    if (i % 3 == 0) gen_limitrange(sim, &r, namespaces[i], born + 86400 * 6 + rng_int(&r, 86400));
  for (long i = 0; i < nns; i++)
    if (i % 2 == 0 || nns < 2)
      gen_ingress(sim, &r, namespaces[i], born + 86400 * 8 + rng_int(&r, 86400), i % 4 == 2);
}
