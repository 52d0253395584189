/* object: one immutable, pre-serialized version of an API object, shared by reference
 * between the store, the event history, continue-token snapshots and in-flight responses.
 *
 * Layout of buf: ',' then the object as a LIST item (no kind/apiVersion), so a list body
 * is one contiguous slice per item (the separator is included) and a watch event is
 * `{"kind":..,"apiVersion":..,` + buf+2. */
#ifndef APISIM_OBJECT_H
#define APISIM_OBJECT_H

#include "json.h"
#include "kinds.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct {
  char *k, *v;
} label_kv;

typedef struct obj {
  atomic_int refs;
  int kind;
  uint64_t rv;
  char *buf; /* ",{...}" */
  size_t len;
  size_t rv_off, rv_len;     /* digits of metadata.resourceVersion inside buf */
  size_t meta_off, meta_len; /* the metadata object value inside buf */
  char *key;                 /* "ns/name" or "name": store order */
  char *ns, *name, *uid;
  label_kv *labels;
  size_t nlabels;
  char *fields[KIND_MAX_FIELDS]; /* field-selector values, indexed like kind_def.fields */
  char *cells_pre, *cells_post;  /* Table cells before and after the Age cell (JSON) */
  time_t created;
  char *kind_prefix; /* {"kind":"Pod","apiVersion":"v1", */
  size_t kind_prefix_len;
} obj;

/* Serializes `root` (kind/apiVersion are dropped and re-added in canonical place) with
 * metadata.resourceVersion set to rv. Returns a new object with one reference. */
obj *obj_build(int kind, jv *root, uint64_t rv, jarena *scratch);
static inline obj *obj_ref(obj *o) {
  atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
  return o;
}
void obj_unref(obj *o);

/* Appends the object with kind/apiVersion (watch / ground-truth form). If rv_override is
 * non-zero it replaces metadata.resourceVersion (DELETED events carry the delete's RV). */
void obj_write_full(ksmc_buf *b, const obj *o, uint64_t rv_override);
/* Appends bytes [from,to) of buf, substituting the resourceVersion if it lies inside. */
void obj_write_range(ksmc_buf *b, const obj *o, size_t from, size_t to, uint64_t rv_override);
/* True when a and b serialize to the same bytes apart from metadata.resourceVersion (an
 * update that changed nothing). */
bool obj_same_content(const obj *a, const obj *b);
/* Parses the object's JSON (full form, with kind/apiVersion) into a DOM in arena `a`;
 * the text is copied into the arena so the DOM does not depend on o. */
jv *obj_parse(const obj *o, jarena *a);

/* RFC 3339 UTC timestamp */
void fmt_time(char out[32], time_t t);
time_t parse_time(const char *s);

#endif
