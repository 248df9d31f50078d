/* Test harness for the integration tests: starts a real jetd on a free
 * loopback port, runs the jet CLI and other programs, and makes raw gRPC
 * calls for the cases a well-behaved client library cannot produce.
 *
 * The daemon runs as a child process (fork + exec of JETD_PATH) with
 * `--listen 127.0.0.1:0` plus the caller's extra arguments. Its stdout and
 * stderr go to a log file under <test binary dir>/integration-logs/; the
 * harness waits until the log holds the line `jetd listening on ADDRESS`
 * and keeps ADDRESS. The child gets PR_SET_PDEATHSIG = SIGKILL, so a test
 * process that dies never leaves a daemon behind.
 *
 * Functions return 0 on success and -1 on failure after printing the reason
 * (and the tail of the daemon log) to stderr; tests assert on the result.
 *
 * Thread safety: one jet_test_daemon is driven from one thread; the program
 * runners may be called from any thread.
 */
#ifndef JET_TEST_DAEMON_HARNESS_H
#define JET_TEST_DAEMON_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

#include "jet/jet.h"
#include "jet/status.h"

typedef struct jet_test_daemon jet_test_daemon;

/* Seconds allowed for the daemon to print its listening line, and for it to
 * exit after SIGTERM. Sanitizer builds start slowly; these are generous. */
#define JET_TEST_START_TIMEOUT_MS 20000
#define JET_TEST_STOP_TIMEOUT_MS 20000

/* Starts jetd. extra_args is a NULL-terminated list (NULL for none). */
int jet_test_daemon_start(const char *const *extra_args, jet_test_daemon **out);

/* "127.0.0.1:PORT" as printed by the daemon. Borrowed from d. */
const char *jet_test_daemon_address(const jet_test_daemon *d);
pid_t jet_test_daemon_pid(const jet_test_daemon *d);
const char *jet_test_daemon_log_path(const jet_test_daemon *d);
/* The ADDRESS of the daemon's "jetd metrics on ADDRESS" log line (started
 * with --metrics-listen) into out. 0, or -1 when the line is missing or
 * does not fit. */
int jet_test_daemon_metrics_address(const jet_test_daemon *d, char *out, size_t cap);

/* The whole file at path, malloc'd and NUL-terminated (*len = its size when
 * len is not NULL); NULL when it cannot be read. */
char *jet_test_read_file(const char *path, size_t *len);

/* Sends a signal to the daemon (e.g. SIGTERM in the shutdown test). */
int jet_test_daemon_signal(jet_test_daemon *d, int sig);

/* Waits up to timeout_ms for the daemon to exit. Returns its exit code
 * (0..255), 128 + signal number when a signal killed it, or -1 when it is
 * still running at the deadline. */
int jet_test_daemon_wait(jet_test_daemon *d, int timeout_ms);

/* Sends SIGTERM (unless the daemon already exited), waits up to
 * JET_TEST_STOP_TIMEOUT_MS, then SIGKILLs it. Frees d. Returns the exit
 * code as jet_test_daemon_wait does, or -1 when it had to be killed. A
 * non-zero result prints the log tail. NULL d returns 0. Under LeakSanitizer
 * (the default with -DJET_SANITIZE=ON) a leak makes the exit code non-zero,
 * so asserting 0 here is the leak check. */
int jet_test_daemon_stop(jet_test_daemon *d);

/* Prints the last `max_bytes` of the daemon log to stderr. */
void jet_test_daemon_dump_log(const jet_test_daemon *d, size_t max_bytes);

/* ---- Shared cmocka group fixture: a daemon, optionally with a client ---- */

typedef struct jet_test_fixture {
  jet_test_daemon *daemon;
  const char *address; /* jet_test_daemon_address(daemon), borrowed */
  jet_client *client;  /* connected to address; NULL when started without */
} jet_test_fixture;

/* Starts jetd with extra_args (NULL-terminated, NULL for none) and, when
 * with_client is non-zero, connects a jet_client to it. Returns 0, or -1
 * after printing the reason (nothing is left running). */
int jet_test_fixture_start(const char *const *extra_args, int with_client,
                           jet_test_fixture **out);

/* Closes the client (if any), stops the daemon as jet_test_daemon_stop does
 * and frees f. Returns the daemon's exit status (0 expected: under
 * LeakSanitizer this is the leak check); a non-zero one is also printed. */
int jet_test_fixture_stop(jet_test_fixture *f);

/* cmocka group setup/teardown around the functions above: _setup starts a
 * daemon (no extra arguments) with a client, _setup_daemon one without a
 * client; *state becomes the jet_test_fixture. _teardown returns -1
 * (failing the group) when the daemon's exit status is not 0. */
int jet_test_fixture_setup(void **state);
int jet_test_fixture_setup_daemon(void **state);
int jet_test_fixture_teardown(void **state);

/* Result of running a program. */
typedef struct jet_test_proc_result {
  char *out;       /* stdout, NUL-terminated (malloc'd) */
  size_t out_len;
  char *err;       /* stderr, NUL-terminated (malloc'd) */
  size_t err_len;
  int status;      /* exit code, 128 + signal, or -1 on timeout */
} jet_test_proc_result;

/* Runs argv[0] (a path) with argv, with JET_ADDRESS=address in its
 * environment when address is not NULL, and captures stdout and stderr.
 * The program is killed after timeout_ms. Returns 0 when the program ran
 * (whatever its exit code), -1 when it could not be started. */
int jet_test_run_program(const char *const *argv, const char *address, int timeout_ms,
                         jet_test_proc_result *res);

/* Runs the jet CLI (JET_CLI_PATH) with args (NULL-terminated, without the
 * program name) against address. */
int jet_test_run_cli(const char *address, const char *const *args, jet_test_proc_result *res);

void jet_test_proc_result_free(jet_test_proc_result *res);

/* Directory of the running test binary (for sibling programs), no trailing
 * slash. Borrowed, static. */
const char *jet_test_self_dir(void);

/* ---- Raw gRPC calls (bypassing libjet) ---- */

/* Outcome of a raw call. */
typedef struct jet_test_raw_result {
  grpc_status_code code;
  char *details;               /* status message (malloc'd), "" if none */
  grpc_byte_buffer *response;  /* first response message or NULL; caller
                                  destroys with grpc_byte_buffer_destroy */
} jet_test_raw_result;

/* Makes a unary call of `method` ("/jet.v1.Jet/Compile") on a fresh
 * channel, sending exactly `request` (may be NULL: no message, only a
 * half-close), with metadata jet-session: session when session is not NULL.
 * For client-streaming methods the request counts as the only message.
 * Deadline: timeout_ms. Returns 0 when the call completed (any status), -1
 * on a local failure. Calls grpc_init itself (balanced by grpc_shutdown). */
int jet_test_raw_call(const char *address, const char *method, grpc_byte_buffer *request,
                      const char *session, int timeout_ms, jet_test_raw_result *res);

/* Same, with request bytes given as a buffer. */
int jet_test_raw_call_bytes(const char *address, const char *method, const void *bytes,
                            size_t len, const char *session, int timeout_ms,
                            jet_test_raw_result *res);

void jet_test_raw_result_free(jet_test_raw_result *res);

/* Packs a protobuf-c message and makes a raw call with it. */
int jet_test_raw_call_msg(const char *address, const char *method, const ProtobufCMessage *msg,
                          const char *session, int timeout_ms, jet_test_raw_result *res);

/* Unpacks res->response as a message of descriptor d; NULL when there is no
 * response or it does not parse. Free with protobuf_c_message_free_unpacked
 * (allocator NULL). */
ProtobufCMessage *jet_test_raw_unpack(const jet_test_raw_result *res,
                                      const ProtobufCMessageDescriptor *d);

/* Uploads one f32 vector with a raw single-chunk PutArray in `session` and
 * copies the new handle id into id (cap bytes). Arrays made this way have
 * no libjet struct, so a test can leave them behind on purpose. Returns 0 on
 * success, -1 (after printing the status) otherwise. */
int jet_test_raw_put_f32(const char *address, const char *session, const float *data,
                         int64_t n, char *id, size_t cap);

/* For tests (needs <cmocka.h> included first): fails the test with the
 * status's code and message when expr returns a non-OK jet_status. */
#define JET_TEST_OK(expr)                                                       \
  do {                                                                          \
    jet_status jet_test_st_ = (expr);                                           \
    if (jet_test_st_) {                                                         \
      char jet_test_msg_[1024];                                                 \
      snprintf(jet_test_msg_, sizeof jet_test_msg_, "%s", jet_status_message(jet_test_st_)); \
      jet_code jet_test_code_ = jet_status_code(jet_test_st_);                  \
      jet_status_free(jet_test_st_);                                            \
      fail_msg("%s failed: %s: %s", #expr, jet_code_name(jet_test_code_), jet_test_msg_); \
    }                                                                           \
  } while (0)

/* Expects expr to fail with `code`; the message must contain `needle`
 * (unless needle is NULL). */
#define JET_TEST_FAILS(expr, code, needle)                                      \
  do {                                                                          \
    jet_status jet_test_st_ = (expr);                                           \
    if (!jet_test_st_) fail_msg("%s succeeded; expected %s", #expr, jet_code_name(code)); \
    char jet_test_msg_[1024];                                                   \
    snprintf(jet_test_msg_, sizeof jet_test_msg_, "%s", jet_status_message(jet_test_st_)); \
    jet_code jet_test_code_ = jet_status_code(jet_test_st_);                    \
    jet_status_free(jet_test_st_);                                              \
    if (jet_test_code_ != (code))                                               \
      fail_msg("%s: got %s (%s), expected %s", #expr, jet_code_name(jet_test_code_), \
               jet_test_msg_, jet_code_name(code));                             \
    if ((needle) && !strstr(jet_test_msg_, (needle) ? (needle) : ""))           \
      fail_msg("%s: message \"%s\" does not mention \"%s\"", #expr, jet_test_msg_, \
               (needle) ? (needle) : "");                                       \
  } while (0)

/* Monotonic milliseconds. */
double jet_test_now_ms(void);
/* Sleeps ms milliseconds. */
void jet_test_sleep_ms(int ms);

#endif
