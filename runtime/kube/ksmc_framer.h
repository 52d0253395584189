/* ksmc_framer: incremental parsers for the two response bodies of list+watch.
 *
 * Both are fed the body in whatever chunks the network delivers (any split, down to one
 * byte) and hand out complete JSON objects one at a time; neither ever holds more than
 * one event or one list item (plus the list's small metadata) in memory.
 *
 *  - The event framer reads a WATCH body: a stream of compact JSON objects
 *    {"type":"ADDED","object":{...}}, one per line, as the API server writes them. A
 *    newline inside an event means the event was cut (a malformed or truncated line): it
 *    is reported and framing resumes with the next line, so one bad line never swallows
 *    the events after it.
 *  - The list parser reads a LIST page {"kind":..,"metadata":{"resourceVersion":..,
 *    "continue":..},"items":[{...},...]} and streams items[] out one by one, capturing
 *    metadata.resourceVersion and metadata.continue whether metadata comes before or
 *    after items.
 *
 * Both enforce a maximum object size: a larger event or item is not buffered; it is
 * skipped to its end and reported through the error callback (KSMC_E_TOO_BIG). Both
 * keep their buffers across reset, so one parser per stream is reused for every
 * request. Callbacks return false to stop the feed (the feed function then returns
 * false). */
#ifndef KSMC_FRAMER_H
#define KSMC_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_buf.h"
#include "ksmc_skip.h"

#define KSMC_FRAMER_DEFAULT_MAX ((size_t)64 << 20)

/* Structural scanning state inside one JSON value (private). */
typedef struct {
  int depth;
  bool in_str;
  bool esc;
  bool lines; /* a raw newline anywhere inside the value is an error (watch streams) */
  char open;  /* the value's first byte, '{' or '[': its closing byte must match */
} ksmc_jnest;

typedef struct {
  void *user;
  /* One complete event. `type` is the unquoted type string; `object` the raw bytes of
   * the object member. Both point into the framer and are valid during the call only. */
  bool (*event)(void *user, ksmc_slice type, ksmc_slice object);
  /* An event that cannot be used: err is KSMC_E_TOO_BIG or KSMC_E_JSON; msg says why. */
  bool (*error)(void *user, int err, const char *msg);
  /* Optional (NULL: not used): the consumer renders an event's object before the framer
   * has found where the event ends, so that the containers the renderer passed over are
   * not scanned a second time (one scan instead of two of most of an event's bytes).
   * Called for an event with the API server's head {"type":"T","object":{ whose line ends
   * in the bytes being fed (its newline found): obj[0] is the object's `{`, obj[0..avail)
   * the rest of the line. Returns 0 (not rendered), or the offset just past the object's
   * close as the renderer saw it, with *spans the containers it passed over (offsets in
   * obj, each a strict skip: ksmc_skip_span). The framer then frames the event exactly as
   * without this callback, its strict scan reading only the bytes between the spans: when
   * that confirms the object is obj[0..returned offset) and the event closes right after
   * it, the event is handed to cb->event with ksmc_framer_prerendered() true during the
   * call. Any other outcome (a different end, an unsure scan, bytes after the object, an
   * oversized event) frames the event as usual and ksmc_framer_prerendered() stays false:
   * the consumer must then forget the render. */
  size_t (*prerender)(void *user, ksmc_slice type, const char *obj, size_t avail,
                      const ksmc_skip_span **spans, size_t *nspans);
} ksmc_framer_cb;

typedef struct {
  size_t max_event; /* largest event kept, bytes; 0 means KSMC_FRAMER_DEFAULT_MAX */
  /* private */
  ksmc_buf ev;
  ksmc_jnest nest;
  bool in_event;
  bool oversized;
  bool skip_line;
  bool fast;       /* the event is being block-scanned (else byte-wise by nest) */
  size_t obj_at;   /* offset of the object's `{` in the event when its head was matched */
  size_t obj_end;  /* offset just past the object once it closed */
  size_t type_len; /* length of the type string of a matched head */
  size_t event_bytes;
  bool prerendered;  /* the event being handed out is cb->prerender's, confirmed */
  ksmc_buf line;     /* with cb->prerender: the start of a line cut by a chunk, held */
  bool line_through; /* that line outgrew max_event: the rest of it is framed as it comes */
  char msg[160];
} ksmc_framer;

/* Prepares a framer; max_event 0 selects the default. */
void ksmc_framer_init(ksmc_framer *f, size_t max_event);

/* Forgets any partial event (a new stream starts); keeps the memory. */
void ksmc_framer_reset(ksmc_framer *f);

/* Feeds n bytes of the stream. Calls cb->event for every event completed by these bytes
 * and cb->error for oversized or malformed ones (after which framing resumes at the
 * next event; garbage between events is skipped up to the next newline). Returns false
 * as soon as a callback returns false. With cb->prerender, the bytes of a line the chunk
 * cuts are held until the line's newline arrives (or the line outgrows max_event) and
 * framed then, whole: the same events and errors in the same order, some a chunk later;
 * ksmc_framer_flush frames what is still held. Use the same cb for every feed. */
bool ksmc_framer_feed(ksmc_framer *f, const char *p, size_t n, const ksmc_framer_cb *cb);

/* The stream ended (before ksmc_framer_partial): frames the bytes still held (the end of
 * a stream without a final newline). Returns false if a callback did. */
bool ksmc_framer_flush(ksmc_framer *f, const ksmc_framer_cb *cb);

/* During cb->event: true if this event's object is the one cb->prerender rendered last
 * (the framing confirmed its end); false at any other time. */
bool ksmc_framer_prerendered(const ksmc_framer *f);

/* True if the stream so far ends inside an event (a truncated stream); bytes held by
 * ksmc_framer_feed count once ksmc_framer_flush framed them. */
bool ksmc_framer_partial(const ksmc_framer *f);

/* Frees the memory. */
void ksmc_framer_free(ksmc_framer *f);

typedef struct {
  void *user;
  /* One item of items[]: the raw object bytes, valid during the call only. */
  bool (*item)(void *user, const char *json, size_t len);
  /* An item that cannot be used (KSMC_E_TOO_BIG), or a malformed body (KSMC_E_JSON, after
   * which the parser stops: the page is unusable). */
  bool (*error)(void *user, int err, const char *msg);
} ksmc_list_cb;

typedef struct {
  size_t max_item; /* largest item kept, bytes; 0 means KSMC_FRAMER_DEFAULT_MAX */
  ksmc_buf rv;     /* metadata.resourceVersion (unquoted, NUL-terminated once seen) */
  ksmc_buf cont;   /* metadata.continue (unquoted, NUL-terminated; empty if none) */
  size_t items;    /* items delivered to cb->item on this page */
  bool has_items;  /* the top-level object has an "items" member (an array, or null) */
  char kind[64];   /* its top-level "kind" string, truncated (empty if none): for errors */
  /* private */
  int state;
  int ret_state;
  int capture;
  ksmc_jnest nest;
  char key[16];
  size_t keylen;
  bool in_kind; /* L_SKIPSTR is the "kind" value: copied into kind */
  size_t kindlen;
  ksmc_buf cap;
  bool oversized;
  size_t cap_bytes;
  bool failed;
  char msg[160];
} ksmc_list_parser;

/* Prepares a parser; max_item 0 selects the default. */
void ksmc_list_init(ksmc_list_parser *l, size_t max_item);

/* Starts a new page (clears rv, cont, items, has_items, kind, state); keeps the memory. */
void ksmc_list_reset(ksmc_list_parser *l);

/* Feeds n bytes of the page body. Returns false if a callback returned false or the body
 * is malformed (then cb->error was called with KSMC_E_JSON). */
bool ksmc_list_feed(ksmc_list_parser *l, const char *p, size_t n, const ksmc_list_cb *cb);

/* True once the whole top-level object has been read without error. Says nothing about
 * whether it was a list: see has_items and rv (a 200 answer that is some other object,
 * e.g. a discovery document from a wrong path, also parses completely). */
bool ksmc_list_complete(const ksmc_list_parser *l);

/* Frees the memory. */
void ksmc_list_free(ksmc_list_parser *l);

#endif
