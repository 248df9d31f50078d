"""norm: numpy.linalg.norm's vector and matrix norms (no SVD-based ones:
jet has no SVD primitive)."""
import numpy as np

from jet.numpy import _util as U
from jet.numpy import elementwise as E
from jet.numpy import reductions as R

__all__ = ["norm", "vector_norm", "matrix_norm"]


def vector_norm(x, axis=None, keepdims=False, ord=2):
    (a,) = U.promote_inexact(x)
    if axis is None:
        axes = tuple(range(len(a.shape)))
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        axes = (axis,)
    if ord is None or ord == 2:
        return E.sqrt(R.sum(E.multiply(a, a), axis=axes, keepdims=keepdims))
    if ord == np.inf:
        return R.max(E.abs(a), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return R.min(E.abs(a), axis=axes, keepdims=keepdims)
    if ord == 0:
        return R.sum(U.convert(E.not_equal(a, 0), a.dtype), axis=axes, keepdims=keepdims)
    if ord == 1:
        return R.sum(E.abs(a), axis=axes, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError("Invalid norm order %r for vectors" % (ord,))
    p = float(ord)
    s = R.sum(E.power(E.abs(a), U.weak_scalar(p, a.dtype)), axis=axes, keepdims=keepdims)
    return E.power(s, U.weak_scalar(1.0 / p, a.dtype))


def matrix_norm(x, ord="fro", keepdims=False, axis=(-2, -1)):
    (a,) = U.promote_inexact(x)
    nd = len(a.shape)
    r, c = (U.norm_axis(ax, nd) for ax in axis)
    if r == c:
        raise ValueError("Duplicate axes given to norm: %s" % (tuple(axis),))
    if ord in ("fro", "f", None):
        return E.sqrt(R.sum(E.multiply(a, a), axis=(r, c), keepdims=keepdims))
    if ord in (1, -1):
        s = R.sum(E.abs(a), axis=r, keepdims=True)
        out = (R.max if ord == 1 else R.min)(s, axis=c, keepdims=True)
    elif ord in (np.inf, -np.inf):
        s = R.sum(E.abs(a), axis=c, keepdims=True)
        out = (R.max if ord == np.inf else R.min)(s, axis=r, keepdims=True)
    elif ord == "nuc" or ord in (2, -2):
        raise ValueError("norm: ord=%r needs singular values, and jet has no SVD; supported "
                         "matrix norms: 'fro', 1, -1, inf, -inf" % (ord,))
    else:
        raise ValueError("Invalid norm order %r for matrices" % (ord,))
    if keepdims:
        return out
    S = U.module("shape")
    return S.squeeze(out, axis=(r, c))


def norm(x, ord=None, axis=None, keepdims=False):
    a = U.asval(x)
    nd = len(a.shape)
    if axis is None:
        if ord is None:
            return vector_norm(a, axis=None, keepdims=keepdims)
        if nd == 1:
            return vector_norm(a, axis=0, keepdims=keepdims, ord=ord)
        if nd == 2:
            return matrix_norm(a, ord=ord, keepdims=keepdims, axis=(0, 1))
        raise ValueError("Improper number of dimensions to norm: ord=%r needs a 1-D or 2-D "
                         "array, got shape %s" % (ord, tuple(a.shape)))
    if isinstance(axis, (tuple, list)):
        if len(axis) == 2:
            return matrix_norm(a, ord="fro" if ord is None else ord, keepdims=keepdims,
                               axis=tuple(axis))
        if len(axis) != 1:
            raise ValueError("Improper number of dimensions to norm: axis=%s" % (tuple(axis),))
        axis = axis[0]
    return vector_norm(a, axis=U.norm_axis(axis, nd), keepdims=keepdims, ord=ord)
