/* ksmc_shard: which shard owns an object, bit-compatible with kube-state-metrics.
 *
 * KSM (pkg/sharding/listwatch.go) keeps an object on shard
 *   jump_hash(fnv1a64(metadata.uid), total_shards)
 * with dgryski/go-jump's Lamping-Veach jump consistent hash and 64-bit FNV-1a over the raw
 * uid bytes. Reproducing it exactly lets ksmc and KSM shards be mixed. */
#ifndef KSMC_SHARD_H
#define KSMC_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 64-bit FNV-1a (offset 0xcbf29ce484222325, prime 0x100000001b3) of n bytes. */
uint64_t ksmc_fnv1a64(const void *p, size_t n);

/* go-jump's Hash(key, buckets): the bucket in [0, buckets) of key; -1 if buckets <= 0. */
int32_t ksmc_jump_hash(uint64_t key, int32_t buckets);

/* True if the object with this uid belongs to `shard` of `total` shards. Shard 0 of
 * total <= 1 keeps everything (KSM disables filtering for shard 0 of 1); a shard outside
 * [0, total) keeps nothing (an autosharded replica whose ordinal is >= the StatefulSet's
 * replicas, as KSM's jump-hash comparison never matches it). */
bool ksmc_shard_keep(const char *uid, size_t uid_len, int32_t shard, int32_t total);

#endif
