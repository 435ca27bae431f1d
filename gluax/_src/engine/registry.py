"""The one operator registry behind ``mx.nd.X``, ``mx.sym.X`` and ``F.X``.

An operator is written once as a pure function of jax arrays with static keyword attributes
(see ``gluax/_src/ops``). ``invoke`` runs it in one of three ways:

* inside a trace (a hybridized call, or a user's own ``jax.jit``/``grad``/``vmap``): the
  function is called directly on the traced values;
* eagerly, not recorded: a jitted function cached per (operator, attributes) (a
  ``compile_cache.PersistentJit``: per input signature, an executable kept on disk when the
  persistent cache is on, so that a later process skips tracing and lowering);
* eagerly under ``autograd.record()`` with a tracked input: a jitted forward-with-VJP, cached
  the same way, whose VJP closure becomes one node on the tape (the VJP of the operator under
  ``jax.checkpoint``: its residuals are the inputs, see ``_remat``).
"""

from __future__ import annotations

import inspect
import sys
from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine import compile_cache as _cc
from gluax._src.engine import lazy as _lazy
from gluax._src.engine import random as _random
from gluax._src.engine import tape as _tape
from gluax._src.engine.context import Context, as_context
from gluax._src.engine.ndarray import NDArray, Symbol, host_to_device, set_op_caller
from gluax._src.engine.state import STATE

_LazyNDArray = _lazy.LazyNDArray
OPS: dict[str, OpDef] = {}
_NO_ATTRS: dict[str, Any] = {}
_PASS_THROUGH = (int, float, bool, complex)
# Callbacks ``(op, inputs, attrs, outputs)`` told of every traced operator call; only
# ``HybridBlock.export`` sets one, to write MXNet's graph JSON (see gluon/symbol_export.py).
RECORDERS: list[Callable[[OpDef, Any, dict[str, Any], Any], None]] = []


_PLAIN = (str, int, float, bool, complex, type(None))


def _plain(v: Any) -> bool:
    """Whether a frozen attribute value's repr is the same in every process (no object ids)."""
    if isinstance(v, _PLAIN):
        return True
    if isinstance(v, tuple):
        return all(_plain(x) for x in v)
    return isinstance(v, type) and v.__module__ == "builtins"


_Eager = _cc.PersistentJit
_default_device = _cc.default_device


def _freeze(v: Any) -> Any:
    """Make an attribute value hashable (lists become tuples, dtypes their names)."""
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, np.ndarray):  # shape=np.array([2, 3]): a tuple of Python numbers
        return tuple(_freeze(x) for x in v.tolist()) if v.ndim else v.item()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (np.dtype, type)) and v is not bool:
        try:
            return np.dtype(v).name
        except TypeError:
            return v
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    return v


class OpDef:
    """A registered operator: its pure function, input names and attribute names."""

    def __init__(
        self,
        name: str,
        fn: Callable[..., Any],
        random: bool,
        differentiable: bool,
        mode_dependent: bool = False,
        needs_key: Callable[[dict[str, Any]], bool] | None = None,
        remat: bool = True,
        persist: str | None = None,
    ) -> None:
        self.name, self.fn, self.random, self.differentiable = name, fn, random, differentiable
        self.remat = remat  # see _remat
        # Operators whose static ``training`` attribute defaults to autograd.is_training() at
        # each call (Dropout, BatchNorm, ...), and a predicate telling from the attributes
        # whether a random operator will use its key (a Dropout in inference will not).
        self.mode_dependent, self.needs_key = mode_dependent, needs_key
        self.__doc__ = fn.__doc__
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        if random:
            params = params[1:]  # the key comes first and is supplied by the engine
        self.inputs = tuple(
            p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
        self.variadic = any(p.kind == p.VAR_POSITIONAL for p in params)
        self.n_inputs = len(self.inputs)
        self.attrs = tuple(p.name for p in params if p.kind == p.KEYWORD_ONLY)
        self.required_attrs = frozenset(
            p.name
            for p in params
            if p.kind == p.KEYWORD_ONLY and p.default is p.empty and p.name != "training"
        )
        self.accepts_any = any(p.kind == p.VAR_KEYWORD for p in params)
        self._fwd: dict[Any, Callable[..., Any]] = {}
        self._fwd_vjp: dict[Any, Callable[..., Any]] = {}
        self._grad_ops: dict[Any, OpDef] = {}
        self._res_vjps: dict[Any, _ResidualVjp] = {}
        # The name this operator's programs have in the executable cache (``persist_name``):
        # ``persist`` for an operator made outside the registry whose name says all of its
        # function (a fused loss); grad_op sets it for backward operators.
        self._persist: str | None | bool = False if persist is None else persist
        # Python custom operators (ops/custom.py) run their own way, eagerly and traced:
        # ``custom(inputs, values, attrs, traced, ctx, kind, ctx_arg, out)``.
        self.custom: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        return f"<operator {self.name}>"

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[Any], dict]:
        """Split a call's arguments into inputs (arrays) and static attributes."""
        if self.variadic:
            inputs = list(args)
            attrs: dict[str, Any] = {}
        else:
            n = len(self.inputs)
            inputs = list(args[:n]) + [None] * max(0, n - len(args))
            extra = args[n:]
            if len(extra) > len(self.attrs):
                raise TypeError(
                    f"{self.name}: takes at most {n + len(self.attrs)} positional arguments "
                    f"({', '.join(self.inputs + self.attrs)}), got {len(args)}."
                )
            attrs = dict(zip(self.attrs, extra))
        for k, v in kwargs.items():
            if not self.variadic and k in self.inputs:
                inputs[self.inputs.index(k)] = v
            elif k in self.attrs or self.accepts_any:
                attrs[k] = v
            elif k == "num_args":
                continue  # MXNet's variadic operators take num_args; the count is implicit.
            else:
                raise TypeError(
                    f"{self.name}: unexpected argument {k!r}. Inputs: {list(self.inputs)}; "
                    f"attributes: {list(self.attrs)}."
                )
        if self.mode_dependent and "training" not in attrs:
            attrs["training"] = STATE.training
        missing = self.required_attrs.difference(attrs)
        if missing:
            raise TypeError(f"{self.name}: missing required argument(s) {sorted(missing)}.")
        return inputs, {k: _freeze(v) for k, v in attrs.items()}

    def persist_name(self) -> str | None:
        """This operator's identity in the executable cache: its name when it is the operator
        registered under that name (an unregistered OpDef's name need not be unique), else
        None (not cached)."""
        if self._persist is False:
            self._persist = (
                self.name if OPS.get(self.name) is self and self.custom is None else None
            )
        return self._persist  # type: ignore[return-value]

    def forward(self, key: Any) -> Callable[..., Any]:
        f = self._fwd.get(key)
        if f is None:
            fn, attrs = self.fn, dict(key)
            base = self.persist_name()
            name = f"{base}|{key!r}" if base is not None and _plain(key) else None
            f = self._fwd[key] = _Eager(partial(fn, **attrs) if attrs else fn, name)
        return f

    def forward_vjp(self, key: Any, diff: tuple[int, ...]) -> Callable[..., Any]:
        ck = (key, diff)
        f = self._fwd_vjp.get(ck)
        if f is None:
            fn, attrs, off = self.fn, dict(key), 1 if self.random else 0

            def fwd_vjp(*xs: Any) -> Any:
                part = _of_diff(fn, attrs, xs, diff, off)
                return jax.vjp(_remat(part) if self.remat else part, *[xs[i + off] for i in diff])

            f = self._fwd_vjp[ck] = jax.jit(fwd_vjp)
        return f

    def residual_vjp(
        self, key: Any, diff: tuple[int, ...], rng: list[Any], vals: list[Any]
    ) -> _ResidualVjp:
        """The recorded call's two programs at this input signature (``_ResidualVjp``)."""
        sig = tuple(
            [
                (type(v), np.shape(v), getattr(v, "dtype", None), getattr(v, "weak_type", False))
                for v in (*rng, *vals)
            ]
        )
        ck = (key, diff, sig)
        prog = self._res_vjps.get(ck)
        if prog is None:
            prog = self._res_vjps[ck] = _ResidualVjp(self, key, diff, (*rng, *vals), sig)
        return prog


class _ResidualVjp:
    """A recorded call of a ``remat=False`` operator (one that keeps its forward's
    residuals) at one input signature, as two programs: ``fwd(*inputs) -> (outputs,
    residuals)`` (the VJP closure's arrays, flat) and ``bwd(residuals, cts) -> input
    cotangents``. Both are named in the executable cache (operator, attributes,
    differentiated positions; the backward also by the forward's signature, which decides its
    residuals), so a later process loads them without tracing; and, as the static half of the
    node's pure backward (``prog(residuals, cts)``, hashable by identity, one per signature), a
    deferred backward can take the node into its plan. The VJP closure's structure is learned
    when the forward is traced here, or by a shape-only trace of it when the forward was
    loaded and the backward must be traced."""

    __slots__ = ("_fwd_fn", "example", "res_tree", "container", "fwd", "bwd", "persist_name")

    def __init__(
        self, op: OpDef, key: Any, diff: tuple[int, ...], args: tuple[Any, ...], sig: Any
    ) -> None:
        fn, attrs, off = op.fn, dict(key), 1 if op.random else 0

        def fwd(*xs: Any) -> Any:
            part = _of_diff(fn, attrs, xs, diff, off)
            res, vjp = jax.vjp(part, *[xs[i + off] for i in diff])
            leaves, self.res_tree = jax.tree_util.tree_flatten(vjp)
            return res, leaves

        self._fwd_fn = fwd
        self.example = jax.tree_util.tree_map(
            lambda a: jax.ShapeDtypeStruct(
                np.shape(a), a.dtype, weak_type=getattr(a, "weak_type", False)
            ),
            args,
        )
        self.res_tree: Any = None
        self.container: Any = False  # the outputs' container type (None: one output), once run
        base = op.persist_name()
        name = f"{base}|fwdres|{key!r}|{diff!r}" if base is not None and _plain(key) else None
        self.persist_name = None if name is None else f"{name}|bwd|{_cc.avals_text(sig)}"
        self.fwd = _Eager(fwd, name)
        bwd_name = self.persist_name
        self.bwd = _cc.TreeJit(self._bwd, lambda: bwd_name)

    def _bwd(self, leaves: list[Any], cts: list[Any]) -> list[Any]:
        if self.res_tree is None:  # the forward was loaded, never traced here
            fwd = self._fwd_fn  # (a new function: JAX would reuse an earlier trace)
            jax.eval_shape(lambda *xs: fwd(*xs), *self.example)
        vjp = jax.tree_util.tree_unflatten(self.res_tree, leaves)
        return list(vjp(self.container(cts) if self.container else cts[0]))

    def __call__(self, leaves: list[Any], cts: list[Any]) -> list[Any]:
        return self._bwd(leaves, cts)

    def backward(self, leaves: list[Any]) -> Callable[[list[Any]], list[Any]]:
        """The node's backward function."""
        bwd = self.bwd
        return lambda cts: list(bwd(leaves, cts))


def _of_diff(
    fn: Callable[..., Any], attrs: dict[str, Any], xs: Any, diff: tuple[int, ...], off: int
) -> Callable[..., Any]:
    """``fn(*xs, **attrs)`` as a function of the differentiated inputs ``xs[i + off]`` for
    ``i`` in ``diff`` (``off``: 1 when a random key comes first), the others fixed."""

    def part(*d: Any) -> Any:
        full = list(xs)
        for i, v in zip(diff, d):
            full[i + off] = v
        return fn(*full, **attrs)

    return part


def _remat(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` under ``jax.checkpoint``: the recorded op's VJP closure keeps the op's inputs as
    its residuals and its compiled backward recomputes what else it needs. The gradients are
    the same; the forward-with-VJP call no longer writes out intermediates (tanh 64x64: 12.4 us
    -> 7.0 us, against 4.8 us unrecorded) and a recorded graph holds less memory. Linear ops
    (matmul, convolution) need only their inputs anyway, so nothing costly is recomputed.
    Operators whose forward is costly and nonlinear (the recurrent operators' scan, CTC's
    recursion, sorting, the factorizations and solves of ``linalg``) register with
    ``remat=False`` and keep their residuals: recomputing a 2-layer LSTM's forward made its
    eager training step 65% slower (84 against 51 ms)."""
    return jax.checkpoint(fn)


def _remat_backward(
    op: OpDef, key: Any, diff: tuple[int, ...], rng: list[Any], vals: list[Any], container: Any
) -> Callable[[list[Any]], list[Any]]:
    """The tape backward of a recorded call of a ``remat`` operator: one jitted program of
    (inputs, output cotangents) -> input cotangents, cached per operator, attributes and
    differentiated positions (``grad_op``'s). Its residuals are the inputs, as under
    ``jax.checkpoint``, and the forward runs the program the unrecorded call compiled: an eager
    script that also runs unrecorded forwards (evaluation, the first forward) compiles one
    program per operator and shape fewer, and the forward program is smaller than a
    forward-with-VJP (LeNet's first eager training step after a forward: 28 programs -> 15)."""
    run = grad_op(op, key, diff, len(vals), container).forward(())
    if container is None:
        return lambda cts: run(*rng, *vals, cts[0])
    return lambda cts: run(*rng, *vals, *cts)


def grad_op(op: OpDef, key: Any, diff: tuple[int, ...], n_vals: int, container: Any) -> OpDef:
    """An (unregistered) operator computing ``op``'s input cotangents from its inputs and
    output cotangents, so that a backward pass can itself be recorded (``create_graph``)."""
    ck = (key, diff, n_vals, container)
    g = op._grad_ops.get(ck)
    if g is None:
        fn, attrs, off = op.fn, dict(key), 1 if op.random else 0

        def grad_fn(*xs: Any) -> Any:
            vals, cts = xs[: off + n_vals], xs[off + n_vals :]

            part = _of_diff(fn, attrs, vals, diff, off)
            _, vjp = jax.vjp(part, *[vals[i + off] for i in diff])
            res = vjp(container(cts) if container else cts[0])
            return list(res)

        g = op._grad_ops[ck] = OpDef(f"_backward_{op.name}", grad_fn, False, True)
        base = op.persist_name()
        plain = container is None or container in (tuple, list)
        g._persist = (
            f"{base}|grad|{key!r}|{diff!r}|{n_vals}|{getattr(container, '__name__', None)}"
            if base is not None and plain and _plain(key)
            else None
        )
    return g


def register(
    name: str,
    *,
    aliases: tuple[str, ...] = (),
    random: bool = False,
    differentiable: bool = True,
    mode_dependent: bool = False,
    needs_key: Callable[[dict[str, Any]], bool] | None = None,
    remat: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as operator ``name`` (and ``aliases``); returns ``fn`` unchanged.

    ``random``: ``fn`` takes a key first, drawn by the engine (``needs_key(attrs)`` may say it
    is not needed for a call). ``mode_dependent``: ``fn`` has a keyword-only ``training``
    attribute that defaults to ``autograd.is_training()`` when the operator is called.
    ``remat=False``: a recorded call keeps the forward's residuals instead of recomputing them
    in the backward (for a costly nonlinear forward; see ``_remat``).
    """

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        op = OpDef(name, fn, random, differentiable, mode_dependent, needs_key, remat)
        for n in (name, *aliases):
            if n in OPS:
                raise ValueError(f"operator {n!r} is registered twice")
            OPS[n] = op
        return fn

    return deco


def get_op(name: str) -> OpDef:
    op = OPS.get(name)
    if op is None:
        raise AttributeError(f"gluax has no operator {name!r}.")
    return op


_INEXACT: dict[Any, bool] = {}


def _is_float(v: Any) -> bool:
    dt = v.dtype
    f = _INEXACT.get(dt)
    if f is None:
        f = _INEXACT[dt] = bool(jnp.issubdtype(dt, jnp.inexact))
    return f


def _draw_key(op: OpDef, attrs: dict[str, Any]) -> Any:
    """A fresh key, or a constant one when the operator says it will not use it."""
    if op.needs_key is None or op.needs_key(attrs):
        return _random.next_key()
    return _random.unused_key()


def invoke(op: OpDef, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run operator ``op`` on NDArrays (or scalars); see the module docstring."""
    out = ctx_arg = None
    if kwargs:
        kwargs = dict(kwargs)
        out = kwargs.pop("out", None)
        kwargs.pop("name", None)
        ctx_arg = kwargs.pop("ctx", None)
    if (
        not kwargs
        and len(args) == op.n_inputs
        and not op.variadic
        and not op.required_attrs
        and not op.mode_dependent
    ):
        inputs, attrs = args, _NO_ATTRS  # fast path: all inputs positional, default attributes
    else:
        inputs, attrs = op.bind(args, kwargs)
    if STATE.recording and out is None and ctx_arg is None and not STATE.tracing:
        for a in inputs:
            if type(a) is _LazyNDArray:  # on a lazy call's output: lazy too, when it may be
                lazy_out = _lazy.op_call(op, inputs, attrs)
                if lazy_out is not None:
                    return lazy_out
                break
    vals: list[Any] = []
    tracked: list[int] = []
    ctx: Context | None = None
    kind: Any = NDArray  # the outputs take the array type of the first array input
    traced = STATE.tracing > 0
    for i, a in enumerate(inputs):
        if isinstance(a, NDArray):
            v = a._value
            if ctx is None:
                ctx, kind = a._ctx, type(a)
            if a._ag is not None:
                tracked.append(i)
        elif a is None or isinstance(a, _PASS_THROUGH):
            v = a
        elif isinstance(a, jax.Array):
            v = a
        elif isinstance(a, (np.ndarray, np.generic)):
            v = host_to_device(a)  # a copy at the call (see host_to_device)
        else:
            where = op.inputs[i] if i < len(op.inputs) and not op.variadic else f"input {i}"
            raise TypeError(
                f"{op.name}: argument {where!r} must be an NDArray, got {type(a).__name__}."
            )
        if not traced and isinstance(v, jax.core.Tracer):
            traced = True
        vals.append(v)
    if op.custom is not None:
        return op.custom(inputs, vals, attrs, traced, ctx, kind, ctx_arg, out)
    key = tuple(sorted(attrs.items())) if attrs else ()
    if traced:
        rng = [_draw_key(op, attrs)] if op.random else []
        res = op.fn(*rng, *vals, **attrs)
        if RECORDERS:
            wrapped = _wrap(res, ctx, kind.traced_type, out)
            RECORDERS[-1](op, inputs, attrs, wrapped)
            return wrapped
        return _wrap(res, ctx, kind.traced_type, out)
    rng = [_draw_key(op, attrs)] if op.random else []
    if ctx is None:
        ctx = as_context(ctx_arg)
        fwd = op.forward(key)
        if ctx.jax_device != _default_device():  # the executables are the default device's
            fwd = getattr(fwd, "jit", fwd)
        with jax.default_device(ctx.jax_device):
            res = fwd(*rng, *vals)
        return _wrap(res, ctx, NDArray, out)
    if STATE.recording and tracked and op.differentiable:
        diff = tuple(i for i in tracked if _is_float(vals[i]))
        if diff:
            if op.remat:
                # The unrecorded call's program, and a backward program from the inputs: fewer
                # and smaller programs to compile than a forward-with-VJP (see _remat_backward).
                res = op.forward(key)(*rng, *vals)
                multi = isinstance(res, (tuple, list))
                bwd = _remat_backward(op, key, diff, rng, vals, type(res) if multi else None)
                prog = None
            elif type(op).forward_vjp is OpDef.forward_vjp:
                # forward with the VJP's residuals, and a backward program from them: both
                # named, so cached, and the node deferrable (_ResidualVjp)
                prog = op.residual_vjp(key, diff, rng, vals)
                res, leaves = prog.fwd(*rng, *vals)
                multi = isinstance(res, (tuple, list))
                if prog.container is False:
                    prog.container = type(res) if multi else None
                bwd = prog.backward(leaves)
            else:
                res, vjp = op.forward_vjp(key, diff)(*rng, *vals)
                multi = isinstance(res, (tuple, list))
                bwd = _tape.vjp_backward(vjp, type(res) if multi else None)
                prog = None
            outs = list(res) if multi else [res]
            node = _tape.Node(
                op.name,
                bwd,
                [inputs[i]._ag for i in diff],
                [(o.shape, o.dtype) for o in outs],
            )
            node.replay = (op, key, diff, rng, vals, ctx, type(res) if multi else None)
            if not op.remat and prog is not None:
                node.pure = (prog, leaves)
            wrapped = _wrap(res, ctx, kind.eager_type, out)
            for k, w in enumerate(wrapped if multi else [wrapped]):
                w._ag = _tape.OutInfo(node, k)
            return wrapped
    res = op.forward(key)(*rng, *vals)
    return _wrap(res, ctx, kind.eager_type, out)


def _wrap(res: Any, ctx: Context | None, cls: type, out: Any) -> Any:
    if isinstance(res, (tuple, list)):
        if out is not None:
            for o, r in zip(out, res):
                o._set_value(r)
            return out
        return [cls(r, ctx) for r in res]
    if out is not None:
        out._set_value(res)
        return out
    return cls(res, ctx)


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call operator ``name``: ``call('FullyConnected', x, w, b, num_hidden=3)``."""
    return invoke(get_op(name), args, kwargs)


def make_function(name: str) -> Callable[..., Any]:
    """The public ``mx.nd.<name>`` function for a registered operator."""
    op = get_op(name)

    def f(*args: Any, **kwargs: Any) -> Any:
        return invoke(op, args, kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = op.fn.__doc__
    return f


set_op_caller(call)
_lazy._REG[0] = sys.modules[__name__]
