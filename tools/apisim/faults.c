#include "apisim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void faults_init(apisim_faults *f) {
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
  f->retry_after = 1;
}

typedef struct {
  const char *name;
  size_t off;
} fault_field;

#define FF(n)                                                                                      \
  { #n, offsetof(apisim_faults, n) }
static const fault_field FIELDS[] = {
    FF(watch_close_events),
    FF(watch_close_seconds),
    FF(watch_gone_start),
    FF(watch_gone_after),
    FF(watch_truncate_after),
    FF(watch_malformed_after),
    FF(expire_continue),
    FF(error_code),
    FF(error_count),
    FF(retry_after),
    FF(stall_ms),
    FF(stall_count),
    FF(list_cut),
    FF(gzip_corrupt),
    FF(list_not_a_list),
};

const char *faults_apply(apisim_faults *f, const char *spec, char *err, size_t errn) {
  if (!spec) return NULL;
  char *copy = strdup(spec), *save = NULL;
  if (!copy) abort();
  const char *res = NULL;
  pthread_mutex_lock(&f->mu);
  for (char *tok = strtok_r(copy, "&, \n\t", &save); tok; tok = strtok_r(NULL, "&, \n\t", &save)) {
    char *eq = strchr(tok, '=');
    const char *val = eq ? eq + 1 : "1";
    if (eq) *eq = 0;
    if (!strcmp(tok, "reset") || !strcmp(tok, "clear")) {
      pthread_mutex_t mu = f->mu;
      long fired = f->fired;
      memset(f, 0, sizeof *f);
      f->mu = mu;
      f->fired = fired;
      f->retry_after = 1;
      continue;
    }
    const fault_field *ff = NULL;
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
      if (!strcmp(FIELDS[i].name, tok)) ff = &FIELDS[i];
    char *end;
    long v = strtol(val, &end, 10);
    if (!ff || *end) {
      snprintf(err, errn, "unknown fault or bad value: %s=%s", tok, val);
      res = err;
      break;
    }
    *(long *)((char *)f + ff->off) = v;
    if (!strcmp(tok, "error_code") && f->error_count == 0) f->error_count = 1;
    if (!strcmp(tok, "stall_ms") && f->stall_count == 0) f->stall_count = 1;
  }
  pthread_mutex_unlock(&f->mu);
  free(copy);
  return res;
}

void faults_json(apisim_faults *f, ksmc_buf *b) {
  pthread_mutex_lock(&f->mu);
  ksmc_buf_putc(b, '{');
  char tmp[96];
  for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
    int n = snprintf(tmp, sizeof tmp, "%s\"%s\":%ld", i ? "," : "", FIELDS[i].name,
                     *(long *)((char *)f + FIELDS[i].off));
    ksmc_buf_put(b, tmp, (size_t)n);
  }
  int n = snprintf(tmp, sizeof tmp, ",\"fired\":%ld}", f->fired);
  ksmc_buf_put(b, tmp, (size_t)n);
  pthread_mutex_unlock(&f->mu);
}

bool fault_take(apisim_faults *f, long *counter) {
  pthread_mutex_lock(&f->mu);
  bool fire = *counter != 0;
  if (*counter > 0) (*counter)--;
  if (fire) f->fired++;
  pthread_mutex_unlock(&f->mu);
  return fire;
}

long long faults_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool faults_down(apisim *sim) { return faults_now_ms() < atomic_load(&sim->down_until_ms); }

void faults_restart(apisim *sim, long down_ms, unsigned long long rv_jump, bool compact) {
  atomic_store(&sim->down_until_ms, faults_now_ms() + (down_ms > 0 ? down_ms : 0));
  atomic_fetch_add(&sim->restart_gen, 1);
  atomic_fetch_add(&sim->restarts, 1);
  atomic_fetch_add(&sim->stats.faults_injected, 1);
  pthread_mutex_lock(&sim->faults.mu);
  sim->faults.fired++;
  pthread_mutex_unlock(&sim->faults.mu);
  pthread_mutex_lock(&sim->st.mu);
  sim->st.rv += rv_jump;
  store_wake_all_locked(&sim->st); /* watchers notice the new generation at once */
  pthread_mutex_unlock(&sim->st.mu);
  if (compact) store_compact(&sim->st);
}
