"""MXNet 1.9.1's other optimizers (signum ... ccsgd): ten gluon.Trainer steps equal MXNet's
weights and optimizer states (tests/fixtures/optimizer_more), SGLD's noise in distribution."""

from __future__ import annotations

import json
import pathlib

import jax
import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, nd

HERE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "optimizer_more"
FACTS = json.loads((HERE / "optimizer_more.json").read_text())
_DATA = np.load(HERE / "optimizer_more.npz")["data"]
SHAPES = {"a": (3, 4), "b": (5,), "c": (2, 3)}
FS = mx.lr_scheduler.FactorScheduler


def fix(key: str) -> np.ndarray:
    off, size = FACTS["index"][key]
    return _DATA[off : off + size]


LR = dict(learning_rate=0.05, wd=0.01, clip_gradient=0.3)
MP = dict(learning_rate=0.0625, wd=0.0078125, multi_precision=True)
ALL, TWO_D = ("a", "b", "c"), ("a", "c")
# the same cases as make_optimizer_more.py
CASES = {
    "signum": ("signum", dict(LR, wd_lh=0.001), ALL),
    "signum_nomom": ("signum", dict(LR, momentum=0.0), ALL),
    "signum_mp": ("signum", MP, ALL),
    "adamax": ("adamax", LR, ALL),
    "adamax_mp": ("adamax", MP, ALL),
    "nadam": ("nadam", LR, ALL),
    "nadam_mp": ("nadam", MP, ALL),
    "groupadagrad": ("groupadagrad", dict(learning_rate=0.1, clip_gradient=0.3), TWO_D),
    "groupadagrad_mp": ("groupadagrad", dict(learning_rate=0.0625, multi_precision=True), TWO_D),
    "adadelta": ("adadelta", dict(wd=0.01, clip_gradient=0.3), ALL),
    "adadelta_mp": ("adadelta", dict(wd=0.0078125, multi_precision=True), ALL),
    "ftrl": ("ftrl", dict(LR, lamda1=0.02), ALL),
    "ftrl_mp": ("ftrl", MP, ALL),
    "ftml": ("ftml", LR, ALL),
    "ftml_mp": ("ftml", MP, ALL),
    "lamb": ("lamb", dict(LR, lower_bound=0.5, upper_bound=2.0), ALL),
    "lamb_nobias": ("lamb", dict(LR, bias_correction=False), ALL),
    "lamb_mp": ("lamb", MP, ALL),
    "lars": ("lars", dict(LR, momentum=0.9, eta=0.01), ALL),
    "lars_nomom": ("lars", dict(LR, eta=0.01), ALL),
    "lars_sched": ("lars", dict(momentum=0.9, wd=0.01, eta=0.01, sched=True), ALL),
    "lars_mp": ("lars", dict(MP, momentum=0.875), ALL),
    "lbsgd": ("lbsgd", dict(LR, momentum=0.9), ALL),
    "lbsgd_lars": ("lbsgd", dict(LR, momentum=0.9, warmup_strategy="lars"), ALL),
    "lbsgd_sched": ("lbsgd", dict(momentum=0.9, wd=0.01, sched=True), ALL),
    "lbsgd_mp": ("lbsgd", dict(MP, momentum=0.875), ALL),
    "lbsgd_bs2_upd": (
        "lbsgd",
        dict(LR, momentum=0.9, batch_scale=2, warmup_epochs=1, updates_per_epoch=8,
             rescale_grad=0.25),
        ALL,
    ),
    "dcasgd": ("dcasgd", dict(LR, lamda=0.5), ALL),
    # float16 with rates that float16 cannot hold exactly: MXNet computes the update in float32
    "sgd_lr_mp": ("sgd", dict(learning_rate=0.01, momentum=0.9, wd=0.003, multi_precision=True), ALL),
    "adam_lr_mp": ("adam", dict(learning_rate=0.003, wd=0.01, multi_precision=True), ALL),
    "dcasgd_mp": ("dcasgd", MP, ALL),
    "ccsgd": ("ccsgd", dict(LR, momentum=0.9), ALL),
    "ccsgd_mp": ("ccsgd", dict(MP, momentum=0.875), ALL),
}
# Nadam's momentum schedule is one host-side number advanced by every parameter update (the
# Trainer passes it in the Optimizer._step_inputs rows). Cases in VIA_UPDATER run through the
# per-parameter API (get_updater) instead of the Trainer.
VIA_UPDATER = {"lbsgd_bs2_upd"}
# state arrays gluax keeps that MXNet keeps on the optimizer (LBSGD's summed gradient)
EXTRA_LEAVES = {"lbsgd_bs2_upd": 1}


def _params(names, dtype):
    params = []
    for k in names:
        p = gluon.Parameter(k, shape=SHAPES[k], dtype=dtype)
        p.initialize()
        p.set_data(nd.array(fix(f"init_{k}").reshape(SHAPES[k]), dtype=dtype))
        params.append(p)
    by = dict(zip(names, params))
    if "b" in by:
        by["b"].lr_mult = 0.5
    by["c"].wd_mult = 2.0
    return params


def _kwargs(kw):
    kw = dict(kw)
    if kw.pop("sched", False):
        kw["lr_scheduler"] = FS(step=3, factor=0.5, base_lr=0.1)
    return kw


def _grad(step, k, dtype):
    return nd.array(fix(f"g{step}_{k}").reshape(SHAPES[k]), dtype=dtype)


def _state_leaves(state):
    # gluax keeps LARS's previous learning rate as a 0-d array MXNet does not have
    leaves = jax.tree_util.tree_leaves(state, is_leaf=lambda s: isinstance(s, nd.NDArray))
    arrays = [np.asarray(s.asnumpy() if isinstance(s, nd.NDArray) else s) for s in leaves]
    return [a for a in arrays if a.ndim > 0]


def _run(case):
    opt_name, kw, names = CASES[case]
    dtype = np.float16 if case.endswith("_mp") else np.float32
    params = _params(names, dtype)
    if case.endswith("_upd") or case in VIA_UPDATER:
        opt = mx.optimizer.create(opt_name, **_kwargs(kw))
        if not case.endswith("_upd"):
            # what gluon.Trainer does in MXNet: rescale 1/batch_size, multipliers by Parameter
            opt.rescale_grad = 0.25
            opt.param_dict = dict(enumerate(params))
        upd = mx.optimizer.get_updater(opt)
        for step in range(1, 11):
            for i, (k, p) in enumerate(zip(names, params)):
                upd(i, _grad(step, k, dtype), p.data())
        states = [upd.states[i] for i in range(len(names))]
    else:
        trainer = gluon.Trainer(params, opt_name, _kwargs(kw))
        for step in range(1, 11):
            with autograd.record():
                loss = sum((p.data() * _grad(step, k, dtype)).sum() for k, p in zip(names, params))
            loss.backward()
            trainer.step(4)
        opt = trainer.optimizer
        states = [trainer._states[i] for i in range(len(names))]
    return params, states, opt


@pytest.mark.parametrize("case", sorted(CASES))
def test_ten_steps_match_mxnet(case):
    params, states, opt = _run(case)
    info = FACTS["cases"][case]
    w = np.concatenate([p.data().asnumpy().astype(np.float32).ravel() for p in params])
    # float16 weights are the float32 master copies rounded: one float16 ulp at most
    wtol = dict(rtol=2e-3, atol=1e-3) if case.endswith("_mp") else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w, fix(f"{case}_w10"), **wtol, err_msg="weights after 10 steps")
    leaves = [_state_leaves(s) for s in states]
    leaves = [ls[: len(ls) - EXTRA_LEAVES.get(case, 0)] for ls in leaves]
    assert [[list(a.shape) for a in ls] for ls in leaves] == info["leaves"], "state layout"
    s = np.concatenate([np.zeros(0, np.float32)] + [a.astype(np.float32).ravel() for ls in leaves for a in ls])
    np.testing.assert_allclose(s, fix(f"{case}_s10"), rtol=1e-5, atol=1e-6, err_msg="states")
    assert opt.learning_rate == pytest.approx(info["lr"])


def test_nadam_through_trainer():
    params = _params(ALL, np.float32)
    trainer = gluon.Trainer(params, "nadam", dict(LR))
    for step in range(1, 11):
        with autograd.record():
            loss = sum((p.data() * _grad(step, k, np.float32)).sum() for k, p in zip(ALL, params))
        loss.backward()
        trainer.step(4)
    w = np.concatenate([p.data().asnumpy().ravel() for p in params])
    np.testing.assert_allclose(w, fix("nadam_w10"), rtol=1e-5, atol=1e-6)


IGNORED = {"class", "aggregate_num", "allow_np_array", "cur_lr", "last_lr"}


@pytest.mark.parametrize("name", sorted(FACTS["defaults"]))
def test_names_and_defaults_match_mxnet(name):
    ref = FACTS["defaults"][name]
    opt = mx.optimizer.create(name)
    assert type(opt).__name__ == ref["class"]
    assert getattr(mx.optimizer, ref["class"]) is type(opt)
    for key, value in ref.items():
        if key not in IGNORED:
            assert getattr(opt, key) == value, f"{name}.{key}"


def test_registry_has_mxnet_names():
    # MXNet's 'test' optimizer is a unit-test helper, not part of the API
    missing = set(FACTS["registry"]) - {"test"} - set(mx.optimizer.Optimizer.opt_registry)
    assert not missing
    opt = mx.optimizer.create("ccSGD", momentum=0.9)
    assert isinstance(opt, mx.optimizer.SGD) and opt.momentum == 0.9


def test_groupadagrad_rejects_wd_and_1d():
    p = _params(("c",), np.float32)[0]
    trainer = gluon.Trainer([p], "groupadagrad", {"wd": 0.1})
    with autograd.record():
        loss = (p.data() * 2).sum()
    loss.backward()
    with pytest.raises(ValueError, match="GroupAdaGrad: weight decay"):
        trainer.step(1)
    opt = mx.optimizer.GroupAdaGrad()
    with pytest.raises(ValueError, match="2-D"):
        opt.create_state(0, nd.zeros((5,)))


def test_dcasgd_momentum_follows_the_paper():
    # MXNet 1.9.1 fails here (``if mom:`` on an NDArray); gluax applies the paper's momentum
    opt = mx.optimizer.DCASGD(momentum=0.5, lamda=0.3, learning_rate=0.1, wd=0.02)
    w0 = np.array([0.5, -1.0, 2.0], np.float32)
    w = nd.array(w0)
    upd = mx.optimizer.get_updater(opt)
    mom, prev, ref = np.zeros(3, np.float32), w0.copy(), w0.copy()
    for g in ([1.0, 2.0, -1.0], [0.5, -0.5, 3.0]):
        g = np.asarray(g, np.float32)
        upd(0, nd.array(g), w)
        step = -0.1 * (g + 0.02 * ref + 0.3 * g * g * (ref - prev))
        mom = 0.5 * mom + step
        prev, ref = ref, ref + mom
    np.testing.assert_allclose(w.asnumpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(upd.states[0][1].asnumpy(), prev, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_sgld_noise_distribution(dtype):
    # one step: weight - lr/2 * (clip(rescale * grad) + wd * weight) + N(0, lr) noise
    n, lr, wd = 20000, 0.0625, 0.125
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal(n).astype(np.float32)
    g = (rng.standard_normal(n) * 4).astype(np.float32)
    p = gluon.Parameter("w", shape=(n,), dtype=dtype)
    p.initialize()
    p.set_data(nd.array(w0, dtype=dtype))
    mx.random.seed(7)
    kw = dict(learning_rate=lr, wd=wd, clip_gradient=0.5, multi_precision=dtype == np.float16)
    trainer = gluon.Trainer([p], "sgld", kw)
    steps = []
    for _ in range(2):
        w_before = p.data().asnumpy().astype(np.float64)
        with autograd.record():
            loss = (p.data() * nd.array(g, dtype=dtype)).sum()
        loss.backward()
        trainer.step(4)
        drift = -lr / 2 * (np.clip(g / 4, -0.5, 0.5) + wd * w_before)
        steps.append(p.data().asnumpy().astype(np.float64) - w_before - drift)
    for noise in steps:
        assert abs(noise.mean()) < 4 * np.sqrt(lr / n)
        assert noise.var() == pytest.approx(lr, rel=0.05)
    assert abs(np.corrcoef(steps[0], steps[1])[0, 1]) < 0.05  # a fresh key every step
