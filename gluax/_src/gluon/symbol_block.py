"""``HybridBlock.export`` and ``SymbolBlock.imports`` for gluax's own exported graphs.

An exported graph is the block's pure forward in inference mode, serialized by ``jax.export``
(StableHLO), taking ``(arg_params, aux_params, *inputs)`` with parameters keyed by their full
(prefixed) names, and a ``.params`` file holding ``arg:``/``aux:`` + those names, as MXNet's
``export`` writes them. Loading needs neither the Python class nor the code that made it.

File layout of ``-symbol.stablehlo`` (format 1): the 8 bytes ``GLUAXHLO``, a little-endian
``u32`` format version and ``u32`` header length, a UTF-8 JSON header
(``payload_size``, ``payload_sha256``, and the name, size and SHA-256 of the ``.params`` file
written by the same export), then the payload: ``jax.export``'s serialized program with its
source locations stripped. The digest is checked before the payload reaches JAX's
deserializer, which must not see corrupt bytes (it can crash or hang on them). The payload
is a program: load exported files only from sources you trust.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import struct
from typing import Any, Sequence

import jax
import numpy as np
from jax import export as jax_export

from gluax._src.engine import random as _random
from gluax._src.engine.registry import OpDef, invoke
from gluax._src.engine.serialization import FileFormatError, atomic_write_many
from gluax._src.engine.serialization import dumps as nd_dumps
from gluax._src.engine.serialization import load as nd_load
from gluax._src.gluon.block import HybridBlock
from gluax._src.gluon.parameter import Parameter
from gluax._src.gluon.symbol import Symbol, from_spec
from gluax._src.gluon.symbol_json import Graph

SUFFIX = "-symbol.stablehlo"
MAGIC = b"GLUAXHLO"
FORMAT_VERSION = 1
_MAX_HEADER = 1 << 16
_READER = "SymbolBlock.imports"


def _strip_locations(exported: Any) -> Any:
    """``exported`` with JAX's source locations (paths of gluax's and the user's files,
    line numbers) removed from its program and from the program of its derivative, so the
    bytes depend only on the network and leak no local paths."""
    from jax._src.export import _export as jax_export_impl
    from jax._src.interpreters import mlir as jax_mlir
    from jax._src.lib.mlir import ir, passmanager

    with jax_mlir.make_ir_context():
        module = ir.Module.parse(exported.mlir_module())
        passmanager.PassManager.parse("builtin.module(strip-debuginfo)").run(module.operation)
        blob = jax_export_impl._module_to_bytecode(module)
    get_vjp = exported._get_vjp
    return dataclasses.replace(
        exported,
        mlir_module_serialized=blob,
        _get_vjp=None if get_vjp is None else (lambda e: _strip_locations(get_vjp(e))),
    )


def pack_exported(payload: bytes, params_name: str, params_bytes: bytes) -> bytes:
    """The ``-symbol.stablehlo`` file's bytes: header (format version, SHA-256 of the payload
    and of the ``.params`` file of the same export), then the payload."""
    header = {
        "format": "gluax-stablehlo",
        "payload_size": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "params_file": params_name,
        "params_size": len(params_bytes),
        "params_sha256": hashlib.sha256(params_bytes).hexdigest(),
    }
    text = json.dumps(header, sort_keys=True).encode("utf-8")
    return MAGIC + struct.pack("<II", FORMAT_VERSION, len(text)) + text + payload


def read_exported(fname: str) -> tuple[Any, dict[str, Any]]:
    """Read a ``-symbol.stablehlo`` file: check its header and the payload's SHA-256, then
    deserialize. Returns ``(jax.export.Exported, header)``.

    Raises
    ------
    FileFormatError
        When the file is not one ``HybridBlock.export`` wrote, or its bytes changed.
    """
    with open(fname, "rb") as f:
        buf = f.read()

    def fail(where: str, expected: str, got: Any = None, hint: str = "") -> FileFormatError:
        return FileFormatError(_READER, fname, where, expected, got, hint)

    if buf[:8] != MAGIC:
        raise fail(
            "offset 0 (magic)",
            "b'GLUAXHLO'",
            repr(buf[:8]),
            "it is not a graph written by HybridBlock.export (files written before gluax "
            "added this header must be exported again)",
        )
    if len(buf) < 16:
        raise fail("offset 8 (version, header length)", "8 bytes", len(buf) - 8)
    version, n = struct.unpack("<II", buf[8:16])
    if version != FORMAT_VERSION:
        raise fail(
            "offset 8 (format version)", f"{FORMAT_VERSION}", version,
            "the file was written by another gluax version" if version > 0 else "",
        )
    if n > _MAX_HEADER or 16 + n > len(buf):
        raise fail("offset 12 (header length)", f"at most {min(_MAX_HEADER, len(buf) - 16)}", n)
    try:
        header = json.loads(buf[16 : 16 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise fail("offset 16 (header)", "UTF-8 JSON", f"{type(e).__name__}: {e}") from None
    keys = {"payload_size": int, "payload_sha256": str, "params_file": str,
            "params_size": int, "params_sha256": str}
    if not isinstance(header, dict) or header.get("format") != "gluax-stablehlo" or any(
        not isinstance(header.get(k), t) or isinstance(header.get(k), bool)
        for k, t in keys.items()
    ):
        raise fail("offset 16 (header)", f"a gluax-stablehlo header with {sorted(keys)}", header)
    payload = buf[16 + n :]
    if len(payload) != header["payload_size"]:
        raise fail(
            f"offset {16 + n} (payload)", f"{header['payload_size']} bytes", len(payload),
            "the file is truncated or was appended to",
        )
    digest = hashlib.sha256(payload).hexdigest()
    if digest != header["payload_sha256"]:
        raise fail(
            f"offset {16 + n} (payload)", f"SHA-256 {header['payload_sha256']}", digest,
            "the file is corrupt; it was not deserialized",
        )
    try:
        exported = jax_export.deserialize(bytearray(payload))
    except Exception as e:  # noqa: BLE001 - any failure of the deserializer is a bad file
        raise fail(
            f"offset {16 + n} (payload)", "a program serialized by jax.export", f"{type(e).__name__}: {e}",
            "it is not a graph written by HybridBlock.export",
        ) from e
    return exported, header


def _check_params_file(sym_file: str, header: dict[str, Any], param_file: str) -> None:
    """The ``.params`` file of the export that wrote ``sym_file`` must be that export's."""
    if os.path.basename(param_file) != header["params_file"]:
        return  # another epoch's parameters: checked by names, shapes and dtypes instead
    with open(param_file, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != header["params_sha256"]:
        raise FileFormatError(
            _READER,
            param_file,
            "whole file",
            f"the parameters written with {sym_file!r} (SHA-256 {header['params_sha256']})",
            digest,
            "the two files come from different exports (an export interrupted between its "
            "files, or one file copied over); export the network again",
        )


def export_block(
    block: HybridBlock, path: str, epoch: int, extra_files: Sequence[tuple[str, bytes]] = ()
) -> tuple[str, str]:
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
    payload = bytes(_strip_locations(exported).serialize(vjp_order=1))
    arrays = {f"arg:{p.name}": p._reduce() for _, p in trainable}
    arrays.update({f"aux:{p.name}": p._reduce() for _, p in aux_items})
    params_bytes = nd_dumps(arrays)
    sym_bytes = pack_exported(payload, os.path.basename(param_file), params_bytes)
    # All files reach disk as temporaries before any is renamed into place.
    atomic_write_many([(param_file, params_bytes), *extra_files, (sym_file, sym_bytes)])
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

    def _collect_params_with_prefix(self, prefix: str = "") -> dict[str, Parameter]:
        # MXNet's SymbolBlock registers its parameters under their names less the prefix they
        # all share, so save_parameters/load_parameters use those (backbone.conv0_weight)
        names = list(self._reg_params)
        n = len(os.path.commonprefix(names)) if names else 0
        prefix = prefix + "." if prefix else ""
        return {prefix + k[n:]: v for k, v in self._reg_params.items()}

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
            exported, header = read_exported(symbol_file)
            if param_file is not None:
                _check_params_file(symbol_file, header, param_file)
            block = SymbolBlock(_exported=exported)
            if len(names) != block._n_inputs:
                raise ValueError(
                    f"SymbolBlock.imports: the graph in {symbol_file!r} takes {block._n_inputs} input(s), got input_names={names!r}."
                )
        if param_file is not None:
            loaded = nd_load(param_file)
            if not isinstance(loaded, dict):
                raise ValueError(f"SymbolBlock.imports: {param_file!r} holds no parameter names.")
            if block._exported is not None:
                _check_params_match(block, symbol_file, param_file, loaded)
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


def _check_params_match(
    block: SymbolBlock, sym_file: str, param_file: str, loaded: dict[str, Any]
) -> None:
    """Every array of ``param_file`` that names a parameter of the exported graph has that
    parameter's shape and dtype (a ``.params`` file of another network is refused)."""
    avals = block._exported.in_avals
    expected = {
        n: (tuple(a.shape), a.dtype.name)
        for n, a in zip(block._arg_names + block._aux_names, avals)
    }
    for key, arr in loaded.items():
        name = key.split(":", 1)[1] if key.startswith(("arg:", "aux:")) else key
        if name not in expected:
            continue
        shape, dtype = expected[name]
        got = (tuple(arr.shape), np.dtype(arr.dtype).name)
        if got != (shape, dtype):
            raise FileFormatError(
                _READER,
                param_file,
                f"array {key!r}",
                f"shape {shape} and dtype {dtype}, as the graph in {sym_file!r} takes it",
                f"shape {got[0]} and dtype {got[1]}",
                "the files belong to different networks",
            )


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
