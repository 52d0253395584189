/* discovery: /version, /api, /apis, /api/v1, /apis/<g>/<v> in the legacy shapes every
 * kubectl from 1.27 to 1.33 accepts. */
#include "http.h"
#include "kinds.h"

#include <stdio.h>
#include <string.h>

static void resource_list(ksmc_buf *b, const char *group, const char *version) {
  char gv[96];
  if (group[0])
    snprintf(gv, sizeof gv, "%s/%s", group, version);
  else
    snprintf(gv, sizeof gv, "%s", version);
  char tmp[1024];
  int n = snprintf(tmp, sizeof tmp,
                   "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"%s\","
                   "\"resources\":[",
                   gv);
  ksmc_buf_put(b, tmp, (size_t)n);
  bool first = true;
  for (size_t i = 0; i < NKINDS; i++) {
    const kind_def *k = &KINDS[i];
    if (strcmp(k->group, group) || strcmp(k->version, version)) continue;
    const char *verbs = "\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"";
    n = snprintf(tmp, sizeof tmp,
                 "%s{\"name\":\"%s\",\"singularName\":\"%s\",\"namespaced\":%s,\"kind\":\"%s\","
                 "\"verbs\":[%s]%s%s%s%s%s%s}",
                 first ? "" : ",", k->resource, k->singular, k->namespaced ? "true" : "false",
                 k->kind, verbs, k->short_names[0] ? ",\"shortNames\":[" : "", k->short_names,
                 k->short_names[0] ? "]" : "", k->categories[0] ? ",\"categories\":[" : "",
                 k->categories, k->categories[0] ? "]" : "");
    ksmc_buf_put(b, tmp, (size_t)n);
    n = snprintf(tmp, sizeof tmp,
                 ",{\"name\":\"%s/status\",\"singularName\":\"\",\"namespaced\":%s,\"kind\":\"%s\","
                 "\"verbs\":[\"get\",\"patch\",\"update\"]}",
                 k->resource, k->namespaced ? "true" : "false", k->kind);
    ksmc_buf_put(b, tmp, (size_t)n);
    first = false;
  }
  ksmc_buf_put(b, "]}", 2);
}

static bool group_version_known(const char *group, const char *version) {
  for (size_t i = 0; i < NKINDS; i++)
    if (!strcmp(KINDS[i].group, group) && !strcmp(KINDS[i].version, version)) return true;
  return false;
}

/* Minimal OpenAPI v3: only what kubectl's field-validation verifier reads (the PATCH
 * operation of each kind, tagged with its GVK and a fieldValidation parameter), so
 * `kubectl apply` uses server-side validation (which apisim accepts) and needs no schemas. */
static void openapi_gv(ksmc_buf *b, const char *group, const char *version) {
  ksmc_buf_puts(b, KSMC_LIT("{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"Kubernetes\",\"version\":"
                            "\"v1.32.0\"},\"paths\":{"));
  bool first = true;
  char tmp[1600];
  for (size_t i = 0; i < NKINDS; i++) {
    const kind_def *k = &KINDS[i];
    if (strcmp(k->group, group) || strcmp(k->version, version)) continue;
    char prefix[96];
    if (group[0])
      snprintf(prefix, sizeof prefix, "/apis/%s/%s", group, version);
    else
      snprintf(prefix, sizeof prefix, "/api/%s", version);
    const char *param =
        "{\"name\":\"fieldValidation\",\"in\":\"query\",\"description\":\"fieldValidation "
        "instructs the server on how to handle objects in the request containing unknown or "
        "duplicate fields.\",\"schema\":{\"type\":\"string\",\"uniqueItems\":true}}";
    int n =
        snprintf(tmp, sizeof tmp,
                 "%s\"%s%s/%s/{name}\":{\"parameters\":[%s],\"patch\":{\"operationId\":\"patch%s\","
                 "\"parameters\":[%s],\"responses\":{\"200\":{\"description\":\"OK\"}},"
                 "\"x-kubernetes-action\":\"patch\",\"x-kubernetes-group-version-kind\":{"
                 "\"group\":\"%s\",\"kind\":\"%s\",\"version\":\"%s\"}}}",
                 first ? "" : ",", prefix, k->namespaced ? "/namespaces/{namespace}" : "",
                 k->resource, param, k->kind, param, group, k->kind, version);
    ksmc_buf_put(b, tmp, (size_t)n);
    first = false;
  }
  ksmc_buf_puts(b, KSMC_LIT("},\"components\":{\"schemas\":{}}}"));
}

enum MHD_Result handle_openapi(req *r, const char *path) {
  ksmc_buf b = {0};
  if (!strcmp(path, "/openapi/v3") || !strcmp(path, "/openapi/v3/")) {
    ksmc_buf_puts(&b, KSMC_LIT("{\"paths\":{"));
    bool first = true;
    for (size_t i = 0; i < NKINDS; i++) {
      bool seen = false;
      for (size_t j = 0; j < i; j++)
        if (!strcmp(KINDS[j].group, KINDS[i].group) && !strcmp(KINDS[j].version, KINDS[i].version))
          seen = true;
      if (seen) continue;
      char tmp[300];
      int n;
      if (KINDS[i].group[0])
        n = snprintf(tmp, sizeof tmp,
                     "%s\"apis/%s/%s\":{\"serverRelativeURL\":\"/openapi/v3/apis/%s/%s?hash=A1\"}",
                     first ? "" : ",", KINDS[i].group, KINDS[i].version, KINDS[i].group,
                     KINDS[i].version);
      else
        n = snprintf(tmp, sizeof tmp,
                     "%s\"api/%s\":{\"serverRelativeURL\":\"/openapi/v3/api/%s?hash=A1\"}",
                     first ? "" : ",", KINDS[i].version, KINDS[i].version);
      ksmc_buf_put(&b, tmp, (size_t)n);
      first = false;
    }
    ksmc_buf_puts(&b, KSMC_LIT("}}"));
    return send_body(r, 200, "application/json", &b);
  }
  char group[64], version[32];
  if (sscanf(path, "/openapi/v3/apis/%63[^/]/%31[^/?]", group, version) == 2 ||
      (group[0] = 0, sscanf(path, "/openapi/v3/api/%31[^/?]", version) == 1)) {
    openapi_gv(&b, group, version);
    if (b.n > 200) return send_body(r, 200, "application/json", &b);
  }
  ksmc_buf_free(&b);
  return send_status_details(r, 404, "NotFound", "the server could not find the requested resource",
                             "{}");
}

enum MHD_Result send_resource_list(req *r, const char *group, const char *version) {
  ksmc_buf b = {0};
  resource_list(&b, group, version);
  return send_body(r, 200, "application/json", &b);
}

enum MHD_Result handle_discovery(req *r, const char *path) {
  if (strcmp(r->method, "GET"))
    return send_status(r, 405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource");
  ksmc_buf b = {0};
  char tmp[1024];
  if (!strcmp(path, "/version")) {
    int m = r->sim->cfg.kube_minor;
    int n = snprintf(tmp, sizeof tmp,
                     "{\"major\":\"1\",\"minor\":\"%d\",\"gitVersion\":\"v1.%d.0-apisim\","
                     "\"gitCommit\":\"0000000000000000000000000000000000000000\","
                     "\"gitTreeState\":\"clean\",\"buildDate\":\"2026-01-01T00:00:00Z\","
                     "\"goVersion\":\"go1.23.0\",\"compiler\":\"gc\",\"platform\":\"linux/amd64\"}",
                     m, m);
    ksmc_buf_put(&b, tmp, (size_t)n);
    return send_body(r, 200, "application/json", &b);
  }
  if (!strcmp(path, "/api") || !strcmp(path, "/api/")) {
    int n =
        snprintf(tmp, sizeof tmp,
                 "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
                 "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1:%d\"}]}",
                 r->sim->port);
    ksmc_buf_put(&b, tmp, (size_t)n);
    return send_body(r, 200, "application/json", &b);
  }
  if (!strcmp(path, "/api/v1") || !strcmp(path, "/api/v1/")) return send_resource_list(r, "", "v1");
  if (!strcmp(path, "/apis") || !strcmp(path, "/apis/")) {
    ksmc_buf_puts(&b, KSMC_LIT("{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":["));
    bool first = true;
    for (size_t i = 0; i < NKINDS; i++) {
      const kind_def *k = &KINDS[i];
      if (!k->group[0]) continue;
      bool seen = false;
      for (size_t j = 0; j < i; j++)
        if (!strcmp(KINDS[j].group, k->group)) seen = true;
      if (seen) continue;
      int n =
          snprintf(tmp, sizeof tmp,
                   "%s{\"name\":\"%s\",\"versions\":[{\"groupVersion\":\"%s/%s\",\"version\":"
                   "\"%s\"}],\"preferredVersion\":{\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}}",
                   first ? "" : ",", k->group, k->group, k->version, k->version, k->group,
                   k->version, k->version);
      ksmc_buf_put(&b, tmp, (size_t)n);
      first = false;
    }
    ksmc_buf_put(&b, "]}", 2);
    return send_body(r, 200, "application/json", &b);
  }
  char group[64], version[32];
  if (sscanf(path, "/apis/%63[^/]/%31[^/]", group, version) == 2 &&
      group_version_known(group, version))
    return send_resource_list(r, group, version);
  if (sscanf(path, "/apis/%63[^/]", group) == 1) {
    for (size_t i = 0; i < NKINDS; i++) {
      const kind_def *k = &KINDS[i];
      if (strcmp(k->group, group) || strchr(path + 6, '/')) continue;
      int n =
          snprintf(tmp, sizeof tmp,
                   "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"%s\",\"versions\":[{"
                   "\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}],\"preferredVersion\":{"
                   "\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}}",
                   k->group, k->group, k->version, k->version, k->group, k->version, k->version);
      ksmc_buf_put(&b, tmp, (size_t)n);
      return send_body(r, 200, "application/json", &b);
    }
  }
  ksmc_buf_free(&b);
  return send_status_details(r, 404, "NotFound", "the server could not find the requested resource",
                             "{}");
}
