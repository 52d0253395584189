/* ksmc_cron: CronJob schedules as kube-state-metrics evaluates them.
 *
 * KSM's kube_cronjob_next_schedule_time parses `CRON_TZ=<spec.timeZone> <spec.schedule>`
 * (or the bare schedule) with go-cron's ParseStandard and calls the schedule's Next on
 * the last schedule (or creation) time. This module is that parser and that Next, with
 * Go's time package semantics underneath: time.LoadLocation from the system tz database
 * (TZif files under /usr/share/zoneinfo, Debian's `tzdata`), Go's zone lookup including
 * the POSIX TZ footer rule for times past the last transition, and time.Date's choice of
 * offset for local times in a DST gap or overlap, so DST days give Go's answers.
 *
 * No global state: loaded zones are cached in a ksmc_cron_ctx (one per render context;
 * not shared between threads). No setenv/tzset, no libc time zone code. */
#ifndef KSMC_CRON_H
#define KSMC_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A loaded time zone (Go's *time.Location); owned by the ksmc_cron_ctx that loaded it. */
typedef struct ksmc_tz ksmc_tz;

/* Zone cache and settings. */
typedef struct ksmc_cron_ctx ksmc_cron_ctx;

/* A parsed schedule (go-cron's SpecSchedule or ConstantDelaySchedule). */
typedef struct {
  uint64_t second, minute, hour, dom, month, dow; /* bit i: value i matches; bit 63: `*` */
  int64_t every;                                  /* > 0: "@every" delay in whole seconds */
  const ksmc_tz *zone;                            /* NULL: UTC */
} ksmc_cron_sched;

/* Go's time.Time{}.Unix(): what Next returns when nothing matches within five years. */
#define KSMC_CRON_NONE (-62135596800LL)

/* Creates a context. `zoneinfo` is the directory tried first for zone files (Go's
 * $ZONEINFO; NULL or "" for none); /usr/share/zoneinfo, /usr/share/lib/zoneinfo and
 * /usr/lib/locale/TZ follow, as in Go. `tz` is the value of $TZ deciding Go's time.Local
 * (the zone of a schedule without CRON_TZ=), read as Go's initLocal does: NULL (unset)
 * means /etc/localtime, "" means UTC, ":name" or "name" a zone file, an absolute path that
 * file; anything that does not load means UTC. Returns NULL when out of memory. */
ksmc_cron_ctx *ksmc_cron_ctx_new(const char *zoneinfo, const char *tz);

/* As ksmc_cron_ctx_new(getenv("ZONEINFO"), getenv("TZ")): the exporter's settings. */
ksmc_cron_ctx *ksmc_cron_ctx_from_env(void);

/* Frees ctx and every zone it loaded (schedules pointing at them become invalid). */
void ksmc_cron_ctx_free(ksmc_cron_ctx *ctx);

/* Parses spec[0..n) as go-cron's ParseStandard: an optional "CRON_TZ=<zone> " or
 * "TZ=<zone> " prefix; then a descriptor (@yearly @annually @monthly @weekly @daily
 * @midnight @hourly, "@every <Go duration>") or exactly five whitespace-separated fields
 * (minute hour day-of-month month day-of-week) of comma-separated `*`, `?`, numbers,
 * names (jan-dec, sun-sat, any case), ranges `a-b` and steps `x/n`. Day-of-month and
 * day-of-week are ORed unless one of them is `*`/`?` (then ANDed), as in standard cron.
 * Returns true with *out filled, or false with a message in err[0..errlen) (like
 * go-cron's: "expected exactly 5 fields, found 4: [...]", "provided bad location X: ...").
 * A zone prefix without a schedule after it (Go panics there) is an error too. out->zone
 * stays valid until ctx is freed or, past 1024 distinct zone names, the next parse
 * naming another uncached zone. */
bool ksmc_cron_parse(ksmc_cron_ctx *ctx, const char *spec, size_t n, ksmc_cron_sched *out,
                     char *err, size_t errlen);

/* The schedule's Next(t) for t = from (Unix seconds; KSM's times are whole seconds):
 * the first matching second after `from`, in Unix seconds, or KSMC_CRON_NONE when none
 * matches within five years (go-cron returns time.Time{}). "@every d" gives from + d. */
int64_t ksmc_cron_next(const ksmc_cron_sched *s, int64_t from);

/* Loads zone `name` as Go's time.LoadLocation: "" and "UTC" are UTC (*out = NULL),
 * "Local" is the context's local zone, names with ".." or a leading '/' or '\' are
 * refused; otherwise the first directory (see ksmc_cron_ctx_new) holding a valid TZif
 * file of that name. Results (and failures) are cached. Returns false with a message. */
bool ksmc_cron_zone(ksmc_cron_ctx *ctx, const char *name, size_t n, const ksmc_tz **out, char *err,
                    size_t errlen);

/* UTC offset in seconds of zone z (NULL: UTC) at Unix time t, as Go's t.In(z) sees it. */
int ksmc_tz_offset(const ksmc_tz *z, int64_t t);

/* time.Date(year, month, day, hour, min, sec, 0, z).Unix(): out-of-range fields carry
 * (month 13 is next January); a local time in a DST gap or overlap gets Go's offset. */
int64_t ksmc_tz_date(const ksmc_tz *z, int64_t year, int64_t month, int64_t day, int64_t hour,
                     int64_t min, int64_t sec);

#endif
