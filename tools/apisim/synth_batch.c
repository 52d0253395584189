/* synth_batch: the CronJobs of a cluster -- reports, backups and cleanups a few per
 * namespace, with the schedules people write (steps, ranges, weekday names, descriptors,
 * @every), half of them in a named time zone (spec.timeZone, or CRON_TZ= in the schedule
 * as older manifests do), some suspended, some never run yet, one running job now and
 * then, and one schedule an old API server let through that does not parse (so
 * kube_cronjob_schedule_invalid has a sample). Objects draw from their own generator seeded
 * from the cluster seed, so adding them changed no other synthetic object. */
#include "apisim.h"
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name, *schedule, *tz; /* tz NULL: no spec.timeZone (time.Local) */
} cron_def;

static const cron_def CRONS[] = {
    {"report-hourly", "0 * * * *", NULL},
    {"cache-warmup", "*/5 * * * *", NULL},
    {"nightly-backup", "30 2 * * *", "Europe/Berlin"}, /* the DST-gap hour */
    {"weekday-digest", "0 9 * * MON-FRI", "America/New_York"},
    {"db-vacuum", "@daily", NULL},
    {"invoice-run", "15 3 1 * *", "Asia/Kolkata"},
    {"weekly-compaction", "0 0 * * SUN", "Australia/Sydney"},
    {"token-rotation", "@every 1h30m", NULL},
    {"friday-cleanup", "45 23 * * 5", "UTC"},
    {"log-shipper", "0 */6 * * *", NULL},
    {"tokyo-sync", "CRON_TZ=Asia/Tokyo 0 12 * * *", NULL},
    {"leap-day-audit", "0 4 29 2 *", NULL},
    {"quarterly-export", "0 6 1 jan,apr,jul,oct *", "America/Sao_Paulo"},
    {"cert-check", "10-50/20 8-18 * * 1-5", "Europe/London"},
    {"monthly-bill", "@monthly", "Pacific/Auckland"},
};
#define NCRONS (sizeof CRONS / sizeof *CRONS)

static const char *const POLICY[] = {"Allow", "Forbid", "Replace"};

static void gen_cronjob(apisim *sim, rng *r, const char *ns, const cron_def *d, bool suspend,
                        bool never_ran, bool active, time_t born, time_t now) {
  char t[32], uid[40], last[32], ok[32], job[160];
  fmt_time(t, born);
  synth_uid(r, uid);
  time_t ran = now - 60 * (time_t)rng_range(r, 1, 600);
  ran -= ran % 60;
  fmt_time(last, ran);
  fmt_time(ok, ran + rng_range(r, 5, 55));
  ksmc_buf b = {0};
  jw w;
  jw_init(&w, &b);
  jw_obj(&w, NULL);
  jw_obj(&w, "metadata");
  jw_s(&w, "name", d->name);
  jw_s(&w, "namespace", ns);
  jw_s(&w, "uid", uid);
  jw_i(&w, "generation", rng_range(r, 1, 4));
  jw_s(&w, "creationTimestamp", t);
  jw_obj(&w, "labels");
  jw_s(&w, "app", d->name);
  jw_s(&w, "app.kubernetes.io/managed-by", rng_chance(r, 0.5) ? "Helm" : "kustomize");
  jw_end(&w, '}');
  jw_obj(&w, "annotations");
  jw_s(&w, "meta.helm.sh/release-namespace", ns);
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_s(&w, "schedule", d->schedule);
  if (d->tz) jw_s(&w, "timeZone", d->tz);
  if (rng_chance(r, 0.3)) jw_i(&w, "startingDeadlineSeconds", 60 * rng_range(r, 1, 10));
  jw_s(&w, "concurrencyPolicy", POLICY[rng_int(r, 3)]);
  jw_b(&w, "suspend", suspend);
  jw_obj(&w, "jobTemplate");
  jw_obj(&w, "metadata");
  jw_raw(&w, "labels", "{}");
  jw_end(&w, '}');
  jw_obj(&w, "spec");
  jw_i(&w, "backoffLimit", 3);
  jw_obj(&w, "template");
  jw_obj(&w, "spec");
  jw_arr(&w, "containers");
  jw_obj(&w, NULL);
  jw_s(&w, "name", "task");
  jw_fmt(&w, "image", "registry.example.com/%s:1.%d", d->name, rng_range(r, 0, 20));
  jw_raw(&w, "args", "[\"--once\"]");
  jw_end(&w, '}');
  jw_end(&w, ']');
  jw_s(&w, "restartPolicy", "OnFailure");
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_end(&w, '}');
  jw_i(&w, "successfulJobsHistoryLimit", rng_chance(r, 0.8) ? 3 : 10);
  jw_i(&w, "failedJobsHistoryLimit", 1);
  jw_end(&w, '}');
  jw_obj(&w, "status");
  if (active) {
    snprintf(job, sizeof job, "%s-%lld", d->name, (long long)(ran / 60));
    jw_arr(&w, "active");
    jw_obj(&w, NULL);
    jw_s(&w, "kind", "Job");
    jw_s(&w, "namespace", ns);
    jw_s(&w, "name", job);
    jw_s(&w, "uid", uid);
    jw_s(&w, "apiVersion", "batch/v1");
    jw_s(&w, "resourceVersion", "1");
    jw_end(&w, '}');
    jw_end(&w, ']');
  }
  if (!never_ran) {
    jw_s(&w, "lastScheduleTime", last);
    if (!active) jw_s(&w, "lastSuccessfulTime", ok);
  }
  jw_end(&w, '}');
  jw_end(&w, '}');
  synth_insert(sim, synth_kind("cronjobs"), &b, "helm", "kube-controller-manager", t,
               never_ran ? t : last);
  ksmc_buf_free(&b);
}

void synth_cronjobs(apisim *sim, const char *const *namespaces, long nns) {
  rng r = {sim->cfg.seed * 0x9E3779B97F4A7C15ull + 0x5c2d1e0f3a4b6c7dull};
  time_t now = (time_t)sim->cfg.epoch;
  size_t next = 0;
  for (long i = 0; i < nns; i++) {
    int n = rng_range(&r, 1, 3);
    for (int k = 0; k < n; k++) {
      const cron_def *d = &CRONS[next++ % NCRONS];
      time_t born = now - 86400 * (time_t)rng_range(&r, 1, 60) - rng_int(&r, 86400);
      bool suspend = rng_chance(&r, 0.1);
      bool never_ran = rng_chance(&r, 0.1);
      bool active = !suspend && !never_ran && rng_chance(&r, 0.2);
      gen_cronjob(sim, &r, namespaces[i], d, suspend, never_ran, active, born, now);
    }
  }
  /* An old API server did not validate schedules: this one does not parse. */
  if (nns > 0) {
    static const cron_def bad = {"legacy-bad-schedule", "61 * * * *", NULL};
    gen_cronjob(sim, &r, namespaces[0], &bad, false, true, false, now - 86400 * 90, now);
  }
}
