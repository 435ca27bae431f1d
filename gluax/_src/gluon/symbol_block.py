"""``HybridBlock.export`` and ``SymbolBlock.imports`` for gluax's own exported graphs.

An exported graph is the block's pure forward in inference mode, serialized by ``jax.export``
(StableHLO), taking ``(arg_params, aux_params, *inputs)`` with parameters keyed by their full
(prefixed) names, and a ``.params`` file holding ``arg:``/``aux:`` + those names, as MXNet's
``export`` writes them. Loading needs neither the Python class nor the code that made it.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import jax
from jax import export as jax_export

from gluax._src.engine import random as _random
from gluax._src.engine.base import MXNetError
from gluax._src.engine.registry import OpDef, invoke
from gluax._src.engine.serialization import atomic_write
from gluax._src.engine.serialization import load as nd_load
from gluax._src.engine.serialization import save as nd_save
from gluax._src.gluon.block import HybridBlock
from gluax._src.gluon.parameter import Parameter
from gluax._src.gluon.symbol import Symbol, from_spec
from gluax._src.gluon.symbol_json import Graph

SUFFIX = "-symbol.stablehlo"


def export_block(block: HybridBlock, path: str, epoch: int) -> tuple[str, str]:
    tree, vals = block._last_call
    items = block._params_list()
    trainable = [(k, p) for k, p in items if p.grad_req != "null"]
    aux_items = [(k, p) for k, p in items if p.grad_req == "null"]

    def forward(arg: dict[str, Any], aux: dict[str, Any], *xs: Any) -> Any:
        params = {k: arg[p.name] for k, p in trainable}
        auxs = {k: aux[p.name] for k, p in aux_items}
        out, _ = block._pure(params, auxs, list(xs), tree, _random.unused_key(), False)
        return out

    arg_spec = {p.name: jax.ShapeDtypeStruct(p.shape, p.data().data.dtype) for _, p in trainable}
    aux_spec = {p.name: jax.ShapeDtypeStruct(p.shape, p.data().data.dtype) for _, p in aux_items}
    compiles = len(block._compile_sigs)
    try:
        batch = jax_export.symbolic_shape("batch")[0]
        in_spec = [
            jax.ShapeDtypeStruct((batch,) + tuple(v.shape[1:]), v.dtype)
            if v.ndim
            else jax.ShapeDtypeStruct(v.shape, v.dtype)
            for v in vals
        ]
        exported = jax_export.export(jax.jit(forward))(arg_spec, aux_spec, *in_spec)
    except Exception:  # noqa: BLE001 - a graph that needs a concrete batch size exports with it
        in_spec = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in vals]
        exported = jax_export.export(jax.jit(forward))(arg_spec, aux_spec, *in_spec)
    del block._compile_sigs[compiles:]  # exporting is not a compilation of the block itself
    sym_file = f"{path}{SUFFIX}"
    param_file = f"{path}-{epoch:04d}.params"
    atomic_write(sym_file, bytes(exported.serialize(vjp_order=1)))
    arrays = {f"arg:{p.name}": p._reduce() for _, p in trainable}
    arrays.update({f"aux:{p.name}": p._reduce() for _, p in aux_items})
    nd_save(param_file, arrays)
    return sym_file, param_file


class SymbolBlock(HybridBlock):
    """A network loaded from exported files, runnable without the class that made it.

    Create it with ``SymbolBlock.imports``: from MXNet's ``-symbol.json`` (evaluated node by
    node with gluax's operators) or from gluax's own ``-symbol.stablehlo``. Its parameters
    keep their full names; it runs eagerly (recorded for autograd) or hybridized, and can be
    fine-tuned.

    ``SymbolBlock(outputs, inputs, params=None)`` wraps free-standing Symbols: ``outputs``
    (a Symbol, a group, or a list of Symbols; any slice of ``get_internals()``) computed from
    the variables ``inputs``. Parameters whose names are in ``params`` (a ParameterDict, such
    as ``net.collect_params()``) are shared with it; the others are new, with shapes inferred
    from the first input.

    Examples
    --------
    >>> import gluax as mx
    >>> data = mx.sym.var('data')
    >>> net = mx.gluon.SymbolBlock(mx.sym.relu(data) * 2, data)
    >>> net(mx.nd.array([-1.0, 3.0])).asnumpy().tolist()
    [0.0, 6.0]
    """

    def __init__(
        self,
        outputs: Any = None,
        inputs: Any = None,
        params: Any = None,
        *,
        _exported: Any = None,
        _graph: Any = None,
        _input_names: Sequence[str] = (),
        prefix: str | None = None,
    ) -> None:
        shared: dict[str, Parameter] = {}
        self._symbol = None
        if _exported is None and _graph is None:
            self._symbol, _input_names = _from_symbols(outputs, inputs)
            _graph = Graph(self._symbol._json_dict(), "SymbolBlock")
            if params is not None:
                shared = {p.name: p for p in params.values()}
            params = None
        elif _graph is not None:
            self._symbol = from_spec({"nodes": _graph.nodes, "heads": _graph.heads}, _graph.source)
        super().__init__(prefix=prefix if prefix is not None else "", params=params)
        self._exported, self._graph = _exported, _graph
        if _graph is not None:
            missing = [n for n in _input_names if n not in _graph.variables]
            if missing:
                raise ValueError(
                    f"SymbolBlock.imports: input name(s) {missing} are not variables of {_graph.source}; its variables are {_graph.variables}."
                )
            self._input_names = list(_input_names)
            aux = _graph.aux_names()
            for name in _graph.variables:
                if name in self._input_names or name in self._reg_params:
                    continue
                if name in shared:
                    self._reg_params[name] = self.params._params[name] = shared[name]
                else:
                    self._register(name, "null" if name in aux else "write", None, "float32")
            self._n_inputs = len(self._input_names)
            return
        arg_tree, aux_tree = _exported.in_tree.children()[0].children()[:2]
        self._arg_names = list(jax.tree_util.tree_unflatten(arg_tree, range(arg_tree.num_leaves)))
        self._aux_names = list(jax.tree_util.tree_unflatten(aux_tree, range(aux_tree.num_leaves)))
        avals = _exported.in_avals
        n_arg, n_aux = len(self._arg_names), len(self._aux_names)
        for i, name in enumerate(self._arg_names + self._aux_names):
            self._register(
                name, "write" if i < n_arg else "null", avals[i].shape, avals[i].dtype.name
            )
        self._n_inputs = len(avals) - n_arg - n_aux
        self._in_avals = avals[n_arg + n_aux :]
        self._op = OpDef("SymbolBlock", self._call_exported, False, True)

    def _register(self, name: str, grad_req: str, shape: Any, dtype: str) -> None:
        p = Parameter(name, grad_req=grad_req, shape=shape, dtype=dtype, allow_deferred_init=True)
        self._reg_params[name] = p
        self.params._params[name] = p

    def infer_shape(self, *args: Any) -> None:
        """Parameter shapes of a graph from its inputs' shapes (``Symbol.infer_shape``)."""
        if self._symbol is None:
            return super().infer_shape(*args)
        given = {n: tuple(a.shape) for n, a in zip(self._input_names, args)}
        arg_shapes, _, aux_shapes = self._symbol.infer_shape_partial(**given)
        names = self._symbol.list_arguments() + self._symbol.list_auxiliary_states()
        for n, shape in zip(names, list(arg_shapes) + list(aux_shapes)):
            p = self._reg_params.get(n)
            if p is not None and shape and all(shape):
                p.shape = shape

    def _call_exported(self, *flat: Any) -> Any:
        n_arg, n_aux = len(self._arg_names), len(self._aux_names)
        arg = dict(zip(self._arg_names, flat[:n_arg]))
        aux = dict(zip(self._aux_names, flat[n_arg : n_arg + n_aux]))
        return self._exported.call(arg, aux, *flat[n_arg + n_aux :])

    def hybrid_forward(self, F: Any, *args: Any, **params: Any) -> Any:
        """Run the loaded graph on the inputs.

        Parameters
        ----------
        F : module
            ``mx.nd`` or ``mx.sym``.
        *args : NDArray or Symbol
            The graph's inputs, in the order of its input names.
        **params : NDArray or Symbol
            The graph's parameters, by name.

        Returns
        -------
        NDArray or Symbol, or a list of them
            The graph's output, or its outputs when there are several.
        """
        if len(args) != self._n_inputs:
            raise ValueError(
                f"SymbolBlock: the graph takes {self._n_inputs} input(s), got {len(args)}."
            )
        if self._graph is not None:
            outs = self._graph.run({**params, **dict(zip(self._input_names, args))})
            return outs[0] if len(outs) == 1 else outs
        for i, (x, aval) in enumerate(zip(args, self._in_avals)):
            expected = tuple(d if isinstance(d, int) else None for d in aval.shape)
            if len(x.shape) != len(expected) or any(
                e is not None and e != d for e, d in zip(expected, x.shape)
            ):
                raise ValueError(
                    f"SymbolBlock: input {i} must have shape {tuple('batch' if e is None else e for e in expected)}, got {x.shape}."
                )
        flat = (
            [params[n] for n in self._arg_names] + [params[n] for n in self._aux_names] + list(args)
        )
        return invoke(self._op, tuple(flat), {})

    @staticmethod
    def imports(
        symbol_file: str,
        input_names: str | Sequence[str],
        param_file: str | None = None,
        ctx: Any = None,
        allow_missing: bool = False,
        ignore_extra: bool = False,
    ) -> SymbolBlock:
        """Load a network from MXNet's ``-symbol.json`` or gluax's ``-symbol.stablehlo`` and,
        if given, its ``.params`` file (``arg:``/``aux:`` prefixes are stripped)."""
        names = [input_names] if isinstance(input_names, str) else list(input_names)
        if str(symbol_file).endswith(".json"):
            block = SymbolBlock(_graph=Graph.load(symbol_file), _input_names=names)
        else:
            if not os.path.exists(symbol_file):
                raise FileNotFoundError(f"SymbolBlock.imports: no such file {symbol_file!r}.")
            with open(symbol_file, "rb") as f:
                try:
                    exported = jax_export.deserialize(bytearray(f.read()))
                except Exception as e:  # noqa: BLE001
                    raise MXNetError(
                        f"SymbolBlock.imports: {symbol_file!r} is not a graph written by HybridBlock.export ({e})."
                    ) from e
            block = SymbolBlock(_exported=exported)
            if len(names) != block._n_inputs:
                raise ValueError(
                    f"SymbolBlock.imports: the graph in {symbol_file!r} takes {block._n_inputs} input(s), got input_names={names!r}."
                )
        if param_file is not None:
            loaded = nd_load(param_file)
            if not isinstance(loaded, dict):
                raise ValueError(f"SymbolBlock.imports: {param_file!r} holds no parameter names.")
            block.collect_params().load_dict(
                loaded,
                ctx,
                allow_missing,
                ignore_extra,
                filename=param_file,
                cast_dtype=True,
                dtype_source="saved",
            )
        return block


def _from_symbols(outputs: Any, inputs: Any) -> tuple[Symbol, list[str]]:
    """The output Symbol and input variable names of ``SymbolBlock(outputs, inputs)``."""
    from gluax._src.gluon.symbol import Group, _is_graph

    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if not outs or not all(_is_graph(o) for o in outs):
        raise TypeError(
            "SymbolBlock(outputs, inputs): outputs must be a Symbol or a list of Symbols, got "
            f"{type(outputs).__name__}. To load files use SymbolBlock.imports."
        )
    sym = outs[0] if len(outs) == 1 else Group(outs)
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    names = []
    for i in ins:
        if not _is_graph(i) or len(i) != 1 or i._outputs[0][0].op != "null":
            raise TypeError(
                f"SymbolBlock(outputs, inputs): inputs must be variables (mx.sym.var), got {i!r}."
            )
        names.append(i.name)
    variables = set(sym.list_inputs())
    unused = [n for n in names if n not in variables]
    if unused:
        raise ValueError(
            f"SymbolBlock: input(s) {unused} are not variables of the outputs' graph; its "
            f"variables are {sorted(variables)}."
        )
    return sym, names
