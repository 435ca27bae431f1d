"""Matrix products: ``dot`` (tensordot on N-D inputs, as MXNet) and ``batch_dot``."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import legacy_shape


@register("dot")
def dot(lhs: jax.Array, rhs: jax.Array, *, transpose_a: bool = False, transpose_b: bool = False, forward_stype: str | None = None) -> jax.Array:
    """Contract the last axis of ``lhs`` (first with ``transpose_a``) with the first axis of
    ``rhs`` (last with ``transpose_b``); for N-D inputs this is a tensordot, not a batched
    matmul: ``(2, 3, 4) . (4, 5) -> (2, 3, 5)``."""
    la = 0 if transpose_a else lhs.ndim - 1
    ra = rhs.ndim - 1 if transpose_b else 0
    if lhs.shape[la] != rhs.shape[ra]:
        raise OperatorError(
            f"dot: shapes {tuple(lhs.shape)} and {tuple(rhs.shape)} do not match for "
            f"transpose_a={transpose_a}, transpose_b={transpose_b} ({lhs.shape[la]} vs {rhs.shape[ra]})."
        )
    if lhs.ndim == 1 and rhs.ndim == 1:
        return legacy_shape(jnp.dot(lhs, rhs))
    return legacy_shape(jnp.tensordot(lhs, rhs, axes=([la], [ra])))


@register("batch_dot")
def batch_dot(lhs: jax.Array, rhs: jax.Array, *, transpose_a: bool = False, transpose_b: bool = False, forward_stype: str | None = None) -> jax.Array:
    """Batched matrix product of ``(B, M, K)`` and ``(B, K, N)`` arrays."""
    if lhs.ndim != 3 or rhs.ndim != 3 or lhs.shape[0] != rhs.shape[0]:
        raise OperatorError(
            f"batch_dot: expected two 3-D arrays with the same batch size, got shapes "
            f"{tuple(lhs.shape)} and {tuple(rhs.shape)}."
        )
    a = jnp.swapaxes(lhs, 1, 2) if transpose_a else lhs
    b = jnp.swapaxes(rhs, 1, 2) if transpose_b else rhs
    if a.shape[2] != b.shape[1]:
        raise OperatorError(
            f"batch_dot: inner sizes differ: {tuple(lhs.shape)} and {tuple(rhs.shape)} with "
            f"transpose_a={transpose_a}, transpose_b={transpose_b}."
        )
    return jnp.matmul(a, b)
