/* Fuzz target: the --metric-labels-allowlist / --metric-annotations-allowlist parser and
 * matcher. The input is "<flag>\n<flag2>\n<key>\n<key>...": both flags are parsed into
 * one allowlist (the second replaces the first on success), then every key is matched
 * against the entries for "pods" and "nodes". */
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_labels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_strdup(data, size);
  char *flag2 = strchr(s, '\n');
  char *keys = NULL;
  if (flag2) {
    *flag2++ = '\0';
    keys = strchr(flag2, '\n');
    if (keys) *keys++ = '\0';
  }
  ksmc_allowlist al = {0};
  char err[256];
  err[0] = '\0';
  bool ok = ksmc_allowlist_parse(&al, s, err, sizeof err);
  FUZZ_CHECK(ok || (err[0] && memchr(err, '\0', sizeof err)), "error without a message");
  if (!ok) FUZZ_CHECK(al.n == 0 && al.entries == NULL, "failed parse changed the allowlist");
  if (flag2) {
    size_t before = al.n;
    err[0] = '\0';
    bool ok2 = ksmc_allowlist_parse(&al, flag2, err, sizeof err);
    FUZZ_CHECK(ok2 || al.n == before, "failed parse changed the allowlist");
  }
  for (size_t i = 0; i < al.n; i++) {
    FUZZ_CHECK(al.entries[i].resource != NULL, "entry without a resource");
    for (size_t j = 0; j < al.entries[i].npatterns; j++) {
      const char *p = al.entries[i].patterns[j];
      const char *star = strchr(p, '*');
      FUZZ_CHECK(!star || !strchr(star + 1, '*'), "pattern %s has two '*'", p);
    }
  }
  const ksmc_allowlist_entry *e[2] = {ksmc_allowlist_for(&al, "pods"),
                                      ksmc_allowlist_for(&al, "nodes")};
  while (keys) {
    char *next = strchr(keys, '\n');
    size_t n = next ? (size_t)(next - keys) : strlen(keys);
    for (int k = 0; k < 2; k++)
      if (e[k]) (void)ksmc_allowlist_match(e[k], keys, n);
    keys = next ? next + 1 : NULL;
  }
  ksmc_allowlist_free(&al);
  free(s);
  return 0;
}
