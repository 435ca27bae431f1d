"""Shape/type inference and the ``Executor`` of free-standing Symbols.

Evaluating a Symbol is one traced function: the graph's JSON runs through
``symbol_json.Graph`` (every node a registry call) inside ``jax.jit``, taking the argument and
auxiliary arrays by name. ``backward`` is ``jax.vjp`` of that same function, compiled once
per executor. Shape inference walks the nodes once, asking ``jax.eval_shape`` for each
operator's output and filling the shapes of parameters MXNet infers from the data (a
FullyConnected weight from ``num_hidden`` and the input's width, ...).
"""

from __future__ import annotations

import warnings
from math import prod
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine import random as _random
from gluax._src.engine.base import MXNetError
from gluax._src.engine.context import as_context
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.ndarray import Symbol as _Traced
from gluax._src.engine.serialization import TYPE_FLAGS
from gluax._src.gluon.block import _TraceState
from gluax._src.gluon.symbol import Symbol, _Node
from gluax._src.gluon.symbol_json import Graph, parse_attr

_Shape = tuple[int, ...] | None


def _known(s: _Shape) -> bool:
    return s is not None and all(d > 0 for d in s)


def _param_shapes(op: str, a: dict[str, Any], data: tuple[int, ...]) -> dict[str, tuple]:
    """Shapes MXNet infers for an operator's parameter inputs from its data's shape."""
    if op == "FullyConnected":
        n_in = prod(data[1:]) if a.get("flatten", True) else data[-1]
        return {"weight": (a["num_hidden"], n_in), "bias": (a["num_hidden"],)}
    if op in ("Convolution", "Deconvolution"):
        kernel = tuple(a["kernel"])
        g = a.get("num_group", 1)
        layout = a.get("layout") or "NCHW"
        c = data[-1] if layout.endswith("C") else data[1]
        nf = a["num_filter"]
        if op == "Convolution":
            w = (nf, *kernel, c // g) if layout.endswith("C") else (nf, c // g, *kernel)
        else:
            w = (c, nf // g, *kernel)
        return {"weight": w, "bias": (nf,)}
    if op in ("BatchNorm", "_contrib_SyncBatchNorm"):
        c = (data[a.get("axis", 1)],)
        return {"gamma": c, "beta": c, "moving_mean": c, "moving_var": c}
    if op == "InstanceNorm":
        return {"gamma": (data[1],), "beta": (data[1],)}
    if op == "LayerNorm":
        c = (data[a.get("axis", -1)],)
        return {"gamma": c, "beta": c}
    if op == "GroupNorm":
        return {"gamma": (data[1],), "beta": (data[1],)}
    if op == "Embedding":
        return {"weight": (a["input_dim"], a["output_dim"])}
    if op == "LeakyReLU":
        return {"gamma": (data[1] if len(data) > 1 else 1,)}
    if op == "SoftmaxOutput":
        if a.get("multi_output"):
            return {"label": (data[0], *data[2:])}
        return {"label": data if a.get("preserve_shape") else data[:-1]}
    if op in ("LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput"):
        return {"label": data}
    if op == "SVMOutput":
        return {"label": data[:-1]}
    return {}


def _node_attrs(node: _Node) -> dict[str, Any]:
    return {k: parse_attr(v) for k, v in node.attrs.items() if not k.startswith("__")}


def _var_shape(node: _Node) -> _Shape:
    s = node.attrs.get("__shape__")
    return tuple(parse_attr(s)) if s else None


def _var_dtype(node: _Node) -> Any:
    f = node.attrs.get("__dtype__")
    return np.dtype(TYPE_FLAGS[int(f)]) if f is not None else None


def _given(sym: Symbol, args: tuple[Any, ...], kwargs: dict[str, Any], what: str) -> dict:
    names = sym.list_arguments()
    given: dict[str, Any] = {}
    if args:
        if kwargs:
            raise ValueError(f"{what}: give the arguments by position or by name, not both.")
        if len(args) > len(names):
            raise ValueError(f"{what}: {len(args)} values for {len(names)} arguments {names}.")
        given = {n: a for n, a in zip(names, args) if a is not None}
    else:
        inputs = set(sym.list_inputs())
        for k, v in kwargs.items():
            if k not in inputs:
                raise ValueError(
                    f"{what}: {k!r} is not an argument of the Symbol; its arguments are {names}."
                )
            given[k] = v
    return given


def _walk(sym: Symbol, shapes: dict[str, Any], dtypes: dict[str, Any]) -> tuple[dict, dict]:
    """Shapes and dtypes of every node output (``{(id(node), i): ...}``) and variable."""
    out_s: dict[Any, _Shape] = {}
    out_t: dict[Any, Any] = {}
    var_s: dict[str, _Shape] = {}
    var_t: dict[str, Any] = {}
    nodes = sym._nodes()
    for n in nodes:
        if n.op == "null":
            s = shapes.get(n.name)
            s = tuple(s) if s is not None else _var_shape(n)
            var_s[n.name] = s
            t = dtypes.get(n.name)
            var_t[n.name] = np.dtype(t) if t is not None else _var_dtype(n)
    for n in nodes:
        if n.op == "null":
            out_s[(id(n), 0)], out_t[(id(n), 0)] = var_s[n.name], var_t[n.name]
            continue
        ins = [(id(c), k) for c, k in n.inputs]
        in_s = [out_s.get(e) for e in ins]
        in_t = [out_t.get(e) for e in ins]
        attrs = _node_attrs(n)
        if in_s and _known(in_s[0]):
            from gluax._src.engine.registry import OPS

            opdef = OPS.get(n.op)
            names = opdef.inputs if opdef is not None and not opdef.variadic else ()
            fill = _param_shapes(n.op, attrs, in_s[0])
            for i, (c, _) in enumerate(n.inputs):
                if c.op == "null" and i < len(names) and names[i] in fill:
                    want = tuple(int(d) for d in fill[names[i]])
                    have = var_s[c.name]
                    if have is not None and (
                        len(have) != len(want) or any(h not in (0, w) for h, w in zip(have, want))
                    ):
                        raise MXNetError(
                            f"infer_shape: node {n.name!r} ({n.op}) needs {names[i]} "
                            f"{c.name!r} of shape {want}, got {have}."
                        )
                    var_s[c.name] = out_s[(id(c), 0)] = in_s[i] = want
        first_t = next((t for t in in_t if t is not None), None)
        for i, (c, _) in enumerate(n.inputs):
            if in_t[i] is None and c.op == "null":
                var_t[c.name] = out_t[(id(c), 0)] = in_t[i] = first_t
        if all(_known(s) for s in in_s):
            structs = [
                jax.ShapeDtypeStruct(s, t if t is not None else np.float32)
                for s, t in zip(in_s, in_t)
            ]
            graph = Graph(_one_node_spec(n), f"node {n.name!r}")
            try:
                res = jax.eval_shape(
                    lambda *xs, g=graph: _run_graph(g, dict(zip(_INPUT_NAMES, xs)), False, None),
                    *structs,
                )
            except Exception as e:  # noqa: BLE001 - report which node failed and why
                raise MXNetError(
                    f"infer_shape: node {n.name!r} ({n.op}) rejects input shapes "
                    f"{[tuple(s) for s in in_s]}: {e}"
                ) from e
            for i, r in enumerate(res):
                out_s[(id(n), i)], out_t[(id(n), i)] = tuple(r.shape), np.dtype(r.dtype)
        else:
            for i in range(n.n_visible):
                out_s[(id(n), i)], out_t[(id(n), i)] = None, first_t
    return out_s, out_t, var_s, var_t  # type: ignore[return-value]


_INPUT_NAMES = [f"in{i}" for i in range(256)]


def _one_node_spec(n: _Node) -> dict[str, Any]:
    nodes = [{"op": "null", "name": _INPUT_NAMES[i], "inputs": []} for i in range(len(n.inputs))]
    nodes.append({"op": n.op, "name": n.name, "attrs": n.attrs,
                  "inputs": [[i, 0, 0] for i in range(len(n.inputs))]})  # fmt: skip
    heads = [[len(nodes) - 1, i, 0] for i in range(n.n_visible)]
    return {"nodes": nodes, "heads": heads}


def infer_shape(sym: Symbol, args: tuple, kwargs: dict, partial: bool) -> Any:
    given = _given(sym, args, kwargs, "infer_shape")
    out_s, _, var_s, _ = _walk(sym, given, {})
    arg_names, aux_names = sym.list_arguments(), sym.list_auxiliary_states()
    outs = [out_s.get((id(n), i)) for n, i in sym._outputs]
    arg = [var_s[n] for n in arg_names]
    aux = [var_s[n] for n in aux_names]
    if partial:
        fix = lambda s: s if s is not None else ()  # noqa: E731
        return [fix(s) for s in arg], [fix(s) for s in outs], [fix(s) for s in aux]
    unknown = [n for n, s in zip(arg_names + aux_names, arg + aux) if not _known(s)]
    if unknown or not all(_known(s) for s in outs):
        warnings.warn(
            f"infer_shape: cannot decide the shapes of {unknown}; give more argument shapes "
            "or use infer_shape_partial.",
            stacklevel=3,
        )
        return None, None, None
    return arg, outs, aux


def infer_type(sym: Symbol, args: tuple, kwargs: dict) -> Any:
    given = _given(sym, args, kwargs, "infer_type")
    given = {k: np.dtype(v) for k, v in given.items()}
    _, out_t, _, var_t = _walk(sym, {}, given)
    arg_names, aux_names = sym.list_arguments(), sym.list_auxiliary_states()
    outs = [out_t.get((id(n), i)) for n, i in sym._outputs]
    every = [var_t[n] for n in arg_names + aux_names] + outs
    if any(t is None for t in every):
        return None, None, None
    typ = lambda t: np.dtype(t).type  # noqa: E731
    return (
        [typ(var_t[n]) for n in arg_names],
        [typ(t) for t in outs],
        [typ(var_t[n]) for n in aux_names],
    )


# ---- evaluation -------------------------------------------------------------------------------


def _run_graph(
    graph: Graph, values: dict[str, Any], training: bool, key: Any, written: Any = None
) -> list[Any]:
    """Run ``graph`` on jax values inside a trace; the head values. ``written`` (a dict)
    receives the variables an operator rebound (a custom operator's auxiliary states)."""
    source = _random.TraceKeySource(key if key is not None else _random.unused_key())
    with _TraceState(training, source):
        wrapped = {k: _Traced(v, None) for k, v in values.items()}
        outs = graph.run(wrapped)
    if written is not None:
        written.update({k: w._value for k, w in wrapped.items() if w._value is not values[k]})
    return [o._value if isinstance(o, NDArray) else jnp.asarray(o) for o in outs]


def _as_dict(
    values: Any, names: list[str], what: str, allow_missing: bool = False
) -> dict[str, NDArray]:
    if values is None:
        return {}
    if isinstance(values, dict):
        extra = [k for k in values if k not in names]
        if extra:
            raise ValueError(
                f"bind: {what} has names {extra} that the Symbol lacks; it has {names}."
            )
        out = dict(values)
    else:
        values = list(values)
        if len(values) != len(names):
            raise ValueError(
                f"bind: {what} has {len(values)} arrays for {len(names)} names {names}."
            )
        out = dict(zip(names, values))
    for k, v in out.items():
        if not isinstance(v, NDArray):
            raise TypeError(f"bind: {what}[{k!r}] must be an NDArray, got {type(v).__name__}.")
    return out


class Executor:
    """A Symbol bound to arrays: ``forward`` computes ``outputs``, ``backward`` fills
    ``grad_dict`` (by each argument's ``grad_req``); both are compiled with ``jax.jit``.

    Notes
    -----
    In ``forward(is_train=True)`` BatchNorm nodes update their moving statistics in
    ``aux_dict``, as MXNet's executor does. Arrays are gluax NDArrays; assigning into
    ``arg_dict[name][:]`` changes what the next ``forward`` reads.
    """

    def __init__(
        self,
        sym: Symbol,
        ctx: Any,
        args: Any,
        args_grad: Any,
        grad_req: Any,
        aux_states: Any,
    ) -> None:
        if not isinstance(sym, Symbol) or isinstance(sym, _Traced):
            raise TypeError(f"Executor: expected a Symbol, got {type(sym).__name__}.")
        self._symbol = sym
        self._ctx = as_context(ctx)
        self._arg_names = sym.list_arguments()
        self._aux_names = sym.list_auxiliary_states()
        self.arg_dict = _as_dict(args, self._arg_names, "args")
        missing = [n for n in self._arg_names if n not in self.arg_dict]
        if missing:
            raise ValueError(f"bind: no array for argument(s) {missing}.")
        self.aux_dict = _as_dict(aux_states, self._aux_names, "aux_states")
        missing = [n for n in self._aux_names if n not in self.aux_dict]
        if missing:
            raise ValueError(f"bind: no array for auxiliary state(s) {missing}.")
        if isinstance(grad_req, str):
            reqs = {n: grad_req for n in self._arg_names}
        elif isinstance(grad_req, dict):
            reqs = {n: grad_req.get(n, "null") for n in self._arg_names}
        else:
            reqs = dict(zip(self._arg_names, grad_req))
        for n, r in reqs.items():
            if r not in ("write", "add", "null"):
                raise ValueError(f"bind: grad_req for {n!r} must be write, add or null, got {r!r}.")
        self._grad_req = reqs
        grads = _as_dict(args_grad, self._arg_names, "args_grad") if args_grad is not None else {}
        if args_grad is None:
            from gluax._src.ops.creation import zeros

            grads = {
                n: zeros(self.arg_dict[n].shape, ctx=self._ctx, dtype=self.arg_dict[n].dtype)
                for n in self._arg_names
                if reqs[n] != "null"
            }
        self.grad_dict = grads
        self.outputs: list[NDArray] = []
        self._program = _program(sym)
        self._graph, self._bn = self._program.graph, self._program.bn
        self._last: tuple[Any, ...] | None = None

    # ---- MXNet's views --------------------------------------------------------------------
    @property
    def arg_arrays(self) -> list[NDArray]:
        """The argument arrays, in ``list_arguments()`` order."""
        return [self.arg_dict[n] for n in self._arg_names]

    @property
    def grad_arrays(self) -> list[NDArray | None]:
        """The gradient arrays, in ``list_arguments()`` order (None where grad_req is null)."""
        return [self.grad_dict.get(n) for n in self._arg_names]

    @property
    def aux_arrays(self) -> list[NDArray]:
        """The auxiliary-state arrays, in ``list_auxiliary_states()`` order."""
        return [self.aux_dict[n] for n in self._aux_names]

    @property
    def output_dict(self) -> dict[str, NDArray]:
        """The last forward's outputs by ``list_outputs()`` name."""
        return dict(zip(self._symbol.list_outputs(), self.outputs))

    # ---- running --------------------------------------------------------------------------
    def _function(self, training: bool) -> Any:
        f = self._program.fwd.get(training)
        if f is None:
            graph, bn = self._graph, self._bn

            def run(arg: dict, aux: dict, key: Any) -> Any:
                values = {**arg, **aux}
                custom: dict[str, Any] = {}  # Custom operators' auxiliary states
                outs = _run_graph(graph, values, training, key, custom)
                new = _aux_after(bn, graph, values, training, key)
                return outs, {**{k: v for k, v in custom.items() if k in aux}, **new}

            f = self._program.fwd[training] = jax.jit(run)
        return f

    def forward(self, is_train: bool = False, **kwargs: Any) -> list[NDArray]:
        """Compute ``outputs``; keyword arrays first replace the named arguments' values."""
        for k, v in kwargs.items():
            if k not in self.arg_dict:
                raise ValueError(f"Executor.forward: {k!r} is not an argument of the Symbol.")
            v = v if isinstance(v, NDArray) else NDArray(jnp.asarray(v), self._ctx)
            self.arg_dict[k]._set_value(v._value.astype(self.arg_dict[k]._value.dtype))
        arg = {k: v._value for k, v in self.arg_dict.items()}
        aux = {k: v._value for k, v in self.aux_dict.items()}
        key = _random.next_key()
        outs, new_aux = self._function(bool(is_train))(arg, aux, key)
        for k, v in new_aux.items():
            self.aux_dict[k]._set_value(v)
        self.outputs = [NDArray(o, self._ctx) for o in outs]
        self._last = (arg, aux, key, bool(is_train))
        return self.outputs

    def backward(self, out_grads: Any = None, is_train: bool = True) -> None:
        """Gradients of the outputs (weighted by ``out_grads``, ones when omitted) with
        respect to the arguments, written or added into ``grad_dict``."""
        if self._last is None:
            raise RuntimeError("Executor.backward: call forward(is_train=True) first.")
        arg, aux, key, training = self._last
        if out_grads is None:
            cts = [jnp.ones_like(o._value) for o in self.outputs]
        else:
            og = [out_grads] if isinstance(out_grads, NDArray) else list(out_grads)
            if len(og) != len(self.outputs):
                raise ValueError(
                    f"Executor.backward: {len(og)} out_grads for {len(self.outputs)} outputs."
                )
            cts = [g._value if isinstance(g, NDArray) else jnp.asarray(g) for g in og]
        diff = [n for n in self._arg_names if self._grad_req[n] != "null"]
        if self._program.bwd is None:
            graph = self._graph

            def bwd(d: dict, rest: dict, aux: dict, key: Any, cts: list, training: bool) -> Any:
                def f(d: dict) -> Any:
                    return _run_graph(graph, {**rest, **d, **aux}, training, key)

                _, vjp = jax.vjp(f, d)
                return vjp(cts)[0]

            self._program.bwd = jax.jit(bwd, static_argnums=5)
        d = {n: arg[n] for n in diff}
        rest = {n: v for n, v in arg.items() if n not in d}
        grads = self._program.bwd(d, rest, aux, key, cts, training)
        for n in diff:
            g = grads[n]
            if self._grad_req[n] == "add":
                g = self.grad_dict[n]._value + g
            self.grad_dict[n]._set_value(g)

    def copy_params_from(
        self, arg_params: dict, aux_params: dict | None = None, allow_extra_params: bool = False
    ) -> None:
        """Copy arrays by name into ``arg_dict``/``aux_dict``."""
        for what, src, dst in (("arg_params", arg_params, self.arg_dict),
                               ("aux_params", aux_params or {}, self.aux_dict)):  # fmt: skip
            for k, v in src.items():
                if k not in dst:
                    if allow_extra_params:
                        continue
                    raise ValueError(
                        f"copy_params_from: {what} has {k!r}, which is not in the executor; "
                        "pass allow_extra_params=True to skip it."
                    )
                if tuple(v.shape) != tuple(dst[k].shape):
                    raise ValueError(
                        f"copy_params_from: {k!r} has shape {tuple(v.shape)}, the executor's "
                        f"has {tuple(dst[k].shape)}."
                    )
                dst[k]._set_value(jnp.asarray(v._value if isinstance(v, NDArray) else v,
                                              dtype=dst[k]._value.dtype))  # fmt: skip

    def reshape(
        self, partial_shaping: bool = False, allow_up_sizing: bool = False, **kwargs: Any
    ) -> Executor:
        """A new executor for new input shapes, sharing the parameter arrays whose shapes
        stay (``partial_shaping``: others may change too)."""
        arg_shapes, _, aux_shapes = self._symbol.infer_shape(**kwargs)
        if arg_shapes is None:
            raise ValueError(f"Executor.reshape: cannot infer all shapes from {kwargs}.")
        from gluax._src.ops.creation import zeros

        def pick(names: list[str], shapes: list, old: dict) -> dict:
            out = {}
            for n, s in zip(names, shapes):
                a = old[n]
                if tuple(a.shape) == tuple(s):
                    out[n] = a
                elif n in kwargs or partial_shaping:
                    out[n] = zeros(s, ctx=self._ctx, dtype=a.dtype)
                else:
                    raise ValueError(
                        f"Executor.reshape: argument {n!r} would change shape from "
                        f"{tuple(a.shape)} to {tuple(s)}; pass partial_shaping=True."
                    )
            return out

        args = pick(self._arg_names, arg_shapes, self.arg_dict)
        aux = pick(self._aux_names, aux_shapes, self.aux_dict)
        return Executor(self._symbol, self._ctx, args, None, self._grad_req, aux)


class _Program:
    """The compiled functions of one graph, shared by every Executor of the same graph (so
    ``eval`` in a loop compiles once)."""

    def __init__(self, sym: Symbol) -> None:
        self.graph = Graph(sym._json_dict(), f"Symbol {sym.name or 'group'}")
        self.bn = _batchnorm_updates(sym)
        self.fwd: dict[bool, Any] = {}
        self.bwd: Any = None


_PROGRAMS: dict[str, _Program] = {}
_MAX_PROGRAMS = 64


def _program(sym: Symbol) -> _Program:
    key = sym.tojson()
    prog = _PROGRAMS.get(key)
    if prog is None:
        if len(_PROGRAMS) >= _MAX_PROGRAMS:
            _PROGRAMS.pop(next(iter(_PROGRAMS)))
        prog = _PROGRAMS[key] = _Program(sym)
    return prog


def simple_bind(sym: Symbol, ctx: Any, grad_req: Any, type_dict: Any, shapes: dict) -> Executor:
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    if arg_shapes is None:
        raise ValueError(
            f"simple_bind: cannot infer the shapes of all arguments from {shapes}; give more."
        )
    arg_types, _, aux_types = sym.infer_type(**(type_dict or {}))
    names, aux_names = sym.list_arguments(), sym.list_auxiliary_states()
    arg_types = arg_types or [np.float32] * len(names)
    aux_types = aux_types or [np.float32] * len(aux_names)
    from gluax._src.ops.creation import zeros

    c = as_context(ctx)
    args = {n: zeros(s, ctx=c, dtype=t) for n, s, t in zip(names, arg_shapes, arg_types)}
    aux = {n: zeros(s, ctx=c, dtype=t) for n, s, t in zip(aux_names, aux_shapes, aux_types)}
    return Executor(sym, c, args, None, grad_req, aux)


# ---- BatchNorm's moving statistics in a training forward --------------------------------------


def _batchnorm_updates(sym: Symbol) -> list[tuple[int, str, str, dict]]:
    """(node position, moving_mean name, moving_var name, attrs) of each BatchNorm node."""
    out = []
    for i, n in enumerate(sym._nodes()):
        if n.op == "BatchNorm" and len(n.inputs) == 5:
            mm, mv = n.inputs[3][0], n.inputs[4][0]
            if mm.op == "null" and mv.op == "null":
                out.append((i, mm.name, mv.name, _node_attrs(n)))
    return out


def _aux_after(bn: list, graph: Graph, values: dict, training: bool, key: Any) -> dict:
    """New moving statistics after a training forward (MXNet's CPU BatchNorm rule: momentum
    weights the old value; the variance comes back from the saved inverse std)."""
    if not training or not bn:
        return {}
    new: dict[str, Any] = {}
    for pos, mm, mv, attrs in bn:
        if attrs.get("use_global_stats"):
            continue
        node = graph.nodes[pos]
        spec = {"nodes": graph.nodes[: pos + 1], "heads": [[pos, 0, 0], [pos, 1, 0], [pos, 2, 0]]}
        sub = dict(node)
        sub["attrs"] = {**(node.get("attrs") or {}), "output_mean_var": "True"}
        spec["nodes"] = list(spec["nodes"][:-1]) + [sub]
        _, mean, invstd = _run_graph(Graph(spec, graph.source), values, True, key)
        eps, m = attrs.get("eps", 1e-3), attrs.get("momentum", 0.9)
        var = 1.0 / jnp.square(invstd) - eps
        new[mm] = jax.lax.stop_gradient(values[mm] * m + mean * (1 - m))
        new[mv] = jax.lax.stop_gradient(values[mv] * m + var * (1 - m))
    return new
