"""Evaluate MXNet's ``-symbol.json`` graphs with the operator registry.

A graph is a topologically sorted node list. Variable nodes (``op == "null"``) are inputs or
parameters; every other node calls the registered operator of the same name with its string
attributes parsed back into Python values (``'(3, 3)'`` -> ``(3, 3)``, ``'True'`` -> ``True``).
Operators that MXNet writes under internal names (``_plus_scalar``, ``_mul_scalar``, ...) map
onto the public ones here.
"""

from __future__ import annotations

import ast
from typing import Any, Callable

from gluax._src.engine.base import MXNetError
from gluax._src.engine.registry import OPS, call


def _scalar(op: str, reverse: bool = False) -> Callable[..., Any]:
    def f(x: Any, *, scalar: float, **_: Any) -> Any:
        return call(op, scalar, x) if reverse else call(op, x, scalar)

    return f


# MXNet's internal operator names -> how to run them with gluax's registry.
SPECIAL: dict[str, Callable[..., Any]] = {
    "_plus_scalar": _scalar("broadcast_add"),
    "_minus_scalar": _scalar("broadcast_sub"),
    "_rminus_scalar": _scalar("broadcast_sub", True),
    "_mul_scalar": _scalar("broadcast_mul"),
    "_div_scalar": _scalar("broadcast_div"),
    "_rdiv_scalar": _scalar("broadcast_div", True),
    "_power_scalar": _scalar("broadcast_power"),
    "_rpower_scalar": _scalar("broadcast_power", True),
    "_maximum_scalar": _scalar("broadcast_maximum"),
    "_minimum_scalar": _scalar("broadcast_minimum"),
    "_mod_scalar": _scalar("broadcast_mod"),
    "_rmod_scalar": _scalar("broadcast_mod", True),
    "_equal_scalar": _scalar("broadcast_equal"),
    "_not_equal_scalar": _scalar("broadcast_not_equal"),
    "_greater_scalar": _scalar("broadcast_greater"),
    "_greater_equal_scalar": _scalar("broadcast_greater_equal"),
    "_lesser_scalar": _scalar("broadcast_lesser"),
    "_lesser_equal_scalar": _scalar("broadcast_lesser_equal"),
    "_hypot_scalar": _scalar("broadcast_hypot"),
}

# Attributes MXNet writes that only steer its own kernels.
IGNORED_ATTRS = frozenset(
    {
        "cudnn_tune",
        "cudnn_off",
        "workspace",
        "__layout__",
        "__profiler_scope__",
        "ctx_group",
        "lr_mult",
        "wd_mult",
    }
)


def parse_attr(value: str) -> Any:
    """A graph attribute string as a Python value; strings that are not literals stay strings."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


class Graph:
    """A parsed ``-symbol.json`` graph."""

    def __init__(self, spec: dict[str, Any], source: str = "<graph>") -> None:
        try:
            self.nodes: list[dict[str, Any]] = spec["nodes"]
            self.heads: list[list[int]] = spec["heads"]
        except (KeyError, TypeError) as e:
            raise MXNetError(f"{source}: not an MXNet symbol graph (missing {e}).") from e
        self.source = source
        self.variables = [n["name"] for n in self.nodes if n["op"] == "null"]
        for n in self.nodes:
            if n["op"] != "null" and n["op"] not in SPECIAL and n["op"] not in OPS:
                raise NotImplementedError(
                    f"{source}: node {n['name']!r} uses operator {n['op']!r}, which gluax does "
                    "not implement."
                )

    @staticmethod
    def load(fname: str) -> Graph:
        from gluax._src.gluon.symbol_export import read_graph

        return Graph(read_graph(fname, "SymbolBlock.imports"), fname)

    def aux_names(self) -> set[str]:
        """Variables fed to an input slot marked as auxiliary (version 1 in the entry), such as
        BatchNorm's moving statistics."""
        out = set()
        for n in self.nodes:
            for nid, _, version in (e if len(e) == 3 else (*e, 0) for e in n.get("inputs", [])):
                if version and self.nodes[nid]["op"] == "null":
                    out.add(self.nodes[nid]["name"])
        return out

    def run(self, values: dict[str, Any]) -> list[Any]:
        """Evaluate with ``values`` (name -> NDArray for every variable); the head outputs."""
        results: list[Any] = []
        for n in self.nodes:
            if n["op"] == "null":
                if n["name"] not in values:
                    raise MXNetError(f"{self.source}: no value for variable {n['name']!r}.")
                results.append(values[n["name"]])
                continue
            args = []
            for entry in n.get("inputs", []):
                out = results[entry[0]]
                args.append(out[entry[1]] if isinstance(out, list) else out)
            attrs = {
                k: parse_attr(v)
                for k, v in (n.get("attrs") or n.get("param") or {}).items()
                if k not in IGNORED_ATTRS and not k.startswith("__")
            }
            try:
                fn = SPECIAL.get(n["op"])
                results.append(fn(*args, **attrs) if fn else call(n["op"], *args, **attrs))
            except (TypeError, ValueError) as e:
                raise MXNetError(
                    f"{self.source}: node {n['name']!r} ({n['op']}) failed: {e}"
                ) from e
        outs = []
        for entry in self.heads:
            out = results[entry[0]]
            outs.append(out[entry[1]] if isinstance(out, list) else out)
        return outs
