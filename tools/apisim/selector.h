/* selector: label selectors (=, ==, !=, in, notin, exists, !) and field selectors
 * (=, ==, != over the fields a kind supports). */
#ifndef APISIM_SELECTOR_H
#define APISIM_SELECTOR_H

#include "object.h"

enum { SEL_EQ, SEL_NE, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOTEXISTS };

typedef struct {
  int op;
  char *key; /* label key, or field index as text for field reqs */
  int field; /* field index for field selectors */
  char **vals;
  size_t nvals;
} sel_req;

typedef struct {
  sel_req *reqs;
  size_t n;
} selector;

/* Returns NULL on success or an error message (static or written into err). */
const char *label_selector_parse(selector *s, const char *text, char *err, size_t errn);
const char *field_selector_parse(selector *s, int kind, const char *text, char *err, size_t errn);
bool label_selector_match(const selector *s, const obj *o);
bool field_selector_match(const selector *s, const obj *o);
void selector_free(selector *s);

#endif
