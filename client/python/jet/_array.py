"""jet.Array: an array kept on jetd behind a handle (or, until first used
there, held on the host: asarray_value and device_put of small inputs defer
the upload). np.asarray / printing / .item() read it back.

Placement (JAX's committed and sharded arrays): device_put(x, device)
commits an array to one jetd device; device_put_sharded / _replicated and
pmap outputs are sharded along the leading axis over several devices, one
block per device (x.devices(), x.addressable_shards)."""
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

    def _device_ids(self):
        """The devices of the array's blocks, in order (one entry when it is
        on one device; device 0 for an array not uploaded yet)."""
        h = self._handle
        if h is None or self._gen != _client.generation():
            return (0,)
        p = ctypes.POINTER(ctypes.c_uint32)()
        n = _lib.lib().jet_array_devices(h, ctypes.byref(p))
        return tuple(p[k] for k in range(n)) if n else (0,)

    def is_fully_replicated(self):
        return len(self._device_ids()) == 1

    def copy_to_host_async(self):
        return None

    def devices(self):
        byid = {d.id: d for d in _client.devices()}
        return {byid[i] for i in self._device_ids() if i in byid}

    @property
    def addressable_shards(self):
        """One Shard per block (JAX's addressable_shards): its device, its
        index (slices into this array) and its data (read from jetd)."""
        ids = self._device_ids()
        byid = {d.id: d for d in _client.devices()}
        n = len(ids)
        out = []
        for k, dev in enumerate(ids):
            if n == 1:
                index = tuple(slice(None) for _ in self._aval.shape)
            else:
                b = self._aval.shape[0] // n
                index = (slice(k * b, (k + 1) * b),) + tuple(
                    slice(None) for _ in self._aval.shape[1:])
            out.append(Shard(byid.get(dev), index, self, k, n))
        return out

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


class Shard:
    """One block of an array (JAX's jax.Shard): device, index, data."""
    __slots__ = ("device", "index", "_array", "_k", "_n")

    def __init__(self, device, index, array, k, n):
        self.device = device
        self.index = index
        self._array = array
        self._k = k
        self._n = n

    @property
    def data(self):
        a = self._array
        if self._n == 1 or a._handle is None:
            return Array._from_host(np.asarray(a)[self.index], a._aval.weak_type)
        shape = (a._aval.shape[0] // self._n,) + tuple(a._aval.shape[1:])
        out = np.empty(shape, a._aval.dtype)
        _lib.check(_lib.lib().jet_array_get_shard(a._handle, self._k, out.ctypes.data,
                                                  out.nbytes), "reading a shard")
        out.flags.writeable = False
        return Array._from_host(out, a._aval.weak_type)

    def __repr__(self):
        return "Shard(device=%r, index=%r)" % (self.device, self.index)


def _device_id(d, what):
    if hasattr(d, "id"):
        d = d.id
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0:
        raise TypeError("%s must be a jet device or a non-negative device id, got %r" % (what, d))
    return int(d)


def _put_placed(host, ids, weak):
    """Uploads the numpy array host onto ids (one device, or sharded)."""
    host = np.ascontiguousarray(host)
    c = _client.conn()
    out = ctypes.c_void_p()
    devs = (ctypes.c_uint32 * len(ids))(*ids)
    _lib.check(_lib.lib().jet_ffi_array_put_placed(
        c.ptr, _dtypes.to_code(host.dtype), host.ndim, _lib.dims_array(host.shape),
        host.ctypes.data, host.nbytes, devs, len(ids), ctypes.byref(out)), "device_put")
    return Array._from_handle(out.value, ShapedArray(host.shape, host.dtype, weak))


def device_put(x, device=None):
    """Uploads x to jetd now (a jet.Array stays as it is). With a device, x
    is committed to it: computations on it run there and leave their
    results there. Pytrees are mapped."""
    from . import _core, _pytree
    dev = None if device is None else _device_id(device, "device_put device")

    def put(leaf):
        a = _core.asarray_value(leaf)
        if not isinstance(a, Array):
            return a
        if dev is None:
            a._ensure_handle()
            return a
        if a._handle is not None and a._device_ids() == (dev,):
            return a
        return _put_placed(np.asarray(a), [dev], a._aval.weak_type)
    return _pytree.tree_map(put, x)


def device_put_sharded(shards, devices):
    """JAX's device_put_sharded: stacks the equally shaped arrays `shards`
    (one per device) into one array sharded along its new leading axis,
    block k on devices[k]."""
    shards = list(shards)
    ids = [_device_id(d, "device_put_sharded devices") for d in devices]
    if len(shards) != len(ids):
        raise ValueError("len(shards) = %d must equal len(devices) = %d."
                         % (len(shards), len(ids)))
    if not shards:
        raise ValueError("device_put_sharded needs at least one shard")
    host = np.stack([np.asarray(s) for s in shards])
    from . import _core
    weak = all(getattr(_core.asarray_value(s), "weak_type", False) for s in shards)
    return _put_placed(host, ids, weak)


def device_put_replicated(x, devices):
    """JAX's device_put_replicated: x stacked len(devices) times, block k
    (a copy of x) on devices[k]."""
    ids = [_device_id(d, "device_put_replicated devices") for d in devices]
    if not ids:
        raise ValueError("`devices` argument to `device_put_replicated must be a non-empty "
                         "sequence.")
    return device_put_sharded([x] * len(ids), ids)
