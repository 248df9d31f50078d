"""Stable sorting on jetd for permutation and choice, built from ops.

jetd's op table has no sort, so `lax.sort_key_val(keys, values)` with
uint32 keys (JAX's shuffle) becomes a stable least-significant-digit radix
argsort: 32 passes, each a stable partition by one key bit computed with a
cumsum and applied with a scatter-add into zeros (indices are distinct, so
the adds are exact). The result equals a stable sort, as XLA's sort with
is_stable=True. Cost: O(32 n) element operations, any n.
"""
import numpy as np

from ._ops import I32, U32, bind, const, convert, full, iota, reshape, u32


def _scatter_to(x, pos, n):
    """out[pos[i]] = x[i] for a permutation pos of range(n)."""
    zeros = full(0, (n,), x.dtype)
    return bind("scatter-add", zeros, reshape(pos, (n, 1)), x,
                update_window_dims=(), inserted_window_dims=(0,),
                scatter_dims_to_operand_dims=(0,))


def stable_argsort_u32(keys):
    """Indices (int32) that sort the rank-1 uint32 value `keys` stably."""
    n = keys.shape[0]
    perm = iota(I32, n)
    if n <= 1:
        return perm
    index = perm
    one = const(1, I32)
    for b in range(32):
        bit = bind("and", bind("shift_right_logical", keys, u32(b)), u32(1))
        is_one = convert(bit, I32)
        zeros_incl = bind("cumsum", bind("sub", one, is_one), axis=0)
        n_zeros = reshape(bind("slice", zeros_incl, start_indices=(n - 1,),
                               limit_indices=(n,), strides=(1,)), ())
        # zero bits keep their order at the front, one bits follow them.
        pos_zero = bind("sub", zeros_incl, one)
        pos_one = bind("add", bind("sub", index, zeros_incl), n_zeros)
        pos = bind("select", bind("eq", is_one, const(0, I32)), pos_zero, pos_one)
        keys = _scatter_to(keys, pos, n)
        perm = _scatter_to(perm, pos, n)
    return perm


def descending_keys_f(x):
    """uint32 keys whose ascending order is the descending order of floats x
    (f32; f64 is first rounded to f32, which only matters for near ties)."""
    if np.dtype(x.dtype) != np.dtype(np.float32):
        x = convert(x, np.float32)
    b = bind("bitcast_convert_type", x, new_dtype=U32)
    neg = bind("ne", bind("and", b, u32(0x80000000)), u32(0))
    flip = bind("select", neg, full(0xFFFFFFFF, x.shape, U32), full(0x80000000, x.shape, U32))
    ascending = bind("xor", b, flip)
    return bind("xor", ascending, u32(0xFFFFFFFF))


def take(x, ind, axis):
    """jnp.take(x, ind, axis) for in-range int32 indices (a gather)."""
    xs = tuple(x.shape)
    d = len(xs)
    ishape = tuple(ind.shape)
    r = len(ishape)
    offset_dims = tuple(list(range(axis)) + list(range(axis + r, d - 1 + r)))
    slice_sizes = tuple(1 if i == axis else s for i, s in enumerate(xs))
    idx = reshape(ind, ishape + (1,))
    return bind("gather", x, idx, offset_dims=offset_dims,
                collapsed_slice_dims=(axis,), start_index_map=(axis,),
                slice_sizes=slice_sizes, mode=0)

