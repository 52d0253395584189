/* ksmc_autoshard's pure parts: the ordinal from the pod name, the StatefulSet owner from
 * the pod's JSON, spec.replicas, and when to re-shard. */
#include <string.h>

#include "ksmc_autoshard.h"
#include "ksmc_shard.h"
#include "ktest.h"

static void test_ordinal(void) {
  int32_t o = -7;
  CU_ASSERT_TRUE(ksmc_autoshard_ordinal("ksmc-0", "ksmc", &o));
  CU_ASSERT_EQUAL(o, 0);
  CU_ASSERT_TRUE(ksmc_autoshard_ordinal("ksmc-12", "ksmc", &o));
  CU_ASSERT_EQUAL(o, 12);
  CU_ASSERT_TRUE(ksmc_autoshard_ordinal("kube-state-metrics-3", "kube-state-metrics", &o));
  CU_ASSERT_EQUAL(o, 3);
  CU_ASSERT_TRUE(ksmc_autoshard_ordinal("a-b-2147483647", "a-b", &o));
  CU_ASSERT_EQUAL(o, 2147483647);
  o = 5;
  CU_ASSERT_FALSE(ksmc_autoshard_ordinal("a-b-2147483648", "a-b", &o)); /* > int32 */
  CU_ASSERT_FALSE(ksmc_autoshard_ordinal("ksmc-", "ksmc", &o));
  CU_ASSERT_FALSE(ksmc_autoshard_ordinal("ksmc-x", "ksmc", &o));
  CU_ASSERT_FALSE(ksmc_autoshard_ordinal("ksmc-1a", "ksmc", &o));
  CU_ASSERT_FALSE(ksmc_autoshard_ordinal("ksmc-+1", "ksmc", &o));
  CU_ASSERT_FALSE(ksmc_autoshard_ordinal("ksmc-a-1", "ksmc", &o) && o == 1); /* "a-1" */
  CU_ASSERT_FALSE(ksmc_autoshard_ordinal("ksmc1", "ksmc", &o));
  CU_ASSERT_FALSE(ksmc_autoshard_ordinal("other-1", "ksmc", &o));
  CU_ASSERT_FALSE(ksmc_autoshard_ordinal("ksmc-1", "", &o));
  CU_ASSERT_EQUAL(o, 5); /* untouched on failure */
}

#define OWNED(refs)                                                                                \
  "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"ksmc-1\",\"namespace\":\"m\","                       \
  "\"ownerReferences\":" refs ",\"uid\":\"u\"},\"spec\":{}}"

static bool owner(const char *json, char *name, size_t cap) {
  return ksmc_autoshard_owner(json, strlen(json), name, cap);
}

static void test_owner(void) {
  char n[64];
  CU_ASSERT_TRUE(owner(OWNED("[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":"
                             "\"ksmc\",\"uid\":\"x\",\"controller\":true}]"),
                       n, sizeof n));
  CU_ASSERT_STRING_EQUAL(n, "ksmc");
  /* the StatefulSet entry is found after others, with spaces and keys in any order */
  CU_ASSERT_TRUE(
      owner(OWNED("[ {\"kind\":\"ReplicaSet\",\"apiVersion\":\"apps/v1\",\"name\":\"rs\"}"
                  " , {\"name\":\"shards\",\"kind\":\"StatefulSet\",\"apiVersion\":"
                  "\"apps/v1\",\"blockOwnerDeletion\":true} ]"),
            n, sizeof n));
  CU_ASSERT_STRING_EQUAL(n, "shards");
  /* a custom kind named StatefulSet in another group is not it */
  CU_ASSERT_FALSE(owner(OWNED("[{\"apiVersion\":\"example.com/v1\",\"kind\":\"StatefulSet\","
                              "\"name\":\"other\"}]"),
                        n, sizeof n));
  CU_ASSERT_FALSE(owner(OWNED("[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":"
                              "\"rs\"}]"),
                        n, sizeof n));
  CU_ASSERT_FALSE(owner(OWNED("[]"), n, sizeof n));
  CU_ASSERT_FALSE(owner("{\"metadata\":{\"name\":\"ksmc-0\"}}", n, sizeof n));
  CU_ASSERT_FALSE(
      owner("{\"metadata\":{\"ownerReferences\":[{\"kind\":\"StatefulSet\"", n, sizeof n));
  CU_ASSERT_FALSE(owner("not json", n, sizeof n));
  /* a name that does not fit is an error, not a truncated name */
  CU_ASSERT_FALSE(owner(OWNED("[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":"
                              "\"abcdefgh\"}]"),
                        n, 8));
  CU_ASSERT_TRUE(owner(OWNED("[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":"
                             "\"abcdefg\"}]"),
                       n, 8));
  CU_ASSERT_STRING_EQUAL(n, "abcdefg");
}

static bool replicas(const char *json, int32_t *r) {
  return ksmc_autoshard_replicas(json, strlen(json), r);
}

static void test_replicas(void) {
  int32_t r = -1;
  CU_ASSERT_TRUE(replicas("{\"metadata\":{\"name\":\"ksmc\"},\"spec\":{\"replicas\":3}}", &r));
  CU_ASSERT_EQUAL(r, 3);
  CU_ASSERT_TRUE(replicas(" {\"spec\":{\"serviceName\":\"s\",\"replicas\":0}}", &r));
  CU_ASSERT_EQUAL(r, 0);
  CU_ASSERT_TRUE(replicas("{\"metadata\":{},\"spec\":{\"serviceName\":\"s\"}}", &r));
  CU_ASSERT_EQUAL(r, 1); /* absent: the API default */
  r = 9;
  CU_ASSERT_TRUE(replicas("{\"spec\":{\"replicas\":null}}", &r));
  CU_ASSERT_EQUAL(r, 1);
  r = 9;
  CU_ASSERT_FALSE(replicas("{\"spec\":{\"replicas\":-1}}", &r));
  CU_ASSERT_FALSE(replicas("{\"spec\":{\"replicas\":\"3\"}}", &r));
  CU_ASSERT_FALSE(replicas("{\"spec\":{\"replicas\":2.5}}", &r));
  CU_ASSERT_FALSE(replicas("{\"spec\":{\"replicas\":4294967296}}", &r));
  CU_ASSERT_FALSE(replicas("{\"spec\":{\"replicas\":3", &r)); /* truncated */
  CU_ASSERT_FALSE(replicas("[]", &r));
  CU_ASSERT_FALSE(replicas("", &r));
  CU_ASSERT_EQUAL(r, 9);
}

static void test_decide(void) {
  ksmc_autoshard_state st;
  ksmc_autoshard_state_init(&st, 1);
  CU_ASSERT_EQUAL(st.replicas, -1);
  CU_ASSERT_TRUE(ksmc_autoshard_decide(&st, 2)); /* the first value always applies */
  CU_ASSERT_EQUAL(st.shard, 1);
  CU_ASSERT_EQUAL(st.total, 2);
  CU_ASSERT_FALSE(ksmc_autoshard_decide(&st, 2)); /* unchanged (other fields edited) */
  CU_ASSERT_TRUE(ksmc_autoshard_decide(&st, 3));  /* scale out */
  CU_ASSERT_EQUAL(st.shard, 1);
  CU_ASSERT_EQUAL(st.total, 3);
  CU_ASSERT_TRUE(ksmc_autoshard_decide(&st, 1)); /* scale in below this ordinal */
  CU_ASSERT_EQUAL(st.shard, -1);
  CU_ASSERT_EQUAL(st.total, 1);
  CU_ASSERT_FALSE(ksmc_autoshard_decide(&st, -1)); /* invalid: ignored */
  CU_ASSERT_EQUAL(st.replicas, 1);
  ksmc_autoshard_state_init(&st, 0);
  CU_ASSERT_TRUE(ksmc_autoshard_decide(&st, 0)); /* scaled to zero: nothing */
  CU_ASSERT_EQUAL(st.shard, -1);
  CU_ASSERT_TRUE(ksmc_autoshard_decide(&st, 1));
  CU_ASSERT_EQUAL(st.shard, 0);
  CU_ASSERT_EQUAL(st.total, 1);
}

/* The decisions, fed to the shard filter, split every uid exactly once across the live
 * ordinals and keep nothing on ordinals >= replicas. */
static void test_split_exact(void) {
  for (int32_t reps = 1; reps <= 5; reps++) {
    ksmc_autoshard_state st[7];
    for (int32_t o = 0; o < 7; o++) {
      ksmc_autoshard_state_init(&st[o], o);
      ksmc_autoshard_decide(&st[o], reps);
    }
    for (int i = 0; i < 500; i++) {
      char uid[40];
      int n = snprintf(uid, sizeof uid, "0b5c%04d-1111-2222-3333-%012d", i, i * 7919);
      int owners = 0;
      for (int32_t o = 0; o < 7; o++) {
        bool keep = ksmc_shard_keep(uid, (size_t)n, st[o].shard, st[o].total);
        if (o >= reps) CU_ASSERT_FALSE(keep);
        owners += keep;
      }
      CU_ASSERT_EQUAL(owners, 1);
    }
  }
}

static const ktest_case cases[] = {{"ordinal from the pod name", test_ordinal},
                                   {"StatefulSet owner reference", test_owner},
                                   {"spec.replicas", test_replicas},
                                   {"re-shard decision", test_decide},
                                   {"decisions split uids exactly once", test_split_exact},
                                   {0}};

KTEST_MAIN("kube_autoshard", cases)
