/* Shared walks of the plain /metrics body; see ksmc_tape.h.
 *
 * A tape is a ring of chunks, chunk k holding body bytes [k * chunk, (k + 1) * chunk) and
 * a fork of the walk positioned after them (ksmc_expo_fork). Every reader owns a fork too,
 * kept at the end of the last chunk it took: taking chunk k from the ring is a seek to
 * chunk k's end, and rendering it (at the front, or below the ring: chunk k dropped or
 * not there yet for a late joiner) is a walk of the reader's own fork, which is exactly
 * where chunk k starts.
 *
 * Locking: the hub mutex guards every tape's ring, counts and flags, and the list of
 * suspended readers. It is never held while rendering, copying or releasing snapshots.
 * A reader that needs the chunk being rendered is suspended (its waiter's suspend, under
 * the mutex, so the resume that follows the chunk's publication cannot come first) or,
 * without a waiter, blocks on its tape's condition variable (one chunk's walk). */
#include "ksmc_tape.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ksmc_buf.h"

typedef struct chunk {
  struct chunk *next; /* in the hub's pool */
  atomic_uint refs;   /* the ring's, plus one per reader copying from it */
  ksmc_expo_req *end; /* the walk after this chunk; NULL: not published (fork failed) */
  size_t n;
  char data[];
} chunk;

typedef struct {
  char *key; /* format and filters (tape_key) */
  size_t keylen;
  struct timespec t0;
  ksmc_expo_req *start; /* the walk before the first chunk: joiners fork it */
  chunk **ring;         /* ring[k % cap] is chunk k, for first <= k < count */
  size_t cap, first, count;
  unsigned readers;
  bool producing;               /* a reader is rendering chunk `count` */
  bool ended;                   /* the body ends after chunk count - 1 */
  bool joinable;                /* cleared for good by the first failed join test */
  size_t join_chunks;           /* joinable until the front has rendered this many chunks */
  pthread_cond_t cv;            /* producing cleared (blocking readers) */
  struct ksmc_tape_reader *rds; /* the readers, linked by next_reader */
} tape;

struct ksmc_tape_hub {
  const ksmc_expo *e;
  ksmc_tape_opts o;
  pthread_mutex_t mu;
  tape *open;  /* the newest tape: the only one a scrape can join */
  size_t live; /* tapes with readers */
  /* Chunk buffers kept for reuse (fresh ones cost page faults: on a VM more than the
   * walk they save), freed by ksmc_tape_trim once no tape has lived for pool_idle_ms. */
  chunk *pool;
  size_t npool, pool_max;
  struct timespec idle_since;         /* when live last dropped to 0 */
  struct ksmc_tape_reader *suspended; /* linked by r->next_suspended */
  bool no_suspend;                    /* ksmc_tape_stop_suspending was called */
  _Atomic uint64_t tapes, joined, fallbacks, replayed, suspensions, holds;
};

struct ksmc_tape_reader {
  ksmc_tape_hub *h;
  tape *t;          /* NULL: walking alone */
  ksmc_expo_req *q; /* the reader's walk, at the end of the last chunk it took */
  size_t k;         /* the next chunk to take */
  chunk *cur;       /* the chunk being copied out, or NULL */
  size_t off;
  bool rendered;               /* cur was rendered by this reader */
  bool behind;                 /* has read chunks the ring no longer held (counted once) */
  bool at_end;                 /* its own walk reached the end of the body */
  size_t direct_end;           /* below the ring: reading with its own walk up to here */
  struct timespec progress_at; /* when it last took, rendered or read a whole chunk */
  size_t bytes;
  ksmc_tape_waiter w;
  bool is_suspended; /* in h->suspended */
  struct ksmc_tape_reader *next_suspended, *next_reader;
};

/* ---- suspended readers ---- */

/* Takes the suspended readers of tape t (all of them if t is NULL) off the list (hub
 * mutex held); the caller resumes them (resume_all) once the mutex is released. */
static ksmc_tape_reader *unsuspend_locked(ksmc_tape_hub *h, const tape *t) {
  ksmc_tape_reader *out = NULL, **pp = &h->suspended;
  while (*pp) {
    ksmc_tape_reader *r = *pp;
    if (t && r->t != t) {
      pp = &r->next_suspended;
      continue;
    }
    *pp = r->next_suspended;
    r->is_suspended = false;
    r->next_suspended = out;
    out = r;
  }
  return out;
}

/* The suspended-reader list a followed by b. */
static ksmc_tape_reader *concat(ksmc_tape_reader *a, ksmc_tape_reader *b) {
  if (!a) return b;
  ksmc_tape_reader *last = a;
  while (last->next_suspended) last = last->next_suspended;
  last->next_suspended = b;
  return a;
}

static void resume_all(ksmc_tape_reader *r) {
  while (r) {
    ksmc_tape_reader *next = r->next_suspended; /* r may be read and closed once resumed */
    r->next_suspended = NULL;
    r->w.resume(r->w.arg);
    r = next;
  }
}

/* ---- hub ---- */

ksmc_tape_hub *ksmc_tape_hub_new(const ksmc_expo *e, const ksmc_tape_opts *o) {
  ksmc_tape_hub *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->e = e;
  if (o) h->o = *o;
  if (!h->o.chunk) h->o.chunk = KSMC_TAPE_CHUNK;
  if (!h->o.ring_min) h->o.ring_min = KSMC_TAPE_RING_MIN;
  if (!h->o.ring_max) h->o.ring_max = KSMC_TAPE_RING_MAX;
  if (!h->o.join_ms) h->o.join_ms = KSMC_TAPE_JOIN_MS;
  if (!h->o.pool_idle_ms) h->o.pool_idle_ms = KSMC_TAPE_POOL_IDLE_MS;
  if (!h->o.max_tapes) h->o.max_tapes = KSMC_TAPE_MAX_TAPES;
  if (!h->o.max_readers) h->o.max_readers = KSMC_TAPE_MAX_READERS;
  if (!h->o.hold_ms) h->o.hold_ms = KSMC_TAPE_HOLD_MS;
  pthread_mutex_init(&h->mu, NULL);
  return h;
}

static void free_chunks(chunk *c) {
  while (c) {
    chunk *next = c->next;
    free(c);
    c = next;
  }
}

void ksmc_tape_hub_free(ksmc_tape_hub *h) {
  if (!h) return;
  free_chunks(h->pool);
  pthread_mutex_destroy(&h->mu);
  free(h);
}

void ksmc_tape_get_stats(ksmc_tape_hub *h, ksmc_tape_stats *out) {
  out->tapes = atomic_load(&h->tapes);
  out->joined = atomic_load(&h->joined);
  out->fallbacks = atomic_load(&h->fallbacks);
  out->replayed = atomic_load(&h->replayed);
  out->suspensions = atomic_load(&h->suspensions);
  out->holds = atomic_load(&h->holds);
  pthread_mutex_lock(&h->mu);
  out->pooled = h->npool * h->o.chunk;
  pthread_mutex_unlock(&h->mu);
}

static double ms_between(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

void ksmc_tape_trim(ksmc_tape_hub *h) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  chunk *idle = NULL;
  pthread_mutex_lock(&h->mu);
  ksmc_tape_reader *wake = unsuspend_locked(h, NULL); /* held fronts re-check the time */
  if (!h->live && ms_between(&h->idle_since, &now) >= (double)h->o.pool_idle_ms) {
    idle = h->pool;
    h->pool = NULL;
    h->npool = 0;
  }
  pthread_mutex_unlock(&h->mu);
  resume_all(wake);
  free_chunks(idle);
}

/* ---- chunks and tapes ---- */

/* A chunk buffer (refs 1, no end) from the pool or malloc; NULL on allocation failure. */
static chunk *chunk_get(ksmc_tape_hub *h) {
  pthread_mutex_lock(&h->mu);
  chunk *c = h->pool;
  if (c) {
    h->pool = c->next;
    h->npool--;
  }
  pthread_mutex_unlock(&h->mu);
  if (!c && !(c = malloc(sizeof *c + h->o.chunk))) return NULL;
  atomic_init(&c->refs, 1);
  c->end = NULL;
  c->n = 0;
  return c;
}

/* Drops a reference; the last one ends the chunk's fork and returns the buffer to the
 * pool (if it has room) or frees it. Never called with the hub mutex held. */
static void chunk_unref(ksmc_tape_hub *h, chunk *c) {
  if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1) return;
  ksmc_expo_end(c->end);
  c->end = NULL;
  pthread_mutex_lock(&h->mu);
  bool keep = h->npool < h->pool_max;
  if (keep) {
    c->next = h->pool;
    h->pool = c;
    h->npool++;
  }
  pthread_mutex_unlock(&h->mu);
  if (!keep) free(c);
}

/* The bytes that identify a body: format, then every filter value, each 0-terminated. */
static bool tape_key(const ksmc_expo_opts *o, ksmc_buf *k) {
  ksmc_buf_putc(k, o->format == KSMC_EXPO_OPENMETRICS ? 'o' : 't');
  for (size_t i = 0; i < o->nresources; i++)
    ksmc_buf_put(k, o->resources[i], strlen(o->resources[i]) + 1);
  ksmc_buf_putc(k, '\n');
  for (size_t i = 0; i < o->nexclude; i++)
    ksmc_buf_put(k, o->exclude[i], strlen(o->exclude[i]) + 1);
  return !ksmc_buf_failed(k);
}

/* About the bytes of a body: the stores' rendered bytes. */
static size_t body_bytes(const ksmc_tape_hub *h) {
  size_t bytes = 0;
  for (size_t i = 0; i < ksmc_expo_nresources(h->e); i++) {
    const ksmc_expo_resource *r = ksmc_expo_resource_at(h->e, i);
    for (size_t s = 0; s < r->nstores; s++) bytes += ksmc_store_bytes(r->stores[s]);
  }
  return bytes;
}

/* Ring chunks for a body of `bytes`: 1/16 of it, bounded. */
static size_t ring_chunks(const ksmc_tape_hub *h, size_t bytes) {
  size_t ring = bytes / 16;
  if (ring < h->o.ring_min) ring = h->o.ring_min;
  if (ring > h->o.ring_max) ring = h->o.ring_max;
  size_t n = ring / h->o.chunk;
  return n < 2 ? 2 : n;
}

/* Frees a tape that has no reader (not under the hub mutex). */
static void tape_free(ksmc_tape_hub *h, tape *t) {
  if (!t) return;
  for (size_t k = t->first; k < t->count; k++) chunk_unref(h, t->ring[k % t->cap]);
  free(t->ring);
  ksmc_expo_end(t->start);
  free(t->key);
  pthread_cond_destroy(&t->cv);
  free(t);
}

/* A new tape with fresh snapshots, readers 0. NULL on allocation failure. */
static tape *tape_new(ksmc_tape_hub *h, const ksmc_expo_opts *o, const ksmc_buf *key) {
  tape *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  pthread_cond_init(&t->cv, NULL);
  size_t body = body_bytes(h);
  t->cap = ring_chunks(h, body);
  t->join_chunks = body / 4 / h->o.chunk + 1;
  t->ring = calloc(t->cap, sizeof *t->ring);
  t->key = malloc(key->n);
  t->start = ksmc_expo_begin(h->e, o);
  if (!t->ring || !t->key || !t->start) {
    tape_free(h, t);
    return NULL;
  }
  memcpy(t->key, key->p, key->n);
  t->keylen = key->n;
  t->joinable = true;
  clock_gettime(CLOCK_MONOTONIC, &t->t0);
  return t;
}

/* Whether a new scrape may still join t (hub mutex held); false answers are final. */
static bool still_joinable(const ksmc_tape_hub *h, tape *t) {
  if (!t->joinable) return false;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (t->ended || t->count >= t->join_chunks || ms_between(&t->t0, &now) > (double)h->o.join_ms)
    t->joinable = false;
  return t->joinable;
}

/* ---- readers ---- */

ksmc_tape_reader *ksmc_tape_open(ksmc_tape_hub *h, const ksmc_expo_opts *o,
                                 const ksmc_tape_waiter *w) {
  if (o->gzip) return NULL;
  ksmc_tape_reader *r = calloc(1, sizeof *r);
  ksmc_buf key = {0};
  if (!r || !tape_key(o, &key)) goto fail;
  r->h = h;
  if (w) r->w = *w;
  pthread_mutex_lock(&h->mu);
  tape *t = h->open;
  if (t && t->keylen == key.n && memcmp(t->key, key.p, key.n) == 0 &&
      t->readers < h->o.max_readers && still_joinable(h, t)) {
    t->readers++;
    atomic_fetch_add(&h->joined, 1);
  } else if (h->live >= h->o.max_tapes) { /* the memory bound: this scrape walks alone */
    pthread_mutex_unlock(&h->mu);
    ksmc_buf_free(&key);
    if ((r->q = ksmc_expo_begin(h->e, o))) return r;
    free(r);
    return NULL;
  } else {
    pthread_mutex_unlock(&h->mu);
    if (!(t = tape_new(h, o, &key))) goto fail;
    pthread_mutex_lock(&h->mu);
    if (h->open) h->open->joinable = false;
    h->open = t;
    t->readers = 1;
    h->live++;
    if (h->pool_max < t->cap + 8) h->pool_max = t->cap + 8; /* the ring and readers' chunks */
    atomic_fetch_add(&h->tapes, 1);
  }
  r->t = t;
  r->next_reader = t->rds;
  t->rds = r;
  pthread_mutex_unlock(&h->mu);
  ksmc_buf_free(&key);
  if ((r->q = ksmc_expo_fork(t->start))) return r;
  ksmc_tape_close(r);
  return NULL;
fail:
  ksmc_buf_free(&key);
  free(r);
  return NULL;
}

/* Detaches r from its tape (hub mutex held), which is returned for freeing outside the
 * mutex if r was its last reader, else NULL; *wake gets the suspended readers to resume
 * (resume_all) outside the mutex. r walks alone from its position. */
static tape *leave_locked(ksmc_tape_reader *r, ksmc_tape_reader **wake) {
  ksmc_tape_hub *h = r->h;
  tape *t = r->t, *dead = NULL;
  r->t = NULL;
  for (ksmc_tape_reader **pp = &t->rds; *pp; pp = &(*pp)->next_reader)
    if (*pp == r) {
      *pp = r->next_reader;
      break;
    }
  if (--t->readers == 0) {
    if (h->open == t) h->open = NULL;
    if (--h->live == 0) clock_gettime(CLOCK_MONOTONIC, &h->idle_since);
    dead = t;
  }
  /* a front held for r (hold_ring) may go on */
  *wake = unsuspend_locked(h, NULL);
  return dead;
}

/* Renders the next chunk with r's own walk, with a fork of the walk after it (for the
 * ring). NULL on allocation failure (r's walk did not move). n == 0: the body has
 * ended. */
static chunk *render_chunk(ksmc_tape_reader *r) {
  size_t cap = r->h->o.chunk, n = 0;
  chunk *c = chunk_get(r->h);
  if (!c) return NULL;
  for (ssize_t m; n < cap && (m = ksmc_expo_read(r->q, c->data + n, cap - n)) > 0;) n += (size_t)m;
  c->n = n;
  c->end = n ? ksmc_expo_fork(r->q) : NULL;
  return c;
}

/* Adds c (chunk t->count) to the ring (hub mutex held); returns the chunk it displaced,
 * to be released outside the mutex, or NULL. */
static chunk *publish_locked(tape *t, chunk *c) {
  chunk *dropped = NULL;
  if (t->count - t->first == t->cap) {
    dropped = t->ring[t->first % t->cap];
    t->first++;
  }
  atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed); /* the ring's */
  t->ring[t->count % t->cap] = c;
  t->count++;
  return dropped;
}

void ksmc_tape_stop_suspending(ksmc_tape_hub *h) {
  pthread_mutex_lock(&h->mu);
  h->no_suspend = true;
  ksmc_tape_reader *wake = unsuspend_locked(h, NULL);
  pthread_mutex_unlock(&h->mu);
  resume_all(wake);
}

/* Renders chunk t->count (r is at its start, t->producing set by r); r->cur is set
 * unless the body has ended. Returns false on allocation failure (r walks alone). */
static bool produce(ksmc_tape_reader *r, tape *t) {
  ksmc_tape_hub *h = r->h;
  chunk *c = render_chunk(r), *dropped = NULL;
  tape *dead = NULL;
  pthread_mutex_lock(&h->mu);
  clock_gettime(CLOCK_MONOTONIC, &r->progress_at);
  t->producing = false;
  pthread_cond_broadcast(&t->cv);
  ksmc_tape_reader *wake = unsuspend_locked(h, t);
  if (c && c->n == 0) t->ended = true;
  if (c && c->end) {
    dropped = publish_locked(t, c);
    r->k = t->count;
  } else if (!c || c->n) { /* not published: the others render it themselves */
    ksmc_tape_reader *more;
    dead = leave_locked(r, &more);
    wake = concat(wake, more);
  }
  pthread_mutex_unlock(&h->mu);
  resume_all(wake);
  chunk_unref(h, dropped);
  tape_free(h, dead);
  if (c && c->n) {
    r->cur = c;
    r->rendered = true;
  } else {
    chunk_unref(h, c);
  }
  return c != NULL;
}

/* Whether r, at the front of t, should wait before rendering (hub mutex held): the ring
 * is full, so rendering would drop its oldest chunk, and another reader of t has yet to
 * reach that chunk but is getting there: it took or read a chunk within hold_ms. Such a
 * reader is one that joined late and reads the chunks the ring no longer holds, or one
 * whose thread lost the CPU for a while; holding the front lets it catch up and share
 * the rest of the walk. A reader that stopped (a slow client) holds nothing. Only
 * readers that suspend are held. */
static bool hold_ring(const ksmc_tape_hub *h, tape *t, const ksmc_tape_reader *r) {
  if (t->count - t->first < t->cap) return false;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  for (const ksmc_tape_reader *o = t->rds; o; o = o->next_reader)
    if (o != r && o->k <= t->first && ms_between(&o->progress_at, &now) < (double)h->o.hold_ms)
      return true;
  return false;
}

enum { TAKEN = 1, END = 0, ALONE = -1, LATER = 2, SUSPENDED = 3, DIRECT = 4 };

/* Detaches r from its tape (hub mutex held, and released here): r walks alone. */
static int go_alone_locked(ksmc_tape_reader *r) {
  ksmc_tape_reader *wake;
  tape *dead = leave_locked(r, &wake);
  pthread_mutex_unlock(&r->h->mu);
  resume_all(wake);
  tape_free(r->h, dead);
  return ALONE;
}

/* Makes r->cur the next chunk of its tape, rendering it if r is at the front. Returns
 * TAKEN (r->cur set), DIRECT (the chunk is no longer in the ring: r->direct_end set, r
 * reads it with its own walk), END of the body, ALONE (r now walks alone: it is alone
 * on a tape no one can join, or ran out of memory), or, while another
 * reader renders the chunk r needs and r has a waiter: SUSPENDED (r's suspend was
 * called) if may_suspend, else LATER. Without a waiter it blocks. */
static int take_chunk(ksmc_tape_reader *r, bool may_suspend) {
  ksmc_tape_hub *h = r->h;
  tape *t = r->t;
  pthread_mutex_lock(&h->mu);
  for (;;) {
    if (t->readers == 1 && !still_joinable(h, t)) /* alone for good: walk alone */
      return go_alone_locked(r);
    if (r->k < t->first) { /* the ring moved on: read chunk k with r's own walk */
      if (!r->behind) atomic_fetch_add(&h->fallbacks, 1);
      r->behind = true;
      r->direct_end = (r->k + 1) * h->o.chunk;
      pthread_mutex_unlock(&h->mu);
      return DIRECT;
    }
    if (r->k < t->count) {
      chunk *c = t->ring[r->k % t->cap];
      atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
      /* the front may be held for r (hold_ring) */
      ksmc_tape_reader *wake = r->k++ == t->first ? unsuspend_locked(h, t) : NULL;
      clock_gettime(CLOCK_MONOTONIC, &r->progress_at);
      pthread_mutex_unlock(&h->mu);
      resume_all(wake);
      ksmc_expo_seek(r->q, c->end);
      r->cur = c;
      r->rendered = false;
      return TAKEN;
    }
    if (t->ended) {
      pthread_mutex_unlock(&h->mu);
      return END;
    }
    bool hold = false;
    if (!t->producing && !(hold = r->w.suspend && !h->no_suspend && hold_ring(h, t, r))) break;
    if (r->w.suspend && !h->no_suspend) {
      if (!may_suspend) {
        pthread_mutex_unlock(&h->mu);
        return LATER;
      }
      r->w.suspend(r->w.arg); /* before anyone can resume it: they need the mutex */
      r->is_suspended = true;
      r->next_suspended = h->suspended;
      h->suspended = r;
      atomic_fetch_add_explicit(hold ? &h->holds : &h->suspensions, 1, memory_order_relaxed);
      pthread_mutex_unlock(&h->mu);
      return SUSPENDED;
    }
    pthread_cond_wait(&t->cv, &h->mu);
  }
  t->producing = true;
  pthread_mutex_unlock(&h->mu);
  if (!produce(r, t)) return ALONE;
  return r->cur ? TAKEN : END;
}

/* Reads chunk k - 1... below the ring with r's own walk into buf, up to the chunk's end
 * (r->direct_end); there r counts the chunk as taken. Returns the count, 0 at the end of
 * the body. No copy through a chunk, so a scrape below the ring holds no chunk memory. */
static ssize_t read_direct(ksmc_tape_reader *r, char *buf, size_t max) {
  size_t done = ksmc_expo_req_bytes(r->q);
  size_t want = r->direct_end - done < max ? r->direct_end - done : max;
  ssize_t m = ksmc_expo_read(r->q, buf, want);
  if (m < 0) return -1;
  if (m == 0) r->at_end = true;
  if (m == 0 || done + (size_t)m == r->direct_end) {
    r->direct_end = 0;
    ksmc_tape_hub *h = r->h;
    pthread_mutex_lock(&h->mu);
    r->k++;
    clock_gettime(CLOCK_MONOTONIC, &r->progress_at);
    ksmc_tape_reader *wake = unsuspend_locked(h, r->t); /* a front may hold for r */
    pthread_mutex_unlock(&h->mu);
    resume_all(wake);
  }
  return m;
}

ssize_t ksmc_tape_read(ksmc_tape_reader *r, char *buf, size_t max) {
  size_t n = 0;
  while (n < max && !r->at_end) {
    if (r->direct_end) {
      ssize_t m = read_direct(r, buf + n, max - n);
      if (m < 0) return -1;
      n += (size_t)m;
      continue;
    }
    if (!r->cur) {
      if (!r->t) {
        ssize_t m = ksmc_expo_read(r->q, buf + n, max - n);
        if (m < 0) return -1;
        n += (size_t)m;
        break;
      }
      int rc = take_chunk(r, n == 0);
      if (rc == END || rc == LATER) break;
      if (rc == SUSPENDED) return KSMC_TAPE_SUSPENDED;
      continue;
    }
    size_t k = r->cur->n - r->off < max - n ? r->cur->n - r->off : max - n;
    memcpy(buf + n, r->cur->data + r->off, k);
    if (!r->rendered) atomic_fetch_add_explicit(&r->h->replayed, k, memory_order_relaxed);
    r->off += k;
    n += k;
    if (r->off == r->cur->n) {
      chunk_unref(r->h, r->cur);
      r->cur = NULL;
      r->off = 0;
    }
  }
  r->bytes += n;
  return (ssize_t)n;
}

size_t ksmc_tape_reader_bytes(const ksmc_tape_reader *r) { return r->bytes; }

void ksmc_tape_close(ksmc_tape_reader *r) {
  if (!r) return;
  tape *dead = NULL;
  pthread_mutex_lock(&r->h->mu);
  for (ksmc_tape_reader **pp = &r->h->suspended; r->is_suspended && *pp;
       pp = &(*pp)->next_suspended)
    if (*pp == r) { /* closed while suspended: not by libmicrohttpd, which resumes first */
      *pp = r->next_suspended;
      r->is_suspended = false;
      break;
    }
  ksmc_tape_reader *wake = NULL;
  if (r->t) dead = leave_locked(r, &wake);
  pthread_mutex_unlock(&r->h->mu);
  resume_all(wake);
  chunk_unref(r->h, r->cur);
  tape_free(r->h, dead);
  ksmc_expo_end(r->q);
  free(r);
}
