/* ksmc-gen: the metrics compiler's command line. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs_import.h"
#include "docs_emit.h"
#include "emit.h"
#include "rbac_emit.h"
#include "schema.h"
#include "schema_diff.h"
#include "schema_dump.h"
#include "spec.h"

static const char usage[] =
    "usage: ksmc-gen COMMAND [options] SPEC...\n"
    "\n"
    "Compiles metric specs (specs/<kind>.yaml) into C serializers for ksmc, and describes\n"
    "what they expose. A SPEC may be a spec file or a directory of them (its *.yaml).\n"
    "\n"
    "commands:\n"
    "  generate   check the specs and write <out>/<name>.c and <out>/<name>.h for each\n"
    "  registry   write <out>/ksmc_registry.c listing every spec's kind\n"
    "  check      only check the specs and report errors\n"
    "  schema     print the metric schema: every family's name, type, stability, opt-in,\n"
    "             help, labels in order (dynamic ones as label_*), value unit, spec location\n"
    "  diff OLD NEW\n"
    "             compare two versions and classify every change as breaking, risky or\n"
    "             safe; OLD and NEW are spec directories, spec files, or JSON files written\n"
    "             by `ksmc-gen schema --format json` (keep one per release as a CI artifact)\n"
    "  docs       write the metric reference: <out>/<name>.md per spec and <out>/README.md\n"
    "  rbac       write the ClusterRole granting list and watch on exactly the specs'\n"
    "             resources, grouped by API group\n"
    "  import-crs CONFIG\n"
    "             convert a kube-state-metrics CustomResourceStateMetrics config into\n"
    "             specs for specs/custom/ (one per resource, same series); with --out DIR\n"
    "             writes DIR/<kind>.yaml, else prints them. What cannot be converted is\n"
    "             an error, what converts with a difference a warning, assumptions notes\n"
    "             (docs/custom-resources.md)\n"
    "\n"
    "options:\n"
    "  --schema FILE      field schema of Kubernetes objects (default schema/k8s.schema)\n"
    "  --out PATH         generate, registry, import-crs: directory (default generated;\n"
    "                     import-crs: stdout); docs: directory\n"
    "                     (default docs/metrics); schema, diff, rbac: file (default stdout)\n"
    "  --format FMT       schema: text or json; diff: text, markdown or json (default text)\n"
    "  --allow NAME       diff: accept the breaking changes of family NAME (a fnmatch pattern\n"
    "                     such as 'kube_pod_*', an old family name, or a kind); repeatable,\n"
    "                     or comma separated\n"
    "  --allow-file FILE  diff: accept the names in FILE, one per line, '#' starts a comment\n"
    "  --old-schema FILE  diff: field schema for the OLD specs (default: --schema)\n"
    "  --name NAME        rbac: name of the ClusterRole (default ksmc)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Errors are reported as FILE:LINE:COL: error: MESSAGE, every error of every spec before\n"
    "stopping; the exit status is 1 when any spec has an error, 2 for usage errors.\n"
    "diff exits 0 when no breaking change is left unaccepted, 1 when there is one, and 2\n"
    "when the inputs cannot be read or the command line is wrong. Breaking: family removed\n"
    "or renamed, type or value unit changed, label removed or renamed, label added to or\n"
    "reordered in a stable family, state removed, stable family demoted, default family\n"
    "made opt-in, resource renamed. The rules are in docs/ci.md.\n"
    "\n"
    "Spec paths are printed as given: run from the repository root so that generated\n"
    "banners name specs/<kind>.yaml. The spec language is described in\n"
    "docs/spec-language.md.\n"
    "\n"
    "examples:\n"
    "  ksmc-gen check specs\n"
    "  ksmc-gen schema --format json specs > metrics-schema.json\n"
    "  ksmc-gen diff --format markdown base/specs specs > comment.md\n"
    "  ksmc-gen diff --allow kube_pod_info metrics-schema.json specs\n"
    "  ksmc-gen rbac --out deploy/rbac/clusterrole.yaml specs\n";

typedef struct {
  const char *command;
  const char *schema_file;
  const char *old_schema_file; /* diff: OLD specs (NULL: schema_file) */
  const char *out;             /* NULL: the command's default */
  const char *format;          /* NULL: text */
  const char *role_name;
  char **allow; /* --allow patterns (owned) */
  size_t nallow;
  char **allow_files;
  size_t nallow_files;
  char **specs;
  int nspecs;
} options;

static const char *const commands[] = {"generate", "registry", "check",      "schema", "diff",
                                       "docs",     "rbac",     "import-crs", NULL};

static void push(char ***v, size_t *n, const char *s, size_t len) {
  char **p = realloc(*v, (*n + 1) * sizeof *p);
  if (!p) abort();
  *v = p;
  p[*n] = strndup(s, len);
  if (!p[*n]) abort();
  (*n)++;
}

static void free_options(options *o) {
  for (size_t i = 0; i < o->nallow; i++) free(o->allow[i]);
  free(o->allow);
  free(o->allow_files);
}

static int usage_error(const char *fmt, const char *arg) {
  fputs("ksmc-gen: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs(" (see ksmc-gen --help)\n", stderr);
  return 2;
}

static int parse_args(int argc, char **argv, options *o) {
  enum { O_SCHEMA = 256, O_OUT, O_FORMAT, O_ALLOW, O_ALLOW_FILE, O_OLD_SCHEMA, O_NAME };
  static const struct option longopts[] = {{"schema", required_argument, NULL, O_SCHEMA},
                                           {"out", required_argument, NULL, O_OUT},
                                           {"format", required_argument, NULL, O_FORMAT},
                                           {"allow", required_argument, NULL, O_ALLOW},
                                           {"allow-file", required_argument, NULL, O_ALLOW_FILE},
                                           {"old-schema", required_argument, NULL, O_OLD_SCHEMA},
                                           {"name", required_argument, NULL, O_NAME},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  *o = (options){.schema_file = "schema/k8s.schema", .role_name = "ksmc"};
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case O_SCHEMA:
      o->schema_file = optarg;
      break;
    case O_OUT:
      o->out = optarg;
      break;
    case O_FORMAT:
      o->format = optarg;
      break;
    case O_ALLOW:
      for (const char *p = optarg; *p;) {
        size_t len = strcspn(p, ",");
        if (len) push(&o->allow, &o->nallow, p, len);
        p += len + (p[len] == ',');
      }
      break;
    case O_ALLOW_FILE: {
      char **v = realloc(o->allow_files, (o->nallow_files + 1) * sizeof *v);
      if (!v) abort();
      o->allow_files = v;
      v[o->nallow_files++] = optarg;
      break;
    }
    case O_OLD_SCHEMA:
      o->old_schema_file = optarg;
      break;
    case O_NAME:
      o->role_name = optarg;
      break;
    case 'h':
      fputs(usage, stdout);
      exit(0);
    default:
      fputs(usage, stderr);
      return 2;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "ksmc-gen: missing COMMAND\n\n%s", usage);
    return 2;
  }
  o->command = argv[optind++];
  bool known = false;
  for (const char *const *k = commands; *k; k++) known |= !strcmp(*k, o->command);
  if (!known) return usage_error("unknown command '%s'", o->command);
  bool diff = !strcmp(o->command, "diff");
  if (o->format) {
    bool ok = !strcmp(o->format, "text") || !strcmp(o->format, "json") ||
              (diff && !strcmp(o->format, "markdown"));
    if (!ok && (diff || !strcmp(o->command, "schema")))
      return usage_error(diff ? "--format must be text, markdown or json, not '%s'"
                              : "--format must be text or json, not '%s'",
                         o->format);
    if (!ok || !(diff || !strcmp(o->command, "schema")))
      return usage_error("--format does not apply to %s", o->command);
  }
  if (!diff && (o->nallow || o->nallow_files || o->old_schema_file))
    return usage_error("--allow, --allow-file and --old-schema only apply to diff, not %s",
                       o->command);
  o->specs = argv + optind;
  o->nspecs = argc - optind;
  if (diff && o->nspecs != 2)
    return usage_error("diff compares exactly two inputs, OLD and NEW, got %s",
                       o->nspecs < 2 ? "fewer" : "more");
  if (o->nspecs == 0) return usage_error("no spec files given%s", "");
  if (!strcmp(o->command, "import-crs") && o->nspecs != 1)
    return usage_error("import-crs converts exactly one config file%s", "");
  return 0;
}

/* The C name of a spec: its file name without directory and .yaml ("pod"). */
static char *spec_name(const char *file) {
  char *copy = strdup(file);
  if (!copy) abort();
  char *base = strdup(basename(copy));
  free(copy);
  if (!base) abort();
  char *dot = strrchr(base, '.');
  if (dot) *dot = '\0';
  for (char *p = base; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) *p = '_';
  return base;
}

static bool write_file(const char *dir, const char *name, const char *ext, const spec *s,
                       const char *cname,
                       void (*emit)(const spec *, const char *, const char *, FILE *)) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "ksmc-gen: cannot write %s: %s\n", path, strerror(errno));
    return false;
  }
  emit(s, cname, s->file, f);
  if (fclose(f) != 0) {
    fprintf(stderr, "ksmc-gen: cannot write %s: %s\n", path, strerror(errno));
    return false;
  }
  return true;
}

static bool write_registry(const char *out_dir, spec **specs, char **names, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/ksmc_registry.c", out_dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "ksmc-gen: cannot write %s: %s\n", path, strerror(errno));
    return false;
  }
  emit_registry((const spec *const *)specs, (const char *const *)names, n, f);
  return fclose(f) == 0;
}

static void report_errors(const ksmc_diag *d) {
  if (d->errors) fprintf(stderr, "ksmc-gen: %d error%s\n", d->errors, d->errors == 1 ? "" : "s");
}

/* generate, registry, check: the compiler proper. */
static int compile(const options *o) {
  ksmc_diag d = {stderr, 0, 0};
  size_t n;
  char **files = ms_expand_paths(o->specs, (size_t)o->nspecs, &n, &d);
  schema sch;
  if (!files || !schema_load(&sch, o->schema_file, &d)) {
    report_errors(&d);
    ms_free_paths(files);
    return 1;
  }
  const char *out_dir = o->out ? o->out : "generated";
  spec **specs = calloc(n + 1, sizeof *specs);
  char **names = calloc(n + 1, sizeof *names);
  if (!specs || !names) abort();
  for (size_t i = 0; i < n; i++) {
    specs[i] = spec_load(files[i], &sch, &d);
    names[i] = spec_name(files[i]);
  }
  bool ok = d.errors == 0;
  if (ok && !strcmp(o->command, "generate"))
    for (size_t i = 0; i < n && ok; i++)
      ok = write_file(out_dir, names[i], ".c", specs[i], names[i], emit_kind_c) &&
           write_file(out_dir, names[i], ".h", specs[i], names[i], emit_kind_h);
  if (ok && !strcmp(o->command, "registry")) ok = write_registry(out_dir, specs, names, n);
  report_errors(&d);
  for (size_t i = 0; i < n; i++) {
    spec_free(specs[i]);
    free(names[i]);
  }
  free(specs);
  free(names);
  ms_free_paths(files);
  schema_free(&sch);
  return ok ? 0 : 1;
}

/* Opens --out (or stdout); *f is NULL after reporting an error. */
static FILE *open_out(const char *path) {
  if (!path || !strcmp(path, "-")) return stdout;
  FILE *f = fopen(path, "w");
  if (!f) fprintf(stderr, "ksmc-gen: cannot write %s: %s\n", path, strerror(errno));
  return f;
}

static bool close_out(FILE *f, const char *path) {
  if (f == stdout) return fflush(f) == 0;
  if (fclose(f) == 0) return true;
  fprintf(stderr, "ksmc-gen: cannot write %s: %s\n", path, strerror(errno));
  return false;
}

/* schema, docs, rbac: one metric schema from all inputs, then one writer. */
static int describe(const options *o) {
  ksmc_diag d = {stderr, 0, 0};
  ms_schema m = {0};
  bool ok = ms_load_inputs(&m, o->specs, (size_t)o->nspecs, o->schema_file, &d);
  if (ok && !strcmp(o->command, "docs")) {
    ok = docs_write(&m, o->out ? o->out : "docs/metrics", &d);
  } else if (ok) {
    FILE *f = open_out(o->out);
    ok = f != NULL;
    if (ok && !strcmp(o->command, "rbac"))
      rbac_emit(&m, o->role_name, f);
    else if (ok && o->format && !strcmp(o->format, "json"))
      ms_write_json(&m, f);
    else if (ok)
      ms_write_text(&m, f);
    ok = ok && close_out(f, o->out);
  }
  report_errors(&d);
  ms_free(&m);
  return ok ? 0 : 1;
}

static int diff(const options *o) {
  ksmc_diag d = {stderr, 0, 0};
  ms_schema old_s = {0}, new_s = {0};
  const char *old_schema = o->old_schema_file ? o->old_schema_file : o->schema_file;
  bool ok = ms_load_inputs(&old_s, o->specs, 1, old_schema, &d);
  ok &= ms_load_inputs(&new_s, o->specs + 1, 1, o->schema_file, &d);
  char **allow = NULL;
  size_t nallow = 0;
  for (size_t i = 0; i < o->nallow; i++) push(&allow, &nallow, o->allow[i], strlen(o->allow[i]));
  for (size_t i = 0; i < o->nallow_files; i++)
    ok &= ms_read_allow_file(o->allow_files[i], &allow, &nallow, &d);
  int rc = 2;
  if (ok) {
    ms_changes ch = {0};
    ms_diff(&old_s, &new_s, &ch);
    bool *used = calloc(nallow + 1, sizeof *used);
    if (!used) abort();
    ms_allow(&ch, allow, nallow, used);
    for (size_t i = 0; i < nallow; i++)
      if (!used[i])
        fprintf(stderr, "ksmc-gen: warning: allow pattern '%s' matches no breaking change\n",
                allow[i]);
    free(used);
    FILE *f = open_out(o->out);
    if (f) {
      const char *fmt = o->format ? o->format : "text";
      if (!strcmp(fmt, "json"))
        ms_report_json(&ch, f);
      else if (!strcmp(fmt, "markdown"))
        ms_report_markdown(&ch, f);
      else
        ms_report_text(&ch, f);
      if (close_out(f, o->out)) rc = ms_count(&ch).breaking ? 1 : 0;
    }
    ms_changes_free(&ch);
  }
  report_errors(&d);
  for (size_t i = 0; i < nallow; i++) free(allow[i]);
  free(allow);
  ms_free(&old_s);
  ms_free(&new_s);
  return rc;
}

/* import-crs: a CRS config -> specs (stdout, or --out DIR/<kind>.yaml). */
static int import_crs(const options *o) {
  ksmc_diag d = {stderr, 0, 0};
  crs_spec *v;
  int n = crs_import(o->specs[0], &v, &d);
  if (n < 0) {
    report_errors(&d);
    return 1;
  }
  bool ok = true;
  for (int i = 0; i < n && ok; i++) {
    if (!o->out) {
      fputs(i ? "---\n" : "", stdout);
      fputs(v[i].text, stdout);
      continue;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.yaml", o->out, v[i].name);
    FILE *f = fopen(path, "w");
    ok = f && fputs(v[i].text, f) >= 0;
    if (f) ok &= fclose(f) == 0;
    if (!ok) fprintf(stderr, "ksmc-gen: cannot write %s: %s\n", path, strerror(errno));
  }
  crs_specs_free(v, n);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  options o;
  int rc = parse_args(argc, argv, &o);
  if (!rc) {
    if (!strcmp(o.command, "diff"))
      rc = diff(&o);
    else if (!strcmp(o.command, "import-crs"))
      rc = import_crs(&o);
    else if (!strcmp(o.command, "schema") || !strcmp(o.command, "docs") ||
             !strcmp(o.command, "rbac"))
      rc = describe(&o);
    else
      rc = compile(&o);
  }
  free_options(&o);
  return rc;
}
