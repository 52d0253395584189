/* The relay applies every sink call in order, one at a time, list items on its own
 * thread; blocks the producer when full; reports when it has caught up. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ksmc_relay.h"
#include "ktest.h"

#define MAXCALLS 4096

typedef struct {
  char kind; /* b, o, e */
  size_t s;
  ksmc_event_type t;
  bool flag;
  size_t len;
  unsigned sum;
  bool other_thread;
} call;

/* The wrapped sink: records calls, checks they never overlap, can be held at a gate. */
typedef struct {
  pthread_t producer;
  call calls[MAXCALLS];
  atomic_int n;
  atomic_int inside;
  atomic_bool overlap;
  atomic_int uid_bad; /* objects whose uid was not json[1..5) (or empty when shorter) */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool gate_closed;
  atomic_int waiting_at_gate;
} rec;

static unsigned sum_of(const char *p, size_t n) {
  unsigned h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
  return h;
}

static void enter(rec *r) {
  if (atomic_fetch_add(&r->inside, 1) != 0) atomic_store(&r->overlap, true);
  pthread_mutex_lock(&r->mu);
  while (r->gate_closed) {
    atomic_fetch_add(&r->waiting_at_gate, 1);
    pthread_cond_wait(&r->cv, &r->mu);
    atomic_fetch_sub(&r->waiting_at_gate, 1);
  }
  pthread_mutex_unlock(&r->mu);
  usleep(50); /* widen any overlap window */
}

static void push(rec *r, call c) {
  c.other_thread = !pthread_equal(pthread_self(), r->producer);
  int i = atomic_load(&r->n);
  if (i < MAXCALLS) r->calls[i] = c;
  atomic_store(&r->n, i + 1);
  atomic_fetch_sub(&r->inside, 1);
}

/* The uid a producer passes with an object: json[1..5), as the reflector passes a slice of
 * the object (the relay must move it with the bytes when it queues them). */
static ksmc_slice uid_in(const char *json, size_t len) {
  return len >= 5 ? (ksmc_slice){json + 1, 4} : (ksmc_slice){"", 0};
}

static void r_begin(void *u, size_t s) {
  enter(u);
  push(u, (call){'b', s, KSMC_EV_ADDED, false, 0, 0, false});
}

static void r_object(void *u, size_t s, ksmc_event_type t, bool in_list, const char *json,
                     size_t len, ksmc_slice uid) {
  rec *r = u;
  bool uid_ok = len >= 5 ? uid.p == json + 1 && uid.n == 4 : uid.n == 0;
  if (!uid_ok) atomic_fetch_add(&r->uid_bad, 1);
  enter(u);
  push(u, (call){'o', s, t, in_list, len, sum_of(json, len), false});
}

static void r_end(void *u, size_t s, bool complete) {
  enter(u);
  push(u, (call){'e', s, KSMC_EV_ADDED, complete, 0, 0, false});
}

/* The wrapped sink's render ahead (ksmc_sink.prerender): 'p' calls, returning the length;
 * object_prerendered: 'P' calls. */
static size_t r_prerender(void *u, size_t s, const char *json, size_t avail,
                          const ksmc_skip_span **spans, size_t *nspans) {
  enter(u);
  push(u, (call){'p', s, KSMC_EV_ADDED, false, avail, sum_of(json, avail), false});
  *spans = NULL;
  *nspans = 0;
  return avail;
}

static void r_object_pre(void *u, size_t s, ksmc_event_type t, const char *json, size_t len,
                         ksmc_slice uid) {
  (void)uid;
  enter(u);
  push(u, (call){'P', s, t, false, len, sum_of(json, len), false});
}

static rec *rec_new(void) {
  rec *r = calloc(1, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  r->producer = pthread_self();
  return r;
}

static void rec_free(rec *r) {
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
  free(r);
}

static void gate(rec *r, bool closed) {
  pthread_mutex_lock(&r->mu);
  r->gate_closed = closed;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static bool wait_until_caught_up(ksmc_relay *rl) {
  for (int i = 0; i < 10000; i++) { /* up to 10 s on a loaded machine */
    if (ksmc_relay_caught_up(rl)) return true;
    usleep(1000);
  }
  return false;
}

/* Object i's bytes: sizes from 1 byte to over 1 MiB (slots drop big buffers). */
static size_t obj_len(int i) { return i == 7 ? (3u << 20) / 2 : (size_t)(1 + (i * 977) % 20000); }

static void fill(char *buf, size_t len, int i) {
  for (size_t k = 0; k < len; k++) buf[k] = (char)('a' + (i + k) % 26);
}

static void test_order_and_threads(void) {
  rec *r = rec_new();
  ksmc_sink in = {r, r_begin, r_object, r_end, NULL, NULL};
  ksmc_relay *rl = ksmc_relay_new(&in);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
  ksmc_sink out = ksmc_relay_sink(rl);
  char *buf = malloc(2u << 20);
  call want[MAXCALLS];
  int nw = 0;
  for (int round = 0; round < 3; round++) {
    out.list_begin(out.user, 1);
    want[nw++] = (call){'b', 1, KSMC_EV_ADDED, false, 0, 0, false};
    for (int i = 0; i < 400; i++) {
      size_t len = obj_len(i);
      fill(buf, len, i + round);
      out.object(out.user, 1, KSMC_EV_ADDED, true, buf, len, uid_in(buf, len));
      want[nw++] = (call){'o', 1, KSMC_EV_ADDED, true, len, sum_of(buf, len), false};
      if (i % 50 == 0) { /* a watch event of another stream while items are queued */
        fill(buf, 100, i);
        out.object(out.user, 2, KSMC_EV_MODIFIED, false, buf, 100, uid_in(buf, 100));
        want[nw++] = (call){'o', 2, KSMC_EV_MODIFIED, false, 100, sum_of(buf, 100), false};
      }
    }
    out.list_end(out.user, 1, round != 1);
    want[nw++] = (call){'e', 1, KSMC_EV_ADDED, round != 1, 0, 0, false};
  }
  CU_ASSERT_TRUE(wait_until_caught_up(rl));
  /* idle: a watch event is applied at once, on the calling thread */
  fill(buf, 10, 3);
  out.object(out.user, 2, KSMC_EV_DELETED, false, buf, 10, uid_in(buf, 10));
  want[nw++] = (call){'o', 2, KSMC_EV_DELETED, false, 10, sum_of(buf, 10), false};
  CU_ASSERT_EQUAL(atomic_load(&r->n), nw);
  CU_ASSERT_FALSE(r->calls[nw - 1].other_thread);
  ksmc_relay_free(rl);
  CU_ASSERT_EQUAL_FATAL(atomic_load(&r->n), nw);
  int moved = 0;
  for (int i = 0; i < nw; i++) {
    call g = r->calls[i], w = want[i];
    CU_ASSERT_TRUE(g.kind == w.kind && g.s == w.s && g.t == w.t && g.flag == w.flag &&
                   g.len == w.len && g.sum == w.sum);
    moved += g.other_thread;
  }
  CU_ASSERT_TRUE(moved > 0); /* list items went to the relay's thread */
  CU_ASSERT_FALSE(atomic_load(&r->overlap));
  CU_ASSERT_EQUAL(atomic_load(&r->uid_bad), 0);
  free(buf);
  rec_free(r);
}

typedef struct {
  ksmc_sink out;
  atomic_int submitted;
  int total;
} producer_arg;

static void *produce(void *arg) {
  producer_arg *p = arg;
  for (int i = 0; i < p->total; i++) {
    char b[16] = "object";
    p->out.object(p->out.user, 0, KSMC_EV_ADDED, true, b, sizeof b, uid_in(b, sizeof b));
    atomic_fetch_add(&p->submitted, 1);
  }
  return NULL;
}

static void test_backpressure_and_caught_up(void) {
  rec *r = rec_new();
  ksmc_sink in = {r, r_begin, r_object, r_end, NULL, NULL};
  ksmc_relay *rl = ksmc_relay_new(&in);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
  gate(r, true);
  producer_arg p = {.out = ksmc_relay_sink(rl), .total = KSMC_RELAY_SLOTS + 20};
  pthread_t th;
  pthread_create(&th, NULL, produce, &p);
  /* the relay holds one item at the gate and KSMC_RELAY_SLOTS - 1 more queued; the
   * producer blocks on the next one */
  for (int i = 0; i < 5000 && atomic_load(&p.submitted) < KSMC_RELAY_SLOTS; i++) usleep(1000);
  usleep(100000);
  CU_ASSERT_EQUAL(atomic_load(&p.submitted), KSMC_RELAY_SLOTS);
  CU_ASSERT_EQUAL(atomic_load(&r->waiting_at_gate), 1);
  CU_ASSERT_FALSE(ksmc_relay_caught_up(rl));
  CU_ASSERT_EQUAL(atomic_load(&r->n), 0);
  gate(r, false);
  pthread_join(th, NULL);
  CU_ASSERT_TRUE(wait_until_caught_up(rl));
  CU_ASSERT_EQUAL(atomic_load(&r->n), p.total);
  ksmc_relay_free(rl);
  CU_ASSERT_FALSE(atomic_load(&r->overlap));
  CU_ASSERT_EQUAL(atomic_load(&r->uid_bad), 0);
  rec_free(r);
}

static void test_free_applies_queued(void) {
  rec *r = rec_new();
  ksmc_sink in = {r, r_begin, r_object, r_end, NULL, NULL};
  ksmc_relay *rl = ksmc_relay_new(&in);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
  ksmc_sink out = ksmc_relay_sink(rl);
  out.list_begin(out.user, 0);
  for (int i = 0; i < 50; i++)
    out.object(out.user, 0, KSMC_EV_ADDED, true, "{}", 2, uid_in("{}", 2));
  out.list_end(out.user, 0, true);
  ksmc_relay_free(rl);
  CU_ASSERT_EQUAL(atomic_load(&r->n), 52);
  CU_ASSERT_EQUAL(r->calls[51].kind, 'e');
  ksmc_relay_free(NULL);
  rec_free(r);
}

/* Rendering ahead passes through while the relay is idle (the prerendered object then is
 * applied on the calling thread too); while list items are queued the relay declines it
 * (returns 0, the wrapped sink not called) and a prerendered object queued behind them
 * reaches the wrapped sink as a plain object(), rendered there. */
static void test_prerender(void) {
  rec *r = rec_new();
  ksmc_sink in = {r, r_begin, r_object, r_end, r_prerender, r_object_pre};
  ksmc_relay *rl = ksmc_relay_new(&in);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
  ksmc_sink out = ksmc_relay_sink(rl);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out.prerender);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out.object_prerendered);
  const ksmc_skip_span *sp;
  size_t nsp;
  CU_ASSERT_EQUAL(out.prerender(out.user, 1, "{\"a\"}", 5, &sp, &nsp), 5);
  out.object_prerendered(out.user, 1, KSMC_EV_MODIFIED, "{\"a\"}", 5, uid_in("{\"a\"}", 5));
  CU_ASSERT_EQUAL(atomic_load(&r->n), 2);
  CU_ASSERT_TRUE(r->calls[0].kind == 'p' && !r->calls[0].other_thread && r->calls[0].s == 1);
  CU_ASSERT_TRUE(r->calls[1].kind == 'P' && !r->calls[1].other_thread && r->calls[1].len == 5);
  /* list items held at the gate: nothing is rendered ahead, the event queues behind them */
  gate(r, true);
  out.object(out.user, 0, KSMC_EV_ADDED, true, "{item}", 6, uid_in("{item}", 6));
  for (int i = 0; i < 5000 && atomic_load(&r->waiting_at_gate) == 0; i++) usleep(1000);
  CU_ASSERT_EQUAL(out.prerender(out.user, 1, "{\"b\"}", 5, &sp, &nsp), 0);
  out.object_prerendered(out.user, 1, KSMC_EV_MODIFIED, "{\"b\"}", 5, uid_in("{\"b\"}", 5));
  gate(r, false);
  CU_ASSERT_TRUE(wait_until_caught_up(rl));
  CU_ASSERT_EQUAL_FATAL(atomic_load(&r->n), 4);
  CU_ASSERT_TRUE(r->calls[2].kind == 'o' && r->calls[2].flag && r->calls[2].other_thread);
  CU_ASSERT_TRUE(r->calls[3].kind == 'o' && !r->calls[3].flag && r->calls[3].len == 5 &&
                 r->calls[3].t == KSMC_EV_MODIFIED && r->calls[3].sum == sum_of("{\"b\"}", 5));
  ksmc_relay_free(rl);
  CU_ASSERT_FALSE(atomic_load(&r->overlap));
  CU_ASSERT_EQUAL(atomic_load(&r->uid_bad), 0);
  rec_free(r);
  /* a wrapped sink without them: neither is offered */
  r = rec_new();
  ksmc_sink plain = {r, r_begin, r_object, r_end, NULL, NULL};
  rl = ksmc_relay_new(&plain);
  out = ksmc_relay_sink(rl);
  CU_ASSERT_PTR_NULL(out.prerender);
  CU_ASSERT_PTR_NULL(out.object_prerendered);
  ksmc_relay_free(rl);
  rec_free(r);
}

static const ktest_case cases[] = {
    {"prerender", test_prerender},
    {"order_and_threads", test_order_and_threads},
    {"backpressure_and_caught_up", test_backpressure_and_caught_up},
    {"free_applies_queued", test_free_applies_queued},
    {0},
};
KTEST_MAIN("kube_relay", cases)
