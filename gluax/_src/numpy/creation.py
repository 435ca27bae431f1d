"""``mx.np`` creation functions with MXNet's defaults: float32 unless a dtype is given (also
for ``np.array`` of a Python list of ints or bools, and for ``arange``), a ``ctx`` argument.

Arrays are made on the host with NumPy and placed on the device, so creating one compiles no
XLA program.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as onp

from gluax._src.engine.base import canonical_dtype
from gluax._src.engine.context import as_context, current_context
from gluax._src.engine.ndarray import NDArray, host_to_device
from gluax._src.numpy.multiarray import ndarray, to_np

DEFAULT = "float32"


def _dtype(dtype: Any, default: Any = DEFAULT) -> Any:
    if dtype is None:
        return jax.dtypes.canonicalize_dtype(onp.dtype(default))
    return jax.dtypes.canonicalize_dtype(onp.dtype(canonical_dtype(dtype)))


def _place(host: onp.ndarray, ctx: Any, device: Any = None) -> ndarray:
    c = as_context(ctx if ctx is not None else device) if (ctx or device) else current_context()
    host = onp.asarray(host)
    dt = jax.dtypes.canonicalize_dtype(host.dtype)
    if host.dtype != dt:
        host = host.astype(dt)
    return ndarray(host_to_device(host, c.jax_device), c)


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, onp.integer)):
        return (int(shape),)
    try:
        return tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}.") from None


def array(object: Any, dtype: Any = None, ctx: Any = None, device: Any = None) -> ndarray:  # noqa: A002
    """An ``np.ndarray`` copy of ``object``: float32 unless ``dtype`` is given, except that an
    array keeps its own dtype."""
    if isinstance(object, NDArray):
        res = to_np(object.copy() if dtype is None else object.astype(dtype))
        target = ctx if ctx is not None else device
        return res if target is None else res.as_in_ctx(as_context(target))
    if isinstance(object, (onp.ndarray, jax.Array)) and dtype is None:
        return _place(onp.asarray(object), ctx, device)
    if isinstance(object, (list, tuple)) and any(isinstance(e, NDArray) for e in object):
        object = [onp.asarray(e.asnumpy()) if isinstance(e, NDArray) else e for e in object]
    return _place(onp.asarray(object, dtype=_dtype(dtype)), ctx, device)


def zeros(shape: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
          device: Any = None) -> ndarray:
    """An array of zeros (float32 by default)."""
    return _place(onp.zeros(_shape(shape), _dtype(dtype)), ctx, device)


def ones(shape: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
         device: Any = None) -> ndarray:
    """An array of ones (float32 by default)."""
    return _place(onp.ones(_shape(shape), _dtype(dtype)), ctx, device)


def empty(shape: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
          device: Any = None) -> ndarray:
    """An array of ``shape`` (zero-filled: XLA has no uninitialized memory)."""
    return zeros(shape, dtype, order, ctx, device)


def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
         out: Any = None, device: Any = None) -> ndarray:
    """An array filled with ``fill_value`` (float32 unless ``dtype``, or the dtype of an array
    ``fill_value``)."""
    if isinstance(fill_value, NDArray):
        if dtype is None:
            dtype = fill_value.dtype
        fill_value = fill_value.asnumpy()
    res = _place(onp.full(_shape(shape), fill_value, _dtype(dtype)), ctx, device)
    if out is not None:
        out._set_value(res._value.astype(out._value.dtype))
        return out
    return res


def _like(a: Any, dtype: Any) -> tuple[tuple[int, ...], Any, Any]:
    shape = tuple(a.shape) if hasattr(a, "shape") else onp.shape(a)
    if dtype is None:
        dtype = a.dtype if hasattr(a, "dtype") else onp.asarray(a).dtype
    ctx = a.ctx if isinstance(a, NDArray) else None
    return shape, _dtype(dtype), ctx


def zeros_like(a: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
               out: Any = None) -> ndarray:
    """Zeros of ``a``'s shape and dtype."""
    shape, dt, c = _like(a, dtype)
    return _place(onp.zeros(shape, dt), ctx or c)


def ones_like(a: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
              out: Any = None) -> ndarray:
    """Ones of ``a``'s shape and dtype."""
    shape, dt, c = _like(a, dtype)
    return _place(onp.ones(shape, dt), ctx or c)


def empty_like(prototype: Any, dtype: Any = None, order: str = "C", subok: bool = False,
               shape: Any = None) -> ndarray:
    """An array of ``prototype``'s shape and dtype (zero-filled)."""
    s, dt, c = _like(prototype, dtype)
    return _place(onp.zeros(s if shape is None else _shape(shape), dt), c)


def full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "C", ctx: Any = None,
              out: Any = None) -> ndarray:
    """``fill_value`` in ``a``'s shape and dtype."""
    shape, dt, c = _like(a, dtype)
    return _place(onp.full(shape, fill_value, dt), ctx or c)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None, ctx: Any = None,  # noqa: N803
        device: Any = None, **kwargs: Any) -> ndarray:
    """A 2-D array with ones on diagonal ``k`` (float32 by default)."""
    return _place(onp.eye(N, M, k, dtype=_dtype(dtype)), ctx, device)


def identity(n: int, dtype: Any = None, ctx: Any = None, device: Any = None) -> ndarray:
    """The ``n`` x ``n`` identity matrix (float32 by default)."""
    return _place(onp.identity(n, dtype=_dtype(dtype)), ctx, device)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, ctx: Any = None,
           device: Any = None) -> ndarray:
    """Evenly spaced values in ``[start, stop)``; float32 unless ``dtype`` (MXNet's default,
    also for integer arguments)."""
    if stop is None:
        start, stop = 0, start
    return _place(onp.arange(start, stop, step).astype(_dtype(dtype)), ctx, device)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0, ctx: Any = None, device: Any = None) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (float32 by default)."""
    res = onp.linspace(start, stop, num, endpoint, retstep, axis=axis)
    if retstep:
        return _place(res[0].astype(_dtype(dtype)), ctx, device), res[1]
    return _place(res.astype(_dtype(dtype)), ctx, device)


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10.0,
             dtype: Any = None, axis: int = 0, ctx: Any = None, device: Any = None) -> ndarray:
    """``num`` values evenly spaced on a log scale (float32 by default)."""
    res = onp.logspace(start, stop, num, endpoint, base, axis=axis)
    return _place(res.astype(_dtype(dtype)), ctx, device)


def indices(dimensions: Any, dtype: Any = None, ctx: Any = None) -> ndarray:
    """The grid of indices of an array of shape ``dimensions`` (int32 by default)."""
    return _place(onp.indices(_shape(dimensions), dtype=_dtype(dtype, "int32")), ctx)


def shape(a: Any) -> tuple[int, ...]:
    """The shape of ``a``."""
    return tuple(a.shape) if hasattr(a, "shape") else onp.shape(a)


def ndim(a: Any) -> int:
    """The number of dimensions of ``a``."""
    return len(shape(a))


def size(a: Any, axis: int | None = None) -> int:
    """The number of elements of ``a`` (along ``axis`` if given)."""
    s = shape(a)
    return int(onp.prod(s, dtype=onp.int64)) if axis is None else s[axis]


def may_share_memory(a: Any, b: Any, max_work: Any = None) -> bool:
    """Always False: gluax arrays never share memory (a slice is a copy)."""
    return False


def shares_memory(a: Any, b: Any, max_work: Any = None) -> bool:
    """Always False: gluax arrays never share memory (a slice is a copy)."""
    return False


def _dt(v: Any) -> Any:
    return onp.dtype(v.dtype.name if hasattr(v.dtype, "name") else v.dtype) if isinstance(
        v, NDArray) else v


def result_type(*arrays_and_dtypes: Any) -> Any:
    """NumPy's ``result_type`` (arrays count by their dtype)."""
    return onp.result_type(*(_dt(a) for a in arrays_and_dtypes))


def min_scalar_type(a: Any) -> Any:
    """NumPy's ``min_scalar_type``."""
    return onp.min_scalar_type(a.asnumpy() if isinstance(a, NDArray) else a)


def genfromtxt(*args: Any, **kwargs: Any) -> ndarray:
    """NumPy's ``genfromtxt``, as a float32 ``np.ndarray`` unless ``dtype`` is given."""
    ctx = kwargs.pop("ctx", None)
    kwargs.setdefault("dtype", "float32")
    return _place(onp.genfromtxt(*args, **kwargs), ctx)
