/* ksmc_relay: a sink that hands list items to a second thread.
 *
 * During a LIST the ingest thread inflates, frames and renders every item in sequence, so
 * the initial sync costs the sum of the two. A relay wraps the exporter's sink: list items
 * (and whatever follows them while they are still queued) are copied into a bounded queue
 * and applied to the wrapped sink by the relay's own thread, in the order the ingest
 * thread produced them, while the ingest thread already reads the next bytes. When the
 * queue is empty and the relay thread idle, calls (watch events, list_begin/list_end) are
 * applied at once on the calling thread: no thread hop and no wake-up per watch event.
 * Rendering a watch event ahead of its framing (ksmc_sink.prerender, when the wrapped
 * sink has it) is passed through only then, so that the event's object_prerendered call
 * is applied on the calling thread too; while list items are queued the relay declines
 * it (returns 0) and a prerendered object queued behind them becomes a plain object().
 *
 * The wrapped sink therefore runs on either thread, never on both at once, and sees the
 * calls exactly in order. The queue holds at most KSMC_RELAY_SLOTS calls; a full queue
 * blocks the ingest thread (back-pressure: the socket then waits, as it would while
 * rendering). Memory: one reusable buffer per slot (~ the largest object it has held;
 * shrunk after objects over 1 MiB). */
#ifndef KSMC_RELAY_H
#define KSMC_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "ksmc_reflector.h"

#define KSMC_RELAY_SLOTS 32

typedef struct ksmc_relay ksmc_relay;

/* Creates a relay applying calls to `inner` and starts its thread. NULL when out of
 * memory or the thread cannot start. */
ksmc_relay *ksmc_relay_new(const ksmc_sink *inner);

/* The sink to give the ingest (ksmc_ingest_opts.sink). Its calls must all come from one
 * thread at a time (the ingest thread). */
ksmc_sink ksmc_relay_sink(ksmc_relay *r);

/* True when nothing is queued: every call made to the relay's sink so far has been
 * applied to the wrapped sink, except one being applied inline on the calling thread
 * right now (a caller that observes the effects of a sink call it made, such as the
 * ingest's synced flag set after list_end returned, knows that call was applied).
 * False while list items wait. Any thread. */
bool ksmc_relay_caught_up(ksmc_relay *r);

/* Applies what is still queued, stops the thread and frees the relay. The producer must
 * have stopped calling the sink. NULL is a no-op. */
void ksmc_relay_free(ksmc_relay *r);

#endif
