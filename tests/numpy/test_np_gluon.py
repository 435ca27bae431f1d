"""Gluon in numpy mode: layers, losses, metrics, initializers, Trainer and parameter files take
and return np.ndarray; forward written with np/npx runs eagerly and hybridized with the same
numbers; mx.util.use_np turns the mode on for a class."""

from __future__ import annotations

import numpy as onp
import pytest

import gluax as mx
from gluax import autograd, gluon, np, npx
from gluax.gluon import nn


@pytest.fixture(autouse=True)
def _np_mode():
    npx.set_np()
    yield
    npx.reset_np()


class NpBlock(nn.HybridBlock):
    """forward with np/npx and F.np/F.npx side by side."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = nn.Dense(4, in_units=3)
        self.norm = nn.LayerNorm(in_channels=4)

    def hybrid_forward(self, F, x):
        h = self.norm(self.dense(x))
        h = F.npx.relu(h) + F.np.tanh(h).mean(axis=1, keepdims=True)
        return npx.softmax(F.np.concatenate([h, h * 2], axis=1)).sum(axis=-1) + x.T[0]


def test_np_block_eager_equals_hybridized_with_gradients():
    x = np.array(onp.random.RandomState(0).randn(5, 3).astype("float32"))
    net = NpBlock()
    net.initialize(mx.init.Xavier())
    grads = []
    outs = []
    for hybrid in (False, True):
        if hybrid:
            net.hybridize()
        with autograd.record():
            y = net(x)
        y.backward()
        assert isinstance(y, np.ndarray) and y.shape == (5,)
        outs.append(y.asnumpy())
        grads.append(net.dense.weight.grad().asnumpy().copy())
    onp.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)


def test_losses_metrics_and_parameter_files(tmp_path):
    net = nn.Dense(3, in_units=4)
    net.initialize(mx.init.Normal(0.1))
    assert isinstance(net.weight.data(), np.ndarray)
    x, y = np.random.uniform(size=(6, 4)), np.array([0, 1, 2, 0, 1, 2])
    for loss in (gluon.loss.SoftmaxCrossEntropyLoss(), gluon.loss.L2Loss(), gluon.loss.L1Loss()):
        target = y if isinstance(loss, gluon.loss.SoftmaxCrossEntropyLoss) else np.ones((6, 3))
        out = loss(net(x), target)
        assert isinstance(out, np.ndarray) and out.shape == (6,)
    acc = mx.metric.Accuracy()
    acc.update(y, net(x))
    assert 0 <= acc.get()[1] <= 1
    f = str(tmp_path / "net.params")
    net.save_parameters(f)
    other = nn.Dense(3, in_units=4)
    other.load_parameters(f)
    assert isinstance(other.weight.data(), np.ndarray)
    onp.testing.assert_array_equal(other.weight.data().asnumpy(), net.weight.data().asnumpy())
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    before = net.weight.data().asnumpy().copy()
    with autograd.record():
        l = gluon.loss.SoftmaxCrossEntropyLoss()(net(x), y)
    l.backward()
    trainer.step(6)
    assert isinstance(net.weight.data(), np.ndarray)
    assert not onp.allclose(before, net.weight.data().asnumpy())


def test_use_np_decorator_turns_the_mode_on():
    npx.reset_np()

    @mx.util.use_np
    class Net(nn.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = nn.Dense(2, in_units=2)

        def forward(self, x):
            return np.tanh(self.dense(x))

    net = Net()
    net.initialize()
    assert not npx.is_np_array()
    out = net(np.ones((1, 2)))
    assert isinstance(out, np.ndarray) and isinstance(net.dense.weight.data(), np.ndarray)
