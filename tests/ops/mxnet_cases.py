"""Operator cases recorded from MXNet 1.9.1 (``tests/fixtures/ops_extra``): each case is run
eagerly under ``autograd.record()``, backward with MXNet's head gradient, and traced as in a
hybridized block; outputs, output dtypes and input gradients are compared with MXNet's.

An eager call already runs the operator compiled (the registry jits every operator), so the
traced run uses ``jax.eval_shape``: it takes the hybridized code path (tracers in, ``Symbol``
out) and checks shapes and dtypes without compiling a second time; the suite stays fast.
"""

from __future__ import annotations

import json
import os
from typing import Any

import jax
import numpy as np
import pytest

import gluax as mx
from gluax import autograd
from gluax._src.engine.base import MXNetError
from gluax._src.engine.ndarray import NDArray

_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "ops_extra")
with open(os.path.join(_DIR, "ops_extra.json")) as _fh:
    _META = json.load(_fh)
_ARRAYS = np.load(os.path.join(_DIR, "ops_extra.npz"))
# jax runs without 64-bit types: MXNet's int64/float64 results come back as int32/float32.
_NARROW = {"int64": "int32", "float64": "float32"}


def names(family: str) -> list[str]:
    """The names of the recorded cases of one operator family."""
    return sorted(k for k, v in _META["cases"].items() if v["family"] == family)


def error_names(family: str) -> list[str]:
    """The names of the recorded calls MXNet rejects, for one operator family."""
    return sorted(k for k, v in _META["errors"].items() if v["family"] == family)


def _attrs(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in meta["attrs"].items()}


def _inputs(name: str, n: int) -> list[np.ndarray]:
    return [_ARRAYS[f"{name}/in{i}"] for i in range(n)]


def _as_list(res: Any) -> list[Any]:
    return list(res) if isinstance(res, (list, tuple)) else [res]


def _compare(
    got: list[np.ndarray], name: str, meta: dict[str, Any], rtol: float, atol: float, what: str
) -> None:
    assert len(got) == meta["n_out"], (
        f"{name} ({what}): {len(got)} outputs, MXNet gives {meta['n_out']}"
    )
    for k, g in enumerate(got):
        exp = _ARRAYS[f"{name}/out{k}"]
        dt = meta["out_dtypes"][k]
        assert np.dtype(g.dtype).name == _NARROW.get(dt, dt), (
            f"{name} ({what}) output {k}: dtype {g.dtype} vs MXNet {dt}"
        )
        assert g.shape == exp.shape, (
            f"{name} ({what}) output {k}: shape {g.shape} vs MXNet {exp.shape}"
        )
        np.testing.assert_allclose(
            g.astype(np.float64),
            exp.astype(np.float64),
            rtol=rtol,
            atol=atol,
            err_msg=f"{name} ({what}) output {k}",
        )


def check_case(
    name: str,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    grad_rtol: float | None = None,
    grad_atol: float | None = None,
    compiled: bool = True,
    grad: bool = True,
) -> None:
    """Run MXNet case ``name`` eagerly (recorded), traced (unless ``compiled=False``: the
    output shape depends on values), and backward;
    compare with MXNet's outputs and (unless ``grad=False``: MXNet's gradient is wrong)
    its gradients."""
    meta = _META["cases"][name]
    op = getattr(mx.nd, meta["gluax"])
    attrs = _attrs(meta)
    xs = _inputs(name, meta["n_in"])
    nds = [mx.nd.array(x, dtype=x.dtype) for x in xs]
    # With gradients, the recorded call is the eager run (one compilation fewer per case).
    for i in meta["grad"]:
        nds[i].attach_grad()
    with autograd.record():
        res = op(*nds, **attrs)
    assert isinstance(res, (list, tuple)) == meta["list_out"], (
        f"{name}: list output differs from MXNet"
    )
    outs = _as_list(res)
    _compare([r.asnumpy() for r in outs], name, meta, rtol, atol, "eager")

    def traced(*vals: Any) -> Any:
        return [r._value for r in _as_list(op(*[NDArray(v) for v in vals], **attrs))]

    if compiled:
        shapes = jax.eval_shape(traced, *[n._value for n in nds])
        got = [(tuple(s.shape), np.dtype(s.dtype).name) for s in shapes]
        exp = [
            (tuple(_ARRAYS[f"{name}/out{k}"].shape), _NARROW.get(dt, dt))
            for k, dt in enumerate(meta["out_dtypes"])
        ]
        assert got == exp, f"{name} (traced): {got} vs MXNet {exp}"
    if not meta["grad"] or not grad:
        return
    heads = [_ARRAYS[f"{name}/head{k}"] for k in range(meta["n_out"])]
    float_outs = [(o, h) for o, h in zip(outs, heads) if h.dtype.kind == "f"]
    autograd.backward(
        [o for o, _ in float_outs], [mx.nd.array(h, dtype=h.dtype) for _, h in float_outs]
    )
    for i in meta["grad"]:
        exp = _ARRAYS[f"{name}/grad{i}"]
        np.testing.assert_allclose(
            nds[i].grad.asnumpy(),
            exp,
            rtol=grad_rtol or max(rtol, 1e-5),
            atol=grad_atol or max(atol, 1e-5),
            err_msg=f"{name}: gradient of input {i}",
        )


def check_error(name: str, match: str) -> None:
    """MXNet rejects this call; gluax must raise an ``MXNetError`` matching ``match``."""
    meta = _META["errors"][name]
    op = getattr(mx.nd, meta["gluax"])
    nds = [mx.nd.array(x, dtype=x.dtype) for x in _inputs(name, meta["n_in"])]
    with pytest.raises(MXNetError, match=match):
        op(*nds, **_attrs(meta))
