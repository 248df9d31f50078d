/* The reference executor: runs any valid graph op by op, with one temporary
 * per value, for every op and every dtype the op accepts.
 *
 * Ownership: arguments are borrowed for the duration of the call. Every
 * output is a fresh allocation from jet_mem_alloc owned by the caller (free
 * with jet_mem_free), even when an output is a parameter or another output.
 * On error no output is left allocated.
 *
 * Thread safety: any number of executions may run at once on different
 * threads over the same (immutable) graph.
 */
#ifndef JET_RUNTIME_EXEC_H
#define JET_RUNTIME_EXEC_H

#include <stdatomic.h>
#include <stdint.h>

#include "jet/graph.h"

typedef struct jet_buf {
  jet_type type;
  void *data;
} jet_buf;

/* Optional controls, checked between ops. */
typedef struct jet_comm jet_comm;

/* A named axis bound by an enclosing pmap for the member running: its
 * communicator (runtime/collective/comm.h), the member's rank and the axis
 * size. Bindings chain outwards (nested pmaps). */
typedef struct jet_exec_axis {
  const char *name;
  jet_comm *comm;
  uint32_t rank, size;
  const struct jet_exec_axis *outer; /* the enclosing binding, or NULL */
} jet_exec_axis;

typedef struct jet_exec_ctl {
  const atomic_int *cancelled; /* non-zero = stop with CANCELLED; may be NULL */
  int64_t deadline_ns;         /* CLOCK_MONOTONIC ns; 0 = none -> DEADLINE_EXCEEDED */
  uint64_t max_temp_bytes;     /* 0 = unlimited; over it -> RESOURCE_EXHAUSTED */
  const jet_exec_axis *axes;   /* innermost pmap axis bound for this run; NULL = none */
  /* Set by jet_program_run_blocks (program.h) for the root program's run:
   * the arguments given as blocks, and the program they belong to (a pmap
   * step of that program reads its members' parts from them). */
  const struct jet_arg_blocks *arg_blocks;
  const void *blocks_of;
} jet_exec_ctl;

/* The innermost binding of axis `name` in ctl (may be NULL), or NULL. */
const jet_exec_axis *jet_exec_find_axis(const jet_exec_ctl *ctl, const char *name);

/* Runs g on args (types must equal g's parameter types; the caller has
 * validated the graph). Writes g->n_outputs buffers to outs. */
jet_status jet_exec_graph(const jet_graph *g, const jet_buf *args, uint32_t n_args, jet_buf *outs,
                          const jet_exec_ctl *ctl) JET_MUST_USE;

/* Checks ctl (may be NULL) before node i: CANCELLED once the cancel flag is
 * set, DEADLINE_EXCEEDED past the deadline (both naming the node), else
 * NULL — and a yield point (runtime/yield.h). Executors call it between
 * steps. */
jet_status jet_exec_ctl_check(const jet_exec_ctl *ctl, uint32_t i, const jet_node *node)
    JET_MUST_USE;

/* Polls ctl (may be NULL) at iteration `iter` of a loop named `what`:
 * CANCELLED once the cancel flag is set, DEADLINE_EXCEEDED past the
 * deadline, else NULL; a yield point too. Loops call it before every
 * iteration. */
jet_status jet_exec_poll(const jet_exec_ctl *ctl, const char *what, uint64_t iter) JET_MUST_USE;

/* Every op has a kernel: used by the op-table completeness test. */
typedef jet_status (*jet_kernel_fn)(const jet_node *node, const jet_buf *in, jet_buf *out);
jet_kernel_fn jet_exec_kernel(jet_op op);

#endif
