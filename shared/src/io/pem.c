/* jet_pem_read (jet/pem.h). */
#include "jet/pem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jet_status jet_pem_read(const char *what, const char *path, char **out) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return jet_status_make(JET_INVALID_ARGUMENT, "%s %s: %s", what, path, strerror(errno));
  char *buf = malloc(JET_PEM_MAX_BYTES + 1);
  if (!buf) {
    fclose(f);
    return jet_status_oom(what);
  }
  size_t n = fread(buf, 1, JET_PEM_MAX_BYTES + 1, f);
  bool err = ferror(f) != 0;
  fclose(f);
  buf[n > JET_PEM_MAX_BYTES ? JET_PEM_MAX_BYTES : n] = '\0';
  const char *why = err                              ? "read error"
                    : n > JET_PEM_MAX_BYTES          ? "larger than 1 MiB"
                    : !strstr(buf, "-----BEGIN ")    ? "holds no PEM block"
                                                     : NULL;
  if (why) {
    free(buf);
    return jet_status_make(JET_INVALID_ARGUMENT, "%s %s: %s", what, path, why);
  }
  *out = buf;
  return NULL;
}
