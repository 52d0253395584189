/* replay: pod churn offered at a fixed rate for benchmarks, at almost no simulator CPU.
 *
 * Live churn (churn.c) builds every event: parse the pod into a DOM, mutate it, serialize
 * it (~60 µs of CPU each), so the rate it reaches is whatever CPU the machine leaves it and
 * its cost shares the machine with the client being measured. A recorded cyclic replay
 * separates the two:
 *
 * 1. Record (POST /_sim/churn/record?n=N): from the current pods s0, run N live-churn
 *    operations through the store (real objects, real events, watched like any churn), then
 *    the closing events that bring every touched pod back to its s0 version (MODIFIED back
 *    to the original version, ADDED again for deleted originals with their uid, DELETED for
 *    the pods the operations created). The pods' events from s0 to s0 are kept as a cycle
 *    S, minus updates that changed nothing but the resourceVersion, so every event of S
 *    changes the pod it touches. S holds references to the versions it carries (about N ×
 *    the pod size of memory). Each event's slot in the pods' sorted array is resolved
 *    here once (resolve_slots), so the replay never looks a key up.
 * 2. Replay (POST /_sim/churn/replay?rate=R[&cycles=K]): a thread pushes S's events again
 *    and again, each with a fresh resourceVersion, paced in 1 ms steps (at most one second
 *    of backlog is kept if the thread falls behind). The store follows the events (a pointer
 *    swap per event), so LIST, GET and /_sim/objects return the state the events have
 *    reached; those objects carry the resourceVersion they were recorded with, while watch
 *    events carry the event's (watch.c writes it in place of the object's). Nothing is
 *    parsed or built: the cost left is the watch threads copying pre-serialized bytes to
 *    their sockets (one copy, watch.c) and the pacer's pointer swaps.
 *    rate=0 stops at once; the store stays consistent and the next start resumes at the
 *    same position. K > 0 stops by itself after K cycle ends.
 *
 * Any pod write from elsewhere (API writes, live churn) invalidates the recording: the
 * replay stops and must be recorded again. Live churn and replay exclude each other. */
#include "apisim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double mono(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void release_events(event *v, size_t n) {
  for (size_t i = 0; i < n; i++) event_release(&v[i]);
  free(v);
}

typedef struct {
  int type; /* EV_*, or -1: put o back silently (b differs from it only in its RV) */
  obj *o, *prev;
} closing_op;

/* The operations that bring the current pods back to s0 (both sorted by key); the caller
 * holds the lock. Every op holds references to its objects. */
static closing_op *closing_ops(obj **s0, size_t n0, const kstore *k, size_t *nops) {
  closing_op *ops = malloc((n0 + k->n + 1) * sizeof *ops);
  if (!ops) abort();
  size_t i = 0, j = 0, m = 0;
  while (i < n0 || j < k->n) {
    int c = i == n0 ? 1 : j == k->n ? -1 : strcmp(s0[i]->key, k->v[j]->key);
    if (c < 0) {
      ops[m++] = (closing_op){EV_ADDED, obj_ref(s0[i]), NULL};
      i++;
    } else if (c > 0) {
      ops[m++] = (closing_op){EV_DELETED, NULL, obj_ref(k->v[j])};
      j++;
    } else {
      if (s0[i] != k->v[j])
        ops[m++] = (closing_op){obj_same_content(s0[i], k->v[j]) ? -1 : EV_MODIFIED, obj_ref(s0[i]),
                                obj_ref(k->v[j])};
      i++;
      j++;
    }
  }
  *nops = m;
  return ops;
}

static void put_silently_locked(kstore *k, obj *o) {
  size_t pos = store_lower_bound_locked(k, o->key);
  if (pos < k->n && !strcmp(k->v[pos]->key, o->key)) {
    obj_unref(k->v[pos]);
    k->v[pos] = obj_ref(o);
  }
}

static size_t lower_bound(obj *const *v, size_t n, const char *key) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (strcmp(v[mid]->key, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Replays the cycle ev[0..n) on a copy of the pods' sorted array a (na of cap entries):
 * each event's key is looked up once here. With slot set, stores each event's index in
 * the array as it is just before the event (store_apply_slot_locked) and makes every
 * MODIFIED and DELETED event's prev the version the array holds there (a dropped no-op
 * update, or a closing put_silently_locked, can leave an equal version with another
 * pointer). Returns false if the events do not fit the array (a key to modify or delete
 * is missing, one to add exists). */
static bool simulate_cycle(obj **a, size_t *na, event *ev, size_t n, size_t *slot) {
  for (size_t i = 0; i < n; i++) {
    event *e = &ev[i];
    const char *key = (e->type == EV_DELETED ? e->prev : e->o)->key;
    size_t pos = lower_bound(a, *na, key);
    bool found = pos < *na && !strcmp(a[pos]->key, key);
    if (found != (e->type != EV_ADDED)) return false;
    if (slot) {
      slot[i] = pos;
      if (found && e->prev != a[pos]) {
        obj_unref(e->prev);
        e->prev = obj_ref(a[pos]);
        if (e->type == EV_DELETED) {
          obj_unref(e->o);
          e->o = obj_ref(a[pos]);
        }
      }
    }
    if (e->type == EV_DELETED) {
      memmove(a + pos, a + pos + 1, (*na - pos - 1) * sizeof *a);
      (*na)--;
    } else if (found) {
      a[pos] = e->o;
    } else {
      memmove(a + pos + 1, a + pos, (*na - pos) * sizeof *a);
      a[pos] = e->o;
      (*na)++;
    }
  }
  return true;
}

/* Resolves the slot of every event of the cycle (apisim_replay.slot), so the replay never
 * looks a key up (a binary search of strcmp over the pods: ~16% of apisim's replay CPU).
 * The pointers the store holds after one pass of the cycle are a fixed point (each touched
 * pod ends at its last event's version whatever it started with): the store is set to
 * them silently (same content, only the recorded resourceVersions differ), then the slots
 * are resolved from there, so every cycle starts from the same array. Caller holds the
 * lock. Returns false if the cycle does not apply (then nothing was changed). */
static bool resolve_slots(kstore *k, event *ev, size_t n, size_t *slot) {
  size_t cap = k->n + n + 1, na = k->n;
  obj **a = malloc(cap * sizeof *a);
  if (!a) abort();
  memcpy(a, k->v, k->n * sizeof *a);
  bool ok = simulate_cycle(a, &na, ev, n, NULL) && na == k->n;
  for (size_t i = 0; ok && i < na; i++) ok = !strcmp(a[i]->key, k->v[i]->key);
  if (ok) {
    for (size_t i = 0; i < na; i++)
      if (a[i] != k->v[i]) {
        obj_unref(k->v[i]);
        k->v[i] = obj_ref(a[i]);
      }
    memcpy(a, k->v, k->n * sizeof *a);
    na = k->n;
    ok = simulate_cycle(a, &na, ev, n, slot);
  }
  free(a);
  return ok;
}

int replay_record(apisim *sim, long n, ksmc_buf *out, char *err, size_t errn) {
  store *s = &sim->st;
  apisim_replay *rp = &sim->replay;
  int pods = kind_by_resource("pods");
  double t0 = mono();
  pthread_mutex_lock(&sim->churn_mu);
  pthread_mutex_lock(&s->mu);
  if (sim->churn_rate > 0 || rp->rate > 0) {
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_unlock(&sim->churn_mu);
    snprintf(err, errn,
             "stop the live churn (POST /_sim/churn?rate=0) and the replay "
             "(POST /_sim/churn/replay?rate=0) before recording");
    return 409;
  }
  kstore *k = &s->k[pods];
  size_t n0 = k->n;
  obj **s0 = malloc((n0 + 1) * sizeof *s0);
  if (!s0) abort();
  for (size_t i = 0; i < n0; i++) s0[i] = obj_ref(k->v[i]);
  release_events(rp->ev, rp->n);
  rp->ev = NULL;
  free(rp->slot);
  rp->slot = NULL;
  rp->n = rp->pos = 0;
  rp->valid = false;
  unsigned long long seq = ++rp->recordings;
  store_record_start_locked(s, pods);
  pthread_mutex_unlock(&s->mu);

  /* the same operations as live churn, from a generator of their own (reproducible) */
  rng r = {sim->cfg.seed ^ 0x5EC0DEDull ^ (seq * 0x9E3779B97F4A7C15ull)};
  for (long i = 0; i < n; i++) churn_step(sim, &r, pods);

  pthread_mutex_lock(&s->mu);
  size_t nops;
  closing_op *ops = closing_ops(s0, n0, k, &nops);
  unsigned long long closing = 0;
  for (size_t i = 0; i < nops; i++) {
    if (ops[i].type < 0)
      put_silently_locked(k, ops[i].o);
    else {
      store_apply_locked(s, pods, ops[i].type, ops[i].o, ops[i].prev);
      closing++;
    }
    obj_unref(ops[i].o);
    obj_unref(ops[i].prev);
  }
  free(ops);
  size_t ne;
  event *ev = store_record_stop_locked(s, &ne);
  /* keep the events that change their pod (a label set to the value it had does not) */
  size_t kept = 0;
  unsigned long long creates = 0, updates = 0, deletes = 0, noops = 0;
  size_t bytes = 0;
  for (size_t i = 0; i < ne; i++) {
    event *e = &ev[i];
    if (e->type == EV_MODIFIED && obj_same_content(e->o, e->prev)) {
      event_release(e);
      noops++;
      continue;
    }
    creates += e->type == EV_ADDED;
    updates += e->type == EV_MODIFIED;
    deletes += e->type == EV_DELETED;
    bytes += e->o->len;
    ev[kept++] = *e;
  }
  size_t *slot = malloc((kept ? kept : 1) * sizeof *slot);
  if (!slot) abort();
  bool ok = kept > 0 && resolve_slots(k, ev, kept, slot);
  rp->ev = ev;
  rp->slot = slot;
  rp->n = kept;
  rp->pos = 0;
  rp->valid = ok;
  rp->writes = k->writes;
  rp->creates = creates;
  rp->updates = updates;
  rp->deletes = deletes;
  rp->noops = noops;
  rp->closing = closing;
  rp->bytes = bytes;
  rp->record_seconds = mono() - t0;
  size_t npods = k->n;
  uint64_t rv = s->rv;
  pthread_mutex_unlock(&s->mu);
  pthread_mutex_unlock(&sim->churn_mu);
  for (size_t i = 0; i < n0; i++) obj_unref(s0[i]);
  free(s0);

  char tmp[512];
  int len = snprintf(tmp, sizeof tmp,
                     "{\"n\":%ld,\"events\":%zu,\"creates\":%llu,\"updates\":%llu,"
                     "\"deletes\":%llu,\"closing\":%llu,\"noopsDropped\":%llu,\"bytes\":%zu,"
                     "\"pods\":%zu,\"resourceVersion\":%llu,\"seconds\":%.3f}\n",
                     n, kept, creates, updates, deletes, closing, noops, bytes, npods,
                     (unsigned long long)rv, rp->record_seconds);
  ksmc_buf_put(out, tmp, (size_t)len);
  return 200;
}

int replay_set_rate(apisim *sim, double rate, unsigned long long cycles, bool verify, ksmc_buf *out,
                    char *err, size_t errn) {
  store *s = &sim->st;
  apisim_replay *rp = &sim->replay;
  int pods = kind_by_resource("pods");
  pthread_mutex_lock(&s->mu);
  if (rate > 0 && rp->valid && s->k[pods].writes != rp->writes) rp->valid = false;
  const char *why = NULL;
  if (rate > 0 && !rp->valid)
    why = "no valid recording (pods were written since, or none was made): POST "
          "/_sim/churn/record?n=N first";
  else if (rate > 0 && sim->churn_rate > 0)
    why = "stop the live churn (POST /_sim/churn?rate=0) before replaying";
  if (why) {
    pthread_mutex_unlock(&s->mu);
    snprintf(err, errn, "%s", why);
    return 409;
  }
  rp->rate = rate > 0 ? rate : 0;
  rp->cycles_left = rate > 0 ? cycles : 0;
  rp->verify = rate > 0 && verify;
  rp->gen++;
  pthread_cond_signal(&rp->wake);
  char tmp[256];
  int len = snprintf(tmp, sizeof tmp,
                     "{\"rate\":%g,\"events\":%zu,\"position\":%zu,\"replayed\":%llu,"
                     "\"cycles\":%llu,\"resourceVersion\":%llu}\n",
                     rp->rate, rp->n, rp->pos, rp->replayed, rp->cycles, (unsigned long long)s->rv);
  pthread_mutex_unlock(&s->mu);
  ksmc_buf_put(out, tmp, (size_t)len);
  return 200;
}

/* The pacer: every 1 ms, the events due at the rate since the last rate change (at most
 * one second behind), pushed under one hold of the store lock. */
void *replay_main(void *arg) {
  apisim *sim = arg;
  store *s = &sim->st;
  apisim_replay *rp = &sim->replay;
  int pods = kind_by_resource("pods");
  unsigned long long gen = 0;
  double t0 = 0, done = 0;
  pthread_mutex_lock(&s->mu);
  while (!atomic_load(&sim->stopping)) {
    if (rp->rate <= 0) {
      pthread_cond_wait(&rp->wake, &s->mu);
      continue;
    }
    double now = mono();
    if (gen != rp->gen) {
      gen = rp->gen;
      t0 = now;
      done = 0;
    }
    if (s->k[pods].writes != rp->writes) { /* someone else wrote pods: S no longer applies */
      rp->valid = false;
      rp->rate = 0;
      rp->gen++;
      continue;
    }
    double due = rp->rate * (now - t0) - done;
    if (due > rp->rate) { /* more than a second behind: drop the excess */
      done += due - rp->rate;
      due = rp->rate;
    }
    for (; due >= 1; due -= 1) {
      event *e = &rp->ev[rp->pos];
      size_t slot = rp->slot[rp->pos];
      if (rp->verify) { /* the slow path, checking the slot the fast one would use */
        const kstore *k = &s->k[pods];
        const char *key = (e->type == EV_DELETED ? e->prev : e->o)->key;
        size_t pos = store_lower_bound_locked(k, key);
        bool found = pos < k->n && !strcmp(k->v[pos]->key, key);
        if (pos != slot || found != (e->type != EV_ADDED) || (found && k->v[pos] != e->prev))
          rp->verify_mismatches++;
        store_apply_locked(s, pods, e->type, e->o, e->prev);
      } else if (!store_apply_slot_locked(s, pods, e->type, e->o, e->prev, slot)) {
        rp->slot_misses++;
        store_apply_locked(s, pods, e->type, e->o, e->prev);
      }
      rp->replayed++;
      done += 1;
      if (++rp->pos == rp->n) {
        rp->pos = 0;
        rp->cycles++;
        if (rp->cycles_left && --rp->cycles_left == 0) {
          rp->rate = 0;
          rp->gen++;
          break;
        }
      }
    }
    rp->writes = s->k[pods].writes;
    pthread_mutex_unlock(&s->mu);
    struct timespec step = {0, 1000000};
    nanosleep(&step, NULL);
    pthread_mutex_lock(&s->mu);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}
