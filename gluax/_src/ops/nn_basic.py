"""Core neural-network operators: FullyConnected, Activation, softmax, log_softmax."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from gluax._src.engine.base import OperatorError, check_shape
from gluax._src.engine.registry import register
from gluax._src.ops._util import norm_axis


@register("FullyConnected")
def fully_connected(data: jax.Array, weight: jax.Array, bias: jax.Array | None = None, *, num_hidden: int, no_bias: bool = False, flatten: bool = True) -> jax.Array:
    """Affine map ``y = x W^T + b`` over the last axis (over all axes but the first when
    ``flatten``). ``weight`` is ``(num_hidden, in_units)``."""
    if data.dtype != weight.dtype:  # as MXNet: no silent casts of the input (docs/porting.md)
        raise OperatorError(
            f"FullyConnected: data has dtype {data.dtype.name}, the weight {weight.dtype.name}; "
            "cast the input (x.astype(...)) or the block (block.cast(...)) to match."
        )
    # the size, not -1: a zero-size batch has no -1 to solve for
    x = data.reshape(data.shape[0], math.prod(data.shape[1:])) if flatten else data
    check_shape("FullyConnected", "weight", tuple(weight.shape), (num_hidden, x.shape[-1]))
    # contract the weight's second axis in place: ``matmul(x, weight.T)`` made XLA CPU copy
    # the transposed weight on every call (9216->4096 at batch 1: ~20x slower, measured)
    y = lax.dot_general(x, weight, (((x.ndim - 1,), (1,)), ((), ())))
    if no_bias:
        return y
    if bias is None:
        raise OperatorError("FullyConnected: bias is required unless no_bias=True.")
    check_shape("FullyConnected", "bias", tuple(bias.shape), (num_hidden,))
    return y + bias


_ACT = {
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "softrelu": jax.nn.softplus,
    "softsign": jax.nn.soft_sign,
}


@register("Activation")
def activation(data: jax.Array, *, act_type: str) -> jax.Array:
    """Elementwise activation: ``relu``, ``sigmoid``, ``tanh``, ``softrelu`` (softplus) or
    ``softsign``."""
    f = _ACT.get(act_type)
    if f is None:
        raise OperatorError(f"Activation: unknown act_type {act_type!r}; expected one of {sorted(_ACT)}.")
    return f(data)


def _length_mask(data: jax.Array, length: jax.Array, axis: int) -> jax.Array:
    n = data.shape[axis]
    pos = jnp.arange(n).reshape([n if a == axis else 1 for a in range(data.ndim)])
    return pos < jnp.expand_dims(length.astype(jnp.int32), axis)


def _softmax_common(name: str, data: jax.Array, length: Any, axis: int, temperature: Any, dtype: Any, use_length: bool, log: bool) -> jax.Array:
    ax = norm_axis(name, axis, data.ndim)
    x = data if temperature is None else data / temperature
    if dtype is not None:
        x = x.astype(dtype)
    if use_length:
        if length is None:
            raise OperatorError(f"{name}: use_length=True needs a length input.")
        mask = _length_mask(x, length, ax)
        x = jnp.where(mask, x, -jnp.inf)
        out = jax.nn.log_softmax(x, axis=ax) if log else jax.nn.softmax(x, axis=ax)
        return jnp.where(mask, out, 0.0 if not log else -jnp.inf)
    return jax.nn.log_softmax(x, axis=ax) if log else jax.nn.softmax(x, axis=ax)


@register("softmax")
def softmax(data: jax.Array, length: jax.Array | None = None, *, axis: int = -1, temperature: float | None = None, dtype: Any = None, use_length: bool = False) -> jax.Array:
    """``exp(x / t) / sum(exp(x / t))`` along ``axis``."""
    return _softmax_common("softmax", data, length, axis, temperature, dtype, use_length, False)


@register("log_softmax")
def log_softmax(data: jax.Array, length: jax.Array | None = None, *, axis: int = -1, temperature: float | None = None, dtype: Any = None, use_length: bool = False) -> jax.Array:
    """``log(softmax(x))`` along ``axis``, computed stably."""
    return _softmax_common("log_softmax", data, length, axis, temperature, dtype, use_length, True)




@register("_loss_pick")
def loss_pick(data: jax.Array, index: jax.Array, *, axis: int = -1) -> jax.Array:
    """``data`` at ``index`` along ``axis`` (kept as a size-1 axis); indices are truncated
    toward zero and clipped to the valid range, as MXNet's ``pick``. Used by the losses."""
    ax = norm_axis("pick", axis, data.ndim)
    idx = jnp.clip(index.astype(jnp.int32), 0, data.shape[ax] - 1)
    if idx.ndim == data.ndim - 1:
        idx = jnp.expand_dims(idx, ax)
    return jnp.take_along_axis(data, idx.reshape(idx.shape), axis=ax)
