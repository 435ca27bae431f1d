"""gluax/_src/ops/extra_ops.py against MXNet 1.9.1 (tests/fixtures/ops_more): all_finite/
multi_all_finite, contrib round_ste/sign_ste/gradientmultiplier (outputs
and gradients, eager and hybridized), and the top-level sampler aliases."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import gluax as mx
from gluax import autograd
from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import OPS

_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "ops_more")
with open(os.path.join(_DIR, "ops_more.json")) as _fh:
    _FIX = json.load(_fh)
CASES, ALIASES = _FIX["cases"], _FIX["aliases"]
ARRAYS = np.load(os.path.join(_DIR, "ops_more.npz"))


def _fn(module, op):
    for part in op.split("."):
        module = getattr(module, part)
    return module


def _run(name, hybrid):
    """Output and first-input gradient of case ``name``, eagerly or through a hybridized block."""
    case = CASES[name]
    xs = [mx.nd.array(ARRAYS[f"{name}/in{i}"]) for i in range(case["n_in"])]
    attrs = case["attrs"]
    net = mx.gluon.nn.HybridLambda(lambda F, *a: _fn(F, case["op"])(*a, **attrs))
    if hybrid:
        net.hybridize()
    if case["grad"]:
        xs[0].attach_grad()
    with autograd.record():
        out = net(*xs)
    grad = None
    if case["grad"]:
        out.backward(mx.nd.array(ARRAYS[f"{name}/head"]))
        grad = xs[0].grad.asnumpy()
    return out, grad


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_extra_op_matches_mxnet(name, hybrid):
    out, grad = _run(name, hybrid)
    assert out.dtype == np.dtype(CASES[name]["out_dtype"])
    np.testing.assert_allclose(out.asnumpy(), ARRAYS[f"{name}/out"], rtol=1e-5, atol=1e-5)
    if CASES[name]["grad"]:
        np.testing.assert_allclose(grad, ARRAYS[f"{name}/grad0"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_sampler_alias_is_mxnets_operator(alias):
    spec = ALIASES[alias]
    assert OPS[alias] is OPS[spec["target"]]
    if spec["attrs"] is None:
        x = mx.nd.array(np.arange(6, dtype=np.float32).reshape(3, 2))
        out = getattr(mx.nd, alias)(x)
        # a permutation of the rows
        assert sorted(map(tuple, out.asnumpy())) == sorted(map(tuple, x.asnumpy()))
    else:
        out = getattr(mx.nd, alias)(**spec["attrs"])
    assert list(out.shape) == spec["shape"]
    assert out.dtype == np.dtype(spec["dtype"])


def test_uniform_alias_draws_in_range_and_fresh_each_call():
    a = mx.nd.uniform(low=2.0, high=3.0, shape=(50,)).asnumpy()
    b = mx.nd.random_uniform(low=2.0, high=3.0, shape=(50,)).asnumpy()
    assert a.min() >= 2.0 and a.max() < 3.0
    assert not np.array_equal(a, b)


def test_multi_all_finite_checks_the_count():
    with pytest.raises(OperatorError, match="num_arrays=3 but 2 arrays were given"):
        mx.nd.multi_all_finite(mx.nd.ones(2), mx.nd.ones(2), num_arrays=3)
