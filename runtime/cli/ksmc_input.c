/* ksmc_input: top-level JSON values and List items of an input document. */
#include "ksmc_input.h"

#include <string.h>

/* End of the JSON string starting at doc[i] == '"' (index after the closing quote), or
 * len when unterminated. */
static size_t skip_string(const char *doc, size_t len, size_t i) {
  for (i++; i < len; i++) {
    if (doc[i] == '\\')
      i++;
    else if (doc[i] == '"')
      return i + 1;
  }
  return len;
}

/* End of the JSON value starting at doc[i] ('{' or '['), by bracket matching; 0 when the
 * brackets never balance or the value's last closer is not of its opener's kind (`{...]`;
 * mismatches inside are left to the JSON parser that reads the value). */
static size_t skip_value(const char *doc, size_t len, size_t i) {
  char close = doc[i] == '{' ? '}' : ']';
  size_t depth = 0;
  while (i < len) {
    char c = doc[i];
    if (c == '"') {
      i = skip_string(doc, len, i);
      continue;
    }
    if (c == '{' || c == '[') depth++;
    if (c == '}' || c == ']') {
      if (depth == 0) return 0;
      if (--depth == 0) return c == close ? i + 1 : 0;
    }
    i++;
  }
  return 0;
}

static size_t skip_ws(const char *doc, size_t len, size_t i) {
  while (i < len && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r')) i++;
  return i;
}

/* If the object [start, end) has a top-level "items" array, returns the offset of its
 * '[' (else 0). Only keys at depth 1 are looked at. */
static size_t find_items(const char *doc, size_t start, size_t end) {
  size_t i = start + 1;
  while (i < end) {
    i = skip_ws(doc, end, i);
    if (i >= end || doc[i] != '"') return 0;
    size_t key_end = skip_string(doc, end, i);
    bool is_items = key_end - i == 7 && memcmp(doc + i, "\"items\"", 7) == 0;
    i = skip_ws(doc, end, key_end);
    if (i >= end || doc[i] != ':') return 0;
    i = skip_ws(doc, end, i + 1);
    if (is_items && i < end && doc[i] == '[') return i;
    if (i < end && (doc[i] == '{' || doc[i] == '[')) {
      size_t e = skip_value(doc, end, i);
      if (!e) return 0;
      i = e;
    } else if (i < end && doc[i] == '"') {
      i = skip_string(doc, end, i);
    } else {
      while (i < end && doc[i] != ',' && doc[i] != '}') i++;
    }
    i = skip_ws(doc, end, i);
    if (i < end && doc[i] == ',') i++;
  }
  return 0;
}

/* Reports each element of the items array at doc[arr] ('['). */
static int walk_items(const char *doc, size_t end, size_t arr, ksmc_object_fn on_object,
                      ksmc_input_error_fn on_error, void *user) {
  size_t i = skip_ws(doc, end, arr + 1);
  int errors = 0;
  while (i < end && doc[i] != ']') {
    if (doc[i] != '{') {
      on_error(user, i, "List item is not an object");
      return errors + 1;
    }
    size_t e = skip_value(doc, end, i);
    if (!e) {
      on_error(user, i, "unterminated List item");
      return errors + 1;
    }
    on_object(user, doc, i, e - i);
    i = skip_ws(doc, end, e);
    if (i < end && doc[i] == ',') i = skip_ws(doc, end, i + 1);
  }
  return errors;
}

static size_t next_line(const char *doc, size_t len, size_t i) {
  const char *nl = memchr(doc + i, '\n', len - i);
  return nl ? (size_t)(nl - doc) + 1 : len;
}

int ksmc_input_objects(const char *doc, size_t len, ksmc_object_fn on_object,
                       ksmc_input_error_fn on_error, void *user) {
  int errors = 0;
  size_t i = skip_ws(doc, len, 0);
  while (i < len) {
    if (doc[i] != '{') {
      on_error(user, i, "expected a JSON object");
      errors++;
      i = skip_ws(doc, len, next_line(doc, len, i));
      continue;
    }
    size_t e = skip_value(doc, len, i);
    if (!e) {
      on_error(user, i, "unterminated JSON object");
      errors++;
      i = skip_ws(doc, len, next_line(doc, len, i));
      continue;
    }
    size_t items = find_items(doc, i, e);
    if (items)
      errors += walk_items(doc, e, items, on_object, on_error, user);
    else
      on_object(user, doc, i, e - i);
    i = skip_ws(doc, len, e);
  }
  return errors;
}
