"""jet: JAX's programming model against a remote jetd.

Arrays live on the daemon behind handles; Python functions are traced into
graphs that the daemon compiles, differentiates (grad, jvp, vjp, ...) and
batches (vmap). The address comes from jet.connect(address) or $JET_ADDRESS.
"""
import importlib

from . import config, errors
from ._array import Array, device_put, device_put_replicated, device_put_sharded
from ._client import connect, devices
from ._devices import device_count, local_device_count, local_devices
from ._api import (block_until_ready, grad, hessian, jacfwd, jacobian, jacrev, jit, jvp,
                   linearize, make_jaxpr, pmap, value_and_grad, vjp, vmap)
from ._pytree import tree_flatten, tree_leaves, tree_map, tree_structure, tree_unflatten
from ._dtypes import result_type

__version__ = "0.1.0"

_SUBMODULES = ("numpy", "random", "lax", "nn", "tree_util")


def __getattr__(name):
    if name in _SUBMODULES:
        if name == "tree_util":
            from . import _pytree
            return _pytree
        return importlib.import_module("." + name, __name__)
    raise AttributeError("module 'jet' has no attribute %r" % (name,))


def __dir__():
    return sorted(list(globals().keys()) + list(_SUBMODULES))
