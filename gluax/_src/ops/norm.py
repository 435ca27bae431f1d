"""Normalization operators: LayerNorm, InstanceNorm, GroupNorm, L2Normalization, LRN and
``contrib.SyncBatchNorm`` (registered as ``_contrib_SyncBatchNorm``).

BatchNorm itself lives with the other layer operators in ``nn.py``. Statistics are computed in
float32 for float16/bfloat16 data, and the output comes back in the data's dtype.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gluax._src.engine.base import OperatorError, check_shape
from gluax._src.engine.registry import register as _register
from gluax._src.ops._util import norm_axis
from gluax._src.ops.nn import batch_norm

_HALF = (jnp.float16, jnp.bfloat16)


def _upcast(data: jax.Array) -> jax.Array:
    return data.astype(jnp.float32) if data.dtype in _HALF else data


def _moments(x: jax.Array, axes: tuple[int, ...]) -> tuple[jax.Array, jax.Array]:
    """Mean and biased variance over ``axes`` (kept as size-1 axes)."""
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    return mean, var


def _along(v: jax.Array, axis: int, ndim: int, dtype: Any) -> jax.Array:
    """A (c,) vector shaped to broadcast along ``axis`` of an ``ndim``-D array."""
    return v.astype(dtype).reshape(tuple(-1 if i == axis else 1 for i in range(ndim)))


def _check_min_ndim(op: str, data: jax.Array, what: str) -> None:
    if data.ndim < 3:
        raise OperatorError(
            f"{op}: expected data with at least 3 dims ({what}), got shape {tuple(data.shape)}."
        )


@_register("LayerNorm")
def layer_norm(
    data: jax.Array,
    gamma: jax.Array,
    beta: jax.Array,
    *,
    axis: int = -1,
    eps: float = 1e-5,
    output_mean_var: bool = False,
) -> Any:
    """Layer normalization along ``axis``:
    ``out = (x - mean(x, axis)) / sqrt(var(x, axis) + eps) * gamma + beta``.

    ``gamma`` and ``beta`` have shape ``(data.shape[axis],)``; the variance is biased. With
    ``output_mean_var``, returns ``[out, mean, std]`` where mean and ``std = sqrt(var + eps)``
    keep ``axis`` with size 1; as in MXNet, no gradient flows back through them.

    Examples
    --------
    >>> import gluax as mx
    >>> x = mx.nd.array([[1.0, 2.0, 3.0]])
    >>> print(mx.nd.LayerNorm(x, mx.nd.ones(3), mx.nd.zeros(3), eps=0.0).asnumpy().round(4))
    [[-1.2247  0.      1.2247]]
    """
    ax = norm_axis("LayerNorm", axis, data.ndim)
    c = data.shape[ax]
    check_shape("LayerNorm", "gamma", tuple(gamma.shape), (c,))
    check_shape("LayerNorm", "beta", tuple(beta.shape), (c,))
    x = _upcast(data)
    mean, var = _moments(x, (ax,))
    std = jnp.sqrt(var + eps)
    out = (x - mean) / std * _along(gamma, ax, x.ndim, x.dtype) + _along(beta, ax, x.ndim, x.dtype)
    out = out.astype(data.dtype)
    if output_mean_var:
        return [out, lax.stop_gradient(mean), lax.stop_gradient(std)]
    return out


@_register("InstanceNorm")
def instance_norm(
    data: jax.Array, gamma: jax.Array, beta: jax.Array, *, eps: float = 1e-3
) -> jax.Array:
    """Instance normalization: each (sample, channel) map of ``data`` ``(N, C, *spatial)`` is
    normalized by its own mean and biased variance over the spatial axes,
    ``out = (x - mean) / sqrt(var + eps) * gamma + beta`` with ``gamma`` and ``beta`` of
    shape ``(C,)``. The same in training and inference.

    Notes
    -----
    MXNet 1.9.1 does not check the shapes of gamma and beta; gluax requires ``(C,)``.
    """
    _check_min_ndim("InstanceNorm", data, "batch, channel and spatial")
    c = data.shape[1]
    check_shape("InstanceNorm", "gamma", tuple(gamma.shape), (c,))
    check_shape("InstanceNorm", "beta", tuple(beta.shape), (c,))
    x = _upcast(data)
    mean, var = _moments(x, tuple(range(2, x.ndim)))
    out = (x - mean) * lax.rsqrt(var + eps)
    out = out * _along(gamma, 1, x.ndim, x.dtype) + _along(beta, 1, x.ndim, x.dtype)
    return out.astype(data.dtype)


@_register("GroupNorm")
def group_norm(
    data: jax.Array,
    gamma: jax.Array,
    beta: jax.Array,
    *,
    num_groups: int = 1,
    eps: float = 1e-5,
    output_mean_var: bool = False,
) -> Any:
    """Group normalization: the channels of ``data`` ``(N, C, *spatial)`` split into
    ``num_groups`` groups of ``C / num_groups``; each (sample, group) is normalized by its
    mean and biased variance, then scaled and shifted per group:
    ``out = (x - mean) / sqrt(var + eps) * gamma[g] + beta[g]``.

    ``gamma`` and ``beta`` have shape ``(num_groups,)``, as in MXNet 1.9 (MXNet 2 and other
    frameworks use one value per channel). With ``output_mean_var``, returns
    ``[out, mean, std]`` with mean and ``std = sqrt(var + eps)`` of shape
    ``(N, num_groups)``; no gradient flows back through them.
    """
    _check_min_ndim("GroupNorm", data, "batch, channel and spatial")
    n, c = data.shape[0], data.shape[1]
    if num_groups < 1 or c % num_groups:
        raise OperatorError(
            f"GroupNorm: num_groups={num_groups} must divide the {c} channels of data shape "
            f"{tuple(data.shape)}."
        )
    check_shape("GroupNorm", "gamma", tuple(gamma.shape), (num_groups,))
    check_shape("GroupNorm", "beta", tuple(beta.shape), (num_groups,))
    x = _upcast(data).reshape((n, num_groups, c // num_groups) + data.shape[2:])
    mean, var = _moments(x, tuple(range(2, x.ndim)))
    std = jnp.sqrt(var + eps)
    out = (x - mean) / std * _along(gamma, 1, x.ndim, x.dtype) + _along(beta, 1, x.ndim, x.dtype)
    out = out.reshape(data.shape).astype(data.dtype)
    if output_mean_var:
        stats = [lax.stop_gradient(s.reshape(n, num_groups)) for s in (mean, std)]
        return [out, *stats]
    return out


_L2_MODES = ("instance", "channel", "spatial")


@_register("L2Normalization")
def l2_normalization(data: jax.Array, *, eps: float = 1e-10, mode: str = "instance") -> jax.Array:
    """Divide ``data`` by its L2 norm, ``out = x / sqrt(sum(x ** 2) + eps)``, the sum running
    over, by ``mode``:

    - ``instance``: every axis but the first (each sample); for 1-D data, each element;
    - ``channel``: axis 1 (across channels, at each sample and position; 3 dims or more);
    - ``spatial``: axes 2 and beyond (each channel map of each sample; 3 dims or more).
    """
    if mode not in _L2_MODES:
        raise OperatorError(f"L2Normalization: mode must be one of {_L2_MODES}, got {mode!r}.")
    if mode == "instance":
        axes = tuple(range(1, data.ndim))
    else:
        if data.ndim < 3:
            raise OperatorError(
                f"L2Normalization: mode={mode!r} needs data with at least 3 dims, got shape "
                f"{tuple(data.shape)}."
            )
        axes = (1,) if mode == "channel" else tuple(range(2, data.ndim))
    x = _upcast(data)
    total = jnp.sum(jnp.square(x), axis=axes, keepdims=True)
    return (x * lax.rsqrt(total + eps)).astype(data.dtype)


@_register("LRN")
def lrn(
    data: jax.Array,
    *,
    alpha: float = 1e-4,
    beta: float = 0.75,
    knorm: float = 2.0,
    nsize: int,
) -> jax.Array:
    """Local response normalization across channels (axis 1):
    ``out[c] = x[c] / (knorm + alpha / nsize * sum(x[j] ** 2))**beta``, the sum running over
    the channels ``j`` with ``|j - c| <= (nsize - 1) // 2`` that exist.

    Notes
    -----
    For an even ``nsize`` the window holds ``nsize - 1`` channels while alpha is still divided
    by ``nsize``: that is what MXNet 1.9.1's CPU build computes. MXNet needs 4-D data; gluax
    accepts any data with a channel axis (2 dims or more).
    """
    if nsize < 1:
        raise OperatorError(f"LRN: nsize must be at least 1, got {nsize}.")
    if data.ndim < 2:
        raise OperatorError(
            f"LRN: expected data with a channel axis (at least 2 dims), got shape "
            f"{tuple(data.shape)}."
        )
    half = (nsize - 1) // 2
    x = _upcast(data)
    window = (1, 2 * half + 1) + (1,) * (x.ndim - 2)
    padding = [(0, 0), (half, half)] + [(0, 0)] * (x.ndim - 2)
    zero = np.array(0, x.dtype)
    total = lax.reduce_window(jnp.square(x), zero, lax.add, window, (1,) * x.ndim, padding)
    return (x * (knorm + (alpha / nsize) * total) ** (-beta)).astype(data.dtype)


@_register("_contrib_SyncBatchNorm", mode_dependent=True)
def sync_batch_norm(
    data: jax.Array,
    gamma: jax.Array,
    beta: jax.Array,
    moving_mean: jax.Array,
    moving_var: jax.Array,
    *,
    eps: float = 1e-3,
    momentum: float = 0.9,
    fix_gamma: bool = True,
    use_global_stats: bool = False,
    output_mean_var: bool = False,
    ndev: int = 1,
    key: str = "",
    axis_name: Any = None,
    training: bool,
) -> Any:
    """Batch normalization over axis 1 whose batch statistics cover the whole data-parallel
    batch (MXNet's ``contrib.SyncBatchNorm``); otherwise as ``BatchNorm``.

    Under ``jax.sharding`` (one program over a batch sharded across devices) the batch mean
    and variance are already those of the whole batch, and XLA inserts the cross-device
    reductions. Inside a per-device function (``shard_map``, ``pmap``, or ``jax.vmap`` over a
    device axis), pass that mapped axis as ``axis_name`` (gluax-only): the statistics are then
    averaged over it (equal per-device batches). ``ndev`` and ``key`` (MXNet's barrier size
    and name) are accepted and unused.
    """
    if axis_name is None or not training or use_global_stats:
        return batch_norm(
            data, gamma, beta, moving_mean, moving_var, eps=eps, fix_gamma=fix_gamma,
            use_global_stats=use_global_stats, output_mean_var=output_mean_var, axis=1,
            training=training,
        )  # fmt: skip
    x = _upcast(data)
    axes = tuple(i for i in range(x.ndim) if i != 1)
    try:
        mean = lax.pmean(jnp.mean(x, axis=axes), axis_name)
        bshape = (1, -1) + (1,) * (x.ndim - 2)
        var = lax.pmean(jnp.mean(jnp.square(x - mean.reshape(bshape)), axis=axes), axis_name)
    except NameError as e:
        raise OperatorError(
            f"SyncBatchNorm: axis_name={axis_name!r} is not a mapped axis here ({e}). Call the "
            "block's functional view under jax.vmap, shard_map or pmap with that axis_name, or "
            "leave axis_name=None."
        ) from None
    # The synchronized statistics enter as given statistics; their gradient still flows.
    return batch_norm(
        data, gamma, beta, mean.astype(moving_mean.dtype), var.astype(moving_var.dtype),
        eps=eps, fix_gamma=fix_gamma, use_global_stats=True, output_mean_var=output_mean_var,
        axis=1, training=training,
    )  # fmt: skip
