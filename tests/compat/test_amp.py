"""mx.contrib.amp: blocks run in float16/bfloat16 with float32 at the boundary, and MXNet's dynamic
loss scaling through the Trainer (the scaled step equals the unscaled one; an overflowing step is
skipped and halves the scale)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon
from gluax.contrib import amp


def _net(seed):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, activation="relu", in_units=5), gluon.nn.Dense(3, in_units=8))
    net.initialize(mx.init.Xavier(rnd_type="gaussian"))
    rng = np.random.default_rng(seed)
    for p in net.collect_params().values():
        p.set_data(mx.nd.array(rng.normal(size=p.shape) * 0.3))
    return net


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_convert_hybrid_block(dtype):
    x = mx.nd.array(np.linspace(-1, 1, 10).reshape(2, 5))
    net = _net(0)
    want = net(x).asnumpy()
    low = amp.convert_hybrid_block(net, target_dtype=dtype)
    got = low(x)
    assert got.dtype == np.float32
    assert all(str(p.dtype) in (dtype, "<class 'jax.numpy.bfloat16'>") or
               np.dtype(p.dtype).name == dtype for p in net.collect_params().values())
    np.testing.assert_allclose(got.asnumpy(), want, rtol=0.05, atol=0.05)
    with pytest.raises(ValueError, match="target_dtype"):
        amp.convert_hybrid_block(_net(0), target_dtype="int8")


def test_loss_scaling_step_equals_plain_step_and_skips_overflow():
    amp.init()
    assert amp._amp_initialized and amp.amp._amp_initialized
    x = mx.nd.array(np.linspace(-1, 1, 10).reshape(2, 5))
    y = mx.nd.array([[0.1, 0.2, 0.3], [0.0, -0.1, 0.2]])
    loss_fn = gluon.loss.L2Loss()

    plain, scaled = _net(1), _net(1)
    t_plain = gluon.Trainer(plain.collect_params(), "sgd", {"learning_rate": 0.1})
    t_amp = gluon.Trainer(scaled.collect_params(), "sgd", {"learning_rate": 0.1})
    amp.init_trainer(t_amp)
    scaler = t_amp._amp_loss_scaler
    assert scaler.loss_scale == 2.0 ** 16

    with autograd.record():
        loss = loss_fn(plain(x), y)
    loss.backward()
    t_plain.step(2)
    with autograd.record():
        loss = loss_fn(scaled(x), y)
        with amp.scale_loss(loss, t_amp) as big:
            np.testing.assert_allclose(big.asnumpy(), loss.asnumpy() * 2.0 ** 16, rtol=1e-6)
    big.backward()
    t_amp.step(2)
    for a, b in zip(plain.collect_params().values(), scaled.collect_params().values()):
        np.testing.assert_allclose(a.data().asnumpy(), b.data().asnumpy(), rtol=1e-5, atol=1e-6)

    before = [p.data().asnumpy() for p in scaled.collect_params().values()]
    with autograd.record():
        loss = loss_fn(scaled(x), y)
        with amp.scale_loss(loss, t_amp) as big:
            big = big * float("inf")
    big.backward()
    t_amp.step(2)  # skipped: the gradients hold inf
    for p, old in zip(scaled.collect_params().values(), before):
        np.testing.assert_array_equal(p.data().asnumpy(), old)
    # as in MXNet, the halved scale takes effect from the next step's check on
    assert scaler.loss_scale == 2.0 ** 16 and scaler._next_loss_scale == 2.0 ** 15
    with autograd.record():
        loss = loss_fn(scaled(x), y)
        with amp.scale_loss(loss, t_amp) as big:
            pass
    big.backward()
    t_amp.step(2)
    assert scaler.loss_scale == 2.0 ** 15


def test_amp_errors_name_the_fix():
    with pytest.raises(TypeError, match="gluon Trainer"):
        amp.init_trainer(object())
    t = gluon.Trainer(_net(2).collect_params(), "sgd")
    with pytest.raises(RuntimeError, match="init_trainer"):
        with amp.scale_loss(mx.nd.ones((1,)), t):
            pass
