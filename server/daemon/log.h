/* Log lines on stderr, one fprintf per line (thread-safe). Text (the
 * default): "TS jetd LEVEL [req N] message". JSON (log-format = json): one
 * object per line {"ts":"...Z","level":"info","req":N|null,"msg":"..."}
 * with the message escaped as a JSON string. */
#ifndef JET_DAEMON_LOG_H
#define JET_DAEMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "jet/status.h"

typedef enum jet_log_level {
  JET_LOG_ERROR = 0,
  JET_LOG_WARN = 1,
  JET_LOG_INFO = 2,
  JET_LOG_DEBUG = 3,
} jet_log_level;

void jet_log_set_level(jet_log_level level);
jet_log_level jet_log_get_level(void);
/* "error", "warn", "info", "debug"; -1 for anything else. */
int jet_log_level_from_name(const char *name);
const char *jet_log_level_name(jet_log_level level);
/* true: JSON lines; false: text (the default). */
void jet_log_set_json(bool json);

/* request_id 0 = not about a request. */
void jet_log(jet_log_level level, uint64_t request_id, const char *fmt, ...) JET_PRINTF(3, 4);

#endif
