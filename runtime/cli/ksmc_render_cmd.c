/* ksmc_render_cmd: `ksmc render`, the offline renderer: objects from files in, the exact
 * exposition KSM would serve for a store holding them out. */
#include "ksmc_render_cmd.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksmc_input.h"
#include "ksmc_kind.h"
#include "ksmc_labels.h"
#include "ksmc_render.h"

static const char usage[] =
    "usage: ksmc render --resource RESOURCE [options] FILE...\n"
    "\n"
    "Renders Kubernetes objects offline, exactly as ksmc (and kube-state-metrics) would\n"
    "serve them from a store holding these objects: per family `# HELP`, `# TYPE`, then\n"
    "the samples of every object in input order (Prometheus text format 0.0.4).\n"
    "\n"
    "FILE is a JSON file or - for stdin, holding one object, a List (`items`), or many\n"
    "objects one after another (e.g. one per line, as `kubectl get -o json` items).\n"
    "\n"
    "options:\n"
    "  --resource RESOURCE                 resource of the objects: %s\n"
    "  --metric-opt-in-list=REGEX,...      enable opt-in families matching a regex\n"
    "  --all-families                      enable every opt-in family\n"
    "  --metric-labels-allowlist=SPEC      e.g. pods=[app,team],nodes=[*] (KSM syntax)\n"
    "  --metric-annotations-allowlist=SPEC same, for kube_*_annotations\n"
    "  -h, --help                          show this help\n"
    "\n"
    "Malformed input is reported as FILE: byte OFFSET: MESSAGE on stderr; the other\n"
    "objects are still rendered and the exit status is 1.\n";

typedef struct {
  const ksmc_kind_desc *kind;
  bool all_families;
  const char *opt_in;
  ksmc_allowlist labels;
  ksmc_allowlist annotations;
  const char **files;
  int nfiles;
} render_opts;

/* Every rendered object: its bytes and family offsets. */
typedef struct {
  char *bytes;
  uint32_t *fam_end;
} rendered;

typedef struct {
  ksmc_render_ctx rc;
  rendered *objs;
  size_t n, cap;
  const char *file;
  int errors;
} render_state;

static void print_usage(FILE *f) {
  char kinds[512] = "";
  for (size_t i = 0; i < ksmc_nkinds; i++) {
    size_t at = strlen(kinds);
    snprintf(kinds + at, sizeof kinds - at, "%s%s", i ? ", " : "", ksmc_kinds[i]->resource);
  }
  fprintf(f, usage, kinds);
}

/* Value of `--name=value` or `--name value`; advances *i for the second form. */
static const char *flag_value(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return NULL;
  if (argv[*i][n] == '=') return argv[*i] + n + 1;
  if (argv[*i][n] == '\0' && *i + 1 < argc) return argv[++*i];
  return NULL;
}

static int parse_allowlist(ksmc_allowlist *al, const char *v, const char *flag) {
  char err[256];
  if (ksmc_allowlist_parse(al, v, err, sizeof err)) return 0;
  fprintf(stderr, "ksmc render: %s: %s\n", flag, err);
  return 2;
}

static int parse_opts(int argc, char **argv, render_opts *o) {
  memset(o, 0, sizeof *o);
  o->files = calloc((size_t)argc, sizeof *o->files);
  if (!o->files) return 2;
  for (int i = 1; i < argc; i++) {
    const char *v;
    int rc = 0;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      print_usage(stdout);
      exit(0);
    } else if ((v = flag_value(argc, argv, &i, "--resource"))) {
      o->kind = ksmc_kind_find(v);
      if (!o->kind) {
        fprintf(stderr, "ksmc render: unknown resource '%s'\n", v);
        return 2;
      }
    } else if (!strcmp(argv[i], "--all-families")) {
      o->all_families = true;
    } else if ((v = flag_value(argc, argv, &i, "--metric-opt-in-list"))) {
      o->opt_in = v;
    } else if ((v = flag_value(argc, argv, &i, "--metric-labels-allowlist"))) {
      rc = parse_allowlist(&o->labels, v, "--metric-labels-allowlist");
    } else if ((v = flag_value(argc, argv, &i, "--metric-annotations-allowlist"))) {
      rc = parse_allowlist(&o->annotations, v, "--metric-annotations-allowlist");
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "ksmc render: unknown flag %s (see ksmc render --help)\n", argv[i]);
      return 2;
    } else {
      o->files[o->nfiles++] = argv[i];
    }
    if (rc) return rc;
  }
  if (!o->kind) {
    fprintf(stderr, "ksmc render: --resource is required (see ksmc render --help)\n");
    return 2;
  }
  if (!o->nfiles) {
    fprintf(stderr, "ksmc render: no input files (use - for stdin)\n");
    return 2;
  }
  return 0;
}

/* True if some comma-separated regex of `list` matches name (unanchored, as KSM). */
static bool opt_in_matches(const char *list, const char *name) {
  char *copy = strdup(list);
  bool hit = false;
  for (char *save = NULL, *re = strtok_r(copy, ",", &save); re && !hit;
       re = strtok_r(NULL, ",", &save)) {
    regex_t rx;
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) continue;
    hit = regexec(&rx, name, 0, NULL, 0) == 0;
    regfree(&rx);
  }
  free(copy);
  return hit;
}

static bool *family_flags(const render_opts *o) {
  bool *flags = calloc(o->kind->nfamilies ? o->kind->nfamilies : 1, sizeof *flags);
  if (!flags) return NULL;
  for (size_t i = 0; i < o->kind->nfamilies; i++) {
    const ksmc_family_desc *f = &o->kind->families[i];
    flags[i] = !f->opt_in || o->all_families || (o->opt_in && opt_in_matches(o->opt_in, f->name));
  }
  return flags;
}

static char *read_all(const char *file, size_t *len) {
  FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0, r;
  char *buf = malloc(cap);
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      char *p = realloc(buf, cap *= 2);
      if (!p) {
        free(buf);
        buf = NULL;
      }
      buf = p;
    }
  }
  if (f != stdin) fclose(f);
  *len = n;
  return buf;
}

static void on_error(void *user, size_t off, const char *msg) {
  render_state *st = user;
  fprintf(stderr, "%s: byte %zu: %s\n", st->file, off, msg);
  st->errors++;
}

static void on_object(void *user, const char *doc, size_t off, size_t len) {
  render_state *st = user;
  int rc = ksmc_render_object(&st->rc, doc + off, len);
  if (rc != KSMC_OK) {
    fprintf(stderr, "%s: byte %zu: %s: %s (in the object starting at byte %zu)\n", st->file,
            off + st->rc.err_offset, ksmc_strerror(rc), st->rc.err, off);
    st->errors++;
    return;
  }
  if (st->rc.warnings)
    fprintf(stderr, "%s: byte %zu: warning: object %s/%s: %s (%u problem%s)\n", st->file, off,
            st->rc.ns.p ? st->rc.ns.p : "", st->rc.name.p ? st->rc.name.p : "", st->rc.warn,
            st->rc.warnings, st->rc.warnings == 1 ? "" : "s");
  if (st->n == st->cap) {
    st->cap = st->cap ? st->cap * 2 : 64;
    rendered *p = realloc(st->objs, st->cap * sizeof *p);
    if (!p) abort();
    st->objs = p;
  }
  size_t nf = st->rc.opts.kind->nfamilies;
  rendered *r = &st->objs[st->n++];
  r->bytes = malloc(st->rc.out.n ? st->rc.out.n : 1);
  r->fam_end = malloc(nf * sizeof *r->fam_end);
  if (!r->bytes || !r->fam_end) abort();
  memcpy(r->bytes, st->rc.out.p, st->rc.out.n);
  memcpy(r->fam_end, st->rc.fam_end, nf * sizeof *r->fam_end);
}

/* Family-major output: each enabled family's header, then its bytes of every object. */
static void write_exposition(const render_state *st, const bool *flags, FILE *out) {
  const ksmc_kind_desc *k = st->rc.opts.kind;
  if (st->n == 0) return;
  for (size_t f = 0; f < k->nfamilies; f++) {
    if (!flags[f]) continue;
    fwrite(k->families[f].header_text.p, 1, k->families[f].header_text.n, out);
    for (size_t i = 0; i < st->n; i++) {
      uint32_t a = f ? st->objs[i].fam_end[f - 1] : 0, b = st->objs[i].fam_end[f];
      fwrite(st->objs[i].bytes + a, 1, b - a, out);
    }
  }
}

static void free_all(render_state *st, render_opts *o, bool *flags) {
  for (size_t i = 0; i < st->n; i++) {
    free(st->objs[i].bytes);
    free(st->objs[i].fam_end);
  }
  free(st->objs);
  ksmc_render_ctx_free(&st->rc);
  ksmc_allowlist_free(&o->labels);
  ksmc_allowlist_free(&o->annotations);
  free(o->files);
  free(flags);
}

int ksmc_render_main(int argc, char **argv) {
  render_opts o;
  int rc = parse_opts(argc, argv, &o);
  if (rc) {
    ksmc_allowlist_free(&o.labels);
    ksmc_allowlist_free(&o.annotations);
    free(o.files);
    return rc;
  }
  bool *flags = family_flags(&o);
  render_state st = {0};
  ksmc_render_opts ropts = {
      .kind = o.kind,
      .family_enabled = flags,
      .labels_allow = ksmc_allowlist_for(&o.labels, o.kind->resource),
      .annotations_allow = ksmc_allowlist_for(&o.annotations, o.kind->resource),
  };
  if (!flags || ksmc_render_ctx_init(&st.rc, &ropts) != KSMC_OK) {
    fprintf(stderr, "ksmc render: out of memory\n");
    return 1;
  }
  for (int i = 0; i < o.nfiles; i++) {
    size_t len;
    char *doc = read_all(o.files[i], &len);
    st.file = strcmp(o.files[i], "-") ? o.files[i] : "<stdin>";
    if (!doc) {
      fprintf(stderr, "%s: cannot read: %s\n", st.file, strerror(errno));
      st.errors++;
      continue;
    }
    ksmc_input_objects(doc, len, on_object, on_error, &st);
    free(doc);
  }
  write_exposition(&st, flags, stdout);
  int errors = st.errors;
  free_all(&st, &o, flags);
  if (fflush(stdout) != 0) return 1;
  return errors ? 1 : 0;
}
