"""jet.Array: an array kept on jetd behind a handle (or, until first used
there, held on the host: asarray_value and device_put of small inputs defer
the upload). np.asarray / printing / .item() read it back."""
import ctypes
import queue
import threading
import time

import numpy as np

from . import _client, _dtypes, _lib
from ._core import ShapedArray
from ._value import Value

# Arrays are deleted on the server by a background thread, so dropping a
# temporary costs the caller no round trip.
_del_queue = queue.SimpleQueue()
_del_thread = None
_del_lock = threading.Lock()


_DELETE_BATCH = 256
_DELETE_WAIT_S = 0.005


def _deleter():
    """Deletes dropped arrays: waits for one, takes whatever else is queued
    (up to _DELETE_BATCH) and frees them with one DeleteArray RPC."""
    L = _lib.lib()
    while True:
        batch = [_del_queue.get()]
        # Let a burst of temporaries accumulate: one RPC for many of them
        # instead of one per array competing with the caller's own calls.
        time.sleep(_DELETE_WAIT_S)
        while len(batch) < _DELETE_BATCH:
            try:
                batch.append(_del_queue.get_nowait())
            except queue.Empty:
                break
        with _client._lock:
            gen = _client.generation()
            live = [h for h, g in batch if g == gen]
            for h, g in batch:
                if g != gen:
                    L.jet_array_release(h)
            if live:
                arr = (ctypes.c_void_p * len(live))(*live)
                st = L.jet_arrays_free(arr, len(live))
                if st:
                    L.jet_status_free(st)


def _schedule_delete(handle, gen):
    global _del_thread
    if _del_thread is None:
        with _del_lock:
            if _del_thread is None:
                t = threading.Thread(target=_deleter, name="jet-array-deleter", daemon=True)
                t.start()
                _del_thread = t
    _del_queue.put((handle, gen))


class Array(Value):
    """A jet array (JAX's jax.Array). Immutable."""
    __slots__ = ("_aval", "_handle", "_gen", "_host", "__weakref__")

    def __init__(self, *args, **kwargs):
        raise TypeError("jet.Array cannot be created directly: use jet.numpy.asarray or "
                        "jet.device_put")

    @classmethod
    def _from_host(cls, host, weak):
        a = object.__new__(cls)
        a._aval = ShapedArray(host.shape, host.dtype, weak)
        a._handle = None
        a._gen = -1
        a._host = host
        return a

    @classmethod
    def _from_handle(cls, handle, aval):
        a = object.__new__(cls)
        a._aval = aval
        a._handle = handle
        a._gen = _client.generation()
        a._host = None
        return a

    def __del__(self):
        h = self._handle
        if h:
            self._handle = None
            try:
                _schedule_delete(h, self._gen)
            except Exception:
                pass

    # -- server side ---------------------------------------------------------
    def _ensure_handle(self):
        """The handle on the server, uploading the host data first if needed."""
        h = self._handle
        if h is not None and self._gen == _client.generation():
            return h
        if self._host is None:
            raise RuntimeError("Array has been deleted with shape=%s (its jet client was "
                               "closed)." % self._aval.str_short())
        c = _client.conn()
        host = self._host
        out = ctypes.c_void_p()
        L = _lib.lib()
        _lib.check(L.jet_ffi_array_put(c.ptr, _dtypes.to_code(host.dtype), host.ndim,
                                       _lib.dims_array(host.shape), host.ctypes.data,
                                       host.nbytes, ctypes.byref(out)), "device_put")
        self._handle = out.value
        self._gen = c.generation
        return out.value

    def _value(self):
        """The contents as a read-only numpy array (fetched once)."""
        host = self._host
        if host is not None:
            return host
        if self._handle is None or self._gen != _client.generation():
            raise RuntimeError("Array has been deleted with shape=%s." % self._aval.str_short())
        out = np.empty(self._aval.shape, self._aval.dtype)
        _lib.check(_lib.lib().jet_array_get(self._handle, out.ctypes.data, out.nbytes),
                   "reading an array")
        out.flags.writeable = False
        self._host = out
        return out

    def __array__(self, dtype=None, copy=None):
        v = self._value()
        if dtype is not None and np.dtype(dtype) != v.dtype:
            return v.astype(dtype)
        if copy:
            return v.copy()
        return v

    def block_until_ready(self):
        return self

    def is_fully_replicated(self):
        return True

    def copy_to_host_async(self):
        return None

    def devices(self):
        return {_client.devices()[0]}

    def delete(self):
        h = self._handle
        if h:
            self._handle = None
            _schedule_delete(h, self._gen)
        self._host = None

    def is_deleted(self):
        return self._handle is None and self._host is None

    def item(self):
        return self._value().item()

    def tolist(self):
        return self._value().tolist()

    def __bool__(self):
        return bool(self._value())

    def __int__(self):
        return int(self._value())

    def __float__(self):
        return float(self._value())

    def __complex__(self):
        return complex(self._value())

    def __index__(self):
        if self._aval.dtype.kind not in "iub":
            raise TypeError("only integer arrays can be converted to an index")
        return int(self._value())

    def __format__(self, spec):
        if self._aval.shape == ():
            return format(self._value().item(), spec)
        return format(str(self), spec)

    def __str__(self):
        return str(self._value())

    def __repr__(self):
        v = self._value()
        dt = self._aval.dtype
        extra = ", weak_type=True" if self._aval.weak_type else ""
        if v.size == 0:
            return "Array([], shape=%s, dtype=%s%s)" % (v.shape, dt.name, extra)
        prefix = "Array("
        body = np.array2string(v, separator=", ", prefix=prefix)
        return "%s%s, dtype=%s%s)" % (prefix, body, dt.name, extra)

    def __reduce__(self):
        from . import _core
        return (_core.asarray_value, (np.array(self._value()), self.dtype, self.weak_type))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def device_put(x, device=None):
    """Uploads x to jetd now (a jet.Array stays as it is). Pytrees are mapped."""
    from . import _core, _pytree
    def put(leaf):
        a = _core.asarray_value(leaf)
        if isinstance(a, Array):
            a._ensure_handle()
        return a
    return _pytree.tree_map(put, x)
