"""``mx.util``: NumPy-mode switches (the flags live in ``engine/npmode.py``, shared with the
NumPy interface), environment access, and device counts."""

from __future__ import annotations

import functools
import inspect
import os
from typing import Any, Callable

import numpy as np

from gluax._src.engine import npmode
from gluax._src.engine.context import num_gpus
from gluax._src.engine.npmode import is_np_array as is_np_array
from gluax._src.engine.npmode import is_np_shape as is_np_shape
from gluax._src.engine.npmode import reset_np as reset_np
from gluax._src.engine.npmode import set_np as set_np

_UFUNC_DEFAULTS = {"where": True, "casting": "same_kind", "order": "K", "dtype": None,
                   "subok": True}


def set_np_shape(active: bool) -> bool:
    """Turn NumPy shape semantics on or off; returns the previous setting. Turning them off
    while NumPy arrays are on is refused, as in MXNet."""
    if not active and npmode.is_np_array():
        raise ValueError("set_np_shape(False): NumPy arrays are on and need NumPy shape "
                         "semantics; call mx.util.reset_np() instead.")
    return npmode.set_np_shape(active)


class _Scope:
    def __init__(self, setter: Callable[[bool], bool], active: bool) -> None:
        self._setter, self._active, self._prev = setter, active, None

    def __enter__(self) -> _Scope:
        self._prev = self._setter(self._active)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._setter(self._prev)


def np_shape(active: bool = True) -> _Scope:
    """``with np_shape():`` NumPy shape semantics inside the block."""
    return _Scope(npmode.set_np_shape, active)


def np_array(active: bool = True) -> _Scope:
    """``with np_array():`` NumPy arrays inside the block."""
    return _Scope(npmode.set_np_array, active)


def _decorate(scopes: Callable[[], list[_Scope]], func: Any, what: str) -> Any:
    if inspect.isclass(func):
        for name, method in list(vars(func).items()):
            if inspect.isfunction(method):
                setattr(func, name, _decorate(scopes, method, what))
        return func
    if not callable(func):
        raise TypeError(f"{what} decorates a function or a class, got {type(func).__name__} "
                        f"{func!r}.")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        active = scopes()
        for s in active:
            s.__enter__()
        try:
            return func(*args, **kwargs)
        finally:
            for s in reversed(active):
                s.__exit__(None, None, None)

    return wrapped


def use_np_shape(func: Any) -> Any:
    """Decorator: the function (or every method of the class) runs with NumPy shapes on."""
    return _decorate(lambda: [np_shape(True)], func, "use_np_shape")


def use_np_array(func: Any) -> Any:
    """Decorator: the function (or every method of the class) runs with NumPy arrays on."""
    return _decorate(lambda: [np_array(True)], func, "use_np_array")


def use_np(func: Any) -> Any:
    """Decorator: NumPy shapes and NumPy arrays on (``use_np_shape(use_np_array(func))``)."""
    return _decorate(lambda: [np_shape(True), np_array(True)], func, "use_np")


def np_ufunc_legal_option(key: str, value: Any) -> bool:
    """Whether ``key=value`` is an ufunc keyword argument with a value NumPy accepts."""
    if key == "where":
        return True
    if key == "casting":
        return value in ("no", "equiv", "safe", "same_kind", "unsafe")
    if key == "order":
        return isinstance(value, str)
    if key == "dtype":
        return value in (np.int8, np.uint8, np.int32, np.int64, np.float16, np.float32,
                         np.float64, "int8", "uint8", "int32", "int64", "float16", "float32",
                         "float64")
    if key == "subok":
        return isinstance(value, bool)
    return False


def _check_ufunc_kwargs(func: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    for key, value in kwargs.items():
        if key not in _UFUNC_DEFAULTS:
            raise TypeError(f"{key} is an invalid keyword to function {func.__name__!r}")
        if value != _UFUNC_DEFAULTS[key]:
            if np_ufunc_legal_option(key, value):
                raise NotImplementedError(f"{key}={value} is not implemented yet for operator "
                                          f"{func.__name__}")
            raise TypeError(f"{key}={value} not understood for operator {func.__name__}")


def wrap_np_unary_func(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a unary ufunc-like function: NumPy's keyword arguments at their defaults pass,
    others raise a clear error."""
    @functools.wraps(func)
    def wrapped(x: Any, out: Any = None, **kwargs: Any) -> Any:
        _check_ufunc_kwargs(func, kwargs)
        return func(x, out=out)
    return wrapped


def wrap_np_binary_func(func: Callable[..., Any]) -> Callable[..., Any]:
    """The binary version of :func:`wrap_np_unary_func`."""
    @functools.wraps(func)
    def wrapped(x1: Any, x2: Any, out: Any = None, **kwargs: Any) -> Any:
        _check_ufunc_kwargs(func, kwargs)
        return func(x1, x2, out=out)
    return wrapped


def set_module(module: str) -> Callable[[Any], Any]:
    """Decorator setting ``__module__`` of a function or class (how MXNet files its numpy API)."""
    def decorator(func: Any) -> Any:
        if module is not None:
            func.__module__ = module
        return func
    return decorator


def get_gpu_count() -> int:
    """The number of GPUs jax sees (``mx.context.num_gpus()``)."""
    return num_gpus()


def getenv(name: str) -> str | None:
    """The value of environment variable ``name``, or None when unset."""
    return os.environ.get(name)


def setenv(name: str, value: str | None) -> None:
    """Set environment variable ``name`` (remove it when ``value`` is None). MXNET_* engine
    variables have no effect on gluax: XLA decides scheduling and fusion."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)
