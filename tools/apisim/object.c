#include "object.h"
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *xstrdup(const char *s) {
  char *p = strdup(s ? s : "");
  if (!p) abort();
  return p;
}

void fmt_time(char out[32], time_t t) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t parse_time(const char *s) {
  struct tm tm = {0};
  if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

static void write_member_key(ksmc_buf *b, const jv *m) {
  ksmc_buf_putc(b, '"');
  ksmc_buf_put(b, m->key, m->klen);
  ksmc_buf_put(b, "\":", 2);
}

obj *obj_build(int kind, jv *root, uint64_t rv, jarena *a) {
  const kind_def *k = &KINDS[kind];
  obj *o = calloc(1, sizeof *o);
  if (!o) abort();
  atomic_init(&o->refs, 1);
  o->kind = kind;
  o->rv = rv;
  jo_del(root, "kind");
  jo_del(root, "apiVersion");
  jv *meta = jo_obj(a, root, "metadata");
  char rvs[24];
  snprintf(rvs, sizeof rvs, "%llu", (unsigned long long)rv);
  jo_set(a, meta, "resourceVersion", jv_str(a, rvs));
  /* right after uid, like the API server (ObjectMeta's field order), not after
   * managedFields: clients that stop scanning at resourceVersion see realistic costs */
  jv *uid_m = NULL, *rv_m = NULL, *before_rv = NULL, *before_uid = NULL, *anchor = NULL;
  for (jv *f = meta->head, *prev = NULL; f; prev = f, f = f->next) {
    if (jkey_eq(f, "uid")) uid_m = f, before_uid = prev;
    if (jkey_eq(f, "resourceVersion")) rv_m = f, before_rv = prev;
    if (jkey_eq(f, "namespace") || (!anchor && jkey_eq(f, "name"))) anchor = f;
  }
  /* a created object gets its uid appended (after managedFields): move it right after
   * namespace (or name), where the API server has it */
  if (uid_m && anchor && anchor->next != uid_m && anchor != uid_m) {
    if (before_uid)
      before_uid->next = uid_m->next;
    else
      meta->head = uid_m->next;
    if (meta->tail == uid_m) meta->tail = before_uid;
    if (before_rv == uid_m) before_rv = before_uid;
    uid_m->next = anchor->next;
    anchor->next = uid_m;
    if (meta->tail == anchor) meta->tail = uid_m;
    if (before_rv == anchor) before_rv = uid_m;
  }
  if (uid_m && rv_m && uid_m->next != rv_m) {
    if (before_rv)
      before_rv->next = rv_m->next;
    else
      meta->head = rv_m->next;
    if (meta->tail == rv_m) meta->tail = before_rv;
    rv_m->next = uid_m->next;
    uid_m->next = rv_m;
    if (meta->tail == uid_m) meta->tail = rv_m;
  }
  /* metadata first, like the API server */
  if (root->head != meta) {
    jo_del(root, "metadata");
    meta->next = root->head;
    root->head = meta;
    if (!root->tail) root->tail = meta;
  }

  ksmc_buf b = {0};
  ksmc_buf_reserve(&b, 16384);
  ksmc_buf_put(&b, ",{", 2);
  for (jv *m = root->head; m; m = m->next) {
    if (m != root->head) ksmc_buf_putc(&b, ',');
    write_member_key(&b, m);
    if (m == meta) {
      o->meta_off = b.n;
      ksmc_buf_putc(&b, '{');
      for (jv *f = meta->head; f; f = f->next) {
        if (f != meta->head) ksmc_buf_putc(&b, ',');
        write_member_key(&b, f);
        if (jkey_eq(f, "resourceVersion")) {
          o->rv_off = b.n + 1;
          o->rv_len = f->n;
        }
        jv_write(&b, f);
      }
      ksmc_buf_putc(&b, '}');
      o->meta_len = b.n - o->meta_off;
    } else {
      jv_write(&b, m);
    }
  }
  ksmc_buf_putc(&b, '}');
  if (ksmc_buf_failed(&b)) abort();
  char *fit = realloc(b.p, b.n);
  o->buf = fit ? fit : b.p;
  o->len = b.n;

  o->name = xstrdup(jv_cstr(a, jo_get(meta, "name")));
  o->ns = xstrdup(k->namespaced ? jv_cstr(a, jo_get(meta, "namespace")) : "");
  o->uid = xstrdup(jv_cstr(a, jo_get(meta, "uid")));
  size_t kl = strlen(o->ns) + strlen(o->name) + 2;
  o->key = malloc(kl);
  if (!o->key) abort();
  if (k->namespaced)
    snprintf(o->key, kl, "%s/%s", o->ns, o->name);
  else
    snprintf(o->key, kl, "%s", o->name);
  jv *labels = jo_get(meta, "labels");
  o->nlabels = jv_len(labels);
  if (o->nlabels) {
    o->labels = calloc(o->nlabels, sizeof *o->labels);
    size_t i = 0;
    for (jv *l = labels->head; l; l = l->next, i++) {
      jv kk = {.t = JV_STR, .s = l->key, .n = l->klen};
      o->labels[i].k = xstrdup(jv_cstr(a, &kk));
      o->labels[i].v = xstrdup(jv_cstr(a, l));
    }
  }
  for (int i = 0; i < KIND_MAX_FIELDS && k->fields[i]; i++) {
    char *v = jv_cstr(a, jo_path(root, k->paths[i]));
    if (!v && !strcmp(k->paths[i], "spec.unschedulable")) v = "false";
    if (!v && !strcmp(k->paths[i], "spec.hostNetwork")) v = "false";
    o->fields[i] = xstrdup(v);
  }
  o->created = parse_time(jv_cstr(a, jo_get(meta, "creationTimestamp")));
  ksmc_buf pre = {0}, post = {0};
  table_cells(a, kind, root, o->name, &pre, &post);
  o->cells_pre = xstrdup(ksmc_buf_cstr(&pre));
  o->cells_post = xstrdup(ksmc_buf_cstr(&post));
  ksmc_buf_free(&pre);
  ksmc_buf_free(&post);
  char av[64], pfx[160];
  snprintf(pfx, sizeof pfx, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",", k->kind,
           kind_api_version(k, av, sizeof av));
  o->kind_prefix = xstrdup(pfx);
  o->kind_prefix_len = strlen(pfx);
  return o;
}

void obj_unref(obj *o) {
  if (!o || atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1) return;
  free(o->buf);
  free(o->key);
  free(o->ns);
  free(o->name);
  free(o->uid);
  for (size_t i = 0; i < o->nlabels; i++) {
    free(o->labels[i].k);
    free(o->labels[i].v);
  }
  free(o->labels);
  for (int i = 0; i < KIND_MAX_FIELDS; i++) free(o->fields[i]);
  free(o->cells_pre);
  free(o->cells_post);
  free(o->kind_prefix);
  free(o);
}

void obj_write_range(ksmc_buf *b, const obj *o, size_t from, size_t to, uint64_t rv_override) {
  if (rv_override && o->rv_len && o->rv_off >= from && o->rv_off + o->rv_len <= to) {
    char rvs[24];
    int n = snprintf(rvs, sizeof rvs, "%llu", (unsigned long long)rv_override);
    ksmc_buf_put(b, o->buf + from, o->rv_off - from);
    ksmc_buf_put(b, rvs, (size_t)n);
    ksmc_buf_put(b, o->buf + o->rv_off + o->rv_len, to - o->rv_off - o->rv_len);
  } else {
    ksmc_buf_put(b, o->buf + from, to - from);
  }
}

void obj_write_full(ksmc_buf *b, const obj *o, uint64_t rv_override) {
  ksmc_buf_put(b, o->kind_prefix, o->kind_prefix_len);
  obj_write_range(b, o, 2, o->len, rv_override);
}

bool obj_same_content(const obj *a, const obj *b) {
  if (a->len - a->rv_len != b->len - b->rv_len || a->rv_off != b->rv_off) return false;
  size_t ta = a->rv_off + a->rv_len, tb = b->rv_off + b->rv_len;
  return !memcmp(a->buf, b->buf, a->rv_off) && !memcmp(a->buf + ta, b->buf + tb, a->len - ta);
}

jv *obj_parse(const obj *o, jarena *a) {
  ksmc_buf b = {0};
  obj_write_full(&b, o, 0);
  char *text = ja_strndup(a, b.p, b.n);
  size_t n = b.n;
  ksmc_buf_free(&b);
  return jv_parse(a, text, n, NULL);
}
