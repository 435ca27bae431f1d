"""Helpers shared by operator definitions."""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine.base import OperatorError


def legacy_shape(x: jax.Array) -> jax.Array:
    """MXNet 1.x NDArrays have no 0-d form: a 0-d result becomes shape (1,)."""
    return x.reshape(1) if x.ndim == 0 else x


def norm_axis(op: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise OperatorError(f"{op}: axis {axis} is out of range for an input with {ndim} dims.")
    return axis % max(ndim, 1)


def norm_axes(op: str, axis: Any, ndim: int, exclude: bool = False) -> tuple[int, ...]:
    """Axes for a reduction: None or () means all axes (with or without ``exclude``, as in
    MXNet); otherwise ``exclude`` inverts the set."""
    if axis is None or axis == ():
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    axes = tuple(sorted({norm_axis(op, int(a), ndim) for a in axis}))
    if exclude:
        axes = tuple(a for a in range(ndim) if a not in axes)
    return axes


def is_weak_scalar(x: Any) -> bool:
    """A Python number (or a weakly typed 0-d value it became inside jit)."""
    if isinstance(x, (int, float, bool)):
        return True
    return getattr(x, "weak_type", False) and jnp.ndim(x) == 0


def match_scalar(lhs: Any, rhs: Any) -> tuple[Any, Any]:
    """MXNet casts a scalar operand to the array's dtype (``int_array * 0.5`` stays int)."""
    if is_weak_scalar(rhs) and not is_weak_scalar(lhs):
        rhs = jnp.asarray(rhs).astype(jnp.result_type(lhs))
    elif is_weak_scalar(lhs) and not is_weak_scalar(rhs):
        lhs = jnp.asarray(lhs).astype(jnp.result_type(rhs))
    return lhs, rhs


def dtype_of(name: Any) -> Any:
    """The jax dtype for an MXNet dtype name (float32 for None). Without jax's 64-bit mode,
    int64/float64 become int32/float32 (silently, where ``astype`` would warn)."""
    if name is None:
        return jnp.float32
    return jax.dtypes.canonicalize_dtype(jnp.dtype(name))


def as_tuple(v: Any, n: int | None = None) -> tuple[int, ...]:
    if v is None:
        return ()
    if isinstance(v, (int, np.integer)):
        return (int(v),) * (n or 1)
    return tuple(int(x) for x in v)


def check_ndim(op: str, name: str, x: jax.Array, ndims: Sequence[int]) -> None:
    if x.ndim not in ndims:
        exp = " or ".join(str(n) for n in ndims)
        raise OperatorError(f"{op}: expected {name} with {exp} dims, got shape {tuple(x.shape)}.")
