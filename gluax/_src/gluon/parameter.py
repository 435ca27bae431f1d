"""``gluon.Parameter``, ``gluon.Constant`` and ``gluon.ParameterDict``.

A Parameter owns one NDArray per context and, unless ``grad_req='null'``, a gradient buffer
attached to it (the autograd tape writes there). While a HybridBlock's pure function is traced,
a ``ParamScope`` stands in for the real arrays: ``data()`` returns the traced value and
``set_data()`` writes into the scope, which is how running statistics come back as aux state.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Iterator

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine import tape as _tape
from gluax._src.engine.base import (
    DeferredInitializationError,
    canonical_dtype,
    np_dtype_type,
)
from gluax._src.engine.context import Context, as_context, current_context
from gluax._src.engine.ndarray import NDArray, Symbol, host_filled, host_to_device, mark_made
from gluax._src.engine.serialization import load as nd_load
from gluax._src.engine.serialization import save as nd_save
from gluax._src.engine.state import STATE, eager_scope
from gluax._src.numpy.multiarray import array_types as _array_types
from gluax._src.numpy.multiarray import np_in_place as _np_in_place
from gluax._src.gluon import init as _init


def _not_initialized(p: Any) -> str:
    """The uninitialized-parameter message; after a load with ``allow_missing=True`` that
    left it out, it says so under the name the load used."""
    missing = getattr(p, "_missing_from", None)
    if missing:
        fname, key = missing
        return (
            f"Parameter '{key}' ({p.name}) has not been initialized: it was not in {fname!r}, "
            "loaded with allow_missing=True. Initialize the parameters the file lacks, e.g. "
            "net.initialize() before load_parameters (loaded values replace the initial ones)."
        )
    return NOT_INITIALIZED.format(name=p.name)


NOT_INITIALIZED = (
    "Parameter '{name}' has not been initialized. Note that you should initialize parameters "
    "and create Trainer with Block.collect_params() instead of Block.params because the later "
    "does not include Parameters of nested child Blocks. Call net.initialize() before the "
    "first forward."
)

DEFERRED = (
    "Parameter '{name}' has not been initialized yet because initialization was deferred. "
    "Actual initialization happens during the first forward pass. Please pass one batch of "
    "data through the network before accessing Parameters."
)


# Bumped whenever any parameter's grad_req or context list changes, so compiled blocks re-split
# their parameters (trainable / aux, one or several contexts) without checking every parameter
# on every call.
LAYOUT_VERSION = [0]


class StorageTypeError(ValueError, AssertionError):
    """An unknown ``stype``/``grad_stype`` (MXNet asserts; a ValueError too)."""


class ParamScope:
    """Traced stand-ins for parameters while a pure function is traced."""

    def __init__(self, values: dict[Parameter, NDArray]) -> None:
        self.values = values
        self.written: set[Parameter] = set()

    def __enter__(self) -> ParamScope:
        STATE.param_scopes.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        STATE.param_scopes.pop()


def _shape_tuple(shape: Any) -> tuple[int, ...] | None:
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def shape_known(shape: tuple[int, ...] | None) -> bool:
    return shape is not None and all(d > 0 for d in shape)


class Parameter:
    """A weight of a Block: data per context, gradient, and training attributes.

    Parameters
    ----------
    name : str
    grad_req : {'write', 'add', 'null'}, default 'write'
    shape : tuple of int, optional. 0 marks a dimension inferred at the first forward.
    dtype : default numpy.float32
    lr_mult, wd_mult : float, default 1.0. Read by the optimizer at every update.
    init : Initializer or str, optional. Wins over the global initializer.
    allow_deferred_init : bool, default False
    differentiable : bool, default True. False forces ``grad_req='null'``.
    """

    def __init__(
        self,
        name: str,
        grad_req: str = "write",
        shape: Any = None,
        dtype: Any = np.float32,
        lr_mult: float = 1.0,
        wd_mult: float = 1.0,
        init: Any = None,
        allow_deferred_init: bool = False,
        differentiable: bool = True,
        stype: str = "default",
        grad_stype: str = "default",
    ) -> None:
        for what, v in (("stype", stype), ("grad_stype", grad_stype)):
            if v not in ("default", "row_sparse", "csr"):
                raise StorageTypeError(
                    f"Parameter {name!r}: {what}={v!r} is not a storage type; MXNet's are "
                    "'default', 'row_sparse' and 'csr'."
                )
        if stype != "default" or grad_stype != "default":
            raise NotImplementedError(
                f"Parameter {name!r}: sparse storage (stype={stype!r}, grad_stype="
                f"{grad_stype!r}) is not supported by gluax; use the default dense storage."
            )
        self.name = name
        self._shape = _shape_tuple(shape)
        self._dtype = canonical_dtype(dtype)
        self._dtype_given = dtype  # MXNet's repr prints the dtype as it was given
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.init = init
        self.allow_deferred_init = allow_deferred_init
        self._differentiable = differentiable
        self._grad_req = grad_req if differentiable else "null"
        if self._grad_req not in ("write", "add", "null"):
            raise ValueError(
                f"Parameter {name!r}: grad_req must be 'write', 'add' or 'null', got {grad_req!r}."
            )
        self._data: list[NDArray] | None = None
        self._ctx_list: list[Context] | None = None
        self._deferred_init: tuple[Any, ...] = ()
        self._trainer: Any = None
        self._stype = stype

    # ---- attributes ---------------------------------------------------------------------
    def __repr__(self) -> str:
        shown = self._dtype_given if isinstance(self._dtype_given, str) else np_dtype_type(self._dtype)
        return f"Parameter {self.name} (shape={self.shape}, dtype={shown})"

    __hash__ = object.__hash__

    @property
    def shape(self) -> tuple[int, ...] | None:
        """The shape; 0 marks a dimension not known yet (inferred at the first forward), None
        when nothing is known."""
        return self._shape

    @shape.setter
    def shape(self, new_shape: Any) -> None:
        new = _shape_tuple(new_shape)
        if self._shape is None or new is None:
            self._shape = new
            return
        if len(new) != len(self._shape) or any(o not in (0, n) for o, n in zip(self._shape, new)):
            raise ValueError(
                f"Parameter '{self.name}': cannot change shape from {self._shape} to {new}; only "
                "unknown (0) dimensions can be filled in."
            )
        self._shape = new

    @property
    def dtype(self) -> Any:
        """The data type, as a numpy type (``numpy.float32``)."""
        return np_dtype_type(self._dtype)

    @dtype.setter
    def dtype(self, dtype: Any) -> None:
        self.cast(dtype)

    @property
    def grad_req(self) -> str:
        """How ``backward`` treats this parameter's gradient: ``'write'`` (overwrite), ``'add'``
        (accumulate) or ``'null'`` (no gradient; the Trainer does not update it).

        Setting it to ``'null'`` frees the gradient buffers; setting it back allocates them.
        """
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in ("write", "add", "null"):
            raise ValueError(
                f"Parameter '{self.name}': grad_req must be 'write', 'add' or 'null', got {req!r}."
            )
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        LAYOUT_VERSION[0] += 1
        if self._data is not None:
            for d in self._data:
                self._attach(d)

    @property
    def stype(self) -> str:
        """The storage type: always ``'default'`` (dense) in gluax."""
        return self._stype

    def _attach(self, arr: NDArray) -> None:
        if self._grad_req == "null":
            arr._ag = None
        else:
            v = arr._value
            if isinstance(v, jax.core.Tracer):
                arr._ag = _tape.VarInfo(self._grad_req, NDArray(jnp.zeros_like(v), arr._ctx))
            else:  # the zero buffer is made when first read (see VarInfo)
                zeros = (v.shape, v.dtype, v.sharding, arr._ctx)
                arr._ag = _tape.VarInfo(self._grad_req, zeros=zeros)

    # ---- initialization -------------------------------------------------------------------
    def initialize(
        self,
        init: Any = None,
        ctx: Any = None,
        default_init: Any = None,
        force_reinit: bool = False,
    ) -> None:
        """Initialize on ``ctx`` (a Context or a list; default the current context).
        Precedence: ``init`` argument, then the parameter's own ``init``, then
        ``default_init`` (``Uniform(0.07)``)."""
        if default_init is None:
            default_init = _init.Uniform()
        if self._data is not None and not force_reinit:
            import warnings

            warnings.warn(
                f"Parameter '{self.name}' is already initialized, ignoring. Set "
                "force_reinit=True to re-initialize.",
                stacklevel=3,
            )
            return
        self._data = None
        ctx_list = _ctx_list(ctx)
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_known(self._shape):
            if self.allow_deferred_init:
                self._deferred_init = (init, ctx_list, default_init, None)
                return
            raise ValueError(
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                f"{self._shape}. Give every dimension a size, or allow_deferred_init=True."
            )
        self._deferred_init = (init, ctx_list, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self) -> None:
        if not self._deferred_init:
            return
        init, ctx_list, default_init, data = self._deferred_init
        if not shape_known(self._shape):
            raise DeferredInitializationError(
                f"Deferred initialization failed because shape cannot be inferred: Parameter "
                f"'{self.name}' has shape {self._shape}."
            )
        self._deferred_init = ()
        # Initializers run eagerly even when reached from inside a trace.
        with eager_scope():
            if data is None:
                dev = ctx_list[0].jax_device
                arr = NDArray(host_filled(self._shape, self._dtype, dev), ctx_list[0])
                # MXNet 1.9: the resolved init (own, else the global default) always runs its
                # _init_weight, whatever the parameter's name.
                desc = _init.InitDesc(self.name, {"__init__": init})
                _init.create(default_init)(desc, arr)
                value = arr._value
            else:
                value = data._value if isinstance(data, NDArray) else jnp.asarray(data)
            self._init_impl(value, ctx_list)
            if data is None:
                mark_made([d._value for d in self._data])

    def _init_impl(self, value: Any, ctx_list: list[Context]) -> None:
        self._shape = _shape_tuple(self._shape)  # code may assign a list (GluonCV's pruning)
        if tuple(value.shape) != self._shape:
            raise ValueError(
                f"Parameter '{self.name}': data of shape {tuple(value.shape)} does not match {self._shape}."
            )
        value = value.astype(self._dtype)
        LAYOUT_VERSION[0] += 1
        self._ctx_list = list(ctx_list)
        self._data = []
        array_type = _array_types()[0]  # np.ndarray in numpy mode
        for c in ctx_list:
            arr = array_type(jax.device_put(value, c.jax_device), c)
            self._attach(arr)
            self._data.append(arr)

    def _check_initialized(self, ctx: Context | None = None) -> None:
        if self._data is not None:
            return
        if self._deferred_init:
            raise DeferredInitializationError(DEFERRED.format(name=self.name))
        raise RuntimeError(_not_initialized(self))

    def _check_initialized_or_deferred(self) -> None:
        """What Trainer requires: initialized, or initialization pending a first forward."""
        if self._data is None and not self._deferred_init:
            raise RuntimeError(_not_initialized(self))

    def _is_initialized(self) -> bool:
        return self._data is not None

    # ---- MXNet internals Gluon libraries use (GluonNLP's WeightDropParameter) -------------
    _var = None  # MXNet's cached symbol variable; gluax traces the data instead
    _ctx_map = None  # MXNet's context -> copy index; gluax keeps _ctx_list

    @property
    def _allow_deferred_init(self) -> bool:
        return self.allow_deferred_init

    @property
    def _grad(self) -> list[NDArray] | None:
        """The gradient of each copy (None before initialization or with grad_req='null')."""
        if self._data is None or self._grad_req == "null":
            return None
        return [d._ag.grad for d in self._data]  # type: ignore[union-attr]

    @_grad.setter
    def _grad(self, value: Any) -> None:
        # gradients travel with the data arrays in gluax: a subclass copying another
        # parameter's _data (and then its _grad, as MXNet code does) already shares them
        pass

    def _check_and_get(self, arr_list: list[NDArray] | None, ctx: Any) -> Any:
        """MXNet's accessor: ``arr_list`` when ``ctx is list``, else its copy on ``ctx``; the
        initialization errors of ``data()`` when ``arr_list`` is None."""
        if arr_list is None:
            if self._deferred_init:
                raise DeferredInitializationError(DEFERRED.format(name=self.name))
            raise RuntimeError(_not_initialized(self))
        if ctx is list:
            return arr_list
        return self._pick(arr_list, ctx)

    # ---- data access ----------------------------------------------------------------------
    def _scoped(self) -> NDArray | None:
        if STATE.param_scopes:
            return STATE.param_scopes[-1].values.get(self)
        return None

    def _pick(self, arrs: list[NDArray], ctx: Any) -> NDArray:
        if len(arrs) == 1 and ctx is None:
            return arrs[0]
        ctx = current_context() if ctx is None else as_context(ctx)
        for c, a in zip(self._ctx_list or [], arrs):
            if c == ctx:
                return a
        if len(arrs) == 1:
            return arrs[0]
        raise RuntimeError(
            f"Parameter '{self.name}' was not initialized on context {ctx}. It was only "
            f"initialized on {self._ctx_list}."
        )

    def data(self, ctx: Any = None) -> NDArray:
        """The data on ``ctx`` (the only copy, or the current context's)."""
        scoped = self._scoped()
        if scoped is not None:
            return scoped
        self._check_initialized()
        _np_in_place(self._data)  # np.ndarray in numpy mode
        return self._pick(self._data, ctx)  # type: ignore[arg-type]

    def list_data(self) -> list[NDArray]:
        """The data on every context, in ``list_ctx()`` order."""
        self._check_initialized()
        _np_in_place(self._data)  # np.ndarray in numpy mode
        return list(self._data)  # type: ignore[arg-type]

    def grad(self, ctx: Any = None) -> NDArray:
        """The gradient buffer on ``ctx``."""
        if self._data is not None and self._grad_req == "null":
            raise RuntimeError(
                f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'."
            )
        self._check_initialized()
        return self._pick([d.grad for d in self._data], ctx)  # np.ndarray's grad is one too

    def list_grad(self) -> list[NDArray]:
        """The gradient of each copy, one per context (see ``list_ctx``).

        Returns
        -------
        list of NDArray

        Raises
        ------
        RuntimeError
            If ``grad_req`` is ``'null'`` or the parameter is not initialized.
        """
        if self._data is not None and self._grad_req == "null":
            raise RuntimeError(
                f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'."
            )
        self._check_initialized()
        return [d._ag.grad for d in self._data]  # type: ignore[union-attr]

    def list_ctx(self) -> list[Context]:
        """Contexts this parameter lives on (pending ones when initialization is deferred)."""
        if self._data is None:
            if self._deferred_init:
                return list(self._deferred_init[1])
            raise RuntimeError(_not_initialized(self))
        return list(self._ctx_list)  # type: ignore[arg-type]

    def zero_grad(self) -> None:
        """Set the gradient buffers to zero."""
        if self._data is None or self._grad_req == "null":
            return
        for d in self._data:
            info = d._ag
            if info._grad is not None:  # type: ignore[union-attr]
                g = info._grad  # type: ignore[union-attr]
                v = g._value
                g._value = (
                    jnp.zeros_like(v)
                    if isinstance(v, jax.core.Tracer)
                    else host_filled(v.shape, v.dtype, v.sharding)
                )

    def set_data(self, data: Any) -> None:
        """Replace the data on every context (shape must match)."""
        scoped = self._scoped()
        if scoped is not None or (STATE.param_scopes and STATE.tracing):
            value = data._value if isinstance(data, NDArray) else jnp.asarray(data)
            scope = STATE.param_scopes[-1]
            ctx = scoped._ctx if scoped is not None else None
            cls = type(scoped) if scoped is not None else NDArray
            if isinstance(value, jax.core.Tracer):
                cls = Symbol
            scope.values[self] = cls(value.astype(self._dtype), ctx)
            scope.written.add(self)
            return
        value = data._value if isinstance(data, NDArray) else host_to_device(np.asarray(data))
        if (
            self._shape is not None
            and shape_known(self._shape)
            and tuple(value.shape) != self._shape
        ):
            raise ValueError(
                f"Parameter '{self.name}': set_data expected shape {self._shape}, got "
                f"{tuple(value.shape)}."
            )
        if self._data is None:
            if self._deferred_init:
                self.shape = tuple(value.shape)
                init, ctx_list, default_init, _ = self._deferred_init
                self._deferred_init = (init, ctx_list, default_init, NDArray(value))
                return
            raise RuntimeError(_not_initialized(self))
        if value.dtype != self._dtype:
            value = value.astype(self._dtype)
        for d in self._data:
            dev = d._ctx.jax_device
            same = isinstance(value, jax.Array) and value.sharding == _single(dev)
            d._set_value(value if same else jax.device_put(value, dev))

    def _set_raw(self, value: Any) -> None:
        """Write a new value into every copy without checks (aux write-back, updates)."""
        for d in self._data:  # type: ignore[union-attr]
            d._value = value if len(self._data) == 1 else jax.device_put(value, d._ctx.jax_device)  # type: ignore[arg-type]

    def _reduce(self) -> NDArray:
        """The average of all copies, on CPU (what save_parameters writes)."""
        arrs = self.list_data()
        if len(arrs) == 1:
            return arrs[0]
        cpu = jax.devices("cpu")[0]
        total = sum(jax.device_put(a._value, cpu) for a in arrs)
        return NDArray(total / len(arrs))

    def reset_ctx(self, ctx: Any) -> None:
        """Move the data to new contexts (copies are averaged first)."""
        ctx_list = _ctx_list(ctx)
        if self._data is not None:
            value = self._reduce()._value
            self._init_impl(value, ctx_list)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx_list, default_init, data)
        else:
            raise ValueError(
                f"Cannot reset context for Parameter '{self.name}' because it has not been initialized."
            )

    def cast(self, dtype: Any) -> None:
        """Cast data and gradient to ``dtype``."""
        self._dtype = canonical_dtype(dtype)
        self._dtype_given = dtype
        if self._data is None:
            return
        for d in self._data:
            d._value = d._value.astype(self._dtype)
            self._attach(d)

    def var(self) -> Any:
        """The Symbol variable standing for this Parameter in a graph (made once)."""
        from gluax._src.gluon.symbol import param_var

        return param_var(self)

    def _load_init(
        self, data: NDArray, ctx: Any, cast_dtype: bool = False, dtype_source: str = "current"
    ) -> None:
        """Initialize from (or overwrite with) loaded ``data``, as load_parameters does."""
        value = self._check_load(data, cast_dtype)
        self._shape = tuple(value.shape)
        saved = value.dtype.name
        if saved != self._dtype:
            if dtype_source == "saved":
                self._dtype = saved
            value = value.astype(self._dtype)
        self._missing_from = None
        if self._data is None:
            if self._deferred_init:
                ctx_list = self._deferred_init[1] if ctx is None else _ctx_list(ctx)
            else:
                ctx_list = _ctx_list(ctx)
            self._deferred_init = ()
            self._init_impl(value, ctx_list)
        else:
            for d in self._data:
                d._value = jax.device_put(value, d._ctx.jax_device)

    def _check_load(self, data: NDArray, cast_dtype: bool = False) -> Any:
        """Raise if ``data`` cannot be loaded into this parameter (shape, dtype); changes
        nothing, so a load can check every parameter before assigning any."""
        value = data._value
        if self._shape is not None:
            if len(self._shape) != len(value.shape) or any(
                s not in (0, v) for s, v in zip(self._shape, value.shape)
            ):
                raise ValueError(
                    f"Failed loading Parameter '{self.name}' from saved params: shape incompatible "
                    f"expected {self._shape} vs saved {tuple(value.shape)}."
                )
        self._shape = tuple(value.shape)
        saved = value.dtype.name
        if saved != self._dtype:
            if not cast_dtype:
                raise ValueError(
                    f"Failed loading Parameter '{self.name}' from saved params: dtype incompatible "
                    f"expected {self._dtype} vs saved {saved}. Set cast_dtype=True to cast the "
                    "dtype of saved params."
                )
        return value


def _ctx_list(ctx: Any) -> list[Context]:
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, (list, tuple)):
        if not ctx:
            raise ValueError("ctx list must not be empty.")
        return [as_context(c) for c in ctx]
    return [as_context(ctx)]


class Constant(Parameter):
    """A parameter that holds a fixed value (``grad_req='null'``); saved with the others."""

    def __init__(self, name: str, value: Any) -> None:
        # As in MXNet: an NDArray keeps its dtype, anything else (numpy arrays of any dtype
        # included) becomes float32 through nd.array.
        arr = value.asnumpy() if isinstance(value, NDArray) else np.asarray(value, dtype=np.float32)
        self.value = arr
        super().__init__(
            name, grad_req="null", shape=arr.shape, dtype=arr.dtype, init=_init.Constant(arr)
        )

    def __repr__(self) -> str:
        return f"Constant {self.name} (shape={self.shape}, dtype={np_dtype_type(self._dtype)})"

    @Parameter.grad_req.setter  # type: ignore[attr-defined]
    def grad_req(self, req: str) -> None:
        if req != "null":
            import warnings

            warnings.warn(
                f"Constant parameter '{self.name}' does not support grad_req other than 'null', and new value '{req}' is ignored.",
                stacklevel=2,
            )


class ParameterDict:
    """An ordered name -> Parameter mapping with a prefix (and an optional shared dict)."""

    def __init__(self, prefix: str = "", shared: ParameterDict | None = None) -> None:
        self._prefix = prefix
        self._params: OrderedDict[str, Parameter] = OrderedDict()
        self._shared = shared

    def __repr__(self) -> str:
        body = "\n".join(f"  {p!r}" for p in self._params.values())
        return f"{self._prefix} (\n{body}\n)"

    def __getitem__(self, key: str) -> Parameter:
        return self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def items(self) -> Any:
        """``(full name, Parameter)`` pairs, in insertion order."""
        return self._params.items()

    def keys(self) -> Any:
        """The full names of the parameters (``'dense0_weight'``, ...), in insertion order."""
        return self._params.keys()

    def values(self) -> Any:
        """The :class:`Parameter` objects, in insertion order."""
        return self._params.values()

    @property
    def prefix(self) -> str:
        """The prefix that ``get`` prepends to a name (the owning block's prefix)."""
        return self._prefix

    def _get_impl(self, name: str) -> Parameter | None:
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name: str, **kwargs: Any) -> Parameter:
        """The parameter ``prefix + name``, created with ``kwargs`` if it does not exist; an
        existing one must agree with ``kwargs`` (unknown shape dims are filled in)."""
        full = self._prefix + name
        param = self._get_impl(full)
        if param is None:
            param = Parameter(full, **kwargs)
            self._params[full] = param
            return param
        for k, v in kwargs.items():
            if k == "shape" and v is not None:
                v = _shape_tuple(v)
                old = param.shape
                if old is not None and len(old) == len(v):
                    merged = tuple(o if o else n for o, n in zip(old, v))
                    if all(o in (0, m) and n in (0, m) for o, n, m in zip(old, v, merged)):
                        param._shape = merged
                        continue
                raise ValueError(
                    f"Cannot retrieve Parameter '{full}' because desired shape {v} is incompatible with existing {old}."
                )
            if k == "dtype":
                if canonical_dtype(v) != param._dtype:
                    raise ValueError(
                        f"Cannot retrieve Parameter '{full}': dtype {v} differs from existing {param._dtype}."
                    )
                continue
            existing = getattr(param, k, None)
            if v is not None and existing is not None and existing != v and k != "init":
                raise ValueError(
                    f"Cannot retrieve Parameter '{full}' because desired attribute {k}={v!r} differs from existing {existing!r}."
                )
            if existing is None and v is not None:
                setattr(param, k, v)
        return param

    def get_constant(self, name: str, value: Any = None) -> Constant:
        """The Constant ``prefix + name``, created from ``value`` if it does not exist."""
        full = self._prefix + name
        param = self._get_impl(full)
        if param is None:
            if value is None:
                raise KeyError(
                    f"No constant named '{full}'. Please specify value if you want to create a new constant."
                )
            param = Constant(full, value)
            self._params[full] = param
        elif not isinstance(param, Constant):
            raise TypeError(f"Parameter '{full}' already exists but it is not a constant.")
        return param

    def update(self, other: ParameterDict) -> None:
        """Add every parameter of ``other`` (a name may not map to two different objects)."""
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise ValueError(
                    f"Cannot update self with other because they have different Parameters with the same name '{k}'."
                )
            self._params[k] = v

    def initialize(
        self, init: Any = None, ctx: Any = None, verbose: bool = False, force_reinit: bool = False
    ) -> None:
        """Initialize every parameter (``init`` is the default for those without their own)."""
        if init is None:
            init = _init.Uniform()
        init = _init.create(init)
        if verbose:
            init.set_verbosity(verbose)
        for p in self.values():
            p.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        """Zero the gradients of every parameter."""
        for p in self.values():
            p.zero_grad()

    def reset_ctx(self, ctx: Any) -> None:
        """Move every parameter (data and gradient) to other context(s).

        Parameters
        ----------
        ctx : Context or list of Context
        """
        for p in self.values():
            p.reset_ctx(ctx)

    def list_ctx(self) -> list[Context]:
        """The contexts the parameters are on, each listed once, in first-seen order.

        Returns
        -------
        list of Context
        """
        out: list[Context] = []
        for p in self.values():
            for c in p.list_ctx():
                if c not in out:
                    out.append(c)
        return out

    def setattr(self, name: str, value: Any) -> None:
        """Set an attribute on every parameter, e.g. ``setattr('grad_req', 'null')``."""
        for p in self.values():
            setattr(p, name, value)

    def save(self, filename: str, strip_prefix: str = "") -> None:
        """Save with full names (``strip_prefix`` removed from each)."""
        arg = {}
        for p in self.values():
            name = p.name
            if strip_prefix and not name.startswith(strip_prefix):
                raise ValueError(
                    f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's "
                    f"name '{name}' does not start with '{strip_prefix}'."
                )
            arg[name[len(strip_prefix) :]] = p._reduce()
        nd_save(filename, arg)

    def load(
        self,
        filename: str,
        ctx: Any = None,
        allow_missing: bool = False,
        ignore_extra: bool = False,
        restore_prefix: str = "",
        cast_dtype: bool = False,
        dtype_source: str = "current",
    ) -> None:
        """Load a file saved with full names (``restore_prefix`` is prepended to each)."""
        loaded = nd_load(filename)
        if not isinstance(loaded, dict):
            raise ValueError(
                f"ParameterDict.load: {filename!r} holds an unnamed list of arrays; expected named parameters."
            )
        self.load_dict(
            loaded,
            ctx,
            allow_missing,
            ignore_extra,
            restore_prefix,
            filename,
            cast_dtype,
            dtype_source,
        )

    def load_dict(
        self,
        param_dict: dict[str, NDArray],
        ctx: Any = None,
        allow_missing: bool = False,
        ignore_extra: bool = False,
        restore_prefix: str = "",
        filename: str | None = None,
        cast_dtype: bool = False,
        dtype_source: str = "current",
    ) -> None:
        """Load from a name -> NDArray dict (``arg:``/``aux:`` prefixes are stripped)."""
        where = f"file '{filename}'" if filename else "the dict"
        arrays = {}
        for k, v in param_dict.items():
            name = k[4:] if k.startswith(("arg:", "aux:")) else k
            arrays[restore_prefix + name] = v
        if not allow_missing:
            for name in self.keys():
                if name not in arrays:
                    raise RuntimeError(
                        f"Parameter '{name[len(restore_prefix) :]}' is missing in {where}, which "
                        f"contains parameters: {_brief(arrays)}. Set allow_missing=True to ignore "
                        "missing parameters."
                    )
        for name in arrays:
            if name not in self._params:
                if ignore_extra:
                    continue
                raise ValueError(
                    f"Parameter '{name[len(restore_prefix) :]}' loaded from {where} is not present "
                    f"in this ParameterDict, which contains parameters {_brief(self._params)}. Set "
                    "ignore_extra=True to ignore."
                )
        for name, v in arrays.items():  # every check first: a refused file changes nothing
            if name in self._params:
                self._params[name]._check_load(v, cast_dtype)
        for name, v in arrays.items():
            if name in self._params:
                self._params[name]._load_init(v, ctx, cast_dtype, dtype_source)


def _brief(names: Any, limit: int = 10) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}] ({len(names)} in all)"


def select_params(params: ParameterDict, select: str | None, prefix: str) -> ParameterDict:
    out = ParameterDict(prefix)
    if select is None:
        out.update(params)
    else:
        pattern = re.compile(select)
        out._params.update((k, v) for k, v in params.items() if pattern.match(k))
    return out


_SINGLE: dict[Any, Any] = {}


def _single(device: Any) -> Any:
    """The placement of an array on ``device`` alone (kept per device: building it costs)."""
    s = _SINGLE.get(device)
    if s is None:
        s = _SINGLE[device] = jax.sharding.SingleDeviceSharding(device)
    return s
