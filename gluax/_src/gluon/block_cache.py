"""A hybridized block's programs, and their identity in gluax's executable cache.

A hybridized call runs one of two kinds of program per input signature:

* unrecorded (inference, or nothing to differentiate): ``(params, aux, inputs, key, valid) ->
  (outputs, new aux)``;
* recorded (under ``autograd.record()``): a forward that also returns the VJP's residual
  arrays, flattened, and a separate backward ``(residuals, output cotangents) -> gradients``.
  The backward is its own program (and a deferred backward's plan traces it inline), so it can
  be kept and loaded like the forward.

**When they are cached.** JAX's persistent cache keys a program by its lowered text, so a hit
there still traces and lowers the whole network in every process (resnet18: ~1 s of its
first hybridized training step). gluax's executable cache skips both, but needs a key that
names what the program computes without tracing it. ``structure_id`` gives one only for a
block tree made entirely of gluax's own classes (the model zoo, ``nn.HybridSequential`` of
gluax layers): their ``hybrid_forward`` code is in the sources that every key fingerprints,
and everything else a trace reads is in the key: each block's class and every attribute
(which must all be plain constants: numbers, strings, tuples, dicts of them, dtypes), each
parameter's shape, dtype and whether it is differentiated, the input tree, the differentiated
inputs, the training flag, the array mode, and (added by ``TreeJit``) the avals of every
array argument. A block tree with a user-defined class, a forward hook, or an attribute that
is not a plain constant (a Python function: ``HybridLambda``) is not cached: its program is
user Python that no key computed without tracing can be shown to capture, and it goes
through ``jax.jit`` and JAX's cache as before.
"""

from __future__ import annotations

import hashlib
import weakref
from typing import Any, NamedTuple

import jax
import numpy as np

from gluax._src.engine import compile_cache as _cc

# Attributes of Block/HybridBlock that hold run-time state (caches, counters, names, the
# parameter dict and child registry, which are described separately), not what the forward
# computes.
_RUNTIME = frozenset(
    {
        "_prefix", "_name", "_params", "_scope", "_children", "_reg_params", "_empty_prefix",
        "_forward_hooks", "_forward_pre_hooks", "_active", "_flags", "_bucketing", "_checking",
        "_jit_fwd", "_jit_vjp", "_param_items", "_uses_rng", "_compile_sigs", "_trees",
        "_none_inputs", "_plan_cache", "_last_call", "_real_shape_cache", "_checked",
        "_initialized", "_warned_recompiles", "_struct_id", "_progs", "_last_exe",
        "_direct", "_fused_cached", "_bn_cache",
    }
)  # fmt: skip


def _plain(v: Any) -> bool:
    """Whether ``repr(v)`` says all of ``v``, the same in every process."""
    if v is None or isinstance(v, (bool, int, float, str, np.dtype)):
        return True
    if isinstance(v, (tuple, list)):
        return all(_plain(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _plain(x) for k, x in v.items())
    return isinstance(v, type) and v.__module__ in ("numpy", "builtins")  # np.float32, float


def _gluax_class(cls: type) -> bool:
    return all(c.__module__.startswith("gluax.") for c in cls.__mro__ if c is not object)


def structure_id(block: Any) -> str | None:
    """What ``block``'s traced forward depends on besides its array arguments, as a hash; None
    when it cannot be named without tracing (see the module docstring)."""
    from gluax._src.gluon.block import Block
    from gluax._src.gluon.parameter import Parameter

    parts: list[Any] = []

    def visit(b: Any, path: str) -> bool:
        cls = type(b)
        if not _gluax_class(cls) or b._forward_hooks or b._forward_pre_hooks:
            return False
        attrs = []
        for k in sorted(vars(b)):
            v = vars(b)[k]
            if k in _RUNTIME or isinstance(v, Block):  # children: described below, in order
                continue
            if isinstance(v, Parameter):
                continue  # in _reg_params
            if not _plain(v):
                return False
            attrs.append((k, v))
        params = [
            (k, tuple(p.shape or ()), str(np.dtype(p.dtype)), p.grad_req == "null")
            for k, p in b._reg_params.items()
        ]
        parts.append((path, cls.__module__, cls.__qualname__, attrs, params))
        return all(visit(c, f"{path}/{name}") for name, c in b._children.items())

    if not visit(block, ""):
        return None
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def signature(leaves: list[Any]) -> tuple[Any, ...]:
    """The avals of a call's array leaves (shape, dtype, weak type), hashable."""
    try:
        return tuple([a.aval for a in leaves])  # jax arrays: ~0.25 us each
    except AttributeError:  # a numpy value among them (a bucketed call's valid length)
        return tuple(
            [
                a.aval
                if isinstance(a, jax.Array)
                else (type(a), np.shape(a), a.dtype, getattr(a, "weak_type", False))
                for a in leaves
            ]
        )


class VjpProgram:
    """A hybridized block's recorded call at one input signature: ``fwd(params, aux,
    diff_inputs, other_inputs, key, valid) -> (outputs, new_aux, residuals, [None] if it draws
    random numbers else [])`` and
    ``bwd(residuals, cotangents) -> gradients`` (of the trainable parameters in ``names``
    order, then of the differentiated inputs); ``pure(residuals)``, the node's pure backward
    for a deferred backward (``tape.Node.pure``)."""

    __slots__ = (
        "block", "diff_idx", "in_tree", "training", "names", "example", "res_tree",
        "out_tree", "fwd", "bwd", "static", "pure_fn", "__weakref__",
    )  # fmt: skip

    def __init__(
        self,
        block: Any,
        diff_idx: tuple[int, ...],
        in_tree: Any,
        training: bool,
        names: tuple[str, ...],
        args: tuple[Any, ...],
        base: str | None,
        sig: tuple[Any, ...],
        pure: Any = None,
    ) -> None:
        self.block, self.diff_idx, self.in_tree = block, diff_idx, in_tree
        self.pure_fn = pure or _block_pure(block, in_tree, training)
        self.training, self.names = training, names
        # the arguments' shapes, to trace the forward if the backward is traced in a process
        # that loaded the forward instead of tracing it
        self.example = jax.tree_util.tree_map(
            lambda a: jax.ShapeDtypeStruct(
                np.shape(a), a.dtype, weak_type=getattr(a, "weak_type", False)
            ),
            args,
        )
        self.res_tree: Any = None  # the VJP closure's structure, once traced here
        self.out_tree: Any = None
        self.static: CachedBackward | None = None
        if base is None:
            self.fwd, self.bwd = jax.jit(self._fwd), jax.jit(self._bwd)
        else:
            name = f"{base}|bwd|{_cc.avals_text(sig)}"  # the forward's avals decide it
            self.fwd = _cc.TreeJit(self._fwd, lambda: f"{base}|fwd")
            self.bwd = _cc.TreeJit(self._bwd, lambda: name)
            self.static = CachedBackward.get(name)

    def _fwd(
        self, params: Any, aux: Any, diff_vals: list[Any], other: list[Any], key: Any, valid: Any
    ) -> Any:
        block, diff_idx, pure = self.block, self.diff_idx, self.pure_fn

        def f(p: dict[str, Any], d: list[Any]) -> Any:
            full = list(other)
            for i, v in zip(diff_idx, d):
                full[i] = v
            return pure(p, aux, full, key, valid)

        outs, vjp, new_aux = jax.vjp(f, params, diff_vals, has_aux=True)
        res, self.res_tree = jax.tree_util.tree_flatten(vjp)
        self.out_tree = jax.tree_util.tree_structure(outs)
        return outs, new_aux, res, _rng_marker(block._uses_rng[self.training])

    def _bwd(self, res: list[Any], cts: list[Any]) -> list[Any]:
        if self.res_tree is None:  # the forward came from the cache: trace it for its trees
            n = len(self.block._compile_sigs)
            jax.eval_shape(lambda *a: self._fwd(*a), *self.example)  # (never a cached trace)
            del self.block._compile_sigs[n:]  # a shape pass, not a compilation
        vjp = jax.tree_util.tree_unflatten(self.res_tree, res)
        return VjpBackward(self.out_tree, self.names)(vjp, cts)

    def pure(self, res: list[Any]) -> tuple[Any, Any]:
        """(static half, arrays) of this call's backward, for ``tape.Node.pure``."""
        st = self.static
        if st is None:  # traced in this process: the VJP closure itself, as before
            return VjpBackward(self.out_tree, self.names), jax.tree_util.tree_unflatten(
                self.res_tree, res
            )
        ref = st.prog
        if ref is None or ref() is not self:
            st.prog = weakref.ref(self)
        return st, res


class VjpBackward(NamedTuple):
    """The static half of a traced hybridized call's pure backward: ``vjp, cts -> gradients of
    the trainable parameters (in order) and of the tracked inputs``; hashable and equal for
    equal structures, so a deferred backward compiles once per graph structure."""

    out_tree: Any
    names: tuple[str, ...]

    def __call__(self, vjp: Any, cts: list[Any]) -> list[Any]:
        g_params, g_inputs = vjp(jax.tree_util.tree_unflatten(self.out_tree, cts))
        return [g_params[k] for k in self.names] + list(g_inputs)


class CachedBackward:
    """The static half of a cached hybridized call's pure backward, one per program identity
    (``persist_name``: the block structure and the forward's signature), so equal for every
    block of that structure: ``(residuals, cts) -> gradients`` through the last
    ``VjpProgram`` that used it (any of them computes the same). A deferred backward's plan
    over it is cached under that name too (``tape._plan_persist_name``)."""

    __slots__ = ("persist_name", "prog")
    _ALL: dict[str, CachedBackward] = {}

    def __init__(self, name: str) -> None:
        self.persist_name, self.prog = name, None

    @classmethod
    def get(cls, name: str) -> CachedBackward:
        st = cls._ALL.get(name)
        if st is None:
            st = cls._ALL[name] = cls(name)
        return st

    def keep_alive(self) -> Any:
        """The program to keep alive while a deferred backward over it has not run (the block
        may be dropped, or re-hybridized, between ``backward()`` and ``trainer.step``)."""
        return self.prog() if self.prog is not None else None

    def __call__(self, res: list[Any], cts: list[Any]) -> list[Any]:
        prog = self.prog() if self.prog is not None else None
        if prog is None:
            raise RuntimeError(f"gluax: no live block computes {self.persist_name[:80]!r}")
        return prog._bwd(res, cts)


class FwdProgram:
    """A hybridized block's unrecorded call at one input signature: ``fwd(params, aux,
    inputs, key, valid) -> (outputs, new_aux, [None] if it draws random numbers else [])``."""

    __slots__ = ("block", "in_tree", "training", "fwd", "pure_fn")

    def __init__(
        self, block: Any, in_tree: Any, training: bool, base: str | None, pure: Any = None
    ) -> None:
        self.block, self.in_tree, self.training = block, in_tree, training
        self.pure_fn = pure or _block_pure(block, in_tree, training)
        if base is None:
            self.fwd = jax.jit(self._fwd)
        else:
            self.fwd = _cc.TreeJit(self._fwd, lambda: f"{base}|infer")

    def _fwd(self, params: Any, aux: Any, vals: list[Any], key: Any, valid: Any) -> Any:
        outs, new_aux = self.pure_fn(params, aux, vals, key, valid)
        return outs, new_aux, _rng_marker(self.block._uses_rng[self.training])


def _rng_marker(used: bool) -> list[None]:
    """Whether the program draws random numbers, as a static part of its output's structure
    (``[None]`` or ``[]``: no array to return or read), which an executable loaded from the
    cache keeps."""
    return [None] if used else []


def _block_pure(block: Any, in_tree: Any, training: bool) -> Any:
    """``(params, aux, inputs, key, valid) -> (outputs, new_aux)``: the block's Python."""

    def pure(params: Any, aux: Any, vals: list[Any], key: Any, valid: Any) -> Any:
        return block._pure(params, aux, vals, in_tree, key, training, valid)

    return pure


# ---- user code: keyed by its traced forward --------------------------------------------------
#
# A block tree with user code cannot be named without tracing it, but tracing its forward
# alone (without differentiating it, lowering it or compiling it) gives its jaxpr, which says
# everything the program computes: the key is a hash of the jaxpr's text (every operation and
# parameter, nested jaxprs included), of its constants' values, and of the JVP rule of every
# custom-JVP call in it (gluax's own CPU lowerings of pooling and grouped convolutions are
# such calls), for every pattern of zero tangents. Both programs are then built from that
# jaxpr, not from the Python again, so what is compiled and stored is exactly what the key
# names. A jaxpr holding anything whose text does not say what it does (a Python callback, a
# custom VJP's Python backward, a remat policy, an object printed by its address) gives no
# key, and the block goes through JAX's cache as before. This skips differentiating and
# lowering the network (mnv3: its forward's trace took 0.36 s where the forward-with-VJP's
# took 2.0 s, and lowering 0.7 s more).

_REFUSED = frozenset({"custom_vjp_call", "custom_vjp_call_jaxpr", "pure_callback",
                      "io_callback", "debug_callback", "custom_lin", "custom_transpose_call"})  # fmt: skip


def _array_bytes(h: Any, c: Any) -> None:
    a = np.asarray(c)
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(np.ascontiguousarray(a).tobytes())


def _param_ok(v: Any, h: Any, inner: bool) -> bool:
    jex_core = _cc.jax_core()

    if v is None or isinstance(v, (bool, int, float, complex, str, np.dtype, np.generic)):
        return True
    if type(v).__name__ == "PRNGImpl" and "jax" in type(v).__module__:
        h.update(f"prng:{v.name}".encode())  # one of JAX's registered generators, by name
        return True
    if isinstance(v, (tuple, list, frozenset)):
        return all(_param_ok(x, h, inner) for x in v)
    if isinstance(v, jex_core.ClosedJaxpr):
        for c in v.consts:
            _array_bytes(h, c)
        return _jaxpr_ok(v.jaxpr, h, inner)
    if isinstance(v, jex_core.Jaxpr):
        return _jaxpr_ok(v, h, inner)
    if isinstance(v, np.ndarray):
        _array_bytes(h, v)
        return True
    if type(v).__name__ in ("Mesh", "AbstractMesh") and "jax" in type(v).__module__:
        return " at 0x" not in repr(v)  # (a mesh is a context manager, callable, but data)
    if callable(v):
        return False
    mod = type(v).__module__ or ""
    # JAX's own parameter objects (dimension numbers, precisions, shardings, meshes): data,
    # printed in full; anything printed by its address is not
    return (mod.startswith("jax") or mod.startswith("enum")) and " at 0x" not in repr(v)


def _jaxpr_ok(jaxpr: Any, h: Any, inner: bool = False) -> bool:
    """Check every equation of ``jaxpr`` (recursively) and hash what its text leaves out."""
    import itertools

    for e in jaxpr.eqns:
        name = e.primitive.name
        if name in _REFUSED:
            return False
        for k, v in e.params.items():
            if name == "custom_jvp_call" and k == "jvp_jaxpr_fun":
                if inner:
                    continue  # a custom call inside a JVP rule is only evaluated (first order)
                n = len(e.invars) - e.params.get("num_consts", 0)
                try:
                    for zeros in itertools.product((False, True), repeat=n):
                        if all(zeros):
                            continue  # no tangent at all: the rule is not called
                        jvp, consts, out_zeros = v.call_wrapped(*zeros)
                        h.update(f"jvp{zeros}{out_zeros}{jvp}".encode())
                        for c in consts:
                            _array_bytes(h, c)
                        if not _jaxpr_ok(getattr(jvp, "jaxpr", jvp), h, True):
                            return False
                except Exception:  # noqa: BLE001 -- another JAX: no key
                    return False
                continue
            if not _param_ok(v, h, inner):
                return False
    return True


def traced_forward(
    block: Any, args: tuple[Any, ...], in_tree: Any, training: bool
) -> tuple[str, Any] | None:
    """(key, pure function built from the jaxpr) for a user block's forward at ``args``
    (params, aux, inputs, key, valid), or None when the jaxpr cannot be keyed."""
    pure = _block_pure(block, in_tree, training)
    n = len(block._compile_sigs)
    closed, shape = jax.make_jaxpr(pure, return_shape=True)(*args)
    h = hashlib.sha256(str(closed.jaxpr).encode())
    for c in closed.consts:
        _array_bytes(h, c)
    if not _jaxpr_ok(closed.jaxpr, h):
        del block._compile_sigs[n:]  # it will be traced again, and counted then
        return None
    out_tree = jax.tree_util.tree_structure(shape)
    jex_core = _cc.jax_core()

    run = jex_core.jaxpr_as_fun(closed)

    def from_jaxpr(params: Any, aux: Any, vals: list[Any], key: Any, valid: Any) -> Any:
        out = run(*jax.tree_util.tree_leaves((params, aux, vals, key, valid)))
        return jax.tree_util.tree_unflatten(out_tree, out)

    return h.hexdigest(), from_jaxpr
