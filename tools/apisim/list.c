/* list: LIST with limit/continue pagination over server-side snapshots (so every page of
 * one list sees the same state), resourceVersion rules, selectors, and the three output
 * shapes (typed list, Table, PartialObjectMetadataList). Items are never re-serialized:
 * the response is a segment list pointing into the shared object versions. Also GET. */
#include "http.h"
#include "selector.h"
#include "table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64url(const char *in, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned char)in[i] << 16;
    if (i + 1 < n) v |= (unsigned char)in[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned char)in[i + 2];
    out[o++] = B64[(v >> 18) & 63];
    out[o++] = B64[(v >> 12) & 63];
    if (i + 1 < n) out[o++] = B64[(v >> 6) & 63];
    if (i + 2 < n) out[o++] = B64[v & 63];
  }
  out[o] = 0;
}

static bool unb64url(const char *in, char *out, size_t outn) {
  size_t o = 0;
  unsigned v = 0;
  int bits = 0;
  for (const char *p = in; *p; p++) {
    const char *q = strchr(B64, *p);
    if (*p == '=') break;
    if (!q) return false;
    v = (v << 6) | (unsigned)(q - B64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o + 1 >= outn) return false;
      out[o++] = (char)((v >> bits) & 0xff);
    }
  }
  out[o] = 0;
  return true;
}

static void make_token(char *out, uint64_t id, size_t idx, uint64_t rv, const char *key) {
  char raw[700];
  int n = snprintf(
      raw, sizeof raw,
      "{\"v\":\"meta.k8s.io/v1\",\"rv\":%llu,\"snap\":%llu,\"i\":%zu,\"start\":\"%.400s\"}",
      (unsigned long long)rv, (unsigned long long)id, idx, key);
  b64url(raw, (size_t)n, out);
}

static bool parse_token(const char *tok, uint64_t *id, size_t *idx, uint64_t *rv) {
  char raw[800];
  if (strlen(tok) > 1000 || !unb64url(tok, raw, sizeof raw)) return false;
  unsigned long long r, s;
  size_t i;
  if (sscanf(raw, "{\"v\":\"meta.k8s.io/v1\",\"rv\":%llu,\"snap\":%llu,\"i\":%zu", &r, &s, &i) != 3)
    return false;
  *id = s;
  *idx = i;
  *rv = r;
  return true;
}

static bool parse_rv(const char *s, uint64_t *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || errno || s[0] == '-') return false;
  *out = v;
  return true;
}

static void write_age(rbuilder *rb, const obj *o, time_t now) {
  char age[32];
  if (o->created)
    human_duration(age, (long long)(now - o->created));
  else
    snprintf(age, sizeof age, "<unknown>");
  rb_fmt(rb, ",\"%s\"", age);
}

void table_row(rbuilder *rb, req *r, obj *o, uint64_t rv_override, time_t now) {
  rb_str(rb, "{\"cells\":[");
  rb_str(rb, o->cells_pre);
  write_age(rb, o, now);
  rb_str(rb, o->cells_post);
  rb_str(rb, "]");
  const char *inc = req_arg(r, "includeObject");
  if (inc && !strcmp(inc, "None")) {
    /* no object */
  } else if (inc && !strcmp(inc, "Object")) {
    rb_str(rb, ",\"object\":");
    rb_str(rb, o->kind_prefix);
    if (rv_override) {
      ksmc_buf t = {0};
      obj_write_range(&t, o, 2, o->len, rv_override);
      rb_lit(rb, t.p, t.n);
      ksmc_buf_free(&t);
    } else {
      rb_ext(rb, o, o->buf + 2, o->len - 2);
    }
  } else {
    rb_str(rb, ",\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/"
               "v1\",\"metadata\":");
    if (rv_override) {
      ksmc_buf t = {0};
      obj_write_range(&t, o, o->meta_off, o->meta_off + o->meta_len, rv_override);
      rb_lit(rb, t.p, t.n);
      ksmc_buf_free(&t);
    } else {
      rb_ext(rb, o, o->buf + o->meta_off, o->meta_len);
    }
    rb_str(rb, "}");
  }
  rb_str(rb, "}");
}

static bool in_ns(const obj *o, const char *ns) { return !ns || !strcmp(o->ns, ns); }

enum MHD_Result handle_list(req *r, int kind, const char *ns) {
  apisim *sim = r->sim;
  store *s = &sim->st;
  const kind_def *k = &KINDS[kind];
  atomic_fetch_add(&sim->stats.lists, 1);
  const char *rvs = req_arg(r, "resourceVersion");
  const char *rvm = req_arg(r, "resourceVersionMatch");
  const char *cont = req_arg(r, "continue");
  const char *lim = req_arg(r, "limit");
  if (rvs && !*rvs) rvs = NULL;
  if (rvm && !*rvm) rvm = NULL;
  if (cont && !*cont) cont = NULL;
  char err[600];
  if (req_arg(r, "sendInitialEvents"))
    return send_status(r, 422, "Invalid",
                       "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: "
                       "sendInitialEvents is forbidden for list");
  if (rvm) {
    if (!rvs)
      return send_status(
          r, 422, "Invalid",
          "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: "
          "resourceVersionMatch is forbidden unless resourceVersion is provided");
    if (cont)
      return send_status(r, 422, "Invalid",
                         "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
                         "Forbidden: resourceVersionMatch is forbidden when continue is provided");
    if (strcmp(rvm, "Exact") && strcmp(rvm, "NotOlderThan")) {
      snprintf(err, sizeof err,
               "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: "
               "\"%.100s\": supported values: \"Exact\", \"NotOlderThan\", \"\"",
               rvm);
      return send_status(r, 422, "Invalid", err);
    }
    if (!strcmp(rvm, "Exact") && !strcmp(rvs, "0"))
      return send_status(
          r, 422, "Invalid",
          "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: "
          "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
  }
  if (cont && rvs && strcmp(rvs, "0"))
    return send_status(r, 400, "BadRequest",
                       "specifying resource version is not allowed when using continue");
  uint64_t want_rv = 0;
  if (rvs && !parse_rv(rvs, &want_rv)) {
    snprintf(err, sizeof err, "invalid resource version: %.100s", rvs);
    return send_status(r, 400, "BadRequest", err);
  }
  selector ls, fs;
  const char *e = label_selector_parse(&ls, req_arg(r, "labelSelector"), err, sizeof err);
  if (e) {
    selector_free(&ls);
    return send_status(r, 400, "BadRequest", e);
  }
  e = field_selector_parse(&fs, kind, req_arg(r, "fieldSelector"), err, sizeof err);
  if (e) {
    selector_free(&ls);
    selector_free(&fs);
    return send_status(r, 400, "BadRequest", e);
  }
  long limit = lim ? strtol(lim, NULL, 10) : 0;
  if (limit < 0) limit = 0;
  if (rvs && !strcmp(rvs, "0") && !cont) limit = 0; /* the watch cache ignores limit at RV=0 */
  bool filtered = ls.n || fs.n;

  uint64_t snap_id = 0;
  size_t idx = 0;
  if (cont) {
    uint64_t trv;
    if (!parse_token(cont, &snap_id, &idx, &trv)) {
      selector_free(&ls);
      selector_free(&fs);
      return send_status(r, 400, "BadRequest", "invalid continue token: malformed token");
    }
    if (fault_take(&sim->faults, &sim->faults.expire_continue)) {
      atomic_fetch_add(&sim->stats.faults_injected, 1);
      snap_id = UINT64_MAX; /* forces Expired below */
    }
  }

  int out = req_output(r);
  obj **items = NULL;
  size_t nitems = 0, cap = 0;
  uint64_t list_rv;
  bool more = false;
  size_t remaining = 0;
  char token[1024] = "";

  pthread_mutex_lock(&s->mu);
  kstore *ks = &s->k[kind];
  obj **src = ks->v;
  size_t srcn = ks->n;
  list_rv = s->rv;
  if (cont) {
    snapshot *sn =
        snap_id == UINT64_MAX ? NULL : store_find_snapshot_locked(s, snap_id, time(NULL));
    if (!sn || sn->kind != kind) {
      pthread_mutex_unlock(&s->mu);
      selector_free(&ls);
      selector_free(&fs);
      return send_status(r, 410, "Expired",
                         "The provided continue parameter is too old to display a consistent list "
                         "result. You can start a new list without the continue parameter.");
    }
    src = sn->v;
    srcn = sn->n;
    list_rv = sn->rv;
  } else if (rvs && strcmp(rvs, "0")) {
    bool exact = (rvm && !strcmp(rvm, "Exact")) || (!rvm && limit > 0);
    if (want_rv > s->rv) {
      pthread_mutex_unlock(&s->mu);
      selector_free(&ls);
      selector_free(&fs);
      snprintf(err, sizeof err, "Too large resource version: %llu, current: %llu",
               (unsigned long long)want_rv, (unsigned long long)list_rv);
      return send_status_details(r, 504, "Timeout", err,
                                 "{\"causes\":[{\"reason\":\"ResourceVersionTooLarge\",\"message\":"
                                 "\"Too large resource version\"}],\"retryAfterSeconds\":1}");
    }
    if (exact && want_rv < ks->evicted_rv) {
      pthread_mutex_unlock(&s->mu);
      selector_free(&ls);
      selector_free(&fs);
      return send_status(r, 410, "Expired",
                         "The resourceVersion for the provided list is too old.");
    }
  }
  if (!cont && ns) {
    char pfx[300];
    snprintf(pfx, sizeof pfx, "%s/", ns);
    idx = store_lower_bound_locked(ks, pfx);
  }
  size_t i = idx;
  for (; i < srcn; i++) {
    obj *o = src[i];
    if (ns && strcmp(o->ns, ns)) {
      if (strcmp(o->ns, ns) > 0) {
        i = srcn;
        break;
      }
      continue;
    }
    if (limit && nitems == (size_t)limit) break;
    if (filtered && !(label_selector_match(&ls, o) && field_selector_match(&fs, o))) continue;
    if (nitems == cap) {
      cap = cap ? cap * 2 : 1024;
      items = realloc(items, cap * sizeof *items);
      if (!items) abort();
    }
    items[nitems++] = obj_ref(o);
  }
  /* more items in range? */
  if (i < srcn && in_ns(src[i], ns)) {
    more = true;
    if (!cont) snap_id = store_snapshot_locked(s, kind);
    if (!filtered) {
      size_t j = i;
      if (ns) {
        while (j < srcn && !strcmp(src[j]->ns, ns)) j++;
      } else {
        j = srcn;
      }
      remaining = j - i;
    }
    make_token(token, snap_id, i, list_rv, src[i]->key);
  }
  pthread_mutex_unlock(&s->mu);
  selector_free(&ls);
  selector_free(&fs);

  rbuilder rb = {0};
  char av[64];
  kind_api_version(k, av, sizeof av);
  char meta[1400];
  int mn =
      snprintf(meta, sizeof meta, "{\"resourceVersion\":\"%llu\"", (unsigned long long)list_rv);
  if (more) {
    mn += snprintf(meta + mn, sizeof meta - (size_t)mn, ",\"continue\":\"%s\"", token);
    if (remaining)
      mn += snprintf(meta + mn, sizeof meta - (size_t)mn, ",\"remainingItemCount\":%zu", remaining);
  }
  snprintf(meta + mn, sizeof meta - (size_t)mn, "}");
  time_t now = time(NULL);
  if (out == OUT_TABLE) {
    rb_fmt(&rb,
           "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/"
           "v1\",\"metadata\":%s,\"columnDefinitions\":",
           meta);
    ksmc_buf cols = {0};
    table_columns(kind, &cols);
    rb_lit(&rb, cols.p, cols.n);
    ksmc_buf_free(&cols);
    rb_str(&rb, ",\"rows\":[");
    for (size_t j = 0; j < nitems; j++) {
      if (j) rb_str(&rb, ",");
      table_row(&rb, r, items[j], 0, now);
    }
    rb_str(&rb, "]}");
  } else if (out == OUT_PARTIAL) {
    rb_fmt(&rb,
           "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":\"meta.k8s.io/"
           "v1\",\"metadata\":%s,\"items\":[",
           meta);
    for (size_t j = 0; j < nitems; j++) {
      rb_str(
          &rb,
          j ? ",{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":"
            : "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/"
              "v1\",\"metadata\":");
      rb_ext(&rb, items[j], items[j]->buf + items[j]->meta_off, items[j]->meta_len);
      rb_str(&rb, "}");
    }
    rb_str(&rb, "]}");
  } else {
    rb_fmt(&rb, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":%s,\"items\":[", k->list_kind,
           av, meta);
    for (size_t j = 0; j < nitems; j++)
      rb_ext(&rb, items[j], j ? items[j]->buf : items[j]->buf + 1,
             j ? items[j]->len : items[j]->len - 1);
    rb_str(&rb, "]}");
  }
  for (size_t j = 0; j < nitems; j++) obj_unref(items[j]);
  free(items);
  return rb_send(r, &rb, 200, "application/json");
}

enum MHD_Result handle_get(req *r, int kind, const char *ns, const char *name) {
  apisim *sim = r->sim;
  atomic_fetch_add(&sim->stats.gets, 1);
  obj *o = store_get(&sim->st, kind, ns, name);
  if (!o) {
    char msg[400], det[400];
    snprintf(msg, sizeof msg, "%s \"%.150s\" not found", KINDS[kind].resource, name);
    snprintf(det, sizeof det, "{\"name\":\"%.150s\",\"kind\":\"%s\"}", name, KINDS[kind].resource);
    return send_status_details(r, 404, "NotFound", msg, det);
  }
  rbuilder rb = {0};
  int out = req_output(r);
  if (out == OUT_TABLE) {
    rb_fmt(&rb,
           "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/"
           "v1\",\"metadata\":{\"resourceVersion\":\"%llu\"},\"columnDefinitions\":",
           (unsigned long long)o->rv);
    ksmc_buf cols = {0};
    table_columns(kind, &cols);
    rb_lit(&rb, cols.p, cols.n);
    ksmc_buf_free(&cols);
    rb_str(&rb, ",\"rows\":[");
    table_row(&rb, r, o, 0, time(NULL));
    rb_str(&rb, "]}");
  } else if (out == OUT_PARTIAL) {
    rb_str(&rb,
           "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":");
    rb_ext(&rb, o, o->buf + o->meta_off, o->meta_len);
    rb_str(&rb, "}");
  } else {
    rb_str(&rb, o->kind_prefix);
    rb_ext(&rb, o, o->buf + 2, o->len - 2);
  }
  obj_unref(o);
  return rb_send(r, &rb, 200, "application/json");
}
