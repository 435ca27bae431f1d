"""Autograd and naming semantics against MXNet 1.9.1 (tests/fixtures/core_semantics)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, nd

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "core_semantics"
N = np.load(FIX / "core_semantics.npz")
J = json.loads((FIX / "core_semantics.json").read_text())


def _var(key, req="write"):
    a = nd.array(N[key])
    a.attach_grad(grad_req=req)
    return a


def test_head_gradient():
    a = _var("head_grad_x")
    with autograd.record():
        y = a * a * 3 + a
    y.backward(nd.array(N["head_grad_h"]))
    np.testing.assert_allclose(a.grad.asnumpy(), N["head_grad_dx"], rtol=1e-6)


@pytest.mark.parametrize("req", ["add", "write"])
def test_grad_req_twice(req):
    a = _var("vec_x", req)
    for _ in range(2):
        with autograd.record():
            y = (a * a).sum()
        y.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), N[f"{req}_twice_dx"], rtol=1e-6)


def test_pause():
    a = _var("vec_x")
    with autograd.record():
        y = a * 2
        with autograd.pause():
            z = a * 10
        out = (y * z).sum()
    out.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), N["pause_dx"], rtol=1e-6)


def test_retain_graph_then_error():
    a = _var("vec_x", "add")
    with autograd.record():
        y = nd.exp(a).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), N["retain_dx"], rtol=1e-6)
    assert "retain_graph=True" in J["second_backward_error"]  # MXNet raises too
    with pytest.raises(mx.MXNetError, match="retain_graph=True"):
        y.backward()


def test_multiple_heads():
    a = _var("vec_x")
    with autograd.record():
        p, q = a * 2, a * a
    autograd.backward([p, q])
    np.testing.assert_allclose(a.grad.asnumpy(), N["heads_dx"], rtol=1e-6)


def test_autograd_grad():
    a = _var("vec_x")
    with autograd.record():
        y = a * a * a
    g = autograd.grad(y, a, head_grads=nd.array(N["grad_h"]))
    assert type(g).__name__ == J["grad_of_single_variable_returns"]
    np.testing.assert_allclose(g[0].asnumpy(), N["grad_g"], rtol=1e-6)
    np.testing.assert_array_equal(a.grad.asnumpy(), N["grad_buffer_after"])


def test_dense_gradients():
    dense = gluon.nn.Dense(4, in_units=3, activation="tanh")
    dense.initialize()
    dense.weight.set_data(nd.array(N["dense_w"]))
    dense.bias.set_data(nd.array(N["dense_b"]))
    for hybrid in (False, True):
        dense.hybridize(active=hybrid)
        x = _var("dense_x")
        with autograd.record():
            out = dense(x)
        out.backward(nd.array(N["dense_h"]))
        np.testing.assert_allclose(out.asnumpy(), N["dense_y"], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(x.grad.asnumpy(), N["dense_dx"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dense.weight.grad().asnumpy(), N["dense_dw"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dense.bias.grad().asnumpy(), N["dense_db"], rtol=1e-5, atol=1e-6)


def test_mode_flags():
    flags = {}
    flags["outside"] = [autograd.is_recording(), autograd.is_training()]
    with autograd.record():
        flags["record"] = [autograd.is_recording(), autograd.is_training()]
        with autograd.pause():
            flags["record_pause"] = [autograd.is_recording(), autograd.is_training()]
        with autograd.predict_mode():
            flags["record_predict"] = [autograd.is_recording(), autograd.is_training()]
    with autograd.record(train_mode=False):
        flags["record_false"] = [autograd.is_recording(), autograd.is_training()]
    with autograd.train_mode():
        flags["train_mode"] = [autograd.is_recording(), autograd.is_training()]
    assert flags == J["flags"]


NAMING = r'''
import json
import gluax as mx
from gluax import gluon
out = {}
a, b = gluon.nn.Dense(2), gluon.nn.Dense(2)
out["two_dense_prefixes"] = [a.prefix, b.prefix]
net = gluon.nn.HybridSequential()
with net.name_scope():
    net.add(gluon.nn.Dense(4, activation="relu"), gluon.nn.Dense(2), gluon.nn.Activation("tanh"))
out["seq_prefix"] = net.prefix
out["seq_children"] = [c.prefix for c in net._children.values()]
out["seq_params"] = list(net.collect_params().keys())

class Residual(gluon.HybridBlock):
    def __init__(self, units, downsample=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = gluon.nn.HybridSequential(prefix="")
            self.body.add(gluon.nn.Dense(units, activation="relu"), gluon.nn.Dense(units))
            self.downsample = gluon.nn.Dense(units) if downsample else None
            self.scale = self.params.get("scale", shape=(units,), init=mx.init.One())
    def hybrid_forward(self, F, x, scale):
        residual = self.downsample(x) if self.downsample else x
        return F.Activation(F.broadcast_mul(self.body(x), scale.reshape((1, -1))) + residual, act_type="relu")

res = Residual(8, downsample=True)
out["res_name"] = res.name
out["res_params"] = list(res.collect_params().keys())
out["res_structural"] = list(res._collect_params_with_prefix().keys())
out["res_select_weight"] = list(res.collect_params(".*weight").keys())
out["res_select_alt"] = list(res.collect_params(".*dense0.*|.*bias").keys())
out["res_own_params"] = list(res.params.keys())
res.initialize()
res(mx.nd.ones((2, 5)))
out["res_repr"] = repr(res)
out["seq_repr"] = repr(net)
out["param_repr"] = repr(res.scale)
print(json.dumps(out))
'''


def test_naming_in_a_fresh_process_matches_mxnet():
    """The same script as the fixture's, in a fresh process (counters start at zero)."""
    proc = subprocess.run([sys.executable, "-c", NAMING], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got == J["naming"]
