"""``mx.np.ndarray``: MXNet's NumPy-mode array, a sibling of ``NDArray`` over one jax value.

It is a subclass of ``NDArray`` (as in MXNet), so the operator registry, the autograd tape and
every engine path treat it alike; the registry gives an operator's outputs the type of its
first array input, so ``npx.relu(x)`` on an ``np.ndarray`` returns one. What differs is NumPy's
semantics: zero-dim results, boolean outputs of comparisons, NumPy broadcasting and indexing
(boolean masks included), methods with NumPy's signatures and MXNet's printing.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as onp

from gluax._src.engine import npmode as _npmode
from gluax._src.engine import tape as _tape
from gluax._src.engine.base import canonical_dtype
from gluax._src.engine.context import as_context
from gluax._src.engine.ndarray import (
    TRACER_VALUE,
    NDArray,
)
from gluax._src.engine.ndarray import Symbol as _Symbol
from gluax._src.engine.ndarray import (
    TracerValueError,
    _basic_index,
    _index_key,
    _is_tracer,
)
from gluax._src.engine.registry import OpDef, invoke
from gluax._src.ops.shape import _build_index, _check_int_index, _dyn_window

ARRAY_TYPES = (NDArray, onp.ndarray, jax.Array)


def to_np(x: Any) -> Any:
    """``x`` with every legacy ``NDArray`` in it (a tuple or list too) as an ``np.ndarray``
    sharing its value and autograd entry."""
    if isinstance(x, ndarray):
        return x
    if isinstance(x, NDArray):
        r = ndarray(x._value, x._ctx)
        r._ag = x._ag
        return r
    if isinstance(x, (tuple, list)):
        return type(x)(to_np(v) for v in x)
    return x


def as_nd(x: Any) -> Any:
    """``x`` (an array, or a tuple/list of them) as legacy ``NDArray``, sharing value and tape."""
    if isinstance(x, NDArray) and type(x) is not NDArray:
        r = NDArray(x._value, x._ctx)
        r._ag = x._ag
        return r
    if isinstance(x, (tuple, list)):
        return type(x)(as_nd(v) for v in x)
    return x


def run(op: OpDef, *args: Any, **kwargs: Any) -> Any:
    """Invoke ``op`` through the registry (tape, tracing, caching) and return np arrays."""
    return to_np(invoke(op, args, kwargs))


def make_op(name: str, fn: Callable[..., Any], differentiable: bool = True,
            random: bool = False) -> OpDef:
    """An unregistered operator for the numpy front end (not listed in ``mx.nd``)."""
    return OpDef(f"_np_{name}", fn, random, differentiable)


def _np_getitem(data: jax.Array, *arrays: jax.Array, key: Any) -> jax.Array:
    _check_int_index(key, tuple(data.shape))
    return data[_build_index(key, arrays)]


def _np_slice_dyn(data: jax.Array, *starts: jax.Array, key: Any) -> jax.Array:
    begin, sizes = _dyn_window(data, starts, key)
    out = jax.lax.dynamic_slice(data, begin, sizes)
    steps = tuple(slice(None, None, k[2]) if k[0] == "s" and k[2] > 1 else slice(None) for k in key)
    out = out[steps]
    ints = tuple(i for i, k in enumerate(key) if k[0] == "i")
    return jnp.squeeze(out, ints) if ints else out


def _np_where_set(data: jax.Array, mask: jax.Array, value: jax.Array) -> jax.Array:
    return jnp.where(mask, jnp.asarray(value, data.dtype), data)


_GETITEM = make_op("getitem", _np_getitem)
_SLICE = make_op("slice_dyn", _np_slice_dyn)
_WHERE_SET = make_op("where_set", _np_where_set)


def _is_bool_array(v: Any) -> bool:
    if isinstance(v, NDArray):
        return v._value.dtype == jnp.bool_
    if isinstance(v, (onp.ndarray, jax.Array)):
        return v.dtype == onp.bool_
    return False


def _host_mask(v: Any, what: str) -> onp.ndarray:
    raw = v._value if isinstance(v, NDArray) else v
    if _is_tracer(raw):
        raise TracerValueError(TRACER_VALUE.format(what=what))
    return onp.asarray(raw)


def _expand_bool(index: Any) -> Any:
    """Replace boolean-array parts of an index by the integer arrays of their nonzero
    positions (NumPy's rule); needs the mask's value, so it runs eagerly only."""
    parts = index if isinstance(index, tuple) else (index,)
    if not any(_is_bool_array(p) for p in parts):
        return index
    out: list[Any] = []
    for p in parts:
        if _is_bool_array(p):
            out.extend(onp.nonzero(_host_mask(p, "Boolean-mask indexing"))[0:])
        else:
            out.append(p)
    return tuple(out)


def _scalar_for(dtype: Any, v: Any) -> Any:
    """MXNet casts a Python float operand to an integer (or boolean) array's dtype (``i * 2.5``
    multiplies by 2); other operands follow jax's promotion."""
    if isinstance(v, float) and (jnp.issubdtype(dtype, jnp.integer) or dtype == jnp.bool_):
        return int(v)
    return v


def _bool_as_int(x: ndarray) -> Any:
    """MXNet computes arithmetic of a boolean array with a Python number in int64 (int32
    here): ``(x > 0) * 2`` is an integer array."""
    from gluax._src.numpy import functions as _f

    return _f.call("astype", x, "int32") if x._value.dtype == jnp.bool_ else x


_REPR_FLOAT32 = re.compile(r",\s*dtype=float32\)$")
_REPR_SHAPE = re.compile(r",\s*shape=\([0-9, ]*\)")  # NumPy 2 adds it to summarized arrays


class ndarray(NDArray):  # noqa: N801 - MXNet's name
    """An n-dimensional array in MXNet's NumPy mode (``mxnet.numpy.ndarray``).

    Examples
    --------
    >>> import gluax as mx
    >>> x = mx.np.array([[1, 2], [3, 4]])
    >>> x
    array([[1., 2.],
           [3., 4.]])
    >>> (x > 2).sum().item()
    2
    """

    __slots__ = ()

    # ---- printing -----------------------------------------------------------------------
    def __repr__(self) -> str:
        if _is_tracer(self._value):
            shape = "x".join(str(d) for d in self.shape)
            return f"<ndarray {shape} {self._value.dtype} (traced) @{self._ctx}>"
        host = self.asnumpy()
        text = _REPR_SHAPE.sub("", repr(host))
        if host.dtype == onp.float32:
            text = _REPR_FLOAT32.sub(")", text)
        elif "dtype=" not in text and host.dtype not in (onp.bool_,):
            text = text[:-1] + f", dtype={host.dtype})"
        if self._ctx.device_type != "cpu":
            text = text[:-1] + f", ctx={self._ctx})"
        return text

    def __str__(self) -> str:
        if _is_tracer(self._value):
            return self.__repr__()
        text = str(self.asnumpy())
        if self._ctx.device_type != "cpu" and self.ndim:
            text += f" @{self._ctx}"
        return text

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.item(), spec)
        if not spec:
            return str(self)
        raise TypeError("Cannot format an mx.np.ndarray with a format spec; use .item() "
                        "or .asnumpy().")

    @property
    def dtype(self) -> Any:  # type: ignore[override]
        """The element type as a ``numpy.dtype`` (``dtype('float32')``), as in MXNet's numpy
        mode (``NDArray.dtype`` is the scalar type ``numpy.float32``)."""
        return jnp.dtype(self._value.dtype)

    # ---- conversion ---------------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> onp.ndarray:
        host = self.asnumpy()
        return host if dtype is None else host.astype(dtype)

    def item(self, *args: Any) -> Any:
        """The element (the only one, or the one at ``args``) as a Python scalar."""
        if _is_tracer(self._value):
            raise TracerValueError(TRACER_VALUE.format(what="item()"))
        return self.asnumpy().item(*args)

    def tolist(self) -> Any:
        """The array as nested Python lists."""
        return self.asnumpy().tolist()

    def as_nd_ndarray(self) -> NDArray:
        """The same value (and autograd history) as a legacy ``NDArray``."""
        return as_nd(self)

    def as_np_ndarray(self) -> ndarray:
        """This array itself."""
        return self

    def detach(self) -> ndarray:
        """The same value, cut from the autograd graph."""
        return ndarray(self._value, self._ctx)

    def copy(self, order: str = "C") -> ndarray:
        """A copy (recorded, so gradients flow through it)."""
        return to_np(super().copy())

    def copyto(self, other: Any) -> Any:
        """Copy into the array ``other`` (in place) or onto the Context ``other``."""
        return to_np(super().copyto(other))

    def as_in_context(self, context: Any) -> ndarray:
        """This array if already on ``context``, else a copy there."""
        return to_np(super().as_in_context(context))

    as_in_ctx = as_in_context

    def to_device(self, device: Any) -> ndarray:
        """Same as ``as_in_ctx``."""
        return self.as_in_context(device)

    @property
    def device(self) -> Any:
        """The Context the array lives on (same as ``ctx``)."""
        return self._ctx

    # ---- autograd -----------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: str | None = None) -> None:
        """Allocate a zero gradient buffer (an ``np.ndarray``) and mark this array as a
        variable to differentiate."""
        super().attach_grad(grad_req, stype)
        if isinstance(self._ag, _tape.VarInfo):
            self._ag._grad = to_np(self._ag._grad)

    @property
    def grad(self) -> ndarray | None:
        """The gradient buffer attached by ``attach_grad`` (None if none)."""
        ag = self._ag
        if not isinstance(ag, _tape.VarInfo):
            return None
        g = ag.grad
        if type(g) is not ndarray:
            g = ag._grad = to_np(g)
        return g

    # ---- indexing -----------------------------------------------------------------------
    def __getitem__(self, index: Any) -> ndarray:
        if isinstance(index, list) and not any(isinstance(i, (list, tuple, NDArray)) for i in index):
            index = onp.asarray(index)  # x[[0, 2]] is a 1-D integer (or boolean) index
        index = _expand_bool(index)
        if isinstance(index, tuple) and not index:
            return run(_GETITEM, self, key=("t",))
        basic = _basic_index(index, self.shape)
        if basic is not None:
            starts, key = basic
            return run(_SLICE, self, *starts, key=key)
        arrays: list[Any] = []
        key = _index_key(_np_index(index), arrays)
        return run(_GETITEM, self, *arrays, key=key)

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, list) and not any(isinstance(i, (list, tuple, NDArray)) for i in index):
            index = onp.asarray(index)
        if (_is_bool_array(index) and tuple(index.shape) == self.shape
                and (not isinstance(value, (NDArray, onp.ndarray, jax.Array))
                     or value.size == 1)):
            # x[mask] = scalar: a where, so it also runs inside hybridized blocks
            if not isinstance(value, NDArray):
                value = jnp.asarray(onp.asarray(value, dtype=self._value.dtype))
            self._assign(run(_WHERE_SET, self, index, value))
            return
        index = _expand_bool(index)
        if isinstance(index, tuple) and not index:
            index = Ellipsis
        super().__setitem__(_np_index(index), value)

    # ---- arithmetic (NumPy semantics) ------------------------------------------------------
    def _bin(self, other: Any, op: str, reverse: bool = False) -> Any:
        if not isinstance(other, (NDArray, int, float, bool, onp.generic, onp.ndarray, jax.Array)):
            return NotImplemented
        from gluax._src.numpy import functions as _f

        if op in _f.SCALAR_CAST and isinstance(other, (int, float)):
            other = _scalar_for(self._value.dtype, other)
            if not isinstance(other, bool):
                self = _bool_as_int(self)
        return _f.binary(op, other, self) if reverse else _f.binary(op, self, other)

    def __add__(self, o: Any) -> Any:
        return self._bin(o, "add")

    def __radd__(self, o: Any) -> Any:
        return self._bin(o, "add", True)

    def __sub__(self, o: Any) -> Any:
        return self._bin(o, "subtract")

    def __rsub__(self, o: Any) -> Any:
        return self._bin(o, "subtract", True)

    def __mul__(self, o: Any) -> Any:
        return self._bin(o, "multiply")

    def __rmul__(self, o: Any) -> Any:
        return self._bin(o, "multiply", True)

    def __truediv__(self, o: Any) -> Any:
        return self._bin(o, "true_divide")

    def __rtruediv__(self, o: Any) -> Any:
        return self._bin(o, "true_divide", True)

    __div__ = __truediv__
    __rdiv__ = __rtruediv__

    def __mod__(self, o: Any) -> Any:
        return self._bin(o, "mod")

    def __rmod__(self, o: Any) -> Any:
        return self._bin(o, "mod", True)

    def __pow__(self, o: Any) -> Any:
        return self._bin(o, "power")

    def __rpow__(self, o: Any) -> Any:
        return self._bin(o, "power", True)

    def __matmul__(self, o: Any) -> Any:
        return self._bin(o, "matmul")

    def __rmatmul__(self, o: Any) -> Any:
        return self._bin(o, "matmul", True)

    def __and__(self, o: Any) -> Any:
        return self._bin(o, "bitwise_and")

    def __or__(self, o: Any) -> Any:
        return self._bin(o, "bitwise_or")

    def __xor__(self, o: Any) -> Any:
        return self._bin(o, "bitwise_xor")

    def __eq__(self, o: Any) -> Any:  # type: ignore[override]
        return self._bin(o, "equal")

    def __ne__(self, o: Any) -> Any:  # type: ignore[override]
        return self._bin(o, "not_equal")

    def __gt__(self, o: Any) -> Any:
        return self._bin(o, "greater")

    def __ge__(self, o: Any) -> Any:
        return self._bin(o, "greater_equal")

    def __lt__(self, o: Any) -> Any:
        return self._bin(o, "less")

    def __le__(self, o: Any) -> Any:
        return self._bin(o, "less_equal")

    __hash__ = NDArray.__hash__

    def __neg__(self) -> Any:
        from gluax._src.numpy import functions as _f

        return _f.unary("negative", _bool_as_int(self))

    def __abs__(self) -> Any:
        from gluax._src.numpy import functions as _f

        return _f.unary("absolute", self)

    def __invert__(self) -> Any:
        from gluax._src.numpy import functions as _f

        return _f.unary("invert", self)

    def __iadd__(self, o: Any) -> Any:
        return self._assign(self + o)

    def __isub__(self, o: Any) -> Any:
        return self._assign(self - o)

    def __imul__(self, o: Any) -> Any:
        return self._assign(self * o)

    def __itruediv__(self, o: Any) -> Any:
        return self._assign(self / o)

    __idiv__ = __itruediv__

    def __imod__(self, o: Any) -> Any:
        return self._assign(self % o)

    def __imatmul__(self, o: Any) -> Any:
        return self._assign(self @ o)

    def __iand__(self, o: Any) -> Any:
        return self._assign(self & o)

    def __ior__(self, o: Any) -> Any:
        return self._assign(self | o)

    def __ixor__(self, o: Any) -> Any:
        return self._assign(self ^ o)

    def __round__(self, ndigits: int | None = None) -> Any:
        from gluax._src.numpy import functions as _f

        return _f.call("round", self, ndigits or 0)

    # ---- shape helpers (NumPy signatures) -------------------------------------------------
    def reshape(self, *shape: Any, **kwargs: Any) -> ndarray:  # type: ignore[override]
        """NumPy reshape (``-1`` infers one size); MXNet's special codes are ``npx.reshape``."""
        order = kwargs.pop("order", "C")
        if "newshape" in kwargs:
            shape = (kwargs.pop("newshape"),)
        if kwargs:
            raise TypeError(f"reshape: unexpected arguments {sorted(kwargs)}.")
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        from gluax._src.numpy import functions as _f

        return _f.call("reshape", self, tuple(int(s) for s in shape), order)

    def transpose(self, *axes: Any) -> ndarray:  # type: ignore[override]
        """Permute the axes (reversed when none are given)."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (list, tuple))):
            axes = axes[0]
        from gluax._src.numpy import functions as _f

        return _f.call("transpose", self, tuple(axes) if axes else None)

    @property
    def T(self) -> ndarray:
        """The transpose (all axes reversed)."""
        return self.transpose()

    def flatten(self, order: str = "C") -> ndarray:  # type: ignore[override]
        """A 1-D copy."""
        return self.reshape(-1, order=order)

    def astype(self, dtype: Any, order: str = "K", casting: str = "unsafe",  # type: ignore[override]
               subok: bool = True, copy: bool = True) -> ndarray:
        """Cast to ``dtype``; with ``copy=False`` and the same dtype, returns ``self``."""
        if dtype is None:
            dtype = "float32"
        return to_np(super().astype(dtype, copy=copy))


def _np_index(index: Any) -> Any:
    """NumPy index parts for ``_index_key``: numpy integer/bool arrays become jax arrays."""
    if isinstance(index, tuple):
        return tuple(_np_index(i) for i in index)
    if isinstance(index, onp.ndarray):
        return jnp.asarray(index)
    if isinstance(index, range):
        return jnp.asarray(list(index))
    return index


ndarray.eager_type = ndarray  # type: ignore[attr-defined]
ndarray.traced_type = ndarray  # type: ignore[attr-defined]


def _as_np_ndarray(self: NDArray) -> ndarray:
    """The same value (and autograd history) as an ``mx.np.ndarray``."""
    return to_np(self)


def _as_nd_ndarray(self: NDArray) -> NDArray:
    """This array itself."""
    return self


# MXNet's NDArray has these two conversions; they live here, with the type they produce.
NDArray.as_np_ndarray = _as_np_ndarray  # type: ignore[attr-defined]
NDArray.as_nd_ndarray = _as_nd_ndarray  # type: ignore[attr-defined]


def wrap_value(value: Any, ctx: Any = None) -> ndarray:
    """An ``np.ndarray`` over the jax value ``value``."""
    return ndarray(value, None if ctx is None else as_context(ctx))


def default_dtype(dtype: Any) -> Any:
    """MXNet's numpy mode creates float32 unless told otherwise."""
    return "float32" if dtype is None else canonical_dtype(dtype)


def array_types() -> tuple[type, type]:
    """The wrapper types Gluon gives values (eager, traced): ``np.ndarray`` for both in
    numpy mode (``npx.set_np()``), else ``NDArray`` and ``Symbol``. (Called on every
    hybridized call: no imports or tuples built here.)"""
    return _NP_TYPES if _npmode.FLAGS.array else _LEGACY_TYPES


def np_in_place(arrays: list[Any]) -> None:
    """In numpy mode, turn legacy ``NDArray`` objects into ``np.ndarray`` in place (same
    object, same value and tape entry; the two classes share one layout), so a parameter
    initialized before ``npx.set_np()`` hands out ``np.ndarray`` after it."""
    from gluax._src.engine import npmode

    if npmode.is_np_array():
        for a in arrays:
            if type(a) is NDArray:
                a.__class__ = ndarray


_NP_TYPES = (ndarray, ndarray)
_LEGACY_TYPES = (NDArray, _Symbol)
