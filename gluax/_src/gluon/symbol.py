"""Free-standing Symbols: MXNet's symbolic graphs as graphs of registry calls with names.

A ``Symbol`` is a list of output entries ``(node, index)``. A node is a variable (``op ==
"null"``) or one call of a registered operator, with MXNet's operator name, MXNet's node name
(``fullyconnected0``, ``_plus0``, ``fc1``) and its attributes kept as the strings MXNet writes
into ``-symbol.json``. ``tojson`` writes exactly that file; ``load_json`` reads it back into
nodes; evaluating a Symbol turns its JSON into ``symbol_json.Graph`` and runs it inside one
``jax.jit`` trace (``symbol_executor``), so ``mx.sym``, ``SymbolBlock``, ``-symbol.json`` and
``export`` share one graph form.

Applying an operator of ``mx.sym`` to a Symbol makes a node; applied to NDArrays (or traced
values inside a hybridized block) it runs the operator as ``mx.nd`` does.
"""

from __future__ import annotations

import json
import os
import weakref
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from gluax._src.engine import registry as _registry
from gluax._src.engine.base import MXNetError
from gluax._src.engine.namespace import op_function, prefixed_function
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.ndarray import Symbol as _TracedSymbol
from gluax._src.engine.scopes import Prefix, current_attr_scope, current_name_manager
from gluax._src.engine.serialization import FLAG_OF, atomic_write
from gluax._src.gluon.symbol_export import INPUT_COUNT_ATTR, MXNET_VERSION, dumps, format_attr
from gluax._src.gluon.symbol_json import parse_attr

# gluax registry name -> the operator name MXNet 1.9.1 writes into the graph (read once from
# MXNet's operator table; names not listed are the same in both).
MX_OP_NAME = {
    "ElementWiseSum": "add_n", "Softmax": "SoftmaxOutput", "_add": "elemwise_add",
    "_contrib_CTCLoss": "CTCLoss", "_contrib_ctc_loss": "CTCLoss", "ctc_loss": "CTCLoss",
    "_contrib_box_non_maximum_suppression": "_contrib_box_nms", "_div": "elemwise_div",
    "_minus": "elemwise_sub", "_sub": "elemwise_sub", "_mul": "elemwise_mul",
    "_plus": "elemwise_add", "broadcast_axes": "broadcast_axis",
    "broadcast_minus": "broadcast_sub", "broadcast_plus": "broadcast_add", "cast": "Cast",
    "concat": "Concat", "crop": "slice", "flatten": "Flatten", "flip": "reverse",
    "identity": "_copy", "max_axis": "max", "min_axis": "min", "normal": "_random_normal",
    "pad": "Pad", "random_exponential": "_random_exponential", "random_gamma": "_random_gamma",
    "random_normal": "_random_normal", "random_poisson": "_random_poisson",
    "random_randint": "_random_randint", "random_uniform": "_random_uniform",
    "reshape": "Reshape", "shuffle": "_shuffle", "split": "SliceChannel",
    "stop_gradient": "BlockGrad", "sum_axis": "sum", "swapaxes": "SwapAxis",
    "uniform": "_random_uniform",
}  # fmt: skip

# Operators whose omitted parameter inputs MXNet creates as variables ``<node>_<input>``, and
# when an optional one is left out.
_SKIP_INPUT: dict[str, Callable[[str, dict[str, Any]], bool]] = {
    "FullyConnected": lambda i, a: i == "bias" and bool(a.get("no_bias", False)),
    "Convolution": lambda i, a: i == "bias" and bool(a.get("no_bias", False)),
    "Deconvolution": lambda i, a: i == "bias" and bool(a.get("no_bias", True)),
    "LeakyReLU": lambda i, a: i == "gamma" and a.get("act_type", "leaky") != "prelu",
    "RNN": lambda i, a: (i == "state_cell" and a.get("mode") != "lstm") or i == "sequence_length",
}
_PARAM_OPS = frozenset(
    {"FullyConnected", "Convolution", "Deconvolution", "BatchNorm", "InstanceNorm",
     "LayerNorm", "GroupNorm", "Embedding", "LeakyReLU", "SoftmaxOutput",
     "LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput", "SVMOutput",
     "RNN", "_contrib_SyncBatchNorm"}
)  # fmt: skip
# Inputs an operator updates in place: MXNet's auxiliary states.
AUX_INPUTS = {"BatchNorm": (3, 4), "_contrib_SyncBatchNorm": (3, 4)}
_AUX_INIT = {"moving_mean": '["zero", {}]', "moving_var": '["one", {}]'}

# Binary arithmetic: (operator with a Symbol, hint) and (scalar on the right, on the left).
_BINARY = {
    "add": (("elemwise_add", "_plus"), "_plus_scalar", "_plus_scalar"),
    "sub": (("elemwise_sub", "_minus"), "_minus_scalar", "_rminus_scalar"),
    "mul": (("elemwise_mul", "_mul"), "_mul_scalar", "_mul_scalar"),
    "truediv": (("elemwise_div", "_div"), "_div_scalar", "_rdiv_scalar"),
    "mod": (("_mod", "_mod"), "_mod_scalar", "_rmod_scalar"),
    "pow": (("_power", "_power"), "_power_scalar", "_rpower_scalar"),
    "eq": (("_equal", "_equal"), "_equal_scalar", "_equal_scalar"),
    "ne": (("_not_equal", "_not_equal"), "_not_equal_scalar", "_not_equal_scalar"),
    "gt": (("_greater", "_greater"), "_greater_scalar", "_lesser_scalar"),
    "ge": (("_greater_equal", "_greater_equal"), "_greater_equal_scalar", "_lesser_equal_scalar"),
    "lt": (("_lesser", "_lesser"), "_lesser_scalar", "_greater_scalar"),
    "le": (("_lesser_equal", "_lesser_equal"), "_lesser_equal_scalar", "_greater_equal_scalar"),
    "maximum": (("_maximum", "_maximum"), "_maximum_scalar", "_maximum_scalar"),
    "minimum": (("_minimum", "_minimum"), "_minimum_scalar", "_minimum_scalar"),
}

_SCALARS = (bool, int, float, np.generic)
_COMPARE = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})


def _n_outputs(op: str, attrs: dict[str, str]) -> tuple[int, int]:
    """(all outputs, visible outputs) of an MXNet node, as its ``node_row_ptr`` counts them."""
    a = {k: parse_attr(v) for k, v in attrs.items()}
    if op in ("BatchNorm", "_contrib_SyncBatchNorm", "LayerNorm"):
        return 3, 3 if a.get("output_mean_var") else 1
    if op in ("Dropout",):
        return 2, 1
    if op == "InstanceNorm":
        return 3, 1
    if op == "SliceChannel":
        n = int(a["num_outputs"])
        return n, n
    if op == "_split_v2":
        n = int(a.get("sections") or 0) or len(a.get("indices", ())) or 1
        return n, n
    if op == "topk" and a.get("ret_typ") == "both":
        return 2, 2
    if op == "_histogram":
        return 2, 2  # (counts, bin edges)
    if op == "_sample_multinomial" and a.get("get_prob"):
        return 2, 2  # (samples, log-probabilities)
    if op == "_sample_unique_zipfian":
        return 2, 2  # (samples, number of tries)
    if op == "_contrib_rand_zipfian":  # MXNet's Python function: three Symbols
        return 3, 3
    if op == "Pooling" and a.get("pool_type", "max") == "max":
        return 2, 1  # MXNet's CPU (oneDNN) build keeps max pooling's workspace as an output
    if op == "LeakyReLU" and a.get("act_type") == "rrelu":
        return 2, 1
    if op == "RNN" and a.get("state_outputs"):
        n = 3 if a.get("mode") == "lstm" else 2
        return n, n
    return 1, 1


def _output_names(node: _Node) -> list[str]:
    if node.op == "null":
        return [node.name]
    if node.n_visible == 1:
        return [f"{node.name}_output"]
    if node.op in ("BatchNorm", "_contrib_SyncBatchNorm"):
        return [f"{node.name}_{s}" for s in ("output", "mean", "var")]
    if node.op == "LayerNorm":
        return [f"{node.name}_{s}" for s in ("output", "mean", "std")]
    return [f"{node.name}_output{i}" for i in range(node.n_visible)]


# ---- names ------------------------------------------------------------------------------------


class _BlockScope(Prefix):
    """The scope of one Block called on Symbols: its first own node is named ``fwd`` when
    the MXNet layer of the same kind names it so."""

    def __init__(self, prefix: str, fwd: bool | str) -> None:
        super().__init__(prefix)
        self.fwd = fwd

    def _fwd_name(self, name: str | None, hint: str) -> str | None:
        if name is None and self.fwd and (self.fwd is True or self.fwd == hint):
            self.fwd = False
            return "fwd"
        if self.fwd is True:
            self.fwd = False
        return name

    def get(self, name: str | None, hint: str) -> str:
        return super().get(self._fwd_name(name, hint), hint)


class _SharedScope(_BlockScope):
    """The scope of a Block made with ``prefix=''``: as in MXNet it names its nodes in its
    parent's scope, continuing the parent's counts (``stage1__plus0``, ``stage1__plus1``)."""

    def __init__(self, outer: Any, fwd: bool | str) -> None:
        super().__init__("", fwd)
        self.outer = outer

    def get(self, name: str | None, hint: str) -> str:
        return self.outer.get(self._fwd_name(name, hint), hint)


# ---- nodes and symbols ------------------------------------------------------------------------


class _Node:
    __slots__ = ("op", "name", "attrs", "inputs", "n_out", "n_visible", "__weakref__")

    def __init__(
        self, op: str, name: str, attrs: dict[str, str], inputs: list[tuple[_Node, int]]
    ) -> None:
        self.op, self.name, self.attrs, self.inputs = op, name, attrs, inputs
        self.n_out, self.n_visible = (1, 1) if op == "null" else _n_outputs(op, attrs)

    def aux_slots(self) -> tuple[int, ...]:
        if self.op == "Custom":  # a Python operator's auxiliary states follow its arguments
            from gluax._src.ops.custom import aux_slots

            return aux_slots(self.attrs, len(self.inputs))
        return AUX_INPUTS.get(self.op, ())


def _topo(heads: Sequence[tuple[_Node, int]]) -> list[_Node]:
    """Nodes in MXNet's depth-first post-order (inputs before the node, in input order)."""
    order: list[_Node] = []
    seen: set[int] = set()
    for head, _ in heads:
        stack: list[tuple[_Node, int]] = [(head, 0)]
        while stack:
            node, i = stack.pop()
            if id(node) in seen:
                continue
            if i < len(node.inputs):
                stack.append((node, i + 1))
                child = node.inputs[i][0]
                if id(child) not in seen:
                    stack.append((child, 0))
            else:
                seen.add(id(node))
                order.append(node)
    return order


class _SymbolMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        # Inside a hybridized call, F's values are traced NDArrays; MXNet code tells symbolic
        # from eager with isinstance(x, mx.sym.Symbol), which must hold for those too.
        return type.__instancecheck__(cls, obj) or (
            cls is Symbol and isinstance(obj, _TracedSymbol)
        )


class Symbol(metaclass=_SymbolMeta):
    """A symbolic graph: one or several outputs of operator nodes and variables.

    Build it with ``mx.sym.var`` and the operators of ``mx.sym`` (``mx.sym.FullyConnected``,
    ``x + y``, ``x.reshape(...)``), or by calling a HybridBlock on a Symbol. Evaluate it with
    ``eval``, ``bind`` or ``simple_bind``, or wrap it in ``gluon.SymbolBlock``.

    Notes
    -----
    Inside a hybridized block ``F``'s values are traced NDArrays (gluax compiles with
    ``jax.jit``), not Symbols of this class; ``isinstance(x, mx.sym.Symbol)`` holds for both.
    """

    __slots__ = ("_outputs",)
    __array_priority__ = 1000.0

    def __init__(self, outputs: list[tuple[_Node, int]]) -> None:
        self._outputs = list(outputs)

    # ---- identity -------------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """The node name for a single-output Symbol, else None (a group)."""
        if len(self._outputs) != 1:
            return None
        return self._outputs[0][0].name

    def __repr__(self) -> str:
        if len(self._outputs) == 1:
            return f"<Symbol {self.name}>"
        return f"<Symbol group [{', '.join(n.name for n, _ in self._outputs)}]>"

    __str__ = __repr__

    def __iter__(self) -> Iterator[Symbol]:
        return (Symbol([e]) for e in self._outputs)

    def __len__(self) -> int:
        return len(self._outputs)

    def __copy__(self) -> Symbol:
        return Symbol(self._outputs)

    def __deepcopy__(self, memo: Any) -> Symbol:
        return load_json(self.tojson())

    def __bool__(self) -> bool:
        raise NotImplementedError(
            "A Symbol has no truth value; compare values after eval() or bind()."
        )

    def __hash__(self) -> int:
        return id(self)

    def __getitem__(self, index: int | str | slice) -> Symbol:
        """An output by position, by name (``'fc1_output'``) or a slice of outputs."""
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if isinstance(index, str):
            names = self.list_outputs()
            hits = [i for i, n in enumerate(names) if n == index]
            if not hits:
                raise ValueError(
                    f"Symbol: no output named {index!r}; its outputs are {_brief(names)}."
                )
            if len(hits) > 1:
                raise ValueError(f"Symbol: more than one output named {index!r}.")
            index = hits[0]
        if not isinstance(index, (int, np.integer)):
            raise TypeError(
                f"Symbol indices are output positions or names, got {type(index).__name__}. "
                "To slice the values use mx.sym.slice or slice_axis."
            )
        n = len(self._outputs)
        if not -n <= index < n:
            raise IndexError(f"Symbol has {n} output(s), index {index} is out of range.")
        return Symbol([self._outputs[int(index)]])

    # ---- structure ------------------------------------------------------------------------
    def _nodes(self) -> list[_Node]:
        return _topo(self._outputs)

    def list_arguments(self) -> list[str]:
        """Names of the variables that are arguments (inputs and parameters), in graph order."""
        aux = _aux_ids(self._nodes())
        return [n.name for n in self._nodes() if n.op == "null" and id(n) not in aux]

    def list_auxiliary_states(self) -> list[str]:
        """Names of the variables an operator updates in place (BatchNorm's moving_mean/var)."""
        aux = _aux_ids(self._nodes())
        return [n.name for n in self._nodes() if n.op == "null" and id(n) in aux]

    def list_inputs(self) -> list[str]:
        """Names of all variables, arguments and auxiliary states, in graph order."""
        return [n.name for n in self._nodes() if n.op == "null"]

    def list_outputs(self) -> list[str]:
        """Names of the outputs (``<node>_output`` for an operator, the name for a variable)."""
        return [_output_names(n)[i] for n, i in self._outputs]

    def get_internals(self) -> Symbol:
        """A group of every output of every node in the graph (index it by name)."""
        return Symbol([(n, i) for n in self._nodes() for i in range(n.n_visible)])

    def get_children(self) -> Symbol | None:
        """A group of the inputs of this Symbol's node, or None for a variable."""
        entries = [e for node, _ in self._outputs for e in node.inputs]
        return Symbol(entries) if entries else None

    # ---- attributes -----------------------------------------------------------------------
    def attr(self, key: str) -> str | None:
        """The attribute ``key`` of this (single-output) Symbol's node, or None."""
        if len(self._outputs) != 1:
            return None
        return self._outputs[0][0].attrs.get(key)

    def list_attr(self, recursive: bool = False) -> dict[str, str]:
        """The attributes of this Symbol's node (``__lr_mult__`` is also shown as ``lr_mult``)."""
        if recursive:
            raise DeprecationWarning(
                "Symbol.list_attr: recursive=True was removed in MXNet; use attr_dict()."
            )
        if len(self._outputs) != 1:
            return {}
        return _shown_attrs(self._outputs[0][0].attrs)

    def attr_dict(self) -> dict[str, dict[str, str]]:
        """``{node name: attributes}`` for every node of the graph that has attributes."""
        return {n.name: _shown_attrs(n.attrs) for n in self._nodes() if n.attrs}

    def _set_attr(self, **kwargs: str) -> None:
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ValueError(f"Symbol._set_attr: attribute {k!r} must be a string.")
            for node, _ in self._outputs:
                node.attrs[k] = v

    # ---- files ----------------------------------------------------------------------------
    def _json_dict(self) -> dict[str, Any]:
        nodes = self._nodes()
        index = {id(n): i for i, n in enumerate(nodes)}
        aux = _aux_ids(nodes)
        out_nodes = []
        row_ptr = [0]
        for n in nodes:
            d: dict[str, Any] = {"op": n.op, "name": n.name}
            if n.attrs:
                d["attrs"] = dict(sorted(n.attrs.items()))
            slots = n.aux_slots()
            d["inputs"] = [
                [index[id(c)], k, 1 if (i in slots and c.op == "null" and id(c) in aux) else 0]
                for i, (c, k) in enumerate(n.inputs)
            ]
            out_nodes.append(d)
            row_ptr.append(row_ptr[-1] + n.n_out)
        return {
            "nodes": out_nodes,
            "arg_nodes": [i for i, n in enumerate(nodes) if n.op == "null"],
            "node_row_ptr": row_ptr,
            "heads": [[index[id(n)], k, 0] for n, k in self._outputs],
            "attrs": {"mxnet_version": ["int", MXNET_VERSION]},
        }

    def tojson(self) -> str:
        """The graph as MXNet 1.9.1's ``-symbol.json`` text."""
        return dumps(self._json_dict())

    def save(self, fname: str, remove_amp_cast: bool = True) -> None:
        """Write ``tojson()`` to ``fname`` (atomically); ``mx.sym.load`` reads it back."""
        if not isinstance(fname, (str, os.PathLike)):
            raise TypeError(f"Symbol.save: fname must be a path, got {type(fname).__name__}.")
        atomic_write(os.fspath(fname), self.tojson().encode())

    # ---- composition ----------------------------------------------------------------------
    def __call__(self, *args: Symbol, **kwargs: Any) -> Symbol:
        """A copy of the graph with variables replaced by Symbols: positionally in
        ``list_arguments()`` order, or by name (MXNet's ``compose``)."""
        kwargs.pop("name", None)
        names = self.list_arguments()
        if args and kwargs:
            raise TypeError("Symbol(...): give the replacements by position or by name, not both.")
        if len(args) > len(names):
            raise TypeError(f"Symbol(...): {len(args)} inputs for {len(names)} arguments.")
        mapping = dict(zip(names, args)) if args else kwargs
        return self._compose(mapping)

    def _compose(self, mapping: dict[str, Any]) -> Symbol:
        entries: dict[str, tuple[_Node, int]] = {}
        for k, v in mapping.items():
            if not _is_graph(v) or len(v) != 1:
                raise TypeError(f"Symbol compose: {k!r} must be a single-output Symbol, got {v!r}.")
            entries[k] = v._outputs[0]
        copies: dict[int, _Node] = {}

        def entry(e: tuple[_Node, int]) -> tuple[_Node, int]:
            node, k = e
            if node.op == "null" and node.name in entries:
                return entries[node.name]
            return copies[id(node)], k

        for n in self._nodes():
            if n.op == "null" and n.name in entries:
                continue
            copies[id(n)] = _Node(n.op, n.name, dict(n.attrs), [entry(e) for e in n.inputs])
        return Symbol([entry(e) for e in self._outputs])

    # ---- evaluation (symbol_executor) ----------------------------------------------------
    def infer_shape(self, *args: Any, **kwargs: Any) -> Any:
        """``(arg_shapes, out_shapes, aux_shapes)`` from the shapes of some arguments (by
        position in ``list_arguments()`` or by name); ``(None, None, None)`` with a warning
        when some cannot be decided."""
        from gluax._src.gluon.symbol_executor import infer_shape

        return infer_shape(self, args, kwargs, partial=False)

    def infer_shape_partial(self, *args: Any, **kwargs: Any) -> Any:
        """As ``infer_shape``, with ``()`` for the shapes that cannot be decided."""
        from gluax._src.gluon.symbol_executor import infer_shape

        return infer_shape(self, args, kwargs, partial=True)

    def infer_type(self, *args: Any, **kwargs: Any) -> Any:
        """``(arg_types, out_types, aux_types)`` (numpy types) from some arguments' dtypes."""
        from gluax._src.gluon.symbol_executor import infer_type

        return infer_type(self, args, kwargs)

    def bind(
        self,
        ctx: Any,
        args: Any,
        args_grad: Any = None,
        grad_req: Any = "write",
        aux_states: Any = None,
        group2ctx: Any = None,
        shared_exec: Any = None,
    ) -> Any:
        """An ``Executor`` running this graph on the given argument arrays (list in
        ``list_arguments()`` order or dict by name)."""
        from gluax._src.gluon.symbol_executor import Executor

        return Executor(self, ctx, args, args_grad, grad_req, aux_states)

    def simple_bind(
        self,
        ctx: Any,
        grad_req: Any = "write",
        type_dict: Any = None,
        stype_dict: Any = None,
        group2ctx: Any = None,
        shared_arg_names: Any = None,
        shared_exec: Any = None,
        shared_buffer: Any = None,
        **kwargs: Any,
    ) -> Any:
        """An ``Executor`` with zero-filled arrays of the shapes inferred from ``kwargs``."""
        from gluax._src.gluon.symbol_executor import simple_bind

        return simple_bind(self, ctx, grad_req, type_dict, kwargs)

    def eval(self, ctx: Any = None, **kwargs: Any) -> list[NDArray]:
        """The outputs (a list of NDArrays) for the arguments given by name."""
        from gluax._src.gluon.symbol_executor import Executor

        aux_names = set(self.list_auxiliary_states())
        args = {k: v for k, v in kwargs.items() if k not in aux_names}
        aux = {k: v for k, v in kwargs.items() if k in aux_names}
        return Executor(self, ctx, args, None, "null", aux).forward()

    # ---- arithmetic -----------------------------------------------------------------------
    def _binary(self, kind: str, other: Any, reverse: bool = False) -> Symbol:
        (op, hint), right, left = _BINARY[kind]
        if isinstance(other, Symbol):
            a, b = (other, self) if reverse else (self, other)
            return _make(op, hint, [a, b], {}, None)
        if isinstance(other, _SCALARS):
            sop = left if reverse else right
            # MXNet names arithmetic nodes after its CamelCase helpers (_PlusScalar ->
            # _plusscalar0) and comparisons after the operator (_greater_scalar0).
            hint = sop if kind in _COMPARE else sop.replace("_scalar", "scalar")
            return _make(sop, hint, [self], {"scalar": other}, None)
        raise TypeError(
            f"Symbol {kind}: the other operand must be a Symbol or a number, got "
            f"{type(other).__name__}."
        )

    def __add__(self, o: Any) -> Symbol:
        return self._binary("add", o)

    def __radd__(self, o: Any) -> Symbol:
        return self._binary("add", o, True)

    def __sub__(self, o: Any) -> Symbol:
        return self._binary("sub", o)

    def __rsub__(self, o: Any) -> Symbol:
        return self._binary("sub", o, True)

    def __mul__(self, o: Any) -> Symbol:
        return self._binary("mul", o)

    def __rmul__(self, o: Any) -> Symbol:
        return self._binary("mul", o, True)

    def __truediv__(self, o: Any) -> Symbol:
        return self._binary("truediv", o)

    def __rtruediv__(self, o: Any) -> Symbol:
        return self._binary("truediv", o, True)

    def __mod__(self, o: Any) -> Symbol:
        return self._binary("mod", o)

    def __rmod__(self, o: Any) -> Symbol:
        return self._binary("mod", o, True)

    def __pow__(self, o: Any) -> Symbol:
        return self._binary("pow", o)

    def __rpow__(self, o: Any) -> Symbol:
        return self._binary("pow", o, True)

    def __eq__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._binary("eq", o)

    def __ne__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._binary("ne", o)

    def __gt__(self, o: Any) -> Symbol:
        return self._binary("gt", o)

    def __ge__(self, o: Any) -> Symbol:
        return self._binary("ge", o)

    def __lt__(self, o: Any) -> Symbol:
        return self._binary("lt", o)

    def __le__(self, o: Any) -> Symbol:
        return self._binary("le", o)

    def __neg__(self) -> Symbol:
        return self._binary("mul", -1.0)

    def __abs__(self) -> Symbol:
        return apply_op("abs", (self,), {})

    # ---- NDArray-like methods -------------------------------------------------------------
    def reshape(self, *shape: Any, **kwargs: Any) -> Symbol:
        """``mx.sym.reshape(self, shape=...)``; the shape may be given as positional ints."""
        if shape:
            kwargs["shape"] = (
                shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
            )
        return apply_op("reshape", (self,), kwargs)

    def astype(self, dtype: Any) -> Symbol:
        """``mx.sym.cast(self, dtype=dtype)``."""
        return apply_op("cast", (self,), {"dtype": np.dtype(dtype).name})

    @property
    def shape(self) -> Any:
        """gluax-only: a variable's declared ``__shape__``; otherwise an unknown shape whose
        sizes compare equal to any number, so that layers' input checks pass on graphs
        (MXNet Symbols have no shape; use ``infer_shape``)."""
        node, _ = self._outputs[0]
        s = node.attrs.get("__shape__") if len(self._outputs) == 1 else None
        return tuple(parse_attr(s)) if s else _UnknownShape()

    @property
    def ndim(self) -> Any:
        """gluax-only: ``len(shape)`` when declared, else an unknown size (see ``shape``)."""
        s = self.shape
        return len(s) if isinstance(s, tuple) else _AnySize()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in _FLUENT:
            raise AttributeError(f"'Symbol' object has no attribute {name!r}")

        def method(*args: Any, **kwargs: Any) -> Any:
            return apply_op(name, (self, *args), kwargs)

        method.__name__ = name
        return method

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(_FLUENT))


class _AnySize:
    """A size not known on a graph: equal to every number (layers' checks pass)."""

    def __eq__(self, other: Any) -> bool:
        return True

    def __ne__(self, other: Any) -> bool:
        return False

    def __lt__(self, other: Any) -> bool:  # range checks (-ndim <= axis < ndim) pass
        return True

    __le__ = __gt__ = __ge__ = __lt__

    def __mul__(self, other: Any) -> _AnySize:
        return self

    def __neg__(self) -> _AnySize:
        return self

    __rmul__ = __add__ = __radd__ = __sub__ = __rsub__ = __floordiv__ = __mul__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "?"


class _UnknownShape:
    """The shape of a Symbol that is not a variable with a declared shape."""

    def __getitem__(self, i: Any) -> Any:
        return _UnknownShape() if isinstance(i, slice) else _AnySize()

    def __iter__(self) -> Iterator[_AnySize]:
        yield _AnySize()

    def __repr__(self) -> str:
        return "(?)"


def _brief(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"


def _shown_attrs(attrs: dict[str, str]) -> dict[str, str]:
    out = dict(attrs)
    for k in ("lr_mult", "wd_mult"):
        if f"__{k}__" in attrs:
            out[k] = attrs[f"__{k}__"]
    return out


def _aux_ids(nodes: list[_Node]) -> set[int]:
    out = set()
    for n in nodes:
        for i in n.aux_slots():
            if i < len(n.inputs) and n.inputs[i][0].op == "null":
                out.add(id(n.inputs[i][0]))
    return out


def _fluent_names() -> frozenset[str]:
    from gluax._src.engine.ndarray import FLUENT_METHODS

    return frozenset(FLUENT_METHODS) | {
        "slice_like", "sum_axis", "nanprod", "broadcast_axis", "softmin", "log2", "log10",
        "degrees", "radians", "arctanh", "arcsinh", "arccosh", "tanh", "zeros_like",
        "ones_like", "shape_array", "size_array", "reshape_like", "split_v2",
    }  # fmt: skip


_FLUENT = _fluent_names()


# ---- making nodes -----------------------------------------------------------------------------


def var(
    name: str,
    attr: dict[str, str] | None = None,
    shape: Any = None,
    lr_mult: float | None = None,
    wd_mult: float | None = None,
    dtype: Any = None,
    init: Any = None,
    stype: str | None = None,
    **kwargs: Any,
) -> Symbol:
    """A variable: an input or parameter of the graph, with optional shape, dtype,
    initializer and learning-rate/weight-decay multipliers (kept as node attributes).

    Examples
    --------
    >>> import gluax as mx
    >>> mx.sym.var('x', shape=(2, 3)).attr('__shape__')
    '(2, 3)'
    """
    if not isinstance(name, str):
        raise TypeError(f"mx.sym.var: name must be a string, got {type(name).__name__}.")
    attrs: dict[str, str] = {}
    for k, v in current_attr_scope().get(attr).items():
        if not isinstance(v, str):
            raise ValueError(f"mx.sym.var({name!r}): attribute {k!r} must be a string.")
        attrs[k] = v
    if shape is not None:
        attrs["__shape__"] = str(tuple(shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attrs["__dtype__"] = str(dtype_flag(dtype))
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None and stype != "default":
        raise NotImplementedError(
            f"mx.sym.var({name!r}): sparse storage (stype={stype!r}) is not supported by gluax."
        )
    for k, v in kwargs.items():
        if k.startswith("__") and k.endswith("__"):
            attrs[k] = str(v)
        else:
            raise ValueError(
                f"mx.sym.var({name!r}): unknown argument {k!r}; extra attributes go in "
                "attr={...} or as __name__ keywords."
            )
    return Symbol([(_Node("null", name, attrs, []), 0)])


Variable = var


def dtype_flag(dtype: Any) -> int:
    """MXNet's numeric type flag for a dtype (float32 -> 0)."""
    name = np.dtype(dtype).name if not (isinstance(dtype, str) and dtype == "bfloat16") else dtype
    if name not in FLAG_OF:
        raise TypeError(f"gluax Symbols support dtypes {sorted(FLAG_OF)}, got {dtype!r}.")
    return FLAG_OF[name]


def Group(symbols: Sequence[Symbol], create_fn: Any = None) -> Symbol:
    """One Symbol whose outputs are the outputs of ``symbols``, in order."""
    if isinstance(symbols, Symbol) and not isinstance(symbols, _TracedSymbol):
        symbols = list(symbols)  # MXNet iterates a Symbol over its outputs
    if not symbols or any(
        not isinstance(s, Symbol) or isinstance(s, _TracedSymbol) for s in symbols
    ):
        raise TypeError("mx.sym.Group: expected a non-empty list of Symbols.")
    return Symbol([e for s in symbols for e in s._outputs])


def _make(
    op: str,
    hint: str,
    inputs: list[Symbol],
    attrs: dict[str, Any],
    name: str | None,
    extra: dict[str, str] | None = None,
) -> Symbol:
    entries = []
    for i, s in enumerate(inputs):
        if len(s._outputs) != 1:
            raise ValueError(
                f"{op}: input {i} is a group of {len(s._outputs)} outputs; pick one with symbol[i]."
            )
        entries.append(s._outputs[0])
    sattrs = {k: format_attr(v) for k, v in attrs.items()}
    if extra:
        sattrs.update(extra)
    node = _Node(op, current_name_manager().get(name, hint), sattrs, entries)
    if node.n_visible == 1:
        return Symbol([(node, 0)])
    return Symbol([(node, i) for i in range(node.n_visible)])


def _is_graph(a: Any) -> bool:
    return isinstance(a, Symbol) and not isinstance(a, _TracedSymbol)


def apply_op(called: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Symbol:
    """Make the node for ``mx.sym.<called>(*args, **kwargs)`` on Symbols."""
    kwargs = dict(kwargs)
    name = kwargs.pop("name", None)
    attr = kwargs.pop("attr", None)
    opdef = _registry.get_op(called)
    mx_op = MX_OP_NAME.get(called, called)
    training_given = "training" in kwargs
    inputs, attrs = opdef.bind(tuple(args), kwargs)
    if not training_given:
        attrs.pop("training", None)
    for i, a in enumerate(inputs):
        if a is not None and not _is_graph(a):
            what = opdef.inputs[i] if i < len(opdef.inputs) and not opdef.variadic else i
            raise TypeError(
                f"mx.sym.{called}: input {what!r} must be a Symbol, got {type(a).__name__}. "
                "Free-standing graphs cannot mix Symbols with arrays or numbers."
            )
    if opdef.variadic and mx_op in INPUT_COUNT_ATTR or called in INPUT_COUNT_ATTR:
        attrs.setdefault(INPUT_COUNT_ATTR.get(mx_op, INPUT_COUNT_ATTR.get(called)), len(inputs))
    attrs = {k: v for k, v in attrs.items() if v is not None}
    attrs.update(current_attr_scope().get(attr))
    node_name = current_name_manager().get(name, called.lower())
    sattrs = {k: format_attr(v) for k, v in attrs.items()}
    if not opdef.variadic:
        import inspect

        sig = inspect.signature(opdef.fn).parameters
        skip = _SKIP_INPUT.get(mx_op, lambda i, a: False)
        for i, iname in enumerate(opdef.inputs):
            if inputs[i] is not None:
                continue
            required = sig[iname].default is inspect.Parameter.empty
            if not required and (mx_op not in _PARAM_OPS or skip(iname, attrs)):
                continue
            vattrs = dict(sattrs)
            if i in AUX_INPUTS.get(mx_op, ()) and iname in _AUX_INIT:
                vattrs["__init__"] = _AUX_INIT[iname]
            inputs[i] = Symbol([(_Node("null", f"{node_name}_{iname}", vattrs, []), 0)])
        while inputs and inputs[-1] is None:
            inputs.pop()
        if any(a is None for a in inputs):
            missing = [opdef.inputs[i] for i, a in enumerate(inputs) if a is None]
            raise ValueError(
                f"mx.sym.{called}: inputs {missing} are missing before later inputs given."
            )
    entries = []
    for i, s in enumerate(inputs):
        if len(s._outputs) != 1:
            raise ValueError(
                f"mx.sym.{called}: input {i} is a group of {len(s._outputs)} outputs; pick "
                "one with symbol[i]."
            )
        entries.append(s._outputs[0])
    node = _Node(mx_op, node_name, sattrs, entries)
    if node.n_visible == 1:
        return Symbol([(node, 0)])
    return Symbol([(node, i) for i in range(node.n_visible)])


def _has_graph(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    for a in args:
        if _is_graph(a) or (isinstance(a, (list, tuple)) and any(_is_graph(x) for x in a)):
            return True
    return any(_is_graph(v) for v in kwargs.values())


def _no_inputs_given(key: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a call names no input of an operator that requires one (then MXNet makes a
    node whose inputs are all new variables)."""
    if any(isinstance(a, NDArray) for a in (*args, *kwargs.values())):
        return False
    opdef = _registry.OPS.get(key)
    if opdef is None or opdef.variadic or not opdef.inputs:
        return False
    import inspect

    sig = inspect.signature(opdef.fn).parameters
    if all(sig[n].default is not inspect.Parameter.empty for n in opdef.inputs):
        return False
    try:
        inputs, _ = opdef.bind(tuple(args), {k: v for k, v in kwargs.items()
                                             if k not in ("name", "attr")})  # fmt: skip
    except TypeError:
        return False
    return all(a is None for a in inputs)


_SYM_FUNCS: dict[tuple[str, str], Callable[..., Any]] = {}


def symbol_function(name: str, prefix: str = "") -> Callable[..., Any]:
    """``mx.sym.<name>``: makes a node when given Symbols, runs the operator otherwise."""
    key = prefix + name
    f = _SYM_FUNCS.get((prefix, name))  # mx.sym._linalg_potrf and mx.sym.linalg.potrf: two names
    if f is None:
        eager = prefixed_function(prefix, name) if prefix else op_function(name)

        def f(*args: Any, **kwargs: Any) -> Any:
            if _has_graph(args, kwargs):
                if len(args) == 1 and isinstance(args[0], (list, tuple)):
                    args = tuple(args[0])  # mx.sym.concat([a, b]) style
                return apply_op(key, args, kwargs)
            if _graph_creation() and _no_inputs_given(key, args, kwargs):
                # MXNet's mx.sym.Convolution(num_filter=2, kernel=(3, 3)): every input
                # becomes a variable named after the node (convolution0_data, ...).
                return apply_op(key, args, kwargs)
            return eager(*args, **kwargs)

        f.__name__ = f.__qualname__ = name
        f.__doc__ = eager.__doc__
        _SYM_FUNCS[(prefix, name)] = f
    return f


def maximum(left: Any, right: Any) -> Any:
    """Element-wise maximum of Symbols or numbers."""
    return _minmax("maximum", left, right)


def minimum(left: Any, right: Any) -> Any:
    """Element-wise minimum of Symbols or numbers."""
    return _minmax("minimum", left, right)


def _minmax(kind: str, left: Any, right: Any) -> Any:
    if _is_graph(left):
        return left._binary(kind, right)
    if _is_graph(right):
        return right._binary(kind, left, True)
    return op_function(kind)(left, right)


def pow(base: Any, exp: Any) -> Any:  # noqa: A001 - MXNet's name
    """``base ** exp`` element-wise, for Symbols, NDArrays or numbers."""
    if _is_graph(base):
        return base._binary("pow", exp)
    if _is_graph(exp):
        return exp._binary("pow", base, True)
    return op_function("power")(base, exp)


power = pow


def hypot(left: Any, right: Any) -> Any:
    """``sqrt(left**2 + right**2)`` element-wise, for Symbols, NDArrays or numbers."""
    if _is_graph(left) or _is_graph(right):
        sym, other = (left, right) if _is_graph(left) else (right, left)
        if _is_graph(other):
            return _make("_hypot", "_hypot", [left, right], {}, None)
        return _make("_hypot_scalar", "_hypotscalar", [sym], {"scalar": other}, None)
    return op_function("hypot")(left, right)


def _graph_creation() -> bool:
    # Inside a hybridized trace mx.sym.zeros & co. make traced arrays (F is mx.sym there);
    # elsewhere they make graph nodes, as MXNet's mx.sym.zeros does.
    from gluax._src.engine.state import STATE

    return STATE.tracing == 0


def _creator(op: str, attrs: dict[str, Any], name: str | None) -> Symbol:
    return _make(op, op, [], attrs, name)


def zeros(shape: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """A Symbol of zeros (``_zeros`` node); inside a hybridized call, an array."""
    if not _graph_creation():
        from gluax._src.ops.creation import zeros as nd_zeros

        return nd_zeros(shape, dtype=dtype, **kwargs)
    return _creator("_zeros", {"dtype": _dt(dtype), "shape": _shape(shape)}, kwargs.get("name"))


def ones(shape: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """A Symbol of ones (``_ones`` node); inside a hybridized call, an array."""
    if not _graph_creation():
        from gluax._src.ops.creation import ones as nd_ones

        return nd_ones(shape, dtype=dtype, **kwargs)
    return _creator("_ones", {"dtype": _dt(dtype), "shape": _shape(shape)}, kwargs.get("name"))


def full(shape: Any, val: float, dtype: Any = None, **kwargs: Any) -> Any:
    """A Symbol filled with ``val`` (``_full`` node); inside a hybridized call, an array."""
    if not _graph_creation():
        from gluax._src.ops.creation import full as nd_full

        return nd_full(shape, val, dtype=dtype, **kwargs)
    attrs = {"dtype": _dt(dtype), "shape": _shape(shape), "value": val}
    return _creator("_full", attrs, kwargs.get("name"))


def arange(start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1,
           infer_range: bool = False, name: str | None = None, dtype: Any = None,
           **kwargs: Any) -> Any:  # fmt: skip
    """A Symbol of evenly spaced values (``_arange`` node); inside a hybridized call, an
    array."""
    if not _graph_creation():
        from gluax._src.ops.creation import arange as nd_arange

        return nd_arange(start, stop, step, repeat, infer_range, dtype=dtype or "float32",
                         **kwargs)  # fmt: skip
    attrs = {"dtype": _dt(dtype), "infer_range": infer_range, "repeat": repeat,
             "start": start, "step": step, "stop": stop}  # fmt: skip
    return _creator("_arange", attrs, name)


def eye(N: int, M: int = 0, k: int = 0, dtype: Any = None, **kwargs: Any) -> Any:
    """A Symbol with ones on the ``k``-th diagonal (``_eye`` node); inside a hybridized
    call, an array."""
    if not _graph_creation():
        from gluax._src.ops.creation import eye as nd_eye

        return nd_eye(N, M, k, dtype=dtype, **kwargs)
    return _creator("_eye", {"M": M, "N": N, "dtype": _dt(dtype), "k": k}, kwargs.get("name"))


def linspace(start: float, stop: float, num: int, endpoint: bool = True, name: str | None = None,
             dtype: Any = None, **kwargs: Any) -> Any:  # fmt: skip
    """A Symbol of ``num`` evenly spaced values (``_linspace`` node); inside a hybridized
    call, an array."""
    if not _graph_creation():
        from gluax._src.ops.creation import linspace as nd_linspace

        return nd_linspace(start, stop, num, endpoint, dtype=dtype or "float32", **kwargs)
    attrs = {"dtype": _dt(dtype), "endpoint": endpoint, "num": num, "start": start,
             "stop": stop}  # fmt: skip
    return _creator("_linspace", attrs, name)


def _dt(dtype: Any) -> str:
    return "float32" if dtype is None else np.dtype(dtype).name


def _shape(shape: Any) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(shape)


# ---- files ------------------------------------------------------------------------------------


def load_json(json_str: str) -> Symbol:
    """The Symbol in MXNet ``-symbol.json`` text."""
    try:
        spec = json.loads(json_str)
    except (TypeError, json.JSONDecodeError) as e:
        raise MXNetError(f"mx.sym.load_json: not valid JSON ({e}).") from e
    from gluax._src.gluon.symbol_export import check_graph

    return from_spec(check_graph(spec, "<json>", "mx.sym.load_json"), "<json>")


def load(fname: str) -> Symbol:
    """The Symbol in the ``-symbol.json`` file ``fname`` (written by MXNet or gluax)."""
    from gluax._src.gluon.symbol_export import read_graph

    return from_spec(read_graph(fname, "mx.sym.load"), fname)


def from_spec(spec: Any, source: str) -> Symbol:
    try:
        raw_nodes = spec["nodes"]
        heads = spec["heads"]
    except (KeyError, TypeError) as e:
        raise MXNetError(f"{source}: not an MXNet symbol graph (missing {e}).") from e
    nodes: list[_Node] = []
    for i, n in enumerate(raw_nodes):
        attrs = dict(n.get("attrs") or n.get("attr") or n.get("param") or {})
        inputs = []
        for e in n.get("inputs", []):
            if e[0] >= i:
                raise MXNetError(f"{source}: node {n['name']!r} uses a later node {e[0]}.")
            inputs.append((nodes[e[0]], int(e[1])))
        nodes.append(_Node(n["op"], n["name"], attrs, inputs))
    return Symbol([(nodes[h[0]], int(h[1])) for h in heads])


# ---- HybridBlocks called on Symbols -----------------------------------------------------------

# MXNet layers whose fwd-named node is not their first (Swish: x * sigmoid(beta * x, 'fwd')):
# the hint of that node.
_FWD_HINT = {"Swish": "sigmoid"}
# MXNet layers that name their one operator node ``fwd`` (``dense0_fwd``), by class name.
_FWD_CLASSES = frozenset(
    {"Activation", "Dense", "Dropout", "Embedding", "GELU", "InstanceNorm", "LeakyReLU",
     "PReLU", "SELU", "Swish", "BatchNorm", "_BatchNorm", "_Conv", "_Pooling"}
)  # fmt: skip
_PARAM_VARS: weakref.WeakKeyDictionary[Any, Symbol] = weakref.WeakKeyDictionary()


def _names_fwd(block: Any) -> bool | str:
    """Whether the block's first node is named ``fwd`` (or the hint of the node that is)."""
    for cls in type(block).__mro__:
        n = cls.__name__
        if n in _FWD_HINT:
            return _FWD_HINT[n]
        if n in _FWD_CLASSES or (n.startswith("Conv") and n[-1] in "DTe") or "Pool" in n:
            return True
    return False


def param_var(p: Any) -> Symbol:
    """The variable standing for Parameter ``p`` in a graph, with the attributes MXNet's
    ``Parameter.var()`` gives it (made once per Parameter, as in MXNet)."""
    s = _PARAM_VARS.get(p)
    if s is None:
        shape = tuple(d if d else 0 for d in (p.shape or ()))
        init = p.init
        s = var(
            p.name, shape=shape, dtype=p.dtype, lr_mult=p.lr_mult, wd_mult=p.wd_mult,
            init=init if init is None or isinstance(init, str) else init,
            __storage_type__=0,
        )  # fmt: skip
        _PARAM_VARS[p] = s
    return s


def block_forward(block: Any, args: tuple[Any, ...]) -> Any:
    """``block(*symbols)``: run ``hybrid_forward`` with ``F = mx.sym`` on Symbols, inside the
    block's name prefix, with each Parameter as its variable. Returns the output Symbol(s)."""
    from gluax import symbol as F

    fwd = _names_fwd(block)
    scope = (
        _SharedScope(current_name_manager(), fwd)
        if getattr(block, "_empty_prefix", False)
        else _BlockScope(block.prefix, fwd)
    )
    with scope:
        params = {name: param_var(p) for name, p in block._reg_params.items()}
        graph = getattr(block, "_symbol", None)
        if graph is not None:  # a SymbolBlock over a graph: that graph, on these inputs
            if len(args) != len(block._input_names):
                raise ValueError(
                    f"SymbolBlock: the graph takes {len(block._input_names)} input(s), got "
                    f"{len(args)}."
                )
            return graph._compose({**params, **dict(zip(block._input_names, args))})
        return block.hybrid_forward(F, *args, **params)
