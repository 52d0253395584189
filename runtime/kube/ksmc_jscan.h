/* ksmc_jscan: find one member of a complete JSON object without parsing all of it.
 *
 * The reflector only needs a handful of fields from each object it forwards
 * (metadata.uid, metadata.resourceVersion, a Status's code/reason/message, a watch event's
 * type/object). These functions walk the object's top level, skip over values they do not
 * need and stop at the first match, so finding metadata (usually the third key of an
 * object) costs a few hundred bytes of scanning, not a full parse. They check structure
 * only as far as they walk; full validation is the renderer's job. */
#ifndef KSMC_JSCAN_H
#define KSMC_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_buf.h"

/* Returns the offset just past the JSON value starting at s[i] (after leading
 * whitespace), or 0 if the value is malformed or runs past len. Strings are skipped with
 * their escapes; objects and arrays by depth. */
size_t ksmc_jscan_skip(const char *s, size_t len, size_t i);

/* Finds top-level member `key` of the object in s[0..len). On success sets *val to the raw
 * value bytes (a string value keeps its quotes) and returns true. Returns false if the
 * key is absent or the object is malformed before the key is found. */
bool ksmc_jscan_member(const char *s, size_t len, const char *key, ksmc_slice *val);

/* Like ksmc_jscan_member for a member of a member: obj[key1][key2]. */
bool ksmc_jscan_member2(const char *s, size_t len, const char *key1, const char *key2,
                        ksmc_slice *val);

/* Finds members keys[0..n) (n <= 16) of the object that is top-level member key1 of
 * s[0..len), entering key1's value instead of skipping it first and stopping as soon as
 * every key was found: metadata.uid and metadata.resourceVersion come before
 * managedFields, so the bulk of an object is never scanned. Sets vals[j] to key j's raw
 * value when found. Returns the bitmask of the keys found (bit j: keys[j]); keys after a
 * malformed part are not found. */
unsigned ksmc_jscan_members_in(const char *s, size_t len, const char *key1, const char *const *keys,
                               size_t n, ksmc_slice *vals);

/* If v is a JSON string, sets *out to its contents without quotes (escapes are left as
 * they are) and returns true. */
bool ksmc_jscan_unquote(ksmc_slice v, ksmc_slice *out);

/* If v is a JSON integer that fits int64, stores it and returns true. */
bool ksmc_jscan_int(ksmc_slice v, int64_t *out);

#endif
