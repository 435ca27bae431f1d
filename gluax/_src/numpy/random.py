"""``mx.np.random`` and ``mx.npx.random`` with MXNet 1.9.1's signatures (``size``, ``dtype``,
``ctx``, ``out``), drawing from gluax's global key (``mx.random.seed``) eagerly and from the
call's key inside a hybridized block, like every random operator."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as onp

from gluax._src.engine import random as _engine_random
from gluax._src.engine.base import canonical_dtype
from gluax._src.engine.ndarray import NDArray
from gluax._src.numpy.multiarray import make_op, ndarray, run

_OPS: dict[str, Any] = {}


def _dtype(dtype: Any, default: str = "float32") -> str:
    name = default if dtype is None else canonical_dtype(dtype)
    return jax.dtypes.canonicalize_dtype(onp.dtype(name)).name


def _shape_of(p: Any) -> tuple[int, ...]:
    return tuple(p.shape) if isinstance(p, NDArray) else onp.shape(p)


def _size(size: Any, *params: Any) -> tuple[int, ...]:
    if size is None:
        return tuple(onp.broadcast_shapes(*(_shape_of(p) for p in params))) if params else ()
    if isinstance(size, (int, onp.integer)):
        return (int(size),)
    return tuple(int(s) for s in size)


def _param(p: Any) -> Any:
    if isinstance(p, (list, tuple)):
        return jnp.asarray(onp.asarray(p, dtype=onp.float32))
    return p


def _op(name: str, draw: Callable[..., Any], differentiable: bool = True) -> Any:
    op = _OPS.get(name)
    if op is None:
        def fn(key: Any, *params: Any, shape: Any, dtype: Any) -> Any:
            return draw(key, tuple(shape), jnp.dtype(dtype), *params)

        fn.__name__ = name
        op = _OPS[name] = make_op(f"random_{name}", fn, differentiable, random=True)
    return op


def _sample(name: str, draw: Callable[..., Any], params: tuple[Any, ...], size: Any,
            dtype: Any, ctx: Any, out: Any, differentiable: bool = True,
            default: str = "float32") -> ndarray:
    params = tuple(_param(p) for p in params)
    shape = _size(size, *params)
    kw: dict[str, Any] = {"shape": shape, "dtype": _dtype(dtype, default)}
    if ctx is not None:
        kw["ctx"] = ctx
    res = run(_op(name, draw, differentiable), *params, **kw)
    if out is not None:
        out._set_value(res._value.astype(out._value.dtype))
        return out
    return res


def _f(x: Any, dtype: Any) -> Any:
    return jnp.asarray(x, dtype)


def uniform(low: Any = 0.0, high: Any = 1.0, size: Any = None, dtype: Any = None,
            ctx: Any = None, out: Any = None) -> ndarray:
    """Samples from the uniform distribution on ``[low, high)``."""
    return _sample("uniform", lambda k, s, d, lo, hi: _f(lo, d) + (_f(hi, d) - _f(lo, d))
                   * jax.random.uniform(k, s, d), (low, high), size, dtype, ctx, out)


def normal(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = None,
           ctx: Any = None, out: Any = None) -> ndarray:
    """Samples from the normal distribution ``N(loc, scale**2)``."""
    return _sample("normal", lambda k, s, d, m, sd: _f(m, d) + _f(sd, d)
                   * jax.random.normal(k, s, d), (loc, scale), size, dtype, ctx, out)


def lognormal(mean: Any = 0.0, sigma: Any = 1.0, size: Any = None, dtype: Any = None,
              ctx: Any = None, out: Any = None) -> ndarray:
    """Samples of ``exp(N(mean, sigma**2))``."""
    return _sample("lognormal", lambda k, s, d, m, sd: jnp.exp(_f(m, d) + _f(sd, d)
                   * jax.random.normal(k, s, d)), (mean, sigma), size, dtype, ctx, out)


def randint(low: int, high: int | None = None, size: Any = None, dtype: Any = None,
            ctx: Any = None, out: Any = None) -> ndarray:
    """Random integers in ``[low, high)`` (``[0, low)`` when ``high`` is None); int32 unless
    jax runs with x64 (MXNet: int64)."""
    if high is None:
        low, high = 0, low
    lo, hi = int(low), int(high)
    if hi <= lo:
        raise ValueError(f"np.random.randint: high ({hi}) must be greater than low ({lo}).")
    return _sample(f"randint_{lo}_{hi}", lambda k, s, d: jax.random.randint(k, s, lo, hi, d),
                   (), size, dtype, ctx, out, differentiable=False, default="int64")


def rand(*size: int, **kwargs: Any) -> ndarray:
    """Uniform samples on ``[0, 1)`` of shape ``size``."""
    return uniform(size=size, **kwargs)


def randn(*size: int, **kwargs: Any) -> ndarray:
    """Standard normal samples of shape ``size``."""
    return normal(size=size, **kwargs)


def exponential(scale: Any = 1.0, size: Any = None, ctx: Any = None, out: Any = None) -> ndarray:
    """Samples from the exponential distribution with mean ``scale``."""
    return _sample("exponential", lambda k, s, d, b: _f(b, d) * jax.random.exponential(k, s, d),
                   (scale,), size, None, ctx, out)


def gamma(shape: Any, scale: Any = 1.0, size: Any = None, dtype: Any = None, ctx: Any = None,
          out: Any = None) -> ndarray:
    """Samples from the gamma distribution ``Gamma(shape, scale)``."""
    return _sample("gamma", lambda k, s, d, a, b: _f(b, d) * jax.random.gamma(
        k, jnp.broadcast_to(_f(a, d), s), s, d), (shape, scale), size, dtype, ctx, out)


def beta(a: Any, b: Any, size: Any = None, dtype: Any = None, ctx: Any = None) -> ndarray:
    """Samples from the beta distribution."""
    return _sample("beta", lambda k, s, d, x, y: jax.random.beta(
        k, _f(x, d), _f(y, d), s, d), (a, b), size, dtype, ctx, None)


def chisquare(df: Any, size: Any = None, dtype: Any = None, ctx: Any = None) -> ndarray:
    """Samples from the chi-square distribution with ``df`` degrees of freedom."""
    return _sample("chisquare", lambda k, s, d, n: jax.random.chisquare(k, _f(n, d), s, d),
                   (df,), size, dtype, ctx, None)


def gumbel(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, ctx: Any = None,
           out: Any = None) -> ndarray:
    """Samples from the Gumbel distribution."""
    return _sample("gumbel", lambda k, s, d, m, b: _f(m, d) + _f(b, d)
                   * jax.random.gumbel(k, s, d), (loc, scale), size, None, ctx, out)


def logistic(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, ctx: Any = None,
             out: Any = None) -> ndarray:
    """Samples from the logistic distribution."""
    return _sample("logistic", lambda k, s, d, m, b: _f(m, d) + _f(b, d)
                   * jax.random.logistic(k, s, d), (loc, scale), size, None, ctx, out)


def pareto(a: Any, size: Any = None, ctx: Any = None, out: Any = None) -> ndarray:
    """Samples from the Pareto II (Lomax) distribution, as NumPy's ``pareto``."""
    return _sample("pareto", lambda k, s, d, x: jax.random.pareto(k, _f(x, d), s, d) - 1,
                   (a,), size, None, ctx, out)


def power(a: Any, size: Any = None) -> ndarray:
    """Samples in ``[0, 1]`` from the power distribution with exponent ``a - 1``."""
    return _sample("power", lambda k, s, d, x: jax.random.uniform(k, s, d) ** (1 / _f(x, d)),
                   (a,), size, None, None, None)


def rayleigh(scale: Any = 1.0, size: Any = None, ctx: Any = None, out: Any = None) -> ndarray:
    """Samples from the Rayleigh distribution."""
    return _sample("rayleigh", lambda k, s, d, b: _f(b, d) * jax.random.rayleigh(k, 1.0, s, d),
                   (scale,), size, None, ctx, out)


def weibull(a: Any, size: Any = None, ctx: Any = None, out: Any = None) -> ndarray:
    """Samples from the Weibull distribution with shape ``a`` (scale 1)."""
    return _sample("weibull", lambda k, s, d, c: jax.random.weibull_min(k, 1.0, _f(c, d), s, d),
                   (a,), size, None, ctx, out)


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None, ctx: Any = None,
           out: Any = None) -> ndarray:
    """Samples from ``a`` (an int ``n`` means ``arange(n)``), with probabilities ``p``."""
    shape = _size(size)
    if isinstance(a, (int, onp.integer)):
        n = int(a)
        kind = f"choice_{n}_{replace}_{p is not None}"
        params: tuple[Any, ...] = () if p is None else (p,)
        return _sample(kind, lambda k, s, d, *pp: jax.random.choice(
            k, n, s, replace, pp[0] if pp else None).astype(d), params, shape, None, ctx, out,
            differentiable=False, default="int64")
    kind = f"choice_arr_{replace}_{p is not None}"
    params = (a,) if p is None else (a, p)
    res = _sample(kind, lambda k, s, d, x, *pp: jax.random.choice(
        k, x, s, replace, pp[0] if pp else None), params, shape, None, ctx, None,
        differentiable=False)
    if out is not None:
        out._set_value(res._value)
        return out
    return res


def multinomial(n: int, pvals: Any, size: Any = None, **kwargs: Any) -> ndarray:
    """Counts of ``n`` draws over ``len(pvals)`` outcomes, of shape ``size + (k,)``."""
    shape = _size(size)
    k = len(pvals) if not isinstance(pvals, NDArray) else pvals.shape[-1]
    n = int(n)

    def draw(key: Any, s: Any, d: Any, pv: Any) -> Any:
        idx = jax.random.categorical(key, jnp.log(pv), shape=s[:-1] + (n,))
        return jax.nn.one_hot(idx, k, dtype=d).sum(-2)

    return _sample(f"multinomial_{n}", draw, (pvals,), shape + (k,), "int32",
                   kwargs.get("ctx"), kwargs.get("out"), differentiable=False)


def multivariate_normal(mean: Any, cov: Any, size: Any = None, check_valid: Any = None,
                        tol: Any = None) -> ndarray:
    """Samples from the multivariate normal ``N(mean, cov)``, shape ``size + mean.shape``."""
    shape = _size(size) + _shape_of(mean)[-1:]
    return _sample("multivariate_normal", lambda k, s, d, m, c: jax.random.multivariate_normal(
        k, _f(m, d), _f(c, d), s[:-1], d), (mean, cov), shape, None, None, None)


_SHUFFLE = make_op("shuffle", lambda key, x: jax.random.permutation(key, x, axis=0),
                   differentiable=False, random=True)


def shuffle(x: NDArray) -> None:
    """Shuffle ``x`` in place along its first axis."""
    if not isinstance(x, NDArray):
        raise TypeError(f"np.random.shuffle: x must be an mx.np.ndarray, got {type(x).__name__}.")
    x._set_value(run(_SHUFFLE, x)._value)


# ---- mx.npx.random -------------------------------------------------------------------------
def bernoulli(prob: Any = None, logit: Any = None, size: Any = None, dtype: Any = None,
              ctx: Any = None, out: Any = None) -> ndarray:
    """0/1 samples that are 1 with probability ``prob`` (or ``sigmoid(logit)``)."""
    if (prob is None) == (logit is None):
        raise ValueError("npx.random.bernoulli: give exactly one of prob and logit.")
    if prob is not None:
        return _sample("bernoulli_p", lambda k, s, d, p: (jax.random.uniform(k, s) < p)
                       .astype(d), (prob,), size, dtype, ctx, out, differentiable=False)
    return _sample("bernoulli_l", lambda k, s, d, lg: (jax.random.uniform(k, s)
                   < jax.nn.sigmoid(lg)).astype(d), (logit,), size, dtype, ctx, out,
                   differentiable=False)


def _batch(batch_shape: Any, *params: Any) -> tuple[int, ...]:
    b = () if batch_shape is None else _size(batch_shape)
    return b + tuple(onp.broadcast_shapes(*(_shape_of(_param(p)) for p in params)))


def normal_n(loc: Any = 0.0, scale: Any = 1.0, batch_shape: Any = None, dtype: Any = None,
             ctx: Any = None) -> ndarray:
    """Normal samples of shape ``batch_shape + broadcast(loc, scale).shape``."""
    return normal(loc, scale, _batch(batch_shape, loc, scale), dtype, ctx)


def uniform_n(low: Any = 0.0, high: Any = 1.0, batch_shape: Any = None, dtype: Any = None,
              ctx: Any = None) -> ndarray:
    """Uniform samples of shape ``batch_shape + broadcast(low, high).shape``."""
    return uniform(low, high, _batch(batch_shape, low, high), dtype, ctx)


def seed(seed: int, ctx: Any = "all") -> None:
    """Seed gluax's global generator (same as ``mx.random.seed``)."""
    _engine_random.seed(seed, ctx)


