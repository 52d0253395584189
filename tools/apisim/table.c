#include "table.h"
#include "kinds.h"

#include <stdio.h>
#include <string.h>

void human_duration(char out[32], long long s) {
  if (s < -1) {
    snprintf(out, 32, "<invalid>");
    return;
  }
  if (s < 0) s = 0;
  if (s < 120) {
    snprintf(out, 32, "%llds", s);
    return;
  }
  long long m = s / 60, h = s / 3600;
  if (m < 10) {
    if (s % 60 == 0)
      snprintf(out, 32, "%lldm", m);
    else
      snprintf(out, 32, "%lldm%llds", m, s % 60);
  } else if (m < 180) {
    snprintf(out, 32, "%lldm", m);
  } else if (h < 8) {
    if (m % 60 == 0)
      snprintf(out, 32, "%lldh", h);
    else
      snprintf(out, 32, "%lldh%lldm", h, m % 60);
  } else if (h < 48) {
    snprintf(out, 32, "%lldh", h);
  } else if (h < 24 * 8) {
    if (h % 24 == 0)
      snprintf(out, 32, "%lldd", h / 24);
    else
      snprintf(out, 32, "%lldd%lldh", h / 24, h % 24);
  } else if (h < 24 * 365 * 2) {
    snprintf(out, 32, "%lldd", h / 24);
  } else if (h < 24 * 365 * 8) {
    long long dy = (h / 24) % 365;
    if (dy == 0)
      snprintf(out, 32, "%lldy", h / 24 / 365);
    else
      snprintf(out, 32, "%lldy%lldd", h / 24 / 365, dy);
  } else {
    snprintf(out, 32, "%lldy", h / 24 / 365);
  }
}

static void cell_s(ksmc_buf *b, const char *s) {
  if (b->n) ksmc_buf_putc(b, ',');
  ksmc_buf_putc(b, '"');
  json_escape(b, s, strlen(s));
  ksmc_buf_putc(b, '"');
}

static void cell_i(ksmc_buf *b, long long v) {
  char t[32];
  int n = snprintf(t, sizeof t, "%s%lld", b->n ? "," : "", v);
  ksmc_buf_put(b, t, (size_t)n);
}

static const char *str_or(jarena *a, const jv *v, const char *dflt) {
  char *s = jv_cstr(a, v);
  return s && *s ? s : dflt;
}

static void containers_images(jarena *a, const jv *tmpl_spec, ksmc_buf *b) {
  ksmc_buf names = {0}, images = {0};
  jv *cs = jo_get(tmpl_spec, "containers");
  for (jv *c = cs ? cs->head : NULL; c; c = c->next) {
    if (names.n) ksmc_buf_putc(&names, ',');
    if (images.n) ksmc_buf_putc(&images, ',');
    const char *n = str_or(a, jo_get(c, "name"), ""), *i = str_or(a, jo_get(c, "image"), "");
    ksmc_buf_put(&names, n, strlen(n));
    ksmc_buf_put(&images, i, strlen(i));
  }
  cell_s(b, names.n ? ksmc_buf_cstr(&names) : "");
  cell_s(b, images.n ? ksmc_buf_cstr(&images) : "");
  ksmc_buf_free(&names);
  ksmc_buf_free(&images);
}

static void selector_cell(jarena *a, const jv *sel, ksmc_buf *b) {
  ksmc_buf s = {0};
  jv *ml = jo_get(sel, "matchLabels");
  for (jv *l = ml ? ml->head : NULL; l; l = l->next) {
    if (s.n) ksmc_buf_putc(&s, ',');
    ksmc_buf_put(&s, l->key, l->klen);
    ksmc_buf_putc(&s, '=');
    const char *v = str_or(a, l, "");
    ksmc_buf_put(&s, v, strlen(v));
  }
  cell_s(b, s.n ? ksmc_buf_cstr(&s) : "<none>");
  ksmc_buf_free(&s);
}

static void pod_cells(jarena *a, const jv *root, ksmc_buf *pre, ksmc_buf *post) {
  jv *spec = jo_get(root, "spec"), *st = jo_get(root, "status");
  jv *meta = jo_get(root, "metadata");
  long long restarts = 0, total = (long long)jv_len(jo_get(spec, "containers")), ready = 0;
  const char *reason = str_or(a, jo_get(st, "phase"), "Pending");
  const char *r = str_or(a, jo_get(st, "reason"), NULL);
  if (r) reason = r;
  bool initializing = false;
  jv *ics = jo_get(st, "initContainerStatuses");
  int i = 0;
  char tmp[96];
  for (jv *c = ics ? ics->head : NULL; c; c = c->next, i++) {
    restarts += jv_int(jo_get(c, "restartCount"), 0);
    jv *term = jo_path(c, "state.terminated"), *wait = jo_path(c, "state.waiting");
    if (term && jv_int(jo_get(term, "exitCode"), 0) == 0) continue;
    if (term) {
      const char *tr = str_or(a, jo_get(term, "reason"), NULL);
      if (tr)
        snprintf(tmp, sizeof tmp, "Init:%s", tr);
      else
        snprintf(tmp, sizeof tmp, "Init:ExitCode:%lld", jv_int(jo_get(term, "exitCode"), 0));
    } else if (wait && str_or(a, jo_get(wait, "reason"), NULL) &&
               strcmp(str_or(a, jo_get(wait, "reason"), ""), "PodInitializing")) {
      snprintf(tmp, sizeof tmp, "Init:%s", str_or(a, jo_get(wait, "reason"), ""));
    } else {
      snprintf(tmp, sizeof tmp, "Init:%d/%zu", i, jv_len(jo_get(spec, "initContainers")));
    }
    reason = ja_strndup(a, tmp, strlen(tmp));
    initializing = true;
    break;
  }
  bool has_running = false;
  jv *cs = jo_get(st, "containerStatuses");
  if (!initializing) {
    restarts = 0;
    /* kubectl walks containers in reverse; the last one with a reason wins, so walk
     * forward and keep the first */
    const char *creason = NULL;
    for (jv *c = cs ? cs->head : NULL; c; c = c->next) {
      restarts += jv_int(jo_get(c, "restartCount"), 0);
      jv *term = jo_path(c, "state.terminated"), *wait = jo_path(c, "state.waiting");
      const char *cr = NULL;
      if (wait && str_or(a, jo_get(wait, "reason"), NULL))
        cr = str_or(a, jo_get(wait, "reason"), "");
      else if (term && str_or(a, jo_get(term, "reason"), NULL))
        cr = str_or(a, jo_get(term, "reason"), "");
      else if (term) {
        snprintf(tmp, sizeof tmp, "ExitCode:%lld", jv_int(jo_get(term, "exitCode"), 0));
        cr = ja_strndup(a, tmp, strlen(tmp));
      } else if (jo_path(c, "state.running") && jo_get(c, "ready") &&
                 jo_get(c, "ready")->t == JV_BOOL && jo_get(c, "ready")->n == 4) {
        has_running = true;
        ready++;
      }
      if (cr && !creason) creason = cr;
    }
    if (creason) reason = creason;
    if (!strcmp(reason, "Completed") && has_running) reason = "Running";
  } else {
    for (jv *c = cs ? cs->head : NULL; c; c = c->next)
      restarts += jv_int(jo_get(c, "restartCount"), 0);
  }
  if (jo_get(meta, "deletionTimestamp"))
    reason = !strcmp(reason, "NodeLost") ? "Unknown" : "Terminating";
  snprintf(tmp, sizeof tmp, "%lld/%lld", ready, total);
  cell_s(pre, tmp);
  cell_s(pre, reason);
  snprintf(tmp, sizeof tmp, "%lld", restarts);
  cell_s(pre, tmp);
  cell_s(post, str_or(a, jo_get(st, "podIP"), "<none>"));
  cell_s(post, str_or(a, jo_get(spec, "nodeName"), "<none>"));
  cell_s(post, str_or(a, jo_get(st, "nominatedNodeName"), "<none>"));
  cell_s(post, "<none>");
}

static void node_cells(jarena *a, const jv *root, ksmc_buf *pre, ksmc_buf *post) {
  jv *st = jo_get(root, "status"), *spec = jo_get(root, "spec");
  const char *status = "Unknown";
  jv *conds = jo_get(st, "conditions");
  for (jv *c = conds ? conds->head : NULL; c; c = c->next)
    if (jv_eq_cstr(jo_get(c, "type"), "Ready"))
      status = jv_eq_cstr(jo_get(c, "status"), "True") ? "Ready" : "NotReady";
  char tmp[256];
  jv *uns = jo_get(spec, "unschedulable");
  snprintf(tmp, sizeof tmp, "%s%s", status,
           uns && uns->t == JV_BOOL && uns->n == 4 ? ",SchedulingDisabled" : "");
  cell_s(pre, tmp);
  ksmc_buf roles = {0};
  jv *labels = jo_path(root, "metadata.labels");
  for (jv *l = labels ? labels->head : NULL; l; l = l->next) {
    const char *p = "node-role.kubernetes.io/";
    size_t pl = strlen(p);
    if (l->klen > pl && !memcmp(l->key, p, pl)) {
      if (roles.n) ksmc_buf_putc(&roles, ',');
      ksmc_buf_put(&roles, l->key + pl, l->klen - pl);
    }
  }
  cell_s(pre, roles.n ? ksmc_buf_cstr(&roles) : "<none>");
  ksmc_buf_free(&roles);
  cell_s(post, str_or(a, jo_path(st, "nodeInfo.kubeletVersion"), ""));
  const char *in = "<none>", *ex = "<none>";
  jv *addrs = jo_get(st, "addresses");
  for (jv *ad = addrs ? addrs->head : NULL; ad; ad = ad->next) {
    if (jv_eq_cstr(jo_get(ad, "type"), "InternalIP")) in = str_or(a, jo_get(ad, "address"), in);
    if (jv_eq_cstr(jo_get(ad, "type"), "ExternalIP")) ex = str_or(a, jo_get(ad, "address"), ex);
  }
  cell_s(post, in);
  cell_s(post, ex);
  cell_s(post, str_or(a, jo_path(st, "nodeInfo.osImage"), "<unknown>"));
  cell_s(post, str_or(a, jo_path(st, "nodeInfo.kernelVersion"), "<unknown>"));
  cell_s(post, str_or(a, jo_path(st, "nodeInfo.containerRuntimeVersion"), "<unknown>"));
}

void table_cells(jarena *ap, int kind, const jv *root, const char *name, ksmc_buf *pre,
                 ksmc_buf *post) {
  jarena *a = ap;
  cell_s(pre, name);
  jv *spec = jo_get(root, "spec"), *st = jo_get(root, "status");
  switch (KINDS[kind].table) {
  case TABLE_POD:
    pod_cells(a, root, pre, post);
    break;
  case TABLE_NODE:
    node_cells(a, root, pre, post);
    break;
  case TABLE_NAMESPACE:
    cell_s(pre, str_or(a, jo_get(st, "phase"), "Active"));
    break;
  case TABLE_DEPLOYMENT: {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%lld/%lld", jv_int(jo_get(st, "readyReplicas"), 0),
             jv_int(jo_get(spec, "replicas"), 1));
    cell_s(pre, tmp);
    cell_i(pre, jv_int(jo_get(st, "updatedReplicas"), 0));
    cell_i(pre, jv_int(jo_get(st, "availableReplicas"), 0));
    containers_images(a, jo_path(spec, "template.spec"), post);
    selector_cell(a, jo_get(spec, "selector"), post);
    break;
  }
  case TABLE_REPLICASET:
    cell_i(pre, jv_int(jo_get(spec, "replicas"), 1));
    cell_i(pre, jv_int(jo_get(st, "replicas"), 0));
    cell_i(pre, jv_int(jo_get(st, "readyReplicas"), 0));
    containers_images(a, jo_path(spec, "template.spec"), post);
    selector_cell(a, jo_get(spec, "selector"), post);
    break;
  default:
    break;
  }
  /* post cells start with ',' when not empty so the row is pre,age post */
  if (post->n) {
    ksmc_buf t = {0};
    ksmc_buf_putc(&t, ',');
    ksmc_buf_put(&t, post->p, post->n);
    ksmc_buf_reset(post);
    ksmc_buf_put(post, t.p, t.n);
    ksmc_buf_free(&t);
  }
}

static void col(ksmc_buf *b, const char *name, const char *type, const char *format,
                const char *desc, int prio) {
  char tmp[512];
  int n =
      snprintf(tmp, sizeof tmp,
               "%s{\"name\":\"%s\",\"type\":\"%s\",\"format\":\"%s\",\"description\":\"%s\","
               "\"priority\":%d}",
               b->p && b->n && b->p[b->n - 1] != '[' ? "," : "", name, type, format, desc, prio);
  ksmc_buf_put(b, tmp, (size_t)n);
}

#define NAME_DESC                                                                                  \
  "Name must be unique within a namespace. Is required when creating resources, although some "    \
  "resources may allow a client to request the generation of an appropriate name automatically."
#define AGE_DESC                                                                                   \
  "CreationTimestamp is a timestamp representing the server time when this object was created."

void table_columns(int kind, ksmc_buf *b) {
  ksmc_buf_putc(b, '[');
  col(b, "Name", "string", "name", NAME_DESC, 0);
  switch (KINDS[kind].table) {
  case TABLE_POD:
    col(b, "Ready", "string", "",
        "The aggregate readiness state of this pod for accepting traffic.", 0);
    col(b, "Status", "string", "", "The aggregate status of the containers in this pod.", 0);
    col(b, "Restarts", "string", "",
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted.",
        0);
    col(b, "Age", "string", "", AGE_DESC, 0);
    col(b, "IP", "string", "",
        "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet "
        "allocated.",
        1);
    col(b, "Node", "string", "", "NodeName is a request to schedule this pod onto a specific node.",
        1);
    col(b, "Nominated Node", "string", "",
        "nominatedNodeName is set only when this pod preempts other pods on the node.", 1);
    col(b, "Readiness Gates", "string", "",
        "If specified, all readiness gates will be evaluated for pod readiness.", 1);
    break;
  case TABLE_NODE:
    col(b, "Status", "string", "", "The status of the node", 0);
    col(b, "Roles", "string", "", "The roles of the node", 0);
    col(b, "Age", "string", "", AGE_DESC, 0);
    col(b, "Version", "string", "", "Kubelet Version reported by the node.", 0);
    col(b, "Internal-IP", "string", "", "List of addresses reachable to the node.", 1);
    col(b, "External-IP", "string", "", "List of addresses reachable to the node.", 1);
    col(b, "OS-Image", "string", "",
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
        1);
    col(b, "Kernel-Version", "string", "",
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1);
    col(b, "Container-Runtime", "string", "",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
        "containerd://1.4.2).",
        1);
    break;
  case TABLE_NAMESPACE:
    col(b, "Status", "string", "", "The status of the namespace", 0);
    col(b, "Age", "string", "", AGE_DESC, 0);
    break;
  case TABLE_DEPLOYMENT:
    col(b, "Ready", "string", "", "Number of the pod with ready state", 0);
    col(b, "Up-to-date", "integer", "",
        "Total number of non-terminated pods targeted by this deployment that have the desired "
        "template spec.",
        0);
    col(b, "Available", "integer", "",
        "Total number of available pods (ready for at least minReadySeconds) targeted by this "
        "deployment.",
        0);
    col(b, "Age", "string", "", AGE_DESC, 0);
    col(b, "Containers", "string", "", "Names of each container in the template.", 1);
    col(b, "Images", "string", "", "Images referenced by each container in the template.", 1);
    col(b, "Selector", "string", "",
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the "
        "ones affected by this deployment.",
        1);
    break;
  case TABLE_REPLICASET:
    col(b, "Desired", "integer", "", "Replicas is the number of desired replicas.", 0);
    col(b, "Current", "integer", "", "Replicas is the most recently observed number of replicas.",
        0);
    col(b, "Ready", "integer", "", "The number of ready replicas for this replica set.", 0);
    col(b, "Age", "string", "", AGE_DESC, 0);
    col(b, "Containers", "string", "", "Names of each container in the template.", 1);
    col(b, "Images", "string", "", "Images referenced by each container in the template.", 1);
    col(b, "Selector", "string", "",
        "Selector is a label query over pods that should match the replica count.", 1);
    break;
  default:
    col(b, "Age", "string", "", AGE_DESC, 0);
    break;
  }
  ksmc_buf_putc(b, ']');
}
