/* ksmc_store: see ksmc_store.h.
 *
 * Why this design (and not per-record atomic refcounts or an rwlock held while
 * writing): a scrape of a big cluster touches every record F times (family-major
 * output) and may last seconds when the client is slow. Holding any lock for that long
 * stalls ingest (KSM's #995/#2413). Refcounting every record per scrape costs two atomic
 * operations per object per scrape on shared cache lines. Instead:
 *
 *  - The live set is a dense array of record pointers (`recs`) plus an open-addressing
 *    index (uid hash -> dense position) that only writers use.
 *  - A snapshot copies `recs` (memcpy of n pointers) under `lock`, registers itself in
 *    the list of active snapshots with a generation number, and drops the lock.
 *  - A writer that removes a record from the live set (replace, delete, relist commit)
 *    frees it at once if no snapshot is active; otherwise it stamps it with the current
 *    generation and appends it to the retired list. Releasing a snapshot frees the
 *    retired records that no remaining snapshot can contain (retired before the oldest
 *    remaining snapshot was taken). Retired generations are nondecreasing along the list
 *    because writers are serialised, so this is a prefix cut.
 *
 * `lock` guards: recs/n/bytes of the live set, the active snapshot list, the retired
 * list and the generation counter. `wlock` serialises writers; the index (slots), the
 * pending relist set and records' `maps` counters are touched only under `wlock`. */
#include "ksmc_store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "ksmc_err.h"

#define EMPTY UINT32_MAX
/* Record allocations are rounded up to this, so that an update that grows an object by a
 * few bytes (a counter gaining a digit) still fits in place (update_in_place). */
#define RECORD_ROUND 128
/* Kinds with more families than this always take the copy-on-write path. */
#define IN_PLACE_MAX_FAMILIES 256

typedef struct {
  uint64_t hash;
  uint32_t idx; /* dense position, EMPTY if free */
} slot;

/* A key set: dense records plus index. */
typedef struct {
  slot *slots;
  size_t cap; /* power of two, or 0 */
  ksmc_record **recs;
  size_t n;
  size_t recs_cap;
  size_t bytes;
} rset;

struct ksmc_store_snap {
  ksmc_store *store;
  ksmc_store_snap *prev, *next;
  uint64_t gen;
  size_t n;
  size_t bytes;
  uint64_t *fams; /* [n]: recs[k]->fams, after recs in the same allocation */
  const ksmc_record *recs[];
};

struct ksmc_store {
  const ksmc_kind_desc *kind;
  char *ns;
  pthread_mutex_t lock;
  pthread_mutex_t wlock;
  rset live;
  rset pending;
  bool relisting;
  uint64_t vclock; /* family versions handed out (under wlock) */
  uint64_t gen;
  ksmc_store_snap *snaps_head, *snaps_tail; /* oldest first */
  ksmc_record *retired_head, *retired_tail;
  size_t nsnaps, nretired; /* active snapshots, records on the retired list */
};

/* ---- records ---- */

static uint64_t uid_hash(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
  return h ^ (h >> 29);
}

/* A new record; `pred` is the record of the same uid it succeeds (NULL: none). Families
 * whose bytes equal pred's keep pred's version, the others get vbase, a fresh number. */
static size_t record_size(size_t nfam, size_t len, size_t uid_len) {
  return sizeof(ksmc_record) + (uid_len + 3) / 4 * 4 + 2 * nfam * sizeof(uint32_t) + len;
}

/* The writable end offsets (then version offsets) of r. */
static uint32_t *record_ends(ksmc_record *r) { return (uint32_t *)ksmc_record_ends(r); }

/* Bytes r may hold (at least what it holds now). */
static size_t record_cap(const ksmc_record *r) {
#ifdef __GLIBC__
  return malloc_usable_size((void *)r);
#else
  return record_size(r->nfam, r->len, r->uid_len);
#endif
}

/* Whether family f has the same bytes in a stored record (end offsets oe, bytes ob) as in
 * a new rendering (fam_end, bytes). */
static inline bool family_same(const uint32_t *oe, const char *ob, const uint32_t *fam_end,
                               const char *bytes, size_t f) {
  uint32_t a = f ? fam_end[f - 1] : 0, oa = f ? oe[f - 1] : 0, n = fam_end[f] - a;
  return oe[f] - oa == n && memcmp(ob + oa, bytes + a, n) == 0;
}

/* The presence mask of a rendering (ksmc_family_present). */
static uint64_t families_mask(const uint32_t *fam_end, size_t nfam) {
  uint64_t m = 0;
  for (size_t f = 0; f < nfam; f++)
    if (fam_end[f] != (f ? fam_end[f - 1] : 0)) m |= (uint64_t)1 << ksmc_family_bit(f);
  return m;
}

static ksmc_record *record_new(ksmc_store *s, const ksmc_record *pred, const char *uid,
                               size_t uid_len, const char *bytes, size_t len,
                               const uint32_t *fam_end) {
  size_t nfam = s->kind->nfamilies;
  size_t size = record_size(nfam, len, uid_len);
  ksmc_record *r = malloc((size + RECORD_ROUND - 1) / RECORD_ROUND * RECORD_ROUND);
  if (!r) return NULL;
  r->next = NULL;
  r->retire_gen = 0;
  r->birth_gen = 0;
  r->hash = uid_hash(uid, uid_len);
  r->maps = 0;
  r->len = (uint32_t)len;
  r->uid_len = (uint32_t)uid_len;
  r->nfam = (uint32_t)nfam;
  r->vbase = ++s->vclock;
  r->fams = families_mask(fam_end, nfam);
  if (uid_len) memcpy(r->data, uid, uid_len);
  uint32_t *ends = record_ends(r);
  if (nfam) memcpy(ends, fam_end, nfam * sizeof(uint32_t));
  uint32_t *voff = ends + nfam;
  memset(voff, 0, nfam * sizeof(uint32_t));
  if (pred && pred->nfam == nfam) {
    /* pred's offsets and bytes once (the accessors find them past the uid each call) */
    const uint32_t *pend = ksmc_record_ends(pred);
    const char *pb = ksmc_record_bytes(pred);
    for (size_t f = 0; f < nfam; f++) {
      uint64_t back = r->vbase - (pred->vbase - pend[nfam + f]);
      if (back <= UINT32_MAX && family_same(pend, pb, fam_end, bytes, f)) voff[f] = (uint32_t)back;
    }
  }
  if (len) memcpy((char *)(ends + 2 * nfam), bytes, len);
  return r;
}

static bool record_same(const ksmc_record *r, const char *bytes, size_t len,
                        const uint32_t *fam_end) {
  return r->len == len && memcmp(ksmc_record_ends(r), fam_end, r->nfam * sizeof(uint32_t)) == 0 &&
         memcmp(ksmc_record_bytes(r), bytes, len) == 0;
}

static bool record_is(const ksmc_record *r, uint64_t h, const char *uid, size_t uid_len) {
  return r->hash == h && r->uid_len == uid_len && memcmp(r->data, uid, uid_len) == 0;
}

static void free_chain(ksmc_record *r) {
  while (r) {
    ksmc_record *next = r->next;
    free(r);
    r = next;
  }
}

/* ---- key sets (writer-private index; recs/n shared under lock) ---- */

/* Slot holding uid, or the empty slot where it would go. cap must be > 0. */
static size_t rset_find(const rset *s, uint64_t h, const char *uid, size_t uid_len) {
  size_t mask = s->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const slot *sl = &s->slots[i];
    /* the slot's hash first: a record is a cache miss away */
    if (sl->idx == EMPTY || (sl->hash == h && record_is(s->recs[sl->idx], h, uid, uid_len)))
      return i;
  }
}

static ksmc_record *rset_get(const rset *s, uint64_t h, const char *uid, size_t uid_len) {
  if (!s->cap) return NULL;
  size_t i = rset_find(s, h, uid, uid_len);
  return s->slots[i].idx == EMPTY ? NULL : s->recs[s->slots[i].idx];
}

static bool rset_rehash(rset *s, size_t cap) {
  slot *slots = malloc(cap * sizeof *slots);
  if (!slots) return false;
  for (size_t i = 0; i < cap; i++) slots[i].idx = EMPTY;
  for (size_t k = 0; k < s->n; k++) {
    size_t i = s->recs[k]->hash & (cap - 1);
    while (slots[i].idx != EMPTY) i = (i + 1) & (cap - 1);
    slots[i] = (slot){s->recs[k]->hash, (uint32_t)k};
  }
  free(s->slots);
  s->slots = slots;
  s->cap = cap;
  return true;
}

/* Makes room for one more record: index load <= 1/2, dense array capacity. The dense
 * array may move, so callers hold `lock` when s is the live set. */
static bool rset_reserve(rset *s) {
  if ((s->n + 1) * 2 > s->cap && !rset_rehash(s, s->cap ? s->cap * 2 : 16)) return false;
  if (s->n < s->recs_cap) return true;
  size_t cap = s->recs_cap ? s->recs_cap * 2 : 16;
  ksmc_record **recs = realloc(s->recs, cap * sizeof *recs);
  if (!recs) return false;
  s->recs = recs;
  s->recs_cap = cap;
  return true;
}

/* Removes slot i (backward-shift deletion keeps probe chains intact). */
static void rset_unslot(rset *s, size_t i) {
  size_t mask = s->cap - 1;
  for (size_t j = (i + 1) & mask; s->slots[j].idx != EMPTY; j = (j + 1) & mask) {
    size_t home = s->slots[j].hash & mask;
    /* Move j into the hole i if its home is not in the cyclic range (i, j]. */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      s->slots[i] = s->slots[j];
      i = j;
    }
  }
  s->slots[i].idx = EMPTY;
}

/* Slot pointing at dense position k (the record there is known to be present). */
static size_t rset_slot_of(const rset *s, size_t k) {
  size_t mask = s->cap - 1;
  size_t i = s->recs[k]->hash & mask;
  while (s->slots[i].idx != k) i = (i + 1) & mask;
  return i;
}

/* Removes the record in slot i from the set; returns it. Caller holds `lock` if live. */
static ksmc_record *rset_remove_slot(rset *s, size_t i) {
  uint32_t k = s->slots[i].idx;
  ksmc_record *r = s->recs[k];
  rset_unslot(s, i);
  size_t last = s->n - 1;
  if (k != last) {
    s->slots[rset_slot_of(s, last)].idx = k;
    s->recs[k] = s->recs[last];
  }
  s->n--;
  s->bytes -= r->len;
  return r;
}

/* Puts r into slot i (found empty by rset_find after rset_reserve). */
static void rset_put_new(rset *s, size_t i, ksmc_record *r) {
  s->slots[i] = (slot){r->hash, (uint32_t)s->n};
  s->recs[s->n++] = r;
  s->bytes += r->len;
  r->maps++;
}

/* Replaces the record in slot i by r; returns the old one. */
static ksmc_record *rset_replace(rset *s, size_t i, ksmc_record *r) {
  ksmc_record **at = &s->recs[s->slots[i].idx];
  ksmc_record *old = *at;
  s->bytes = s->bytes - old->len + r->len;
  *at = r;
  r->maps++;
  return old;
}

static void rset_free_index(rset *s) {
  free(s->slots);
  free(s->recs);
  memset(s, 0, sizeof *s);
}

/* ---- retirement ---- */

/* Appends the chain [head..tail] (records no longer in any set) to the retired list, or
 * returns it for immediate freeing when no active snapshot can hold any of it. A record
 * is in snapshot S iff birth_gen < S.gen <= the generation at its removal (S was taken
 * while it was live), so one that entered the live set after the newest snapshot was
 * taken is in none (a slow scrape does not keep the intermediate versions of objects
 * updated while it lasts). Caller holds `lock`. */
static ksmc_record *retire_locked(ksmc_store *s, ksmc_record *head, ksmc_record *tail) {
  if (!head) return NULL;
  if (!s->snaps_head) return head;
  if (head == tail && s->snaps_tail->gen <= head->birth_gen) return head;
  for (ksmc_record *r = head; r; r = r->next) {
    r->retire_gen = s->gen;
    s->nretired++;
  }
  if (s->retired_tail)
    s->retired_tail->next = head;
  else
    s->retired_head = head;
  s->retired_tail = tail;
  return NULL;
}

/* Whether an active snapshot has a generation in (r->birth_gen, r->retire_gen]. `gens`:
 * the active snapshots' generations, ascending. */
static bool held(const ksmc_record *r, const uint64_t *gens, size_t n) {
  size_t lo = 0, hi = n; /* first generation > birth_gen */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (gens[mid] > r->birth_gen)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo < n && gens[lo] <= r->retire_gen;
}

/* Drops one set membership of r; returns true if r left every set. Writer only. */
static bool unref(ksmc_record *r) { return --r->maps == 0; }

/* Removes records from the retired list that no active snapshot can hold. Caller holds
 * `lock`; returns the chain to free. */
static ksmc_record *reclaim_locked(ksmc_store *s) {
  ksmc_record *head = s->retired_head, *cut = NULL;
  if (!head) return NULL;
  if (!s->snaps_head) {
    s->retired_head = s->retired_tail = NULL;
    s->nretired = 0;
    return head;
  }
  /* records retired before the oldest snapshot: a prefix, as generations only grow */
  uint64_t min = s->snaps_head->gen;
  size_t k = 0;
  for (ksmc_record *r = head; r && r->retire_gen < min; r = r->next, k++) cut = r;
  ksmc_record *dead = NULL;
  if (cut) {
    s->retired_head = cut->next;
    if (!s->retired_head) s->retired_tail = NULL;
    cut->next = NULL;
    s->nretired -= k;
    dead = head;
  }
  /* the rest: each is kept only while a snapshot of its lifetime is active (sorted
   * generations, a binary search per record; without memory, they wait for the prefix) */
  uint64_t *gens = s->retired_head ? malloc(s->nsnaps * sizeof *gens) : NULL;
  if (!gens) return dead;
  size_t n = 0;
  for (ksmc_store_snap *q = s->snaps_head; q; q = q->next) gens[n++] = q->gen;
  ksmc_record **link = &s->retired_head, *last = NULL;
  while (*link) {
    ksmc_record *r = *link;
    if (held(r, gens, n)) {
      last = r;
      link = &r->next;
      continue;
    }
    *link = r->next;
    s->nretired--;
    r->next = dead;
    dead = r;
  }
  s->retired_tail = last;
  free(gens);
  return dead;
}

/* ---- store ---- */

ksmc_store *ksmc_store_new(const ksmc_kind_desc *kind, const char *ns) {
  ksmc_store *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->kind = kind;
  s->ns = strdup(ns ? ns : "");
  if (!s->ns) {
    free(s);
    return NULL;
  }
  pthread_mutex_init(&s->lock, NULL);
  pthread_mutex_init(&s->wlock, NULL);
  return s;
}

static void rset_release_all(rset *set, ksmc_record **chain) {
  for (size_t k = 0; k < set->n; k++) {
    ksmc_record *r = set->recs[k];
    if (unref(r)) {
      r->next = *chain;
      *chain = r;
    }
  }
  rset_free_index(set);
}

void ksmc_store_free(ksmc_store *s) {
  if (!s) return;
  ksmc_record *chain = NULL;
  rset_release_all(&s->live, &chain);
  rset_release_all(&s->pending, &chain);
  free_chain(chain);
  free_chain(s->retired_head);
  pthread_mutex_destroy(&s->lock);
  pthread_mutex_destroy(&s->wlock);
  free(s->ns);
  free(s);
}

const ksmc_kind_desc *ksmc_store_kind(const ksmc_store *s) { return s->kind; }
const char *ksmc_store_namespace(const ksmc_store *s) { return s->ns; }

static int check_sizes(size_t uid_len, size_t len) {
  return uid_len > UINT32_MAX || len > UINT32_MAX ? KSMC_E_TOO_BIG : KSMC_OK;
}

/* Updates the live record r (of the same uid) to the new bytes without a new allocation,
 * when no snapshot can hold r: it is in the live set only (not in a pending relist set),
 * no snapshot is active and the bytes fit. Families get exactly the versions record_new
 * would give them. The families are compared outside `lock` (r is stable: writers are
 * serialised and readers need a snapshot to see it); the bytes are written under it, so
 * a snapshot taken meanwhile waits and then sees the complete new object. Returns false,
 * with nothing changed, when the caller must take the copy-on-write path. Writer holds
 * wlock. */
static bool update_in_place(ksmc_store *s, ksmc_record *r, size_t uid_len, const char *bytes,
                            size_t len, const uint32_t *fam_end) {
  size_t nfam = r->nfam;
  if (r->maps != 1 || nfam == 0 || nfam != s->kind->nfamilies || nfam > IN_PLACE_MAX_FAMILIES ||
      record_size(nfam, len, uid_len) > record_cap(r))
    return false;
  uint64_t vbase = s->vclock + 1; /* what record_new would take */
  uint32_t voff[IN_PLACE_MAX_FAMILIES];
  unsigned char changed[IN_PLACE_MAX_FAMILIES];
  uint32_t *ends = record_ends(r);
  bool same_layout = r->len == len && memcmp(ends, fam_end, nfam * sizeof(uint32_t)) == 0;
  /* identical bytes (a third of the updates under churn: changes of fields no family
   * exports) in one compare instead of one per family */
  if (same_layout && memcmp(ksmc_record_bytes(r), bytes, len) == 0) return true;
  bool any_change = false;
  const char *ob = ksmc_record_bytes(r);
  for (size_t f = 0; f < nfam; f++) {
    uint64_t back = vbase - (r->vbase - ends[nfam + f]);
    changed[f] = !family_same(ends, ob, fam_end, bytes, f);
    voff[f] = !changed[f] && back <= UINT32_MAX ? (uint32_t)back : 0;
    any_change |= changed[f];
  }
  if (same_layout && !any_change) return true; /* identical bytes: keep the record as is */
  pthread_mutex_lock(&s->lock);
  if (s->snaps_head) { /* a scrape may read r: copy on write */
    pthread_mutex_unlock(&s->lock);
    return false;
  }
  char *b = (char *)(ends + 2 * nfam);
  if (same_layout) {
    for (size_t f = 0; f < nfam; f++) {
      uint32_t a = f ? fam_end[f - 1] : 0;
      if (changed[f]) memcpy(b + a, bytes + a, fam_end[f] - a);
    }
  } else if (len) {
    memcpy(b, bytes, len);
  }
  memcpy(ends, fam_end, nfam * sizeof(uint32_t));
  memcpy(ends + nfam, voff, nfam * sizeof(uint32_t));
  s->live.bytes = s->live.bytes - r->len + len;
  r->len = (uint32_t)len;
  r->fams = families_mask(fam_end, nfam);
  r->vbase = s->vclock = vbase;
  pthread_mutex_unlock(&s->lock);
  return true;
}

/* Inserts or replaces r in the live set (writer holds wlock). */
static int live_put(ksmc_store *s, size_t i, ksmc_record *r) {
  ksmc_record *dead = NULL;
  pthread_mutex_lock(&s->lock);
  r->birth_gen = s->gen; /* snapshots from now on may hold it */
  if (s->live.slots[i].idx == EMPTY) {
    rset_put_new(&s->live, i, r);
  } else {
    ksmc_record *old = rset_replace(&s->live, i, r);
    if (unref(old)) {
      old->next = NULL;
      dead = retire_locked(s, old, old);
    }
  }
  pthread_mutex_unlock(&s->lock);
  free_chain(dead);
  return KSMC_OK;
}

int ksmc_store_upsert(ksmc_store *s, const char *uid, size_t uid_len, const char *bytes, size_t len,
                      const uint32_t *fam_end) {
  int rc = check_sizes(uid_len, len);
  if (rc != KSMC_OK) return rc;
  uint64_t h = uid_hash(uid, uid_len);
  pthread_mutex_lock(&s->wlock);
  ksmc_record *cur = rset_get(&s->live, h, uid, uid_len);
  if (cur && update_in_place(s, cur, uid_len, bytes, len, fam_end)) goto out;
  if (cur && record_same(cur, bytes, len, fam_end)) goto out;
  ksmc_record *r = record_new(s, cur, uid, uid_len, bytes, len, fam_end);
  pthread_mutex_lock(&s->lock); /* rset_reserve may move the shared dense array */
  bool ok = r && rset_reserve(&s->live);
  pthread_mutex_unlock(&s->lock);
  if (!ok) {
    free(r);
    rc = KSMC_E_NOMEM;
    goto out;
  }
  live_put(s, rset_find(&s->live, h, uid, uid_len), r);
out:
  pthread_mutex_unlock(&s->wlock);
  return rc;
}

bool ksmc_store_delete(ksmc_store *s, const char *uid, size_t uid_len) {
  uint64_t h = uid_hash(uid, uid_len);
  ksmc_record *dead = NULL;
  bool found = false;
  pthread_mutex_lock(&s->wlock);
  if (s->live.cap) {
    size_t i = rset_find(&s->live, h, uid, uid_len);
    if (s->live.slots[i].idx != EMPTY) {
      found = true;
      pthread_mutex_lock(&s->lock);
      ksmc_record *old = rset_remove_slot(&s->live, i);
      if (unref(old)) {
        old->next = NULL;
        dead = retire_locked(s, old, old);
      }
      pthread_mutex_unlock(&s->lock);
    }
  }
  pthread_mutex_unlock(&s->wlock);
  free_chain(dead);
  return found;
}

/* Collects into *chain the records of `set` that leave their last set. Writer only. */
static ksmc_record *drop_set(rset *set, ksmc_record **tail) {
  ksmc_record *head = NULL;
  *tail = NULL;
  for (size_t k = 0; k < set->n; k++) {
    ksmc_record *r = set->recs[k];
    if (!unref(r)) continue;
    r->next = head;
    head = r;
    if (!*tail) *tail = r;
  }
  rset_free_index(set);
  return head;
}

/* Retires a chain of records that left every set (they may have been visible). */
static void retire_chain(ksmc_store *s, ksmc_record *head, ksmc_record *tail) {
  pthread_mutex_lock(&s->lock);
  ksmc_record *dead = retire_locked(s, head, tail);
  pthread_mutex_unlock(&s->lock);
  free_chain(dead);
}

/* A pending record may have been live once (replaced in the live set by an upsert during
 * the relist), so records leaving the pending set are retired, not freed. */
static void relist_drop_pending(ksmc_store *s) {
  ksmc_record *tail, *head = drop_set(&s->pending, &tail);
  retire_chain(s, head, tail);
  s->relisting = false;
}

int ksmc_store_relist_begin(ksmc_store *s) {
  pthread_mutex_lock(&s->wlock);
  if (s->relisting) relist_drop_pending(s);
  s->relisting = true;
  pthread_mutex_unlock(&s->wlock);
  return KSMC_OK;
}

static int relist_add_locked(ksmc_store *s, const char *uid, size_t uid_len, const char *bytes,
                             size_t len, const uint32_t *fam_end) {
  uint64_t h = uid_hash(uid, uid_len);
  if (!rset_reserve(&s->pending)) return KSMC_E_NOMEM;
  ksmc_record *r = rset_get(&s->live, h, uid, uid_len);
  if (!r || !record_same(r, bytes, len, fam_end)) {
    r = record_new(s, r, uid, uid_len, bytes, len, fam_end);
    if (!r) return KSMC_E_NOMEM;
  }
  size_t i = rset_find(&s->pending, h, uid, uid_len);
  if (s->pending.slots[i].idx == EMPTY) {
    rset_put_new(&s->pending, i, r);
  } else { /* listed twice: the later wins */
    ksmc_record *old = rset_replace(&s->pending, i, r);
    if (unref(old)) {
      old->next = NULL;
      retire_chain(s, old, old);
    }
  }
  return KSMC_OK;
}

int ksmc_store_relist_add(ksmc_store *s, const char *uid, size_t uid_len, const char *bytes,
                          size_t len, const uint32_t *fam_end) {
  int rc = check_sizes(uid_len, len);
  if (rc != KSMC_OK) return rc;
  pthread_mutex_lock(&s->wlock);
  s->relisting = true; /* add without begin opens the relist */
  rc = relist_add_locked(s, uid, uid_len, bytes, len, fam_end);
  pthread_mutex_unlock(&s->wlock);
  return rc;
}

void ksmc_store_relist_commit(ksmc_store *s) {
  pthread_mutex_lock(&s->wlock);
  if (!s->relisting) {
    pthread_mutex_unlock(&s->wlock);
    return;
  }
  pthread_mutex_lock(&s->lock);
  rset old = s->live;
  s->live = s->pending;
  pthread_mutex_unlock(&s->lock);
  memset(&s->pending, 0, sizeof s->pending);
  s->relisting = false;
  /* The old set is now private to this writer: drop its memberships outside the lock. */
  ksmc_record *tail, *head = drop_set(&old, &tail);
  retire_chain(s, head, tail);
  pthread_mutex_unlock(&s->wlock);
}

void ksmc_store_relist_abort(ksmc_store *s) {
  pthread_mutex_lock(&s->wlock);
  if (s->relisting) relist_drop_pending(s);
  pthread_mutex_unlock(&s->wlock);
}

size_t ksmc_store_count(ksmc_store *s) {
  pthread_mutex_lock(&s->lock);
  size_t n = s->live.n;
  pthread_mutex_unlock(&s->lock);
  return n;
}

size_t ksmc_store_bytes(ksmc_store *s) {
  pthread_mutex_lock(&s->lock);
  size_t n = s->live.bytes;
  pthread_mutex_unlock(&s->lock);
  return n;
}

/* ---- snapshots ---- */

/* Allocates (and touches, so page faults happen here) a snapshot for n records. */
static ksmc_store_snap *snap_alloc(size_t n) {
  size_t size = sizeof(ksmc_store_snap) + n * (sizeof(ksmc_record *) + sizeof(uint64_t));
  ksmc_store_snap *snap = malloc(size);
  if (!snap) return NULL;
  memset(snap, 0, size);
  snap->fams = (uint64_t *)(snap->recs + n);
  return snap;
}

ksmc_store_snap *ksmc_store_snapshot(ksmc_store *s) {
  /* Allocate outside the lock; retry if the set grew meanwhile. */
  ksmc_store_snap *snap = NULL;
  size_t cap = 0;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    if (snap && s->live.n <= cap) break;
    size_t n = s->live.n;
    pthread_mutex_unlock(&s->lock);
    free(snap);
    cap = n + n / 16 + 16;
    if (!(snap = snap_alloc(cap))) return NULL;
  }
  size_t n = s->live.n;
  if (n) memcpy(snap->recs, s->live.recs, n * sizeof snap->recs[0]);
  snap->n = n;
  snap->bytes = s->live.bytes;
  snap->store = s;
  snap->gen = ++s->gen;
  snap->next = NULL;
  snap->prev = s->snaps_tail;
  if (s->snaps_tail)
    s->snaps_tail->next = snap;
  else
    s->snaps_head = snap;
  s->snaps_tail = snap;
  s->nsnaps++;
  pthread_mutex_unlock(&s->lock);
  /* Outside the lock: the records are immutable now that the snapshot is registered
   * (update_in_place writes only while no snapshot is active). */
  for (size_t k = 0; k < n; k++) snap->fams[k] = snap->recs[k]->fams;
  return snap;
}

void ksmc_store_snap_release(ksmc_store_snap *snap) {
  if (!snap) return;
  ksmc_store *s = snap->store;
  pthread_mutex_lock(&s->lock);
  if (snap->prev)
    snap->prev->next = snap->next;
  else
    s->snaps_head = snap->next;
  if (snap->next)
    snap->next->prev = snap->prev;
  else
    s->snaps_tail = snap->prev;
  s->nsnaps--;
  ksmc_record *dead = reclaim_locked(s);
  pthread_mutex_unlock(&s->lock);
  free_chain(dead);
  free(snap);
}

size_t ksmc_store_retired(ksmc_store *s) {
  pthread_mutex_lock(&s->lock);
  size_t n = s->nretired;
  pthread_mutex_unlock(&s->lock);
  return n;
}

size_t ksmc_store_snap_count(const ksmc_store_snap *snap) { return snap->n; }
size_t ksmc_store_snap_bytes(const ksmc_store_snap *snap) { return snap->bytes; }
const ksmc_record *const *ksmc_store_snap_records(const ksmc_store_snap *snap) {
  return snap->recs;
}
const uint64_t *ksmc_store_snap_families(const ksmc_store_snap *snap) { return snap->fams; }
