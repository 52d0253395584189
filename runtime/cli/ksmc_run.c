/* ksmc_run: the exporter (list+watch -> store -> /metrics). Integration in progress. */
#include <stdio.h>

int ksmc_run_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "ksmc: usage: ksmc render --resource RESOURCE FILE... (see ksmc render --help)\n");
  return 2;
}
