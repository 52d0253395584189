/* ksmc: the exporter's command line. `ksmc render ...` renders objects offline; any
 * other invocation runs the exporter with kube-state-metrics' flags. */
#include <stdio.h>
#include <string.h>

#include "ksmc_render_cmd.h"

int ksmc_run_main(int argc, char **argv);

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "render")) return ksmc_render_main(argc - 1, argv + 1);
  return ksmc_run_main(argc, argv);
}
