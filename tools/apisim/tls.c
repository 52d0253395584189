/* tls: loads --tls-cert/--tls-key, or generates a CA and a server certificate for
 * 127.0.0.1/localhost with the openssl CLI into --tls-dir (default: a fresh temp dir). */
#include "apisim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    p = NULL;
  }
  if (p) p[n] = 0;
  fclose(f);
  return p;
}

static int run(const char *cmd) {
  int rc = system(cmd);
  if (rc != 0) fprintf(stderr, "apisim: command failed (%d): %s\n", rc, cmd);
  return rc;
}

int tls_prepare(apisim *sim) {
  const char *cert = sim->cfg.tls_cert, *key = sim->cfg.tls_key;
  char cpath[400], kpath[400];
  if (!cert || !key) {
    const char *dir = sim->cfg.tls_dir;
    if (!dir) {
      snprintf(sim->tls_dir_buf, sizeof sim->tls_dir_buf, "/tmp/apisim-tls-XXXXXX");
      if (!mkdtemp(sim->tls_dir_buf)) {
        perror("apisim: mkdtemp");
        return -1;
      }
      dir = sim->tls_dir_buf;
    } else {
      mkdir(dir, 0700);
      snprintf(sim->tls_dir_buf, sizeof sim->tls_dir_buf, "%s", dir);
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt "
             "-days 365 -subj /CN=apisim-ca -addext basicConstraints=critical,CA:TRUE "
             "-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null && "
             "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
             "-subj /CN=apisim 2>/dev/null && "
             "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' "
             "> ext.cnf && "
             "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
             "-out server.crt -days 365 -extfile ext.cnf 2>/dev/null",
             dir);
    if (run(cmd) != 0) return -1;
    snprintf(cpath, sizeof cpath, "%s/server.crt", dir);
    snprintf(kpath, sizeof kpath, "%s/server.key", dir);
    cert = cpath;
    key = kpath;
  }
  sim->cert_pem = slurp(cert);
  sim->key_pem = slurp(key);
  if (!sim->cert_pem || !sim->key_pem) {
    fprintf(stderr, "apisim: cannot read TLS cert %s / key %s\n", cert, key);
    return -1;
  }
  return 0;
}
