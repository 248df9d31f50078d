/* The checks of ad_check.h (see its header comment for what is compared
 * and with which tolerances). */
#include "ad_check.h"

/* One check's state (every buffer malloc'd, freed by adc_state_free). */
typedef struct adc_state {
  const jet_graph *f;
  jet_graph *fx, *Lx;            /* runnable (flattened) f and L */
  const adc_opts *o;
  const char *label;
  uint32_t np, no, nfp, nfo;
  bool fp[ADC_MAX], fo[ADC_MAX]; /* float param / output */
  const jet_buf *x;              /* the point (borrowed) */
  jet_buf v[ADC_MAX], w[ADC_MAX]; /* directions (random ints for int params) */
  jet_buf u[ADC_MAX];            /* output cotangents (0 for int outputs) */
  jet_buf zo[ADC_MAX];           /* zeros of the output types */
  jet_buf y0[ADC_MAX];           /* f(x) */
  jet_buf jv[ADC_MAX];           /* jvp(f)(x; v) tangents */
  jet_buf ct[ADC_MAX];           /* vjp(f)(x; u) cotangents */
  jet_buf hv[ADC_MAX];           /* jvp(grad L)(x; v), per float param */
  jet_graph *L, *J;
  int fails, checks;
} adc_state;

static void adc_fail(adc_state *s, const char *fmt, ...) JET_PRINTF(2, 3);
static void adc_fail(adc_state *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "[%s] ", s->label);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  s->fails++;
}

/* Compares a (AD) with r (reference): max error <= tol * max(1, max|r|). */
static void adc_cmp(adc_state *s, const char *what, const jet_buf *a, const jet_buf *r,
                           double tol) {
  s->checks++;
  if (!jet_type_equal(&a->type, &r->type)) {
    char t1[JET_TYPE_STR_MAX], t2[JET_TYPE_STR_MAX];
    adc_fail(s, "%s: type %s, expected %s", what, jet_type_str(&a->type, t1, sizeof t1),
             jet_type_str(&r->type, t2, sizeof t2));
    return;
  }
  int64_t n = adc_numel(r), worst = -1;
  double scale = 1, err = 0;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(adc_get(r, i))) scale = fmax(scale, fabs(adc_get(r, i)));
  for (int64_t i = 0; i < n; i++) {
    double ai = adc_get(a, i), ri = adc_get(r, i);
    double d = (ai == ri) ? 0 : fabs(ai - ri);
    if (isnan(d)) d = INFINITY;
    if (d > err) {
      err = d;
      worst = i;
    }
  }
  if (err > tol * scale)
    adc_fail(s, "%s: element %lld is %.12g, expected %.12g (max error %.3g > %.3g)", what,
             (long long)worst, adc_get(a, worst), adc_get(r, worst), err, tol * scale);
}

/* Every element exactly zero (of any dtype). */
static void adc_zero(adc_state *s, const char *what, const jet_buf *a) {
  s->checks++;
  for (int64_t i = 0; i < adc_numel(a); i++) {
    if (adc_get(a, i) != 0) {
      adc_fail(s, "%s: element %lld is %.12g, expected exactly 0", what, (long long)i,
               adc_get(a, i));
      return;
    }
  }
}

static double adc_tola(const adc_state *s) {
  return s->o->tol_agree > 0 ? s->o->tol_agree : ADC_TOL_AGREE;
}
static void adc_agree(adc_state *s, const char *what, double a, double b, double mag) {
  s->checks++;
  if (!(fabs(a - b) <= adc_tola(s) * mag + 1e-12))
    adc_fail(s, "%s: %.15g vs %.15g (difference %.3g)", what, a, b, fabs(a - b));
}

/* sum_i a_i b_i; *mag += sum_i |a_i b_i|. */
static double adc_dot(const jet_buf *a, const jet_buf *b, double *mag) {
  double d = 0;
  for (int64_t i = 0; i < adc_numel(a); i++) {
    double p = adc_get(a, i) * adc_get(b, i);
    d += p;
    *mag += fabs(p);
  }
  return d;
}

static double adc_step(const adc_state *s) {
  double m = 1;
  for (uint32_t i = 0; i < s->np; i++)
    if (s->fp[i])
      for (int64_t k = 0; k < adc_numel(&s->x[i]); k++) m = fmax(m, fabs(adc_get(&s->x[i], k)));
  return (s->o->eps > 0 ? s->o->eps : ADC_EPS) * m;
}

static void adc_copy(jet_buf *dst, const jet_buf *src) {
  *dst = adc_buf(src->type);
  if (dst->data) memcpy(dst->data, src->data, jet_type_nbytes(&src->type));
}

/* Central difference of g (params: f's params, then `extra`) along dir on
 * the float params of f, with one Richardson extrapolation step:
 * D(h) = (g(x + h dir) - g(x - h dir)) / 2h, fd = (4 D(h/2) - D(h)) / 3
 * (truncation error O(h^4)), for every output (0 for non-float outputs). */
static bool adc_fd(adc_state *s, const jet_graph *g, const jet_buf *extra, uint32_t n_extra,
                          const jet_buf *dir, double h, jet_buf *fd, const char *what) {
  static const double step[4] = {1, -1, 0.5, -0.5};
  jet_buf a[ADC_MAX * 4], o[4][ADC_MAX * 4];
  bool ok = true;
  memset(o, 0, sizeof o);
  for (int k = 0; k < 4 && ok; k++) {
    for (uint32_t i = 0; i < s->np; i++) {
      adc_copy(&a[i], &s->x[i]);
      if (s->fp[i])
        for (int64_t e = 0; e < adc_numel(&s->x[i]); e++)
          adc_set(&a[i], e, adc_get(&s->x[i], e) + step[k] * h * adc_get(&dir[i], e));
    }
    for (uint32_t i = 0; i < n_extra; i++) a[s->np + i] = extra[i];
    ok = adc_run(g, a, s->np + n_extra, o[k], s->label, what);
    adc_bufs_free(a, s->np);
  }
  for (uint32_t j = 0; ok && j < g->n_outputs; j++) {
    fd[j] = adc_buf(o[0][j].type);
    if (!adc_isf(o[0][j].type.dtype)) continue;
    for (int64_t i = 0; i < adc_numel(&o[0][j]); i++) {
      double d1 = (adc_get(&o[0][j], i) - adc_get(&o[1][j], i)) / (2 * h);
      double d2 = (adc_get(&o[2][j], i) - adc_get(&o[3][j], i)) / h;
      adc_set(&fd[j], i, (4 * d2 - d1) / 3);
    }
  }
  for (int k = 0; k < 4; k++) adc_bufs_free(o[k], g->n_outputs);
  if (!ok) s->fails++;
  return ok;
}

/* L(x) = sum over float outputs j of sum(u_j * f_j(x)), an f64 scalar. */
static jet_graph *adc_make_loss(adc_state *s) {
  adc_b b = {NULL, adc_clone(s->f, &b.g)};
  jet_value acc = JET_NO_VALUE;
  for (uint32_t j = 0; j < s->no; j++) {
    if (!s->fo[j]) continue;
    jet_value m = adc_op2(&b, JET_OP_MUL, s->f->outputs[j],
                          adc_const(&b, s->u[j].type, s->u[j].data));
    int64_t axes[JET_MAX_RANK];
    for (int32_t d = 0; d < s->u[j].type.rank; d++) axes[d] = d;
    jet_attr ax = adc_ints("axes", axes, (uint32_t)s->u[j].type.rank);
    if (s->u[j].type.rank) m = adc_op(&b, JET_OP_REDUCE_SUM, &m, 1, &ax, 1);
    if (s->u[j].type.dtype != JET_F64) {
      jet_attr nd = adc_dtype("new_dtype", JET_F64);
      m = adc_op(&b, JET_OP_CONVERT_ELEMENT_TYPE, &m, 1, &nd, 1);
    }
    acc = acc == JET_NO_VALUE ? m : adc_op2(&b, JET_OP_ADD, acc, m);
  }
  adc_outputs(&b, &acc, 1);
  jet_graph *g = adc_finish(&b, s->label);
  if (!g) s->fails++;
  return g;
}

/* *g = cleanup(tfs(src)); false (counted) on error. */
static bool adc_derive(adc_state *s, const jet_graph *src, const jet_transform *tfs,
                              uint32_t n, jet_graph **g, const char *what) {
  jet_status st = adc_transform(src, tfs, n, g);
  if (st) {
    adc_fail(s, "%s: transform failed: %s", what, jet_status_message(st));
    jet_status_free(st);
    return false;
  }
  return true;
}

/* Runs g on (x..., then up to three groups of per-param or per-output
 * buffers) into outs. */
static bool adc_run_with(adc_state *s, const jet_graph *g, const jet_buf *const *groups,
                                const uint32_t *sizes, uint32_t n_groups, jet_buf *outs,
                                const char *what) {
  jet_buf args[ADC_MAX * 4];
  uint32_t n = 0;
  for (uint32_t i = 0; i < s->np; i++) args[n++] = s->x[i];
  for (uint32_t k = 0; k < n_groups; k++)
    for (uint32_t i = 0; i < sizes[k]; i++) args[n++] = groups[k][i];
  if (!adc_run(g, args, n, outs, s->label, what)) {
    s->fails++;
    return false;
  }
  return true;
}

/* The primal outputs of a derivative graph equal f(x). */
static void adc_check_primal(adc_state *s, const char *what, const jet_buf *outs) {
  char m[96];
  for (uint32_t j = 0; j < s->no; j++) {
    snprintf(m, sizeof m, "%s: primal output %u", what, j);
    adc_cmp(s, m, &outs[j], &s->y0[j], 1e-12);
  }
}

/* Steps 1-2: jvp and vjp against FD and each other. */
static void adc_first_order(adc_state *s) {
  jet_transform tj = adc_tf(JET_TF_JVP), tv = adc_tf(JET_TF_VJP);
  jet_graph *V = NULL;
  jet_buf o[ADC_MAX * 4], fdv[ADC_MAX], jtu[ADC_MAX], col[ADC_MAX * 4], e[ADC_MAX];
  memset(fdv, 0, sizeof fdv);
  memset(jtu, 0, sizeof jtu);
  memset(e, 0, sizeof e);
  char m[96];
  /* jvp */
  if (!adc_derive(s, s->f, &tj, 1, &s->J, "jvp")) return;
  const jet_buf *gv[1] = {s->v};
  if (!adc_run_with(s, s->J, gv, &s->np, 1, o, "jvp")) return;
  adc_check_primal(s, "jvp", o);
  for (uint32_t j = 0; j < s->no; j++) {
    s->jv[j] = o[s->no + j];
    snprintf(m, sizeof m, "jvp: tangent of output %u", j);
    if (!jet_type_equal(&s->jv[j].type, &s->y0[j].type)) adc_cmp(s, m, &s->jv[j], &s->y0[j], 0);
    else if (!s->fo[j] || s->o->expect_zero) adc_zero(s, m, &s->jv[j]);
  }
  adc_bufs_free(o, s->no);
  /* FD: full Jacobian when small, else along v */
  int64_t n_in = 0;
  for (uint32_t i = 0; i < s->np; i++) n_in += s->fp[i] ? adc_numel(&s->x[i]) : 0;
  bool full = n_in <= ADC_FULL_JAC;
  double h = adc_step(s);
  if (!s->o->expect_zero && s->nfo && s->nfp) {
    bool ok = true;
    if (full) {
      for (uint32_t j = 0; j < s->no; j++) fdv[j] = adc_buf(s->y0[j].type);
      for (uint32_t i = 0; i < s->np; i++) {
        e[i] = adc_buf(s->x[i].type);
        jtu[i] = adc_buf(s->x[i].type);
      }
      for (uint32_t i = 0; ok && i < s->np; i++) {
        for (int64_t k = 0; ok && s->fp[i] && k < adc_numel(&s->x[i]); k++) {
          adc_set(&e[i], k, 1);
          double hk = (s->o->eps > 0 ? s->o->eps : ADC_EPS) * fmax(1, fabs(adc_get(&s->x[i], k)));
          if ((ok = adc_fd(s, s->fx, NULL, 0, e, hk, col, "FD of f"))) {
            double acc = 0;
            for (uint32_t j = 0; j < s->no; j++) {
              for (int64_t q = 0; s->fo[j] && q < adc_numel(&col[j]); q++) {
                adc_set(&fdv[j], q, adc_get(&fdv[j], q) + adc_get(&col[j], q) * adc_get(&s->v[i], k));
                acc += adc_get(&col[j], q) * adc_get(&s->u[j], q);
              }
            }
            adc_set(&jtu[i], k, acc);
            adc_bufs_free(col, s->no);
          }
          adc_set(&e[i], k, 0);
        }
      }
    } else {
      ok = adc_fd(s, s->fx, NULL, 0, s->v, h, fdv, "FD of f");
    }
    for (uint32_t j = 0; ok && j < s->no; j++) {
      snprintf(m, sizeof m, "jvp vs FD: tangent of output %u", j);
      if (s->fo[j]) adc_cmp(s, m, &s->jv[j], &fdv[j], s->o->tol1 > 0 ? s->o->tol1 : ADC_TOL1);
    }
    if (!ok) full = false;
  }
  /* vjp */
  const jet_buf *gu[1] = {s->u};
  if (adc_derive(s, s->f, &tv, 1, &V, "vjp") && adc_run_with(s, V, gu, &s->no, 1, o, "vjp")) {
    adc_check_primal(s, "vjp", o);
    double mag = 0, a = 0, b = 0;
    for (uint32_t i = 0; i < s->np; i++) {
      s->ct[i] = o[s->no + i];
      snprintf(m, sizeof m, "vjp: cotangent of param %u", i);
      if (!jet_type_equal(&s->ct[i].type, &s->x[i].type)) adc_cmp(s, m, &s->ct[i], &s->x[i], 0);
      else if (!s->fp[i] || s->o->expect_zero) adc_zero(s, m, &s->ct[i]);
      else {
        if (full && !s->o->expect_zero && s->nfo) {
          snprintf(m, sizeof m, "vjp vs FD: cotangent of param %u", i);
          adc_cmp(s, m, &s->ct[i], &jtu[i], s->o->tol1 > 0 ? s->o->tol1 : ADC_TOL1);
        }
        a += adc_dot(&s->ct[i], &s->v[i], &mag);
      }
    }
    for (uint32_t j = 0; j < s->no; j++)
      if (s->fo[j] && jet_type_equal(&s->jv[j].type, &s->u[j].type)) b += adc_dot(&s->u[j], &s->jv[j], &mag);
    adc_agree(s, "<vjp(u), v> vs <u, jvp(v)>", a, b, mag);
    adc_bufs_free(o, s->no);
  }
  jet_graph_destroy(V);
  adc_bufs_free(fdv, s->no);
  adc_bufs_free(jtu, s->np);
  adc_bufs_free(e, s->np);
}

/* Step 3: grad and value_and_grad of L against the vjp. */
static void adc_grad(adc_state *s) {
  int32_t argnums[ADC_MAX];
  uint32_t na = 0;
  for (uint32_t i = 0; i < s->np; i++)
    if (s->fp[i]) argnums[na++] = (int32_t)i;
  jet_transform tg = adc_tf(JET_TF_GRAD), tvg = adc_tf(JET_TF_VALUE_AND_GRAD);
  tg.argnums = tvg.argnums = argnums;
  tg.n_argnums = tvg.n_argnums = na;
  tg.argnums_tuple = tvg.argnums_tuple = true;
  jet_graph *G = NULL, *VG = NULL;
  jet_buf o[ADC_MAX * 4], l[1];
  char m[96];
  if (adc_derive(s, s->L, &tg, 1, &G, "grad") && adc_run_with(s, G, NULL, NULL, 0, o, "grad")) {
    for (uint32_t a = 0; a < na; a++) {
      snprintf(m, sizeof m, "grad(L) vs vjp(f): param %d", argnums[a]);
      if (s->o->expect_zero) adc_zero(s, m, &o[a]);
      else if (s->ct[argnums[a]].data) adc_cmp(s, m, &o[a], &s->ct[argnums[a]], adc_tola(s));
    }
    adc_bufs_free(o, G->n_outputs);
  }
  if (adc_derive(s, s->L, &tvg, 1, &VG, "value_and_grad") &&
      adc_run_with(s, VG, NULL, NULL, 0, o, "value_and_grad")) {
    if (adc_run(s->Lx, s->x, s->np, l, s->label, "L")) {
      adc_cmp(s, "value_and_grad: value", &o[0], &l[0], 1e-12);
      adc_bufs_free(l, 1);
    } else {
      s->fails++;
    }
    for (uint32_t a = 0; a < na && VG->n_outputs == na + 1; a++) {
      snprintf(m, sizeof m, "value_and_grad vs vjp(f): param %d", argnums[a]);
      if (s->o->expect_zero) adc_zero(s, m, &o[1 + a]);
      else if (s->ct[argnums[a]].data) adc_cmp(s, m, &o[1 + a], &s->ct[argnums[a]], adc_tola(s));
    }
    if (VG->n_outputs != na + 1) adc_fail(s, "value_and_grad: %u outputs, expected %u", VG->n_outputs, na + 1);
    adc_bufs_free(o, VG->n_outputs);
  }
  jet_graph_destroy(G);
  jet_graph_destroy(VG);
}


/* Step 4: second order (forward-over-reverse, reverse-over-reverse,
 * forward-over-forward, reverse-over-forward). */
static void adc_second_order(adc_state *s) {
  int32_t argnums[ADC_MAX];
  uint32_t na = 0;
  for (uint32_t i = 0; i < s->np; i++)
    if (s->fp[i]) argnums[na++] = (int32_t)i;
  double tol2 = s->o->tol2 > 0 ? s->o->tol2 : ADC_TOL2, h = adc_step(s);
  jet_transform gj[2] = {adc_tf(JET_TF_GRAD), adc_tf(JET_TF_JVP)};
  jet_transform gv[2] = {adc_tf(JET_TF_GRAD), adc_tf(JET_TF_VJP)};
  jet_transform jj[2] = {adc_tf(JET_TF_JVP), adc_tf(JET_TF_JVP)};
  jet_transform jr[2] = {adc_tf(JET_TF_JVP), adc_tf(JET_TF_VJP)};
  for (int k = 0; k < 2; k++) {
    gj[k].argnums = gv[k].argnums = argnums;
    gj[k].n_argnums = gv[k].n_argnums = na;
    gj[k].argnums_tuple = gv[k].argnums_tuple = true;
  }
  jet_graph *G = NULL, *JG = NULL, *VG = NULL, *JJ = NULL, *RJ = NULL;
  jet_buf o[ADC_MAX * 4], fd[ADC_MAX * 4], wf[ADC_MAX], zt[ADC_MAX];
  char m[96];
  memset(zt, 0, sizeof zt);
  uint32_t nhv = 0;
  /* forward-over-reverse vs FD of grad L */
  if (s->L && adc_derive(s, s->L, gj, 1, &G, "grad") && adc_derive(s, s->L, gj, 2, &JG, "jvp(grad)")) {
    const jet_buf *g1[1] = {s->v};
    if (adc_run_with(s, JG, g1, &s->np, 1, o, "jvp(grad)")) {
      bool ok = adc_fd(s, G, NULL, 0, s->v, h, fd, "FD of grad");
      for (uint32_t a = 0; a < na; a++) {
        s->hv[a] = o[na + a];
        o[na + a].data = NULL;
        snprintf(m, sizeof m, "jvp(grad) vs FD of grad: param %d", argnums[a]);
        if (ok) adc_cmp(s, m, &s->hv[a], &fd[a], tol2);
      }
      nhv = na;
      if (ok) adc_bufs_free(fd, G->n_outputs);
      adc_bufs_free(o, JG->n_outputs);
    }
  }
  /* reverse-over-reverse: <H w, v> == <w, H v> */
  for (uint32_t a = 0; a < na; a++) wf[a] = s->w[argnums[a]];
  if (nhv && adc_derive(s, s->L, gv, 2, &VG, "vjp(grad)")) {
    const jet_buf *g1[1] = {wf};
    if (adc_run_with(s, VG, g1, &na, 1, o, "vjp(grad)")) {
      double mag = 0, a1 = 0, a2 = 0;
      for (uint32_t i = 0; i < s->np; i++) {
        snprintf(m, sizeof m, "vjp(grad): cotangent of param %u", i);
        if (!s->fp[i]) adc_zero(s, m, &o[na + i]);
        else a1 += adc_dot(&o[na + i], &s->v[i], &mag);
      }
      for (uint32_t a = 0; a < na; a++) a2 += adc_dot(&wf[a], &s->hv[a], &mag);
      adc_agree(s, "<vjp(grad)(w), v> vs <w, jvp(grad)(v)>", a1, a2, mag);
      adc_bufs_free(o, VG->n_outputs);
    }
  }
  /* forward-over-forward: jvp(jvp f)(x, v; v, 0) vs FD of jvp f */
  for (uint32_t i = 0; i < s->np; i++) {
    if (s->fp[i]) zt[i] = adc_buf(s->x[i].type);
    else adc_copy(&zt[i], &s->w[i]); /* integer tangents are ignored */
  }
  if (s->J && adc_derive(s, s->f, jj, 2, &JJ, "jvp(jvp)")) {
    const jet_buf *g3[3] = {s->v, s->v, zt};
    uint32_t n3[3] = {s->np, s->np, s->np};
    if (adc_run_with(s, JJ, g3, n3, 3, o, "jvp(jvp)")) {
      bool ok = adc_fd(s, s->J, s->v, s->np, s->v, h, fd, "FD of jvp");
      double mag = 0, a1 = 0, a2 = 0;
      for (uint32_t j = 0; j < s->no; j++) {
        const jet_buf *d2 = &o[3 * s->no + j];
        snprintf(m, sizeof m, "jvp(jvp) vs FD of jvp: output %u", j);
        if (!s->fo[j]) adc_zero(s, m, d2);
        else {
          if (ok) adc_cmp(s, m, d2, &fd[s->no + j], tol2);
          a1 += adc_dot(&s->u[j], d2, &mag);
        }
      }
      for (uint32_t a = 0; a < nhv; a++) a2 += adc_dot(&s->v[argnums[a]], &s->hv[a], &mag);
      if (nhv) adc_agree(s, "<u, jvp(jvp)(v, v)> vs <v, jvp(grad)(v)>", a1, a2, mag);
      if (ok) adc_bufs_free(fd, s->J->n_outputs);
      adc_bufs_free(o, JJ->n_outputs);
    }
  }
  /* reverse-over-forward: vjp(jvp f)(x, v; 0, u) = (H v, J^T u) */
  if (s->J && adc_derive(s, s->f, jr, 2, &RJ, "vjp(jvp)")) {
    const jet_buf *g3[3] = {s->v, s->zo, s->u};
    uint32_t n3[3] = {s->np, s->no, s->no};
    if (adc_run_with(s, RJ, g3, n3, 3, o, "vjp(jvp)")) {
      uint32_t a = 0;
      for (uint32_t i = 0; i < s->np; i++) {
        const jet_buf *cx = &o[2 * s->no + i], *ctt = &o[2 * s->no + s->np + i];
        snprintf(m, sizeof m, "vjp(jvp): cotangent of primal %u vs jvp(grad)", i);
        if (!s->fp[i]) adc_zero(s, m, cx);
        else if (a < nhv) adc_cmp(s, m, cx, &s->hv[a++], adc_tola(s));
        snprintf(m, sizeof m, "vjp(jvp): cotangent of tangent %u vs vjp", i);
        if (!s->fp[i]) adc_zero(s, m, ctt);
        else if (s->ct[i].data) adc_cmp(s, m, ctt, &s->ct[i], adc_tola(s));
      }
      adc_bufs_free(o, RJ->n_outputs);
    }
  }
  adc_bufs_free(zt, s->np);
  jet_graph_destroy(G);
  jet_graph_destroy(JG);
  jet_graph_destroy(VG);
  jet_graph_destroy(JJ);
  jet_graph_destroy(RJ);
}

/* Runs every check of the header comment on f at x (f's params). Returns
 * the number of failed checks (0 = all passed); failures are printed. */
int adc_check(const jet_graph *f, const jet_buf *x, const adc_opts *o) {
  adc_state S, *s = &S;
  memset(s, 0, sizeof S);
  s->f = f;
  s->o = o;
  s->x = x;
  s->label = o->label ? o->label : "?";
  s->np = f->n_params;
  s->no = f->n_outputs;
  if (s->np > ADC_MAX || s->no > ADC_MAX || s->no == 0) {
    adc_fail(s, "adc_check handles 1..%d outputs and at most %d params", ADC_MAX, ADC_MAX);
    return s->fails;
  }
  adc_rng r = {o->seed * 0x2545f4914f6cdd1dull + 17};
  for (uint32_t i = 0; i < s->np; i++) {
    s->fp[i] = adc_isf(x[i].type.dtype);
    s->nfp += s->fp[i];
    s->v[i] = adc_buf(x[i].type);
    s->w[i] = adc_buf(x[i].type);
    for (int64_t k = 0; k < adc_numel(&x[i]); k++) {
      adc_set(&s->v[i], k, s->fp[i] ? adc_unif(&r, -1, 1) : (double)adc_randint(&r, 1, 1));
      adc_set(&s->w[i], k, s->fp[i] ? adc_unif(&r, -1, 1) : (double)adc_randint(&r, 1, 1));
    }
  }
  jet_status st = adc_flatten(f, &s->fx);
  if (st) {
    adc_fail(s, "inlining the calls of f failed: %s", jet_status_message(st));
    jet_status_free(st);
  } else if (!adc_run(s->fx, x, s->np, s->y0, s->label, "f")) {
    s->fails++;
  } else {
    for (uint32_t j = 0; j < s->no; j++) {
      s->fo[j] = adc_isf(s->y0[j].type.dtype);
      s->nfo += s->fo[j];
      s->u[j] = adc_buf(s->y0[j].type);
      s->zo[j] = adc_buf(s->y0[j].type);
      for (int64_t k = 0; s->fo[j] && k < adc_numel(&s->y0[j]); k++)
        adc_set(&s->u[j], k, adc_unif(&r, -1, 1));
    }
    adc_first_order(s);
    if (s->nfp && s->nfo && (s->L = adc_make_loss(s)) != NULL) {
      if ((st = adc_flatten(s->L, &s->Lx)) != NULL) {
        adc_fail(s, "inlining the calls of L failed: %s", jet_status_message(st));
        jet_status_free(st);
      } else {
        adc_grad(s);
      }
    }
    if (s->nfp && !o->expect_zero && !o->first_only) adc_second_order(s);
  }
  if (getenv("ADC_VERBOSE"))
    fprintf(stderr, "[%s] %d checks, %d failed\n", s->label, s->checks, s->fails);
  jet_graph_destroy(s->L);
  jet_graph_destroy(s->Lx);
  jet_graph_destroy(s->fx);
  jet_graph_destroy(s->J);
  adc_bufs_free(s->v, s->np);
  adc_bufs_free(s->w, s->np);
  adc_bufs_free(s->ct, s->np);
  adc_bufs_free(s->hv, s->np);
  adc_bufs_free(s->u, s->no);
  adc_bufs_free(s->zo, s->no);
  adc_bufs_free(s->y0, s->no);
  adc_bufs_free(s->jv, s->no);
  return s->fails;
}
