/* jet_graph_print: the text form of a graph (grammar in README.md). */
#include <inttypes.h>
#include <string.h>

#include "jet/text.h"
#include "text_internal.h"

static void indent(jet_strbuf *sb, int depth) {
  for (int i = 0; i < depth; i++) jet_strbuf_append(sb, "  ", 2);
}

static void print_attr_value(jet_strbuf *sb, const jet_attr *a) {
  char num[JET__NUM_MAX];
  switch (a->kind) {
    case JET_ATTR_INT: jet_strbuf_printf(sb, "%" PRId64, a->u.i); break;
    case JET_ATTR_INTS: jet__print_int_list(sb, a->u.ints.v, a->u.ints.n); break;
    case JET_ATTR_FLOAT:
      jet__fmt_f64(a->u.f, num);
      jet_strbuf_puts(sb, num);
      break;
    case JET_ATTR_BOOL: jet_strbuf_puts(sb, a->u.b ? "true" : "false"); break;
    case JET_ATTR_DTYPE: jet_strbuf_puts(sb, jet_dtype_name(a->u.dtype)); break;
    case JET_ATTR_STR: jet__print_string(sb, a->u.s ? a->u.s : ""); break;
    case JET_ATTR_LITERAL: jet_literal_print(&a->u.lit.type, a->u.lit.data, sb); break;
  }
}

/* Attributes in the op's schema order, then any the schema does not know
 * (a validated graph has none); transforms of a call last. */
static void print_attrs(jet_strbuf *sb, const jet_node *node) {
  const jet_op_info *info = jet_op_get(node->op);
  bool first = true;
  uint32_t n_schema = info ? info->n_attrs : 0;
  for (uint32_t s = 0; s < n_schema; s++) {
    for (uint32_t i = 0; i < node->n_attrs; i++) {
      const jet_attr *a = &node->attrs[i];
      if (strcmp(a->name, info->attrs[s].name) != 0) continue;
      jet_strbuf_puts(sb, first ? "[" : ", ");
      first = false;
      jet_strbuf_printf(sb, "%s=", a->name);
      print_attr_value(sb, a);
    }
  }
  for (uint32_t i = 0; i < node->n_attrs; i++) {
    const jet_attr *a = &node->attrs[i];
    if (jet_op_attr_spec(node->op, a->name) != NULL) continue;
    jet_strbuf_puts(sb, first ? "[" : ", ");
    first = false;
    jet_strbuf_printf(sb, "%s=", a->name);
    print_attr_value(sb, a);
  }
  if (node->n_transforms > 0) {
    jet_strbuf_puts(sb, first ? "[" : ", ");
    first = false;
    jet_strbuf_puts(sb, "transforms=");
    jet__print_transforms(sb, node->transforms, node->n_transforms);
  }
  if (!first) jet_strbuf_append(sb, "]", 1);
}

static jet_status print_graph(const jet_graph *g, jet_strbuf *sb, int depth);

static jet_status print_node(const jet_graph *g, const jet_node *node, jet_strbuf *sb, int depth) {
  char tbuf[JET_TYPE_STR_MAX];
  indent(sb, depth);
  for (uint32_t r = 0; r < node->n_results; r++)
    jet_strbuf_printf(sb, "%s%%%" PRIu32, r ? ", " : "", node->first_result + r);
  if (node->n_results > 0) jet_strbuf_puts(sb, " = ");
  jet_strbuf_puts(sb, jet_op_name(node->op));
  print_attrs(sb, node);
  for (uint32_t i = 0; i < node->n_operands; i++)
    jet_strbuf_printf(sb, "%s%%%" PRIu32, i ? ", " : " ", node->operands[i]);
  if (node->n_results > 0) {
    jet_strbuf_puts(sb, " :");
    for (uint32_t r = 0; r < node->n_results; r++)
      jet_strbuf_printf(sb, "%s%s", r ? ", " : " ",
                        jet_type_str(&node->results[r], tbuf, sizeof tbuf));
  }
  if (node->callee != NULL) {
    jet_strbuf_puts(sb, " {\n");
    JET_RETURN_IF_ERROR(print_graph(node->callee, sb, depth + 1));
    indent(sb, depth);
    jet_strbuf_puts(sb, "}");
  }
  if (node->n_subgraphs > 0) {
    jet_strbuf_puts(sb, " {\n");
    for (uint32_t k = 0; k < node->n_subgraphs; k++)
      JET_RETURN_IF_ERROR(print_graph(node->subgraphs[k], sb, depth + 1));
    indent(sb, depth);
    jet_strbuf_puts(sb, "}");
  }
  (void)g;
  jet_strbuf_append(sb, "\n", 1);
  return NULL;
}

static jet_status print_graph(const jet_graph *g, jet_strbuf *sb, int depth) {
  char tbuf[JET_TYPE_STR_MAX];
  if (depth > 256)
    return jet_status_make(JET_INVALID_ARGUMENT, "graph '%s': callees nested deeper than 256",
                           g->name);
  indent(sb, depth);
  jet_strbuf_puts(sb, "graph ");
  const char *name = g->name ? g->name : "";
  if (jet__is_ident(name))
    jet_strbuf_puts(sb, name);
  else if (name[0] != '\0')
    jet__print_string(sb, name);
  jet_strbuf_append(sb, "(", 1);
  for (uint32_t i = 0; i < g->n_params; i++)
    jet_strbuf_printf(sb, "%s%%%" PRIu32 ": %s", i ? ", " : "", i,
                      jet_type_str(&g->value_types[i], tbuf, sizeof tbuf));
  jet_strbuf_puts(sb, ") {\n");
  for (uint32_t n = 0; n < g->n_nodes; n++) JET_RETURN_IF_ERROR(print_node(g, &g->nodes[n], sb, depth + 1));
  indent(sb, depth + 1);
  jet_strbuf_puts(sb, "return");
  for (uint32_t i = 0; i < g->n_outputs; i++)
    jet_strbuf_printf(sb, "%s%%%" PRIu32, i ? ", " : " ", g->outputs[i]);
  jet_strbuf_append(sb, "\n", 1);
  indent(sb, depth);
  jet_strbuf_puts(sb, "}\n");
  return NULL;
}

jet_status jet_graph_print(const jet_graph *g, jet_strbuf *sb) {
  if (g == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "jet_graph_print: graph is NULL");
  JET_RETURN_IF_ERROR(print_graph(g, sb, 0));
  return jet_strbuf_status(sb);
}
