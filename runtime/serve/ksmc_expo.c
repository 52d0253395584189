/* The /metrics body writer; see ksmc_expo.h. The body is a sequence of slices (headers
 * and record family ranges) produced by a resumable cursor (next_slice); ksmc_expo_read
 * copies slices into the caller's buffer, ksmc_expo_write_fd hands them to writev.
 *
 * gzip: the response is ONE gzip member whose deflate stream is a concatenation of
 * independent, byte-aligned, non-final pieces: family headers as stored blocks, and per
 * (store, family, segment of KSMC_EXPO_GZIP_SEGMENT objects) a ksmc_deflate piece (raw
 * deflate from a reset compressor, so it references nothing before it, ended with a sync
 * flush), then an empty final block and the trailer (the pieces' CRCs combined).
 * Segment blocks are cached per store and reused while the segment's objects have the
 * same family versions (ksmc_store.h), so an unchanged cluster is compressed once. */
#include "ksmc_expo.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ksmc_deflate.h"

/* A compressed segment block: family f of objects [k*SEG, k*SEG+count) of a store. */
typedef struct {
  atomic_uint refs; /* the cache's reference + one per response using it */
  int level;
  uint64_t key;   /* hash of the objects' family versions, in position order */
  uint32_t count; /* objects */
  uint32_t plain; /* uncompressed bytes */
  uint32_t crc;   /* crc32 of the uncompressed bytes */
  size_t zn;      /* raw deflate bytes: non-final, byte-aligned, self-contained */
  unsigned char z[];
} gz_blk;

/* The compressed blocks of one store: blk[k * nfamilies + f], NULL when not cached. */
typedef struct {
  pthread_mutex_t mu;
  size_t nseg;
  gz_blk **blk;
} gz_cache;

typedef struct {
  ksmc_expo_resource r; /* family_enabled points into `enabled` */
  bool *enabled;
  uint32_t *name_id; /* per family: equal names share an id */
  gz_cache *gz;      /* per store */
} expo_res;

struct ksmc_expo {
  expo_res *res;
  size_t n;
  size_t nnames;
};

/* One selected resource of a response. */
typedef struct {
  const expo_res *er;
  ksmc_store_snap **snaps;
  size_t total;
  uint64_t **keys; /* gzip: per store, nseg * nfamilies block keys of the snapshot */
} req_res;

typedef enum { ST_HEADER, ST_BODY } cursor_state;

struct ksmc_expo_req {
  const ksmc_expo *e;
  ksmc_expo_opts o;
  req_res *res; /* shared with the response's forks (ksmc_expo_fork) */
  size_t nres;
  atomic_uint *res_refs; /* holders of res: the response and its forks */
  bool *printed;         /* per name id */
  /* cursor */
  size_t ri, fi, si, oi;
  cursor_state st;
  bool eof_done;
  ksmc_slice cur; /* unread rest of the current slice */
  size_t produced;
  /* gzip: the current output piece (unit), the running CRC of the uncompressed body */
  int level;
  bool gz_head, gz_tail;
  const unsigned char *up;
  size_t un;
  gz_blk *uref;  /* block the unit points into, or NULL (own buffer `ubuf`) */
  ksmc_buf ubuf; /* stored blocks, gzip header and trailer */
  uint32_t crc;
  ksmc_buf plain;   /* a segment's uncompressed bytes */
  ksmc_deflate *dz; /* created by the first block this response compresses */
};

/* ---- setup ---- */

static int cmp_res(const void *a, const void *b) {
  return strcmp(((const expo_res *)a)->r.kind->resource, ((const expo_res *)b)->r.kind->resource);
}

typedef struct {
  const char *name;
  uint32_t *slot;
} name_ref;

static int cmp_name(const void *a, const void *b) {
  return strcmp(((const name_ref *)a)->name, ((const name_ref *)b)->name);
}

/* Gives every family an id shared by families of the same metric name. */
static bool assign_name_ids(ksmc_expo *e) {
  size_t total = 0;
  for (size_t i = 0; i < e->n; i++) total += e->res[i].r.kind->nfamilies;
  name_ref *refs = malloc((total ? total : 1) * sizeof *refs);
  if (!refs) return false;
  size_t k = 0;
  for (size_t i = 0; i < e->n; i++)
    for (size_t f = 0; f < e->res[i].r.kind->nfamilies; f++)
      refs[k++] = (name_ref){e->res[i].r.kind->families[f].name, &e->res[i].name_id[f]};
  qsort(refs, total, sizeof *refs, cmp_name);
  uint32_t id = 0;
  for (size_t j = 0; j < total; j++) {
    if (j && strcmp(refs[j].name, refs[j - 1].name) != 0) id++;
    *refs[j].slot = id;
  }
  e->nnames = total ? id + 1 : 0;
  free(refs);
  return true;
}

static bool copy_res(expo_res *dst, const ksmc_expo_resource *src) {
  size_t nf = src->kind->nfamilies;
  dst->r = *src;
  dst->enabled = malloc(nf ? nf : 1);
  dst->name_id = malloc((nf ? nf : 1) * sizeof *dst->name_id);
  ksmc_store **stores = malloc((src->nstores ? src->nstores : 1) * sizeof *stores);
  dst->gz = calloc(src->nstores ? src->nstores : 1, sizeof *dst->gz);
  if (!dst->enabled || !dst->name_id || !stores || !dst->gz) {
    free(stores);
    dst->r.nstores = 0; /* no cache mutex was initialised */
    return false;
  }
  for (size_t i = 0; i < src->nstores; i++) pthread_mutex_init(&dst->gz[i].mu, NULL);
  for (size_t f = 0; f < nf; f++)
    dst->enabled[f] = src->family_enabled ? src->family_enabled[f] : !src->kind->families[f].opt_in;
  if (src->nstores) memcpy(stores, src->stores, src->nstores * sizeof *stores);
  dst->r.family_enabled = dst->enabled;
  dst->r.stores = stores;
  return true;
}

ksmc_expo *ksmc_expo_new(const ksmc_expo_resource *res, size_t n) {
  ksmc_expo *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->res = calloc(n ? n : 1, sizeof *e->res);
  if (!e->res) {
    free(e);
    return NULL;
  }
  for (; e->n < n; e->n++)
    if (!copy_res(&e->res[e->n], &res[e->n])) {
      e->n++;
      ksmc_expo_free(e);
      return NULL;
    }
  qsort(e->res, n, sizeof *e->res, cmp_res);
  if (!assign_name_ids(e)) {
    ksmc_expo_free(e);
    return NULL;
  }
  return e;
}

static void blk_unref(gz_blk *b) {
  if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) free(b);
}

void ksmc_expo_free(ksmc_expo *e) {
  if (!e) return;
  for (size_t i = 0; i < e->n; i++) {
    size_t nf = e->res[i].r.kind->nfamilies;
    for (size_t s = 0; e->res[i].gz && s < e->res[i].r.nstores; s++) {
      gz_cache *c = &e->res[i].gz[s];
      for (size_t k = 0; k < c->nseg * nf; k++) blk_unref(c->blk[k]);
      free(c->blk);
      pthread_mutex_destroy(&c->mu);
    }
    free(e->res[i].gz);
    free(e->res[i].enabled);
    free(e->res[i].name_id);
    free((void *)e->res[i].r.stores);
  }
  free(e->res);
  free(e);
}

size_t ksmc_expo_nresources(const ksmc_expo *e) { return e->n; }

const ksmc_expo_resource *ksmc_expo_resource_at(const ksmc_expo *e, size_t i) {
  return &e->res[i].r;
}

/* ---- resource filters ---- */

/* True if `name` is an item of one of the comma lists (items trimmed of whitespace). */
static bool in_lists(const char *name, const char *const *lists, size_t n) {
  size_t len = strlen(name);
  for (size_t i = 0; i < n; i++)
    for (const char *p = lists[i]; p;) {
      const char *comma = strchr(p, ',');
      size_t m = comma ? (size_t)(comma - p) : strlen(p);
      const char *s = p;
      while (m && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++, m--;
      while (m && (s[m - 1] == ' ' || s[m - 1] == '\t' || s[m - 1] == '\n' || s[m - 1] == '\r'))
        m--;
      if (m == len && memcmp(s, name, m) == 0) return true;
      p = comma ? comma + 1 : NULL;
    }
  return false;
}

/* True if some list has a non-empty item (KSM: an empty set means no filter). */
static bool any_item(const char *const *lists, size_t n) {
  for (size_t i = 0; i < n; i++)
    for (const char *p = lists[i]; *p; p++)
      if (*p != ',' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return true;
  return false;
}

static bool selected(const ksmc_expo_opts *o, const char *resource) {
  if (any_item(o->resources, o->nresources) && !in_lists(resource, o->resources, o->nresources))
    return false;
  return !in_lists(resource, o->exclude, o->nexclude);
}

/* ---- request ---- */

static bool snapshot_res(req_res *rr, const expo_res *er) {
  rr->er = er;
  rr->snaps = calloc(er->r.nstores ? er->r.nstores : 1, sizeof *rr->snaps);
  if (!rr->snaps) return false;
  for (size_t s = 0; s < er->r.nstores; s++) {
    rr->snaps[s] = ksmc_store_snapshot(er->r.stores[s]);
    if (!rr->snaps[s]) return false;
    rr->total += ksmc_store_snap_count(rr->snaps[s]);
  }
  return true;
}

static uint64_t mix64(uint64_t x) { /* splitmix64's finaliser: a bijection */
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* The block keys of every (segment, enabled family) of a snapshot: a hash chained over
 * the objects' family versions in position order (record-major, one pass). */
static uint64_t *block_keys(const expo_res *er, const ksmc_store_snap *snap) {
  size_t nf = er->r.kind->nfamilies, n = ksmc_store_snap_count(snap);
  size_t nseg = (n + KSMC_EXPO_GZIP_SEGMENT - 1) / KSMC_EXPO_GZIP_SEGMENT;
  uint64_t *keys = calloc(nseg * nf + 1, sizeof *keys);
  if (!keys) return NULL;
  const ksmc_record *const *recs = ksmc_store_snap_records(snap);
  for (size_t p = 0; p < n; p++) {
    uint64_t *row = keys + p / KSMC_EXPO_GZIP_SEGMENT * nf;
    for (size_t f = 0; f < nf; f++)
      if (er->enabled[f]) row[f] = mix64(row[f] ^ ksmc_record_family_version(recs[p], f));
  }
  return keys;
}

/* Drops cached blocks of segments beyond the snapshot's (the store shrank). */
static void gz_trim(gz_cache *c, size_t nseg, size_t nf) {
  pthread_mutex_lock(&c->mu);
  for (size_t k = nseg * nf; k < c->nseg * nf; k++) {
    blk_unref(c->blk[k]);
    c->blk[k] = NULL;
  }
  if (c->nseg > nseg) c->nseg = nseg;
  pthread_mutex_unlock(&c->mu);
}

static bool gzip_prepare(req_res *rr) {
  size_t ns = rr->er->r.nstores, nf = rr->er->r.kind->nfamilies;
  rr->keys = calloc(ns ? ns : 1, sizeof *rr->keys);
  if (!rr->keys) return false;
  for (size_t s = 0; s < ns; s++) {
    if (!(rr->keys[s] = block_keys(rr->er, rr->snaps[s]))) return false;
    size_t n = ksmc_store_snap_count(rr->snaps[s]);
    gz_trim(&rr->er->gz[s], (n + KSMC_EXPO_GZIP_SEGMENT - 1) / KSMC_EXPO_GZIP_SEGMENT, nf);
  }
  return true;
}

ksmc_expo_req *ksmc_expo_begin(const ksmc_expo *e, const ksmc_expo_opts *o) {
  ksmc_expo_req *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->e = e;
  q->o = *o;
  q->res = calloc(e->n ? e->n : 1, sizeof *q->res);
  q->printed = calloc(e->nnames ? e->nnames : 1, sizeof *q->printed);
  q->res_refs = malloc(sizeof *q->res_refs);
  if (q->res_refs) atomic_init(q->res_refs, 1);
  q->level = o->gzip_level ? o->gzip_level : KSMC_EXPO_GZIP_LEVEL;
  bool ok = q->res && q->printed && q->res_refs;
  for (size_t i = 0; ok && i < e->n; i++) {
    if (!selected(o, e->res[i].r.kind->resource)) continue;
    ok = snapshot_res(&q->res[q->nres++], &e->res[i]);
    if (ok && o->gzip) ok = gzip_prepare(&q->res[q->nres - 1]);
  }
  if (!ok) {
    ksmc_expo_end(q);
    return NULL;
  }
  return q;
}

/* Releases the snapshots of a response (its res array). */
static void release_res(req_res *res, size_t nres) {
  for (size_t i = 0; res && i < nres; i++) {
    for (size_t s = 0; res[i].snaps && s < res[i].er->r.nstores; s++)
      ksmc_store_snap_release(res[i].snaps[s]);
    for (size_t s = 0; res[i].keys && s < res[i].er->r.nstores; s++) free(res[i].keys[s]);
    free(res[i].keys);
    free(res[i].snaps);
  }
  free(res);
}

void ksmc_expo_end(ksmc_expo_req *q) {
  if (!q) return;
  if (!q->res_refs || atomic_fetch_sub_explicit(q->res_refs, 1, memory_order_acq_rel) == 1) {
    release_res(q->res, q->nres);
    free(q->res_refs);
  }
  free(q->printed);
  blk_unref(q->uref);
  ksmc_buf_free(&q->ubuf);
  ksmc_buf_free(&q->plain);
  ksmc_deflate_free(q->dz);
  free(q);
}

/* Copies the plain cursor (position, headers printed, bytes produced) of src to dst. */
static void copy_cursor(ksmc_expo_req *dst, const ksmc_expo_req *src) {
  dst->ri = src->ri;
  dst->fi = src->fi;
  dst->si = src->si;
  dst->oi = src->oi;
  dst->st = src->st;
  dst->eof_done = src->eof_done;
  dst->cur = src->cur;
  dst->produced = src->produced;
  if (src->e->nnames) memcpy(dst->printed, src->printed, src->e->nnames * sizeof *dst->printed);
}

ksmc_expo_req *ksmc_expo_fork(const ksmc_expo_req *q) {
  if (q->o.gzip) return NULL;
  ksmc_expo_req *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->printed = calloc(q->e->nnames ? q->e->nnames : 1, sizeof *f->printed);
  if (!f->printed) {
    free(f);
    return NULL;
  }
  f->e = q->e;
  f->o = q->o;
  f->res = q->res;
  f->nres = q->nres;
  f->res_refs = q->res_refs;
  f->level = q->level;
  atomic_fetch_add_explicit(f->res_refs, 1, memory_order_relaxed);
  copy_cursor(f, q);
  return f;
}

bool ksmc_expo_seek(ksmc_expo_req *q, const ksmc_expo_req *at) {
  if (q->res_refs != at->res_refs || q->o.gzip) return false;
  copy_cursor(q, at);
  return true;
}

size_t ksmc_expo_req_bytes(const ksmc_expo_req *q) { return q->produced; }

/* ---- the cursor ---- */

static ksmc_slice header_of(const ksmc_expo_req *q, const ksmc_family_desc *f) {
  return q->o.format == KSMC_EXPO_OPENMETRICS ? f->header_openmetrics : f->header_text;
}

/* How far ahead (in records) family_step prefetches a record that has the family: its
 * header at 3 steps, its family end offsets at 2 (their place depends on the header's
 * uid_len), the family's first bytes at 1 (their place depends on the offsets). In a
 * family-major walk each is a likely cache and TLB miss once the store outgrows the
 * cache; the stages keep several in flight instead of waiting for each in turn. */
#define PREFETCH_STEP 8

/* Prefetches for the records PREFETCH_STEP, 2x and 3x after k that have family fi.
 * always_inline: GCC 12 (-O1 and up) deletes calls of a static void function whose only
 * effects are prefetches, as if it were pure. */
static inline __attribute__((always_inline)) void prefetch_ahead(const ksmc_record *const *recs,
                                                                 const uint64_t *fams, size_t n,
                                                                 size_t k, size_t fi) {
  size_t a = k + 3 * PREFETCH_STEP, b = k + 2 * PREFETCH_STEP, c = k + PREFETCH_STEP;
  if (a < n && ksmc_family_present(fams[a], fi)) __builtin_prefetch(recs[a]);
  if (b < n && ksmc_family_present(fams[b], fi)) __builtin_prefetch(ksmc_record_ends(recs[b]) + fi);
  if (c < n && ksmc_family_present(fams[c], fi)) {
    ksmc_slice s = ksmc_record_family(recs[c], fi);
    __builtin_prefetch(s.p);
    if (s.n > 64) __builtin_prefetch(s.p + 64);
  }
}

/* Advances within the current family of resource rr; true with *out set when a slice
 * is ready. */
static bool family_step(ksmc_expo_req *q, const req_res *rr, ksmc_slice *out, bool *done) {
  *done = false;
  if (q->st == ST_HEADER) {
    q->st = ST_BODY;
    q->si = q->oi = 0;
    uint32_t id = rr->er->name_id[q->fi];
    if (q->printed[id]) return false;
    q->printed[id] = true;
    *out = header_of(q, &rr->er->r.kind->families[q->fi]);
    return out->n > 0;
  }
  for (; q->si < rr->er->r.nstores; q->si++, q->oi = 0) {
    const ksmc_store_snap *snap = rr->snaps[q->si];
    const ksmc_record *const *recs = ksmc_store_snap_records(snap);
    const uint64_t *fams = ksmc_store_snap_families(snap);
    size_t n = ksmc_store_snap_count(snap);
    while (q->oi < n) {
      size_t k = q->oi++;
      prefetch_ahead(recs, fams, n, k, q->fi);
      if (!ksmc_family_present(fams[k], q->fi)) continue; /* not touching the record */
      *out = ksmc_record_family(recs[k], q->fi);
      if (out->n) return true;
    }
  }
  *done = true;
  return false;
}

/* The next non-empty slice of the body; false at the end. */
static bool next_slice(ksmc_expo_req *q, ksmc_slice *out) {
  while (q->ri < q->nres) {
    const req_res *rr = &q->res[q->ri];
    if (rr->total == 0 || q->fi >= rr->er->r.kind->nfamilies) {
      q->ri++;
      q->fi = 0;
      q->st = ST_HEADER;
      continue;
    }
    if (!rr->er->enabled[q->fi]) {
      q->fi++;
      continue;
    }
    bool done;
    if (family_step(q, rr, out, &done)) return true;
    if (done) {
      q->fi++;
      q->st = ST_HEADER;
    }
  }
  if (q->o.format == KSMC_EXPO_OPENMETRICS && !q->eof_done) {
    q->eof_done = true;
    *out = KSMC_LIT("# EOF\n");
    return true;
  }
  return false;
}

/* Copies plain body bytes; returns the count (0 at the end). */
static size_t read_plain(ksmc_expo_req *q, char *buf, size_t max) {
  size_t n = 0;
  while (n < max) {
    if (q->cur.n == 0 && !next_slice(q, &q->cur)) break;
    size_t k = q->cur.n < max - n ? q->cur.n : max - n;
    memcpy(buf + n, q->cur.p, k);
    q->cur.p += k;
    q->cur.n -= k;
    n += k;
  }
  q->produced += n;
  return n;
}

/* ---- gzip ---- */

/* Makes ubuf's bytes the current unit. */
static void unit_own(ksmc_expo_req *q) {
  blk_unref(q->uref);
  q->uref = NULL;
  q->up = (const unsigned char *)q->ubuf.p;
  q->un = q->ubuf.n;
}

/* Plain bytes as deflate stored blocks (non-final, each at most 65535 bytes). */
static bool unit_stored(ksmc_expo_req *q, ksmc_slice t) {
  ksmc_buf_reset(&q->ubuf);
  for (size_t off = 0; off < t.n;) {
    size_t k = t.n - off < 65535 ? t.n - off : 65535;
    unsigned char h[5] = {0, (unsigned char)k, (unsigned char)(k >> 8), (unsigned char)~k,
                          (unsigned char)(~k >> 8)};
    ksmc_buf_put(&q->ubuf, h, 5);
    ksmc_buf_put(&q->ubuf, t.p + off, k);
    off += k;
  }
  if (ksmc_buf_failed(&q->ubuf)) return false;
  q->crc = ksmc_deflate_crc32(q->crc, t.p, t.n);
  q->produced += t.n;
  unit_own(q);
  return true;
}

static void put_le32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Compresses family fi of the segment's objects into a new block (refs = 1). */
static gz_blk *compress_block(ksmc_expo_req *q, const ksmc_record *const *recs, size_t count,
                              size_t fi, uint64_t key) {
  ksmc_buf_reset(&q->plain);
  for (size_t p = 0; p < count; p++) {
    ksmc_slice sl = ksmc_record_family(recs[p], fi);
    ksmc_buf_put(&q->plain, sl.p, sl.n);
  }
  if (ksmc_buf_failed(&q->plain) || q->plain.n > UINT32_MAX) return NULL;
  if (!q->dz && !(q->dz = ksmc_deflate_new(q->level))) return NULL;
  const unsigned char *z;
  size_t zn;
  if (!ksmc_deflate_piece(q->dz, q->plain.p, q->plain.n, &z, &zn)) return NULL;
  gz_blk *b = malloc(sizeof *b + zn);
  if (!b) return NULL;
  atomic_init(&b->refs, 1);
  b->level = q->level;
  b->key = key;
  b->count = (uint32_t)count;
  b->plain = (uint32_t)q->plain.n;
  b->crc = ksmc_deflate_crc32(0, q->plain.p, q->plain.n);
  b->zn = zn;
  if (zn) memcpy(b->z, z, zn);
  return b;
}

/* The block of (store si, segment k, family fi): from the cache when its key matches,
 * else compressed and cached. Returns a referenced block, NULL on allocation failure. */
static gz_blk *segment_block(ksmc_expo_req *q, const req_res *rr, size_t si, size_t k) {
  size_t nf = rr->er->r.kind->nfamilies, fi = q->fi;
  const ksmc_store_snap *snap = rr->snaps[si];
  size_t n = ksmc_store_snap_count(snap), first = k * KSMC_EXPO_GZIP_SEGMENT;
  size_t count = n - first < KSMC_EXPO_GZIP_SEGMENT ? n - first : KSMC_EXPO_GZIP_SEGMENT;
  uint64_t key = rr->keys[si][k * nf + fi];
  gz_cache *c = &rr->er->gz[si];
  gz_blk *b = NULL;
  pthread_mutex_lock(&c->mu);
  if (k < c->nseg && (b = c->blk[k * nf + fi]) && b->key == key && b->count == count &&
      b->level == q->level)
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
  else
    b = NULL;
  pthread_mutex_unlock(&c->mu);
  if (b) return b;
  b = compress_block(q, ksmc_store_snap_records(snap) + first, count, fi, key);
  if (!b) return NULL;
  gz_blk *old = NULL;
  pthread_mutex_lock(&c->mu);
  if (k >= c->nseg) {
    size_t nseg = k + 1;
    gz_blk **grown = realloc(c->blk, nseg * nf * sizeof *grown);
    if (grown) {
      memset(grown + c->nseg * nf, 0, (nseg - c->nseg) * nf * sizeof *grown);
      c->blk = grown;
      c->nseg = nseg;
    }
  }
  if (k < c->nseg) { /* else not cached (allocation failure): still served */
    old = c->blk[k * nf + fi];
    c->blk[k * nf + fi] = b;
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&c->mu);
  blk_unref(old);
  return b;
}

/* Produces the next output unit; 1: q->up/q->un set (un > 0), 0: end, -1: no memory. */
static int gz_next_unit(ksmc_expo_req *q) {
  if (!q->gz_head) {
    static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    q->gz_head = true;
    blk_unref(q->uref);
    q->uref = NULL;
    q->up = head;
    q->un = sizeof head;
    return 1;
  }
  while (q->ri < q->nres) {
    const req_res *rr = &q->res[q->ri];
    if (rr->total == 0 || q->fi >= rr->er->r.kind->nfamilies) {
      q->ri++;
      q->fi = 0;
      q->st = ST_HEADER;
      continue;
    }
    if (!rr->er->enabled[q->fi]) {
      q->fi++;
      continue;
    }
    if (q->st == ST_HEADER) {
      q->st = ST_BODY;
      q->si = q->oi = 0;
      uint32_t id = rr->er->name_id[q->fi];
      if (q->printed[id]) continue;
      q->printed[id] = true;
      ksmc_slice h = header_of(q, &rr->er->r.kind->families[q->fi]);
      if (h.n == 0) continue;
      return unit_stored(q, h) ? 1 : -1;
    }
    for (; q->si < rr->er->r.nstores; q->si++, q->oi = 0) {
      size_t n = ksmc_store_snap_count(rr->snaps[q->si]);
      size_t nseg = (n + KSMC_EXPO_GZIP_SEGMENT - 1) / KSMC_EXPO_GZIP_SEGMENT;
      while (q->oi < nseg) {
        gz_blk *b = segment_block(q, rr, q->si, q->oi++);
        if (!b) return -1;
        if (b->zn == 0) {
          blk_unref(b);
          continue;
        }
        q->crc = ksmc_deflate_crc32_combine(q->crc, b->crc, b->plain);
        q->produced += b->plain;
        blk_unref(q->uref);
        q->uref = b;
        q->up = b->z;
        q->un = b->zn;
        return 1;
      }
    }
    q->fi++;
    q->st = ST_HEADER;
  }
  if (q->o.format == KSMC_EXPO_OPENMETRICS && !q->eof_done) {
    q->eof_done = true;
    return unit_stored(q, KSMC_LIT("# EOF\n")) ? 1 : -1;
  }
  if (!q->gz_tail) {
    /* an empty final block with fixed codes (BFINAL 1, BTYPE 01, end of block), then the
     * gzip trailer: CRC-32 and length mod 2^32 of the uncompressed body */
    unsigned char tail[10] = {0x03, 0x00};
    put_le32(tail + 2, q->crc);
    put_le32(tail + 6, (uint32_t)q->produced);
    q->gz_tail = true;
    ksmc_buf_reset(&q->ubuf);
    ksmc_buf_put(&q->ubuf, tail, sizeof tail);
    if (ksmc_buf_failed(&q->ubuf)) return -1;
    unit_own(q);
    return 1;
  }
  return 0;
}

static ssize_t read_gzip(ksmc_expo_req *q, char *buf, size_t max) {
  size_t n = 0;
  while (n < max) {
    if (q->un == 0) {
      int rc = gz_next_unit(q);
      if (rc < 0) return -1;
      if (rc == 0) break;
      continue;
    }
    size_t k = q->un < max - n ? q->un : max - n;
    memcpy(buf + n, q->up, k);
    q->up += k;
    q->un -= k;
    n += k;
  }
  return (ssize_t)n;
}

ssize_t ksmc_expo_read(ksmc_expo_req *q, char *buf, size_t max) {
  if (!q->o.gzip) return (ssize_t)read_plain(q, buf, max);
  return read_gzip(q, buf, max);
}

/* ---- writev ---- */

#define IOV_BATCH 512

/* Writes all of iov[0..n), retrying partial writes and EINTR. */
static int writev_all(int fd, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++, n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
  return 0;
}

static int write_fd_gzip(ksmc_expo_req *q, int fd) {
  char *buf = malloc(1 << 16);
  if (!buf) return -1;
  ssize_t n;
  int rc = 0;
  while (rc == 0 && (n = ksmc_expo_read(q, buf, 1 << 16)) > 0) {
    struct iovec iov = {buf, (size_t)n};
    rc = writev_all(fd, &iov, 1);
  }
  free(buf);
  return n < 0 ? -1 : rc;
}

int ksmc_expo_write_fd(ksmc_expo_req *q, int fd) {
  if (q->o.gzip) return write_fd_gzip(q, fd);
  struct iovec iov[IOV_BATCH];
  for (;;) {
    int n = 0;
    if (q->cur.n) {
      iov[n++] = (struct iovec){(void *)q->cur.p, q->cur.n};
      q->produced += q->cur.n;
      q->cur.n = 0;
    }
    ksmc_slice s;
    while (n < IOV_BATCH && next_slice(q, &s)) {
      iov[n++] = (struct iovec){(void *)s.p, s.n};
      q->produced += s.n;
    }
    if (n == 0) return 0;
    if (writev_all(fd, iov, n) < 0) return -1;
  }
}

bool ksmc_expo_write_buf(const ksmc_expo *e, const ksmc_expo_opts *o, ksmc_buf *out) {
  ksmc_expo_req *q = ksmc_expo_begin(e, o);
  if (!q) return false;
  ssize_t n = -1;
  do {
    if (!ksmc_buf_reserve(out, 1 << 16)) break;
    n = ksmc_expo_read(q, out->p + out->n, out->cap - out->n);
    if (n > 0) out->n += (size_t)n;
  } while (n > 0);
  ksmc_expo_end(q);
  return !ksmc_buf_failed(out) && n == 0;
}
