/* The layout of a compiled program (runtime/program.h), shared by the
 * compiler's lowering (compiler/lower*.c, which builds it) and the runtime
 * (program.c runs it, fused/fused.c runs its fused steps,
 * program_control.c its control steps). Not a public interface: nothing
 * outside those files reads these structs.
 *
 * Every value of the graph has a location (jet_loc): an argument, constant
 * data in the graph, an offset in the execution's arena, an output buffer,
 * or nowhere (it lives only in the tile registers of one fused step). A
 * reshape of a materialised value is an alias: the same location. */
#ifndef JET_RUNTIME_PROGRAM_INTERNAL_H
#define JET_RUNTIME_PROGRAM_INTERNAL_H

#include <stdbool.h>

#include "fused/tile.h"
#include "program.h"

typedef enum jet_loc_kind {
  JET_LOC_NONE = 0, /* lives in tile registers only */
  JET_LOC_PARAM,    /* index = argument */
  JET_LOC_CONST,    /* data = literal bytes in the graph */
  JET_LOC_ARENA,    /* offset in the arena */
  JET_LOC_OUTPUT,   /* index = output buffer */
} jet_loc_kind;

typedef struct jet_loc {
  uint8_t kind;
  uint32_t index;
  uint64_t offset;
  const void *data;
} jet_loc;

/* Instructions of a fused step's tile program. Every instruction defines
 * one slot: a pointer to the current tile of its value. */
typedef enum jet_ti_kind {
  JET_TI_LOAD,   /* slot = the source value's memory at the tile (no copy) */
  JET_TI_SCALAR, /* slot = a register filled once per task with the scalar */
  JET_TI_BCAST,  /* slot = a register (or the value's memory) gathered from a
                    smaller source through broadcast strides */
  JET_TI_OP,     /* slot = op(src slots) written to a register or memory */
  JET_TI_NOP,    /* nothing: an op folded into the next one (a pair) */
} jet_ti_kind;

typedef struct jet_tinstr {
  uint8_t kind;
  jet_dtype dtype;    /* of the slot's elements */
  uint16_t src[3];    /* OP: operand slots */
  int32_t reg;        /* register of the slot; -1 = value memory / source */
  int32_t stage;      /* OP with store: a register of its own where a large
                         step computes the tile before streaming it to
                         memory (non-temporal stores) */
  jet_value value;    /* LOAD/SCALAR/BCAST: the source value */
  jet_value def;      /* OP/BCAST: the value defined */
  bool store;         /* OP/BCAST: the value is materialised: the slot is
                         written at its location instead of a register */
  int64_t bstride[JET_MAX_RANK]; /* BCAST: source stride per domain dim */
  jet_tile_op op;     /* OP */
  const jet_node *node1; /* OP pair (op.n_in == 3): the first op's node */
} jet_tinstr;

typedef enum jet_reduce_mode {
  JET_RED_NONE = 0,
  JET_RED_ROWS, /* domain = [outer, inner]; reduce each row: out[outer] */
  JET_RED_COLS, /* reduce each column over the rows: out[inner] */
} jet_reduce_mode;

/* Fused steps whose domain holds at least this many bytes (counted at 4
 * bytes per element) write materialised results with non-temporal stores
 * (no read-for-ownership of lines that are only written; the data is not
 * read back soon enough to be in cache anyway), through a staging
 * register per stored result. */
#define JET_FUSED_STREAM_MIN_BYTES ((int64_t)4 << 20)

/* At most this many instructions in one tile program. */
#define JET_FUSED_MAX_INSTR 640

typedef struct jet_fused {
  int rank;
  int64_t dims[JET_MAX_RANK]; /* the loop domain (the group's shape) */
  int64_t n;                  /* its element count */
  uint32_t n_instr;
  jet_tinstr *instr;
  uint32_t n_regs;   /* registers of JET_TILE * 8 bytes */
  uint32_t n_nodes;  /* graph nodes fused */
  /* Trailing reduction of one slot. */
  uint8_t red_mode;
  jet_op red_op;
  jet_dtype red_dtype;
  uint16_t red_slot;
  jet_value red_value; /* the reduce node's result */
  int64_t outer, inner;
} jet_fused;

typedef enum jet_step_kind {
  JET_STEP_KERNEL,
  JET_STEP_FUSED,
  JET_STEP_CONTROL, /* cond / while / scan / pmap: sub-programs (program_control.c) */
} jet_step_kind;

/* A control-flow step: each sub-graph of the node lowered once into its
 * own program (compiler/lower_control.c), and the layout of the step's
 * frame, the memory the step needs while it runs, which lies in the
 * control region of the enclosing program's frame (see jet_program):
 *
 *   [prog_off[k]]  frame of sub-program k (cond: every branch at 0, only
 *                  one runs; while: cond and body side by side)
 *   [carry_off]    while/scan: the second buffer of each carry (ping-pong
 *                  with the node's result buffers), carry k at
 *                  carry_buf_off[k]
 *   [pred_off]     while: the cond program's output (one bool)
 *   [ptrs_off]     void *args[n_args] then void *outs[n_outs]: the
 *                  pointers a sub-program is bound to each iteration */
typedef struct jet_control {
  uint32_t n_progs;
  struct jet_program **progs; /* cond: branches; while: [cond, body]; scan: [body] */
  uint64_t *prog_off;         /* [n_progs] */
  uint32_t nc, nk;            /* while/scan: consts, carries */
  uint32_t nx, ny;            /* scan: xs, ys */
  int64_t length;             /* scan */
  bool reverse;               /* scan */
  uint64_t *carry_buf_off;    /* [nk] */
  uint64_t *x_slice, *y_slice; /* scan: bytes of one slice of each x / y */
  uint64_t pred_off, ptrs_off;
  uint32_t n_args, n_outs;    /* sizes of the pointer arrays */
  uint64_t frame_bytes;
  /* pmap (program_pmap.c). The step frame holds jet_status[n_members] at
   * status_off, then one member frame per member at member_off +
   * m * member_stride (members run concurrently): the body program's frame
   * at 0 (prog_off[0] = 0), a buffer per operand whose in_axis is not 0 or
   * -1 (the member's gathered slice) and per output whose out_axis is not
   * 0 (its result before the strided copy; out_axis -1: member m > 0
   * writes there, member 0 into the result) at arg_buf_off / out_buf_off
   * (UINT64_MAX: none), the member's jet_exec_axis at axis_off and its
   * pointer arrays at ptrs_off (relative to the member frame). */
  uint32_t n_members;
  const char *axis_name;       /* borrowed from the node */
  uint32_t *devices;           /* [n_members] */
  uint32_t span;               /* devices each member reserves: the largest
                                  product of the sizes of pmaps nested in
                                  the body (1 = none; device_exec.h) */
  int32_t *in_axes, *out_axes; /* [n_args], [n_outs] */
  uint64_t *arg_slice, *out_slice;     /* bytes of one member's part */
  uint64_t *arg_buf_off, *out_buf_off; /* [n_args], [n_outs] */
  uint64_t status_off, member_off, member_stride, axis_off;
} jet_control;

typedef struct jet_step {
  uint8_t kind;
  uint32_t node_index;  /* KERNEL/CONTROL: the node; FUSED: its last node */
  const jet_node *node; /* the same */
  jet_fused *fused;     /* FUSED */
  jet_control *control; /* CONTROL */
} jet_step;

struct jet_program {
  const jet_graph *graph;
  uint32_t n_steps;
  jet_step *steps;
  jet_loc *locs;          /* [graph->n_values] */
  uint64_t arena_bytes;
  uint32_t max_regs;      /* over fused steps */
  uint64_t max_red_scratch; /* bytes of reduction partials (fused steps) */
  /* Per output: copy from locs[graph->outputs[o]] at the end (it is a
   * parameter, a constant, an alias or an output listed earlier). */
  bool *copy_out;
  /* donate_ok[p * n_outputs + o]: output o may be written in argument p's
   * donated buffer. */
  bool *donate_ok;
  jet_program_info info;
  /* The frame: everything one run of the program needs besides its
   * arguments, outputs and fused scratch, laid out at compile time
   * (compiler/lower_control.c): the value-address table (void *[n_values])
   * at 0, the arena at arena_off, and at ctl_off the control region, the
   * frame of whichever control step is running (the largest of them: they
   * run one after the other). Nested loops thus live inside their parent's
   * frame: one allocation per root execution, none per iteration. */
  uint64_t arena_off, ctl_off, frame_bytes;
  /* Values located at a parameter or an output (their addresses change
   * when a sub-program is bound to other buffers each iteration). */
  uint32_t n_io;
  uint32_t *io;
  uint64_t *out_bytes; /* [n_outputs] bytes of each output */
};

/* Frames (program.c). jet__frame_bind sets the address of every value of
 * p in frame (args: [n_params], outs: [n_outputs]); jet__frame_rebind only
 * those located at a parameter or an output (after the first bind, when
 * only the argument and output pointers changed). jet__program_exec runs
 * p's steps in a bound frame, then copies the outputs that are
 * parameters, constants, aliases or repeats (copy_out) into outs. scratch
 * holds jet__program_scratch_bytes bytes. The controls are checked before
 * every step but the first (the caller checks before that one: a loop
 * polls before every iteration). */
void jet__frame_bind(const jet_program *p, char *frame, void *const *args, void *const *outs);
void jet__frame_rebind(const jet_program *p, char *frame, void *const *args, void *const *outs);
jet_status jet__program_exec(const jet_program *p, char *frame, void *const *outs, void *scratch,
                             const jet_exec_ctl *ctl) JET_MUST_USE;
/* The largest fused scratch of p and its sub-programs, for pool size P. */
uint64_t jet__program_scratch_bytes(const jet_program *p, uint32_t pool_size);

/* Runs control step s of p (program_control.c): base is p's value-address
 * table, cframe the control region of p's frame. */
jet_status jet__control_run(const jet_program *p, const jet_step *s, void *const *base,
                            char *cframe, void *scratch, const jet_exec_ctl *ctl) JET_MUST_USE;
/* Frees a control step (its sub-programs too). */
void jet__control_destroy(jet_control *c);
/* Fused scratch a control step needs for pool size P: the largest of its
 * sub-programs', or for a pmap one aligned share per member (members run
 * concurrently, each on its own scratch). */
uint64_t jet__control_scratch_bytes(const jet_control *c, uint32_t pool_size);
/* Runs a pmap step (program_pmap.c); arguments as jet__control_run. */
jet_status jet__pmap_run(const jet_program *p, const jet_step *s, void *const *base,
                         char *cframe, void *scratch, const jet_exec_ctl *ctl) JET_MUST_USE;

/* Runs one fused step (fused/fused.c). base[v] is the address of value v's
 * location for every materialised value the step reads or writes. scratch
 * holds jet_fused_scratch_bytes(f, pool size) bytes. ctl (may be NULL) is
 * checked before every task (about 64 Ki elements): once it says stop, the
 * remaining tasks are skipped and the function returns false (the step's
 * results are then incomplete). */
bool jet_fused_run(const jet_fused *f, void *const *base, void *scratch, const jet_exec_ctl *ctl);
uint64_t jet_fused_scratch_bytes(const jet_fused *f, uint32_t pool_size);

#endif
