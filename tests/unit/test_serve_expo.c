/* Tests of the /metrics body writer (order, headers, de-duplication, filters,
 * OpenMetrics), content negotiation, and gzip (inflated with zlib). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ksmc_err.h"
#include "ksmc_expo.h"
#include "ksmc_store.h"
#include "ktest.h"

#define HDR(name, help, type) KSMC_LIT("# HELP " name " " help "\n# TYPE " name " " type "\n")

static const ksmc_family_desc pod_fams[] = {
    {.name = "kube_pod_a",
     .type = KSMC_GAUGE,
     .header_text = HDR("kube_pod_a", "A", "gauge"),
     .header_openmetrics = HDR("kube_pod_a", "A", "gauge")},
    {.name = "kube_pod_info",
     .type = KSMC_INFO,
     .header_text = HDR("kube_pod_info", "[STABLE] I", "gauge"),
     .header_openmetrics = HDR("kube_pod_info", "[STABLE] I", "info")},
    {.name = "kube_pod_optin",
     .type = KSMC_GAUGE,
     .opt_in = true,
     .header_text = HDR("kube_pod_optin", "O", "gauge"),
     .header_openmetrics = HDR("kube_pod_optin", "O", "gauge")},
    {.name = "kube_pod_labels",
     .type = KSMC_GAUGE,
     .header_text = HDR("kube_pod_labels", "L", "gauge"),
     .header_openmetrics = HDR("kube_pod_labels", "L", "gauge")},
};
static const ksmc_kind_desc pods = {.resource = "pods", .families = pod_fams, .nfamilies = 4};

static const ksmc_family_desc node_fams[] = {
    {.name = "kube_node_x",
     .header_text = HDR("kube_node_x", "X", "gauge"),
     .header_openmetrics = HDR("kube_node_x", "X", "gauge")},
    {.name = "kube_shared",
     .header_text = HDR("kube_shared", "S", "gauge"),
     .header_openmetrics = HDR("kube_shared", "S", "gauge")},
};
static const ksmc_kind_desc nodes = {.resource = "nodes", .families = node_fams, .nfamilies = 2};

static const ksmc_family_desc zoo_fams[] = {
    {.name = "kube_shared",
     .header_text = HDR("kube_shared", "S", "gauge"),
     .header_openmetrics = HDR("kube_shared", "S", "gauge")},
};
static const ksmc_kind_desc zoos = {.resource = "zoos", .families = zoo_fams, .nfamilies = 1};
static const ksmc_kind_desc cms = {.resource = "configmaps", .families = zoo_fams, .nfamilies = 1};

/* Puts an object with one line per listed family text (NULL = empty family). */
static void put(ksmc_store *s, const char *uid, const char *const *lines, size_t nf) {
  char buf[512];
  uint32_t ends[8];
  size_t n = 0;
  for (size_t i = 0; i < nf; i++) {
    if (lines[i]) n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\n", lines[i]);
    ends[i] = (uint32_t)n;
  }
  CU_ASSERT_EQUAL(ksmc_store_upsert(s, uid, strlen(uid), buf, n, ends), KSMC_OK);
}

typedef struct {
  ksmc_store *pod_ns1, *pod_ns2, *node, *zoo, *cm;
  ksmc_expo *e;
} fixture;

static void fixture_init(fixture *f) {
  f->pod_ns1 = ksmc_store_new(&pods, "ns1");
  f->pod_ns2 = ksmc_store_new(&pods, "ns2");
  f->node = ksmc_store_new(&nodes, "");
  f->zoo = ksmc_store_new(&zoos, "");
  f->cm = ksmc_store_new(&cms, "");
  put(f->pod_ns1, "p1",
      (const char *[]){"kube_pod_a{p=\"1\"} 1", "kube_pod_info{p=\"1\"} 1",
                       "kube_pod_optin{p=\"1\"} 1", NULL},
      4);
  put(f->pod_ns2, "p2",
      (const char *[]){"kube_pod_a{p=\"2\"} 2", "kube_pod_info{p=\"2\"} 1",
                       "kube_pod_optin{p=\"2\"} 1", NULL},
      4);
  put(f->node, "n1", (const char *[]){"kube_node_x{n=\"1\"} 1", "kube_shared{n=\"1\"} 1"}, 2);
  put(f->zoo, "z1", (const char *[]){"kube_shared{z=\"1\"} 1"}, 1);
  ksmc_store *pst[] = {f->pod_ns2, f->pod_ns1}; /* stream order: ns2 first */
  ksmc_expo_resource res[] = {
      {&zoos, NULL, &f->zoo, 1},
      {&pods, NULL, pst, 2},
      {&cms, NULL, &f->cm, 1},
      {&nodes, NULL, &f->node, 1},
  };
  f->e = ksmc_expo_new(res, 4);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->e);
}

static void fixture_free(fixture *f) {
  ksmc_expo_free(f->e);
  ksmc_store_free(f->pod_ns1);
  ksmc_store_free(f->pod_ns2);
  ksmc_store_free(f->node);
  ksmc_store_free(f->zoo);
  ksmc_store_free(f->cm);
}

static char *body(const ksmc_expo *e, const ksmc_expo_opts *o) {
  ksmc_buf b = {0};
  CU_ASSERT_TRUE(ksmc_expo_write_buf(e, o, &b));
  char *s = strdup(ksmc_buf_cstr(&b));
  ksmc_buf_free(&b);
  return s;
}

#define ASSERT_BODY(e, o, want)                                                                    \
  do {                                                                                             \
    char *got_ = body(e, o);                                                                       \
    KTEST_ASSERT_BYTES(got_, strlen(got_), want);                                                  \
    free(got_);                                                                                    \
  } while (0)

static const char full_text[] =
    "# HELP kube_node_x X\n# TYPE kube_node_x gauge\nkube_node_x{n=\"1\"} 1\n"
    "# HELP kube_shared S\n# TYPE kube_shared gauge\nkube_shared{n=\"1\"} 1\n"
    "# HELP kube_pod_a A\n# TYPE kube_pod_a gauge\nkube_pod_a{p=\"2\"} 2\nkube_pod_a{p=\"1\"} 1\n"
    "# HELP kube_pod_info [STABLE] I\n# TYPE kube_pod_info gauge\n"
    "kube_pod_info{p=\"2\"} 1\nkube_pod_info{p=\"1\"} 1\n"
    "# HELP kube_pod_labels L\n# TYPE kube_pod_labels gauge\n"
    "kube_shared{z=\"1\"} 1\n";

static void test_order_headers_dedup(void) {
  fixture f;
  fixture_init(&f);
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  /* configmaps: no object, no header; nodes < pods < zoos; family-major; stores in stream
   * order; opt-in family off; kube_pod_labels header without samples; kube_shared's
   * header once. */
  ASSERT_BODY(f.e, &o, full_text);
  CU_ASSERT_EQUAL(ksmc_expo_nresources(f.e), 4);
  CU_ASSERT_STRING_EQUAL(ksmc_expo_resource_at(f.e, 0)->kind->resource, "configmaps");
  fixture_free(&f);
}

static void test_openmetrics(void) {
  fixture f;
  fixture_init(&f);
  const char *only[] = {"pods"};
  ksmc_expo_opts o = {.format = KSMC_EXPO_OPENMETRICS, .resources = only, .nresources = 1};
  ASSERT_BODY(f.e, &o,
              "# HELP kube_pod_a A\n# TYPE kube_pod_a gauge\nkube_pod_a{p=\"2\"} 2\n"
              "kube_pod_a{p=\"1\"} 1\n"
              "# HELP kube_pod_info [STABLE] I\n# TYPE kube_pod_info info\n"
              "kube_pod_info{p=\"2\"} 1\nkube_pod_info{p=\"1\"} 1\n"
              "# HELP kube_pod_labels L\n# TYPE kube_pod_labels gauge\n# EOF\n");
  const char *cm[] = {"configmaps"};
  o.resources = cm;
  ASSERT_BODY(f.e, &o, "# EOF\n");
  o.format = KSMC_EXPO_TEXT;
  ASSERT_BODY(f.e, &o, "");
  fixture_free(&f);
}

static void test_filters(void) {
  fixture f;
  fixture_init(&f);
  const char *inc[] = {" zoos , nodes", "", "pods"};
  const char *exc[] = {"x", "pods ,nodes"};
  ksmc_expo_opts o = {.resources = inc, .nresources = 3, .exclude = exc, .nexclude = 2};
  /* Exclusion wins; kube_shared's header is printed by zoos now (nodes filtered out
   * before de-duplication). */
  ASSERT_BODY(f.e, &o, "# HELP kube_shared S\n# TYPE kube_shared gauge\nkube_shared{z=\"1\"} 1\n");
  const char *empty[] = {" , "};
  o = (ksmc_expo_opts){.resources = empty, .nresources = 1};
  ASSERT_BODY(f.e, &o, full_text); /* an empty list is no filter */
  const char *none[] = {"nosuch"};
  o.resources = none;
  ASSERT_BODY(f.e, &o, "");
  fixture_free(&f);
}

static void test_enabled_families(void) {
  ksmc_store *s = ksmc_store_new(&pods, "");
  put(s, "p", (const char *[]){"a 1", "i 1", "o 1", NULL}, 4);
  bool en[] = {false, false, true, false};
  ksmc_expo_resource r = {&pods, en, &s, 1};
  ksmc_expo *e = ksmc_expo_new(&r, 1);
  ksmc_expo_opts o = {0};
  ASSERT_BODY(e, &o, "# HELP kube_pod_optin O\n# TYPE kube_pod_optin gauge\no 1\n");
  ksmc_store_delete(s, "p", 1);
  ASSERT_BODY(e, &o, "");
  ksmc_expo_free(e);
  ksmc_store_free(s);
}

/* The body of a WIDE kind (more families than the presence mask's 63 single bits) whose
 * objects have random families empty -- sparse and dense objects, long runs of objects
 * without a family (the walk passes them by their masks) -- is exactly the family-major
 * concatenation of every record's family bytes, read from snapshots independently. */
#define WIDE 70

static void wide_put(ksmc_store *s, int i, unsigned *seed) {
  char buf[WIDE * 24], uid[16];
  uint32_t ends[WIDE];
  size_t n = 0;
  int density = rand_r(seed) % 5; /* 0: nothing ... 4: every family */
  for (int f = 0; f < WIDE; f++) {
    bool run = f % 7 == 3 && i % 64 < 40; /* families missing from 40 objects in a row */
    if (!run && rand_r(seed) % 4 < density)
      n += (size_t)snprintf(buf + n, sizeof buf - n, "kube_w_%d{o=\"%d\"} 1\n", f, i);
    ends[f] = (uint32_t)n;
  }
  snprintf(uid, sizeof uid, "w%d", i);
  CU_ASSERT_EQUAL(ksmc_store_upsert(s, uid, strlen(uid), buf, n, ends), KSMC_OK);
}

static void naive_body(ksmc_store *const *st, size_t nst, const ksmc_family_desc *fams,
                       ksmc_buf *b) {
  ksmc_store_snap *snap[2];
  for (size_t k = 0; k < nst; k++) snap[k] = ksmc_store_snapshot(st[k]);
  for (size_t f = 0; f < WIDE; f++) {
    ksmc_buf_put(b, fams[f].header_text.p, fams[f].header_text.n);
    for (size_t k = 0; k < nst; k++)
      for (size_t i = 0; i < ksmc_store_snap_count(snap[k]); i++) {
        ksmc_slice sl = ksmc_record_family(ksmc_store_snap_records(snap[k])[i], f);
        ksmc_buf_put(b, sl.p, sl.n);
      }
  }
  for (size_t k = 0; k < nst; k++) ksmc_store_snap_release(snap[k]);
}

static void test_sparse_wide_families(void) {
  static ksmc_family_desc fams[WIDE];
  static char names[WIDE][16], headers[WIDE][96];
  for (int f = 0; f < WIDE; f++) {
    snprintf(names[f], sizeof names[f], "kube_w_%d", f);
    int n = snprintf(headers[f], sizeof headers[f], "# HELP %s W\n# TYPE %s gauge\n", names[f],
                     names[f]);
    fams[f] = (ksmc_family_desc){.name = names[f],
                                 .header_text = {headers[f], (size_t)n},
                                 .header_openmetrics = {headers[f], (size_t)n}};
  }
  const ksmc_kind_desc wide = {.resource = "ws", .families = fams, .nfamilies = WIDE};
  ksmc_store *st[2] = {ksmc_store_new(&wide, "a"), ksmc_store_new(&wide, "b")};
  unsigned seed = 5;
  for (int i = 0; i < 400; i++) wide_put(st[i % 3 == 0], i, &seed);
  ksmc_expo_resource r = {&wide, NULL, st, 2};
  ksmc_expo *e = ksmc_expo_new(&r, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(e);
  for (int round = 0; round < 3; round++) {
    ksmc_buf want = {0}, got = {0};
    naive_body(st, 2, fams, &want);
    ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
    CU_ASSERT_TRUE(ksmc_expo_write_buf(e, &o, &got));
    CU_ASSERT_EQUAL(got.n, want.n);
    CU_ASSERT_TRUE(got.n == want.n && memcmp(got.p, want.p, got.n) == 0);
    ksmc_buf_free(&want);
    ksmc_buf_free(&got);
    for (int i = 0; i < 150; i++) wide_put(st[i % 2], (int)(rand_r(&seed) % 400), &seed);
  }
  ksmc_expo_free(e);
  ksmc_store_free(st[0]);
  ksmc_store_free(st[1]);
}

/* Reading in tiny pieces and writev to a pipe give the same bytes. */
static void test_read_sizes_and_fd(void) {
  fixture f;
  fixture_init(&f);
  ksmc_expo_opts o = {.format = KSMC_EXPO_OPENMETRICS};
  char *want = body(f.e, &o);
  for (size_t step = 1; step < 9; step++) {
    ksmc_expo_req *q = ksmc_expo_begin(f.e, &o);
    char got[4096];
    size_t n = 0;
    ssize_t k;
    while ((k = ksmc_expo_read(q, got + n, step)) > 0) n += (size_t)k;
    CU_ASSERT_EQUAL(ksmc_expo_req_bytes(q), strlen(want));
    ksmc_expo_end(q);
    KTEST_ASSERT_BYTES(got, n, want);
  }
  int p[2];
  CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
  ksmc_expo_req *q = ksmc_expo_begin(f.e, &o);
  char first[10];
  CU_ASSERT_EQUAL(ksmc_expo_read(q, first, 10), 10); /* a partial slice is carried over */
  CU_ASSERT_EQUAL(write(p[1], first, 10), 10);
  CU_ASSERT_EQUAL(ksmc_expo_write_fd(q, p[1]), 0);
  CU_ASSERT_EQUAL(ksmc_expo_req_bytes(q), strlen(want));
  ksmc_expo_end(q);
  close(p[1]);
  char got[4096];
  ssize_t n = read(p[0], got, sizeof got);
  close(p[0]);
  KTEST_ASSERT_BYTES(got, (size_t)n, want);
  free(want);
  fixture_free(&f);
}

/* ---- gzip ---- */

/* Inflates every gzip member of in (as gunzip and Go's multistream reader do). */
static size_t gunzip_all(const unsigned char *in, size_t n, unsigned char *out, size_t cap,
                         int *members) {
  z_stream z = {0};
  CU_ASSERT_EQUAL_FATAL(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
  z.next_in = (unsigned char *)in;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  *members = 0;
  for (;;) {
    int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      (*members)++;
      if (z.avail_in == 0) break;
      inflateReset(&z);
      continue;
    }
    CU_ASSERT_EQUAL(rc, Z_OK);
    if (rc != Z_OK) break;
  }
  size_t got = cap - z.avail_out;
  inflateEnd(&z);
  return got;
}

/* gunzip of a whole body must be exactly `plain` in one member. */
static void assert_gunzips_to(const ksmc_buf *z, const char *plain) {
  size_t pn = strlen(plain);
  unsigned char *out = malloc(pn + 2);
  int members;
  size_t got = gunzip_all((const unsigned char *)z->p, z->n, out, pn + 1, &members);
  CU_ASSERT_EQUAL(members, 1);
  CU_ASSERT_EQUAL(got, pn);
  CU_ASSERT_TRUE(got == pn && memcmp(out, plain, pn) == 0);
  free(out);
}

static void gzip_matches_plain(const ksmc_expo *e, ksmc_expo_opts o) {
  o.gzip = false;
  char *plain = body(e, &o);
  o.gzip = true;
  ksmc_buf z = {0};
  CU_ASSERT_TRUE(ksmc_expo_write_buf(e, &o, &z));
  assert_gunzips_to(&z, plain);
  ksmc_buf_free(&z);
  free(plain);
}

/* The gzip body is built from cached per-segment blocks: after updates, deletes (which
 * move objects between positions), inserts, relists and with filters, formats and
 * shared headers it must still inflate to exactly the plain body. */
static void test_gzip_cache_after_churn(void) {
  fixture f;
  fixture_init(&f);
  char uid[32], a[96], info[96], lab[96];
  unsigned seed = 7;
  for (int round = 0; round < 12; round++) {
    for (int i = 0; i < 1500; i++) {
      seed = seed * 1103515245u + 12345u;
      int id = (int)(seed >> 8) % 1200;
      snprintf(uid, sizeof uid, "u%d", id);
      ksmc_store *s = id % 3 ? f.pod_ns1 : f.pod_ns2;
      if ((seed >> 4) % 7 == 0) {
        ksmc_store_delete(s, uid, strlen(uid));
        continue;
      }
      /* most updates change one family only, like status churn */
      snprintf(a, sizeof a, "kube_pod_a{p=\"%d\"} %d", id, round % 3 == 0 ? (int)(seed % 5) : 1);
      snprintf(info, sizeof info, "kube_pod_info{p=\"%d\"} 1", id);
      snprintf(lab, sizeof lab, "kube_pod_labels{p=\"%d\",r=\"%d\"} 1", id, round % 4);
      put(s, uid, (const char *[]){a, info, NULL, round % 2 ? lab : NULL}, 4);
    }
    if (round == 5) { /* a relist that drops the odd objects of ns1 */
      ksmc_store_relist_begin(f.pod_ns1);
      for (int id = 0; id < 1200; id += 2) {
        if (id % 3 == 0) continue;
        snprintf(uid, sizeof uid, "u%d", id);
        snprintf(a, sizeof a, "kube_pod_a{p=\"%d\"} 9", id);
        uint32_t ends[4];
        size_t n = strlen(a);
        a[n++] = '\n';
        ends[0] = ends[1] = ends[2] = ends[3] = (uint32_t)n;
        CU_ASSERT_EQUAL(ksmc_store_relist_add(f.pod_ns1, uid, strlen(uid), a, n, ends), KSMC_OK);
      }
      ksmc_store_relist_commit(f.pod_ns1);
    }
    ksmc_expo_opts o = {.format = round % 2 ? KSMC_EXPO_OPENMETRICS : KSMC_EXPO_TEXT};
    gzip_matches_plain(f.e, o);
    gzip_matches_plain(f.e, o); /* second time from the cache */
    const char *ex[] = {"nodes"};
    o.exclude = ex;
    o.nexclude = 1;
    gzip_matches_plain(f.e, o);
    if (round == 8) { /* another level must not reuse level-1 blocks (and replaces them) */
      o.gzip_level = 6;
      gzip_matches_plain(f.e, o);
    }
  }
  fixture_free(&f);
}

static void test_gzip_round_trip(void) {
  ksmc_store *s = ksmc_store_new(&pods, "");
  char uid[32], l1[128], l2[128];
  for (int i = 0; i < 40000; i++) { /* ~4 MB: many deflate calls */
    snprintf(uid, sizeof uid, "u%d", i);
    snprintf(l1, sizeof l1, "kube_pod_a{namespace=\"ns%d\",pod=\"pod-%d\",uid=\"%s\"} %d", i % 7, i,
             uid, i);
    snprintf(l2, sizeof l2, "kube_pod_info{pod=\"pod-%d\",node=\"node-%d\"} 1", i, i % 100);
    put(s, uid, (const char *[]){l1, l2, NULL, NULL}, 4);
  }
  ksmc_expo_resource r = {&pods, NULL, &s, 1};
  ksmc_expo *e = ksmc_expo_new(&r, 1);
  ksmc_expo_opts o = {.format = KSMC_EXPO_OPENMETRICS};
  char *plain = body(e, &o);
  size_t pn = strlen(plain);
  CU_ASSERT_TRUE(pn > 1 << 20); /* many segment blocks and reader calls */
  o.gzip = true;
  ksmc_buf z = {0};
  CU_ASSERT_TRUE(ksmc_expo_write_buf(e, &o, &z));
  unsigned char *out = malloc(pn + 1);
  int members;
  size_t got = gunzip_all((unsigned char *)z.p, z.n, out, pn + 1, &members);
  CU_ASSERT_EQUAL(got, pn);
  CU_ASSERT_EQUAL(memcmp(out, plain, pn), 0);
  CU_ASSERT_EQUAL(members, 1); /* one member: curl and browsers need that */
  fprintf(stderr, " [%zu -> %zu bytes, %d members] ", pn, z.n, members);
  /* An empty body is still a valid gzip stream. */
  ksmc_store_relist_begin(s);
  ksmc_store_relist_commit(s);
  o.format = KSMC_EXPO_TEXT;
  ksmc_buf_reset(&z);
  CU_ASSERT_TRUE(ksmc_expo_write_buf(e, &o, &z));
  CU_ASSERT_TRUE(z.n >= 18);
  CU_ASSERT_EQUAL(gunzip_all((unsigned char *)z.p, z.n, out, pn + 1, &members), 0);
  CU_ASSERT_EQUAL(members, 1);
  ksmc_buf_free(&z);
  free(out);
  free(plain);
  ksmc_expo_free(e);
  ksmc_store_free(s);
}

/* ---- responses during relists ---- */

typedef struct {
  ksmc_store *s;
  ksmc_expo *e;
  atomic_int stop;
} relist_race;

/* Generation g has 20 + g % 50 pods; every line carries g. */
static void *relister(void *arg) {
  relist_race *r = arg;
  char uid[32], a[64], i[64];
  for (int g = 1; g <= 300; g++) {
    ksmc_store_relist_begin(r->s);
    for (int k = 0; k < 20 + g % 50; k++) {
      snprintf(uid, sizeof uid, "u%d", k);
      snprintf(a, sizeof a, "kube_pod_a{g=\"%d\",k=\"%d\"} 1", g, k);
      snprintf(i, sizeof i, "kube_pod_info{g=\"%d\",k=\"%d\"} 1", g, k);
      const char *lines[] = {a, i, NULL, NULL};
      char buf[256];
      uint32_t ends[4];
      size_t n = 0;
      for (size_t f = 0; f < 4; f++) {
        if (lines[f]) n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\n", lines[f]);
        ends[f] = (uint32_t)n;
      }
      ksmc_store_relist_add(r->s, uid, strlen(uid), buf, n, ends);
    }
    ksmc_store_relist_commit(r->s);
  }
  atomic_store(&r->stop, 1);
  return NULL;
}

/* Every sample line of one body carries the same generation, and each family has
 * exactly 20 + g % 50 samples. */
static bool body_consistent(const char *body) {
  int g = -1, na = 0, ni = 0;
  for (const char *l = body; *l; l = strchr(l, '\n') + 1) {
    if (*l == '#') continue;
    const char *q = strstr(l, "g=\"");
    int lg = q ? atoi(q + 3) : -2;
    if (g == -1) g = lg;
    if (lg != g) return false;
    if (strncmp(l, "kube_pod_a{", 11) == 0) na++;
    if (strncmp(l, "kube_pod_info{", 14) == 0) ni++;
  }
  return g < 0 || (na == 20 + g % 50 && ni == na);
}

static void test_bodies_during_relists(void) {
  relist_race r = {.s = ksmc_store_new(&pods, "")};
  ksmc_expo_resource res = {&pods, NULL, &r.s, 1};
  r.e = ksmc_expo_new(&res, 1);
  pthread_t t;
  pthread_create(&t, NULL, relister, &r);
  int bodies = 0, bad = 0;
  ksmc_expo_opts o = {.format = KSMC_EXPO_TEXT};
  while (!atomic_load(&r.stop)) {
    char *b = body(r.e, &o);
    bad += !body_consistent(b);
    bodies++;
    free(b);
  }
  pthread_join(t, NULL);
  fprintf(stderr, " [%d bodies] ", bodies);
  CU_ASSERT_EQUAL(bad, 0);
  ksmc_expo_free(r.e);
  ksmc_store_free(r.s);
}

/* ---- negotiation ---- */

static const char prom3[] =
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
    "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-"
    "utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
static const char prom3_legacy[] =
    "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,"
    "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping="
    "underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
static const char prom3_proto[] =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
    "q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
    "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
static const char prom2[] = "application/openmetrics-text;version=1.0.0;q=0.5,"
                            "application/openmetrics-text;version=0.0.1;q=0.4,"
                            "text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

#define OM(v, esc) "application/openmetrics-text; version=" v "; charset=utf-8; escaping=" esc

static void test_negotiation(void) {
  static const struct {
    const char *accept, *want;
  } table[] = {
      {NULL, KSMC_CONTENT_TYPE_TEXT},
      {"", KSMC_CONTENT_TYPE_TEXT},
      {"*/*", KSMC_CONTENT_TYPE_TEXT}, /* curl */
      {"text/html,application/xhtml+xml,*/*;q=0.8", KSMC_CONTENT_TYPE_TEXT},
      {prom3, OM("1.0.0", "allow-utf-8")},
      {prom3_legacy, OM("1.0.0", "underscores")},
      {prom3_proto, KSMC_CONTENT_TYPE_TEXT}, /* protobuf wins, KSM falls back to text */
      {prom2, OM("1.0.0", "underscores")},
      {"application/openmetrics-text", OM("0.0.1", "underscores")},
      {"application/openmetrics-text; version=0.0.1", OM("0.0.1", "underscores")},
      {"application/openmetrics-text;version=2.0.0", KSMC_CONTENT_TYPE_TEXT},
      {"application/openmetrics-text;version=1.0.0;escaping=bogus", OM("1.0.0", "underscores")},
      {"application/openmetrics-text;version=1.0.0;escaping=dots", OM("1.0.0", "dots")},
      /* an earlier entry's escaping carries over (expfmt keeps the variable) */
      {"text/plain;version=9;escaping=values;q=0.9,application/openmetrics-text;q=0.8",
       OM("0.0.1", "values")},
      {"text/plain;q=0.1,application/openmetrics-text;version=1.0.0;q=0.2",
       OM("1.0.0", "underscores")},
      {"application/openmetrics-text;version=1.0.0;q=0.2,text/plain;q=0.3", KSMC_CONTENT_TYPE_TEXT},
      {"text/plain;version=0.0.4", KSMC_CONTENT_TYPE_TEXT},
      {"application/openmetrics-text;q=bad,text/plain", KSMC_CONTENT_TYPE_TEXT},
      {"  application/openmetrics-text ; version=1.0.0 ", OM("1.0.0", "underscores")},
      {"a/b/c,application/openmetrics-text;version=1.0.0", OM("1.0.0", "underscores")},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    ksmc_expo_negotiated n;
    ksmc_expo_negotiate(table[i].accept, &n);
    if (strcmp(n.content_type, table[i].want) != 0)
      fprintf(stderr, "\n  accept %s\n  want %s\n  got  %s\n", table[i].accept, table[i].want,
              n.content_type);
    CU_ASSERT_STRING_EQUAL(n.content_type, table[i].want);
    CU_ASSERT_EQUAL(n.format, strncmp(table[i].want, "application/openmetrics", 23) == 0
                                  ? KSMC_EXPO_OPENMETRICS
                                  : KSMC_EXPO_TEXT);
  }
}

static void test_gzip_accepted(void) {
  CU_ASSERT_TRUE(ksmc_expo_gzip_accepted("gzip"));
  CU_ASSERT_TRUE(ksmc_expo_gzip_accepted("deflate, gzip"));
  CU_ASSERT_TRUE(ksmc_expo_gzip_accepted("br,gzip;q=0.5"));
  CU_ASSERT_TRUE(ksmc_expo_gzip_accepted(" gzip ,identity"));
  CU_ASSERT_FALSE(ksmc_expo_gzip_accepted(NULL));
  CU_ASSERT_FALSE(ksmc_expo_gzip_accepted(""));
  CU_ASSERT_FALSE(ksmc_expo_gzip_accepted("identity"));
  CU_ASSERT_FALSE(ksmc_expo_gzip_accepted("x-gzip"));
  CU_ASSERT_FALSE(ksmc_expo_gzip_accepted("gzipper"));
  CU_ASSERT_FALSE(ksmc_expo_gzip_accepted("*"));
}

static const ktest_case cases[] = {
    {"order, empty stores, header de-duplication", test_order_headers_dedup},
    {"OpenMetrics types and EOF", test_openmetrics},
    {"resources / exclude_resources filters", test_filters},
    {"enabled families", test_enabled_families},
    {"tiny reads and writev give the same body", test_read_sizes_and_fd},
    {"sparse families of a wide kind: the body is every record's bytes, family-major",
     test_sparse_wide_families},
    {"gzip round trip (zlib inflate)", test_gzip_round_trip},
    {"gzip from cached blocks after churn equals the plain body", test_gzip_cache_after_churn},
    {"bodies during relists are single generations", test_bodies_during_relists},
    {"negotiation table", test_negotiation},
    {"Accept-Encoding gzip", test_gzip_accepted},
    {0}};

KTEST_MAIN("serve_expo", cases)
