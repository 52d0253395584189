/* synth_hpa: HorizontalPodAutoscalers (autoscaling/v2) of the synthetic Deployments and
 * StatefulSets. About half of the Deployments and a quarter of the StatefulSets get one, as
 * in clusters that autoscale their stateless tiers. Between them the HPAs use every metric
 * source type (Resource, ContainerResource, Pods, Object, External) and every target type
 * (Utilization, AverageValue, Value), carry the controller's three conditions with each
 * status, and sometimes a behavior with scale-up/scale-down tolerances. Each HPA draws from
 * its own generator seeded from the cluster seed and the target's name, so adding HPAs
 * changed no other synthetic object. */
#include "apisim.h"
#include "synth.h"

#include <stdio.h>
#include <string.h>

/* One metric: its spec entry and its status entry (the current value). */
static void metric(jw *spec, jw *st, rng *r, int type, const char *target, int cpu_m, int mem_mi) {
  static const char *const types[] = {"Resource", "ContainerResource", "Pods", "Object",
                                      "External"};
  static const char *const srcs[] = {"resource", "containerResource", "pods", "object", "external"};
  jw *w[2] = {spec, st};
  int util = 50 + 5 * rng_int(r, 9), cur_util = util - 30 + rng_int(r, 70);
  int rps = 10 * rng_range(r, 5, 100), cur_rps_m = rps * (500 + rng_int(r, 1000));
  int queue = 5 * rng_range(r, 1, 20), cur_queue = rng_int(r, queue * 4);
  for (int i = 0; i < 2; i++) {
    jw_obj(w[i], NULL);
    jw_s(w[i], "type", types[type]);
    jw_obj(w[i], srcs[type]);
    switch (type) {
    case 0: /* cpu utilization, the most common HPA */
      jw_s(w[i], "name", "cpu");
      break;
    case 1: /* memory of the app container */
      jw_s(w[i], "name", "memory");
      jw_s(w[i], "container", "app");
      break;
    case 2:
      jw_obj(w[i], "metric");
      jw_s(w[i], "name", "http_requests_per_second");
      jw_end(w[i], '}');
      break;
    case 3:
      jw_obj(w[i], "describedObject");
      jw_s(w[i], "apiVersion", "networking.k8s.io/v1");
      jw_s(w[i], "kind", "Ingress");
      jw_s(w[i], "name", target);
      jw_end(w[i], '}');
      jw_obj(w[i], "metric");
      jw_s(w[i], "name", "requests-per-second");
      jw_end(w[i], '}');
      break;
    default:
      jw_obj(w[i], "metric");
      jw_s(w[i], "name", "queue_messages_ready");
      jw_obj(w[i], "selector");
      jw_obj(w[i], "matchLabels");
      jw_s(w[i], "queue", target);
      jw_end(w[i], '}');
      jw_end(w[i], '}');
      jw_end(w[i], '}');
      break;
    }
    jw_obj(w[i], i == 0 ? "target" : "current");
    if (i == 0)
      jw_s(w[i], "type", type == 0 ? "Utilization" : type == 3 ? "Value" : "AverageValue");
    switch (type) {
    case 0:
      jw_i(w[i], "averageUtilization", i == 0 ? util : cur_util);
      if (i == 1) jw_fmt(w[i], "averageValue", "%dm", cpu_m * cur_util / 100);
      break;
    case 1:
      if (i == 0)
        jw_fmt(w[i], "averageValue", "%dMi", mem_mi * 8 / 10);
      else
        jw_fmt(w[i], "averageValue", "%lld", (long long)mem_mi * (400 + rng_int(r, 500)) * 1024);
      if (i == 1) jw_i(w[i], "averageUtilization", 40 + rng_int(r, 50));
      break;
    case 2:
      if (i == 0)
        jw_fmt(w[i], "averageValue", "%d", rps);
      else
        jw_fmt(w[i], "averageValue", "%dm", cur_rps_m);
      break;
    case 3:
      jw_fmt(w[i], "value", i == 0 ? "%dk" : "%d", i == 0 ? rps / 10 : cur_rps_m);
      break;
    default:
      if (i == 0)
        jw_fmt(w[i], "averageValue", "%d", queue);
      else
        jw_fmt(w[i], "averageValue", "%dm", cur_queue * 250);
      break;
    }
    jw_end(w[i], '}');
    jw_end(w[i], '}');
    jw_end(w[i], '}');
  }
}

static void condition(jw *w, const char *type, const char *status, const char *reason,
                      const char *t) {
  jw_obj(w, NULL);
  jw_s(w, "type", type);
  jw_s(w, "status", status);
  jw_s(w, "lastTransitionTime", t);
  jw_s(w, "reason", reason);
  jw_end(w, '}');
}

void synth_hpa(apisim *sim, const char *ns, const char *kind, const char *name, int replicas,
               int cpu_m, int mem_mi, time_t created) {
  uint64_t h = synth_fnv(synth_fnv(SYNTH_FNV_BASIS, ns), name);
  rng r = {sim->cfg.seed * 0x9E3779B97F4A7C15ull ^ h};
  if (!rng_chance(&r, kind[0] == 'D' ? 0.5 : 0.25)) return;
  char t[32], t2[32], uid[40];
  time_t born = created + 60 + rng_int(&r, 3600);
  fmt_time(t, born);
  fmt_time(t2, born + 600 + rng_int(&r, 86400));
  synth_uid(&r, uid);
  int min = replicas > 1 ? rng_range(&r, 1, replicas) : 1, max = min + rng_range(&r, 2, 20);
  int desired = min + rng_int(&r, max - min + 1);
  int scenario = rng_int(&r, 10); /* 0-6 healthy, 7-8 at a limit, 9 metrics unavailable */
  ksmc_buf b = {0}, sb = {0}, stb = {0};
  jw w, spec, st;
  jw_init(&spec, &sb);
  jw_init(&st, &stb);
  jw_arr(&spec, NULL);
  jw_arr(&st, NULL);
  /* always cpu; then one to three more sources, rotating so that every type occurs */
  int first = (int)(h % 4) + 1, extra = rng_int(&r, 4);
  metric(&spec, &st, &r, 0, name, cpu_m, mem_mi);
  for (int i = 0; i < extra; i++) metric(&spec, &st, &r, 1 + (first + i) % 4, name, cpu_m, mem_mi);
  jw_end(&spec, ']');
  jw_end(&st, ']');
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", name);
  jw_s(&w, "namespace", ns);
  jw_s(&w, "uid", uid);
  jw_i(&w, "generation", rng_range(&r, 1, 6));
  jw_s(&w, "creationTimestamp", t);
  jw_obj(&w, "labels");
  jw_s(&w, "app", name);
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_obj(&w, "scaleTargetRef");
  if (!rng_chance(&r, 0.1)) jw_s(&w, "apiVersion", "apps/v1"); /* optional in the API */
  jw_s(&w, "kind", kind);
  jw_s(&w, "name", name);
  jw_end(&w, '}');
  if (!rng_chance(&r, 0.2)) jw_i(&w, "minReplicas", min); /* defaults to 1 */
  jw_i(&w, "maxReplicas", max);
  jw_raw(&w, "metrics", ksmc_buf_cstr(&sb));
  if (rng_chance(&r, 0.3)) {
    static const char *const tol[] = {"0.05", "0.1", "0.2", "0.3", "250m"};
    jw_obj(&w, "behavior");
    jw_obj(&w, "scaleDown");
    jw_i(&w, "stabilizationWindowSeconds", 300);
    jw_s(&w, "tolerance", tol[rng_int(&r, 5)]);
    jw_end(&w, '}');
    jw_obj(&w, "scaleUp");
    jw_i(&w, "stabilizationWindowSeconds", 0);
    if (rng_chance(&r, 0.5)) jw_s(&w, "tolerance", tol[rng_int(&r, 5)]);
    jw_end(&w, '}');
    jw_end(&w, '}');
  }
  jw_end(&w, '}');
  jw_obj(&w, "status");
  jw_i(&w, "observedGeneration", 1);
  jw_s(&w, "lastScaleTime", t2);
  jw_i(&w, "currentReplicas", scenario == 9 ? min : desired);
  jw_i(&w, "desiredReplicas", scenario == 9 ? min : scenario >= 7 ? max : desired);
  if (scenario != 9) jw_raw(&w, "currentMetrics", ksmc_buf_cstr(&stb));
  jw_arr(&w, "conditions");
  condition(&w, "AbleToScale", "True", scenario >= 7 ? "ScaleDownStabilized" : "ReadyForNewScale",
            t2);
  condition(&w, "ScalingActive", scenario == 9 ? "False" : "True",
            scenario == 9 ? "FailedGetResourceMetric" : "ValidMetricFound", t);
  condition(&w, "ScalingLimited",
            scenario == 9   ? "Unknown"
            : scenario >= 7 ? "True"
                            : "False",
            scenario >= 7 ? "TooManyReplicas" : "DesiredWithinRange", t2);
  jw_end(&w, ']');
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("horizontalpodautoscalers"), &b, "kubectl-client-side-apply",
               "kube-controller-manager", t, t2);
  ksmc_buf_free(&b);
  ksmc_buf_free(&sb);
  ksmc_buf_free(&stb);
}
