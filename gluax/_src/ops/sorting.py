"""Sorting operators: topk, sort, argsort, and cumsum.

Indices come back as float32 unless ``dtype`` says otherwise, as in MXNet. Equal values keep
their original order (MXNet's CPU sort is stable below 17 elements per row and unspecified
above; gluax is always stable).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import dtype_of, norm_axis


def _flat_or_axis(op: str, data: jax.Array, axis: int | None) -> tuple[jax.Array, int]:
    if axis is None:
        return data.reshape(-1), 0
    return data, norm_axis(op, axis, data.ndim)


@register("topk", remat=False)
def topk(
    data: jax.Array,
    *,
    axis: int | None = -1,
    k: int = 1,
    ret_typ: str = "indices",
    is_ascend: bool = False,
    dtype: Any = "float32",
) -> Any:
    """The ``k`` largest (``is_ascend=False``) or smallest elements along ``axis`` (of the
    flattened array when ``axis`` is None; ``k < 1`` means all of them).

    ``ret_typ``: ``'indices'`` (default; in ``dtype``, float32 by default), ``'value'``,
    ``'both'`` (``[values, indices]``) or ``'mask'`` (``data``-shaped, 1 at the chosen
    elements, in the dtype of ``data``). The selected axis keeps size ``k``.
    """
    if ret_typ not in ("indices", "value", "both", "mask"):
        raise OperatorError(
            f"topk: ret_typ must be 'indices', 'value', 'both' or 'mask', got {ret_typ!r}."
        )
    x, ax = _flat_or_axis("topk", data, axis)
    n = x.shape[ax]
    if k > n:
        raise OperatorError(
            f"topk: k={k} must be at most {n}, the size of axis {axis} of shape {tuple(data.shape)}."
        )
    k = n if k < 1 else k
    last = jnp.moveaxis(x, ax, -1)
    # lax.top_k picks the largest values, the first index among equal ones.
    vals, idx = lax.top_k(-last if is_ascend else last, k)
    vals = -vals if is_ascend else vals
    if ret_typ == "mask":
        hit = jnp.sum(jax.nn.one_hot(idx, n, dtype=jnp.int32), axis=-2) > 0
        mask = jnp.moveaxis(hit, -1, ax).astype(data.dtype)
        return lax.stop_gradient(mask.reshape(data.shape))
    indices = lax.stop_gradient(jnp.moveaxis(idx, -1, ax)).astype(dtype_of(dtype))
    values = jnp.moveaxis(vals, -1, ax)
    if ret_typ == "indices":
        return indices
    return values if ret_typ == "value" else [values, indices]


@register("sort", remat=False)
def sort(data: jax.Array, *, axis: int | None = -1, is_ascend: bool = True) -> jax.Array:
    """The elements sorted along ``axis`` (of the flattened array when ``axis`` is None),
    ascending unless ``is_ascend=False``."""
    x, ax = _flat_or_axis("sort", data, axis)
    out = jnp.sort(x, axis=ax)
    return out if is_ascend else jnp.flip(out, ax)


@register("argsort")
def argsort(
    data: jax.Array, *, axis: int | None = -1, is_ascend: bool = True, dtype: Any = "float32"
) -> jax.Array:
    """The indices that sort ``data`` along ``axis`` (of the flattened array when ``axis`` is
    None), in ``dtype`` (float32 by default); equal values keep their order. Its gradient is
    zero, as in MXNet."""
    x, ax = _flat_or_axis("argsort", data, axis)
    return jnp.argsort(x, axis=ax, stable=True, descending=not is_ascend).astype(dtype_of(dtype))


@register("cumsum")
def cumsum(a: jax.Array, *, axis: int | None = None, dtype: Any = None) -> jax.Array:
    """Cumulative sum along ``axis`` (of the flattened array when ``axis`` is None), in
    ``dtype`` (default: the dtype of ``a``; integer sums wrap around in it, as in MXNet)."""
    x, ax = _flat_or_axis("cumsum", a, axis)
    dt = a.dtype if dtype is None else dtype_of(dtype)
    return jnp.cumsum(x, axis=ax, dtype=dt if jnp.issubdtype(dt, jnp.inexact) else None).astype(dt)
