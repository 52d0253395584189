/* Helpers shared by the C benchmark programs: NDJSON loading and a monotonic clock. */
#ifndef KSMC_BENCH_COMMON_H
#define KSMC_BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  char *data;     /* whole file, each line NUL-terminated in place */
  size_t size;    /* file bytes */
  char **line;    /* start of each non-empty line */
  size_t *len;    /* its length without the newline */
  size_t n;       /* number of lines */
  size_t payload; /* sum of len */
} bench_lines;

static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline char *bench_read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 20, n = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (!buf) break;
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (n < cap) break;
    cap *= 2;
    char *nb = realloc(buf, cap + 1);
    if (!nb) {
      free(buf);
      buf = NULL;
    }
    buf = nb;
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  *size = n;
  return buf;
}

/* Loads an NDJSON file (one JSON object per line). A file whose first byte is '{' and that
 * has no newline inside the top-level object (pretty-printed JSON) is one object. */
static inline int bench_load(const char *path, bench_lines *L) {
  memset(L, 0, sizeof *L);
  L->data = bench_read_file(path, &L->size);
  if (!L->data) return -1;
  size_t cap = 1024;
  L->line = malloc(cap * sizeof *L->line);
  L->len = malloc(cap * sizeof *L->len);
  /* Pretty-printed single object: the second line starts with whitespace. */
  const char *nl = memchr(L->data, '\n', L->size);
  if (nl && nl + 1 < L->data + L->size && (nl[1] == ' ' || nl[1] == '\t')) {
    L->line[0] = L->data;
    L->len[0] = L->size;
    L->n = 1;
    L->payload = L->size;
    return 0;
  }
  char *p = L->data, *end = L->data + L->size;
  while (p < end) {
    char *e = memchr(p, '\n', (size_t)(end - p));
    if (!e) e = end;
    if (e > p) {
      if (L->n == cap) {
        cap *= 2;
        L->line = realloc(L->line, cap * sizeof *L->line);
        L->len = realloc(L->len, cap * sizeof *L->len);
        if (!L->line || !L->len) return -1;
      }
      L->line[L->n] = p;
      L->len[L->n] = (size_t)(e - p);
      L->payload += (size_t)(e - p);
      L->n++;
    }
    if (e < end) *e = '\0';
    p = e + 1;
  }
  return L->n ? 0 : -1;
}

static int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Runs pass() repeatedly for at least min_time seconds (and at least 3 passes), returns
 * the fastest pass in seconds and the median in *median. */
#define BENCH_MAX_PASSES 100000
static inline double bench_repeat(double min_time, void (*pass)(void *), void *arg, double *median,
                                  int *npasses) {
  static double t[BENCH_MAX_PASSES];
  int n = 0;
  double start = bench_now();
  while (n < BENCH_MAX_PASSES && (n < 3 || bench_now() - start < min_time)) {
    double t0 = bench_now();
    pass(arg);
    t[n++] = bench_now() - t0;
  }
  qsort(t, (size_t)n, sizeof t[0], bench_cmp_double);
  *median = t[n / 2];
  *npasses = n;
  return t[0];
}

#endif
