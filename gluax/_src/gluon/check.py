"""``hybridize(check=True)``: run the first compiled call of each input signature beside an
eager run of the same block, on the same inputs, parameters and random key, and name the first
child block whose outputs differ (then outputs, aux state and parameter gradients)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine import random as _random
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.state import STATE
from gluax._src.engine.tape import VarInfo
from gluax._src.gluon.diagnostics import HybridizeError
from gluax._src.gluon.parameter import ParamScope

DEFAULT_TOL = (1e-4, 1e-5)  # (rtol, atol): float32 round-off of reordered XLA fusions


class HybridizeMismatch(HybridizeError):
    """A hybridized block computes something different from its eager run."""


def _descendants(block: Any, path: str = "") -> list[tuple[str, Any]]:
    out = []
    for name, child in block._children.items():
        p = f"{path}.{name}" if path else name
        out.append((p, child))
        out.extend(_descendants(child, p))
    return out


def _leaves(tree: Any) -> list[Any]:
    return [
        x._value if isinstance(x, NDArray) else x
        for x in jax.tree_util.tree_leaves(tree, is_leaf=lambda v: isinstance(v, NDArray))
    ]


def _hooked(block: Any, log: list[tuple[str, list[Any]]]) -> list[Any]:
    handles = []
    for path, child in _descendants(block):
        handles.append(
            child.register_forward_hook(lambda b, a, o, path=path: log.append((path, _leaves(o))))
        )
    return handles


def _heads(outs: list[Any]) -> list[Any]:
    return [jnp.linspace(-1.0, 1.0, o.size, dtype=o.dtype).reshape(o.shape) for o in outs]


def check_equivalence(
    block: Any,
    params: dict[str, Any],
    aux: dict[str, Any],
    vals: list[Any],
    tree: Any,
    key: Any,
    training: bool,
) -> None:
    rtol, atol = block._flags.get("check_tol", DEFAULT_TOL)
    lookup = dict(block._params_list())
    n_sigs = len(block._compile_sigs)

    # ---- compiled: child outputs come back as extra outputs of one jitted probe -----------
    paths: list[str] = []

    def probe(p: dict[str, Any], a: dict[str, Any], xs: list[Any], k: Any) -> Any:
        log: list[tuple[str, list[Any]]] = []
        handles = _hooked(block, log)
        try:
            out, new_aux = block._pure(p, a, xs, tree, k, training)
        finally:
            for h in handles:
                h.detach()
        paths[:] = [path for path, _ in log]
        return out, new_aux, [v for _, vs in log for v in vs], [len(vs) for _, vs in log]

    (c_out, c_aux, c_children, _), vjp = _probe_vjp(probe, params, aux, vals, key)
    c_outs = jax.tree_util.tree_leaves(c_out)
    c_grads = vjp(_heads(c_outs)) if params else {}
    del block._compile_sigs[n_sigs:]

    # ---- eager: the same inputs, parameters and key, recorded on the tape --------------------
    values: dict[Any, NDArray] = {}
    for k, v in list(params.items()) + list(aux.items()):
        arr = NDArray(v)
        if k in params:
            arr._ag = VarInfo("write", NDArray(jnp.zeros_like(v)))
        values[lookup[k]] = arr
    log: list[tuple[str, list[Any]]] = []
    handles = _hooked(block, log)
    active = [(b, b._active) for _, b in _descendants(block) if hasattr(b, "_active")]
    for b, _ in active:
        b._active = False  # children run eagerly too, not through their own compiled calls
    saved = (STATE.recording, STATE.training)
    STATE.key_sources.append(_random.TraceKeySource(key))
    STATE.recording, STATE.training = True, training
    try:
        with ParamScope(values) as scope:
            args = jax.tree_util.tree_unflatten(
                tree, [None if v is None else NDArray(v) for v in vals]
            )
            e_out = block._forward_inline(tuple(args))
            e_outs_nd = [
                x
                for x in jax.tree_util.tree_leaves(e_out, is_leaf=lambda v: isinstance(v, NDArray))
            ]
            if params:
                from gluax._src.engine.autograd import backward

                backward(e_outs_nd, [NDArray(h) for h in _heads([o._value for o in e_outs_nd])])
    finally:
        STATE.recording, STATE.training = saved
        STATE.key_sources.pop()
        for h in handles:
            h.detach()
        for b, was in active:
            b._active = was
    name = f"{type(block).__name__} '{block.name}'"

    # ---- compare: children first (in the order they finished), then outputs, aux, grads -----
    pos = 0
    for path, e_vals in log:
        for i, e in enumerate(e_vals):
            if pos >= len(c_children):
                break
            _compare(
                name,
                f"child '{path}' ({type(_child(block, path)).__name__} '{_child(block, path).name}'), output {i}",
                e,
                c_children[pos],
                rtol,
                atol,
            )
            pos += 1
    for i, (e, c) in enumerate(zip(e_outs_nd, c_outs)):
        _compare(name, f"output {i}", e._value, c, rtol, atol)
    for k, p in lookup.items():
        if p in scope.written and k in c_aux:
            _compare(name, f"aux state '{k}'", values[p]._value, c_aux[k], rtol, atol)
    for k in params:
        _compare(
            name, f"gradient of '{k}'", values[lookup[k]]._ag.grad._value, c_grads[k], rtol, atol
        )


def _probe_vjp(
    probe: Any, params: dict[str, Any], aux: dict[str, Any], vals: list[Any], key: Any
) -> Any:
    def f(p: dict[str, Any]) -> Any:
        out, new_aux, children, counts = probe(p, aux, vals, key)
        return jax.tree_util.tree_leaves(out), (out, new_aux, children, counts)

    jf = jax.jit(lambda p: jax.vjp(f, p, has_aux=True))
    _, vjp, res = jf(params)
    return res, (lambda cts: vjp(cts)[0])


def _child(block: Any, path: str) -> Any:
    b = block
    for part in path.split("."):
        b = b._children[part]
    return b


def _compare(name: str, what: str, eager: Any, compiled: Any, rtol: float, atol: float) -> None:
    e, c = np.asarray(eager, dtype=np.float64), np.asarray(compiled, dtype=np.float64)
    if e.shape != c.shape:
        raise HybridizeMismatch(
            f"hybridize(check=True): {name} differs between eager and compiled execution at {what}: shape {e.shape} eagerly vs {c.shape} compiled."
        )
    if not np.allclose(c, e, rtol=rtol, atol=atol, equal_nan=True):
        diff = float(np.max(np.abs(e - c)))
        raise HybridizeMismatch(
            f"hybridize(check=True): {name} differs between eager and compiled execution, first "
            f"at {what}: max |eager - compiled| = {diff:.3g} (rtol={rtol}, atol={atol}). Code "
            "that branches on `F is mx.nd`, reads arrays with .asnumpy(), or keeps Python state "
            "between calls behaves differently when compiled."
        )
