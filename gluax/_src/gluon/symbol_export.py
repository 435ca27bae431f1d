"""Write MXNet 1.9.1's ``-symbol.json`` for a hybridized block (part of ``HybridBlock.export``).

The graph is recorded, not re-derived: the block's inference forward is traced once
(``jax.eval_shape``, nothing is compiled) while a recorder listens to the operator registry.
Every registered operator called on a traced value becomes one graph node; parameters become
variable nodes under their full names, the inputs ``data`` (``data0``, ``data1``, ... for
several), as MXNet's ``export`` names them. Registered operator names are MXNet's, and
static attributes are written as MXNet writes keyword arguments (``str`` of the value:
``'(3, 3)'``, ``'True'``, ``'1e-05'``).

What cannot be written (the caller gets ``SymbolExportError``):

* operators with no MXNet counterpart (gluax's fused RNN, advanced indexing and index
  assignment, ``isnan``-style checks, ...);
* values that reach an operator without coming from an operator, a parameter or an input:
  arrays made with ``jax.numpy`` inside ``hybrid_forward`` or captured constants;
* Python scalars in operator inputs other than the arithmetic forms MXNet has
  (``x + 1`` -> ``_plus_scalar``) and the scalar arguments of random samplers;
* basic slicing (``x[1:3]``) is written as ``slice`` (+ ``squeeze`` for integer indices)
  with its positions fixed.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import jax
import numpy as np

from gluax._src.engine import random as _random
from gluax._src.engine import registry as _registry
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.serialization import atomic_write

MXNET_VERSION = 10901
SUFFIX = "-symbol.json"

# Operators without an MXNet 1.9.1 counterpart gluax can write, and why.
UNSUPPORTED = {
    "_fused_rnn": "gluon.rnn layers run gluax's fused recurrent operator; MXNet's graph needs "
    "its packed-parameter RNN operator",
    "_getitem": "advanced indexing (index arrays, negative steps) has no MXNet symbol form",
    "_setitem": "index assignment has no MXNet symbol form",
    "_update_dyn": "index assignment has no MXNet symbol form",
    "_contrib_isnan": "MXNet 1.9.1 has no such operator",
    "_contrib_isinf": "MXNet 1.9.1 has no such operator",
    "_contrib_isfinite": "MXNet 1.9.1 has no such operator",
    "_linspace": "gluax's linspace takes numpy's arguments (num, endpoint), not MXNet's",
}

# gluax-only attributes MXNet's operator would reject.
DROPPED_ATTRS = {"RNN": ("cudnn_off",), "_contrib_SyncBatchNorm": ("axis_name",)}

# Operator inputs MXNet updates in place: written with version 1, as MXNet marks them.
MUTATED_INPUTS = {"BatchNorm": (3, 4), "_contrib_SyncBatchNorm": (3, 4)}

# Variadic operators: the attribute in which MXNet wants the number of inputs.
INPUT_COUNT_ATTR = {
    "concat": "num_args",
    "stack": "num_args",
    "add_n": "num_args",
    "UpSampling": "num_args",
    "khatri_rao": "num_args",
    "amp_multicast": "num_outputs",
    "multi_all_finite": "num_arrays",
}

# Binary operators whose scalar form MXNet writes as ``_<name>_scalar``: (scalar on the
# right, scalar on the left).
SCALAR_FORMS = {
    "broadcast_add": ("_plus_scalar", "_plus_scalar"),
    "broadcast_sub": ("_minus_scalar", "_rminus_scalar"),
    "broadcast_mul": ("_mul_scalar", "_mul_scalar"),
    "broadcast_div": ("_div_scalar", "_rdiv_scalar"),
    "broadcast_mod": ("_mod_scalar", "_rmod_scalar"),
    "broadcast_power": ("_power_scalar", "_rpower_scalar"),
    "broadcast_maximum": ("_maximum_scalar", "_maximum_scalar"),
    "broadcast_minimum": ("_minimum_scalar", "_minimum_scalar"),
    "broadcast_equal": ("_equal_scalar", "_equal_scalar"),
    "broadcast_not_equal": ("_not_equal_scalar", "_not_equal_scalar"),
    "broadcast_greater": ("_greater_scalar", "_lesser_scalar"),
    "broadcast_greater_equal": ("_greater_equal_scalar", "_lesser_equal_scalar"),
    "broadcast_lesser": ("_lesser_scalar", "_greater_scalar"),
    "broadcast_lesser_equal": ("_lesser_equal_scalar", "_greater_equal_scalar"),
}

# Samplers whose distribution arguments gluax takes as inputs and MXNet as attributes.
SCALAR_INPUT_ATTRS = ("_random_uniform", "_random_normal", "_random_exponential")

_SCALARS = (bool, int, float, np.generic)


class SymbolExportError(NotImplementedError):
    """The recorded graph uses something MXNet's ``-symbol.json`` cannot express."""


def format_attr(value: Any) -> str:
    """An attribute value as MXNet's Python frontend writes it into the graph (``str``).

    Examples
    --------
    >>> format_attr((3, 3)), format_attr(True), format_attr(1e-05), format_attr("relu")
    ('(3, 3)', 'True', '1e-05', 'relu')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, list):
        value = tuple(value)
    return str(value)


class _Recorder:
    """Collects the traced operator calls and the block each was called in."""

    def __init__(self, top_prefix: str) -> None:
        self.calls: list[tuple[Any, list[Any], dict[str, Any], Any, str]] = []
        self.scope = [top_prefix]

    def __call__(self, op: Any, inputs: Any, attrs: dict[str, Any], outputs: Any) -> None:
        self.calls.append((op, list(inputs), dict(attrs), outputs, self.scope[-1]))


class _GraphWriter:
    """Turns recorded calls into MXNet's node list."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.nodes: list[dict[str, Any]] = []
        self.n_outputs: list[int] = []
        self.entries: dict[int, tuple[int, int]] = {}  # id(jax value) -> (node, output)
        self.pending_vars: dict[int, str] = {}  # id(jax value) -> variable name
        self.keep: list[Any] = []  # values whose ids are keys above stay alive
        self.counts: dict[str, int] = {}

    def add_variable(self, value: Any, name: str) -> None:
        self.keep.append(value)
        self.pending_vars[id(value)] = name

    def entry(self, value: Any, what: str) -> tuple[int, int]:
        key = id(value)
        if key in self.entries:
            return self.entries[key]
        name = self.pending_vars.pop(key, None)
        if name is None:
            kind = "a constant array" if not isinstance(value, jax.core.Tracer) else "a value"
            raise SymbolExportError(
                f"{self.where}: {what} is {kind} made outside gluax's operators (e.g. with "
                "jax.numpy inside hybrid_forward); MXNet's graph can only hold operators, "
                "parameters and inputs."
            )
        self.nodes.append({"op": "null", "name": name, "inputs": []})
        self.n_outputs.append(1)
        self.entries[key] = (len(self.nodes) - 1, 0)
        return self.entries[key]

    def add_node(
        self,
        op: str,
        prefix: str,
        attrs: dict[str, Any],
        inputs: list[tuple[int, int, int]],
        outputs: list[Any],
    ) -> None:
        base = prefix + op.lower().lstrip("_")
        k = self.counts.get(base, 0)
        self.counts[base] = k + 1
        node: dict[str, Any] = {"op": op, "name": f"{base}{k}"}
        if attrs:
            node["attrs"] = {a: format_attr(v) for a, v in sorted(attrs.items())}
        node["inputs"] = [list(e) for e in inputs]
        self.nodes.append(node)
        self.n_outputs.append(len(outputs))
        nid = len(self.nodes) - 1
        for i, o in enumerate(outputs):
            self.keep.append(o)
            self.entries[id(o)] = (nid, i)

    def to_json(self, heads: list[tuple[int, int]]) -> dict[str, Any]:
        row_ptr = [0]
        for n in self.n_outputs:
            row_ptr.append(row_ptr[-1] + n)
        return OrderedDict(
            nodes=self.nodes,
            arg_nodes=[i for i, n in enumerate(self.nodes) if n["op"] == "null"],
            node_row_ptr=row_ptr,
            heads=[[nid, k, 0] for nid, k in heads],
            attrs={"mxnet_version": ["int", MXNET_VERSION]},
        )


def _values(outputs: Any) -> list[Any]:
    outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [o._value for o in outs]


def _convert(
    writer: _GraphWriter, call: tuple[Any, list[Any], dict[str, Any], Any, str]
) -> None:
    """Write one recorded call as MXNet node(s)."""
    op, inputs, attrs, outputs, prefix = call
    name = op.name
    block = f"block '{prefix.rstrip('_')}'" if prefix else "the top-level block"
    where = f"operator {name!r} (in {block})"
    if _registry.OPS.get(name) is not op:
        raise SymbolExportError(
            f"{writer.where}: {where} is not a registered operator (a graph loaded from "
            "StableHLO, or an internal function); MXNet's graph cannot hold it."
        )
    if name in UNSUPPORTED:
        raise SymbolExportError(
            f"{writer.where}: {where} has no MXNet 1.9.1 equivalent: {UNSUPPORTED[name]}."
        )
    attrs = {
        k: v
        for k, v in attrs.items()
        if k != "training" and v is not None and k not in DROPPED_ATTRS.get(name, ())
    }
    outs = _values(outputs)
    arrays: list[tuple[int, Any]] = []
    scalars: list[tuple[int, Any]] = []
    for i, a in enumerate(inputs):
        if a is None:
            continue
        if isinstance(a, NDArray):
            arrays.append((i, a._value))
        elif isinstance(a, _SCALARS):
            scalars.append((i, a))
        else:
            arrays.append((i, a))

    def entries(items: list[tuple[int, Any]]) -> list[tuple[int, int, int]]:
        mutated = MUTATED_INPUTS.get(name, ())
        res = []
        for i, v in items:
            nid, k = writer.entry(v, f"input {i} of {where}")
            version = 1 if i in mutated and writer.nodes[nid]["op"] == "null" else 0
            res.append((nid, k, version))
        return res

    if scalars and name in SCALAR_FORMS and len(inputs) == 2 and len(arrays) == 1:
        si, s = scalars[0]
        mx_op = SCALAR_FORMS[name][0 if si == 1 else 1]
        writer.add_node(mx_op, prefix, {"scalar": s}, entries(arrays), outs)
        return
    if scalars and name in SCALAR_INPUT_ATTRS:
        attrs.update({op.inputs[i]: v for i, v in scalars})
        if arrays:
            raise SymbolExportError(
                f"{writer.where}: {where} takes its distribution arguments as arrays; MXNet's "
                "sampler takes them as scalars only."
            )
        writer.add_node(name, prefix, attrs, [], outs)
        return
    if name == "_slice_dyn":
        _slice(writer, prefix, where, arrays, scalars, attrs["key"], outs, entries)
        return
    if scalars:
        raise SymbolExportError(
            f"{writer.where}: input {scalars[0][0]} of {where} is the Python scalar "
            f"{scalars[0][1]!r}; MXNet's operator takes an array there."
        )
    if name == "_loss_pick":
        if len(arrays) != 2 or arrays[1][1].ndim != arrays[0][1].ndim - 1:
            raise SymbolExportError(
                f"{writer.where}: {where}: MXNet's pick needs an index with one axis fewer "
                "than the data."
            )
        writer.add_node("pick", prefix, {**attrs, "keepdims": True}, entries(arrays), outs)
        return
    if name == "moveaxis":
        nd = arrays[0][1].ndim
        src, dst = attrs["source"], attrs["destination"]
        src = [a % nd for a in (src if isinstance(src, tuple) else (src,))]
        dst = [a % nd for a in (dst if isinstance(dst, tuple) else (dst,))]
        perm = [a for a in range(nd) if a not in src]
        for d, a in sorted(zip(dst, src)):
            perm.insert(d, a)
        perm = tuple(perm)
        writer.add_node("transpose", prefix, {"axes": perm}, entries(arrays), outs)
        return
    if name == "split_v2":
        ios = attrs.pop("indices_or_sections")
        if isinstance(ios, int):
            attrs.update(sections=ios, indices=())
        else:  # MXNet's split_v2 passes the split points with a leading 0
            attrs.update(sections=0, indices=(0, *ios))
        writer.add_node("_split_v2", prefix, attrs, entries(arrays), outs)
        return
    if name in INPUT_COUNT_ATTR:
        attrs.setdefault(INPUT_COUNT_ATTR[name], len(arrays))
    writer.add_node(name, prefix, attrs, entries(arrays), outs)


def _slice(
    writer: _GraphWriter,
    prefix: str,
    where: str,
    arrays: list[tuple[int, Any]],
    scalars: list[tuple[int, Any]],
    key: Any,
    outs: list[Any],
    entries: Any,
) -> None:
    """``x[1:3, 0]``: MXNet's ``slice`` with fixed positions, then ``squeeze`` for integers."""
    if len(arrays) != 1:
        raise SymbolExportError(
            f"{writer.where}: {where}: the slice positions are traced values; MXNet's slice "
            "needs them fixed."
        )
    data = arrays[0][1]
    starts = [int(s) for _, s in scalars]
    begin: list[Any] = []
    end: list[Any] = []
    step: list[Any] = []
    ints: list[int] = []
    for axis, (start, k) in enumerate(zip(starts, key)):
        if k[0] == "i":
            begin.append(start)
            end.append(start + 1)
            step.append(None)
            ints.append(axis)
        elif start == 0 and k[2] == 1 and k[1] == data.shape[axis]:
            begin.append(None)  # the whole axis: keeps a batch axis free
            end.append(None)
            step.append(None)
        else:
            begin.append(start)
            end.append(start + (k[1] - 1) * k[2] + 1 if k[1] else start)
            step.append(k[2] if k[2] != 1 else None)
    attrs: dict[str, Any] = {"begin": tuple(begin), "end": tuple(end)}
    if any(s is not None for s in step):
        attrs["step"] = tuple(step)
    if not ints:
        writer.add_node("slice", prefix, attrs, entries(arrays), outs)
        return
    sliced = object()  # stands for the intermediate slice output
    writer.add_node("slice", prefix, attrs, entries(arrays), [sliced])
    mid = [(0, sliced)]
    squeeze: dict[str, Any] = {"axis": tuple(ints)}
    writer.add_node("squeeze", prefix, squeeze, entries(mid), outs)


def graph_json(block: Any, in_tree: Any, vals: list[Any]) -> dict[str, Any]:
    """Record ``block``'s inference forward and return MXNet's graph as a JSON-ready dict.

    Raises
    ------
    SymbolExportError
        When the graph uses something MXNet 1.9.1's graph format cannot express.
    """
    where = f"{type(block).__name__} '{block.name}'"
    items = block._params_list()
    trainable = [(k, p) for k, p in items if p.grad_req != "null"]
    aux_items = [(k, p) for k, p in items if p.grad_req == "null"]
    recorder = _Recorder(block.prefix)
    writer = _GraphWriter(where)
    result: dict[str, Any] = {}

    def push(b: Any, *_: Any) -> None:
        recorder.scope.append(b.prefix)

    def pop(*_: Any) -> None:
        recorder.scope.pop()

    handles = []
    for child in _descendants(block):
        handles.append(child.register_forward_pre_hook(push))
        handles.append(child.register_forward_hook(pop))

    def trace(params: dict[str, Any], aux: dict[str, Any], xs: list[Any]) -> Any:
        names = ["data"] if len(xs) == 1 else [f"data{i}" for i in range(len(xs))]
        for x, n in zip(xs, names):
            writer.add_variable(x, n)
        for k, p in trainable:
            writer.add_variable(params[k], p.name)
        for k, p in aux_items:
            writer.add_variable(aux[k], p.name)
        _registry.RECORDERS.append(recorder)
        try:
            out, _ = block._pure(params, aux, list(xs), in_tree, _random.unused_key(), False)
        finally:
            _registry.RECORDERS.remove(recorder)
        for c in recorder.calls:
            _convert(writer, c)
        heads = [
            writer.entry(o, f"output {i} of {where}")
            for i, o in enumerate(jax.tree_util.tree_leaves(out))
        ]
        result["graph"] = writer.to_json(heads)
        return out

    compiles, uses_rng = len(block._compile_sigs), dict(block._uses_rng)
    params = {k: p.data()._value for k, p in trainable}
    aux = {k: p.data()._value for k, p in aux_items}
    try:
        jax.eval_shape(trace, params, aux, list(vals))
    finally:
        for h in handles:
            h.detach()
        del block._compile_sigs[compiles:]  # tracing for the file compiles nothing
        block._uses_rng = uses_rng
    return result["graph"]


def _descendants(block: Any) -> list[Any]:
    out = []
    for child in block._children.values():
        out.append(child)
        out.extend(_descendants(child))
    return out


def write_symbol_json(block: Any, path: str, in_tree: Any, vals: list[Any]) -> str:
    """Write ``path-symbol.json`` (MXNet 1.9.1's graph format) for ``block``; returns its name.

    Raises
    ------
    SymbolExportError
        When the graph uses something MXNet 1.9.1's graph format cannot express.
    """
    fname, payload = symbol_json_file(block, path, in_tree, vals)
    atomic_write(fname, payload)
    return fname


def symbol_json_file(block: Any, path: str, in_tree: Any, vals: list[Any]) -> tuple[str, bytes]:
    """The name and bytes of ``path-symbol.json`` for ``block`` (written by the caller, e.g.
    with the other files of an export as one unit).

    Raises
    ------
    SymbolExportError
        When the graph uses something MXNet 1.9.1's graph format cannot express.
    """
    return f"{path}{SUFFIX}", dumps(graph_json(block, in_tree, vals)).encode()


def dumps(graph: dict[str, Any]) -> str:
    """The graph as text: one node per line, as readable as MXNet's own layout."""
    lines = ["{", '  "nodes": [']
    nodes = graph["nodes"]
    for i, n in enumerate(nodes):
        lines.append("    " + json.dumps(n) + ("," if i + 1 < len(nodes) else ""))
    lines.append("  ],")
    rest = [k for k in graph if k != "nodes"]
    for i, k in enumerate(rest):
        sep = "," if i + 1 < len(rest) else ""
        lines.append(f"  {json.dumps(k)}: {json.dumps(graph[k])}{sep}")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---- reading ``-symbol.json`` -----------------------------------------------------------------


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_graph(spec: Any, fname: str, reader: str) -> dict[str, Any]:
    """Validate the structure of a parsed ``-symbol.json`` and return it.

    Checked: ``nodes`` is a non-empty list of ``{"op": str, "name": str, "inputs": [...]}``;
    every input entry and head is ``[node, output]`` or ``[node, output, version]`` of
    non-negative integers, the node earlier than the one it feeds (inputs) or in range
    (heads), the output below that node's output count (from ``node_row_ptr`` when the file
    has it; a variable has one); ``heads`` is not empty; attributes are string to string.

    Raises
    ------
    FileFormatError
        Naming ``fname``, the field (``nodes[3].inputs[0]``) and what was expected there.
    """
    from gluax._src.engine.serialization import FileFormatError

    def fail(field: str, expected: str, got: Any) -> FileFormatError:
        text = repr(got)
        return FileFormatError(
            reader,
            fname,
            f"field {field}",
            expected,
            text if len(text) < 80 else text[:77] + "...",
            "not an MXNet symbol graph" if field in ("<top>", "nodes", "heads") else "",
        )

    if not isinstance(spec, dict):
        raise fail("<top>", "a JSON object with 'nodes' and 'heads'", type(spec).__name__)
    nodes, heads = spec.get("nodes"), spec.get("heads")
    if not isinstance(nodes, list) or not nodes:
        raise fail("nodes", "a non-empty list of nodes", nodes)
    if not isinstance(heads, list) or not heads:
        raise fail("heads", "a non-empty list of [node, output, version] entries", heads)
    row_ptr = spec.get("node_row_ptr")
    counts: list[int | None] = [None] * len(nodes)
    if row_ptr is not None:
        if (
            not isinstance(row_ptr, list)
            or len(row_ptr) != len(nodes) + 1
            or not all(_is_int(v) for v in row_ptr)
            or row_ptr[0] != 0
            or any(b <= a for a, b in zip(row_ptr, row_ptr[1:]))
        ):
            raise fail(
                "node_row_ptr",
                f"{len(nodes) + 1} increasing integers from 0 (one per node, plus one)",
                row_ptr,
            )
        counts = [b - a for a, b in zip(row_ptr, row_ptr[1:])]

    def check_entry(field: str, e: Any, limit: int) -> None:
        if (
            not isinstance(e, list)
            or len(e) not in (2, 3)
            or not all(_is_int(v) and v >= 0 for v in e)
        ):
            raise fail(field, "[node, output] or [node, output, version], non-negative ints", e)
        if e[0] >= limit:
            what = "an earlier node" if limit < len(nodes) else "a node"
            raise fail(field, f"{what} (index below {limit})", e[0])
        n_out = counts[e[0]] or (1 if nodes[e[0]]["op"] == "null" else None)
        if n_out is not None and e[1] >= n_out:
            raise fail(field, f"an output index below {n_out} (node {e[0]}'s outputs)", e[1])

    for i, n in enumerate(nodes):
        if not isinstance(n, dict):
            raise fail(f"nodes[{i}]", "a JSON object", type(n).__name__)
        for key in ("op", "name"):
            if not isinstance(n.get(key), str) or not n[key]:
                raise fail(f"nodes[{i}].{key}", "a non-empty string", n.get(key))
        inputs = n.get("inputs", [])
        if not isinstance(inputs, list):
            raise fail(f"nodes[{i}].inputs", "a list of entries", inputs)
        if n["op"] == "null" and inputs:
            raise fail(f"nodes[{i}].inputs", "no inputs (the node is a variable)", inputs)
        for j, e in enumerate(inputs):
            check_entry(f"nodes[{i}].inputs[{j}]", e, i)
        for key in ("attrs", "attr", "param"):
            attrs = n.get(key)
            if attrs is None:
                continue
            if not isinstance(attrs, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in attrs.items()
            ):
                raise fail(f"nodes[{i}].{key}", "an object of string attributes", attrs)
    for j, e in enumerate(heads):
        check_entry(f"heads[{j}]", e, len(nodes))
    arg_nodes = spec.get("arg_nodes")
    if arg_nodes is not None and (
        not isinstance(arg_nodes, list)
        or not all(_is_int(v) and 0 <= v < len(nodes) and nodes[v]["op"] == "null" for v in arg_nodes)
    ):
        raise fail("arg_nodes", "indices of variable ('null') nodes", arg_nodes)
    return spec


def read_graph(fname: str, reader: str) -> dict[str, Any]:
    """Read, parse and validate the ``-symbol.json`` file ``fname`` (see ``check_graph``)."""
    import os

    from gluax._src.engine.serialization import FileFormatError

    fname = os.fspath(fname)
    if not os.path.exists(fname):
        raise FileNotFoundError(f"{reader}: no such file {fname!r}.")
    with open(fname, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FileFormatError(
            reader, fname, f"offset {e.start}", "UTF-8 JSON text (an MXNet -symbol.json)",
            repr(raw[e.start : e.start + 8]),
        ) from None
    try:
        spec = json.loads(text)
    except (ValueError, RecursionError) as e:
        where = f"offset {e.pos} (line {e.lineno}, column {e.colno})" if isinstance(e, json.JSONDecodeError) else "whole file"
        raise FileFormatError(reader, fname, where, "valid JSON", getattr(e, "msg", str(e))) from None
    return check_graph(spec, fname, reader)
