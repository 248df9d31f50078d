/* Test helpers shared by test_text.c, test_hash.c and test_protoconv.c: one
 * small graph per op of the op table, built with the graph builder. */
#ifndef JET_TEXT_TEST_GRAPHS_H
#define JET_TEXT_TEST_GRAPHS_H

#include <stdio.h>
#include <string.h>

#include "jet/graph.h"
#include "jet/ops.h"
#include "graph_build.h"

static inline jet_type tg_type(jet_dtype dt, int32_t rank, int64_t d0, int64_t d1) {
  return gb_type2(dt, rank, d0, d1);
}
#define tg_ints gb_ints
#define tg_int gb_int
#define tg_dtype gb_dtype
#define tg_bool gb_bool

/* The first dtype of the op's mask in order of preference. */
static inline jet_dtype tg_pick_dtype(jet_op op) {
  uint32_t m = jet_op_get(op)->dtype_mask;
  static const jet_dtype pref[] = {JET_F32, JET_I32, JET_BOOL, JET_U32};
  for (size_t i = 0; i < sizeof pref / sizeof pref[0]; i++)
    if (m & JET_DT_BIT(pref[i])) return pref[i];
  return JET_F32;
}

/* Builds graph "op_<name>" exercising op (and, for call, a callee).
 * Returns NULL status on success; the caller destroys *out. */
static inline jet_status tg_build_op_graph(jet_op op, jet_graph **out) {
  char name[64];
  snprintf(name, sizeof name, "op_%s", jet_op_name(op));
  jet_graph *g = jet_graph_create(name);
  if (g == NULL) return jet_status_oom("test graph");
  *out = g;
  jet_dtype dt = tg_pick_dtype(op);
  jet_type params[3];
  uint32_t np = 0;
  jet_attr at[8];
  uint32_t na = 0;
  jet_graph *callee = NULL;
  jet_graph *subs[2] = {NULL, NULL};
  uint32_t n_subs = 0;
  static const int64_t zero[] = {0}, one[] = {1}, two[] = {2}, six[] = {6};
  static const int64_t shape23[] = {2, 3}, perm10[] = {1, 0}, pad[] = {1, 2, 0};
  static const int64_t lim[] = {3}, sizes32[] = {3, 2};
  static float cdata[4] = {1.5f, -2.0f, 0.25f, 3.0f};
  const jet_op_info *info = jet_op_get(op);
  switch (op) {
    case JET_OP_INTEGER_POW:
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_int("y", 3);
      break;
    case JET_OP_ROUND:
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_int("rounding_method", 1);
      break;
    case JET_OP_SELECT:
      params[np++] = tg_type(JET_BOOL, 1, 3, 0);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      break;
    case JET_OP_CLAMP:
      params[np++] = tg_type(JET_F32, 0, 0, 0);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      params[np++] = tg_type(JET_F32, 0, 0, 0);
      break;
    case JET_OP_CONVERT_ELEMENT_TYPE:
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_dtype("new_dtype", JET_I64);
      break;
    case JET_OP_BITCAST_CONVERT_TYPE:
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_dtype("new_dtype", JET_I32);
      break;
    case JET_OP_BROADCAST_IN_DIM:
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_ints("shape", shape23, 2);
      at[na++] = tg_ints("broadcast_dimensions", one, 1);
      break;
    case JET_OP_RESHAPE:
      params[np++] = tg_type(JET_F32, 2, 2, 3);
      at[na++] = tg_ints("new_sizes", sizes32, 2);
      break;
    case JET_OP_TRANSPOSE:
      params[np++] = tg_type(JET_F32, 2, 2, 3);
      at[na++] = tg_ints("permutation", perm10, 2);
      break;
    case JET_OP_SQUEEZE:
      params[np++] = tg_type(JET_F32, 2, 1, 3);
      at[na++] = tg_ints("dimensions", zero, 1);
      break;
    case JET_OP_EXPAND_DIMS:
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_ints("dimensions", zero, 1);
      break;
    case JET_OP_REV:
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_ints("dimensions", zero, 1);
      break;
    case JET_OP_SLICE:
      params[np++] = tg_type(JET_F32, 1, 4, 0);
      at[na++] = tg_ints("start_indices", one, 1);
      at[na++] = tg_ints("limit_indices", lim, 1);
      at[na++] = tg_ints("strides", one, 1);
      break;
    case JET_OP_DYNAMIC_SLICE:
      params[np++] = tg_type(JET_F32, 1, 4, 0);
      params[np++] = tg_type(JET_I32, 0, 0, 0);
      at[na++] = tg_ints("slice_sizes", two, 1);
      break;
    case JET_OP_DYNAMIC_UPDATE_SLICE:
      params[np++] = tg_type(JET_F32, 1, 4, 0);
      params[np++] = tg_type(JET_F32, 1, 2, 0);
      params[np++] = tg_type(JET_I32, 0, 0, 0);
      break;
    case JET_OP_CONCATENATE:
      params[np++] = tg_type(JET_F32, 1, 2, 0);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_int("dimension", 0);
      break;
    case JET_OP_PAD:
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      params[np++] = tg_type(JET_F32, 0, 0, 0);
      at[na++] = tg_ints("padding_config", pad, 3);
      break;
    case JET_OP_IOTA:
      at[na++] = tg_dtype("dtype", JET_I32);
      at[na++] = tg_ints("shape", six, 1);
      at[na++] = tg_int("dimension", 0);
      break;
    case JET_OP_GATHER:
      params[np++] = tg_type(JET_F32, 1, 5, 0);
      params[np++] = tg_type(JET_I32, 2, 3, 1);
      at[na++] = tg_ints("offset_dims", NULL, 0);
      at[na++] = tg_ints("collapsed_slice_dims", zero, 1);
      at[na++] = tg_ints("start_index_map", zero, 1);
      at[na++] = tg_ints("slice_sizes", one, 1);
      at[na++] = tg_int("mode", 1);
      break;
    case JET_OP_SCATTER_ADD:
      params[np++] = tg_type(JET_F32, 1, 5, 0);
      params[np++] = tg_type(JET_I32, 2, 3, 1);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_ints("update_window_dims", NULL, 0);
      at[na++] = tg_ints("inserted_window_dims", zero, 1);
      at[na++] = tg_ints("scatter_dims_to_operand_dims", zero, 1);
      break;
    case JET_OP_REDUCE_SUM:
    case JET_OP_REDUCE_MAX:
    case JET_OP_REDUCE_MIN:
    case JET_OP_REDUCE_PROD:
      params[np++] = tg_type(JET_F32, 2, 2, 3);
      at[na++] = tg_ints("axes", one, 1);
      break;
    case JET_OP_ARGMAX:
    case JET_OP_ARGMIN:
      params[np++] = tg_type(JET_F32, 2, 2, 3);
      at[na++] = tg_ints("axes", one, 1);
      at[na++] = tg_dtype("index_dtype", JET_I32);
      break;
    case JET_OP_CUMSUM:
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_int("axis", 0);
      at[na++] = tg_bool("reverse", true);
      break;
    case JET_OP_DOT_GENERAL:
      params[np++] = tg_type(JET_F32, 2, 2, 3);
      params[np++] = tg_type(JET_F32, 2, 3, 2);
      at[na++] = tg_ints("lhs_contracting_dimensions", one, 1);
      at[na++] = tg_ints("rhs_contracting_dimensions", zero, 1);
      at[na++] = tg_dtype("preferred_element_type", JET_F32);
      break;
    case JET_OP_CONSTANT: {
      at[na++] = gb_lit("value", tg_type(JET_F32, 2, 2, 2), cdata, sizeof cdata);
      break;
    }
    case JET_OP_CALL: {
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      callee = jet_graph_create_child(g, "inner");
      if (callee == NULL) return jet_status_oom("callee");
      jet_value p0, p1, s, m;
      jet_type ct = tg_type(JET_F32, 1, 3, 0);
      JET_RETURN_IF_ERROR(jet_graph_add_param(callee, &ct, &p0));
      JET_RETURN_IF_ERROR(jet_graph_add_param(callee, &ct, &p1));
      jet_value ops[2] = {p0, p1};
      JET_RETURN_IF_ERROR(jet_graph_add_node(callee, JET_OP_ADD, ops, 2, NULL, 0, NULL, NULL, 0, &s));
      jet_value ops2[2] = {s, p0};
      JET_RETURN_IF_ERROR(jet_graph_add_node(callee, JET_OP_MUL, ops2, 2, NULL, 0, NULL, NULL, 0, &m));
      jet_value outs[2] = {m, s};
      JET_RETURN_IF_ERROR(jet_graph_set_outputs(callee, outs, 2));
      break;
    }
    case JET_OP_COND: {
      /* switch on an i32 index over two branches of (f32[3], f32[3]) -> 2 outputs */
      params[np++] = tg_type(JET_I32, 0, 0, 0);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      static const jet_op bops[2] = {JET_OP_ADD, JET_OP_MUL};
      for (int k = 0; k < 2; k++) {
        subs[k] = jet_graph_create_child(g, k ? "b1" : "b0");
        if (subs[k] == NULL) return jet_status_oom("branch");
        jet_value p0, p1, r;
        jet_type ct = tg_type(JET_F32, 1, 3, 0);
        JET_RETURN_IF_ERROR(jet_graph_add_param(subs[k], &ct, &p0));
        JET_RETURN_IF_ERROR(jet_graph_add_param(subs[k], &ct, &p1));
        jet_value ops[2] = {p0, p1};
        JET_RETURN_IF_ERROR(jet_graph_add_node(subs[k], bops[k], ops, 2, NULL, 0, NULL, NULL, 0, &r));
        jet_value outs[2] = {r, p1};
        JET_RETURN_IF_ERROR(jet_graph_set_outputs(subs[k], outs, 2));
      }
      n_subs = 2;
      break;
    }
    case JET_OP_WHILE: {
      /* one const f32[3], carry (i32[], f32[3]); cond i < i (never runs) */
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      params[np++] = tg_type(JET_I32, 0, 0, 0);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na++] = tg_int("n_consts", 1);
      for (int k = 0; k < 2; k++) {
        subs[k] = jet_graph_create_child(g, k ? "body" : "cond");
        if (subs[k] == NULL) return jet_status_oom("loop graph");
        jet_value q[3], r;
        for (int i = 0; i < 3; i++) JET_RETURN_IF_ERROR(jet_graph_add_param(subs[k], &params[i], &q[i]));
        if (k == 0) {
          jet_value ops[2] = {q[1], q[1]};
          JET_RETURN_IF_ERROR(jet_graph_add_node(subs[k], JET_OP_LT, ops, 2, NULL, 0, NULL, NULL, 0, &r));
          JET_RETURN_IF_ERROR(jet_graph_set_outputs(subs[k], &r, 1));
        } else {
          jet_value ops[2] = {q[2], q[0]};
          JET_RETURN_IF_ERROR(jet_graph_add_node(subs[k], JET_OP_ADD, ops, 2, NULL, 0, NULL, NULL, 0, &r));
          jet_value outs[2] = {q[1], r};
          JET_RETURN_IF_ERROR(jet_graph_set_outputs(subs[k], outs, 2));
        }
      }
      n_subs = 2;
      break;
    }
    case JET_OP_SCAN: {
      /* carry f32[3] over xs f32[2,3], reversed: (carry + x, carry * x) */
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      params[np++] = tg_type(JET_F32, 2, 2, 3);
      at[na++] = tg_int("n_carry", 1);
      at[na++] = tg_int("length", 2);
      at[na++] = tg_bool("reverse", true);
      subs[0] = jet_graph_create_child(g, "body");
      if (subs[0] == NULL) return jet_status_oom("scan body");
      jet_value q[2], r0, r1;
      for (int i = 0; i < 2; i++) JET_RETURN_IF_ERROR(jet_graph_add_param(subs[0], &params[0], &q[i]));
      JET_RETURN_IF_ERROR(jet_graph_add_node(subs[0], JET_OP_ADD, q, 2, NULL, 0, NULL, NULL, 0, &r0));
      JET_RETURN_IF_ERROR(jet_graph_add_node(subs[0], JET_OP_MUL, q, 2, NULL, 0, NULL, NULL, 0, &r1));
      jet_value outs[2] = {r0, r1};
      JET_RETURN_IF_ERROR(jet_graph_set_outputs(subs[0], outs, 2));
      n_subs = 1;
      break;
    }
    case JET_OP_PMAP: {
      /* pmap over axis "i" of size 2 on devices [1, 0]: x f32[2,3] mapped
       * (in_axes 0), w f32[3] whole; body (x, w) -> (psum(x) + w, w),
       * stacked at axis 1 and member 0's. */
      static const int64_t in_axes[] = {0, -1}, out_axes[] = {1, -1}, devices[] = {1, 0};
      params[np++] = tg_type(JET_F32, 2, 2, 3);
      params[np++] = tg_type(JET_F32, 1, 3, 0);
      at[na] = (jet_attr){.name = "axis_name", .kind = JET_ATTR_STR};
      at[na++].u.s = "i";
      at[na++] = tg_int("axis_size", 2);
      at[na++] = tg_ints("in_axes", in_axes, 2);
      at[na++] = tg_ints("out_axes", out_axes, 2);
      at[na++] = tg_ints("devices", devices, 2);
      subs[0] = jet_graph_create_child(g, "body");
      if (subs[0] == NULL) return jet_status_oom("pmap body");
      jet_value q[2], ps, r;
      for (int i = 0; i < 2; i++) JET_RETURN_IF_ERROR(jet_graph_add_param(subs[0], &params[1], &q[i]));
      jet_attr an = {.name = "axis_name", .kind = JET_ATTR_STR};
      an.u.s = "i";
      JET_RETURN_IF_ERROR(jet_graph_add_node(subs[0], JET_OP_PSUM, q, 1, &an, 1, NULL, NULL, 0, &ps));
      jet_value ops[2] = {ps, q[1]};
      JET_RETURN_IF_ERROR(jet_graph_add_node(subs[0], JET_OP_ADD, ops, 2, NULL, 0, NULL, NULL, 0, &r));
      jet_value outs[2] = {r, q[1]};
      JET_RETURN_IF_ERROR(jet_graph_set_outputs(subs[0], outs, 2));
      n_subs = 1;
      break;
    }
    case JET_OP_PSUM:
    case JET_OP_PMAX:
    case JET_OP_PMIN:
    case JET_OP_ALL_GATHER:
    case JET_OP_PSUM_SCATTER:
    case JET_OP_PPERMUTE:
    case JET_OP_ALL_TO_ALL:
    case JET_OP_AXIS_INDEX: {
      /* collectives over axis "i" of size 2 (an escaped quote in the name) */
      static const int64_t perm[] = {0, 1, 1, 0};
      if (op != JET_OP_AXIS_INDEX) params[np++] = tg_type(JET_F32, 2, 2, 3);
      at[na] = (jet_attr){.name = "axis_name", .kind = JET_ATTR_STR};
      at[na++].u.s = op == JET_OP_PSUM ? "i\"j" : "i";
      if (op == JET_OP_ALL_GATHER || op == JET_OP_PSUM_SCATTER || op == JET_OP_ALL_TO_ALL)
        at[na++] = tg_int("axis_size", 2);
      if (op == JET_OP_ALL_GATHER) at[na++] = tg_int("axis", 1);
      if (op == JET_OP_PSUM_SCATTER) at[na++] = tg_bool("tiled", false);
      if (op == JET_OP_PPERMUTE) at[na++] = tg_ints("perm", perm, 4);
      if (op == JET_OP_ALL_TO_ALL) {
        at[na++] = tg_int("split_axis", 0);
        at[na++] = tg_int("concat_axis", 1);
      }
      break;
    }
    default:
      /* Elementwise ops without attributes: operands of one dtype. */
      if (info->n_operands < 1 || info->n_attrs > 0 || !(info->attr_schema[0] == '\0'))
        return jet_status_make(JET_UNIMPLEMENTED, "test has no recipe for op %s", info->name);
      for (int i = 0; i < info->n_operands; i++) params[np++] = tg_type(dt, 1, 3, 0);
      break;
  }
  jet_value pv[3];
  for (uint32_t i = 0; i < np; i++) JET_RETURN_IF_ERROR(jet_graph_add_param(g, &params[i], &pv[i]));
  jet_value first;
  if (n_subs)
    JET_RETURN_IF_ERROR(jet_graph_add_node_sub(g, op, pv, np, at, na, subs, n_subs, &first));
  else
    JET_RETURN_IF_ERROR(jet_graph_add_node(g, op, pv, np, at, na, callee, NULL, 0, &first));
  const jet_node *node = &g->nodes[g->n_nodes - 1];
  jet_value outs[4];
  uint32_t no = 0;
  for (uint32_t r = 0; r < node->n_results && no < 4; r++) outs[no++] = first + r;
  if (np > 0) outs[no++] = pv[0]; /* a parameter output, too */
  return jet_graph_set_outputs(g, outs, no);
}

#endif
