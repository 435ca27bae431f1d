"""Shape operators: reshape (MXNet codes), flatten, expand_dims, transpose, concat, stack,
split, squeeze, swapaxes, indexing."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import legacy_shape, norm_axis


def infer_reshape(src: tuple[int, ...], shape: tuple[int, ...], reverse: bool = False) -> tuple[int, ...]:
    """Resolve MXNet's reshape codes against the input shape ``src``.

    ``0`` copies a dim, ``-1`` infers one, ``-2`` copies all remaining dims, ``-3`` merges two
    consecutive dims, ``-4 a b`` splits one dim into ``a, b`` (one of them may be -1).
    With ``reverse`` the codes are matched from the right.
    """
    codes = list(shape)
    dims = list(src)
    if reverse:
        codes, dims = codes[::-1], dims[::-1]
    out: list[int] = []
    i = j = 0
    infer_at = -1
    while i < len(codes):
        c = int(codes[i])
        if c > 0:
            out.append(c)
            j += 1
        elif c == 0:
            if j >= len(dims):
                raise OperatorError(f"reshape: code 0 at position {i} has no input dim to copy; input shape {src}, shape={tuple(shape)}.")
            out.append(dims[j])
            j += 1
        elif c == -1:
            if infer_at >= 0:
                raise OperatorError(f"reshape: only one -1 is allowed, got shape={tuple(shape)}.")
            infer_at = len(out)
            out.append(-1)
            j += 1
        elif c == -2:
            out.extend(dims[j:])
            j = len(dims)
        elif c == -3:
            if j + 1 >= len(dims):
                raise OperatorError(f"reshape: code -3 needs two input dims to merge; input shape {src}, shape={tuple(shape)}.")
            out.append(dims[j] * dims[j + 1])
            j += 2
        elif c == -4:
            if i + 2 >= len(codes):
                raise OperatorError(f"reshape: code -4 must be followed by two sizes, got shape={tuple(shape)}.")
            if j >= len(dims):
                raise OperatorError(f"reshape: code -4 has no input dim to split; input shape {src}, shape={tuple(shape)}.")
            d0, d1, d2 = dims[j], int(codes[i + 1]), int(codes[i + 2])
            if d1 == -1 and d2 == -1:
                raise OperatorError(f"reshape: code -4 takes at most one -1, got shape={tuple(shape)}.")
            if d1 == -1:
                d1 = d0 // d2
            elif d2 == -1:
                d2 = d0 // d1
            if d1 * d2 != d0:
                raise OperatorError(f"reshape: code -4 splits dim {d0} into {d1} x {d2}, which do not multiply back; input shape {src}, shape={tuple(shape)}.")
            out.extend([d1, d2])
            i += 2
            j += 1
        else:
            raise OperatorError(f"reshape: invalid code {c} in shape={tuple(shape)}.")
        i += 1
    total = int(np.prod(src, dtype=np.int64))
    if infer_at >= 0:
        known = int(np.prod([d for k, d in enumerate(out) if k != infer_at], dtype=np.int64))
        if known == 0 or total % known:
            raise OperatorError(f"reshape: cannot infer -1 for input shape {src} and shape={tuple(shape)}.")
        out[infer_at] = total // known
    if reverse:
        out = out[::-1]
    if int(np.prod(out, dtype=np.int64)) != total:
        raise OperatorError(f"reshape: input shape {src} ({total} elements) cannot become {tuple(out)} (from shape={tuple(shape)}).")
    return tuple(out)


@register("reshape", aliases=("Reshape",))
def reshape(data: jax.Array, *, shape: Any = (), reverse: bool = False, target_shape: Any = None, keep_highest: bool = False) -> jax.Array:
    """Reshape with MXNet's special codes; see ``infer_reshape``."""
    if isinstance(shape, int):
        shape = (shape,)
    return data.reshape(infer_reshape(tuple(data.shape), tuple(shape), reverse))


@register("reshape_like")
def reshape_like(lhs: jax.Array, rhs: jax.Array) -> jax.Array:
    """Reshape ``lhs`` to the shape of ``rhs``."""
    return lhs.reshape(rhs.shape)


@register("Flatten", aliases=("flatten",))
def flatten(data: jax.Array) -> jax.Array:
    """Collapse all axes but the first: ``(N, d1, d2, ...) -> (N, d1*d2*...)``."""
    if data.ndim == 0:
        return data.reshape(1, 1)
    return data.reshape(data.shape[0], -1)


@register("expand_dims")
def expand_dims(data: jax.Array, *, axis: int) -> jax.Array:
    """Insert a new axis of size 1 at ``axis``."""
    if not -data.ndim - 1 <= axis <= data.ndim:
        raise OperatorError(f"expand_dims: axis {axis} is out of range for shape {tuple(data.shape)}.")
    return jnp.expand_dims(data, axis)


@register("squeeze")
def squeeze(data: jax.Array, *, axis: Any = None) -> jax.Array:
    """Remove axes of size 1 (all, or those in ``axis``)."""
    if axis is not None:
        axis = (axis,) if isinstance(axis, int) else tuple(axis)
        for a in axis:
            if data.shape[norm_axis("squeeze", a, data.ndim)] != 1:
                raise OperatorError(f"squeeze: axis {a} of shape {tuple(data.shape)} is not 1.")
    return legacy_shape(jnp.squeeze(data, axis))


@register("transpose")
def transpose(data: jax.Array, *, axes: Any = ()) -> jax.Array:
    """Permute axes (reverse them when ``axes`` is empty)."""
    axes = tuple(axes or ())
    if axes and sorted(a % data.ndim for a in axes) != list(range(data.ndim)):
        raise OperatorError(f"transpose: axes {axes} are not a permutation of {data.ndim} dims.")
    return jnp.transpose(data, axes or None)


@register("swapaxes", aliases=("SwapAxis",))
def swapaxes(data: jax.Array, *, dim1: int = 0, dim2: int = 0) -> jax.Array:
    """Swap two axes."""
    return jnp.swapaxes(data, dim1, dim2)


@register("concat", aliases=("Concat",))
def concat(*data: jax.Array, dim: int = 1) -> jax.Array:
    """Join arrays along ``dim`` (MXNet's default is 1)."""
    if not data:
        raise OperatorError("concat: needs at least one input.")
    nd = data[0].ndim
    d = norm_axis("concat", dim, nd)
    for k, x in enumerate(data):
        if x.ndim != nd or any(x.shape[a] != data[0].shape[a] for a in range(nd) if a != d):
            raise OperatorError(
                f"concat: input {k} has shape {tuple(x.shape)}, incompatible with input 0 of "
                f"shape {tuple(data[0].shape)} along dim={dim}."
            )
    return jnp.concatenate(data, axis=d)


@register("stack")
def stack(*data: jax.Array, axis: int = 0) -> jax.Array:
    """Join same-shaped arrays along a new axis."""
    shapes = {tuple(x.shape) for x in data}
    if len(shapes) != 1:
        raise OperatorError(f"stack: all inputs must have the same shape, got {sorted(shapes)}.")
    return jnp.stack(data, axis=axis)


@register("split", aliases=("SliceChannel",))
def split(data: jax.Array, *, num_outputs: int, axis: int = 1, squeeze_axis: bool = False) -> Any:
    """Split into ``num_outputs`` equal parts along ``axis`` (default 1); a list when
    ``num_outputs > 1``."""
    ax = norm_axis("split", axis, data.ndim)
    if data.shape[ax] % num_outputs:
        raise OperatorError(
            f"split: axis {axis} of shape {tuple(data.shape)} is not divisible by "
            f"num_outputs={num_outputs}."
        )
    parts = jnp.split(data, num_outputs, axis=ax)
    if squeeze_axis:
        parts = [jnp.squeeze(p, ax) for p in parts]
    return parts[0] if num_outputs == 1 else list(parts)


def _build_index(key: Any, arrays: tuple[jax.Array, ...]) -> Any:
    kind = key[0]
    if kind == "t":
        return tuple(_build_index(k, arrays) for k in key[1:])
    if kind == "s":
        return slice(key[1], key[2], key[3])
    if kind == "n":
        return None
    if kind == "e":
        return Ellipsis
    if kind == "i":
        return key[1]
    a = arrays[key[1]]
    return a if jnp.issubdtype(a.dtype, jnp.integer) else a.astype(jnp.int32)


def _check_int_index(key: Any, shape: tuple[int, ...]) -> None:
    parts = key[1:] if key[0] == "t" else (key,)
    axis = 0
    for p in parts:
        if p[0] == "e":
            return
        if p[0] == "i":
            if axis >= len(shape) or not -shape[axis] <= p[1] < shape[axis]:
                raise IndexError(f"index {p[1]} is out of bounds for axis {axis} with shape {shape}.")
        if p[0] != "n":
            axis += 1


@register("_getitem")
def getitem(data: jax.Array, *arrays: jax.Array, key: Any) -> jax.Array:
    """``data[key]`` (basic and advanced indexing); a 0-d result has shape (1,)."""
    _check_int_index(key, tuple(data.shape))
    return legacy_shape(data[_build_index(key, arrays)])


@register("_setitem")
def setitem(data: jax.Array, value: jax.Array, *arrays: jax.Array, key: Any) -> jax.Array:
    """A copy of ``data`` with ``data[key] = value`` (broadcast)."""
    _check_int_index(key, tuple(data.shape))
    idx = _build_index(key, arrays)
    target = jax.eval_shape(lambda d: d[idx], data).shape
    value = jnp.asarray(value, dtype=data.dtype)
    if value.shape != target:
        if value.size == int(np.prod(target)) and value.ndim != len(target):
            value = value.reshape(target)
        value = jnp.broadcast_to(value, target)
    return data.at[idx].set(value)


def _dyn_window(data: jax.Array, starts: tuple[Any, ...], key: Any) -> tuple[list[Any], list[int]]:
    begin: list[Any] = list(starts) + [0] * (data.ndim - len(key))
    sizes = [1 if k[0] == "i" else ((k[1] - 1) * k[2] + 1 if k[1] else 0) for k in key]
    sizes += list(data.shape[len(key) :])
    return begin, sizes


@register("_slice_dyn")
def slice_dyn(data: jax.Array, *starts: jax.Array, key: Any) -> jax.Array:
    """``data[index]`` for ints and forward slices whose start positions are inputs (so
    different positions share one compiled function); a 0-d result has shape (1,)."""
    begin, sizes = _dyn_window(data, starts, key)
    out = jax.lax.dynamic_slice(data, begin, sizes)
    steps = tuple(slice(None, None, k[2]) if k[0] == "s" and k[2] > 1 else slice(None) for k in key)
    out = out[steps]
    ints = tuple(i for i, k in enumerate(key) if k[0] == "i")
    return legacy_shape(jnp.squeeze(out, ints) if ints else out)


@register("_update_dyn")
def update_dyn(data: jax.Array, value: jax.Array, *starts: jax.Array, key: Any) -> jax.Array:
    """A copy of ``data`` with ``data[index] = value`` for ints and unit-step slices."""
    begin, sizes = _dyn_window(data, starts, key)
    target = tuple(n for n, k in zip(sizes, list(key) + [("s",)] * (data.ndim - len(key))) if k[0] != "i")
    value = jnp.asarray(value, dtype=data.dtype)
    if value.shape != target:
        if value.size == int(np.prod(target)) and value.ndim != len(target):
            value = value.reshape(target)
        value = jnp.broadcast_to(value, target)
    return jax.lax.dynamic_update_slice(data, value.reshape(sizes), begin)
