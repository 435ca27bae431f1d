"""Reductions (sum, mean, max, min, prod, nansum, nanprod, norm, argmax, argmin,
argmax_channel, moments) with MXNet's ``axis``/``keepdims``/``exclude`` and its (1,)-shaped
full reductions."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import legacy_shape, norm_axes, norm_axis

_REDUCE: dict[str, Callable[..., jax.Array]] = {
    "sum": jnp.sum,
    "mean": jnp.mean,
    "max": jnp.max,
    "min": jnp.min,
    "prod": jnp.prod,
    "nansum": jnp.nansum,
    "nanprod": jnp.nanprod,
}
_ALIASES = {"sum": ("sum_axis",), "max": ("max_axis",), "min": ("min_axis",)}


def _make_reduce(name: str, f: Callable[..., jax.Array]) -> None:
    def op(
        data: jax.Array, *, axis: Any = None, keepdims: bool = False, exclude: bool = False
    ) -> jax.Array:
        axes = norm_axes(name, axis, data.ndim, exclude)
        out = f(data, axis=axes, keepdims=keepdims)
        return legacy_shape(out.astype(data.dtype) if name in ("sum", "mean", "prod") else out)

    op.__name__ = name
    op.__doc__ = (
        f"``{name}`` over ``axis`` (None or () = all axes; ``exclude=True`` reduces over the "
        "other axes). A full reduction has shape (1,)."
    )
    register(name, aliases=_ALIASES.get(name, ()))(op)


for _n, _f in _REDUCE.items():
    _make_reduce(_n, _f)


@register("norm")
def norm(
    data: jax.Array,
    *,
    ord: int = 2,
    axis: Any = None,
    out_dtype: Any = None,
    keepdims: bool = False,
) -> jax.Array:
    """L1 or L2 norm over ``axis`` (default all elements, giving shape (1,))."""
    if ord not in (1, 2):
        raise OperatorError(f"norm: ord must be 1 or 2, got {ord}.")
    axes = norm_axes("norm", axis, data.ndim)
    if ord == 1:
        out = jnp.sum(jnp.abs(data), axis=axes, keepdims=keepdims)
    else:
        out = jnp.sqrt(jnp.sum(jnp.square(data), axis=axes, keepdims=keepdims))
    if out_dtype is not None:
        out = out.astype(out_dtype)
    return legacy_shape(out)


def _arg(name: str, f: Callable[..., jax.Array]) -> None:
    def op(data: jax.Array, *, axis: int | None = None, keepdims: bool = False) -> jax.Array:
        if axis is None:
            out = f(data.reshape(-1))
            out = out.reshape((1,) * data.ndim) if keepdims else out
        else:
            out = f(data, axis=norm_axis(name, axis, data.ndim), keepdims=keepdims)
        return legacy_shape(out.astype(data.dtype))

    op.__name__ = name
    op.__doc__ = (
        f"Index of the {name[3:]} along ``axis`` (of the flattened array when ``axis`` is None),"
        " in the dtype of ``data``, as MXNet: float32 indices for float32 data. A NaN counts as"
        " the extreme value; ties give the first index. Its gradient is zero, as in MXNet."
    )
    register(name)(op)


_arg("argmax", jnp.argmax)
_arg("argmin", jnp.argmin)


@register("argmax_channel", differentiable=False)
def argmax_channel(data: jax.Array) -> jax.Array:
    """Argmax over axis 1 (the channels of ``(N, C, ...)``), in the dtype of ``data``."""
    if data.ndim < 2:
        raise OperatorError(
            f"argmax_channel: expected at least 2 dims (N, C, ...), got shape {tuple(data.shape)}."
        )
    return jnp.argmax(data, axis=1).astype(data.dtype)


@register("moments")
def moments(data: jax.Array, *, axes: Any = None, keepdims: bool = False) -> list[jax.Array]:
    """Mean and (biased) variance over ``axes``, returned as ``[mean, var]``. As in MXNet,
    ``axes`` must be given (list every axis for global moments)."""
    if not axes and axes != 0:
        raise OperatorError(
            "moments: axes must be given (as in MXNet); pass every axis, e.g. "
            f"axes={tuple(range(data.ndim))}, for global moments."
        )
    ax = norm_axes("moments", axes, data.ndim)
    mean = jnp.mean(data, axis=ax, keepdims=True)
    var = jnp.mean(jnp.square(data - mean), axis=ax, keepdims=keepdims)
    mean = mean if keepdims else jnp.squeeze(mean, ax)
    return [legacy_shape(mean.astype(data.dtype)), legacy_shape(var.astype(data.dtype))]
