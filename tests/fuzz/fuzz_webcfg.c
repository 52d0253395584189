/* Fuzz target: the --tls-config web config parser (ksmc_webcfg_parse). Invariants: it
 * accepts with no message or rejects with one "path:line:col: ..." message (or the
 * out-of-memory one) and an empty result; an accepted config is consistent: TLS exactly
 * when cert_file and key_file are set, client_ca_file only with a client auth type,
 * Verify* types only with client_ca_file, versions in 10..13 and min <= max, relative
 * paths resolved under the file's directory, users with 60-byte bcrypt hashes and names
 * without ':', headers without CR/LF. */
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_webcfg.h"

#define PATH "/etc/ksmc/web.yml"

static void check_path(const char *p) {
  FUZZ_CHECK(p && *p, "empty path kept");
  FUZZ_CHECK(p[0] == '/', "relative path %s not resolved", p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ksmc_webcfg c;
  char err[512];
  err[0] = '\0';
  bool ok = ksmc_webcfg_parse((const char *)data, size, PATH, &c, err, sizeof err);
  if (!ok) {
    FUZZ_CHECK(strncmp(err, PATH ":", strlen(PATH) + 1) == 0, "message without position: %s", err);
    FUZZ_CHECK(!c.tls && !c.cert_file && !c.nusers && !c.nheaders, "failed parse left a result");
    ksmc_webcfg_free(&c);
    return 0;
  }
  FUZZ_CHECK(err[0] == '\0', "accepted with a message: %s", err);
  FUZZ_CHECK(c.tls == (c.cert_file && c.key_file), "tls flag inconsistent");
  if (c.tls) {
    check_path(c.cert_file);
    check_path(c.key_file);
  } else {
    FUZZ_CHECK(!c.cert_file && !c.key_file && !c.client_ca_file, "TLS files without TLS");
  }
  if (c.client_ca_file) {
    check_path(c.client_ca_file);
    FUZZ_CHECK(c.client_auth != KSMC_CLIENT_NONE, "client CA without client auth");
  }
  if (c.client_auth == KSMC_CLIENT_VERIFY_IF_GIVEN ||
      c.client_auth == KSMC_CLIENT_REQUIRE_AND_VERIFY)
    FUZZ_CHECK(c.client_ca_file != NULL, "verify without client CA");
  FUZZ_CHECK(!c.min_version || (c.min_version >= 10 && c.min_version <= 13), "min_version");
  FUZZ_CHECK(!c.max_version || (c.max_version >= 10 && c.max_version <= 13), "max_version");
  FUZZ_CHECK(!c.min_version || !c.max_version || c.min_version <= c.max_version, "min > max");
  for (size_t i = 0; i < c.nusers; i++) {
    FUZZ_CHECK(*c.users[i].name && !strchr(c.users[i].name, ':'), "bad user name");
    FUZZ_CHECK(strlen(c.users[i].value) == 60 && c.users[i].value[0] == '$', "bad hash");
  }
  for (size_t i = 0; i < c.nheaders; i++)
    FUZZ_CHECK(!strpbrk(c.headers[i].value, "\r\n"), "multi-line header value");
  ksmc_webcfg_free(&c);
  return 0;
}
