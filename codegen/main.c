/* ksmc-gen: the metrics compiler's command line. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "schema.h"
#include "spec.h"

static const char usage[] =
    "usage: ksmc-gen COMMAND [options] SPEC...\n"
    "\n"
    "Compiles metric specs (specs/<kind>.yaml) into C serializers for ksmc.\n"
    "\n"
    "commands:\n"
    "  generate   check the specs and write <out>/<name>.c and <out>/<name>.h for each\n"
    "  registry   write <out>/ksmc_registry.c listing every spec's kind\n"
    "  check      only check the specs and report errors\n"
    "\n"
    "options:\n"
    "  --schema FILE   field schema of Kubernetes objects (default schema/k8s.schema)\n"
    "  --out DIR       where generated files go (default generated)\n"
    "  -h, --help      show this help\n"
    "\n"
    "Errors are reported as FILE:LINE:COL: error: MESSAGE, every error of every spec before\n"
    "stopping; the exit status is 1 when any spec has an error, 2 for usage errors.\n"
    "Spec paths are printed as given: run from the repository root so that generated\n"
    "banners name specs/<kind>.yaml. The spec language is described in\n"
    "docs/spec-language.md.\n";

typedef struct {
  const char *command;
  const char *schema_file;
  const char *out_dir;
  char **specs;
  int nspecs;
} options;

static int parse_args(int argc, char **argv, options *o) {
  static const struct option longopts[] = {{"schema", required_argument, NULL, 's'},
                                           {"out", required_argument, NULL, 'o'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  *o = (options){NULL, "schema/k8s.schema", "generated", NULL, 0};
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 's': o->schema_file = optarg; break;
    case 'o': o->out_dir = optarg; break;
    case 'h': fputs(usage, stdout); exit(0);
    default: fputs(usage, stderr); return 2;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "ksmc-gen: missing COMMAND\n\n%s", usage);
    return 2;
  }
  o->command = argv[optind++];
  if (strcmp(o->command, "generate") && strcmp(o->command, "registry") &&
      strcmp(o->command, "check")) {
    fprintf(stderr, "ksmc-gen: unknown command '%s' (see ksmc-gen --help)\n", o->command);
    return 2;
  }
  o->specs = argv + optind;
  o->nspecs = argc - optind;
  if (o->nspecs == 0) {
    fprintf(stderr, "ksmc-gen: no spec files given (see ksmc-gen --help)\n");
    return 2;
  }
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
                       const char *cname, void (*emit)(const spec *, const char *, const char *, FILE *)) {
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

static bool write_registry(const options *o, spec **specs, char **names) {
  char path[4096];
  snprintf(path, sizeof path, "%s/ksmc_registry.c", o->out_dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "ksmc-gen: cannot write %s: %s\n", path, strerror(errno));
    return false;
  }
  emit_registry((const spec *const *)specs, (const char *const *)names, (size_t)o->nspecs, f);
  return fclose(f) == 0;
}

int main(int argc, char **argv) {
  options o;
  int rc = parse_args(argc, argv, &o);
  if (rc) return rc;
  ksmc_diag d = {stderr, 0, 0};
  schema sch;
  if (!schema_load(&sch, o.schema_file, &d)) return 1;
  spec **specs = calloc((size_t)o.nspecs, sizeof *specs);
  char **names = calloc((size_t)o.nspecs, sizeof *names);
  if (!specs || !names) abort();
  for (int i = 0; i < o.nspecs; i++) {
    specs[i] = spec_load(o.specs[i], &sch, &d);
    names[i] = spec_name(o.specs[i]);
  }
  bool ok = d.errors == 0;
  if (ok && !strcmp(o.command, "generate"))
    for (int i = 0; i < o.nspecs && ok; i++)
      ok = write_file(o.out_dir, names[i], ".c", specs[i], names[i], emit_kind_c) &&
           write_file(o.out_dir, names[i], ".h", specs[i], names[i], emit_kind_h);
  if (ok && !strcmp(o.command, "registry")) ok = write_registry(&o, specs, names);
  if (d.errors) fprintf(stderr, "ksmc-gen: %d error%s\n", d.errors, d.errors == 1 ? "" : "s");
  for (int i = 0; i < o.nspecs; i++) {
    spec_free(specs[i]);
    free(names[i]);
  }
  free(specs);
  free(names);
  schema_free(&sch);
  return ok ? 0 : 1;
}
