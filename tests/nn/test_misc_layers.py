"""Dropout and Embedding: MXNet 1.9.1 numbers, masks per call and per seed, repr, errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check_eager_vs_hybrid
from layer_fixtures import case_id, cases, check_case

import gluax as mx
from gluax import autograd
from gluax.gluon import nn


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
@pytest.mark.parametrize("case", cases("Dropout", "Embedding"), ids=case_id)
def test_matches_mxnet(case, hybrid):
    check_case(case, hybrid)


@pytest.fixture(scope="module")
def hybrid_dropout():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(16, in_units=4), nn.Dropout(0.5))
    net.initialize(mx.init.One())
    net.hybridize()
    return net


def _masks(net, n):
    x = mx.nd.ones((8, 4))
    out = []
    for _ in range(n):
        with autograd.record():
            out.append(net(x).asnumpy() == 0)
    return out


def test_hybridized_dropout_draws_a_new_mask_each_call(hybrid_dropout):
    a, b = _masks(hybrid_dropout, 2)
    assert (a != b).any()
    assert 0.3 < a.mean() < 0.7  # 128 units, p = 0.5
    assert hybrid_dropout.compile_count == 1


def test_hybridized_dropout_repeats_after_seed(hybrid_dropout):
    mx.random.seed(42)
    first = _masks(hybrid_dropout, 2)
    mx.random.seed(42)
    second = _masks(hybrid_dropout, 2)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_hybridized_dropout_is_identity_in_inference(hybrid_dropout):
    y = hybrid_dropout(mx.nd.ones((8, 4))).asnumpy()
    np.testing.assert_array_equal(y, np.full((8, 16), 4.0))


def test_dropout_scales_kept_units_and_gradient():
    x = mx.nd.ones((20, 30))
    x.attach_grad()
    with autograd.record():
        y = nn.Dropout(0.25)(x)
    y.backward()
    yn = y.asnumpy()
    np.testing.assert_allclose(yn[yn != 0], 1 / 0.75, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), yn, rtol=1e-6)  # d(x * mask/(1-p))/dx


def test_dropout_axes_share_mask_when_hybridized():
    net = nn.Dropout(0.5, axes=(0,))
    net.hybridize()
    with autograd.record():
        y = net(mx.nd.ones((6, 40))).asnumpy()
    assert (y == y[:1]).all()


def test_dropout_repr():
    assert repr(nn.Dropout(0.3, axes=(1,))) == "Dropout(p = 0.3, axes=(1,))"


def test_embedding_eager_equals_hybrid(rng):
    net = nn.Embedding(5, 3)
    net.initialize()
    check_eager_vs_hybrid(net, np.array([[0, 4], [2, 2]], np.float32))


def test_embedding_parameter_and_dtype():
    net = nn.Embedding(7, 2, dtype="float16")
    net.initialize()
    assert net.weight.shape == (7, 2) and net.weight.data().dtype == np.float16
    assert net(mx.nd.array([1, 3])).dtype == np.float16
    assert repr(net) == "Embedding(7 -> 2, float16)"


def test_embedding_sparse_grad_gives_the_dense_gradient():
    net = nn.Embedding(4, 2, sparse_grad=True)
    net.initialize()
    with autograd.record():
        y = net(mx.nd.array([1, 1, 3]))
    y.backward()
    np.testing.assert_array_equal(net.weight.grad().asnumpy(), [[0, 0], [2, 2], [0, 0], [1, 1]])

