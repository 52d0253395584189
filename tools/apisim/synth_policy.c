/* synth_policy: PodDisruptionBudgets of replicated workloads, the kubelets' recent
 * CertificateSigningRequests and the admission webhook configurations of common add-ons
 * (cert-manager, the AWS load balancer controller, EKS pod identity, Gatekeeper). Every
 * object draws from its own generator (seeded from its name or the cluster seed), so adding
 * them changed no other synthetic object. */
#include "apisim.h"
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Standard base64 with padding of n bytes (what JSON carries for a []byte field). */
static void base64(ksmc_buf *out, const unsigned char *p, size_t n) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    char q[4] = {A[v >> 18], A[(v >> 12) & 63], i + 1 < n ? A[(v >> 6) & 63] : '=',
                 i + 2 < n ? A[v & 63] : '='};
    ksmc_buf_put(out, q, 4);
  }
}

/* A PEM block of `der` random bytes, base64-encoded once more as the API carries it. */
static void pem_field(jw *w, rng *r, const char *key, const char *type, size_t der) {
  ksmc_buf raw = {0}, pem = {0}, out = {0};
  for (size_t i = 0; i < der; i++) {
    unsigned char c = (unsigned char)rng_next(r);
    ksmc_buf_put(&raw, (const char *)&c, 1);
  }
  char line[64];
  int n = snprintf(line, sizeof line, "-----BEGIN %s-----\n", type);
  ksmc_buf_put(&pem, line, (size_t)n);
  ksmc_buf body = {0};
  base64(&body, (const unsigned char *)raw.p, raw.n);
  for (size_t i = 0; i < body.n; i += 64) {
    ksmc_buf_put(&pem, body.p + i, body.n - i < 64 ? body.n - i : 64);
    ksmc_buf_put(&pem, "\n", 1);
  }
  n = snprintf(line, sizeof line, "-----END %s-----\n", type);
  ksmc_buf_put(&pem, line, (size_t)n);
  base64(&out, (const unsigned char *)pem.p, pem.n);
  ksmc_buf_putc(&out, 0); /* NUL for jw_s */
  jw_s(w, key, out.p);
  ksmc_buf_free(&raw);
  ksmc_buf_free(&pem);
  ksmc_buf_free(&body);
  ksmc_buf_free(&out);
}

/* ---- PodDisruptionBudgets ---- */

void synth_pdb(apisim *sim, const char *ns, const char *app, int replicas, time_t created) {
  rng r = synth_rng_of(ns, app, sim->cfg.seed);
  char t[32], uid[40], name[128];
  fmt_time(t, created + rng_range(&r, 1, 30));
  synth_uid(&r, uid);
  snprintf(name, sizeof name, "%s", app);
  int gen = rng_range(&r, 1, 3);
  /* minAvailable N-1, maxUnavailable 1, or maxUnavailable "25%" (rounded up, like the
   * disruption controller) */
  int style = rng_int(&r, 3), desired;
  if (style == 0)
    desired = replicas - 1;
  else if (style == 1)
    desired = replicas - 1;
  else
    desired = replicas - (replicas * 25 + 99) / 100;
  int healthy = rng_chance(&r, 0.1) ? replicas - 1 : replicas;
  int allowed = healthy - desired > 0 ? healthy - desired : 0;
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", name);
  jw_s(&w, "namespace", ns);
  jw_s(&w, "uid", uid);
  jw_i(&w, "generation", gen);
  jw_s(&w, "creationTimestamp", t);
  jw_obj(&w, "labels");
  jw_s(&w, "app.kubernetes.io/name", app);
  jw_s(&w, "app.kubernetes.io/managed-by", "Helm");
  jw_end(&w, '}');
  jw_obj(&w, "annotations");
  jw_s(&w, "meta.helm.sh/release-name", app);
  jw_s(&w, "meta.helm.sh/release-namespace", ns);
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  if (style == 0)
    jw_i(&w, "minAvailable", replicas - 1);
  else if (style == 1)
    jw_i(&w, "maxUnavailable", 1);
  else
    jw_s(&w, "maxUnavailable", "25%");
  jw_obj(&w, "selector");
  jw_obj(&w, "matchLabels");
  jw_s(&w, "app.kubernetes.io/name", app);
  jw_end(&w, '}');
  jw_end(&w, '}');
  if (rng_chance(&r, 0.3)) jw_s(&w, "unhealthyPodEvictionPolicy", "AlwaysAllow");
  jw_end(&w, '}');
  jw_obj(&w, "status");
  jw_i(&w, "observedGeneration", gen);
  jw_i(&w, "disruptionsAllowed", allowed);
  jw_i(&w, "currentHealthy", healthy);
  jw_i(&w, "desiredHealthy", desired);
  jw_i(&w, "expectedPods", replicas);
  jw_arr(&w, "conditions");
  jw_obj(&w, NULL);
  jw_s(&w, "type", "DisruptionAllowed");
  jw_s(&w, "status", allowed ? "True" : "False");
  jw_i(&w, "observedGeneration", gen);
  jw_s(&w, "lastTransitionTime", t);
  jw_s(&w, "reason", allowed ? "SufficientPods" : "InsufficientPods");
  jw_s(&w, "message", "");
  jw_end(&w, '}');
  jw_end(&w, ']');
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("poddisruptionbudgets"), &b, "helm", "kube-controller-manager", t,
               t);
  ksmc_buf_free(&b);
}

/* ---- CertificateSigningRequests ---- */

typedef enum { CSR_ISSUED, CSR_PENDING, CSR_DENIED } csr_state;

static void gen_csr(apisim *sim, const char *node, bool serving, csr_state st, time_t t0) {
  rng r = synth_rng_of(node, serving ? "serving" : "client", sim->cfg.seed);
  char t[32], t1[32], uid[40], name[40], user[160];
  fmt_time(t, t0);
  fmt_time(t1, t0 + rng_range(&r, 1, 5));
  synth_uid(&r, uid);
  static const char AL[] = "bcdfghjklmnpqrstvwxz2456789"; /* generateName's alphabet */
  memcpy(name, "csr-", 4);
  for (int i = 0; i < 5; i++) name[4 + i] = AL[rng_int(&r, (int)sizeof AL - 1)];
  name[9] = 0;
  snprintf(user, sizeof user, serving ? "system:node:%s" : "system:bootstrap:%.6s", node);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", name);
  jw_s(&w, "generateName", "csr-");
  jw_s(&w, "uid", uid);
  jw_s(&w, "creationTimestamp", t);
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  pem_field(&w, &r, "request", "CERTIFICATE REQUEST", serving ? 420 : 300);
  jw_s(&w, "signerName",
       serving ? "kubernetes.io/kubelet-serving" : "kubernetes.io/kube-apiserver-client-kubelet");
  jw_raw(&w, "usages",
         serving ? "[\"digital signature\",\"server auth\"]"
                 : "[\"digital signature\",\"client auth\"]");
  jw_s(&w, "username", user);
  jw_raw(&w, "groups",
         serving ? "[\"system:nodes\",\"system:authenticated\"]"
                 : "[\"system:bootstrappers\",\"system:bootstrappers:kubeadm:default-node-token\","
                   "\"system:authenticated\"]");
  jw_end(&w, '}');
  jw_obj(&w, "status");
  if (st != CSR_PENDING) {
    jw_arr(&w, "conditions");
    jw_obj(&w, NULL);
    jw_s(&w, "type", st == CSR_DENIED ? "Denied" : "Approved");
    jw_s(&w, "status", "True");
    jw_s(&w, "reason", st == CSR_DENIED ? "SignerValidationFailure" : "AutoApproved");
    jw_s(&w, "message",
         st == CSR_DENIED
             ? "node name does not match the requesting node"
             : "Auto approving kubelet serving certificate after SubjectAccessReview.");
    jw_s(&w, "lastUpdateTime", t1);
    jw_s(&w, "lastTransitionTime", t1);
    jw_end(&w, '}');
    jw_end(&w, ']');
  }
  if (st == CSR_ISSUED)
    pem_field(&w, &r, "certificate", "CERTIFICATE", (size_t)rng_range(&r, 700, 900));
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("certificatesigningrequests"), &b, "kubelet",
               "kube-controller-manager", t, t1);
  ksmc_buf_free(&b);
}

/* ---- admission webhook configurations ---- */

typedef struct {
  const char *name, *svc_ns, *svc_name, *path, *url; /* url: no service */
} hook;

static void gen_webhook_config(apisim *sim, bool mutating, const char *name, const hook *hooks,
                               int n, time_t born) {
  rng r = synth_rng_of(name, mutating ? "mutating" : "validating", sim->cfg.seed);
  char t[32], uid[40];
  fmt_time(t, born + rng_int(&r, 86400 * 3));
  synth_uid(&r, uid);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", name);
  jw_s(&w, "uid", uid);
  jw_i(&w, "generation", rng_range(&r, 1, 4));
  jw_s(&w, "creationTimestamp", t);
  jw_obj(&w, "labels");
  jw_s(&w, "app.kubernetes.io/managed-by", "Helm");
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_arr(&w, "webhooks");
  for (int i = 0; i < n; i++) {
    jw_obj(&w, NULL);
    jw_s(&w, "name", hooks[i].name);
    jw_obj(&w, "clientConfig");
    if (hooks[i].url) {
      jw_s(&w, "url", hooks[i].url);
    } else {
      jw_obj(&w, "service");
      jw_s(&w, "namespace", hooks[i].svc_ns);
      jw_s(&w, "name", hooks[i].svc_name);
      jw_s(&w, "path", hooks[i].path);
      jw_i(&w, "port", 443);
      jw_end(&w, '}');
    }
    pem_field(&w, &r, "caBundle", "CERTIFICATE", 500);
    jw_end(&w, '}');
    jw_raw(&w, "rules",
           "[{\"operations\":[\"CREATE\",\"UPDATE\"],\"apiGroups\":[\"*\"],"
           "\"apiVersions\":[\"*\"],\"resources\":[\"*\"],\"scope\":\"*\"}]");
    jw_s(&w, "failurePolicy", i % 2 ? "Ignore" : "Fail");
    jw_s(&w, "matchPolicy", "Equivalent");
    jw_raw(&w, "namespaceSelector",
           "{\"matchExpressions\":[{\"key\":\"kubernetes.io/metadata.name\","
           "\"operator\":\"NotIn\",\"values\":[\"kube-system\"]}]}");
    jw_raw(&w, "objectSelector", "{}");
    jw_s(&w, "sideEffects", "None");
    jw_i(&w, "timeoutSeconds", 10);
    jw_raw(&w, "admissionReviewVersions", "[\"v1\"]");
    if (mutating) jw_s(&w, "reinvocationPolicy", "Never");
    jw_end(&w, '}');
  }
  jw_end(&w, ']');
  jw_end(&w, '}');
  synth_insert(
      sim,
      synth_kind(mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations"),
      &b, "helm", "helm", t, t);
  ksmc_buf_free(&b);
}

void synth_admission(apisim *sim, const char *const *nodes, long nn) {
  time_t born = (time_t)sim->cfg.epoch - 86400 * 38;
  static const hook CM[] = {
      {"webhook.cert-manager.io", "cert-manager", "cert-manager-webhook", "/mutate", NULL}};
  static const hook CV[] = {
      {"webhook.cert-manager.io", "cert-manager", "cert-manager-webhook", "/validate", NULL}};
  static const hook LBM[] = {{"mpod.elbv2.k8s.aws", "kube-system",
                              "aws-load-balancer-webhook-service", "/mutate-v1-pod", NULL},
                             {"mservice.elbv2.k8s.aws", "kube-system",
                              "aws-load-balancer-webhook-service", "/mutate-v1-service", NULL},
                             {"mtargetgroupbinding.elbv2.k8s.aws", "kube-system",
                              "aws-load-balancer-webhook-service",
                              "/mutate-elbv2-k8s-aws-v1beta1-targetgroupbinding", NULL}};
  static const hook LBV[] = {
      {"vingress.elbv2.k8s.aws", "kube-system", "aws-load-balancer-webhook-service",
       "/validate-networking-v1-ingress", NULL},
      {"vtargetgroupbinding.elbv2.k8s.aws", "kube-system", "aws-load-balancer-webhook-service",
       "/validate-elbv2-k8s-aws-v1beta1-targetgroupbinding", NULL}};
  static const hook PI[] = {
      {"iam-for-pods.amazonaws.com", NULL, NULL, NULL, "https://127.0.0.1:23443/mutate"}};
  static const hook GK[] = {{"validation.gatekeeper.sh", "gatekeeper-system",
                             "gatekeeper-webhook-service", "/v1/admit", NULL},
                            {"check-ignore-label.gatekeeper.sh", "gatekeeper-system",
                             "gatekeeper-webhook-service", "/v1/admitlabel", NULL}};
  gen_webhook_config(sim, true, "cert-manager-webhook", CM, 1, born);
  gen_webhook_config(sim, true, "aws-load-balancer-webhook", LBM, 3, born);
  gen_webhook_config(sim, true, "pod-identity-webhook", PI, 1, born);
  gen_webhook_config(sim, false, "cert-manager-webhook", CV, 1, born);
  gen_webhook_config(sim, false, "aws-load-balancer-webhook", LBV, 2, born);
  gen_webhook_config(sim, false, "gatekeeper-validating-webhook-configuration", GK, 2, born);
  /* Approved CSRs are garbage-collected after an hour: only the kubelets that rotated their
   * serving certificate recently have one, plus a node still bootstrapping and a denied one. */
  time_t now = (time_t)sim->cfg.epoch;
  for (long i = 0; i < nn; i++)
    if (i % 4 == 2) gen_csr(sim, nodes[i], true, CSR_ISSUED, now - 60 - (time_t)(i % 50) * 60);
  if (nn > 0) gen_csr(sim, nodes[nn - 1], false, CSR_PENDING, now - 30);
  if (nn > 1) gen_csr(sim, nodes[0], true, CSR_DENIED, now - 1800);
}
