/* ksmc_labels: dynamic label names (label_*, annotation_*, nodeselector_*) and the
 * --metric-labels-allowlist / --metric-annotations-allowlist matching, exactly as KSM. */
#ifndef KSMC_LABELS_H
#define KSMC_LABELS_H

#include <stdbool.h>
#include <stddef.h>

#include "ksmc_buf.h"

/* Appends SanitizeLabelName(s): every rune not in [a-zA-Z0-9_] becomes one `_` (a
 * multi-byte UTF-8 character gives one `_`, each invalid UTF-8 byte gives one `_`). Used
 * as is for the `resource` label of capacity/allocatable/limits/requests. */
void ksmc_label_sanitize(ksmc_buf *b, const char *s, size_t n);

/* Appends prefix + "_" + toSnakeCase(SanitizeLabelName(key)) where toSnakeCase inserts `_`
 * between [a-z0-9] and a following [A-Z], then lowercases ASCII. E.g. ("label",
 * "app.kubernetes.io/name") -> "label_app_kubernetes_io_name", ("label","aBC") -> "label_a_bc". */
void ksmc_label_dynamic_name(ksmc_buf *b, const char *prefix, const char *key, size_t n);

/* One label of an object's map: raw (decoded) key and decoded value. */
typedef struct {
  ksmc_slice key;
  ksmc_slice value;
} ksmc_kv;

/* Sorts kv by raw key, Go byte-wise string order; equal keys by address, so keys decoded
 * in document order into one buffer stay in document order. */
void ksmc_kv_sort(ksmc_kv *kv, size_t n);

/* Appends `,name1="v1",name2="v2"...` for kv (sorted by ksmc_kv_sort; of equal raw keys,
 * a JSON map's repeated key, only the last counts, as Go's last-wins), where names are
 * ksmc_label_dynamic_name(prefix, key) with KSM's conflict rule: when two raw keys map to
 * the same name, the first is renamed `<name>_conflict1`, the next `<name>_conflict2`, and
 * so on in sorted raw-key order; a generated name that would collide with another
 * emitted name advances to the next free N (and a key whose plain name was already taken
 * by such a renamed label gets `<its name>_conflictN` with the first free N), so no name
 * is emitted twice. Values are escaped as label values. `scratch` is working memory
 * owned by the caller (reused between calls; its content is clobbered; kv must not
 * point into it). On allocation failure out's sticky error is set. */
void ksmc_labels_write_dynamic(ksmc_buf *out, const char *prefix, const ksmc_kv *kv, size_t n,
                               ksmc_buf *scratch);

/* One resource's entry of an allowlist flag: the key patterns in flag order. */
typedef struct {
  char *resource;  /* e.g. "pods" */
  char **patterns; /* e.g. "app", "*", "team.*" (at most one '*' each) */
  size_t npatterns;
} ksmc_allowlist_entry;

/* A parsed --metric-labels-allowlist or --metric-annotations-allowlist. */
typedef struct {
  ksmc_allowlist_entry *entries;
  size_t n;
} ksmc_allowlist;

/* Parses KSM's flag grammar `res=[k1,k2],res2=[*]` (entries trimmed, empty entries
 * dropped so `res=[]` is an empty list, `=` directly followed by `[`, a key may contain at
 * most one `*`, a resource given twice keeps its last list, "" is an empty allowlist).
 * Resource names are not checked here. On error returns false, leaves al unchanged and
 * writes a message naming the offending text into err. The allowlist must be
 * zero-initialised; on success it is replaced (last flag wins, like KSM). */
bool ksmc_allowlist_parse(ksmc_allowlist *al, const char *flag, char *err, size_t errlen);

/* Returns the patterns that apply to `resource` -- the entry for "*" wins over an
 * explicit one, like KSM's (*Builder).allowList -- or NULL when none applies (no entry or
 * an empty list: then the _labels/_annotations family has zero samples). */
const ksmc_allowlist_entry *ksmc_allowlist_for(const ksmc_allowlist *al, const char *resource);

/* True if `key` is selected by the entry: a first pattern "*" allows all keys (a "*" in any
 * other position is ignored); a pattern without '*' matches exactly; a pattern with one
 * '*' matches keys with that prefix and suffix (anchored, like ^prefix.*suffix$). */
bool ksmc_allowlist_match(const ksmc_allowlist_entry *e, const char *key, size_t n);

void ksmc_allowlist_free(ksmc_allowlist *al);

#endif
