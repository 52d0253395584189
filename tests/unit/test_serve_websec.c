/* ksmc_websec without TLS (tests/e2e/tls_auth.sh covers TLS): basic auth with bcrypt
 * hashes made here with libxcrypt, the bearer token, challenges, headers, and reload:
 * generations pinned by their holders, a broken file keeps the previous generation and
 * is logged once. */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksmc_websec.h"
#include "ktest.h"

typedef struct {
  int errors, infos;
  char last[1024];
} log_sink;

static void on_log(void *arg, ksmc_log_level level, const char *line) {
  log_sink *l = arg;
  if (level == KSMC_LOG_ERROR) l->errors++;
  if (level == KSMC_LOG_INFO) l->infos++;
  snprintf(l->last, sizeof l->last, "%s", line);
}

static char dir[64], cfg_path[128], token_path[128];

static void write_file(const char *path, const char *text) {
  char tmp[160];
  snprintf(tmp, sizeof tmp, "%s.new", path);
  FILE *f = fopen(tmp, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs(text, f);
  fclose(f);
  CU_ASSERT_EQUAL(rename(tmp, path), 0);
}

/* A bcrypt hash ($2b$, cost 4) of pass. */
static void bcrypt(const char *pass, char *out, size_t cap) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  CU_ASSERT_PTR_NOT_NULL_FATAL(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof salt));
  struct crypt_data cd;
  memset(&cd, 0, sizeof cd);
  const char *h = crypt_rn(pass, salt, &cd, sizeof cd);
  CU_ASSERT_PTR_NOT_NULL_FATAL(h);
  snprintf(out, cap, "%s", h);
}

static void write_config(const char *user, const char *pass) {
  char hash[128], text[512];
  bcrypt(pass, hash, sizeof hash);
  snprintf(text, sizeof text,
           "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n"
           "basic_auth_users:\n  %s: %s\n",
           user, hash);
  write_file(cfg_path, text);
}

/* "Basic <base64(s)>" */
static const char *basic(const char *s, char *buf, size_t cap) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen(s), o = (size_t)snprintf(buf, cap, "Basic ");
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned char)s[i] << 16;
    if (i + 1 < n) v |= (unsigned char)s[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned char)s[i + 2];
    buf[o++] = tab[v >> 18 & 63];
    buf[o++] = tab[v >> 12 & 63];
    buf[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
    buf[o++] = i + 2 < n ? tab[v & 63] : '=';
  }
  buf[o] = 0;
  return buf;
}

static void setup_files(void) {
  snprintf(dir, sizeof dir, "/tmp/ksmc-websec-XXXXXX");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  snprintf(cfg_path, sizeof cfg_path, "%s/web.yml", dir);
  snprintf(token_path, sizeof token_path, "%s/token", dir);
  write_config("alice", "s3cret");
  write_file(token_path, "  tok-1\n");
}

static void cleanup_files(void) {
  unlink(cfg_path);
  unlink(token_path);
  rmdir(dir);
}

static void test_auth(void) {
  setup_files();
  log_sink ls = {0};
  ksmc_websec_opts o = {cfg_path, token_path, 1, on_log, &ls};
  char err[512] = "", b[256];
  ksmc_websec *s = ksmc_websec_new(&o, err, sizeof err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_FALSE(ksmc_websec_tls(s));
  CU_ASSERT_PTR_NULL(ksmc_websec_cert_pem(s));
  ksmc_websec_gen *g = ksmc_websec_acquire(s);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, NULL), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, basic("alice:s3cret", b, sizeof b)), KSMC_AUTH_OK);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, basic("alice:s3cret", b, sizeof b)), KSMC_AUTH_OK);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, basic("alice:s3cre", b, sizeof b)), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, basic("alice:", b, sizeof b)), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, basic("bob:s3cret", b, sizeof b)), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, basic("alice", b, sizeof b)), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, "Basic !!!!"), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, "Basic"), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, "Digest abc"), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, "Bearer tok-1"), KSMC_AUTH_OK);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, "bearer  tok-1 "), KSMC_AUTH_OK);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, "Bearer tok-2"), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, "Bearer tok-"), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, "Bearer "), KSMC_AUTH_DENIED);
  bool bb, bt;
  ksmc_websec_challenges(g, &bb, &bt);
  CU_ASSERT_TRUE(bb && bt);
  size_t n;
  const ksmc_webcfg_pair *h = ksmc_websec_headers(g, &n);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_STRING_EQUAL(h[0].name, "X-Content-Type-Options");
  CU_ASSERT_STRING_EQUAL(h[0].value, "nosniff");
  ksmc_websec_release(s, g);
  ksmc_websec_free(s);
  CU_ASSERT_EQUAL(ls.errors, 0);
  /* no users, no token: everything passes */
  ksmc_websec_opts none = {NULL, NULL, 0, NULL, NULL};
  s = ksmc_websec_new(&none, err, sizeof err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  g = ksmc_websec_acquire(s);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, NULL), KSMC_AUTH_OK);
  ksmc_websec_release(s, g);
  ksmc_websec_free(s);
  cleanup_files();
}

static void test_reload(void) {
  setup_files();
  log_sink ls = {0};
  ksmc_websec_opts o = {cfg_path, token_path, 1, on_log, &ls};
  char err[512] = "", b[256];
  ksmc_websec *s = ksmc_websec_new(&o, err, sizeof err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  ksmc_websec_gen *g1 = ksmc_websec_acquire(s);
  write_file(token_path, "tok-2\n");
  write_config("carol", "pw");
  ksmc_websec_gen *g = ksmc_websec_acquire(s); /* < 1 s: not checked yet */
  CU_ASSERT_PTR_EQUAL(g, g1);
  ksmc_websec_release(s, g);
  usleep(1100 * 1000);
  ksmc_websec_gen *g2 = ksmc_websec_acquire(s);
  CU_ASSERT_PTR_NOT_EQUAL(g2, g1);
  CU_ASSERT_EQUAL(ksmc_websec_reloads(s), 1);
  CU_ASSERT_EQUAL(ls.infos, 1);
  /* the old generation, still held, keeps the old credentials */
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g1, "Bearer tok-1"), KSMC_AUTH_OK);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g1, basic("alice:s3cret", b, sizeof b)), KSMC_AUTH_OK);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g2, "Bearer tok-1"), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g2, "Bearer tok-2"), KSMC_AUTH_OK);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g2, basic("alice:s3cret", b, sizeof b)), KSMC_AUTH_DENIED);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g2, basic("carol:pw", b, sizeof b)), KSMC_AUTH_OK);
  ksmc_websec_release(s, g1);
  /* a broken config: kept, logged once however often it is checked */
  write_file(cfg_path, "basic_auth_users:\n  carol: plaintext\n");
  for (int i = 0; i < 2; i++) {
    usleep(1100 * 1000);
    ksmc_websec_release(s, ksmc_websec_acquire(s));
  }
  CU_ASSERT_EQUAL(ls.errors, 1);
  char want[512];
  snprintf(want, sizeof want,
           "web config not reloaded, keeping the previous one: %s:2:10: basic_auth_users.carol is "
           "not a bcrypt hash (want $2y$10$ and 53 more characters, as made by htpasswd -nBC 10 "
           "carol)",
           cfg_path);
  CU_ASSERT_STRING_EQUAL(ls.last, want);
  g = ksmc_websec_acquire(s);
  CU_ASSERT_PTR_EQUAL(g, g2);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, basic("carol:pw", b, sizeof b)), KSMC_AUTH_OK);
  ksmc_websec_release(s, g);
  /* an empty token file is refused the same way; fixing both files loads again */
  write_file(token_path, "\n");
  usleep(1100 * 1000);
  ksmc_websec_release(s, ksmc_websec_acquire(s));
  CU_ASSERT_EQUAL(ls.errors, 2);
  write_config("dave", "x");
  write_file(token_path, "tok-3");
  usleep(1100 * 1000);
  g = ksmc_websec_acquire(s);
  CU_ASSERT_EQUAL(ksmc_websec_reloads(s), 2);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, "Bearer tok-3"), KSMC_AUTH_OK);
  CU_ASSERT_EQUAL(ksmc_websec_check(s, g, basic("dave:x", b, sizeof b)), KSMC_AUTH_OK);
  ksmc_websec_release(s, g);
  ksmc_websec_release(s, g2);
  ksmc_websec_free(s);
  cleanup_files();
}

static void test_errors(void) {
  char err[512] = "";
  ksmc_websec_opts o = {"/nonexistent/web.yml", NULL, 0, NULL, NULL};
  CU_ASSERT_PTR_NULL(ksmc_websec_new(&o, err, sizeof err));
  CU_ASSERT_STRING_EQUAL(err, "/nonexistent/web.yml: No such file or directory");
  ksmc_websec_opts t = {NULL, "/nonexistent/token", 0, NULL, NULL};
  CU_ASSERT_PTR_NULL(ksmc_websec_new(&t, err, sizeof err));
  CU_ASSERT_STRING_EQUAL(err, "bearer token file /nonexistent/token: No such file or directory");
}

static const ktest_case cases[] = {{"basic auth, bearer token, challenges, headers", test_auth},
                                   {"reload: pinned generations, broken files kept", test_reload},
                                   {"errors name the file", test_errors},
                                   {0}};

KTEST_MAIN("serve_websec", cases)
