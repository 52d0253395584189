/* churn: a thread that creates, updates (status flips, restarts, container state changes,
 * label changes) and deletes pods at --churn-rate operations per second. Choices come from
 * a seeded generator in the context, so the sequence of operations is reproducible. */
#include "apisim.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static obj *pick(apisim *sim, int kind, rng *r) {
  store *s = &sim->st;
  pthread_mutex_lock(&s->mu);
  kstore *k = &s->k[kind];
  obj *o = k->n ? obj_ref(k->v[rng_int(r, (int)k->n)]) : NULL;
  pthread_mutex_unlock(&s->mu);
  return o;
}

static void set_cond(jarena *a, jv *status, const char *type, bool ok, const char *now) {
  jv *conds = jo_get(status, "conditions");
  for (jv *c = conds ? conds->head : NULL; c; c = c->next) {
    if (!jv_eq_cstr(jo_get(c, "type"), type)) continue;
    jo_set(a, c, "status", jv_str(a, ok ? "True" : "False"));
    jo_set(a, c, "lastTransitionTime", jv_str(a, now));
    if (ok)
      jo_del(c, "reason");
    else
      jo_set(a, c, "reason", jv_str(a, "ContainersNotReady"));
  }
}

static void mutate(jarena *a, jv *root, rng *r, uint64_t seq) {
  char now[32];
  fmt_time(now, time(NULL));
  jv *status = jo_obj(a, root, "status");
  jv *cs = jo_get(status, "containerStatuses");
  jv *c = cs ? ja_at(cs, (size_t)rng_int(r, (int)jv_len(cs))) : NULL;
  int what = rng_int(r, 5);
  if (!c && what < 3) what = 3;
  switch (what) {
  case 0: { /* restart with an OOMKilled / Error last state */
    jv *last = jo_obj(a, c, "lastState");
    jv *term = jv_new(a, JV_OBJ);
    bool oom = rng_chance(r, 0.4);
    jo_set(a, term, "exitCode", jv_num(a, oom ? 137 : 1));
    jo_set(a, term, "reason", jv_str(a, oom ? "OOMKilled" : "Error"));
    jo_set(a, term, "startedAt", jv_str(a, now));
    jo_set(a, term, "finishedAt", jv_str(a, now));
    jo_del(last, "running");
    jo_del(last, "waiting");
    jo_set(a, last, "terminated", term);
    jo_set(a, c, "restartCount", jv_num(a, jv_int(jo_get(c, "restartCount"), 0) + 1));
    jv *state = jv_new(a, JV_OBJ);
    jv *run = jv_new(a, JV_OBJ);
    jo_set(a, run, "startedAt", jv_str(a, now));
    jo_set(a, state, "running", run);
    jo_set(a, c, "state", state);
    break;
  }
  case 1: { /* crash loop or recover */
    jv *state = jv_new(a, JV_OBJ);
    bool crash = jo_path(c, "state.running") != NULL;
    if (crash) {
      jv *wt = jv_new(a, JV_OBJ);
      jo_set(a, wt, "reason",
             jv_str(a, rng_chance(r, 0.7) ? "CrashLoopBackOff" : "ImagePullBackOff"));
      jo_set(a, wt, "message", jv_str(a, "back-off 10s restarting failed container"));
      jo_set(a, state, "waiting", wt);
    } else {
      jv *run = jv_new(a, JV_OBJ);
      jo_set(a, run, "startedAt", jv_str(a, now));
      jo_set(a, state, "running", run);
    }
    jo_set(a, c, "state", state);
    jo_set(a, c, "ready", jv_bool(a, !crash));
    jo_set(a, c, "started", jv_bool(a, !crash));
    set_cond(a, status, "Ready", !crash, now);
    set_cond(a, status, "ContainersReady", !crash, now);
    if (!crash) jo_set(a, status, "phase", jv_str(a, "Running"));
    break;
  }
  case 2: { /* readiness flip */
    jv *rd = jo_get(c, "ready");
    bool ready = !(rd && rd->t == JV_BOOL && rd->n == 4);
    jo_set(a, c, "ready", jv_bool(a, ready));
    set_cond(a, status, "Ready", ready, now);
    set_cond(a, status, "ContainersReady", ready, now);
    break;
  }
  default: { /* label change */
    jv *labels = jo_obj(a, jo_obj(a, root, "metadata"), "labels");
    char v[32];
    snprintf(v, sizeof v, "g%llu", (unsigned long long)seq);
    if (rng_chance(r, 0.5))
      jo_set(a, labels, "churn.apisim.io/generation", jv_str(a, v));
    else
      jo_set(a, labels, "version", jv_str(a, rng_chance(r, 0.5) ? "v1" : "v2"));
    break;
  }
  }
}

void churn_step(apisim *sim, rng *r, int pods) {
  uint64_t seq = ++sim->churn_seq;
  int op = rng_int(r, 100);
  obj *o = pick(sim, pods, r);
  if (!o) return;
  if (op < 20) {
    store_delete(&sim->st, pods, o->ns, o->name, NULL);
    atomic_fetch_add(&sim->stats.churn_deletes, 1);
    obj_unref(o);
    return;
  }
  jarena a = {0};
  jv *root = obj_parse(o, &a);
  if (!root) goto out;
  if (op < 40) { /* create a sibling of o */
    jv *meta = jo_obj(&a, root, "metadata");
    char name[300], now[32];
    const char *dash = strrchr(o->name, '-');
    size_t base = dash ? (size_t)(dash - o->name) : strlen(o->name);
    static const char al[] = "bcdfghjklmnpqrstvwxz2456789";
    char sfx[6];
    for (int i = 0; i < 5; i++) sfx[i] = al[rng_int(r, (int)sizeof al - 1)];
    sfx[5] = 0;
    snprintf(name, sizeof name, "%.*s-%s", (int)base, o->name, sfx);
    fmt_time(now, time(NULL));
    jo_set(&a, meta, "name", jv_str(&a, name));
    jo_del(meta, "uid");
    jo_del(meta, "deletionTimestamp");
    jo_del(meta, "deletionGracePeriodSeconds");
    jo_set(&a, meta, "creationTimestamp", jv_str(&a, now));
    jv *st = jo_obj(&a, root, "status");
    jo_set(&a, st, "startTime", jv_str(&a, now));
    if (store_create(&sim->st, pods, root, &a, NULL) == ST_OK)
      atomic_fetch_add(&sim->stats.churn_creates, 1);
  } else {
    mutate(&a, root, r, seq);
    if (store_update(&sim->st, pods, root, &a, o->rv, NULL) == ST_OK)
      atomic_fetch_add(&sim->stats.churn_updates, 1);
  }
out:
  ja_free(&a);
  obj_unref(o);
}

static double since(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The rate is read again at least every CHURN_RECHECK_S while churning: at a rate above
 * what the machine can produce the backlog stays at its cap (one second of the rate, e.g.
 * 1,000,000 operations), and a loop that only looked at the rate after working it off
 * kept churning for tens of seconds after POST /_sim/churn?rate=0. */
#define CHURN_RECHECK_S 0.01

void *churn_main(void *arg) {
  apisim *sim = arg;
  rng r = {sim->cfg.seed ^ 0xC0FFEEull};
  int pods = kind_by_resource("pods");
  double debt = 0;
  struct timespec prev;
  clock_gettime(CLOCK_MONOTONIC, &prev);
  while (!atomic_load(&sim->stopping)) {
    if (debt < 1) usleep(10000); /* nothing owed: wait for the rate to accrue some */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = since(&prev, &now);
    prev = now;
    pthread_mutex_lock(&sim->st.mu);
    double rate = sim->churn_rate;
    pthread_mutex_unlock(&sim->st.mu);
    if (rate <= 0) {
      debt = 0;
      continue;
    }
    debt += rate * dt;
    if (debt > rate) debt = rate; /* never more than one second of backlog */
    pthread_mutex_lock(&sim->churn_mu);
    for (unsigned k = 1; debt >= 1 && !atomic_load(&sim->stopping); k++) {
      churn_step(sim, &r, pods);
      debt -= 1;
      if (k % 32 == 0) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (since(&now, &t) >= CHURN_RECHECK_S) break;
      }
    }
    pthread_mutex_unlock(&sim->churn_mu);
  }
  return NULL;
}
