"""``mx.viz``: ``print_summary`` (MXNet's layer table for a Symbol) and ``plot_network`` (a
``graphviz.Digraph`` of the graph, with the tensor shapes on the edges)."""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

from gluax._src.gluon.symbol import Symbol, _is_graph

GRAPHVIZ_MISSING = (
    "mx.viz.plot_network needs the 'graphviz' Python package: pip install 'gluax[viz]' (or "
    "pip install graphviz). Rendering the returned Digraph also needs Graphviz's 'dot' program."
)
_COLORS = ("#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69", "#fccde5")
_WEIGHT_SUFFIXES = ("_weight", "_bias", "_beta", "_gamma", "_moving_var", "_moving_mean",
                    "_running_var", "_running_mean")  # fmt: skip


def _ints(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def _check(symbol: Any, where: str) -> None:
    if not _is_graph(symbol):
        raise TypeError(f"{where}: symbol must be a Symbol, got {type(symbol).__name__}.")


def _shapes(symbol: Symbol, shape: dict[str, Any], where: str) -> dict[str, tuple]:
    internals = symbol.get_internals()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, outs, _ = internals.infer_shape(**shape)
    if outs is None:
        raise ValueError(f"{where}: input shape is incomplete; give the shape of every input "
                         f"of {symbol.list_inputs()} that cannot be inferred.")  # fmt: skip
    return dict(zip(internals.list_outputs(), outs))


def print_summary(
    symbol: Symbol,
    shape: dict[str, Any] | None = None,
    line_length: int = 120,
    positions: list[float] = [0.44, 0.64, 0.74, 1.0],  # noqa: B006 - MXNet's signature
) -> None:
    """Print a table of the graph's layers: name (type), output shape (without the batch
    axis), parameter count and previous layer(s), then the total, as MXNet prints it.

    Parameters
    ----------
    symbol : Symbol
        The graph.
    shape : dict of str to tuple, optional
        Input shapes; without them the shapes and the BatchNorm counts are left out.
    line_length : int, default 120
        Width of the table.
    positions : list of float, default [.44, .64, .74, 1.]
        Right edge of each column, as fractions of ``line_length`` (or absolute when > 1).

    Notes
    -----
    As in MXNet, parameters are counted for Convolution, FullyConnected, BatchNorm (gamma and
    beta) and Embedding nodes only.
    """
    _check(symbol, "print_summary")
    shape_dict = _shapes(symbol, shape, "print_summary") if shape is not None else None
    nodes = json.loads(symbol.tojson())["nodes"]
    heads = set(symbol._json_dict()["heads"][0])  # MXNet tests "i in heads" against this set
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def row(fields: list[Any]) -> None:
        line = ""
        for field, edge in zip(fields, positions):
            line = (line + str(field))[:edge]
            line += " " * (edge - len(line))
        print(line)

    def out_key(node: dict[str, Any]) -> str:
        return node["name"] if node["op"] == "null" else node["name"] + "_output"

    def layer(node: dict[str, Any], out_shape: Any) -> int:
        op, attrs = node["op"], node.get("attrs", {})
        previous: list[str] = []
        in_channels = 0
        if op != "null":
            for nid, *_ in node["inputs"]:
                src = nodes[nid]
                if src["op"] != "null" or nid in heads:
                    previous.append(src["name"])
                    if shape_dict is not None and out_key(src) in shape_dict:
                        in_channels += int(shape_dict[out_key(src)][1:][0])
        params = 0
        if op == "Convolution":
            params = in_channels * int(attrs["num_filter"]) // int(attrs.get("num_group", "1"))
            for k in _ints(attrs["kernel"]):
                params *= int(k)
            if attrs.get("no_bias") != "True":
                params += int(attrs["num_filter"])
        elif op == "FullyConnected":
            bias = 0 if attrs.get("no_bias") == "True" else 1
            params = (in_channels + bias) * int(attrs["num_hidden"])
        elif op == "BatchNorm" and shape_dict is not None:
            params = int(shape_dict[node["name"] + "_output"][1]) * 2
        elif op == "Embedding":
            params = int(attrs["input_dim"]) * int(attrs["output_dim"])
        row([f"{node['name']}({op})", "x".join(str(d) for d in out_shape), params,
             previous[0] if previous else ""])  # fmt: skip
        for p in previous[1:]:
            row(["", "", "", p])
        return params

    print("_" * line_length)
    row(["Layer (type)", "Output Shape", "Param #", "Previous Layer"])
    print("=" * line_length)
    total = 0
    for i, node in enumerate(nodes):
        if node["op"] == "null" and i > 0:
            continue
        out_shape: Any = []
        if shape_dict is not None and (node["op"] != "null" or i in heads):
            out_shape = shape_dict.get(out_key(node), ())[1:]
        total += layer(node, out_shape)
        print(("=" if i == len(nodes) - 1 else "_") * line_length)
    print(f"Total params: {total}")
    print("_" * line_length)


def plot_network(
    symbol: Symbol,
    title: str = "plot",
    save_format: str = "pdf",
    shape: dict[str, Any] | None = None,
    dtype: dict[str, Any] | None = None,
    node_attrs: dict[str, str] = {},  # noqa: B006 - MXNet's signature
    hide_weights: bool = True,
) -> Any:
    """A ``graphviz.Digraph`` of the graph: one box per operator (labelled and coloured as
    MXNet draws them), ovals for inputs, edges from each node to its inputs labelled with
    the tensor shape (``shape``) and dtype (``dtype``).

    Parameters
    ----------
    symbol : Symbol
        The graph.
    title : str, default 'plot'
        The Digraph's name.
    save_format : str, default 'pdf'
        Format ``render()`` writes.
    shape, dtype : dict of str, optional
        Input shapes / dtypes, to label the edges.
    node_attrs : dict of str to str
        Graphviz node attributes overriding the defaults.
    hide_weights : bool, default True
        Leave out variables named like parameters (``*_weight``, ``*_bias``, ...).

    Raises
    ------
    ImportError
        When the ``graphviz`` package is not installed (the ``viz`` extra).
    """
    try:
        from graphviz import Digraph
    except ImportError as e:
        raise ImportError(GRAPHVIZ_MISSING) from e
    _check(symbol, "plot_network")
    shape_dict = _shapes(symbol, shape, "plot_network") if shape is not None else None
    type_dict = None
    if dtype is not None:
        internals = symbol.get_internals()
        _, types, _ = internals.infer_type(**dtype)
        if types is None:
            raise ValueError("plot_network: input type is incomplete.")
        type_dict = dict(zip(internals.list_outputs(), types))
    nodes = json.loads(symbol.tojson())["nodes"]
    names = [n["name"] for n in nodes]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        warnings.warn(
            "There are multiple variables with the same name in your graph, this may result in "
            f"cyclic graph. Repeated names: {','.join(repeated)}",
            RuntimeWarning,
            stacklevel=2,
        )
    base = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034",
            "style": "filled", **node_attrs}  # fmt: skip
    dot = Digraph(name=title, format=save_format)
    hidden: set[str] = set()
    for node in nodes:
        op, name, attrs = node["op"], node["name"], node.get("attrs", {})
        style = dict(base)
        label = name
        if op == "null":
            if name.endswith(_WEIGHT_SUFFIXES):
                if hide_weights:
                    hidden.add(name)
                continue
            style["shape"], style["fillcolor"] = "oval", _COLORS[0]
        elif op == "Convolution":
            stride = "x".join(_ints(attrs["stride"])) if "stride" in attrs else "1"
            kernel = "x".join(_ints(attrs["kernel"]))
            label = f"Convolution\n{kernel}/{stride}, {attrs['num_filter']}"
            style["fillcolor"] = _COLORS[1]
        elif op == "FullyConnected":
            label, style["fillcolor"] = f"FullyConnected\n{attrs['num_hidden']}", _COLORS[1]
        elif op == "BatchNorm":
            style["fillcolor"] = _COLORS[3]
        elif op in ("Activation", "LeakyReLU"):
            act = attrs.get("act_type", "Leaky") if op == "LeakyReLU" else attrs["act_type"]
            label, style["fillcolor"] = f"{op}\n{act}", _COLORS[2]
        elif op == "Pooling":
            kernel = "x".join(_ints(attrs["kernel"])) if "kernel" in attrs else "[]"
            stride = "x".join(_ints(attrs["stride"])) if "stride" in attrs else "1"
            label = f"Pooling\n{attrs['pool_type']}, {kernel}/{stride}"
            style["fillcolor"] = _COLORS[4]
        elif op in ("Concat", "Flatten", "Reshape"):
            style["fillcolor"] = _COLORS[5]
        elif op == "Softmax":
            style["fillcolor"] = _COLORS[6]
        else:
            style["fillcolor"] = _COLORS[7]
            if op == "Custom":
                label = attrs["op_type"]
        dot.node(name=name, label=label, **style)
    for node in nodes:
        if node["op"] == "null":
            continue
        inputs = node["inputs"][:1] if node["op"] == "_contrib_BilinearResize2D" else node["inputs"]
        for nid, *_ in inputs:
            src = nodes[nid]
            if src["name"] in hidden:
                continue
            key = src["name"]
            if src["op"] != "null":
                key += "_output"
                n_out = src.get("attrs", {}).get("num_outputs")
                if n_out is not None:  # MXNet labels a split's edges with its last output
                    key += str(int(n_out) - 1)
            edge = {"dir": "back", "arrowtail": "open", "label": ""}
            if shape_dict is not None:
                edge["label"] = "x".join(str(d) for d in shape_dict[key][1:])
            if type_dict is not None:
                edge["label"] += f"({type_dict[key].__name__})"
            dot.edge(tail_name=node["name"], head_name=src["name"], **edge)
    return dot
