"""Shape operators: reshape (MXNet codes), reshape_like, flatten, expand_dims, squeeze,
transpose, swapaxes, moveaxis, the broadcast_to/like/axis family, tile, repeat, pad, flip,
depth_to_space, space_to_depth, concat, stack, split, split_v2, shape_array, size_array, and
the ``NDArray.__getitem__``/``__setitem__`` operators."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import as_tuple, dtype_of, legacy_shape, norm_axis


def infer_reshape(
    src: tuple[int, ...], shape: tuple[int, ...], reverse: bool = False
) -> tuple[int, ...]:
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
                raise OperatorError(
                    f"reshape: code 0 at position {i} has no input dim to copy; input shape {src}, shape={tuple(shape)}."
                )
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
                raise OperatorError(
                    f"reshape: code -3 needs two input dims to merge; input shape {src}, shape={tuple(shape)}."
                )
            out.append(dims[j] * dims[j + 1])
            j += 2
        elif c == -4:
            if i + 2 >= len(codes):
                raise OperatorError(
                    f"reshape: code -4 must be followed by two sizes, got shape={tuple(shape)}."
                )
            if j >= len(dims):
                raise OperatorError(
                    f"reshape: code -4 has no input dim to split; input shape {src}, shape={tuple(shape)}."
                )
            d0, d1, d2 = dims[j], int(codes[i + 1]), int(codes[i + 2])
            if d1 == -1 and d2 == -1:
                raise OperatorError(
                    f"reshape: code -4 takes at most one -1, got shape={tuple(shape)}."
                )
            if d1 == -1:
                d1 = d0 // d2
            elif d2 == -1:
                d2 = d0 // d1
            if d1 * d2 != d0:
                raise OperatorError(
                    f"reshape: code -4 splits dim {d0} into {d1} x {d2}, which do not multiply back; input shape {src}, shape={tuple(shape)}."
                )
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
            raise OperatorError(
                f"reshape: cannot infer -1 for input shape {src} and shape={tuple(shape)}."
            )
        out[infer_at] = total // known
    if reverse:
        out = out[::-1]
    if int(np.prod(out, dtype=np.int64)) != total:
        raise OperatorError(
            f"reshape: input shape {src} ({total} elements) cannot become {tuple(out)} (from shape={tuple(shape)})."
        )
    return tuple(out)


@register("reshape", aliases=("Reshape",))
def reshape(
    data: jax.Array,
    *,
    shape: Any = (),
    reverse: bool = False,
    target_shape: Any = None,
    keep_highest: bool = False,
) -> jax.Array:
    """Reshape with MXNet's special codes; see ``infer_reshape``."""
    if isinstance(shape, int):
        shape = (shape,)
    return data.reshape(infer_reshape(tuple(data.shape), tuple(shape), reverse))


def _dim_range(n: int, begin: int | None, end: int | None) -> tuple[int, int]:
    b = 0 if begin is None else (begin + n if begin < 0 else begin)
    e = n if end is None else (end + n if end < 0 else end)
    return b, e


@register("reshape_like")
def reshape_like(
    lhs: jax.Array,
    rhs: jax.Array,
    *,
    lhs_begin: int | None = None,
    lhs_end: int | None = None,
    rhs_begin: int | None = None,
    rhs_end: int | None = None,
) -> jax.Array:
    """Reshape ``lhs`` to the shape of ``rhs``; with the begin/end attributes only the dims
    ``lhs.shape[lhs_begin:lhs_end]`` are replaced by ``rhs.shape[rhs_begin:rhs_end]``.

    Examples
    --------
    >>> mx.nd.reshape_like(mx.nd.zeros((6, 4)), mx.nd.zeros((2, 3, 5)), lhs_begin=0, lhs_end=1, rhs_begin=0, rhs_end=2).shape
    (2, 3, 4)
    """
    lb, le = _dim_range(lhs.ndim, lhs_begin, lhs_end)
    rb, re = _dim_range(rhs.ndim, rhs_begin, rhs_end)
    if not (0 <= lb <= le <= lhs.ndim and 0 <= rb <= re <= rhs.ndim):
        raise OperatorError(
            f"reshape_like: lhs dims [{lhs_begin}:{lhs_end}] of shape {tuple(lhs.shape)} or rhs "
            f"dims [{rhs_begin}:{rhs_end}] of shape {tuple(rhs.shape)} are out of range."
        )
    new = tuple(lhs.shape[:lb]) + tuple(rhs.shape[rb:re]) + tuple(lhs.shape[le:])
    if int(np.prod(new, dtype=np.int64)) != lhs.size:
        raise OperatorError(
            f"reshape_like: cannot reshape lhs of shape {tuple(lhs.shape)} to {new} (taken from "
            f"rhs of shape {tuple(rhs.shape)}): the sizes differ."
        )
    return lhs.reshape(new)


@register("Flatten", aliases=("flatten",))
def flatten(data: jax.Array, *, inplace: bool = False) -> jax.Array:
    """Collapse all axes but the first: ``(N, d1, d2, ...) -> (N, d1*d2*...)``. ``inplace`` is
    accepted as MXNet's ``NDArray.flatten`` does; gluax arrays never share storage, so the result
    is always a new array (writes to the input do not show through it)."""
    if data.ndim == 0:
        return data.reshape(1, 1)
    return data.reshape(data.shape[0], -1)


@register("expand_dims")
def expand_dims(data: jax.Array, *, axis: int, inplace: bool = False) -> jax.Array:
    """Insert a new axis of size 1 at ``axis``. ``inplace`` is accepted and gives a new array,
    as for ``flatten``."""
    if not -data.ndim - 1 <= axis <= data.ndim:
        raise OperatorError(
            f"expand_dims: axis {axis} is out of range for shape {tuple(data.shape)}."
        )
    return jnp.expand_dims(data, axis)


@register("squeeze")
def squeeze(data: jax.Array, *, axis: Any = None, inplace: bool = False) -> jax.Array:
    """Remove axes of size 1 (all, or those in ``axis``). ``inplace`` is accepted and gives a new
    array, as for ``flatten``."""
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


@register("moveaxis")
def moveaxis(tensor: jax.Array, *, source: Any, destination: Any) -> jax.Array:
    """Move axes ``source`` to positions ``destination`` (ints or sequences), as numpy. Axes
    out of range, repeated, or ``source``/``destination`` of different lengths are errors."""
    nd = tensor.ndim

    def axes(name: str, value: Any) -> tuple[int, ...]:
        raw = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
        out = []
        for a in raw:
            a = int(a)
            if not -nd <= a < nd:
                raise OperatorError(
                    f"moveaxis: {name} axis {a} is out of range for a {nd}-d input of shape "
                    f"{tuple(tensor.shape)}."
                )
            out.append(a % nd)
        if len(set(out)) != len(out):
            raise OperatorError(f"moveaxis: repeated axis in {name}={tuple(raw)}.")
        return tuple(out)

    src, dst = axes("source", source), axes("destination", destination)
    if len(src) != len(dst):
        raise OperatorError(
            f"moveaxis: source {src} and destination {dst} must name as many axes each."
        )
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return jnp.transpose(tensor, order)


def _check_broadcast(op: str, shape: tuple[int, ...], target: tuple[int, ...]) -> None:
    if len(shape) != len(target) or any(d not in (1, t) for d, t in zip(shape, target)):
        raise OperatorError(
            f"{op}: cannot broadcast shape {shape} to {target}; the ranks must agree and "
            "every differing dim must be 1."
        )


@register("broadcast_to")
def broadcast_to(data: jax.Array, *, shape: Any = ()) -> jax.Array:
    """Broadcast to ``shape``; a 0 in ``shape`` keeps that dim of ``data``. Only size-1 dims
    are broadcast: the rank does not change."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    target = (
        tuple(d if s == 0 else s for d, s in zip(data.shape, shape))
        if len(shape) == data.ndim
        else shape
    )
    _check_broadcast("broadcast_to", tuple(data.shape), target)
    return jnp.broadcast_to(data, target)


@register("broadcast_like")
def broadcast_like(
    lhs: jax.Array, rhs: jax.Array, *, lhs_axes: Any = None, rhs_axes: Any = None
) -> jax.Array:
    """Broadcast ``lhs`` to the shape of ``rhs``; with ``lhs_axes``/``rhs_axes`` only those
    dims of ``lhs`` take the sizes of the paired dims of ``rhs``."""
    if lhs_axes is None and rhs_axes is None:
        target = tuple(rhs.shape)
    else:
        la, ra = as_tuple(lhs_axes), as_tuple(rhs_axes)
        if len(la) != len(ra):
            raise OperatorError(
                f"broadcast_like: lhs_axes {la} and rhs_axes {ra} must have the same length."
            )
        if not la:
            raise OperatorError(
                "broadcast_like: empty lhs_axes/rhs_axes are not allowed (as in MXNet); leave "
                "both None to broadcast lhs to the shape of rhs."
            )
        tgt = list(lhs.shape)
        for a, b in zip(la, ra):
            tgt[norm_axis("broadcast_like", a, lhs.ndim)] = rhs.shape[
                norm_axis("broadcast_like", b, rhs.ndim)
            ]
        target = tuple(tgt)
    _check_broadcast("broadcast_like", tuple(lhs.shape), target)
    return jnp.broadcast_to(lhs, target)


@register("broadcast_axis", aliases=("broadcast_axes",))
def broadcast_axis(data: jax.Array, *, axis: Any = (), size: Any = ()) -> jax.Array:
    """Broadcast the size-1 dims ``axis`` of ``data`` to the sizes ``size``."""
    axes, sizes = as_tuple(axis), as_tuple(size)
    if len(axes) != len(sizes):
        raise OperatorError(
            f"broadcast_axis: axis {axes} and size {sizes} must have the same length."
        )
    target = list(data.shape)
    for a, n in zip(axes, sizes):
        a = norm_axis("broadcast_axis", a, data.ndim)
        if data.shape[a] != 1:
            raise OperatorError(
                f"broadcast_axis: axis {a} of shape {tuple(data.shape)} must have size 1 to be broadcast."
            )
        target[a] = n
    return jnp.broadcast_to(data, tuple(target))


@register("tile")
def tile(data: jax.Array, *, reps: Any) -> jax.Array:
    """Repeat the whole array ``reps`` times per axis (numpy's ``tile``: a shorter ``reps`` is
    padded with 1s on the left, a longer one adds leading axes)."""
    return jnp.tile(data, as_tuple(reps))


@register("repeat")
def repeat(data: jax.Array, *, repeats: int, axis: int | None = None) -> jax.Array:
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened array when
    ``axis`` is None)."""
    if axis is not None:
        axis = norm_axis("repeat", axis, data.ndim)
    return jnp.repeat(data, repeats, axis=axis)


@register("pad", aliases=("Pad",))
def pad(
    data: jax.Array, *, mode: str = "constant", pad_width: Any, constant_value: float = 0.0
) -> jax.Array:
    """Pad a 4-D or 5-D array. ``pad_width`` is MXNet's flat ``(before_1, after_1, ...,
    before_N, after_N)`` and must be 0 on the first two axes (N, C). ``mode`` is
    ``'constant'`` (with ``constant_value``), ``'edge'`` or ``'reflect'`` (numpy's modes;
    reflect widths must be smaller than the padded dim)."""
    width = as_tuple(pad_width)
    if data.ndim not in (4, 5):
        raise OperatorError(
            f"pad: only 4-D and 5-D inputs are supported (as in MXNet), got shape {tuple(data.shape)}."
        )
    if len(width) != 2 * data.ndim:
        raise OperatorError(
            f"pad: pad_width needs {2 * data.ndim} entries (before, after per axis) for shape "
            f"{tuple(data.shape)}, got {width}."
        )
    if any(width[:4]):
        raise OperatorError(
            f"pad: the padding of the first two axes (N, C) must be 0, got pad_width={width}."
        )
    pairs = [(width[2 * i], width[2 * i + 1]) for i in range(data.ndim)]
    if mode == "constant":
        return jnp.pad(
            data, pairs, mode="constant", constant_values=jnp.asarray(constant_value, data.dtype)
        )
    if mode == "reflect":
        if any(max(p) >= n for p, n in zip(pairs, data.shape)):
            raise OperatorError(
                f"pad: reflect padding must be smaller than each padded dim, got pad_width={width} "
                f"for shape {tuple(data.shape)}."
            )
        return jnp.pad(data, pairs, mode="reflect")
    if mode == "edge":
        return jnp.pad(data, pairs, mode="edge")
    raise OperatorError(f"pad: mode must be 'constant', 'edge' or 'reflect', got {mode!r}.")


@register("flip", aliases=("reverse",))
def flip(data: jax.Array, *, axis: Any) -> jax.Array:
    """Reverse the order of the elements along ``axis`` (an int or a tuple)."""
    return jnp.flip(data, tuple(norm_axis("flip", a, data.ndim) for a in as_tuple(axis)))


def _check_nchw(op: str, data: jax.Array) -> None:
    if data.ndim != 4:
        raise OperatorError(
            f"{op}: expected a 4-D (N, C, H, W) input, got shape {tuple(data.shape)}."
        )


@register("depth_to_space")
def depth_to_space(data: jax.Array, *, block_size: int) -> jax.Array:
    """Move blocks of channels into ``block_size x block_size`` spatial blocks:
    ``(N, C, H, W) -> (N, C / b^2, H * b, W * b)``, with
    ``out[n, c, h*b + i, w*b + j] = data[n, (i*b + j) * C/b^2 + c, h, w]``."""
    _check_nchw("depth_to_space", data)
    n, c, h, w = data.shape
    b = block_size
    if c % (b * b):
        raise OperatorError(
            f"depth_to_space: the channels of shape {tuple(data.shape)} must be divisible by "
            f"block_size**2 = {b * b}."
        )
    x = data.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    return x.reshape(n, c // (b * b), h * b, w * b)


@register("space_to_depth")
def space_to_depth(data: jax.Array, *, block_size: int) -> jax.Array:
    """The inverse of ``depth_to_space``: ``(N, C, H, W) -> (N, C * b^2, H / b, W / b)``."""
    _check_nchw("space_to_depth", data)
    n, c, h, w = data.shape
    b = block_size
    if h % b or w % b:
        raise OperatorError(
            f"space_to_depth: the height and width of shape {tuple(data.shape)} must be "
            f"divisible by block_size={b}."
        )
    x = data.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return x.reshape(n, c * b * b, h // b, w // b)


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


@register("split_v2")
def split_v2(
    ary: jax.Array, *, indices_or_sections: Any, axis: int = 0, squeeze_axis: bool = False
) -> Any:
    """Split along ``axis`` (default 0) into ``indices_or_sections`` equal parts (an int) or
    at the given indices (a sequence, numpy's ``split``); a list unless there is one part.
    ``squeeze_axis`` drops the axis from parts of size 1 along it."""
    ax = norm_axis("split_v2", axis, ary.ndim)
    if isinstance(indices_or_sections, int):
        if ary.shape[ax] % indices_or_sections:
            raise OperatorError(
                f"split_v2: axis {axis} of shape {tuple(ary.shape)} does not divide into "
                f"{indices_or_sections} equal sections."
            )
        parts = jnp.split(ary, indices_or_sections, axis=ax)
    else:
        parts = jnp.split(ary, list(as_tuple(indices_or_sections)), axis=ax)
    if squeeze_axis:
        parts = [jnp.squeeze(p, ax) if p.shape[ax] == 1 else p for p in parts]
    return parts[0] if len(parts) == 1 else list(parts)


@register("shape_array", differentiable=False)
def shape_array(data: jax.Array) -> jax.Array:
    """The shape of ``data`` as a 1-D integer array (int64 in MXNet; int32 here unless jax's
    64-bit mode is on)."""
    return jnp.asarray(data.shape, dtype_of("int64"))


@register("size_array", differentiable=False)
def size_array(data: jax.Array) -> jax.Array:
    """The number of elements of ``data`` as an integer array of shape (1,)."""
    return jnp.asarray([data.size], dtype_of("int64"))


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
                raise IndexError(
                    f"index {p[1]} is out of bounds for axis {axis} with shape {shape}."
                )
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
    target = tuple(
        n for n, k in zip(sizes, list(key) + [("s",)] * (data.ndim - len(key))) if k[0] != "i"
    )
    value = jnp.asarray(value, dtype=data.dtype)
    if value.shape != target:
        if value.size == int(np.prod(target)) and value.ndim != len(target):
            value = value.reshape(target)
        value = jnp.broadcast_to(value, target)
    return jax.lax.dynamic_update_slice(data, value.reshape(sizes), begin)
