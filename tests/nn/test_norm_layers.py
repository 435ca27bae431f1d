"""BatchNorm: numbers and running statistics against MXNet 1.9.1, training-mode rules, aux
state from hybridized calls, parameters and repr."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from helpers import check_eager_vs_hybrid
from layer_fixtures import case_id, cases, check_case

import gluax as mx
from gluax import autograd
from gluax.gluon import nn


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
@pytest.mark.parametrize("case", cases("BatchNorm"), ids=case_id)
def test_matches_mxnet(case, hybrid):
    """Output, gradients, and running statistics after one recorded step equal MXNet's."""
    check_case(case, hybrid)


@pytest.fixture(scope="module")
def bn_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(3, 1), nn.BatchNorm(momentum=0.7), nn.Dense(2))
    net.initialize()
    return net


def test_eager_equals_hybrid_in_training(bn_net, rng):
    check_eager_vs_hybrid(bn_net, rng.standard_normal((4, 2, 3, 3)).astype(np.float32))


def test_eager_equals_hybrid_in_inference(bn_net, rng):
    check_eager_vs_hybrid(bn_net, rng.standard_normal((4, 2, 3, 3)).astype(np.float32), train=False)


def _bn(rng, **kwargs):
    bn = nn.BatchNorm(in_channels=3, **kwargs)
    bn.initialize()
    bn.running_mean.set_data(mx.nd.array(rng.standard_normal(3).astype(np.float32)))
    bn.running_var.set_data(mx.nd.array(rng.uniform(0.5, 2, 3).astype(np.float32)))
    return bn


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
def test_running_stats_change_only_in_training_mode(hybrid, rng):
    bn = _bn(rng, momentum=0.8)
    bn.hybridize(active=hybrid)
    x = rng.standard_normal((5, 3, 2)).astype(np.float32)
    m0, v0 = bn.running_mean.data().asnumpy(), bn.running_var.data().asnumpy()
    y = bn(mx.nd.array(x))  # inference: running statistics, nothing changes
    np.testing.assert_allclose(y.asnumpy(), ref.batch_norm(x, np.ones(3), np.zeros(3), m0, v0, eps=1e-5, fix_gamma=False), rtol=1e-5, atol=1e-5)
    with autograd.record(train_mode=False):
        bn(mx.nd.array(x))
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), m0)
    np.testing.assert_array_equal(bn.running_var.data().asnumpy(), v0)
    with autograd.record():
        y = bn(mx.nd.array(x))
    np.testing.assert_allclose(y.asnumpy(), ref.batch_norm(x, np.ones(3), np.zeros(3), m0, v0, eps=1e-5, fix_gamma=False, training=True), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.8 * m0 + 0.2 * x.mean(axis=(0, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), 0.8 * v0 + 0.2 * x.var(axis=(0, 2)), rtol=1e-5, atol=1e-6)


def test_train_mode_without_recording_updates_running_stats(rng):
    # gluax updates in the training forward (DESIGN 9); MXNet's CPU build would wait for backward.
    bn = _bn(rng)
    m0 = bn.running_mean.data().asnumpy()
    x = rng.standard_normal((4, 3)).astype(np.float32)
    with autograd.train_mode():
        bn(mx.nd.array(x))
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.9 * m0 + 0.1 * x.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_use_global_stats_never_updates(rng):
    bn = _bn(rng, use_global_stats=True)
    bn.hybridize()
    m0 = bn.running_mean.data().asnumpy()
    with autograd.record():
        bn(mx.nd.array(rng.standard_normal((4, 3)).astype(np.float32)))
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), m0)


def test_hybridized_running_stats_accumulate_over_calls(rng):
    bn = _bn(rng, momentum=0.5)
    bn.hybridize()
    m = bn.running_mean.data().asnumpy()
    for _ in range(3):
        x = rng.standard_normal((4, 3)).astype(np.float32)
        with autograd.record():
            bn(mx.nd.array(x))
        m = 0.5 * m + 0.5 * x.mean(axis=0)
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), m, rtol=1e-5, atol=1e-6)


def test_functional_view_returns_new_aux(rng):
    bn = _bn(rng)
    apply, params, aux = bn.functional()
    x = rng.standard_normal((4, 3)).astype(np.float32)
    _, new_aux = apply(params, aux, (x,), training=True)
    np.testing.assert_allclose(np.asarray(new_aux["running_mean"]), 0.9 * np.asarray(aux["running_mean"]) + 0.1 * x.mean(axis=0), rtol=1e-5, atol=1e-6)
    _, new_aux = apply(params, aux, (x,), training=False)
    assert new_aux == {}


def test_parameters():
    bn = nn.BatchNorm(center=False, scale=False, in_channels=4)
    assert [p.name[len(bn.prefix):] for p in bn.params.values()] == ["gamma", "beta", "running_mean", "running_var"]
    assert {k[len(bn.prefix):]: p.grad_req for k, p in bn.params.items()} == {"gamma": "null", "beta": "null", "running_mean": "null", "running_var": "null"}
    learned = nn.BatchNorm()
    assert learned.gamma.grad_req == "write" and learned.beta.grad_req == "write"
    assert learned.gamma.shape == (0,)


def test_in_channels_inferred_from_axis():
    bn = nn.BatchNorm(axis=-1)
    bn.initialize()
    bn(mx.nd.ones((2, 3, 5)))
    assert bn.running_var.shape == (5,)
    assert repr(bn) == "BatchNorm(axis=-1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, in_channels=5)"


def test_initial_values():
    bn = nn.BatchNorm(in_channels=2)
    bn.initialize(mx.init.Uniform(5.0))  # the global init never reaches BatchNorm's parameters
    got = {k[len(bn.prefix):]: p.data().asnumpy().tolist() for k, p in bn.params.items()}
    assert got == {"gamma": [1, 1], "beta": [0, 0], "running_mean": [0, 0], "running_var": [1, 1]}


def test_cast_float16_keeps_float32():
    bn = nn.BatchNorm(in_channels=2)
    bn.initialize()
    bn.cast("float16")
    assert bn.gamma.data().dtype == np.float32
    bn.cast("bfloat16")  # only float16 is special-cased
    assert bn.gamma.data()._value.dtype.name == "bfloat16"


def test_float16_input(rng):
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    x = rng.standard_normal((4, 3)).astype(np.float16)
    with autograd.record():
        y = bn(mx.nd.array(x, dtype="float16"))
    assert y.dtype == np.float16
    expected = ref.batch_norm(x.astype(np.float64), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), eps=1e-5, fix_gamma=False, training=True)
    np.testing.assert_allclose(y.asnumpy(), expected, rtol=2e-3, atol=2e-3)
    assert bn.running_mean.data().dtype == np.float32


def test_axis_out_of_range():
    bn = nn.BatchNorm(axis=2)
    bn.initialize()
    with pytest.raises(ValueError, match=r"BatchNorm 'batchnorm\d+': axis 2 is out of range for input shape \(4, 3\)"):
        bn(mx.nd.ones((4, 3)))


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
def test_running_stats_of_a_float16_block(hybrid, rng):
    # float16 data, float32 statistics (cast keeps BatchNorm's parameters float32): the eager
    # update (one compiled call) and the traced one agree with numpy in float32
    bn = nn.BatchNorm(in_channels=3, momentum=0.7)
    bn.initialize()
    bn.cast("float16")
    bn.hybridize(active=hybrid)
    x = rng.standard_normal((6, 3, 2)).astype(np.float16)
    with autograd.record():
        bn(mx.nd.array(x, dtype="float16"))
    mean, var = bn.running_mean.data(), bn.running_var.data()
    assert mean.dtype == np.float32 and var.dtype == np.float32
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(mean.asnumpy(), 0.3 * x32.mean(axis=(0, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var.asnumpy(), 0.7 + 0.3 * x32.var(axis=(0, 2)), rtol=1e-5)
