/* Integration-test harness: a real jetd child process, program runners and
 * raw gRPC calls. See daemon_harness.h. */
#include "daemon_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "jet/v1/jet.pb-c.h"

#ifndef JETD_PATH
#define JETD_PATH "jetd"
#endif
#ifndef JET_CLI_PATH
#define JET_CLI_PATH "jet"
#endif

extern char **environ;

#define LISTEN_PREFIX "jetd listening on "
#define MAX_ARGS 64

struct jet_test_daemon {
  pid_t pid;
  int exited;      /* 1 once reaped */
  int exit_code;   /* valid when exited */
  char address[256];
  char log_path[PATH_MAX];
};

/* ---- small utilities ---- */

double jet_test_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void jet_test_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

const char *jet_test_self_dir(void) {
  static char dir[PATH_MAX];
  static atomic_int done;
  if (!atomic_load(&done)) {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) {
      strcpy(buf, ".");
      n = 1;
    }
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash && slash != buf) *slash = '\0';
    snprintf(dir, sizeof dir, "%s", buf);
    atomic_store(&done, 1);
  }
  return dir;
}

static int decode_wait_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

/* Reads a whole file (up to limit bytes from its end when tail is set). */
static char *read_file_tail(const char *path, size_t max_bytes, size_t *len_out) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return NULL;
  }
  long size = ftell(f);
  if (size < 0) size = 0;
  long start = 0;
  if (max_bytes > 0 && (size_t)size > max_bytes) start = size - (long)max_bytes;
  if (fseek(f, start, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  size_t want = (size_t)(size - start);
  char *buf = malloc(want + 1);
  if (!buf) {
    fclose(f);
    return NULL;
  }
  size_t got = fread(buf, 1, want, f);
  buf[got] = '\0';
  fclose(f);
  if (len_out) *len_out = got;
  return buf;
}

void jet_test_daemon_dump_log(const jet_test_daemon *d, size_t max_bytes) {
  if (!d) return;
  char *text = read_file_tail(d->log_path, max_bytes, NULL);
  fprintf(stderr, "---- jetd log (%s), last %zu bytes ----\n%s\n---- end of jetd log ----\n",
          d->log_path, max_bytes, text ? text : "(unreadable)");
  free(text);
}

/* Builds "<self dir>/integration-logs/<binary>-<pid>-<n>.log". */
static int make_log_path(char *out, size_t cap) {
  static atomic_int counter;
  char dir[PATH_MAX + 64];
  const char *env = getenv("JET_TEST_LOG_DIR");
  if (env && *env)
    snprintf(dir, sizeof dir, "%s", env);
  else
    snprintf(dir, sizeof dir, "%s/integration-logs", jet_test_self_dir());
  if (mkdir(dir, 0775) != 0 && errno != EEXIST) {
    fprintf(stderr, "harness: cannot create log dir %s: %s\n", dir, strerror(errno));
    return -1;
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const char *base = "test";
  if (n > 0) {
    exe[n] = '\0';
    const char *s = strrchr(exe, '/');
    base = s ? s + 1 : exe;
  }
  int len = snprintf(out, cap, "%s/%s-%d-%d.log", dir, base, (int)getpid(),
                     atomic_fetch_add(&counter, 1));
  return (len < 0 || (size_t)len >= cap) ? -1 : 0;
}

/* Looks for the listening line in the log; copies the address when found. */
static int find_address(const char *log_path, char *addr, size_t cap) {
  char *text = read_file_tail(log_path, 0, NULL);
  if (!text) return 0;
  int found = 0;
  const char *p = strstr(text, LISTEN_PREFIX);
  if (p) {
    p += strlen(LISTEN_PREFIX);
    const char *end = strchr(p, '\n');
    if (end) {
      while (end > p && (end[-1] == '\r' || end[-1] == ' ')) end--;
      size_t n = (size_t)(end - p);
      if (n > 0 && n < cap) {
        memcpy(addr, p, n);
        addr[n] = '\0';
        found = 1;
      }
    }
  }
  free(text);
  return found;
}

/* ---- the daemon ---- */

/* In a forked child before exec (only async-signal-safe calls): dies with
 * the parent (exits 126 if it is already gone), reads /dev/null and writes
 * stdout to out_fd, stderr to err_fd. */
static void child_redirect(pid_t parent, int out_fd, int err_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(126);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
}

int jet_test_daemon_start(const char *const *extra_args, jet_test_daemon **out) {
  *out = NULL;
  jet_test_daemon *d = calloc(1, sizeof *d);
  if (!d) return -1;
  if (make_log_path(d->log_path, sizeof d->log_path) != 0) {
    free(d);
    return -1;
  }
  const char *argv[MAX_ARGS];
  int argc = 0;
  argv[argc++] = JETD_PATH;
  argv[argc++] = "--listen";
  argv[argc++] = "127.0.0.1:0";
  for (int i = 0; extra_args && extra_args[i]; i++) {
    if (argc >= MAX_ARGS - 1) {
      fprintf(stderr, "harness: too many daemon arguments\n");
      free(d);
      return -1;
    }
    argv[argc++] = extra_args[i];
  }
  argv[argc] = NULL;

  /* The daemon's environment: ours, with LeakSanitizer forced on (it only
   * matters for a sanitizer build, where a leak then makes the exit status
   * non-zero) and leaks reported with full stacks in the log. */
  size_t n_env = 0;
  while (environ[n_env]) n_env++;
  char **envp = calloc(n_env + 2, sizeof *envp);
  char asan_var[2048];
  if (!envp) {
    free(d);
    return -1;
  }
  {
    const char *asan = getenv("ASAN_OPTIONS");
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
      if (strncmp(environ[i], "ASAN_OPTIONS=", 13) != 0) envp[k++] = environ[i];
    snprintf(asan_var, sizeof asan_var, "ASAN_OPTIONS=%s%sdetect_leaks=1", asan ? asan : "",
             asan && *asan ? ":" : "");
    envp[k++] = asan_var;
    envp[k] = NULL;
  }

  int fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0664);
  if (fd < 0) {
    fprintf(stderr, "harness: cannot open %s: %s\n", d->log_path, strerror(errno));
    free(envp);
    free(d);
    return -1;
  }
  {
    char line[1024];
    int n = snprintf(line, sizeof line, "# harness: started");
    for (int i = 0; i < argc && n > 0 && (size_t)n < sizeof line; i++)
      n += snprintf(line + n, sizeof line - (size_t)n, " %s", argv[i]);
    if (n > 0 && (size_t)n < sizeof line - 1) {
      line[n++] = '\n';
      if (write(fd, line, (size_t)n) < 0) {
        /* The log line is informational only. */
      }
    }
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "harness: fork failed: %s\n", strerror(errno));
    close(fd);
    free(envp);
    free(d);
    return -1;
  }
  if (pid == 0) {
    child_redirect(parent, fd, fd);
    execve(JETD_PATH, (char *const *)argv, envp);
    static const char msg[] = "harness: exec of jetd failed\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(127);
    _exit(127);
  }
  close(fd);
  free(envp);
  d->pid = pid;

  double deadline = jet_test_now_ms() + JET_TEST_START_TIMEOUT_MS;
  for (;;) {
    if (find_address(d->log_path, d->address, sizeof d->address)) break;
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      d->exited = 1;
      d->exit_code = decode_wait_status(st);
      /* It may have printed the line just before exiting. */
      fprintf(stderr, "harness: jetd (%s) exited with status %d before listening\n", JETD_PATH,
              d->exit_code);
      jet_test_daemon_dump_log(d, 4096);
      free(d);
      return -1;
    }
    if (jet_test_now_ms() > deadline) {
      fprintf(stderr, "harness: jetd did not print \"%s...\" within %d ms\n", LISTEN_PREFIX,
              JET_TEST_START_TIMEOUT_MS);
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      jet_test_daemon_dump_log(d, 4096);
      free(d);
      return -1;
    }
    jet_test_sleep_ms(10);
  }
  *out = d;
  return 0;
}

const char *jet_test_daemon_address(const jet_test_daemon *d) { return d->address; }
pid_t jet_test_daemon_pid(const jet_test_daemon *d) { return d->pid; }
const char *jet_test_daemon_log_path(const jet_test_daemon *d) { return d->log_path; }

char *jet_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  if (buf && len) *len = (size_t)n;
  return buf;
}

int jet_test_daemon_metrics_address(const jet_test_daemon *d, char *out, size_t cap) {
  static const char kLine[] = "jetd metrics on ";
  char *log = jet_test_read_file(d->log_path, NULL);
  const char *p = log ? strstr(log, kLine) : NULL;
  int rc = -1;
  if (p) {
    p += strlen(kLine);
    size_t n = strcspn(p, "\r\n");
    if (n < cap) {
      memcpy(out, p, n);
      out[n] = '\0';
      rc = 0;
    }
  }
  free(log);
  return rc;
}

int jet_test_daemon_signal(jet_test_daemon *d, int sig) {
  if (d->exited) return -1;
  return kill(d->pid, sig);
}

int jet_test_daemon_wait(jet_test_daemon *d, int timeout_ms) {
  if (d->exited) return d->exit_code;
  double deadline = jet_test_now_ms() + timeout_ms;
  for (;;) {
    int st;
    pid_t r = waitpid(d->pid, &st, WNOHANG);
    if (r == d->pid) {
      d->exited = 1;
      d->exit_code = decode_wait_status(st);
      return d->exit_code;
    }
    if (r < 0 && errno != EINTR) {
      fprintf(stderr, "harness: waitpid: %s\n", strerror(errno));
      return -1;
    }
    if (jet_test_now_ms() > deadline) return -1;
    jet_test_sleep_ms(10);
  }
}

int jet_test_daemon_stop(jet_test_daemon *d) {
  if (!d) return 0;
  int code;
  if (!d->exited) kill(d->pid, SIGTERM);
  code = jet_test_daemon_wait(d, JET_TEST_STOP_TIMEOUT_MS);
  if (!d->exited) {
    fprintf(stderr, "harness: jetd (pid %d) did not exit within %d ms of SIGTERM; killing it\n",
            (int)d->pid, JET_TEST_STOP_TIMEOUT_MS);
    kill(d->pid, SIGKILL);
    int st;
    waitpid(d->pid, &st, 0);
    code = -1;
  }
  if (code != 0) {
    fprintf(stderr, "harness: jetd exit status %d\n", code);
    jet_test_daemon_dump_log(d, 16384);
  }
  free(d);
  return code;
}

/* ---- the shared fixture ---- */

int jet_test_fixture_start(const char *const *extra_args, int with_client,
                           jet_test_fixture **out) {
  jet_test_fixture *f = calloc(1, sizeof *f);
  if (!f) return -1;
  if (jet_test_daemon_start(extra_args, &f->daemon) != 0) {
    free(f);
    return -1;
  }
  f->address = jet_test_daemon_address(f->daemon);
  if (with_client) {
    jet_status st = jet_client_connect(f->address, &f->client);
    if (st) {
      fprintf(stderr, "connect: %s\n", jet_status_message(st));
      jet_status_free(st);
      jet_test_daemon_stop(f->daemon);
      free(f);
      return -1;
    }
  }
  *out = f;
  return 0;
}

int jet_test_fixture_stop(jet_test_fixture *f) {
  if (f->client) jet_client_close(f->client);
  int code = jet_test_daemon_stop(f->daemon);
  free(f);
  if (code != 0) fprintf(stderr, "jetd exited with status %d (expected 0)\n", code);
  return code;
}

static int fixture_setup(void **state, int with_client) {
  jet_test_fixture *f;
  if (jet_test_fixture_start(NULL, with_client, &f) != 0) return -1;
  *state = f;
  return 0;
}

int jet_test_fixture_setup(void **state) { return fixture_setup(state, 1); }

int jet_test_fixture_setup_daemon(void **state) { return fixture_setup(state, 0); }

int jet_test_fixture_teardown(void **state) {
  return jet_test_fixture_stop(*state) == 0 ? 0 : -1;
}

/* ---- running programs ---- */

static int append(char **buf, size_t *len, size_t *cap, const char *p, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t nc = *cap ? *cap : 4096;
    while (nc < *len + n + 1) nc *= 2;
    char *nb = realloc(*buf, nc);
    if (!nb) return -1;
    *buf = nb;
    *cap = nc;
  }
  memcpy(*buf + *len, p, n);
  *len += n;
  (*buf)[*len] = '\0';
  return 0;
}

int jet_test_run_program(const char *const *argv, const char *address, int timeout_ms,
                         jet_test_proc_result *res) {
  memset(res, 0, sizeof *res);
  res->status = -1;
  /* Build the environment before fork: the child may only exec. */
  size_t n_env = 0;
  while (environ[n_env]) n_env++;
  char **envp = calloc(n_env + 2, sizeof *envp);
  char *addr_var = NULL;
  if (!envp) return -1;
  size_t k = 0;
  for (size_t i = 0; i < n_env; i++)
    if (strncmp(environ[i], "JET_ADDRESS=", 12) != 0) envp[k++] = environ[i];
  if (address) {
    size_t n = strlen(address) + sizeof "JET_ADDRESS=";
    addr_var = malloc(n);
    if (!addr_var) {
      free(envp);
      return -1;
    }
    snprintf(addr_var, n, "JET_ADDRESS=%s", address);
    envp[k++] = addr_var;
  }
  envp[k] = NULL;

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    free(envp);
    free(addr_var);
    return -1;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    free(envp);
    free(addr_var);
    return -1;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[0]);
    close(err_pipe[1]);
    free(envp);
    free(addr_var);
    return -1;
  }
  if (pid == 0) {
    child_redirect(parent, out_pipe[1], err_pipe[1]);
    execve(argv[0], (char *const *)argv, envp);
    static const char msg[] = "harness: exec failed\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(127);
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  free(envp);
  free(addr_var);

  size_t out_cap = 0, err_cap = 0;
  int rc = 0;
  if (append(&res->out, &res->out_len, &out_cap, "", 0) != 0 ||
      append(&res->err, &res->err_len, &err_cap, "", 0) != 0)
    rc = -1;
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  double deadline = jet_test_now_ms() + timeout_ms;
  int timed_out = 0;
  while (open_fds > 0) {
    double left = deadline - jet_test_now_ms();
    if (left <= 0) {
      timed_out = 1;
      break;
    }
    int pr = poll(fds, 2, (int)left);
    if (pr < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        int ar = i == 0 ? append(&res->out, &res->out_len, &out_cap, buf, (size_t)got)
                        : append(&res->err, &res->err_len, &err_cap, buf, (size_t)got);
        if (ar != 0) rc = -1;
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
      }
    }
  }
  for (int i = 0; i < 2; i++)
    if (fds[i].fd >= 0) close(fds[i].fd);
  if (timed_out) {
    fprintf(stderr, "harness: %s did not finish within %d ms; killing it\n", argv[0], timeout_ms);
    kill(pid, SIGKILL);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  res->status = timed_out ? -1 : decode_wait_status(st);
  return rc;
}

int jet_test_run_cli(const char *address, const char *const *args, jet_test_proc_result *res) {
  const char *argv[MAX_ARGS];
  int argc = 0;
  argv[argc++] = JET_CLI_PATH;
  for (int i = 0; args && args[i]; i++) {
    if (argc >= MAX_ARGS - 1) return -1;
    argv[argc++] = args[i];
  }
  argv[argc] = NULL;
  return jet_test_run_program(argv, address, 60000, res);
}

void jet_test_proc_result_free(jet_test_proc_result *res) {
  free(res->out);
  free(res->err);
  memset(res, 0, sizeof *res);
}

/* ---- raw gRPC calls ---- */

int jet_test_raw_call(const char *address, const char *method, grpc_byte_buffer *request,
                      const char *session, int timeout_ms, jet_test_raw_result *res) {
  memset(res, 0, sizeof *res);
  res->code = GRPC_STATUS_UNKNOWN;
  grpc_init();
  grpc_arg arg = {.type = GRPC_ARG_INTEGER,
                  .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                  .value.integer = 64 * 1024 * 1024};
  grpc_channel_args args = {1, &arg};
  grpc_channel_credentials *cr = grpc_insecure_credentials_create();
  grpc_channel *ch = grpc_channel_create(address, cr, &args);
  grpc_channel_credentials_release(cr);
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                       gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
  grpc_slice path = grpc_slice_from_copied_string(method);
  grpc_call *call =
      grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, path, NULL, deadline, NULL);
  grpc_slice_unref(path);
  int rc = -1;
  if (call) {
    grpc_metadata md;
    memset(&md, 0, sizeof md);
    grpc_slice md_val = grpc_empty_slice();
    if (session) {
      md.key = grpc_slice_from_static_string("jet-session");
      md_val = grpc_slice_from_copied_string(session);
      md.value = md_val;
    }
    grpc_metadata_array initial, trailing;
    grpc_metadata_array_init(&initial);
    grpc_metadata_array_init(&trailing);
    grpc_byte_buffer *resp = NULL;
    grpc_status_code status = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();
    const char *error_string = NULL;
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].data.send_initial_metadata.count = session ? 1 : 0;
    ops[n].data.send_initial_metadata.metadata = session ? &md : NULL;
    n++;
    if (request) {
      ops[n].op = GRPC_OP_SEND_MESSAGE;
      ops[n].data.send_message.send_message = request;
      n++;
    }
    ops[n++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[n].data.recv_initial_metadata.recv_initial_metadata = &initial;
    n++;
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n].data.recv_message.recv_message = &resp;
    n++;
    ops[n].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[n].data.recv_status_on_client.status = &status;
    ops[n].data.recv_status_on_client.status_details = &details;
    ops[n].data.recv_status_on_client.trailing_metadata = &trailing;
    ops[n].data.recv_status_on_client.error_string = &error_string;
    n++;
    int tag_value = 0;
    void *tag = &tag_value;
    grpc_call_error ce = grpc_call_start_batch(call, ops, n, tag, NULL);
    if (ce == GRPC_CALL_OK) {
      grpc_event ev = grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                                  NULL);
      if (ev.type == GRPC_OP_COMPLETE) {
        res->code = status;
        res->details = grpc_slice_to_c_string(details);
        char *copy = strdup(res->details ? res->details : "");
        gpr_free(res->details);
        res->details = copy;
        res->response = resp;
        resp = NULL;
        rc = 0;
      }
    } else {
      fprintf(stderr, "harness: raw call start_batch: %s\n", grpc_call_error_to_string(ce));
    }
    if (resp) grpc_byte_buffer_destroy(resp);
    grpc_slice_unref(details);
    if (error_string) gpr_free((void *)error_string);
    grpc_metadata_array_destroy(&initial);
    grpc_metadata_array_destroy(&trailing);
    grpc_slice_unref(md_val);
    grpc_call_unref(call);
  }
  grpc_completion_queue_shutdown(cq);
  while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
         GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(cq);
  grpc_channel_destroy(ch);
  grpc_shutdown();
  return rc;
}

int jet_test_raw_call_bytes(const char *address, const char *method, const void *bytes,
                            size_t len, const char *session, int timeout_ms,
                            jet_test_raw_result *res) {
  grpc_slice s = grpc_slice_malloc(len);
  if (len) memcpy(GRPC_SLICE_START_PTR(s), bytes, len);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  int rc = jet_test_raw_call(address, method, bb, session, timeout_ms, res);
  grpc_byte_buffer_destroy(bb);
  return rc;
}

void jet_test_raw_result_free(jet_test_raw_result *res) {
  free(res->details);
  if (res->response) grpc_byte_buffer_destroy(res->response);
  memset(res, 0, sizeof *res);
}

int jet_test_raw_call_msg(const char *address, const char *method, const ProtobufCMessage *msg,
                          const char *session, int timeout_ms, jet_test_raw_result *res) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  grpc_slice s = grpc_slice_malloc(len);
  protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  int rc = jet_test_raw_call(address, method, bb, session, timeout_ms, res);
  grpc_byte_buffer_destroy(bb);
  return rc;
}

ProtobufCMessage *jet_test_raw_unpack(const jet_test_raw_result *res,
                                      const ProtobufCMessageDescriptor *d) {
  if (!res->response) return NULL;
  grpc_byte_buffer_reader r;
  if (!grpc_byte_buffer_reader_init(&r, res->response)) return NULL;
  grpc_slice s = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  ProtobufCMessage *m =
      protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
  grpc_slice_unref(s);
  return m;
}

int jet_test_raw_put_f32(const char *address, const char *session, const float *data,
                         int64_t n, char *id, size_t cap) {
  Jet__V1__TensorType t = JET__V1__TENSOR_TYPE__INIT;
  t.dtype = JET__V1__DTYPE__DTYPE_FLOAT32;
  t.dims = &n;
  t.n_dims = 1;
  Jet__V1__PutArrayChunk chunk = JET__V1__PUT_ARRAY_CHUNK__INIT;
  chunk.type = &t;
  chunk.data.data = (uint8_t *)data;
  chunk.data.len = (size_t)n * sizeof(float);
  jet_test_raw_result r;
  if (jet_test_raw_call_msg(address, "/jet.v1.Jet/PutArray", &chunk.base, session, 20000, &r) != 0)
    return -1;
  int rc = -1;
  if (r.code != GRPC_STATUS_OK) {
    fprintf(stderr, "harness: raw PutArray: status %d: %s\n", r.code, r.details);
  } else {
    Jet__V1__PutArrayResponse *resp =
        (Jet__V1__PutArrayResponse *)jet_test_raw_unpack(&r, &jet__v1__put_array_response__descriptor);
    if (resp && resp->handle && resp->handle->id && strlen(resp->handle->id) < cap) {
      snprintf(id, cap, "%s", resp->handle->id);
      rc = 0;
    } else {
      fprintf(stderr, "harness: raw PutArray: no handle in the response\n");
    }
    if (resp) protobuf_c_message_free_unpacked(&resp->base, NULL);
  }
  jet_test_raw_result_free(&r);
  return rc;
}
