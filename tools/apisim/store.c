#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_init(store *s, size_t hist_max, int hist_seconds, int continue_ttl) {
  memset(s, 0, sizeof *s);
  if (NKINDS > KINDS_MAX) abort(); /* kinds.c grew past KINDS_MAX */
  pthread_mutex_init(&s->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  for (size_t i = 0; i < KINDS_MAX; i++) pthread_cond_init(&s->cond[i], &ca);
  pthread_condattr_destroy(&ca);
  s->rv = 1;
  s->hist_max = hist_max ? hist_max : 1;
  s->hist_seconds = hist_seconds;
  s->continue_ttl = continue_ttl;
  for (size_t i = 0; i < NKINDS; i++) {
    s->k[i].rcap = s->hist_max;
    s->k[i].ring = calloc(s->hist_max, sizeof(event));
    if (!s->k[i].ring) abort();
  }
}

void event_release(event *e) {
  obj_unref(e->o);
  obj_unref(e->prev);
  e->o = e->prev = NULL;
}

static void snap_release(snapshot *sn) {
  for (size_t i = 0; i < sn->n; i++) obj_unref(sn->v[i]);
  free(sn->v);
  memset(sn, 0, sizeof *sn);
}

void store_destroy(store *s) {
  for (size_t i = 0; i < NKINDS; i++) {
    kstore *k = &s->k[i];
    for (size_t j = 0; j < k->n; j++) obj_unref(k->v[j]);
    free(k->v);
    for (size_t j = 0; j < k->rcount; j++) event_release(&k->ring[(k->rhead + j) % k->rcap]);
    free(k->ring);
  }
  for (int i = 0; i < MAX_SNAPSHOTS; i++) snap_release(&s->snaps[i]);
  for (size_t i = 0; i < s->rec.n; i++) event_release(&s->rec.v[i]);
  free(s->rec.v);
  pthread_mutex_destroy(&s->mu);
  for (size_t i = 0; i < KINDS_MAX; i++) pthread_cond_destroy(&s->cond[i]);
}

size_t store_lower_bound_locked(const kstore *k, const char *key) {
  size_t lo = 0, hi = k->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (strcmp(k->v[mid]->key, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static obj *find_locked(kstore *k, const char *key, size_t *pos) {
  size_t i = store_lower_bound_locked(k, key);
  if (pos) *pos = i;
  return i < k->n && !strcmp(k->v[i]->key, key) ? k->v[i] : NULL;
}

static void make_key(const kind_def *kd, const char *ns, const char *name, char *out, size_t n) {
  if (kd->namespaced)
    snprintf(out, n, "%s/%s", ns ? ns : "", name);
  else
    snprintf(out, n, "%s", name);
}

void store_expire_locked(store *s, int kind, time_t now) {
  kstore *k = &s->k[kind];
  while (k->rcount) {
    event *e = &k->ring[k->rhead];
    if (k->rcount < k->rcap && (s->hist_seconds <= 0 || now - e->t <= s->hist_seconds)) break;
    k->evicted_rv = e->rv;
    event_release(e);
    k->rhead = (k->rhead + 1) % k->rcap;
    k->rcount--;
  }
}

static void push_event_locked(store *s, int kind, int type, uint64_t rv, obj *o, obj *prev) {
  kstore *k = &s->k[kind];
  time_t now = time(NULL);
  if (k->rcount == k->rcap) {
    event *e = &k->ring[k->rhead];
    k->evicted_rv = e->rv;
    event_release(e);
    k->rhead = (k->rhead + 1) % k->rcap;
    k->rcount--;
  }
  event *e = &k->ring[(k->rhead + k->rcount) % k->rcap];
  e->type = type;
  e->rv = rv;
  e->o = obj_ref(o);
  e->prev = prev ? obj_ref(prev) : NULL;
  e->t = now;
  k->rcount++;
  k->writes++;
  s->events_total++;
  if (s->rec.on && s->rec.kind == kind) {
    event_log *l = &s->rec;
    if (l->n == l->cap) {
      l->cap = l->cap ? l->cap * 2 : 4096;
      l->v = realloc(l->v, l->cap * sizeof *l->v);
      if (!l->v) abort();
    }
    l->v[l->n] = *e;
    obj_ref(o);
    if (prev) obj_ref(prev);
    l->n++;
  }
  store_expire_locked(s, kind, now);
  pthread_cond_broadcast(&s->cond[kind]);
}

static void gen_uid(store *s, char out[40]) {
  uint64_t x = ++s->uid_counter * 0x9E3779B97F4A7C15ull;
  uint64_t y = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9ull;
  snprintf(out, 40, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(x >> 32), (unsigned)(x & 0xffff),
           (unsigned)(y & 0xfff), (unsigned)((y >> 12) & 0xfff),
           (unsigned long long)((y >> 24) & 0xffffffffffffull));
}

store_status store_create(store *s, int kind, jv *root, jarena *a, obj **out) {
  const kind_def *kd = &KINDS[kind];
  jv *meta = jo_obj(a, root, "metadata");
  char *name = jv_cstr(a, jo_get(meta, "name"));
  char *ns = kd->namespaced ? jv_cstr(a, jo_get(meta, "namespace")) : NULL;
  if (!name || !*name || (kd->namespaced && (!ns || !*ns))) return ST_INVALID;
  if (!kd->namespaced) jo_del(meta, "namespace");
  char key[512];
  make_key(kd, ns, name, key, sizeof key);
  pthread_mutex_lock(&s->mu);
  kstore *k = &s->k[kind];
  size_t pos;
  if (find_locked(k, key, &pos)) {
    pthread_mutex_unlock(&s->mu);
    return ST_EXISTS;
  }
  if (!jo_get(meta, "uid")) {
    char uid[40];
    gen_uid(s, uid);
    jo_set(a, meta, "uid", jv_str(a, uid));
  }
  if (!jo_get(meta, "creationTimestamp")) {
    char ts[32];
    fmt_time(ts, time(NULL));
    jo_set(a, meta, "creationTimestamp", jv_str(a, ts));
  }
  uint64_t rv = ++s->rv;
  obj *o = obj_build(kind, root, rv, a);
  if (k->n == k->cap) {
    k->cap = k->cap ? k->cap * 2 : 1024;
    k->v = realloc(k->v, k->cap * sizeof *k->v);
    if (!k->v) abort();
  }
  memmove(k->v + pos + 1, k->v + pos, (k->n - pos) * sizeof *k->v);
  k->v[pos] = o;
  k->n++;
  push_event_locked(s, kind, EV_ADDED, rv, o, NULL);
  if (out) *out = obj_ref(o);
  pthread_mutex_unlock(&s->mu);
  return ST_OK;
}

store_status store_update(store *s, int kind, jv *root, jarena *a, uint64_t check_rv, obj **out) {
  const kind_def *kd = &KINDS[kind];
  jv *meta = jo_obj(a, root, "metadata");
  char *name = jv_cstr(a, jo_get(meta, "name"));
  char *ns = kd->namespaced ? jv_cstr(a, jo_get(meta, "namespace")) : NULL;
  if (!name || !*name) return ST_INVALID;
  char key[512];
  make_key(kd, ns, name, key, sizeof key);
  pthread_mutex_lock(&s->mu);
  kstore *k = &s->k[kind];
  size_t pos;
  obj *old = find_locked(k, key, &pos);
  if (!old) {
    pthread_mutex_unlock(&s->mu);
    return ST_NOTFOUND;
  }
  if (check_rv && check_rv != old->rv) {
    pthread_mutex_unlock(&s->mu);
    return ST_CONFLICT;
  }
  /* identity fields are the server's */
  jo_set(a, meta, "uid", jv_str(a, old->uid));
  char ts[32];
  fmt_time(ts, old->created);
  jo_set(a, meta, "creationTimestamp", jv_str(a, ts));
  uint64_t rv = ++s->rv;
  obj *o = obj_build(kind, root, rv, a);
  k->v[pos] = o;
  push_event_locked(s, kind, EV_MODIFIED, rv, o, old);
  obj_unref(old);
  if (out) *out = obj_ref(o);
  pthread_mutex_unlock(&s->mu);
  return ST_OK;
}

store_status store_delete(store *s, int kind, const char *ns, const char *name, obj **out) {
  char key[512];
  make_key(&KINDS[kind], ns, name, key, sizeof key);
  pthread_mutex_lock(&s->mu);
  kstore *k = &s->k[kind];
  size_t pos;
  obj *old = find_locked(k, key, &pos);
  if (!old) {
    pthread_mutex_unlock(&s->mu);
    return ST_NOTFOUND;
  }
  memmove(k->v + pos, k->v + pos + 1, (k->n - pos - 1) * sizeof *k->v);
  k->n--;
  uint64_t rv = ++s->rv;
  push_event_locked(s, kind, EV_DELETED, rv, old, old);
  if (out)
    *out = old; /* transfers the store's reference */
  else
    obj_unref(old);
  pthread_mutex_unlock(&s->mu);
  return ST_OK;
}

obj *store_get(store *s, int kind, const char *ns, const char *name) {
  char key[512];
  make_key(&KINDS[kind], ns, name, key, sizeof key);
  pthread_mutex_lock(&s->mu);
  obj *o = find_locked(&s->k[kind], key, NULL);
  if (o) obj_ref(o);
  pthread_mutex_unlock(&s->mu);
  return o;
}

/* store_apply_locked with the key's position known: pos is where the key is (cur, the
 * version there) or goes (cur NULL). */
static uint64_t apply_at_locked(store *s, int kind, int type, obj *o, obj *prev, size_t pos,
                                obj *cur) {
  kstore *k = &s->k[kind];
  if (type == EV_DELETED) {
    if (cur) {
      memmove(k->v + pos, k->v + pos + 1, (k->n - pos - 1) * sizeof *k->v);
      k->n--;
      obj_unref(cur);
    }
  } else if (cur) {
    k->v[pos] = obj_ref(o);
    obj_unref(cur);
  } else {
    if (k->n == k->cap) {
      k->cap = k->cap ? k->cap * 2 : 1024;
      k->v = realloc(k->v, k->cap * sizeof *k->v);
      if (!k->v) abort();
    }
    memmove(k->v + pos + 1, k->v + pos, (k->n - pos) * sizeof *k->v);
    k->v[pos] = obj_ref(o);
    k->n++;
  }
  uint64_t rv = ++s->rv;
  push_event_locked(s, kind, type, rv, type == EV_DELETED ? prev : o, prev);
  return rv;
}

uint64_t store_apply_locked(store *s, int kind, int type, obj *o, obj *prev) {
  size_t pos;
  obj *cur = find_locked(&s->k[kind], type == EV_DELETED ? prev->key : o->key, &pos);
  return apply_at_locked(s, kind, type, o, prev, pos, cur);
}

uint64_t store_apply_slot_locked(store *s, int kind, int type, obj *o, obj *prev, size_t slot) {
  const kstore *k = &s->k[kind];
  if (type == EV_ADDED ? slot > k->n : slot >= k->n || k->v[slot] != prev) return 0;
  return apply_at_locked(s, kind, type, o, prev, slot, type == EV_ADDED ? NULL : prev);
}

void store_record_start_locked(store *s, int kind) {
  for (size_t i = 0; i < s->rec.n; i++) event_release(&s->rec.v[i]);
  s->rec.n = 0;
  s->rec.kind = kind;
  s->rec.on = true;
}

event *store_record_stop_locked(store *s, size_t *n) {
  event *v = s->rec.v;
  *n = s->rec.n;
  s->rec.v = NULL;
  s->rec.n = s->rec.cap = 0;
  s->rec.on = false;
  return v;
}

void store_wake_all_locked(store *s) {
  for (size_t i = 0; i < KINDS_MAX; i++) pthread_cond_broadcast(&s->cond[i]);
}

void store_compact(store *s) {
  pthread_mutex_lock(&s->mu);
  for (size_t i = 0; i < NKINDS; i++) {
    kstore *k = &s->k[i];
    for (size_t j = 0; j < k->rcount; j++) event_release(&k->ring[(k->rhead + j) % k->rcap]);
    k->rhead = k->rcount = 0;
    k->evicted_rv = s->rv;
  }
  for (int i = 0; i < MAX_SNAPSHOTS; i++) snap_release(&s->snaps[i]);
  store_wake_all_locked(s);
  pthread_mutex_unlock(&s->mu);
}

uint64_t store_snapshot_locked(store *s, int kind) {
  kstore *k = &s->k[kind];
  uint64_t id = ++s->next_snap;
  snapshot *sn = &s->snaps[id % MAX_SNAPSHOTS];
  snap_release(sn);
  sn->id = id;
  sn->kind = kind;
  sn->rv = s->rv;
  sn->created = time(NULL);
  sn->n = k->n;
  sn->v = malloc((k->n ? k->n : 1) * sizeof *sn->v);
  if (!sn->v) abort();
  for (size_t i = 0; i < k->n; i++) sn->v[i] = obj_ref(k->v[i]);
  return id;
}

snapshot *store_find_snapshot_locked(store *s, uint64_t id, time_t now) {
  snapshot *sn = &s->snaps[id % MAX_SNAPSHOTS];
  if (sn->id != id || !sn->v) return NULL;
  if (s->continue_ttl > 0 && now - sn->created > s->continue_ttl) {
    snap_release(sn);
    return NULL;
  }
  return sn;
}

void store_expire_snapshots(store *s) {
  pthread_mutex_lock(&s->mu);
  for (int i = 0; i < MAX_SNAPSHOTS; i++) snap_release(&s->snaps[i]);
  pthread_mutex_unlock(&s->mu);
}
