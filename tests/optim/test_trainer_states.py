"""Trainer.save_states / load_states: resuming equals never stopping; MXNet 1.9.1's pickled
states (tests/fixtures/trainer_states) load only with allow_pickle=True and continue to
MXNet's weights; a pickle naming any other class is refused."""

from __future__ import annotations

import json
import os
import pathlib
import pickle

import jax
import numpy as np
import optax
import pytest

import gluax as mx
from gluax import autograd, gluon, nd

HERE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "trainer_states"
FIX = np.load(HERE / "trainer_states.npz")
FACTS = json.loads((HERE / "trainer_states.json").read_text())
KEYS = ["0.weight", "0.bias", "1.weight", "1.bias"]


def _net(weights=None):
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(3, in_units=4, activation="tanh"), gluon.nn.Dense(2, in_units=3))
    net.initialize(mx.init.Xavier())
    params = net._collect_params_with_prefix()
    if weights is not None:
        for k in KEYS:
            params[k].set_data(nd.array(weights[k]))
    net.hybridize()
    return net, params


def _batch(k):
    return nd.array(FIX[f"x{k}"]), nd.array(FIX[f"y{k}"])


def _eager_step(net, trainer, k):
    x, y = _batch(k)
    with autograd.record():
        loss = gluon.loss.SoftmaxCrossEntropyLoss()(net(x), y)
    loss.backward()
    trainer.step(x.shape[0])


def _state_arrays(trainer):
    return {i: [np.asarray(getattr(a, "_value", a)) for a in jax.tree_util.tree_leaves(s, is_leaf=lambda v: isinstance(v, mx.nd.NDArray))] for i, s in trainer._states.items()}


class _Momentum(mx.optimizer.Optimizer):
    """A custom optimizer (per-parameter API, NDArray state)."""

    def __init__(self, momentum=0.5, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return mx.nd.zeros(weight.shape)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        state[:] = self.momentum * state - self._get_lr(index) * grad * self.rescale_grad
        weight[:] = weight + state


RESUME = {
    "custom_eager": (lambda: (_Momentum(learning_rate=0.1), None), False),
    "sgd_sched_fused": (lambda: ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3, "lr_scheduler": mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.1)}), True),
    "adam_eager": (lambda: ("adam", {"learning_rate": 0.01, "wd": 1e-3}), False),
    "optax_adam_eager": (lambda: (optax.adam(0.01), None), False),
}


@pytest.mark.parametrize("case", sorted(RESUME))
def test_resuming_from_saved_states_equals_never_stopping(case, tmp_path):
    make, fused = RESUME[case]

    def run(net, trainer, steps):
        step = trainer.compile_step(net, gluon.loss.SoftmaxCrossEntropyLoss()) if fused else None
        for k in steps:
            if fused:
                step(*_batch(k))
            else:
                _eager_step(net, trainer, k)

    mx.random.seed(0)
    net, params = _net()
    trainer = gluon.Trainer(net.collect_params(), *make())
    run(net, trainer, [1, 2, 3])
    net.save_parameters(str(tmp_path / "net.params"))
    trainer.save_states(str(tmp_path / "net.states"))
    run(net, trainer, [4, 5, 6])

    mx.random.seed(1)  # a different initialization, replaced by the loaded parameters
    net2, params2 = _net()
    net2.load_parameters(str(tmp_path / "net.params"))
    opt, kw = make()
    if isinstance(opt, str):
        kw = {"learning_rate": 0.5}
    elif isinstance(opt, _Momentum):
        opt = _Momentum(momentum=0.0)  # the loaded optimizer's settings replace these
    trainer2 = gluon.Trainer(net2.collect_params(), opt, kw)
    trainer2.load_states(str(tmp_path / "net.states"))
    run(net2, trainer2, [4, 5, 6])

    for k in KEYS:
        np.testing.assert_array_equal(params2[k].data().asnumpy(), params[k].data().asnumpy(), err_msg=k)
    s1, s2 = _state_arrays(trainer), _state_arrays(trainer2)
    assert sorted(s1) == sorted(s2)
    for i in s1:
        for a, b in zip(s1[i], s2[i], strict=True):
            np.testing.assert_array_equal(b, a)
    o1, o2 = trainer.optimizer, trainer2.optimizer
    assert type(o2) is type(o1)
    assert (o2.num_update, o2._index_update_count, o2.lr) == (o1.num_update, o1._index_update_count, o1.lr)
    if o1.lr_scheduler is not None:
        assert o2.lr_scheduler.__dict__ == o1.lr_scheduler.__dict__
        assert type(o2.lr_scheduler) is type(o1.lr_scheduler)


def test_state_file_is_an_ndarray_file_with_json_metadata(tmp_path):
    net, _ = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    _eager_step(net, trainer, 1)
    fname = str(tmp_path / "s.states")
    trainer.save_states(fname)
    with open(fname, "rb") as f:
        assert f.read(8) == (0x112).to_bytes(8, "little")  # MXNet's NDArray-list header, no pickle
    loaded = nd.load(fname)
    assert sorted(loaded) == ["0", "1", "2", "3", "__trainer_states__"]
    meta = json.loads(loaded["__trainer_states__"].asnumpy().tobytes())
    assert meta["optimizer"] == "SGD" and meta["attrs"]["momentum"] == 0.9
    assert meta["attrs"]["num_update"] == 1
    # each state is the momentum of the parameter with the same index
    for i, p in enumerate(trainer._params):
        np.testing.assert_array_equal(loaded[str(i)].asnumpy(), np.asarray(trainer._states[i]))
        assert meta["params"][str(i)]["shape"] == list(p.shape)


@pytest.mark.parametrize("case", ["sgd_mom", "adam", "sgd"])
def test_mxnet_states_continue_to_mxnets_weights(case, tmp_path):
    facts = FACTS[case]
    net, params = _net({k: FIX[f"{case}__step3__{k}"] for k in KEYS})
    if case == "sgd_mom":
        params["0.weight"].lr_mult = 0.5  # not part of the file, as in MXNet
    # a different optimizer on purpose: the file's optimizer replaces it (MXNet's behaviour)
    trainer = gluon.Trainer(net.collect_params(), "nag", {"learning_rate": 1.0})
    trainer.load_states(str(HERE / f"{case}.states"), allow_pickle=True)
    opt = trainer.optimizer
    assert type(opt).__name__ == facts["optimizer"]
    for name in ("num_update", "lr", "wd", "clip_gradient", "beta1", "beta2", "epsilon", "momentum", "rescale_grad"):
        if name in facts["attrs"]:
            assert getattr(opt, name) == facts["attrs"][name], name
    assert {str(i): c for i, c in opt._index_update_count.items()} == facts["attrs"]["_index_update_count"]
    if facts["scheduler"] is not None:
        assert type(opt.lr_scheduler).__name__ == facts["scheduler"]["class"]
        assert opt.lr_scheduler.__dict__ == facts["scheduler"]["attrs"]
    assert trainer.learning_rate == pytest.approx(facts["learning_rate"])

    # through gluax's own format into a fresh trainer, then MXNet's steps 4..6
    trainer.save_states(str(tmp_path / "g.states"))
    trainer2 = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1.0})
    trainer2.load_states(str(tmp_path / "g.states"))
    for k in range(4, 7):
        _eager_step(net, trainer2, k)
        for p in KEYS:
            np.testing.assert_allclose(params[p].data().asnumpy(), FIX[f"{case}__step{k}__{p}"], rtol=1e-5, atol=1e-6, err_msg=f"{p} after step {k}")


def test_mxnet_pickle_needs_opt_in():
    net, _ = _net()
    trainer = gluon.Trainer(net.collect_params(), "adam")
    with pytest.raises(ValueError, match=r"is a Python pickle, the format of MXNet's Trainer.save_states.*allow_pickle=True"):
        trainer.load_states(str(HERE / "adam.states"))
    assert trainer.optimizer.num_update == 0 and not trainer._states


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_pickle_with_another_class_is_refused_without_running_it(tmp_path):
    target = str(tmp_path / "pwned")
    fname = tmp_path / "evil.states"
    fname.write_bytes(pickle.dumps(({0: _Evil(target)}, None)))
    net, _ = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    with pytest.raises(pickle.UnpicklingError, match=r"refers to posix.mkdir|refers to os.mkdir|refers to nt.mkdir"):
        trainer.load_states(str(fname), allow_pickle=True)
    assert not os.path.exists(target)


def test_bad_files_and_mismatches(tmp_path):
    net, params = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    net.save_parameters(str(tmp_path / "net.params"))
    with pytest.raises(ValueError, match="not a Trainer states file"):
        trainer.load_states(str(tmp_path / "net.params"))
    (tmp_path / "junk").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="neither a gluax states file"):
        trainer.load_states(str(tmp_path / "junk"))
    with pytest.raises(FileNotFoundError, match="no such file"):
        trainer.load_states(str(tmp_path / "missing"))
    _eager_step(net, trainer, 1)
    trainer.save_states(str(tmp_path / "s.states"))
    other = gluon.nn.Dense(5, in_units=4)
    other.initialize()
    small = gluon.Trainer(other.collect_params(), "sgd", {"momentum": 0.9})
    with pytest.raises(ValueError, match="parameter index 2; this Trainer has 2 parameters"):
        small.load_states(str(tmp_path / "s.states"))
    # the Trainer orders parameters by name (as MXNet's does): fixed names keep the order
    wrong = gluon.nn.HybridSequential(prefix="wrong_")
    with wrong.name_scope():
        wrong.add(gluon.nn.Dense(3, in_units=5), gluon.nn.Dense(2, in_units=3))
    wrong.initialize()
    refused = gluon.Trainer(wrong.collect_params(), "adam", {"learning_rate": 0.5})
    with pytest.raises(ValueError, match=r"saved for shape \(3, 4\), but the parameter has shape \(3, 5\)"):
        refused.load_states(str(tmp_path / "s.states"))
    # a refused file changes nothing
    assert type(refused.optimizer).__name__ == "Adam" and refused.learning_rate == 0.5
    assert refused.optimizer.num_update == 0 and not refused._states
    with pytest.raises(ValueError, match="holds the state of 'SGD'; this Trainer uses an optax"):
        gluon.Trainer(net.collect_params(), optax.sgd(0.1)).load_states(str(tmp_path / "s.states"))
    with pytest.raises(ValueError, match="holds MXNet's SGD state; this Trainer uses an optax"):
        gluon.Trainer(net.collect_params(), optax.sgd(0.1)).load_states(str(HERE / "sgd.states"), allow_pickle=True)


def _edited(tmp_path, trainer, edit, name):
    """The trainer's states file with its metadata (and arrays) changed by ``edit``."""
    src = str(tmp_path / "orig.states")
    trainer.save_states(src)
    arrays = {k: v.asnumpy() for k, v in nd.load(src).items()}
    meta = json.loads(arrays["__trainer_states__"].tobytes())
    edit(meta, arrays)
    arrays["__trainer_states__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    out = str(tmp_path / name)
    nd.save(out, {k: nd.array(v, dtype=v.dtype) for k, v in arrays.items()})
    return out


def test_inconsistent_files_are_refused(tmp_path):
    net, _ = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    _eager_step(net, trainer, 1)
    fresh = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})

    def corrupt(meta, arrays):
        meta.clear()

    def stray(meta, arrays):
        arrays["7/0"] = np.zeros(2, np.float32)

    def unknown_optimizer(meta, arrays):
        meta["optimizer"] = "Frobnicate"

    def unknown_scheduler(meta, arrays):
        meta["attrs"]["lr_scheduler"] = {"lr_scheduler": "Bogus", "attrs": {"dict": []}}

    def no_momentum(meta, arrays):
        meta["attrs"]["momentum"] = 0.0  # plain SGD keeps no state arrays, the file has some

    cases = [
        (corrupt, "is not gluax's Trainer states metadata"),
        (stray, r"arrays \['7/0'\] belong to no parameter"),
        (unknown_optimizer, "optimizer 'Frobnicate', which is not registered in gluax"),
        (unknown_scheduler, "lr_scheduler 'Bogus', which gluax does not have"),
        (no_momentum, r"parameter 0 \('.*'\) has state arrays \['0'\], but SGD keeps \[\]"),
    ]
    for edit, message in cases:
        fname = _edited(tmp_path, trainer, edit, edit.__name__)
        with pytest.raises(ValueError, match=message):
            fresh.load_states(fname)
        assert not fresh._states and fresh.optimizer.num_update == 0
    (tmp_path / "list.states").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(ValueError, match="expected a dict of states, got list"):
        fresh.load_states(str(tmp_path / "list.states"), allow_pickle=True)
    (tmp_path / "key.states").write_bytes(pickle.dumps(({"a": None}, None)))
    with pytest.raises(ValueError, match="state key 'a' is not a parameter index"):
        fresh.load_states(str(tmp_path / "key.states"), allow_pickle=True)


def test_attributes_that_are_not_plain_data_are_left_out_with_a_warning(tmp_path):
    net, _ = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    trainer.optimizer.callback = object()  # not data: never written into the file
    with pytest.warns(UserWarning, match=r"optimizer attribute\(s\) callback \(object\) are not saved"):
        trainer.save_states(str(tmp_path / "s.states"))
    meta = json.loads(nd.load(str(tmp_path / "s.states"))["__trainer_states__"].asnumpy().tobytes())
    assert "callback" not in meta["attrs"] and meta["attrs"]["lr"] == 0.1
