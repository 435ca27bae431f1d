"""gluon.Trainer against the shared MXNet 1.9.1 trainer fixture (tests/fixtures/trainer): five
steps of SGD and Adam (momentum, wd, clip_gradient, lr_mult/wd_mult), parameter order, the
stale-gradient error and the optimizer's attributes."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from gluax import autograd, gluon, nd

HERE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "trainer"
FIX = np.load(HERE / "trainer.npz")
FACTS = json.loads((HERE / "trainer.json").read_text())
KEYS = ["0.weight", "0.bias", "1.weight", "1.bias"]


def _net():
    # fixed prefixes: the Trainer orders parameters by name, as MXNet's does, and names from
    # the global counters (dense9_, dense10_) would sort differently from the fixture's
    net = gluon.nn.HybridSequential(prefix="trainer_steps_")
    net.add(gluon.nn.Dense(3, in_units=4, prefix="dense0_"), gluon.nn.Dense(2, in_units=3, prefix="dense1_"))
    net.initialize()
    params = net._collect_params_with_prefix()
    for k in KEYS:
        params[k].set_data(nd.array(FIX[f"init__{k}"]))
    return net, params


def _trainer(scenario):
    spec = FACTS["scenarios"][scenario]
    net, params = _net()
    for k, mults in spec["mults"].items():
        for attr, v in mults.items():
            setattr(params[k], attr, v)
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), spec["optimizer"], dict(spec["optimizer_params"]))
    return net, params, trainer


def _step(net, trainer, k, loss_fn):
    with autograd.record():
        loss = loss_fn(net(nd.array(FIX[f"x{k}"])), nd.array(FIX[f"y{k}"]))
    loss.backward()
    trainer.step(4)
    return loss


@pytest.mark.parametrize("scenario", sorted(FACTS["scenarios"]))
def test_five_steps_match_mxnet(scenario):
    net, params, trainer = _trainer(scenario)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for k in range(1, 6):
        loss = _step(net, trainer, k, loss_fn)
        # MXNet's log_softmax rounds differently from XLA's (3e-6 seen on a loss of 0.13)
        np.testing.assert_allclose(
            loss.asnumpy(), FIX[f"{scenario}__loss{k}"], rtol=1e-5, atol=5e-6
        )
        for p in KEYS:
            np.testing.assert_allclose(
                params[p].data().asnumpy(),
                FIX[f"{scenario}__step{k}__{p}"],
                rtol=1e-5,
                atol=1e-6,
                err_msg=f"{p} after step {k}",
            )


def test_parameter_order_and_optimizer_attributes():
    net, params, trainer = _trainer("adam")
    names = {v: k for k, v in FACTS["param_full_names"].items()}
    # the fixture's names are of a fresh process; compare by structural name
    full = {k: params[k].name for k in KEYS}
    order = [names[n] for n in FACTS["param_order"]]
    assert [p.name for p in trainer._params] == [full[k] for k in order]
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for k in range(1, 6):
        _step(net, trainer, k, loss_fn)
    opt = trainer.optimizer
    attrs = FACTS["optimizer_attrs"]
    assert (opt.beta1, opt.beta2, opt.epsilon) == (attrs["beta1"], attrs["beta2"], attrs["epsilon"])
    assert opt.rescale_grad == attrs["rescale_grad"] and opt.wd == attrs["wd"]
    assert opt.lr == attrs["lr"] and opt.num_update == attrs["num_update"]
    assert trainer.learning_rate == attrs["lr"]


def test_stale_gradient_raises_mxnets_text():
    net, params, trainer = _trainer("sgd_plain")
    _step(net, trainer, 1, gluon.loss.SoftmaxCrossEntropyLoss())
    expected = FACTS["stale_grad_error"]["raised"].split(": ", 1)[1]
    expected = expected.replace("dense0_bias", params["0.bias"].name)
    with pytest.raises(UserWarning) as err:
        trainer.step(4)
    assert str(err.value) == expected
