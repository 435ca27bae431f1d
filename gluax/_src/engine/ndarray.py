"""NDArray: MXNet's mutable array handle over one immutable jax value.

In eager mode the value is a concrete ``jax.Array``; while a hybridized block is traced it is a
tracer, and the wrapper is a ``Symbol`` (a subclass), so ``isinstance(x, mx.sym.Symbol)`` and
``F is mx.sym`` checks in ported code behave as in MXNet. Writes (``x[:] = v``, ``x += y``,
``set_data``, optimizer updates) rebind the wrapper to a new value: an NDArray is mutable, a
slice is a copy (see the porting guide).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine import tape as _tape
from gluax._src.engine.base import MXNetError, canonical_dtype, np_dtype_type
from gluax._src.engine.context import Context, as_context, context_of_device, current_context
from gluax._src.engine.state import STATE

_call: Callable[..., Any] = None  # type: ignore[assignment]  # set by the registry

INPLACE_RECORDING = (
    "In-place operations (+=, -=, x[:]=, etc.) on an array that has a gradient attached "
    "(attach_grad or a Parameter) are not supported while recording with autograd. Write the "
    "result to a new array instead:\n    y = x + 1      # not: x += 1"
)

TRACER_VALUE = (
    "{what} needs a concrete value, but this array is being traced inside a hybridized block "
    "(its value is only known when the compiled function runs). Use F operators instead "
    "(F.where for data-dependent choices), or do not hybridize this block."
)


class TracerValueError(MXNetError):
    """A concrete value was asked of an array that is being traced (compiled)."""


def set_op_caller(fn: Callable[..., Any]) -> None:
    global _call
    _call = fn


def _index_key(index: Any, arrays: list[Any]) -> Any:
    """A hashable description of an index; array parts go to ``arrays``."""
    if isinstance(index, tuple):
        return ("t",) + tuple(_index_key(i, arrays) for i in index)
    if isinstance(index, slice):
        return ("s", _int_or_none(index.start), _int_or_none(index.stop), _int_or_none(index.step))
    if index is None:
        return ("n",)
    if index is Ellipsis:
        return ("e",)
    if isinstance(index, (bool, np.bool_)):
        raise TypeError("NDArray indexing with a bool is not supported.")
    if isinstance(index, (int, np.integer)):
        return ("i", int(index))
    if isinstance(index, (NDArray, np.ndarray, list, jax.Array)):
        arrays.append(index if isinstance(index, NDArray) else NDArray(jnp.asarray(index)))
        return ("a", len(arrays) - 1)
    raise TypeError(
        f"NDArray indexing: unsupported index {index!r} of type {type(index).__name__}."
    )


def _basic_index(index: Any, shape: tuple[int, ...]) -> tuple[list[int], Any] | None:
    """For an index of ints and forward slices: (start per indexed axis, static key of
    ``('i',)`` / ``('s', length, step)``); None for anything else. The starts are passed as
    data, so ``x[i]`` or ``x[i:i + 32]`` in a loop compiles once, not once per ``i``."""
    parts = index if isinstance(index, tuple) else (index,)
    if len(parts) > len(shape):
        return None
    starts: list[int] = []
    key: list[tuple[Any, ...]] = []
    for axis, c in enumerate(parts):
        dim = shape[axis]
        if isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)):
            k = int(c) + dim if c < 0 else int(c)
            if not 0 <= k < dim:
                raise IndexError(
                    f"index {int(c)} is out of bounds for axis {axis} with shape {shape}."
                )
            starts.append(k)
            key.append(("i",))
        elif isinstance(c, slice) and (
            c.step is None or (isinstance(c.step, (int, np.integer)) and c.step > 0)
        ):
            try:
                start, stop, step = c.indices(dim)
            except TypeError:
                return None
            starts.append(start)
            key.append(("s", len(range(start, stop, step)), step))
        else:
            return None
    return starts, tuple(key)


def _int_or_none(v: Any) -> int | None:
    return None if v is None else int(v)


def _is_tracer(v: Any) -> bool:
    return isinstance(v, jax.core.Tracer)


def host_to_device(host: Any, where: Any = None) -> jax.Array:
    """A device array holding a copy of the numpy data ``host`` on ``where`` (a device or a
    sharding; None: JAX's default device), never sharing the caller's memory.

    JAX may read a numpy argument after ``jax.device_put`` or ``jnp.asarray`` has returned (a
    zero-copy buffer on CPU, or a transfer still running), so a write into the numpy array
    right after the call could show in the device array: ``nd.array(x); x[0, 0] = 5`` did in
    200 of 200 tries on CPU. MXNet copies at the call; so does this, on the host first, so
    that the device array may alias only its own private copy. (``jnp.asarray`` is faster for
    a small array, but it runs a compiled conversion per new shape.)"""
    return jax.device_put(np.array(host, copy=True), where)


def host_filled(shape: tuple[int, ...], dtype: Any, where: Any, value: Any = 0) -> jax.Array:
    """An array of ``shape`` filled with ``value`` (a scalar or anything numpy broadcasts to
    ``shape``), made on the host and placed on ``where`` (a device or a sharding).

    ``jnp.zeros`` or an indexed update compile one XLA program per shape, which is what
    initializing a network, its gradient buffers and its optimizer state used to cost (a
    program per distinct shape, ~1.5 MiB of resident memory each on CPU); this compiles none."""
    host = np.empty(shape, jnp.dtype(dtype))
    host[...] = value
    return jax.device_put(host, where)


# Arrays gluax made and gave to one owner (a parameter's value from its initializer, the
# outputs of a Trainer's update or state creation), by id. Nothing outside gluax has seen
# them, so a compiled update may donate them without copying first, provided nothing else
# references them by then (the Trainer checks that too).
_MADE: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()


def mark_made(tree: Any) -> None:
    """Record every array of ``tree`` as made by gluax for one owner (see ``made_here``)."""
    for leaf in jax.tree_util.tree_leaves(tree):
        _MADE[id(leaf)] = leaf


def made_here(value: Any) -> bool:
    """Whether ``value`` is an array recorded by ``mark_made``."""
    return _MADE.get(id(value)) is value


def _is_full_index(index: Any) -> bool:
    return (isinstance(index, slice) and index == slice(None)) or index is Ellipsis


class NDArray:
    """An n-dimensional array on a context, as ``mxnet.nd.NDArray``.

    Examples
    --------
    >>> import gluax as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> (x * 2).asnumpy().tolist()
    [[2.0, 4.0], [6.0, 8.0]]
    >>> x.sum().shape
    (1,)
    """

    __slots__ = ("_value", "_ag", "_ctx", "__weakref__")
    __array_priority__ = 1000.0

    def __init__(self, value: Any, ctx: Context | None = None) -> None:
        self._value = value
        self._ag: _tape.VarInfo | _tape.OutInfo | None = None
        if ctx is None:
            if _is_tracer(value) or not isinstance(value, jax.Array):
                ctx = current_context()
            else:
                ctx = context_of_device(next(iter(value.devices())))
        self._ctx = ctx

    # ---- basic attributes -------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape, a tuple of ints."""
        return tuple(self._value.shape)

    @property
    def dtype(self) -> Any:
        """The element type, as a numpy type (``numpy.float32``)."""
        return np_dtype_type(self._value.dtype.name)

    @property
    def size(self) -> int:
        """The number of elements (the product of the shape)."""
        return int(np.prod(self._value.shape, dtype=np.int64))

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._value.ndim

    @property
    def context(self) -> Context:
        """The device the array lives on (also ``ctx``)."""
        return self._ctx

    ctx = context

    @property
    def stype(self) -> str:
        """The storage type: always ``'default'`` (dense) in gluax."""
        return "default"

    @property
    def handle(self) -> Any:
        """The underlying jax value (gluax's counterpart of MXNet's C handle)."""
        return self._value

    @property
    def data(self) -> Any:
        """The underlying ``jax.Array`` (or tracer)."""
        return self._value

    def _set_value(self, value: Any) -> None:
        if STATE.recording and isinstance(self._ag, _tape.VarInfo):
            raise MXNetError(INPLACE_RECORDING)
        self._value = value
        if not isinstance(self._ag, _tape.VarInfo):
            self._ag = None

    def _assign(self, result: NDArray) -> NDArray:
        """Rebind to ``result`` (value and autograd entry): how in-place writes work."""
        if STATE.recording and isinstance(self._ag, _tape.VarInfo):
            raise MXNetError(INPLACE_RECORDING)
        value = result._value
        if value.dtype != self._value.dtype:
            value = value.astype(self._value.dtype)
        self._value = value
        if not isinstance(self._ag, _tape.VarInfo):
            self._ag = result._ag
        return self

    # ---- conversion ---------------------------------------------------------------------
    def asnumpy(self) -> np.ndarray:
        """A numpy copy of the data (blocks until computed)."""
        if _is_tracer(self._value):
            raise TracerValueError(TRACER_VALUE.format(what="asnumpy()"))
        return np.array(self._value)

    def __getstate__(self) -> dict[str, Any]:
        """The state a pickle or a deep copy keeps: value, context and a variable's gradient
        record (``attach_grad``); not the graph a recorded output belongs to (a copy is a new
        array outside it, as MXNet's pickle keeps the data only)."""
        ag = self._ag
        return {
            "_value": self._value,
            "_ctx": self._ctx,
            "_ag": ag if isinstance(ag, _tape.VarInfo) else None,
        }

    def __setstate__(self, state: Any) -> None:
        """Restore from a pickle: gluax's own state, or MXNet's ``{'handle': bytes}`` (the raw
        array record of MXNet's ``__getstate__``). An array MXNet saved on a GPU loads onto
        that GPU when JAX sees it and onto the CPU otherwise, as MXNet's loader does."""
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
            state = state[1]  # object.__getstate__ of a class with __slots__: (None, slots)
        if not isinstance(state, dict):
            raise TypeError(f"NDArray.__setstate__: expected a dict, got {type(state).__name__}.")
        if "handle" not in state:
            self._value, self._ctx = state["_value"], state["_ctx"]
            self._ag = state.get("_ag")
            return
        from gluax._src.engine.serialization import loads_record

        self._ag = None
        if state["handle"] is None:
            self._value, self._ctx = jnp.zeros((0,), jnp.float32), current_context()
            return
        arr, (dev_type, dev_id) = loads_record(state["handle"])
        if arr is None:
            raise MXNetError("NDArray.__setstate__: the record holds an array without a shape.")
        try:
            ctx = Context(Context.devtype2str.get(dev_type, "cpu"), dev_id)
            device = ctx.jax_device
        except MXNetError:
            ctx = Context("cpu", 0)
            device = ctx.jax_device
        arr = arr.astype(jax.dtypes.canonicalize_dtype(arr.dtype), copy=False)
        self._value, self._ctx = jax.device_put(arr, device), ctx

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """``np.asarray(x)`` / ``np.array(x)``: the data as a numpy array (numpy 2 needs this)."""
        out = self.asnumpy()
        return out if dtype is None else out.astype(dtype, copy=False)

    def asscalar(self) -> Any:
        """The single element as a numpy scalar; the array must have size 1."""
        if self.size != 1:
            raise ValueError(
                f"asscalar: the array must have exactly one element, got shape {self.shape}."
            )
        if _is_tracer(self._value):
            raise TracerValueError(TRACER_VALUE.format(what="asscalar()"))
        return self.asnumpy().reshape(-1)[0]

    def astype(self, dtype: Any, copy: bool = True) -> NDArray:
        """Cast to ``dtype``; with ``copy=False`` and the same dtype, returns ``self``."""
        if not copy and canonical_dtype(dtype) == self._value.dtype.name:
            return self
        return _call("Cast", self, dtype=dtype)

    def copy(self) -> NDArray:
        """A copy of the array (recorded, so gradients flow through it)."""
        return _call("_copy", self)

    def copyto(self, other: NDArray | Context) -> NDArray:
        """Copy into the NDArray ``other`` (in place) or onto the Context ``other``."""
        if isinstance(other, NDArray):
            if other is self:
                return self
            if other.shape != self.shape:
                raise ValueError(
                    f"copyto: shape mismatch, source {self.shape} vs target {other.shape}."
                )
            other._set_value(
                jax.device_put(self._value, other._ctx.jax_device, may_alias=False).astype(
                    other._value.dtype
                )
            )
            return other
        ctx = as_context(other)
        res = NDArray(jax.device_put(self._value, ctx.jax_device, may_alias=False), ctx)
        if STATE.recording and self._ag is not None:
            src = self._ctx.jax_device
            node = _tape.Node(
                "_copyto",
                lambda cts: [jax.device_put(cts[0], src)],
                [self._ag],
                [(self.shape, self._value.dtype)],
            )
            res._ag = _tape.OutInfo(node, 0)
        return res

    def as_in_context(self, context: Context) -> NDArray:
        """This array if already on ``context``, else a copy there."""
        if as_context(context) == self._ctx:
            return self
        return self.copyto(context)

    as_in_ctx = as_in_context

    def wait_to_read(self) -> None:
        """Block until the value is computed (XLA runs asynchronously, as MXNet's engine)."""
        if not _is_tracer(self._value):
            self._value.block_until_ready()

    def tostype(self, stype: str) -> NDArray:
        """Convert to a storage type; only ``'default'`` exists in gluax.

        Parameters
        ----------
        stype : str
            ``'default'``; ``'row_sparse'`` and ``'csr'`` raise ``NotImplementedError``.

        Returns
        -------
        NDArray
            This array itself.
        """
        if stype != "default":
            raise NotImplementedError(
                f"tostype({stype!r}): gluax has no sparse storage; arrays are always dense."
            )
        return self

    def detach(self) -> NDArray:
        """The same value, cut from the autograd graph."""
        return NDArray(self._value, self._ctx)

    # ---- autograd -----------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: str | None = None) -> None:
        """Allocate a zero gradient buffer and mark this array as a variable to differentiate."""
        if grad_req not in ("write", "add", "null"):
            raise ValueError(
                f"attach_grad: grad_req must be 'write', 'add' or 'null', got {grad_req!r}."
            )
        if grad_req == "null":
            self._ag = None
            return
        grad = NDArray(jnp.zeros_like(self._value), self._ctx)
        self._ag = _tape.VarInfo(grad_req, grad)

    @property
    def grad(self) -> NDArray | None:
        """The gradient buffer attached by ``attach_grad`` (None if none)."""
        return self._ag.grad if isinstance(self._ag, _tape.VarInfo) else None

    @property
    def _fresh_grad(self) -> bool:
        """MXNet's flag: a backward pass wrote this variable's gradient since it was cleared."""
        return isinstance(self._ag, _tape.VarInfo) and self._ag.fresh

    @_fresh_grad.setter
    def _fresh_grad(self, value: bool) -> None:
        if isinstance(self._ag, _tape.VarInfo):
            self._ag.fresh = bool(value)

    def backward(
        self, out_grad: NDArray | None = None, retain_graph: bool = False, train_mode: bool = True
    ) -> None:
        """Backpropagate from this array; ``out_grad`` defaults to ones (gradient of the sum)."""
        from gluax._src.engine import autograd

        autograd.backward(
            [self], None if out_grad is None else [out_grad], retain_graph, train_mode
        )

    # ---- repr ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        shape = "x".join(str(d) for d in self.shape)
        if _is_tracer(self._value):
            return f"<{type(self).__name__} {shape} {self._value.dtype} (traced) @{self._ctx}>"
        return f"\n{self.asnumpy()}\n<{type(self).__name__} {shape} @{self._ctx}>"

    def __str__(self) -> str:
        return self.__repr__()

    # ---- python protocol ------------------------------------------------------------------
    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d NDArray")
        return self.shape[0]

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.size == 0:  # as in MXNet
            return False
        if self.size != 1:
            raise ValueError(
                f"The truth value of an NDArray with {self.size} elements (shape {self.shape}) is "
                "ambiguous. Use (x != 0).sum() or similar."
            )
        if _is_tracer(self._value):
            raise TracerValueError(TRACER_VALUE.format(what="A Python if/while/bool() on an array"))
        return bool(self.asscalar())

    def __float__(self) -> float:
        return float(self.asscalar())

    def __int__(self) -> int:
        return int(self.asscalar())

    def __index__(self) -> int:
        return int(self.asscalar())

    __hash__ = object.__hash__

    def __getitem__(self, index: Any) -> NDArray:
        basic = _basic_index(index, self.shape)
        if basic is not None:  # ints and forward slices: positions are data, not compiled in
            starts, key = basic
            return _call("_slice_dyn", self, *starts, key=key)
        arrays: list[Any] = []
        key = _index_key(index, arrays)
        return _call("_getitem", self, *arrays, key=key)

    def __setitem__(self, index: Any, value: Any) -> None:
        if (
            _is_full_index(index)
            and isinstance(value, (int, float, bool, np.generic, np.ndarray))
            and not _is_tracer(self._value)
        ):
            # ``x[:] = 0``: filled on the host, so no program is compiled for this shape
            try:
                filled = host_filled(self.shape, self._value.dtype, self._value.sharding, value)
            except ValueError:
                raise ValueError(
                    f"NDArray assignment x[:] = value: a value of shape {np.shape(value)} does "
                    f"not broadcast to the array's shape {self.shape}."
                ) from None
            self._assign(NDArray(filled, self._ctx))
            return
        if not isinstance(value, NDArray):
            value = NDArray(
                host_to_device(np.asarray(value, dtype=self._value.dtype), self._value.sharding),
                self._ctx,
            )
        lead = next((i for i, d in enumerate(value.shape) if d != 1), value.ndim)
        if lead:  # numpy and MXNet drop a value's leading 1-dims: x[0] = v of shape (1, 1, n)
            value = value.reshape(value.shape[lead:])
        basic = _basic_index(index, self.shape)
        if basic is not None and all(k[0] == "i" or k[2] == 1 for k in basic[1]):
            starts, key = basic
            self._assign(_call("_update_dyn", self, value, *starts, key=key))
            return
        arrays: list[Any] = []
        key = _index_key(index, arrays)
        self._assign(_call("_setitem", self, value, *arrays, key=key))

    # ---- arithmetic (NDArray dunders broadcast, as in MXNet) -------------------------------
    def _bin(self, other: Any, op: str, reverse: bool = False) -> NDArray:
        if not isinstance(other, (NDArray, int, float, bool, np.generic, np.ndarray, jax.Array)):
            return NotImplemented
        return _call(op, other, self) if reverse else _call(op, self, other)

    def __add__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_add")

    def __radd__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_add", True)

    def __sub__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_sub")

    def __rsub__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_sub", True)

    def __mul__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_mul")

    def __rmul__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_mul", True)

    def __truediv__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_div")

    def __rtruediv__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_div", True)

    def __mod__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_mod")

    def __rmod__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_mod", True)

    def __pow__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_power")

    def __rpow__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_power", True)

    def __eq__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_equal")  # type: ignore[override]

    def __ne__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_not_equal")  # type: ignore[override]

    def __gt__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_greater")

    def __ge__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_greater_equal")

    def __lt__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_lesser")

    def __le__(self, o: Any) -> NDArray:
        return self._bin(o, "broadcast_lesser_equal")

    def __neg__(self) -> NDArray:
        return _call("negative", self)

    def __abs__(self) -> NDArray:
        return _call("abs", self)

    def __pos__(self) -> NDArray:
        return self

    def __iadd__(self, o: Any) -> NDArray:
        return self._assign(self + o)

    def __isub__(self, o: Any) -> NDArray:
        return self._assign(self - o)

    def __imul__(self, o: Any) -> NDArray:
        return self._assign(self * o)

    def __itruediv__(self, o: Any) -> NDArray:
        return self._assign(self / o)

    def __imod__(self, o: Any) -> NDArray:
        return self._assign(self % o)

    __div__ = __truediv__
    __rdiv__ = __rtruediv__
    __idiv__ = __itruediv__

    # ---- shape helpers --------------------------------------------------------------------
    def reshape(self, *shape: Any, **kwargs: Any) -> NDArray:
        """Reshape with MXNet's special codes (0, -1, -2, -3, -4); ``reverse=True`` matches
        the codes from the right."""
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        if "shape" in kwargs:
            shape = kwargs.pop("shape")
        return _call("reshape", self, shape=shape, **kwargs)

    @property
    def T(self) -> NDArray:
        """The transpose (all axes reversed), like ``transpose()``."""
        return _call("transpose", self)


class Symbol(NDArray):
    """What ``F`` operators return while a hybridized block is traced: an NDArray whose value
    is a tracer. ``mx.sym.Symbol`` is this class."""

    __slots__ = ()


# The wrapper types an operator's outputs get, eagerly and while traced, when this type is its
# first array input (``mx.np.ndarray`` keeps its own type in both).
NDArray.eager_type = NDArray  # type: ignore[attr-defined]
NDArray.traced_type = Symbol  # type: ignore[attr-defined]


def _method(op_name: str) -> Callable[..., Any]:
    def m(self: NDArray, *args: Any, **kwargs: Any) -> Any:
        return _call(op_name, self, *args, **kwargs)

    m.__name__ = op_name
    m.__doc__ = f"Same as ``mx.nd.{op_name}(self, ...)``."
    return m


# NDArray methods that are operators with the array as first input (MXNet's fluent methods).
FLUENT_METHODS = (
    "sum",
    "mean",
    "max",
    "min",
    "prod",
    "nansum",
    "nanprod",
    "norm",
    "argmax",
    "argmin",
    "argsort",
    "sort",
    "topk",
    "transpose",
    "expand_dims",
    "flatten",
    "squeeze",
    "swapaxes",
    "flip",
    "tile",
    "repeat",
    "pad",
    "split",
    "slice",
    "slice_axis",
    "take",
    "pick",
    "one_hot",
    "clip",
    "abs",
    "sign",
    "exp",
    "log",
    "sqrt",
    "square",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "broadcast_to",
    "broadcast_like",
    "broadcast_axes",
    "reshape_like",
    "zeros_like",
    "ones_like",
    "round",
    "floor",
    "ceil",
    "rint",
    "fix",
    "trunc",
    "reciprocal",
    "rsqrt",
    "log1p",
    "expm1",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "dot",
    "diag",
    "depth_to_space",
    "space_to_depth",
    "cumsum",
    "arcsinh",
    "arccosh",
    "arctanh",
    "argmax_channel",
    "cbrt",
    "rcbrt",
    "degrees",
    "radians",
    "log2",
    "log10",
    "shape_array",
    "size_array",
    "slice_like",
    "softmin",
    "split_v2",
)

for _name in FLUENT_METHODS:
    setattr(NDArray, _name, _method(_name))


def _slice_assign(self: NDArray, rhs: Any, begin: Any, end: Any, step: Any) -> NDArray:
    """Write ``rhs`` into ``self[begin:end:step]`` in place; returns ``self``."""
    return _call("_slice_assign", self, rhs, begin=begin, end=end, step=step, out=self)


def _slice_assign_scalar(self: NDArray, value: float, begin: Any, end: Any,
                         step: Any) -> NDArray:
    """Fill ``self[begin:end:step]`` with ``value`` in place; returns ``self``."""
    return _call("_slice_assign_scalar", self, scalar=value, begin=begin, end=end, step=step,
                 out=self)


NDArray.slice_assign = _slice_assign  # type: ignore[attr-defined]
NDArray.slice_assign_scalar = _slice_assign_scalar  # type: ignore[attr-defined]


def _writable(self: NDArray) -> bool:
    """Whether the array may be written to: always True in gluax (MXNet marks the read-only
    DLPack views it hands out False)."""
    return True


NDArray.writable = property(_writable)  # type: ignore[attr-defined]
