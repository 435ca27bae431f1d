"""``mx.base``: the type tuples and small helpers MXNet code and Gluon libraries import."""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from gluax._src.compat import absent as _absent
from gluax._src.engine.base import MXNetError
from gluax._src.engine.ndarray import NDArray, Symbol
from gluax._src.ops.absent import ABSENT as _ABSENT_OPS

integer_types = (int, np.int32, np.int64)
numeric_types = (float, int, np.generic)
string_types = (str,)
mx_uint = np.uint32
mx_real_t = np.float32
# what mx.gluon.parameter calls a tensor (in gluax, Symbol is the NDArray subclass of traces)
tensor_types = (Symbol, NDArray)


def py_str(x: bytes) -> str:
    """Bytes from a file or a C call, decoded as UTF-8."""
    return x.decode("utf-8")


def data_dir_default() -> str:
    """Where downloaded data and models go by default: ``~/.mxnet`` (as in MXNet)."""
    return os.path.join(os.path.expanduser("~"), ".mxnet")


def data_dir() -> str:
    """``$MXNET_HOME`` if set, else :func:`data_dir_default`."""
    return os.getenv("MXNET_HOME", data_dir_default())


class NotImplementedForSymbol(MXNetError):
    """An NDArray method MXNet's Symbol lacks (kept for ``except`` clauses of ported code)."""

    def __init__(self, function: Callable[..., Any] | str, alias: str | None = None,
                 *args: Any) -> None:
        name = getattr(function, "__name__", str(function))
        super().__init__(f"Function {name}{f' (namely operator {alias!r})' if alias else ''} "
                         "is not implemented for Symbol and only available in NDArray.")


class NotSupportedForSparseNDArray(MXNetError):
    """An operation sparse arrays do not support (gluax has no sparse storage)."""

    def __init__(self, function: Callable[..., Any] | str, alias: str | None = None,
                 *args: Any) -> None:
        name = getattr(function, "__name__", str(function))
        super().__init__(f"Function {name} is not supported for SparseNDArray.")


class _ClassProperty:
    def __init__(self, fget: Callable[[type], Any]) -> None:
        self.fget = fget

    def __get__(self, obj: Any, klass: type | None = None) -> Any:
        return self.fget(klass if klass is not None else type(obj))


def classproperty(func: Callable[[type], Any]) -> _ClassProperty:
    """A read-only property of the class (``Features.instance``-style helpers)."""
    return _ClassProperty(func)


def with_metaclass(meta: type, *bases: type) -> type:
    """A base class whose subclasses are built by ``meta`` (MXNet's Python-2-era helper)."""
    return meta("_WithMetaclassBase", bases or (object,), {})


def _as_list(obj: Any) -> list[Any] | tuple[Any, ...]:
    """``obj`` itself when it is a list or tuple, else ``[obj]``."""
    if isinstance(obj, (list, tuple)):
        return obj
    return [obj]


# An absent operator imports by name and raises when called (absent.py explains how).
_absent.importable_absent_operators(_ABSENT_OPS)
