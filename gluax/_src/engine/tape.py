"""The autograd tape: nodes holding compiled VJPs, and the reverse walk that fills ``.grad``.

There is no global tape list. Each recorded output NDArray points at the node that made it and
each node points at its inputs' entries, so a graph lives exactly as long as the arrays that
can reach it, and ``backward()`` walks it from the heads in reverse creation order.
"""

from __future__ import annotations

import itertools
import sys
from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine import compile_cache as _cc
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
    gradient-sized buffer.

    ``pending`` is a deferred backward pass (``PendingBackward``) that has yet to write this
    variable's gradient: reading or writing the buffer (``grad``, ``_grad``) runs it first, so
    user code always sees the gradient MXNet would have written; a ``Trainer.step`` that is
    the first to consume it runs it in one program with the update."""

    __slots__ = ("grad_req", "_buf", "_zeros", "fresh", "pending")

    def __init__(
        self, grad_req: str, grad: Any = None, zeros: tuple[Any, ...] | None = None
    ) -> None:
        self.grad_req = grad_req
        self._buf = grad  # NDArray buffer, or None until first read or written
        self._zeros = zeros
        self.fresh = False
        self.pending: PendingBackward | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> VarInfo:
        # The zero-buffer recipe holds a jax Device (not copyable): it is shared, as it is
        # immutable; a gradient buffer already made is copied.
        import copy

        new = VarInfo(self.grad_req, copy.deepcopy(self._grad, memo), self._zeros)
        new.fresh = self.fresh
        return new

    @property
    def _grad(self) -> Any:
        """The buffer as it is (None until made), after any deferred backward wrote it."""
        if self.pending is not None:
            self.pending.materialize()
        return self._buf

    @_grad.setter
    def _grad(self, value: Any) -> None:
        if self.pending is not None:
            self.pending.materialize()
        self._buf = value

    @property
    def grad(self) -> Any:
        if self.pending is not None:
            self.pending.materialize()
        if self._buf is None:
            from gluax._src.engine.ndarray import NDArray, host_filled

            shape, dtype, where, ctx = self._zeros  # type: ignore[misc]
            self._buf = NDArray(host_filled(shape, dtype, where), ctx)
        return self._buf

    @property
    def dtype(self) -> Any:
        return self._zeros[1] if self._buf is None else self._buf._value.dtype  # type: ignore[index]

    def store(self, g: Any) -> None:
        """Write (``'write'``) or add (``'add'``) the gradient ``g`` into the buffer."""
        if self.pending is not None:
            self.pending.materialize()
        if g.dtype != self.dtype:
            g = _cast(g, self.dtype)
        if self._buf is None:
            from gluax._src.engine.ndarray import NDArray

            self._buf = NDArray(g, self._zeros[3])  # type: ignore[index]
        elif self.grad_req == "add":
            self._buf._value = _add(self._buf._value, g)
        elif self.grad_req == "write":
            self._buf._value = g

    def put(self, g: Any) -> None:
        """Take ``g``, already cast and accumulated (``'add'``) by a deferred backward
        program, as the buffer's value (the buffer keeps its identity)."""
        if self._buf is None:
            from gluax._src.engine.ndarray import NDArray

            self._buf = NDArray(g, self._zeros[3])  # type: ignore[index]
        else:
            self._buf._value = g


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

    __slots__ = ("backward_fn", "inputs", "out_avals", "seq", "name", "replay", "pure", "lazy")

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
        # (static backward, its array arguments): ``backward_fn(cts)`` as a pure function,
        # ``static(args, cts)``, so a deferred backward can run the whole graph in one program
        # (set for hybridized block nodes; derived from ``replay`` for recorded operators).
        self.pure: tuple[Any, Any] | None = None
        # a call not run yet (``engine/lazy.py``'s ``LazyCall``): ``lazy.realize(node)`` runs
        # it and sets the fields above; None once it ran (or for every other node)
        self.lazy: Any = None


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


# The node-by-node walk's own arithmetic (summing cotangents, casting a gradient to its
# buffer's dtype) through gluax's executable cache, as the operators' programs: a warm second
# process loads them instead of tracing and lowering JAX's eager ``add`` per shape (resnet18's
# first eager training step: 9 such programs).
_add = _cc.PersistentJit(lambda a, b: a + b, "tape.add")
_CASTS: dict[Any, Any] = {}


def _cast(g: Any, dtype: Any) -> Any:
    f = _CASTS.get(dtype)
    if f is None:
        name = np.dtype(dtype).name
        f = _CASTS[dtype] = _cc.PersistentJit(lambda a: a.astype(dtype), f"tape.cast|{name}")
    return f(g)


def _zeros_as(shape: tuple[int, ...], dtype: Any, cts: list[Any]) -> Any:
    """A zero cotangent for an output no gradient reached, placed as the node's other
    cotangents (a cached constant: no program), or traced zeros inside a trace."""
    ref = next(c for c in cts if c is not None)
    if isinstance(ref, jax.core.Tracer):
        return jnp.zeros(shape, dtype)
    return constant_like(0, tuple(shape), jnp.dtype(dtype), ref.sharding)


def _accumulate(table: dict[int, Any], key: int, value: Any) -> None:
    prev = table.get(key)
    table[key] = value if prev is None else _add(prev, value)


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
            slots[entry.index] = g if prev is None else _add(prev, g)

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
        if node.lazy is not None:  # a lazy call (engine/lazy.py) reached otherwise: run it
            node.lazy.realize(node)
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
            c if c is not None else _zeros_as(shape, dtype, cts)
            for c, (shape, dtype) in zip(cts, node.out_avals)
        ]
        in_cts = node.backward_fn(full)
        if not retain_graph:
            # freed: the VJP's residuals and the inputs kept for a recorded backward (so the
            # weights a graph read are no longer referenced and an update may donate them)
            node.backward_fn = node.replay = node.pure = None
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
        if node.lazy is not None:  # a lazy call (engine/lazy.py) reached otherwise: run it
            node.lazy.realize(node)
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


# ---- deferred backward: the whole graph as one program, fused into the next update -----------
#
# ``backward()`` on a small graph whose every node has a pure backward (hybridized blocks,
# recorded operators that keep only their inputs) does not run at once: each variable is
# marked with a ``PendingBackward`` holding the graph's structure (static) and the nodes'
# arrays. Reading or writing a gradient buffer (a ``Trainer.step`` does) runs it as one jitted
# program (one XLA call for the whole backward instead of one per node); with ``FUSE_UPDATE``
# a ``Trainer.step`` that finds all its gradients pending from the same backward runs backward
# and update as ONE program (``Trainer._update_with_backward``). Anything else (``retain_graph``, ``autograd.grad``, large or dynamic
# graphs, Python ``Function`` nodes) runs the node-by-node walk as before.

DEFER = [True]  # switch (benchmarks and tests compare both ways)
# switch: a Trainer.step runs a pending backward with its update as one program. Off by
# default: on XLA CPU that program measured slower than the backward and the update as two
# programs (MLP loop 1.38-2.06x raw jax.jit against 1.03-1.46x; donating the weights into a
# program that also reads them for the backward cost most of it); see benchmarks/README.md.
FUSE_UPDATE = [False]
DEFER_MAX_NODES = 24  # larger graphs (eager networks op by op) walk node by node
DEFER_MAX_PLANS = 64  # distinct graph structures compiled; beyond this, walk node by node
_PLANS: dict[tuple[Any, ...], Plan] = {}


class Plan:
    """A deferred backward's static structure, interned (one object per distinct graph):
    hashed once and compared by identity, so the jitted programs keyed by it find their
    compiled code without comparing the whole structure on every step."""

    __slots__ = ("t", "_hash", "run")

    def __init__(self, t: tuple[Any, ...]) -> None:
        self.t, self._hash = t, hash(t)
        # its program through gluax's executable cache when every node is a registry
        # operator's backward (``persist_name``); None: the shared ``_walk_jit``
        name = _plan_persist_name(t)
        self.run = None if name is None else _cc.TreeJit(partial(walk, self), lambda: name)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: Any) -> bool:
        return self is other

    def traced_walk(self, args: Any, seeds: list[Any], bufs: list[Any]) -> tuple[Any, Any]:
        """(no outputs, gradients), traced into a caller's program (``walk``)."""
        return None, walk(self, args, seeds, bufs)

    def execute(self, args: Any, seeds: list[Any], bufs: list[Any]) -> tuple[Any, Any]:
        """(no outputs, gradients): the pass as its own program."""
        if self.run is not None:
            return None, self.run(args, seeds, bufs)
        return None, _walk_jit(self, args, seeds, bufs)


def _refs_of_attribute() -> int:
    """What ``sys.getrefcount`` says of an object referenced by one attribute only."""

    class _Holder:
        __slots__ = ("x",)

    h = _Holder()
    h.x = object()
    return sys.getrefcount(h.x)


_HELD_BY_INFO = _refs_of_attribute()


class OpBackward:
    """The static half of a recorded operator's pure backward (from its ``replay``):
    ``(rng, vals), cts -> input cotangents`` through ``registry.grad_op``."""

    __slots__ = ("op", "key", "diff", "n", "container", "_hash")

    def __init__(self, op: Any, key: Any, diff: tuple[int, ...], n: int, container: Any) -> None:
        self.op, self.key, self.diff, self.n, self.container = op, key, diff, n, container
        self._hash = hash((id(op), key, diff, n, container))

    def _id(self) -> tuple[Any, ...]:
        return (id(self.op), self.key, self.diff, self.n, self.container)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, OpBackward) and self._id() == other._id()

    def __call__(self, args: Any, cts: list[Any]) -> list[Any]:
        from gluax._src.engine.registry import grad_op

        rng, vals = args
        g = grad_op(self.op, self.key, self.diff, self.n, self.container)
        return list(g.fn(*rng, *vals, *cts))


def _pure_of(node: Node) -> tuple[Any, Any] | None:
    if node.pure is not None:
        return node.pure
    r = node.replay
    if r is None:
        return None
    op, key, diff, rng, vals, _ctx, container = r
    if not op.remat or op.custom is not None:
        return None  # keeps residuals (recurrent ops, sorts): its own backward program
    if any(isinstance(v, jax.core.Tracer) for v in vals):
        return None
    return OpBackward(op, key, diff, len(vals), container), (list(rng), list(vals))


def walk(plan: Plan, node_args: list[Any], seeds: list[Any], bufs: list[Any]) -> list[Any]:
    """The backward pass of ``plan`` as a pure function (traced into one program): the final
    gradient of every variable (cast to its dtype, added to its buffer for ``'add'``), None
    for a variable no gradient reached."""
    fns, ins, avals, heads, vmeta = plan.t
    node_cts: list[list[Any]] = [[None] * len(a) for a in avals]
    var_cts: list[Any] = [None] * len(vmeta)

    def send(entry: tuple[int, int, int], g: Any) -> None:
        kind, a, b = entry
        if g is None:
            return
        if kind == 0:
            var_cts[a] = g if var_cts[a] is None else var_cts[a] + g
        else:
            slot = node_cts[a]
            slot[b] = g if slot[b] is None else slot[b] + g

    for e, sd in zip(heads, seeds):
        send(e, sd)
    for k, fn in enumerate(fns):
        cts = node_cts[k]
        if all(c is None for c in cts):
            continue
        full = [
            c if c is not None else jnp.zeros(shape, dtype)
            for c, (shape, dtype) in zip(cts, avals[k])
        ]
        for e, g in zip(ins[k], fn(node_args[k], full)):
            send(e, g)
        node_cts[k] = []
    out = []
    for (req, dtype), g, buf in zip(vmeta, var_cts, bufs):
        if g is not None:
            if g.dtype != dtype:
                g = g.astype(dtype)
            if req == "add" and buf is not None:
                g = buf + g
        out.append(g)
    return out


_walk_jit = jax.jit(walk, static_argnums=0)


def _plan_persist_name(t: tuple[Any, ...]) -> str | None:
    """A plan's identity in the executable cache: its nodes' backward operators (each one's
    ``grad_op`` cache name: operator, frozen attributes, differentiated positions), how they
    connect, their output avals, the heads and the variables' grad_req and dtype; hybridized
    blocks' backwards by their own ``persist_name``; None when a node is anything else (user
    code) or not cached itself."""
    fns, rest = t[0], t[1:]
    from gluax._src.engine.registry import grad_op

    names = []
    for f in fns:
        if type(f) is not OpBackward:
            # a hybridized block's backward (block_cache.VjpProgram): its own cache identity
            persist = getattr(f, "persist_name", None)
            if not isinstance(persist, str):
                return None
            names.append(persist)
            continue
        g = grad_op(f.op, f.key, f.diff, f.n, f.container)
        if not isinstance(g._persist, str):
            return None
        names.append(g._persist)
    return f"tape.walk|{names!r}|{rest!r}"


def _none() -> None:
    return None


class PendingBackward:
    """A backward pass not run yet (see the section comment): ``plan`` (static structure),
    the nodes' arrays, the head gradients, and the variables it writes."""

    def __init__(
        self, plan: Plan, node_args: list[Any], seeds: list[Any], infos: list[VarInfo]
    ) -> None:
        self.plan, self.node_args, self.seeds = plan, node_args, seeds
        self.infos: list[VarInfo] | None = infos
        self.keep: list[Any] = []
        for info in infos:
            info.pending = self

    def take(self) -> tuple[Plan, list[Any], list[Any], list[Any], list[VarInfo]]:
        """Detach this pass from its variables and hand over what a program needs:
        (plan, node arrays, seeds, 'add' buffers, variables). It runs at most once."""
        infos = self.infos
        assert infos is not None
        self.infos = None
        for info in infos:
            info.pending = None
        bufs = [
            i._buf._value if i.grad_req == "add" and i._buf is not None else None for i in infos
        ]
        args, seeds = self.node_args, self.seeds
        self.node_args = self.seeds = None  # type: ignore[assignment]
        return self.plan, args, seeds, bufs, infos

    lazy = False  # (engine/lazy.py's LazyPending: a pass that also runs forwards)

    def finish(self, outs: Any) -> None:
        """Give the program's first result to what waits for it (nothing here: every node of
        this pass ran its forward)."""

    def materialize(self) -> None:
        """Run the pass (one program) and write every variable's gradient."""
        if self.infos is None:
            return
        plan, args, seeds, bufs, infos = self.take()
        outs, grads = plan.execute(args, seeds, bufs)
        del args
        self.finish(outs)
        for info, g in zip(infos, grads):
            if g is not None:
                info.put(g)


def encode_graph(
    heads: list[Any], order: list[Node], arrays: Any, place: Any
) -> tuple[list[VarInfo], Any, Any, Any, Any] | None:
    """The static description of the graph of ``heads`` (its nodes in ``order``, newest
    first) for one program: (the variables it writes, head codes, each node's input codes,
    each node's output avals, each variable's grad_req and dtype); a code is ``(0, variable,
    0)`` or ``(1, node, output)``. None when one program cannot run it: heads or variables on
    several devices (``split_and_load``), or an array of ``arrays`` (the nodes' own) placed
    other than ``place`` (a ``copyto`` inside the graph)."""
    pos = {id(n): k for k, n in enumerate(order)}
    var_pos: dict[int, int] = {}
    infos: list[VarInfo] = []

    def code(entry: Any) -> tuple[int, int, int]:
        if isinstance(entry, VarInfo):
            k = var_pos.get(id(entry))
            if k is None:
                k = var_pos[id(entry)] = len(infos)
                infos.append(entry)
            return (0, k, 0)
        return (1, pos[id(entry.node)], entry.index)

    head_codes = tuple(code(h._ag) for h in heads)
    ins = tuple(tuple(code(e) for e in n.inputs) for n in order)
    ctx = heads[0]._ctx
    for h in heads[1:]:
        if h._ctx != ctx:
            return None
    for info in infos:
        where = info._buf._ctx if info._buf is not None else (info._zeros or (None,) * 4)[3]
        if where is None or where != ctx:
            return None
    for leaf in jax.tree_util.tree_leaves(arrays):
        sh = getattr(leaf, "sharding", place)
        if sh is not place and sh != place:
            return None
    avals = tuple(tuple((tuple(s), jnp.dtype(d)) for s, d in n.out_avals) for n in order)
    vmeta = tuple((i.grad_req, jnp.dtype(i.dtype)) for i in infos)
    return infos, head_codes, ins, avals, vmeta


def defer_backward(heads: list[Any], head_grads: list[Any]) -> PendingBackward | None:
    """Record a ``PendingBackward`` for ``heads`` instead of running it, when the graph
    allows (see the section comment); None when it does not (nothing changed then)."""
    if not heads:  # e.g. only integer outputs (argsort): the walk has nothing to do either
        return None
    nodes: dict[int, Node] = {}
    stack: list[Node] = []
    for h in heads:
        info = h._ag
        if info is None or isinstance(h._value, jax.core.Tracer):
            return None
        if isinstance(info, OutInfo) and id(info.node) not in nodes:
            nodes[id(info.node)] = info.node
            stack.append(info.node)
    while stack:
        node = stack.pop()
        if node.lazy is not None:
            node.lazy.realize(node)
        if len(nodes) > DEFER_MAX_NODES or node.backward_fn is None:
            return None
        for entry in node.inputs:
            if isinstance(entry, OutInfo) and id(entry.node) not in nodes:
                nodes[id(entry.node)] = entry.node
                stack.append(entry.node)
    order = sorted(nodes.values(), key=lambda n: n.seq, reverse=True)
    pures = []
    for node in order:
        pure = _pure_of(node)
        if pure is None:
            return None
        pures.append(pure)
    enc = encode_graph(heads, order, [a for _, a in pures], heads[0]._value.sharding)
    if enc is None:
        return None
    infos, head_codes, ins, avals, vmeta = enc
    key = (tuple(f for f, _ in pures), ins, avals, head_codes, vmeta)
    try:
        plan = _PLANS.get(key)
    except TypeError:  # an unhashable attribute somewhere: not deferred
        return None
    if plan is None:
        if len(_PLANS) >= DEFER_MAX_PLANS:
            return None
        plan = _PLANS[key] = Plan(key)
    seeds = []
    for h, hg in zip(heads, head_grads):
        if hg is None:
            v = h._value
            hg = constant_like(1, v.shape, v.dtype, v.sharding)
        seeds.append(hg)
    for info in infos:
        if info.pending is not None:  # an earlier pass not yet run: its gradients come first
            info.pending.materialize()
    for node in order:  # freed, as by a backward that ran (MXNet: a second backward raises)
        node.backward_fn = node.replay = node.pure = None
    pend = PendingBackward(plan, [a for _, a in pures], seeds, infos)
    # what the plan's program may need to trace it, kept until it has run (a hybridized
    # block's program, which the block may drop first: block_cache.CachedBackward)
    pend.keep = [getattr(f, "keep_alive", _none)() for f, _ in pures]
    for info in infos:  # reached by this backward (MXNet's _fresh_grad), even if it runs now
        info.fresh = True
    if any(i._buf is not None and sys.getrefcount(i._buf) > _HELD_BY_INFO for i in infos):
        # user code holds a gradient buffer (mark_variables, a kept ``p.grad()``) and may read
        # it without asking its VarInfo: write the gradients now (still one program)
        pend.materialize()
    return pend


def backward(heads: list[Any], head_grads: list[Any], retain_graph: bool) -> None:
    """``autograd.backward``: deferred when possible (see ``defer_backward``), else the walk
    now; every variable reached is marked fresh (updated since the last step)."""
    if not retain_graph:
        from gluax._src.engine import lazy as _lazy

        if _lazy.backward(heads, head_grads):  # lazy calls: forward and backward one program
            return
    if not retain_graph and DEFER[0]:
        pend = defer_backward(heads, head_grads)
        if pend is not None:
            for info in pend.infos or ():
                info.fresh = True
            return
    grads = run_backward(heads, head_grads, retain_graph)
    for info, g in grads.values():
        info.store(g)
        info.fresh = True
