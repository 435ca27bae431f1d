"""The Trainer's first step: optimizer states whose ``init`` only fills constants are made on
the host (no program compiled), equal to the compiled ``init``; and the update's small
per-step inputs kept on the device follow every change of their values."""

from __future__ import annotations

import jax
import numpy as np
import optax
import pytest

import gluax as mx
from gluax import autograd, gluon, nd


def _trainer(opt, kw):
    net = gluon.nn.Dense(3, in_units=2)
    net.initialize(mx.init.Xavier())
    return net, gluon.Trainer(net.collect_params(), opt, kw)


@pytest.mark.parametrize(
    "opt,kw",
    [("sgd", {"momentum": 0.9}), ("adam", {}), ("rmsprop", {}), ("adagrad", {}),
     (optax.adam(0.1), None)],  # fmt: skip
)
def test_host_states_equal_the_compiled_init(opt, kw):
    _, trainer = _trainer(opt, kw)
    weights = [p.data()._value for p in trainer._params]
    host = trainer._host_states(weights)
    assert host is not None
    ref = [trainer._init_state(w) for w in weights]
    assert jax.tree_util.tree_structure(host) == jax.tree_util.tree_structure(ref)
    for a, b in zip(jax.tree_util.tree_leaves(host), jax.tree_util.tree_leaves(ref)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert a.sharding == weights[0].sharding  # committed where the weight is


def test_state_computed_from_the_weight_is_compiled():
    # an optax state that depends on the weight's values cannot be filled on the host
    tx = optax.GradientTransformation(lambda p: jax.tree_util.tree_map(lambda w: w * 2, p),
                                      lambda u, s, p=None: (u, s))  # fmt: skip
    net, trainer = _trainer(tx, None)
    weights = [p.data()._value for p in trainer._params]
    assert trainer._host_states(weights) is None
    trainer._init_states([0, 1])
    for i, w in enumerate(weights):
        np.testing.assert_array_equal(np.asarray(trainer._states[i]), np.asarray(w) * 2)


def test_changed_learning_rate_reaches_the_update():
    net, trainer = _trainer("sgd", {"learning_rate": 0.1})
    x = nd.ones((2, 2))
    for lr in (0.1, 0.1, 0.5, 0.5, 0.0):
        trainer.set_learning_rate(lr)
        with autograd.record():
            loss = net(x).sum()
        loss.backward()
        b0 = net.bias.data().asnumpy()
        trainer.step(2)
        # d(sum)/d(bias) = batch 2, rescaled by 1/2: bias -= lr
        np.testing.assert_allclose(net.bias.data().asnumpy(), b0 - lr, rtol=1e-6, atol=1e-7)



def test_weights_placed_differently_take_host_inputs():
    # weights with different placements (here a mesh-replicated one beside a plain one): the
    # per-step inputs stay numpy arrays, which jit places with each; the step still runs
    net, trainer = _trainer("sgd", {"learning_rate": 0.1})
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("d",))
    rep = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
    w = net.weight.data()
    w._value = jax.device_put(w._value, rep)
    assert trainer._common_place([0, 1]) is None
    assert trainer._host_inputs(None, np.ones(2, np.float32))[0].__class__ is np.ndarray
    with autograd.record():
        loss = net(nd.ones((2, 2))).sum()
    loss.backward()
    b0 = net.bias.data().asnumpy()
    trainer.step(2)
    np.testing.assert_allclose(net.bias.data().asnumpy(), b0 - 0.1, rtol=1e-6)
