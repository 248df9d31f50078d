/* What a collective backend implements (the local one in comm_local.c; a
 * multi-host MPI one later, see README.md). comm.c owns the public API:
 * it checks every member's own arguments, then calls the backend.
 *
 * A backend's communicator starts with `jet_comm base` and the backend
 * fills base.backend and base.size in create.
 */
#ifndef JET_RUNTIME_COLLECTIVE_COMM_BACKEND_H
#define JET_RUNTIME_COLLECTIVE_COMM_BACKEND_H

#include "comm.h"

struct jet_comm {
  const jet_comm_backend *backend;
  uint32_t size;
};

/* One member's call as the backend sees it. */
typedef struct jet_comm_call {
  uint32_t rank;
  const jet_comm_op *op;
  const jet_buf *in;
  jet_buf *out;
  const jet_exec_ctl *ctl; /* may be NULL */
  /* Non-NULL (borrowed) when this member's own arguments failed comm.c's
   * checks: the backend still takes part in the call and makes every
   * member return this error (code and message). in/out are not used. */
  jet_status local_error;
} jet_comm_call;

typedef jet_status (*jet_comm_fn)(jet_comm *c, const jet_comm_call *call);

struct jet_comm_backend {
  const char *name;
  jet_status (*create)(uint32_t size, jet_comm **out);
  void (*destroy)(jet_comm *c);
  /* Sticky; first abort wins; callable from any thread. */
  void (*abort)(jet_comm *c, jet_code code, const char *msg);
  jet_code (*abort_code)(const jet_comm *c);
  /* One function per collective (the MPI mapping in README.md). */
  jet_comm_fn all_reduce;   /* psum, pmax, pmin (call->op->kind says which) */
  jet_comm_fn all_gather;
  jet_comm_fn psum_scatter;
  jet_comm_fn ppermute;
  jet_comm_fn all_to_all;
};

#endif
