"""LeakyReLU, PReLU, ELU, SELU, GELU, Swish against MXNet 1.9.1 and numpy."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from helpers import check_eager_vs_hybrid
from layer_fixtures import case_id, cases, check_case

import gluax as mx
from gluax.gluon import nn

NAMES = ["LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Swish"]


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
@pytest.mark.parametrize("case", cases(*NAMES), ids=case_id)
def test_matches_mxnet(case, hybrid):
    check_case(case, hybrid)


def test_fixture_covers_every_layer():
    assert {c["ctor"].split("(")[0][3:] for c in cases(*NAMES)} == set(NAMES)


def test_eager_equals_hybrid(rng):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4), nn.PReLU(in_channels=4), nn.ELU(0.7), nn.SELU(), nn.GELU(), nn.Swish(1.5), nn.LeakyReLU(0.2))
    net.initialize()
    check_eager_vs_hybrid(net, rng.standard_normal((3, 5)).astype(np.float32))


def test_selu_gradient_is_exact(rng):
    # MXNet 1.9.1's backward gives lambda * (y + alpha) for x <= 0; gluax gives the derivative.
    x = mx.nd.array(np.array([-2.0, -0.5, 0.5], np.float32))
    x.attach_grad()
    with mx.autograd.record():
        y = nn.SELU()(x)
    y.backward()
    alpha, lam = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    xn = x.asnumpy().astype(np.float64)
    np.testing.assert_allclose(x.grad.asnumpy(), np.where(xn > 0, lam, lam * alpha * np.exp(xn)), rtol=1e-6)


def test_gelu_is_the_erf_form():
    x = np.linspace(-3, 3, 13).astype(np.float32)
    np.testing.assert_allclose(nn.GELU()(mx.nd.array(x)).asnumpy(), ref.leaky_relu(x.astype(np.float64), act_type="gelu"), rtol=1e-5, atol=1e-6)


def test_prelu_parameter():
    net = nn.PReLU(in_channels=3)
    net.initialize(mx.init.Uniform(3.0))  # its own Constant(0.25) wins
    assert net.alpha.name == net.prefix + "alpha"
    np.testing.assert_array_equal(net.alpha.data().asnumpy(), [0.25, 0.25, 0.25])


def test_prelu_rejects_wrong_channel_count():
    net = nn.PReLU(in_channels=3)
    net.initialize()
    with pytest.raises(ValueError, match=r"gamma of shape \(1,\) or \(4,\) .* got gamma \(3,\) for data \(2, 4\)"):
        net(mx.nd.ones((2, 4)))


def test_leaky_relu_rejects_negative_alpha():
    with pytest.raises(ValueError, match=r"LeakyReLU: slope coefficient alpha must be no less than 0, got -0.1"):
        nn.LeakyReLU(-0.1)
