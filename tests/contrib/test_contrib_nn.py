"""gluon.contrib.nn: Concurrent, HybridConcurrent, Identity, SparseEmbedding, SyncBatchNorm and
PixelShuffle1D/2D/3D against MXNet 1.9.1 fixtures (tests/fixtures/nn_extra/), numpy, and
SyncBatchNorm's statistics across a mapped device axis."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import reference as ref
from helpers import check_eager_vs_hybrid
from nn_extra_fixtures import case_id, cases, check_case

import gluax as mx
from gluax import autograd
from gluax.gluon import nn
from gluax.gluon.contrib import nn as cnn

NAMES = ["Concurrent", "HybridConcurrent", "Identity", "SparseEmbedding", "SyncBatchNorm", "PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D"]


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
@pytest.mark.parametrize("case", cases(*NAMES), ids=case_id)
def test_matches_mxnet(case, hybrid):
    """Outputs, gradients, running statistics and reprs equal MXNet's. (MXNet itself gets
    the hybridized Identity wrong, and SyncBatchNorm's inference backward; the fixture keeps
    its eager numbers, and only the output for the latter.)"""
    check_case(case, hybrid)


def test_fixture_covers_every_layer():
    assert {c["code"].split("(")[0].split(".")[-1] for c in cases(*NAMES)} == set(NAMES)


def test_hybrid_concurrent_eager_equals_hybrid(rng):
    net = cnn.HybridConcurrent(axis=1)
    with net.name_scope():
        net.add(nn.Dense(3), cnn.Identity(), nn.Dense(2, activation="relu"))
    net.initialize()
    check_eager_vs_hybrid(net, rng.standard_normal((2, 4)).astype(np.float32))


def test_hybridized_identity_passes_the_gradient():
    net = cnn.Identity()
    net.hybridize()
    x = mx.nd.array([[1.0, 2.0]])
    x.attach_grad()
    with autograd.record():
        y = net(x)
    y.backward(mx.nd.array([[3.0, 5.0]]))
    np.testing.assert_array_equal(x.grad.asnumpy(), [[3.0, 5.0]])


def test_concurrent_rejects_outputs_that_do_not_fit():
    net = cnn.Concurrent(axis=1)
    net.add(nn.Dense(3, in_units=4), nn.Flatten(), cnn.Identity())
    net.initialize()
    with pytest.raises(mx.MXNetError, match=r"concat: input 2 has shape \(2, 2, 2\), incompatible with input 0 of shape \(2, 3\)"):
        net(mx.nd.ones((2, 2, 2)))


@pytest.mark.parametrize(
    "layer, shape, factors",
    [
        (lambda: cnn.PixelShuffle1D(3), (2, 6, 2), (3,)),
        (lambda: cnn.PixelShuffle2D((2, 3)), (1, 12, 2, 1), (2, 3)),
        (lambda: cnn.PixelShuffle3D((1, 2, 3)), (1, 12, 1, 2, 2), (1, 2, 3)),
    ],
)
def test_pixel_shuffle_matches_numpy_and_routes_gradients(layer, shape, factors, rng):
    net = layer()
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    xx = mx.nd.array(x)
    xx.attach_grad()
    with autograd.record():
        y = net(xx)
    np.testing.assert_array_equal(y.asnumpy(), ref.pixel_shuffle(x, factors))
    head = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(mx.nd.array(head))
    # x holds its own flat indices: each output position sends its head gradient to that index
    np.testing.assert_array_equal(xx.grad.asnumpy().ravel()[y.asnumpy().ravel().astype(int)], head.ravel())


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: cnn.PixelShuffle2D((2, 2, 2)), r"PixelShuffle2D: factor must be an int or 2 ints, got \(2, 2, 2\)"),
        (lambda: cnn.PixelShuffle3D(0), r"PixelShuffle3D: factors must be positive, got 0"),
    ],
)
def test_pixel_shuffle_bad_factor(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_pixel_shuffle_rejects_wrong_channels():
    with pytest.raises(mx.MXNetError, match=r"PixelShuffle2D 'pixelshuffle2d\d+': expected 4-D input with channels divisible by 2 \* 2 = 4, got shape \(1, 6, 2, 2\)"):
        cnn.PixelShuffle2D(2)(mx.nd.ones((1, 6, 2, 2)))


def test_sync_batch_norm_defaults():
    bn = cnn.SyncBatchNorm(prefix="s_")
    assert repr(bn) == "SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, ndev=1, key='s_', in_channels=None)"
    assert cnn.SyncBatchNorm(4).gamma.shape == (4,)  # in_channels comes first
    assert isinstance(bn, nn.BatchNorm)


def test_sync_batch_norm_reduces_statistics_over_the_device_axis(rng):
    """Two 'devices' (a vmapped axis) with half the batch each normalize with, and update the
    running statistics from, the statistics of the whole batch."""
    x = rng.standard_normal((6, 3, 2)).astype(np.float32)
    net = cnn.SyncBatchNorm(in_channels=3, momentum=0.5, axis_name="dev")
    net.initialize()
    apply, params, aux = net.functional()
    per_device = jax.jit(jax.vmap(lambda xd: apply(params, aux, (xd,), training=True), axis_name="dev"))
    out, new_aux = per_device(x.reshape(2, 3, 3, 2))
    expected = ref.batch_norm(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), eps=1e-5, fix_gamma=False, training=True)
    np.testing.assert_allclose(np.asarray(out).reshape(x.shape), expected, rtol=1e-5, atol=1e-5)
    for device in range(2):
        np.testing.assert_allclose(np.asarray(new_aux["running_mean"][device]), 0.5 * x.mean(axis=(0, 2)), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(new_aux["running_var"][device]), 0.5 + 0.5 * x.var(axis=(0, 2)), rtol=1e-5, atol=1e-6)


def test_sparse_embedding_is_a_dense_embedding(rng):
    net = cnn.SparseEmbedding(5, 2)
    net.initialize()
    weight = rng.standard_normal((5, 2)).astype(np.float32)
    net.weight.set_data(mx.nd.array(weight))
    idx = np.array([[0, 4], [4, 1]], np.float32)
    with autograd.record():
        y = net(mx.nd.array(idx))
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), weight[idx.astype(int)])
    np.testing.assert_array_equal(net.weight.grad().asnumpy()[:, 0], [1, 1, 0, 0, 2])
