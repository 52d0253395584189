/* md_text: text inside Markdown tables, for the generated reference pages (docs_emit) and the
 * schema-diff report (diff_report), so both escape the same way. */
#ifndef KSMC_MD_TEXT_H
#define KSMC_MD_TEXT_H

#include <stdio.h>

/* Writes s as the text of one Markdown table cell, so that no character can end the cell or
 * start markup: & < > as HTML entities, | as &#124;, ` * [ \ backslash-escaped, and an
 * underscore escaped unless it stands inside a word (kube_pod_info stays as it is, since it
 * cannot start emphasis there). A CR is dropped; a LF is written as `newline` (a table row is
 * one line: "<br>" keeps the break, " " joins the lines). */
void md_cell(FILE *out, const char *s, const char *newline);

#endif
