/* Compiled programs: what `jit` produces and Execute runs.
 *
 * A program is a straight-line list of steps lowered from a flat, validated
 * root graph by the compiler (compiler/lower.h): fused elementwise groups
 * (with an optional trailing reduction) run tile by tile on the shared
 * thread pool (runtime/fused), and every other node runs its kernel
 * (dot_general through OpenBLAS); cond, while and scan run sub-programs
 * compiled once, with no allocation per iteration (program_control.c).
 * Memory is planned at compile time: every
 * intermediate lives at a fixed offset of one arena per execution, sized by
 * liveness analysis, with in-place reuse where an operand dies; outputs are
 * separate buffers handed to the caller.
 *
 * Ownership: a program borrows its graph (node attributes, literal data):
 * the graph must outlive it (the executable owns both). Immutable once
 * built; any number of threads may run it at once.
 */
#ifndef JET_RUNTIME_PROGRAM_H
#define JET_RUNTIME_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "exec.h"

typedef struct jet_program jet_program;

typedef struct jet_program_info {
  uint64_t arena_bytes;        /* planned working memory of one execution */
  uint64_t intermediate_bytes; /* sum of all materialised intermediates' sizes */
  uint64_t unfused_bytes;      /* sum of every node's result sizes (one buffer per value) */
  uint64_t program_bytes;      /* host memory the program itself holds */
  uint32_t steps, fused_steps, fused_nodes;
} jet_program_info;

void jet_program_destroy(jet_program *p);
void jet_program_get_info(const jet_program *p, jet_program_info *out);

/* Runs p: the same contract as jet_exec_graph (exec.h): outs get fresh
 * jet_mem buffers owned by the caller; on error none is left allocated.
 * donate (may be NULL): per argument, the caller may hand over the
 * argument's buffer (jet_mem memory that nothing else references) by
 * setting donate[i] = args[i].data; the run may then reuse it for an
 * output. On return every entry the run took over is set to NULL; the
 * caller frees the rest. */
jet_status jet_program_run(const jet_program *p, const jet_buf *args, uint32_t n_args,
                           void **donate, jet_buf *outs, const jet_exec_ctl *ctl) JET_MUST_USE;

/* A sharded argument: n equal blocks of its leading axis, in order. */
typedef struct jet_arg_blocks {
  uint32_t n; /* 0 = not given as blocks */
  void *const *data;
} jet_arg_blocks;

/* True when every read of argument i in p is a pmap step taking it with
 * in_axis 0 (each member reads only its own part), so the argument may be
 * given as blocks (on their devices) instead of one buffer. */
bool jet_program_arg_takes_blocks(const jet_program *p, uint32_t i);

/* jet_program_run where argument i may be given as blocks[i] (n > 0,
 * args[i].data NULL) when jet_program_arg_takes_blocks(p, i): member m of
 * the pmap reads block m / (members / n). blocks may be NULL. */
jet_status jet_program_run_blocks(const jet_program *p, const jet_buf *args,
                                  const jet_arg_blocks *blocks, uint32_t n_args, void **donate,
                                  jet_buf *outs, const jet_exec_ctl *ctl) JET_MUST_USE;

/* Text listing of the program (steps, fused groups, arena offsets) for
 * debugging and tests; a malloc'd string the caller frees,
 * NULL on out-of-memory. */
char *jet_program_describe(const jet_program *p);

#endif
