"""mx.lr_scheduler against MXNet 1.9.1 (tests/fixtures/lr_scheduler): the lr of every call,
with and without warmup, resumed counts, and base_lr overwritten as an optimizer does."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, lr_scheduler

FIX = json.loads(
    (
        pathlib.Path(__file__).resolve().parent.parent
        / "fixtures"
        / "lr_scheduler"
        / "lr_scheduler.json"
    ).read_text()
)


@pytest.mark.parametrize("case", sorted(FIX))
def test_scheduler_matches_mxnet(case):
    c = FIX[case]
    sched = getattr(lr_scheduler, c["cls"])(**c["kwargs"])
    if c["set_base_lr"] is not None:
        sched.base_lr = c["set_base_lr"]
    lrs = [sched(n) for n in c["counts"]]
    assert lrs == pytest.approx(c["lrs"], rel=1e-12, abs=1e-15)
    assert sched.base_lr == pytest.approx(c["base_lr_after"], rel=1e-12, abs=1e-15)


def test_factor_scheduler_is_floor_of_count_minus_one():
    # property: lr(n) = base * factor ** ((n - 1) // step), for a fresh scheduler per count too
    for n in range(1, 30):
        sched = lr_scheduler.FactorScheduler(step=3, factor=0.5, base_lr=2.0)
        assert sched(n) == 2.0 * 0.5 ** ((n - 1) // 3)


def test_cosine_and_poly_are_symmetric_and_end_at_final_lr():
    cos = lr_scheduler.CosineScheduler(max_update=10, base_lr=1.0, final_lr=0.2)
    vals = [cos(n) for n in range(0, 11)]
    assert vals[5] == pytest.approx(0.6)
    assert vals[2] - 0.6 == pytest.approx(0.6 - vals[8])
    assert vals[10] == pytest.approx(0.2) and cos(50) == pytest.approx(0.2)
    poly = lr_scheduler.PolyScheduler(max_update=10, base_lr=1.0, pwr=2)
    assert [poly(n) for n in (0, 5, 10)] == pytest.approx([1.0, 0.25, 0.0])


def test_custom_scheduler_subclass_and_base_class_error():
    class Halving(lr_scheduler.LRScheduler):
        def __call__(self, num_update):
            return self.base_lr / 2 ** (num_update // 10)

    assert Halving(base_lr=1.0)(25) == 0.25
    with pytest.raises(NotImplementedError, match=r"LRScheduler must override __call__"):
        lr_scheduler.LRScheduler()(1)
    assert repr(lr_scheduler.FactorScheduler(step=2)) == "FactorScheduler(base_lr=0.01)"


def test_get_warmup_lr_rejects_count_past_warmup():
    sched = lr_scheduler.PolyScheduler(max_update=10, base_lr=1.0, warmup_steps=4)
    assert sched.get_warmup_lr(2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"PolyScheduler.get_warmup_lr: .*warmup_steps=4, got 4"):
        sched.get_warmup_lr(4)


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (
            lambda: lr_scheduler.FactorScheduler(step=2, warmup_steps=2.0),
            TypeError,
            r"FactorScheduler: warmup_steps must be an int, got float 2.0",
        ),
        (
            lambda: lr_scheduler.FactorScheduler(step=2, base_lr=0.1, warmup_begin_lr=0.2),
            ValueError,
            r"base_lr=0.1, warmup_begin_lr=0.2",
        ),
        (
            lambda: lr_scheduler.FactorScheduler(step=2, warmup_steps=-1),
            ValueError,
            r"warmup_steps has to be positive or 0, got -1",
        ),
        (
            lambda: lr_scheduler.CosineScheduler(10, warmup_mode="exp"),
            ValueError,
            r"CosineScheduler: warmup_mode must be 'linear' or 'constant', got 'exp'",
        ),
        (
            lambda: lr_scheduler.FactorScheduler(step=0),
            ValueError,
            r"FactorScheduler: step must be at least 1, got 0",
        ),
        (
            lambda: lr_scheduler.FactorScheduler(step=2, factor=1.5),
            ValueError,
            r"FactorScheduler: factor must be no more than 1.*got 1.5",
        ),
        (
            lambda: lr_scheduler.MultiFactorScheduler(step=(2, 3)),
            TypeError,
            r"MultiFactorScheduler: step must be a non-empty list.*\(2, 3\)",
        ),
        (
            lambda: lr_scheduler.MultiFactorScheduler(step=[]),
            TypeError,
            r"non-empty list of ints, got \[\]",
        ),
        (
            lambda: lr_scheduler.MultiFactorScheduler(step=[3, 3]),
            ValueError,
            r"step must be an increasing list, got \[3, 3\]",
        ),
        (
            lambda: lr_scheduler.MultiFactorScheduler(step=[0, 3]),
            ValueError,
            r"every step must be at least 1, got \[0, 3\]",
        ),
        (
            lambda: lr_scheduler.MultiFactorScheduler(step=[2], factor=2),
            ValueError,
            r"MultiFactorScheduler: factor must be no more than 1.*got 2",
        ),
        (
            lambda: lr_scheduler.PolyScheduler(max_update=10.0),
            TypeError,
            r"PolyScheduler: max_update must be an int, got float 10.0",
        ),
        (
            lambda: lr_scheduler.PolyScheduler(max_update=0),
            ValueError,
            r"PolyScheduler: max_update must be strictly positive, got 0",
        ),
        (
            lambda: lr_scheduler.CosineScheduler(max_update=-2),
            ValueError,
            r"CosineScheduler: max_update must be strictly positive, got -2",
        ),
    ],
)
def test_scheduler_rejects_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_public_names_match_mxnet():
    names = {n for n in dir(mx.lr_scheduler) if not n.startswith("_")}
    assert names == {
        "LRScheduler",
        "FactorScheduler",
        "MultiFactorScheduler",
        "PolyScheduler",
        "CosineScheduler",
    }


TRAIN_DIR = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "lr_scheduler"
TRAIN = json.loads((TRAIN_DIR / "lr_scheduler_train.json").read_text())
TRAIN_FIX = np.load(TRAIN_DIR / "lr_scheduler_train.npz")
PARAMS = ("0_weight", "0_bias", "1_weight", "1_bias")


@pytest.fixture(scope="module")
def mlp():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(3, in_units=4, activation="tanh"), gluon.nn.Dense(2, in_units=3))
    net.initialize()
    return net


@pytest.mark.parametrize("case", sorted(TRAIN))
def test_trainer_with_scheduler_matches_mxnet(case, mlp):
    c = TRAIN[case]
    params = {k.replace(".", "_"): v for k, v in mlp._collect_params_with_prefix().items()}
    for k in PARAMS:
        params[k].set_data(mx.nd.array(TRAIN_FIX[f"w0_{k}"]))
    sched = getattr(lr_scheduler, c["cls"])(**c["kwargs"])
    trainer = gluon.Trainer(mlp.collect_params(), "sgd", {"momentum": 0.9, "wd": 1e-3, "lr_scheduler": sched, **c["optimizer_params"]})
    loss_fn = gluon.loss.L2Loss()
    for step in range(10):
        with autograd.record():
            loss = loss_fn(mlp(mx.nd.array(TRAIN_FIX["x"][step])), mx.nd.array(TRAIN_FIX["y"][step]))
        loss.backward()
        trainer.step(5)
        assert trainer.learning_rate == pytest.approx(float(TRAIN_FIX[f"{case}_lr"][step]), rel=1e-7), step
        for k in PARAMS:
            np.testing.assert_allclose(params[k].data().asnumpy(), TRAIN_FIX[f"{case}_{k}"][step], rtol=1e-5, atol=1e-6, err_msg=f"{k} after step {step + 1}")
