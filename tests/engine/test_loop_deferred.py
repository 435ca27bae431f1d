"""The record/backward/step loop with the deferred backward (``engine/tape.py``): a
``backward()`` whose gradients are consumed only by the next ``trainer.step`` runs as one
program, with the update (``tape.FUSE_UPDATE``) or before it; every MXNet semantic of the loop
must stay as the node-by-node walk gives it. Each case trains the same network both ways (``tape.DEFER`` on and off) and compares
parameters and gradients after the steps."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, nd
from gluax._src.engine import tape

X = np.random.RandomState(0).randn(4, 5).astype(np.float32)
Y = np.array([0, 1, 2, 1], np.float32)



# every test here needs the deferred backward, which a worker stops using once earlier tests
# have met DEFER_MAX_PLANS graph structures
pytestmark = pytest.mark.usefixtures("fresh_plans")

def _net(hybrid, grad_req="write"):
    mx.random.seed(0)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(6, activation="tanh"), gluon.nn.Dense(3))
    net.initialize(mx.init.Xavier())
    if hybrid:
        net.hybridize()
    net(nd.array(X))
    if grad_req != "write":
        net.collect_params().setattr("grad_req", grad_req)
    return net


def _train(defer, body, hybrid=True, steps=3, grad_req="write", optimizer="sgd"):
    """Run ``body(net, trainer, loss_fn, x, y)`` ``steps`` times with the backward deferred or
    not; returns the parameters and gradients after the last step, and the trainer."""
    old = tape.DEFER[0], tape.FUSE_UPDATE[0]
    tape.DEFER[0] = tape.FUSE_UPDATE[0] = defer  # deferred: with the update in one program
    try:
        net = _net(hybrid, grad_req)
        trainer = gluon.Trainer(net.collect_params(), optimizer,
                                {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}
                                if optimizer == "sgd" else {"learning_rate": 0.01})  # fmt: skip
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        x, y = nd.array(X), nd.array(Y)
        for _ in range(steps):
            body(net, trainer, loss_fn, x, y)
        params = net.collect_params().values()
        return [p.data().asnumpy() for p in params], [p.grad().asnumpy() for p in params], trainer
    finally:
        tape.DEFER[0], tape.FUSE_UPDATE[0] = old


def _same(body, **kw):
    w0, g0, _ = _train(False, body, **kw)
    w1, g1, trainer = _train(True, body, **kw)
    for a, b in zip(w0 + g0, w1 + g1):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    return trainer


def _plain(net, trainer, loss_fn, x, y):
    with autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(x.shape[0])


@pytest.mark.parametrize("hybrid", [True, False])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_plain_loop_runs_backward_with_the_update(hybrid, optimizer):
    trainer = _same(_plain, hybrid=hybrid, optimizer=optimizer)
    assert trainer._jit_bwd_update is not None  # the one-program path ran
    assert trainer._jit_bwd_update[1]._cache_size() == 1  # and compiled once for all steps


def test_gradients_readable_between_backward_and_step():
    seen = {True: [], False: []}

    def body(net, trainer, loss_fn, x, y):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        seen[tape.DEFER[0]].append(net[0].weight.grad().asnumpy())
        trainer.step(x.shape[0])

    _same(body)
    for a, b in zip(seen[False], seen[True]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_gradients_writable_between_backward_and_step():
    def body(net, trainer, loss_fn, x, y):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        g = net[1].bias.grad()
        g[:] = g * 3 + 1  # written in place: the update must see it
        trainer.step(x.shape[0])

    _same(body)


def test_grad_req_add_accumulates_over_backward_calls():
    def body(net, trainer, loss_fn, x, y):
        for half in (slice(0, 2), slice(2, 4)):
            with autograd.record():
                loss = loss_fn(net(x[half]), y[half])
            loss.backward()
        trainer.step(x.shape[0])
        net.collect_params().zero_grad()

    _same(body, grad_req="add")


def test_grad_req_add_without_zeroing():
    _same(_plain, grad_req="add")


def test_retain_graph_backward_twice():
    def body(net, trainer, loss_fn, x, y):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward(retain_graph=True)
        loss.backward()
        trainer.step(x.shape[0])

    _same(body)


def test_second_backward_on_a_freed_graph_raises():
    tape.DEFER[0] = True
    net = _net(True)
    with autograd.record():
        loss = net(nd.array(X)).sum()
    loss.backward()
    with pytest.raises(mx.base.MXNetError, match="retain_graph"):
        loss.backward()


def test_create_graph_on_eager_ops_then_step():
    # a gradient penalty: d(loss)/d(input) recorded, its square added to the loss
    def body(net, trainer, loss_fn, x, y):
        x = x.copy()
        x.attach_grad()
        with autograd.record():
            loss = loss_fn(net(x), y)
            (gx,) = autograd.grad(loss, [x], create_graph=True)
            total = loss.sum() + (gx * gx).sum()
        total.backward()
        trainer.step(x.shape[0])

    _same(body, hybrid=False)


def test_allreduce_grads_and_update_split():
    def body(net, trainer, loss_fn, x, y):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.allreduce_grads()
        trainer.update(x.shape[0])

    _same(body)


def test_several_losses():
    def body(net, trainer, loss_fn, x, y):
        l2 = gluon.loss.L2Loss()
        with autograd.record():
            out = net(x)
            a = loss_fn(out, y)
            b = l2(out, nd.ones_like(out))
        autograd.backward([a, b])
        trainer.step(x.shape[0])

    _same(body)


def test_several_losses_backward_one_by_one():
    def body(net, trainer, loss_fn, x, y):
        with autograd.record():
            out = net(x)
            a = loss_fn(out, y)
            b = (out * out).mean()
        a.backward(retain_graph=True)
        b.backward()  # grad_req 'add': both gradients summed
        trainer.step(x.shape[0])
        net.collect_params().zero_grad()

    _same(body, grad_req="add")


def test_gradient_clipping_between_the_calls():
    def body(net, trainer, loss_fn, x, y):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        grads = [p.grad() for p in net.collect_params().values()]
        gluon.utils.clip_global_norm(grads, 0.05)
        trainer.step(x.shape[0])

    _same(body)


def test_gradients_readable_after_step():
    # _same compares p.grad() after the last step: also when only the step consumed them
    trainer = _same(_plain, steps=1)
    assert trainer._jit_bwd_update is not None


def test_head_gradient_and_input_gradient():
    def body(net, trainer, loss_fn, x, y):
        x = x.copy()
        x.attach_grad()
        with autograd.record():
            out = net(x)
        out.backward(nd.ones_like(out) * 0.5)
        trainer.step(x.shape[0])
        body.input_grads.append(x.grad.asnumpy())

    body.input_grads = []
    _same(body)
    half = len(body.input_grads) // 2
    for a, b in zip(body.input_grads[:half], body.input_grads[half:]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_user_held_gradient_buffer_is_written_at_backward():
    tape.DEFER[0] = True
    x = nd.array([1.0, 2.0])
    g = nd.zeros((2,))
    autograd.mark_variables([x], [g])
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    np.testing.assert_array_equal(g.asnumpy(), [2, 4])


def test_deferred_backward_without_the_fused_update():
    # the default: the pending backward runs as one program when the step reads the gradients
    old = tape.FUSE_UPDATE[0]
    tape.FUSE_UPDATE[0] = False
    try:
        w0, g0, _ = _train(False, _plain)
        tape.DEFER[0] = True
        net = _net(True)
        trainer = gluon.Trainer(net.collect_params(), "sgd",
                                {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01})  # fmt: skip
        for _ in range(3):
            _plain(net, trainer, gluon.loss.SoftmaxCrossEntropyLoss(), nd.array(X), nd.array(Y))
        assert trainer._jit_bwd_update is None
        params = net.collect_params().values()
        for a, p in zip(w0, params):
            np.testing.assert_allclose(p.data().asnumpy(), a, rtol=1e-5, atol=1e-6)
        for a, p in zip(g0, params):
            np.testing.assert_allclose(p.grad().asnumpy(), a, rtol=1e-5, atol=1e-6)
    finally:
        tape.FUSE_UPDATE[0] = old
