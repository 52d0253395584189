/* control: the simulator's own endpoints under /_sim/ (never faulted, never authenticated):
 *   GET  /_sim/objects?resource=pods|all[&namespace=NS][&file=PATH]  ground truth, NDJSON
 *        with kind/apiVersion (all kinds at one resourceVersion; file= writes it there)
 *   GET  /_sim/stats                                 counters (JSON)
 *   GET  /_sim/faults                                current fault switches (JSON)
 *   POST /_sim/faults?k=v&...  (or body k=v&...)     set fault switches; reset=1 clears
 *   POST /_sim/compact                               forget all history and continue tokens
 *   POST /_sim/churn?rate=N                          change the churn rate (events/s)
 *   POST /_sim/churn/record?n=N                      record a churn cycle s0 -> s0 (replay.c)
 *   POST /_sim/churn/replay?rate=R[&cycles=K][&verify=1]  replay it at R events/s; rate=0
 *                                                    stops; verify=1 checks the slots
 *   POST /_sim/restart[?down_ms=MS&rv_jump=N&compact=1]  simulate an API server restart */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result objects(req *r) {
  apisim *sim = r->sim;
  const char *res = req_arg(r, "resource");
  const char *ns = req_arg(r, "namespace");
  const char *file = req_arg(r, "file");
  bool all = res && !strcmp(res, "all");
  int kind = res && !all ? kind_by_resource(res) : -1;
  if (kind < 0 && !all)
    return send_status(r, 400, "BadRequest",
                       "resource=<plural> (e.g. resource=pods) or resource=all is required");
  rbuilder rb = {0};
  store *s = &sim->st;
  size_t count = 0;
  pthread_mutex_lock(&s->mu); /* one lock: every kind at the same resourceVersion */
  uint64_t rv = s->rv;
  for (size_t kd = 0; kd < NKINDS; kd++) {
    if (!all && (int)kd != kind) continue;
    kstore *k = &s->k[kd];
    for (size_t i = 0; i < k->n; i++) {
      obj *o = k->v[i];
      if (ns && *ns && strcmp(o->ns, ns)) continue;
      rb_str(&rb, o->kind_prefix);
      rb_ext(&rb, o, o->buf + 2, o->len - 2);
      rb_str(&rb, "\n");
      count++;
    }
  }
  pthread_mutex_unlock(&s->mu);
  snprintf(r->rv_header, sizeof r->rv_header, "%llu", (unsigned long long)rv);
  if (file && *file) {
    FILE *f = fopen(file, "wb");
    if (!f) {
      rb_free(&rb);
      return send_status(r, 400, "BadRequest", "cannot open file= for writing");
    }
    for (size_t i = 0; i < rb.nseg; i++)
      fwrite(rb.segs[i].p ? rb.segs[i].p : rb.arena.p + rb.segs[i].off, 1, rb.segs[i].n, f);
    bool ok = fclose(f) == 0;
    rb_free(&rb);
    if (!ok) return send_status(r, 500, "InternalError", "writing file= failed");
    ksmc_buf b = {0};
    char tmp[96];
    int n = snprintf(tmp, sizeof tmp, "{\"objects\":%zu,\"resourceVersion\":\"%llu\"}\n", count,
                     (unsigned long long)rv);
    ksmc_buf_put(&b, tmp, (size_t)n);
    return send_body(r, 200, "application/json", &b);
  }
  return rb_send(r, &rb, 200, "application/x-ndjson");
}

static enum MHD_Result stats(req *r) {
  apisim *sim = r->sim;
  apisim_stats *st = &sim->stats;
  ksmc_buf b = {0};
  char tmp[2048];
  pthread_mutex_lock(&sim->st.mu);
  uint64_t rv = sim->st.rv, evs = sim->st.events_total;
  size_t counts[KINDS_MAX] = {0}, hist[KINDS_MAX] = {0};
  for (size_t i = 0; i < NKINDS; i++) {
    counts[i] = sim->st.k[i].n;
    hist[i] = sim->st.k[i].rcount;
  }
  double rate = sim->churn_rate;
  apisim_replay *rp = &sim->replay;
  double rrate = rp->rate;
  unsigned long long rrep = rp->replayed, rcyc = rp->cycles;
  size_t rn = rp->n, rpos = rp->pos;
  bool rvalid = rp->valid;
  unsigned long long rmiss = rp->slot_misses, rverr = rp->verify_mismatches;
  pthread_mutex_unlock(&sim->st.mu);
  int n = snprintf(
      tmp, sizeof tmp,
      "{\"resourceVersion\":%llu,\"events\":%llu,\"requests\":%llu,\"lists\":%llu,"
      "\"gets\":%llu,\"writes\":%llu,\"watches\":%llu,\"watchesActive\":%llu,"
      "\"watchEvents\":%llu,\"bytesSent\":%llu,\"gzipResponses\":%llu,"
      "\"errors4xx\":%llu,\"errors5xx\":%llu,\"faultsInjected\":%llu,"
      "\"restarts\":%llu,\"churnRate\":%g,\"churnCreates\":%llu,\"churnUpdates\":%llu,"
      "\"churnDeletes\":%llu,\"replayRate\":%g,\"replayEvents\":%llu,\"replayCycles\":%llu,"
      "\"replayCycleEvents\":%zu,\"replayPosition\":%zu,\"replayValid\":%s,"
      "\"replaySlotMisses\":%llu,\"replayVerifyMismatches\":%llu,"
      "\"objects\":{",
      (unsigned long long)rv, (unsigned long long)evs, (unsigned long long)st->requests,
      (unsigned long long)st->lists, (unsigned long long)st->gets, (unsigned long long)st->writes,
      (unsigned long long)st->watches, (unsigned long long)st->watches_active,
      (unsigned long long)st->watch_events, (unsigned long long)st->bytes_sent,
      (unsigned long long)st->gzip_responses, (unsigned long long)st->errors_4xx,
      (unsigned long long)st->errors_5xx, (unsigned long long)st->faults_injected,
      (unsigned long long)atomic_load(&sim->restarts), rate, (unsigned long long)st->churn_creates,
      (unsigned long long)st->churn_updates, (unsigned long long)st->churn_deletes, rrate, rrep,
      rcyc, rn, rpos, rvalid ? "true" : "false", rmiss, rverr);
  ksmc_buf_put(&b, tmp, (size_t)n);
  for (size_t i = 0; i < NKINDS; i++) {
    n = snprintf(tmp, sizeof tmp, "%s\"%s\":%zu", i ? "," : "", KINDS[i].resource, counts[i]);
    ksmc_buf_put(&b, tmp, (size_t)n);
  }
  ksmc_buf_puts(&b, KSMC_LIT("},\"history\":{"));
  for (size_t i = 0; i < NKINDS; i++) {
    n = snprintf(tmp, sizeof tmp, "%s\"%s\":%zu", i ? "," : "", KINDS[i].resource, hist[i]);
    ksmc_buf_put(&b, tmp, (size_t)n);
  }
  ksmc_buf_puts(&b, KSMC_LIT("},\"faults\":"));
  faults_json(&sim->faults, &b);
  ksmc_buf_puts(&b, KSMC_LIT("}\n"));
  return send_body(r, 200, "application/json", &b);
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value) {
  (void)kind;
  ksmc_buf *b = cls;
  if (b->n) ksmc_buf_putc(b, '&');
  ksmc_buf_put(b, key, strlen(key));
  ksmc_buf_putc(b, '=');
  if (value)
    ksmc_buf_put(b, value, strlen(value));
  else
    ksmc_buf_putc(b, '1');
  return MHD_YES;
}

enum MHD_Result handle_control(req *r, const char *path) {
  apisim *sim = r->sim;
  bool post = !strcmp(r->method, "POST") || !strcmp(r->method, "PUT");
  if (!strcmp(path, "/_sim/objects")) return objects(r);
  if (!strcmp(path, "/_sim/stats")) return stats(r);
  if (!strcmp(path, "/_sim/faults")) {
    if (post || !strcmp(r->method, "DELETE")) {
      ksmc_buf spec = {0};
      if (!strcmp(r->method, "DELETE")) ksmc_buf_puts(&spec, KSMC_LIT("reset=1"));
      MHD_get_connection_values(r->c, MHD_GET_ARGUMENT_KIND, collect, &spec);
      if (r->body.n) {
        ksmc_buf_putc(&spec, '&');
        ksmc_buf_put(&spec, r->body.p, r->body.n);
      }
      char err[300];
      const char *e = faults_apply(&sim->faults, ksmc_buf_cstr(&spec), err, sizeof err);
      ksmc_buf_free(&spec);
      if (e) return send_status(r, 400, "BadRequest", e);
    }
    ksmc_buf b = {0};
    faults_json(&sim->faults, &b);
    ksmc_buf_putc(&b, '\n');
    return send_body(r, 200, "application/json", &b);
  }
  if (!strcmp(path, "/_sim/compact") && post) {
    store_compact(&sim->st);
    ksmc_buf b = {0};
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "{\"compactedTo\":%llu}\n", (unsigned long long)sim->st.rv);
    ksmc_buf_put(&b, tmp, (size_t)n);
    return send_body(r, 200, "application/json", &b);
  }
  if (!strcmp(path, "/_sim/restart") && post) {
    const char *down = req_arg(r, "down_ms"), *jump = req_arg(r, "rv_jump"),
               *compact = req_arg(r, "compact");
    long down_ms = down ? strtol(down, NULL, 10) : 0;
    unsigned long long rv_jump = jump ? strtoull(jump, NULL, 10) : 0;
    bool comp = compact && strcmp(compact, "0") && strcmp(compact, "false");
    if (down_ms < 0 || down_ms > 600000)
      return send_status(r, 400, "BadRequest", "down_ms must be 0..600000");
    faults_restart(sim, down_ms, rv_jump, comp);
    pthread_mutex_lock(&sim->st.mu);
    unsigned long long rv = sim->st.rv;
    pthread_mutex_unlock(&sim->st.mu);
    ksmc_buf b = {0};
    char tmp[128];
    int n = snprintf(tmp, sizeof tmp, "{\"restarts\":%llu,\"resourceVersion\":%llu}\n",
                     (unsigned long long)atomic_load(&sim->restarts), rv);
    ksmc_buf_put(&b, tmp, (size_t)n);
    return send_body(r, 200, "application/json", &b);
  }
  if (!strcmp(path, "/_sim/churn/record") && post) {
    const char *ns = req_arg(r, "n");
    char *end = NULL;
    long n = ns ? strtol(ns, &end, 10) : 0;
    if (!ns || *end || n < 1 || n > 10000000)
      return send_status(r, 400, "BadRequest", "n=<churn operations, 1..10000000> is required");
    ksmc_buf b = {0};
    char err[300];
    int code = replay_record(sim, n, &b, err, sizeof err);
    if (code != 200) return send_status(r, code, "Conflict", err);
    return send_body(r, 200, "application/json", &b);
  }
  if (!strcmp(path, "/_sim/churn/replay") && post) {
    const char *rate = req_arg(r, "rate"), *cyc = req_arg(r, "cycles"),
               *verify = req_arg(r, "verify");
    char *end = NULL, *cend = NULL;
    double v = rate ? strtod(rate, &end) : -1;
    unsigned long long cycles = cyc ? strtoull(cyc, &cend, 10) : 0;
    if (!rate || *end || !(v >= 0) || v > 1e9 || (cyc && (*cend || cyc[0] == '-')))
      return send_status(r, 400, "BadRequest",
                         "rate=<events per second, 0 stops> [cycles=<count>] is required");
    ksmc_buf b = {0};
    char err[300];
    int code = replay_set_rate(sim, v, cycles, verify && strcmp(verify, "0"), &b, err, sizeof err);
    if (code != 200) return send_status(r, code, "Conflict", err);
    return send_body(r, 200, "application/json", &b);
  }
  if (!strcmp(path, "/_sim/churn") && post) {
    const char *rate = req_arg(r, "rate");
    if (!rate) return send_status(r, 400, "BadRequest", "rate=<events per second> is required");
    double v = strtod(rate, NULL);
    pthread_mutex_lock(&sim->st.mu);
    bool busy = v > 0 && sim->replay.rate > 0;
    if (!busy) sim->churn_rate = v;
    pthread_mutex_unlock(&sim->st.mu);
    if (busy)
      return send_status(r, 409, "Conflict",
                         "a replay is running: POST /_sim/churn/replay?rate=0 first");
    ksmc_buf b = {0};
    ksmc_buf_puts(&b, KSMC_LIT("{\"ok\":true}\n"));
    return send_body(r, 200, "application/json", &b);
  }
  return send_status_details(r, 404, "NotFound", "unknown control endpoint; see apisim --help",
                             "{}");
}
