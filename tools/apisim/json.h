/* json: a small arena-backed JSON DOM (parse, edit, serialize, merge-patch) and a streaming
 * writer. Strings and numbers keep their raw (still escaped) text, so parse + serialize is a
 * byte-faithful copy and no value is re-escaped. Objects keep member order. */
#ifndef APISIM_JSON_H
#define APISIM_JSON_H

#include "ksmc_buf.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bump allocator; everything a DOM points to (except the parsed input) lives here. */
typedef struct ja_chunk ja_chunk;
typedef struct {
  ja_chunk *head;
} jarena;

void *ja_alloc(jarena *a, size_t n);
char *ja_strndup(jarena *a, const char *s, size_t n);
void ja_free(jarena *a);
/* Forgets all allocations but keeps the newest chunk for reuse. */
void ja_reset(jarena *a);

typedef enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } jv_type;

typedef struct jv jv;
struct jv {
  jv_type t;
  jv *next;        /* next sibling */
  const char *key; /* raw member key when inside an object */
  size_t klen;
  const char *s; /* raw text: number digits, string body without quotes, true/false */
  size_t n;
  jv *head, *tail; /* children of arrays and objects */
};

/* Parses n bytes; the DOM points into `text`, which must outlive it. NULL on syntax error
 * (and *err set to a short static message). */
jv *jv_parse(jarena *a, const char *text, size_t n, const char **err);
void jv_write(ksmc_buf *b, const jv *v);

jv *jv_new(jarena *a, jv_type t);
jv *jv_str(jarena *a, const char *s); /* escapes s */
jv *jv_strn(jarena *a, const char *s, size_t n);
jv *jv_num(jarena *a, long long v);
jv *jv_bool(jarena *a, bool v);

jv *jo_get(const jv *o, const char *key);
/* Dotted path of object members, e.g. "metadata.labels". */
jv *jo_path(const jv *o, const char *path);
/* Replaces or appends member `key` (key is copied into the arena). */
jv *jo_set(jarena *a, jv *o, const char *key, jv *val);
void jo_del(jv *o, const char *key);
/* Creates (or returns) the object member `key`. */
jv *jo_obj(jarena *a, jv *o, const char *key);
void ja_append(jv *arr, jv *val);
size_t jv_len(const jv *v);
jv *ja_at(const jv *arr, size_t i);
bool jv_eq_cstr(const jv *v, const char *s); /* string value equals (raw compare) */
bool jkey_eq(const jv *m, const char *key);
/* Decodes a JSON string value into a NUL-terminated arena string. */
char *jv_cstr(jarena *a, const jv *v);
long long jv_int(const jv *v, long long dflt);
/* JSON merge patch (RFC 7386); members whose key starts with '$' are ignored, which is how
 * strategic-merge-patch directives from kubectl are tolerated. Returns the new target. */
jv *jv_merge_patch(jarena *a, jv *target, const jv *patch);
/* Strategic merge patch, approximated: like merge patch, but the well-known lists of
 * objects (containers by name, ports by containerPort, ...) merge element by element
 * and honour {"$patch":"delete"}. */
jv *jv_strategic_patch(jarena *a, jv *target, const jv *patch);

/* Appends s as a JSON string body (escaped, no quotes). */
void json_escape(ksmc_buf *b, const char *s, size_t n);

/* Streaming writer that inserts commas. */
typedef struct {
  ksmc_buf *b;
  int depth;
  bool first[64];
} jw;
void jw_init(jw *w, ksmc_buf *b);
void jw_key(jw *w, const char *key); /* key may be NULL inside arrays */
void jw_obj(jw *w, const char *key);
void jw_arr(jw *w, const char *key);
void jw_end(jw *w, char close); /* '}' or ']' */
void jw_s(jw *w, const char *key, const char *val);
void jw_i(jw *w, const char *key, long long val);
void jw_b(jw *w, const char *key, bool val);
void jw_raw(jw *w, const char *key, const char *raw); /* raw JSON value */
void jw_fmt(jw *w, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
