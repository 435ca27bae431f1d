"""Random samplers beyond ``creation.py``'s uniform/normal/randint/exponential: gamma, Poisson,
negative binomial, generalized negative binomial (``_random_*``, scalar parameters, output
``shape``), the ``_sample_*`` family (array parameters: one draw of ``shape`` per parameter
element) and ``_sample_multinomial``.

Each takes a key drawn by the engine (a fresh split per eager call; a traced argument inside
a hybridized block), so MXNet's numbers are not reproduced, only its distributions. Counts
(Poisson, negative binomial) come back as floats, as in MXNet.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import as_tuple, dtype_of


def _out_dtype(dtype: Any) -> Any:
    return dtype_of(None if dtype in (None, "None") else dtype)


def _gamma(key: jax.Array, alpha: Any, scale: Any, shape: tuple[int, ...], dt: Any) -> jax.Array:
    return jax.random.gamma(key, jnp.broadcast_to(alpha, shape).astype(dt), shape, dt) * scale


def _poisson(key: jax.Array, lam: Any, shape: tuple[int, ...]) -> jax.Array:
    return jax.random.poisson(key, jnp.broadcast_to(lam, shape), shape).astype(jnp.float32)


def _neg_binomial(key: jax.Array, k: Any, p: Any, shape: tuple[int, ...], dt: Any) -> jax.Array:
    # Failures before the k-th success with success probability p: a Gamma-Poisson mixture.
    kg, kp = jax.random.split(key)
    lam = _gamma(kg, k, (1.0 - p) / p, shape, jnp.float32)
    return _poisson(kp, lam, shape).astype(dt)


def _gen_neg_binomial(
    key: jax.Array, mu: Any, alpha: Any, shape: tuple[int, ...], dt: Any
) -> jax.Array:
    # Mean mu, variance mu + alpha mu^2; alpha = 0 is Poisson(mu).
    kg, kp = jax.random.split(key)
    a = jnp.broadcast_to(jnp.asarray(alpha, jnp.float32), shape)
    safe = jnp.where(a > 0, a, 1.0)
    lam = jnp.where(
        a > 0,
        _gamma(kg, 1.0 / safe, safe * mu, shape, jnp.float32),
        jnp.broadcast_to(jnp.asarray(mu, jnp.float32), shape),
    )
    return _poisson(kp, lam, shape).astype(dt)


@register("_random_gamma", aliases=("random_gamma",), random=True, differentiable=False)
def random_gamma(
    key: jax.Array, *, alpha: float = 1.0, beta: float = 1.0, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Gamma samples with shape ``alpha`` and scale ``beta`` (mean ``alpha * beta``)."""
    dt = _out_dtype(dtype)
    return _gamma(key, alpha, beta, as_tuple(shape), dt).astype(dt)


@register("_random_poisson", aliases=("random_poisson",), random=True, differentiable=False)
def random_poisson(
    key: jax.Array, *, lam: float = 1.0, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Poisson samples with rate ``lam``, as floats."""
    return _poisson(key, lam, as_tuple(shape)).astype(_out_dtype(dtype))


@register(
    "_random_negative_binomial",
    aliases=("random_negative_binomial",),
    random=True,
    differentiable=False,
)
def random_negative_binomial(
    key: jax.Array, *, k: int = 1, p: float = 1.0, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Negative binomial samples: failures before the ``k``-th success with success
    probability ``p`` (mean ``k (1 - p) / p``), as floats."""
    return _neg_binomial(key, float(k), p, as_tuple(shape), _out_dtype(dtype))


@register(
    "_random_generalized_negative_binomial",
    aliases=("random_generalized_negative_binomial",),
    random=True,
    differentiable=False,
)
def random_generalized_negative_binomial(
    key: jax.Array, *, mu: float = 1.0, alpha: float = 1.0, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Generalized negative binomial samples with mean ``mu`` and variance
    ``mu + alpha * mu^2``, as floats."""
    return _gen_neg_binomial(key, mu, alpha, as_tuple(shape), _out_dtype(dtype))


# ---- _sample_*: one set of `shape` draws per element of the parameter arrays ---------------


def _sample_shape(
    op: str, params: tuple[jax.Array, ...], shape: Any
) -> tuple[tuple[int, ...], list[jax.Array]]:
    base = tuple(params[0].shape)
    if any(tuple(p.shape) != base for p in params):
        raise OperatorError(
            f"{op}: the parameter arrays must have the same shape, got {[tuple(p.shape) for p in params]}."
        )
    extra = as_tuple(shape)
    out = base + extra
    return out, [p.reshape(base + (1,) * len(extra)) for p in params]


@register("_sample_uniform", aliases=("sample_uniform",), random=True, differentiable=False)
def sample_uniform(
    key: jax.Array, low: jax.Array, high: jax.Array, *, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Uniform samples on ``[low, high)`` per element of ``low``/``high``: output shape
    ``low.shape + shape``."""
    out, (lo, hi) = _sample_shape("sample_uniform", (low, high), shape)
    dt = _out_dtype(dtype)
    return (lo + (hi - lo) * jax.random.uniform(key, out, dt)).astype(dt)


@register("_sample_normal", aliases=("sample_normal",), random=True, differentiable=False)
def sample_normal(
    key: jax.Array, mu: jax.Array, sigma: jax.Array, *, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Normal samples with mean ``mu`` and standard deviation ``sigma`` per element."""
    out, (m, s) = _sample_shape("sample_normal", (mu, sigma), shape)
    dt = _out_dtype(dtype)
    return (m + s * jax.random.normal(key, out, dt)).astype(dt)


@register("_sample_gamma", aliases=("sample_gamma",), random=True, differentiable=False)
def sample_gamma(
    key: jax.Array, alpha: jax.Array, beta: jax.Array, *, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Gamma samples with shape ``alpha`` and scale ``beta`` per element."""
    out, (a, b) = _sample_shape("sample_gamma", (alpha, beta), shape)
    dt = _out_dtype(dtype)
    return _gamma(key, a, b, out, dt).astype(dt)


@register("_sample_exponential", aliases=("sample_exponential",), random=True, differentiable=False)
def sample_exponential(
    key: jax.Array, lam: jax.Array, *, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Exponential samples with rate ``lam`` (mean ``1 / lam``) per element."""
    out, (r,) = _sample_shape("sample_exponential", (lam,), shape)
    dt = _out_dtype(dtype)
    return (jax.random.exponential(key, out, dt) / r).astype(dt)


@register("_sample_poisson", aliases=("sample_poisson",), random=True, differentiable=False)
def sample_poisson(
    key: jax.Array, lam: jax.Array, *, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Poisson samples with rate ``lam`` per element, as floats."""
    out, (r,) = _sample_shape("sample_poisson", (lam,), shape)
    return _poisson(key, r, out).astype(_out_dtype(dtype))


@register(
    "_sample_negative_binomial",
    aliases=("sample_negative_binomial",),
    random=True,
    differentiable=False,
)
def sample_negative_binomial(
    key: jax.Array, k: jax.Array, p: jax.Array, *, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Negative binomial samples (failures before the ``k``-th success, success probability
    ``p``) per element, as floats."""
    out, (kk, pp) = _sample_shape("sample_negative_binomial", (k, p), shape)
    return _neg_binomial(key, kk.astype(jnp.float32), pp, out, _out_dtype(dtype))


@register(
    "_sample_generalized_negative_binomial",
    aliases=("sample_generalized_negative_binomial",),
    random=True,
    differentiable=False,
)
def sample_generalized_negative_binomial(
    key: jax.Array, mu: jax.Array, alpha: jax.Array, *, shape: Any = (), dtype: Any = None
) -> jax.Array:
    """Generalized negative binomial samples (mean ``mu``, variance ``mu + alpha mu^2``) per
    element, as floats."""
    out, (m, a) = _sample_shape("sample_generalized_negative_binomial", (mu, alpha), shape)
    return _gen_neg_binomial(key, m, a, out, _out_dtype(dtype))


@register("_sample_multinomial", aliases=("sample_multinomial",), random=True)
def sample_multinomial(
    key: jax.Array,
    data: jax.Array,
    *,
    shape: Any = (),
    get_prob: bool = False,
    dtype: Any = "int32",
) -> Any:
    """Category indices drawn from the distributions on the last axis of ``data`` (which sum
    to 1): output ``data.shape[:-1] + shape``. With ``get_prob``, also the log-probability
    of each draw, differentiable with respect to ``data``."""
    extra = as_tuple(shape)
    batch = tuple(data.shape[:-1])
    logits = jnp.log(jax.lax.stop_gradient(data)).reshape(
        batch + (1,) * len(extra) + data.shape[-1:]
    )
    idx = jax.random.categorical(key, logits, axis=-1, shape=batch + extra)
    out = idx.astype(dtype_of(dtype))
    if not get_prob:
        return out
    probs = data.reshape(batch + (1,) * len(extra) + data.shape[-1:])
    probs = jnp.broadcast_to(probs, batch + extra + data.shape[-1:])
    return [out, jnp.log(jnp.take_along_axis(probs, idx[..., None], axis=-1)[..., 0])]
