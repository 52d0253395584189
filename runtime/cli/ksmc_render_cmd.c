/* ksmc_render_cmd: `ksmc render`, the offline renderer: objects from files in, the exact
 * exposition KSM would serve for a store holding them out. */
#include "ksmc_render_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksmc_flags.h"
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
    "  --metric-allowlist=REGEX,...        only families matching a regex\n"
    "  --metric-denylist=REGEX,...         no family matching a regex\n"
    "  --metric-labels-allowlist=SPEC      e.g. pods=[app,team],nodes=[*] (KSM syntax)\n"
    "  --metric-annotations-allowlist=SPEC same, for kube_*_annotations\n"
    "  -h, --help                          show this help\n"
    "\n"
    "The filter flags are the exporter's (see ksmc --help): same syntax, same regex\n"
    "rules, and an invalid pattern is a usage error (exit status 2).\n"
    "\n"
    "Malformed input is reported as FILE: byte OFFSET: MESSAGE on stderr; the other\n"
    "objects are still rendered and the exit status is 1.\n";

/* The filter flags are collected verbatim and parsed by ksmc_flags_parse, so `ksmc
 * render` filters exactly as the exporter does. */
typedef struct {
  const ksmc_kind_desc *kind;
  ksmc_config filter; /* from the filter flags, parsed by ksmc_flags_parse */
  char **filter_argv; /* argv[0] plus the filter flags as `--name=value` */
  int filter_argc;
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

/* Flags handed to ksmc_flags_parse unchanged. */
static const char *const filter_flags[] = {"--metric-opt-in-list", "--metric-allowlist",
                                           "--metric-denylist", "--metric-labels-allowlist",
                                           "--metric-annotations-allowlist"};

/* Appends `flag=value` to the filter argv (sized for every argument by the caller). */
static int add_filter(render_opts *o, const char *flag, const char *value) {
  size_t n = strlen(flag) + strlen(value) + 2;
  char *arg = malloc(n);
  if (!arg) return 2;
  snprintf(arg, n, "%s=%s", flag, value);
  o->filter_argv[o->filter_argc++] = arg;
  return 0;
}

/* One argv item: a filter flag, --resource, --all-families or a file. */
static int parse_arg(int argc, char **argv, int *i, render_opts *o) {
  const char *v;
  if (!strcmp(argv[*i], "-h") || !strcmp(argv[*i], "--help")) {
    print_usage(stdout);
    exit(0);
  }
  if ((v = flag_value(argc, argv, i, "--resource"))) {
    o->kind = ksmc_kind_find(v);
    if (o->kind) return 0;
    fprintf(stderr, "ksmc render: unknown resource '%s'\n", v);
    return 2;
  }
  /* Every opt-in family: an opt-in pattern matching every name. */
  if (!strcmp(argv[*i], "--all-families")) return add_filter(o, "--metric-opt-in-list", ".*");
  for (size_t f = 0; f < sizeof filter_flags / sizeof *filter_flags; f++)
    if ((v = flag_value(argc, argv, i, filter_flags[f]))) return add_filter(o, filter_flags[f], v);
  if (argv[*i][0] == '-' && argv[*i][1] != '\0') {
    fprintf(stderr, "ksmc render: unknown flag %s (see ksmc render --help)\n", argv[*i]);
    return 2;
  }
  o->files[o->nfiles++] = argv[*i];
  return 0;
}

static int parse_opts(int argc, char **argv, render_opts *o) {
  memset(o, 0, sizeof *o);
  o->files = calloc((size_t)argc, sizeof *o->files);
  o->filter_argv = calloc((size_t)argc + 1, sizeof *o->filter_argv);
  if (!o->files || !o->filter_argv) return 2;
  o->filter_argv[o->filter_argc++] = strdup("ksmc render");
  for (int i = 1; i < argc; i++) {
    int rc = parse_arg(argc, argv, &i, o);
    if (rc) return rc;
  }
  int rc = ksmc_flags_parse(&o->filter, o->filter_argc, o->filter_argv, stdout, stderr);
  if (rc != KSMC_FLAGS_RUN) return rc;
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

static void free_opts(render_opts *o) {
  ksmc_config_free(&o->filter);
  for (int i = 0; o->filter_argv && i < o->filter_argc; i++) free(o->filter_argv[i]);
  free(o->filter_argv);
  free(o->files);
}

static bool *family_flags(const render_opts *o) {
  bool *flags = calloc(o->kind->nfamilies ? o->kind->nfamilies : 1, sizeof *flags);
  if (!flags) return NULL;
  for (size_t i = 0; i < o->kind->nfamilies; i++)
    flags[i] = ksmc_config_family_enabled(&o->filter, &o->kind->families[i]);
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
  if (st->rc.out.n) memcpy(r->bytes, st->rc.out.p, st->rc.out.n); /* p is NULL when empty */
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
  free_opts(o);
  free(flags);
}

int ksmc_render_main(int argc, char **argv) {
  render_opts o;
  int rc = parse_opts(argc, argv, &o);
  if (rc) {
    free_opts(&o);
    return rc;
  }
  bool *flags = family_flags(&o);
  render_state st = {0};
  ksmc_render_opts ropts = {
      .kind = o.kind,
      .family_enabled = flags,
      .labels_allow = ksmc_allowlist_for(&o.filter.labels_allow, o.kind->resource),
      .annotations_allow = ksmc_allowlist_for(&o.filter.annotations_allow, o.kind->resource),
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
