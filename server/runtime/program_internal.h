/* The layout of a compiled program (runtime/program.h), shared by the
 * compiler's lowering (compiler/lower.c, which builds it) and the runtime
 * (program.c runs it, fused/fused.c runs its fused steps). Not a public
 * interface: nothing outside those files reads these structs.
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

typedef enum jet_step_kind { JET_STEP_KERNEL, JET_STEP_FUSED } jet_step_kind;

typedef struct jet_step {
  uint8_t kind;
  uint32_t node_index;  /* KERNEL: the node; FUSED: its last node */
  const jet_node *node; /* the same */
  jet_fused *fused;     /* FUSED */
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
};

/* Runs one fused step (fused/fused.c). base[v] is the address of value v's
 * location for every materialised value the step reads or writes. scratch
 * holds jet_fused_scratch_bytes(f, pool size) bytes. ctl (may be NULL) is
 * checked before every task (about 64 Ki elements): once it says stop, the
 * remaining tasks are skipped and the function returns false (the step's
 * results are then incomplete). */
bool jet_fused_run(const jet_fused *f, void *const *base, void *scratch, const jet_exec_ctl *ctl);
uint64_t jet_fused_scratch_bytes(const jet_fused *f, uint32_t pool_size);

#endif
