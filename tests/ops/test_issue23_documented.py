"""Issue 23, item 6: where gluax deliberately differs from MXNet 1.9.1 (docs/porting.md, "Numbers
that differ on purpose"): SELU's gradient for negative inputs, arcsinh's second derivative
(both checked against jax.grad, and MXNet's numbers shown to be the documented wrong formulas),
and the dtype of shape_array / size_array without x64."""

from __future__ import annotations

import json
import os

import jax
import jax.numpy as jnp
import numpy as np

import gluax as mx

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "issue23")
FX = np.load(os.path.join(HERE, "issue23.npz"))
with open(os.path.join(HERE, "issue23.json")) as _f:
    META = json.load(_f)

ALPHA = 1.6732632423543772848170429916717
LAMBDA = 1.0507009873554804934193349852946


def _selu(x):
    return LAMBDA * jnp.where(x > 0, x, ALPHA * (jnp.exp(x) - 1))


def test_selu_gradient_is_the_true_one_where_mxnet_differs():
    x = mx.nd.array(FX["x6"])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.LeakyReLU(x, act_type="selu")
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), FX["selu_y"], rtol=1e-6)  # forward agrees
    true = np.asarray(jax.vmap(jax.grad(_selu))(jnp.asarray(FX["x6"])))
    np.testing.assert_allclose(x.grad.asnumpy(), true, rtol=1e-6)
    # MXNet 1.9.1 computes lambda * (alpha + y) for negative inputs, y + lambda * alpha is right.
    neg = FX["x6"] < 0
    y_mx = FX["selu_y"]
    np.testing.assert_allclose(FX["selu_dx"][neg], (LAMBDA * (ALPHA + y_mx))[neg], rtol=1e-5)
    np.testing.assert_allclose(FX["selu_dx"][~neg], true[~neg], rtol=1e-6)
    assert not np.allclose(FX["selu_dx"][neg], true[neg], rtol=1e-3)


def test_arcsinh_second_derivative_is_the_true_one_where_mxnet_flips_its_sign():
    x = mx.nd.array(FX["x6"])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.arcsinh(x)
        g = mx.autograd.grad(y, [x], create_graph=True)[0]
    g.backward()
    d2 = np.asarray(jax.vmap(jax.grad(jax.grad(jnp.arcsinh)))(jnp.asarray(FX["x6"])))
    np.testing.assert_allclose(g.asnumpy(), FX["arcsinh_d1"], rtol=1e-6)  # first derivative agrees
    np.testing.assert_allclose(x.grad.asnumpy(), d2, rtol=1e-5)
    np.testing.assert_allclose(FX["arcsinh_d2"], -d2, rtol=1e-5)  # MXNet: the opposite sign


def test_shape_array_and_size_array_dtype_without_x64():
    x = mx.nd.ones((2, 3))
    assert META["shape_array_dtype"] == META["size_array_dtype"] == "int64"
    want = "int64" if jax.config.jax_enable_x64 else "int32"
    assert np.dtype(mx.nd.shape_array(x).dtype).name == want
    assert np.dtype(mx.nd.size_array(x).dtype).name == want
    np.testing.assert_array_equal(mx.nd.shape_array(x).asnumpy(), [2, 3])
    np.testing.assert_array_equal(mx.nd.size_array(x).asnumpy(), [6])
