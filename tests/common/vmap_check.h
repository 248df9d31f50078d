/* Numerical checks of vmap for the server unit tests
 * test_server_vmap_{ops,random}.c: vmap(f)(xs) against per-example
 * execution of the unbatched graph f, stacked.
 *
 * vmc_check(f, levels, n_levels, rng, opts):
 *   1. builds g = cleanup(vmap_{n-1}(... vmap_0(f))) through
 *      jet_transforms_apply (levels[0] is the innermost vmap, as in the
 *      request's transform list; axis_size always passed, as a graph
 *      transformed on its own has no arguments to read it from) and
 *      jet_passes_cleanup; with opts.via_call instead g = cleanup(inlined
 *      w), w(xs) = call(f)(xs) with the vmaps as the call node's transforms
 *      and axis_size passed only where the level says so (otherwise read
 *      from the call's operands);
 *   2. draws random arguments of g's parameter types (each element from
 *      the domain of the corresponding parameter of f: uniform in [lo, hi),
 *      |x| >= min_abs, floored for integer dtypes, clipped at 0 for
 *      unsigned ones, 0/1 for bool);
 *   3. runs g with the reference executor;
 *   4. computes the reference by a loop per level, outermost first: for
 *      b in 0..size-1, slice example b out of every mapped argument along its
 *      (normalised) in_axis, recurse, and stack the results along the
 *      (normalised) out_axis; at the bottom f itself runs (call nodes
 *      inlined first, as the executor runs no transforms);
 *   5. compares types (exactly) and data: integer and bool elements
 *      bit-exact; floats equal as values (NaN equals NaN) when opts.tol is
 *      0, else |got - want| <= tol * max(1, max |want|) per output.
 *   An output whose out_axes entry is None (set by the caller for an
 *   output that depends on no mapped argument) must be the same for every
 *   example; the reference checks that and keeps one copy.
 *
 * vmc_random_levels draws in_axes (each parameter mapped with probability
 * 3/4 at an axis in [-(r+1), r], or None; the level's `mapped` mask, when
 * non-zero, forces the choice), out_axes (an int in [-(r+1), r] per
 * output), decides whether axis_size is passed (always when every
 * entry is None) and sometimes passes a uniform list in JAX's short forms
 * (one entry for all, or no entry for all zeros).
 *
 * With opts.pmap (one level, not via_call) the level is a pmap transform
 * (same in_axes/out_axes and size) and g is compiled and run with
 * jet_program_run: the members run concurrently on device executors, so
 * this checks the compiled pmap of f against f run per shard.
 *
 * Failures print the label, the in_axes/out_axes of every level, the
 * first differing element (index, expected, got) and the graphs; the
 * checker never longjmps. (tests/common/vmap_check.c) */
#ifndef JET_TESTS_VMAP_CHECK_H
#define JET_TESTS_VMAP_CHECK_H

#include "ad_check.h"

#define VMC_MAX 16    /* parameters / outputs of a checked graph */
#define VMC_LEVELS 3  /* nested vmaps */

/* The domain of one parameter of f. */
typedef struct vmc_dom {
  double lo, hi, min_abs;
} vmc_dom;

/* One vmap transform. */
typedef struct vmc_level {
  int64_t size;                  /* the batch size */
  uint32_t n_in, n_out;          /* = params / outputs of the graph it applies to */
  jet_axis_spec in[VMC_MAX];
  jet_axis_spec out[VMC_MAX];
  bool pass_size;                /* set axis_size in a call node's vmap (required when
                                    nothing is mapped; always set at top level) */
  /* entries passed in the transform: n_in / n_out (the full lists), 1 (all
   * entries equal: JAX's single spec) or 0 (all entries 0: the default) */
  uint32_t pass_in, pass_out;
  bool pmap;                     /* set by vmc_check from opts.pmap */
} vmc_level;

typedef struct vmc_opts {
  const char *label;
  double tol;          /* 0: exact */
  const vmc_dom *dom;  /* per parameter of f; NULL: every one [-2, 2) */
  bool quiet;          /* do not dump the graphs on failure */
  bool via_call;       /* vmap as the transforms of a call node (see above) */
  bool pmap;           /* one level applied as a pmap transform instead, the
                          result compiled (jet_compiler_compile) and run as a
                          program: pmap(f)(xs) equals f per shard, stacked */
} vmc_opts;

/* Draws the axes of n_levels levels for f (sizes[k] the batch size of
 * level k). mapped[k] (may be NULL; 0 = random) is a bit mask of the
 * parameters of f that level k maps; require_mapped makes at least one
 * parameter mapped at every level (else a level may map nothing and pass
 * axis_size). */
void vmc_random_levels(const jet_graph *f, adc_rng *r, const int64_t *sizes, uint32_t n_levels,
                       const uint32_t *mapped, bool require_mapped, vmc_level *lv);

/* Runs the check of the header comment; returns the number of failed
 * checks (0 = passed). */
int vmc_check(const jet_graph *f, const vmc_level *lv, uint32_t n_levels, adc_rng *r,
              const vmc_opts *o);

/* g = vmap_{n-1}(... vmap_0(f)) with axis_size (no cleanup when `cleanup`
 * is false). */
jet_status vmc_transform(const jet_graph *f, const vmc_level *lv, uint32_t n_levels, bool cleanup,
                         jet_graph **g) JET_MUST_USE;

/* Writes "in_axes=(0, None, -1) out_axes=(1) size=3" for each level. */
void vmc_describe(const vmc_level *lv, uint32_t n_levels, char *buf, size_t cap);

#endif
