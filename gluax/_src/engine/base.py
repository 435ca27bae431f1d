"""Errors and small checks shared by every tier."""

from __future__ import annotations

from typing import Any

import numpy as np


class MXNetError(RuntimeError):
    """The error MXNet raises from its backend; a ``RuntimeError`` as in MXNet."""


class OperatorError(MXNetError, ValueError):
    """Bad input to an operator: both ``MXNetError`` (as in MXNet) and ``ValueError``."""


class DeferredInitializationError(MXNetError):
    """A parameter's shape is not known yet; it is resolved by the first forward pass."""


def check_shape(where: str, what: str, got: tuple[int, ...], expected: tuple[int, ...]) -> None:
    """Raise ``OperatorError`` when ``got`` differs from ``expected`` (0 in expected = any)."""
    if len(got) != len(expected) or any(e not in (0, g) for g, e in zip(got, expected)):
        raise OperatorError(f"{where}: expected {what} of shape {expected!r}, got {got!r}.")


def canonical_dtype(dtype: Any) -> str:
    """Name of a dtype as numpy spells it ('float32'); accepts strings, numpy types, dtypes."""
    if dtype is None:
        return "float32"
    if isinstance(dtype, str) and dtype == "bfloat16":
        return "bfloat16"
    try:
        return np.dtype(dtype).name
    except TypeError:
        name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None)
        if name == "bfloat16":
            return "bfloat16"
        raise TypeError(f"Unsupported dtype {dtype!r}.") from None


def np_dtype_type(name: str) -> Any:
    """The numpy scalar type MXNet reports as ``NDArray.dtype`` (e.g. ``numpy.float32``)."""
    if name == "bfloat16":
        import jax.numpy as jnp

        return jnp.bfloat16
    return np.dtype(name).type
