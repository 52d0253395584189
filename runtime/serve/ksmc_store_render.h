/* ksmc_store_render: feeding a store from a render context (kept apart from ksmc_store.h
 * so that the store does not depend on the JSON parser's header). */
#ifndef KSMC_STORE_RENDER_H
#define KSMC_STORE_RENDER_H

#include "ksmc_render.h"
#include "ksmc_store.h"

/* ksmc_store_upsert with the result of a successful ksmc_render_object. */
static inline int ksmc_store_upsert_rendered(ksmc_store *s, const ksmc_render_ctx *ctx) {
  return ksmc_store_upsert(s, ctx->uid.p, ctx->uid.n, ctx->out.p, ctx->out.n, ctx->fam_end);
}

/* ksmc_store_relist_add with the result of a successful ksmc_render_object. */
static inline int ksmc_store_relist_add_rendered(ksmc_store *s, const ksmc_render_ctx *ctx) {
  return ksmc_store_relist_add(s, ctx->uid.p, ctx->uid.n, ctx->out.p, ctx->out.n, ctx->fam_end);
}

#endif
