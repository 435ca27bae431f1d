"""``mx.nd.random``'s remaining samplers: the Python functions ``gamma``, ``poisson``,
``negative_binomial``, ``generalized_negative_binomial`` and ``multinomial`` (which pick the
scalar-parameter ``_random_X`` or the array-parameter ``_sample_X`` operator as MXNet does),
and the ``_random_X_like`` operators, which draw samples of an input's shape and dtype.

Only MXNet's distributions are reproduced, not its numbers (gluax draws from JAX keys).
"""

from __future__ import annotations

from typing import Any

import jax

from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.registry import call, register
from gluax._src.ops.random_ops import _gamma, _gen_neg_binomial, _neg_binomial, _poisson

# ---- X_like: samples shaped like `data`, in its dtype ------------------------------------------


@register("_random_uniform_like", random=True, differentiable=False)
def _uniform_like(key: jax.Array, data: jax.Array, *, low: float = 0.0, high: float = 1.0) -> jax.Array:
    """Uniform samples on ``[low, high)`` with the shape and dtype of ``data``."""
    return jax.random.uniform(key, data.shape, data.dtype, low, high)


@register("_random_normal_like", random=True, differentiable=False)
def _normal_like(key: jax.Array, data: jax.Array, *, loc: float = 0.0, scale: float = 1.0) -> jax.Array:
    """Normal samples (mean ``loc``, standard deviation ``scale``) shaped like ``data``."""
    return (loc + scale * jax.random.normal(key, data.shape, data.dtype)).astype(data.dtype)


@register("_random_exponential_like", random=True, differentiable=False)
def _exponential_like(key: jax.Array, data: jax.Array, *, lam: float = 1.0) -> jax.Array:
    """Exponential samples with rate ``lam`` shaped like ``data``."""
    return (jax.random.exponential(key, data.shape, data.dtype) / lam).astype(data.dtype)


@register("_random_gamma_like", random=True, differentiable=False)
def _gamma_like(key: jax.Array, data: jax.Array, *, alpha: float = 1.0, beta: float = 1.0) -> jax.Array:
    """Gamma samples (shape ``alpha``, scale ``beta``) shaped like ``data``."""
    return _gamma(key, alpha, beta, data.shape, data.dtype).astype(data.dtype)


@register("_random_poisson_like", random=True, differentiable=False)
def _poisson_like(key: jax.Array, data: jax.Array, *, lam: float = 1.0) -> jax.Array:
    """Poisson samples with rate ``lam`` shaped like ``data`` (counts in its dtype)."""
    return _poisson(key, lam, data.shape).astype(data.dtype)


@register("_random_negative_binomial_like", random=True, differentiable=False)
def _negative_binomial_like(key: jax.Array, data: jax.Array, *, k: int = 1, p: float = 1.0) -> jax.Array:
    """Negative binomial samples (failures before the ``k``-th success) shaped like ``data``."""
    return _neg_binomial(key, float(k), p, data.shape, data.dtype)


@register("_random_generalized_negative_binomial_like", random=True, differentiable=False)
def _generalized_negative_binomial_like(
    key: jax.Array, data: jax.Array, *, mu: float = 1.0, alpha: float = 1.0
) -> jax.Array:
    """Generalized negative binomial samples (mean ``mu``, variance ``mu + alpha mu^2``)
    shaped like ``data``."""
    return _gen_neg_binomial(key, mu, alpha, data.shape, data.dtype)


# ---- Python samplers dispatching on scalar or array parameters ---------------------------------


def _draw(name: str, params: dict[str, Any], shape: Any, dtype: Any, ctx: Any, out: Any) -> NDArray:
    arrays = [v for v in params.values() if isinstance(v, NDArray)]
    if arrays:
        if len(arrays) != len(params):
            raise TypeError(
                f"random.{name}: the distribution parameters {sorted(params)} must be all "
                f"numbers or all NDArrays, got {[type(v).__name__ for v in params.values()]}."
            )
        return call(
            f"_sample_{name}",
            *params.values(),
            shape=() if shape is None else shape,
            dtype=dtype,
            out=out,
        )
    return call(
        f"_random_{name}",
        **params,
        shape=(1,) if shape is None else shape,
        dtype=dtype,
        ctx=ctx,
        out=out,
    )


def gamma(alpha: Any = 1, beta: Any = 1, shape: Any = None, dtype: Any = None, ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Samples from a gamma distribution with shape ``alpha`` and scale ``beta``.

    Parameters
    ----------
    alpha, beta : float or NDArray
        Numbers give ``shape`` draws (``(1,)`` by default); NDArrays (of one shape) give
        ``shape`` draws per element, an output of shape ``alpha.shape + shape``.
    shape : int or tuple of int, optional
    dtype : str, default float32
    ctx : Context, optional (scalar parameters only)
    out : NDArray, optional

    Examples
    --------
    >>> mx.nd.random.gamma(2, 3, shape=(2, 2)).shape
    (2, 2)
    >>> mx.nd.random.gamma(mx.nd.array([1, 2]), mx.nd.array([1, 1]), shape=3).shape
    (2, 3)
    """
    return _draw("gamma", {"alpha": alpha, "beta": beta}, shape, dtype, ctx, out)


def poisson(lam: Any = 1, shape: Any = None, dtype: Any = None, ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Samples from a Poisson distribution with rate ``lam`` (counts, as floats); arguments
    as in :func:`gamma`."""
    return _draw("poisson", {"lam": lam}, shape, dtype, ctx, out)


def negative_binomial(k: Any = 1, p: Any = 1, shape: Any = None, dtype: Any = None, ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Samples from a negative binomial distribution: failures before the ``k``-th success
    with success probability ``p``; arguments as in :func:`gamma`."""
    return _draw("negative_binomial", {"k": k, "p": p}, shape, dtype, ctx, out)


def generalized_negative_binomial(mu: Any = 1, alpha: Any = 1, shape: Any = None, dtype: Any = None, ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Samples from a generalized negative binomial distribution with mean ``mu`` and
    variance ``mu + alpha * mu**2``; arguments as in :func:`gamma`."""
    return _draw("generalized_negative_binomial", {"mu": mu, "alpha": alpha}, shape, dtype, ctx, out)


def multinomial(data: NDArray, shape: Any = None, get_prob: bool = False, out: Any = None, dtype: Any = "int32", **kwargs: Any) -> Any:
    """Category indices drawn from the distributions on the last axis of ``data``.

    Parameters
    ----------
    data : NDArray
        Probabilities (summing to 1 on the last axis).
    shape : int or tuple of int, optional
        Draws per distribution; the output has shape ``data.shape[:-1] + shape``.
    get_prob : bool, default False
        Also return the log-probability of each draw (differentiable with respect to
        ``data``, for REINFORCE-style gradients).
    dtype : str, default 'int32'

    Examples
    --------
    >>> mx.nd.random.multinomial(mx.nd.array([[0.2, 0.8], [0.5, 0.5]])).shape
    (2,)
    """
    if not isinstance(data, NDArray):
        raise TypeError(f"random.multinomial: data must be an NDArray, got {type(data).__name__}.")
    return call(
        "_sample_multinomial", data, shape=() if shape is None else shape, get_prob=get_prob, dtype=dtype, out=out
    )


__all__ = ["gamma", "poisson", "negative_binomial", "generalized_negative_binomial", "multinomial"]
