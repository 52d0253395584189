#include "diag.h"

#include <stdlib.h>
#include <string.h>

static void report(ksmc_diag *d, ksmc_pos pos, const char *kind, const char *fmt, va_list ap) {
  FILE *out = d->out ? d->out : stderr;
  if (pos.line > 0)
    fprintf(out, "%s:%d:%d: %s: ", pos.file, pos.line, pos.col, kind);
  else
    fprintf(out, "%s: %s: ", pos.file ? pos.file : "ksmc-gen", kind);
  vfprintf(out, fmt, ap);
  fputc('\n', out);
}

void ksmc_error(ksmc_diag *d, ksmc_pos pos, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(d, pos, "error", fmt, ap);
  va_end(ap);
  d->errors++;
}

void ksmc_note(ksmc_diag *d, ksmc_pos pos, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(d, pos, "note", fmt, ap);
  va_end(ap);
}

void ksmc_warning(ksmc_diag *d, ksmc_pos pos, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(d, pos, "warning", fmt, ap);
  va_end(ap);
  d->warnings++;
}

/* Levenshtein distance, case-insensitive, capped at 255. */
static int edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 255;
  int row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int prev = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int cur = row[j];
      int ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
      int sub = prev + (ca != cb);
      int del = row[j] + 1, ins = row[j - 1] + 1;
      row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
      prev = cur;
    }
  }
  return row[lb];
}

const char *ksmc_did_you_mean(const char *word, const char *const *candidates, int n) {
  const char *best = NULL;
  int best_d = 255;
  for (int i = 0; i < n; i++) {
    int dist = edit_distance(word, candidates[i]);
    if (dist < best_d) {
      best_d = dist;
      best = candidates[i];
    }
  }
  int limit = (int)strlen(word) / 3 + 1;
  return best_d <= limit ? best : NULL;
}
