/* Execute (worker pool): find the executable, check and resolve every
 * argument (session-scoped handles or inline arrays; a sharded array whose
 * blocks are separate allocations is gathered first), pick the device the
 * call runs on (placement.h), run the executor with the call's cancel flag
 * and deadline, and return each output inline or as a new handle: on that
 * device, or sharded across a pmap's devices when it is a pmap result
 * mapped along axis 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "program.h"
#include "jet/protoconv.h"
#include "jet/v1/jet.pb-c.h"
#include "compiler/compile.h"
#include "runtime/mem.h"
#include "wire/call.h"
#include "wire/placement.h"

typedef struct exec_job {
  jet_executable *exe;
  jet_buffer **held; /* [n_args] handle arguments (NULL for inline) */
  void **gathered;   /* [n_args] jet_mem copies of sharded arguments */
  jet_arg_blocks *blocks; /* [n_args] sharded arguments a pmap reads in place */
  void **block_ptrs;      /* their block addresses */
  jet_buf *args;
  uint32_t device;   /* where the call runs and its outputs go */
  jet_buf *outs;
  bool *keep;       /* [n_outputs] */
  const char *session;
} exec_job;

static jet_status type_mismatch(uint32_t i, const jet_type *want, const jet_type *got) {
  char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
  return jet_status_make(JET_INVALID_ARGUMENT, "argument %u: expected %s, got %s", i,
                         jet_type_str(want, a, sizeof(a)), jet_type_str(got, b, sizeof(b)));
}

static jet_status resolve_args(jet_call *c, const Jet__V1__ExecuteRequest *q, exec_job *j) {
  const jet_graph *g = j->exe->graph;
  if (q->n_args != g->n_params)
    return jet_status_make(JET_INVALID_ARGUMENT, "args: %zu argument%s given, executable %s takes %u",
                           q->n_args, q->n_args == 1 ? "" : "s", j->exe->id, g->n_params);
  for (uint32_t i = 0; i < g->n_params; i++) {
    const Jet__V1__Argument *arg = q->args[i];
    char field[48];
    snprintf(field, sizeof(field), "args[%u]", i);
    jet_buf *b = &j->args[i];
    if (arg->value_case == JET__V1__ARGUMENT__VALUE_HANDLE) {
      if (!j->session) JET_RETURN_IF_ERROR(jet__call_session(c, &j->session));
      const char *id = arg->handle && arg->handle->id ? arg->handle->id : "";
      JET_RETURN_IF_ERROR(jet_store_get(c->ctx->store, j->session, id, field, &j->held[i]));
      const jet_buffer *h = j->held[i];
      b->type = h->type;
      b->data = h->data;
      if (!b->data && jet_program_arg_takes_blocks(j->exe->program, i)) {
        /* a sharded array of separate blocks that only pmap members read
         * (each its own part): passed as its blocks, no gather */
        void **bp = malloc(h->n_shards * sizeof *bp);
        if (!bp) return jet_status_oom("Execute blocks");
        for (uint32_t k = 0; k < h->n_shards; k++) bp[k] = h->shards[k]->data;
        j->block_ptrs[i] = bp;
        j->blocks[i] = (jet_arg_blocks){h->n_shards, bp};
      } else if (!b->data) { /* a sharded array of separate blocks: gather it */
        if (!(j->gathered[i] = jet_mem_alloc(h->nbytes)))
          return jet_status_make(JET_RESOURCE_EXHAUSTED,
                                 "%s: out of memory gathering a sharded array of %zu bytes",
                                 field, h->nbytes);
        jet_buffer_gather(h, j->gathered[i]);
        b->data = j->gathered[i];
      }
    } else if (arg->value_case == JET__V1__ARGUMENT__VALUE_INLINE) {
      const void *data;
      JET_RETURN_IF_ERROR(jet_array_from_proto(arg->inline_, field, &b->type, &data));
      b->data = (void *)data;
    } else {
      return jet_status_make(JET_INVALID_ARGUMENT, "%s: neither handle nor inline is set", field);
    }
    if (!jet_type_equal(&b->type, &g->value_types[i]))
      return type_mismatch(i, &g->value_types[i], &b->type);
  }
  return NULL;
}

static jet_status plan_outputs(jet_call *c, const Jet__V1__ExecuteRequest *q, exec_job *j) {
  uint32_t n = j->exe->n_outputs;
  if (q->n_keep_on_server > 1 && q->n_keep_on_server != n)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "keep_on_server: %zu entries for %u outputs (give 0, 1 or %u)",
                           q->n_keep_on_server, n, n);
  bool any = false;
  for (uint32_t i = 0; i < n; i++) {
    j->keep[i] = q->n_keep_on_server == 0   ? false
                 : q->n_keep_on_server == 1 ? q->keep_on_server[0]
                                            : q->keep_on_server[i];
    any |= j->keep[i];
  }
  if (any && !j->session) JET_RETURN_IF_ERROR(jet__call_session(c, &j->session));
  return NULL;
}

/* Donation (ExecuteRequest.donate): checks the indices, removes the
 * handles from the session and takes the memory of every donated array
 * nothing else references into donate[i] for the program to reuse. */
static jet_status donate_args(jet_call *c, const Jet__V1__ExecuteRequest *q, exec_job *j,
                              jet_arena *a, void **donate) {
  const uint32_t np = j->exe->graph->n_params;
  if (!q->n_donate) return NULL;
  const char **ids = jet_arena_calloc(a, q->n_donate, sizeof(char *));
  if (!ids) return jet_status_oom("Execute donate");
  for (size_t k = 0; k < q->n_donate; k++) {
    const uint32_t i = q->donate[k];
    if (i >= np)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "donate[%zu]: argument %u does not exist (executable %s takes %u)", k,
                             i, j->exe->id, np);
    if (!j->held[i])
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "donate[%zu]: argument %u is inline; only arrays kept on the server "
                             "(handles) can be donated",
                             k, i);
    for (size_t k2 = 0; k2 < k; k2++)
      if (q->donate[k2] == i)
        return jet_status_make(JET_INVALID_ARGUMENT, "donate[%zu]: argument %u is donated twice",
                               k, i);
    ids[k] = q->args[i]->handle->id;
  }
  uint32_t deleted;
  JET_RETURN_IF_ERROR(jet_store_delete(c->ctx->store, j->session, ids, (uint32_t)q->n_donate,
                                       &deleted));
  for (size_t k = 0; k < q->n_donate; k++) {
    const uint32_t i = q->donate[k];
    donate[i] = jet_buffer_take_data(j->held[i]);
  }
  return NULL;
}

/* After the run: frees donated memory the program did not reuse and drops
 * the donated arrays (their device charge goes before outputs are
 * charged). */
static void donate_done(const Jet__V1__ExecuteRequest *q, exec_job *j, void **donate) {
  for (size_t k = 0; k < q->n_donate; k++) {
    const uint32_t i = q->donate[k];
    jet_mem_free(donate[i]);
    donate[i] = NULL;
    jet_buffer_release(j->held[i]);
    j->held[i] = NULL;
  }
}

/* Turns the outputs into results; on error every handle made here is
 * deleted again. Output buffers end up owned by the store (kept) or by the
 * call's deferred-free list (inline). */
static jet_status build_reply(jet_call *c, jet_arena *a, exec_job *j, Jet__V1__ExecuteResponse *r) {
  uint32_t n = j->exe->n_outputs;
  Jet__V1__Result **list = jet_arena_calloc(a, n ? n : 1, sizeof(*list));
  Jet__V1__Result *res = jet_arena_calloc(a, n ? n : 1, sizeof(*res));
  const char **made = jet_arena_calloc(a, n ? n : 1, sizeof(char *));
  if (!list || !res || !made) return jet_status_oom("Execute reply");
  uint32_t n_made = 0;
  jet_status st = NULL;
  for (uint32_t i = 0; i < n && !st; i++) {
    jet__v1__result__init(&res[i]);
    list[i] = &res[i];
    jet_buf *o = &j->outs[i];
    Jet__V1__TensorType *t = jet_arena_alloc(a, sizeof(*t));
    if (!t) { st = jet_status_oom("Execute reply"); break; }
    jet__v1__tensor_type__init(t);
    st = jet_type_to_proto(&o->type, a, t);
    res[i].type = t;
    if (st) break;
    if (j->keep[i]) {
      jet_buffer *arr;
      char *id = jet_arena_alloc(a, JET_TOKEN_HEX + 1);
      Jet__V1__ArrayHandle *h = jet_arena_alloc(a, sizeof(*h));
      Jet__V1__Placement *pl = jet_arena_alloc(a, sizeof(*pl));
      if (!id || !h || !pl) { st = jet_status_oom("Execute reply"); break; }
      uint32_t devs[JET_MAX_SHARDS];
      const uint32_t ns = jet__output_shards(j->exe->graph, i, devs);
      st = ns ? jet_store_adopt_sharded(c->ctx->store, &o->type, o->data, devs, ns, &arr)
              : jet_store_adopt(c->ctx->store, j->device, &o->type, o->data, &arr);
      if (st) { st = jet_status_annotate(st, "output %u: ", i); break; }
      o->data = NULL; /* owned by arr now */
      st = jet__placement_to_proto(arr, a, pl);
      if (!st) {
        jet_tenant *acct = jet_tenants_get(c->ctx->tenants, c->tenant);
        st = acct ? jet_store_insert_tenant(c->ctx->store, j->session, acct, arr, id)
                  : jet_status_oom("tenant account");
      }
      jet_buffer_release(arr);
      if (st) break;
      res[i].placement = pl;
      made[n_made++] = id;
      jet__v1__array_handle__init(h);
      h->id = id;
      res[i].value_case = JET__V1__RESULT__VALUE_HANDLE;
      res[i].handle = h;
    } else {
      Jet__V1__Array *arr = jet_arena_alloc(a, sizeof(*arr));
      if (!arr) { st = jet_status_oom("Execute reply"); break; }
      jet__v1__array__init(arr);
      st = jet__call_defer_mem(c, a, o->data);
      if (st) break;
      void *data = o->data;
      o->data = NULL;
      st = jet_array_to_proto(&o->type, data, a, arr);
      res[i].value_case = JET__V1__RESULT__VALUE_INLINE;
      res[i].inline_ = arr;
    }
  }
  if (st) {
    uint32_t deleted;
    jet_status_free(jet_store_delete(c->ctx->store, j->session, made, n_made, &deleted));
    return st;
  }
  r->n_outputs = n;
  r->outputs = list;
  return NULL;
}

/* Temporaries of one execution may use what the device has left under its
 * memory limit (0 = no limit); a device already full gets a budget of one
 * byte, so any allocation is refused rather than unbounded. */
static uint64_t temp_budget(jet_devices *devices, uint32_t id) {
  jet_device_info info;
  jet_devices_info(devices, id, &info);
  if (!info.limit_bytes) return 0;
  return info.in_use_bytes < info.limit_bytes ? info.limit_bytes - info.in_use_bytes : 1;
}

/* The run's deadline: the client's (0 = none), capped by the daemon's
 * max-execute-ms from now (0 = no cap), so a runaway loop of a client
 * that set no deadline still stops with DEADLINE_EXCEEDED. */
static int64_t execute_deadline_ns(const jet_call *c) {
  int64_t d = jet__call_deadline_ns(c);
  const uint64_t ms = c->ctx->cfg.max_execute_ms;
  if (ms) {
    const int64_t cap = jet_now_ns() + (int64_t)ms * 1000000;
    if (d == 0 || cap < d) d = cap;
  }
  return d;
}

static void job_free(exec_job *j, uint32_t n_args) {
  if (j->held)
    for (uint32_t i = 0; i < n_args; i++) jet_buffer_release(j->held[i]);
  if (j->gathered)
    for (uint32_t i = 0; i < n_args; i++) jet_mem_free(j->gathered[i]);
  if (j->block_ptrs)
    for (uint32_t i = 0; i < n_args; i++) free(j->block_ptrs[i]);
  if (j->outs)
    for (uint32_t i = 0; i < j->exe->n_outputs; i++) jet_mem_free(j->outs[i].data);
  jet_executable_release(j->exe);
}

jet_status jet__rpc_execute(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                            ProtobufCMessage **resp) {
  const Jet__V1__ExecuteRequest *q = (const void *)req;
  exec_job j = {0};
  const char *eid = q->executable_id ? q->executable_id : "";
  /* The memory cache, else the disk cache (an id compiled before a
   * restart, or evicted since). */
  /* With tokens, an id is visible only to the tenants that compiled it
   * (compiler/cache.h): to the others it is unknown. */
  bool visible = !c->w->auth || jet_cache_granted(c->ctx->cache, eid, c->tenant);
  j.exe = visible ? jet_compiler_find(c->ctx->cache, eid, NULL, 0) : NULL;
  if (!j.exe)
    return jet_status_make(JET_NOT_FOUND, "executable_id: executable '%.64s' not found (compile it first)",
                           eid);
  const jet_graph *g = j.exe->graph;
  uint32_t np = g->n_params, no = j.exe->n_outputs;
  j.held = jet_arena_calloc(a, np ? np : 1, sizeof(jet_buffer *));
  j.args = jet_arena_calloc(a, np ? np : 1, sizeof(jet_buf));
  j.gathered = jet_arena_calloc(a, np ? np : 1, sizeof(void *));
  j.block_ptrs = jet_arena_calloc(a, np ? np : 1, sizeof(void *));
  j.blocks = jet_arena_calloc(a, np ? np : 1, sizeof(jet_arg_blocks));
  j.keep = jet_arena_calloc(a, no ? no : 1, sizeof(bool));
  jet_buf *outs = jet_arena_calloc(a, no ? no : 1, sizeof(jet_buf));
  void **donate = jet_arena_calloc(a, np ? np : 1, sizeof(void *));
  jet_status st = (j.held && j.args && j.gathered && j.block_ptrs && j.blocks && j.keep && outs &&
                   donate)
                      ? NULL
                      : jet_status_oom("Execute");
  if (!st) st = resolve_args(c, q, &j);
  if (!st) st = jet__exec_device(g, j.held, np, &j.device);
  if (!st) st = plan_outputs(c, q, &j);
  if (!st) st = donate_args(c, q, &j, a, donate);
  if (!st) {
    jet_exec_ctl ctl = {.cancelled = &c->cancelled,
                        .deadline_ns = execute_deadline_ns(c),
                        .max_temp_bytes = temp_budget(c->ctx->devices, j.device)};
    st = jet_program_run_blocks(j.exe->program, j.args, j.blocks, np,
                                q->n_donate ? donate : NULL, outs, &ctl);
    if (q->n_donate) donate_done(q, &j, donate);
    if (!st) {
      j.outs = outs;
      atomic_fetch_add(&c->ctx->executions, 1);
    }
  }
  Jet__V1__ExecuteResponse *r = st ? NULL : jet_arena_alloc(a, sizeof(*r));
  if (!st && !r) st = jet_status_oom("Execute reply");
  if (!st) {
    jet__v1__execute_response__init(r);
    st = build_reply(c, a, &j, r);
  }
  job_free(&j, np);
  if (!st) *resp = &r->base;
  return st;
}
