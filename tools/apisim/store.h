/* store: the objects of every kind, one global resourceVersion counter (like etcd's
 * revision), a bounded per-kind event history for watches, and list snapshots that back
 * continue tokens. One mutex guards it all; a condition variable per kind wakes that
 * kind's watchers. */
#ifndef APISIM_STORE_H
#define APISIM_STORE_H

#include "kinds.h"
#include "object.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum { EV_ADDED, EV_MODIFIED, EV_DELETED };

typedef struct {
  int type;
  uint64_t rv;
  obj *o;    /* new state (ADDED/MODIFIED) or last state (DELETED) */
  obj *prev; /* state before (MODIFIED, DELETED), else NULL */
  time_t t;
} event;

typedef struct {
  obj **v; /* sorted by key */
  size_t n, cap;
  event *ring;
  size_t rcap, rhead, rcount; /* ring of events, oldest at rhead */
  uint64_t evicted_rv;        /* newest RV that left the history window */
  uint64_t writes;            /* events ever pushed for this kind (replay.c: detects writes
                                 that are not its own) */
} kstore;

/* An event recorder (replay.c): while `on`, every event pushed for `kind` is appended to
 * v with its own references to o and prev. */
typedef struct {
  bool on;
  int kind;
  event *v;
  size_t n, cap;
} event_log;

typedef struct {
  uint64_t id;
  int kind;
  uint64_t rv;
  time_t created;
  obj **v;
  size_t n;
} snapshot;

#define MAX_SNAPSHOTS 64

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cond[KINDS_MAX]; /* per kind: new events */
  uint64_t rv;
  kstore k[KINDS_MAX];
  size_t hist_max;  /* events kept per kind */
  int hist_seconds; /* and for at most this long */
  snapshot snaps[MAX_SNAPSHOTS];
  uint64_t next_snap;
  int continue_ttl;
  uint64_t uid_counter;
  uint64_t events_total;
  event_log rec;
} store;

void store_init(store *s, size_t hist_max, int hist_seconds, int continue_ttl);
void store_destroy(store *s);

/* All functions below that take a store lock it themselves unless named _locked. */
typedef enum { ST_OK, ST_EXISTS, ST_NOTFOUND, ST_CONFLICT, ST_INVALID } store_status;

/* Creates an object from DOM `root` (uid, creationTimestamp filled in when absent). On
 * success *out (if non-NULL) gets a reference to the stored version. */
store_status store_create(store *s, int kind, jv *root, jarena *a, obj **out);
/* Replaces an object. If check_rv is set and differs from the current RV: ST_CONFLICT. */
store_status store_update(store *s, int kind, jv *root, jarena *a, uint64_t check_rv, obj **out);
store_status store_delete(store *s, int kind, const char *ns, const char *name, obj **out);
/* Reference to the current version, or NULL. */
obj *store_get(store *s, int kind, const char *ns, const char *name);

/* Index of the first object whose key is >= key (caller holds the lock). */
size_t store_lower_bound_locked(const kstore *k, const char *key);
void store_expire_locked(store *s, int kind, time_t now);
/* Drops all history and snapshots: every older RV and continue token becomes too old. */
void store_compact(store *s);
/* Replay (replay.c; caller holds the lock): makes `o` (ADDED, MODIFIED) the current version
 * of its key, or removes prev's key (DELETED), without building anything, and pushes the
 * event with the next resourceVersion, which it returns. o's own metadata.resourceVersion
 * is older: watchers format it with the event's (watch.c). prev is the version it
 * replaces (NULL for ADDED). */
uint64_t store_apply_locked(store *s, int kind, int type, obj *o, obj *prev);
/* store_apply_locked without the key lookup (replay.c resolves each recorded event's slot
 * once): `slot` is the index in the kind's sorted array where prev is (MODIFIED, DELETED)
 * or where o's key goes (ADDED). Checks only what is cheap (prev is at slot; slot is in
 * range) and returns 0, doing nothing, when that fails; else the event's resourceVersion.
 * An ADDED slot is trusted: the caller guarantees the array is the one it resolved for. */
uint64_t store_apply_slot_locked(store *s, int kind, int type, obj *o, obj *prev, size_t slot);
/* Starts recording the events of `kind` (caller holds the lock; a previous log is freed). */
void store_record_start_locked(store *s, int kind);
/* Stops recording and hands the log's events (with their references) to the caller. */
event *store_record_stop_locked(store *s, size_t *n);
/* Releases the references of an event and clears it. */
void event_release(event *e);

/* Wakes every watcher (caller holds the lock), e.g. for shutdown. */
void store_wake_all_locked(store *s);

/* Takes a snapshot of a kind (caller holds the lock); returns its id. */
uint64_t store_snapshot_locked(store *s, int kind);
snapshot *store_find_snapshot_locked(store *s, uint64_t id, time_t now);
void store_expire_snapshots(store *s);

#endif
