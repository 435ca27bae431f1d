"""``mx.sym.<op>(...)`` given no input at all: as in MXNet 1.9.1, every input becomes a
variable named after the node (``convolution0_data``, ``convolution0_weight``...)."""

from __future__ import annotations

import numpy as np

import gluax as mx


def test_operator_without_inputs_makes_named_variables():
    conv = mx.sym.Convolution(num_filter=2, kernel=(3, 3), name="conv")
    assert conv.list_arguments() == ["conv_data", "conv_weight", "conv_bias"]
    fc = mx.sym.FullyConnected(num_hidden=3, no_bias=True, name="fc")
    assert fc.list_arguments() == ["fc_data", "fc_weight"]
    bn = mx.sym.BatchNorm(name="bn")
    assert bn.list_arguments() == ["bn_data", "bn_gamma", "bn_beta"]
    assert bn.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert mx.sym.elemwise_add(name="add").list_arguments() == ["add_lhs", "add_rhs"]
    relu = mx.sym.relu()
    assert relu.list_arguments() == [f"{relu.name}_data"]


def test_operator_without_inputs_evaluates(rng):
    fc = mx.sym.FullyConnected(num_hidden=2, name="fc")
    x = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal((2, 4)).astype(np.float32)
    b = rng.standard_normal((2,)).astype(np.float32)
    (out,) = fc.eval(fc_data=mx.nd.array(x), fc_weight=mx.nd.array(w), fc_bias=mx.nd.array(b))
    np.testing.assert_allclose(out.asnumpy(), x @ w.T + b, rtol=1e-5, atol=1e-6)


def test_operator_given_arrays_still_runs_eagerly():
    out = mx.sym.relu(mx.nd.array([-1.0, 2.0]))
    assert isinstance(out, mx.nd.NDArray)
    np.testing.assert_array_equal(out.asnumpy(), [0.0, 2.0])
