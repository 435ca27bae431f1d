"""Lazy recorded calls: forward, loss and backward of the training loop as ONE program.

Under ``autograd.record()``, a hybridized block's call (and an operator applied to its
result, such as a loss of gluax's classes) does not run at once: it returns ``LazyNDArray``
outputs, whose shapes and dtypes are known (from a shape pass, once per signature) but whose
values are not computed yet, and its tape node holds what the call needs (a ``LazyCall``: the
inputs' and parameters' values at the time of the call). Then either

* ``backward()`` reaches the lazy nodes: the forward of every lazy node, the backward of the
  whole graph and the gradients' writes (cast, ``'add'``) are traced into ONE program (keyed
  by the graph's structure, as the deferred backward of ``tape``), which returns the outputs'
  values as well; the outputs become ordinary NDArrays holding them, or
* anything reads an output's value first (printing it, ``asnumpy()``, an operator that is not
  lazy, ``autograd.grad``, ``retain_graph``): the call runs there, as it would have run at
  once (its recorded forward program, its node's backward), and nothing else changes.

Measured on XLA CPU, the program split costs the MLP loop of issue 22 what it lost against
one ``jax.jit`` step: forward, loss and backward as three programs are 1.15x-1.25x of one,
as one program 1.04x-1.05x (with the update a second program, as here); see
``benchmarks/README.md``. What may be lazy: a single-context hybridized block whose call
writes no auxiliary state (BatchNorm's running statistics in training must change at the
call, so such calls run at once), not bucketed, not under ``check_equivalence``, outside
numpy mode; an operator recorded on a lazy input,
differentiable, recomputing its backward from its inputs (``remat``), not a custom operator.
The values a lazy call read are kept until it runs (so a parameter changed in place between
the call and ``backward()`` does not change the result, as in MXNet, which computed the
forward at the call).
"""

from __future__ import annotations

import sys
import weakref
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp

from gluax._src.engine import compile_cache as _cc
from gluax._src.engine import tape as _tape
from gluax._src.engine.ndarray import NDArray

LAZY = [True]  # switch (benchmarks and tests compare both ways)
# switch: backward() on a lazy graph waits for the next Trainer.step, which runs forward,
# loss, backward and update as ONE program (reading a gradient or an output first runs the
# graph's program alone, as with the switch off). Off: on XLA CPU that program measured
# slower than the graph's program and the update apart (MLP loop 1.24x-1.58x raw jax.jit
# against 1.07x-1.16x, with or without donating the weights; compile_step, also one
# program, 1.03x-1.13x in the same runs); kept for a GPU measurement (benchmarks/README.md)
FUSE_UPDATE = [False]
MAX_PLANS = 64  # distinct lazy graph structures compiled; beyond, backward() runs them apart
_PLANS: dict[tuple[Any, ...], _LazyPlan] = {}

_SLOT = NDArray.__dict__["_value"]  # the base class's storage for the value


def _filled(a: NDArray) -> bool:
    try:
        _SLOT.__get__(a, NDArray)
    except AttributeError:
        return False
    return True


class LazyNDArray(NDArray):
    """An output of a lazy recorded call (see the module docstring): an NDArray whose value
    is computed when first read. It becomes a plain ``NDArray`` (same object) once it holds
    its value; shape, dtype and context are known before."""

    __slots__ = ()

    @property  # type: ignore[override]
    def _value(self) -> Any:
        try:
            return _SLOT.__get__(self, NDArray)
        except AttributeError:
            pass
        self._ag.node.lazy.realize(self._ag.node)
        return _SLOT.__get__(self, NDArray)

    @_value.setter
    def _value(self, value: Any) -> None:
        if not _filled(self):
            self._ag.node.lazy.realize(self._ag.node)
        _SLOT.__set__(self, value)
        self.__class__ = NDArray

    def _aval(self) -> tuple[Any, Any]:
        return self._ag.node.out_avals[self._ag.index]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._aval()[0])

    @property
    def ndim(self) -> int:
        return len(self._aval()[0])

    @property
    def size(self) -> int:
        n = 1
        for d in self._aval()[0]:
            n *= d
        return n

    @property
    def dtype(self) -> Any:
        from gluax._src.engine.base import np_dtype_type

        return np_dtype_type(jnp.dtype(self._aval()[1]).name)

    # pickling and copying take the value (the class is NDArray from then on)
    def __reduce_ex__(self, protocol: Any) -> Any:
        self._value  # noqa: B018
        return self.__reduce_ex__(protocol)

    def __copy__(self) -> Any:
        import copy

        self._value  # noqa: B018
        return copy.copy(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        import copy

        self._value  # noqa: B018
        return copy.deepcopy(self, memo)

    def attach_grad(self, grad_req: str = "write", stype: str | None = None) -> None:
        self._value  # noqa: B018 - computed first: the array leaves the graph it came from
        NDArray.attach_grad(self, grad_req, stype)


def make_outputs(node: _tape.Node, ctx: Any) -> list[LazyNDArray]:
    """The lazy outputs of ``node`` (one per ``node.out_avals`` entry)."""
    outs = []
    for k in range(len(node.out_avals)):
        a = LazyNDArray.__new__(LazyNDArray)
        a._ctx = ctx
        a._ag = _tape.OutInfo(node, k)
        outs.append(a)
    node.lazy.outs = [weakref.ref(a) for a in outs]
    return outs


def aval_of(a: NDArray) -> tuple[tuple[int, ...], Any]:
    """(shape, dtype) of an array without computing a lazy one."""
    if type(a) is LazyNDArray:
        return a._aval()
    v = a._value
    return tuple(v.shape), v.dtype


class LazyCall:
    """What a lazy node needs to run: its kind's static half (``BlockSpec``/``OpSpec``), the
    arrays it read (``args``, with None where a lazy input goes) and its lazy inputs as
    ``(position, LazyNDArray)``; ``outs`` are weak references to its outputs."""

    __slots__ = ("spec", "args", "lazy_in", "outs", "keep", "ctx", "pending")

    def __init__(
        self, spec: Any, args: Any, lazy_in: list[tuple[int, NDArray]], keep: Any, ctx: Any
    ) -> None:
        self.spec, self.args, self.lazy_in, self.keep, self.ctx = spec, args, lazy_in, keep, ctx
        self.outs: list[Any] = []
        # the backward() that took this call into its program (``LazyPending``), not run yet
        self.pending: LazyPending | None = None

    def realize(self, node: _tape.Node) -> None:
        """Run the call now, as it would have run at once, and fill its outputs; a call that
        a backward() took runs with it (its whole program)."""
        if node.lazy is not self:
            return
        if self.pending is not None:
            self.pending.materialize()
            return
        node.lazy = None
        ins = [a._value for _, a in self.lazy_in]  # (their own calls run first)
        outs = self.spec.eager(node, self, [p for p, _ in self.lazy_in], ins)
        self.fill(outs)

    def fill(self, outs: list[Any]) -> None:
        for ref, v in zip(self.outs, outs):
            a = ref()
            if a is not None and type(a) is LazyNDArray:
                _SLOT.__set__(a, v)
                a.__class__ = NDArray
        self.args = self.lazy_in = self.keep = None  # type: ignore[assignment]


def _put(vals: list[Any], pos: list[int], ins: list[Any]) -> list[Any]:
    vals = list(vals)
    for p, v in zip(pos, ins):
        vals[p] = v
    return vals


class BlockSpec:
    """A hybridized block's lazy call: its recorded program at one signature
    (``block_cache.VjpProgram``) and the positions of its lazy inputs. Equal for equal
    programs (by the program's cache identity when it has one), so a graph structure compiles
    once for every block of that structure."""

    __slots__ = ("prog", "ident", "lazy_pos", "_hash")

    def __init__(self, prog: Any, lazy_pos: tuple[int, ...]) -> None:
        self.prog, self.lazy_pos = prog, lazy_pos
        st = prog.static
        self.ident = st.persist_name if st is not None else prog
        self._hash = hash((self.ident, lazy_pos))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: Any) -> bool:
        return (
            type(other) is BlockSpec
            and self.ident == other.ident
            and self.lazy_pos == other.lazy_pos
        )

    def persist_name(self) -> str | None:
        return f"{self.ident}|lazy{self.lazy_pos}" if isinstance(self.ident, str) else None

    def eager(self, node: _tape.Node, call: LazyCall, pos: list[int], ins: list[Any]) -> list[Any]:
        params, aux, vals, key = call.args
        return self.prog.block._run_recorded_node(
            node, self.prog, params, aux, _put(vals, pos, ins), key
        )

    def trace(self, args: Any, ins: list[Any]) -> tuple[list[Any], Any]:
        params, aux, vals, key = args
        prog = self.prog
        vals = _put(vals, list(self.lazy_pos), ins)
        diff_vals = [vals[i] for i in prog.diff_idx]
        other = [None if i in prog.diff_idx else v for i, v in enumerate(vals)]
        block = prog.block
        n = len(block._compile_sigs)
        outs, _new_aux, res, _ = prog._fwd(params, aux, diff_vals, other, key, None)
        del block._compile_sigs[n:]  # (the lazy call's shape pass counted this signature)
        return jax.tree_util.tree_leaves(outs), partial(prog._bwd, res)


class OpSpec:
    """A registry operator's lazy call: operator, frozen attributes, differentiated
    positions, number of inputs, output container, positions of its lazy inputs."""

    __slots__ = ("op", "key", "diff", "n", "container", "lazy_pos", "_hash")

    def __init__(
        self, op: Any, key: Any, diff: tuple[int, ...], n: int, container: Any,
        lazy_pos: tuple[int, ...],
    ) -> None:  # fmt: skip
        self.op, self.key, self.diff, self.n = op, key, diff, n
        self.container, self.lazy_pos = container, lazy_pos
        self._hash = hash((id(op), key, diff, n, container, lazy_pos))

    def _id(self) -> tuple[Any, ...]:
        return (id(self.op), self.key, self.diff, self.n, self.container, self.lazy_pos)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: Any) -> bool:
        return type(other) is OpSpec and self._id() == other._id()

    def persist_name(self) -> str | None:
        from gluax._src.engine.registry import _plain

        base = self.op.persist_name()
        if base is None or not _plain(self.key):
            return None
        c = getattr(self.container, "__name__", None)
        return f"{base}|{self.key!r}|lazy|{self.diff!r}|{self.n}|{c}|{self.lazy_pos!r}"

    def eager(self, node: _tape.Node, call: LazyCall, pos: list[int], ins: list[Any]) -> list[Any]:
        from gluax._src.engine.registry import _remat_backward

        rng, vals = call.args
        vals = _put(vals, pos, ins)
        op, key = self.op, self.key
        res = op.forward(key)(*rng, *vals)
        node.backward_fn = _remat_backward(op, key, self.diff, rng, vals, self.container)
        node.replay = (op, key, self.diff, rng, vals, call.ctx, self.container)
        return list(res) if self.container is not None else [res]

    def trace(self, args: Any, ins: list[Any]) -> tuple[list[Any], Any]:
        from gluax._src.engine.registry import _of_diff

        rng, vals = args
        vals = _put(vals, list(self.lazy_pos), ins)
        off = len(rng)
        part = _of_diff(self.op.fn, dict(self.key), (*rng, *vals), self.diff, off)
        res, vjp = jax.vjp(part, *[vals[i] for i in self.diff])
        container = self.container

        def back(cts: list[Any]) -> list[Any]:
            return list(vjp(container(cts) if container is not None else cts[0]))

        return (list(res) if container is not None else [res]), back


# ---- the operator side ---------------------------------------------------------------------

_OP_AVALS: dict[Any, Any] = {}


def op_call(op: Any, inputs: tuple[Any, ...], attrs: dict[str, Any]) -> Any:
    """``registry.invoke`` of ``op`` under ``record()`` on at least one lazy input: a lazy
    node, or None when this call must run at once (the caller then reads the values)."""
    if not LAZY[0] or op.custom is not None or not op.remat or not op.differentiable:
        return None
    vals: list[Any] = []
    lazy_in: list[tuple[int, NDArray]] = []
    diff: list[int] = []
    sig: list[Any] = []
    ctx = None
    for i, a in enumerate(inputs):
        t = type(a)
        if t is LazyNDArray:
            shape, dtype = a._aval()
            lazy_in.append((i, a))
            vals.append(None)
        elif t is NDArray:
            v = a._value
            shape, dtype = v.shape, v.dtype
            vals.append(v)
        elif a is None or t in (int, float, bool, complex):
            vals.append(a)
            sig.append((t, a))
            continue
        else:
            return None  # mx.np arrays (their own type), numpy inputs: run at once
        if ctx is None:
            ctx = a._ctx
        elif a._ctx is not ctx and a._ctx != ctx:
            return None
        if a._ag is not None and (dtype.kind in "fc" or dtype.name == "bfloat16"):
            diff.append(i)
        sig.append((shape, dtype))
    if not diff or any(i not in diff for i, _ in lazy_in):
        return None
    key = tuple(sorted(attrs.items())) if attrs else ()
    ck = (op, key, tuple(sig))
    try:
        got = _OP_AVALS.get(ck)
    except TypeError:
        return None
    if got is None:
        got = _OP_AVALS[ck] = _op_avals(op, key, sig)
        if len(_OP_AVALS) > 4096:
            _OP_AVALS.clear()
    if got is False:
        return None
    container, out_avals = got
    rng = [_REG[0]._draw_key(op, attrs)] if op.random else []
    diff_t = tuple(diff)
    spec = OpSpec(op, key, diff_t, len(vals), container, tuple(i for i, _ in lazy_in))
    node = _tape.Node(op.name, None, [inputs[i]._ag for i in diff_t], out_avals)  # type: ignore[arg-type]
    node.lazy = LazyCall(spec, (rng, vals), lazy_in, None, ctx)
    outs = make_outputs(node, ctx)
    return outs if container is not None else outs[0]


def _op_avals(op: Any, key: Any, sig: list[Any]) -> Any:
    """(output container, [(shape, dtype)] per output) of ``op`` at an input signature
    (one shape pass), or False when it cannot be lazy (its eager call gives the error)."""
    args = [
        jax.ShapeDtypeStruct(s[0], s[1]) if not isinstance(s[0], type) else s[1] for s in sig
    ]
    k = _REG[0]._random.unused_key()
    key_aval = [jax.ShapeDtypeStruct(k.shape, k.dtype)] if op.random else []
    fn, kw = op.fn, dict(key)
    try:
        shapes = jax.eval_shape(lambda *xs: fn(*xs, **kw), *key_aval, *args)
    except Exception:  # noqa: BLE001 - the eager call raises its own, clearer error
        return False
    multi = isinstance(shapes, (tuple, list))
    flat = list(shapes) if multi else [shapes]
    if not all(isinstance(s, jax.ShapeDtypeStruct) for s in flat):
        return False
    return (type(shapes) if multi else None, [(tuple(s.shape), s.dtype) for s in flat])


_REG: list[Any] = [None]  # the registry module (it imports this one)


# ---- the combined program ------------------------------------------------------------------


class _LazyPlan:
    """A lazy graph's static structure, interned (compared by identity), and its program."""

    __slots__ = ("t", "_hash", "run", "name")

    def __init__(self, t: tuple[Any, ...]) -> None:
        self.t, self._hash = t, hash(t)
        name = self.name = _persist_name(t)
        self.run = None if name is None else _cc.TreeJit(partial(lazy_walk, self), lambda: name)

    def traced_walk(self, args: Any, seeds: list[Any], bufs: list[Any]) -> tuple[Any, Any]:
        """(outputs of the lazy calls, gradients), traced into a caller's program (the
        Trainer's update with the backward, ``Trainer._update_with_backward``)."""
        return lazy_walk(self, args, seeds, bufs)

    def execute(self, args: Any, seeds: list[Any], bufs: list[Any]) -> tuple[Any, Any]:
        """(outputs of the lazy calls, gradients): the graph as its own program."""
        if self.run is not None:
            return self.run(args, seeds, bufs)
        return _lazy_jit(self, args, seeds, bufs)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: Any) -> bool:
        return self is other


def _persist_name(t: tuple[Any, ...]) -> str | None:
    specs, rest = t[0], t[1:]
    names = []
    for kind, s in specs:
        if kind == 1:
            n = s.persist_name()
            if n is None:
                return None
            names.append(n)
        else:
            probe = _tape._plan_persist_name(((s,), ()))
            if probe is None:
                return None
            names.append(probe)
    return f"tape.lazy|{names!r}|{rest!r}"


class _Back:
    """A traced lazy node's backward in the walk's calling convention ``fn(args, cts)``."""

    __slots__ = ("back",)

    def __init__(self, back: Any) -> None:
        self.back = back

    def __call__(self, _args: Any, cts: list[Any]) -> list[Any]:
        return list(self.back(cts))


class _Traced:
    __slots__ = ("t",)

    def __init__(self, t: tuple[Any, ...]) -> None:
        self.t = t


def lazy_walk(
    plan: _LazyPlan, node_args: list[Any], seeds: list[Any], bufs: list[Any]
) -> tuple[list[Any], list[Any]]:
    """The lazy nodes' forwards (in recording order), then the backward of the whole graph
    (``tape.walk``), as one traced function: (each lazy node's outputs, the gradients)."""
    specs, lazy_src, ins, avals, heads, vmeta = plan.t
    n = len(specs)
    outs: list[Any] = [None] * n
    fns: list[Any] = [None] * n
    for k in range(n - 1, -1, -1):  # the plan lists nodes newest first
        kind, spec = specs[k]
        if kind == 1:
            got = [outs[a][b] for a, b in lazy_src[k]]
            outs[k], back = spec.trace(node_args[k], got)
            fns[k] = _Back(back)
        else:
            fns[k] = spec
    grads = _tape.walk(
        _Traced((tuple(fns), ins, avals, heads, vmeta)), node_args, seeds, bufs  # type: ignore[arg-type]
    )
    return outs, grads


_lazy_jit = jax.jit(lazy_walk, static_argnums=0)


def _realize_all(order: list[_tape.Node]) -> None:
    for node in sorted(order, key=lambda n: n.seq):
        if node.lazy is not None:
            node.lazy.realize(node)


def backward(heads: list[Any], head_grads: list[Any]) -> bool:
    """``tape.backward`` of a graph with lazy nodes: one program (see the module docstring).
    False when the graph holds no lazy node, or cannot run so (its lazy nodes then ran)."""
    # a node that ran read its inputs' values, so its own inputs ran too: a graph holds lazy
    # nodes only when a head's node is one (a stray one is run by the walk that meets it)
    if not any(
        isinstance(h._ag, _tape.OutInfo) and h._ag.node.lazy is not None for h in heads
    ):
        return False
    for h in heads:  # a graph a backward() already took: it runs, and the walk then raises
        lz = h._ag.node.lazy if isinstance(h._ag, _tape.OutInfo) else None
        if lz is not None and lz.pending is not None:
            lz.pending.materialize()
            return False
    nodes: dict[int, _tape.Node] = {}
    stack: list[_tape.Node] = []
    any_lazy = False
    for h in heads:
        info = h._ag
        if isinstance(info, _tape.OutInfo) and id(info.node) not in nodes:
            nodes[id(info.node)] = info.node
            stack.append(info.node)
    while stack:
        node = stack.pop()
        if node.lazy is not None:
            any_lazy = True
        for entry in node.inputs:
            if isinstance(entry, _tape.OutInfo) and id(entry.node) not in nodes:
                nodes[id(entry.node)] = entry.node
                stack.append(entry.node)
    if not any_lazy:
        return False
    order = sorted(nodes.values(), key=lambda n: n.seq, reverse=True)
    done = _run(heads, head_grads, order)
    if not done:
        _realize_all(order)
    return done


def _run(heads: list[Any], head_grads: list[Any], order: list[_tape.Node]) -> bool:
    if len(order) > _tape.DEFER_MAX_NODES or not heads:
        return False
    if _tape.FUSE_UPDATE[0] or not _tape.DEFER[0]:
        return False  # the deferred backward's switches, as they were (benchmarks, tests)
    for h in heads:
        if h._ag is None or not isinstance(h._ag, (_tape.OutInfo, _tape.VarInfo)):
            return False
    pos = {id(n): k for k, n in enumerate(order)}
    specs: list[Any] = []
    node_args: list[Any] = []
    lazy_src: list[Any] = []
    calls: list[LazyCall | None] = []
    for node in order:
        lz = node.lazy
        if lz is not None:
            src = []
            for _, a in lz.lazy_in:
                if type(a) is not LazyNDArray or a._ag.node.lazy is None:
                    return False  # its producer ran (or is not in this graph)
                k = pos.get(id(a._ag.node))
                if k is None:
                    return False
                src.append((k, a._ag.index))
            specs.append((1, lz.spec))
            node_args.append(lz.args)
            lazy_src.append(tuple(src))
            calls.append(lz)
            continue
        if node.backward_fn is None:
            return False
        pure = _tape._pure_of(node)
        if pure is None:
            return False
        specs.append((0, pure[0]))
        node_args.append(pure[1])
        lazy_src.append(())
        calls.append(None)
    leaves = jax.tree_util.tree_leaves(node_args)
    place = next((x.sharding for x in leaves if isinstance(x, jax.Array)), None)
    if place is None:
        return False
    enc = _tape.encode_graph(heads, order, leaves, place)
    if enc is None:
        return False
    infos, head_codes, ins, avals, vmeta = enc
    key = (tuple(specs), tuple(lazy_src), ins, avals, head_codes, vmeta)
    try:
        plan = _PLANS.get(key)
    except TypeError:
        return False
    if plan is None:
        if len(_PLANS) >= MAX_PLANS:
            return False
        plan = _PLANS[key] = _LazyPlan(key)
    seeds = []
    for h, hg in zip(heads, head_grads):
        if hg is None:
            shape, dtype = aval_of(h)
            hg = _tape.constant_like(1, tuple(shape), jnp.dtype(dtype), place)
        seeds.append(hg)
    for info in infos:
        if info.pending is not None:  # an earlier deferred pass: its gradients come first
            info.pending.materialize()
    for node, lz in zip(order, calls):
        # freed, as by a backward that ran (a second backward raises, as in MXNet)
        node.backward_fn = node.replay = node.pure = None
    pend = LazyPending(plan, node_args, seeds, infos, order, calls)
    del node_args
    for info in infos:  # reached by this backward (MXNet's _fresh_grad)
        info.fresh = True
    if not FUSE_UPDATE[0] or any(
        i._buf is not None and sys.getrefcount(i._buf) > _tape._HELD_BY_INFO for i in infos
    ):
        # (a gradient buffer user code holds may be read without asking gluax: now)
        pend.materialize()
    return True


class LazyPending(_tape.PendingBackward):
    """A lazy graph's program not run yet (``FUSE_UPDATE``): a ``tape.PendingBackward`` whose
    program also runs the lazy calls' forwards; its calls point at it too, so reading an
    output runs it as reading a gradient does (``materialize``), and a ``Trainer.step`` that
    consumes all of its gradients first runs it with the update as ONE program
    (``Trainer._update_with_backward``: ``take``, then ``finish`` with the outputs)."""

    lazy = True

    def __init__(
        self, plan: _LazyPlan, node_args: list[Any], seeds: list[Any],
        infos: list[_tape.VarInfo], order: list[_tape.Node], calls: list[LazyCall | None],
    ) -> None:  # fmt: skip
        super().__init__(plan, node_args, seeds, infos)  # type: ignore[arg-type]
        self.order, self.calls = order, calls
        for lz in calls:
            if lz is not None:
                lz.pending = self
        self.keep = [lz.keep for lz in calls if lz is not None]  # programs alive until it runs

    def take(self) -> Any:
        for lz in self.calls:
            if lz is not None:
                lz.args = None  # (the arrays go to the program only: donatable weights)
        return super().take()

    def finish(self, outs: list[Any]) -> None:
        """Give the lazy calls their outputs (the program's first result)."""
        for node, lz, o in zip(self.order, self.calls, outs):
            if lz is not None:
                node.lazy = None
                lz.pending = None
                lz.fill(o)
        self.order = self.calls = self.keep = []  # type: ignore[assignment]
