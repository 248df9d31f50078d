/* State shared by the three parts of the lowering: grouping (lower.c),
 * tile-program building (lower_fused.c) and memory planning
 * (lower_plan.c); control steps' sub-programs and frame layout
 * (lower_control.c). Internal to server/compiler. */
#ifndef JET_COMPILER_LOWER_INTERNAL_H
#define JET_COMPILER_LOWER_INTERNAL_H

#include "runtime/program_internal.h"

/* Where a value stands during grouping. */
enum {
  V_NONE = 0, /* not yet defined */
  V_GROUP,    /* defined by a member of a group (open or being closed) */
  V_REG,      /* lives only in the registers of its closed group */
  V_VIRT,     /* a broadcast not computed (read through strides) */
  V_MAT,      /* in memory: argument, constant, alias or a step's result */
};

typedef struct lgroup {
  bool open;
  jet_type shape;      /* the loop domain (dtype unused) */
  uint32_t *members;   /* node indices, in order */
  uint32_t n_members;
  int32_t red_node;    /* the trailing reduction's node, -1 = none */
  uint8_t red_mode;
  int64_t outer, inner;
  uint32_t step;       /* the step it became */
} lgroup;

typedef struct lstep {
  uint8_t kind;  /* jet_step_kind */
  uint32_t node; /* KERNEL: node; FUSED: last member */
  int32_t group; /* FUSED */
} lstep;

typedef struct lctx {
  const jet_graph *g;
  uint32_t *uses;       /* [n_values] operand uses + output mentions */
  uint32_t *group_uses; /* [n_values] uses by members of its own group */
  int32_t *group_of;    /* [n_values] producing group or -1 */
  uint8_t *state;       /* [n_values] V_* */
  int32_t *def_step;    /* [n_values] step writing it to memory, -1 = none */
  jet_value *alias_of;  /* [n_values] the value it aliases (itself if none) */
  uint8_t *is_output;   /* [n_values] */
  lgroup *groups;
  uint32_t n_groups, cap_groups;
  lstep *steps;
  uint32_t n_steps, cap_steps;
} lctx;

/* The value whose memory v shares (following reshape aliases). */
jet_value jet__lower_root(const lctx *c, jet_value v);
/* Fills p->steps (with their tile programs) from the grouping. */
jet_status jet__lower_build(lctx *c, jet_program *p) JET_MUST_USE;
/* Fills p->locs, arena size, copy_out, donate_ok and info. */
jet_status jet__lower_plan(lctx *c, jet_program *p) JET_MUST_USE;
/* Lowers the sub-graphs of every control step into programs of their own
 * (recursively) and lays out p's frame (arena, control region, io list);
 * runs after the plan. */
jet_status jet__lower_control(jet_program *p) JET_MUST_USE;

#endif
