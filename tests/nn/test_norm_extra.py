"""LayerNorm, InstanceNorm, GroupNorm and BatchNormReLU against MXNet 1.9.1 fixtures
(tests/fixtures/nn_extra/), numpy, and their parameter rules."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from helpers import check_eager_vs_hybrid
from nn_extra_fixtures import case_id, cases, check_case

import gluax as mx
from gluax import autograd
from gluax.gluon import nn

NAMES = ["LayerNorm", "InstanceNorm", "GroupNorm", "BatchNormReLU"]


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
@pytest.mark.parametrize("case", cases(*NAMES), ids=case_id)
def test_matches_mxnet(case, hybrid):
    """Output, input and parameter gradients, running statistics after one recorded step and
    reprs equal MXNet's."""
    check_case(case, hybrid)


def test_fixture_covers_every_layer():
    assert {c["code"].split("(")[0].split(".")[-1] for c in cases(*NAMES)} == set(NAMES)


def test_eager_equals_hybrid(rng):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.GroupNorm(2), nn.BatchNormReLU())
    net.initialize()
    check_eager_vs_hybrid(net, rng.standard_normal((3, 4, 2)).astype(np.float32))


def test_instance_norm_channels_last_equals_channels_first(rng):
    x = rng.standard_normal((2, 3, 2, 4)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 1.5, 4).astype(np.float32), rng.uniform(-1, 1, 4).astype(np.float32)
    net = nn.InstanceNorm(axis=3, scale=True, epsilon=1e-3)
    net.initialize()
    net(mx.nd.array(x))
    net.gamma.set_data(mx.nd.array(gamma))
    net.beta.set_data(mx.nd.array(beta))
    expected = ref.instance_norm(x.transpose(0, 3, 2, 1).astype(np.float64), gamma, beta, eps=1e-3).transpose(0, 3, 2, 1)
    np.testing.assert_allclose(net(mx.nd.array(x)).asnumpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "layer, grad_reqs",
    [
        (lambda: nn.LayerNorm(), {"gamma": "write", "beta": "write"}),
        (lambda: nn.LayerNorm(center=False, scale=False), {"gamma": "null", "beta": "null"}),
        (lambda: nn.InstanceNorm(), {"gamma": "null", "beta": "write"}),  # scale=False by default
        (lambda: nn.GroupNorm(scale=False), {"gamma": "null", "beta": "write"}),
    ],
)
def test_center_and_scale_set_grad_req(layer, grad_reqs):
    net = layer()
    assert {k[len(net.prefix):]: p.grad_req for k, p in net.params.items()} == grad_reqs


def test_frozen_gamma_is_still_applied():
    # As in MXNet, scale=False only stops learning gamma; a gamma that is set still scales.
    net = nn.LayerNorm(scale=False, in_channels=2)
    net.initialize()
    net.gamma.set_data(mx.nd.array([2.0, 2.0]))
    np.testing.assert_allclose(net(mx.nd.array([[-1.0, 1.0]])).asnumpy(), [[-2.0, 2.0]], rtol=1e-4)


def test_group_norm_has_one_gamma_per_group():
    net = nn.GroupNorm(num_groups=3)
    assert net.gamma.shape == (3,) and net.beta.shape == (3,)
    net.initialize()
    net.gamma.set_data(mx.nd.array([1.0, 2.0, 3.0]))
    x = np.tile(np.array([-1.0, 1.0], np.float32), (1, 6, 1))  # every channel normalizes to -1, 1
    y = net(mx.nd.array(x)).asnumpy()
    np.testing.assert_allclose(y[0, :, 1], [1, 1, 2, 2, 3, 3], rtol=1e-4)


@pytest.mark.parametrize(
    "layer, shape, gamma_shape, alias",
    [
        (lambda: nn.LayerNorm(), (2, 5), (5,), "layernorm"),
        (lambda: nn.LayerNorm(axis=0), (2, 5), (2,), "layernorm"),
        (lambda: nn.InstanceNorm(axis=-1), (2, 3, 4), (4,), "instancenorm"),
        (lambda: nn.BatchNormReLU(), (2, 3, 4), (3,), "batchnormrelu"),
    ],
)
def test_deferred_shapes_and_names(layer, shape, gamma_shape, alias):
    net = layer()
    net.initialize()
    net.functional(mx.nd.ones(shape))  # shape-only pass
    assert net.gamma.shape == gamma_shape
    assert net.name.startswith(alias) and net.gamma.name == net.prefix + "gamma"


def test_batch_norm_relu_is_relu_of_batch_norm(rng):
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    net = nn.BatchNormReLU(in_channels=2)
    net.initialize()
    with autograd.record():
        y = net(mx.nd.array(x))
    expected = np.maximum(ref.batch_norm(x, np.ones(2), np.zeros(2), np.zeros(2), np.ones(2), eps=1e-5, fix_gamma=False, training=True), 0)
    np.testing.assert_allclose(y.asnumpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(net.running_mean.data().asnumpy(), 0.1 * x.mean(axis=(0, 2)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "layer, shape, match",
    [
        (lambda: nn.LayerNorm(axis=2), (2, 3), r"LayerNorm 'layernorm\d+': axis 2 is out of range for input shape \(2, 3\)"),
        (lambda: nn.LayerNorm(in_channels=4), (2, 3), r"LayerNorm 'layernorm\d+': expected 4 channels on axis -1, got input shape \(2, 3\)\. Set in_channels=0"),
        (lambda: nn.InstanceNorm(in_channels=2), (2, 3, 4), r"InstanceNorm 'instancenorm\d+': expected 2 channels on axis 1, got input shape \(2, 3, 4\)"),
        (lambda: nn.InstanceNorm(), (2, 3), r"InstanceNorm: expected data with at least 3 dims .*got shape \(2, 3\)"),
        (lambda: nn.GroupNorm(2), (2, 3, 4), r"GroupNorm: num_groups=2 must divide the 3 channels of data shape \(2, 3, 4\)"),
    ],
)
def test_errors(layer, shape, match):
    net = layer()
    net.initialize()
    with pytest.raises(mx.MXNetError, match=match):
        net(mx.nd.ones(shape))
