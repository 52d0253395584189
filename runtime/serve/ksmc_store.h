/* ksmc_store: the pre-rendered object store of one stream (kind x namespace).
 *
 * An object is kept only as its rendered exposition bytes (every family's lines
 * concatenated in family order, plus per-family end offsets and its uid) in ONE
 * allocation, a ksmc_record, which is immutable while a snapshot may hold it. The JSON is
 * not kept.
 *
 * Concurrency contract:
 *  - Writers (upsert, delete, relist_*) may be called from any thread; they serialise
 *    among themselves on a writer mutex. Normally one ingest thread owns a stream.
 *  - Readers take a snapshot (ksmc_store_snapshot): a consistent set of record pointers
 *    copied under a short critical section. A snapshot never shows a torn object nor a
 *    half-applied relist: it is either the complete old set or the complete new set.
 *  - A reader never blocks writers for longer than the pointer copy (no lock is held while
 *    a scrape writes to a socket). Records replaced or removed while snapshots that may
 *    contain them are alive are retired, and freed when the last such snapshot is
 *    released (epoch-based reclamation; see docs/runtime.md "The store"). A record is
 *    kept only for the snapshots that can hold it (taken after it entered the live set
 *    and before it left it): a replacement that no active snapshot saw is freed at once,
 *    so a slow scrape pins at most the records of its own snapshot, not every update
 *    made while it lasts.
 *  - An update of a record that no snapshot can hold (none is active, and no pending relist
 *    shares it) rewrites it in place, under the snapshot lock, when the new bytes fit
 *    its allocation: no malloc/free and only the changed families copied. A snapshot
 *    taken afterwards sees the whole new object, as with a new record.
 *
 * Family versions: every record carries, per family, a 64-bit version with one rule:
 * equal versions of family f (of records of the same store) mean equal bytes of family f.
 * A new record takes its predecessor's (same uid) version for each family whose bytes did
 * not change and a fresh store-wide number for the others. Caches of derived data (the
 * gzip blocks of ksmc_expo) key on them.
 *
 * Family presence: every record carries a 64-bit mask of the families it has bytes for
 * (ksmc_family_present), and a snapshot copies the masks of its records into an array
 * beside their pointers (ksmc_store_snap_families). A family-major reader (a scrape
 * visits every record once per family) then passes over the records without a line of
 * the family without touching them: half of a pod's families are empty, and each touch
 * of a record is a cache and TLB miss once the store is larger than the cache.
 *
 * Memory: one allocation per object (bytes + offsets + versions + uid + a 64-byte
 * header), one hash slot and one pointer per object; 16 bytes per object per active
 * snapshot. No per-line allocations. */
#ifndef KSMC_STORE_H
#define KSMC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_buf.h"
#include "ksmc_kind.h"

typedef struct ksmc_store ksmc_store;
typedef struct ksmc_store_snap ksmc_store_snap;

/* One object's rendered bytes. Immutable for readers; only the accessors below are
 * part of the contract.
 *
 * Layout after the header: the uid (uid_len bytes, padded to 4), nfam family end offsets,
 * nfam version offsets, len rendered bytes. The uid comes first so that the index probe
 * of an upsert or delete (hash, uid_len, uid) reads the record's first two cache lines
 * only, not a line ~len bytes further on. */
typedef struct ksmc_record {
  struct ksmc_record *next; /* store-private: retired list */
  uint64_t retire_gen;      /* store-private: snapshot generation at retirement */
  uint64_t birth_gen;       /* store-private: generation when it entered the live set (0:
                               unknown, e.g. a relist's: as old as any snapshot) */
  uint64_t hash;            /* hash of the uid */
  uint32_t maps;            /* store-private: how many key sets (live, relist) hold it */
  uint32_t len;             /* rendered bytes */
  uint32_t uid_len;
  uint32_t nfam;
  uint64_t vbase;  /* store-private: family f's version is vbase - fam_end(r)[nfam + f] */
  uint64_t fams;   /* family presence mask (ksmc_family_present) */
  uint32_t data[]; /* uid (padded to 4), nfam end offsets, nfam version offsets, bytes */
} ksmc_record;

/* The object's uid (as given to upsert / relist_add). */
static inline ksmc_slice ksmc_record_uid(const ksmc_record *r) {
  return (ksmc_slice){(const char *)r->data, r->uid_len};
}

/* Store-private: the nfam family end offsets, then the nfam version offsets. */
static inline const uint32_t *ksmc_record_ends(const ksmc_record *r) {
  return r->data + (r->uid_len + 3) / 4;
}

/* All of the object's rendered bytes. */
static inline const char *ksmc_record_bytes(const ksmc_record *r) {
  return (const char *)(ksmc_record_ends(r) + 2 * (size_t)r->nfam);
}

/* The version of family i's bytes: two records of one store with the same version of
 * family i have identical bytes for it (see "Family versions" above). */
static inline uint64_t ksmc_record_family_version(const ksmc_record *r, size_t i) {
  return r->vbase - ksmc_record_ends(r)[r->nfam + i];
}

static inline size_t ksmc_record_len(const ksmc_record *r) { return r->len; }

/* The bit of a presence mask that stands for family i: bit i for i < 63; bit 63 stands
 * for every family from 63 on (set if any of them has lines). */
static inline unsigned ksmc_family_bit(size_t i) { return i < 63 ? (unsigned)i : 63u; }

/* Whether a record whose presence mask is `fams` may have lines of family i. False means
 * ksmc_record_family(r, i) is empty. */
static inline bool ksmc_family_present(uint64_t fams, size_t i) {
  return (fams >> ksmc_family_bit(i)) & 1;
}

/* The lines of family i (empty when the family is disabled or has no sample). */
static inline ksmc_slice ksmc_record_family(const ksmc_record *r, size_t i) {
  const uint32_t *end = ksmc_record_ends(r);
  uint32_t start = i ? end[i - 1] : 0;
  return (ksmc_slice){ksmc_record_bytes(r) + start, end[i] - start};
}

/* Creates an empty store for objects of `kind` (its nfamilies fixes the record layout);
 * `ns` names the stream's namespace ("" for all namespaces) and is copied. NULL on
 * allocation failure. */
ksmc_store *ksmc_store_new(const ksmc_kind_desc *kind, const char *ns);

/* Frees the store and every record. No snapshot of it may be alive and no other thread
 * may use it. NULL is ignored. */
void ksmc_store_free(ksmc_store *s);

const ksmc_kind_desc *ksmc_store_kind(const ksmc_store *s);
const char *ksmc_store_namespace(const ksmc_store *s);

/* Inserts or replaces the object `uid` with `len` bytes whose family i ends at
 * fam_end[i] (kind->nfamilies offsets, nondecreasing, last == len). The bytes are copied
 * into a new record that replaces the old one atomically for readers, or into the old
 * record itself when no snapshot can hold it (see the concurrency contract). Identical
 * bytes keep the existing record unchanged (no allocation). Returns KSMC_OK or KSMC_E_NOMEM /
 * KSMC_E_TOO_BIG (len or uid over 4 GiB); on error the store is unchanged. */
int ksmc_store_upsert(ksmc_store *s, const char *uid, size_t uid_len, const char *bytes, size_t len,
                      const uint32_t *fam_end);

/* (ksmc_store_upsert_rendered / ksmc_store_relist_add_rendered, taking a render
 * context, are in ksmc_store_render.h.) */

/* Removes the object `uid`. Returns true if it was present. */
bool ksmc_store_delete(ksmc_store *s, const char *uid, size_t uid_len);

/* Atomic relist: begin, add every listed object, then commit (the new set replaces the
 * old one in one step; objects absent from the new list disappear) or abort (the new set
 * is discarded, the store is unchanged). While a relist is open, upsert/delete still act
 * on the live set, and their effect is replaced by the commit. begin discards a relist
 * left open. Objects whose bytes did not change share the old record (no copy), so a
 * relist of an unchanged cluster needs almost no memory. Returns KSMC_OK or
 * KSMC_E_NOMEM (for add, the relist stays open and can be aborted). */
int ksmc_store_relist_begin(ksmc_store *s);
int ksmc_store_relist_add(ksmc_store *s, const char *uid, size_t uid_len, const char *bytes,
                          size_t len, const uint32_t *fam_end);
void ksmc_store_relist_commit(ksmc_store *s);
void ksmc_store_relist_abort(ksmc_store *s);

/* Current number of objects and of rendered bytes (live set). */
size_t ksmc_store_count(ksmc_store *s);
size_t ksmc_store_bytes(ksmc_store *s);

/* Takes a consistent snapshot of the live set. Costs one lock and a copy of one pointer
 * per object. NULL on allocation failure. Must be released (on any thread). */
ksmc_store_snap *ksmc_store_snapshot(ksmc_store *s);

/* Releases a snapshot; records retired since it was taken may be freed. NULL ignored. */
void ksmc_store_snap_release(ksmc_store_snap *snap);

/* Retired records still kept for active snapshots (count). For tests and telemetry. */
size_t ksmc_store_retired(ksmc_store *s);

/* Snapshot contents: count, rendered bytes, and records 0..count-1 (unspecified order,
 * like KSM's sync.Map.Range). */
size_t ksmc_store_snap_count(const ksmc_store_snap *snap);
size_t ksmc_store_snap_bytes(const ksmc_store_snap *snap);
const ksmc_record *const *ksmc_store_snap_records(const ksmc_store_snap *snap);
/* The presence masks of the snapshot's records, in the same order (the records' `fams`,
 * read once when the snapshot is taken). */
const uint64_t *ksmc_store_snap_families(const ksmc_store_snap *snap);

#endif
