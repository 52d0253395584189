/* spec_check: semantic checks of a parsed spec -- every path against the field schema,
 * every expression's type, loop variables and functions -- building the views the
 * emitter turns into walkers. Reports each problem at its file:line:col. */
#ifndef KSMC_GEN_SPEC_CHECK_H
#define KSMC_GEN_SPEC_CHECK_H

#include "spec.h"

/* Checks s against the schema. `resource` is the resource mapping (for positions). */
void spec_check(spec *s, const schema *sch, const yt_node *resource, ksmc_diag *d);

#endif
