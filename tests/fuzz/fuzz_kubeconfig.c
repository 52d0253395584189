/* Fuzz target: kubeconfig loading. The input is written to a private temporary file (in
 * /dev/shm when it is there: rewriting a file on a disk file system costs more than the
 * load itself) and loaded as --kubeconfig (in-cluster settings pointed at a directory that does not
 * exist); a loaded configuration must have a server and a source, a failure a message.
 * The input is also decoded as base64 (certificate-authority-data etc.). */
#include <stdint.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "ksmc_kubeconfig.h"

/* The private directory holding the kubeconfig file, made once per process (libFuzzer's
 * entry points are the only place for it) and removed at exit. */
static char dir[64];

static void cleanup(void) {
  char path[sizeof dir + 16];
  snprintf(path, sizeof path, "%s/config", dir);
  unlink(path);
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  static const char *const parents[] = {"/dev/shm", "/tmp"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(dir, sizeof dir, "%s/ksmc-fuzz-kubeconfig-XXXXXX", parents[i]);
    if (mkdtemp(dir)) break;
    FUZZ_CHECK(i == 0, "mkdtemp %s", dir);
  }
  atexit(cleanup);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[sizeof dir + 16];
  snprintf(path, sizeof path, "%s/config", dir);
  FILE *f = fopen(path, "wb");
  FUZZ_CHECK(f != NULL, "fopen %s", path);
  if (size) fwrite(data, 1, size, f);
  fclose(f);

  ksmc_kube_config_opts o = {.kubeconfig = path,
                             .sa_dir = "/nonexistent/ksmc-fuzz",
                             .service_host = "",
                             .service_port = ""};
  ksmc_kube_config c;
  char err[512];
  err[0] = '\0';
  if (ksmc_kube_config_load(&o, &c, err, sizeof err) == 0) {
    FUZZ_CHECK(c.server && c.source, "loaded without server or source");
    (void)ksmc_kube_config_token(&c, 0);
    ksmc_kube_config_token_invalidate(&c);
    (void)ksmc_kube_config_token(&c, 1);
  } else {
    FUZZ_CHECK(err[0] != '\0', "failure without a message");
  }
  ksmc_kube_config_free(&c);

  ksmc_buf b = {0};
  (void)ksmc_base64_decode((const char *)data, size, &b);
  ksmc_buf_free(&b);
  return 0;
}
