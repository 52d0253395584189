/* Tests of shared walks (ksmc_tape) and the forks they stand on (ksmc_expo_fork/seek):
 * every reader gets exactly the body an unshared response over the tape's snapshots
 * gives, whether it joined, fell behind the ring, read in odd sizes or ran on another
 * thread; joining follows the rules of ksmc_tape.h. Chunks and rings are tiny here so a
 * body of ~40 KB spans ~80 chunks. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ksmc_err.h"
#include "ksmc_expo.h"
#include "ksmc_store.h"
#include "ksmc_tape.h"
#include "ktest.h"

#define HDR(name) KSMC_LIT("# HELP " name " H\n# TYPE " name " gauge\n")

static const ksmc_family_desc fams[] = {
    {.name = "kube_t_a", .header_text = HDR("kube_t_a"), .header_openmetrics = HDR("kube_t_a")},
    {.name = "kube_t_b", .header_text = HDR("kube_t_b"), .header_openmetrics = HDR("kube_t_b")},
    {.name = "kube_t_c", .header_text = HDR("kube_t_c"), .header_openmetrics = HDR("kube_t_c")},
};
static const ksmc_kind_desc kind = {.resource = "ts", .families = fams, .nfamilies = 3};
static const ksmc_kind_desc other = {.resource = "us", .families = fams, .nfamilies = 1};

#define OBJECTS 300

/* Object k of generation g: one line per family, each carrying g (family c only for
 * odd k). */
static void put(ksmc_store *s, int k, int g) {
  char buf[256], uid[16];
  uint32_t ends[3];
  size_t n = 0;
  for (int f = 0; f < 3; f++) {
    if (f < 2 || k % 2)
      n += (size_t)snprintf(buf + n, sizeof buf - n, "kube_t_%c{g=\"%d\",k=\"%d\"} 1\n", 'a' + f, g,
                            k);
    ends[f] = (uint32_t)n;
  }
  snprintf(uid, sizeof uid, "u%d", k);
  CU_ASSERT_EQUAL(ksmc_store_upsert(s, uid, strlen(uid), buf, n, ends), KSMC_OK);
}

typedef struct {
  ksmc_store *s, *u;
  ksmc_expo *e;
  ksmc_tape_hub *h;
} fixture;

/* Resource "ts" with OBJECTS objects, and with `two` resource "us" (one object, whose
 * family header "ts" already printed). */
static void fixture_init_opts(fixture *f, bool two, ksmc_tape_opts o);

static void fixture_init(fixture *f, unsigned join_ms, bool two) {
  fixture_init_opts(f, two, (ksmc_tape_opts){.join_ms = join_ms, .max_tapes = 8});
}

/* Tiny chunks and ring (512 bytes, 4 chunks) whatever o says. */
static void fixture_init_opts(fixture *f, bool two, ksmc_tape_opts o) {
  f->s = ksmc_store_new(&kind, "");
  f->u = ksmc_store_new(&other, "");
  for (int k = 0; k < OBJECTS; k++) put(f->s, k, 1);
  put(f->u, 0, 1);
  ksmc_expo_resource r[] = {{&kind, NULL, &f->s, 1}, {&other, NULL, &f->u, 1}};
  f->e = ksmc_expo_new(r, two ? 2 : 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->e);
  o.chunk = 512;
  o.ring_min = o.ring_max = 2048;
  f->h = ksmc_tape_hub_new(f->e, &o);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->h);
}

static void fixture_free(fixture *f) {
  ksmc_tape_hub_free(f->h);
  ksmc_expo_free(f->e);
  ksmc_store_free(f->s);
  ksmc_store_free(f->u);
}

static ksmc_buf unshared(const ksmc_expo *e, const ksmc_expo_opts *o) {
  ksmc_buf b = {0};
  CU_ASSERT_TRUE(ksmc_expo_write_buf(e, o, &b));
  return b;
}

/* Reads up to `limit` more bytes (SIZE_MAX: to the end) in pieces of 1..step bytes;
 * returns the count read, or -1 on an error. No CUnit calls: threads use it too. */
static ssize_t pull(ksmc_tape_reader *r, ksmc_buf *into, size_t step, size_t limit,
                    uint64_t *seed) {
  size_t got = 0;
  while (got < limit) {
    size_t want = 1 + (size_t)(ktest_rand(seed) % step);
    if (want > limit - got) want = limit - got;
    if (!ksmc_buf_reserve(into, want)) return -1;
    ssize_t n = ksmc_tape_read(r, into->p + into->n, want);
    if (n < 0 || (size_t)n > want) return -1;
    if (n == 0) break;
    into->n += (size_t)n;
    got += (size_t)n;
  }
  return (ssize_t)got;
}

static size_t read_some(ksmc_tape_reader *r, ksmc_buf *into, size_t step, size_t limit,
                        uint64_t *seed) {
  ssize_t n = pull(r, into, step, limit, seed);
  CU_ASSERT_FATAL(n >= 0);
  return (size_t)n;
}

static bool same(const ksmc_buf *a, const ksmc_buf *b) {
  return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* ---- forks ---- */

static void test_fork_and_seek(void) {
  fixture f;
  fixture_init(&f, 1000, true);
  ksmc_expo_opts o = {.format = KSMC_EXPO_OPENMETRICS};
  ksmc_buf want = unshared(f.e, &o);
  CU_ASSERT_FATAL(want.n > 10000);
  ksmc_expo_req *q = ksmc_expo_begin(f.e, &o), *start = ksmc_expo_fork(q);
  char *half = malloc(want.n);
  CU_ASSERT_EQUAL_FATAL(ksmc_expo_read(q, half, want.n / 2 + 7), (ssize_t)(want.n / 2 + 7));
  ksmc_expo_req *mid = ksmc_expo_fork(q);
  ksmc_expo_end(q); /* the forks keep the snapshots */
  put(f.s, 0, 2);   /* and do not see later changes */
  char *rest = malloc(want.n);
  ssize_t n = ksmc_expo_read(mid, rest, want.n);
  CU_ASSERT_EQUAL(n, (ssize_t)(want.n - want.n / 2 - 7));
  CU_ASSERT_EQUAL(memcmp(rest, want.p + want.n / 2 + 7, (size_t)n), 0);
  CU_ASSERT_EQUAL(ksmc_expo_req_bytes(mid), want.n);
  CU_ASSERT_TRUE(ksmc_expo_seek(mid, start)); /* back to the start: the whole body again */
  CU_ASSERT_EQUAL(ksmc_expo_read(mid, rest, want.n), (ssize_t)want.n);
  CU_ASSERT_EQUAL(memcmp(rest, want.p, want.n), 0);
  ksmc_expo_req *alien = ksmc_expo_begin(f.e, &o);
  CU_ASSERT_FALSE(ksmc_expo_seek(alien, start)); /* another response's snapshots */
  ksmc_expo_opts gz = {.format = KSMC_EXPO_TEXT, .gzip = true};
  ksmc_expo_req *zq = ksmc_expo_begin(f.e, &gz);
  CU_ASSERT_PTR_NULL(ksmc_expo_fork(zq));
  ksmc_expo_end(zq);
  ksmc_expo_end(alien);
  ksmc_expo_end(start);
  ksmc_expo_end(mid);
  free(half);
  free(rest);
  ksmc_buf_free(&want);
  fixture_free(&f);
}

/* ---- tapes ---- */

static void test_joined_readers_share_one_walk(void) {
  fixture f;
  fixture_init(&f, 60000, true);
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  ksmc_buf want = unshared(f.e, &o), a = {0}, b = {0};
  ksmc_tape_reader *ra = ksmc_tape_open(f.h, &o, NULL), *rb = ksmc_tape_open(f.h, &o, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ra);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
  uint64_t seed = 7;
  for (int turn = 0; (a.n < want.n || b.n < want.n) && turn < 100000; turn++) /* neck and neck */
    read_some(turn % 2 ? ra : rb, turn % 2 ? &a : &b, 700, 300, &seed);
  CU_ASSERT_EQUAL(read_some(ra, &a, 100, SIZE_MAX, &seed), 0);
  CU_ASSERT_EQUAL(read_some(rb, &b, 100, SIZE_MAX, &seed), 0);
  CU_ASSERT_TRUE(same(&a, &want));
  CU_ASSERT_TRUE(same(&b, &want));
  CU_ASSERT_EQUAL(ksmc_tape_reader_bytes(ra), want.n);
  ksmc_tape_stats st;
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.tapes, 1);
  CU_ASSERT_EQUAL(st.joined, 1);
  CU_ASSERT_EQUAL(st.fallbacks, 0);
  CU_ASSERT_EQUAL(st.replayed, want.n); /* each chunk walked once, replayed once */
  ksmc_tape_close(ra);
  ksmc_tape_close(rb);
  ksmc_buf_free(&want);
  ksmc_buf_free(&a);
  ksmc_buf_free(&b);
  fixture_free(&f);
}

/* A joiner gets the tape's snapshots (taken before a change), a scrape after the tape
 * closed gets the change; so does one past the join window. */
static void test_join_sees_the_tapes_snapshot(void) {
  fixture f;
  fixture_init(&f, 60000, true);
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  ksmc_buf before = unshared(f.e, &o), a = {0}, b = {0}, c = {0};
  uint64_t seed = 3;
  ksmc_tape_reader *ra = ksmc_tape_open(f.h, &o, NULL);
  read_some(ra, &a, 512, 1000, &seed); /* two chunks rendered, the first still held */
  put(f.s, 5, 2);
  ksmc_tape_reader *rb = ksmc_tape_open(f.h, &o, NULL);
  read_some(ra, &a, 512, SIZE_MAX, &seed);
  read_some(rb, &b, 512, SIZE_MAX, &seed);
  CU_ASSERT_TRUE(same(&a, &before));
  CU_ASSERT_TRUE(same(&b, &before)); /* fell behind the ring, still the tape's snapshot */
  ksmc_tape_stats st;
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.joined, 1);
  CU_ASSERT_EQUAL(st.fallbacks, 1);
  ksmc_tape_close(ra);
  ksmc_tape_close(rb);
  ksmc_buf after = unshared(f.e, &o);
  CU_ASSERT_FALSE(same(&after, &before));
  ksmc_tape_reader *rc = ksmc_tape_open(f.h, &o, NULL);
  read_some(rc, &c, 4096, SIZE_MAX, &seed);
  CU_ASSERT_TRUE(same(&c, &after));
  ksmc_tape_close(rc);
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.tapes, 2);
  ksmc_buf_free(&before);
  ksmc_buf_free(&after);
  ksmc_buf_free(&a);
  ksmc_buf_free(&b);
  ksmc_buf_free(&c);
  fixture_free(&f);
}

/* A reader that took replayed chunks and then fell behind the ring continues with its
 * own walk exactly where the last chunk it took ended, and takes the ring's chunks
 * again once it has caught up with them. */
static void test_fall_behind_mid_body(void) {
  fixture f;
  fixture_init(&f, 60000, true);
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  ksmc_buf want = unshared(f.e, &o), a = {0}, b = {0};
  uint64_t seed = 13;
  ksmc_tape_reader *ra = ksmc_tape_open(f.h, &o, NULL), *rb = ksmc_tape_open(f.h, &o, NULL);
  CU_ASSERT_EQUAL(read_some(ra, &a, 1, 1300, &seed), 1300); /* renders chunks 0-2 */
  CU_ASSERT_EQUAL(read_some(rb, &b, 1, 1100, &seed), 1100); /* replays 0-2, stops in 2 */
  read_some(ra, &a, 512, SIZE_MAX, &seed);                  /* chunk 3 and on: 0-2 dropped */
  read_some(rb, &b, 512, SIZE_MAX, &seed);
  CU_ASSERT_TRUE(same(&a, &want));
  CU_ASSERT_TRUE(same(&b, &want));
  ksmc_tape_stats st;
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.fallbacks, 1);
  /* chunks 0-2 replayed, the rest rendered by rb's own walk until it reached the ring
   * again: the last 4 chunks (the ring) replayed too */
  size_t chunks = (want.n + 511) / 512;
  CU_ASSERT_EQUAL(st.replayed, 3 * 512 + (want.n - (chunks - 4) * 512));
  ksmc_tape_close(ra);
  ksmc_tape_close(rb);
  ksmc_buf_free(&want);
  ksmc_buf_free(&a);
  ksmc_buf_free(&b);
  fixture_free(&f);
}

/* No joining past join_ms or across formats or filters; a scrape that joins after the
 * ring moved on renders the chunks it missed itself. */
static void test_join_rules(void) {
  fixture f;
  fixture_init(&f, 30, true);
  ksmc_expo_opts text = {.format = KSMC_EXPO_TEXT}, om = {.format = KSMC_EXPO_OPENMETRICS};
  const char *only_ts[] = {"ts"};
  ksmc_expo_opts filtered = {.format = KSMC_EXPO_TEXT, .resources = only_ts, .nresources = 1};
  ksmc_tape_reader *r1 = ksmc_tape_open(f.h, &text, NULL);
  ksmc_tape_reader *r2 = ksmc_tape_open(f.h, &om, NULL);       /* new tape: other format */
  ksmc_tape_reader *r3 = ksmc_tape_open(f.h, &filtered, NULL); /* new tape: other filters */
  ksmc_tape_reader *r4 = ksmc_tape_open(f.h, &filtered, NULL); /* joins r3 */
  ksmc_tape_stats st;
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.tapes, 3);
  CU_ASSERT_EQUAL(st.joined, 1);
  nanosleep(&(struct timespec){0, 40 * 1000000}, NULL);
  ksmc_tape_reader *r5 = ksmc_tape_open(f.h, &filtered, NULL); /* r3's tape is too old */
  uint64_t seed = 11;
  ksmc_buf b = {0};
  read_some(r5, &b, 512, 4096, &seed); /* the ring (4 chunks) has moved on */
  ksmc_tape_reader *r6 = ksmc_tape_open(f.h, &filtered, NULL); /* joins r5 late */
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.tapes, 4);
  CU_ASSERT_EQUAL(st.joined, 2);
  ksmc_buf want = unshared(f.e, &filtered), b6 = {0};
  read_some(r6, &b6, 300, SIZE_MAX, &seed);
  read_some(r5, &b, 512, SIZE_MAX, &seed);
  CU_ASSERT_TRUE(same(&b, &want));
  CU_ASSERT_TRUE(same(&b6, &want));
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.fallbacks, 2); /* r6 until it reached the ring, then r5 behind r6 */
  CU_ASSERT(st.replayed > 0);
  ksmc_buf_free(&b6);
  ksmc_tape_close(r1); /* closed unread and half-read, in any order */
  ksmc_tape_close(r4);
  ksmc_tape_close(r2);
  ksmc_tape_close(r6);
  ksmc_tape_close(r3);
  ksmc_tape_close(r5);
  ksmc_buf_free(&b);
  ksmc_buf_free(&want);
  fixture_free(&f);
}

/* Past the caps (tapes with readers, readers per tape) a scrape walks alone, with fresh
 * snapshots, and still gets the whole body. */
static void test_caps(void) {
  fixture f;
  fixture_init_opts(&f, true, (ksmc_tape_opts){.join_ms = 60000, .max_tapes = 1, .max_readers = 2});
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT}, om = {.format = KSMC_EXPO_OPENMETRICS};
  ksmc_buf want = unshared(f.e, &o), want_om = unshared(f.e, &om), b[4] = {{0}};
  ksmc_tape_reader *r[4] = {ksmc_tape_open(f.h, &o, NULL), ksmc_tape_open(f.h, &o, NULL),
                            ksmc_tape_open(f.h, &o, NULL),   /* the tape is full */
                            ksmc_tape_open(f.h, &om, NULL)}; /* no second tape */
  ksmc_tape_stats st;
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.tapes, 1);
  CU_ASSERT_EQUAL(st.joined, 1);
  uint64_t seed = 17;
  for (int i = 0; i < 4; i++) {
    CU_ASSERT_PTR_NOT_NULL_FATAL(r[i]);
    read_some(r[i], &b[i], 700, SIZE_MAX, &seed);
    CU_ASSERT_TRUE(same(&b[i], i == 3 ? &want_om : &want));
  }
  for (int i = 0; i < 4; i++) {
    ksmc_tape_close(r[i]);
    ksmc_buf_free(&b[i]);
  }
  ksmc_buf_free(&want);
  ksmc_buf_free(&want_om);
  fixture_free(&f);
}

/* A reader alone on a tape no one can join any more walks on its own: nothing is
 * replayed, and the body is still whole. */
static void test_lone_reader(void) {
  fixture f;
  fixture_init(&f, 1, true);
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  ksmc_buf want = unshared(f.e, &o), a = {0};
  ksmc_tape_reader *r = ksmc_tape_open(f.h, &o, NULL);
  uint64_t seed = 5;
  read_some(r, &a, 300, 600, &seed);
  nanosleep(&(struct timespec){0, 5 * 1000000}, NULL);
  read_some(r, &a, 9000, SIZE_MAX, &seed);
  CU_ASSERT_TRUE(same(&a, &want));
  ksmc_tape_stats st;
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.replayed, 0);
  CU_ASSERT_EQUAL(st.fallbacks, 0);
  ksmc_tape_close(r);
  ksmc_buf_free(&want);
  ksmc_buf_free(&a);
  fixture_free(&f);
}

/* ---- waiting by suspension ---- */

/* A fake connection: counts suspensions and resumptions; a thread that got
 * KSMC_TAPE_SUSPENDED waits on it until resumed, as libmicrohttpd would. */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int suspended, resumed; /* calls */
} fake_conn;

static void fake_suspend(void *arg) {
  fake_conn *c = arg;
  pthread_mutex_lock(&c->mu);
  c->suspended++;
  pthread_mutex_unlock(&c->mu);
}

static void fake_resume(void *arg) {
  fake_conn *c = arg;
  pthread_mutex_lock(&c->mu);
  c->resumed++;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static void fake_init(fake_conn *c) {
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  c->suspended = c->resumed = 0;
}

static int fake_count(fake_conn *c, bool resumed) {
  pthread_mutex_lock(&c->mu);
  int n = resumed ? c->resumed : c->suspended;
  pthread_mutex_unlock(&c->mu);
  return n;
}

/* Reads the whole body in pieces of 1..step bytes, waiting out every suspension; false on
 * an error or a resume before its suspend. No CUnit calls (threads use it). */
static bool pull_suspending(ksmc_tape_reader *r, fake_conn *c, ksmc_buf *into, size_t step,
                            uint64_t *seed) {
  for (;;) {
    size_t want = 1 + (size_t)(ktest_rand(seed) % step);
    if (!ksmc_buf_reserve(into, want)) return false;
    ssize_t n = ksmc_tape_read(r, into->p + into->n, want);
    if (n == KSMC_TAPE_SUSPENDED) {
      pthread_mutex_lock(&c->mu);
      bool ok = c->resumed < c->suspended + 1; /* suspend came first, once */
      while (c->resumed < c->suspended) pthread_cond_wait(&c->cv, &c->mu);
      pthread_mutex_unlock(&c->mu);
      if (!ok) return false;
      continue;
    }
    if (n < 0 || (size_t)n > want) return false;
    if (n == 0) return true;
    into->n += (size_t)n;
  }
}

/* The front is held, suspended, while a reader below the ring's oldest chunk makes
 * progress, and resumed when that reader takes the chunk; a reader with work to hand
 * back is never suspended. */
static void test_front_held_for_a_reader_catching_up(void) {
  fixture f;
  fixture_init_opts(&f, true, (ksmc_tape_opts){.join_ms = 60000, .hold_ms = 60000});
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  ksmc_buf want = unshared(f.e, &o), a = {0}, b = {0};
  fake_conn ca, cb;
  fake_init(&ca);
  fake_init(&cb);
  ksmc_tape_waiter wa = {fake_suspend, fake_resume, &ca}, wb = {fake_suspend, fake_resume, &cb};
  ksmc_tape_reader *ra = ksmc_tape_open(f.h, &o, &wa), *rb = ksmc_tape_open(f.h, &o, &wb);
  uint64_t seed = 19;
  CU_ASSERT_EQUAL(read_some(ra, &a, 1, 4 * 512, &seed), 4 * 512); /* chunks 0-3: ring full */
  CU_ASSERT_EQUAL(read_some(rb, &b, 1, 10, &seed), 10);           /* rb takes chunk 0 */
  CU_ASSERT_EQUAL(read_some(ra, &a, 1, 512, &seed), 512);         /* chunk 4 drops chunk 0 */
  /* chunk 5 would drop chunk 1, which rb is about to take: ra is held */
  char one;
  CU_ASSERT_EQUAL(ksmc_tape_read(ra, &one, 1), KSMC_TAPE_SUSPENDED);
  CU_ASSERT_EQUAL(fake_count(&ca, false), 1);
  CU_ASSERT_EQUAL(fake_count(&ca, true), 0);
  CU_ASSERT_EQUAL(read_some(rb, &b, 1, 512, &seed), 512); /* rb takes chunk 1 */
  CU_ASSERT_EQUAL(fake_count(&ca, true), 1);              /* and resumes ra */
  /* the rest in turns on one thread (each holds the other while it catches up) */
  bool a_end = false, b_end = false;
  for (int turn = 0; (!a_end || !b_end) && turn < 100000; turn++) {
    ksmc_tape_reader *r = turn % 2 ? rb : ra;
    ksmc_buf *into = turn % 2 ? &b : &a;
    CU_ASSERT_FATAL(ksmc_buf_reserve(into, 300));
    ssize_t n = ksmc_tape_read(r, into->p + into->n, 300);
    CU_ASSERT_FATAL(n >= 0 || n == KSMC_TAPE_SUSPENDED);
    if (n > 0) into->n += (size_t)n;
    if (n == 0) *(turn % 2 ? &b_end : &a_end) = true;
  }
  CU_ASSERT_TRUE(same(&a, &want));
  CU_ASSERT_TRUE(same(&b, &want));
  ksmc_tape_stats st;
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT(st.holds >= 1);
  CU_ASSERT_EQUAL(fake_count(&ca, false), fake_count(&ca, true));
  CU_ASSERT_EQUAL(fake_count(&cb, false), fake_count(&cb, true));
  ksmc_tape_close(ra);
  ksmc_tape_close(rb);
  ksmc_buf_free(&want);
  ksmc_buf_free(&a);
  ksmc_buf_free(&b);
  fixture_free(&f);
}

/* Chunk buffers are kept for reuse after a scrape, and ksmc_tape_trim frees them once no
 * tape has had a reader for pool_idle_ms, not before. */
static void test_trim_frees_the_pool_when_idle(void) {
  fixture f;
  fixture_init_opts(&f, true, (ksmc_tape_opts){.join_ms = 60000, .pool_idle_ms = 30});
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  ksmc_tape_reader *ra = ksmc_tape_open(f.h, &o, NULL), *rb = ksmc_tape_open(f.h, &o, NULL);
  uint64_t seed = 23;
  ksmc_buf a = {0}, b = {0};
  read_some(ra, &a, 512, SIZE_MAX, &seed);
  read_some(rb, &b, 512, SIZE_MAX, &seed);
  ksmc_tape_close(ra);
  ksmc_tape_close(rb);
  ksmc_tape_stats st;
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT(st.pooled > 0);
  ksmc_tape_trim(f.h); /* idle for less than 30 ms: kept */
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT(st.pooled > 0);
  nanosleep(&(struct timespec){0, 40 * 1000000}, NULL);
  ksmc_tape_trim(f.h);
  ksmc_tape_get_stats(f.h, &st);
  CU_ASSERT_EQUAL(st.pooled, 0);
  ksmc_buf_free(&a);
  ksmc_buf_free(&b);
  fixture_free(&f);
}

/* ---- threads ---- */

typedef struct {
  fixture *f;
  atomic_int stop;
  atomic_int bodies, bad, threads, suspensions;
} race;

/* Every sample of one body carries the same generation g, and the body has every
 * object's lines: a tape never stitches two snapshots together. */
static bool one_generation(const ksmc_buf *b) {
  int g = -1, lines = 0;
  for (const char *l = b->p, *end = b->p + b->n; l < end;
       l = memchr(l, '\n', (size_t)(end - l)) + 1) {
    if (*l == '#') continue;
    const char *q = strstr(l, "g=\"");
    int lg = q ? atoi(q + 3) : -2;
    if (g == -1) g = lg;
    if (lg != g) return false;
    lines++;
  }
  return lines == OBJECTS * 2 + OBJECTS / 2;
}

/* Half the scrapers block while waiting, half suspend (fake connections, whose every
 * suspension must be followed by exactly one resumption). */
static void *scraper(void *arg) {
  race *r = arg;
  uint64_t seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)&seed; /* per thread */
  bool suspends = atomic_fetch_add(&r->threads, 1) % 2;
  fake_conn c;
  fake_init(&c);
  ksmc_tape_waiter w = {fake_suspend, fake_resume, &c};
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  while (!atomic_load(&r->stop)) {
    ksmc_tape_reader *t = ksmc_tape_open(r->f->h, &o, suspends ? &w : NULL);
    ksmc_buf b = {0};
    size_t step = 1 + ktest_rand(&seed) % 3000;
    bool ok = t && (suspends ? pull_suspending(t, &c, &b, step, &seed)
                             : pull(t, &b, step, SIZE_MAX, &seed) >= 0);
    ksmc_tape_close(t);
    atomic_fetch_add(&r->bad, !ok || !one_generation(&b));
    atomic_fetch_add(&r->bodies, 1);
    ksmc_buf_free(&b);
  }
  atomic_fetch_add(&r->suspensions, fake_count(&c, false));
  atomic_fetch_add(&r->bad, fake_count(&c, false) != fake_count(&c, true));
  return NULL;
}

static void *changer(void *arg) {
  race *r = arg;
  for (int g = 2; g < 60; g++) {
    ksmc_store_relist_begin(r->f->s);
    for (int k = 0; k < OBJECTS; k++) {
      char buf[256], uid[16];
      uint32_t ends[3];
      size_t n = 0;
      for (int fam = 0; fam < 3; fam++) {
        if (fam < 2 || k % 2)
          n += (size_t)snprintf(buf + n, sizeof buf - n, "kube_t_%c{g=\"%d\",k=\"%d\"} 1\n",
                                'a' + fam, g, k);
        ends[fam] = (uint32_t)n;
      }
      snprintf(uid, sizeof uid, "u%d", k);
      ksmc_store_relist_add(r->f->s, uid, strlen(uid), buf, n, ends);
    }
    ksmc_store_relist_commit(r->f->s);
    nanosleep(&(struct timespec){0, 2 * 1000000}, NULL);
  }
  atomic_store(&r->stop, 1);
  return NULL;
}

static void test_concurrent_scrapes_during_relists(void) {
  fixture f;
  fixture_init(&f, 20, false);
  race r = {.f = &f};
  pthread_t sc[6], ch;
  for (int i = 0; i < 6; i++) pthread_create(&sc[i], NULL, scraper, &r);
  pthread_create(&ch, NULL, changer, &r);
  pthread_join(ch, NULL);
  for (int i = 0; i < 6; i++) pthread_join(sc[i], NULL);
  ksmc_tape_stats st;
  ksmc_tape_get_stats(f.h, &st);
  fprintf(stderr, " [%d bodies, %llu tapes, %llu joined, %llu fell behind, %d suspended] ",
          atomic_load(&r.bodies), (unsigned long long)st.tapes, (unsigned long long)st.joined,
          (unsigned long long)st.fallbacks, atomic_load(&r.suspensions));
  CU_ASSERT_EQUAL(atomic_load(&r.bad), 0);
  CU_ASSERT_EQUAL(st.suspensions + st.holds, (uint64_t)atomic_load(&r.suspensions));
  CU_ASSERT(atomic_load(&r.bodies) >= 6);
  CU_ASSERT(st.tapes >= 1 && st.tapes <= (uint64_t)atomic_load(&r.bodies));
  fixture_free(&f);
}

static const ktest_case cases[] = {
    {"a fork continues the body from its parent's position, over its snapshots",
     test_fork_and_seek},
    {"joined readers get the unshared body from one walk", test_joined_readers_share_one_walk},
    {"a joiner sees the tape's snapshot; later scrapes see changes",
     test_join_sees_the_tapes_snapshot},
    {"a reader behind the ring walks on from the last chunk it took", test_fall_behind_mid_body},
    {"no join across formats, filters or the join window; late joiners catch up", test_join_rules},
    {"past the caps a scrape walks alone", test_caps},
    {"a lone reader walks on its own", test_lone_reader},
    {"the front is held for a reader catching up, and resumed by it",
     test_front_held_for_a_reader_catching_up},
    {"trim frees the chunk pool once idle", test_trim_frees_the_pool_when_idle},
    {"concurrent scrapes during relists: each body one whole generation",
     test_concurrent_scrapes_during_relists},
    {0}};

KTEST_MAIN("serve_tape", cases)
