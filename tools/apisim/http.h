/* http: the libmicrohttpd daemon (one thread per connection, so watch streams may block),
 * per-request state, Status responses, gzip, and a segment-list response builder that
 * serves pre-serialized objects without copying them. */
#ifndef APISIM_HTTP_H
#define APISIM_HTTP_H

#include "apisim.h"
#include <microhttpd.h>
#include <time.h>

typedef struct req {
  apisim *sim;
  struct MHD_Connection *c;
  char method[16];
  char *url;   /* path */
  char *query; /* for logging */
  ksmc_buf body;
  struct timespec t0;
  int status;
  atomic_ullong bytes;
  bool streaming;
  bool handled;
  char rv_header[32]; /* if set: X-Apisim-Resource-Version on the response */
  bool list;          /* a LIST of an API resource: list_cut/gzip_corrupt faults apply */
  unsigned gen;       /* sim->restart_gen when the request arrived */
} req;

const char *req_arg(req *r, const char *name);
const char *req_header(req *r, const char *name);
bool req_gzip_ok(req *r);

/* Queues a response; takes ownership of the malloc'd body. */
enum MHD_Result send_body(req *r, int code, const char *ctype, ksmc_buf *body);
enum MHD_Result send_status(req *r, int code, const char *reason, const char *message);
enum MHD_Result send_status_details(req *r, int code, const char *reason, const char *message,
                                    const char *details_json);
void http_add_std_headers(struct MHD_Response *resp, const char *ctype);

/* Segment list response builder. */
typedef struct {
  const char *p; /* NULL: arena segment at off */
  size_t off, n;
} rb_seg;

typedef struct {
  ksmc_buf arena;
  rb_seg *segs;
  size_t nseg, cap;
  obj **refs;
  size_t nref, refcap;
  size_t total;
} rbuilder;

void rb_lit(rbuilder *rb, const void *p, size_t n);
void rb_str(rbuilder *rb, const char *s);
void rb_fmt(rbuilder *rb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* References bytes that stay alive while `hold` is referenced (the builder takes a ref). */
void rb_ext(rbuilder *rb, obj *hold, const char *p, size_t n);
enum MHD_Result rb_send(req *r, rbuilder *rb, int code, const char *ctype);
void rb_free(rbuilder *rb);

int http_start(apisim *sim);
void http_stop(apisim *sim);

/* handlers */
enum MHD_Result handle_discovery(req *r, const char *path);
/* 200 with the APIResourceList of group/version ("" for the core group). */
enum MHD_Result send_resource_list(req *r, const char *group, const char *version);
enum MHD_Result handle_openapi(req *r, const char *path);
enum MHD_Result handle_list(req *r, int kind, const char *ns);
/* name: watch of one object by path (legacy /watch/.../NAME or .../NAME?watch=1) */
enum MHD_Result handle_watch(req *r, int kind, const char *ns, const char *name);
enum MHD_Result handle_get(req *r, int kind, const char *ns, const char *name);
enum MHD_Result handle_create(req *r, int kind, const char *ns);
enum MHD_Result handle_update(req *r, int kind, const char *ns, const char *name);
enum MHD_Result handle_patch(req *r, int kind, const char *ns, const char *name);
enum MHD_Result handle_delete(req *r, int kind, const char *ns, const char *name);
enum MHD_Result handle_control(req *r, const char *path);

/* Accept negotiation for list/get/watch output. */
enum { OUT_JSON, OUT_TABLE, OUT_PARTIAL };
int req_output(req *r);
/* Appends a Table row for o (cells + object per includeObject). */
void table_row(rbuilder *rb, req *r, obj *o, uint64_t rv_override, time_t now);

#endif
