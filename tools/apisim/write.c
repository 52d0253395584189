/* write: POST (create), PUT (update), PATCH (merge and strategic-merge as merge) and
 * DELETE, enough for `kubectl apply -f`, `kubectl edit`, `kubectl label` and `kubectl
 * delete`. */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result send_obj(req *r, int code, obj *o) {
  rbuilder rb = {0};
  rb_str(&rb, o->kind_prefix);
  rb_ext(&rb, o, o->buf + 2, o->len - 2);
  obj_unref(o);
  return rb_send(r, &rb, code, "application/json");
}

static enum MHD_Result not_found(req *r, int kind, const char *name) {
  char msg[400], det[400];
  snprintf(msg, sizeof msg, "%s \"%.150s\" not found", KINDS[kind].resource, name);
  snprintf(det, sizeof det, "{\"name\":\"%.150s\",\"kind\":\"%s\"}", name, KINDS[kind].resource);
  return send_status_details(r, 404, "NotFound", msg, det);
}

static bool json_body(req *r) {
  const char *ct = req_header(r, "Content-Type");
  return !ct || !strncmp(ct, "application/json", 16);
}

static jv *parse_body(req *r, jarena *a, const char **err) {
  if (!r->body.n) {
    *err = "request body is empty";
    return NULL;
  }
  char *text = ja_strndup(a, r->body.p, r->body.n);
  jv *v = jv_parse(a, text, r->body.n, err);
  if (v && v->t != JV_OBJ) {
    *err = "request body must be a JSON object";
    return NULL;
  }
  return v;
}

static const char *check_kind(int kind, jv *root, jarena *a) {
  const kind_def *k = &KINDS[kind];
  char *kd = jv_cstr(a, jo_get(root, "kind"));
  char *av = jv_cstr(a, jo_get(root, "apiVersion"));
  char want[64];
  kind_api_version(k, want, sizeof want);
  if (kd && strcmp(kd, k->kind)) return "the object's kind does not match the request path";
  if (av && strcmp(av, want)) return "the object's apiVersion does not match the request path";
  return NULL;
}

/* The JSON object a create or update sends, parsed into a; NULL after answering 415 (not
 * JSON) or 400 (empty, malformed, not an object) with *ret set (a is then freed). */
static jv *object_body(req *r, jarena *a, enum MHD_Result *ret) {
  if (!json_body(r)) {
    *ret = send_status(r, 415, "UnsupportedMediaType",
                       "the body of the request was in an unknown format - accepted media types "
                       "include: application/json");
    return NULL;
  }
  const char *err = NULL;
  jv *root = parse_body(r, a, &err);
  if (!root) {
    *ret = send_status(r, 400, "BadRequest", err);
    ja_free(a);
  }
  return root;
}

static bool dry_run(req *r) {
  const char *d = req_arg(r, "dryRun");
  return d && *d;
}

enum MHD_Result handle_create(req *r, int kind, const char *ns) {
  apisim *sim = r->sim;
  atomic_fetch_add(&sim->stats.writes, 1);
  jarena a = {0};
  enum MHD_Result ret;
  jv *root = object_body(r, &a, &ret);
  if (!root) return ret;
  const char *e = check_kind(kind, root, &a);
  if (e) {
    ret = send_status(r, 400, "BadRequest", e);
    ja_free(&a);
    return ret;
  }
  jv *meta = jo_obj(&a, root, "metadata");
  if (KINDS[kind].namespaced) {
    char *bns = jv_cstr(&a, jo_get(meta, "namespace"));
    if (!bns)
      jo_set(&a, meta, "namespace", jv_str(&a, ns ? ns : "default"));
    else if (ns && strcmp(bns, ns)) {
      ja_free(&a);
      return send_status(
          r, 400, "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request");
    }
  }
  char *name = jv_cstr(&a, jo_get(meta, "name"));
  char *gen = jv_cstr(&a, jo_get(meta, "generateName"));
  if ((!name || !*name) && gen) {
    char nm[300];
    pthread_mutex_lock(&sim->st.mu);
    uint64_t x = ++sim->st.uid_counter * 0x9E3779B97F4A7C15ull;
    pthread_mutex_unlock(&sim->st.mu);
    const char al[] = "bcdfghjklmnpqrstvwxz2456789";
    char sfx[6];
    for (int i = 0; i < 5; i++) sfx[i] = al[(x >> (i * 8)) % (sizeof al - 1)];
    sfx[5] = 0;
    snprintf(nm, sizeof nm, "%.250s%s", gen, sfx);
    jo_set(&a, meta, "name", jv_str(&a, nm));
    name = jv_cstr(&a, jo_get(meta, "name"));
  }
  if (!name || !*name) {
    ja_free(&a);
    return send_status(r, 422, "Invalid",
                       "metadata.name: Required value: name or generateName is required");
  }
  if (jv_eq_cstr(jo_get(root, "kind"), "Pod") || KINDS[kind].table == TABLE_POD) {
    jv *st = jo_obj(&a, root, "status");
    if (!jo_get(st, "phase")) jo_set(&a, st, "phase", jv_str(&a, "Pending"));
    if (!jo_get(st, "qosClass")) jo_set(&a, st, "qosClass", jv_str(&a, "BestEffort"));
  }
  if (dry_run(r)) {
    obj *o = obj_build(kind, root, sim->st.rv, &a);
    ja_free(&a);
    return send_obj(r, 201, o);
  }
  obj *o = NULL;
  store_status st = store_create(&sim->st, kind, root, &a, &o);
  if (st == ST_OK)
    ret = send_obj(r, 201, o);
  else if (st == ST_EXISTS) {
    char msg[400], det[400];
    snprintf(msg, sizeof msg, "%s \"%.150s\" already exists", KINDS[kind].resource, name);
    snprintf(det, sizeof det, "{\"name\":\"%.150s\",\"kind\":\"%s\"}", name, KINDS[kind].resource);
    ret = send_status_details(r, 409, "AlreadyExists", msg, det);
  } else {
    ret = send_status(r, 422, "Invalid", "the object is invalid (name and namespace are required)");
  }
  ja_free(&a);
  return ret;
}

static enum MHD_Result finish_update(req *r, int kind, const char *name, jv *root, jarena *a,
                                     uint64_t check_rv) {
  apisim *sim = r->sim;
  if (dry_run(r)) {
    obj *o = obj_build(kind, root, sim->st.rv, a);
    ja_free(a);
    return send_obj(r, 200, o);
  }
  obj *o = NULL;
  store_status st = store_update(&sim->st, kind, root, a, check_rv, &o);
  enum MHD_Result ret;
  if (st == ST_OK)
    ret = send_obj(r, 200, o);
  else if (st == ST_NOTFOUND)
    ret = not_found(r, kind, name);
  else if (st == ST_CONFLICT) {
    char msg[500];
    snprintf(msg, sizeof msg,
             "Operation cannot be fulfilled on %s \"%.150s\": the object has been modified; please "
             "apply your changes to the latest version and try again",
             KINDS[kind].resource, name);
    ret = send_status(r, 409, "Conflict", msg);
  } else {
    ret = send_status(r, 422, "Invalid", "the object is invalid");
  }
  ja_free(a);
  return ret;
}

enum MHD_Result handle_update(req *r, int kind, const char *ns, const char *name) {
  atomic_fetch_add(&r->sim->stats.writes, 1);
  jarena a = {0};
  enum MHD_Result ret;
  jv *root = object_body(r, &a, &ret);
  if (!root) return ret;
  const char *e = check_kind(kind, root, &a);
  jv *meta = jo_obj(&a, root, "metadata");
  char *bname = jv_cstr(&a, jo_get(meta, "name"));
  if (!e && bname && strcmp(bname, name))
    e = "the name of the object does not match the name on the URL";
  if (e) {
    ret = send_status(r, 400, "BadRequest", e);
    ja_free(&a);
    return ret;
  }
  jo_set(&a, meta, "name", jv_str(&a, name));
  if (KINDS[kind].namespaced) jo_set(&a, meta, "namespace", jv_str(&a, ns ? ns : "default"));
  char *rvs = jv_cstr(&a, jo_get(meta, "resourceVersion"));
  uint64_t check = rvs ? strtoull(rvs, NULL, 10) : 0;
  return finish_update(r, kind, name, root, &a, check);
}

enum MHD_Result handle_patch(req *r, int kind, const char *ns, const char *name) {
  apisim *sim = r->sim;
  atomic_fetch_add(&sim->stats.writes, 1);
  const char *ct = req_header(r, "Content-Type");
  if (!ct || (strncmp(ct, "application/merge-patch+json", 28) &&
              strncmp(ct, "application/strategic-merge-patch+json", 38)))
    return send_status(
        r, 415, "UnsupportedMediaType",
        "apisim supports only application/merge-patch+json and "
        "application/strategic-merge-patch+json (lists of objects merged by their usual keys)");
  obj *cur = store_get(&sim->st, kind, ns, name);
  if (!cur) return not_found(r, kind, name);
  jarena a = {0};
  const char *err = NULL;
  jv *patch = parse_body(r, &a, &err);
  if (!patch) {
    obj_unref(cur);
    enum MHD_Result ret = send_status(r, 400, "BadRequest", err);
    ja_free(&a);
    return ret;
  }
  jv *root = obj_parse(cur, &a);
  obj_unref(cur);
  if (!strncmp(ct, "application/strategic-merge-patch+json", 38))
    root = jv_strategic_patch(&a, root, patch);
  else
    root = jv_merge_patch(&a, root, patch);
  jv *meta = jo_obj(&a, root, "metadata");
  jo_set(&a, meta, "name", jv_str(&a, name));
  if (KINDS[kind].namespaced) jo_set(&a, meta, "namespace", jv_str(&a, ns ? ns : "default"));
  char *prv = jv_cstr(&a, jo_path(patch, "metadata.resourceVersion"));
  return finish_update(r, kind, name, root, &a, prv ? strtoull(prv, NULL, 10) : 0);
}

enum MHD_Result handle_delete(req *r, int kind, const char *ns, const char *name) {
  apisim *sim = r->sim;
  atomic_fetch_add(&sim->stats.writes, 1);
  if (dry_run(r)) {
    obj *o = store_get(&sim->st, kind, ns, name);
    return o ? send_obj(r, 200, o) : not_found(r, kind, name);
  }
  obj *o = NULL;
  if (store_delete(&sim->st, kind, ns, name, &o) != ST_OK) return not_found(r, kind, name);
  return send_obj(r, 200, o);
}
