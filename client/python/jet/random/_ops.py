"""Graph-level building blocks of jet.random: Threefry-2x32 as uint32 ops.

Every function here takes and returns jet values (jet.Array or tracers) and
builds its result only through `jet._core.bind`, so the same code runs
eagerly (op by op on jetd) or inside a trace (one graph, one round trip);
the public functions in `jet.random` wrap them in `jet.jit`.

Keys are raw uint32[2] arrays, as `jax.random.PRNGKey` returns. The bit
streams follow JAX exactly (jax/_src/random/threefry2x32.py):

* partitionable mode (`jax_threefry_partitionable`, JAX's default since 0.5):
  the element at flat index n of a result of shape S hashes the counter pair
  (n >> 32, n & 0xFFFFFFFF); bits are w0 ^ w1;
* legacy mode: the counters 0..m-1 are padded to even length, split into two
  halves that are hashed pairwise, and the outputs are concatenated.
"""
import math

import numpy as np

from .. import _core, config

U32 = np.dtype(np.uint32)
I32 = np.dtype(np.int32)
I64 = np.dtype(np.int64)

# Rotation constants and key-schedule parity of Threefry-2x32 (Random123).
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_KS_PARITY = 0x1BD11BDA
_MAX_COUNTERS = 2 ** 32 - 1


def bind(op, *args, **attrs):
    return _core.bind(op, *args, **attrs)


def const(value, dtype):
    """A rank-0 (or n-d) numpy literal of `dtype`; bind turns it into a value."""
    return np.array(value, dtype=dtype)


def u32(value):
    return np.array(value & 0xFFFFFFFF, dtype=U32)


def is_value(x):
    """True for jet values (Arrays and tracers), False for numpy/Python data."""
    return hasattr(x, "aval") and not isinstance(x, np.ndarray)


def shape_of(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def dtype_of(x):
    if hasattr(x, "dtype"):
        return np.dtype(x.dtype)
    return np.asarray(x).dtype


def as_value(x, dtype=None):
    """x as a jet value of `dtype` (numpy data goes through asarray_value)."""
    if not is_value(x):
        arr = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
        return _core.asarray_value(arr, dtype=arr.dtype, weak=False)
    if dtype is not None and np.dtype(x.dtype) != np.dtype(dtype):
        return bind("convert_element_type", x, new_dtype=np.dtype(dtype))
    return x


def convert(x, dtype):
    dtype = np.dtype(dtype)
    if is_value(x):
        if np.dtype(x.dtype) == dtype:
            return x
        return bind("convert_element_type", x, new_dtype=dtype)
    return np.asarray(x).astype(dtype)


def reshape(x, shape):
    shape = tuple(int(d) for d in shape)
    if tuple(x.shape) == shape:
        return x
    return bind("reshape", x, new_sizes=shape)


def full(value, shape, dtype):
    """A value of `shape` filled with `value` (a literal broadcast on jetd)."""
    shape = tuple(shape)
    c = const(value, dtype)
    if not shape:
        return as_value(c)
    return bind("broadcast_in_dim", c, shape=shape, broadcast_dimensions=())


def broadcast_to(x, shape):
    """numpy-style broadcast of x (value or literal) to `shape`."""
    shape = tuple(shape)
    xs = shape_of(x)
    if xs == shape:
        return as_value(x) if not is_value(x) else x
    if len(xs) > len(shape):
        raise ValueError("cannot broadcast an operand of shape %s to shape %s" % (xs, shape))
    lead = len(shape) - len(xs)
    keep_dims, keep_sizes = [], []
    for i, d in enumerate(xs):
        target = shape[lead + i]
        if d == target:
            keep_dims.append(lead + i)
            keep_sizes.append(d)
        elif d != 1:
            raise ValueError("cannot broadcast an operand of shape %s to shape %s" % (xs, shape))
    x = as_value(x) if not is_value(x) else x
    if tuple(keep_sizes) != xs:
        x = reshape(x, keep_sizes)
    return bind("broadcast_in_dim", x, shape=shape, broadcast_dimensions=tuple(keep_dims))


def slice1(x, start, stop):
    """x[start:stop] of a rank-1 value."""
    if start == 0 and stop == x.shape[0]:
        return x
    return bind("slice", x, start_indices=(start,), limit_indices=(stop,), strides=(1,))


def concat(parts, dimension=0):
    parts = [p for p in parts]
    if len(parts) == 1:
        return as_value(parts[0]) if not is_value(parts[0]) else parts[0]
    return bind("concatenate", *parts, dimension=dimension)


def iota(dtype, n):
    return bind("iota", dtype=np.dtype(dtype), shape=(int(n),), dimension=0)


# ---- Threefry-2x32 -------------------------------------------------------

def _rotl(x, r):
    return bind("or", bind("shift_left", x, u32(r)),
                bind("shift_right_logical", x, u32(32 - r)))


def threefry2x32(k0, k1, x0, x1):
    """The Threefry-2x32 block function on uint32 values (20 rounds).

    k0, k1: rank-0 uint32 key words; x0, x1: counter words (equal shapes, or
    either of rank 0). Returns the two output words (w0, w1), each of the
    counters' broadcast shape.
    """
    ks2 = bind("xor", bind("xor", k0, k1), u32(_KS_PARITY))
    ks = (k0, k1, ks2)
    x0 = bind("add", x0, ks[0])
    x1 = bind("add", x1, ks[1])
    for g in range(5):
        for r in _ROTATIONS[g % 2]:
            x0 = bind("add", x0, x1)
            x1 = bind("xor", _rotl(x1, r), x0)
        x0 = bind("add", x0, ks[(g + 1) % 3])
        x1 = bind("add", x1, bind("add", ks[(g + 2) % 3], u32(g + 1)))
    return x0, x1


def key_words(key):
    """The two rank-0 uint32 words of a uint32[2] key value."""
    k0 = reshape(bind("slice", key, start_indices=(0,), limit_indices=(1,), strides=(1,)), ())
    k1 = reshape(bind("slice", key, start_indices=(1,), limit_indices=(2,), strides=(1,)), ())
    return k0, k1


def _check_counters(n, what):
    if n > _MAX_COUNTERS:
        raise NotImplementedError(
            "jet.random: %s needs %d Threefry counters; at most 2**32 - 1 are "
            "supported (jetd arrays of that size exceed its memory anyway)" % (what, n))


def threefry_2x32_counts(k0, k1, counts):
    """JAX's legacy helper threefry_2x32(key, count) on a rank-1 uint32 value.

    Pads to even length with one 0, hashes the pairs (first half, second
    half) and returns concat(all w0, all w1) cut to the original length.
    """
    n = counts.shape[0]
    if n == 0:
        return counts
    padded = counts
    if n % 2:
        padded = concat([counts, full(0, (1,), U32)], 0)
    h = (n + 1) // 2
    w0, w1 = threefry2x32(k0, k1, slice1(padded, 0, h), slice1(padded, h, 2 * h))
    return slice1(concat([w0, w1], 0), 0, n)


def _flat_counters(shape, what):
    n = math.prod(shape)
    _check_counters(n, what)
    return n


def _hash_shape(k0, k1, shape, what):
    """Partitionable mode: the block function on the counters of `shape`."""
    n = _flat_counters(shape, what)
    hi = u32(0)  # n < 2**32: every high counter word is 0
    lo = reshape(iota(U32, n), shape) if shape else u32(0)
    if not shape:
        lo = as_value(lo)
    return threefry2x32(k0, k1, hi, lo)


def split_impl(key, shape, partitionable):
    """split(key, shape): keys of shape shape + (2,)."""
    shape = tuple(shape)
    k0, k1 = key_words(key)
    n = math.prod(shape)
    if n == 0:
        return full(0, shape + (2,), U32)
    if partitionable:
        w0, w1 = _hash_shape(k0, k1, shape, "split")
        col = shape + (1,)
        return concat([reshape(w0, col), reshape(w1, col)], len(shape))
    _check_counters(2 * n, "split")
    return reshape(threefry_2x32_counts(k0, k1, iota(U32, 2 * n)), shape + (2,))


def fold_in_impl(key, data):
    """fold_in(key, data): threefry2x32(key, (0, data)) (both modes)."""
    k0, k1 = key_words(key)
    w0, w1 = threefry2x32(k0, k1, u32(0), data)
    return concat([reshape(w0, (1,)), reshape(w1, (1,))], 0)


def random_bits(key, bit_width, shape, partitionable):
    """JAX's _random_bits(key, bit_width, shape).

    Returns uint32 for 32 bits and uint8 for 8 bits, as JAX. jetd has no
    uint16 or uint64, so for 16 bits the values come in a uint32 container
    (each < 2**16) and for 64 bits the bit pattern comes as int64.
    """
    shape = tuple(shape)
    if bit_width not in (8, 16, 32, 64):
        raise TypeError("jet.random: bit_width must be 8, 16, 32 or 64, got %r" % (bit_width,))
    out_dtype = {8: np.dtype(np.uint8), 16: U32, 32: U32, 64: I64}[bit_width]
    n = math.prod(shape)
    if n == 0:
        return full(0, shape, out_dtype)
    if bit_width == 64 and not config.enable_x64:
        raise TypeError("jet.random: 64-bit random bits need int64 on jetd; set "
                        "jet.config.enable_x64 = True (as JAX needs jax_enable_x64)")
    k0, k1 = key_words(key)
    if partitionable:
        w0, w1 = _hash_shape(k0, k1, shape, "random bits")
        if bit_width == 64:
            hi = bind("shift_left", convert(w0, I64), const(32, I64))
            return bind("or", hi, convert(w1, I64))
        bits = bind("xor", w0, w1)
        if bit_width == 8:
            return convert(bits, np.uint8)
        if bit_width == 16:
            return bind("and", bits, u32(0xFFFF))
        return bits
    # Legacy stream.
    if bit_width == 64:
        _check_counters(2 * n, "random bits")
        words = threefry_2x32_counts(k0, k1, iota(U32, 2 * n))
        hi = bind("shift_left", convert(slice1(words, 0, n), I64), const(32, I64))
        lo = convert(slice1(words, n, 2 * n), I64)
        return reshape(bind("or", hi, lo), shape)
    n_words = -(-n * bit_width // 32)
    _check_counters(n_words, "random bits")
    words = threefry_2x32_counts(k0, k1, iota(U32, n_words))
    if bit_width == 32:
        return reshape(words, shape)
    # Little-endian pieces of each word: word j gives pieces j*k .. j*k+k-1.
    per_word = 32 // bit_width
    grid = bind("broadcast_in_dim", words, shape=(n_words, per_word), broadcast_dimensions=(0,))
    amounts = bind("mul", bind("iota", dtype=U32, shape=(n_words, per_word), dimension=1),
                   u32(bit_width))
    pieces = bind("and", bind("shift_right_logical", grid, amounts),
                  u32((1 << bit_width) - 1))
    pieces = slice1(reshape(pieces, (n_words * per_word,)), 0, n)
    if bit_width == 8:
        pieces = convert(pieces, np.uint8)
    return reshape(pieces, shape)
