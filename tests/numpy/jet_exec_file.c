/* jet_exec_file: runs graphs in the text form on the reference executor,
 * without a daemon, for the numpy cross-check (tests/numpy/check_ops.py).
 *
 *   jet_exec_file CASE_DIR...
 *       Each case directory holds graph.jet (one graph, jet/text.h syntax)
 *       and arg0.bin, arg1.bin, ... (raw little-endian row-major data, one
 *       per graph parameter, sized exactly as the parameter's type). Writes
 *       out0.bin, out1.bin, ... (raw bytes) and result.txt: "ok N" then one
 *       output type per line ("f32[2,3]"), or "error CODE: message". Prints
 *       one line per case.
 *
 *   jet_exec_file --batch IN OUT
 *       Many cases in one file (file systems are slow with many small
 *       files). IN is a sequence of
 *         "jetcase NAME GRAPH_BYTES N_ARGS\n" GRAPH_TEXT
 *         then N_ARGS times "arg BYTES\n" DATA
 *       OUT gets per case either
 *         "jetcase NAME ok N_OUTPUTS\n" then per output "out TYPE BYTES\n" DATA
 *       or "jetcase NAME error CODE: MESSAGE\n" (newlines in the message
 *       become spaces).
 *
 * Exits 1 when any case failed (each failure is also printed to stderr), 2
 * on bad usage or a malformed batch file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "jet/graph.h"
#include "jet/status.h"
#include "jet/text.h"
#include "jet/type.h"
#include "mem.h"

/* Reads a whole file into a malloc'd NUL-terminated buffer. */
static jet_status read_file(const char *path, char **data, size_t *len) {
  *data = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return jet_status_make(JET_NOT_FOUND, "cannot open %s: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) {
    fclose(f);
    return jet_status_oom("file buffer");
  }
  for (;;) {
    if (n == cap) {
      char *nb = cap > SIZE_MAX / 4 ? NULL : realloc(buf, cap * 2 + 1);
      if (!nb) {
        free(buf);
        fclose(f);
        return jet_status_oom("file buffer");
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    return jet_status_make(JET_DATA_LOSS, "cannot read %s", path);
  }
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return NULL;
}

static jet_status write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return jet_status_make(JET_PERMISSION_DENIED, "cannot create %s: %s", path, strerror(errno));
  int bad = len && fwrite(data, 1, len, f) != len;
  if (fclose(f) != 0) bad = 1;
  if (bad) return jet_status_make(JET_DATA_LOSS, "cannot write %s", path);
  return NULL;
}

static jet_status path_join(char *out, size_t cap, const char *dir, const char *name) {
  int n = snprintf(out, cap, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= cap) return jet_status_make(JET_INVALID_ARGUMENT, "path too long: %s", dir);
  return NULL;
}

/* One case in memory: the graph text and the arguments' bytes (borrowed),
 * and after run_case the outputs (owned; free with free_outputs). */
typedef struct exec_case {
  const char *text;
  size_t text_len;
  uint32_t n_args;
  const char **arg_data;
  size_t *arg_len;
  uint32_t n_outs;
  jet_buf *outs;
} exec_case;

static void free_outputs(exec_case *c) {
  if (c->outs) {
    for (uint32_t i = 0; i < c->n_outs; i++) jet_mem_free(c->outs[i].data);
  }
  free(c->outs);
  c->outs = NULL;
  c->n_outs = 0;
}

/* Parses and runs one case. Arguments are copied into aligned buffers. */
static jet_status run_case(exec_case *c) {
  jet_graph *g = NULL;
  c->outs = NULL;
  c->n_outs = 0;
  JET_RETURN_IF_ERROR(jet_graph_parse(c->text, c->text_len, &g));
  jet_status st = NULL;
  uint32_t np = g->n_params, no = g->n_outputs;
  jet_buf *args = calloc(np ? np : 1, sizeof *args);
  jet_buf *outs = calloc(no ? no : 1, sizeof *outs);
  if (!args || !outs) st = jet_status_oom("case buffers");
  if (!st && c->n_args != np) {
    st = jet_status_make(JET_INVALID_ARGUMENT, "%" PRIu32 " arguments given; the graph has %" PRIu32
                         " parameters", c->n_args, np);
  }
  for (uint32_t i = 0; i < np && !st; i++) {
    const jet_type *t = &g->value_types[i];
    size_t want = jet_type_nbytes(t);
    if (c->arg_len[i] != want) {
      char tb[JET_TYPE_STR_MAX];
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "argument %" PRIu32 " has %zu bytes; parameter type %s needs %zu", i,
                           c->arg_len[i], jet_type_str(t, tb, sizeof tb), want);
      break;
    }
    args[i].type = *t;
    args[i].data = jet_mem_alloc(want);
    if (!args[i].data) {
      st = jet_status_oom("argument buffer");
      break;
    }
    if (want) memcpy(args[i].data, c->arg_data[i], want);
  }
  if (!st) st = jet_exec_graph(g, args, np, outs, NULL);
  if (args) {
    for (uint32_t i = 0; i < np; i++) jet_mem_free(args[i].data);
  }
  free(args);
  jet_graph_destroy(g);
  if (st) {
    free(outs);
    return st;
  }
  c->outs = outs;
  c->n_outs = no;
  return NULL;
}

/* ---- directory mode ---------------------------------------------------- */

static jet_status dir_case(const char *dir, exec_case *c, char **texts, uint32_t max_args) {
  char path[4096];
  JET_RETURN_IF_ERROR(path_join(path, sizeof path, dir, "graph.jet"));
  JET_RETURN_IF_ERROR(read_file(path, &texts[0], &c->text_len));
  c->text = texts[0];
  /* Arguments: arg0.bin, arg1.bin, ... until one is missing. */
  for (uint32_t i = 0; i < max_args; i++) {
    char name[32];
    snprintf(name, sizeof name, "arg%" PRIu32 ".bin", i);
    JET_RETURN_IF_ERROR(path_join(path, sizeof path, dir, name));
    FILE *f = fopen(path, "rb");
    if (!f) break;
    fclose(f);
    size_t len = 0;
    JET_RETURN_IF_ERROR(read_file(path, &texts[i + 1], &len));
    c->arg_data[i] = texts[i + 1];
    c->arg_len[i] = len;
    c->n_args = i + 1;
  }
  JET_RETURN_IF_ERROR(run_case(c));
  for (uint32_t i = 0; i < c->n_outs; i++) {
    char name[32];
    snprintf(name, sizeof name, "out%" PRIu32 ".bin", i);
    JET_RETURN_IF_ERROR(path_join(path, sizeof path, dir, name));
    JET_RETURN_IF_ERROR(write_file(path, c->outs[i].data, jet_type_nbytes(&c->outs[i].type)));
  }
  return NULL;
}

#define MAX_DIR_ARGS 64

/* Runs one case directory and records its result; returns 0 on success. */
static int do_dir(const char *dir) {
  char *texts[MAX_DIR_ARGS + 1] = {NULL};
  const char *arg_data[MAX_DIR_ARGS] = {NULL};
  size_t arg_len[MAX_DIR_ARGS] = {0};
  exec_case c = {.arg_data = arg_data, .arg_len = arg_len};
  jet_status st = dir_case(dir, &c, texts, MAX_DIR_ARGS);
  for (uint32_t i = 0; i <= MAX_DIR_ARGS; i++) free(texts[i]);
  char path[4096];
  FILE *f = NULL;
  if (!path_join(path, sizeof path, dir, "result.txt")) f = fopen(path, "w");
  int rc = 0;
  if (st) {
    const char *code = jet_code_name(jet_status_code(st));
    if (f) fprintf(f, "error %s: %s\n", code, jet_status_message(st));
    printf("%s: error %s: %s\n", dir, code, jet_status_message(st));
    fprintf(stderr, "%s: error %s: %s\n", dir, code, jet_status_message(st));
    jet_status_free(st);
    rc = 1;
  } else {
    if (f) fprintf(f, "ok %" PRIu32 "\n", c.n_outs);
    printf("%s: ok", dir);
    for (uint32_t i = 0; i < c.n_outs; i++) {
      char tb[JET_TYPE_STR_MAX];
      jet_type_str(&c.outs[i].type, tb, sizeof tb);
      if (f) fprintf(f, "%s\n", tb);
      printf(" %s", tb);
    }
    printf("\n");
  }
  free_outputs(&c);
  if (!f || fclose(f) != 0) {
    fprintf(stderr, "%s: cannot write result.txt\n", dir);
    rc = 1;
  }
  return rc;
}

/* ---- batch mode -------------------------------------------------------- */

/* Reads one header line "WORD ..." at *pos; returns a pointer to the
 * NUL-terminated line (the newline is overwritten) and advances *pos. */
static char *next_line(char *buf, size_t len, size_t *pos) {
  if (*pos >= len) return NULL;
  char *start = buf + *pos;
  char *nl = memchr(start, '\n', len - *pos);
  if (!nl) return NULL;
  *nl = '\0';
  *pos = (size_t)(nl - buf) + 1;
  return start;
}

static void put_message(FILE *out, const char *msg) {
  for (const char *p = msg; *p; p++) fputc(*p == '\n' || *p == '\r' ? ' ' : *p, out);
  fputc('\n', out);
}

static int do_batch(const char *in_path, const char *out_path) {
  char *buf = NULL;
  size_t len = 0, pos = 0;
  jet_status st = read_file(in_path, &buf, &len);
  if (st) {
    fprintf(stderr, "%s\n", jet_status_message(st));
    jet_status_free(st);
    return 2;
  }
  FILE *out = fopen(out_path, "wb");
  if (!out) {
    fprintf(stderr, "cannot create %s: %s\n", out_path, strerror(errno));
    free(buf);
    return 2;
  }
  int rc = 0;
  const char **arg_data = NULL;
  size_t *arg_len = NULL;
  while (pos < len) {
    char *line = next_line(buf, len, &pos);
    char name[256];
    size_t glen = 0;
    uint32_t nargs = 0;
    if (!line || sscanf(line, "jetcase %255s %zu %" SCNu32, name, &glen, &nargs) != 3 ||
        glen > len - pos || nargs > 4096) {
      fprintf(stderr, "%s: malformed case header at byte %zu\n", in_path, pos);
      rc = 2;
      break;
    }
    exec_case c = {.text = buf + pos, .text_len = glen, .n_args = nargs};
    pos += glen;
    free(arg_data);
    free(arg_len);
    arg_data = calloc(nargs ? nargs : 1, sizeof *arg_data);
    arg_len = calloc(nargs ? nargs : 1, sizeof *arg_len);
    if (!arg_data || !arg_len) {
      fprintf(stderr, "out of memory\n");
      rc = 2;
      break;
    }
    int bad = 0;
    for (uint32_t i = 0; i < nargs && !bad; i++) {
      line = next_line(buf, len, &pos);
      if (!line || sscanf(line, "arg %zu", &arg_len[i]) != 1 || arg_len[i] > len - pos) {
        bad = 1;
        break;
      }
      arg_data[i] = buf + pos;
      pos += arg_len[i];
    }
    if (bad) {
      fprintf(stderr, "%s: malformed argument of case %s\n", in_path, name);
      rc = 2;
      break;
    }
    c.arg_data = arg_data;
    c.arg_len = arg_len;
    st = run_case(&c);
    if (st) {
      const char *code = jet_code_name(jet_status_code(st));
      fprintf(out, "jetcase %s error %s: ", name, code);
      put_message(out, jet_status_message(st));
      fprintf(stderr, "%s: error %s: %s\n", name, code, jet_status_message(st));
      jet_status_free(st);
      fflush(out);
      rc = 1;
      continue;
    }
    fprintf(out, "jetcase %s ok %" PRIu32 "\n", name, c.n_outs);
    for (uint32_t i = 0; i < c.n_outs; i++) {
      char tb[JET_TYPE_STR_MAX];
      size_t nb = jet_type_nbytes(&c.outs[i].type);
      fprintf(out, "out %s %zu\n", jet_type_str(&c.outs[i].type, tb, sizeof tb), nb);
      if (nb && fwrite(c.outs[i].data, 1, nb, out) != nb) rc = 2;
    }
    free_outputs(&c);
    fflush(out); /* a later crash keeps the results so far */
  }
  free(arg_data);
  free(arg_len);
  free(buf);
  if (fclose(out) != 0 || rc == 2) {
    if (rc != 2) fprintf(stderr, "cannot write %s\n", out_path);
    return 2;
  }
  return rc;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--batch") == 0) {
    if (argc != 4) {
      fprintf(stderr, "usage: %s --batch IN OUT\n", argv[0]);
      return 2;
    }
    return do_batch(argv[2], argv[3]);
  }
  if (argc < 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: %s CASE_DIR... | --batch IN OUT\n", argv[0]);
    return 2;
  }
  int failed = 0;
  for (int i = 1; i < argc; i++) failed |= do_dir(argv[i]);
  return failed ? 1 : 0;
}
