"""Array creation and random sampling (``nd.zeros``, ``nd.arange``, ``nd.random.uniform``...).

The registered operators (``_zeros``, ``_random_uniform``, ...) take no array input, so the
registry places their result on the requested context. The public wrappers keep MXNet's
positional order (``zeros(shape, ctx, dtype)``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine.base import OperatorError, canonical_dtype
from gluax._src.engine.context import as_context
from gluax._src.engine.ndarray import NDArray, host_to_device
from gluax._src.engine.registry import call, register
from gluax._src.ops._util import dtype_of


def _dim(shape: Any, d: Any) -> int:
    """One dimension of a shape: an integer (or an integral float), never truncated."""
    if isinstance(d, (int, np.integer)) and not isinstance(d, bool):
        return int(d)
    if isinstance(d, (float, np.floating)) and float(d).is_integer():
        return int(d)
    raise OperatorError(f"shape {shape!r}: expected integer dimensions, got {d!r}.")


def _shape(shape: Any) -> tuple[int, ...]:
    if shape is None:
        return ()
    dims = (_dim(shape, shape),) if not hasattr(shape, "__iter__") else tuple(
        _dim(shape, s) for s in shape
    )
    if any(d < 0 for d in dims):
        raise OperatorError(f"shape {shape!r}: dimensions must not be negative.")
    size = 1
    for d in dims:
        size *= d
    if size >= 2**62:
        raise OperatorError(f"shape {shape!r}: {size} elements is more than any device holds.")
    return dims


@register("_zeros", differentiable=False)
def _zeros(*, shape: Any, dtype: Any = "float32") -> jax.Array:
    return jnp.zeros(_shape(shape), dtype_of(dtype))


@register("_ones", differentiable=False)
def _ones(*, shape: Any, dtype: Any = "float32") -> jax.Array:
    return jnp.ones(_shape(shape), dtype_of(dtype))


@register("_full", differentiable=False)
def _full(*, shape: Any, value: float, dtype: Any = "float32") -> jax.Array:
    return jnp.full(_shape(shape), value, dtype_of(dtype))


@register("_eye", differentiable=False)
def _eye(*, N: int, M: int = 0, k: int = 0, dtype: Any = "float32") -> jax.Array:
    return jnp.eye(N, M or N, k, dtype=dtype_of(dtype))


@register("_arange", differentiable=False)
def _arange(*, start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1, infer_range: bool = False, dtype: Any = "float32") -> jax.Array:
    if stop is None:
        start, stop = 0.0, start
    n = int(np.ceil((stop - start) / step))
    out = (start + step * np.arange(max(n, 0), dtype=np.float64)).astype(canonical_dtype(dtype or "float32"))
    if repeat > 1:
        out = np.repeat(out, repeat)
    return jnp.asarray(out)


@register("_linspace", differentiable=False)
def _linspace(*, start: float, stop: float, num: int, endpoint: bool = True, dtype: Any = "float32") -> jax.Array:
    return jnp.linspace(start, stop, num, endpoint=endpoint, dtype=dtype_of(dtype))


def _sample_shape(op: str, params: list[Any], shape: Any) -> tuple[int, ...]:
    shp = _shape(shape)
    ps = [p for p in params if jnp.ndim(p) > 0]
    if not ps:
        return shp
    base = tuple(ps[0].shape)
    if any(tuple(p.shape) != base for p in ps):
        raise OperatorError(f"{op}: distribution parameters must have the same shape, got {[tuple(p.shape) for p in ps]}.")
    return base + shp


def _bcast(p: Any, out_shape: tuple[int, ...]) -> Any:
    if jnp.ndim(p) == 0:
        return p
    return jnp.reshape(p, tuple(p.shape) + (1,) * (len(out_shape) - jnp.ndim(p)))


def _draw(sampler: Any, key: jax.Array, shape: tuple[int, ...], dtype: Any) -> jax.Array:
    """``sampler(key, shape, dtype)`` drawn as one flat vector and reshaped: the same values
    (JAX's counter-based bits are laid out in row-major order), but XLA compiles the flat
    draw several times faster than a 4-d one, which is most of what initializing a
    convolutional network costs."""
    return sampler(key, (int(np.prod(shape)),), dtype).reshape(shape)


@register("_random_uniform", random=True, differentiable=False)
def _random_uniform(key: jax.Array, low: Any = 0.0, high: Any = 1.0, *, shape: Any = (), dtype: Any = "float32") -> jax.Array:
    """Uniform samples on ``[low, high)``; array parameters give one set of ``shape`` draws
    per element."""
    # nd.uniform / nd.random_uniform (MXNet's aliases of this operator) pass None for bounds
    # not given.
    low, high = 0.0 if low is None else low, 1.0 if high is None else high
    dtype = "float32" if dtype is None else dtype
    out_shape = _sample_shape("uniform", [low, high], shape)
    u = _draw(jax.random.uniform, key, out_shape, dtype_of(dtype))
    lo, hi = _bcast(low, out_shape), _bcast(high, out_shape)
    return (lo + (hi - lo) * u).astype(dtype_of(dtype))


@register("_random_normal", random=True, differentiable=False)
def _random_normal(key: jax.Array, loc: Any = 0.0, scale: Any = 1.0, *, shape: Any = (), dtype: Any = "float32") -> jax.Array:
    """Normal samples with mean ``loc`` and standard deviation ``scale``; array parameters
    give one set of ``shape`` draws per element."""
    loc, scale = 0.0 if loc is None else loc, 1.0 if scale is None else scale
    dtype = "float32" if dtype is None else dtype
    out_shape = _sample_shape("normal", [loc, scale], shape)
    z = _draw(jax.random.normal, key, out_shape, dtype_of(dtype))
    return (_bcast(loc, out_shape) + _bcast(scale, out_shape) * z).astype(dtype_of(dtype))


@register("_random_randint", random=True, differentiable=False)
def _random_randint(key: jax.Array, *, low: int, high: int, shape: Any = (), dtype: Any = "int32") -> jax.Array:
    """Integers drawn uniformly from ``[low, high)``."""
    return jax.random.randint(key, _shape(shape), low, high, dtype_of(dtype))


@register("_random_exponential", random=True, differentiable=False)
def _random_exponential(key: jax.Array, lam: Any = 1.0, *, shape: Any = (), dtype: Any = "float32") -> jax.Array:
    """Exponential samples with rate ``lam`` (mean ``1 / lam``)."""
    lam, dtype = 1.0 if lam is None else lam, "float32" if dtype is None else dtype
    out_shape = _sample_shape("exponential", [lam], shape)
    return (jax.random.exponential(key, out_shape, dtype_of(dtype)) / _bcast(lam, out_shape)).astype(dtype_of(dtype))


@register("_shuffle", random=True, differentiable=False)
def _shuffle(key: jax.Array, data: jax.Array) -> jax.Array:
    """A random permutation of ``data`` along its first axis."""
    return jax.random.permutation(key, data, axis=0)


# ---- public wrappers (MXNet's argument order) ----------------------------------------------


def array(source_array: Any, ctx: Any = None, dtype: Any = None) -> NDArray:
    """An NDArray from any array-like. The dtype defaults to float32 unless the source is an
    NDArray (then its dtype is kept), as in MXNet: ``nd.array([1, 2]).dtype`` is float32."""
    if isinstance(source_array, NDArray):
        dtype = source_array.dtype if dtype is None else dtype
        source_array = source_array._value
    dt = canonical_dtype(dtype if dtype is not None else "float32")
    ctx = as_context(ctx)
    if isinstance(source_array, jax.Array) and not isinstance(source_array, jax.core.Tracer):
        # a new buffer, as MXNet copies (an alias would die with a donated parameter buffer)
        value = jax.device_put(source_array.astype(dt), ctx.jax_device, may_alias=False)
    elif isinstance(source_array, jax.core.Tracer):
        return NDArray(source_array.astype(dt), ctx)
    else:
        value = host_to_device(np.asarray(source_array, dtype=dt), ctx.jax_device)
    return NDArray(value, ctx)


def _creation_kwargs(op: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """MXNet's creation functions accept ``name`` (a symbol name: meaningless for a value) and
    ``stype`` (storage type; gluax stores every array densely)."""
    kwargs = dict(kwargs)
    kwargs.pop("name", None)
    stype = kwargs.pop("stype", None)
    if stype not in (None, "default"):
        raise OperatorError(
            f"{op}: stype={stype!r} is not supported; gluax stores every array densely "
            "(leave stype out or use 'default')."
        )
    return kwargs


def zeros(shape: Any, ctx: Any = None, dtype: Any = None, **kwargs: Any) -> NDArray:
    """An array of zeros (float32 by default) on ``ctx``.

    Parameters
    ----------
    shape : int or tuple of int
    ctx : Context, optional (default: the current context)
    dtype : str or numpy dtype, default float32

    Examples
    --------
    >>> mx.nd.zeros((2, 3)).shape
    (2, 3)
    """
    return call("_zeros", shape=shape, dtype=dtype or "float32", ctx=ctx, **_creation_kwargs("zeros", kwargs))


def ones(shape: Any, ctx: Any = None, dtype: Any = None, **kwargs: Any) -> NDArray:
    """An array of ones (float32 by default) on ``ctx``; arguments as in :func:`zeros`."""
    return call("_ones", shape=shape, dtype=dtype or "float32", ctx=ctx, **_creation_kwargs("ones", kwargs))


def full(shape: Any, val: float, ctx: Any = None, dtype: Any = None, **kwargs: Any) -> NDArray:
    """An array filled with ``val``; other arguments as in :func:`zeros`."""
    return call("_full", shape=shape, value=val, dtype=dtype or "float32", ctx=ctx, **_creation_kwargs("full", kwargs))


def empty(shape: Any, ctx: Any = None, dtype: Any = None) -> NDArray:
    """An array of the given shape; gluax fills it with zeros."""
    return zeros(shape, ctx, dtype)


def eye(N: int, M: int = 0, k: int = 0, ctx: Any = None, dtype: Any = None, **kwargs: Any) -> NDArray:
    """A 2-D array with ones on the ``k``-th diagonal."""
    return call("_eye", N=N, M=M, k=k, dtype=dtype or "float32", ctx=ctx, **kwargs)


def arange(start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1, infer_range: bool = False, ctx: Any = None, dtype: Any = "float32") -> NDArray:
    """Evenly spaced values in ``[start, stop)``; ``repeat`` repeats each value."""
    return call("_arange", start=float(start), stop=None if stop is None else float(stop), step=float(step), repeat=int(repeat), dtype=dtype or "float32", ctx=ctx)


def linspace(start: float, stop: float, num: int, endpoint: bool = True, ctx: Any = None, dtype: Any = "float32") -> NDArray:
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    return call("_linspace", start=float(start), stop=float(stop), num=int(num), endpoint=endpoint, dtype=dtype or "float32", ctx=ctx)


def _param_dtype(dtype: Any, *params: Any) -> Any:
    if dtype is not None:
        return dtype
    for p in params:
        if isinstance(p, NDArray):
            return p.dtype
    return "float32"


def uniform(low: Any = 0.0, high: Any = 1.0, shape: Any = None, dtype: Any = None, ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Samples from U(low, high); ``low``/``high`` may be arrays (one draw set per element)."""
    shape = () if shape is None and isinstance(low, NDArray) else (shape if shape is not None else (1,))
    return call("_random_uniform", low, high, shape=shape, dtype=_param_dtype(dtype, low, high), ctx=ctx, out=out)


def normal(loc: Any = 0.0, scale: Any = 1.0, shape: Any = None, dtype: Any = None, ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Samples from N(loc, scale^2); ``loc``/``scale`` may be arrays."""
    shape = () if shape is None and isinstance(loc, NDArray) else (shape if shape is not None else (1,))
    return call("_random_normal", loc, scale, shape=shape, dtype=_param_dtype(dtype, loc, scale), ctx=ctx, out=out)


def randn(*shape: int, loc: float = 0.0, scale: float = 1.0, dtype: Any = None, ctx: Any = None, **kwargs: Any) -> NDArray:
    """Standard normal samples of the given shape."""
    return normal(loc, scale, shape or (1,), dtype, ctx)


def randint(low: int, high: int, shape: Any = None, dtype: Any = None, ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Integers uniformly drawn from ``[low, high)`` (int32 by default)."""
    return call("_random_randint", low=int(low), high=int(high), shape=shape if shape is not None else (1,), dtype=dtype or "int32", ctx=ctx, out=out)


def exponential(scale: Any = 1.0, shape: Any = None, dtype: Any = None, ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Samples from an exponential distribution with mean ``scale``."""
    lam = 1.0 / scale if not isinstance(scale, NDArray) else 1.0 / scale
    shape = () if shape is None and isinstance(scale, NDArray) else (shape if shape is not None else (1,))
    return call("_random_exponential", lam, shape=shape, dtype=_param_dtype(dtype, scale), ctx=ctx, out=out)


def shuffle(data: NDArray, **kwargs: Any) -> NDArray:
    """A random permutation of ``data`` along its first axis."""
    return call("_shuffle", data, **kwargs)
