/* Shared pieces of the jet command-line client (client/cli). */
#ifndef JET_CLI_H
#define JET_CLI_H

#include <stdbool.h>

#include "jet/jet.h"
#include "jet/strbuf.h"

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

/* `jet run --place I=DEVICES` and `--keep` (cli_place.c). */
#define JET_CLI_MAX_PLACE_DEVICES 64
typedef struct jet_cli_place {
  uint32_t arg;
  uint32_t n_devices; /* 1: committed to devices[0]; more: sharded */
  uint32_t devices[JET_CLI_MAX_PLACE_DEVICES];
} jet_cli_place;
jet_status jet__cli_place_parse(const char *spec, jet_cli_place *out) JET_MUST_USE;
/* PutArray of one argument as pl says. */
jet_status jet__cli_place_upload(jet_client *c, const jet_cli_place *pl, const jet_type *t,
                                 const void *data, jet_array **out) JET_MUST_USE;
/* "# output I: on device D" / "# output I: sharded in K blocks over devices A,B". */
void jet__cli_print_placement(jet_strbuf *sb, size_t i, const jet_array *a);

#endif
