/* Tests of the pre-rendered store: upsert/delete/relist semantics, snapshot isolation,
 * record sharing across relists, and a concurrent scraper that must only ever see
 * complete relist generations. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksmc_err.h"
#include "ksmc_store.h"
#include "ksmc_store_render.h"
#include "ktest.h"

static const ksmc_family_desc fams[2] = {
    {.name = "kube_x_a", .type = KSMC_GAUGE, .help = "a"},
    {.name = "kube_x_b", .type = KSMC_GAUGE, .help = "b"},
};
static const ksmc_kind_desc kind = {
    .kind = "X", .resource = "xs", .families = fams, .nfamilies = 2};

/* Upserts an object whose family a is "a <text>\n" and family b "b <text>\n". */
static int put(ksmc_store *s, const char *uid, const char *text, int relist) {
  char buf[256];
  int a = snprintf(buf, sizeof buf, "a %s\n", text);
  int b = snprintf(buf + a, sizeof buf - a, "b %s\n", text);
  uint32_t ends[2] = {(uint32_t)a, (uint32_t)(a + b)};
  if (relist) return ksmc_store_relist_add(s, uid, strlen(uid), buf, a + b, ends);
  return ksmc_store_upsert(s, uid, strlen(uid), buf, a + b, ends);
}

static const ksmc_record *find(ksmc_store_snap *snap, const char *uid) {
  const ksmc_record *const *r = ksmc_store_snap_records(snap);
  for (size_t i = 0; i < ksmc_store_snap_count(snap); i++) {
    ksmc_slice u = ksmc_record_uid(r[i]);
    if (u.n == strlen(uid) && memcmp(u.p, uid, u.n) == 0) return r[i];
  }
  return NULL;
}

static void test_upsert_delete(void) {
  ksmc_store *s = ksmc_store_new(&kind, "");
  CU_ASSERT_EQUAL(put(s, "u1", "one", 0), KSMC_OK);
  CU_ASSERT_EQUAL(put(s, "u2", "two", 0), KSMC_OK);
  CU_ASSERT_EQUAL(ksmc_store_count(s), 2);
  CU_ASSERT_EQUAL(ksmc_store_bytes(s), 12 + 12);
  CU_ASSERT_EQUAL(put(s, "u1", "uno!", 0), KSMC_OK);
  CU_ASSERT_EQUAL(ksmc_store_count(s), 2);
  CU_ASSERT_EQUAL(ksmc_store_bytes(s), 14 + 12);
  ksmc_store_snap *snap = ksmc_store_snapshot(s);
  const ksmc_record *r = find(snap, "u1");
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  ksmc_slice a = ksmc_record_family(r, 0), b = ksmc_record_family(r, 1);
  KTEST_ASSERT_BYTES(a.p, a.n, "a uno!\n");
  KTEST_ASSERT_BYTES(b.p, b.n, "b uno!\n");
  ksmc_store_snap_release(snap);
  CU_ASSERT_TRUE(ksmc_store_delete(s, "u1", 2));
  CU_ASSERT_FALSE(ksmc_store_delete(s, "u1", 2));
  CU_ASSERT_FALSE(ksmc_store_delete(s, "nope", 4));
  CU_ASSERT_EQUAL(ksmc_store_count(s), 1);
  CU_ASSERT_EQUAL(ksmc_store_bytes(s), 12);
  ksmc_store_free(s);
}

/* Identical bytes keep the record; many keys force index growth and deletions shift
 * probe chains. */
static void test_many_and_identical(void) {
  ksmc_store *s = ksmc_store_new(&kind, "ns");
  char uid[32], txt[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(uid, sizeof uid, "uid-%d", i);
    snprintf(txt, sizeof txt, "v%d", i);
    CU_ASSERT_EQUAL(put(s, uid, txt, 0), KSMC_OK);
  }
  ksmc_store_snap *s1 = ksmc_store_snapshot(s);
  const ksmc_record *r1 = find(s1, "uid-77");
  CU_ASSERT_EQUAL(put(s, "uid-77", "v77", 0), KSMC_OK);
  ksmc_store_snap *s2 = ksmc_store_snapshot(s);
  CU_ASSERT_PTR_EQUAL(find(s2, "uid-77"), r1);
  ksmc_store_snap_release(s2);
  for (int i = 0; i < 5000; i += 2) {
    snprintf(uid, sizeof uid, "uid-%d", i);
    CU_ASSERT_TRUE(ksmc_store_delete(s, uid, strlen(uid)));
  }
  CU_ASSERT_EQUAL(ksmc_store_count(s), 2500);
  for (int i = 0; i < 5000; i++) {
    snprintf(uid, sizeof uid, "uid-%d", i);
    CU_ASSERT_EQUAL(ksmc_store_delete(s, uid, strlen(uid)), i % 2 == 1);
  }
  CU_ASSERT_EQUAL(ksmc_store_count(s), 0);
  /* The old snapshot still reads every retired record intact. */
  CU_ASSERT_EQUAL(ksmc_store_snap_count(s1), 5000);
  ksmc_slice a = ksmc_record_family(find(s1, "uid-4999"), 0);
  KTEST_ASSERT_BYTES(a.p, a.n, "a v4999\n");
  ksmc_store_snap_release(s1);
  CU_ASSERT_STRING_EQUAL(ksmc_store_namespace(s), "ns");
  ksmc_store_free(s);
}

static void test_relist(void) {
  ksmc_store *s = ksmc_store_new(&kind, "");
  put(s, "keep", "k", 0);
  put(s, "change", "c1", 0);
  put(s, "gone", "g", 0);
  ksmc_store_snap *before = ksmc_store_snapshot(s);
  const ksmc_record *keep = find(before, "keep");
  CU_ASSERT_EQUAL(ksmc_store_relist_begin(s), KSMC_OK);
  put(s, "keep", "k", 1);
  put(s, "change", "c2", 1);
  put(s, "new", "n", 1);
  /* Not visible before commit. */
  CU_ASSERT_EQUAL(ksmc_store_count(s), 3);
  ksmc_store_snap *mid = ksmc_store_snapshot(s);
  CU_ASSERT_PTR_NOT_NULL(find(mid, "gone"));
  CU_ASSERT_PTR_NULL(find(mid, "new"));
  ksmc_store_snap_release(mid);
  ksmc_store_relist_commit(s);
  ksmc_store_snap *after = ksmc_store_snapshot(s);
  CU_ASSERT_EQUAL(ksmc_store_snap_count(after), 3);
  CU_ASSERT_PTR_NULL(find(after, "gone"));
  CU_ASSERT_PTR_EQUAL(find(after, "keep"), keep); /* unchanged bytes: shared record */
  ksmc_slice c = ksmc_record_family(find(after, "change"), 1);
  KTEST_ASSERT_BYTES(c.p, c.n, "b c2\n");
  /* The old snapshot is intact. */
  c = ksmc_record_family(find(before, "change"), 1);
  KTEST_ASSERT_BYTES(c.p, c.n, "b c1\n");
  CU_ASSERT_PTR_NOT_NULL(find(before, "gone"));
  ksmc_store_snap_release(before);
  ksmc_store_snap_release(after);
  ksmc_store_free(s);
}

static void test_relist_abort_and_upsert_during(void) {
  ksmc_store *s = ksmc_store_new(&kind, "");
  put(s, "a", "1", 0);
  ksmc_store_snap *old = ksmc_store_snapshot(s);
  ksmc_store_relist_begin(s);
  put(s, "a", "1", 1); /* shared with live */
  put(s, "b", "x", 1);
  put(s, "b", "y", 1); /* listed twice: later wins */
  put(s, "a", "2", 0); /* live replaced while the relist is open */
  ksmc_store_relist_abort(s);
  CU_ASSERT_EQUAL(ksmc_store_count(s), 1);
  ksmc_store_snap *now = ksmc_store_snapshot(s);
  ksmc_slice v = ksmc_record_family(find(now, "a"), 0);
  KTEST_ASSERT_BYTES(v.p, v.n, "a 2\n");
  v = ksmc_record_family(find(old, "a"), 0); /* retired, still readable */
  KTEST_ASSERT_BYTES(v.p, v.n, "a 1\n");
  ksmc_store_snap_release(now);
  ksmc_store_snap_release(old);
  /* An open relist is discarded by free; a relist can be empty. */
  ksmc_store_relist_begin(s);
  ksmc_store_relist_commit(s);
  CU_ASSERT_EQUAL(ksmc_store_count(s), 0);
  ksmc_store_relist_begin(s);
  put(s, "z", "z", 1);
  ksmc_store_free(s);
}

/* Feeding from a render context (fields set by hand: no generated code here). */
static void test_from_render_ctx(void) {
  ksmc_store *s = ksmc_store_new(&kind, "");
  ksmc_render_ctx ctx = {0};
  uint32_t ends[2] = {4, 8};
  ctx.fam_end = ends;
  ksmc_buf_put(&ctx.out, "a 1\nb 1\n", 8);
  ksmc_buf_put(&ctx.uid, "uid-1", 5);
  CU_ASSERT_EQUAL(ksmc_store_upsert_rendered(s, &ctx), KSMC_OK);
  ksmc_store_relist_begin(s);
  CU_ASSERT_EQUAL(ksmc_store_relist_add_rendered(s, &ctx), KSMC_OK);
  ksmc_store_relist_commit(s);
  ksmc_store_snap *snap = ksmc_store_snapshot(s);
  ksmc_slice b = ksmc_record_family(find(snap, "uid-1"), 1);
  KTEST_ASSERT_BYTES(b.p, b.n, "b 1\n");
  ksmc_store_snap_release(snap);
  ksmc_buf_free(&ctx.out);
  ksmc_buf_free(&ctx.uid);
  ksmc_store_free(s);
}

/* ---- concurrency: generations ---- */

typedef struct {
  ksmc_store *s;
  atomic_int stop;
  atomic_long snaps;
  atomic_long bad;
  atomic_long gens;
} race;

static size_t gen_count(int g) { return 50 + (size_t)(g * 37) % 200; }

/* Generation g: objects o0..o(n-1); objects below 20 keep their bytes across
 * generations ("stable"), the others carry the generation number. */
static void relist_gen(ksmc_store *s, int g) {
  ksmc_store_relist_begin(s);
  char uid[32], txt[64];
  size_t n = gen_count(g);
  for (size_t i = 0; i < n; i++) {
    snprintf(uid, sizeof uid, "o%zu", i);
    if (i < 20)
      snprintf(txt, sizeof txt, "stable%zu n=%zu", i, (size_t)0);
    else
      snprintf(txt, sizeof txt, "g=%d n=%zu", g, n);
    put(s, uid, txt, 1);
  }
  ksmc_store_relist_commit(s);
}

/* Checks a snapshot holds exactly one generation, complete, and untorn. */
static int check_snap(ksmc_store_snap *snap) {
  size_t n = ksmc_store_snap_count(snap);
  const ksmc_record *const *r = ksmc_store_snap_records(snap);
  int g = -1;
  size_t want = 0;
  for (size_t i = 0; i < n; i++) {
    ksmc_slice a = ksmc_record_family(r[i], 0), b = ksmc_record_family(r[i], 1);
    if (a.n != b.n || memcmp(a.p + 1, b.p + 1, a.n - 1) != 0) return 0; /* torn */
    int rg;
    size_t rn;
    char line[80];
    snprintf(line, sizeof line, "%.*s", (int)a.n, a.p);
    if (sscanf(line, "a g=%d n=%zu", &rg, &rn) == 2) {
      if (g >= 0 && rg != g) return 0; /* mixed generations */
      g = rg;
      want = rn;
    }
  }
  return g < 0 || want == n;
}

static void *scraper(void *arg) {
  race *r = arg;
  while (!atomic_load(&r->stop)) {
    ksmc_store_snap *snap = ksmc_store_snapshot(r->s);
    if (!check_snap(snap)) atomic_fetch_add(&r->bad, 1);
    ksmc_store_snap_release(snap);
    atomic_fetch_add(&r->snaps, 1);
  }
  return NULL;
}

static void *relister(void *arg) {
  race *r = arg;
  for (int g = 1; g <= 400; g++) {
    relist_gen(r->s, g);
    atomic_fetch_add(&r->gens, 1);
  }
  return NULL;
}

/* Upserts with separately given family texts. */
static void put2(ksmc_store *s, const char *uid, const char *fa, const char *fb, int relist) {
  char buf[256];
  int a = snprintf(buf, sizeof buf, "%s", fa);
  int b = snprintf(buf + a, sizeof buf - a, "%s", fb);
  uint32_t ends[2] = {(uint32_t)a, (uint32_t)(a + b)};
  int rc = relist ? ksmc_store_relist_add(s, uid, strlen(uid), buf, a + b, ends)
                  : ksmc_store_upsert(s, uid, strlen(uid), buf, a + b, ends);
  CU_ASSERT_EQUAL(rc, KSMC_OK);
}

static uint64_t version(ksmc_store *s, const char *uid, size_t f) {
  ksmc_store_snap *snap = ksmc_store_snapshot(s);
  const ksmc_record *r = find(snap, uid);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  uint64_t v = ksmc_record_family_version(r, f);
  ksmc_store_snap_release(snap);
  return v;
}

/* Equal family versions mean equal family bytes: a family whose bytes an update keeps
 * keeps its version, a changed one gets a new version never used before, including
 * across relists and upserts racing a relist. */
static void test_family_versions(void) {
  ksmc_store *s = ksmc_store_new(&kind, "");
  put2(s, "u1", "a 1\n", "b 1\n", 0);
  put2(s, "u2", "a 1\n", "b 1\n", 0);
  uint64_t a1 = version(s, "u1", 0), b1 = version(s, "u1", 1);
  CU_ASSERT_NOT_EQUAL(version(s, "u2", 0), a1); /* other object: other versions */
  put2(s, "u1", "a 1\n", "b 2\n", 0);
  CU_ASSERT_EQUAL(version(s, "u1", 0), a1);
  uint64_t b2 = version(s, "u1", 1);
  CU_ASSERT_NOT_EQUAL(b2, b1);
  put2(s, "u1", "a 1\n", "b 1\n", 0); /* back to old bytes: still a new version */
  uint64_t b3 = version(s, "u1", 1);
  CU_ASSERT_TRUE(b3 != b1 && b3 != b2);
  /* relist: an unchanged object shares its record, a changed family moves on */
  ksmc_store_relist_begin(s);
  put2(s, "u1", "a 1\n", "b 1\n", 1);
  put2(s, "u2", "a 9\n", "b 1\n", 1);
  uint64_t u2b = version(s, "u2", 1);
  put2(s, "u2", "a 8\n", "b 1\n", 0); /* upsert during the relist, from the live record */
  uint64_t live_a = version(s, "u2", 0);
  ksmc_store_relist_commit(s);
  CU_ASSERT_EQUAL(version(s, "u1", 0), a1);
  CU_ASSERT_EQUAL(version(s, "u1", 1), b3);
  CU_ASSERT_EQUAL(version(s, "u2", 1), u2b);
  /* "a 9" (committed) and "a 8" (live before the commit) must not share a version */
  CU_ASSERT_NOT_EQUAL(version(s, "u2", 0), live_a);
  /* delete + re-add: nothing inherited */
  CU_ASSERT_TRUE(ksmc_store_delete(s, "u1", 2));
  put2(s, "u1", "a 1\n", "b 1\n", 0);
  CU_ASSERT_NOT_EQUAL(version(s, "u1", 0), a1);
  ksmc_store_free(s);
}

static void test_concurrent_relists(void) {
  race r = {.s = ksmc_store_new(&kind, "")};
  relist_gen(r.s, 0);
  pthread_t w, sc[2];
  pthread_create(&sc[0], NULL, scraper, &r);
  pthread_create(&sc[1], NULL, scraper, &r);
  pthread_create(&w, NULL, relister, &r);
  pthread_join(w, NULL);
  atomic_store(&r.stop, 1);
  pthread_join(sc[0], NULL);
  pthread_join(sc[1], NULL);
  fprintf(stderr, " [%ld snapshots over %ld relists] ", atomic_load(&r.snaps),
          atomic_load(&r.gens));
  CU_ASSERT_EQUAL(atomic_load(&r.bad), 0);
  CU_ASSERT_TRUE(atomic_load(&r.snaps) > 0);
  CU_ASSERT_EQUAL(ksmc_store_count(r.s), gen_count(400));
  ksmc_store_free(r.s);
}

/* Upserts of whole objects racing with scrapes: every object seen is untorn. */
static void *upserter(void *arg) {
  race *r = arg;
  char uid[32], txt[64];
  for (int i = 0; i < 200000; i++) {
    snprintf(uid, sizeof uid, "o%d", i % 300);
    snprintf(txt, sizeof txt, "v%d%s", i, i % 3 ? "" : "-longer-text-here");
    if (i % 7 == 0)
      ksmc_store_delete(r->s, uid, strlen(uid));
    else
      put(r->s, uid, txt, 0);
  }
  return NULL;
}

static void test_concurrent_upserts(void) {
  race r = {.s = ksmc_store_new(&kind, "")};
  pthread_t w, sc;
  pthread_create(&sc, NULL, scraper, &r);
  pthread_create(&w, NULL, upserter, &r);
  pthread_join(w, NULL);
  atomic_store(&r.stop, 1);
  pthread_join(sc, NULL);
  CU_ASSERT_EQUAL(atomic_load(&r.bad), 0);
  ksmc_store_free(r.s);
}

/* An update with no snapshot alive rewrites the record in place (same pointer); with a
 * snapshot alive it makes a new record and the snapshot keeps reading the old bytes. */
static void test_in_place_update(void) {
  ksmc_store *s = ksmc_store_new(&kind, "");
  put2(s, "u1", "a 1\n", "b 1\n", 0);
  ksmc_store_snap *snap = ksmc_store_snapshot(s);
  const ksmc_record *r0 = find(snap, "u1");
  uint64_t a1 = ksmc_record_family_version(r0, 0), b1 = ksmc_record_family_version(r0, 1);
  ksmc_store_snap_release(snap);
  put2(s, "u1", "a 1\n", "b 22\n", 0); /* no snapshot: in place */
  snap = ksmc_store_snapshot(s);
  const ksmc_record *r1 = find(snap, "u1");
  CU_ASSERT_PTR_EQUAL(r1, r0);
  ksmc_slice b = ksmc_record_family(r1, 1);
  KTEST_ASSERT_BYTES(b.p, b.n, "b 22\n");
  CU_ASSERT_EQUAL(ksmc_record_family_version(r1, 0), a1);
  CU_ASSERT_NOT_EQUAL(ksmc_record_family_version(r1, 1), b1);
  CU_ASSERT_EQUAL(ksmc_store_bytes(s), 9);
  put2(s, "u1", "a 333\n", "b 22\n", 0); /* snapshot alive: copy on write */
  ksmc_store_snap *snap2 = ksmc_store_snapshot(s);
  const ksmc_record *r2 = find(snap2, "u1");
  CU_ASSERT_PTR_NOT_EQUAL(r2, r1);
  ksmc_slice a = ksmc_record_family(r1, 0), a2 = ksmc_record_family(r2, 0);
  KTEST_ASSERT_BYTES(a.p, a.n, "a 1\n");
  KTEST_ASSERT_BYTES(a2.p, a2.n, "a 333\n");
  ksmc_store_snap_release(snap);
  ksmc_store_snap_release(snap2);
  ksmc_store_free(s);
}

/* Property: the in-place path (no snapshot alive) and the copy-on-write path (a snapshot
 * always alive) give identical records -- bytes, family ends, uid and family versions --
 * for random updates that keep, change, grow and shrink families or repeat the record's
 * bytes exactly, with deletions and a relist in between. */
static void random_family(unsigned *seed, char *out, size_t cap, int f) {
  static const char *const words[] = {"x", "xy", "xyz", "0", "1", "pod_ready 1", "", "long-text"};
  int w = rand_r(seed) % 8, rep = 1 + rand_r(seed) % 8; /* <= 104 bytes: put2 takes 255 */
  size_t n = 0;
  for (int i = 0; i < rep && n + 16 < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, "%c%s\n", 'a' + f, words[w]);
  out[n] = 0;
}

static void compare_stores(ksmc_store *a, ksmc_store *b) {
  ksmc_store_snap *sa = ksmc_store_snapshot(a), *sb = ksmc_store_snapshot(b);
  CU_ASSERT_EQUAL_FATAL(ksmc_store_snap_count(sa), ksmc_store_snap_count(sb));
  CU_ASSERT_EQUAL(ksmc_store_snap_bytes(sa), ksmc_store_snap_bytes(sb));
  CU_ASSERT_EQUAL(ksmc_store_bytes(a), ksmc_store_snap_bytes(sa));
  const ksmc_record *const *ra = ksmc_store_snap_records(sa);
  for (size_t i = 0; i < ksmc_store_snap_count(sa); i++) {
    ksmc_slice u = ksmc_record_uid(ra[i]);
    char uid[32];
    snprintf(uid, sizeof uid, "%.*s", (int)u.n, u.p);
    const ksmc_record *rb = find(sb, uid);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
    CU_ASSERT_EQUAL_FATAL(ksmc_record_len(ra[i]), ksmc_record_len(rb));
    CU_ASSERT_EQUAL(memcmp(ksmc_record_bytes(ra[i]), ksmc_record_bytes(rb), ksmc_record_len(rb)),
                    0);
    for (size_t f = 0; f < kind.nfamilies; f++) {
      ksmc_slice fa = ksmc_record_family(ra[i], f), fb = ksmc_record_family(rb, f);
      CU_ASSERT_EQUAL(fa.n, fb.n);
      CU_ASSERT_EQUAL(ksmc_record_family_version(ra[i], f), ksmc_record_family_version(rb, f));
    }
  }
  ksmc_store_snap_release(sa);
  ksmc_store_snap_release(sb);
}

static void test_in_place_matches_copy_on_write(void) {
  ksmc_store *a = ksmc_store_new(&kind, ""), *b = ksmc_store_new(&kind, "");
  ksmc_store_snap *held = ksmc_store_snapshot(b);
  unsigned seed = 6;
  char fa[512], fb[512], uid[16];
  for (int i = 0; i < 20000; i++) {
    int k = rand_r(&seed) % 40; /* uids of 2..12 bytes: every padding of the uid */
    snprintf(uid, sizeof uid, "u%.*s%d", k % 9, "zzzzzzzz", k);
    int op = rand_r(&seed) % 100;
    if (op < 5) {
      CU_ASSERT_EQUAL(ksmc_store_delete(a, uid, strlen(uid)),
                      ksmc_store_delete(b, uid, strlen(uid)));
    } else if (op == 5 && i % 7 == 0) { /* a relist of the same set: records get shared */
      ksmc_store_snap *sa = ksmc_store_snapshot(a);
      ksmc_store_relist_begin(a);
      ksmc_store_relist_begin(b);
      const ksmc_record *const *r = ksmc_store_snap_records(sa);
      for (size_t k = 0; k < ksmc_store_snap_count(sa); k++) {
        ksmc_slice u = ksmc_record_uid(r[k]);
        uint32_t ends[2] = {(uint32_t)ksmc_record_family(r[k], 0).n,
                            (uint32_t)ksmc_record_len(r[k])};
        CU_ASSERT_EQUAL(ksmc_store_relist_add(a, u.p, u.n, ksmc_record_bytes(r[k]),
                                              ksmc_record_len(r[k]), ends),
                        KSMC_OK);
        CU_ASSERT_EQUAL(ksmc_store_relist_add(b, u.p, u.n, ksmc_record_bytes(r[k]),
                                              ksmc_record_len(r[k]), ends),
                        KSMC_OK);
      }
      ksmc_store_snap_release(sa);
      if (rand_r(&seed) % 4 == 0) { /* upserts while the relist is open */
        put2(a, uid, "a open\n", "b open\n", 0);
        put2(b, uid, "a open\n", "b open\n", 0);
      }
      ksmc_store_relist_commit(a);
      ksmc_store_relist_commit(b);
    } else {
      int keep = rand_r(&seed) % 4; /* 0: change both, 1: keep a, 2: keep b, 3: keep both */
      random_family(&seed, fa, sizeof fa, 0);
      random_family(&seed, fb, sizeof fb, 1);
      ksmc_store_snap *sa = keep ? ksmc_store_snapshot(a) : NULL;
      const ksmc_record *old = sa ? find(sa, uid) : NULL;
      if (old && keep != 2) { /* reuse the current bytes of a family (both: identical) */
        ksmc_slice k = ksmc_record_family(old, 0);
        snprintf(fa, sizeof fa, "%.*s", (int)k.n, k.p);
      }
      if (old && keep >= 2) {
        ksmc_slice k = ksmc_record_family(old, 1);
        snprintf(fb, sizeof fb, "%.*s", (int)k.n, k.p);
      }
      const ksmc_record *same = old && keep == 3 ? old : NULL; /* must stay as it is */
      uint64_t v0 = same ? ksmc_record_family_version(same, 0) : 0;
      uint64_t v1 = same ? ksmc_record_family_version(same, 1) : 0;
      ksmc_store_snap_release(sa);
      put2(a, uid, fa, fb, 0);
      put2(b, uid, fa, fb, 0);
      ksmc_store_snap *after = ksmc_store_snapshot(a); /* a serves exactly what was put */
      const ksmc_record *now = find(after, uid);
      size_t na = strlen(fa), nb = strlen(fb);
      CU_ASSERT_PTR_NOT_NULL_FATAL(now);
      CU_ASSERT_EQUAL_FATAL(ksmc_record_len(now), na + nb);
      CU_ASSERT_EQUAL(memcmp(ksmc_record_bytes(now), fa, na), 0);
      CU_ASSERT_EQUAL(memcmp(ksmc_record_bytes(now) + na, fb, nb), 0);
      if (same) {
        CU_ASSERT_PTR_EQUAL(now, same);
        CU_ASSERT_EQUAL(ksmc_record_family_version(now, 0), v0);
        CU_ASSERT_EQUAL(ksmc_record_family_version(now, 1), v1);
      }
      ksmc_store_snap_release(after);
    }
    if (i % 97 == 0) {
      compare_stores(a, b);
      ksmc_store_snap_release(held); /* b: a fresh snapshot keeps copy on write */
      held = ksmc_store_snapshot(b);
    }
  }
  compare_stores(a, b);
  ksmc_store_snap_release(held);
  ksmc_store_free(a);
  ksmc_store_free(b);
}

/* A slow scrape (a snapshot held while objects change many times) keeps only the
 * versions that some active snapshot can hold; every snapshot still reads its own. */
static void test_slow_scrape_pins_only_its_records(void) {
  ksmc_store *s = ksmc_store_new(&kind, "");
  char txt[32];
  CU_ASSERT_EQUAL(put(s, "a", "v0", 0), KSMC_OK);
  CU_ASSERT_EQUAL(put(s, "b", "w0", 0), KSMC_OK);
  ksmc_store_snap *slow = ksmc_store_snapshot(s);
  for (int i = 1; i <= 1000; i++) {
    snprintf(txt, sizeof txt, "v%d", i);
    CU_ASSERT_EQUAL(put(s, "a", txt, 0), KSMC_OK);
  }
  CU_ASSERT_EQUAL(ksmc_store_retired(s), 1); /* v0; v1..v999 were in no snapshot */
  ksmc_store_snap *mid = ksmc_store_snapshot(s);
  CU_ASSERT_EQUAL(put(s, "a", "x1", 0), KSMC_OK); /* v1000 is in mid */
  CU_ASSERT_EQUAL(put(s, "a", "x2", 0), KSMC_OK); /* x1 in none */
  CU_ASSERT_TRUE(ksmc_store_delete(s, "b", 1));   /* w0 in both */
  CU_ASSERT_EQUAL(ksmc_store_retired(s), 3);
  ksmc_slice v = ksmc_record_family(find(mid, "a"), 0);
  KTEST_ASSERT_BYTES(v.p, v.n, "a v1000\n");
  ksmc_store_snap_release(mid);
  CU_ASSERT_EQUAL(ksmc_store_retired(s), 2); /* v1000 freed, the slow scrape's kept */
  v = ksmc_record_family(find(slow, "a"), 0);
  KTEST_ASSERT_BYTES(v.p, v.n, "a v0\n");
  v = ksmc_record_family(find(slow, "b"), 0);
  KTEST_ASSERT_BYTES(v.p, v.n, "a w0\n");
  /* a snapshot taken now holds x2 (born before it), so x2 is kept when replaced */
  ksmc_store_snap *late = ksmc_store_snapshot(s);
  CU_ASSERT_EQUAL(put(s, "a", "x3", 0), KSMC_OK);
  CU_ASSERT_EQUAL(ksmc_store_retired(s), 3);
  ksmc_store_snap_release(slow); /* v0, w0 freed; x2 stays for late */
  CU_ASSERT_EQUAL(ksmc_store_retired(s), 1);
  v = ksmc_record_family(find(late, "a"), 0);
  KTEST_ASSERT_BYTES(v.p, v.n, "a x2\n");
  ksmc_store_snap_release(late);
  CU_ASSERT_EQUAL(ksmc_store_retired(s), 0);
  ksmc_store_free(s);
}

/* Property: under random upserts, deletes and snapshots taken and released in any order,
 * every live snapshot keeps reading exactly the bytes it was taken with (a record freed
 * too early is a use-after-free under ASan, or different bytes), the retired records
 * never outnumber what the live snapshots hold, and none is left once all are released. */
static void test_reclamation_random(void) {
  enum { KEYS = 16, SNAPS = 6, STEPS = 20000 };
  ksmc_store *s = ksmc_store_new(&kind, "");
  ksmc_store_snap *snap[SNAPS] = {0};
  char want[SNAPS][KEYS][32]; /* expected family a text per key, "" absent */
  char cur[KEYS][32] = {{0}};
  unsigned seed = 12345;
  for (int step = 0; step < STEPS; step++) {
    seed = seed * 1103515245u + 12345u;
    unsigned r = seed >> 8, k = r % KEYS, j = (r / KEYS) % SNAPS;
    char uid[8];
    snprintf(uid, sizeof uid, "k%u", k);
    switch ((r / (KEYS * SNAPS)) % 4) {
    case 0:
    case 1: {
      char text[16];
      snprintf(text, sizeof text, "v%d", step);
      snprintf(cur[k], sizeof cur[k], "a %s\n", text);
      CU_ASSERT_EQUAL(put(s, uid, text, 0), KSMC_OK);
      break;
    }
    case 2:
      CU_ASSERT_EQUAL(ksmc_store_delete(s, uid, strlen(uid)), cur[k][0] != 0);
      cur[k][0] = 0;
      break;
    default:
      if (snap[j]) {
        size_t held = 0;
        for (int i = 0; i < SNAPS; i++) held += snap[i] ? ksmc_store_snap_count(snap[i]) : 0;
        CU_ASSERT(ksmc_store_retired(s) <= held);
        for (unsigned q = 0; q < KEYS; q++) {
          char u[8];
          snprintf(u, sizeof u, "k%u", q);
          const ksmc_record *rec = find(snap[j], u);
          CU_ASSERT_EQUAL(rec != NULL, want[j][q][0] != 0);
          if (!rec) continue;
          ksmc_slice a = ksmc_record_family(rec, 0);
          CU_ASSERT(a.n == strlen(want[j][q]) && memcmp(a.p, want[j][q], a.n) == 0);
        }
        ksmc_store_snap_release(snap[j]);
        snap[j] = NULL;
      } else {
        snap[j] = ksmc_store_snapshot(s);
        memcpy(want[j], cur, sizeof cur);
      }
    }
  }
  for (int i = 0; i < SNAPS; i++) ksmc_store_snap_release(snap[i]);
  CU_ASSERT_EQUAL(ksmc_store_retired(s), 0);
  ksmc_store_free(s);
}

/* Presence masks: for a kind of WIDE families (more than the mask's 63 single bits), after
 * random upserts that empty and fill families -- in place (no snapshot alive) and by copy
 * on write (one held) -- deletions and relists, every snapshot's mask of every record says
 * exactly which families have lines: bit f for f < 63, bit 63 for any family from 63 on. */
#define WIDE 70
static const ksmc_kind_desc wide = {.kind = "W", .resource = "ws", .nfamilies = WIDE};

static void put_wide(ksmc_store *s, const char *uid, unsigned *seed, int relist) {
  char buf[WIDE * 4];
  uint32_t ends[WIDE];
  size_t n = 0;
  int density = rand_r(seed) % 4; /* 0: every family empty ... 3: most have lines */
  for (int f = 0; f < WIDE; f++) {
    if (rand_r(seed) % 4 < density) n += (size_t)snprintf(buf + n, sizeof buf - n, "%d\n", f);
    ends[f] = (uint32_t)n;
  }
  int rc = relist ? ksmc_store_relist_add(s, uid, strlen(uid), buf, n, ends)
                  : ksmc_store_upsert(s, uid, strlen(uid), buf, n, ends);
  CU_ASSERT_EQUAL(rc, KSMC_OK);
}

static void check_masks(ksmc_store *s) {
  ksmc_store_snap *snap = ksmc_store_snapshot(s);
  const ksmc_record *const *r = ksmc_store_snap_records(snap);
  const uint64_t *m = ksmc_store_snap_families(snap);
  for (size_t k = 0; k < ksmc_store_snap_count(snap); k++) {
    bool high = false;
    for (size_t f = 0; f < WIDE; f++) {
      bool has = ksmc_record_family(r[k], f).n > 0;
      if (f < 63) CU_ASSERT_EQUAL(ksmc_family_present(m[k], f), has);
      high |= f >= 63 && has;
    }
    for (size_t f = 63; f < WIDE; f++) CU_ASSERT_EQUAL(ksmc_family_present(m[k], f), high);
  }
  ksmc_store_snap_release(snap);
}

static void test_presence_masks(void) {
  ksmc_store *s = ksmc_store_new(&wide, "");
  unsigned seed = 11;
  char uid[16];
  ksmc_store_snap *held = NULL;
  for (int i = 0; i < 3000; i++) {
    snprintf(uid, sizeof uid, "u%d", rand_r(&seed) % 50);
    int op = rand_r(&seed) % 20;
    if (op == 0) {
      ksmc_store_delete(s, uid, strlen(uid));
    } else if (op == 1) {
      ksmc_store_relist_begin(s);
      for (int k = 0; k < 30; k++) {
        snprintf(uid, sizeof uid, "u%d", k);
        put_wide(s, uid, &seed, 1);
      }
      ksmc_store_relist_commit(s);
    } else {
      put_wide(s, uid, &seed, 0);
    }
    if (op == 2) { /* alternate: updates in place, then by copy on write */
      if (held) {
        ksmc_store_snap_release(held);
        held = NULL;
      } else {
        held = ksmc_store_snapshot(s);
      }
    }
    if (i % 10 == 0) check_masks(s);
  }
  ksmc_store_snap_release(held);
  check_masks(s);
  ksmc_store_free(s);
}

static const ktest_case cases[] = {
    {"upsert and delete", test_upsert_delete},
    {"many keys, identical bytes keep the record", test_many_and_identical},
    {"relist commit is atomic and shares unchanged records", test_relist},
    {"relist abort, upsert during relist", test_relist_abort_and_upsert_during},
    {"feeding from a render context", test_from_render_ctx},
    {"family versions: equal version means equal bytes", test_family_versions},
    {"scrapers only see complete relist generations", test_concurrent_relists},
    {"scrapers never see torn objects during upserts", test_concurrent_upserts},
    {"an update without snapshots is made in place", test_in_place_update},
    {"in-place and copy-on-write updates give identical records",
     test_in_place_matches_copy_on_write},
    {"a slow scrape pins only the records of its snapshot", test_slow_scrape_pins_only_its_records},
    {"random snapshots and updates: reclamation never frees a held record",
     test_reclamation_random},
    {"presence masks follow every update, in place or not", test_presence_masks},
    {0}};

KTEST_MAIN("serve_store", cases)
