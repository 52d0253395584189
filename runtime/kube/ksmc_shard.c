#include "ksmc_shard.h"

uint64_t ksmc_fnv1a64(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

int32_t ksmc_jump_hash(uint64_t key, int32_t buckets) {
  int64_t b = -1, j = 0;
  while (j < (int64_t)buckets) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
  }
  return (int32_t)b;
}

bool ksmc_shard_keep(const char *uid, size_t uid_len, int32_t shard, int32_t total) {
  if (shard < 0 || (total >= 1 && shard >= total)) return false;
  if (total <= 1) return true;
  return ksmc_jump_hash(ksmc_fnv1a64(uid, uid_len), total) == shard;
}
