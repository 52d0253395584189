#include "ksmc_buf.h"

#include <stdint.h>
#include <stdlib.h>

bool ksmc_buf_reserve(ksmc_buf *b, size_t extra) {
  if (b->oom) return false;
  if (b->cap - b->n >= extra) return true;
  size_t need = b->n + extra;
  if (need < b->n) { /* overflow */
    b->oom = true;
    return false;
  }
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) cap = cap > (SIZE_MAX / 2) ? need : cap * 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

void ksmc_buf_free(ksmc_buf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
  b->oom = false;
}

const char *ksmc_buf_cstr(ksmc_buf *b) {
  if (!ksmc_buf_reserve(b, 1)) return "";
  b->p[b->n] = '\0';
  return b->p;
}
