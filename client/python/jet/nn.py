"""jet.nn: activation functions and friends (JAX's jax.nn), built from
jet.numpy."""
import numpy as np

from jet import numpy as jnp
from jet.numpy import _util as U
from jet.numpy._util import bind

__all__ = ["relu", "relu6", "sigmoid", "softplus", "soft_sign", "silu", "swish", "gelu", "elu",
           "leaky_relu", "log_sigmoid", "softmax", "log_softmax", "logsumexp", "one_hot",
           "standardize", "normalize", "hard_tanh", "celu", "selu"]


def relu(x):
    x = U.asval(x)
    return jnp.maximum(x, U.weak_scalar(0, x.dtype))


def relu6(x):
    x = U.asval(x)
    return jnp.minimum(jnp.maximum(x, U.weak_scalar(0, x.dtype)), U.weak_scalar(6, x.dtype))


def sigmoid(x):
    (a,) = U.promote_inexact(x)
    return bind("logistic", a)


def softplus(x):
    return jnp.logaddexp(x, 0.0)


def soft_sign(x):
    (a,) = U.promote_inexact(x)
    return jnp.true_divide(a, jnp.add(jnp.abs(a), 1))


def silu(x):
    (a,) = U.promote_inexact(x)
    return jnp.multiply(a, sigmoid(a))


swish = silu


def log_sigmoid(x):
    (a,) = U.promote_inexact(x)
    return jnp.negative(softplus(jnp.negative(a)))


def gelu(x, approximate=True):
    (a,) = U.promote_inexact(x)
    if approximate:
        c = np.sqrt(2.0 / np.pi)
        inner = jnp.multiply(c, jnp.add(a, jnp.multiply(0.044715, jnp.power(a, 3))))
        return jnp.multiply(jnp.multiply(0.5, a), jnp.add(1.0, jnp.tanh(inner)))
    e = bind("erf", jnp.multiply(a, 1.0 / np.sqrt(2.0)))
    return jnp.multiply(jnp.multiply(0.5, a), jnp.add(1.0, e))


def elu(x, alpha=1.0):
    (a,) = U.promote_inexact(x)
    safe = jnp.where(jnp.greater(a, 0), 0.0, a)
    return jnp.where(jnp.greater(a, 0), a, jnp.multiply(alpha, jnp.expm1(safe)))


def celu(x, alpha=1.0):
    (a,) = U.promote_inexact(x)
    return jnp.where(jnp.greater(a, 0), a, jnp.multiply(alpha, jnp.expm1(
        jnp.true_divide(jnp.minimum(a, 0.0), alpha))))


def selu(x):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return jnp.multiply(scale, elu(x, alpha))


def leaky_relu(x, negative_slope=0.01):
    (a,) = U.promote_inexact(x)
    return jnp.where(jnp.greater_equal(a, 0), a, jnp.multiply(negative_slope, a))


def hard_tanh(x):
    (a,) = U.promote_inexact(x)
    return jnp.clip(a, -1.0, 1.0)


def _axes(axis, nd):
    return U.norm_axes(axis, nd)


def _stop(x):
    return bind("stop_gradient", x)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) computed stably: the max is subtracted (under
    stop_gradient, so gradients are exact) and added back."""
    (x,) = U.promote_inexact(a)
    axes = _axes(axis, len(x.shape))
    if where is not None:
        x = jnp.where(where, x, -np.inf)
    amax = jnp.max(x, axis=axes, keepdims=True)
    amax = _stop(jnp.where(jnp.isfinite(amax), amax, U.weak_scalar(0, x.dtype)))
    e = jnp.exp(jnp.subtract(x, amax))
    if b is not None:
        e = jnp.multiply(e, b)
    s = jnp.sum(e, axis=axes, keepdims=True)
    sign = jnp.sign(s)
    out = jnp.add(jnp.log(jnp.abs(s) if return_sign or b is not None else s), amax)
    if not keepdims:
        out = jnp.squeeze(out, axis=axes) if axes else out
        sign = jnp.squeeze(sign, axis=axes) if axes else sign
    if return_sign:
        return out, sign
    return out


def log_softmax(x, axis=-1, where=None):
    (a,) = U.promote_inexact(x)
    axes = _axes(axis, len(a.shape))
    m = jnp.max(a if where is None else jnp.where(where, a, -np.inf), axis=axes, keepdims=True)
    shifted = jnp.subtract(a, _stop(m))
    e = jnp.exp(shifted)
    if where is not None:
        e = jnp.where(where, e, 0.0)
    lse = jnp.log(jnp.sum(e, axis=axes, keepdims=True))
    out = jnp.subtract(shifted, lse)
    if where is not None:
        out = jnp.where(where, out, -np.inf)
    return out


def softmax(x, axis=-1, where=None):
    (a,) = U.promote_inexact(x)
    axes = _axes(axis, len(a.shape))
    m = jnp.max(a if where is None else jnp.where(where, a, -np.inf), axis=axes, keepdims=True)
    e = jnp.exp(jnp.subtract(a, _stop(m)))
    if where is not None:
        e = jnp.where(where, e, 0.0)
    return jnp.true_divide(e, jnp.sum(e, axis=axes, keepdims=True))


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    (a,) = U.promote_inexact(x)
    if mean is None:
        mean = jnp.mean(a, axis=axis, keepdims=True, where=where)
    if variance is None:
        variance = jnp.subtract(jnp.mean(jnp.square(a), axis=axis, keepdims=True, where=where),
                                jnp.square(mean))
    return jnp.multiply(jnp.subtract(a, mean), jnp.rsqrt(jnp.add(variance, epsilon)))


normalize = standardize


def one_hot(x, num_classes, dtype=None, axis=-1):
    """one_hot(x, n)[..., i] = (x[...] == i): eq against an iota."""
    num_classes = U.index_int(num_classes, "num_classes")
    v = U.asval(x)
    dt = U.default_float() if dtype is None else U.canonical_dtype(dtype)
    nd = len(v.shape) + 1
    ax = U.norm_axis(axis, nd)
    out_shape = list(v.shape)
    out_shape.insert(ax, num_classes)
    out_shape = tuple(out_shape)
    bdims = tuple(i if i < ax else i + 1 for i in range(len(v.shape)))
    if not U.is_int(v.dtype):
        v = U.convert(v, U.default_int()) if U.is_bool(v.dtype) else v
    idt = np.dtype(v.dtype)
    xb = bind("broadcast_in_dim", v, shape=out_shape, broadcast_dimensions=bdims)
    io = bind("iota", dtype=idt, shape=out_shape, dimension=ax)
    return U.convert(bind("eq", xb, io), dt)
