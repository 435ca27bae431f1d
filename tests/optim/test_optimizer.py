"""mx.optimizer on its own: MXNet's per-parameter API (get_updater), learning-rate and
multiplier bookkeeping, multi-precision, and the optax form, against MXNet 1.9.1
(tests/fixtures/optimizer_extra)."""

from __future__ import annotations

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gluax as mx
from gluax import nd

HERE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "optimizer_extra"
FIX = np.load(HERE / "optimizer_extra.npz")
FACTS = json.loads((HERE / "optimizer_extra.json").read_text())
FS = mx.lr_scheduler.FactorScheduler
STEPS = (1, 2, 3)


def _cases():
    """The optimizers of make_optimizer_extra.py, built the same way."""
    return {
        "sgd": mx.optimizer.SGD(learning_rate=0.1, rescale_grad=0.25),
        "sgd_mom_wd_clip": mx.optimizer.SGD(
            learning_rate=0.1, momentum=0.9, wd=0.01, clip_gradient=0.3, rescale_grad=0.5
        ),
        "sgd_clip_zero_is_off": mx.optimizer.SGD(learning_rate=0.1, clip_gradient=0),
        "adam": mx.optimizer.Adam(rescale_grad=0.5),
        "adam_wd_clip": mx.optimizer.Adam(
            learning_rate=0.05, wd=0.1, clip_gradient=0.2, beta1=0.8, beta2=0.95, epsilon=1e-6
        ),
        "sgd_sched": mx.optimizer.SGD(lr_scheduler=FS(step=2, factor=0.5, base_lr=1.0)),
        "sgd_sched_lr": mx.optimizer.SGD(
            learning_rate=0.3, lr_scheduler=FS(step=2, factor=0.5, base_lr=1.0)
        ),
        "adam_sched": mx.optimizer.Adam(lr_scheduler=FS(step=2, factor=0.5, base_lr=1.0)),
        "idx2name": mx.optimizer.SGD(
            learning_rate=0.1, wd=0.1, param_idx2name={0: "fc_weight", 1: "fc_bias"}
        ),
        "begin_num_update": mx.optimizer.Adam(learning_rate=0.01, begin_num_update=10),
        "sgd_mp": mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01, multi_precision=True),
        "adam_mp": mx.optimizer.Adam(learning_rate=0.01, wd=0.01, multi_precision=True),
    }


def _configure(name, opt):
    if name == "idx2name":
        opt.set_lr_mult({"fc_weight": 0.5})
    if name == "sgd":
        opt.set_lr_mult({1: 0.1})
        opt.set_wd_mult({1: 3.0})
    return opt


def _dtype(name):
    return np.float16 if name.endswith("_mp") else np.float32


def _tol(name):
    # float16 weights round to 2**-11 relative; the master copy and states stay float32
    return {"rtol": 1e-3, "atol": 1e-3} if name.endswith("_mp") else {"rtol": 1e-5, "atol": 1e-6}


def _state_arrays(state):
    return [
        s.asnumpy()
        for s in jax.tree_util.tree_leaves(state, is_leaf=lambda s: isinstance(s, nd.NDArray))
    ]


@pytest.mark.parametrize("name", sorted(_cases()))
def test_per_parameter_updates_match_mxnet(name, caplog):
    opt = _configure(name, _cases()[name])
    updater = mx.optimizer.get_updater(opt)
    dtype = _dtype(name)
    weights = [nd.array(FIX["w0"], dtype=dtype), nd.array(FIX["w1"], dtype=dtype)]
    for step in STEPS:
        for i, w in enumerate(weights):
            updater(i, nd.array(FIX[f"g{step}_{i}"], dtype=dtype), w)
        assert opt.learning_rate == pytest.approx(FACTS[name]["lr"][step - 1])
        assert opt.num_update == FACTS[name]["num_update"][step - 1]
        for i, w in enumerate(weights):
            assert w.dtype == dtype
            np.testing.assert_allclose(w.asnumpy(), FIX[f"{name}_w{i}_{step}"], **_tol(name))
            states = _state_arrays(updater.states[i])
            expected = [
                FIX[k]
                for k in sorted(FIX.files)
                if k.startswith(f"{name}_s{i}_") and k.endswith(f"_{step}")
            ]
            assert len(states) == len(expected)
            for got, want in zip(states, expected):
                assert got.dtype == want.dtype
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_scheduler_base_lr_rules_as_mxnet(caplog):
    sched = FS(step=2, factor=0.5, base_lr=1.0)
    assert mx.optimizer.SGD(lr_scheduler=sched).lr is None
    assert sched.base_lr == 1.0
    mx.optimizer.SGD(learning_rate=0.3, lr_scheduler=sched)
    assert sched.base_lr == 0.3
    assert "overwritten by ``learning_rate``" in caplog.text


def test_set_learning_rate():
    opt = mx.optimizer.SGD(learning_rate=0.1)
    opt.set_learning_rate(0.02)
    assert opt.learning_rate == 0.02 and opt._get_lr(0) == 0.02
    opt = mx.optimizer.SGD(lr_scheduler=FS(step=2))
    with pytest.raises(UserWarning, match="LRScheduler of the optimizer has already been defined"):
        opt.set_learning_rate(0.02)


def test_multipliers_by_index_name_and_parameter():
    opt = mx.optimizer.SGD(
        learning_rate=1.0, wd=1.0, param_idx2name={0: "a_weight", 1: "a_bias", 2: "bn_gamma"}
    )
    assert opt._get_wds([0, 1, 2, 3]) == [1.0, 0.0, 1.0, 1.0]  # no decay on *_bias names
    opt.set_lr_mult({"a_bias": 0.5, 0: 0.25})
    assert opt._get_lrs([0, 1, 2]) == [0.25, 0.5, 1.0]
    p = mx.gluon.Parameter("p_bias", shape=(1,), lr_mult=3.0, wd_mult=2.0)
    opt.param_dict = {1: p}  # what Trainer does: a Parameter's live multipliers win
    assert opt._get_lrs([1]) == [3.0] and opt._get_wds([1]) == [2.0]
    p.lr_mult = 4.0
    assert opt._get_lrs([1]) == [4.0]


OPTAX_CASES = [
    "sgd",
    "sgd_mom_wd_clip",
    "sgd_clip_zero_is_off",
    "adam",
    "adam_wd_clip",
    "sgd_mp",
    "adam_mp",
]


@pytest.mark.parametrize("name", OPTAX_CASES)
def test_to_optax_reproduces_mxnet_in_a_jitted_loop(name):
    opt = _configure(name, _cases()[name])
    tx = opt.to_optax()
    dtype = _dtype(name)
    params = {"w0": jnp.asarray(FIX["w0"], dtype), "w1": jnp.asarray(FIX["w1"], dtype)}
    state = tx.init(params)
    traces = []

    @jax.jit
    def step(params, grads, state, lr, wd):
        traces.append(1)
        updates, state = tx.update(grads, state, params, lr=lr, wd=wd)
        return optax.apply_updates(params, updates), state

    lr = {"w0": np.float32(opt._get_lr(0)), "w1": np.float32(opt._get_lr(1))}
    wd = {"w0": np.float32(opt._get_wd(0)), "w1": np.float32(opt._get_wd(1))}
    for s in STEPS:
        grads = {f"w{i}": jnp.asarray(FIX[f"g{s}_{i}"], dtype) for i in (0, 1)}
        params, state = step(params, grads, state, lr, wd)
        for i in (0, 1):
            assert params[f"w{i}"].dtype == dtype
            np.testing.assert_allclose(
                np.asarray(params[f"w{i}"]), FIX[f"{name}_w{i}_{s}"], **_tol(name)
            )
    assert len(traces) == 1  # lr and wd are inputs: new values do not recompile
    step(params, grads, state, {k: v * 0.5 for k, v in lr.items()}, wd)
    assert len(traces) == 1


def test_to_optax_defaults_and_needs_params():
    tx = mx.optimizer.SGD(learning_rate=0.5, wd=0.1).to_optax()
    params = {"w": jnp.ones(2)}
    updates, _ = tx.update({"w": jnp.full(2, 2.0)}, tx.init(params), params)
    # w - lr * (g + wd * w) with lr 0.5, wd 0.1
    np.testing.assert_allclose(np.asarray(updates["w"]), -0.5 * (2.0 + 0.1), rtol=1e-6)
    with pytest.raises(ValueError, match=r"SGD.to_optax\(\): update needs params"):
        tx.update({"w": jnp.ones(2)}, tx.init(params))


def test_trainer_with_to_optax_equals_trainer_with_the_name(rng):
    x = nd.array(rng.standard_normal((4, 3)).astype(np.float32))
    results = []
    for how in ("name", "optax"):
        net = mx.gluon.nn.Dense(2, in_units=3)
        net.initialize(mx.init.Constant(0.5))
        kw = {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01, "clip_gradient": 0.5}
        opt = "sgd" if how == "name" else mx.optimizer.SGD(**kw).to_optax()
        trainer = mx.gluon.Trainer(net.collect_params(), opt, kw if how == "name" else None)
        for _ in range(3):
            with mx.autograd.record():
                loss = (net(x) ** 2).sum()
            loss.backward()
            trainer.step(4)
        results.append(net.weight.data().asnumpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=1e-7)
    assert not np.allclose(results[0], 0.5)


def test_registry_and_create():
    names = set(mx.optimizer.Optimizer.opt_registry)
    assert {"sgd", "nag", "adam", "rmsprop", "adagrad"} <= names <= set(FACTS["registry"])
    assert type(mx.optimizer.create("AdaM", learning_rate=0.1)) is mx.optimizer.Adam
    assert mx.optimizer.create("sgd", momentum=0.5).momentum == 0.5
    with pytest.raises(ValueError, match=r"Cannot find optimizer 'nope'"):
        mx.optimizer.create("nope")
    with pytest.raises(
        TypeError, match=r"create: SGD is already an instance; got extra arguments \['wd'\]"
    ):
        mx.optimizer.create(mx.optimizer.SGD(), wd=1.0)
    with pytest.raises(TypeError, match=r"create: expected an optimizer name or instance, got int"):
        mx.optimizer.create(3)
    with pytest.raises(TypeError, match=r"SGD: unexpected argument\(s\) \['momentun'\]"):
        mx.optimizer.SGD(momentun=0.9)


def test_register_custom_optimizer_and_override_warning():
    @mx.optimizer.register
    class HalfSGD(mx.optimizer.Optimizer):
        def create_state(self, index, weight):
            return None

        def update(self, index, weight, grad, state):
            weight[:] = weight - 0.5 * self._get_lr(index) * grad

    opt = mx.optimizer.create("halfsgd", learning_rate=1.0)
    w = nd.ones((2,))
    mx.optimizer.get_updater(opt)(0, nd.ones((2,)), w)
    np.testing.assert_allclose(w.asnumpy(), [0.5, 0.5])
    with pytest.warns(
        UserWarning, match=r"New optimizer .*HalfSGD is overriding existing optimizer .*HalfSGD"
    ):
        mx.optimizer.register(type("HalfSGD", (mx.optimizer.Optimizer,), {}))
    del mx.optimizer.Optimizer.opt_registry["halfsgd"]
    with pytest.raises(TypeError, match=r"register: expected an Optimizer class, got SGD"):
        mx.optimizer.register(mx.optimizer.SGD())


def test_updater_state_files_are_refused():
    updater = mx.optimizer.get_updater(mx.optimizer.SGD())
    with pytest.raises(NotImplementedError, match=r"Updater.get_states pickles states in MXNet"):
        updater.get_states()
    with pytest.raises(NotImplementedError, match=r"Updater.set_states unpickles states in MXNet"):
        updater.set_states(b"")
