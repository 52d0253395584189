/* emit_view: view structs and the walkers that fill them in one pass over the tokens.
 *
 * For each view: a struct with one `int` token slot per read field and one ksmc_items
 * per iterated collection; an init function setting every slot to -1 (absent); per trie
 * node with children, a key matcher (switch on length + memcmp, escaped keys decoded as
 * a fallback) and a walker that stores slots, descends, and skips everything else. */
#include <string.h>

#include "emit_internal.h"

static void emit_struct_fields(FILE *out, const vnode *n) {
  if (n->key && n->leaf) fprintf(out, "  int %s;\n", n->cname);
  if (n->iter) fprintf(out, "  ksmc_items %s_items;\n", n->cname);
  for (size_t i = 0; i < n->nkids; i++) emit_struct_fields(out, n->kids[i]);
}

static void emit_init_fields(FILE *out, const vnode *n) {
  if (n->key && n->leaf) fprintf(out, "  o->%s = -1;\n", n->cname);
  for (size_t i = 0; i < n->nkids; i++) emit_init_fields(out, n->kids[i]);
}

static void emit_struct(FILE *out, const view *v) {
  sb t = {0};
  view_type(&t, v);
  if (v->id == 0)
    fprintf(out, "/* The fields of an object that its families read. */\n");
  else
    fprintf(out, "/* The fields read from each %s of %s. */\n", v->is_map ? "entry" : "item",
            v->schema_path);
  fprintf(out, "typedef struct {\n");
  if (v->id) fprintf(out, "  int _self;\n");
  if (v->is_map) fprintf(out, "  int _key;\n");
  emit_struct_fields(out, &v->root);
  if (v->id == 0 && v->root.nkids == 0) fprintf(out, "  int _unused;\n");
  fprintf(out, "} %s;\n\n", sb_str(&t));
  fprintf(out, "static void init_%s(%s *o) {\n", v->cname, sb_str(&t));
  fprintf(out, "  memset(o, 0, sizeof *o);\n");
  if (v->id) fprintf(out, "  o->_self = -1;\n");
  if (v->is_map) fprintf(out, "  o->_key = -1;\n");
  emit_init_fields(out, &v->root);
  if (v->id == 0 && v->root.nkids == 0) fprintf(out, "  o->_unused = -1;\n");
  fprintf(out, "}\n\n");
  sb_free(&t);
}

/* Name of the walker/matcher of trie node n in view v. */
static void node_fn(sb *b, const view *v, const vnode *n) {
  sb_printf(b, "%s%s%s", v->cname, n->cname ? "_" : "", n->cname ? n->cname : "");
}

static void emit_prototypes(FILE *out, const view *v, const vnode *n) {
  if (n->nkids) {
    sb name = {0}, t = {0};
    node_fn(&name, v, n);
    view_type(&t, v);
    fprintf(out, "static size_t walk_%s(ksmc_render_ctx *ctx, size_t p, %s *o);\n", sb_str(&name),
            sb_str(&t));
    sb_free(&name);
    sb_free(&t);
  }
  for (size_t i = 0; i < n->nkids; i++) emit_prototypes(out, v, n->kids[i]);
}

/* Sorts child indexes by key length so the matcher's switch groups them. */
static int key_len_cmp(const vnode *a, const vnode *b) {
  size_t la = strlen(a->key), lb = strlen(b->key);
  return la != lb ? (la < lb ? -1 : 1) : strcmp(a->key, b->key);
}

static void emit_matcher(FILE *out, const view *v, const vnode *n, const sb *name) {
  size_t order[256], k = n->nkids < 256 ? n->nkids : 256;
  for (size_t i = 0; i < k; i++) order[i] = i;
  for (size_t i = 1; i < k; i++) /* insertion sort, tiny */
    for (size_t j = i; j > 0 && key_len_cmp(n->kids[order[j]], n->kids[order[j - 1]]) < 0; j--) {
      size_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  fprintf(out, "static const ksmc_slice keys_%s[] = {", sb_str(name));
  for (size_t i = 0; i < n->nkids; i++) {
    sb lit = {0};
    sb_cstr(&lit, n->kids[i]->key, strlen(n->kids[i]->key));
    fprintf(out, "%s{\"%s\", %zu}", i ? ", " : "", sb_str(&lit), strlen(n->kids[i]->key));
    sb_free(&lit);
  }
  fprintf(out, "};\n\n");
  fprintf(out, "static int match_%s(ksmc_render_ctx *ctx, const ksmc_key *k) {\n", sb_str(name));
  fprintf(out, "  const char *p = ctx->json + k->start;\n");
  fprintf(out, "  switch (k->len) {\n");
  size_t prev = (size_t)-1;
  for (size_t i = 0; i < k; i++) {
    const vnode *c = n->kids[order[i]];
    size_t len = strlen(c->key);
    if (len != prev) fprintf(out, "%s  case %zu:\n", prev == (size_t)-1 ? "" : "    break;\n", len);
    prev = len;
    sb lit = {0};
    sb_cstr(&lit, c->key, len);
    fprintf(out, "    if (memcmp(p, \"%s\", %zu) == 0) return %zu;\n", sb_str(&lit), len, order[i]);
    sb_free(&lit);
  }
  if (k) fprintf(out, "    break;\n");
  /* Raw bytes without a backslash are the decoded key: only an escaped key is looked up. */
  fprintf(out, "  }\n  return k->esc ? ksmc_key_lookup(ctx, k, keys_%s, %zu) : -1;\n}\n\n",
          sb_str(name), n->nkids);
  (void)v;
}

/* The statements for child c, whose value starts at q: keep its token (leaf), walk its
 * items (iterated) and/or its fields (kids); q ends after the value. A kept value that is
 * also walked gets its token from the walk's end (not skipped once more to find it). */
static void emit_child_case(FILE *out, const view *v, const vnode *c) {
  if (!c->iter && !c->nkids) {
    if (c->leaf)
      fprintf(out, "      o->%s = ksmc_scan_leaf(ctx, &q);\n", c->cname);
    else
      fprintf(out, "      q = ksmc_skip_value(ctx, q);\n");
    return;
  }
  fprintf(out, "      {\n        size_t start = q;\n");
  if (c->iter)
    fprintf(out, "        q = walk_items_%s(ctx, start, &o->%s_items);\n",
            view_canonical(c->iter)->cname, c->cname);
  if (c->nkids) {
    sb name = {0};
    node_fn(&name, v, c);
    fprintf(out, "        q = walk_%s(ctx, start, o);\n", sb_str(&name));
    sb_free(&name);
  }
  if (c->leaf) fprintf(out, "        o->%s = ksmc_leaf_token(ctx, start, q);\n", c->cname);
  fprintf(out, "      }\n");
}

static void emit_walker(FILE *out, const view *v, const vnode *n) {
  for (size_t i = 0; i < n->nkids; i++) emit_walker(out, v, n->kids[i]);
  if (!n->nkids) return;
  sb name = {0}, t = {0};
  node_fn(&name, v, n);
  view_type(&t, v);
  emit_matcher(out, v, n, &name);
  fprintf(out, "static size_t walk_%s(ksmc_render_ctx *ctx, size_t p, %s *o) {\n", sb_str(&name),
          sb_str(&t));
  fprintf(out, "  size_t q = ksmc_obj_open(ctx, p);\n");
  fprintf(out, "  if (q == KSMC_NOT_THIS) return ksmc_skip_value(ctx, p);\n");
  fprintf(out, "  ksmc_key k;\n  while (ksmc_obj_key(ctx, &q, &k)) {\n");
  fprintf(out, "    switch (match_%s(ctx, &k)) {\n", sb_str(&name));
  for (size_t i = 0; i < n->nkids; i++) {
    fprintf(out, "    case %zu: /* %s */\n", i, n->kids[i]->key);
    emit_child_case(out, v, n->kids[i]);
    fprintf(out, "      break;\n");
  }
  fprintf(out, "    default: q = ksmc_skip_value(ctx, q);\n    }\n  }\n  return q;\n}\n\n");
  sb_free(&name);
  sb_free(&t);
}

/* walk_items_<view>: walks an array's elements (or a map's entries) once, appending each
 * one's view to an arena array that grows as needed (ksmc_items_push). */
static void emit_items_walker(FILE *out, const view *v) {
  sb t = {0}, root = {0};
  view_type(&t, v);
  node_fn(&root, v, &v->root);
  const char *kind = v->is_map ? "obj" : "arr";
  fprintf(out, "static size_t walk_items_%s(ksmc_render_ctx *ctx, size_t p, ksmc_items *out) {\n",
          v->cname);
  fprintf(out, "  size_t q = ksmc_%s_open(ctx, p);\n", kind);
  fprintf(out, "  if (q == KSMC_NOT_THIS) return ksmc_skip_value(ctx, p);\n");
  fprintf(out, "  out->items = NULL;\n  out->n = 0;\n  uint32_t cap = 0;\n");
  if (v->is_map)
    fprintf(out, "  ksmc_key k;\n  while (ksmc_obj_key(ctx, &q, &k)) {\n");
  else
    fprintf(out, "  while (ksmc_arr_next(ctx, &q)) {\n");
  fprintf(out, "    %s *item = ksmc_items_push(ctx, out, &cap, sizeof *item);\n", sb_str(&t));
  fprintf(out, "    if (!item) return ksmc_skip_value(ctx, p);\n");
  fprintf(out, "    init_%s(item);\n", v->cname);
  if (v->is_map) fprintf(out, "    item->_key = ksmc_key_token(ctx, &k);\n");
  if (v->root.leaf) {
    if (v->root.nkids) {
      fprintf(out, "    size_t start = q;\n");
      fprintf(out, "    q = walk_%s(ctx, start, item);\n", sb_str(&root));
      fprintf(out, "    item->_self = ksmc_leaf_token(ctx, start, q);\n");
    } else {
      fprintf(out, "    item->_self = ksmc_scan_leaf(ctx, &q);\n");
    }
  } else if (v->root.nkids) {
    fprintf(out, "    q = walk_%s(ctx, q, item);\n", sb_str(&root));
  } else {
    fprintf(out, "    q = ksmc_skip_value(ctx, q);\n");
  }
  fprintf(out, "  }\n  return q;\n}\n\n");
  sb_free(&t);
  sb_free(&root);
}

void emit_views(FILE *out, const spec *s) {
  /* A view merged into another (like: families) has no struct or walker of its own. */
  for (size_t i = 0; i < s->nviews; i++)
    if (!s->views[i]->same) emit_struct(out, s->views[i]);
  for (size_t i = 0; i < s->nviews; i++)
    if (!s->views[i]->same) emit_prototypes(out, s->views[i], &s->views[i]->root);
  for (size_t i = 1; i < s->nviews; i++)
    if (!s->views[i]->same)
      fprintf(out,
              "static size_t walk_items_%s(ksmc_render_ctx *ctx, size_t p, ksmc_items *out);\n",
              s->views[i]->cname);
  fprintf(out, "\n");
  for (size_t i = 0; i < s->nviews; i++)
    if (!s->views[i]->same) emit_walker(out, s->views[i], &s->views[i]->root);
  for (size_t i = 1; i < s->nviews; i++)
    if (!s->views[i]->same) emit_items_walker(out, s->views[i]);
}
