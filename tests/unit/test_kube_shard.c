/* Sharding must be bit-compatible with kube-state-metrics (FNV-1a 64 + go-jump). */
#include "ksmc_shard.h"
#include "ktest.h"

static void test_fnv_vectors(void) {
  CU_ASSERT_EQUAL(ksmc_fnv1a64("", 0), 0xcbf29ce484222325ULL);
  CU_ASSERT_EQUAL(ksmc_fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
  CU_ASSERT_EQUAL(ksmc_fnv1a64("foobar", 6), 0x85944171f73967e8ULL);
  CU_ASSERT_EQUAL(ksmc_fnv1a64("test_uid", 8), 0x0ec242443e038614ULL);
  CU_ASSERT_EQUAL(ksmc_fnv1a64("3f2a9c1e-5b7d-4e8a-9c3b-1d2e3f4a5b6c", 36), 0x8b6ae279e3526c6eULL);
  CU_ASSERT_EQUAL(ksmc_fnv1a64("00000000-0000-0000-0000-000000000000", 36), 0x7c384c6218f299f1ULL);
}

static void check_shards(const char *uid, const int *want) {
  for (int total = 1; total <= 8; total++) {
    int32_t got = ksmc_jump_hash(ksmc_fnv1a64(uid, strlen(uid)), total);
    if (got != want[total - 1]) fprintf(stderr, "\n  %s total %d: got %d\n", uid, total, got);
    CU_ASSERT_EQUAL(got, want[total - 1]);
    for (int s = 0; s < total; s++)
      CU_ASSERT_EQUAL(ksmc_shard_keep(uid, strlen(uid), s, total), s == want[total - 1]);
  }
}

static void test_issue_vectors(void) {
  static const int a[8] = {0, 0, 0, 3, 3, 5, 5, 5};
  static const int z[8] = {0, 1, 1, 1, 1, 1, 1, 1};
  static const int t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  check_shards("3f2a9c1e-5b7d-4e8a-9c3b-1d2e3f4a5b6c", a);
  check_shards("00000000-0000-0000-0000-000000000000", z);
  check_shards("test_uid", t);
}

/* go-jump's own jump_test.go vectors. */
static void test_go_jump_vectors(void) {
  CU_ASSERT_EQUAL(ksmc_jump_hash(1, 1), 0);
  CU_ASSERT_EQUAL(ksmc_jump_hash(42, 57), 43);
  CU_ASSERT_EQUAL(ksmc_jump_hash(0xDEAD10CC, 1), 0);
  CU_ASSERT_EQUAL(ksmc_jump_hash(0xDEAD10CC, 666), 361);
  CU_ASSERT_EQUAL(ksmc_jump_hash(256, 1024), 520);
  CU_ASSERT_EQUAL(ksmc_jump_hash(0, 0), -1);
}

static void test_single_shard_keeps_all(void) {
  CU_ASSERT_TRUE(ksmc_shard_keep("x", 1, 0, 1));
  CU_ASSERT_TRUE(ksmc_shard_keep("", 0, 0, 0));
}

/* Every uid lands on exactly one of N shards, and the spread is roughly even. */
static void test_partition(void) {
  int count[5] = {0};
  char uid[40];
  for (int i = 0; i < 5000; i++) {
    int n = snprintf(uid, sizeof uid, "uid-%08d-0000", i);
    int owners = 0;
    for (int s = 0; s < 5; s++)
      if (ksmc_shard_keep(uid, (size_t)n, s, 5)) owners++, count[s]++;
    CU_ASSERT_EQUAL(owners, 1);
  }
  for (int s = 0; s < 5; s++) CU_ASSERT_TRUE(count[s] > 800 && count[s] < 1200);
}

static const ktest_case cases[] = {{"fnv vectors", test_fnv_vectors},
                                   {"issue vectors", test_issue_vectors},
                                   {"go-jump vectors", test_go_jump_vectors},
                                   {"single shard keeps all", test_single_shard_keeps_all},
                                   {"partition", test_partition},
                                   {0}};
KTEST_MAIN("kube_shard", cases)
