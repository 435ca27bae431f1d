"""``gluon.Block`` and ``gluon.HybridBlock``: naming, children, parameters, forward, and
``hybridize()`` as ``jax.jit`` of one pure function.

Every HybridBlock is also the pure function ``(params, aux, inputs, rng, training) ->
(outputs, new_aux)`` (``HybridBlock.functional``). ``hybridize()`` compiles exactly that
function; under ``autograd.record()`` the compiled call also returns its VJP and becomes one
node on the autograd tape.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from gluax._src.engine import compile_cache as _cc
from gluax._src.engine import lazy as _lazy
from gluax._src.engine import random as _random
from gluax._src.engine import tape as _tape
from gluax._src.engine.base import DeferredInitializationError
from gluax._src.engine.context import Context
from gluax._src.engine.ndarray import NDArray, Symbol
from gluax._src.engine.serialization import load as nd_load
from gluax._src.engine.serialization import save as nd_save
from gluax._src.engine.state import STATE
from gluax._src.gluon import block_cache as _bc
from gluax._src.gluon import bucketing as _bucketing
from gluax._src.gluon import init as _init
from gluax._src.gluon import parameter as _parameter_mod
from gluax._src.gluon.diagnostics import (
    _TRACER_ERRORS,
    RECOMPILE_WARNING,
    HybridizeError,
    _tracer_message,
    _user_stacklevel,
)
from gluax._src.gluon.naming import HookHandle, _create_prefix, _indent, _Scope
from gluax._src.gluon.parameter import Parameter, ParameterDict, ParamScope, select_params
from gluax._src.gluon.symbol import Symbol as _GraphSymbol
from gluax._src.gluon.symbol import block_forward as _symbol_block_forward
from gluax._src.numpy.multiarray import array_types as _array_types

NON_HYBRID_CHILD = (
    "Children of HybridBlock must also be HybridBlock, but {child} is a plain {type}. A plain "
    "Block runs Python that cannot be compiled. If you are using Sequential, please try "
    "HybridSequential instead:\n"
    "    net = nn.HybridSequential()   # not: nn.Sequential()\n"
    "or keep the parent a plain Block and hybridize only its HybridBlock children."
)


# ---- Block --------------------------------------------------------------------------------------


class Block:
    """Base class of all layers and models (``mxnet.gluon.Block``).

    Parameters
    ----------
    prefix : str, optional
        Prefix of this block's name and parameter names; generated from the class name and a
        counter when omitted (``dense0_``). ``''`` gives no prefix of its own.
    params : ParameterDict, optional
        Share parameters: new parameters are looked up in this dict first.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon import nn
    >>> net = nn.Sequential(prefix="model_")
    >>> with net.name_scope():
    ...     net.add(nn.Dense(4, in_units=3))
    >>> list(net.collect_params().keys())
    ['model_dense0_weight', 'model_dense0_bias']
    """

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None) -> None:
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _create_prefix(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _Scope(self)
        self._children: OrderedDict[str, Block] = OrderedDict()
        self._reg_params: dict[str, Parameter] = {}
        self._forward_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._forward_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()

    def _alias(self) -> str:
        return self.__class__.__name__.lower()

    def __repr__(self) -> str:
        items = [
            f"  ({k}): {_indent(repr(v), 2)}"
            for k, v in self.__dict__.items()
            if isinstance(v, Block)
        ]
        if not items:
            return f"{self.__class__.__name__}(\n\n)"
        return f"{self.__class__.__name__}(\n" + "\n".join(items) + "\n)"

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, name) and "_children" in self.__dict__:
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError(
                    f"Changing attribute type for {name} from {type(existing)} to {type(value)} "
                    "is not allowed."
                )
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self.__dict__.get("_reg_params", {}) and self._reg_params[name] is not value:
                raise ValueError(
                    f"Overriding Parameter attribute {name} is not allowed. If you want to share "
                    "parameters between blocks, please set 'params' at Block construction instead."
                )
            self._reg_params[name] = value
        super().__setattr__(name, value)

    @property
    def prefix(self) -> str:
        """The prefix of this block's parameter and child names (``'dense0_'``)."""
        return self._prefix

    @property
    def name(self) -> str:
        """This block's name: its prefix without the trailing underscore (``'dense0'``)."""
        return self._name

    def name_scope(self) -> _Scope:
        """Scope for creating children: their prefixes start with this block's prefix."""
        return self._scope

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters (not its children's: use ``collect_params()``)."""
        return self._params

    def collect_params(self, select: str | None = None) -> ParameterDict:
        """This block's and all descendants' parameters by full name; ``select`` is a regex
        matched (``re.match``) against the names, e.g. ``'.*weight|.*bias'``. Warns, as MXNet
        does, about attributes that are lists/tuples/dicts holding unregistered Blocks."""
        self._check_container_with_block()
        ret = select_params(self._params, select, self._params.prefix)
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

    def _check_container_with_block(self) -> None:
        registered = {id(c) for c in self._children.values()}

        def holds_block(v: Any) -> bool:
            if isinstance(v, (list, tuple)):
                return any(holds_block(x) for x in v)
            if isinstance(v, dict):
                return any(holds_block(x) for x in v.values())
            return isinstance(v, Block) and id(v) not in registered

        for name, value in vars(self).items():
            if (
                isinstance(value, (list, tuple, dict))
                and not name.startswith("_")
                and holds_block(value)
            ):
                warnings.warn(
                    f'"{name}" is an unregistered container with Blocks. Blocks inside a list, '
                    "tuple or dict are not registered automatically: register them with "
                    "register_child() or use nn.Sequential()/nn.HybridSequential() instead.",
                    stacklevel=3,
                )

    def _collect_params_with_prefix(self, prefix: str = "") -> OrderedDict[str, Parameter]:
        if prefix:
            prefix += "."
        ret: OrderedDict[str, Parameter] = OrderedDict(
            (prefix + k, v) for k, v in self._reg_params.items()
        )
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """Save parameters under structural names (``0.weight``, ``body.1.bias``) in MXNet's
        binary format; the write is atomic."""
        params = self._collect_params_with_prefix()
        if deduplicate:
            seen: dict[int, str] = {}
            params = OrderedDict(
                (k, v) for k, v in params.items() if seen.setdefault(id(v), k) == k
            )
        nd_save(filename, {k: v._reduce() for k, v in params.items()})

    def load_parameters(
        self,
        filename: str,
        ctx: Any = None,
        allow_missing: bool = False,
        ignore_extra: bool = False,
        cast_dtype: bool = False,
        dtype_source: str = "current",
    ) -> None:
        """Load parameters saved by ``save_parameters`` (gluax's or MXNet's). Files whose keys
        have no ``.`` are loaded by prefixed name (MXNet's legacy path)."""
        loaded = nd_load(filename)
        if not isinstance(loaded, dict):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': {filename!r} holds an unnamed list of arrays; expected named parameters."
            )
        self._load_dict(
            loaded, filename, ctx, allow_missing, ignore_extra, cast_dtype, dtype_source
        )

    def _load_dict(
        self,
        loaded: dict[str, NDArray],
        filename: str,
        ctx: Any,
        allow_missing: bool,
        ignore_extra: bool,
        cast_dtype: bool,
        dtype_source: str,
    ) -> None:
        if not any("." in k for k in loaded):
            self.collect_params().load_dict(
                loaded,
                ctx,
                allow_missing,
                ignore_extra,
                self.prefix,
                filename,
                cast_dtype,
                dtype_source,
            )
            return
        params = self._collect_params_with_prefix()
        if not allow_missing:
            by_id: dict[int, list[str]] = {}
            for k, v in params.items():
                by_id.setdefault(id(v), []).append(k)
            for names in by_id.values():
                if not any(n in loaded for n in names):
                    raise RuntimeError(
                        f"Parameter '{names[0]}' is missing in file '{filename}', which contains "
                        f"parameters: {_brief(loaded)}. Set allow_missing=True to ignore missing "
                        "parameters."
                    )
        for name, arr in loaded.items():
            if name not in params:
                if ignore_extra:
                    continue
                raise ValueError(
                    f"Parameter '{name}' loaded from file '{filename}' is not present in "
                    f"{type(self).__name__} '{self.name}', which contains parameters: "
                    f"{_brief(params)}. Set ignore_extra=True to ignore."
                )
        for name, arr in loaded.items():  # every check first: a refused file changes nothing
            if name in params:
                params[name]._check_load(arr, cast_dtype)
        for name, arr in loaded.items():
            if name in params:
                params[name]._load_init(arr, ctx, cast_dtype, dtype_source)
        for name, p in params.items():
            if name not in loaded and p._data is None:
                p._missing_from = (filename, name)

    def save_params(self, filename: str) -> None:
        """Deprecated MXNet alias: saves with prefix-stripped full names."""
        warnings.warn(
            "save_params is deprecated. Please use save_parameters.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_params(
        self,
        filename: str,
        ctx: Any = None,
        allow_missing: bool = False,
        ignore_extra: bool = False,
    ) -> None:
        """Deprecated MXNet alias of ``load_parameters``."""
        warnings.warn(
            "load_params is deprecated. Please use load_parameters.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    def register_child(self, block: Block, name: str | None = None) -> None:
        """Register ``block`` as a child (``name`` defaults to its index)."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> HookHandle:
        """``hook(block, inputs)`` runs before each forward."""
        return HookHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable[..., Any]) -> HookHandle:
        """``hook(block, inputs, outputs)`` runs after each forward."""
        return HookHandle(self._forward_hooks, hook)

    def apply(self, fn: Callable[[Block], Any]) -> Block:
        """Call ``fn`` on every descendant (children first), then on this block."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(
        self, init: Any = None, ctx: Any = None, verbose: bool = False, force_reinit: bool = False
    ) -> None:
        """Initialize all parameters (default initializer ``Uniform(0.07)``; a parameter's
        own ``init`` wins). Parameters with unknown shape finish at the first forward."""
        self.collect_params().initialize(
            init if init is not None else _init.Uniform(), ctx, verbose, force_reinit
        )

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Hybridize every HybridBlock child (a plain Block itself always runs eagerly)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype: Any) -> None:
        """Cast all parameters to ``dtype``."""
        for child in self._children.values():
            child.cast(dtype)
        for p in self.params.values():
            p.cast(dtype)

    def __call__(self, *args: Any) -> Any:
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                hook(self, args)
        out = self.forward(*args)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                hook(self, args, out)
        return out

    def forward(self, *args: Any) -> Any:
        """Override to define the computation (NDArrays in, NDArrays out)."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward().")

    def summary(self, *inputs: Any) -> None:
        """Print each layer's output shape and parameter count for ``inputs``."""
        from gluax._src.gluon.summary import summary

        summary(self, *inputs)


def _brief(names: Any, limit: int = 10) -> str:
    names = list(names)
    return (
        "["
        + ", ".join(repr(n) for n in names[:limit])
        + (", ..." if len(names) > limit else "")
        + f"] ({len(names)} in all)"
    )


# ---- HybridBlock --------------------------------------------------------------------------------


class HybridInputError(TypeError, ValueError):
    """A HybridBlock got inputs it cannot take (MXNet raises ValueError; a TypeError too)."""


class Functional(NamedTuple):
    """The pure-function view of a HybridBlock: ``apply(params, aux, inputs, rng, training)
    -> (outputs, new_aux)`` with ``params``/``aux`` dicts of jax arrays keyed by structural
    names (the keys ``save_parameters`` writes)."""

    apply: Callable[..., Any]
    params: dict[str, jax.Array]
    aux: dict[str, jax.Array]


def _is_nd(x: Any) -> bool:
    return isinstance(x, NDArray)


def _unwrap(tree: Any) -> Any:
    return jax.tree_util.tree_map(
        lambda x: x._value if isinstance(x, NDArray) else x, tree, is_leaf=_is_nd
    )


class _TraceState:
    """Tracing on, recording off, training as given, a key source from the traced key."""

    def __init__(self, training: bool, source: Any, valid: Any = None) -> None:
        self.training, self.source, self.valid = training, source, valid

    def __enter__(self) -> None:
        s = STATE
        self.saved = (s.recording, s.training, s.valid_rows, s.valid_steps)
        s.tracing += 1
        s.recording, s.training = False, self.training
        if self.valid is not None:  # (real rows or None, real time steps or None)
            s.valid_rows, s.valid_steps = self.valid
        s.key_sources.append(self.source)

    def __exit__(self, *exc: Any) -> None:
        s = STATE
        s.key_sources.pop()
        s.tracing -= 1
        s.recording, s.training, s.valid_rows, s.valid_steps = self.saved


class HybridBlock(Block):
    """A Block whose computation is ``hybrid_forward(F, x, *args, **params)``, written with
    ``F`` operators, so it can run eagerly (``F`` is ``mx.nd``) or compiled by ``jax.jit``
    after ``hybridize()`` (``F`` is ``mx.sym`` and the values are traced).

    Notes
    -----
    MXNet traced a hybridized block once for all input shapes; ``jax.jit`` compiles once per
    input signature (shapes, dtypes, training mode). ``compile_count`` tells how often this
    block has been traced.
    """

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None) -> None:
        super().__init__(prefix, params)
        self._active = False
        self._flags: dict[str, Any] = {}
        self._bucketing = self._checking = False
        self._clear_cached_op()

    def _clear_cached_op(self) -> None:
        self._jit_fwd: Any = None
        self._param_items: list[tuple[str, Parameter]] | None = None
        self._uses_rng: dict[bool, bool] = {}
        self._compile_sigs: list[Any] = getattr(self, "_compile_sigs", [])
        self._trees: dict[int, Any] = {}
        self._none_inputs: tuple[bool, ...] | None = None
        self._plan_cache: Any = None
        self._last_call: Any = None
        self._real_shape_cache: dict[Any, Any] = {}  # bucketing: unpadded output shapes
        self._checked: set[Any] = set()
        self._initialized = False
        # per input signature, the programs of block_cache (VjpProgram / FwdProgram)
        self._progs: dict[Any, Any] = {}
        self.__dict__.pop("_struct_id", None)
        self.__dict__.pop("_last_exe", None)
        self.__dict__.pop("_direct", None)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        self.__dict__.pop("_fused_cached", None)  # a fused loss's operator (loss/core.py)
        if isinstance(value, HybridBlock) and "_jit_fwd" in self.__dict__:
            self._clear_cached_op()

    def register_child(self, block: Block, name: str | None = None) -> None:
        if not isinstance(block, HybridBlock):
            raise ValueError(
                NON_HYBRID_CHILD.format(
                    child=f"{type(block).__name__} '{block.name}'", type="Block"
                )
            )
        super().register_child(block, name)
        if "_jit_fwd" in self.__dict__:
            self._clear_cached_op()

    def hybridize(
        self,
        active: bool = True,
        backend: Any = None,
        clear: bool = True,
        static_alloc: bool = False,
        static_shape: bool = False,
        inline_limit: int = 2,
        forward_bulk_size: Any = None,
        backward_bulk_size: Any = None,
        **kwargs: Any,
    ) -> None:
        """Compile this block's forward with ``jax.jit`` from the next call on.

        ``static_alloc``/``static_shape`` are accepted for compatibility (XLA plans memory
        itself). ``active=False`` returns to eager execution. gluax-only keywords:

        - ``check=True``: run the first compiled call of each input signature beside an eager
          run and raise naming the first child whose outputs, aux state or gradients differ
          (``check_tol=(rtol, atol)``, default ``(1e-4, 1e-5)``).
        - ``bucket=N`` or ``bucket=[8, 16, 32]``: pad the batch axis (axis 0) up to ``N`` (or
          the next bucket size) so that ragged batches reuse one compiled program; the padding
          is cut from the outputs and left out of BatchNorm's statistics.
        - ``bucket_time=N`` or ``bucket_time=[16, 32, 64]``, with ``time_axis=1`` (layout
          'NTC'; 0 for 'TNC'): pad the time axis of sequence inputs the same way. gluax's
          recurrent layers (``gluon.rnn.RNN/LSTM/GRU``) run the padded steps with every
          sequence's length set to the real length, so outputs, final states and gradients
          equal the unpadded run; the padding is cut from the outputs. Layers that reduce or
          mix along time (softmax or pooling over time, attention) would see the padding: give
          them masks (``SequenceMask``, ``valid_length``) or do not bucket the time axis.
        - ``recompile_warning=N``: warn once after ``N`` compilations (default 8; 0: never).
        """
        self._active = active
        self._flags = dict(static_alloc=static_alloc, static_shape=static_shape, **kwargs)
        # read on every call: kept as plain booleans
        self._bucketing = bool(kwargs.get("bucket") or kwargs.get("bucket_time"))
        self._checking = bool(kwargs.get("check"))
        if clear:
            self._clear_cached_op()
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn(
                f'"{self.name}" is being hybridized while still having forward hook/pre-hook. '
                'If "{self.name}" is a child of HybridBlock, the hooks will not take effect.',
                stacklevel=2,
            )
        for child in self._children.values():
            child.hybridize(
                active,
                backend=backend,
                clear=clear,
                static_alloc=static_alloc,
                static_shape=static_shape,
                inline_limit=inline_limit,
                forward_bulk_size=forward_bulk_size,
                backward_bulk_size=backward_bulk_size,
                **kwargs,
            )

    def cast(self, dtype: Any) -> None:
        self._clear_cached_op()
        super().cast(dtype)

    @property
    def compile_count(self) -> int:
        """How many times this block's pure function has been traced (= compiled)."""
        return len(self._compile_sigs)

    def compile_stats(self) -> dict[str, Any]:
        """How often this block was compiled, and for which input signatures: a list of
        ``((shape, dtype) per input, training)`` in compilation order."""
        return {"compiles": len(self._compile_sigs), "signatures": list(self._compile_sigs)}

    def _check_recompiles(self) -> None:
        limit = self._flags.get("recompile_warning", RECOMPILE_WARNING)
        if (
            not limit
            or len(self._compile_sigs) <= limit
            or getattr(self, "_warned_recompiles", False)
        ):
            return
        self._warned_recompiles = True
        shapes = [tuple(s for s, _ in sig) for sig, _ in self._compile_sigs[-4:]]
        warnings.warn(
            f"{type(self).__name__} '{self.name}' has been compiled {len(self._compile_sigs)} "
            f"times; each new input shape compiles again (JAX specializes on shapes, MXNet did "
            f"not). Recent input shapes: {shapes}. Keep shapes fixed: drop or pad the last "
            "batch (DataLoader(last_batch='discard'), or pad to a fixed size), pad sequences "
            "to a few bucket lengths, or call hybridize(active=False) for this block. "
            "hybridize(recompile_warning=N) changes the threshold (0 disables it).",
            stacklevel=_user_stacklevel(),
        )

    def infer_shape(self, *args: Any) -> None:
        """Fill in unknown (0) parameter dimensions from the inputs; layers with deferred
        parameters override this."""
        pending = [
            p.name for p in self._reg_params.values() if p._data is None and p._deferred_init
        ]
        if pending:
            raise DeferredInitializationError(
                f"Deferred initialization failed because shape cannot be inferred: "
                f"{type(self).__name__} '{self.name}' has parameter(s) {pending} with unknown "
                "dimensions and does not override infer_shape(self, *args) to set them. Give "
                "the full shape when creating the parameter, or implement infer_shape."
            )

    def infer_type(self, *args: Any) -> None:
        """Parameters keep their declared dtypes in gluax."""

    def _deferred_infer(self, args: tuple[Any, ...]) -> None:
        pending = [p for p in self._reg_params.values() if p._data is None and p._deferred_init]
        if pending:
            self.infer_shape(*args)
            for p in pending:
                p._finish_deferred_init()

    def forward(self, x: Any, *args: Any) -> Any:
        """Run ``hybrid_forward``: compiled when hybridized (and not already inside a trace),
        else directly with ``F = mx.nd`` (or ``mx.sym`` inside a parent's trace)."""
        if args and _mixes_symbols((x,) + args):
            raise HybridInputError(
                f"{type(self).__name__} '{self.name}': inputs mix NDArrays and Symbols; as in "
                "MXNet, give a HybridBlock either NDArrays or Symbols."
            )
        if type(x) is _GraphSymbol:  # net(mx.sym.var('data')): the Symbol of the graph
            return _symbol_block_forward(self, (x,) + args)
        if not isinstance(x, NDArray) and not self._active and _first_ctx((x,) + args) is None:
            # As in MXNet, hybridized or not: all-None or all-Python arguments are refused.
            raise HybridInputError(
                f"{type(self).__name__} '{self.name}': a HybridBlock needs at least one NDArray "
                f"input, got {[type(a).__name__ for a in (x,) + args]}."
            )
        if self._active and STATE.tracing == 0:
            if args:
                _check_one_context(self, (x,) + args)
            return self._call_cached((x,) + args)
        return self._forward_inline((x,) + args)

    def _forward_inline(self, args: tuple[Any, ...]) -> Any:
        from gluax import ndarray as nd_mod
        from gluax import symbol as sym_mod

        self._deferred_infer(args)
        ctx = _first_ctx(args)
        params = {name: p.data(ctx) for name, p in self._reg_params.items()}
        if not STATE.tracing:
            return self.hybrid_forward(nd_mod, *args, **params)
        try:
            return self.hybrid_forward(sym_mod, *args, **params)
        except HybridizeError:
            raise
        except _TRACER_ERRORS as e:
            raise HybridizeError(_tracer_message(self, e)) from e

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Override to define the computation with ``F`` operators."""
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward().")

    # ---- the pure function ------------------------------------------------------------------
    def _params_list(self) -> list[tuple[str, Parameter]]:
        if self._param_items is None:
            seen: set[int] = set()
            items = []
            for k, p in self._collect_params_with_prefix().items():
                if id(p) not in seen:
                    seen.add(id(p))
                    items.append((k, p))
            self._param_items = items
        return self._param_items

    def _pure(
        self,
        params: dict[str, Any],
        aux: dict[str, Any],
        flat_inputs: list[Any],
        in_tree: Any,
        key: Any,
        training: bool,
        valid: Any = None,
    ) -> tuple[Any, dict[str, Any]]:
        lookup = dict(self._params_list())
        ctx = None
        traced_type = _array_types()[1]  # np.ndarray in numpy mode
        values: dict[Parameter, NDArray] = {}
        for name, v in list(params.items()) + list(aux.items()):
            p = lookup.get(name)
            if p is None:
                raise KeyError(
                    f"{type(self).__name__} '{self.name}': no parameter with structural name {name!r}; expected one of {sorted(lookup)}."
                )
            values[p] = traced_type(v, ctx)
        source = _random.TraceKeySource(key)
        scope = ParamScope(values)
        with _TraceState(training, source, valid), scope:
            args = jax.tree_util.tree_unflatten(
                in_tree, [None if v is None else traced_type(v, ctx) for v in flat_inputs]
            )
            out = self._forward_inline(tuple(args))
        self._compile_sigs.append(
            (
                tuple((getattr(v, "shape", None), getattr(v, "dtype", None)) for v in flat_inputs),
                training,
            )
        )
        self._check_recompiles()
        self._uses_rng[training] = source.used
        new_aux = {
            name: values[p]._value
            for name, p in lookup.items()
            if p in scope.written and name in aux
        }
        return _unwrap(out), new_aux

    def functional(self, *example_inputs: NDArray) -> Functional:
        """The pure-function view of this block and its current parameters.

        Returns ``Functional(apply, params, aux)`` where ``apply(params, aux, inputs,
        rng=None, training=False)`` returns ``(outputs, new_aux)`` and can be passed to
        ``jax.jit``, ``jax.grad`` or ``jax.vmap``. ``params`` holds the trainable parameters
        (``grad_req != 'null'``), ``aux`` the rest (e.g. BatchNorm running statistics).
        Pass example inputs if some parameter shapes are still unknown.

        Examples
        --------
        >>> import gluax as mx, jax, jax.numpy as jnp
        >>> net = mx.gluon.nn.Dense(2, in_units=3); net.initialize()
        >>> apply, params, aux = net.functional()
        >>> loss = lambda p: apply(p, aux, (jnp.ones((1, 3)),))[0].sum()
        >>> sorted(jax.grad(loss)(params))
        ['bias', 'weight']
        """
        if example_inputs:
            self._ensure_initialized(tuple(example_inputs))
        items = self._params_list()
        for _, p in items:
            p._check_initialized()
        params = {k: p.data()._value for k, p in items if p.grad_req != "null"}
        aux = {k: p.data()._value for k, p in items if p.grad_req == "null"}

        def apply(
            params: dict[str, Any],
            aux: dict[str, Any],
            inputs: Any,
            rng: Any = None,
            training: bool = False,
        ) -> tuple[Any, dict[str, Any]]:
            if not isinstance(inputs, (tuple, list)):
                inputs = (inputs,)
            flat, tree = jax.tree_util.tree_flatten(list(inputs))
            key = rng if rng is not None else _random.unused_key()
            return self._pure(params, aux, flat, tree, key, training)

        return Functional(apply, params, aux)

    def load_pytree(self, params: dict[str, Any], aux: dict[str, Any] | None = None) -> None:
        """Write arrays keyed by structural name (e.g. trained by ``jax.grad`` on
        ``functional()``) back into this block's parameters."""
        lookup = dict(self._params_list())
        for name, v in list(params.items()) + list((aux or {}).items()):
            if name not in lookup:
                raise KeyError(
                    f"{type(self).__name__} '{self.name}': no parameter {name!r}; expected one of {sorted(lookup)}."
                )
            lookup[name].set_data(NDArray(jnp.asarray(v)))

    def _ensure_initialized(self, args: tuple[Any, ...]) -> None:
        """Finish deferred initialization by one shape-only pass (``jax.eval_shape``)."""
        if all(p._data is not None or not p._deferred_init for _, p in self._params_list()):
            return
        flat, tree = jax.tree_util.tree_flatten(list(args), is_leaf=_is_nd)
        vals = [a._value if isinstance(a, NDArray) else a for a in flat]

        def shape_pass(*xs: Any) -> Any:
            return self._pure({}, {}, list(xs), tree, _random.unused_key(), STATE.training)[0]

        jax.eval_shape(shape_pass, *vals)
        self._compile_sigs.pop()
        self._param_items = None

    def _plan(self) -> tuple[list[tuple[str, Parameter]], list[tuple[str, Parameter]], bool]:
        """(trainable, aux, single_context) parameter lists, rebuilt when the layout changes."""
        plan = self._plan_cache
        if plan is None or plan[3] != _parameter_mod.LAYOUT_VERSION[0]:
            items = self._params_list()
            trainable = [(k, p) for k, p in items if p._grad_req != "null"]
            aux = [(k, p) for k, p in items if p._grad_req == "null"]
            single = all(len(p._data) == 1 for _, p in items)
            plan = self._plan_cache = (trainable, aux, single, _parameter_mod.LAYOUT_VERSION[0])
        return plan[0], plan[1], plan[2]

    def _check_none_inputs(self, args: tuple[Any, ...]) -> None:
        # MXNet's CachedOp fixes which inputs are None at its first call; a later call with
        # another pattern raises until hybridize() clears it (test_hybrid_block_none_args).
        nones = tuple(a is None for a in args)
        if self._none_inputs is None:
            self._none_inputs = nones
        elif nones != self._none_inputs:
            first = [i for i, n in enumerate(self._none_inputs) if n]
            now = [i for i, n in enumerate(nones) if n]
            raise HybridInputError(
                f"{type(self).__name__} '{self.name}': the hybridized block was first called "
                f"with inputs {first} None, now with {now} None. As in MXNet, a hybridized "
                "block keeps its first call's inputs; call hybridize() again to reset it."
            )

    def _call_cached(self, args: tuple[Any, ...], valid: Any = None) -> Any:
        if valid is None and self._bucketing:
            return self._call_bucketed(args)
        if len(args) == 1 and type(args[0]) is NDArray:  # the common case
            flat = list(args)
            tree = self._trees.get(1)
            if tree is None:
                tree = self._trees[1] = jax.tree_util.tree_structure(flat)
        else:
            flat, tree = jax.tree_util.tree_flatten(list(args), is_leaf=_is_nd)
            for i, a in enumerate(flat):
                if not isinstance(a, NDArray):
                    raise HybridInputError(
                        f"{type(self).__name__} '{self.name}': hybridized blocks take NDArray "
                        f"inputs (or None); input {i} is {type(a).__name__}."
                    )
            if not flat:
                raise HybridInputError(
                    f"{type(self).__name__} '{self.name}': a HybridBlock needs at least one "
                    f"NDArray input, got {[type(a).__name__ for a in args]}."
                )
            self._check_none_inputs(args)
        if not self._initialized:
            self._ensure_initialized(args)
            for _, p in self._params_list():
                p._check_initialized()
            self._initialized = True
        ctx = flat[0]._ctx if flat else None
        trainable, aux_items, single = self._plan()
        direct = self.__dict__.get("_direct")
        if (
            direct is not None
            and direct[0] == (tree, STATE.training)
            and direct[1] is self._plan_cache
            and valid is None
            and not STATE.recording
            and not self._checking
        ):
            # the executable the last such call ran, its leaves built straight from the
            # parameters (in the flattening order of the params and aux dicts: sorted names)
            vals = [a._value for a in flat]
            training = STATE.training
            rng = self._uses_rng.get(training, True)
            key = _random.next_key() if rng else _random.unused_key()
            self.__dict__["_last_call"] = (tree, vals)
            try:
                outs, new_aux, _ = direct[3](
                    *[p._data[0]._value for p in direct[2]], *vals, key
                )
            except (TypeError, ValueError):  # another signature: below, with the same key
                self.__dict__["_direct"] = None
                self.__dict__["_last_exe"] = None  # (the same executable: refused too)
            else:
                return self._wrap_outputs(outs, new_aux, ctx)
        else:
            key = None
        if single:
            params = {k: p._data[0]._value for k, p in trainable}
            aux = {k: p._data[0]._value for k, p in aux_items}
        else:
            params = {k: p.data(ctx)._value for k, p in trainable}
            aux = {k: p.data(ctx)._value for k, p in aux_items}
        training = STATE.training
        if (
            STATE.recording
            and single
            and valid is None
            and not self._checking
            and _lazy.LAZY[0]
            and _array_types()[0] is NDArray
        ):
            if key is None:
                key = _random.next_key() if self._uses_rng.get(training, True) else _random.unused_key()
            lazy_out = self._call_lazy(params, aux, flat, tree, key, training, ctx, trainable)
            if lazy_out is not None:
                return lazy_out
        vals = [a._value for a in flat]
        if key is None:
            key = _random.next_key() if self._uses_rng.get(training, True) else _random.unused_key()
        if self._checking:
            sig = (tuple((v.shape, v.dtype) for v in vals), training)
            if sig not in self._checked:
                from gluax._src.gluon.check import check_equivalence

                check_equivalence(self, params, aux, vals, tree, key, training)
                self._checked.add(sig)
        if STATE.recording:
            tracked = [i for i, a in enumerate(flat) if a._ag is not None and _is_float(a._value)]
            if params or tracked:
                return self._call_recorded(
                    params, aux, vals, flat, tracked, tree, key, training, ctx, trainable, valid
                )
        self.__dict__["_last_call"] = (tree, vals)  # (plain attribute: skips __setattr__)
        args = (params, aux, vals, key, valid)
        leaves, args_tree = jax.tree_util.tree_flatten(args)
        last = self.__dict__.get("_last_exe")
        if last is not None and last[0] == (tree, training, args_tree):
            # the executable the last call ran: its own (C++) check refuses other avals
            try:
                outs, new_aux, _ = last[1](*leaves)
            except (TypeError, ValueError):
                last = None
            else:
                return self._wrap_outputs(outs, new_aux, ctx)
        sig = (tree, training, _bc.signature(leaves))
        prog = self._progs.get(sig)
        first = prog is None
        if first:
            n = len(self._compile_sigs)
            base, pure = self._persist_base(tree, training, (), args)
            # through gluax's executable cache (block_cache), one program per signature; or
            # (False) not cached: the block's jitted pure function, as always
            prog = self._progs[sig] = (
                False if base is None else _bc.FwdProgram(self, tree, training, base, pure)
            )
        if prog is False:
            if self._jit_fwd is None:
                self._jit_fwd = jax.jit(self._pure, static_argnums=(3, 5))  # in_tree, training
            outs, new_aux = self._jit_fwd(params, aux, vals, tree, key, training, valid)
        elif first:
            outs, new_aux, _ = self._first_call(prog.fwd, args, vals, training, n)
        else:
            outs, new_aux, _ = prog.fwd.call_flat(leaves, args_tree, args)
        if prog is not False:
            exe = prog.fwd.fast.get(args_tree)
            self.__dict__["_last_exe"] = None if exe is None else ((tree, training, args_tree), exe)
            if exe is not None and single and valid is None and len(leaves) == (
                len(trainable) + len(aux_items) + len(vals) + 1
            ):
                order = [p for _, p in sorted(trainable)] + [p for _, p in sorted(aux_items)]
                self.__dict__["_direct"] = ((tree, training), self._plan_cache, order, exe)
        return self._wrap_outputs(outs, new_aux, ctx)

    def _wrap_outputs(self, outs: Any, new_aux: Any, ctx: Any) -> Any:
        if new_aux:
            self._write_aux(new_aux)
        out_type = _array_types()[0]  # np.ndarray in numpy mode
        if type(outs) not in (list, tuple, dict):
            return out_type(outs, ctx)
        flat_outs, out_tree = jax.tree_util.tree_flatten(outs)
        return jax.tree_util.tree_unflatten(out_tree, [out_type(o, ctx) for o in flat_outs])

    def _call_recorded(
        self,
        params: dict[str, Any],
        aux: dict[str, Any],
        vals: list[Any],
        flat: list[NDArray],
        tracked: list[int],
        tree: Any,
        key: Any,
        training: bool,
        ctx: Any,
        trainable: list[tuple[str, Parameter]],
        valid: Any = None,
    ) -> Any:
        """A compiled forward that also returns its VJP's residuals, and a backward program
        from them (``block_cache.VjpProgram``): one node on the autograd tape."""
        self.__dict__["_last_call"] = (tree, vals)  # (plain attribute: skips __setattr__)
        diff_idx = tuple(tracked)
        diff_vals = [vals[i] for i in diff_idx]
        other = [None if i in diff_idx else v for i, v in enumerate(vals)]
        args = (params, aux, diff_vals, other, key, valid)
        leaves, args_tree = jax.tree_util.tree_flatten(args)
        sig = (diff_idx, tree, training, _bc.signature(leaves))
        prog = self._progs.get(sig)
        if prog is None:
            names = tuple(params)
            n = len(self._compile_sigs)
            base, pure = self._persist_base(
                tree, training, (diff_idx, names), (params, aux, vals, key, valid)
            )
            prog = self._progs[sig] = _bc.VjpProgram(
                self, diff_idx, tree, training, names, args, base, sig[3], pure
            )
            outs, new_aux, res, _ = self._first_call(prog.fwd, args, vals, training, n)
        elif prog in _UNRUN:  # made by a lazy call that could not be lazy: its first run
            n = _UNRUN.pop(prog)
            outs, new_aux, res, _ = self._first_call(prog.fwd, args, vals, training, n)
        else:
            fwd = prog.fwd
            if type(fwd) is _cc.TreeJit:
                outs, new_aux, res, _ = fwd.call_flat(leaves, args_tree, args)
            else:
                outs, new_aux, res, _ = fwd(*args)
        flat_outs, out_tree = jax.tree_util.tree_flatten(outs)
        var_infos = [(p._data[0] if len(p._data) == 1 else p.data(ctx))._ag for _, p in trainable]
        node = _tape.Node(
            self.name,
            None,  # type: ignore[arg-type]
            var_infos + [flat[i]._ag for i in diff_idx],
            [(o.shape, o.dtype) for o in flat_outs],
        )
        _node_backward(node, prog, res)
        wrapped = [_array_types()[0](o, ctx) for o in flat_outs]
        for k, w in enumerate(wrapped):
            w._ag = _tape.OutInfo(node, k)
        if new_aux:
            self._write_aux(new_aux)
        return jax.tree_util.tree_unflatten(out_tree, wrapped)

    def _call_lazy(
        self,
        params: dict[str, Any],
        aux: dict[str, Any],
        flat: list[NDArray],
        tree: Any,
        key: Any,
        training: bool,
        ctx: Any,
        trainable: list[tuple[str, Parameter]],
    ) -> Any:
        """A recorded call that runs later (``engine/lazy.py``): lazy outputs, one tape node
        holding what the call read; None when it must run now (the caller runs it, with the
        same ``key``): among others, a call that writes auxiliary state (BatchNorm's running
        statistics in training), which must change at the call."""
        lazy_pos = tuple(i for i, a in enumerate(flat) if type(a) is _lazy.LazyNDArray)
        if not lazy_pos:  # the network's call on data: as the recorded call keys it
            vals = shaped = [a._value for a in flat]
            tracked = tuple(i for i, a in enumerate(flat) if a._ag is not None and _is_float(vals[i]))
        else:
            avals = [_lazy.aval_of(a) for a in flat]
            tracked = tuple(
                i for i, a in enumerate(flat) if a._ag is not None and _is_float_dtype(avals[i][1])
            )
            vals = [None if i in lazy_pos else a._value for i, a in enumerate(flat)]
            shaped = [
                jax.ShapeDtypeStruct(s, d) if i in lazy_pos else v
                for i, ((s, d), v) in enumerate(zip(avals, vals))
            ]
        if not (params or tracked) or any(i not in tracked for i in lazy_pos):
            return None
        diff_vals = [shaped[i] for i in tracked]
        other = [None if i in tracked else v for i, v in enumerate(shaped)]
        args = (params, aux, diff_vals, other, key, None)
        leaves, _ = jax.tree_util.tree_flatten(args)
        try:
            leaf_sig = _bc.signature(leaves) if not lazy_pos else tuple(
                [
                    a.aval if isinstance(a, jax.Array) else jax.core.ShapedArray(a.shape, a.dtype)
                    for a in leaves
                ]
            )
        except AttributeError:  # a numpy value among the inputs: run now
            return None
        sig = (tracked, tree, training, leaf_sig)
        if ("not lazy", sig) in self._progs or (training and aux and self._has_batchnorm()):
            return None  # (BatchNorm in training writes its running statistics at the call)
        prog = self._progs.get(sig)
        n = len(self._compile_sigs)  # (a user block's keying trace counts as its compilation)
        if prog is None:
            names = tuple(params)
            base, pure = self._persist_base(
                tree, training, (tracked, names), (params, aux, shaped, key, None)
            )
            prog = self._progs[sig] = _bc.VjpProgram(
                self, tracked, tree, training, names, args, base, leaf_sig, pure
            )
            _UNRUN[prog] = n
        got = _LAZY_OUT.get(prog)
        if got is None:
            got = _LAZY_OUT[prog] = self._lazy_shapes(prog, params, aux, shaped, key, ctx, n)
            if got[0]:  # it writes auxiliary state: never lazy at this signature (the
                # recorded call runs the program, through _first_call if it never ran)
                self._progs["not lazy", sig] = True
                return None
        _UNRUN.pop(prog, None)  # counted: the recorded call need not
        _, out_tree, out_avals = got
        self.__dict__["_last_call"] = (tree, shaped)  # (plain attribute: skips __setattr__)
        var_infos = [p._data[0]._ag for _, p in trainable]
        node = _tape.Node(
            self.name, None, var_infos + [flat[i]._ag for i in tracked], out_avals  # type: ignore[arg-type]
        )
        lazy_in = [(i, flat[i]) for i in lazy_pos]
        node.lazy = _lazy.LazyCall(
            _lazy.BlockSpec(prog, lazy_pos), (params, aux, vals, key), lazy_in, prog, ctx
        )
        return jax.tree_util.tree_unflatten(out_tree, _lazy.make_outputs(node, ctx))

    def _writes_aux_in_training(self) -> bool:
        """Whether this block itself writes auxiliary state when called in training (known
        without tracing: BatchNorm keeping running statistics says so)."""
        return False

    def _has_batchnorm(self) -> bool:
        """Whether a block of this tree writes auxiliary state in training, known without
        tracing (``_writes_aux_in_training``; rechecked when the parameter layout changes)."""
        hit = self.__dict__.get("_bn_cache")
        if hit is None or hit[0] != _parameter_mod.LAYOUT_VERSION[0]:

            def writes(b: Any) -> bool:
                if isinstance(b, HybridBlock) and b._writes_aux_in_training():
                    return True
                return any(writes(c) for c in b._children.values())

            hit = self.__dict__["_bn_cache"] = (_parameter_mod.LAYOUT_VERSION[0], writes(self))
        return hit[1]

    def _lazy_shapes(
        self, prog: Any, params: Any, aux: Any, shaped: list[Any], key: Any, ctx: Any, n: int
    ) -> tuple[bool, Any, list[Any]]:
        """(writes auxiliary state, output tree, output (shape, dtype)s) of a lazy call's
        program: a shape pass (counted as this signature's compilation; the block learns
        there whether it draws random numbers), or, for a program in gluax's executable cache,
        what the shape pass of an earlier process noted (a warm process traces nothing)."""
        static = prog.static
        what = None if static is None else f"{static.persist_name}|lazy-shapes"
        device = ctx.jax_device
        note = None if what is None else _cc.load_note(what, device)
        if note is not None:
            writes, uses_rng, out_tree, out_avals = note
            if not writes:
                self._uses_rng[prog.training] = uses_rng
                if len(self._compile_sigs) == n:  # (not traced since: loaded)
                    self._count_signature(shaped, prog.training)
            return writes, out_tree, out_avals
        m = len(self._compile_sigs)
        shapes = jax.eval_shape(lambda *a: prog.pure_fn(*a), params, aux, shaped, key, None)
        flat_shapes, out_tree = jax.tree_util.tree_flatten(shapes[0])
        writes = bool(shapes[1])
        if writes:
            del self._compile_sigs[m:]  # (counted when its program runs)
        elif len(self._compile_sigs) == n:  # a user block's jaxpr: not traced since
            self._count_signature(shaped, prog.training)
        out_avals = [(tuple(o.shape), o.dtype) for o in flat_shapes]
        if what is not None:
            _cc.store_note(
                what, device, (writes, self._uses_rng[prog.training], out_tree, out_avals)
            )
        return writes, out_tree, out_avals

    def _count_signature(self, vals: list[Any], training: bool) -> None:
        """Count a signature as compiled whose program was not traced here (loaded)."""
        self._compile_sigs.append(
            (tuple((getattr(v, "shape", None), getattr(v, "dtype", None)) for v in vals),
             training)
        )  # fmt: skip
        self._check_recompiles()

    def _run_recorded_node(
        self, node: Any, prog: Any, params: dict[str, Any], aux: dict[str, Any], vals: list[Any],
        key: Any,
    ) -> list[Any]:  # fmt: skip
        """Run a lazy call (``_call_lazy``) now: its recorded program, ``node``'s backward;
        the flat outputs."""
        diff_idx = prog.diff_idx
        diff_vals = [vals[i] for i in diff_idx]
        other = [None if i in diff_idx else v for i, v in enumerate(vals)]
        n = len(self._compile_sigs)
        outs, _new_aux, res, _ = prog.fwd(params, aux, diff_vals, other, key, None)
        del self._compile_sigs[n:]  # (the lazy call's shape pass counted this signature)
        _node_backward(node, prog, res)
        return jax.tree_util.tree_leaves(outs)

    def _persist_base(
        self, tree: Any, training: bool, extra: tuple[Any, ...], args: tuple[Any, ...]
    ) -> tuple[str | None, Any]:
        """The identity of this block's program for ``tree`` in gluax's executable cache
        (``block_cache``) and the pure function to compile (None: the block's own), or (None,
        None): not cached (the cache is off, or the block's forward cannot be keyed). A block
        tree of gluax's classes is keyed by its structure; user code by its traced forward
        (``args``: params, aux, inputs, key, valid)."""
        if _cc.compilation_cache_dir() is None:
            return None, None
        sid = self.__dict__.get("_struct_id", False)
        if sid is False:
            sid = self.__dict__["_struct_id"] = _bc.structure_id(self)
        modes = tuple(t.__name__ for t in _array_types())
        if sid is not None:
            return f"hybrid|{sid}|{tree}|{training}|{modes}|{extra!r}", None
        traced = _bc.traced_forward(self, args, tree, training)
        if traced is None:
            return None, None
        return f"hybrid-jaxpr|{traced[0]}|{tree}|{training}|{modes}|{extra!r}", traced[1]

    def _first_call(
        self, fn: Any, args: tuple[Any, ...], vals: list[Any], training: bool, n: int
    ) -> Any:
        """A new signature's first call: learn whether the program draws random numbers
        (its last output), and count it as compiled (``compile_count``) when the block's
        forward was not traced since ``n`` signatures were counted (it was loaded from gluax's
        executable cache)."""
        out = fn(*args)
        self._uses_rng[training] = bool(out[-1])  # [None] or [] (block_cache._rng_marker)
        if len(self._compile_sigs) == n:
            self._count_signature(vals, training)
        return out

    def _call_bucketed(self, args: tuple[Any, ...]) -> Any:
        """``hybridize(bucket=..., bucket_time=...)``: see ``gluon/bucketing.py``."""
        return _bucketing.call_bucketed(self, args)

    def _write_aux(self, new_aux: dict[str, Any]) -> None:
        lookup = dict(self._params_list())
        for name, v in new_aux.items():
            lookup[name]._set_raw(v)

    def export(
        self,
        path: str,
        epoch: int = 0,
        remove_amp_cast: bool = True,
        *,
        symbol_json: bool | None = None,
    ) -> tuple[str, str]:
        """Write the inference graph and the parameters, to run without this class.

        Writes ``path-%04d.params`` (``arg:``/``aux:`` + full parameter names, as MXNet's
        export), ``path-symbol.stablehlo`` (the forward in inference mode, serialized by
        ``jax.export`` as StableHLO with a symbolic batch dimension when the graph allows it)
        and, when every operator in the graph has an MXNet equivalent, MXNet 1.9.1's
        ``path-symbol.json``, which MXNet's ``SymbolBlock.imports`` loads. gluax's
        ``SymbolBlock.imports`` loads either graph file. The block must be hybridized and
        called once first.

        Parameters
        ----------
        path : str
            Path prefix of the files.
        epoch : int, default 0
            Number written into the parameter file name.
        remove_amp_cast : bool, default True
            Accepted for compatibility (gluax inserts no AMP casts).
        symbol_json : bool or None, default None
            gluax-only. ``None``: write ``path-symbol.json`` when possible, else warn and skip
            it; ``True``: raise ``NotImplementedError`` when it cannot be written; ``False``:
            do not write it.

        Returns
        -------
        (str, str)
            The StableHLO graph file and the parameter file.

        Notes
        -----
        MXNet writes only ``path-symbol.json``. Its graph is recorded from one traced
        inference forward, so it holds that call's branch of any Python control flow; see
        ``docs/files.md`` for what it cannot express (fused RNN layers, advanced indexing,
        arrays made with ``jax.numpy`` inside ``hybrid_forward``).
        """
        from gluax._src.gluon.symbol_block import export_block
        from gluax._src.gluon.symbol_export import SymbolExportError, symbol_json_file

        if not self._active or self._last_call is None:
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}': please first call block.hybridize() and "
                "then run forward with this block at least once before calling export."
            )
        extra, skipped = [], None
        if symbol_json is not False:
            try:
                extra.append(symbol_json_file(self, path, *self._last_call))
            except SymbolExportError as e:
                if symbol_json:
                    raise
                skipped = e
        files = export_block(self, path, epoch, extra)  # all files written as one unit
        if skipped is not None:
            warnings.warn(
                f"{skipped} Skipped {path}-symbol.json; {files[0]} and {files[1]} were written.",
                stacklevel=2,
            )
        return files


def _node_backward(node: Any, prog: Any, res: list[Any]) -> None:
    """Give a recorded call's tape ``node`` its backward from the residuals ``res`` of its
    program ``prog`` (``block_cache.VjpProgram``): the jitted backward and the pure one."""
    bwd = prog.bwd

    def backward_fn(cts: list[Any]) -> list[Any]:
        return list(bwd(res, cts))

    node.backward_fn = backward_fn
    node.pure = prog.pure(res)


# per recorded program of a lazy call (block_cache.VjpProgram): (writes auxiliary state,
# output tree, output avals); and the programs a lazy call made that have not run yet, with
# the block's compilation count before them (their first run is counted as a first call's)
_LAZY_OUT: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_UNRUN: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _is_float_dtype(dtype: Any) -> bool:
    dt = jnp.dtype(dtype)
    return dt.kind in "fc" or dt.name == "bfloat16"


def _is_float(v: Any) -> bool:
    dt = v.dtype
    return dt.kind in "fc" or dt.name == "bfloat16"


def _mixes_symbols(args: tuple[Any, ...]) -> bool:
    kinds = set()
    for a in args:
        for e in a if isinstance(a, (list, tuple)) else (a,):
            if type(e) is _GraphSymbol:
                kinds.add("sym")
            elif isinstance(e, NDArray):
                kinds.add("nd")
    return len(kinds) == 2


def _check_one_context(block: Any, args: tuple[Any, ...]) -> None:
    """MXNet's rule: the inputs of a hybridized call all live on one context."""
    ctxs = {a._ctx for a in jax.tree_util.tree_leaves(list(args), is_leaf=_is_nd)
            if isinstance(a, NDArray)}  # fmt: skip
    if len(ctxs) > 1:
        raise HybridInputError(
            f"{type(block).__name__} '{block.name}': a hybridized block takes inputs on one "
            f"context, got {sorted(map(str, ctxs))}. Move them with x.as_in_context(ctx)."
        )


def _first_ctx(args: Any) -> Context | None:
    for a in jax.tree_util.tree_leaves(list(args), is_leaf=_is_nd):
        if isinstance(a, NDArray):
            return a._ctx
    return None
