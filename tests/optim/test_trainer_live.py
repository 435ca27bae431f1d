"""The Trainer's compiled update while training runs: live learning rate, lr_mult, wd_mult and
grad_req changes act on the next step without compiling again (counted with JAX's own
compile events), and donated buffers leave every NDArray valid."""

from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gluax as mx
from gluax import autograd, gluon, nd
from gluax._src.optim.rules import Rule

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


@contextlib.contextmanager
def count_compiles():
    """Counts XLA compilations (JAX's monitoring events) inside the block."""
    seen = []

    def listen(event, duration, **kwargs):
        if event == COMPILE_EVENT:
            seen.append(event)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        yield seen
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)


def _net(rng_seed=0, bn=False):
    r = np.random.RandomState(rng_seed)
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(4, in_units=3, activation="relu"))
        if bn:
            net.add(gluon.nn.BatchNorm(in_channels=4))
        net.add(gluon.nn.Dense(2, in_units=4))
    net.initialize()
    for k, p in sorted(net._collect_params_with_prefix().items()):
        if p.grad_req != "null":
            p.set_data(nd.array(r.standard_normal(p.shape).astype(np.float32) * 0.5))
    net.hybridize()
    return net


X = nd.array(np.random.RandomState(1).standard_normal((4, 3)).astype(np.float32))
Y = nd.array(np.array([0, 1, 1, 0], np.float32))
LOSS = gluon.loss.SoftmaxCrossEntropyLoss()


def _weights(net):
    return {k: p.data().asnumpy() for k, p in net._collect_params_with_prefix().items()}


def _changes(net, trainer, k):
    """The live change made before step k (the same on every network)."""
    w0, b1 = net[0].weight, net[-1].bias
    if k == 1:
        trainer.set_learning_rate(0.05)
    elif k == 2:
        w0.lr_mult = 0.3
    elif k == 3:
        b1.wd_mult, w0.wd_mult = 0.0, 2.0
    elif k == 4:
        w0.grad_req = "null"
    elif k == 5:
        w0.grad_req = "write"


def test_compiled_step_takes_live_changes_without_recompiling():
    opt = {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}
    fused_net, eager_net = _net(), _net()
    fused_tr = gluon.Trainer(fused_net.collect_params(), "sgd", dict(opt))
    eager_tr = gluon.Trainer(eager_net.collect_params(), "sgd", dict(opt))
    step = fused_tr.compile_step(fused_net, LOSS)
    step(X, Y)  # compiles once
    with autograd.record():
        loss = LOSS(eager_net(X), Y)
    loss.backward()
    eager_tr.step(4)
    traces = fused_net.compile_count
    for k in range(1, 6):
        _changes(fused_net, fused_tr, k)
        _changes(eager_net, eager_tr, k)
        before = fused_net[0].weight.data().asnumpy()
        with count_compiles() as compiled:
            step(X, Y)
        if k == 4:  # the first step with a frozen parameter: the masked program, once (or loaded)
            assert len([e for e in compiled if "backend_compile" in e]) <= 1, compiled
            traces = fused_net.compile_count
        else:
            assert compiled == [], f"the fused step compiled again after change {k}"
        assert fused_net.compile_count == traces
        with autograd.record():
            loss = LOSS(eager_net(X), Y)
        loss.backward()
        eager_tr.step(4)
        after = fused_net[0].weight.data().asnumpy()
        if k == 4:
            np.testing.assert_array_equal(after, before)  # frozen
        else:
            assert not np.array_equal(after, before)
        ref = _weights(eager_net)
        for name, w in _weights(fused_net).items():
            np.testing.assert_allclose(w, ref[name], rtol=1e-5, atol=1e-6, err_msg=f"{name} after change {k}")
    assert fused_tr.learning_rate == 0.05


def test_eager_step_takes_live_changes_without_recompiling():
    net = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "wd": 0.1})
    params = list(trainer._params)

    def step(k, ignore_stale=False, backward=True):
        if backward:
            with autograd.record():
                loss = LOSS(net(X), Y)
            loss.backward()
        w = [p.data().asnumpy() for p in params]
        g = [p.grad().asnumpy() if p.grad_req != "null" else None for p in params]
        with count_compiles() as compiled:
            trainer.step(4, ignore_stale_grad=ignore_stale)
        lr = trainer.learning_rate
        for p, w0, g0 in zip(params, w, g):
            # MXNet's SGD without momentum: w - lr * lr_mult * (g / batch + wd * wd_mult * w)
            if g0 is None or not backward:
                expected = w0
            else:
                expected = w0 - lr * p.lr_mult * (g0 / 4 + 0.1 * p.wd_mult * w0)
            np.testing.assert_allclose(p.data().asnumpy(), expected, rtol=1e-5, atol=1e-7, err_msg=f"{p.name}, step {k}")
        return compiled

    step(0)  # compiles the update once (every parameter trained: without the mask)
    for k in range(1, 6):
        _changes(net, trainer, k)
        compiled = step(k)
        if k == 4:  # the first step with a frozen parameter: the masked update, once (or loaded)
            assert len([e for e in compiled if "backend_compile" in e]) <= 1, compiled
        else:
            assert compiled == [], f"trainer.step compiled again after change {k}"
    # a skipped stale parameter (ignore_stale_grad) is masked the same way
    with autograd.record():
        loss = (net[-1](nd.ones((2, 4)))).sum()  # the first layer gets no fresh gradient
    loss.backward()
    # read, as step() does: the gradients are written now, so the step runs the update program
    # alone (unread, this new graph's backward would compile into one program with it)
    [p.grad() for p in params if p.grad_req != "null"]
    w0 = net[0].weight.data().asnumpy()
    with count_compiles() as compiled:
        trainer.step(2, ignore_stale_grad=True)
    assert compiled == []
    np.testing.assert_array_equal(net[0].weight.data().asnumpy(), w0)
    assert trainer._jit_update._cache_size() == 2  # with and without the mask


def _buffers(trainer):
    ps = {p.data()._value.unsafe_buffer_pointer() for p in trainer._params if p.grad_req != "null"}
    ss = {a.unsafe_buffer_pointer() for a in jax.tree_util.tree_leaves(trainer._states)}
    return ps, ss


def test_compiled_step_donates_and_every_ndarray_stays_valid(tmp_path):
    net = _net(bn=True)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    step = trainer.compile_step(net, LOSS)
    step(X, Y)
    before_p, before_s = _buffers(trainer)
    step(X, Y)
    after_p, after_s = _buffers(trainer)
    # donation: the new weights and states are written into the old buffers
    assert before_p <= after_p | after_s
    assert len(before_s & (after_p | after_s)) >= len(before_s) // 2

    # arrays that something else holds are copied, not donated
    w = net[0].weight
    held = w.data().detach()
    raw = net[-1].bias.data().data  # a raw jax.Array
    src = nd.array(np.full((2,), 0.25, np.float32))
    net[-1].bias.set_data(src)
    with autograd.record():  # a recorded tape holds the weights until backward
        eager_loss = LOSS(net(X), Y)
    held_np, raw_np = held.asnumpy(), np.asarray(raw)
    step(X, Y)
    # copies made on the same device share the buffer of a weight the last step produced
    snaps = [w.data().copyto(mx.cpu()), nd.array(w.data()), nd.zeros(w.shape)]
    w.data().copyto(snaps[2])
    snap_np = w.data().asnumpy()
    step(X, Y)
    np.testing.assert_array_equal(held.asnumpy(), held_np)
    np.testing.assert_array_equal(np.asarray(raw), raw_np)
    np.testing.assert_array_equal(src.asnumpy(), [0.25, 0.25])
    for snap in snaps:
        np.testing.assert_array_equal(snap.asnumpy(), snap_np)
    eager_loss.backward()
    # every later access works: data, grads, states, forward (eager and hybridized), saving,
    # the eager update path
    for p in net.collect_params().values():
        p.data().asnumpy()
        for d in p.list_data():
            d.asnumpy()
        if p.grad_req != "null":
            p.grad().asnumpy()
    for leaf in jax.tree_util.tree_leaves(trainer._states):
        np.asarray(leaf)
    net(X).asnumpy()
    net.hybridize(active=False)
    net(X).asnumpy()
    net.hybridize()
    trainer.step(4)
    net.save_parameters(str(tmp_path / "n.params"))
    trainer.save_states(str(tmp_path / "n.states"))
    step(X, Y).asnumpy()
    assert np.isfinite(_weights(net)["0.weight"]).all()


class _KeepsParams(optax.GradientTransformation):
    """An optax transformation whose state IS the parameters (as lookahead or EMA keep them)."""

    def __new__(cls):
        def init(params):
            return {"slow": params}

        def update(updates, state, params=None):
            return jax.tree_util.tree_map(lambda g: -0.1 * g, updates), {"slow": jax.tree_util.tree_map(lambda s, p: 0.5 * (s + p), state["slow"], params)}

        return super().__new__(cls, init, update)


@pytest.mark.parametrize("opt, kw", [(_KeepsParams, None), ("rmsprop", {"learning_rate": 0.01, "centered": True})])
def test_aliased_state_arrays_are_not_donated_twice(opt, kw):
    results = []
    for fused in (True, False):
        net = _net()
        trainer = gluon.Trainer(net.collect_params(), opt() if kw is None else opt, kw)
        step = trainer.compile_step(net, LOSS) if fused else None
        for _ in range(3):
            if fused:
                step(X, Y)
            else:
                with autograd.record():
                    loss = LOSS(net(X), Y)
                loss.backward()
                trainer.step(4)
        leaves = [np.asarray(a) for a in jax.tree_util.tree_leaves(trainer._states)]
        results.append((_weights(net), leaves))
    (w1, s1), (w0, s0) = results
    for k in w0:
        np.testing.assert_allclose(w1[k], w0[k], rtol=1e-5, atol=1e-6, err_msg=k)
    for a, b in zip(s1, s0, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_shard_params_needs_a_mesh():
    net = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    with pytest.raises(ValueError, match="shard_params=True splits parameters over the devices of a mesh"):
        trainer.compile_step(net, LOSS, shard_params=True)
    assert jnp.asarray(0).ndim == 0


class _Ticks(mx.optimizer.Optimizer):
    """A rule whose ``t`` comes from host bookkeeping advanced once per parameter update, in
    the order of the indices (as Nadam's momentum schedule in MXNet)."""

    def __init__(self, **kwargs):
        super().__init__(learning_rate=0.1, **kwargs)
        self.ticks = 0

    def _step_inputs(self, indices):
        rows = []
        for _ in indices:
            self.ticks += 1
            rows.append(self.ticks)
        return np.asarray(rows, np.float32)

    def _rule(self):
        def apply(w, g, state, lr, wd, rescale, t):
            return w - lr * t * rescale * g, state

        return Rule(lambda w: (), apply)


def test_step_inputs_follow_the_trainer_index_order():
    results = []
    for fused in (True, False):
        net = _net()
        trainer = gluon.Trainer(net.collect_params(), _Ticks())
        # the trainer orders parameters by name (biases first); the network lists weights first
        assert [p.name.rsplit("_", 1)[1] for p in trainer._params][:2] == ["bias", "weight"]
        step = trainer.compile_step(net, LOSS) if fused else None
        for k in range(3):
            if k == 1:
                net[0].bias.grad_req = "null"
            if fused:
                step(X, Y)
            else:
                with autograd.record():
                    loss = LOSS(net(X), Y)
                loss.backward()
                trainer.step(4)
        results.append(_weights(net))
    for k in results[0]:
        np.testing.assert_allclose(results[0][k], results[1][k], rtol=1e-6, atol=1e-7, err_msg=k)


def test_first_compiled_step_donates_what_the_initializers_made():
    # arrays made by initialize() are the parameters' own: donated without a copy, and a
    # compiled step never needs gradient buffers
    def build():
        mx.random.seed(3)
        net = gluon.nn.HybridSequential()
        with net.name_scope():
            net.add(gluon.nn.Dense(4, in_units=3, activation="relu"), gluon.nn.Dense(2, in_units=4))
        net.initialize(mx.init.Xavier())
        return net

    net = build()
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    step = trainer.compile_step(net, LOSS)
    kept = []  # per call: which arrays went to the program as they were (not copied first)
    donatable = trainer._donatable

    def spy(*groups):
        out = donatable(*groups)
        kept.append([a is b for g, o in zip(groups, out) for a, b in zip(g, o)])
        return out

    trainer._donatable = spy
    step(X, Y)
    assert len(kept) == 1 and len(kept[0]) == 8 and all(kept[0]), kept
    assert all(p.data()._ag._grad is None for p in net.collect_params().values())
    # the same network trained by the eager loop reaches the same weights
    ref = build()
    ref_tr = gluon.Trainer(ref.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    for _ in range(2):
        with autograd.record():
            loss = LOSS(ref(X), Y)
        loss.backward()
        ref_tr.step(4)
    step(X, Y)
    for k, v in _weights(ref).items():
        np.testing.assert_allclose(_weights(net)[k], v, rtol=1e-5, atol=1e-6, err_msg=k)


def test_trainer_step_donates_weights_yet_every_held_array_stays_valid():
    net = _net(bn=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    kept = []
    donatable = trainer._donatable

    def spy(*groups):
        out = donatable(*groups)
        kept.append([a is b for a, b in zip(groups[0], out[0])])  # the weights
        return out

    trainer._donatable = spy

    def loop(retain=False):
        with autograd.record():
            loss = LOSS(net(X), Y)
        loss.backward(retain_graph=retain)
        trainer.step(4)
        return loss

    for hybrid in (True, False):
        net.hybridize(active=hybrid)
        loss = loop()
        loss = loop()  # the user keeps the last loss (for a metric): its freed graph holds
        assert all(kept[-1]), hybrid  # no weight, so they go in as the last update made them
        del loss
    w = net[0].weight
    held = w.data().detach()
    raw = net[-1].bias.data().data
    held_np, raw_np = held.asnumpy(), np.asarray(raw)
    loss = loop(retain=True)  # the kept graph still holds this step's weights
    assert not all(kept[-1])
    np.testing.assert_array_equal(held.asnumpy(), held_np)
    np.testing.assert_array_equal(np.asarray(raw), raw_np)
    loss.backward()  # the retained graph's arrays were not donated from under it
    w.grad_req = "null"  # masked in the update: its value is still readable afterwards
    loop()
    for v in _weights(net).values():
        assert np.isfinite(v).all()
