"""The autograd tape: nodes holding compiled VJPs, and the reverse walk that fills ``.grad``.

There is no global tape list. Each recorded output NDArray points at the node that made it and
each node points at its inputs' entries, so a graph lives exactly as long as the arrays that
can reach it, and ``backward()`` walks it from the heads in reverse creation order.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine.base import MXNetError

NOT_IN_GRAPH = (
    "Cannot differentiate node because it is not in a computational graph. You need to set "
    "is_recording to true or use autograd.record() to save computational graphs for backward. "
    "If you want to differentiate the same graph twice, you need to pass retain_graph=True to "
    "backward."
)

GRAPH_FREED = (
    "backward: this graph has already been differentiated and its intermediate values were "
    "freed. To call backward (or autograd.grad) through the same graph twice, pass "
    "retain_graph=True to the first call:\n"
    "    loss.backward(retain_graph=True)\n"
    "    loss.backward()"
)

_seq = itertools.count()


class VarInfo:
    """A leaf variable (``attach_grad`` or a Parameter): where its gradient goes.

    The gradient buffer is either given (``grad``) or, with ``zeros=(shape, dtype, placement,
    ctx)``, made as zeros the first time it is read; a backward pass that finds no buffer yet
    stores its gradient as the buffer (zeros plus the gradient, for ``'add'`` as well). A
    parameter trained only by a compiled step (``Trainer.compile_step``) thus never holds a
    gradient-sized buffer."""

    __slots__ = ("grad_req", "_grad", "_zeros", "fresh")

    def __init__(
        self, grad_req: str, grad: Any = None, zeros: tuple[Any, ...] | None = None
    ) -> None:
        self.grad_req = grad_req
        self._grad = grad  # NDArray buffer, or None until first read or written
        self._zeros = zeros
        self.fresh = False

    def __deepcopy__(self, memo: dict[int, Any]) -> VarInfo:
        # The zero-buffer recipe holds a jax Device (not copyable): it is shared, as it is
        # immutable; a gradient buffer already made is copied.
        import copy

        new = VarInfo(self.grad_req, copy.deepcopy(self._grad, memo), self._zeros)
        new.fresh = self.fresh
        return new

    @property
    def grad(self) -> Any:
        if self._grad is None:
            from gluax._src.engine.ndarray import NDArray, host_filled

            shape, dtype, where, ctx = self._zeros  # type: ignore[misc]
            self._grad = NDArray(host_filled(shape, dtype, where), ctx)
        return self._grad

    @property
    def dtype(self) -> Any:
        return self._zeros[1] if self._grad is None else self._grad._value.dtype  # type: ignore[index]

    def store(self, g: Any) -> None:
        """Write (``'write'``) or add (``'add'``) the gradient ``g`` into the buffer."""
        if g.dtype != self.dtype:
            g = g.astype(self.dtype)
        if self._grad is None:
            from gluax._src.engine.ndarray import NDArray

            self._grad = NDArray(g, self._zeros[3])  # type: ignore[index]
        elif self.grad_req == "add":
            self._grad._value = self._grad._value + g
        elif self.grad_req == "write":
            self._grad._value = g


class OutInfo:
    """Output ``index`` of a recorded node."""

    __slots__ = ("node", "index")

    def __init__(self, node: Node, index: int) -> None:
        self.node = node
        self.index = index


class Node:
    """One recorded operation (or one hybridized block call).

    ``backward_fn(cotangents) -> input cotangents`` maps a list of output cotangents (one per
    output, zeros filled in) to one cotangent per entry of ``inputs``.
    """

    __slots__ = ("backward_fn", "inputs", "out_avals", "seq", "name", "replay")

    def __init__(
        self,
        name: str,
        backward_fn: Callable[[list[Any]], list[Any]],
        inputs: list[VarInfo | OutInfo],
        out_avals: list[tuple[tuple[int, ...], Any]],
    ) -> None:
        self.name = name
        self.backward_fn: Callable[[list[Any]], list[Any]] | None = backward_fn
        self.inputs = inputs
        self.out_avals = out_avals
        self.seq = next(_seq)
        # (op, attrs key, diff positions, rng, input values, ctx, output container) for
        # operator nodes: lets a backward pass be re-run as recorded operators (create_graph).
        self.replay: tuple[Any, ...] | None = None


_apply_vjp = jax.jit(lambda vjp, ct: vjp(ct))


def vjp_backward(vjp: Any, container: type | None) -> Callable[[list[Any]], list[Any]]:
    """A node backward that applies a (pytree) VJP closure through one cached jitted call."""
    if container is None:
        return lambda cts: list(_apply_vjp(vjp, cts[0]))
    return lambda cts: list(_apply_vjp(vjp, container(cts)))


_CONSTANTS: dict[Any, Any] = {}


def constant_like(value: float, shape: tuple[int, ...], dtype: Any, where: Any) -> Any:
    """A cached array of ``value`` (the default head gradient of ones): jax arrays are
    immutable, so one per (value, shape, dtype, placement) serves every backward pass, instead
    of an eager XLA call or two in each."""
    k = (value, shape, dtype, where)
    c = _CONSTANTS.get(k)
    if c is None:
        if len(_CONSTANTS) > 256:
            _CONSTANTS.clear()
        c = _CONSTANTS[k] = jax.device_put(np.full(shape, value, dtype), where)
    return c


def _accumulate(table: dict[int, Any], key: int, value: Any) -> None:
    prev = table.get(key)
    table[key] = value if prev is None else prev + value


def run_backward(
    heads: list[Any], head_grads: list[Any], retain_graph: bool
) -> dict[int, tuple[VarInfo, Any]]:
    """Walk the graph from ``heads`` and return ``{id(VarInfo): (info, gradient)}``."""
    node_cts: dict[int, list[Any]] = {}
    var_cts: dict[int, Any] = {}
    var_infos: dict[int, VarInfo] = {}
    nodes: dict[int, Node] = {}

    def send(entry: VarInfo | OutInfo, g: Any) -> None:
        if g is None:
            return
        if isinstance(entry, VarInfo):
            var_infos[id(entry)] = entry
            _accumulate(var_cts, id(entry), g)
        else:
            node = entry.node
            slots = node_cts.get(id(node))
            if slots is None:
                slots = node_cts[id(node)] = [None] * len(node.out_avals)
            prev = slots[entry.index]
            slots[entry.index] = g if prev is None else prev + g

    stack: list[Node] = []
    for h, hg in zip(heads, head_grads):
        info = h._ag
        if info is None:
            raise MXNetError(NOT_IN_GRAPH)
        if hg is None:
            v = h._value
            hg = (
                jnp.ones(v.shape, v.dtype)
                if isinstance(v, jax.core.Tracer)
                else constant_like(1, v.shape, v.dtype, v.sharding)
            )
        send(info, hg)
        if isinstance(info, OutInfo) and id(info.node) not in nodes:
            nodes[id(info.node)] = info.node
            stack.append(info.node)
    while stack:
        node = stack.pop()
        for entry in node.inputs:
            if isinstance(entry, OutInfo) and id(entry.node) not in nodes:
                nodes[id(entry.node)] = entry.node
                stack.append(entry.node)

    for node in sorted(nodes.values(), key=lambda n: n.seq, reverse=True):
        cts = node_cts.pop(id(node), None)
        if cts is None:
            continue
        if node.backward_fn is None:
            raise MXNetError(GRAPH_FREED)
        full = [
            c if c is not None else jnp.zeros(shape, dtype)
            for c, (shape, dtype) in zip(cts, node.out_avals)
        ]
        in_cts = node.backward_fn(full)
        if not retain_graph:
            # freed: the VJP's residuals and the inputs kept for a recorded backward (so the
            # weights a graph read are no longer referenced and an update may donate them)
            node.backward_fn = node.replay = None
        for entry, g in zip(node.inputs, in_cts):
            send(entry, g)
    return {k: (var_infos[k], g) for k, g in var_cts.items()}


def run_backward_graph(heads: list[Any], head_grads: list[Any], variables: list[Any]) -> list[Any]:
    """Like ``run_backward`` but every step is a recorded operator on NDArrays, so the returned
    gradients are themselves differentiable (``autograd.grad(..., create_graph=True)``)."""
    from gluax._src.engine.ndarray import NDArray
    from gluax._src.engine.registry import grad_op, invoke

    node_cts: dict[int, list[Any]] = {}
    var_cts: dict[int, Any] = {}
    nodes: dict[int, Node] = {}

    def add(a: Any, b: Any) -> Any:
        return a if b is None else b + a

    def send(entry: VarInfo | OutInfo, g: Any) -> None:
        if isinstance(entry, VarInfo):
            var_cts[id(entry)] = add(g, var_cts.get(id(entry)))
        else:
            slots = node_cts.setdefault(id(entry.node), [None] * len(entry.node.out_avals))
            slots[entry.index] = add(g, slots[entry.index])

    stack: list[Node] = []
    for h, hg in zip(heads, head_grads):
        if h._ag is None:
            raise MXNetError(NOT_IN_GRAPH)
        g = NDArray(jnp.ones(h._value.shape, h._value.dtype), h._ctx) if hg is None else hg
        send(h._ag, g)
        if isinstance(h._ag, OutInfo) and id(h._ag.node) not in nodes:
            nodes[id(h._ag.node)] = h._ag.node
            stack.append(h._ag.node)
    while stack:
        node = stack.pop()
        for entry in node.inputs:
            if isinstance(entry, OutInfo) and id(entry.node) not in nodes:
                nodes[id(entry.node)] = entry.node
                stack.append(entry.node)
    for node in sorted(nodes.values(), key=lambda n: n.seq, reverse=True):
        cts = node_cts.pop(id(node), None)
        if cts is None:
            continue
        if node.backward_fn is None:
            raise MXNetError(GRAPH_FREED)
        if node.replay is None:
            raise NotImplementedError(
                f"autograd.grad(create_graph=True): the graph contains {node.name!r}, a "
                "hybridized block or custom Function, whose backward cannot be recorded. Run "
                "that part un-hybridized, or use the functional view with jax.grad."
            )
        op, key, diff, rng, vals, ctx, container = node.replay
        full = [
            c if c is not None else NDArray(jnp.zeros(shape, dtype), ctx)
            for c, (shape, dtype) in zip(cts, node.out_avals)
        ]
        args = []
        for i, v in enumerate(vals):
            if i in diff:
                a = NDArray(v, ctx)
                a._ag = node.inputs[diff.index(i)]
                args.append(a)
            else:
                args.append(v)
        gop = grad_op(op, key, diff, len(vals), container)
        in_cts = invoke(gop, tuple(rng) + tuple(args) + tuple(full), {})
        for entry, g in zip(node.inputs, in_cts if isinstance(in_cts, list) else [in_cts]):
            send(entry, g)
    return [var_cts.get(id(v._ag)) for v in variables]
