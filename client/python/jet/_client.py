"""The process-wide connection to jetd: one lazily created libjet client
(address from jet.connect(address) or $JET_ADDRESS, else 127.0.0.1:7450),
closed at interpreter exit."""
import atexit
import ctypes
import os
import threading

from . import _lib, errors

DEFAULT_ADDRESS = "127.0.0.1:7450"
# Connecting (and opening the session) gives up after this long, so an
# unreachable server fails fast; each later RPC has a default deadline.
DEFAULT_CONNECT_TIMEOUT_MS = int(os.environ.get("JET_CONNECT_TIMEOUT_MS", "5000"))
DEFAULT_TIMEOUT_MS = int(os.environ.get("JET_TIMEOUT_MS", "600000"))

_lock = threading.RLock()
_address = None         # address chosen by connect(), None = environment
_security = {}          # token / tls_ca / tls_cert / tls_key given to connect()
_generation = 0         # bumped at each close; arrays of an older one are gone
_closed_for_exit = False


class _Conn:
    __slots__ = ("ptr", "address", "generation")

    def __init__(self, ptr, address, generation):
        self.ptr = ptr
        self.address = address
        self.generation = generation


_conn = None


def _resolve_address(address):
    if address:
        return address
    return os.environ.get("JET_ADDRESS") or DEFAULT_ADDRESS


def connect(address=None, timeout_ms=None, connect_timeout_ms=None, token=None, tls_ca=None,
            tls_cert=None, tls_key=None):
    """Connects to the jetd at address ("host:port"; None: $JET_ADDRESS or
    127.0.0.1:7450), replacing any earlier connection (whose arrays are then
    gone). Returns the address.

    token: bearer token for a jetd with a tokens-file (None: $JET_TOKEN).
    tls_ca: PEM file of the server's CA (TLS; None: $JET_TLS_CA).
    tls_cert, tls_key: this client's certificate and key, PEM (mutual TLS;
    None: $JET_TLS_CERT / $JET_TLS_KEY)."""
    global _conn, _address, _security
    with _lock:
        close()
        _address = address
        _security = {"token": token, "tls_ca": tls_ca, "tls_cert": tls_cert,
                     "tls_key": tls_key}
        _open(timeout_ms, connect_timeout_ms)
        return _conn.address


def _open(timeout_ms=None, connect_timeout_ms=None):
    global _conn, _generation, _closed_for_exit
    addr = _resolve_address(_address)
    L = _lib.lib()
    out = ctypes.c_void_p()
    def opt(name):
        v = _security.get(name)
        return os.fsencode(v) if v else None
    st = L.jet_ffi_client_open_ex(
        addr.encode(), b"jet-python",
        DEFAULT_TIMEOUT_MS if timeout_ms is None else int(timeout_ms),
        DEFAULT_CONNECT_TIMEOUT_MS if connect_timeout_ms is None else int(connect_timeout_ms),
        opt("token"), opt("tls_ca"), opt("tls_cert"), opt("tls_key"),
        ctypes.byref(out))
    if st:
        e = _lib.status_error(st)
        raise errors.make_error(
            e.code, "could not connect to jetd at %s (%s). Start jetd (jetd --listen %s) or "
            "point jet at a running one with JET_ADDRESS=HOST:PORT or jet.connect(address)."
            % (addr, e.message, addr))
    _generation += 1
    _closed_for_exit = False
    _conn = _Conn(out.value, addr, _generation)


def conn():
    """The current connection (opened on first use)."""
    c = _conn
    if c is not None:
        return c
    with _lock:
        if _conn is None:
            if _closed_for_exit:
                raise errors.JetError("FAILED_PRECONDITION", "the jet client is closed")
            _open()
        return _conn


def client_ptr():
    return conn().ptr


def generation():
    c = _conn
    return c.generation if c is not None else -1


def address():
    return conn().address


def set_timeout_ms(ms):
    _lib.lib().jet_client_set_timeout_ms(client_ptr(), int(ms))


def close():
    """Closes the connection (the daemon frees its arrays). Arrays made
    through it become unusable."""
    global _conn
    with _lock:
        c = _conn
        _conn = None
        if c is not None:
            from . import _core
            _core.clear_caches()
            _lib.lib().jet_client_close(c.ptr)


def _atexit():
    global _closed_for_exit
    _closed_for_exit = True
    close()


atexit.register(_atexit)


class Device:
    """A jetd device (jet.devices())."""

    def __init__(self, id, kind, memory_limit, memory_in_use, live_arrays):
        self.id = id
        self.platform = kind
        self.device_kind = kind
        self.memory_limit = memory_limit
        self.memory_in_use = memory_in_use
        self.live_arrays = live_arrays

    def __repr__(self):
        return "%sDevice(id=%d)" % (self.platform.capitalize(), self.id)

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(("jet.Device", self.id))


def devices():
    """The daemon's devices (GetDevices)."""
    L = _lib.lib()
    p = ctypes.c_void_p()
    _lib.check(L.jet_ffi_devices_text(client_ptr(), ctypes.byref(p)))
    out = []
    for line in _lib.take_string(p.value).splitlines():
        f = line.split()
        if len(f) == 5:
            out.append(Device(int(f[0]), f[1], int(f[2]), int(f[3]), int(f[4])))
    return out
