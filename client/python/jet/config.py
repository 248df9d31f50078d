"""Process-wide settings (like jax.config).

enable_x64: 64-bit types (int64/float64) allowed; off by default as in
JAX (then float64 and int64 requests become float32 / int32). Set it with
jet.config.update("jax_enable_x64", True), jet.config.enable_x64 = True, or
the environment variable JET_ENABLE_X64=1 (JAX_ENABLE_X64 also works).
"""
import os


def _env_flag(*names):
    for n in names:
        v = os.environ.get(n)
        if v is not None:
            return v.strip().lower() in ("1", "true", "yes", "on")
    return False


enable_x64 = _env_flag("JET_ENABLE_X64", "JAX_ENABLE_X64")


def update(name, value):
    """jax.config.update style: "jax_enable_x64" / "enable_x64"."""
    global enable_x64
    if name in ("jax_enable_x64", "jet_enable_x64", "enable_x64"):
        enable_x64 = bool(value)
    else:
        raise AttributeError("unknown config option %r" % (name,))


def read(name):
    if name in ("jax_enable_x64", "jet_enable_x64", "enable_x64"):
        return enable_x64
    raise AttributeError("unknown config option %r" % (name,))
