/* The /metrics body writer; see ksmc_expo.h. The body is a sequence of slices (headers
 * and record family ranges) produced by a resumable cursor (next_slice); ksmc_expo_read
 * copies slices into the caller's buffer, ksmc_expo_write_fd hands them to writev, and
 * gzip compresses KSMC_EXPO_GZIP_BLOCK-sized blocks into independent gzip members. */
#include "ksmc_expo.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

typedef struct {
  ksmc_expo_resource r; /* family_enabled points into `enabled` */
  bool *enabled;
  uint32_t *name_id; /* per family: equal names share an id */
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
} req_res;

typedef enum { ST_HEADER, ST_BODY } cursor_state;

struct ksmc_expo_req {
  const ksmc_expo *e;
  ksmc_expo_opts o;
  req_res *res;
  size_t nres;
  bool *printed; /* per name id */
  /* cursor */
  size_t ri, fi, si, oi;
  cursor_state st;
  bool eof_done;
  ksmc_slice cur; /* unread rest of the current slice */
  size_t produced;
  /* gzip: one zlib stream (a single gzip member) fed from `plain` */
  z_stream z;
  bool z_init, z_finish, z_end;
  char *plain;
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
  if (!dst->enabled || !dst->name_id || !stores) {
    free(stores);
    return false;
  }
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

void ksmc_expo_free(ksmc_expo *e) {
  if (!e) return;
  for (size_t i = 0; i < e->n; i++) {
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

static bool gzip_init(ksmc_expo_req *q) {
  int level = q->o.gzip_level ? q->o.gzip_level : KSMC_EXPO_GZIP_LEVEL;
  q->plain = malloc(KSMC_EXPO_GZIP_BLOCK);
  if (!q->plain) return false;
  /* windowBits 16 + 15: gzip wrapper; memLevel 8 (zlib's default). */
  q->z_init = deflateInit2(&q->z, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  return q->z_init;
}

ksmc_expo_req *ksmc_expo_begin(const ksmc_expo *e, const ksmc_expo_opts *o) {
  ksmc_expo_req *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->e = e;
  q->o = *o;
  q->res = calloc(e->n ? e->n : 1, sizeof *q->res);
  q->printed = calloc(e->nnames ? e->nnames : 1, sizeof *q->printed);
  bool ok = q->res && q->printed && (!o->gzip || gzip_init(q));
  for (size_t i = 0; ok && i < e->n; i++) {
    if (!selected(o, e->res[i].r.kind->resource)) continue;
    ok = snapshot_res(&q->res[q->nres++], &e->res[i]);
  }
  if (!ok) {
    ksmc_expo_end(q);
    return NULL;
  }
  return q;
}

void ksmc_expo_end(ksmc_expo_req *q) {
  if (!q) return;
  for (size_t i = 0; q->res && i < q->nres; i++) {
    for (size_t s = 0; q->res[i].snaps && s < q->res[i].er->r.nstores; s++)
      ksmc_store_snap_release(q->res[i].snaps[s]);
    free(q->res[i].snaps);
  }
  free(q->res);
  free(q->printed);
  if (q->z_init) deflateEnd(&q->z);
  free(q->plain);
  free(q);
}

size_t ksmc_expo_req_bytes(const ksmc_expo_req *q) { return q->produced; }

/* ---- the cursor ---- */

static ksmc_slice header_of(const ksmc_expo_req *q, const ksmc_family_desc *f) {
  return q->o.format == KSMC_EXPO_OPENMETRICS ? f->header_openmetrics : f->header_text;
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
    size_t n = ksmc_store_snap_count(snap);
    while (q->oi < n) {
      *out = ksmc_record_family(recs[q->oi++], q->fi);
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

/* Compresses into buf: input is pulled from the cursor KSMC_EXPO_GZIP_BLOCK bytes at a
 * time; output goes straight into the caller's buffer. */
static ssize_t read_gzip(ksmc_expo_req *q, char *buf, size_t max) {
  q->z.next_out = (Bytef *)buf;
  q->z.avail_out = (uInt)(max > UINT_MAX ? UINT_MAX : max);
  while (q->z.avail_out > 0 && !q->z_end) {
    if (q->z.avail_in == 0 && !q->z_finish) {
      size_t n = read_plain(q, q->plain, KSMC_EXPO_GZIP_BLOCK);
      q->z.next_in = (Bytef *)q->plain;
      q->z.avail_in = (uInt)n;
      q->z_finish = n < KSMC_EXPO_GZIP_BLOCK; /* read_plain stops short only at the end */
    }
    int rc = deflate(&q->z, q->z_finish ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_END)
      q->z_end = true;
    else if (rc != Z_OK && rc != Z_BUF_ERROR)
      return -1;
  }
  return (ssize_t)(max - q->z.avail_out);
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
