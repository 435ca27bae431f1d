"""``mx.autograd.get_symbol``: the Symbol of what ``autograd.record()`` recorded.

Each recorded operator node on the tape keeps its operator, static attributes and input
values (``Node.replay``); walking back from an output rebuilds them as graph nodes. As in
MXNet, arrays with attached gradients become variables ``var<n>``, other arrays
``null<n>``, and operator nodes are named ``node_<n>`` in graph order.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from gluax._src.engine import tape as _tape
from gluax._src.engine.ndarray import NDArray
from gluax._src.gluon.symbol import MX_OP_NAME, Symbol, _Node
from gluax._src.gluon.symbol_export import SCALAR_FORMS, format_attr

_SCALARS = (bool, int, float, complex)


def get_symbol(x: NDArray) -> Symbol:
    """The recorded computation that produced ``x``, as a Symbol.

    Parameters
    ----------
    x : NDArray
        An output computed under ``autograd.record()`` from arrays with attached gradients.

    Returns
    -------
    Symbol
        Variables ``var<n>`` (arrays with gradients) and ``null<n>`` (other arrays), operator
        nodes ``node_<n>``.

    Raises
    ------
    ValueError
        When ``x`` was not recorded.
    NotImplementedError
        When the recording holds a hybridized block or a custom gradient function, whose
        insides the tape does not keep.

    Examples
    --------
    >>> import gluax as mx
    >>> x = mx.nd.ones((2,)); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.relu(x) * x
    >>> mx.autograd.get_symbol(y).list_arguments()
    ['var0']
    """
    info = getattr(x, "_ag", None)
    if not isinstance(x, NDArray) or not isinstance(info, _tape.OutInfo):
        raise ValueError(
            "autograd.get_symbol: the array was not computed under autograd.record() from "
            "arrays with attached gradients."
        )
    n_vars, n_nodes = count(), count()
    made: dict[int, _Node] = {}
    keep: list[Any] = []  # keeps the ids above unique

    def variable(obj: Any, prefix: str) -> _Node:
        node = made.get(id(obj))
        if node is None:
            node = made[id(obj)] = _Node("null", f"{prefix}{next(n_vars)}", {}, [])
            keep.append(obj)
        return node

    def entry(src: Any) -> tuple[_Node, int]:
        if isinstance(src, _tape.OutInfo):
            return visit(src.node), src.index
        return variable(src, "var"), 0

    def visit(tnode: Any) -> _Node:
        node = made.get(id(tnode))
        if node is not None:
            return node
        if tnode.replay is None:
            raise NotImplementedError(
                f"autograd.get_symbol: the recording holds {tnode.name!r} (a hybridized block "
                "or a custom gradient), whose operators the tape does not keep; call the block "
                "on mx.sym.var(...) for its graph."
            )
        op, key, diff, _rng, vals, _ctx, _container = tnode.replay
        attrs = {k: v for k, v in dict(key).items() if k != "training" and v is not None}
        by_pos = dict(zip(diff, tnode.inputs))
        entries: list[tuple[_Node, int]] = []
        scalars: list[tuple[int, Any]] = []
        for i, v in enumerate(vals):
            if i in by_pos:
                entries.append(entry(by_pos[i]))
            elif isinstance(v, _SCALARS):
                scalars.append((i, v))
            elif v is not None:
                entries.append((variable(v, "null"), 0))
        name = op.name
        if scalars and name in SCALAR_FORMS and len(entries) == 1:
            si, s = scalars[0]
            name, attrs = SCALAR_FORMS[name][0 if si == 1 else 1], {"scalar": s}
        elif scalars:
            attrs.update({op.inputs[i]: s for i, s in scalars if i < len(op.inputs)})
        sattrs = {k: format_attr(v) for k, v in attrs.items()}
        node = _Node(MX_OP_NAME.get(name, name), "", sattrs, entries)
        node.name = f"node_{next(n_nodes)}"
        made[id(tnode)] = node
        keep.append(tnode)
        return node

    return Symbol([(visit(info.node), info.index)])
