/* The fused executor: runs one fused step (program_internal.h) over its
 * loop domain in tiles of JET_TILE elements.
 *
 * Work is cut into tasks of about CHUNK elements whose boundaries depend
 * only on the shapes, never on the number of threads, so results
 * (including the order of float reductions) are the same on any pool. Tasks
 * run on the shared pool (runtime/pool.h); a step of one task runs on the
 * calling thread. Each thread has its own registers in the caller's
 * scratch; inputs are read in place (a LOAD is a pointer, not a copy) and
 * materialised values are written straight to their memory, so every input
 * is read once and every output written once.
 *
 * Reductions: the domain is viewed as [outer, inner]. ROWS reduces each row
 * (a task holds whole rows, or, for rows longer than CHUNK, one chunk of a
 * row whose partials are combined afterwards in chunk order); COLS reduces
 * over rows for each column (tasks are column blocks x row chunks, each
 * accumulating a partial row, combined in row-chunk order). */
#include <emmintrin.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "../pool.h"
#include "../program_internal.h"

#define CHUNK ((int64_t)64 * 1024) /* elements per task (a multiple of JET_TILE) */
#define REG_BYTES ((size_t)JET_TILE * 8)
#define MAX_INSTR JET_FUSED_MAX_INSTR


typedef struct frun {
  const jet_fused *f;
  void *const *base;
  char *regs;     /* pool-size blocks of n_regs registers */
  char *partials; /* reduction partials */
  size_t esz_red;  /* of the result dtype */
  jet_dtype acc_dt; /* accumulator dtype (f64 for sums of f32) */
  size_t ae;        /* its element size (partials are packed) */
  bool stream;      /* write results with non-temporal stores */
  const jet_exec_ctl *ctl;
  atomic_int stop;  /* set once ctl says stop: remaining tasks are skipped */
  /* geometry */
  int64_t ntasks, rows_per_task, chunks_per_row, col_width, col_blocks, row_chunk, row_chunks;
} frun;

static size_t esz(jet_dtype d) { return jet_dtype_size(d); }

/* out[0..n) (dtype d) = accumulators acc[0..n) (dtype a), rounded once. */
static void store_acc(jet_dtype a, jet_dtype d, const void *acc, void *out, int64_t n) {
  if (a == d) {
    memmove(out, acc, (size_t)n * esz(d));
    return;
  }
  for (int64_t i = 0; i < n; i++) ((float *)out)[i] = (float)((const double *)acc)[i];
}

/* Copies `len` domain elements starting at flat index off from a source
 * read through broadcast strides. */
static void gather(const jet_fused *f, const jet_tinstr *ti, const char *src, char *dst, int64_t off,
                   int64_t len) {
  const size_t e = esz(ti->dtype);
  const int r = f->rank;
  if (r == 0) {
    memcpy(dst, src, e);
    return;
  }
  int64_t idx[JET_MAX_RANK];
  int64_t rem = off;
  for (int d = r - 1; d >= 0; d--) {
    idx[d] = f->dims[d] ? rem % f->dims[d] : 0;
    rem = f->dims[d] ? rem / f->dims[d] : 0;
  }
  const int64_t last = f->dims[r - 1], ls = ti->bstride[r - 1];
  while (len > 0) {
    int64_t so = 0;
    for (int d = 0; d < r; d++) so += idx[d] * ti->bstride[d];
    int64_t run = last - idx[r - 1];
    if (run > len) run = len;
    const char *s = src + so * (int64_t)e;
    if (ls == 1) {
      memcpy(dst, s, (size_t)run * e);
    } else if (e == 4) {
      uint32_t *o = (uint32_t *)(void *)dst;
      for (int64_t i = 0; i < run; i++) memcpy(&o[i], s + i * ls * 4, 4);
    } else if (e == 8) {
      uint64_t *o = (uint64_t *)(void *)dst;
      for (int64_t i = 0; i < run; i++) memcpy(&o[i], s + i * ls * 8, 8);
    } else {
      for (int64_t i = 0; i < run; i++) memcpy(dst + i * (int64_t)e, s + i * ls * (int64_t)e, e);
    }
    dst += run * (int64_t)e;
    len -= run;
    idx[r - 1] += run;
    for (int d = r - 1; d > 0 && idx[d] >= f->dims[d]; d--) {
      idx[d] = 0;
      idx[d - 1]++;
    }
  }
}

static void fill_scalars(const jet_fused *f, void *const *base, char *regs) {
  for (uint32_t i = 0; i < f->n_instr; i++) {
    const jet_tinstr *ti = &f->instr[i];
    if (ti->kind != JET_TI_SCALAR) continue;
    const size_t e = esz(ti->dtype);
    char *r = regs + (size_t)ti->reg * REG_BYTES;
    const char *s = base[ti->value];
    if (e == 4) {
      uint32_t v;
      memcpy(&v, s, 4);
      for (int i2 = 0; i2 < JET_TILE; i2++) ((uint32_t *)(void *)r)[i2] = v;
    } else if (e == 8) {
      uint64_t v;
      memcpy(&v, s, 8);
      for (int i2 = 0; i2 < JET_TILE; i2++) ((uint64_t *)(void *)r)[i2] = v;
    } else {
      for (int i2 = 0; i2 < JET_TILE; i2++) memcpy(r + (size_t)i2 * e, s, e);
    }
  }
}

/* Copies n bytes with non-temporal stores where dst is 16-byte aligned. */
static void stream_copy(char *dst, const char *src, size_t n) {
  size_t head = (16 - ((uintptr_t)dst & 15)) & 15;
  if (head > n) head = n;
  memcpy(dst, src, head);
  dst += head;
  src += head;
  n -= head;
  for (; n >= 16; n -= 16, dst += 16, src += 16)
    _mm_stream_si128((__m128i *)(void *)dst, _mm_loadu_si128((const __m128i *)(const void *)src));
  memcpy(dst, src, n);
}

/* Runs the tile program on [off, off + len); ptr gets every slot. */
static void run_tile(const jet_fused *f, void *const *base, char *regs, const void **ptr,
                     int64_t off, int64_t len, bool stream) {
  for (uint32_t i = 0; i < f->n_instr; i++) {
    const jet_tinstr *ti = &f->instr[i];
    const int64_t e = (int64_t)esz(ti->dtype);
    if (stream && ti->stage >= 0) { /* compute in a register, stream it out */
      char *tmp = regs + (size_t)ti->stage * REG_BYTES;
      const void *src[3] = {NULL, NULL, NULL};
      for (int k = 0; k < ti->op.n_in; k++) src[k] = ptr[ti->src[k]];
      ti->op.fn(&ti->op, src, tmp, len);
      stream_copy((char *)base[ti->def] + off * e, tmp, (size_t)(len * e));
      ptr[i] = tmp;
      continue;
    }
    char *dst = ti->store ? (char *)base[ti->def] + off * e
                          : ti->reg >= 0 ? regs + (size_t)ti->reg * REG_BYTES : NULL;
    switch (ti->kind) {
      case JET_TI_LOAD: ptr[i] = (const char *)base[ti->value] + off * e; break;
      case JET_TI_SCALAR: ptr[i] = dst; break;
      case JET_TI_BCAST:
        gather(f, ti, base[ti->value], dst, off, len);
        ptr[i] = dst;
        break;
      case JET_TI_NOP: break;
      case JET_TI_OP: {
        const void *src[3] = {NULL, NULL, NULL};
        for (int k = 0; k < ti->op.n_in; k++) src[k] = ptr[ti->src[k]];
        ti->op.fn(&ti->op, src, dst, len);
        ptr[i] = dst;
        break;
      }
    }
  }
}

static void task_plain(const frun *r, int64_t t, char *regs, const void **ptr) {
  const int64_t lo = t * CHUNK, hi = lo + CHUNK < r->f->n ? lo + CHUNK : r->f->n;
  for (int64_t off = lo; off < hi; off += JET_TILE)
    run_tile(r->f, r->base, regs, ptr, off, hi - off < JET_TILE ? hi - off : JET_TILE, r->stream);
}

static void task_rows(const frun *r, int64_t t, char *regs, const void **ptr) {
  const jet_fused *f = r->f;
  const jet_op op = f->red_op;
  const jet_dtype d = f->red_dtype, a = r->acc_dt;
  const size_t e = r->esz_red;
  char *out = r->base[f->red_value];
  const int64_t inner = f->inner;
  double accbuf;
  if (r->chunks_per_row > 1) { /* one chunk of one long row */
    const int64_t row = t / r->chunks_per_row, c = t % r->chunks_per_row;
    const int64_t lo = c * CHUNK, hi = lo + CHUNK < inner ? lo + CHUNK : inner;
    char *acc = r->partials + (size_t)t * r->ae;
    jet_tile_reduce_identity(op, a, acc, 1);
    for (int64_t j = lo; j < hi; j += JET_TILE) {
      const int64_t len = hi - j < JET_TILE ? hi - j : JET_TILE;
      run_tile(f, r->base, regs, ptr, row * inner + j, len, r->stream);
      jet_tile_reduce_all_wide(op, d, ptr[f->red_slot], len, acc);
    }
    return;
  }
  const int64_t r0 = t * r->rows_per_task;
  const int64_t r1 = r0 + r->rows_per_task < f->outer ? r0 + r->rows_per_task : f->outer;
  if (inner >= JET_TILE) {
    for (int64_t row = r0; row < r1; row++) {
      jet_tile_reduce_identity(op, a, &accbuf, 1);
      for (int64_t j = 0; j < inner; j += JET_TILE) {
        const int64_t len = inner - j < JET_TILE ? inner - j : JET_TILE;
        run_tile(f, r->base, regs, ptr, row * inner + j, len, r->stream);
        jet_tile_reduce_all_wide(op, d, ptr[f->red_slot], len, &accbuf);
      }
      store_acc(a, d, &accbuf, out + row * (int64_t)e, 1);
    }
    return;
  }
  const int64_t k = inner ? JET_TILE / inner : 1;
  for (int64_t row = r0; row < r1; row += k) {
    const int64_t kk = r1 - row < k ? r1 - row : k;
    if (inner) run_tile(f, r->base, regs, ptr, row * inner, kk * inner, r->stream);
    for (int64_t j = 0; j < kk; j++) {
      jet_tile_reduce_identity(op, a, &accbuf, 1);
      if (inner)
        jet_tile_reduce_all_wide(op, d, (const char *)ptr[f->red_slot] + j * inner * (int64_t)e,
                                 inner, &accbuf);
      store_acc(a, d, &accbuf, out + (row + j) * (int64_t)e, 1);
    }
  }
}

static void task_cols(const frun *r, int64_t t, char *regs, const void **ptr) {
  const jet_fused *f = r->f;
  const jet_op op = f->red_op;
  const jet_dtype d = f->red_dtype, a = r->acc_dt;
  const int64_t e = (int64_t)r->esz_red, inner = f->inner, W = r->col_width;
  const int64_t b = t / r->row_chunks, c = t % r->row_chunks;
  const int64_t j0 = b * W, w = inner - j0 < W ? inner - j0 : W;
  char *acc = r->partials + (size_t)t * (size_t)W * r->ae;
  jet_tile_reduce_identity(op, a, acc, w);
  const int64_t o0 = c * r->row_chunk;
  const int64_t o1 = o0 + r->row_chunk < f->outer ? o0 + r->row_chunk : f->outer;
  if (inner >= JET_TILE) {
    for (int64_t o = o0; o < o1; o++) {
      run_tile(f, r->base, regs, ptr, o * inner + j0, w, r->stream);
      jet_tile_reduce_accum_wide(op, d, ptr[f->red_slot], w, acc);
    }
    return;
  }
  const int64_t k = JET_TILE / inner;
  for (int64_t o = o0; o < o1; o += k) {
    const int64_t kk = o1 - o < k ? o1 - o : k;
    run_tile(f, r->base, regs, ptr, o * inner, kk * inner, r->stream);
    for (int64_t j = 0; j < kk; j++)
      jet_tile_reduce_accum_wide(op, d, (const char *)ptr[f->red_slot] + j * inner * e, inner,
                                 acc);
  }
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Whether the execution was cancelled or ran past its deadline. */
static bool should_stop(frun *r) {
  if (atomic_load_explicit(&r->stop, memory_order_relaxed)) return true;
  const jet_exec_ctl *c = r->ctl;
  if (!c) return false;
  if ((c->cancelled && atomic_load(c->cancelled) != 0) ||
      (c->deadline_ns > 0 && now_ns() >= c->deadline_ns)) {
    atomic_store(&r->stop, 1);
    return true;
  }
  return false;
}

static void task_fn(void *ctx, uint32_t task, uint32_t slot) {
  frun *r = ctx;
  if (should_stop(r)) return;
  char *regs = r->regs + (size_t)slot * r->f->n_regs * REG_BYTES;
  const void *ptr[MAX_INSTR];
  fill_scalars(r->f, r->base, regs);
  switch (r->f->red_mode) {
    case JET_RED_ROWS: task_rows(r, task, regs, ptr); break;
    case JET_RED_COLS: task_cols(r, task, regs, ptr); break;
    default: task_plain(r, task, regs, ptr); break;
  }
  if (r->stream) _mm_sfence(); /* streamed stores visible before the task ends */
}

/* Task geometry (a pure function of the shapes). */
static void plan(frun *r) {
  const jet_fused *f = r->f;
  r->chunks_per_row = 1;
  r->rows_per_task = 1;
  switch (f->red_mode) {
    case JET_RED_ROWS:
      if (f->inner > CHUNK) {
        r->chunks_per_row = (f->inner + CHUNK - 1) / CHUNK;
        r->ntasks = f->outer * r->chunks_per_row;
      } else {
        r->rows_per_task = f->inner ? CHUNK / f->inner : f->outer;
        if (r->rows_per_task < 1) r->rows_per_task = 1;
        r->ntasks = (f->outer + r->rows_per_task - 1) / r->rows_per_task;
      }
      break;
    case JET_RED_COLS: {
      r->col_width = f->inner >= JET_TILE ? JET_TILE : f->inner;
      r->col_blocks = r->col_width ? (f->inner + r->col_width - 1) / r->col_width : 0;
      int64_t rc = r->col_width ? CHUNK / r->col_width : 1;
      if (f->inner < JET_TILE && f->inner) {
        const int64_t k = JET_TILE / f->inner;
        rc = (rc + k - 1) / k * k;
      }
      r->row_chunk = rc < 1 ? 1 : rc;
      r->row_chunks = (f->outer + r->row_chunk - 1) / r->row_chunk;
      if (r->row_chunks < 1) r->row_chunks = 1;
      r->ntasks = r->col_blocks * r->row_chunks;
      break;
    }
    default: r->ntasks = (f->n + CHUNK - 1) / CHUNK; break;
  }
}

uint64_t jet_fused_scratch_bytes(const jet_fused *f, uint32_t pool_size) {
  frun r = {.f = f};
  plan(&r);
  uint64_t part = 0;
  if (f->red_mode == JET_RED_ROWS && r.chunks_per_row > 1) part = (uint64_t)r.ntasks * 8;
  if (f->red_mode == JET_RED_COLS) part = (uint64_t)r.ntasks * (uint64_t)r.col_width * 8;
  return (uint64_t)pool_size * f->n_regs * REG_BYTES + part + 64;
}

bool jet_fused_run(const jet_fused *f, void *const *base, void *scratch, const jet_exec_ctl *ctl) {
  frun r = {.f = f, .base = base, .esz_red = f->red_mode ? esz(f->red_dtype) : 0, .ctl = ctl};
  atomic_init(&r.stop, 0);
  r.acc_dt = f->red_mode ? jet_tile_reduce_acc_dtype(f->red_op, f->red_dtype) : f->red_dtype;
  r.ae = f->red_mode ? esz(r.acc_dt) : 0;
  r.stream = f->n * 4 >= JET_FUSED_STREAM_MIN_BYTES;
  plan(&r);
  jet_pool *pool = jet_pool_global();
  r.regs = scratch;
  r.partials = (char *)scratch + (size_t)jet_pool_size(pool) * f->n_regs * REG_BYTES;
  if (f->n == 0) { /* only a reduction has anything to write: identities */
    if (f->red_mode) {
      const int64_t cnt = f->red_mode == JET_RED_ROWS ? f->outer : f->inner;
      jet_tile_reduce_identity(f->red_op, f->red_dtype, base[f->red_value], cnt);
    }
    return true;
  }
  if (r.ntasks == 1)
    task_fn(&r, 0, 0);
  else
    jet_pool_run(pool, (uint32_t)r.ntasks, task_fn, &r);
  if (atomic_load(&r.stop)) return false;
  if (f->red_mode == JET_RED_ROWS && r.chunks_per_row > 1) {
    char *out = base[f->red_value];
    double acc;
    for (int64_t row = 0; row < f->outer; row++) {
      jet_tile_reduce_identity(f->red_op, r.acc_dt, &acc, 1);
      jet_tile_reduce_all(f->red_op, r.acc_dt, r.partials + (size_t)(row * r.chunks_per_row) * r.ae,
                          r.chunks_per_row, &acc);
      store_acc(r.acc_dt, f->red_dtype, &acc, out + row * (int64_t)r.esz_red, 1);
    }
  } else if (f->red_mode == JET_RED_COLS) {
    /* Partials are in accumulator dtype; the first row chunk's partial
     * collects the others. */
    char *out = base[f->red_value];
    for (int64_t b = 0; b < r.col_blocks; b++) {
      const int64_t j0 = b * r.col_width;
      const int64_t w = f->inner - j0 < r.col_width ? f->inner - j0 : r.col_width;
      char *first = r.partials + (size_t)(b * r.row_chunks) * (size_t)r.col_width * r.ae;
      for (int64_t c = 1; c < r.row_chunks; c++)
        jet_tile_reduce_accum(f->red_op, r.acc_dt,
                              r.partials + (size_t)(b * r.row_chunks + c) * (size_t)r.col_width * r.ae,
                              w, first);
      store_acc(r.acc_dt, f->red_dtype, first, out + j0 * (int64_t)r.esz_red, w);
    }
  }
  return true;
}
