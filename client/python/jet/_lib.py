"""ctypes bindings of libjet (client/include/jet/jet.h, FFI helpers section).

The library is found through $JET_LIBJET, else by searching
build*/client/libjet.so in the folders above this package. Every function
used is declared with argtypes/restype; statuses become jet.errors.JetError
(subclasses by gRPC code) through check().
"""
import ctypes
import glob
import os

from . import errors

MAX_RANK = 16
NO_VALUE = 0xFFFFFFFF

c_void_p = ctypes.c_void_p
c_char_p = ctypes.c_char_p
c_int32 = ctypes.c_int32
c_int64 = ctypes.c_int64
c_uint32 = ctypes.c_uint32
c_size_t = ctypes.c_size_t
P = ctypes.POINTER


def _find_library():
    env = os.environ.get("JET_LIBJET")
    if env:
        if not os.path.exists(env):
            raise errors.JetError("FAILED_PRECONDITION",
                                  "JET_LIBJET=%s does not exist: build libjet.so "
                                  "(cmake --build BUILD --target jet_shared_client)" % env)
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    d = here
    while True:
        found = glob.glob(os.path.join(d, "build*", "client", "libjet.so"))
        if found:
            return max(found, key=os.path.getmtime)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    raise errors.JetError("FAILED_PRECONDITION",
                          "libjet.so not found: set JET_LIBJET to its path, or build it "
                          "(cmake --build BUILD --target jet_shared_client) in a build* folder "
                          "above %s" % here)


def _declare(lib):
    sig = {
        # statuses
        "jet_status_code": (ctypes.c_int, [c_void_p]),
        "jet_status_message": (c_char_p, [c_void_p]),
        "jet_status_free": (None, [c_void_p]),
        "jet_code_name": (c_char_p, [ctypes.c_int]),
        "jet_ffi_free": (None, [c_void_p]),
        # clients
        "jet_ffi_client_open": (c_void_p, [c_char_p, c_char_p, c_int64, c_int64, P(c_void_p)]),
        "jet_ffi_client_open_ex": (c_void_p, [c_char_p, c_char_p, c_int64, c_int64, c_char_p,
                                              c_char_p, c_char_p, c_char_p, P(c_void_p)]),
        "jet_client_close": (None, [c_void_p]),
        "jet_client_address": (c_char_p, [c_void_p]),
        "jet_client_set_timeout_ms": (None, [c_void_p, c_int64]),
        "jet_ffi_devices_text": (c_void_p, [c_void_p, P(c_void_p)]),
        # arrays
        "jet_ffi_array_put": (c_void_p, [c_void_p, c_int32, c_int32, P(c_int64), c_void_p,
                                         c_size_t, P(c_void_p)]),
        "jet_ffi_array_put_placed": (c_void_p, [c_void_p, c_int32, c_int32, P(c_int64),
                                                c_void_p, c_size_t, P(c_uint32), c_size_t,
                                                P(c_void_p)]),
        "jet_array_get": (c_void_p, [c_void_p, c_void_p, c_size_t]),
        "jet_array_get_shard": (c_void_p, [c_void_p, c_size_t, c_void_p, c_size_t]),
        "jet_array_devices": (c_size_t, [c_void_p, P(P(c_uint32))]),
        "jet_ffi_array_type": (c_int32, [c_void_p, P(c_int32), P(c_int64)]),
        "jet_array_free": (c_void_p, [c_void_p]),
        "jet_arrays_free": (c_void_p, [P(c_void_p), c_size_t]),
        "jet_array_release": (None, [c_void_p]),
        # builder
        "jet_builder_create": (c_void_p, [c_char_p]),
        "jet_builder_destroy": (None, [c_void_p]),
        "jet_builder_status": (c_void_p, [c_void_p]),
        "jet_builder_return": (c_void_p, [c_void_p, P(c_uint32), c_size_t]),
        "jet_builder_num_results": (c_uint32, [c_void_p, c_uint32]),
        "jet_ffi_param": (c_uint32, [c_void_p, c_int32, c_int32, P(c_int64)]),
        "jet_ffi_constant": (c_uint32, [c_void_p, c_int32, c_int32, P(c_int64), c_void_p,
                                        c_size_t]),
        "jet_ffi_value_type": (c_int32, [c_void_p, c_uint32, P(c_int32), P(c_int64)]),
        "jet_builder_op_text": (c_uint32, [c_void_p, c_char_p, P(c_uint32), c_size_t, c_char_p]),
        "jet_call_text": (c_uint32, [c_void_p, c_void_p, P(c_uint32), c_size_t, c_char_p,
                                     P(c_uint32), c_size_t]),
        "jet_ffi_graph_text": (c_void_p, [c_void_p, P(c_void_p)]),
        # structured control flow (sub-graphs are finished builders)
        "jet_ffi_cond": (c_uint32, [c_void_p, c_uint32, P(c_void_p), c_size_t, P(c_uint32),
                                    c_size_t]),
        "jet_ffi_while": (c_uint32, [c_void_p, c_void_p, c_void_p, P(c_uint32), c_size_t,
                                     P(c_uint32), c_size_t]),
        "jet_ffi_scan": (c_uint32, [c_void_p, c_void_p, P(c_uint32), c_size_t, P(c_uint32),
                                    c_size_t, P(c_uint32), c_size_t, c_int64, c_int32]),
        # compile / execute
        "jet_ffi_compile": (c_void_p, [c_void_p, c_void_p, c_char_p, P(c_int32), P(c_int32),
                                       P(c_int64), c_size_t, P(c_void_p)]),
        "jet_ffi_transform_text": (c_void_p, [c_void_p, c_void_p, c_char_p, P(c_void_p)]),
        "jet_executable_num_outputs": (c_size_t, [c_void_p]),
        "jet_ffi_output_type": (c_int32, [c_void_p, c_size_t, P(c_int32), P(c_int64)]),
        "jet_ffi_execute": (c_void_p, [c_void_p, P(c_void_p), c_size_t, P(c_void_p), c_size_t]),
        "jet_ffi_execute_donate": (c_void_p, [c_void_p, P(c_void_p), c_size_t, c_char_p,
                                              P(c_void_p), c_size_t]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


_lib = None


def lib():
    """The loaded libjet (loaded on first use)."""
    global _lib
    if _lib is None:
        _lib = _declare(ctypes.CDLL(_find_library()))
    return _lib


def status_error(st, context=None):
    """Converts a non-NULL jet_status into a JetError (and frees it)."""
    L = lib()
    code = L.jet_status_code(st)
    msg = (L.jet_status_message(st) or b"").decode("utf-8", "replace")
    name = (L.jet_code_name(code) or b"UNKNOWN").decode()
    L.jet_status_free(st)
    if context:
        msg = "%s: %s" % (context, msg)
    return errors.make_error(name, msg)


def check(st, context=None):
    if st:
        raise status_error(st, context)


def take_string(p):
    """Copies and frees a malloc'd char* returned through char**."""
    if not p:
        return ""
    s = ctypes.string_at(p).decode("utf-8", "replace")
    lib().jet_ffi_free(p)
    return s


def dims_array(shape):
    arr = (c_int64 * max(len(shape), 1))(*shape)
    return arr


def read_type(fn, *args):
    """Calls an FFI type getter; returns (dtype_code, shape) or None."""
    dt = c_int32(0)
    dims = (c_int64 * MAX_RANK)()
    r = fn(*args, ctypes.byref(dt), dims)
    if r < 0:
        return None
    return dt.value, tuple(dims[i] for i in range(r))
