/* synth: deterministic synthetic clusters (namespaces, nodes, deployments, replicasets,
 * pods) that look like a real cluster's objects, including the managedFields a real API
 * server writes. Same flags + seed => same objects (timestamps are relative to a fixed
 * epoch so output is byte-identical across runs). */
#include "synth.h"
#include "apisim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *NS_WORDS[] = {"payments",   "checkout", "search",          "catalog",
                                 "identity",   "ledger",   "notifications",   "analytics",
                                 "ml-serving", "frontend", "gateway",         "inventory",
                                 "billing",    "shipping", "recommendations", "media",
                                 "monitoring", "logging",  "data-pipeline",   "auth"};
static const char *APP_WORDS[] = {"api",     "worker",  "web",     "consumer", "scheduler", "cache",
                                  "indexer", "gateway", "sync",    "exporter", "proxy",     "db",
                                  "queue",   "render",  "backend", "ingest",   "reporter",  "cron"};
static const char *IMAGES[] = {"docker.io/library/nginx:1.27.2",
                               "docker.io/library/redis:7.4.1",
                               "ghcr.io/acme/%s:2.14.3",
                               "123456789012.dkr.ecr.eu-west-1.amazonaws.com/%s:v1.8.0",
                               "quay.io/acme/%s:sha-4f9c2e1",
                               "docker.io/bitnami/postgresql:16.4.0",
                               "gcr.io/acme-prod/%s:release-2025-11-02"};
static const char *SIDECARS[] = {"docker.io/envoyproxy/envoy:v1.31.2",
                                 "docker.io/fluent/fluent-bit:3.1.9",
                                 "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1"};

typedef struct {
  const char *type; /* instance type */
  int cpu;
  long long mem_ki;
  int gpu;
} itype;

static const itype ITYPES[] = {{"m5.xlarge", 4, 16070392, 0},    {"m5.2xlarge", 8, 32301980, 0},
                               {"c5.4xlarge", 16, 32301980, 0},  {"r5.2xlarge", 8, 65138436, 0},
                               {"m6i.4xlarge", 16, 64727244, 0}, {"p3.2xlarge", 8, 62929608, 1}};

typedef struct {
  char name[96];
  char ip[32];
  char zone[32];
  bool gpu, control_plane, ready;
} node_info;

enum { W_DEPLOY, W_STS, W_DS, W_JOB, W_BARE };

typedef struct {
  int type;
  char ns[64];
  char name[96];
  char owner_name[128]; /* RS / STS / DS / Job name */
  char owner_uid[40];
  char hash[16];
  int replicas;
  int ncont, ninit;
  const char *images[4];
  char app_image[200];
  const char *cnames[4];
  int qos; /* 0 guaranteed, 1 burstable, 2 besteffort */
  bool pvc, configmap, ephemeral;
  int cpu_m, mem_mi;
  time_t created;
} workload;

uint64_t synth_fnv(uint64_t h, const char *s) {
  for (const char *p = s; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  return h;
}

rng synth_rng_of(const char *a, const char *b, uint64_t seed) {
  return (rng){synth_fnv(synth_fnv(SYNTH_FNV_BASIS ^ seed, a), b) | 1};
}

void synth_uid(rng *r, char out[40]) {
  uint64_t a = rng_next(r), b = rng_next(r);
  snprintf(out, 40, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a & 0xffff),
           (unsigned)((a >> 16) & 0xfff), (unsigned)(0x8000 | (b & 0x3fff)),
           (unsigned long long)(b >> 16));
}

void synth_owner_ref(jw *w, const char *api_version, const char *kind, const char *name,
                     const char *uid, bool controller) {
  jw_arr(w, "ownerReferences");
  jw_obj(w, NULL);
  jw_s(w, "apiVersion", api_version);
  jw_s(w, "kind", kind);
  jw_s(w, "name", name);
  jw_s(w, "uid", uid);
  if (controller) {
    jw_b(w, "controller", true);
    jw_b(w, "blockOwnerDeletion", true);
  }
  jw_end(w, '}');
  jw_end(w, ']');
}

int synth_kind(const char *resource) {
  int k = kind_by_resource(resource);
  if (k < 0) {
    fprintf(stderr, "apisim: internal error: kind %s is not in kinds.c\n", resource);
    abort();
  }
  return k;
}

static void hex(rng *r, char *out, int n) {
  static const char h[] = "0123456789abcdef";
  for (int i = 0; i < n; i++) out[i] = h[rng_int(r, 16)];
  out[n] = 0;
}

static void suffix(rng *r, char *out, int n) {
  static const char al[] = "bcdfghjklmnpqrstvwxz2456789";
  for (int i = 0; i < n; i++) out[i] = al[rng_int(r, (int)sizeof al - 1)];
  out[n] = 0;
}

static void ts(char out[32], time_t t) { fmt_time(out, t); }

/* ---- managedFields (fieldsV1) derived from the object itself ---- */

static const char *LIST_KEYS[] = {"name", "type", "uid", "ip", "mountPath", "devicePath", NULL};

static void fv_val(ksmc_buf *b, const jv *v);

static void fv_obj(ksmc_buf *b, const jv *o, bool dot) {
  ksmc_buf_putc(b, '{');
  bool first = true;
  if (dot) {
    ksmc_buf_puts(b, KSMC_LIT("\".\":{}"));
    first = false;
  }
  for (jv *m = o->head; m; m = m->next) {
    if (!first) ksmc_buf_putc(b, ',');
    first = false;
    ksmc_buf_puts(b, KSMC_LIT("\"f:"));
    ksmc_buf_put(b, m->key, m->klen);
    ksmc_buf_put(b, "\":", 2);
    fv_val(b, m);
  }
  ksmc_buf_putc(b, '}');
}

static bool atomic_list(const jv *v) {
  return jkey_eq(v, "containerStatuses") || jkey_eq(v, "initContainerStatuses") ||
         jkey_eq(v, "ephemeralContainerStatuses") || jkey_eq(v, "images");
}

static void fv_val(ksmc_buf *b, const jv *v) {
  if (v->t == JV_ARR && atomic_list(v)) {
    ksmc_buf_puts(b, KSMC_LIT("{}"));
    return;
  }
  if (v->t == JV_OBJ) {
    fv_obj(b, v, true);
    return;
  }
  if (v->t == JV_ARR && v->head && v->head->t == JV_OBJ) {
    const char *key = NULL;
    for (int i = 0; LIST_KEYS[i] && !key; i++)
      if (jo_get(v->head, LIST_KEYS[i])) key = LIST_KEYS[i];
    bool ports = jo_get(v->head, "containerPort") != NULL;
    if (key || ports) {
      ksmc_buf_puts(b, KSMC_LIT("{\".\":{}"));
      for (jv *e = v->head; e; e = e->next) {
        ksmc_buf_puts(b, KSMC_LIT(",\"k:{"));
        if (ports) {
          jv *cp = jo_get(e, "containerPort"), *pr = jo_get(e, "protocol");
          ksmc_buf_puts(b, KSMC_LIT("\\\"containerPort\\\":"));
          if (cp) ksmc_buf_put(b, cp->s, cp->n);
          ksmc_buf_puts(b, KSMC_LIT(",\\\"protocol\\\":\\\""));
          if (pr) ksmc_buf_put(b, pr->s, pr->n);
          ksmc_buf_puts(b, KSMC_LIT("\\\"}\":"));
        } else {
          jv *kv = jo_get(e, key);
          ksmc_buf_puts(b, KSMC_LIT("\\\""));
          ksmc_buf_put(b, key, strlen(key));
          ksmc_buf_puts(b, KSMC_LIT("\\\":\\\""));
          if (kv) ksmc_buf_put(b, kv->s, kv->n);
          ksmc_buf_puts(b, KSMC_LIT("\\\"}\":"));
        }
        fv_obj(b, e, true);
      }
      ksmc_buf_putc(b, '}');
      return;
    }
  }
  ksmc_buf_puts(b, KSMC_LIT("{}"));
}

static void mf_entry(ksmc_buf *b, bool first, const char *manager, const char *op,
                     const char *api_version, const char *time, const char *subresource) {
  char tmp[300];
  int n = snprintf(
      tmp, sizeof tmp,
      "%s{\"manager\":\"%s\",\"operation\":\"%s\",\"apiVersion\":\"%s\",\"time\":\"%s\","
      "\"fieldsType\":\"FieldsV1\",%s%s%s\"fieldsV1\":",
      first ? "" : ",", manager, op, api_version, time, subresource ? "\"subresource\":\"" : "",
      subresource ? subresource : "", subresource ? "\"," : "");
  ksmc_buf_put(b, tmp, (size_t)n);
}

static void fv_meta_subset(ksmc_buf *b, const jv *meta, const char **keys) {
  ksmc_buf_puts(b, KSMC_LIT("\"f:metadata\":{"));
  bool first = true;
  for (int i = 0; keys[i]; i++) {
    jv *m = jo_get(meta, keys[i]);
    if (!m) continue;
    if (!first) ksmc_buf_putc(b, ',');
    first = false;
    ksmc_buf_puts(b, KSMC_LIT("\"f:"));
    ksmc_buf_put(b, keys[i], strlen(keys[i]));
    ksmc_buf_put(b, "\":", 2);
    fv_val(b, m);
  }
  ksmc_buf_putc(b, '}');
}

/* Adds metadata.managedFields: a controller/agent owning metadata+spec, and one owning
 * status through the status subresource. */
static void add_managed_fields(jarena *a, jv *root, const char *spec_manager,
                               const char *status_manager, const char *api_version,
                               const char *t_spec, const char *t_status) {
  jv *meta = jo_get(root, "metadata");
  ksmc_buf b = {0};
  static const char *mkeys[] = {"generateName", "labels", "annotations", "ownerReferences", NULL};
  ksmc_buf_putc(&b, '[');
  mf_entry(&b, true, spec_manager, "Update", api_version, t_spec, NULL);
  ksmc_buf_putc(&b, '{');
  fv_meta_subset(&b, meta, mkeys);
  jv *spec = jo_get(root, "spec");
  if (spec) {
    ksmc_buf_puts(&b, KSMC_LIT(",\"f:spec\":"));
    fv_obj(&b, spec, false);
  }
  ksmc_buf_puts(&b, KSMC_LIT("}}"));
  jv *status = jo_get(root, "status");
  if (status && status->head) {
    mf_entry(&b, false, status_manager, "Update", api_version, t_status, "status");
    ksmc_buf_puts(&b, KSMC_LIT("{\"f:status\":"));
    fv_obj(&b, status, false);
    ksmc_buf_puts(&b, KSMC_LIT("}}"));
  }
  ksmc_buf_putc(&b, ']');
  char *text = ja_strndup(a, b.p, b.n);
  jv *mf = jv_parse(a, text, b.n, NULL);
  ksmc_buf_free(&b);
  if (mf) jo_set(a, meta, "managedFields", mf);
}

static void insert(apisim *sim, int kind, ksmc_buf *text, const char *spec_mgr,
                   const char *status_mgr, const char *t1, const char *t2) {
  jarena *a = &sim->scratch;
  ja_reset(a);
  const char *err = NULL;
  jv *root = jv_parse(a, text->p, text->n, &err);
  if (!root) {
    fprintf(stderr, "apisim: internal error: synthetic object does not parse: %s\n%.*s\n", err,
            (int)(text->n > 400 ? 400 : text->n), text->p);
    abort();
  }
  char av[64];
  add_managed_fields(a, root, spec_mgr, status_mgr, kind_api_version(&KINDS[kind], av, sizeof av),
                     t1, t2);
  if (store_create(&sim->st, kind, root, a, NULL) != ST_OK) {
    /* duplicate names from tiny word lists are skipped */
  }
}

void synth_insert(apisim *sim, int kind, ksmc_buf *text, const char *spec_mgr,
                  const char *status_mgr, const char *t1, const char *t2) {
  insert(sim, kind, text, spec_mgr, status_mgr, t1, t2);
}

/* ---- namespaces ---- */

static void gen_namespace(apisim *sim, const char *name, time_t created, rng *r) {
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  char t[32], uid[40];
  ts(t, created);
  synth_uid(r, uid);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", name);
  jw_s(&w, "uid", uid);
  jw_s(&w, "creationTimestamp", t);
  jw_obj(&w, "labels");
  jw_s(&w, "kubernetes.io/metadata.name", name);
  if (rng_chance(r, 0.5)) jw_s(&w, "team", NS_WORDS[rng_int(r, 20)]);
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_arr(&w, "finalizers");
  jw_s(&w, NULL, "kubernetes");
  jw_end(&w, ']');
  jw_end(&w, '}');
  jw_obj(&w, "status");
  jw_s(&w, "phase", "Active");
  jw_end(&w, '}');
  jw_end(&w, '}');
  insert(sim, synth_kind("namespaces"), &b, "kubectl-create", "kube-controller-manager", t, t);
  ksmc_buf_free(&b);
}

/* ---- nodes ---- */

static void gen_node(apisim *sim, rng *r, long i, node_info *ni) {
  const itype *it = ni->control_plane ? &ITYPES[1] : ni->gpu ? &ITYPES[5] : &ITYPES[rng_int(r, 5)];
  snprintf(ni->ip, sizeof ni->ip, "10.%ld.%ld.%ld", (i / 62500) % 256, (i / 250) % 250,
           i % 250 + 4);
  snprintf(ni->name, sizeof ni->name, "ip-10-%ld-%ld-%ld.eu-west-1.compute.internal",
           (i / 62500) % 256, (i / 250) % 250, i % 250 + 4);
  const char *zones[] = {"eu-west-1a", "eu-west-1b", "eu-west-1c"};
  snprintf(ni->zone, sizeof ni->zone, "%s", zones[i % 3]);
  ni->ready = rng_chance(r, 0.98);
  bool unsched = !ni->control_plane && rng_chance(r, 0.01);
  time_t created = (time_t)sim->cfg.epoch - 86400 * 30 + (time_t)rng_int(r, 86400 * 29);
  char t[32], hb[32], uid[40], tmp[128];
  ts(t, created);
  ts(hb, (time_t)sim->cfg.epoch - rng_int(r, 40));
  synth_uid(r, uid);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", ni->name);
  jw_s(&w, "uid", uid);
  jw_s(&w, "creationTimestamp", t);
  jw_obj(&w, "labels");
  jw_s(&w, "beta.kubernetes.io/arch", "amd64");
  jw_s(&w, "beta.kubernetes.io/instance-type", it->type);
  jw_s(&w, "beta.kubernetes.io/os", "linux");
  jw_s(&w, "failure-domain.beta.kubernetes.io/region", "eu-west-1");
  jw_s(&w, "failure-domain.beta.kubernetes.io/zone", ni->zone);
  jw_s(&w, "kubernetes.io/arch", "amd64");
  jw_s(&w, "kubernetes.io/hostname", ni->name);
  jw_s(&w, "kubernetes.io/os", "linux");
  jw_s(&w, "node.kubernetes.io/instance-type", it->type);
  jw_s(&w, "topology.kubernetes.io/region", "eu-west-1");
  jw_s(&w, "topology.kubernetes.io/zone", ni->zone);
  if (ni->control_plane)
    jw_s(&w, "node-role.kubernetes.io/control-plane", "");
  else
    jw_s(&w, "node-role.kubernetes.io/worker", "");
  if (ni->gpu) {
    jw_s(&w, "node-role.kubernetes.io/gpu", "");
    jw_s(&w, "nvidia.com/gpu.present", "true");
  }
  jw_fmt(&w, "eks.amazonaws.com/nodegroup", "%s-%d",
         ni->control_plane ? "system"
         : ni->gpu         ? "gpu"
                           : "general",
         (int)(i % 4));
  jw_s(&w, "eks.amazonaws.com/capacityType", rng_chance(r, 0.3) ? "SPOT" : "ON_DEMAND");
  jw_end(&w, '}');
  jw_obj(&w, "annotations");
  jw_s(&w, "alpha.kubernetes.io/provided-node-ip", ni->ip);
  jw_s(&w, "node.alpha.kubernetes.io/ttl", "0");
  jw_s(&w, "volumes.kubernetes.io/controller-managed-attach-detach", "true");
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_fmt(&w, "podCIDR", "100.%ld.%ld.0/24", 64 + (i / 256) % 64, i % 256);
  jw_arr(&w, "podCIDRs");
  jw_fmt(&w, NULL, "100.%ld.%ld.0/24", 64 + (i / 256) % 64, i % 256);
  jw_end(&w, ']');
  jw_fmt(&w, "providerID", "aws:///%s/i-0%s", ni->zone, (hex(r, tmp, 16), tmp));
  if (unsched) jw_b(&w, "unschedulable", true);
  if (ni->control_plane || ni->gpu || unsched || !ni->ready) {
    jw_arr(&w, "taints");
    if (ni->control_plane) {
      jw_obj(&w, NULL);
      jw_s(&w, "key", "node-role.kubernetes.io/control-plane");
      jw_s(&w, "effect", "NoSchedule");
      jw_end(&w, '}');
    }
    if (ni->gpu) {
      jw_obj(&w, NULL);
      jw_s(&w, "key", "nvidia.com/gpu");
      jw_s(&w, "value", "present");
      jw_s(&w, "effect", "NoSchedule");
      jw_end(&w, '}');
    }
    if (unsched) {
      jw_obj(&w, NULL);
      jw_s(&w, "key", "node.kubernetes.io/unschedulable");
      jw_s(&w, "effect", "NoSchedule");
      jw_s(&w, "timeAdded", hb);
      jw_end(&w, '}');
    }
    if (!ni->ready) {
      jw_obj(&w, NULL);
      jw_s(&w, "key", "node.kubernetes.io/unreachable");
      jw_s(&w, "effect", "NoExecute");
      jw_s(&w, "timeAdded", hb);
      jw_end(&w, '}');
    }
    jw_end(&w, ']');
  }
  jw_end(&w, '}');
  jw_obj(&w, "status");
  for (int k = 0; k < 2; k++) {
    jw_obj(&w, k ? "allocatable" : "capacity");
    jw_fmt(&w, "cpu", k ? "%dm" : "%d", k ? it->cpu * 1000 - 80 - it->cpu * 10 : it->cpu);
    jw_fmt(&w, "ephemeral-storage", k ? "%lld" : "%lldKi", k ? 95491281146LL : 104845292LL);
    jw_s(&w, "hugepages-1Gi", "0");
    jw_s(&w, "hugepages-2Mi", "0");
    jw_fmt(&w, "memory", "%lldKi", k ? it->mem_ki - 1038336 : it->mem_ki);
    if (it->gpu) jw_fmt(&w, "nvidia.com/gpu", "%d", it->gpu);
    jw_s(&w, "pods", it->cpu >= 16 ? "234" : "110");
    jw_end(&w, '}');
  }
  jw_arr(&w, "conditions");
  const char *ctypes[][4] = {
      {"MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available",
       "False"},
      {"DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", "False"},
      {"PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available", "False"},
      {"Ready", "KubeletReady", "kubelet is posting ready status", "True"}};
  for (int c = 0; c < 4; c++) {
    bool nr = c == 3 && !ni->ready;
    jw_obj(&w, NULL);
    jw_s(&w, "type", ctypes[c][0]);
    jw_s(&w, "status", nr ? "Unknown" : ctypes[c][3]);
    jw_s(&w, "lastHeartbeatTime", hb);
    jw_s(&w, "lastTransitionTime", t);
    jw_s(&w, "reason", nr ? "NodeStatusUnknown" : ctypes[c][1]);
    jw_s(&w, "message", nr ? "Kubelet stopped posting node status." : ctypes[c][2]);
    jw_end(&w, '}');
  }
  jw_end(&w, ']');
  jw_arr(&w, "addresses");
  jw_obj(&w, NULL);
  jw_s(&w, "type", "InternalIP");
  jw_s(&w, "address", ni->ip);
  jw_end(&w, '}');
  if (rng_chance(r, 0.2)) {
    jw_obj(&w, NULL);
    jw_s(&w, "type", "ExternalIP");
    jw_fmt(&w, "address", "52.%d.%d.%d", rng_int(r, 256), rng_int(r, 256), rng_range(r, 1, 254));
    jw_end(&w, '}');
  }
  jw_obj(&w, NULL);
  jw_s(&w, "type", "InternalDNS");
  jw_s(&w, "address", ni->name);
  jw_end(&w, '}');
  jw_obj(&w, NULL);
  jw_s(&w, "type", "Hostname");
  jw_s(&w, "address", ni->name);
  jw_end(&w, '}');
  jw_end(&w, ']');
  jw_raw(&w, "daemonEndpoints", "{\"kubeletEndpoint\":{\"Port\":10250}}");
  jw_obj(&w, "nodeInfo");
  jw_s(&w, "machineID", (hex(r, tmp, 32), tmp));
  jw_fmt(&w, "systemUUID", "ec2%.5s-%.4s-%.4s-%.4s-%.12s", tmp, tmp + 5, tmp + 9, tmp + 13,
         tmp + 17);
  jw_fmt(&w, "bootID", "%.8s-%.4s-%.4s-%.4s-%.12s", tmp + 3, tmp + 11, tmp + 15, tmp + 19,
         tmp + 20);
  jw_s(&w, "kernelVersion", "5.10.228-219.884.amzn2.x86_64");
  jw_s(&w, "osImage", "Amazon Linux 2");
  jw_s(&w, "containerRuntimeVersion", "containerd://1.7.23");
  jw_s(&w, "kubeletVersion", "v1.32.0-eks-aeac579");
  jw_s(&w, "kubeProxyVersion", "v1.32.0-eks-aeac579");
  jw_s(&w, "operatingSystem", "linux");
  jw_s(&w, "architecture", "amd64");
  jw_end(&w, '}');
  jw_arr(&w, "images");
  int nimg = rng_range(r, 8, 24);
  for (int k = 0; k < nimg; k++) {
    char dig[65];
    hex(r, dig, 64);
    jw_obj(&w, NULL);
    jw_arr(&w, "names");
    const char *img = IMAGES[k % 7];
    char name[200];
    snprintf(name, sizeof name, img, APP_WORDS[k % 18]);
    char *colon = strrchr(name, ':');
    jw_fmt(&w, NULL, "%.*s@sha256:%s", (int)(colon ? colon - name : (long)strlen(name)), name, dig);
    jw_s(&w, NULL, name);
    jw_end(&w, ']');
    jw_i(&w, "sizeBytes", 10000000 + rng_int(r, 400000000));
    jw_end(&w, '}');
  }
  jw_end(&w, ']');
  jw_end(&w, '}');
  jw_end(&w, '}');
  insert(sim, synth_kind("nodes"), &b, "kubelet", "kubelet", t, hb);
  ksmc_buf_free(&b);
}

/* ---- workloads (deployments, replicasets) ---- */

static void write_labels(jw *w, const workload *wl, const char *extra_k, const char *extra_v) {
  jw_obj(w, "labels");
  jw_s(w, "app.kubernetes.io/name", wl->name);
  jw_s(w, "app.kubernetes.io/part-of", wl->ns);
  if (extra_k) jw_s(w, extra_k, extra_v);
  jw_end(w, '}');
}

static void write_container_spec(jw *w, rng *r, const workload *wl, int c, bool init);

static void write_pod_template(jw *w, rng *r, const workload *wl) {
  jw_obj(w, "template");
  jw_obj(w, "metadata");
  jw_obj(w, "labels");
  jw_s(w, "app.kubernetes.io/name", wl->name);
  jw_s(w, "app.kubernetes.io/part-of", wl->ns);
  jw_end(w, '}');
  jw_end(w, '}');
  jw_obj(w, "spec");
  jw_arr(w, "containers");
  rng copy = *r;
  for (int c = 0; c < wl->ncont; c++) write_container_spec(w, &copy, wl, c, false);
  jw_end(w, ']');
  jw_s(w, "restartPolicy", "Always");
  jw_i(w, "terminationGracePeriodSeconds", 30);
  jw_s(w, "dnsPolicy", "ClusterFirst");
  jw_s(w, "serviceAccountName", wl->name);
  jw_raw(w, "securityContext", "{}");
  jw_s(w, "schedulerName", "default-scheduler");
  jw_end(w, '}');
  jw_end(w, '}');
}

static void gen_deployment(apisim *sim, rng *r, workload *wl) {
  char t[32], uid[40], rsuid[40];
  ts(t, wl->created);
  synth_uid(r, uid);
  synth_uid(r, rsuid);
  int ready = wl->replicas - (rng_chance(r, 0.1) ? rng_range(r, 0, wl->replicas) : 0);
  for (int pass = 0; pass < 2; pass++) {
    bool rs = pass == 1;
    ksmc_buf b = {0};
    jw w;
    jw_init(&w, &b);
    jw_obj(&w, NULL);
    jw_obj(&w, "metadata");
    jw_s(&w, "name", rs ? wl->owner_name : wl->name);
    jw_s(&w, "namespace", wl->ns);
    jw_s(&w, "uid", rs ? rsuid : uid);
    jw_i(&w, "generation", rs ? 1 : rng_range(r, 1, 12));
    jw_s(&w, "creationTimestamp", t);
    write_labels(&w, wl, rs ? "pod-template-hash" : NULL, wl->hash);
    jw_obj(&w, "annotations");
    jw_s(&w, rs ? "deployment.kubernetes.io/revision" : "deployment.kubernetes.io/revision", "3");
    if (rs) {
      jw_fmt(&w, "deployment.kubernetes.io/desired-replicas", "%d", wl->replicas);
      jw_fmt(&w, "deployment.kubernetes.io/max-replicas", "%d", wl->replicas + 1);
    }
    jw_end(&w, '}');
    if (rs) {
      synth_owner_ref(&w, "apps/v1", "Deployment", wl->name, uid, true);
    }
    jw_end(&w, '}');
    jw_obj(&w, "spec");
    jw_i(&w, "replicas", wl->replicas);
    jw_obj(&w, "selector");
    jw_obj(&w, "matchLabels");
    jw_s(&w, "app.kubernetes.io/name", wl->name);
    if (rs) jw_s(&w, "pod-template-hash", wl->hash);
    jw_end(&w, '}');
    jw_end(&w, '}');
    if (!rs) {
      jw_raw(&w, "strategy",
             "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":\"25%\","
             "\"maxSurge\":\"25%\"}}");
      jw_i(&w, "revisionHistoryLimit", 10);
      jw_i(&w, "progressDeadlineSeconds", 600);
    }
    write_pod_template(&w, r, wl);
    jw_end(&w, '}');
    jw_obj(&w, "status");
    jw_i(&w, "observedGeneration", 1);
    jw_i(&w, "replicas", wl->replicas);
    jw_i(&w, "readyReplicas", ready);
    jw_i(&w, "availableReplicas", ready);
    if (rs)
      jw_i(&w, "fullyLabeledReplicas", wl->replicas);
    else {
      jw_i(&w, "updatedReplicas", wl->replicas);
      if (ready < wl->replicas) jw_i(&w, "unavailableReplicas", wl->replicas - ready);
      jw_arr(&w, "conditions");
      jw_obj(&w, NULL);
      jw_s(&w, "type", "Available");
      jw_s(&w, "status", ready == wl->replicas ? "True" : "False");
      jw_s(&w, "lastUpdateTime", t);
      jw_s(&w, "lastTransitionTime", t);
      jw_s(&w, "reason",
           ready == wl->replicas ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable");
      jw_s(&w, "message",
           ready == wl->replicas ? "Deployment has minimum availability."
                                 : "Deployment does not have minimum availability.");
      jw_end(&w, '}');
      jw_obj(&w, NULL);
      jw_s(&w, "type", "Progressing");
      jw_s(&w, "status", "True");
      jw_s(&w, "lastUpdateTime", t);
      jw_s(&w, "lastTransitionTime", t);
      jw_s(&w, "reason", "NewReplicaSetAvailable");
      jw_fmt(&w, "message", "ReplicaSet \"%s\" has successfully progressed.", wl->owner_name);
      jw_end(&w, '}');
      jw_end(&w, ']');
    }
    jw_end(&w, '}');
    jw_end(&w, '}');
    insert(sim, synth_kind(rs ? "replicasets" : "deployments"), &b,
           rs ? "kube-controller-manager" : "kubectl-client-side-apply", "kube-controller-manager",
           t, t);
    ksmc_buf_free(&b);
  }
  snprintf(wl->owner_uid, sizeof wl->owner_uid, "%s", rsuid);
}

/* ---- the other owners and referenced objects: StatefulSets, DaemonSets, Jobs, Services,
 * ConfigMaps, PVCs, so ownerReferences and volume references resolve ---- */

static void meta_begin(jw *w, const char *name, const char *ns, const char *uid, const char *t,
                       const workload *wl) {
  jw_obj(w, NULL);
  jw_obj(w, "metadata");
  jw_s(w, "name", name);
  jw_s(w, "namespace", ns);
  jw_s(w, "uid", uid);
  jw_s(w, "creationTimestamp", t);
  jw_obj(w, "labels");
  jw_s(w, "app.kubernetes.io/name", wl->name);
  jw_s(w, "app.kubernetes.io/part-of", wl->ns);
  jw_end(w, '}');
  jw_end(w, '}');
}

static void selector(jw *w, const workload *wl) {
  jw_obj(w, "selector");
  jw_obj(w, "matchLabels");
  jw_s(w, "app.kubernetes.io/name", wl->name);
  jw_end(w, '}');
  jw_end(w, '}');
}

static void gen_owner(apisim *sim, rng *r, const workload *wl, long desired) {
  char t[32];
  ts(t, wl->created);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  long ready = desired - (rng_chance(r, 0.1) ? rng_range(r, 0, (int)desired) : 0);
  const char *res = wl->type == W_STS ? "statefulsets" : wl->type == W_DS ? "daemonsets" : "jobs";
  meta_begin(&w, wl->owner_name, wl->ns, wl->owner_uid, t, wl);
  jw_obj(&w, "spec");
  if (wl->type == W_STS) {
    jw_i(&w, "replicas", desired);
    selector(&w, wl);
    write_pod_template(&w, r, wl);
    jw_fmt(&w, "serviceName", "%s-headless", wl->name);
    jw_s(&w, "podManagementPolicy", "OrderedReady");
    jw_raw(&w, "updateStrategy",
           "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":0}}");
    jw_i(&w, "revisionHistoryLimit", 10);
    jw_raw(&w, "volumeClaimTemplates",
           "[{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":"
           "\"data\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"storageClassName\":\"gp3\","
           "\"resources\":{\"requests\":{\"storage\":\"20Gi\"}},\"volumeMode\":\"Filesystem\"},"
           "\"status\":{\"phase\":\"Pending\"}}]");
    jw_raw(&w, "persistentVolumeClaimRetentionPolicy",
           "{\"whenDeleted\":\"Retain\",\"whenScaled\":\"Retain\"}");
  } else if (wl->type == W_DS) {
    selector(&w, wl);
    write_pod_template(&w, r, wl);
    jw_raw(&w, "updateStrategy",
           "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":1,\"maxSurge\":0}}");
    jw_i(&w, "revisionHistoryLimit", 10);
  } else {
    jw_i(&w, "parallelism", 1);
    jw_i(&w, "completions", desired);
    jw_i(&w, "backoffLimit", 6);
    jw_s(&w, "completionMode", "NonIndexed");
    jw_b(&w, "suspend", false);
    jw_s(&w, "podReplacementPolicy", "TerminatingOrFailed");
    write_pod_template(&w, r, wl);
  }
  jw_end(&w, '}');
  jw_obj(&w, "status");
  if (wl->type == W_STS) {
    jw_i(&w, "observedGeneration", 1);
    jw_i(&w, "replicas", desired);
    jw_i(&w, "readyReplicas", ready);
    jw_i(&w, "currentReplicas", desired);
    jw_i(&w, "updatedReplicas", desired);
    jw_i(&w, "availableReplicas", ready);
    jw_fmt(&w, "currentRevision", "%s-%s", wl->name, wl->hash);
    jw_fmt(&w, "updateRevision", "%s-%s", wl->name, wl->hash);
    jw_i(&w, "collisionCount", 0);
  } else if (wl->type == W_DS) {
    jw_i(&w, "currentNumberScheduled", desired);
    jw_i(&w, "numberMisscheduled", 0);
    jw_i(&w, "desiredNumberScheduled", desired);
    jw_i(&w, "numberReady", ready);
    jw_i(&w, "observedGeneration", 4);
    jw_i(&w, "updatedNumberScheduled", desired);
    jw_i(&w, "numberAvailable", ready);
    if (ready < desired) jw_i(&w, "numberUnavailable", desired - ready);
  } else {
    bool failed = rng_chance(r, 0.2);
    char done[32];
    ts(done, wl->created + rng_range(r, 30, 900));
    jw_s(&w, "startTime", t);
    if (!failed) jw_s(&w, "completionTime", done);
    jw_i(&w, failed ? "failed" : "succeeded", failed ? 7 : desired);
    jw_i(&w, "ready", 0);
    jw_i(&w, "terminating", 0);
    jw_raw(&w, "uncountedTerminatedPods", "{}");
    jw_arr(&w, "conditions");
    jw_obj(&w, NULL);
    jw_s(&w, "type", failed ? "Failed" : "Complete");
    jw_s(&w, "status", "True");
    jw_s(&w, "lastProbeTime", done);
    jw_s(&w, "lastTransitionTime", done);
    if (failed) {
      jw_s(&w, "reason", "BackoffLimitExceeded");
      jw_s(&w, "message", "Job has reached the specified backoff limit");
    }
    jw_end(&w, '}');
    jw_end(&w, ']');
  }
  jw_end(&w, '}');
  jw_end(&w, '}');
  insert(sim, synth_kind(res), &b,
         wl->type == W_DS ? "kubectl-client-side-apply" : "kube-controller-manager",
         "kube-controller-manager", t, t);
  ksmc_buf_free(&b);
}

/* The EndpointSlice the endpointslice controller keeps for a Service: one endpoint per
 * replica with a pod-network address, ready/serving/terminating conditions, a zone hint.
 * Draws from its own generator so the rest of the cluster stays as before. */
static void gen_endpointslice(apisim *sim, const rng *parent, const workload *wl, const char *svc,
                              const char *svc_uid, const char *t) {
  rng r = {parent->s ^ 0x5e1ce0f5e1ce0f5eull};
  char uid[40], name[160], suffix[8];
  synth_uid(&r, uid);
  for (int i = 0; i < 5; i++) suffix[i] = "bcdfghjklmnpqrstvwxz2456789"[rng_int(&r, 27)];
  suffix[5] = 0;
  snprintf(name, sizeof name, "%s-%s", svc, suffix);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", name);
  jw_fmt(&w, "generateName", "%s-", svc);
  jw_s(&w, "namespace", wl->ns);
  jw_s(&w, "uid", uid);
  jw_s(&w, "creationTimestamp", t);
  jw_obj(&w, "labels");
  jw_s(&w, "endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
  jw_s(&w, "kubernetes.io/service-name", svc);
  jw_end(&w, '}');
  synth_owner_ref(&w, "v1", "Service", svc, svc_uid, true);
  jw_end(&w, '}');
  jw_s(&w, "addressType", "IPv4");
  jw_arr(&w, "endpoints");
  for (int i = 0; i < wl->replicas; i++) {
    bool ready = !rng_chance(&r, 0.1);
    char ip[32], zone[16];
    snprintf(ip, sizeof ip, "10.%d.%d.%d", rng_int(&r, 256), rng_int(&r, 256),
             rng_range(&r, 2, 254));
    snprintf(zone, sizeof zone, "zone-%c", 'a' + rng_int(&r, 3));
    jw_obj(&w, NULL);
    jw_arr(&w, "addresses");
    jw_s(&w, NULL, ip);
    jw_end(&w, ']');
    jw_obj(&w, "conditions");
    jw_b(&w, "ready", ready);
    jw_b(&w, "serving", ready);
    jw_b(&w, "terminating", false);
    jw_end(&w, '}');
    jw_s(&w, "zone", zone);
    if (rng_chance(&r, 0.5)) {
      jw_obj(&w, "hints");
      jw_arr(&w, "forZones");
      jw_obj(&w, NULL);
      jw_s(&w, "name", zone);
      jw_end(&w, '}');
      jw_end(&w, ']');
      jw_end(&w, '}');
    }
    jw_end(&w, '}');
  }
  jw_end(&w, ']');
  jw_raw(&w, "ports", "[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":8080}]");
  jw_end(&w, '}');
  insert(sim, synth_kind("endpointslices"), &b, "kube-controller-manager",
         "kube-controller-manager", t, t);
  ksmc_buf_free(&b);
}

static void gen_service(apisim *sim, rng *r, const workload *wl) {
  char t[32], uid[40], name[140];
  ts(t, wl->created);
  synth_uid(r, uid);
  bool headless = wl->type == W_STS;
  snprintf(name, sizeof name, "%s%s", wl->name, headless ? "-headless" : "");
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  meta_begin(&w, name, wl->ns, uid, t, wl);
  jw_obj(&w, "spec");
  jw_raw(&w, "ports",
         "[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":80,\"targetPort\":\"http\"}]");
  jw_obj(&w, "selector");
  jw_s(&w, "app.kubernetes.io/name", wl->name);
  jw_end(&w, '}');
  char ip[32];
  if (headless)
    snprintf(ip, sizeof ip, "None");
  else
    snprintf(ip, sizeof ip, "172.20.%d.%d", rng_int(r, 256), rng_range(r, 1, 254));
  jw_s(&w, "clusterIP", ip);
  jw_arr(&w, "clusterIPs");
  jw_s(&w, NULL, ip);
  jw_end(&w, ']');
  jw_s(&w, "type", "ClusterIP");
  jw_s(&w, "sessionAffinity", "None");
  jw_raw(&w, "ipFamilies", "[\"IPv4\"]");
  jw_s(&w, "ipFamilyPolicy", "SingleStack");
  jw_s(&w, "internalTrafficPolicy", "Cluster");
  jw_end(&w, '}');
  jw_raw(&w, "status", "{\"loadBalancer\":{}}");
  jw_end(&w, '}');
  insert(sim, synth_kind("services"), &b, "kubectl-client-side-apply", "kube-controller-manager", t,
         t);
  ksmc_buf_free(&b);
  gen_endpointslice(sim, r, wl, name, uid, t);
}

static void gen_configmap(apisim *sim, rng *r, const workload *wl) {
  char t[32], uid[40], name[140];
  ts(t, wl->created);
  synth_uid(r, uid);
  snprintf(name, sizeof name, "%s-config", wl->name);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  meta_begin(&w, name, wl->ns, uid, t, wl);
  jw_obj(&w, "data");
  jw_fmt(&w, "config.yaml",
         "server:\n  port: 8080\nlog:\n  level: info\nupstream: http://%s.%s.svc\n", wl->name,
         wl->ns);
  jw_s(&w, "FEATURE_FLAGS", "checkout-v2,fast-path");
  jw_end(&w, '}');
  jw_end(&w, '}');
  insert(sim, synth_kind("configmaps"), &b, "kubectl-client-side-apply",
         "kubectl-client-side-apply", t, t);
  ksmc_buf_free(&b);
}

/* The CSI volume bound to a PVC (cluster-scoped; its uid is derived from the claim's, so
 * the random sequence of every other object stays the same). */
static void gen_pv(apisim *sim, const workload *wl, const char *claim, const char *claim_uid,
                   const char *name, const char *t) {
  char uid[40];
  snprintf(uid, sizeof uid, "f%s", claim_uid + 1);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", name);
  jw_s(&w, "uid", uid);
  jw_s(&w, "creationTimestamp", t);
  jw_obj(&w, "labels");
  jw_s(&w, "topology.kubernetes.io/zone", "eu-west-1a");
  jw_end(&w, '}');
  jw_obj(&w, "annotations");
  jw_s(&w, "pv.kubernetes.io/provisioned-by", "ebs.csi.aws.com");
  jw_s(&w, "volume.kubernetes.io/provisioner-deletion-secret-name", "");
  jw_end(&w, '}');
  jw_raw(&w, "finalizers",
         "[\"kubernetes.io/pv-protection\",\"external-attacher/ebs-csi-aws-com\"]");
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_raw(&w, "capacity", "{\"storage\":\"20Gi\"}");
  jw_obj(&w, "csi");
  jw_s(&w, "driver", "ebs.csi.aws.com");
  jw_fmt(&w, "volumeHandle", "vol-%.17s", uid + 1);
  jw_s(&w, "fsType", "ext4");
  jw_raw(
      &w, "volumeAttributes",
      "{\"storage.kubernetes.io/csiProvisionerIdentity\":\"1700000000000-8081-ebs.csi.aws.com\"}");
  jw_end(&w, '}');
  jw_raw(&w, "accessModes", "[\"ReadWriteOnce\"]");
  jw_obj(&w, "claimRef");
  jw_s(&w, "kind", "PersistentVolumeClaim");
  jw_s(&w, "namespace", wl->ns);
  jw_s(&w, "name", claim);
  jw_s(&w, "uid", claim_uid);
  jw_s(&w, "apiVersion", "v1");
  jw_end(&w, '}');
  jw_s(&w, "persistentVolumeReclaimPolicy", "Delete");
  jw_s(&w, "storageClassName", "gp3");
  jw_s(&w, "volumeMode", "Filesystem");
  jw_raw(&w, "nodeAffinity",
         "{\"required\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":"
         "\"topology.ebs.csi.aws.com/zone\",\"operator\":\"In\",\"values\":[\"eu-west-1a\"]}]}]}}");
  jw_end(&w, '}');
  jw_obj(&w, "status");
  jw_s(&w, "phase", "Bound");
  jw_s(&w, "lastPhaseTransitionTime", t);
  jw_end(&w, '}');
  jw_end(&w, '}');
  insert(sim, synth_kind("persistentvolumes"), &b, "csi-provisioner", "kube-controller-manager", t,
         t);
  ksmc_buf_free(&b);
}

static void gen_pvc(apisim *sim, rng *r, const workload *wl, int replica, const char *node) {
  char t[32], uid[40], name[160], vol[64];
  ts(t, wl->created);
  synth_uid(r, uid);
  snprintf(name, sizeof name, "data-%s-%d", wl->name, replica);
  snprintf(vol, sizeof vol, "pvc-%s", uid);
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  meta_begin(&w, name, wl->ns, uid, t, wl);
  jw_obj(&w, "spec");
  jw_raw(&w, "accessModes", "[\"ReadWriteOnce\"]");
  jw_raw(&w, "resources", "{\"requests\":{\"storage\":\"20Gi\"}}");
  jw_s(&w, "volumeName", vol);
  jw_s(&w, "storageClassName", "gp3");
  jw_s(&w, "volumeMode", "Filesystem");
  jw_end(&w, '}');
  jw_raw(&w, "status",
         "{\"phase\":\"Bound\",\"accessModes\":[\"ReadWriteOnce\"],\"capacity\":{\"storage\":"
         "\"20Gi\"}}");
  jw_end(&w, '}');
  insert(sim, synth_kind("persistentvolumeclaims"), &b, "kube-controller-manager",
         "kube-controller-manager", t, t);
  ksmc_buf_free(&b);
  synth_volumeattachment(sim, vol, node, wl->created);
  gen_pv(sim, wl, name, uid, vol, t);
}

/* ---- pods ---- */

static void write_resources(jw *w, const workload *wl, int c) {
  if (wl->qos == 2) {
    jw_raw(w, "resources", "{}");
    return;
  }
  int cpu = wl->cpu_m / (c + 1), mem = wl->mem_mi / (c + 1);
  jw_obj(w, "resources");
  jw_obj(w, "limits");
  if (wl->qos == 0) jw_fmt(w, "cpu", "%dm", cpu);
  jw_fmt(w, "memory", "%dMi", wl->qos == 0 ? mem : mem * 2);
  jw_end(w, '}');
  jw_obj(w, "requests");
  jw_fmt(w, "cpu", "%dm", cpu);
  jw_fmt(w, "memory", "%dMi", mem);
  jw_end(w, '}');
  jw_end(w, '}');
}

static void write_container_spec(jw *w, rng *r, const workload *wl, int c, bool init) {
  jw_obj(w, NULL);
  jw_s(w, "name", init ? (c ? "migrate" : "init-config") : wl->cnames[c]);
  jw_s(w, "image", init ? "docker.io/library/busybox:1.37.0" : wl->images[c]);
  if (init)
    jw_raw(w, "command", "[\"sh\",\"-c\",\"cp /config/* /work/ && echo done\"]");
  else if (c == 0)
    jw_raw(w, "args", "[\"--config=/etc/app/config.yaml\",\"--log-level=info\"]");
  if (!init) {
    jw_arr(w, "ports");
    jw_obj(w, NULL);
    jw_s(w, "name", c == 0 ? "http" : "metrics");
    jw_i(w, "containerPort", c == 0 ? 8080 : 9090 + c);
    jw_s(w, "protocol", "TCP");
    jw_end(w, '}');
    jw_end(w, ']');
  }
  jw_arr(w, "env");
  int nenv = init ? 1 : 1 + (c == 0 ? rng_int(r, 5) : 1);
  const char *envn[] = {"LOG_FORMAT",  "GOMAXPROCS",    "OTEL_EXPORTER_OTLP_ENDPOINT",
                        "APP_ENV",     "FEATURE_FLAGS", "CACHE_TTL",
                        "DB_POOL_SIZE"};
  for (int i = 0; i < nenv; i++) {
    jw_obj(w, NULL);
    jw_s(w, "name", envn[i]);
    const char *vals[] = {"json",
                          "2",
                          "http://otel-collector.monitoring.svc:4317",
                          "production",
                          "checkout-v2,fast-path",
                          "300s",
                          "20"};
    jw_s(w, "value", vals[i]);
    jw_end(w, '}');
  }
  jw_obj(w, NULL);
  jw_s(w, "name", "POD_NAME");
  jw_raw(w, "valueFrom", "{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.name\"}}");
  jw_end(w, '}');
  if (!init && c == 0) {
    jw_obj(w, NULL);
    jw_s(w, "name", "POD_IP");
    jw_raw(w, "valueFrom", "{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"status.podIP\"}}");
    jw_end(w, '}');
    jw_obj(w, NULL);
    jw_s(w, "name", "DB_PASSWORD");
    jw_raw(w, "valueFrom", "{\"secretKeyRef\":{\"name\":\"db-credentials\",\"key\":\"password\"}}");
    jw_end(w, '}');
  }
  jw_end(w, ']');
  write_resources(w, wl, c);
  jw_arr(w, "volumeMounts");
  if (wl->configmap && !init) {
    jw_raw(w, NULL, "{\"name\":\"config\",\"readOnly\":true,\"mountPath\":\"/etc/app\"}");
  }
  if (wl->pvc && c == 0) jw_raw(w, NULL, "{\"name\":\"data\",\"mountPath\":\"/var/lib/data\"}");
  jw_raw(w, NULL,
         "{\"name\":\"kube-api-access\",\"readOnly\":true,\"mountPath\":\"/var/run/secrets/"
         "kubernetes.io/serviceaccount\"}");
  jw_end(w, ']');
  if (!init && c == 0) {
    jw_raw(
        w, "livenessProbe",
        "{\"httpGet\":{\"path\":\"/"
        "healthz\",\"port\":\"http\",\"scheme\":\"HTTP\"},\"initialDelaySeconds\":10,"
        "\"timeoutSeconds\":1,\"periodSeconds\":10,\"successThreshold\":1,\"failureThreshold\":3}");
    jw_raw(w, "readinessProbe",
           "{\"httpGet\":{\"path\":\"/"
           "readyz\",\"port\":\"http\",\"scheme\":\"HTTP\"},\"timeoutSeconds\":1,\"periodSeconds\":"
           "5,\"successThreshold\":1,\"failureThreshold\":3}");
  }
  jw_s(w, "terminationMessagePath", "/dev/termination-log");
  jw_s(w, "terminationMessagePolicy", rng_chance(r, 0.5) ? "File" : "FallbackToLogsOnError");
  jw_s(w, "imagePullPolicy", "IfNotPresent");
  if (rng_chance(r, 0.3))
    jw_raw(w, "securityContext",
           "{\"capabilities\":{\"drop\":[\"ALL\"]},\"runAsNonRoot\":true,"
           "\"readOnlyRootFilesystem\":true,\"allowPrivilegeEscalation\":false}");
  jw_end(w, '}');
}

enum {
  S_RUNNING,
  S_CRASHLOOP,
  S_OOM_RESTARTED,
  S_IMAGEPULL,
  S_CREATING,
  S_UNSCHEDULED,
  S_INIT,
  S_SUCCEEDED,
  S_FAILED,
  S_EVICTED,
  S_UNKNOWN,
  S_NOTREADY
};

static int pick_scenario(rng *r, const workload *wl) {
  if (wl->type == W_JOB)
    return rng_chance(r, 0.75) ? S_SUCCEEDED : rng_chance(r, 0.6) ? S_FAILED : S_RUNNING;
  int x = rng_int(r, 1000);
  if (x < 760) return S_RUNNING;
  if (x < 810) return S_CRASHLOOP;
  if (x < 860) return S_OOM_RESTARTED;
  if (x < 885) return S_IMAGEPULL;
  if (x < 905) return S_CREATING;
  if (x < 915) return S_UNSCHEDULED;
  if (x < 935) return S_INIT;
  if (x < 950) return S_EVICTED;
  if (x < 953) return S_UNKNOWN;
  if (x < 980) return S_NOTREADY;
  return S_FAILED;
}

static void cond(jw *w, const char *type, bool ok, const char *t, const char *reason) {
  jw_obj(w, NULL);
  jw_s(w, "type", type);
  jw_s(w, "status", ok ? "True" : "False");
  jw_raw(w, "lastProbeTime", "null");
  jw_s(w, "lastTransitionTime", t);
  if (reason) jw_s(w, "reason", reason);
  if (reason && !strcmp(reason, "Unschedulable"))
    jw_s(w, "message",
         "0/1000 nodes are available: 3 node(s) had untolerated taint "
         "{node-role.kubernetes.io/control-plane: }, 997 Insufficient cpu. preemption: 0/1000 "
         "nodes are available: 997 No preemption victims found for incoming pod.");
  if (reason && !strcmp(reason, "ContainersNotReady"))
    jw_s(w, "message", "containers with unready status: [app]");
  jw_end(w, '}');
}

static void container_status(jw *w, rng *r, const workload *wl, int c, bool init, int sc,
                             const char *started, const char *node_t) {
  char cid[65], dig[65];
  hex(r, cid, 64);
  hex(r, dig, 64);
  const char *image = init ? "docker.io/library/busybox:1.37.0" : wl->images[c];
  jw_obj(w, NULL);
  jw_s(w, "name", init ? (c ? "migrate" : "init-config") : wl->cnames[c]);
  bool affected = c == 0 && !init;
  int restarts = 0;
  jw_obj(w, "state");
  bool ready = false, isstarted = false, has_id = true;
  if (init) {
    if (sc == S_INIT) {
      jw_obj(w, "running");
      jw_s(w, "startedAt", started);
      jw_end(w, '}');
    } else {
      jw_obj(w, "terminated");
      jw_i(w, "exitCode", 0);
      jw_s(w, "reason", "Completed");
      jw_s(w, "startedAt", started);
      jw_s(w, "finishedAt", started);
      jw_fmt(w, "containerID", "containerd://%s", cid);
      jw_end(w, '}');
    }
  } else if (sc == S_INIT || sc == S_CREATING || (sc == S_IMAGEPULL && !affected)) {
    jw_obj(w, "waiting");
    jw_s(w, "reason", sc == S_INIT ? "PodInitializing" : "ContainerCreating");
    jw_end(w, '}');
    has_id = false;
  } else if (sc == S_IMAGEPULL) {
    bool back = rng_chance(r, 0.7);
    jw_obj(w, "waiting");
    jw_s(w, "reason", back ? "ImagePullBackOff" : "ErrImagePull");
    jw_fmt(
        w, "message",
        back
            ? "Back-off pulling image \"%s\""
            : "rpc error: code = NotFound desc = failed to pull and unpack image \"%s\": not found",
        image);
    jw_end(w, '}');
    has_id = false;
  } else if (sc == S_CRASHLOOP && affected) {
    restarts = rng_range(r, 3, 400);
    jw_obj(w, "waiting");
    jw_s(w, "reason", "CrashLoopBackOff");
    jw_fmt(w, "message", "back-off 5m0s restarting failed container=%s pod=%s", wl->cnames[c],
           wl->name);
    jw_end(w, '}');
  } else if (sc == S_SUCCEEDED || sc == S_FAILED || sc == S_EVICTED ||
             (sc == S_NOTREADY && affected && rng_chance(r, 0.3))) {
    bool ok = sc == S_SUCCEEDED;
    jw_obj(w, "terminated");
    int code = ok ? 0 : sc == S_EVICTED ? 137 : rng_chance(r, 0.3) ? 137 : 1;
    jw_i(w, "exitCode", code);
    jw_s(w, "reason",
         ok                ? "Completed"
         : sc == S_EVICTED ? "ContainerStatusUnknown"
         : code == 137     ? "OOMKilled"
                           : "Error");
    if (sc == S_EVICTED)
      jw_s(w, "message", "The container could not be located when the pod was terminated");
    jw_s(w, "startedAt", started);
    jw_s(w, "finishedAt", node_t);
    if (sc != S_EVICTED) jw_fmt(w, "containerID", "containerd://%s", cid);
    jw_end(w, '}');
  } else if (sc == S_UNKNOWN) {
    jw_obj(w, "waiting");
    jw_s(w, "reason", "ContainerStatusUnknown");
    jw_end(w, '}');
  } else {
    jw_obj(w, "running");
    jw_s(w, "startedAt", started);
    jw_end(w, '}');
    ready = !(sc == S_NOTREADY && affected);
    isstarted = true;
    if (sc == S_OOM_RESTARTED && affected)
      restarts = rng_range(r, 1, 30);
    else if (rng_chance(r, 0.08))
      restarts = rng_range(r, 1, 5);
  }
  jw_end(w, '}');
  jw_obj(w, "lastState");
  if (restarts) {
    bool oom = sc == S_OOM_RESTARTED || rng_chance(r, 0.3);
    jw_obj(w, "terminated");
    jw_i(w, "exitCode", oom ? 137 : rng_chance(r, 0.5) ? 1 : 2);
    jw_s(w, "reason", oom ? "OOMKilled" : "Error");
    jw_s(w, "startedAt", started);
    jw_s(w, "finishedAt", node_t);
    jw_fmt(w, "containerID", "containerd://%s", (hex(r, dig, 64), dig));
    jw_end(w, '}');
  }
  jw_end(w, '}');
  jw_b(w, "ready", ready);
  jw_i(w, "restartCount", restarts);
  jw_s(w, "image", image);
  if (has_id) {
    char name[200];
    snprintf(name, sizeof name, "%s", image);
    char *colon = strrchr(name, ':');
    if (colon) *colon = 0;
    jw_fmt(w, "imageID", "%s@sha256:%s", name, (hex(r, dig, 64), dig));
    jw_fmt(w, "containerID", "containerd://%s", cid);
  } else {
    jw_s(w, "imageID", "");
  }
  jw_b(w, "started", isstarted);
  jw_end(w, '}');
}

static void gen_pod(apisim *sim, rng *r, const workload *wl, int replica, const node_info *node) {
  int sc = pick_scenario(r, wl);
  if (sc == S_UNSCHEDULED || !node) {
    sc = S_UNSCHEDULED;
    node = NULL;
  }
  char name[200], sfx[8], t[32], started[32], last[32], uid[40];
  suffix(r, sfx, 5);
  switch (wl->type) {
  case W_DEPLOY:
    snprintf(name, sizeof name, "%s-%s", wl->owner_name, sfx);
    break;
  case W_STS:
    snprintf(name, sizeof name, "%s-%d", wl->name, replica);
    break;
  case W_DS:
    snprintf(name, sizeof name, "%s-%s", wl->name, sfx);
    break;
  case W_JOB:
    snprintf(name, sizeof name, "%s-%s", wl->owner_name, sfx);
    break;
  default:
    snprintf(name, sizeof name, "%s-%d", wl->name, replica);
    break;
  }
  time_t created = wl->created + rng_int(r, 86400 * 3);
  if (created > (time_t)sim->cfg.epoch - 60)
    created = (time_t)sim->cfg.epoch - 60 - rng_int(r, 3600);
  ts(t, created);
  ts(started, created + rng_range(r, 2, 40));
  ts(last, (time_t)sim->cfg.epoch - rng_int(r, 3600 * 6));
  synth_uid(r, uid);
  bool terminating = rng_chance(r, 0.015);
  ksmc_buf b = {0};
  ksmc_buf_reserve(&b, 8192);
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", name);
  if (wl->type != W_STS && wl->type != W_BARE) {
    char gen[160];
    snprintf(gen, sizeof gen, "%s-", wl->type == W_DS ? wl->name : wl->owner_name);
    jw_s(&w, "generateName", gen);
  }
  jw_s(&w, "namespace", wl->ns);
  jw_s(&w, "uid", uid);
  jw_s(&w, "creationTimestamp", t);
  if (terminating) {
    jw_s(&w, "deletionTimestamp", last);
    jw_i(&w, "deletionGracePeriodSeconds", 30);
  }
  jw_obj(&w, "labels");
  jw_s(&w, "app.kubernetes.io/name", wl->name);
  jw_s(&w, "app.kubernetes.io/part-of", wl->ns);
  if (wl->type == W_DEPLOY) jw_s(&w, "pod-template-hash", wl->hash);
  if (wl->type == W_STS || wl->type == W_DS)
    jw_fmt(&w, "controller-revision-hash", "%s-%s", wl->name, wl->hash);
  if (wl->type == W_STS) jw_s(&w, "statefulset.kubernetes.io/pod-name", name);
  if (wl->type == W_STS) jw_fmt(&w, "apps.kubernetes.io/pod-index", "%d", replica);
  if (wl->type == W_DS) jw_s(&w, "pod-template-generation", "4");
  if (wl->type == W_JOB) {
    jw_s(&w, "batch.kubernetes.io/controller-uid", wl->owner_uid);
    jw_s(&w, "batch.kubernetes.io/job-name", wl->owner_name);
    jw_s(&w, "controller-uid", wl->owner_uid);
    jw_s(&w, "job-name", wl->owner_name);
  }
  if (rng_chance(r, 0.5)) jw_s(&w, "version", rng_chance(r, 0.5) ? "v2" : "v1");
  jw_end(&w, '}');
  jw_obj(&w, "annotations");
  if (rng_chance(r, 0.4)) {
    jw_s(&w, "prometheus.io/scrape", "true");
    jw_s(&w, "prometheus.io/port", "9090");
  }
  if (rng_chance(r, 0.2)) jw_s(&w, "kubectl.kubernetes.io/restartedAt", t);
  if (wl->type == W_JOB) jw_s(&w, "batch.kubernetes.io/job-tracking", "");
  jw_end(&w, '}');
  if (wl->type != W_BARE) {
    static const char *okinds[] = {"ReplicaSet", "StatefulSet", "DaemonSet", "Job"};
    synth_owner_ref(&w, wl->type == W_JOB ? "batch/v1" : "apps/v1", okinds[wl->type],
                    wl->owner_name, wl->owner_uid, true);
  }
  if (wl->type == W_JOB) {
    jw_arr(&w, "finalizers");
    jw_s(&w, NULL, "batch.kubernetes.io/job-tracking");
    jw_end(&w, ']');
  }
  jw_end(&w, '}');

  /* spec */
  char tokname[32];
  suffix(r, sfx, 5);
  snprintf(tokname, sizeof tokname, "kube-api-access-%s", sfx);
  jw_obj(&w, "spec");
  jw_arr(&w, "volumes");
  if (wl->configmap) {
    jw_obj(&w, NULL);
    jw_s(&w, "name", "config");
    jw_obj(&w, "configMap");
    jw_fmt(&w, "name", "%s-config", wl->name);
    jw_i(&w, "defaultMode", 420);
    jw_end(&w, '}');
    jw_end(&w, '}');
  }
  if (wl->pvc) {
    jw_obj(&w, NULL);
    jw_s(&w, "name", "data");
    jw_obj(&w, "persistentVolumeClaim");
    jw_fmt(&w, "claimName", "data-%s", name);
    jw_end(&w, '}');
    jw_end(&w, '}');
  }
  if (wl->ephemeral) {
    jw_obj(&w, NULL);
    jw_s(&w, "name", "scratch");
    jw_raw(&w, "ephemeral",
           "{\"volumeClaimTemplate\":{\"metadata\":{\"labels\":{\"type\":\"scratch\"}},\"spec\":{"
           "\"accessModes\":[\"ReadWriteOnce\"],\"storageClassName\":\"gp3\",\"resources\":{"
           "\"requests\":{\"storage\":\"10Gi\"}},\"volumeMode\":\"Filesystem\"}}}");
    jw_end(&w, '}');
  } else if (rng_chance(r, 0.3)) {
    jw_raw(&w, NULL, "{\"name\":\"tmp\",\"emptyDir\":{\"sizeLimit\":\"1Gi\"}}");
  }
  jw_obj(&w, NULL);
  jw_s(&w, "name", tokname);
  jw_raw(&w, "projected",
         "{\"sources\":[{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}},{"
         "\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":"
         "\"ca.crt\"}]}},{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\",\"fieldRef\":{"
         "\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.namespace\"}}]}}],\"defaultMode\":420}");
  jw_end(&w, '}');
  jw_end(&w, ']');
  if (wl->ninit) {
    jw_arr(&w, "initContainers");
    for (int c = 0; c < wl->ninit; c++) write_container_spec(&w, r, wl, c, true);
    jw_end(&w, ']');
  }
  jw_arr(&w, "containers");
  for (int c = 0; c < wl->ncont; c++) write_container_spec(&w, r, wl, c, false);
  jw_end(&w, ']');
  /* fix the projected volume mount name */
  jw_s(&w, "restartPolicy",
       wl->type == W_JOB ? (rng_chance(r, 0.5) ? "Never" : "OnFailure") : "Always");
  jw_i(&w, "terminationGracePeriodSeconds", 30);
  jw_s(&w, "dnsPolicy", "ClusterFirst");
  bool gpu_sel = node && node->gpu && wl->type != W_DS;
  if (rng_chance(r, 0.5) || gpu_sel) {
    jw_obj(&w, "nodeSelector");
    jw_s(&w, "kubernetes.io/os", "linux");
    if (gpu_sel) jw_s(&w, "nvidia.com/gpu.present", "true");
    jw_end(&w, '}');
  }
  jw_s(&w, "serviceAccountName", wl->type == W_DS ? wl->name : "default");
  jw_s(&w, "serviceAccount", wl->type == W_DS ? wl->name : "default");
  if (node) jw_s(&w, "nodeName", node->name);
  if (wl->type == W_DS && !strcmp(wl->name, "kube-proxy")) jw_b(&w, "hostNetwork", true);
  jw_raw(&w, "securityContext",
         rng_chance(r, 0.5) ? "{\"runAsUser\":1000,\"runAsGroup\":1000,\"fsGroup\":2000}" : "{}");
  if (wl->type == W_STS) {
    jw_s(&w, "hostname", name);
    jw_fmt(&w, "subdomain", "%s-headless", wl->name);
  }
  if (rng_chance(r, 0.25)) {
    char aff[400];
    snprintf(aff, sizeof aff,
             "{\"podAntiAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":[{"
             "\"weight\":100,\"podAffinityTerm\":{\"labelSelector\":{\"matchLabels\":{\"app."
             "kubernetes.io/name\":\"%s\"}},\"topologyKey\":\"topology.kubernetes.io/zone\"}}]}}",
             wl->name);
    jw_raw(&w, "affinity", aff);
  }
  jw_s(&w, "schedulerName", "default-scheduler");
  jw_arr(&w, "tolerations");
  if (wl->type == W_DS)
    jw_raw(&w, NULL, "{\"operator\":\"Exists\"}");
  else {
    jw_raw(
        &w, NULL,
        "{\"key\":\"node.kubernetes.io/"
        "not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}");
    jw_raw(&w, NULL,
           "{\"key\":\"node.kubernetes.io/"
           "unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":"
           "300}");
    if (node && node->gpu)
      jw_raw(&w, NULL,
             "{\"key\":\"nvidia.com/"
             "gpu\",\"operator\":\"Equal\",\"value\":\"present\",\"effect\":\"NoSchedule\"}");
  }
  jw_end(&w, ']');
  jw_s(&w, "priorityClassName", wl->type == W_DS ? "system-node-critical" : "default");
  jw_i(&w, "priority", wl->type == W_DS ? 2000001000 : 0);
  jw_b(&w, "enableServiceLinks", true);
  jw_s(&w, "preemptionPolicy", "PreemptLowerPriority");
  jw_end(&w, '}');

  /* status */
  const char *phase = "Running";
  switch (sc) {
  case S_IMAGEPULL:
  case S_CREATING:
  case S_UNSCHEDULED:
  case S_INIT:
    phase = "Pending";
    break;
  case S_SUCCEEDED:
    phase = "Succeeded";
    break;
  case S_FAILED:
  case S_EVICTED:
    phase = "Failed";
    break;
  case S_UNKNOWN:
    phase = "Unknown";
    break;
  default:
    break;
  }
  bool running_ready = sc == S_RUNNING || sc == S_OOM_RESTARTED;
  jw_obj(&w, "status");
  jw_s(&w, "phase", phase);
  jw_arr(&w, "conditions");
  if (terminating && rng_chance(r, 0.5)) {
    jw_obj(&w, NULL);
    jw_s(&w, "type", "DisruptionTarget");
    jw_s(&w, "status", "True");
    jw_raw(&w, "lastProbeTime", "null");
    jw_s(&w, "lastTransitionTime", last);
    jw_s(&w, "reason", "TerminationByKubelet");
    jw_s(&w, "message", "Pod was terminated in response to imminent node shutdown.");
    jw_end(&w, '}');
  }
  if (sc == S_UNSCHEDULED) {
    cond(&w, "PodScheduled", false, t, "Unschedulable");
  } else {
    cond(&w, "PodReadyToStartContainers", sc != S_CREATING && sc != S_EVICTED, started, NULL);
    cond(&w, "Initialized", sc != S_INIT, started,
         sc == S_SUCCEEDED ? "PodCompleted"
         : sc == S_INIT    ? "ContainersNotInitialized"
                           : NULL);
    cond(&w, "Ready", running_ready, started,
         running_ready       ? NULL
         : sc == S_SUCCEEDED ? "PodCompleted"
                             : "ContainersNotReady");
    cond(&w, "ContainersReady", running_ready, started,
         running_ready       ? NULL
         : sc == S_SUCCEEDED ? "PodCompleted"
                             : "ContainersNotReady");
    cond(&w, "PodScheduled", true, t, NULL);
  }
  jw_end(&w, ']');
  if (sc == S_EVICTED) {
    jw_s(&w, "reason", "Evicted");
    jw_fmt(&w, "message",
           "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91560Ki. "
           "Container %s was using 1843204Ki, request is %dMi, has larger consumption of memory. ",
           wl->cnames[0], wl->mem_mi);
  }
  if (sc == S_UNKNOWN) {
    jw_s(&w, "reason", "NodeLost");
    jw_fmt(&w, "message", "Node %s which was running pod %s is unresponsive",
           node ? node->name : "", name);
  }
  if (node) {
    jw_s(&w, "hostIP", node->ip);
    jw_arr(&w, "hostIPs");
    char ipo[96];
    snprintf(ipo, sizeof ipo, "{\"ip\":\"%s\"}", node->ip);
    jw_raw(&w, NULL, ipo);
    jw_end(&w, ']');
    bool has_ip = sc != S_CREATING && sc != S_EVICTED && sc != S_SUCCEEDED && sc != S_FAILED;
    if (has_ip) {
      char ip[40], ip6[64];
      if (wl->type == W_DS && !strcmp(wl->name, "kube-proxy"))
        snprintf(ip, sizeof ip, "%s", node->ip);
      else
        snprintf(ip, sizeof ip, "100.%d.%d.%d", 64 + rng_int(r, 64), rng_int(r, 256),
                 rng_range(r, 2, 254));
      bool v6 = rng_chance(r, 0.15);
      snprintf(ip6, sizeof ip6, "fd00:10:%x:%x::%x", rng_int(r, 65536), rng_int(r, 65536),
               rng_range(r, 2, 65000));
      jw_s(&w, "podIP", ip);
      jw_arr(&w, "podIPs");
      char ipo[96];
      snprintf(ipo, sizeof ipo, "{\"ip\":\"%s\"}", ip);
      jw_raw(&w, NULL, ipo);
      if (v6) {
        snprintf(ipo, sizeof ipo, "{\"ip\":\"%s\"}", ip6);
        jw_raw(&w, NULL, ipo);
      }
      jw_end(&w, ']');
    }
    jw_s(&w, "startTime", started);
    if (wl->ninit) {
      jw_arr(&w, "initContainerStatuses");
      for (int c = 0; c < wl->ninit; c++) container_status(&w, r, wl, c, true, sc, started, last);
      jw_end(&w, ']');
    }
    jw_arr(&w, "containerStatuses");
    for (int c = 0; c < wl->ncont; c++) container_status(&w, r, wl, c, false, sc, started, last);
    jw_end(&w, ']');
  }
  jw_s(&w, "qosClass", wl->qos == 0 ? "Guaranteed" : wl->qos == 1 ? "Burstable" : "BestEffort");
  jw_end(&w, '}');
  jw_end(&w, '}');
  /* the projected token volume is mounted as "kube-api-access"; give it the real name */
  ksmc_buf fixed = {0};
  ksmc_buf_reserve(&fixed, b.n + 256);
  const char *needle = "\"name\":\"kube-api-access\"";
  size_t nl = strlen(needle);
  for (size_t i = 0; i < b.n;) {
    const char *hit = memmem(b.p + i, b.n - i, needle, nl);
    size_t upto = hit ? (size_t)(hit - b.p) : b.n;
    ksmc_buf_put(&fixed, b.p + i, upto - i);
    i = upto;
    if (hit) {
      ksmc_buf_puts(&fixed, KSMC_LIT("\"name\":\""));
      ksmc_buf_put(&fixed, tokname, strlen(tokname));
      ksmc_buf_putc(&fixed, '"');
      i += nl;
    }
  }
  insert(sim, synth_kind("pods"), &fixed,
         wl->type == W_DS     ? "kube-controller-manager"
         : wl->type == W_BARE ? "kubectl-client-side-apply"
                              : "kube-controller-manager",
         "kubelet", t, node ? started : t);
  ksmc_buf_free(&fixed);
  ksmc_buf_free(&b);
}

static void init_workload(rng *r, workload *wl, int type, const char *ns, const char *name,
                          long long epoch) {
  memset(wl, 0, sizeof *wl);
  wl->type = type;
  snprintf(wl->ns, sizeof wl->ns, "%s", ns);
  snprintf(wl->name, sizeof wl->name, "%s", name);
  suffix(r, wl->hash, 10);
  wl->ncont = rng_chance(r, 0.68) ? 1 : rng_chance(r, 0.7) ? 2 : rng_range(r, 3, 4);
  wl->ninit = rng_chance(r, 0.15) ? rng_range(r, 1, 2) : 0;
  static const char *cn[] = {"app", "envoy", "log-shipper", "oauth-proxy"};
  /* the app image is per workload (IMAGES entries with %s take the workload name) */
  snprintf(wl->app_image, sizeof wl->app_image, IMAGES[rng_int(r, 7)], name);
  for (int c = 0; c < 4; c++) {
    wl->cnames[c] = c == 0 ? "app" : cn[c];
    wl->images[c] = c == 0 ? wl->app_image : SIDECARS[c - 1];
  }
  wl->qos = rng_int(r, 10) < 3 ? 0 : rng_int(r, 10) < 8 ? 1 : 2;
  wl->pvc = type == W_STS;
  wl->configmap = rng_chance(r, 0.6);
  wl->ephemeral = rng_chance(r, 0.05);
  wl->cpu_m = 50 * rng_range(r, 1, 40);
  wl->mem_mi = 64 * rng_range(r, 1, 64);
  wl->created = (time_t)epoch - 86400 * 25 + rng_int(r, 86400 * 20);
  if (type == W_DEPLOY)
    snprintf(wl->owner_name, sizeof wl->owner_name, "%s-%s", name, wl->hash);
  else if (type == W_JOB)
    snprintf(wl->owner_name, sizeof wl->owner_name, "%s-%d", name, 29000000 + rng_int(r, 900000));
  else
    snprintf(wl->owner_name, sizeof wl->owner_name, "%s", name);
  synth_uid(r, wl->owner_uid);
}

void synth_cluster(apisim *sim) {
  apisim_config *cfg = &sim->cfg;
  rng r = {cfg->seed * 0x2545F4914F6CDD1Dull + 1};
  long nn = cfg->nodes, ppn = cfg->pods_per_node, nns = cfg->namespaces;
  /* namespaces */
  const char *sys[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
  for (int i = 0; i < 4; i++) gen_namespace(sim, sys[i], (time_t)sim->cfg.epoch - 86400 * 40, &r);
  char **nsn = calloc((size_t)(nns > 0 ? nns : 1), sizeof *nsn);
  for (long i = 0; i < nns; i++) {
    char name[64];
    if (i < 20)
      snprintf(name, sizeof name, "%s", NS_WORDS[i]);
    else
      snprintf(name, sizeof name, "%s-%ld", NS_WORDS[i % 20], i / 20);
    nsn[i] = strdup(name);
    gen_namespace(sim, name, (time_t)sim->cfg.epoch - 86400 * 35 + rng_int(&r, 86400 * 5), &r);
  }
  /* nodes */
  node_info *nodes = calloc((size_t)(nn > 0 ? nn : 1), sizeof *nodes);
  for (long i = 0; i < nn; i++) {
    nodes[i].control_plane = nn >= 10 && i < 3;
    nodes[i].gpu = !nodes[i].control_plane && rng_chance(&r, 0.08);
    gen_node(sim, &r, i, &nodes[i]);
  }
  if (nn <= 0 || ppn <= 0) goto done;
  /* daemonsets: one pod per node */
  const char *ds_names[] = {"kube-proxy", "aws-node", "ebs-csi-node"};
  int nds = ppn >= 10 ? 3 : ppn >= 4 ? 1 : 0;
  for (int d = 0; d < nds; d++) {
    workload wl;
    init_workload(&r, &wl, W_DS, "kube-system", ds_names[d], cfg->epoch);
    wl.ninit = 0;
    gen_owner(sim, &r, &wl, nn);
    for (long i = 0; i < nn; i++) gen_pod(sim, &r, &wl, (int)i, &nodes[i]);
  }
  /* other workloads fill the remaining slots, placed on shuffled nodes */
  long slots = nn * (ppn - nds);
  long *order = malloc((size_t)slots * sizeof *order);
  for (long i = 0; i < slots; i++) order[i] = i % nn;
  for (long i = slots - 1; i > 0; i--) {
    long j = (long)(rng_next(&r) % (uint64_t)(i + 1));
    long t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  long used = 0, wcount = 0;
  while (used < slots) {
    workload wl;
    int x = rng_int(&r, 100);
    int type = x < 72 ? W_DEPLOY : x < 86 ? W_STS : x < 96 ? W_JOB : W_BARE;
    const char *ns = nns > 0 ? nsn[rng_int(&r, (int)nns)] : "default";
    char name[96];
    /* unique names: the 18 words once, then word-N */
    if (wcount < 18)
      snprintf(name, sizeof name, "%s", APP_WORDS[wcount]);
    else
      snprintf(name, sizeof name, "%s-%ld", APP_WORDS[rng_int(&r, 18)], wcount);
    init_workload(&r, &wl, type, ns, name, cfg->epoch);
    wcount++;
    int rep = type == W_DEPLOY ? rng_range(&r, 1, 12)
              : type == W_STS  ? rng_range(&r, 1, 5)
              : type == W_JOB  ? rng_range(&r, 1, 3)
                               : 1;
    if (rep > slots - used) rep = (int)(slots - used);
    wl.replicas = rep;
    if (type == W_DEPLOY) gen_deployment(sim, &r, &wl);
    if (type == W_STS || type == W_JOB) gen_owner(sim, &r, &wl, rep);
    if (type == W_DEPLOY || type == W_STS) gen_service(sim, &r, &wl);
    if ((type == W_DEPLOY || type == W_STS) && rep >= 2)
      synth_pdb(sim, wl.ns, wl.name, rep, wl.created);
    if (type == W_DEPLOY || type == W_STS)
      synth_hpa(sim, wl.ns, type == W_DEPLOY ? "Deployment" : "StatefulSet", wl.name, rep, wl.cpu_m,
                wl.mem_mi, wl.created);
    if (wl.configmap) gen_configmap(sim, &r, &wl);
    for (int i = 0; type == W_STS && i < rep; i++)
      gen_pvc(sim, &r, &wl, i, nodes[order[used + i]].name);
    for (int i = 0; i < rep; i++) {
      long slot = used++;
      gen_pod(sim, &r, &wl, i, &nodes[order[slot]]);
    }
  }
  free(order);
done:;
  const char **node_names = calloc((size_t)(nn > 0 ? nn : 1), sizeof *node_names);
  for (long i = 0; i < nn; i++) node_names[i] = nodes[i].name;
  synth_infra(sim, node_names, nn, (const char *const *)nsn, nns);
  synth_admission(sim, node_names, nn);
  synth_cronjobs(sim, (const char *const *)nsn, nns);
  free(node_names);
  ja_free(&sim->scratch);
  for (long i = 0; i < nns; i++) free(nsn[i]);
  free(nsn);
  free(nodes);
}
