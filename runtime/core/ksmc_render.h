/* ksmc_render: running a generated serializer on one object.
 *
 * A render context is reused for many objects of one kind (it keeps its buffers). After a
 * successful ksmc_render_object, ctx->out holds the object's lines for every family in
 * family order, and family i is the byte range [fam_start(i), ctx->fam_end[i]). Disabled
 * families are empty ranges. The store copies these bytes; the context is then reused. */
#ifndef KSMC_RENDER_H
#define KSMC_RENDER_H

#include <jsmn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_buf.h"
#include "ksmc_err.h"
#include "ksmc_kind.h"
#include "ksmc_labels.h"
#include "ksmc_skip.h"

/* Most containers ksmc_render_object_prefix records (the first ones met). */
#define KSMC_RENDER_SPANS 64
/* Shorter skipped containers are not recorded: passing over them would cost a scanner
 * more (a call and a partial block) than reading them. */
#define KSMC_RENDER_SPAN_MIN 256

/* What is rendered: fixed for the life of a context. */
typedef struct {
  const ksmc_kind_desc *kind;
  const bool *family_enabled;                    /* kind->nfamilies flags; NULL: every
                                                    non-opt-in family on, opt-in off */
  const ksmc_allowlist_entry *labels_allow;      /* patterns for this resource or NULL */
  const ksmc_allowlist_entry *annotations_allow; /* patterns for this resource or NULL */
  size_t max_object_bytes;                       /* 0: no limit */
} ksmc_render_opts;

struct ksmc_render_ctx {
  ksmc_render_opts opts;
  /* Result of the last successful render. */
  ksmc_buf out;      /* every family's lines, concatenated in family order */
  uint32_t *fam_end; /* kind->nfamilies end offsets into out */
  ksmc_buf uid;      /* decoded metadata.uid */
  ksmc_buf name;     /* decoded metadata.name */
  ksmc_buf ns;       /* decoded metadata.namespace ("" for cluster-scoped kinds) */
  ksmc_buf rv;       /* decoded metadata.resourceVersion */
  char err[256];     /* human-readable detail of the last error (with byte offset) */
  size_t err_offset; /* byte offset of that error within the object */
  unsigned warnings; /* non-fatal problems in the last object (bad timestamp, ...) */
  char warn[256];    /* the first of them */
  /* Working memory, private to the runtime and generated code. */
  bool *enabled; /* per family: rendered or not (copy of opts or the defaults) */
  jsmntok_t *tok;
  unsigned ntok_cap;
  unsigned ntok;
  const char *json;
  size_t json_len;
  ksmc_buf prefix;  /* `{` + default labels of the current object */
  ksmc_buf scratch; /* decoded strings for computations */
  ksmc_buf scratch2;
  ksmc_buf scratch3; /* private to ksmc_fn_sanitize/concat: their input may be in slot 0/1 */
  ksmc_kv *kv;       /* map entries for dynamic labels */
  size_t kv_cap;
  void *arena; /* per-object views of array items (generated code) */
  size_t arena_cap;
  size_t arena_used;
  size_t sample_mark;         /* start of the sample being written */
  bool sample_drop;           /* the sample being written must be discarded */
  bool scan_failed;           /* the document is malformed (ctx->err says where) */
  int family;                 /* family being rendered */
  struct ksmc_cron_ctx *cron; /* zone cache of cron_next()/cron_valid(), made on first use */
  bool prefix_render;         /* ksmc_render_object_prefix is running */
  size_t prefix_end;          /* where its root object ended */
  size_t nspans;              /* its skipped containers (see there) */
  ksmc_skip_span spans[KSMC_RENDER_SPANS];
  char ts_last[20];    /* the last 20-byte timestamp parsed (a pod repeats its times) */
  int64_t ts_last_sec; /* and its value, valid when ts_last_ok */
  bool ts_last_ok;
};

/* Prepares ctx for objects of opts->kind. Returns KSMC_OK or KSMC_E_NOMEM. */
int ksmc_render_ctx_init(ksmc_render_ctx *ctx, const ksmc_render_opts *opts);

/* Frees everything ctx owns. */
void ksmc_render_ctx_free(ksmc_render_ctx *ctx);

/* Renders one object given as JSON (an object of ctx's kind; "kind" may be absent, as in
 * list items). Returns KSMC_OK, or an error code with ctx->err naming the problem and
 * byte offset; on error ctx->out is empty. Never reads outside json[0..len). */
int ksmc_render_object(ksmc_render_ctx *ctx, const char *json, size_t len);

/* Renders the object that starts at json[0] and closes somewhere in json[0..avail) (the
 * bytes after it, such as the rest of a watch event, are not part of it): for rendering a
 * watch event's object before the event is framed. On KSMC_OK, *end is the offset just
 * past the object's close and ctx holds exactly what ksmc_render_object(ctx, json, *end)
 * would have left (out, fam_end, uid, name, ns, rv, warnings), and ctx->spans[0..nspans)
 * are containers of at least KSMC_RENDER_SPAN_MIN bytes the walkers passed over, in the
 * order met (at most KSMC_RENDER_SPANS), each skipped strictly (ksmc_skip_span: a
 * backslash outside a string in one fails the render). Any other result says nothing
 * about the object (the backslash above, a limit, malformed JSON...): render it with
 * ksmc_render_object instead. opts.max_object_bytes applies to avail. */
int ksmc_render_object_prefix(ksmc_render_ctx *ctx, const char *json, size_t avail, size_t *end);

/* Start offset of family i in ctx->out. */
static inline uint32_t ksmc_render_fam_start(const ksmc_render_ctx *ctx, size_t i) {
  return i ? ctx->fam_end[i - 1] : 0;
}

/* Fills flags[kind->nfamilies] with the default selection: every family on except opt-in. */
void ksmc_family_defaults(const ksmc_kind_desc *kind, bool *flags);

#endif
