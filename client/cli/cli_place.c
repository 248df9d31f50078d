/* `jet run` placement options (cli.h): --place I=DEVICES commits argument
 * I to a device (one id) or shards it along its leading axis over several
 * (ids separated by ','); --keep keeps the outputs on the daemon and
 * prints where each one lives. Arguments with a placement are uploaded
 * with PutArray before the call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

jet_status jet__cli_place_parse(const char *spec, jet_cli_place *out) {
  memset(out, 0, sizeof *out);
  char *end;
  errno = 0;
  unsigned long i = strtoul(spec, &end, 10);
  if (end == spec || *end != '=' || errno || i > 1u << 20)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "--place '%s': expected ARG=DEVICES (e.g. 0=1 or 0=0,1)", spec);
  out->arg = (uint32_t)i;
  const char *p = end + 1;
  for (;;) {
    errno = 0;
    unsigned long d = strtoul(p, &end, 10);
    if (end == p || errno || d > UINT32_MAX || (*end != ',' && *end != '\0'))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "--place '%s': '%s' is not a list of device ids", spec, p);
    if (out->n_devices == JET_CLI_MAX_PLACE_DEVICES)
      return jet_status_make(JET_INVALID_ARGUMENT, "--place '%s': more than %d devices", spec,
                             JET_CLI_MAX_PLACE_DEVICES);
    out->devices[out->n_devices++] = (uint32_t)d;
    if (*end == '\0') return NULL;
    p = end + 1;
  }
}

jet_status jet__cli_place_upload(jet_client *c, const jet_cli_place *pl, const jet_type *t,
                                 const void *data, jet_array **out) {
  jet_status st = pl->n_devices == 1
                      ? jet_array_put_device(c, t, data, pl->devices[0], out)
                      : jet_array_put_sharded(c, t, data, pl->devices, pl->n_devices, out);
  return st ? jet_status_annotate(st, "argument %u (--place): ", pl->arg) : NULL;
}

void jet__cli_print_placement(jet_strbuf *sb, size_t i, const jet_array *a) {
  const uint32_t *d;
  const size_t n = jet_array_devices(a, &d);
  if (n == 0) {
    jet_strbuf_printf(sb, "# output %zu: placement unknown\n", i);
    return;
  }
  if (n == 1) {
    jet_strbuf_printf(sb, "# output %zu: on device %u\n", i, d[0]);
    return;
  }
  jet_strbuf_printf(sb, "# output %zu: sharded in %zu blocks over devices ", i, n);
  for (size_t k = 0; k < n; k++) jet_strbuf_printf(sb, k ? ",%u" : "%u", d[k]);
  jet_strbuf_puts(sb, "\n");
}
