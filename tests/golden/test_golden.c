/* test_golden: every tests/golden/<kind>/<case>.json is rendered with
 * `ksmc render --resource <plural of kind> [args from <case>.args]` and compared with
 * <case>.prom. A kind directory is named by the singular lower-case kind (node, pod,
 * replicaset, ingress, networkpolicy); its resource is the English plural: +es after s,
 * y -> ies, else +s (endpoints stays endpoints). Which directories are kinds is decided
 * by the resources ksmc compiles (the list `ksmc render --help` prints), not by name:
 *   - a directory whose resource is compiled is a kind: it must hold cases, and every
 *     .prom must have its .json (and every .json its .prom);
 *   - every compiled resource must have its kind directory (no kind goes unchecked);
 *   - any other directory holding expected output (.prom or .args) is an error (a
 *     misspelled kind, or cases of a spec that is not compiled); one holding neither is
 *     support data (the models, the diff fuzzer's api-fields/ templates) and is listed as
 *     such in the test output.
 * Comparison: byte for byte for cases named exact-*, otherwise as KSM's own tests compare
 * (multiset of lines, labels sorted inside each line), since KSM's map iteration order is
 * random.
 *
 * usage: test_golden KSMC_BINARY GOLDEN_DIR */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ktest.h"

static const char *ksmc_bin;
static const char *golden_dir;

typedef struct {
  char *p;
  size_t n;
} text;

/* Reads f to its end into a malloc'ed buffer (p is never NULL). */
static text read_stream(FILE *f) {
  size_t cap = 4096, r;
  text t = {malloc(cap), 0};
  while ((r = fread(t.p + t.n, 1, cap - t.n, f)) > 0) {
    t.n += r;
    if (t.n == cap) t.p = realloc(t.p, cap *= 2);
  }
  return t;
}

/* The file's bytes; p is NULL when it cannot be opened. */
static text read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return (text){NULL, 0};
  text t = read_stream(f);
  fclose(f);
  return t;
}

/* Runs a shell command and captures stdout; *status gets the exit status. */
static text run(const char *cmd, int *status) {
  FILE *p = popen(cmd, "r");
  if (!p) {
    *status = -1;
    return (text){malloc(1), 0};
  }
  text t = read_stream(p);
  int st = pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return t;
}

/* Splits a sample line's label set into `k="v"` items (escapes respected) and sorts them;
 * returns the normalised line (caller frees). Headers are returned unchanged. */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *normalise_line(const char *line, size_t n) {
  char *out = malloc(n + 1);
  memcpy(out, line, n);
  out[n] = '\0';
  const char *open = memchr(line, '{', n);
  if (line[0] == '#' || !open) return out;
  /* find the closing brace outside quotes */
  size_t i = (size_t)(open - line) + 1, start = i;
  char *items[256];
  int nitems = 0;
  bool inq = false;
  size_t item_start = i;
  for (; i < n; i++) {
    char c = line[i];
    if (inq && c == '\\') {
      i++;
      continue;
    }
    if (c == '"') inq = !inq;
    if (!inq && (c == ',' || c == '}')) {
      if (i > item_start && nitems < 256) {
        items[nitems] = strndup(line + item_start, i - item_start);
        nitems++;
      }
      item_start = i + 1;
      if (c == '}') break;
    }
  }
  if (i >= n) return out; /* malformed: compare as is */
  qsort(items, (size_t)nitems, sizeof *items, cmp_str);
  size_t o = start;
  for (int k = 0; k < nitems; k++) {
    size_t l = strlen(items[k]);
    if (k) out[o++] = ',';
    memcpy(out + o, items[k], l);
    o += l;
    free(items[k]);
  }
  memcpy(out + o, line + i, n - i);
  out[o + n - i] = '\0';
  return out;
}

/* Lines of t (split on \n only), normalised and sorted. */
static char **sorted_lines(const text *t, size_t *count) {
  size_t cap = 64, n = 0, start = 0;
  char **lines = malloc(cap * sizeof *lines);
  for (size_t i = 0; i <= t->n; i++) {
    if (i == t->n || t->p[i] == '\n') {
      if (i > start || i < t->n) {
        if (n == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
        lines[n++] = normalise_line(t->p + start, i - start);
      }
      start = i + 1;
    }
  }
  qsort(lines, n, sizeof *lines, cmp_str);
  *count = n;
  return lines;
}

static void free_lines(char **lines, size_t n) {
  for (size_t i = 0; i < n; i++) free(lines[i]);
  free(lines);
}

/* Compares as multisets of normalised lines; prints the differences. */
static bool same_lines(const text *got, const text *want, const char *name) {
  size_t ng, nw;
  char **g = sorted_lines(got, &ng), **w = sorted_lines(want, &nw);
  size_t i = 0, j = 0;
  int shown = 0;
  bool ok = true;
  while (i < ng || j < nw) {
    int c = i == ng ? 1 : j == nw ? -1 : strcmp(g[i], w[j]);
    if (c == 0) {
      i++;
      j++;
      continue;
    }
    ok = false;
    if (shown++ < 12)
      fprintf(stderr, "  %s: %s %s\n", name, c < 0 ? "unexpected" : "missing   ",
              c < 0 ? g[i] : w[j]);
    if (c < 0)
      i++;
    else
      j++;
  }
  free_lines(g, ng);
  free_lines(w, nw);
  return ok;
}

static bool same_bytes(const text *got, const text *want, const char *name) {
  if (got->n == want->n && memcmp(got->p, want->p, got->n) == 0) return true;
  size_t i = 0;
  while (i < got->n && i < want->n && got->p[i] == want->p[i]) i++;
  size_t line_start = i;
  while (line_start > 0 && want->p[line_start - 1] != '\n') line_start--;
  fprintf(stderr, "  %s: first difference at byte %zu, in the line starting:\n  want: %.120s\n",
          name, i, want->p ? want->p + line_start : "");
  fprintf(stderr, "  got:  %.120s\n",
          got->p ? got->p + (line_start < got->n ? line_start : 0) : "");
  return false;
}

/* Reads <case>.args: one flag per line, shell-quoted into cmd. */
static void append_args(char *cmd, size_t len, const char *args_path) {
  text a = read_file(args_path);
  if (!a.p) return;
  size_t start = 0;
  for (size_t i = 0; i <= a.n; i++) {
    if (i == a.n || a.p[i] == '\n') {
      if (i > start) {
        size_t at = strlen(cmd);
        snprintf(cmd + at, len - at, " '%.*s'", (int)(i - start), a.p + start);
      }
      start = i + 1;
    }
  }
  free(a.p);
}

static int run_case(const char *kind, const char *resource, const char *base) {
  char json[1024], prom[1024], args[1024], cmd[8192];
  snprintf(json, sizeof json, "%s/%s/%s.json", golden_dir, kind, base);
  snprintf(prom, sizeof prom, "%s/%s/%s.prom", golden_dir, kind, base);
  snprintf(args, sizeof args, "%s/%s/%s.args", golden_dir, kind, base);
  snprintf(cmd, sizeof cmd, "'%s' render --resource %s", ksmc_bin, resource);
  append_args(cmd, sizeof cmd, args);
  size_t at = strlen(cmd);
  snprintf(cmd + at, sizeof cmd - at, " '%s'", json);
  int status;
  text got = run(cmd, &status);
  text want = read_file(prom);
  bool ok = want.p != NULL && status == 0;
  if (!want.p) fprintf(stderr, "  %s/%s: missing %s\n", kind, base, prom);
  if (status != 0) fprintf(stderr, "  %s/%s: ksmc render exited %d\n", kind, base, status);
  if (ok)
    ok = strncmp(base, "exact-", 6) == 0 ? same_bytes(&got, &want, base)
                                         : same_lines(&got, &want, base);
  free(got.p);
  free(want.p);
  return ok ? 0 : 1;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
  char *v[1024];
  int n;
} names;

static void free_names(names *l) {
  for (int i = 0; i < l->n; i++) free(l->v[i]);
  l->n = 0;
}

/* The entries of dir, sorted: with suffix (e.g. ".json"), the files ending in it, named
 * without it; with suffix NULL, the subdirectories (hidden ones left out). Returns false
 * when dir cannot be read. */
static bool list_dir(const char *dir, const char *suffix, names *out) {
  out->n = 0;
  DIR *d = opendir(dir);
  if (!d) return false;
  size_t sl = suffix ? strlen(suffix) : 0;
  struct dirent *e;
  while ((e = readdir(d)) && out->n < 1024) {
    size_t l = strlen(e->d_name);
    if (e->d_name[0] == '.') continue;
    if (suffix) {
      if (l > sl && !strcmp(e->d_name + l - sl, suffix))
        out->v[out->n++] = strndup(e->d_name, l - sl);
    } else {
      char sub[2048];
      DIR *s;
      snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
      if ((s = opendir(sub))) {
        closedir(s);
        out->v[out->n++] = strdup(e->d_name);
      }
    }
  }
  closedir(d);
  qsort(out->v, (size_t)out->n, sizeof *out->v, cmp_names);
  return true;
}

static bool has_name(const names *l, const char *name) {
  for (int i = 0; i < l->n; i++)
    if (!strcmp(l->v[i], name)) return true;
  return false;
}

static void run_kind(const char *kind, const char *resource) {
  char dir[1024];
  names cases, proms;
  snprintf(dir, sizeof dir, "%s/%s", golden_dir, kind);
  CU_ASSERT_TRUE_FATAL(list_dir(dir, ".json", &cases));
  CU_ASSERT_TRUE_FATAL(list_dir(dir, ".prom", &proms));
  int failed = 0;
  for (int i = 0; i < cases.n; i++) {
    int f = run_case(kind, resource, cases.v[i]);
    fprintf(stderr, "  golden %s/%s: %s\n", kind, cases.v[i], f ? "FAIL" : "ok");
    failed += f;
  }
  for (int i = 0; i < proms.n; i++)
    if (!has_name(&cases, proms.v[i])) {
      fprintf(stderr, "  golden %s/%s.prom: no %s.json (an expected output with no input)\n", kind,
              proms.v[i], proms.v[i]);
      failed++;
    }
  if (cases.n == 0) fprintf(stderr, "  golden %s/: no cases\n", kind);
  CU_ASSERT_TRUE(cases.n > 0);
  CU_ASSERT_EQUAL(failed, 0);
  free_names(&cases);
  free_names(&proms);
}

/* kind directory -> resource: node -> nodes, ingress -> ingresses, networkpolicy ->
 * networkpolicies; endpoints (kind Endpoints is already plural) -> endpoints. */
static void plural_of(const char *kind, char *out, size_t len) {
  size_t l = strlen(kind);
  if (!strcmp(kind, "endpoints"))
    snprintf(out, len, "%s", kind);
  else if (l > 0 && kind[l - 1] == 's')
    snprintf(out, len, "%ses", kind);
  else if (l > 1 && kind[l - 1] == 'y' && !strchr("aeiou", kind[l - 2]))
    snprintf(out, len, "%.*sies", (int)(l - 1), kind);
  else
    snprintf(out, len, "%ss", kind);
}

/* The resources ksmc compiles, from the `resource of the objects: a, b, c` line of
 * `ksmc render --help`. */
static void compiled_resources(names *out) {
  static const char key[] = "resource of the objects: ";
  char cmd[1100];
  int status;
  out->n = 0;
  snprintf(cmd, sizeof cmd, "'%s' render --help 2>&1", ksmc_bin);
  text help = run(cmd, &status);
  help.p = realloc(help.p, help.n + 1);
  help.p[help.n] = '\0';
  const char *at = strstr(help.p, key);
  if (at) {
    at += sizeof key - 1;
    const char *end = at + strcspn(at, "\n");
    while (at < end && out->n < 1024) {
      size_t l = strcspn(at, ",\n");
      if (at + l > end) l = (size_t)(end - at);
      out->v[out->n++] = strndup(at, l);
      at += l;
      while (at < end && (*at == ',' || *at == ' ')) at++;
    }
  }
  free(help.p);
  if (out->n < 2) fprintf(stderr, "  no resource list in `%s`\n", cmd);
}

/* True when dir holds a file ending in suffix. */
static bool has_suffix(const char *dir, const char *suffix) {
  names l;
  bool found = list_dir(dir, suffix, &l) && l.n > 0;
  free_names(&l);
  return found;
}

/* Every subdirectory of the golden directory: kinds are run, the rest must hold no
 * expected output; every compiled resource must have its kind (see the top of the file). */
static void test_all_kinds(void) {
  names dirs, resources;
  compiled_resources(&resources);
  CU_ASSERT_TRUE_FATAL(resources.n >= 2); /* nodes and pods at least */
  CU_ASSERT_TRUE_FATAL(list_dir(golden_dir, NULL, &dirs));
  names covered = {.n = 0};
  for (int i = 0; i < dirs.n; i++) {
    char resource[256], sub[2048];
    plural_of(dirs.v[i], resource, sizeof resource);
    snprintf(sub, sizeof sub, "%s/%s", golden_dir, dirs.v[i]);
    if (has_name(&resources, resource)) {
      run_kind(dirs.v[i], resource);
      covered.v[covered.n++] = strdup(resource);
    } else if (has_suffix(sub, ".prom") || has_suffix(sub, ".args")) {
      fprintf(stderr,
              "  golden %s/: holds expected output, but '%s' is not a resource ksmc compiles "
              "(a misspelled kind directory, or a spec missing from the build)\n",
              dirs.v[i], resource);
      CU_FAIL("a directory of cases that is not a compiled kind");
    } else {
      fprintf(stderr, "  golden %s/: not a kind, no cases (support data)\n", dirs.v[i]);
    }
  }
  for (int i = 0; i < resources.n; i++)
    if (!has_name(&covered, resources.v[i])) {
      fprintf(stderr, "  resource %s is compiled but has no golden cases directory\n",
              resources.v[i]);
      CU_FAIL("a compiled resource without golden cases");
    }
  free_names(&covered);
  free_names(&dirs);
  free_names(&resources);
}

static const ktest_case cases[] = {{"golden cases of every kind", test_all_kinds}, {NULL, NULL}};

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_golden KSMC_BINARY GOLDEN_DIR\n");
    return 2;
  }
  ksmc_bin = argv[1];
  golden_dir = argv[2];
  return ktest_run("golden", cases);
}
