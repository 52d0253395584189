/* diag: compiler diagnostics, GCC style: `file:line:col: error: message`.
 *
 * Every phase reports into one ksmc_diag; errors are collected (not fatal) so a spec
 * author sees all of them at once, and the driver stops before the next phase when
 * ksmc_diag_errors() is non-zero. */
#ifndef KSMC_GEN_DIAG_H
#define KSMC_GEN_DIAG_H

#include <stdarg.h>
#include <stdio.h>

/* A position in a source file; line and col are 1-based (0 = unknown). */
typedef struct {
  const char *file;
  int line;
  int col;
} ksmc_pos;

typedef struct {
  FILE *out;    /* where messages go (stderr in the CLI, a memstream in tests) */
  int errors;   /* number of errors reported */
  int warnings; /* number of warnings reported */
} ksmc_diag;

/* Reports an error at pos. */
__attribute__((format(printf, 3, 4))) void ksmc_error(ksmc_diag *d, ksmc_pos pos, const char *fmt,
                                                      ...);

/* Reports a note (attached to the previous error, e.g. "first defined here"). */
__attribute__((format(printf, 3, 4))) void ksmc_note(ksmc_diag *d, ksmc_pos pos, const char *fmt,
                                                     ...);

/* Reports a warning. */
__attribute__((format(printf, 3, 4))) void ksmc_warning(ksmc_diag *d, ksmc_pos pos, const char *fmt,
                                                        ...);

static inline int ksmc_diag_errors(const ksmc_diag *d) { return d->errors; }

/* The candidate closest to `word` by edit distance, or NULL when none is close enough to
 * be a plausible typo. Used for "did you mean" hints. */
const char *ksmc_did_you_mean(const char *word, const char *const *candidates, int n);

#endif
