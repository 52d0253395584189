/* ksmc_cron: go-cron's ParseStandard and Next over Go's time zone semantics.
 *
 * The algorithms follow robfig/cron v3 (parser.go, spec.go, constantdelay.go), which
 * netresearch/go-cron keeps for standard specs, and Go's time package (zoneinfo_read.go:
 * TZif reading; zoneinfo.go: lookup, tzset; time.go: Date). Line-by-line fidelity matters
 * more than elegance here: a DST day must give exactly Go's answer. */
#include "ksmc_cron.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksmc_gonum.h"

#define ALPHA INT64_MIN
#define OMEGA INT64_MAX
#define DAY 86400
#define STAR_BIT (UINT64_C(1) << 63)
#define MAX_CACHED 1024          /* more than the tz database has names */
#define MAX_ZONE_FILE (10 << 20) /* Go's readFile limit */

/* ---- civil calendar (proleptic Gregorian, Unix days) -------------------------------- */

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static const int days_before[13] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

static int days_in(int mon, int64_t year) {
  if (mon == 2 && is_leap(year)) return 29;
  return days_before[mon] - days_before[mon - 1];
}

/* ---- zones: Go's Location ------------------------------------------------------------ */

typedef struct {
  int kind; /* 0 Julian (Jn), 1 day of year (n), 2 month-week-day (Mm.w.d) */
  int day, week, mon;
  int time;
} tz_rule;

typedef struct {
  int32_t off;
  bool dst;
} tz_type;

typedef struct {
  int64_t when;
  uint8_t idx;
} tz_trans;

struct ksmc_tz {
  char *name;
  tz_type *types;
  size_t ntypes;
  tz_trans *tx;
  size_t ntx;
  size_t first; /* lookupFirstZone */
  /* The TZif footer (Go's `extend`), parsed once: 0 none or invalid, 1 standard time
   * only, 2 with DST rules. */
  int ext;
  int std_off, dst_off;
  tz_rule rstart, rend;
};

typedef struct {
  char *name;    /* zone name as asked */
  ksmc_tz *zone; /* NULL with err set: the name does not load */
  char *err;
  bool utc;
} cache_entry;

struct ksmc_cron_ctx {
  char *dirs[4];
  size_t ndirs;
  ksmc_tz *local; /* NULL: UTC */
  cache_entry cache[MAX_CACHED];
  size_t ncache;
  cache_entry spill; /* the last uncached load, past MAX_CACHED names */
};

static void tz_free(ksmc_tz *z) {
  if (!z) return;
  free(z->name);
  free(z->types);
  free(z->tx);
  free(z);
}

static void errf(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* tzsetName, tzsetOffset, tzsetNum, tzsetRule of Go's zoneinfo.go. */
static bool tzs_name(const char **s, const char *e) {
  const char *p = *s;
  if (p >= e) return false;
  if (*p != '<') {
    for (const char *q = p; q < e; q++) {
      if ((*q >= '0' && *q <= '9') || *q == ',' || *q == '-' || *q == '+') {
        if (q - p < 3) return false;
        *s = q;
        return true;
      }
    }
    if (e - p < 3) return false;
    *s = e;
    return true;
  }
  for (const char *q = p; q < e; q++)
    if (*q == '>') {
      *s = q + 1;
      return true;
    }
  return false;
}

static bool tzs_num(const char **s, const char *e, int min, int max, int *out) {
  const char *p = *s;
  if (p >= e) return false;
  int num = 0;
  for (const char *q = p; q < e; q++) {
    if (*q < '0' || *q > '9') {
      if (q == p || num < min) return false;
      *out = num;
      *s = q;
      return true;
    }
    num = num * 10 + (*q - '0');
    if (num > max) return false;
  }
  if (num < min) return false;
  *out = num;
  *s = e;
  return true;
}

static bool tzs_offset(const char **s, const char *e, int *out) {
  const char *p = *s;
  if (p >= e) return false;
  bool neg = false;
  if (*p == '+') {
    p++;
  } else if (*p == '-') {
    p++;
    neg = true;
  }
  int h, m, sec;
  if (!tzs_num(&p, e, 0, 24 * 7, &h)) return false;
  int off = h * 3600;
  if (p < e && *p == ':') {
    p++;
    if (!tzs_num(&p, e, 0, 59, &m)) return false;
    off += m * 60;
    if (p < e && *p == ':') {
      p++;
      if (!tzs_num(&p, e, 0, 59, &sec)) return false;
      off += sec;
    }
  }
  *out = neg ? -off : off;
  *s = p;
  return true;
}

static bool tzs_rule(const char **s, const char *e, tz_rule *r) {
  const char *p = *s;
  if (p >= e) return false;
  memset(r, 0, sizeof *r);
  if (*p == 'J') {
    p++;
    if (!tzs_num(&p, e, 1, 365, &r->day)) return false;
    r->kind = 0;
  } else if (*p == 'M') {
    p++;
    if (!tzs_num(&p, e, 1, 12, &r->mon) || p >= e || *p != '.') return false;
    p++;
    if (!tzs_num(&p, e, 1, 5, &r->week) || p >= e || *p != '.') return false;
    p++;
    if (!tzs_num(&p, e, 0, 6, &r->day)) return false;
    r->kind = 2;
  } else {
    if (!tzs_num(&p, e, 0, 365, &r->day)) return false;
    r->kind = 1;
  }
  if (p >= e || *p != '/') {
    r->time = 2 * 3600;
  } else {
    p++;
    if (!tzs_offset(&p, e, &r->time)) return false;
  }
  *s = p;
  return true;
}

/* Go's tzset, the parse half: fills z->ext and its rules from the footer string. */
static void parse_extend(ksmc_tz *z, const char *s, size_t n) {
  const char *p = s, *e = s + n;
  z->ext = 0;
  if (!n) return;
  int std, dst;
  if (!tzs_name(&p, e) || !tzs_offset(&p, e, &std)) return;
  std = -std;
  if (p >= e || *p == ',') {
    z->std_off = std;
    z->ext = 1;
    return;
  }
  if (!tzs_name(&p, e)) return;
  if (p >= e || *p == ',') {
    dst = std + 3600;
  } else {
    if (!tzs_offset(&p, e, &dst)) return;
    dst = -dst;
  }
  static const char def[] = ",M3.2.0,M11.1.0";
  if (p >= e) {
    p = def;
    e = def + sizeof def - 1;
  }
  if (*p != ',' && *p != ';') return;
  p++;
  if (!tzs_rule(&p, e, &z->rstart) || p >= e || *p != ',') return;
  p++;
  if (!tzs_rule(&p, e, &z->rend) || p < e) return;
  z->std_off = std;
  z->dst_off = dst;
  z->ext = 2;
}

/* Go's tzruleTime. */
static int rule_time(int64_t year, const tz_rule *r, int off) {
  int s = 0;
  switch (r->kind) {
  case 0:
    s = (r->day - 1) * DAY;
    if (is_leap(year) && r->day >= 60) s += DAY;
    break;
  case 1:
    s = r->day * DAY;
    break;
  default: {
    int m1 = (r->mon + 9) % 12 + 1;
    int yy0 = (int)year;
    if (r->mon <= 2) yy0--;
    int yy1 = yy0 / 100, yy2 = yy0 % 100;
    int dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
    if (dow < 0) dow += 7;
    int d = r->day - dow;
    if (d < 0) d += 7;
    for (int i = 1; i < r->week; i++) {
      if (d + 7 >= days_in(r->mon, year)) break;
      d += 7;
    }
    d += days_before[r->mon - 1];
    if (is_leap(year) && r->mon > 2) d++;
    s = d * DAY;
  }
  }
  return s + r->time - off;
}

/* Go's tzset, the evaluation half. */
static void tzset_eval(const ksmc_tz *z, int64_t last_tx, int64_t sec, int *off, int64_t *start,
                       int64_t *end) {
  if (z->ext == 1) {
    *off = z->std_off;
    *start = last_tx;
    *end = OMEGA;
    return;
  }
  int64_t days = floor_div(sec, DAY), year;
  int mo, dd;
  civil_from_days(days, &year, &mo, &dd);
  int64_t year_start = days_from_civil(year, 1, 1);
  int64_t yday = days - year_start;
  int64_t ysec = yday * DAY + sec % DAY;
  int64_t abs = year_start * DAY;
  int std = z->std_off, dst = z->dst_off;
  int64_t s0 = rule_time(year, &z->rstart, std);
  int64_t s1 = rule_time(year, &z->rend, dst);
  if (s1 < s0) {
    int64_t t = s0;
    s0 = s1;
    s1 = t;
    int o = std;
    std = dst;
    dst = o;
  }
  if (ysec < s0) {
    *off = std;
    *start = abs;
    *end = s0 + abs;
  } else if (ysec >= s1) {
    *off = std;
    *start = s1 + abs;
    *end = abs + 365 * DAY;
  } else {
    *off = dst;
    *start = s0 + abs;
    *end = s1 + abs;
  }
}

/* Go's Location.lookup: offset at sec and the [start, end) range it holds for. */
static void tz_lookup(const ksmc_tz *z, int64_t sec, int *off, int64_t *start, int64_t *end) {
  if (!z) {
    *off = 0;
    *start = ALPHA;
    *end = OMEGA;
    return;
  }
  if (z->ntx == 0 || sec < z->tx[0].when) {
    *off = z->types[z->first].off;
    *start = ALPHA;
    *end = z->ntx ? z->tx[0].when : OMEGA;
    return;
  }
  size_t lo = 0, hi = z->ntx;
  *end = OMEGA;
  while (hi - lo > 1) {
    size_t m = lo + (hi - lo) / 2;
    if (sec < z->tx[m].when) {
      *end = z->tx[m].when;
      hi = m;
    } else {
      lo = m;
    }
  }
  *off = z->types[z->tx[lo].idx].off;
  *start = z->tx[lo].when;
  if (lo == z->ntx - 1 && z->ext) tzset_eval(z, *start, sec, off, start, end);
}

int ksmc_tz_offset(const ksmc_tz *z, int64_t t) {
  int off;
  int64_t s, e;
  tz_lookup(z, t, &off, &s, &e);
  return off;
}

int64_t ksmc_tz_date(const ksmc_tz *z, int64_t year, int64_t month, int64_t day, int64_t hour,
                     int64_t min, int64_t sec) {
  int64_t m0 = month - 1;
  year += floor_div(m0, 12);
  m0 -= floor_div(m0, 12) * 12;
  int64_t days = days_from_civil(year, m0 + 1, 1) + (day - 1);
  int64_t unix = days * DAY + hour * 3600 + min * 60 + sec;
  int off;
  int64_t start, end;
  tz_lookup(z, unix, &off, &start, &end);
  if (off != 0) {
    int64_t utc = unix - off;
    if (utc < start || utc >= end) tz_lookup(z, utc, &off, &start, &end);
    unix -= off;
  }
  return unix;
}

/* ---- TZif reading: Go's LoadLocationFromTZData -------------------------------------- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static ksmc_tz *tzif_parse(const unsigned char *d, size_t n) {
  size_t pos = 0;
#define NEED(k)                                                                                    \
  do {                                                                                             \
    if (n - pos < (size_t)(k)) return NULL;                                                        \
  } while (0)
  NEED(20);
  if (memcmp(d, "TZif", 4) != 0) return NULL;
  int version;
  switch (d[4]) {
  case 0:
    version = 1;
    break;
  case '2':
    version = 2;
    break;
  case '3':
    version = 3;
    break;
  default:
    return NULL;
  }
  pos = 20;
  size_t cnt[6]; /* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
  NEED(24);
  for (int i = 0; i < 6; i++) cnt[i] = be32(d + pos + 4 * (size_t)i);
  for (int i = 0; i < 6; i++)
    if (cnt[i] > (1u << 24)) return NULL; /* far beyond any real file: avoids overflow */
  pos += 24;
  size_t size = 4;
  if (version > 1) {
    size_t skip = cnt[3] * 4 + cnt[3] + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
    skip += 4 + 16;
    NEED(skip);
    pos += skip;
    NEED(24);
    for (int i = 0; i < 6; i++) cnt[i] = be32(d + pos + 4 * (size_t)i);
    for (int i = 0; i < 6; i++)
      if (cnt[i] > (1u << 24)) return NULL;
    pos += 24;
    size = 8;
  }
  size_t ntime = cnt[3], ntype = cnt[4], nchar = cnt[5];
  size_t body = ntime * size + ntime + ntype * 6 + nchar + cnt[2] * (size + 4) + cnt[1] + cnt[0];
  NEED(body);
  const unsigned char *times = d + pos, *idx = times + ntime * size, *types = idx + ntime;
  const unsigned char *chars = types + ntype * 6;
  (void)chars;
  size_t rest = pos + body;
  if (ntype == 0) return NULL;
  ksmc_tz *z = calloc(1, sizeof *z);
  if (!z) return NULL;
  z->types = calloc(ntype, sizeof *z->types);
  z->tx = calloc(ntime ? ntime : 1, sizeof *z->tx);
  if (!z->types || !z->tx) goto bad;
  z->ntypes = ntype;
  for (size_t i = 0; i < ntype; i++) {
    const unsigned char *t = types + 6 * i;
    z->types[i].off = (int32_t)be32(t);
    z->types[i].dst = t[4] != 0;
    if (t[5] >= nchar) goto bad;
  }
  for (size_t i = 0; i < ntime; i++) {
    int64_t w;
    if (size == 4) {
      w = (int32_t)be32(times + 4 * i);
    } else {
      w = (int64_t)((uint64_t)be32(times + 8 * i) << 32 | be32(times + 8 * i + 4));
    }
    if (idx[i] >= ntype) goto bad;
    z->tx[i].when = w;
    z->tx[i].idx = idx[i];
  }
  z->ntx = ntime;
  if (ntime == 0) { /* Go: one transition at the beginning of time */
    z->tx[0].when = ALPHA;
    z->tx[0].idx = 0;
    z->ntx = 1;
  }
  /* lookupFirstZone */
  bool first_used = false;
  for (size_t i = 0; i < z->ntx; i++)
    if (z->tx[i].idx == 0) first_used = true;
  z->first = 0;
  if (first_used) {
    bool found = false;
    if (z->types[z->tx[0].idx].dst) {
      for (int zi = (int)z->tx[0].idx - 1; zi >= 0; zi--)
        if (!z->types[zi].dst) {
          z->first = (size_t)zi;
          found = true;
          break;
        }
    }
    if (!found)
      for (size_t zi = 0; zi < ntype; zi++)
        if (!z->types[zi].dst) {
          z->first = zi;
          break;
        }
  }
  size_t nrest = n - rest;
  if (nrest > 2 && d[rest] == '\n' && d[n - 1] == '\n')
    parse_extend(z, (const char *)d + rest + 1, nrest - 2);
  return z;
bad:
  tz_free(z);
  return NULL;
#undef NEED
}

/* Reads file `path` whole (at most MAX_ZONE_FILE bytes). errno-style result. */
static int read_file(const char *path, unsigned char **out, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return errno ? errno : ENOENT;
  size_t cap = 4096, len = 0;
  unsigned char *b = malloc(cap);
  int rc = 0;
  if (!b) rc = ENOMEM;
  while (!rc) {
    if (len == cap) {
      if (cap >= MAX_ZONE_FILE) {
        rc = EFBIG;
        break;
      }
      unsigned char *nb = realloc(b, cap * 2);
      if (!nb) {
        rc = ENOMEM;
        break;
      }
      b = nb;
      cap *= 2;
    }
    size_t r = fread(b + len, 1, cap - len, f);
    len += r;
    if (r == 0) {
      if (ferror(f)) rc = EIO; /* a directory reads as an error (EISDIR) */
      break;
    }
  }
  fclose(f);
  if (rc) {
    free(b);
    return rc;
  }
  *out = b;
  *n = len;
  return 0;
}

static const char *const platform_dirs[] = {"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo",
                                            "/usr/lib/locale/TZ"};

/* loadLocation(name, dirs): the first directory whose file parses. */
static ksmc_tz *load_from(char *const *dirs, size_t ndirs, const char *name, char *err,
                          size_t errlen) {
  bool other = false;
  for (size_t i = 0; i < ndirs; i++) {
    size_t ln = strlen(dirs[i]) + strlen(name) + 2;
    char *path = malloc(ln);
    if (!path) break;
    if (dirs[i][0])
      snprintf(path, ln, "%s/%s", dirs[i], name);
    else
      snprintf(path, ln, "%s", name);
    unsigned char *data;
    size_t n;
    int rc = read_file(path, &data, &n);
    free(path);
    if (rc == 0) {
      ksmc_tz *z = tzif_parse(data, n);
      free(data);
      if (z) {
        z->name = strdup(name);
        if (z->name) return z;
        tz_free(z);
        break;
      }
      if (!other) errf(err, errlen, "malformed time zone information");
      other = true;
    } else if (rc != ENOENT && !other) {
      errf(err, errlen, "%s", strerror(rc));
      other = true;
    }
  }
  if (!other) errf(err, errlen, "unknown time zone %s", name);
  return NULL;
}

ksmc_cron_ctx *ksmc_cron_ctx_new(const char *zoneinfo, const char *tz) {
  ksmc_cron_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  if (zoneinfo && *zoneinfo && !(c->dirs[c->ndirs++] = strdup(zoneinfo))) goto oom;
  for (size_t i = 0; i < sizeof platform_dirs / sizeof *platform_dirs; i++)
    if (!(c->dirs[c->ndirs++] = strdup(platform_dirs[i]))) goto oom;
  /* Go's initLocal */
  char err[8];
  if (!tz) {
    char *etc[] = {"/etc"};
    c->local = load_from(etc, 1, "localtime", err, sizeof err);
  } else if (*tz) {
    if (*tz == ':') tz++;
    if (*tz == '/') {
      char *root[] = {""};
      c->local = load_from(root, 1, tz, err, sizeof err);
    } else if (*tz && strcmp(tz, "UTC") != 0) {
      c->local = load_from(c->dirs + (zoneinfo && *zoneinfo), c->ndirs - (zoneinfo && *zoneinfo),
                           tz, err, sizeof err);
    }
  }
  return c;
oom:
  ksmc_cron_ctx_free(c);
  return NULL;
}

ksmc_cron_ctx *ksmc_cron_ctx_from_env(void) {
  return ksmc_cron_ctx_new(getenv("ZONEINFO"), getenv("TZ"));
}

static void entry_free(cache_entry *e) {
  free(e->name);
  free(e->err);
  tz_free(e->zone);
  memset(e, 0, sizeof *e);
}

void ksmc_cron_ctx_free(ksmc_cron_ctx *c) {
  if (!c) return;
  for (size_t i = 0; i < c->ndirs; i++) free(c->dirs[i]);
  for (size_t i = 0; i < c->ncache; i++) entry_free(&c->cache[i]);
  entry_free(&c->spill);
  tz_free(c->local);
  free(c);
}

static bool entry_result(const ksmc_cron_ctx *c, const cache_entry *e, const ksmc_tz **out,
                         char *err, size_t errlen) {
  (void)c;
  if (e->utc || e->zone) {
    *out = e->zone;
    return true;
  }
  errf(err, errlen, "%s", e->err ? e->err : "out of memory");
  return false;
}

bool ksmc_cron_zone(ksmc_cron_ctx *c, const char *name, size_t n, const ksmc_tz **out, char *err,
                    size_t errlen) {
  *out = NULL;
  if (n == 0 || (n == 3 && !memcmp(name, "UTC", 3))) return true;
  if (n == 5 && !memcmp(name, "Local", 5)) {
    *out = c->local;
    return true;
  }
  bool bad = name[0] == '/' || name[0] == '\\' || memchr(name, 0, n) != NULL;
  for (size_t i = 0; !bad && i + 1 < n; i++)
    if (name[i] == '.' && name[i + 1] == '.') bad = true;
  if (bad) {
    errf(err, errlen, "time: invalid location name");
    return false;
  }
  for (size_t i = 0; i <= c->ncache; i++) {
    const cache_entry *e = i < c->ncache ? &c->cache[i] : &c->spill;
    if (e->name && strlen(e->name) == n && !memcmp(e->name, name, n))
      return entry_result(c, e, out, err, errlen);
  }
  cache_entry *e = c->ncache < MAX_CACHED ? &c->cache[c->ncache++] : &c->spill;
  entry_free(e);
  e->name = malloc(n + 1);
  if (!e->name) {
    if (e != &c->spill) c->ncache--;
    errf(err, errlen, "out of memory");
    return false;
  }
  memcpy(e->name, name, n);
  e->name[n] = 0;
  char msg[160];
  msg[0] = 0;
  e->zone = load_from(c->dirs, c->ndirs, e->name, msg, sizeof msg);
  if (!e->zone) e->err = strdup(msg);
  return entry_result(c, e, out, err, errlen);
}

/* ---- the parser: robfig/cron v3 parser.go with ParseStandard's options --------------- */

/* Length of the Go unicode.IsSpace rune at p (0: not a space). */
static size_t space_len(const char *s, size_t i, size_t n) {
  const unsigned char *p = (const unsigned char *)s + i;
  size_t left = n - i;
  if (*p == ' ' || (*p >= '\t' && *p <= '\r')) return 1;
  if (left >= 2 && p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0)) return 2;
  if (left >= 3) {
    unsigned cp = 0;
    if ((p[0] & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80)
      cp = (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x202F || cp == 0x205F || cp == 0x3000)
      return 3;
  }
  return 0;
}

/* Byte length of the (possibly invalid) UTF-8 sequence at s[i], as Go's range loop steps. */
static size_t rune_len(const char *s, size_t i, size_t n) {
  const unsigned char *p = (const unsigned char *)s + i;
  size_t left = n - i;
  if (*p < 0x80) return 1;
  size_t need = (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 1;
  if (need > left) return 1;
  for (size_t k = 1; k < need; k++)
    if ((p[k] & 0xC0) != 0x80) return 1;
  return need;
}

typedef struct {
  unsigned min, max;
  const char *const *names; /* names[i] is value i + names_base */
  unsigned nnames, names_base;
} bounds;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const bounds b_minutes = {0, 59, NULL, 0, 0}, b_hours = {0, 23, NULL, 0, 0},
                    b_dom = {1, 31, NULL, 0, 0}, b_months = {1, 12, month_names, 12, 1},
                    b_dow = {0, 6, dow_names, 7, 0};

static uint64_t get_bits(unsigned min, unsigned max, unsigned step) {
  uint64_t bits = 0;
  if (step == 1) return ~(UINT64_MAX << (max + 1)) & (UINT64_MAX << min);
  for (unsigned i = min; i <= max; i += step) bits |= UINT64_C(1) << i;
  return bits;
}

/* mustParseInt */
static bool must_int(const char *s, size_t n, uint64_t *out, char *err, size_t errlen) {
  int64_t v;
  if (!ksmc_go_atoi(s, n, &v)) {
    errf(err, errlen, "failed to parse int from %.*s", (int)n, s);
    return false;
  }
  if (v < 0) {
    errf(err, errlen, "negative number (%lld) not allowed: %.*s", (long long)v, (int)n, s);
    return false;
  }
  *out = (uint64_t)v;
  return true;
}

static bool int_or_name(const char *s, size_t n, const bounds *r, uint64_t *out, char *err,
                        size_t errlen) {
  if (r->names && n == 3) {
    char low[3];
    for (int i = 0; i < 3; i++) low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    for (unsigned i = 0; i < r->nnames; i++)
      if (!memcmp(low, r->names[i], 3)) {
        *out = i + r->names_base;
        return true;
      }
  }
  return must_int(s, n, out, err, errlen);
}

static size_t count_char(const char *s, size_t n, char c) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += s[i] == c;
  return k;
}

/* getRange */
static bool get_range(const char *s, size_t n, const bounds *r, uint64_t *bits, char *err,
                      size_t errlen) {
  uint64_t start, end, step;
  size_t slashes = count_char(s, n, '/');
  const char *slash = memchr(s, '/', n);
  size_t rn = slash ? (size_t)(slash - s) : n; /* rangeAndStep[0] */
  size_t hyphens = count_char(s, rn, '-');
  bool single = hyphens == 0;
  uint64_t extra = 0;
  if (rn == 1 && (s[0] == '*' || s[0] == '?')) {
    start = r->min;
    end = r->max;
    extra = STAR_BIT;
  } else if ((s[0] == '*' || s[0] == '?') && rn > 1 && s[1] == '-') {
    start = r->min; /* lowAndHigh[0] is "*": the rest of the range is ignored */
    end = r->max;
    extra = STAR_BIT;
  } else {
    const char *h = memchr(s, '-', rn);
    size_t ln = h ? (size_t)(h - s) : rn;
    if (!int_or_name(s, ln, r, &start, err, errlen)) return false;
    if (hyphens == 0) {
      end = start;
    } else if (hyphens == 1) {
      if (!int_or_name(h + 1, rn - ln - 1, r, &end, err, errlen)) return false;
    } else {
      errf(err, errlen, "too many hyphens: %.*s", (int)n, s);
      return false;
    }
  }
  if (slashes == 0) {
    step = 1;
  } else if (slashes == 1) {
    if (!must_int(slash + 1, n - rn - 1, &step, err, errlen)) return false;
    if (single) end = r->max;
    if (step > 1) extra = 0;
  } else {
    errf(err, errlen, "too many slashes: %.*s", (int)n, s);
    return false;
  }
  if (start < r->min) {
    errf(err, errlen, "beginning of range (%llu) below minimum (%u): %.*s",
         (unsigned long long)start, r->min, (int)n, s);
    return false;
  }
  if (end > r->max) {
    errf(err, errlen, "end of range (%llu) above maximum (%u): %.*s", (unsigned long long)end,
         r->max, (int)n, s);
    return false;
  }
  if (start > end) {
    errf(err, errlen, "beginning of range (%llu) beyond end of range (%llu): %.*s",
         (unsigned long long)start, (unsigned long long)end, (int)n, s);
    return false;
  }
  if (step == 0) {
    errf(err, errlen, "step of range should be a positive number: %.*s", (int)n, s);
    return false;
  }
  if (step > 64) step = 64; /* same bits: only the first value is in range */
  *bits = get_bits((unsigned)start, (unsigned)end, (unsigned)step) | extra;
  return true;
}

/* getField: comma-separated ranges; empty pieces are skipped (strings.FieldsFunc). */
static bool get_field(const char *s, size_t n, const bounds *r, uint64_t *bits, char *err,
                      size_t errlen) {
  *bits = 0;
  size_t i = 0;
  while (i < n) {
    while (i < n && s[i] == ',') i++;
    size_t j = i;
    while (j < n && s[j] != ',') j++;
    if (j > i) {
      uint64_t b;
      if (!get_range(s + i, j - i, r, &b, err, errlen)) return false;
      *bits |= b;
    }
    i = j;
  }
  return true;
}

/* time.ParseDuration, in nanoseconds. */
static bool go_parse_duration(const char *s, size_t n, int64_t *out) {
  const uint64_t lim = UINT64_C(1) << 63;
  uint64_t d = 0;
  bool neg = false;
  size_t i = 0;
  if (n && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (n - i == 1 && s[i] == '0') {
    *out = 0;
    return true;
  }
  if (i == n) return false;
  while (i < n) {
    uint64_t v = 0, f = 0;
    double scale = 1;
    if (!(s[i] == '.' || (s[i] >= '0' && s[i] <= '9'))) return false;
    size_t p0 = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
      if (v > lim / 10) return false;
      v = v * 10 + (uint64_t)(s[i] - '0');
      if (v > lim) return false;
    }
    bool pre = i != p0, post = false;
    if (i < n && s[i] == '.') {
      i++;
      size_t p1 = i;
      bool overflow = false;
      for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (overflow) continue;
        if (f > (lim - 1) / 10) {
          overflow = true;
          continue;
        }
        uint64_t y = f * 10 + (uint64_t)(s[i] - '0');
        if (y > lim) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = i != p1;
    }
    if (!pre && !post) return false;
    size_t u0 = i;
    for (; i < n && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'); i++) {
    }
    size_t un = i - u0;
    if (un == 0) return false;
    const char *u = s + u0;
    uint64_t unit;
    if (un == 2 && !memcmp(u, "ns", 2))
      unit = 1;
    else if ((un == 2 && !memcmp(u, "us", 2)) || (un == 3 && !memcmp(u, "\xC2\xB5s", 3)) ||
             (un == 3 && !memcmp(u, "\xCE\xBCs", 3)))
      unit = 1000;
    else if (un == 2 && !memcmp(u, "ms", 2))
      unit = 1000000;
    else if (un == 1 && *u == 's')
      unit = 1000000000;
    else if (un == 1 && *u == 'm')
      unit = UINT64_C(60000000000);
    else if (un == 1 && *u == 'h')
      unit = UINT64_C(3600000000000);
    else
      return false;
    if (v > lim / unit) return false;
    v *= unit;
    if (f > 0) {
      v += (uint64_t)((double)f * ((double)unit / scale));
      if (v > lim) return false;
    }
    d += v;
    if (d > lim) return false;
  }
  if (neg) {
    *out = d == lim ? INT64_MIN : -(int64_t)d;
    return true;
  }
  if (d > lim - 1) return false;
  *out = (int64_t)d;
  return true;
}

static uint64_t all_bits(const bounds *r) { return get_bits(r->min, r->max, 1) | STAR_BIT; }

static bool parse_descriptor(const char *s, size_t n, ksmc_cron_sched *o, char *err,
                             size_t errlen) {
#define IS(lit) (n == sizeof lit - 1 && !memcmp(s, lit, n))
  o->second = 1;
  o->minute = 1;
  o->hour = 1;
  o->dom = all_bits(&b_dom);
  o->month = all_bits(&b_months);
  o->dow = all_bits(&b_dow);
  if (IS("@yearly") || IS("@annually")) {
    o->dom = UINT64_C(1) << 1;
    o->month = UINT64_C(1) << 1;
  } else if (IS("@monthly")) {
    o->dom = UINT64_C(1) << 1;
  } else if (IS("@weekly")) {
    o->dow = 1;
  } else if (IS("@daily") || IS("@midnight")) {
  } else if (IS("@hourly")) {
    o->hour = all_bits(&b_hours);
  } else if (n >= 7 && !memcmp(s, "@every ", 7)) {
    int64_t ns;
    if (!go_parse_duration(s + 7, n - 7, &ns)) {
      errf(err, errlen, "failed to parse duration %.*s", (int)n, s);
      return false;
    }
    if (ns < 1000000000) ns = 1000000000;
    o->every = ns / 1000000000;
  } else {
    errf(err, errlen, "unrecognized descriptor: %.*s", (int)n, s);
    return false;
  }
  return true;
#undef IS
}

bool ksmc_cron_parse(ksmc_cron_ctx *ctx, const char *spec, size_t n, ksmc_cron_sched *o, char *err,
                     size_t errlen) {
  memset(o, 0, sizeof *o);
  if (n == 0) {
    errf(err, errlen, "empty spec string");
    return false;
  }
  o->zone = ctx->local;
  if ((n >= 3 && !memcmp(spec, "TZ=", 3)) || (n >= 8 && !memcmp(spec, "CRON_TZ=", 8))) {
    const char *sp = memchr(spec, ' ', n);
    const char *eq = memchr(spec, '=', n);
    if (!sp) { /* spec[eq+1:-1]: go-cron panics */
      errf(err, errlen, "no schedule after the time zone: %.*s", (int)n, spec);
      return false;
    }
    char zerr[160];
    const char *name = eq + 1;
    size_t nl = (size_t)(sp - name);
    if (!ksmc_cron_zone(ctx, name, nl, &o->zone, zerr, sizeof zerr)) {
      errf(err, errlen, "provided bad location %.*s: %s", (int)nl, name, zerr);
      return false;
    }
    /* strings.TrimSpace(spec[i:]) */
    size_t b = (size_t)(sp - spec), e = n, k;
    while (b < e && (k = space_len(spec, b, e)) > 0) b += k;
    for (;;) { /* trailing spaces: step back over a whole space rune */
      size_t cut = 0;
      for (size_t w = 1; w <= 3 && w <= e - b && !cut; w++)
        if (space_len(spec, e - w, e) == w) cut = w;
      if (!cut) break;
      e -= cut;
    }
    spec += b;
    n = e - b;
  }
  if (n > 0 && spec[0] == '@') return parse_descriptor(spec, n, o, err, errlen);
  /* strings.Fields */
  const char *f[6];
  size_t fl[6], nf = 0, i = 0, k;
  while (i < n) {
    while (i < n && (k = space_len(spec, i, n)) > 0) i += k;
    if (i >= n) break;
    size_t j = i;
    while (j < n && space_len(spec, j, n) == 0) j += rune_len(spec, j, n);
    if (nf < 6) {
      f[nf] = spec + i;
      fl[nf] = j - i;
    }
    nf++;
    i = j;
  }
  if (nf != 5) {
    /* go-cron prints the fields as fmt's %s of a []string: [a b c] */
    int w = snprintf(err, errlen, "expected exactly 5 fields, found %zu: [", nf);
    size_t at = w > 0 ? (size_t)w : 0, q = 0, m;
    for (size_t idx = 0; q < n && at + 2 < errlen; idx++) {
      while (q < n && (m = space_len(spec, q, n)) > 0) q += m;
      if (q >= n) break;
      size_t j = q;
      while (j < n && space_len(spec, j, n) == 0) j += rune_len(spec, j, n);
      w = snprintf(err + at, errlen - at, "%s%.*s", idx ? " " : "", (int)(j - q), spec + q);
      if (w > 0) at += (size_t)w;
      q = j;
    }
    if (err && at + 1 < errlen) snprintf(err + at, errlen - at, "]");
    return false;
  }
  o->second = 1;
  return get_field(f[0], fl[0], &b_minutes, &o->minute, err, errlen) &&
         get_field(f[1], fl[1], &b_hours, &o->hour, err, errlen) &&
         get_field(f[2], fl[2], &b_dom, &o->dom, err, errlen) &&
         get_field(f[3], fl[3], &b_months, &o->month, err, errlen) &&
         get_field(f[4], fl[4], &b_dow, &o->dow, err, errlen);
}

/* ---- Next: robfig/cron v3 spec.go ----------------------------------------------------- */

typedef struct {
  int64_t year;
  int month, day, hour, min, sec, wday;
} fields;

static fields split(const ksmc_tz *z, int64_t t) {
  fields f;
  int64_t local = t + ksmc_tz_offset(z, t);
  int64_t days = floor_div(local, DAY), s = local - days * DAY;
  civil_from_days(days, &f.year, &f.month, &f.day);
  f.hour = (int)(s / 3600);
  f.min = (int)(s % 3600 / 60);
  f.sec = (int)(s % 60);
  f.wday = (int)((days % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
  return f;
}

static bool bit(uint64_t set, int v) { return (set >> v) & 1; }

static bool day_matches(const ksmc_cron_sched *s, const fields *f) {
  bool dom = bit(s->dom, f->day), dow = bit(s->dow, f->wday);
  if ((s->dom & STAR_BIT) || (s->dow & STAR_BIT)) return dom && dow;
  return dom || dow;
}

int64_t ksmc_cron_next(const ksmc_cron_sched *s, int64_t from) {
  if (s->every > 0) return from + s->every;
  /* A field that matches no value at all: go-cron searches five years and gives up. */
  const uint64_t v = ~STAR_BIT;
  bool day_never = ((s->dom & STAR_BIT) || (s->dow & STAR_BIT)) ? !((s->dom & v) && (s->dow & v))
                                                                : !((s->dom & v) || (s->dow & v));
  if (!(s->month & v) || !(s->hour & v) || !(s->minute & v) || !(s->second & v) || day_never)
    return KSMC_CRON_NONE;
  const ksmc_tz *z = s->zone;
  int64_t t = from + 1;
  bool added = false;
  fields f = split(z, t);
  int64_t year_limit = f.year + 5;
  /* Every step moves t forward; the bound only guards against a zone file so odd that
   * Go itself would not terminate. */
  for (long guard = 0; guard < 50000000; guard++) {
    f = split(z, t);
    if (f.year > year_limit) return KSMC_CRON_NONE;
    while (!bit(s->month, f.month)) {
      if (!added) {
        added = true;
        t = ksmc_tz_date(z, f.year, f.month, 1, 0, 0, 0);
        f = split(z, t);
      }
      t = ksmc_tz_date(z, f.year, f.month + 1, f.day, f.hour, f.min, f.sec);
      f = split(z, t);
      if (f.month == 1) goto next;
    }
    while (!day_matches(s, &f)) {
      if (!added) {
        added = true;
        t = ksmc_tz_date(z, f.year, f.month, f.day, 0, 0, 0);
        f = split(z, t);
      }
      t = ksmc_tz_date(z, f.year, f.month, f.day + 1, f.hour, f.min, f.sec);
      f = split(z, t);
      if (f.hour != 0) {
        t += f.hour > 12 ? (int64_t)(24 - f.hour) * 3600 : -(int64_t)f.hour * 3600;
        f = split(z, t);
      }
      if (f.day == 1) goto next;
    }
    while (!bit(s->hour, f.hour)) {
      if (!added) {
        added = true;
        t = ksmc_tz_date(z, f.year, f.month, f.day, f.hour, 0, 0);
      }
      t += 3600;
      f = split(z, t);
      if (f.hour == 0) goto next;
    }
    while (!bit(s->minute, f.min)) {
      if (!added) {
        added = true;
        t = floor_div(t, 60) * 60;
      }
      t += 60;
      f = split(z, t);
      if (f.min == 0) goto next;
    }
    while (!bit(s->second, f.sec)) {
      added = true;
      t += 1;
      f = split(z, t);
      if (f.sec == 0) goto next;
    }
    return t;
  next:
    continue;
  }
  return KSMC_CRON_NONE;
}
