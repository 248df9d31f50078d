/* Shared pieces of the jet command-line client (client/cli). */
#ifndef JET_CLI_H
#define JET_CLI_H

#include <stdbool.h>

#include "jet/jet.h"

/* Prints "jet: msg" and the usage text; returns the usage exit code 2. */
int jet__cli_usage_error(const char *msg);
/* Prints "error: CODE: message", frees st; returns exit code 1. */
int jet__cli_report(jet_status st);
/* Reads and parses a graph file; errors are prefixed with the path. */
jet_status jet__cli_parse_file(const char *path, jet_graph **g) JET_MUST_USE;

/* The transform commands (cli_transform.c): grad, value-and-grad, jvp,
 * vjp, jacfwd, jacrev, hessian, vmap, pmap. */
bool jet__cli_is_transform_command(const char *cmd);
int jet__cli_transform(const char *address, const char *cmd, int argc, char **argv);

#endif
