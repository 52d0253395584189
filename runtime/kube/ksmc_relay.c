#include "ksmc_relay.h"

#include <pthread.h>
#include <stdlib.h>

#include "ksmc_buf.h"

/* A slot buffer that held an object bigger than this is freed after use. */
#define SLOT_KEEP_MAX (1u << 20)

typedef enum { CALL_BEGIN, CALL_OBJECT, CALL_END } call_kind;

typedef struct {
  call_kind kind;
  size_t s;
  ksmc_event_type t;
  bool flag; /* CALL_OBJECT: in_list; CALL_END: complete */
  ksmc_buf json;
  size_t uid_at, uid_len; /* CALL_OBJECT: the uid's place in json */
} slot;

struct ksmc_relay {
  ksmc_sink inner;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t not_empty, not_full;
  slot slots[KSMC_RELAY_SLOTS];
  /* guarded by mu */
  uint64_t head, tail; /* slots [head, tail) are queued; slot head is applied while busy */
  bool busy;           /* the relay thread is applying slot head */
  bool stopping;
  bool consumer_waits, producer_waits;
};

/* pre: a watch event the wrapped sink rendered ahead (object_prerendered), applied inline */
static void apply(ksmc_relay *r, call_kind k, size_t s, ksmc_event_type t, bool flag, bool pre,
                  const char *json, size_t len, ksmc_slice uid) {
  const ksmc_sink *in = &r->inner;
  if (k == CALL_BEGIN)
    in->list_begin(in->user, s);
  else if (k == CALL_OBJECT && pre)
    in->object_prerendered(in->user, s, t, json, len, uid);
  else if (k == CALL_OBJECT)
    in->object(in->user, s, t, flag, json, len, uid);
  else
    in->list_end(in->user, s, flag);
}

static void *run(void *arg) {
  ksmc_relay *r = arg;
  pthread_mutex_lock(&r->mu);
  for (;;) {
    while (r->head == r->tail && !r->stopping) {
      r->consumer_waits = true;
      pthread_cond_wait(&r->not_empty, &r->mu);
      r->consumer_waits = false;
    }
    if (r->head == r->tail) break; /* stopping, everything applied */
    r->busy = true;
    slot *sl = &r->slots[r->head % KSMC_RELAY_SLOTS];
    pthread_mutex_unlock(&r->mu);
    ksmc_slice uid = {"", 0};
    if (sl->uid_len) uid = (ksmc_slice){sl->json.p + sl->uid_at, sl->uid_len};
    apply(r, sl->kind, sl->s, sl->t, sl->flag, false, sl->json.p, sl->json.n, uid);
    if (sl->json.cap > SLOT_KEEP_MAX) ksmc_buf_free(&sl->json);
    pthread_mutex_lock(&r->mu);
    r->head++;
    r->busy = false;
    /* a full queue wakes its producer once half of it is free, not at every slot: one
     * wake-up per KSMC_RELAY_SLOTS/2 items instead of a context switch per item */
    if (r->producer_waits && r->tail - r->head <= KSMC_RELAY_SLOTS / 2)
      pthread_cond_signal(&r->not_full);
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

/* Queues one call, or applies it at once when nothing is queued and it may run here. A
 * prerendered object (pre) queued behind others is queued as a plain object: the wrapped
 * sink renders it again on its thread. */
static void submit(ksmc_relay *r, call_kind k, size_t s, ksmc_event_type t, bool flag, bool pre,
                   const char *json, size_t len, ksmc_slice uid) {
  pthread_mutex_lock(&r->mu);
  bool idle = r->head == r->tail && !r->busy;
  if (idle && !(k == CALL_OBJECT && flag)) { /* only list items go to the other thread */
    pthread_mutex_unlock(&r->mu);
    apply(r, k, s, t, flag, pre, json, len, uid);
    return;
  }
  while (r->tail - r->head == KSMC_RELAY_SLOTS) {
    r->producer_waits = true;
    pthread_cond_wait(&r->not_full, &r->mu);
    r->producer_waits = false;
  }
  slot *sl = &r->slots[r->tail % KSMC_RELAY_SLOTS];
  pthread_mutex_unlock(&r->mu); /* slot tail belongs to the producer until published */
  sl->kind = k;
  sl->s = s;
  sl->t = t;
  sl->flag = flag;
  sl->uid_at = uid.n ? (size_t)(uid.p - json) : 0; /* uid lies in json */
  sl->uid_len = uid.n;
  ksmc_buf_reset(&sl->json);
  ksmc_buf_put(&sl->json, json, len);
  if (ksmc_buf_failed(&sl->json)) { /* out of memory: apply it here, after the queue */
    ksmc_buf_free(&sl->json);
    pthread_mutex_lock(&r->mu);
    while (r->head != r->tail || r->busy) {
      r->producer_waits = true;
      pthread_cond_wait(&r->not_full, &r->mu);
      r->producer_waits = false;
    }
    pthread_mutex_unlock(&r->mu);
    apply(r, k, s, t, flag, false, json, len, uid);
    return;
  }
  pthread_mutex_lock(&r->mu);
  r->tail++;
  if (r->consumer_waits) pthread_cond_signal(&r->not_empty);
  pthread_mutex_unlock(&r->mu);
}

static void relay_begin(void *u, size_t s) {
  submit(u, CALL_BEGIN, s, KSMC_EV_ADDED, false, false, "", 0, (ksmc_slice){"", 0});
}

static void relay_object(void *u, size_t s, ksmc_event_type t, bool in_list, const char *json,
                         size_t len, ksmc_slice uid) {
  submit(u, CALL_OBJECT, s, t, in_list, false, json, len, uid);
}

static void relay_end(void *u, size_t s, bool complete) {
  submit(u, CALL_END, s, KSMC_EV_ADDED, complete, false, "", 0, (ksmc_slice){"", 0});
}

/* Renders ahead only when nothing is queued and the relay thread is idle: the wrapped sink
 * then runs here, and the event's object_prerendered call that follows is applied here
 * too (this thread is the only one that queues calls). */
static size_t relay_prerender(void *u, size_t s, const char *json, size_t avail,
                              const ksmc_skip_span **spans, size_t *nspans) {
  ksmc_relay *r = u;
  pthread_mutex_lock(&r->mu);
  bool idle = r->head == r->tail && !r->busy;
  pthread_mutex_unlock(&r->mu);
  return idle ? r->inner.prerender(r->inner.user, s, json, avail, spans, nspans) : 0;
}

static void relay_object_prerendered(void *u, size_t s, ksmc_event_type t, const char *json,
                                     size_t len, ksmc_slice uid) {
  submit(u, CALL_OBJECT, s, t, false, true, json, len, uid);
}

ksmc_relay *ksmc_relay_new(const ksmc_sink *inner) {
  ksmc_relay *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->inner = *inner;
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->not_empty, NULL);
  pthread_cond_init(&r->not_full, NULL);
  if (pthread_create(&r->thread, NULL, run, r) != 0) {
    pthread_cond_destroy(&r->not_full);
    pthread_cond_destroy(&r->not_empty);
    pthread_mutex_destroy(&r->mu);
    free(r);
    return NULL;
  }
  pthread_setname_np(r->thread, "ksmc-relay"); /* for top -H, perf, /proc/PID/task */
  return r;
}

ksmc_sink ksmc_relay_sink(ksmc_relay *r) {
  bool pre = ksmc_sink_prerenders(&r->inner);
  return (ksmc_sink){r,
                     relay_begin,
                     relay_object,
                     relay_end,
                     pre ? relay_prerender : NULL,
                     pre ? relay_object_prerendered : NULL};
}

bool ksmc_relay_caught_up(ksmc_relay *r) {
  pthread_mutex_lock(&r->mu);
  bool done = r->head == r->tail; /* head moves past a slot after applying it */
  pthread_mutex_unlock(&r->mu);
  return done;
}

void ksmc_relay_free(ksmc_relay *r) {
  if (!r) return;
  pthread_mutex_lock(&r->mu);
  r->stopping = true;
  pthread_cond_signal(&r->not_empty);
  pthread_mutex_unlock(&r->mu);
  pthread_join(r->thread, NULL);
  for (size_t i = 0; i < KSMC_RELAY_SLOTS; i++) ksmc_buf_free(&r->slots[i].json);
  pthread_cond_destroy(&r->not_full);
  pthread_cond_destroy(&r->not_empty);
  pthread_mutex_destroy(&r->mu);
  free(r);
}
