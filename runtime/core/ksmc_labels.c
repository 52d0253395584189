/* ksmc_labels: KSM's dynamic label names, conflict renaming and label allowlists. */
#include "ksmc_labels.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksmc_escape.h"

static bool lab_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void ksmc_label_sanitize(ksmc_buf *b, const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (lab_word(c)) {
      ksmc_buf_putc(b, (char)c);
      i++;
    } else {
      ksmc_buf_putc(b, '_');
      i += ksmc_utf8_rune_len(s + i, n - i);
    }
  }
}

static bool lab_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

static bool lab_upper(char c) { return c >= 'A' && c <= 'Z'; }

void ksmc_label_dynamic_name(ksmc_buf *b, const char *prefix, const char *key, size_t n) {
  ksmc_buf_puts(b, (ksmc_slice){prefix, strlen(prefix)});
  ksmc_buf_putc(b, '_');
  size_t start = b->n;
  ksmc_label_sanitize(b, key, n);
  if (ksmc_buf_failed(b)) return;
  /* toSnakeCase: `_` between [a-z0-9] and [A-Z] (matches cannot overlap: the second char
   * of one can never start another), then ASCII lowercase; done back to front in place. */
  size_t end = b->n, extra = 0;
  for (size_t i = start; i + 1 < end; i++)
    extra += lab_lower_or_digit(b->p[i]) && lab_upper(b->p[i + 1]);
  if (!ksmc_buf_reserve(b, extra)) return;
  b->n = end + extra;
  for (size_t i = end, w = end + extra; i > start; i--) {
    char c = b->p[i - 1];
    b->p[--w] = lab_upper(c) ? (char)(c - 'A' + 'a') : c;
    if (lab_upper(c) && i - 1 > start && lab_lower_or_digit(b->p[i - 2])) b->p[--w] = '_';
  }
}

static int lab_cmp(ksmc_slice a, ksmc_slice b) {
  size_t m = a.n < b.n ? a.n : b.n;
  int c = m ? memcmp(a.p, b.p, m) : 0;
  if (c) return c;
  return a.n < b.n ? -1 : a.n > b.n;
}

/* Equal keys (a JSON map with a repeated key) are ordered by address, so that keys
 * decoded in document order into one buffer keep that order. */
static int lab_kv_cmp(const void *a, const void *b) {
  const ksmc_kv *x = a, *y = b;
  int c = lab_cmp(x->key, y->key);
  if (c) return c;
  return (uintptr_t)x->key.p < (uintptr_t)y->key.p ? -1 : (uintptr_t)x->key.p > (uintptr_t)y->key.p;
}

/* True if kv[i] is followed by the same key: a repeated map key, of which only the last
 * counts (Go's encoding/json fills a map key by key, so the last value wins). */
static bool lab_shadowed(const ksmc_kv *kv, size_t n, size_t i) {
  return i + 1 < n && lab_cmp(kv[i].key, kv[i + 1].key) == 0;
}

void ksmc_kv_sort(ksmc_kv *kv, size_t n) {
  if (n > 1) qsort(kv, n, sizeof *kv, lab_kv_cmp);
}

/* Per dynamic label: where its base name is in the scratch buffer, its conflict group
 * (index of the group's first label) and its _conflictN suffix (0: none). */
typedef struct {
  size_t off, len;
  size_t grp;
  unsigned long sfx;
  unsigned long last; /* on a group's first label: the highest N the group used */
} lab_meta;

/* A name as base + optional "_conflictN". */
typedef struct {
  const char *base;
  size_t blen;
  char sfx[32];
  size_t slen;
} lab_name;

static lab_name lab_compose(const char *scratch, const lab_meta *m, unsigned long sfx) {
  lab_name nm = {scratch + m->off, m->len, {0}, 0};
  if (sfx) nm.slen = (size_t)snprintf(nm.sfx, sizeof nm.sfx, "_conflict%lu", sfx);
  return nm;
}

static char lab_at(const lab_name *a, size_t i) {
  return i < a->blen ? a->base[i] : a->sfx[i - a->blen];
}

static bool lab_name_eq(const lab_name *a, const lab_name *b) {
  size_t n = a->blen + a->slen;
  if (n != b->blen + b->slen) return false;
  for (size_t i = 0; i < n; i++)
    if (lab_at(a, i) != lab_at(b, i)) return false;
  return true;
}

/* Hash sets over the labels named so far, so that resolving n labels costs O(n) rather
 * than O(n^2) (an object may carry tens of thousands of labels): `names` holds every
 * label's current name (base + suffix), `bases` the first label of every base name. A
 * slot is a label index + 1 (0: empty) and the suffix the label had when inserted; a
 * label renamed later leaves a stale slot, skipped because its suffix no longer
 * matches. */
typedef struct {
  const char *sc;
  lab_meta *m;
  size_t *name_idx, *base_idx;
  unsigned long *name_sfx;
  size_t mask;
} lab_sets;

static uint64_t lab_hash(const lab_name *a) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < a->blen + a->slen; i++)
    h = (h ^ (unsigned char)lab_at(a, i)) * 1099511628211ull;
  return h;
}

static void lab_name_add(lab_sets *t, size_t k) {
  lab_name nm = lab_compose(t->sc, &t->m[k], t->m[k].sfx);
  size_t at = (size_t)lab_hash(&nm) & t->mask;
  while (t->name_idx[at]) at = (at + 1) & t->mask;
  t->name_idx[at] = k + 1;
  t->name_sfx[at] = t->m[k].sfx;
}

/* True if the name of m[self] with suffix sfx is the current name of another label. */
static bool lab_taken(const lab_sets *t, size_t self, unsigned long sfx) {
  lab_name want = lab_compose(t->sc, &t->m[self], sfx);
  for (size_t at = (size_t)lab_hash(&want) & t->mask; t->name_idx[at]; at = (at + 1) & t->mask) {
    size_t k = t->name_idx[at] - 1;
    if (k == self || t->m[k].sfx != t->name_sfx[at]) continue;
    lab_name have = lab_compose(t->sc, &t->m[k], t->m[k].sfx);
    if (lab_name_eq(&want, &have)) return true;
  }
  return false;
}

static unsigned long lab_next_free(const lab_sets *t, size_t self, unsigned long sfx) {
  while (lab_taken(t, self, sfx)) sfx++;
  return sfx;
}

static bool lab_same_base(const char *scratch, const lab_meta *a, const lab_meta *b) {
  return a->len == b->len && memcmp(scratch + a->off, scratch + b->off, a->len) == 0;
}

/* The first label with the base name of m[i] (i itself if none), and i recorded as
 * such a first label when it is one. */
static size_t lab_first_of_base(lab_sets *t, size_t i) {
  lab_name nm = lab_compose(t->sc, &t->m[i], 0);
  size_t at = (size_t)lab_hash(&nm) & t->mask;
  for (; t->base_idx[at]; at = (at + 1) & t->mask)
    if (lab_same_base(t->sc, &t->m[t->base_idx[at] - 1], &t->m[i])) return t->base_idx[at] - 1;
  t->base_idx[at] = i + 1;
  return i;
}

/* KSM's mapToPrometheusLabels conflict rule for label i (labels 0..i-1 are named).
 * *renamed tells whether any earlier label has a suffix: base names of different groups
 * differ, so only a suffixed name can take a first label's base name. */
static void lab_resolve(lab_sets *t, size_t i, bool *renamed) {
  lab_meta *m = t->m;
  size_t j = lab_first_of_base(t, i);
  if (j == i) { /* first of its name; keep it unless another label already took it */
    m[i].grp = i;
    m[i].sfx = *renamed && lab_taken(t, i, 0) ? lab_next_free(t, i, 1) : 0;
    m[i].last = m[i].sfx;
    *renamed |= m[i].sfx != 0;
    lab_name_add(t, i);
    return;
  }
  *renamed = true;
  lab_meta *g = &m[m[j].grp];
  if (g->last == 0) { /* first conflict: rename the label already emitted */
    g->sfx = lab_next_free(t, (size_t)(g - m), 1);
    g->last = g->sfx;
    lab_name_add(t, (size_t)(g - m));
  }
  m[i].grp = g->grp;
  m[i].sfx = lab_next_free(t, i, g->last + 1);
  g->last = m[i].sfx;
  lab_name_add(t, i);
}

/* Lays out the meta table followed by every base name in scratch and resolves the
 * conflicts; NULL on allocation failure. */
static lab_meta *lab_build(ksmc_buf *scratch, const char *prefix, const ksmc_kv *kv, size_t n) {
  ksmc_buf_reset(scratch);
  size_t head = n * sizeof(lab_meta);
  if (!ksmc_buf_reserve(scratch, head)) return NULL;
  scratch->n = head;
  size_t k = 0;                    /* labels kept: repeated keys count once */
  for (size_t i = 0; i < n; i++) { /* scratch may move: keep offsets, not pointers */
    if (lab_shadowed(kv, n, i)) continue;
    lab_meta tmp = {scratch->n, 0, 0, 0, 0};
    ksmc_label_dynamic_name(scratch, prefix, kv[i].key.p, kv[i].key.n);
    tmp.len = scratch->n - tmp.off;
    if (!ksmc_buf_failed(scratch)) memcpy(scratch->p + k * sizeof tmp, &tmp, sizeof tmp);
    k++;
  }
  if (ksmc_buf_failed(scratch)) return NULL;
  lab_meta *m = (lab_meta *)(void *)scratch->p;
  /* At most 2k names are inserted (k labels, each group's first renamed once). */
  size_t cap = 16;
  while (cap < 4 * k) cap *= 2;
  lab_sets t = {scratch->p,
                m,
                calloc(cap, sizeof(size_t)),
                calloc(cap, sizeof(size_t)),
                calloc(cap, sizeof(unsigned long)),
                cap - 1};
  bool ok = t.name_idx && t.base_idx && t.name_sfx;
  bool renamed = false;
  for (size_t i = 0; ok && i < k; i++) lab_resolve(&t, i, &renamed);
  free(t.name_idx);
  free(t.base_idx);
  free(t.name_sfx);
  return ok ? m : NULL;
}

void ksmc_labels_write_dynamic(ksmc_buf *out, const char *prefix, const ksmc_kv *kv, size_t n,
                               ksmc_buf *scratch) {
  if (n == 0) return;
  lab_meta *m = lab_build(scratch, prefix, kv, n);
  if (!m) {
    out->oom = true;
    return;
  }
  for (size_t i = 0, k = 0; i < n; i++) {
    if (lab_shadowed(kv, n, i)) continue;
    lab_name nm = lab_compose(scratch->p, &m[k], m[k].sfx);
    k++;
    ksmc_buf_putc(out, ',');
    ksmc_buf_put(out, nm.base, nm.blen);
    ksmc_buf_put(out, nm.sfx, nm.slen);
    ksmc_buf_put(out, "=\"", 2);
    ksmc_escape_label_value(out, kv[i].value.p, kv[i].value.n);
    ksmc_buf_putc(out, '"');
  }
}

/* ---- allowlists ---- */

static bool lab_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static ksmc_slice lab_trim(const char *s, size_t n) {
  while (n && lab_space(*s)) s++, n--;
  while (n && lab_space(s[n - 1])) n--;
  return (ksmc_slice){s, n};
}

static char *lab_strdup(ksmc_slice s) {
  char *p = malloc(s.n + 1);
  if (!p) return NULL;
  memcpy(p, s.p, s.n);
  p[s.n] = '\0';
  return p;
}

static void lab_entry_free(ksmc_allowlist_entry *e) {
  for (size_t i = 0; i < e->npatterns; i++) free(e->patterns[i]);
  free(e->patterns);
  free(e->resource);
  memset(e, 0, sizeof *e);
}

void ksmc_allowlist_free(ksmc_allowlist *al) {
  for (size_t i = 0; i < al->n; i++) lab_entry_free(&al->entries[i]);
  free(al->entries);
  al->entries = NULL;
  al->n = 0;
}

#define LAB_ERR(...) (snprintf(err, errlen, __VA_ARGS__), false)

/* Fills e->patterns from the text between `[` and `]`: comma separated, trimmed, empty
 * entries dropped, at most one `*` per entry. */
static bool lab_parse_keys(ksmc_allowlist_entry *e, const char *s, size_t n, char *err,
                           size_t errlen) {
  size_t cap = 1;
  for (size_t i = 0; i < n; i++) cap += s[i] == ',';
  e->patterns = calloc(cap, sizeof *e->patterns);
  if (!e->patterns) return LAB_ERR("out of memory");
  for (size_t i = 0; i <= n;) {
    size_t j = i;
    while (j < n && s[j] != ',') j++;
    ksmc_slice k = lab_trim(s + i, j - i);
    i = j + 1;
    if (k.n == 0) continue;
    const char *star = memchr(k.p, '*', k.n);
    if (star && memchr(star + 1, '*', k.n - (size_t)(star + 1 - k.p)))
      return LAB_ERR("label key %.*s of %s has more than one '*'", (int)k.n, k.p, e->resource);
    if (!(e->patterns[e->npatterns] = lab_strdup(k))) return LAB_ERR("out of memory");
    e->npatterns++;
  }
  return true;
}

/* Adds or replaces (a later entry for the same resource wins, like a Go map) an entry. */
static bool lab_put(ksmc_allowlist *al, ksmc_allowlist_entry *e, char *err, size_t errlen) {
  for (size_t i = 0; i < al->n; i++) {
    if (strcmp(al->entries[i].resource, e->resource) == 0) {
      lab_entry_free(&al->entries[i]);
      al->entries[i] = *e;
      return true;
    }
  }
  ksmc_allowlist_entry *p = realloc(al->entries, (al->n + 1) * sizeof *p);
  if (!p) return LAB_ERR("out of memory");
  al->entries = p;
  al->entries[al->n++] = *e;
  return true;
}

/* Parses one `res=[k1,k2]` at s[*pos..n); advances *pos past the `]`. */
static bool lab_parse_entry(ksmc_allowlist *al, const char *s, size_t n, size_t *pos, char *err,
                            size_t errlen) {
  size_t i = *pos;
  const char *eq = memchr(s + i, '=', n - i);
  if (!eq) return LAB_ERR("missing '=' in allowlist entry \"%.*s\"", (int)(n - i), s + i);
  ksmc_slice res = lab_trim(s + i, (size_t)(eq - (s + i)));
  if (res.n == 0) return LAB_ERR("empty resource name in \"%.*s\"", (int)(n - i), s + i);
  size_t k = (size_t)(eq - s) + 1;
  if (k >= n || s[k] != '[')
    return LAB_ERR("expected '[' right after \"%.*s=\" in \"%.*s\"", (int)res.n, res.p,
                   (int)(n - i), s + i);
  const char *close = memchr(s + k, ']', n - k);
  if (!close) return LAB_ERR("missing ']' in \"%.*s\"", (int)(n - i), s + i);
  ksmc_allowlist_entry e = {0};
  if (!(e.resource = lab_strdup(res))) return LAB_ERR("out of memory");
  bool ok = lab_parse_keys(&e, s + k + 1, (size_t)(close - s) - k - 1, err, errlen) &&
            lab_put(al, &e, err, errlen);
  if (!ok) lab_entry_free(&e);
  *pos = (size_t)(close - s) + 1;
  return ok;
}

static bool lab_parse_all(ksmc_allowlist *al, const char *flag, char *err, size_t errlen) {
  size_t n = strlen(flag), i = 0;
  if (lab_trim(flag, n).n == 0) return true;
  for (;;) {
    if (!lab_parse_entry(al, flag, n, &i, err, errlen)) return false;
    while (i < n && lab_space(flag[i])) i++;
    if (i == n) return true;
    if (flag[i] != ',')
      return LAB_ERR("unexpected \"%s\" after ']' (entries are separated by ',')", flag + i);
    i++;
  }
}

bool ksmc_allowlist_parse(ksmc_allowlist *al, const char *flag, char *err, size_t errlen) {
  ksmc_allowlist fresh = {0};
  if (!lab_parse_all(&fresh, flag, err, errlen)) {
    ksmc_allowlist_free(&fresh);
    return false;
  }
  ksmc_allowlist_free(al);
  *al = fresh;
  return true;
}

const ksmc_allowlist_entry *ksmc_allowlist_for(const ksmc_allowlist *al, const char *resource) {
  const ksmc_allowlist_entry *hit = NULL;
  for (size_t i = 0; i < al->n; i++) {
    const ksmc_allowlist_entry *e = &al->entries[i];
    if (strcmp(e->resource, "*") == 0) {
      hit = e;
      break;
    }
    if (strcmp(e->resource, resource) == 0) hit = e;
  }
  return hit && hit->npatterns ? hit : NULL;
}

/* ^QuoteMeta(prefix).*QuoteMeta(suffix)$ in Go RE2: `.` does not match a newline. */
static bool lab_wild_match(const char *pat, const char *star, const char *key, size_t n) {
  size_t pre = (size_t)(star - pat), suf = strlen(star + 1);
  if (n < pre + suf || memcmp(key, pat, pre) != 0 || memcmp(key + n - suf, star + 1, suf) != 0)
    return false;
  return memchr(key + pre, '\n', n - pre - suf) == NULL;
}

bool ksmc_allowlist_match(const ksmc_allowlist_entry *e, const char *key, size_t n) {
  if (!e || e->npatterns == 0) return false;
  if (strcmp(e->patterns[0], "*") == 0) return true;
  for (size_t i = 0; i < e->npatterns; i++) {
    const char *p = e->patterns[i];
    const char *star = strchr(p, '*');
    if (!star) {
      if (strlen(p) == n && memcmp(p, key, n) == 0) return true;
    } else if (p[1] != '\0' || p[0] != '*') { /* a lone "*" not first is ignored */
      if (lab_wild_match(p, star, key, n)) return true;
    }
  }
  return false;
}
