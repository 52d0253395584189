/* ksmc_cron: go-cron's ParseStandard and Next, Go's time zones, case by case.
 *
 * Expected instants are written in UTC and were worked out by hand from the rules (the
 * comment of each case says why); the DST cases pin Go's time.Date and robfig/cron's
 * Next loop (a job in the spring-forward gap runs the next day, one in the repeated
 * autumn hour runs twice). Zones come from the system tz database (Debian's tzdata). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksmc_cron.h"
#include "ktest.h"

static ksmc_cron_ctx *ctx;

/* Unix seconds of a UTC civil time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s) {
  return ksmc_tz_date(NULL, y, mo, d, h, mi, s);
}

/* Next activation of spec after from; KSMC_CRON_NONE - 1 when it does not parse. */
static int64_t next(const char *spec, int64_t from) {
  ksmc_cron_sched s;
  char err[256];
  if (!ksmc_cron_parse(ctx, spec, strlen(spec), &s, err, sizeof err)) {
    fprintf(stderr, "\n  %s: %s\n", spec, err);
    return KSMC_CRON_NONE - 1;
  }
  return ksmc_cron_next(&s, from);
}

#define NEXT_IS(spec, from, want)                                                                  \
  do {                                                                                             \
    int64_t got_ = next(spec, from), want_ = (want);                                               \
    if (got_ != want_)                                                                             \
      fprintf(stderr, "\n  %s: got %lld want %lld\n", spec, (long long)got_, (long long)want_);    \
    CU_ASSERT_EQUAL(got_, want_);                                                                  \
  } while (0)

static void test_civil(void) {
  CU_ASSERT_EQUAL(utc(1970, 1, 1, 0, 0, 0), 0);
  CU_ASSERT_EQUAL(utc(2026, 11, 25, 20, 0, 0), 1795636800);
  CU_ASSERT_EQUAL(utc(2028, 2, 29, 0, 0, 0), 1835395200);
  CU_ASSERT_EQUAL(utc(2026, 13, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0)); /* carries like Go */
  CU_ASSERT_EQUAL(utc(2026, 3, 0, 0, 0, 0), utc(2026, 2, 28, 0, 0, 0));
  CU_ASSERT_EQUAL(utc(1, 1, 1, 0, 0, 0), KSMC_CRON_NONE);
}

static void test_basic(void) {
  int64_t t0 = utc(2026, 1, 1, 0, 0, 0);
  NEXT_IS("*/5 * * * *", t0, utc(2026, 1, 1, 0, 5, 0));     /* strictly after from */
  NEXT_IS("*/5 * * * *", t0 + 1, utc(2026, 1, 1, 0, 5, 0)); /* seconds are 0 */
  NEXT_IS("0 * * * *", utc(2026, 1, 1, 23, 30, 0), utc(2026, 1, 2, 0, 0, 0));
  NEXT_IS("10-50/20 * * * *", t0, utc(2026, 1, 1, 0, 10, 0)); /* 10,30,50 */
  NEXT_IS("10-50/20 * * * *", utc(2026, 1, 1, 0, 10, 0), utc(2026, 1, 1, 0, 30, 0));
  NEXT_IS("10-50/20 * * * *", utc(2026, 1, 1, 0, 50, 0), utc(2026, 1, 1, 1, 10, 0));
  NEXT_IS("7/20 * * * *", utc(2026, 1, 1, 0, 8, 0), utc(2026, 1, 1, 0, 27, 0)); /* N/s: N-59 */
  NEXT_IS("0 0 1 1 *", t0, utc(2027, 1, 1, 0, 0, 0));
  NEXT_IS("59 23 31 12 *", t0, utc(2026, 12, 31, 23, 59, 0));
  NEXT_IS("1,,2 * * * *", t0, utc(2026, 1, 1, 0, 1, 0)); /* empty list items are skipped */
  NEXT_IS("0 0 * * *", utc(2026, 1, 31, 12, 0, 0), utc(2026, 2, 1, 0, 0, 0));
}

static void test_names_and_ranges(void) {
  /* 2026-11-25 is a Wednesday; 2027-01-01 a Friday. */
  NEXT_IS("0 9 * JAN-MAR MON-FRI", utc(2026, 11, 25, 10, 0, 0), utc(2027, 1, 1, 9, 0, 0));
  NEXT_IS("0 9 * jan-mar mon-fri", utc(2026, 11, 25, 10, 0, 0), utc(2027, 1, 1, 9, 0, 0));
  NEXT_IS("0 9 * * Sat,sun", utc(2026, 11, 25, 10, 0, 0), utc(2026, 11, 28, 9, 0, 0));
  NEXT_IS("0 0 * Feb,aug *", utc(2026, 3, 1, 0, 0, 0), utc(2026, 8, 1, 0, 0, 0));
  NEXT_IS("30 12 * * 1-5/2", utc(2026, 11, 25, 13, 0, 0), utc(2026, 11, 27, 12, 30, 0));
  NEXT_IS("0 0 ? * 0", utc(2026, 11, 25, 0, 0, 0), utc(2026, 11, 29, 0, 0, 0));  /* ? is * */
  NEXT_IS("0 0 * * 05", utc(2026, 11, 25, 0, 0, 0), utc(2026, 11, 27, 0, 0, 0)); /* Atoi */
  NEXT_IS("0 0 * * +5", utc(2026, 11, 25, 0, 0, 0), utc(2026, 11, 27, 0, 0, 0));
}

static void test_dom_dow(void) {
  /* Standard cron: both restricted means either matches. */
  NEXT_IS("0 0 13 * 5", utc(2026, 11, 25, 0, 0, 0), utc(2026, 11, 27, 0, 0, 0));  /* Friday */
  NEXT_IS("0 0 1 * MON", utc(2026, 11, 25, 0, 0, 0), utc(2026, 11, 30, 0, 0, 0)); /* Monday */
  NEXT_IS("0 0 1 * MON", utc(2026, 11, 30, 0, 0, 0), utc(2026, 12, 1, 0, 0, 0));  /* the 1st */
  /* One of them `*`: both must match (the `*` always does). */
  NEXT_IS("0 0 13 * *", utc(2026, 11, 25, 0, 0, 0), utc(2026, 12, 13, 0, 0, 0));
  NEXT_IS("0 0 * * 5", utc(2026, 11, 25, 0, 0, 0), utc(2026, 11, 27, 0, 0, 0));
  /* `*` with a step > 1 is not `*` any more: 13th OR even weekday; */
  NEXT_IS("0 0 13 * */2", utc(2026, 11, 25, 0, 0, 0), utc(2026, 11, 26, 0, 0, 0)); /* Thu=4 */
  /* `*`/1 still is. */
  NEXT_IS("0 0 13 * */1", utc(2026, 11, 25, 0, 0, 0), utc(2026, 12, 13, 0, 0, 0));
  /* Friday the 13th needs AND: not expressible, 13 OR Friday instead. */
  NEXT_IS("0 0 13 2 5", utc(2026, 1, 1, 0, 0, 0), utc(2026, 2, 6, 0, 0, 0)); /* 1st Feb Fri */
}

static void test_feb29_and_never(void) {
  NEXT_IS("0 0 29 2 *", utc(2026, 3, 1, 0, 0, 0), utc(2028, 2, 29, 0, 0, 0));
  NEXT_IS("0 0 29 2 *", utc(2028, 2, 29, 0, 0, 0), utc(2032, 2, 29, 0, 0, 0));
  /* 2100 is not a leap year: the next Feb 29 after 2096 is in 2104, more than five years
   * later, so go-cron gives up with the zero time. */
  NEXT_IS("0 0 29 2 *", utc(2096, 3, 1, 0, 0, 0), KSMC_CRON_NONE);
  NEXT_IS("0 0 30 2 *", utc(2026, 1, 1, 0, 0, 0), KSMC_CRON_NONE); /* never */
  NEXT_IS("0 0 31 4,6,9,11 *", utc(2026, 1, 1, 0, 0, 0), KSMC_CRON_NONE);
  NEXT_IS(", * * * *", utc(2026, 1, 1, 0, 0, 0), KSMC_CRON_NONE); /* no minute at all */
}

static void test_descriptors(void) {
  int64_t t = utc(2026, 11, 25, 20, 15, 0); /* a Wednesday */
  NEXT_IS("@yearly", t, utc(2027, 1, 1, 0, 0, 0));
  NEXT_IS("@annually", t, utc(2027, 1, 1, 0, 0, 0));
  NEXT_IS("@monthly", t, utc(2026, 12, 1, 0, 0, 0));
  NEXT_IS("@weekly", t, utc(2026, 11, 29, 0, 0, 0));
  NEXT_IS("@daily", t, utc(2026, 11, 26, 0, 0, 0));
  NEXT_IS("@midnight", t, utc(2026, 11, 26, 0, 0, 0));
  NEXT_IS("@hourly", t, utc(2026, 11, 25, 21, 0, 0));
  NEXT_IS("@every 1h30m", t, t + 5400);
  NEXT_IS("@every 1.5h", t, t + 5400);
  NEXT_IS("@every 90s", t, t + 90);
  NEXT_IS("@every 2500ms", t, t + 2); /* rounded down to whole seconds */
  NEXT_IS("@every 500ms", t, t + 1);  /* at least one second */
  NEXT_IS("@every -1h", t, t + 1);
  NEXT_IS("@every 0", t, t + 1);
  NEXT_IS("@every 1\xC2\xB5s", t, t + 1); /* µs */
  NEXT_IS("CRON_TZ=Europe/Berlin @daily", t, utc(2026, 11, 25, 23, 0, 0));
  NEXT_IS("TZ=Asia/Kolkata   @hourly  ", t, utc(2026, 11, 25, 20, 30, 0)); /* +05:30 */
}

static void test_time_zones(void) {
  int64_t t = utc(2026, 11, 25, 20, 15, 0);
  NEXT_IS("CRON_TZ=America/New_York 0 9 * * *", t, utc(2026, 11, 26, 14, 0, 0)); /* EST */
  NEXT_IS("CRON_TZ=America/New_York 0 9 * * *", utc(2026, 7, 1, 0, 0, 0),
          utc(2026, 7, 1, 13, 0, 0));                                       /* EDT */
  NEXT_IS("TZ=Australia/Sydney 0 9 * * *", t, utc(2026, 11, 25, 22, 0, 0)); /* AEDT +11 */
  NEXT_IS("CRON_TZ=UTC 0 9 * * *", t, utc(2026, 11, 26, 9, 0, 0));
  NEXT_IS("CRON_TZ= 0 9 * * *", t, utc(2026, 11, 26, 9, 0, 0));            /* "" is UTC */
  NEXT_IS("CRON_TZ=Local 0 9 * * *", t, utc(2026, 11, 26, 9, 0, 0));       /* ctx local: UTC */
  NEXT_IS("CRON_TZ=Etc/GMT-14 0 0 * * *", t, utc(2026, 11, 26, 10, 0, 0)); /* +14 */
}

static void test_dst(void) {
  /* Europe/Berlin 2026: CET->CEST at 2026-03-29 01:00Z (02:00 -> 03:00 local), CEST->CET
   * at 2026-10-25 01:00Z (03:00 -> 02:00 local). */
  const char *at0230 = "CRON_TZ=Europe/Berlin 30 2 * * *";
  /* 02:30 does not exist on Mar 29: go-cron's hour loop steps 01:00 -> 03:00 and finds it
   * on the next day. */
  NEXT_IS(at0230, utc(2026, 3, 28, 1, 30, 0), utc(2026, 3, 30, 0, 30, 0));
  /* 02:30 happens twice on Oct 25: first in CEST (00:30Z), then in CET (01:30Z). */
  NEXT_IS(at0230, utc(2026, 10, 24, 0, 30, 0), utc(2026, 10, 25, 0, 30, 0));
  NEXT_IS(at0230, utc(2026, 10, 25, 0, 30, 0), utc(2026, 10, 25, 1, 30, 0));
  NEXT_IS(at0230, utc(2026, 10, 25, 1, 30, 0), utc(2026, 10, 26, 1, 30, 0));
  /* Hourly across both transitions: 03:00 CEST follows 01:00 CET; 02:00 CET follows
   * 02:00 CEST. */
  NEXT_IS("TZ=Europe/Berlin 0 * * * *", utc(2026, 3, 29, 0, 30, 0), utc(2026, 3, 29, 1, 0, 0));
  NEXT_IS("TZ=Europe/Berlin 0 * * * *", utc(2026, 10, 25, 0, 0, 0), utc(2026, 10, 25, 1, 0, 0));
  /* New York, 2026-11-01 06:00Z (02:00 EDT -> 01:00 EST): 01:30 EDT comes first. */
  NEXT_IS("CRON_TZ=America/New_York 30 1 * * *", utc(2026, 11, 1, 4, 0, 0),
          utc(2026, 11, 1, 5, 30, 0));
  /* Far past the tz database's transitions (fat files stop in 2037): the POSIX rule in
   * the file's footer decides. 2100-03-28 is the last Sunday of March. */
  NEXT_IS(at0230, utc(2100, 3, 27, 1, 30, 0), utc(2100, 3, 29, 0, 30, 0));
}

static void test_go_date(void) {
  const ksmc_tz *berlin;
  char err[128];
  CU_ASSERT_TRUE_FATAL(ksmc_cron_zone(ctx, "Europe/Berlin", 13, &berlin, err, sizeof err));
  CU_ASSERT_PTR_NOT_NULL(berlin);
  /* A wall time in the gap is read with the offset before it: 02:30 CET = 03:30 CEST. */
  CU_ASSERT_EQUAL(ksmc_tz_date(berlin, 2026, 3, 29, 2, 30, 0), utc(2026, 3, 29, 1, 30, 0));
  /* A repeated wall time gets the offset after the transition (Go's lookup order). */
  CU_ASSERT_EQUAL(ksmc_tz_date(berlin, 2026, 10, 25, 2, 30, 0), utc(2026, 10, 25, 1, 30, 0));
  CU_ASSERT_EQUAL(ksmc_tz_offset(berlin, utc(2026, 1, 15, 0, 0, 0)), 3600);
  CU_ASSERT_EQUAL(ksmc_tz_offset(berlin, utc(2026, 7, 15, 0, 0, 0)), 7200);
  CU_ASSERT_EQUAL(ksmc_tz_offset(berlin, utc(2300, 7, 15, 0, 0, 0)), 7200);
  CU_ASSERT_EQUAL(ksmc_tz_offset(berlin, utc(2300, 12, 15, 0, 0, 0)), 3600);
  const ksmc_tz *z;
  /* Southern hemisphere (the footer's rules swap) and a 30-minute DST (Lord Howe). */
  CU_ASSERT_TRUE_FATAL(ksmc_cron_zone(ctx, "Australia/Sydney", 16, &z, err, sizeof err));
  CU_ASSERT_EQUAL(ksmc_tz_offset(z, utc(2200, 1, 15, 0, 0, 0)), 11 * 3600);
  CU_ASSERT_EQUAL(ksmc_tz_offset(z, utc(2200, 7, 15, 0, 0, 0)), 10 * 3600);
  CU_ASSERT_TRUE_FATAL(ksmc_cron_zone(ctx, "Australia/Lord_Howe", 19, &z, err, sizeof err));
  CU_ASSERT_EQUAL(ksmc_tz_offset(z, utc(2200, 1, 15, 0, 0, 0)), 11 * 3600);
  CU_ASSERT_EQUAL(ksmc_tz_offset(z, utc(2200, 7, 15, 0, 0, 0)), 10 * 3600 + 1800);
  /* Before the first transition: local mean time (Berlin: +00:53:28). */
  CU_ASSERT_EQUAL(ksmc_tz_offset(berlin, utc(1850, 1, 1, 0, 0, 0)), 3208);
  /* Loaded once: the cache hands out the same zone. */
  const ksmc_tz *again;
  CU_ASSERT_TRUE(ksmc_cron_zone(ctx, "Europe/Berlin", 13, &again, err, sizeof err));
  CU_ASSERT_PTR_EQUAL(again, berlin);
}

/* Writes a TZif v2 file with no transitions and the given footer rule. */
static void write_tzif(const char *path, int32_t off, const char *abbr, const char *footer) {
  unsigned char hdr[44] = "TZif2";
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  size_t nchar = strlen(abbr) + 1;
  for (int part = 0; part < 2; part++) {
    memset(hdr + 5, 0, sizeof hdr - 5);
    hdr[20 + 4 * 4 + 3] = 1;                    /* typecnt */
    hdr[20 + 4 * 5 + 3] = (unsigned char)nchar; /* charcnt */
    fwrite(hdr, 1, sizeof hdr, f);
    unsigned char t[6] = {(unsigned char)((uint32_t)off >> 24),
                          (unsigned char)((uint32_t)off >> 16),
                          (unsigned char)((uint32_t)off >> 8),
                          (unsigned char)off,
                          0,
                          0};
    fwrite(t, 1, 6, f);
    fwrite(abbr, 1, nchar, f);
  }
  fprintf(f, "\n%s\n", footer);
  fclose(f);
}

static void test_zoneinfo_dir(void) {
  char dir[] = "/tmp/ksmc-cron-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  char p[256];
  snprintf(p, sizeof p, "%s/Test", dir);
  mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/Test/Eastern", dir);
  write_tzif(p, -18000, "EST", "EST5EDT,M3.2.0,M11.1.0");
  snprintf(p, sizeof p, "%s/Test/Bad", dir);
  FILE *f = fopen(p, "w");
  fputs("not a zone file", f);
  fclose(f);
  snprintf(p, sizeof p, "%s/Test/Eastern", dir);
  ksmc_cron_ctx *c = ksmc_cron_ctx_new(dir, p); /* $TZ an absolute path: the local zone */
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  const ksmc_tz *z;
  char err[160];
  CU_ASSERT_TRUE(ksmc_cron_zone(c, "Test/Eastern", 12, &z, err, sizeof err));
  CU_ASSERT_EQUAL(ksmc_tz_offset(z, utc(2026, 1, 15, 0, 0, 0)), -5 * 3600);
  CU_ASSERT_EQUAL(ksmc_tz_offset(z, utc(2026, 7, 15, 0, 0, 0)), -4 * 3600);
  CU_ASSERT_FALSE(ksmc_cron_zone(c, "Test/Bad", 8, &z, err, sizeof err));
  KTEST_ASSERT_BYTES(err, strlen(err), "malformed time zone information");
  CU_ASSERT_FALSE(ksmc_cron_zone(c, "Test", 4, &z, err, sizeof err)); /* a directory */
  CU_ASSERT_FALSE(ksmc_cron_zone(c, "Test/None", 9, &z, err, sizeof err));
  KTEST_ASSERT_BYTES(err, strlen(err), "unknown time zone Test/None");
  /* The system database is still searched after $ZONEINFO. */
  CU_ASSERT_TRUE(ksmc_cron_zone(c, "Europe/Berlin", 13, &z, err, sizeof err));
  /* No CRON_TZ: the local zone ($TZ) applies. */
  ksmc_cron_sched s;
  CU_ASSERT_TRUE_FATAL(ksmc_cron_parse(c, "0 9 * * *", 9, &s, err, sizeof err));
  CU_ASSERT_EQUAL(ksmc_cron_next(&s, utc(2026, 7, 1, 0, 0, 0)), utc(2026, 7, 1, 13, 0, 0));
  ksmc_cron_ctx_free(c);
  /* $TZ="" is UTC; an unknown $TZ falls back to UTC. */
  c = ksmc_cron_ctx_new(NULL, "No/Such_Zone");
  CU_ASSERT_TRUE_FATAL(ksmc_cron_parse(c, "0 9 * * *", 9, &s, err, sizeof err));
  CU_ASSERT_EQUAL(ksmc_cron_next(&s, utc(2026, 7, 1, 0, 0, 0)), utc(2026, 7, 1, 9, 0, 0));
  ksmc_cron_ctx_free(c);
  c = ksmc_cron_ctx_new(NULL, ":America/New_York");
  CU_ASSERT_TRUE_FATAL(ksmc_cron_parse(c, "0 9 * * *", 9, &s, err, sizeof err));
  CU_ASSERT_EQUAL(ksmc_cron_next(&s, utc(2026, 7, 1, 0, 0, 0)), utc(2026, 7, 1, 13, 0, 0));
  ksmc_cron_ctx_free(c);
  snprintf(p, sizeof p, "%s/Test/Eastern", dir);
  unlink(p);
  snprintf(p, sizeof p, "%s/Test/Bad", dir);
  unlink(p);
  snprintf(p, sizeof p, "%s/Test", dir);
  rmdir(p);
  rmdir(dir);
}

/* Past the cache's capacity zones still load (into one spare slot), and a name asked twice
 * in a row gives the same zone (found by fuzz_cron). */
static void test_zone_cache_full(void) {
  ksmc_cron_ctx *c = ksmc_cron_ctx_new(NULL, "UTC");
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  char name[32], err[160];
  const ksmc_tz *z, *z2;
  for (int i = 0; i < 1100; i++) {
    int n = snprintf(name, sizeof name, "No/Zone%d", i);
    CU_ASSERT_FALSE(ksmc_cron_zone(c, name, (size_t)n, &z, err, sizeof err));
  }
  CU_ASSERT_TRUE_FATAL(ksmc_cron_zone(c, "Europe//Berlin", 14, &z, err, sizeof err));
  CU_ASSERT_TRUE_FATAL(ksmc_cron_zone(c, "Europe//Berlin", 14, &z2, err, sizeof err));
  CU_ASSERT_PTR_EQUAL(z, z2);
  CU_ASSERT_EQUAL(ksmc_tz_offset(z2, utc(2026, 7, 1, 0, 0, 0)), 7200);
  ksmc_cron_sched s;
  CU_ASSERT_TRUE_FATAL(ksmc_cron_parse(c, "CRON_TZ=Asia/Tokyo 0 9 * * *", 28, &s, err, sizeof err));
  CU_ASSERT_EQUAL(ksmc_cron_next(&s, utc(2026, 7, 1, 0, 0, 0)), utc(2026, 7, 2, 0, 0, 0));
  ksmc_cron_ctx_free(c);
}

static void bad(const char *spec, const char *want) {
  ksmc_cron_sched s;
  char err[256] = "";
  bool ok = ksmc_cron_parse(ctx, spec, strlen(spec), &s, err, sizeof err);
  if (ok) fprintf(stderr, "\n  accepted: [%s]\n", spec);
  CU_ASSERT_FALSE(ok);
  KTEST_ASSERT_BYTES(err, strlen(err), want);
}

static void test_invalid(void) {
  bad("", "empty spec string");
  bad("* * * *", "expected exactly 5 fields, found 4: [* * * *]");
  bad("0 0 0 * * *", "expected exactly 5 fields, found 6: [0 0 0 * * *]");
  bad("60 * * * *", "end of range (60) above maximum (59): 60");
  bad("* 24 * * *", "end of range (24) above maximum (23): 24");
  bad("* * 0 * *", "beginning of range (0) below minimum (1): 0");
  bad("* * * 13 *", "end of range (13) above maximum (12): 13");
  bad("* * * * 7", "end of range (7) above maximum (6): 7"); /* 0-6: no 7 for Sunday */
  bad("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1");
  bad("*/0 * * * *", "step of range should be a positive number: */0");
  bad("1-2-3 * * * *", "too many hyphens: 1-2-3");
  bad("1/2/3 * * * *", "too many slashes: 1/2/3");
  bad("x * * * *", "failed to parse int from x");
  bad("1- * * * *", "failed to parse int from ");
  bad("* * * * MONDAY", "failed to parse int from MONDAY");
  bad("* * * JAN-FOO *", "failed to parse int from FOO");
  bad("* * * * jan", "failed to parse int from jan"); /* month names are not weekdays */
  bad("@bogus", "unrecognized descriptor: @bogus");
  bad("@daily ", "unrecognized descriptor: @daily "); /* no trimming without a zone */
  bad("@every 3x", "failed to parse duration @every 3x");
  bad("@every ", "failed to parse duration @every ");
  bad("CRON_TZ=Mars/Olympus 0 * * * *",
      "provided bad location Mars/Olympus: unknown time zone Mars/Olympus");
  bad("CRON_TZ=../../etc/passwd 0 * * * *",
      "provided bad location ../../etc/passwd: time: invalid location name");
  bad("TZ=/etc/localtime 0 * * * *",
      "provided bad location /etc/localtime: time: invalid location name");
  bad("CRON_TZ=UTC", "no schedule after the time zone: CRON_TZ=UTC"); /* go-cron panics */
  bad("CRON_TZ=UTC TZ=UTC 0 * * * *", "expected exactly 5 fields, found 6: [TZ=UTC 0 * * * *]");
}

static void test_whitespace(void) {
  int64_t t = utc(2026, 1, 1, 0, 0, 0);
  NEXT_IS("  */5\t*  * *\n*  ", t, utc(2026, 1, 1, 0, 5, 0));
  NEXT_IS("*/5\xC2\xA0* * * *", t, utc(2026, 1, 1, 0, 5, 0));     /* U+00A0 separates (Go) */
  NEXT_IS("*/5\xE3\x80\x80* * * *", t, utc(2026, 1, 1, 0, 5, 0)); /* U+3000 too */
  NEXT_IS("CRON_TZ=UTC \t 0 9 * * * \n", t, utc(2026, 1, 1, 9, 0, 0));
}

static const ktest_case cases[] = {{"civil dates", test_civil},
                                   {"basic schedules", test_basic},
                                   {"names, ranges, steps", test_names_and_ranges},
                                   {"day-of-month OR day-of-week", test_dom_dow},
                                   {"Feb 29 and never", test_feb29_and_never},
                                   {"descriptors and @every", test_descriptors},
                                   {"time zones", test_time_zones},
                                   {"DST transitions", test_dst},
                                   {"Go's time.Date and zone lookup", test_go_date},
                                   {"$ZONEINFO, $TZ, TZif files", test_zoneinfo_dir},
                                   {"zone cache full", test_zone_cache_full},
                                   {"invalid schedules", test_invalid},
                                   {"whitespace", test_whitespace},
                                   {0}};

static int run(void) {
  ctx = ksmc_cron_ctx_new(NULL, "UTC");
  if (!ctx) return 2;
  int rc = ktest_run("ksmc_cron", cases);
  ksmc_cron_ctx_free(ctx);
  return rc;
}

int main(void) { return run(); }
