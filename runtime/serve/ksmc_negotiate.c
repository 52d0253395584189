/* Content negotiation like expfmt.NegotiateIncludingOpenMetrics as KSM uses it; see
 * ksmc_expo.h. goautoneg's ParseAccept is reproduced closely: parts split on ',', trimmed
 * of spaces, media range split on '/', params split on '=' (q parsed as a 32-bit float,
 * 0 when malformed), then Go's sort.Sort with goautoneg's Less, which for the <= 12
 * entries of any real header is an insertion sort (stable); we use it for all sizes. */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksmc_expo.h"

#define MAX_ACCEPT 64
#define MAX_PARAMS 8

typedef struct {
  ksmc_slice type, subtype;
  double q;
  ksmc_slice pk[MAX_PARAMS], pv[MAX_PARAMS];
  size_t np;
} accept_entry;

static bool sl_eq(ksmc_slice s, const char *lit) {
  return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static ksmc_slice trim_spaces(const char *p, size_t n) {
  while (n && *p == ' ') p++, n--;
  while (n && p[n - 1] == ' ') n--;
  return (ksmc_slice){p, n};
}

/* Go's strconv.ParseFloat(s, 32) as goautoneg uses it: the whole string must parse. */
static double parse_q(const char *p, size_t n) {
  char tmp[64];
  if (n == 0 || n >= sizeof tmp || isspace((unsigned char)p[0])) return 0;
  memcpy(tmp, p, n);
  tmp[n] = '\0';
  char *end;
  double v = strtod(tmp, &end);
  if (*end) return 0;
  return (double)(float)v;
}

/* The last value of param `key` (Go map: later duplicates overwrite), or empty. */
static ksmc_slice param(const accept_entry *a, const char *key) {
  ksmc_slice v = {"", 0};
  for (size_t i = 0; i < a->np; i++)
    if (sl_eq(a->pk[i], key)) v = a->pv[i];
  return v;
}

static void add_param(accept_entry *a, const char *p, size_t n) {
  const char *eq = memchr(p, '=', n);
  if (!eq) return;
  ksmc_slice key = trim_spaces(p, (size_t)(eq - p));
  const char *v = eq + 1;
  size_t vn = n - (size_t)(v - p);
  if (sl_eq(key, "q")) {
    a->q = parse_q(v, vn);
  } else if (a->np < MAX_PARAMS) {
    a->pk[a->np] = key;
    a->pv[a->np++] = trim_spaces(v, vn);
  }
}

/* Parses one comma-separated part; false if goautoneg would skip it. */
static bool parse_part(accept_entry *a, const char *p, size_t n) {
  ksmc_slice part = trim_spaces(p, n);
  const char *semi = memchr(part.p, ';', part.n);
  size_t rn = semi ? (size_t)(semi - part.p) : part.n;
  memset(a, 0, sizeof *a);
  a->q = 1.0;
  const char *slash = memchr(part.p, '/', rn);
  if (!slash) {
    a->type = trim_spaces(part.p, rn);
    if (!sl_eq(a->type, "*")) return false;
    a->subtype = (ksmc_slice){"*", 1};
  } else {
    const char *sub = slash + 1;
    size_t subn = rn - (size_t)(sub - part.p);
    if (memchr(sub, '/', subn)) return false;
    a->type = trim_spaces(part.p, (size_t)(slash - part.p));
    a->subtype = trim_spaces(sub, subn);
  }
  for (const char *q = semi; q;) {
    const char *start = q + 1, *end = part.p + part.n;
    q = memchr(start, ';', (size_t)(end - start));
    add_param(a, start, (size_t)((q ? q : end) - start));
  }
  return true;
}

static bool less(const accept_entry *a, const accept_entry *b) {
  if (a->q > b->q) return true;
  if (!sl_eq(a->type, "*") && sl_eq(b->type, "*")) return true;
  if (!sl_eq(a->subtype, "*") && sl_eq(b->subtype, "*")) return true;
  return false;
}

static size_t parse_accept(const char *h, accept_entry *out, size_t max) {
  size_t n = 0;
  for (const char *p = h; p && n < max;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (parse_part(&out[n], p, len)) n++;
    p = comma ? comma + 1 : NULL;
  }
  for (size_t i = 1; i < n; i++) /* Go's insertionSort with goautoneg's Less */
    for (size_t j = i; j > 0 && less(&out[j], &out[j - 1]); j--) {
      accept_entry t = out[j];
      out[j] = out[j - 1];
      out[j - 1] = t;
    }
  return n;
}

static bool known_escaping(ksmc_slice v) {
  return sl_eq(v, "allow-utf-8") || sl_eq(v, "underscores") || sl_eq(v, "dots") ||
         sl_eq(v, "values");
}

static void set_openmetrics(ksmc_expo_negotiated *out, ksmc_slice ver, ksmc_slice esc) {
  out->format = KSMC_EXPO_OPENMETRICS;
  snprintf(out->content_type, sizeof out->content_type,
           "application/openmetrics-text; version=%s; charset=utf-8; escaping=%.*s",
           sl_eq(ver, "1.0.0") ? "1.0.0" : "0.0.1", (int)esc.n, esc.p);
}

/* Returns true when entry a decides the format (text or OpenMetrics written to out). */
static bool decide(const accept_entry *a, ksmc_slice esc, ksmc_expo_negotiated *out) {
  ksmc_slice ver = param(a, "version");
  if (sl_eq(a->type, "application") && sl_eq(a->subtype, "vnd.google.protobuf") &&
      sl_eq(param(a, "proto"), "io.prometheus.client.MetricFamily")) {
    ksmc_slice enc = param(a, "encoding");
    /* KSM never serves protobuf: a protobuf match ends negotiation with text. */
    return sl_eq(enc, "delimited") || sl_eq(enc, "text") || sl_eq(enc, "compact-text");
  }
  if (sl_eq(a->type, "text") && sl_eq(a->subtype, "plain") && (sl_eq(ver, "0.0.4") || ver.n == 0))
    return true;
  if (sl_eq(a->type, "application") && sl_eq(a->subtype, "openmetrics-text") &&
      (sl_eq(ver, "0.0.1") || sl_eq(ver, "1.0.0") || ver.n == 0)) {
    set_openmetrics(out, ver, esc);
    return true;
  }
  return false;
}

void ksmc_expo_negotiate(const char *accept, ksmc_expo_negotiated *out) {
  out->format = KSMC_EXPO_TEXT;
  snprintf(out->content_type, sizeof out->content_type, "%s", KSMC_CONTENT_TYPE_TEXT);
  if (!accept) return;
  accept_entry *e = malloc(MAX_ACCEPT * sizeof *e);
  if (!e) return;
  size_t n = parse_accept(accept, e, MAX_ACCEPT);
  ksmc_slice esc = {"underscores", 11};
  for (size_t i = 0; i < n; i++) {
    ksmc_slice v = param(&e[i], "escaping");
    if (v.n && known_escaping(v)) esc = v;
    if (decide(&e[i], esc, out)) break;
  }
  free(e);
}

bool ksmc_expo_gzip_accepted(const char *h) {
  for (const char *p = h; p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    while (n && isspace((unsigned char)*p)) p++, n--;
    while (n && isspace((unsigned char)p[n - 1])) n--;
    if ((n == 4 && memcmp(p, "gzip", 4) == 0) || (n >= 5 && memcmp(p, "gzip;", 5) == 0))
      return true;
    p = comma ? comma + 1 : NULL;
  }
  return false;
}
