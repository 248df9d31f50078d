/* The device an Execute will run on, found before its request is decoded
 * (exec_peek.c; owner: quotas), so that the scheduler queues it there
 * (wire/sched.h) without decoding a request of up to 64 MiB on the loop
 * thread.
 *
 * The ExecuteRequest's wire bytes are read in place: the handle ids of its
 * arguments, inline payloads skipped by their lengths, nothing copied. The
 * handles are looked up in the call's session: the device of the first
 * committed (unsharded) one, 0 when there is none — the rule the Execute
 * itself applies once decoded (wire/placement.h). A hint only: malformed
 * bytes, an unknown handle or a missing session give 0, and the Execute
 * reports the error when it runs. */
#ifndef JET_WIRE_EXEC_PEEK_H
#define JET_WIRE_EXEC_PEEK_H

#include <grpc/byte_buffer.h>
#include <stdbool.h>
#include <stdint.h>

/* Loop thread (reads c->payload, the store under its mutex). */
struct jet_call;
uint32_t jet__execute_device_hint(struct jet_call *c);

/* The scanner alone (tests, fuzzing): calls fn(ctx, id) for the handle
 * argument ids of the ExecuteRequest in bb, in order, until fn returns
 * true or 256 were seen. An id longer than 128 bytes is passed as "".
 * Returns false when the bytes are not a well-formed message (fn may have
 * been called for the arguments before the fault). */
bool jet__execute_scan_handles(grpc_byte_buffer *bb, bool (*fn)(void *ctx, const char *id),
                               void *ctx);

#endif
