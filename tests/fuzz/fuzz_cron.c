/* Fuzz target: cron schedules (ksmc_cron_parse, ksmc_cron_next).
 * Input: 8 bytes of `from` (Unix seconds, folded into years 1900-2300), then the spec.
 * Invariants: parsing is deterministic (same verdict, same schedule); the next activation
 * is after `from` or KSMC_CRON_NONE; "@every" adds its delay; a field schedule lands on
 * second 0 and on a minute and hour the schedule has, in the schedule's zone. */
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Zones are read from the system tz database once and cached, as in the exporter. */
  static ksmc_cron_ctx *ctx;
  if (!ctx) ctx = ksmc_cron_ctx_new(NULL, "UTC");
  FUZZ_CHECK(ctx != NULL, "ctx");
  if (size < 8) return 0;
  uint64_t raw = 0;
  memcpy(&raw, data, 8);
  const int64_t lo = -2208988800LL, span = 12623472000LL; /* 1900 .. 2300 */
  int64_t from = lo + (int64_t)(raw % (uint64_t)span);
  const char *spec = (const char *)data + 8;
  size_t n = size - 8;
  ksmc_cron_sched a, b;
  char ea[256], eb[256];
  bool oka = ksmc_cron_parse(ctx, spec, n, &a, ea, sizeof ea);
  bool okb = ksmc_cron_parse(ctx, spec, n, &b, eb, sizeof eb);
  FUZZ_CHECK(oka == okb, "parse verdicts differ");
  if (!oka) {
    FUZZ_CHECK(strcmp(ea, eb) == 0, "errors differ: %s / %s", ea, eb);
    FUZZ_CHECK(ea[0] != 0, "an error without a message");
    return 0;
  }
  FUZZ_CHECK(memcmp(&a, &b, sizeof a) == 0, "parsed schedules differ");
  int64_t next = ksmc_cron_next(&a, from);
  FUZZ_CHECK(ksmc_cron_next(&a, from) == next, "Next not deterministic");
  if (a.every > 0) {
    FUZZ_CHECK(next == from + a.every, "@every: %lld + %lld != %lld", (long long)from,
               (long long)a.every, (long long)next);
    return 0;
  }
  if (next == KSMC_CRON_NONE) return 0;
  FUZZ_CHECK(next > from, "next %lld <= from %lld", (long long)next, (long long)from);
  int64_t local = next + ksmc_tz_offset(a.zone, next);
  int64_t sod = ((local % 86400) + 86400) % 86400;
  FUZZ_CHECK(sod % 60 == 0, "next %lld is not on a minute", (long long)next);
  FUZZ_CHECK((a.minute >> (sod % 3600 / 60)) & 1, "minute of %lld not in the schedule",
             (long long)next);
  FUZZ_CHECK((a.hour >> (sod / 3600)) & 1, "hour of %lld not in the schedule", (long long)next);
  return 0;
}
