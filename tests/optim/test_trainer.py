"""Trainer behaviour beyond the update rules: stale gradients, live hyper-parameters without
recompiling, optax transformations, frozen and shared parameters."""

from __future__ import annotations

import numpy as np
import optax
import pytest

import gluax as mx
from gluax import autograd, gluon, nd


def _setup(opt="sgd", params=None):
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(3, in_units=2), gluon.nn.Dense(1, in_units=3))
    net.initialize(mx.init.One())
    trainer = gluon.Trainer(net.collect_params(), opt, params if params is not None else {"learning_rate": 0.1})
    return net, trainer


def _step(net, trainer, n=4):
    x = nd.ones((n, 2))
    with autograd.record():
        loss = net(x).sum()
    loss.backward()
    trainer.step(n)


def test_stale_gradient_raises_unless_ignored():
    net, trainer = _setup()
    _step(net, trainer)
    with pytest.raises(UserWarning, match=r"Gradient of Parameter `hybridsequential\d+_dense\d+_(weight|bias)` on context cpu\(0\) has not been updated by backward since last `step`"):
        trainer.step(4)
    before = net[0].weight.data().asnumpy().copy()
    trainer.step(4, ignore_stale_grad=True)  # skipped, not updated
    np.testing.assert_array_equal(net[0].weight.data().asnumpy(), before)


def test_step_rescales_by_batch_size():
    net, trainer = _setup()
    _step(net, trainer, n=4)
    # d(sum of outputs)/d(bias of the last layer) = batch size 4; rescaled by 1/4; lr 0.1
    np.testing.assert_allclose(net[1].bias.data().asnumpy(), [-0.1], rtol=1e-6)


def test_live_learning_rate_and_multipliers_do_not_recompile():
    net, trainer = _setup("sgd", {"learning_rate": 0.1, "wd": 0.0})
    _step(net, trainer)
    # the step's program: the update alone, or with the deferred backward (engine/tape.py)
    program = trainer._jit_update or trainer._jit_bwd_update[1]
    compiled = program._cache_size()
    trainer.set_learning_rate(0.01)
    net[1].bias.lr_mult = 0.5
    b0 = net[1].bias.data().asnumpy().copy()
    _step(net, trainer)
    assert program._cache_size() == compiled
    np.testing.assert_allclose(net[1].bias.data().asnumpy(), b0 - 0.01 * 0.5, rtol=1e-6)
    assert trainer.learning_rate == 0.01


def test_frozen_parameters_are_skipped():
    net, trainer = _setup()
    net[0].collect_params().setattr("grad_req", "null")
    w0 = net[0].weight.data().asnumpy().copy()
    _step(net, trainer)
    np.testing.assert_array_equal(net[0].weight.data().asnumpy(), w0)
    assert not np.allclose(net[1].weight.data().asnumpy(), 1.0)


def test_optax_transformation():
    net, _ = _setup()
    trainer = gluon.Trainer(net.collect_params(), optax.sgd(0.1))
    _step(net, trainer)
    np.testing.assert_allclose(net[1].bias.data().asnumpy(), [-0.1], rtol=1e-6)
    with pytest.raises(ValueError, match="optimizer_params must be empty"):
        gluon.Trainer(net.collect_params(), optax.sgd(0.1), {"learning_rate": 1.0})


def test_shared_parameter_updated_once():
    d0 = gluon.nn.Dense(2, in_units=2, prefix="s_")
    d1 = gluon.nn.Dense(2, in_units=2, params=d0.collect_params())
    d0.initialize(mx.init.One())
    params = list(d0.collect_params().values()) + list(d1.collect_params().values())
    trainer = gluon.Trainer(params, "sgd", {"learning_rate": 1.0})
    assert len(trainer._params) == 2
    with autograd.record():
        loss = (d0(nd.ones((1, 2))) + d1(nd.ones((1, 2)))).sum()
    loss.backward()
    trainer.step(1)
    # both uses add to one gradient buffer (2 per element); one update with lr 1 gives -2
    # (updating the shared parameter once per alias would give -4)
    np.testing.assert_allclose(d0.bias.data().asnumpy(), [-2.0, -2.0], rtol=1e-6)


def test_uninitialized_parameters_and_bad_arguments():
    net = gluon.nn.Dense(2, in_units=2, prefix="u_")
    with pytest.raises(RuntimeError, match="Parameter 'u_(weight|bias)' has not been initialized"):
        gluon.Trainer(net.collect_params(), "sgd")
    net.initialize()
    with pytest.raises(ValueError, match="Cannot find optimizer 'nosuch'"):
        gluon.Trainer(net.collect_params(), "nosuch")
    with pytest.raises(ValueError, match="list or dict of Parameters"):
        gluon.Trainer(3, "sgd")


def test_custom_optimizer_subclass_uses_its_update():
    class HalfStep(mx.optimizer.Optimizer):
        def create_state(self, index, weight):
            return None

        def update(self, index, weight, grad, state):
            weight[:] = weight - 0.5 * grad * self.rescale_grad

    net, _ = _setup()
    trainer = gluon.Trainer(net.collect_params(), HalfStep())
    _step(net, trainer)
    np.testing.assert_allclose(net[1].bias.data().asnumpy(), [-0.5], rtol=1e-6)


@pytest.mark.parametrize("opt, params", [("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3}), ("adam", {"learning_rate": 0.01, "wd": 1e-3})])
def test_compile_step_equals_the_record_backward_step_loop(opt, params, rng):
    x = nd.array(rng.standard_normal((6, 5)))
    y = nd.array(rng.integers(0, 3, 6).astype(np.float32))
    results = []
    for fused in (False, True):
        mx.random.seed(0)
        net = gluon.nn.HybridSequential()
        with net.name_scope():
            net.add(gluon.nn.Dense(4, in_units=5, activation="relu"), gluon.nn.BatchNorm(in_channels=4), gluon.nn.Dense(3, in_units=4))
        net.initialize(mx.init.Xavier())
        net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), opt, dict(params))
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        step = trainer.compile_step(net, loss_fn) if fused else None
        losses = []
        for _ in range(4):
            if fused:
                loss = step(x, y)
            else:
                with autograd.record():
                    loss = loss_fn(net(x), y)
                loss.backward()
                trainer.step(x.shape[0])
            losses.append(loss.asnumpy())
        results.append((losses, {k: p.data().asnumpy() for k, p in net._collect_params_with_prefix().items()}))
    (l0, p0), (l1, p1) = results
    np.testing.assert_allclose(np.array(l1), np.array(l0), rtol=1e-5, atol=1e-6)
    for k in p0:
        np.testing.assert_allclose(p1[k], p0[k], rtol=1e-5, atol=1e-6, err_msg=k)  # incl. BatchNorm running stats
