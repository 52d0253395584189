/* ksmc_buf: the one growable byte buffer (writer) used everywhere in the runtime.
 *
 * A buffer keeps a sticky error: once an allocation fails, every later append is a
 * no-op and ksmc_buf_failed() reports it, so generated code can append without
 * checking each call and test once at the end. */
#ifndef KSMC_BUF_H
#define KSMC_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* A read-only byte slice. Not NUL-terminated unless said so. */
typedef struct {
  const char *p;
  size_t n;
} ksmc_slice;

/* A slice of a string literal, length computed at compile time. */
#define KSMC_LIT(s) ((ksmc_slice){(s), sizeof(s) - 1})

typedef struct {
  char *p;    /* bytes; may be NULL while cap == 0 */
  size_t n;   /* bytes used */
  size_t cap; /* bytes allocated */
  bool oom;   /* sticky: an allocation failed; content is truncated */
} ksmc_buf;

/* Grows the buffer so that `extra` more bytes fit. Returns false (and sets oom) on
 * allocation failure. */
bool ksmc_buf_reserve(ksmc_buf *b, size_t extra);

/* Appends n bytes. */
static inline void ksmc_buf_put(ksmc_buf *b, const void *p, size_t n) {
  if (b->cap - b->n < n && !ksmc_buf_reserve(b, n)) return;
  if (n) memcpy(b->p + b->n, p, n);
  b->n += n;
}

/* Appends one byte. */
static inline void ksmc_buf_putc(ksmc_buf *b, char c) {
  if (b->cap == b->n && !ksmc_buf_reserve(b, 1)) return;
  b->p[b->n++] = c;
}

static inline void ksmc_buf_puts(ksmc_buf *b, ksmc_slice s) { ksmc_buf_put(b, s.p, s.n); }

/* Drops everything after the first n bytes (n <= b->n). */
static inline void ksmc_buf_truncate(ksmc_buf *b, size_t n) {
  if (n < b->n) b->n = n;
}

/* True if an allocation failed since the buffer was initialised or reset. */
static inline bool ksmc_buf_failed(const ksmc_buf *b) { return b->oom; }

/* Empties the buffer, keeping its memory and clearing the sticky error. */
static inline void ksmc_buf_reset(ksmc_buf *b) {
  b->n = 0;
  b->oom = false;
}

/* Frees the memory; the buffer is empty and reusable afterwards. */
void ksmc_buf_free(ksmc_buf *b);

/* Appends a NUL byte without counting it in n, so b->p can be used as a C string. */
const char *ksmc_buf_cstr(ksmc_buf *b);

#endif
