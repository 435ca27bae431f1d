"""gluon.Trainer with MXNet's optimizers: 5 steps equal MXNet 1.9.1's weights
(tests/fixtures/trainer_core)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, nd

FIX = np.load(pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "trainer_core" / "trainer_core.npz")
CASES = {
    "sgd": ("sgd", {"learning_rate": 0.1}),
    "sgd_mom": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3}),
    "sgd_clip": ("sgd", {"learning_rate": 0.5, "momentum": 0.9, "wd": 1e-2, "clip_gradient": 0.05}),
    "adam": ("adam", {"learning_rate": 0.01}),
    "adam_wd": ("adam", {"learning_rate": 0.05, "wd": 0.01, "clip_gradient": 0.1, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-6}),
    "mults": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
    "nag": ("nag", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3}),
    "rmsprop": ("rmsprop", {"learning_rate": 0.01, "wd": 1e-3}),
    "adagrad": ("adagrad", {"learning_rate": 0.1, "wd": 1e-3}),
}
KEYS = ["0.weight", "0.bias", "1.weight", "1.bias"]


def _net():
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(3, in_units=4, activation="tanh"), gluon.nn.Dense(2, in_units=3))
    net.initialize()
    params = net._collect_params_with_prefix()
    for k in KEYS:
        params[k].set_data(nd.array(FIX[f"init_{k}"]))
    return net, params


@pytest.mark.parametrize("hybrid", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_five_steps_match_mxnet(case, hybrid):
    opt, kw = CASES[case]
    net, params = _net()
    if case == "mults":
        params["0.weight"].lr_mult = 0.5
        net.collect_params(".*bias").setattr("wd_mult", 0.0)
    net.hybridize(active=hybrid)
    trainer = gluon.Trainer(net.collect_params(), opt, dict(kw))
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    x, y = nd.array(FIX["x"]), nd.array(FIX["y"])
    # AdaGrad divides by the root of a small accumulated history, which magnifies float32
    # round-off (XLA fuses the arithmetic differently from MXNet's separate NDArray ops).
    rtol = 5e-5 if case == "adagrad" else 1e-5
    atol = 5e-6  # float32 round-off over 5 momentum steps on weights of order 0.1 to 1
    for step in range(1, 6):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(5)
        np.testing.assert_allclose(loss.asnumpy(), FIX[f"{case}_loss_{step}"], rtol=1e-5, atol=1e-6, err_msg=f"loss, step {step}")
        for k in KEYS:
            np.testing.assert_allclose(params[k].data().asnumpy(), FIX[f"{case}_{k}_{step}"], rtol=rtol, atol=atol, err_msg=f"{k}, step {step}")
