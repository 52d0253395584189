/* ksmc_escape: the exposition format's escaping rules, in one place. */
#ifndef KSMC_ESCAPE_H
#define KSMC_ESCAPE_H

#include <stddef.h>

#include "ksmc_buf.h"

/* Appends s as the inside of a quoted label value, as prometheus/common's escapeString
 * does: `\` -> `\\`, LF -> `\n`, `"` -> `\"`; every other byte is copied unchanged. */
void ksmc_escape_label_value(ksmc_buf *b, const char *s, size_t n);

/* Appends s as HELP text for text format 0.0.4: `\` -> `\\`, LF -> `\n` only. */
void ksmc_escape_help(ksmc_buf *b, const char *s, size_t n);

/* Appends s as HELP text for OpenMetrics 1.0: `\` -> `\\`, LF -> `\n`, `"` -> `\"`. */
void ksmc_escape_help_openmetrics(ksmc_buf *b, const char *s, size_t n);

/* Decodes the raw bytes of a JSON string token (between the quotes, JSON escapes still in
 * place) exactly as Go's encoding/json does -- \uXXXX with surrogate pairs, lone or invalid
 * surrogates and every byte of invalid UTF-8 become U+FFFD -- and appends the decoded
 * string escaped as a label value (see ksmc_escape_label_value), in a single pass. Fast
 * path: input with no `\` and only ASCII or valid UTF-8 is copied unchanged. Escapes Go
 * would reject (bad hex, unknown letter, trailing `\`) never come out of a validating
 * tokenizer; they decode to U+FFFD here. `\'` decodes to `'` as in Go's unquote. */
void ksmc_escape_json_to_label_value(ksmc_buf *b, const char *raw, size_t n);

/* Appends the decoded (Go encoding/json semantics, as above) bytes of a raw JSON string,
 * with no exposition escaping. Used where the decoded string feeds a computation
 * (label-name sanitizing, comparisons, quantity parsing). */
void ksmc_json_unescape(ksmc_buf *b, const char *raw, size_t n);

/* True if the raw bytes of a JSON string decode to themselves: no `\` and only ASCII
 * (a string with bytes >= 0x80 may still decode unchanged; this says false for it). */
bool ksmc_json_is_plain(const char *raw, size_t n);

/* Bytes Go's utf8.DecodeRune consumes at s (n > 0 bytes left): 1 for an ASCII byte and
 * for a byte that does not start a valid UTF-8 sequence (RuneError, 1: overlong forms,
 * encoded surrogates, > U+10FFFF, truncated), else the 2..4 bytes of a valid rune. */
size_t ksmc_utf8_rune_len(const char *s, size_t n);

#endif
