/* The checks of vmap_check.h (see its header comment for what is compared). */
#include "vmap_check.h"

#include "compiler/compile.h"
#include "program.h"

static int32_t norm_axis(int32_t axis, int32_t batched_rank) {
  return axis < 0 ? axis + batched_rank : axis;
}

/* t with a dimension of size n inserted at `at`. */
static jet_type insert_dim(const jet_type *t, int32_t at, int64_t n) {
  jet_type r = *t;
  r.rank = t->rank + 1;
  for (int32_t i = 0, k = 0; i < r.rank; i++) r.dims[i] = i == at ? n : t->dims[k++];
  return r;
}
static jet_type remove_dim(const jet_type *t, int32_t at) {
  jet_type r = *t;
  r.rank = t->rank - 1;
  for (int32_t i = 0, k = 0; i < t->rank; i++)
    if (i != at) r.dims[k++] = t->dims[i];
  return r;
}

/* Example b of x along axis (a new malloc'd buffer). */
static jet_buf slice_at(const jet_buf *x, int32_t axis, int64_t b) {
  jet_buf s = adc_buf(remove_dim(&x->type, axis));
  int64_t outer = 1, inner = (int64_t)jet_dtype_size(x->type.dtype), n = x->type.dims[axis];
  for (int32_t i = 0; i < axis; i++) outer *= x->type.dims[i];
  for (int32_t i = axis + 1; i < x->type.rank; i++) inner *= x->type.dims[i];
  if (!s.data) return s;
  for (int64_t o = 0; o < outer; o++)
    memcpy((char *)s.data + o * inner, (const char *)x->data + (o * n + b) * inner, (size_t)inner);
  return s;
}
/* Writes x as example b of big along axis. */
static void stack_at(jet_buf *big, int32_t axis, int64_t b, const jet_buf *x) {
  int64_t outer = 1, inner = (int64_t)jet_dtype_size(big->type.dtype), n = big->type.dims[axis];
  for (int32_t i = 0; i < axis; i++) outer *= big->type.dims[i];
  for (int32_t i = axis + 1; i < big->type.rank; i++) inner *= big->type.dims[i];
  if (!big->data || !x->data) return;
  for (int64_t o = 0; o < outer; o++)
    memcpy((char *)big->data + (o * n + b) * inner, (const char *)x->data + o * inner, (size_t)inner);
}

typedef struct vmc_state {
  const vmc_level *lv;
  uint32_t nl, np, no;
  jet_type pt[VMC_LEVELS + 1][VMC_MAX]; /* param types after k levels */
  jet_type ot[VMC_LEVELS + 1][VMC_MAX]; /* output types after k levels */
  jet_graph *fx;                       /* runnable f */
  const char *label;
  bool ok;
} vmc_state;

/* outs (types ot[k]) = the reference of k levels at args (types pt[k]). */
static bool reference(vmc_state *s, uint32_t k, const jet_buf *args, jet_buf *outs) {
  if (k == 0) return adc_run(s->fx, args, s->np, outs, s->label, "f (per example)");
  const vmc_level *L = &s->lv[k - 1];
  memset(outs, 0, sizeof(jet_buf) * s->no);
  bool ok = true;
  for (uint32_t j = 0; j < s->no; j++) {
    outs[j] = adc_buf(s->ot[k][j]);
    if (!outs[j].data) ok = false;
  }
  for (int64_t b = 0; ok && b < L->size; b++) {
    jet_buf sub[VMC_MAX], o[VMC_MAX];
    for (uint32_t i = 0; i < s->np; i++) {
      if (L->in[i].mapped) sub[i] = slice_at(&args[i], norm_axis(L->in[i].axis, s->pt[k][i].rank), b);
      else sub[i] = args[i];
    }
    ok = reference(s, k - 1, sub, o);
    for (uint32_t j = 0; ok && j < s->no; j++) {
      if (L->out[j].mapped) {
        stack_at(&outs[j], norm_axis(L->out[j].axis, s->ot[k][j].rank), b, &o[j]);
      } else if (b == 0) {
        memcpy(outs[j].data, o[j].data, jet_type_nbytes(&o[j].type));
      } else if (memcmp(outs[j].data, o[j].data, jet_type_nbytes(&o[j].type)) != 0) {
        fprintf(stderr, "[%s] output %u has out_axes None but differs between examples 0 and %lld\n",
                s->label, j, (long long)b);
        ok = false;
      }
    }
    if (ok) adc_bufs_free(o, s->no);
    for (uint32_t i = 0; i < s->np; i++)
      if (L->in[i].mapped) adc_buf_free(&sub[i]);
  }
  if (!ok) adc_bufs_free(outs, s->no);
  return ok;
}

void vmc_describe(const vmc_level *lv, uint32_t n_levels, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = 0;
#define PUT(...)                                              \
  do {                                                        \
    if (n < cap) {                                            \
      int w_ = snprintf(buf + n, cap - n, __VA_ARGS__);      \
      n += w_ > 0 ? (size_t)w_ : 0;                           \
    }                                                         \
  } while (0)
  for (uint32_t k = 0; k < n_levels; k++) {
    const vmc_level *L = &lv[k];
    PUT("%svmap[%u] size=%lld%s in_axes=(", k ? "; " : "", k, (long long)L->size,
        L->pass_size ? " (axis_size passed)" : "");
    for (uint32_t i = 0; i < L->n_in; i++) {
      if (L->in[i].mapped) PUT("%s%d", i ? ", " : "", (int)L->in[i].axis);
      else PUT("%sNone", i ? ", " : "");
    }
    PUT(") out_axes=(");
    for (uint32_t j = 0; j < L->n_out; j++) {
      if (L->out[j].mapped) PUT("%s%d", j ? ", " : "", (int)L->out[j].axis);
      else PUT("%sNone", j ? ", " : "");
    }
    PUT(") passed as %u/%u entries", L->pass_in, L->pass_out);
  }
#undef PUT
}

void vmc_random_levels(const jet_graph *f, adc_rng *r, const int64_t *sizes, uint32_t n_levels,
                       const uint32_t *mapped, bool require_mapped, vmc_level *lv) {
  int32_t prank[VMC_MAX], orank[VMC_MAX];
  uint32_t np = f->n_params < VMC_MAX ? f->n_params : VMC_MAX;
  uint32_t no = f->n_outputs < VMC_MAX ? f->n_outputs : VMC_MAX;
  for (uint32_t i = 0; i < np; i++) prank[i] = f->value_types[i].rank;
  for (uint32_t j = 0; j < no; j++) orank[j] = jet_graph_value_type(f, f->outputs[j])->rank;
  for (uint32_t k = 0; k < n_levels && k < VMC_LEVELS; k++) {
    vmc_level *L = &lv[k];
    memset(L, 0, sizeof *L);
    L->size = sizes[k];
    L->n_in = np;
    L->n_out = no;
    uint32_t m = mapped && mapped[k] ? mapped[k] : 0;
    bool any = false;
    for (uint32_t i = 0; i < np; i++) {
      bool on = m ? (m >> i) & 1 : adc_randint(r, 0, 3) != 0;
      L->in[i].mapped = on;
      if (on) L->in[i].axis = (int32_t)adc_randint(r, -(prank[i] + 1), prank[i]);
      any |= on;
    }
    if (!any && require_mapped && np) {
      uint32_t i = (uint32_t)adc_randint(r, 0, np - 1);
      L->in[i].mapped = true;
      L->in[i].axis = (int32_t)adc_randint(r, -(prank[i] + 1), prank[i]);
      any = true;
    }
    L->pass_size = !any || adc_randint(r, 0, 2) == 0;
    for (uint32_t j = 0; j < no; j++) L->out[j].axis = (int32_t)adc_randint(r, -(orank[j] + 1), orank[j]);
    for (uint32_t j = 0; j < no; j++) L->out[j].mapped = true;
    /* JAX's short forms when the lists are uniform */
    bool same_in = true, zero_in = true, same_out = true, zero_out = true;
    for (uint32_t i = 0; i < np; i++) {
      same_in &= L->in[i].mapped == L->in[0].mapped && L->in[i].axis == L->in[0].axis;
      zero_in &= L->in[i].mapped && L->in[i].axis == 0;
    }
    for (uint32_t j = 0; j < no; j++) {
      same_out &= L->out[j].axis == L->out[0].axis;
      zero_out &= L->out[j].axis == 0;
    }
    L->pass_in = np;
    L->pass_out = no;
    if (zero_in && adc_randint(r, 0, 2) == 0) L->pass_in = 0;
    else if (same_in && np > 1 && adc_randint(r, 0, 1) == 0) L->pass_in = 1;
    if (zero_out && adc_randint(r, 0, 2) == 0) L->pass_out = 0;
    else if (same_out && no > 1 && adc_randint(r, 0, 1) == 0) L->pass_out = 1;
    /* the next level sees this level's results */
    for (uint32_t i = 0; i < np; i++) prank[i] += L->in[i].mapped;
    for (uint32_t j = 0; j < no; j++) orank[j]++;
  }
}

static void fill_transforms(const vmc_level *lv, uint32_t n_levels, bool force_size,
                            jet_transform *t) {
  for (uint32_t k = 0; k < n_levels && k < VMC_LEVELS; k++) {
    t[k] = adc_tf(lv[k].pmap ? JET_TF_PMAP : JET_TF_VMAP);
    t[k].n_in_axes = lv[k].pass_in;
    t[k].in_axes = lv[k].in;
    t[k].n_out_axes = lv[k].pass_out;
    t[k].out_axes = lv[k].out;
    t[k].axis_size = lv[k].pass_size || force_size ? lv[k].size : 0;
  }
}

jet_status vmc_transform(const jet_graph *f, const vmc_level *lv, uint32_t n_levels, bool cleanup,
                         jet_graph **g) {
  jet_transform t[VMC_LEVELS];
  fill_transforms(lv, n_levels, true, t);
  return adc_transform_ex(f, t, n_levels < VMC_LEVELS ? n_levels : VMC_LEVELS, cleanup, g);
}

/* g = cleanup(inline(w)) where w(args of types pt) = call[vmaps](f)(args):
 * the call's transforms get the axis size from its operands unless
 * pass_size. fx is f with its calls inlined (deep-copied into the callee:
 * the value numbering is the same). */
static jet_status transform_via_call(const jet_graph *fx, const vmc_level *lv, uint32_t n_levels,
                                     const jet_type *pt, jet_graph **g) {
  *g = NULL;
  jet_transform t[VMC_LEVELS];
  fill_transforms(lv, n_levels, false, t);
  adc_b w = adc_begin("vmap_via_call");
  jet_value args[VMC_MAX];
  for (uint32_t i = 0; i < fx->n_params; i++) args[i] = adc_param(&w, pt[i]);
  jet_graph *c = w.st ? NULL : jet_graph_create_child(w.g, "f");
  if (!w.st && !c) w.st = jet_status_oom("callee");
  /* a deep copy: control-flow nodes keep their sub-graphs */
  if (!w.st) w.st = jet_graph_copy_into(c, fx, 0);
  jet_value first = JET_NO_VALUE, outs[VMC_MAX];
  if (!w.st)
    w.st = jet_graph_add_node(w.g, JET_OP_CALL, args, fx->n_params, NULL, 0, c, t, n_levels, &first);
  for (uint32_t j = 0; j < fx->n_outputs; j++) outs[j] = first + j;
  adc_outputs(&w, outs, fx->n_outputs);
  if (!w.st) w.st = jet_graph_validate(w.g, NULL, 0);
  if (w.st) {
    jet_graph_destroy(w.g);
    return w.st;
  }
  jet_graph *flat = NULL;
  jet_status st = jet_transforms_apply(w.g, NULL, 0, &flat);
  if (st) return st;
  st = jet_passes_cleanup(flat, g);
  jet_graph_destroy(flat);
  return st;
}

/* g compiled (a copy; jet_compiler_compile consumes its graph) and run as a
 * program; outputs copied to malloc'd buffers like adc_run's. */
static bool run_compiled(const jet_graph *g, const jet_buf *args, uint32_t n, jet_buf *outs,
                         const char *label) {
  memset(outs, 0, sizeof(jet_buf) * g->n_outputs);
  jet_cache *cache = jet_cache_create(2);
  jet_graph *c = NULL;
  jet_executable *exe = NULL;
  bool hit = false;
  jet_status st = cache ? adc_clone(g, &c) : jet_status_oom("cache");
  if (!st) st = jet_compiler_compile(cache, c, NULL, 0, NULL, 0, &exe, &hit);
  jet_buf tmp[VMC_MAX];
  if (!st && g->n_outputs > VMC_MAX) st = jet_status_make(JET_INTERNAL, "too many outputs");
  if (!st) st = jet_program_run(exe->program, args, n, NULL, tmp, NULL);
  if (!st) {
    for (uint32_t j = 0; j < g->n_outputs; j++) {
      outs[j] = adc_buf(tmp[j].type);
      memcpy(outs[j].data, tmp[j].data, jet_type_nbytes(&tmp[j].type));
      jet_mem_free(tmp[j].data);
    }
  }
  if (exe) jet_executable_release(exe);
  jet_cache_destroy(cache);
  if (st) {
    fprintf(stderr, "[%s] compiled pmap: %s\n", label, jet_status_message(st));
    jet_status_free(st);
    return false;
  }
  return true;
}

static void fill(jet_buf *a, const vmc_dom *d, adc_rng *r) {
  jet_dtype dt = a->type.dtype;
  double lo = d ? d->lo : -2, hi = d ? d->hi : 2, min_abs = d ? d->min_abs : 0;
  if (jet_dtype_is_unsigned_int(dt) && lo < 0) lo = 0;
  if (dt == JET_BOOL) lo = 0, hi = 2, min_abs = 0;
  if (hi <= lo) hi = lo + 1;
  for (int64_t k = 0; k < adc_numel(a); k++) {
    double x = lo;
    for (int tries = 0; tries < 64; tries++) {
      x = adc_unif(r, lo, hi);
      if (!adc_isf(dt)) x = floor(x);
      if (fabs(x) >= min_abs) break;
    }
    adc_set(a, k, x);
  }
}

/* Compares got with want; prints the first difference. */
static bool compare(const char *label, uint32_t j, const jet_buf *got, const jet_buf *want,
                    double tol) {
  char t1[JET_TYPE_STR_MAX], t2[JET_TYPE_STR_MAX];
  if (!jet_type_equal(&got->type, &want->type)) {
    fprintf(stderr, "[%s] output %u: type %s, expected %s\n", label, j,
            jet_type_str(&got->type, t1, sizeof t1), jet_type_str(&want->type, t2, sizeof t2));
    return false;
  }
  int64_t n = adc_numel(want);
  size_t es = jet_dtype_size(want->type.dtype);
  bool fl = adc_isf(want->type.dtype);
  double scale = 1;
  for (int64_t i = 0; fl && tol > 0 && i < n; i++)
    if (isfinite(adc_get(want, i))) scale = fmax(scale, fabs(adc_get(want, i)));
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < n; i++) {
    bool eq;
    if (!fl) {
      eq = memcmp((const char *)got->data + i * (int64_t)es, (const char *)want->data + i * (int64_t)es, es) == 0;
    } else {
      double a = adc_get(got, i), w = adc_get(want, i);
      eq = a == w || (isnan(a) && isnan(w)) || (tol > 0 && fabs(a - w) <= tol * scale);
    }
    if (!eq && bad++ == 0) first = i;
  }
  if (!bad) return true;
  fprintf(stderr, "[%s] output %u (%s): %lld of %lld elements differ; first at flat index %lld: got %.17g, expected %.17g%s\n",
          label, j, jet_type_str(&want->type, t1, sizeof t1), (long long)bad, (long long)n,
          (long long)first, adc_get(got, first), adc_get(want, first),
          tol > 0 ? " (beyond the tolerance)" : " (exact comparison)");
  return false;
}

int vmc_check(const jet_graph *f, const vmc_level *lv, uint32_t n_levels, adc_rng *r,
              const vmc_opts *o) {
  vmc_state S, *s = &S;
  memset(s, 0, sizeof S);
  s->lv = lv;
  s->nl = n_levels;
  s->np = f->n_params;
  s->no = f->n_outputs;
  s->label = o->label ? o->label : "?";
  char desc[1024];
  vmc_describe(lv, n_levels, desc, sizeof desc);
  if (s->np > VMC_MAX || s->no > VMC_MAX || n_levels > VMC_LEVELS || n_levels == 0) {
    fprintf(stderr, "[%s] vmc_check handles at most %d params/outputs and 1..%d levels\n", s->label,
            VMC_MAX, VMC_LEVELS);
    return 1;
  }
  for (uint32_t i = 0; i < s->np; i++) s->pt[0][i] = f->value_types[i];
  for (uint32_t j = 0; j < s->no; j++) s->ot[0][j] = *jet_graph_value_type(f, f->outputs[j]);
  for (uint32_t k = 0; k < n_levels; k++) {
    for (uint32_t i = 0; i < s->np; i++) {
      const jet_type *t = &s->pt[k][i];
      s->pt[k + 1][i] = lv[k].in[i].mapped
                            ? insert_dim(t, norm_axis(lv[k].in[i].axis, t->rank + 1), lv[k].size)
                            : *t;
    }
    for (uint32_t j = 0; j < s->no; j++) {
      const jet_type *t = &s->ot[k][j];
      s->ot[k + 1][j] =
          lv[k].out[j].mapped ? insert_dim(t, norm_axis(lv[k].out[j].axis, t->rank + 1), lv[k].size) : *t;
    }
  }
  int fails = 0;
  jet_graph *g = NULL;
  jet_buf args[VMC_MAX], want[VMC_MAX], got[VMC_MAX];
  memset(args, 0, sizeof args);
  jet_status st = adc_flatten(f, &s->fx);
  if (st) {
    fprintf(stderr, "[%s] inlining the calls of f failed: %s\n", s->label, jet_status_message(st));
    jet_status_free(st);
    return 1;
  }
  vmc_level lp[VMC_LEVELS];
  if (o->pmap) { /* the same level as a pmap */
    memcpy(lp, lv, sizeof lp[0] * (n_levels < VMC_LEVELS ? n_levels : VMC_LEVELS));
    lp[0].pmap = true;
    lv = lp;
  }
  if (o->via_call) st = transform_via_call(s->fx, lv, n_levels, s->pt[n_levels], &g);
  else st = vmc_transform(f, lv, n_levels, true, &g);
  if (!st) st = jet_graph_validate(g, NULL, 0);
  if (st) {
    fprintf(stderr, "[%s] %s%s failed (%s): %s\n", s->label, o->pmap ? "pmap" : "vmap",
            o->via_call ? " through a call node" : "",
            desc, jet_status_message(st));
    jet_status_free(st);
    fails++;
  } else {
    for (uint32_t i = 0; i < s->np; i++) {
      args[i] = adc_buf(s->pt[n_levels][i]);
      fill(&args[i], o->dom ? &o->dom[i] : NULL, r);
    }
    bool ran = o->pmap ? run_compiled(g, args, s->np, got, s->label)
                       : adc_run(g, args, s->np, got, s->label, "vmapped graph");
    bool ref = reference(s, n_levels, args, want);
    if (!ran || !ref) fails++;
    if (ran && ref && g->n_outputs != s->no) {
      fprintf(stderr, "[%s] the vmapped graph has %u outputs, f has %u\n", s->label, g->n_outputs, s->no);
      fails++;
    } else if (ran && ref) {
      for (uint32_t j = 0; j < s->no; j++) fails += !compare(s->label, j, &got[j], &want[j], o->tol);
    }
    if (fails) {
      fprintf(stderr, "[%s] failing %s%s: %s\n", s->label, o->pmap ? "pmap" : "vmap",
              o->via_call ? " through a call node" : "", desc);
      for (uint32_t i = 0; i < s->np; i++) {
        char t1[JET_TYPE_STR_MAX];
        fprintf(stderr, "[%s]   argument %u: %s =", s->label, i, jet_type_str(&args[i].type, t1, sizeof t1));
        for (int64_t k = 0; k < adc_numel(&args[i]) && k < 24; k++) fprintf(stderr, " %.17g", adc_get(&args[i], k));
        fprintf(stderr, "%s\n", adc_numel(&args[i]) > 24 ? " ..." : "");
      }
      if (!o->quiet) {
        fprintf(stderr, "[%s] f:\n", s->label);
        adc_dump(f);
        fprintf(stderr, "[%s] the vmapped graph:\n", s->label);
        adc_dump(g);
      }
    }
    if (ran) adc_bufs_free(got, s->no);
    if (ref) adc_bufs_free(want, s->no);
  }
  adc_bufs_free(args, s->np);
  jet_graph_destroy(g);
  jet_graph_destroy(s->fx);
  return fails;
}
