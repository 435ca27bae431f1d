"""Test helpers: operator checks against numpy references and eager-vs-hybrid comparison."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import numpy as np

import gluax as mx
from gluax import autograd
from gluax._src.engine.ndarray import NDArray


def to_np(x: Any) -> Any:
    if isinstance(x, NDArray):
        return x.asnumpy()
    if isinstance(x, (list, tuple)):
        return [to_np(v) for v in x]
    return x


def _inputs(shapes: Sequence[Any], rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for s in shapes:
        if isinstance(s, np.ndarray):
            out.append(s)
        else:
            out.append(rng.uniform(-1.0, 1.0, size=s).astype(np.float32))
    return out


def check_op(
    op: Callable[..., Any],
    reference: Callable[..., Any],
    shapes: Sequence[Any],
    rng: np.random.Generator | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    grad: bool = True,
    grad_rtol: float = 1e-2,
    grad_atol: float = 1e-3,
    **attrs: Any,
) -> None:
    """Run ``op`` eagerly and under ``jax.jit`` on random inputs of ``shapes`` (or given
    arrays) and compare with ``reference`` (a numpy function of the same inputs and attrs).
    With ``grad``, compare the recorded gradient of ``sum(out * w)`` along a random direction
    with a central finite difference of the float64 reference."""
    rng = rng or np.random.default_rng(0)
    xs = _inputs(shapes, rng)
    expected = reference(*[x.astype(np.float64) if x.dtype == np.float32 else x for x in xs], **attrs)
    nds = [mx.nd.array(x, dtype=x.dtype) for x in xs]
    got = op(*nds, **attrs)
    _assert_close(to_np(got), expected, rtol, atol, "eager")

    def traced(*vals: Any) -> Any:
        res = op(*[NDArray(v) for v in vals], **attrs)
        return [r._value for r in res] if isinstance(res, (list, tuple)) else res._value

    compiled = jax.jit(traced)(*[n._value for n in nds])
    _assert_close(np.asarray(compiled) if not isinstance(compiled, list) else [np.asarray(c) for c in compiled], expected, rtol, atol, "compiled")
    if not grad:
        return
    float_idx = [i for i, x in enumerate(xs) if x.dtype.kind == "f"]
    outs = expected if isinstance(expected, list) else [expected]
    ws = [rng.standard_normal(np.shape(o)) for o in outs]
    for n in nds:
        n.attach_grad()
    with autograd.record():
        res = op(*nds, **attrs)
        res_l = res if isinstance(res, (list, tuple)) else [res]
        loss = None
        for r, w in zip(res_l, ws):
            term = (r * mx.nd.array(w)).sum()
            loss = term if loss is None else loss + term
    loss.backward()
    for i in float_idx:
        d = rng.standard_normal(xs[i].shape)
        analytic = float((nds[i].grad.asnumpy().astype(np.float64) * d).sum())
        eps = 1e-4

        def f(t: float) -> float:
            args = [x.astype(np.float64) if x.dtype == np.float32 else x for x in xs]
            args[i] = args[i] + t * d
            r = reference(*args, **attrs)
            r = r if isinstance(r, list) else [r]
            return float(sum((np.asarray(a) * w).sum() for a, w in zip(r, ws)))

        numeric = (f(eps) - f(-eps)) / (2 * eps)
        assert np.isclose(analytic, numeric, rtol=grad_rtol, atol=grad_atol), (
            f"gradient of input {i}: autograd {analytic} vs finite difference {numeric}"
        )


def _assert_close(got: Any, expected: Any, rtol: float, atol: float, what: str) -> None:
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{what}: output count"
        for g, e in zip(got, expected):
            _assert_close(g, e, rtol, atol, what)
        return
    expected = np.asarray(expected)
    assert np.shape(got) == expected.shape, f"{what}: shape {np.shape(got)} vs {expected.shape}"
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected.astype(np.float64), rtol=rtol, atol=atol, err_msg=what)


def _snapshot(net: Any) -> dict[str, Any]:
    return {k: p.data().asnumpy().copy() for k, p in net._collect_params_with_prefix().items()}


def _grads(net: Any) -> dict[str, Any]:
    return {k: p.grad().asnumpy().copy() for k, p in net._collect_params_with_prefix().items() if p.grad_req != "null"}


def check_eager_vs_hybrid(net: Any, *inputs: Any, rtol: float = 1e-5, atol: float = 1e-6, train: bool = True) -> None:
    """Compare outputs, input and parameter gradients and aux state of ``net`` eagerly and
    hybridized (one recorded forward + backward each, from the same starting state), and
    check that a second hybridized call with the same shapes does not retrace."""
    inputs = [mx.nd.array(x) if not isinstance(x, NDArray) else x for x in inputs]
    float_inputs = [x for x in inputs if x.dtype == np.float32]
    net.hybridize(active=False)
    with autograd.pause():
        net(*inputs)  # finish deferred initialization
    start = _snapshot(net)
    results = []
    for hybrid in (False, True):
        for k, p in net._collect_params_with_prefix().items():
            p.set_data(mx.nd.array(start[k], dtype=start[k].dtype))
        net.hybridize(active=hybrid)
        for x in float_inputs:
            x.attach_grad()
        with autograd.record(train_mode=train):
            out = net(*inputs)
        outs = out if isinstance(out, (list, tuple)) else [out]
        head_grads = [mx.nd.array(np.linspace(-1, 1, o.size).reshape(o.shape).astype(np.float32)) for o in outs]
        autograd.backward(list(outs), head_grads)
        results.append((to_np(outs), [x.grad.asnumpy() for x in float_inputs], _grads(net), _snapshot(net)))
    (o0, ig0, pg0, s0), (o1, ig1, pg1, s1) = results
    for a, b in zip(o0, o1):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg="outputs")
    for a, b in zip(ig0, ig1):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg="input gradients")
    for k in pg0:
        np.testing.assert_allclose(pg1[k], pg0[k], rtol=rtol, atol=atol, err_msg=f"gradient of {k}")
    for k in s0:
        np.testing.assert_allclose(s1[k], s0[k], rtol=rtol, atol=atol, err_msg=f"state of {k}")
    count = net.compile_count
    with autograd.record(train_mode=train):
        net(*inputs)
    assert net.compile_count == count, "a second call with the same shapes retraced"
    net.hybridize(active=False)


def run_with_cache(script: str, cache: Any, fingerprint: Any, timeout: int = 300) -> Any:
    """Run ``script`` in a fresh interpreter whose compilation cache is ``cache`` (and whose
    sources fingerprint is ``fingerprint``, so that edits elsewhere cannot make its entries
    miss); returns the JSON its last output line holds."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, GLUAX_COMPILATION_CACHE=str(cache))
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    env["_GLUAX_SOURCES_FINGERPRINT"] = str(fingerprint)
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
