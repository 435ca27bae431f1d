"""Output (loss) layers against MXNet 1.9.1 (tests/fixtures/ops_extra): their backward
ignores the head gradient, which the fixtures feed at random."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from helpers import check_op

import gluax as mx
from gluax import autograd

from .mxnet_cases import check_case, names

# MXNet 1.9.1's SoftmaxActivation(mode='instance') on 3-D data takes the softmax over the
# last axis but back-propagates as if over axis 1; gluax gives the true gradient.
MXNET_GRAD_BUG = {"SoftmaxActivation"}


@pytest.mark.parametrize("name", names("output"))
def test_output_op_matches_mxnet(name):
    check_case(name, grad=name not in MXNET_GRAD_BUG)


def test_softmax_activation_instance_gradient_matches_numpy(rng):
    check_op(mx.nd.SoftmaxActivation, lambda x: ref.softmax(x, axis=-1), [(2, 3, 2)], rng)


def test_softmax_output_out_grad_multiplies_by_the_head_gradient(rng):
    x = mx.nd.array(rng.standard_normal((3, 4)).astype(np.float32))
    label = mx.nd.array([0, 2, 1])
    head = rng.standard_normal((3, 4)).astype(np.float32)
    x.attach_grad()
    with autograd.record():
        y = mx.nd.SoftmaxOutput(x, label, out_grad=True, grad_scale=2.0)
    y.backward(mx.nd.array(head))
    expected = 2.0 * (ref.softmax(x.asnumpy()) - np.eye(4)[[0, 2, 1]]) * head
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-5, atol=1e-6)


def _x(*shape):
    return mx.nd.zeros(shape)


RAISES = [
    (
        lambda: mx.nd.SoftmaxOutput(_x(3, 4), _x(3), normalization="mean"),
        r"SoftmaxOutput: normalization must be 'null', 'batch' or 'valid', got 'mean'",
    ),
    (
        lambda: mx.nd.SoftmaxOutput(_x(3, 4), _x(4)),
        r"SoftmaxOutput: label of shape \(4,\) does not match data of shape \(3, 4\); expected \(3,\)",
    ),
    (
        lambda: mx.nd.LinearRegressionOutput(_x(3, 4), _x(3)),
        r"LinearRegressionOutput: label of shape \(3,\) must have as many elements as data of shape \(3, 4\)",
    ),
    (
        lambda: mx.nd.MakeLoss(_x(3), normalization="sum"),
        r"MakeLoss: normalization must be 'null', 'batch' or 'valid', got 'sum'",
    ),
    (
        lambda: mx.nd.SoftmaxActivation(_x(3), mode="spatial"),
        r"SoftmaxActivation: mode must be 'instance' or 'channel', got 'spatial'",
    ),
    (
        lambda: mx.nd.softmax_cross_entropy(_x(3, 4), _x(3, 1)),
        r"softmax_cross_entropy: expected \(N, C\) data and \(N,\) labels, got \(3, 4\) and \(3, 1\)",
    ),
]


@pytest.mark.parametrize("call, match", RAISES)
def test_output_ops_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
