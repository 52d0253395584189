/* synth: helpers shared by the synthetic-cluster generators (synth*.c). Each generator
 * draws from its own rng so adding objects of one kind changes no other object; these
 * helpers only turn draws into API-server-shaped values. */
#ifndef APISIM_SYNTH_H
#define APISIM_SYNTH_H

#include "json.h"
#include "rng.h"

#include <stdint.h>

/* FNV-1a offset basis: the start value of synth_fnv(). */
#define SYNTH_FNV_BASIS 1469598103934665603ull

/* Folds the bytes of s into the FNV-1a hash h and returns it (seed generators from names). */
uint64_t synth_fnv(uint64_t h, const char *s);
/* A generator seeded from the cluster seed and two names (FNV-1a of a then b, odd state). */
rng synth_rng_of(const char *a, const char *b, uint64_t seed);
/* A random version-4 UUID drawn from r (two draws), written to out. */
void synth_uid(rng *r, char out[40]);
/* The kind index of a built-in resource (plural); aborts if kinds.c lacks it, which is a
 * programming error in the generators. */
int synth_kind(const char *resource);
/* Writes "ownerReferences": [ one reference ] as the API server does, with controller and
 * blockOwnerDeletion true when `controller` (a controller's object) and absent otherwise. */
void synth_owner_ref(jw *w, const char *api_version, const char *kind, const char *name,
                     const char *uid, bool controller);

#endif
