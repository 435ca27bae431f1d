"""Reductions (sum, mean, max, min, prod, nansum, nanprod, norm, argmax, argmin) with MXNet's
``axis``/``keepdims``/``exclude`` and its (1,)-shaped full reductions."""

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
    def op(data: jax.Array, *, axis: Any = None, keepdims: bool = False, exclude: bool = False) -> jax.Array:
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
def norm(data: jax.Array, *, ord: int = 2, axis: Any = None, out_dtype: Any = None, keepdims: bool = False) -> jax.Array:
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
    def op(data: jax.Array, *, axis: Any = None, keepdims: bool = False) -> jax.Array:
        if axis is None:
            out = f(data.reshape(-1))
            out = out.reshape((1,) * data.ndim) if keepdims else out
        else:
            out = f(data, axis=norm_axis(name, axis, data.ndim), keepdims=keepdims)
        return legacy_shape(out.astype(jnp.float32))

    op.__name__ = name
    op.__doc__ = f"Index of the {name[3:]} along ``axis``, as float32 (MXNet's index dtype)."
    register(name, differentiable=False)(op)


_arg("argmax", jnp.argmax)
_arg("argmin", jnp.argmin)


@register("argmax_channel", differentiable=False)
def argmax_channel(data: jax.Array) -> jax.Array:
    """Argmax over the last axis, as float32."""
    return legacy_shape(jnp.argmax(data, axis=-1).astype(jnp.float32))
