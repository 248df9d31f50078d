"""Tracing: Python functions become jet graphs.

A Trace owns a jet_builder. Its explicit parameters are the traced
function's flattened arguments; every bind inside adds a node. Values the
function closes over (concrete jet Arrays, numpy arrays, tracers of an
enclosing trace) become extra parameters after the explicit ones ("hoisted",
as JAX hoists constants); only rank-0 host values (Python scalars) become
literal constant nodes. Since the builder needs every parameter before the
first node, a trace that hoisted anything is replayed into a fresh builder
at the end with the hoisted parameters in place.
"""
import ctypes
import threading

import numpy as np

from . import _dtypes, _lib, errors
from ._core import ShapedArray, Tracer, result_weak

_tls = threading.local()


def _stack():
    s = getattr(_tls, "stack", None)
    if s is None:
        s = _tls.stack = []
    return s


def current():
    s = getattr(_tls, "stack", None)
    return s[-1] if s else None


def _u32(vals):
    return (ctypes.c_uint32 * max(len(vals), 1))(*vals)


class Graph:
    """A finished traced graph: a builder holding it, the avals of its
    explicit parameters, the hoisted values (passed after the explicit
    arguments) and the output avals."""

    def __init__(self, builder, name, in_avals, hoisted, hoisted_avals, out_avals):
        self.builder = builder
        self.name = name
        self.in_avals = list(in_avals)
        self.hoisted = list(hoisted)
        self.hoisted_avals = list(hoisted_avals)
        self.out_avals = list(out_avals)

    def __del__(self):
        b = self.builder
        if b:
            self.builder = None
            _lib.lib().jet_builder_destroy(b)

    def text(self):
        p = ctypes.c_void_p()
        _lib.check(_lib.lib().jet_ffi_graph_text(self.builder, ctypes.byref(p)))
        return _lib.take_string(p.value)

    def param_avals(self):
        return self.in_avals + self.hoisted_avals


class Trace:
    """One function being traced (a level of the trace stack)."""

    def __init__(self, name, in_avals, what="jit"):
        L = _lib.lib()
        self.name = name
        self.what = what
        self.alive = True
        self.b = L.jet_builder_create(name.encode())
        if not self.b:
            raise MemoryError("jet_builder_create")
        self.in_avals = list(in_avals)
        self.ops = []
        self.hoisted = []
        self.hoisted_avals = []
        self._hoist_ids = {}
        self._keep = []
        self.in_tracers = []
        for a in self.in_avals:
            v = L.jet_ffi_param(self.b, _dtypes.to_code(a.dtype), len(a.shape),
                                _lib.dims_array(a.shape))
            self.in_tracers.append(Tracer(self, v, a))
        self._check(self.in_tracers[-1]._val if self.in_tracers else 0)

    def describe(self):
        return "%s of %s" % (self.what, self.name)

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        s = _stack()
        if s and s[-1] is self:
            s.pop()
        self.alive = False
        if exc[0] is not None and self.b:
            _lib.lib().jet_builder_destroy(self.b)
            self.b = None
        return False

    # -- values ----------------------------------------------------------------
    def _check(self, v):
        if v == _lib.NO_VALUE:
            st = _lib.lib().jet_builder_status(self.b)
            if st:
                raise _lib.status_error(st, "while tracing %s" % self.name)
            raise errors.JetError("INTERNAL", "builder returned no value")
        return v

    def _avals_of(self, first, n, weak):
        out = []
        for i in range(n):
            code, shape = _lib.read_type(_lib.lib().jet_ffi_value_type, self.b, first + i)
            w = weak[i] if isinstance(weak, (list, tuple)) else weak
            out.append(ShapedArray(shape, _dtypes.from_code(code), w))
        return out

    def to_tracer(self, x):
        """x as a value of this trace (hoisting / inlining as needed)."""
        if isinstance(x, Tracer):
            if x._trace is self:
                return x
            if x._trace.alive and x._trace in _stack():
                return self._hoist(x)
            raise errors.UnexpectedTracerError(
                "Encountered an unexpected tracer: %r escaped from the function that created "
                "it (%s) and was used in %s. Return values from traced functions instead of "
                "storing them in outer variables." % (x, x._trace.describe(), self.describe()))
        from ._array import Array
        from ._core import asarray_value
        if not isinstance(x, Array):
            x = asarray_value(x)
        if x._host is not None and x._aval.shape == () and x._handle is None:
            return self._constant(x._host, x._aval.weak_type)
        return self._hoist(x)

    def _constant(self, host, weak):
        L = _lib.lib()
        data = host if host.flags.c_contiguous else host.copy()
        self._keep.append(data)
        v = self._check(L.jet_ffi_constant(self.b, _dtypes.to_code(data.dtype), data.ndim,
                                           _lib.dims_array(data.shape), data.ctypes.data,
                                           data.nbytes))
        self.ops.append(("const", data, v))
        return Tracer(self, v, ShapedArray(data.shape, data.dtype, weak))

    def _hoist(self, src):
        t = self._hoist_ids.get(id(src))
        if t is not None:
            return t
        L = _lib.lib()
        aval = src._aval
        zero = np.zeros((), aval.dtype)
        v = self._check(L.jet_ffi_constant(self.b, _dtypes.to_code(aval.dtype), 0, None,
                                           zero.ctypes.data, zero.nbytes))
        if aval.shape:
            v = self._check(L.jet_builder_op_text(
                self.b, b"broadcast_in_dim", _u32([v]), 1,
                ("shape=[%s], broadcast_dimensions=[]" % ", ".join(map(str, aval.shape))).encode()))
        k = len(self.hoisted)
        self.hoisted.append(src)
        self.hoisted_avals.append(aval)
        self.ops.append(("hoist", k, v))
        t = Tracer(self, v, aval)
        self._hoist_ids[id(src)] = t
        return t

    # -- nodes -----------------------------------------------------------------
    def add_op(self, op, args, text, weak):
        ts = [self.to_tracer(a) for a in args]
        vals = [t._val for t in ts]
        L = _lib.lib()
        first = self._check(L.jet_builder_op_text(self.b, op.encode(), _u32(vals), len(vals),
                                                  text.encode()))
        n = L.jet_builder_num_results(self.b, first)
        self.ops.append(("op", op, vals, text, first, n))
        if weak is None:
            weak = result_weak(op, [t._aval for t in ts])
        outs = [Tracer(self, first + i, a) for i, a in enumerate(self._avals_of(first, n, weak))]
        return outs[0] if n == 1 else tuple(outs)

    def add_call(self, graph, args, tf_text, weak):
        """A call node of graph (explicit args, then its hoisted values) after
        the transforms tf_text; returns the result tracers."""
        ts = [self.to_tracer(a) for a in args]
        vals = [t._val for t in ts]
        L = _lib.lib()
        first = self._check(L.jet_call_text(self.b, graph.builder, _u32(vals), len(vals),
                                            tf_text.encode(), None, 0))
        n = L.jet_builder_num_results(self.b, first)
        self.ops.append(("call", graph, vals, tf_text, first, n))
        return [Tracer(self, first + i, a) for i, a in enumerate(self._avals_of(first, n, weak))]

    def add_node(self, emit, args, weak):
        """A node built by emit(builder, value ids) -> first result id (an
        FFI builder call such as jet_ffi_cond, whose sub-graphs emit holds);
        replayed the same way. weak: one bool or one per result. Returns the
        result tracers (a list)."""
        ts = [self.to_tracer(a) for a in args]
        vals = [t._val for t in ts]
        L = _lib.lib()
        first = self._check(emit(self.b, vals))
        n = L.jet_builder_num_results(self.b, first)
        self.ops.append(("node", emit, vals, None, first, n))
        return [Tracer(self, first + i, a) for i, a in enumerate(self._avals_of(first, n, weak))]

    # -- finishing -------------------------------------------------------------
    def finish(self, outs, layout=None):
        """Sets the outputs (any values) and returns the Graph. layout, when
        given, orders the finished graph's parameters: a list of ("in", i)
        (explicit parameter i), ("hoist", k) (hoisted value k) and
        ("unused", aval) (a parameter the graph ignores); it must name every
        explicit and hoisted parameter once. The Graph then has in_avals in
        that order and no hoisted values (the caller passes them)."""
        ts = [self.to_tracer(o) for o in outs]
        L = _lib.lib()
        if not self.hoisted and layout is None:
            b, vals = self.b, [t._val for t in ts]
        else:
            b, vals = self._replay([t._val for t in ts], layout)
            L.jet_builder_destroy(self.b)
        self.b = None
        st = L.jet_builder_return(b, _u32(vals), len(vals))
        if st:
            L.jet_builder_destroy(b)
            raise _lib.status_error(st, "while tracing %s" % self.name)
        out_avals = [t._aval for t in ts]
        if layout is not None:
            return Graph(b, self.name, [self._layout_aval(e) for e in layout], [], [], out_avals)
        return Graph(b, self.name, self.in_avals, self.hoisted, self.hoisted_avals, out_avals)

    def _layout_aval(self, entry):
        kind, x = entry
        if kind == "in":
            return self.in_avals[x]
        if kind == "hoist":
            return self.hoisted_avals[x]
        return x

    def _replay(self, out_vals, layout=None):
        L = _lib.lib()
        b = L.jet_builder_create(self.name.encode())
        if not b:
            raise MemoryError("jet_builder_create")
        m = {}

        def param(a):
            return L.jet_ffi_param(b, _dtypes.to_code(a.dtype), len(a.shape),
                                   _lib.dims_array(a.shape))
        if layout is None:
            layout = ([("in", i) for i in range(len(self.in_tracers))]
                      + [("hoist", k) for k in range(len(self.hoisted))])
        hp = [None] * len(self.hoisted)
        for kind, x in layout:
            p = param(self._layout_aval((kind, x)))
            if kind == "in":
                m[self.in_tracers[x]._val] = p
            elif kind == "hoist":
                hp[x] = p
        if any(t._val not in m for t in self.in_tracers) or any(p is None for p in hp):
            L.jet_builder_destroy(b)
            raise errors.JetError("INTERNAL", "parameter layout of %s misses a parameter"
                                  % self.name)
        for rec in self.ops:
            kind = rec[0]
            if kind == "hoist":
                m[rec[2]] = hp[rec[1]]
            elif kind == "const":
                d = rec[1]
                m[rec[2]] = L.jet_ffi_constant(b, _dtypes.to_code(d.dtype), d.ndim,
                                               _lib.dims_array(d.shape), d.ctypes.data, d.nbytes)
            else:
                args = [m[v] for v in rec[2]]
                if kind == "op":
                    f = L.jet_builder_op_text(b, rec[1].encode(), _u32(args), len(args),
                                              rec[3].encode())
                elif kind == "node":
                    f = rec[1](b, args)
                else:
                    f = L.jet_call_text(b, rec[1].builder, _u32(args), len(args),
                                        rec[3].encode(), None, 0)
                for i in range(rec[5]):
                    m[rec[4] + i] = f + i if f != _lib.NO_VALUE else f
        return b, [m[v] for v in out_vals]
