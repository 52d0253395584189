/* ksmc_input: splitting offline input into objects for `ksmc render`.
 *
 * Accepted shapes, mixed freely in one file: a single object, a `*List` object (each of
 * its `items` is an object), or many top-level JSON values one after another (typically
 * one per line). */
#ifndef KSMC_INPUT_H
#define KSMC_INPUT_H

#include <stdbool.h>
#include <stddef.h>

/* Called for each object found: bytes [off, off+len) of the document. */
typedef void (*ksmc_object_fn)(void *user, const char *doc, size_t off, size_t len);

/* Called for each malformed part: a message and the byte offset where it starts. Scanning
 * resumes at the next line. */
typedef void (*ksmc_input_error_fn)(void *user, size_t off, const char *msg);

/* Walks every object of doc[0..len). Returns the number of errors reported. */
int ksmc_input_objects(const char *doc, size_t len, ksmc_object_fn on_object,
                       ksmc_input_error_fn on_error, void *user);

#endif
