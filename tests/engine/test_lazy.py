"""Lazy recorded calls (``engine/lazy.py``): a hybridized block called under ``record()``, and
the operators applied to its result, run when ``backward()`` comes, as one program with the
backward, or as they would have run at once when something reads a value first. Every case
runs the same code with laziness on and off and compares values, gradients and parameters."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import run_with_cache

import gluax as mx
from gluax import autograd, gluon, nd
from gluax._src.engine import lazy, tape
from gluax._src.engine.base import MXNetError

X = np.random.RandomState(0).randn(4, 5).astype(np.float32)
Y = np.array([0, 1, 2, 1], np.float32)

pytestmark = pytest.mark.usefixtures("fresh_plans")


def _net(dropout=False, batchnorm=False):
    mx.random.seed(0)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(6, activation="tanh"))
    if dropout:
        net.add(gluon.nn.Dropout(0.5))
    if batchnorm:
        net.add(gluon.nn.BatchNorm())
    net.add(gluon.nn.Dense(3))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    return net


def _both(body, steps=3, **net_kw):
    """``body(net, trainer, loss_fn, x, y, log)`` run ``steps`` times with laziness off, then
    on; each run's log, parameters and gradients."""
    runs = []
    for on in (False, True):
        old = lazy.LAZY[0]
        lazy.LAZY[0] = on
        try:
            net = _net(**net_kw)
            trainer = gluon.Trainer(net.collect_params(), "sgd",
                                    {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01})  # fmt: skip
            loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
            x, y = nd.array(X), nd.array(Y)
            log: list[np.ndarray] = []
            mx.random.seed(1)
            for _ in range(steps):
                body(net, trainer, loss_fn, x, y, log)
            params = list(net.collect_params().values())
            runs.append((log, [p.data().asnumpy() for p in params],
                         [p.grad().asnumpy() for p in params if p.grad_req != "null"]))  # fmt: skip
        finally:
            lazy.LAZY[0] = old
    (l0, w0, g0), (l1, w1, g1) = runs
    assert len(l0) == len(l1)
    for a, b in zip(l0 + w0 + g0, l1 + w1 + g1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _plain(net, trainer, loss_fn, x, y, log):
    with autograd.record():
        out = net(x)
        loss = loss_fn(out, y)
    loss.backward()
    log += [out.asnumpy(), loss.asnumpy()]
    trainer.step(4)


@pytest.mark.parametrize("dropout", [False, True])
def test_loop_lazy_equals_eager_call(dropout):
    _both(_plain, dropout=dropout)


def test_the_loop_runs_lazy_and_as_one_program():
    net, loss_fn = _net(), gluon.loss.SoftmaxCrossEntropyLoss()
    x, y = nd.array(X), nd.array(Y)
    n = len(lazy._PLANS)
    with autograd.record():
        out = net(x)
        loss = loss_fn(out, y)
    assert type(out) is lazy.LazyNDArray and type(loss) is lazy.LazyNDArray
    # shape and dtype without running the call
    assert out.shape == (4, 3) and loss.shape == (4,) and out.dtype == np.float32
    assert out.ndim == 2 and out.size == 12
    assert out._ag.node.lazy is not None
    loss.backward()
    assert len(lazy._PLANS) == n + 1  # the forward, the loss and the backward: one plan
    assert type(out) is nd.NDArray and type(loss) is nd.NDArray
    assert out._ag.node.lazy is None and out._ag.node.backward_fn is None  # freed
    expect = loss_fn(net(x), y).asnumpy()
    np.testing.assert_allclose(loss.asnumpy(), expect, rtol=1e-6)
    with pytest.raises(MXNetError):
        loss.backward()  # the graph was freed, as after any backward


def test_reading_a_value_before_backward_runs_the_call_there():
    def body(net, trainer, loss_fn, x, y, log):
        with autograd.record():
            out = net(x)
            log.append(out.asnumpy())  # read inside record(): the call runs now
            loss = loss_fn(out, y)
            log.append(loss.mean().asnumpy())
        loss.backward()
        trainer.step(4)

    _both(body, dropout=True)


def test_operators_on_lazy_outputs_and_several_heads():
    def body(net, trainer, loss_fn, x, y, log):
        with autograd.record():
            out = net(x)
            l1 = loss_fn(out, y) * 2
            l2 = (out * out).sum(axis=1) + 1
        autograd.backward([l1, l2])
        log += [l1.asnumpy(), l2.asnumpy()]
        trainer.step(4)

    _both(body)


def test_head_gradients_retain_graph_and_grad_req_add():
    def body(net, trainer, loss_fn, x, y, log):
        net.collect_params().setattr("grad_req", "add")
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward(nd.array([1.0, 2.0, 0.5, 1.0]))
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward(retain_graph=True)
        loss.backward()
        log.append(loss.asnumpy())
        trainer.step(4)
        net.collect_params().zero_grad()

    _both(body)


def test_autograd_grad_on_a_lazy_head():
    def body(net, trainer, loss_fn, x, y, log):
        xv = nd.array(X)
        xv.attach_grad()
        with autograd.record():
            loss = loss_fn(net(xv), y)
        (gx,) = autograd.grad(loss, [xv])
        log += [gx.asnumpy(), loss.asnumpy()]

    _both(body, steps=1)


def test_hybridized_loss_and_a_second_block_on_lazy_outputs():
    head = gluon.nn.Dense(2)
    head.initialize(mx.init.Xavier())
    head.hybridize()
    loss_fn = gluon.loss.L2Loss()
    loss_fn.hybridize()

    def body(net, trainer, _loss_fn, x, y, log):
        with autograd.record():
            out = head(net(x))
            assert type(out) is lazy.LazyNDArray or not lazy.LAZY[0]
            loss = loss_fn(out, nd.ones((4, 2)))
        loss.backward()
        log += [out.asnumpy(), loss.asnumpy(), head.weight.grad().asnumpy()]
        trainer.step(4)

    _both(body)


def test_values_read_at_the_call_not_at_backward():
    """A parameter written between the call and backward() does not change what the call
    computed (MXNet computed the forward at the call)."""

    def body(net, trainer, loss_fn, x, y, log):
        w = net[0].weight
        with autograd.record():
            loss = loss_fn(net(x), y)
        w.set_data(w.data() * 0.5)
        loss.backward()
        log += [loss.asnumpy(), w.grad().asnumpy()]

    _both(body, steps=1)


def test_blocks_with_running_statistics_run_at_once():
    net = _net(batchnorm=True)
    net(nd.array(X))  # (shapes: not training, the statistics stay)
    bn = net[1]
    before = bn.running_mean.data().asnumpy()
    with autograd.record():
        out = net(nd.array(X))
    assert type(out) is nd.NDArray  # BatchNorm writes its statistics at the call
    assert not np.allclose(bn.running_mean.data().asnumpy(), before)
    _both(_plain, batchnorm=True)


def test_compile_count_and_export_after_a_lazy_call(tmp_path):
    net = _net()
    with autograd.record():
        loss = gluon.loss.L1Loss()(net(nd.array(X)), nd.zeros((4, 3)))
    loss.backward()
    assert net.compile_count == 1
    net.export(str(tmp_path / "m"))
    sym = mx.gluon.SymbolBlock.imports(str(tmp_path / "m-symbol.json"), ["data"],
                                       str(tmp_path / "m-0000.params"))  # fmt: skip
    np.testing.assert_allclose(sym(nd.array(X)).asnumpy(), net(nd.array(X)).asnumpy(), rtol=1e-6)


def test_integer_results_and_attach_grad_on_a_lazy_output():
    def body(net, trainer, loss_fn, x, y, log):
        with autograd.record():
            out = net(x)
            idx = out.argmax(axis=1).astype("int32").reshape((4, 1))  # an integer lazy output
            picked = (out * idx).sum()  # on an integer lazy input: runs at once
        picked.backward()
        log += [idx.asnumpy(), picked.asnumpy()]
        trainer.step(4)

    _both(body)
    net = _net()
    with autograd.record():
        out = net(nd.array(X))
    out.attach_grad()  # leaves its graph, as in MXNet: a variable from here on
    with autograd.record():
        s = (out * 3).sum()
    s.backward()
    np.testing.assert_allclose(out.grad.asnumpy(), np.full((4, 3), 3.0))


def test_plan_limit_falls_back_to_running_at_once(monkeypatch):
    monkeypatch.setattr(lazy, "MAX_PLANS", len(lazy._PLANS))
    _both(_plain)


def test_fused_loss_follows_an_attribute_change():
    loss_fn = gluon.loss.L2Loss()
    x, y = nd.array(X[:, :3]), nd.zeros((4, 3))
    first = loss_fn(x, y).asnumpy()
    loss_fn._weight = 3.0
    np.testing.assert_allclose(loss_fn(x, y).asnumpy(), first * 3.0, rtol=1e-6)
    np.testing.assert_allclose(first, 0.5 * (X[:, :3] ** 2).mean(axis=1), rtol=1e-6)


def test_switch_off_is_the_eager_call():
    old = lazy.LAZY[0]
    lazy.LAZY[0] = False
    try:
        with autograd.record():
            out = _net()(nd.array(X))
        assert type(out) is nd.NDArray
    finally:
        lazy.LAZY[0] = old
    assert tape.DEFER[0]


def test_frozen_parameters_and_batchnorm_outside_training_may_be_lazy():
    def body(net, trainer, loss_fn, x, y, log):
        net[0].collect_params().setattr("grad_req", "null")  # frozen: the block's aux inputs
        with autograd.record(train_mode=False):  # BatchNorm writes nothing: lazy
            out = net(x)
            assert type(out) is lazy.LazyNDArray or not lazy.LAZY[0]
            loss = loss_fn(out, y)
        loss.backward()
        log += [out.asnumpy(), loss.asnumpy()]
        trainer.step(4)

    _both(body, batchnorm=True)
    net = _net(batchnorm=True)
    net(nd.array(X))
    for _ in range(2):  # training: never lazy, and counted as one compilation
        with autograd.record():
            assert type(net(nd.array(X))) is nd.NDArray
    assert net.compile_count == 2  # the unrecorded call's program and the recorded one's


def test_batchnorm_in_training_is_known_without_a_shape_pass(monkeypatch):
    from gluax._src.gluon.block import HybridBlock

    def refuse(*a, **k):
        raise AssertionError("a shape pass for a tree with a BatchNorm in training")

    monkeypatch.setattr(HybridBlock, "_lazy_shapes", refuse)
    net = _net(batchnorm=True)
    with autograd.record():
        out = net(nd.array(X))
    assert type(out) is nd.NDArray
    plain = _net()  # without BatchNorm: the shape pass is how it learns its outputs
    with pytest.raises(AssertionError, match="shape pass"):
        with autograd.record():
            plain(nd.array(X))


_WARM = r"""
import json
import numpy as np
import gluax as mx
from gluax import autograd, gluon, nd
from gluax._src.engine import lazy
from gluax._src.gluon.block import HybridBlock

traced = []
pure = HybridBlock._pure
def counting(self, *a, **k):
    traced.append(type(self).__name__)
    return pure(self, *a, **k)
HybridBlock._pure = counting
mx.random.seed(3)
net = gluon.nn.HybridSequential()
net.add(gluon.nn.Dense(8, in_units=5, activation="relu"), gluon.nn.Dropout(0.3),
        gluon.nn.Dense(3, in_units=8))
net.initialize(mx.init.Xavier())
net.hybridize()
tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
x = nd.array(np.linspace(-1, 1, 20, dtype="float32").reshape(4, 5))
y = nd.array([0, 1, 2, 1])
kinds = []
for _ in range(3):
    with autograd.record():
        out = net(x)
        kinds.append(type(out).__name__)
        loss = loss_fn(out, y)
    loss.backward()
    tr.step(4)
print(json.dumps({"traced": traced, "kinds": kinds, "compiles": net.compile_count,
                  "loss": loss.asnumpy().tolist(),
                  "params": [p.data().asnumpy().tolist() for p in net.collect_params().values()]}))
"""


def test_a_warm_process_runs_the_lazy_loop_without_tracing(tmp_path):
    cache = tmp_path / "cache"
    a = run_with_cache(_WARM, cache, tmp_path)
    b = run_with_cache(_WARM, cache, tmp_path)
    assert a["kinds"] == b["kinds"] == ["LazyNDArray"] * 3
    assert a["traced"] and b["traced"] == []  # the shapes noted, the programs loaded
    assert a["compiles"] == b["compiles"] == 1
    np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-6)
    for p, q in zip(a["params"], b["params"]):
        np.testing.assert_allclose(p, q, rtol=1e-6)


@pytest.mark.parametrize("read_first", [False, True])
def test_backward_and_update_as_one_program(monkeypatch, read_first):
    """``lazy.FUSE_UPDATE``: backward() waits for trainer.step, which runs forward, loss,
    backward and update in one program; reading a gradient first runs the graph alone."""
    monkeypatch.setattr(lazy, "FUSE_UPDATE", [True])

    def body(net, trainer, loss_fn, x, y, log):
        with autograd.record():
            out = net(x)
            loss = loss_fn(out, y)
        loss.backward()
        if lazy.LAZY[0]:
            assert type(loss) is lazy.LazyNDArray  # not run yet: waits for the step
        if read_first:
            log.append(net[0].weight.grad().asnumpy())
        trainer.step(4)
        log += [out.asnumpy(), loss.asnumpy(), net[0].weight.grad().asnumpy()]

    _both(body, dropout=True)
    net = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        loss = gluon.loss.L2Loss()(net(nd.array(X)), nd.zeros((4, 3)))
    loss.backward()
    trainer.step(4)
    assert trainer._jit_bwd_update is not None  # the one-program path ran
    with pytest.raises(MXNetError):
        loss.backward()


@pytest.mark.parametrize("on", [True, False])
def test_pickle_and_copy_of_recorded_outputs(on, monkeypatch):
    """A recorded output (lazy or not) pickles and copies as its value, outside its graph."""
    import copy
    import pickle

    monkeypatch.setattr(lazy, "LAZY", [on])
    net = _net()
    ref = net(nd.array(X)).asnumpy()
    for how in (lambda a: pickle.loads(pickle.dumps(a)), copy.deepcopy, copy.copy):
        with autograd.record():
            out = net(nd.array(X))
        assert (type(out) is lazy.LazyNDArray) == on
        got = how(out)
        assert type(got) is nd.NDArray and got._ag is None
        np.testing.assert_allclose(got.asnumpy(), ref, rtol=1e-6)
    v = nd.ones((2,))
    v.attach_grad()
    assert copy.deepcopy(v).grad is not None  # a variable keeps its gradient record


def test_one_network_called_several_times_in_one_graph():
    square = gluon.nn.Dense(5, in_units=5, activation="tanh")
    square.initialize(mx.init.Xavier())
    square.hybridize()

    def body(net, trainer, loss_fn, x, y, log):
        with autograd.record():
            a, b = net(x), net(x * 0.5)  # siamese: shared parameters, two nodes
            twice = square(square(x))  # a block on its own lazy output
            loss = loss_fn(a, y) + loss_fn(b, y) + twice.sum(axis=1)
            assert type(loss) is lazy.LazyNDArray or not lazy.LAZY[0]
        loss.backward()
        log += [loss.asnumpy(), square.weight.grad().asnumpy()]
        trainer.step(4)

    _both(body)
