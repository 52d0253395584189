/* ytree: a YAML document as a tree whose every node remembers file, line and column.
 *
 * libyaml's events are turned into nodes once; marks become 1-based here and nowhere
 * else. Mappings keep their entries in document order (duplicates included, so the
 * checker can report them). Anchors, aliases and tags are rejected: specs are plain. */
#ifndef KSMC_GEN_YTREE_H
#define KSMC_GEN_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef enum { YT_SCALAR, YT_MAP, YT_SEQ } yt_type;

typedef struct yt_node yt_node;

typedef struct {
  yt_node *key; /* always a scalar */
  yt_node *value;
} yt_pair;

struct yt_node {
  yt_type type;
  ksmc_pos pos;
  /* scalar */
  char *str;
  size_t len;
  bool quoted;      /* single- or double-quoted scalar: never a number/bool/null */
  int style_offset; /* columns between pos.col and the scalar's first content byte */
  /* map */
  yt_pair *pairs;
  size_t npairs;
  /* sequence */
  yt_node **items;
  size_t nitems;
};

/* Parses the YAML text (one document) from `text` (len bytes), reporting syntax errors
 * at their position in `file`. Returns the root node or NULL on error. */
yt_node *yt_parse(const char *file, const char *text, size_t len, ksmc_diag *d);

/* Reads and parses a file. */
yt_node *yt_parse_file(const char *file, ksmc_diag *d);

void yt_free(yt_node *n);

/* The value for `key` in a mapping, or NULL. */
yt_node *yt_get(const yt_node *map, const char *key);

/* Human name of a node type ("a scalar", "a mapping", "a sequence"). */
const char *yt_type_name(yt_type t);

#endif
