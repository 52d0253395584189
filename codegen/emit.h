/* emit: the C emitter. Turns a checked spec into generated/<name>.c and .h, and the list
 * of specs into generated/ksmc_registry.c. Output is deterministic: the same spec gives
 * the same bytes (no dates, no versions, no absolute paths). */
#ifndef KSMC_GEN_EMIT_H
#define KSMC_GEN_EMIT_H

#include <stdio.h>

#include "spec.h"

/* Writes the serializer of spec s. `name` is the C name of the kind ("pod") and
 * `display` the spec path printed in banners and comments ("specs/pod.yaml"). */
void emit_kind_c(const spec *s, const char *name, const char *display, FILE *out);

/* Writes the header declaring ksmc_gen_<name>_kind. */
void emit_kind_h(const spec *s, const char *name, const char *display, FILE *out);

/* Writes the registry of every kind (names[i] belongs to specs[i]). */
void emit_registry(const spec *const *specs, const char *const *names, size_t n, FILE *out);

#endif
