#include "ytree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Parser state: libyaml parser plus where errors go. */
typedef struct {
  yaml_parser_t parser;
  const char *file;
  ksmc_diag *diag;
  bool failed;
} yt_ctx;

static ksmc_pos mark_pos(const yt_ctx *c, yaml_mark_t m) {
  return (ksmc_pos){c->file, (int)m.line + 1, (int)m.column + 1};
}

static bool next_event(yt_ctx *c, yaml_event_t *ev) {
  if (c->failed) return false;
  if (yaml_parser_parse(&c->parser, ev)) return true;
  ksmc_pos pos = mark_pos(c, c->parser.problem_mark);
  ksmc_error(c->diag, pos, "invalid YAML: %s%s%s", c->parser.problem ? c->parser.problem : "",
             c->parser.context ? " " : "", c->parser.context ? c->parser.context : "");
  c->failed = true;
  return false;
}

static yt_node *new_node(yt_type type, ksmc_pos pos) {
  yt_node *n = calloc(1, sizeof *n);
  if (!n) abort();
  n->type = type;
  n->pos = pos;
  return n;
}

static yt_node *parse_node(yt_ctx *c, yaml_event_t *ev);

static bool reject_extras(yt_ctx *c, ksmc_pos pos, const yaml_char_t *anchor,
                          const yaml_char_t *tag, bool implicit) {
  if (anchor) {
    ksmc_error(c->diag, pos, "anchors are not supported in specs");
    return false;
  }
  if (tag && !implicit) {
    ksmc_error(c->diag, pos, "tags are not supported in specs");
    return false;
  }
  return true;
}

static yt_node *parse_scalar(yt_ctx *c, yaml_event_t *ev) {
  ksmc_pos pos = mark_pos(c, ev->start_mark);
  yaml_scalar_style_t style = ev->data.scalar.style;
  if (!reject_extras(c, pos, ev->data.scalar.anchor, ev->data.scalar.tag,
                     ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit))
    c->failed = true;
  yt_node *n = new_node(YT_SCALAR, pos);
  n->len = ev->data.scalar.length;
  n->str = malloc(n->len + 1);
  if (!n->str) abort();
  memcpy(n->str, ev->data.scalar.value, n->len);
  n->str[n->len] = '\0';
  n->quoted = style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  n->style_offset = n->quoted ? 1 : 0;
  return n;
}

static void push_pair(yt_node *m, yt_node *k, yt_node *v) {
  yt_pair *p = realloc(m->pairs, (m->npairs + 1) * sizeof *p);
  if (!p) abort();
  m->pairs = p;
  m->pairs[m->npairs++] = (yt_pair){k, v};
}

static void push_item(yt_node *s, yt_node *v) {
  yt_node **p = realloc(s->items, (s->nitems + 1) * sizeof *p);
  if (!p) abort();
  s->items = p;
  s->items[s->nitems++] = v;
}

static yt_node *parse_mapping(yt_ctx *c, yaml_event_t *start) {
  yt_node *m = new_node(YT_MAP, mark_pos(c, start->start_mark));
  if (!reject_extras(c, m->pos, start->data.mapping_start.anchor, start->data.mapping_start.tag,
                     start->data.mapping_start.implicit))
    c->failed = true;
  for (;;) {
    yaml_event_t ev;
    if (!next_event(c, &ev)) break;
    if (ev.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    yt_node *k = parse_node(c, &ev);
    yaml_event_delete(&ev);
    if (!k) break;
    if (k->type != YT_SCALAR) {
      ksmc_error(c->diag, k->pos, "mapping keys must be plain scalars");
      c->failed = true;
    }
    if (!next_event(c, &ev)) {
      yt_free(k);
      break;
    }
    yt_node *v = parse_node(c, &ev);
    yaml_event_delete(&ev);
    if (!v) {
      yt_free(k);
      break;
    }
    push_pair(m, k, v);
  }
  return m;
}

static yt_node *parse_sequence(yt_ctx *c, yaml_event_t *start) {
  yt_node *s = new_node(YT_SEQ, mark_pos(c, start->start_mark));
  if (!reject_extras(c, s->pos, start->data.sequence_start.anchor, start->data.sequence_start.tag,
                     start->data.sequence_start.implicit))
    c->failed = true;
  for (;;) {
    yaml_event_t ev;
    if (!next_event(c, &ev)) break;
    if (ev.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    yt_node *v = parse_node(c, &ev);
    yaml_event_delete(&ev);
    if (!v) break;
    push_item(s, v);
  }
  return s;
}

static yt_node *parse_node(yt_ctx *c, yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    return parse_scalar(c, ev);
  case YAML_MAPPING_START_EVENT:
    return parse_mapping(c, ev);
  case YAML_SEQUENCE_START_EVENT:
    return parse_sequence(c, ev);
  case YAML_ALIAS_EVENT:
    ksmc_error(c->diag, mark_pos(c, ev->start_mark), "aliases are not supported in specs");
    c->failed = true;
    return NULL;
  default:
    if (!c->failed) ksmc_error(c->diag, mark_pos(c, ev->start_mark), "unexpected YAML structure");
    c->failed = true;
    return NULL;
  }
}

/* Reads events up to the first document's root node. */
static yt_node *parse_document(yt_ctx *c) {
  yt_node *root = NULL;
  yaml_event_t ev;
  while (!root && next_event(c, &ev)) {
    yaml_event_type_t t = ev.type;
    if (t == YAML_SCALAR_EVENT || t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT ||
        t == YAML_ALIAS_EVENT) {
      root = parse_node(c, &ev);
      if (!root) c->failed = true;
    }
    yaml_event_delete(&ev);
    if (t == YAML_STREAM_END_EVENT) break;
  }
  return root;
}

yt_node *yt_parse(const char *file, const char *text, size_t len, ksmc_diag *d) {
  yt_ctx c = {.file = file, .diag = d};
  if (!yaml_parser_initialize(&c.parser)) abort();
  yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);
  yt_node *root = parse_document(&c);
  if (!c.failed && !root) {
    ksmc_error(d, (ksmc_pos){file, 1, 1}, "empty spec");
    c.failed = true;
  }
  yaml_parser_delete(&c.parser);
  if (c.failed) {
    yt_free(root);
    return NULL;
  }
  return root;
}

yt_node *yt_parse_file(const char *file, ksmc_diag *d) {
  FILE *f = fopen(file, "rb");
  if (!f) {
    ksmc_error(d, (ksmc_pos){file, 0, 0}, "cannot open: %m");
    return NULL;
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (cap - len < 65536) {
      cap = cap ? cap * 2 : 65536;
      char *p = realloc(buf, cap);
      if (!p) abort();
      buf = p;
    }
    size_t r = fread(buf + len, 1, cap - len, f);
    len += r;
    if (r == 0) break;
  }
  fclose(f);
  yt_node *root = yt_parse(file, buf, len, d);
  free(buf);
  return root;
}

void yt_free(yt_node *n) {
  if (!n) return;
  free(n->str);
  for (size_t i = 0; i < n->npairs; i++) {
    yt_free(n->pairs[i].key);
    yt_free(n->pairs[i].value);
  }
  free(n->pairs);
  for (size_t i = 0; i < n->nitems; i++) yt_free(n->items[i]);
  free(n->items);
  free(n);
}

yt_node *yt_get(const yt_node *map, const char *key) {
  if (!map || map->type != YT_MAP) return NULL;
  for (size_t i = 0; i < map->npairs; i++)
    if (strcmp(map->pairs[i].key->str ? map->pairs[i].key->str : "", key) == 0)
      return map->pairs[i].value;
  return NULL;
}

const char *yt_type_name(yt_type t) {
  switch (t) {
  case YT_SCALAR:
    return "a scalar";
  case YT_MAP:
    return "a mapping";
  case YT_SEQ:
    return "a sequence";
  }
  return "?";
}
