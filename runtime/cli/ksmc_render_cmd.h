/* ksmc_render_cmd: the `ksmc render` subcommand (offline rendering of objects). */
#ifndef KSMC_RENDER_CMD_H
#define KSMC_RENDER_CMD_H

/* Runs `ksmc render` with argv[0] = "render". Returns the exit status: 0 when every
 * object rendered, 1 when some input was malformed (the rest is still rendered), 2 for
 * usage errors. */
int ksmc_render_main(int argc, char **argv);

#endif
