"""Slicing and indexing operators: slice, slice_assign, slice_assign_scalar, slice_axis,
slice_like, take, pick, batch_take, gather_nd, scatter_nd, one_hot, diag, ravel_multi_index, unravel_index and
contrib.boolean_mask.

MXNet passes indices as float32 arrays in most places: they are truncated toward zero, as
MXNet's integer cast does. Out-of-range indices follow each operator's ``mode``; where MXNet
raises at run time (``gather_nd``), XLA's gathers clamp instead (see the Notes).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import OPS, OpDef, register
from gluax._src.ops._util import as_tuple, dtype_of, norm_axis


def _int_index(index: jax.Array) -> jax.Array:
    """Indices as int32, floats truncated toward zero (MXNet's cast)."""
    if jnp.issubdtype(index.dtype, jnp.integer):
        return index.astype(jnp.int32)
    return lax.stop_gradient(index).astype(jnp.int32)


@register("slice", aliases=("crop",))
def slice_op(data: jax.Array, *, begin: Any, end: Any, step: Any = ()) -> jax.Array:
    """``data[b0:e0:s0, b1:e1:s1, ...]`` over the leading ``len(begin)`` axes, with Python's
    slice semantics (None entries, negative values, clipping, negative steps)."""
    return data[_slice_index("slice", data, begin, end, step)]


def _slice_index(op: str, data: jax.Array, begin: Any, end: Any, step: Any) -> tuple[slice, ...]:
    begin, end = tuple(begin), tuple(end)
    step = tuple(step or ()) + (None,) * (len(begin) - len(tuple(step or ())))
    if len(begin) != len(end) or len(begin) > data.ndim or len(step) != len(begin):
        raise OperatorError(
            f"{op}: begin {begin}, end {end} and step {step} must have the same length, at "
            f"most the {data.ndim} dims of shape {tuple(data.shape)}."
        )
    if any(s == 0 for s in step):
        raise OperatorError(f"{op}: step cannot be 0, got step={step}.")
    return tuple(slice(b, e, s) for b, e, s in zip(begin, end, step))


@register("_slice_assign", aliases=("slice_assign", "_crop_assign"))
def slice_assign(
    lhs: jax.Array, rhs: jax.Array, *, begin: Any, end: Any, step: Any = ()
) -> jax.Array:
    """A copy of ``lhs`` with ``lhs[begin:end:step] = rhs`` (``slice``'s indexing)."""
    index = _slice_index("slice_assign", lhs, begin, end, step)
    target = jax.eval_shape(lambda x: x[index], lhs).shape
    if tuple(rhs.shape) != tuple(target):
        raise OperatorError(
            f"slice_assign: rhs of shape {tuple(rhs.shape)} does not fill the slice of shape {tuple(target)}."
        )
    return lhs.at[index].set(rhs.astype(lhs.dtype))


@register("_slice_assign_scalar", aliases=("slice_assign_scalar", "_crop_assign_scalar"))
def slice_assign_scalar(
    data: jax.Array, *, scalar: float = 0.0, begin: Any, end: Any, step: Any = ()
) -> jax.Array:
    """A copy of ``data`` with ``data[begin:end:step] = scalar``."""
    index = _slice_index("slice_assign_scalar", data, begin, end, step)
    return data.at[index].set(jnp.asarray(scalar, data.dtype))


@register("slice_axis")
def slice_axis(data: jax.Array, *, axis: int, begin: int, end: int | None) -> jax.Array:
    """``data[begin:end]`` along ``axis`` (``end=None`` means the end; negative values count
    from the end). As in MXNet, the range must be non-empty and inside the axis."""
    ax = norm_axis("slice_axis", axis, data.ndim)
    n = data.shape[ax]
    b = begin + n if begin < 0 else begin
    e = n if end is None else (end + n if end < 0 else end)
    if not 0 <= b < e <= n:
        raise OperatorError(
            f"slice_axis: begin={begin}, end={end} is not a non-empty range of axis {axis} "
            f"with size {n} (shape {tuple(data.shape)})."
        )
    return lax.slice_in_dim(data, b, e, axis=ax)


@register("slice_like")
def slice_like(data: jax.Array, shape_like: jax.Array, *, axes: Any = ()) -> jax.Array:
    """``data`` cut to the sizes of ``shape_like`` along ``axes`` (all axes by default,
    which needs equal ranks), keeping the leading part of each axis."""
    axes = as_tuple(axes)
    if not axes:
        if data.ndim != shape_like.ndim:
            raise OperatorError(
                f"slice_like: with no axes, data {tuple(data.shape)} and shape_like "
                f"{tuple(shape_like.shape)} must have the same number of dims."
            )
        axes = tuple(range(data.ndim))
    index = [slice(None)] * data.ndim
    for a in axes:
        if not -shape_like.ndim <= a < shape_like.ndim:
            raise OperatorError(
                f"slice_like: axis {a} is out of range for shape_like of shape {tuple(shape_like.shape)}."
            )
        da = norm_axis("slice_like", a, data.ndim)
        size = shape_like.shape[a]
        if size > data.shape[da]:
            raise OperatorError(
                f"slice_like: shape_like {tuple(shape_like.shape)} is larger than data "
                f"{tuple(data.shape)} along axis {a}."
            )
        index[da] = slice(0, size)
    return data[tuple(index)]


def _raise_out_of_range(op: str, size: int) -> Callable[[Any], None]:
    def check(bad: Any) -> None:
        if bad:
            raise IndexError(
                f"{op}: an index is out of range for an axis of size {size} (mode='raise')."
            )

    return check


@register("take")
def take(a: jax.Array, indices: jax.Array, *, axis: int = 0, mode: str = "clip") -> jax.Array:
    """Gather slices of ``a`` along ``axis`` at ``indices``: the output shape is
    ``a.shape[:axis] + indices.shape + a.shape[axis+1:]``.

    ``mode``: ``'clip'`` (default) clamps indices to ``[0, n-1]`` (so -1 gives the first
    element, not the last), ``'wrap'`` takes them modulo ``n``, ``'raise'`` fails the call
    when an index is below 0 or above ``n-1``.

    Notes
    -----
    ``mode='raise'`` checks the index values with a host callback at run time, eagerly and
    compiled (a compiled call fails with a ``RuntimeError`` carrying the ``IndexError``); a
    block using it cannot be exported to StableHLO.
    """
    ax = norm_axis("take", axis, a.ndim)
    n = a.shape[ax]
    if mode == "raise":
        v = lax.stop_gradient(indices)
        jax.debug.callback(_raise_out_of_range("take", n), jnp.any((v < 0) | (v > n - 1)))
    if mode not in ("clip", "wrap", "raise"):
        raise OperatorError(f"take: mode must be 'clip', 'wrap' or 'raise', got {mode!r}.")
    idx = _int_index(indices)
    idx = jnp.mod(idx, n) if mode == "wrap" else jnp.clip(idx, 0, n - 1)
    return jnp.take(a, idx, axis=ax)


@register("pick")
def pick(
    data: jax.Array,
    index: jax.Array,
    *,
    axis: int | None = -1,
    keepdims: bool = False,
    mode: str = "clip",
) -> jax.Array:
    """``data[..., index[...], ...]`` along ``axis``: one element per position of the other
    axes. ``index`` has the shape of ``data`` without ``axis`` (or with it as size 1);
    ``mode`` is ``'clip'`` (default) or ``'wrap'``."""
    if axis is None:
        raise OperatorError("pick: axis=None is not supported (as in MXNet); pass an axis.")
    if mode not in ("clip", "wrap"):
        raise OperatorError(f"pick: mode must be 'clip' or 'wrap', got {mode!r}.")
    ax = norm_axis("pick", axis, data.ndim)
    n = data.shape[ax]
    reduced = tuple(data.shape[:ax]) + tuple(data.shape[ax + 1 :])
    kept = tuple(data.shape[:ax]) + (1,) + tuple(data.shape[ax + 1 :])
    if tuple(index.shape) not in (reduced, kept):
        raise OperatorError(
            f"pick: index of shape {tuple(index.shape)} does not match data of shape "
            f"{tuple(data.shape)} without axis {axis} (expected {reduced})."
        )
    idx = _int_index(index).reshape(kept)
    idx = jnp.mod(idx, n) if mode == "wrap" else jnp.clip(idx, 0, n - 1)
    out = jnp.take_along_axis(data, idx, axis=ax)
    return out if keepdims else jnp.squeeze(out, ax)


def _check_rows(name: str, data: jax.Array, **vectors: jax.Array) -> None:
    if data.ndim != 2:
        raise OperatorError(f"{name}: lhs must be 2-D, got shape {tuple(data.shape)}.")
    for arg, v in vectors.items():
        if tuple(v.shape) != (data.shape[0],):
            raise OperatorError(
                f"{name}: {arg} must have shape ({data.shape[0]},) (one entry per row of lhs "
                f"{tuple(data.shape)}), got {tuple(v.shape)}."
            )


@register("choose_element_0index")
def choose_element_0index(lhs: jax.Array, rhs: jax.Array) -> jax.Array:
    """MXNet's deprecated ``out[i] = lhs[i, rhs[i]]`` for a 2-D ``lhs``: ``pick`` along axis 1
    (indices truncated to integers and clipped into range, as MXNet's)."""
    _check_rows("choose_element_0index", lhs, rhs=rhs)
    return pick(lhs, rhs, axis=1)


@register("fill_element_0index")
def fill_element_0index(lhs: jax.Array, mhs: jax.Array, rhs: jax.Array) -> jax.Array:
    """MXNet's deprecated ``out = lhs; out[i, rhs[i]] = mhs[i]`` for a 2-D ``lhs``; a row
    whose index is out of range keeps its values, as in MXNet."""
    _check_rows("fill_element_0index", lhs, mhs=mhs, rhs=rhs)
    idx = _int_index(rhs)
    hit = jnp.arange(lhs.shape[1], dtype=jnp.int32)[None, :] == idx[:, None]
    return jnp.where(hit, mhs.astype(lhs.dtype)[:, None], lhs)


@register("batch_take")
def batch_take(a: jax.Array, indices: jax.Array) -> jax.Array:
    """``a[i, indices[i]]`` for each row ``i`` of the 2-D array ``a`` (indices clipped to the
    row length). MXNet deprecates it in favour of ``pick``."""
    if a.ndim != 2 or indices.size != a.shape[0]:
        raise OperatorError(
            f"batch_take: expected a 2-D input and one index per row, got a of shape "
            f"{tuple(a.shape)} and indices of shape {tuple(indices.shape)}."
        )
    idx = jnp.clip(_int_index(indices).reshape(-1), 0, a.shape[1] - 1)
    return a[jnp.arange(a.shape[0]), idx].reshape(indices.shape)


def _check_nd_indices(op: str, indices: jax.Array, shape: tuple[int, ...]) -> int:
    m = indices.shape[0] if indices.ndim else 0
    if indices.ndim < 1 or m > len(shape):
        raise OperatorError(
            f"{op}: indices of shape {tuple(indices.shape)} must have a leading dim of at most "
            f"{len(shape)} (one row per indexed axis of shape {shape})."
        )
    return m


@register("gather_nd")
def gather_nd(data: jax.Array, indices: jax.Array) -> jax.Array:
    """``out[y...] = data[indices[0, y...], ..., indices[M-1, y...]]``: the output shape is
    ``indices.shape[1:] + data.shape[M:]``. Negative indices count from the end.

    Notes
    -----
    MXNet raises an ``IndexError`` at run time for an index out of range; XLA's gather clamps
    it to the axis instead.
    """
    m = _check_nd_indices("gather_nd", indices, tuple(data.shape))
    idx = _int_index(indices)
    return data[tuple(idx[i] for i in range(m))]


@register("scatter_nd")
def scatter_nd(data: jax.Array, indices: jax.Array, *, shape: Any) -> jax.Array:
    """The inverse of ``gather_nd``: zeros of ``shape`` with ``data`` written at ``indices``
    (``indices`` is ``(M, ...)``, ``data`` is ``indices.shape[1:] + shape[M:]``). Negative
    and out-of-range indices are dropped.

    Notes
    -----
    When an index repeats, MXNet's CPU kernel keeps the last write; XLA does not specify
    which write wins.
    """
    shape = as_tuple(shape)
    m = _check_nd_indices("scatter_nd", indices, shape)
    expected = tuple(indices.shape[1:]) + shape[m:]
    if tuple(data.shape) != expected:
        raise OperatorError(
            f"scatter_nd: data of shape {tuple(data.shape)} does not match indices of shape "
            f"{tuple(indices.shape)} and shape={shape} (expected {expected})."
        )
    idx = _int_index(indices)
    # MXNet drops negative indices; jax would wrap them, so move them out of range.
    idx = jnp.where(
        idx < 0, jnp.asarray(shape[:m], jnp.int32).reshape((m,) + (1,) * (idx.ndim - 1)), idx
    )
    out = jnp.zeros(shape, data.dtype)
    return out.at[tuple(idx[i] for i in range(m))].set(data, mode="drop")


@register("one_hot", differentiable=False)
def one_hot(
    indices: jax.Array,
    *,
    depth: int,
    on_value: float = 1.0,
    off_value: float = 0.0,
    dtype: Any = "float32",
) -> jax.Array:
    """A new last axis of size ``depth`` holding ``on_value`` at each index and ``off_value``
    elsewhere; indices outside ``[0, depth)`` give a row of ``off_value``."""
    idx = _int_index(indices)
    hit = idx[..., None] == jnp.arange(depth, dtype=jnp.int32)
    dt = dtype_of(dtype)
    return jnp.where(hit, jnp.asarray(on_value, dt), jnp.asarray(off_value, dt))


@register("diag")
def diag(data: jax.Array, *, k: int = 0, axis1: int = 0, axis2: int = 1) -> jax.Array:
    """The ``k``-th diagonal of ``data`` over ``axis1``/``axis2`` (numpy's ``diagonal``: the
    diagonal becomes the last axis); for a 1-D input, a 2-D array with ``data`` on the
    ``k``-th diagonal."""
    if data.ndim == 1:
        return jnp.diag(data, k)
    a1, a2 = norm_axis("diag", axis1, data.ndim), norm_axis("diag", axis2, data.ndim)
    if a1 == a2:
        raise OperatorError(f"diag: axis1 and axis2 must differ, got {axis1} and {axis2}.")
    if (k >= 0 and k >= data.shape[a2]) or (k < 0 and -k >= data.shape[a1]):
        raise OperatorError(
            f"diag: diagonal k={k} does not exist for shape {tuple(data.shape)} (axes {axis1}, {axis2})."
        )
    return jnp.diagonal(data, k, a1, a2)


# ---- contrib.boolean_mask: an output shape that depends on values ---------------------------

BOOLEAN_MASK_TRACED = (
    "contrib.boolean_mask: the output shape depends on the values of `index`, which are not "
    "known while a hybridized block is compiled (jax.jit).\n"
    "  Wrong (inside hybrid_forward):  y = F.contrib.boolean_mask(x, keep)\n"
    "  Right: keep the shape fixed:    y = F.where(keep, x, F.zeros_like(x))  # 1-D keep masks rows\n"
    "         or call boolean_mask eagerly, outside the hybridized block."
)


def _masked_rows(data: jax.Array, index: jax.Array, size: int) -> jax.Array:
    rows = jnp.nonzero(lax.stop_gradient(index) != 0, size=size)[0]
    return jnp.take(data, rows, axis=0)


def _check_mask(data: jax.Array, index: jax.Array, axis: int) -> None:
    if axis != 0:
        raise OperatorError(
            f"contrib.boolean_mask: only axis=0 is supported (as in MXNet), got axis={axis}."
        )
    if index.ndim != 1 or data.ndim < 1 or index.shape[0] != data.shape[0]:
        raise OperatorError(
            f"contrib.boolean_mask: index must be 1-D with one entry per row of data, got data "
            f"{tuple(data.shape)} and index {tuple(index.shape)}."
        )


def _mask_size(data: jax.Array, index: jax.Array, *, axis: int = 0) -> int:
    _check_mask(data, index, axis)
    return int(jnp.count_nonzero(index))


def boolean_mask(
    data: jax.Array, index: jax.Array, *, axis: int = 0, size: int | None = None
) -> jax.Array:
    """The rows of ``data`` where the 1-D ``index`` is non-zero (``mx.nd.contrib.boolean_mask``).

    The output shape depends on the values of ``index``: an eager call reads the number of
    rows first, then runs a function compiled for that size (``size`` is internal). Inside
    a hybridized block it raises, since the values are not known while compiling.
    """
    if size is None:
        if isinstance(index, jax.core.Tracer):
            raise OperatorError(BOOLEAN_MASK_TRACED)
        size = _mask_size(data, index, axis=axis)
    _check_mask(data, index, axis)
    return _masked_rows(data, index, size)


class _ValueShapedOp(OpDef):
    """An operator whose output shape depends on input values: an eager call first reads the
    output size from the concrete inputs (``size_of``), then runs the function compiled for
    that size (passed as the hidden static attribute ``size``)."""

    def __init__(self, name: str, fn: Callable[..., Any], size_of: Callable[..., int]) -> None:
        super().__init__(name, fn, False, True)
        self.attrs = tuple(a for a in self.attrs if a != "size")
        # A recorded call goes through forward_vjp below, which fixes the size first (the
        # remat path's backward program would trace ``fn`` with no size, from traced values).
        self.remat = False
        self._size_of = size_of

    def forward(self, key: Any) -> Callable[..., Any]:
        def run(*vals: Any) -> Any:
            size = self._size_of(*vals, **dict(key))
            return super(_ValueShapedOp, self).forward(key + (("size", size),))(*vals)

        return run

    def forward_vjp(self, key: Any, diff: tuple[int, ...]) -> Callable[..., Any]:
        def run(*vals: Any) -> Any:
            size = self._size_of(*vals, **dict(key))
            return super(_ValueShapedOp, self).forward_vjp(key + (("size", size),), diff)(*vals)

        return run


def _register_value_shaped(
    names: tuple[str, ...], fn: Callable[..., Any], size_of: Callable[..., int]
) -> None:
    op = _ValueShapedOp(names[0], fn, size_of)
    for n in names:
        if n in OPS:
            raise ValueError(f"operator {n!r} is registered twice")
        OPS[n] = op


_register_value_shaped(("_contrib_boolean_mask", "boolean_mask"), boolean_mask, _mask_size)


@register("_ravel_multi_index", aliases=("ravel_multi_index",), differentiable=False)
def ravel_multi_index(data: jax.Array, *, shape: Any) -> jax.Array:
    """Flat (row-major) indices into an array of ``shape`` from the ``(len(shape), ...)``
    coordinates ``data``, in ``data``'s dtype (no range check, as MXNet)."""
    shape = as_tuple(shape)
    if data.shape[0] != len(shape):
        raise OperatorError(
            f"ravel_multi_index: data of shape {tuple(data.shape)} must have {len(shape)} rows, one per dim of shape={shape}."
        )
    strides = jnp.asarray([int(np.prod(shape[i + 1 :])) for i in range(len(shape))], data.dtype)
    return jnp.tensordot(strides, data, axes=1)


@register("_unravel_index", aliases=("unravel_index",), differentiable=False)
def unravel_index(data: jax.Array, *, shape: Any) -> jax.Array:
    """The inverse of ``ravel_multi_index``: coordinates ``(len(shape),) + data.shape``."""
    shape = as_tuple(shape)
    idx = _int_index(data)
    out = []
    for n in reversed(shape):
        out.append(idx % n)
        idx = idx // n
    return jnp.stack(out[::-1]).astype(data.dtype)
