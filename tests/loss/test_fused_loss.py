"""Un-hybridized losses of gluax's own classes run as one operator (``Loss._fused_op``): the
same values and gradients as the loss computed op by op (a subclass defined here is not
gluax's, so it takes the op-by-op path), one node on the tape, ``create_graph`` through it,
one operator per configuration."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, nd
from gluax.gluon import loss as L

RNG = np.random.RandomState(7)

# (class, constructor kwargs, input makers)
CASES = [
    (L.SoftmaxCrossEntropyLoss, {}, ["logits", "labels"]),
    (L.SoftmaxCrossEntropyLoss, {"sparse_label": False}, ["logits", "dense"]),
    (L.SoftmaxCrossEntropyLoss, {"weight": 0.3}, ["logits", "labels", "sw"]),
    (L.L2Loss, {}, ["logits", "target"]),
    (L.L1Loss, {"weight": 2.0}, ["logits", "target", "sw"]),
    (L.SigmoidBinaryCrossEntropyLoss, {}, ["logits", "binary"]),
    (L.HuberLoss, {"rho": 0.5}, ["logits", "target"]),
    (L.KLDivLoss, {"from_logits": False}, ["logits", "dense"]),
]


def _inputs(names):
    make = {
        "logits": lambda: RNG.randn(4, 5).astype(np.float32),
        "labels": lambda: RNG.randint(0, 5, size=4).astype(np.float32),
        "dense": lambda: RNG.dirichlet(np.ones(5), size=4).astype(np.float32),
        "target": lambda: RNG.randn(4, 5).astype(np.float32),
        "binary": lambda: (RNG.rand(4, 5) > 0.5).astype(np.float32),
        "sw": lambda: RNG.rand(4, 1).astype(np.float32),
    }
    return [nd.array(make[n]()) for n in names]


def _op_by_op(cls):
    return type("OpByOp" + cls.__name__, (cls,), {})  # not a gluax class: not fused


def _run(loss, inputs):
    x = inputs[0].copy()
    x.attach_grad()
    with autograd.record():
        out = loss(x, *inputs[1:])
    out.backward()
    return out, x.grad.asnumpy()


@pytest.mark.parametrize("cls,kw,names", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_fused_equals_op_by_op(cls, kw, names):
    inputs = _inputs(names)
    fused = cls(**kw)
    assert fused._fused_op() is not None
    assert _op_by_op(cls)(**kw)._fused_op() is None
    out, grad = _run(fused, inputs)
    ref, ref_grad = _run(_op_by_op(cls)(**kw), inputs)
    # one node: the fused operator, fed by the prediction directly
    assert out._ag.node.name == cls.__name__
    np.testing.assert_allclose(out.asnumpy(), ref.asnumpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-5, atol=1e-7)
    # unrecorded, too
    np.testing.assert_allclose(
        fused(*inputs).asnumpy(), _op_by_op(cls)(**kw)(*inputs).asnumpy(), rtol=1e-6, atol=1e-7
    )


def test_create_graph_through_a_fused_loss():
    logits, labels = _inputs(["logits", "labels"])

    def second_order(loss):
        x = logits.copy()
        x.attach_grad()
        with autograd.record():
            out = loss(x * x, labels).sum()
            (g,) = autograd.grad(out, [x], create_graph=True)
            penalty = (g * g).sum()
        penalty.backward()
        return g.asnumpy(), x.grad.asnumpy()

    g, gg = second_order(L.SoftmaxCrossEntropyLoss())
    g_ref, gg_ref = second_order(_op_by_op(L.SoftmaxCrossEntropyLoss)())
    np.testing.assert_allclose(g, g_ref, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gg, gg_ref, rtol=1e-4, atol=1e-6)


def test_one_operator_per_configuration():
    a, b = L.SoftmaxCrossEntropyLoss(), L.SoftmaxCrossEntropyLoss()
    assert a._fused_op() is b._fused_op()
    assert L.SoftmaxCrossEntropyLoss(axis=0)._fused_op() is not a._fused_op()
    assert L.L2Loss(weight=2.0)._fused_op() is not L.L2Loss()._fused_op()


def test_not_fused_where_compiled_nan_handling_differs():
    # PoissonNLLLoss(compute_full=True) is NaN at a zero target op by op, as in MXNet
    loss = L.PoissonNLLLoss(compute_full=True)
    assert not loss._fusable()
    out = loss(nd.array([[0.5, 2.0]]), nd.array([[0.0, 2.0]]))
    assert np.isnan(out.asnumpy()).all()
    assert L.PoissonNLLLoss()._fusable()


def test_training_loop_with_a_fused_loss_matches_numpy():
    # one SGD step through a Dense layer: the weight gradient of the mean cross-entropy
    net = mx.gluon.nn.Dense(3, in_units=4, use_bias=False)
    net.initialize(mx.init.Constant(0.1))
    x = RNG.randn(2, 4).astype(np.float32)
    y = np.array([0, 2], np.float32)
    with autograd.record():
        loss = L.SoftmaxCrossEntropyLoss()(net(nd.array(x)), nd.array(y))
    loss.backward()
    z = x @ np.full((4, 3), 0.1, np.float32)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(2), y.astype(int)] -= 1
    np.testing.assert_allclose(net.weight.grad().asnumpy(), p.T @ x, rtol=1e-5, atol=1e-6)


def test_ctc_loss_fused_keeps_its_residuals_and_equals_op_by_op():
    # CTC's forward (alignment sums) is costly: its fused operator keeps the forward's
    # residuals (remat=False) as the CTC operator itself does, instead of recomputing it
    pred = nd.array(RNG.randn(2, 6, 4).astype(np.float32))
    label = nd.array(np.array([[1, 2, -1], [0, 2, 1]], np.float32))
    fused = L.CTCLoss()
    assert fused._fused_op().remat is False
    out, grad = _run(fused, [pred, label])
    ref, ref_grad = _run(_op_by_op(L.CTCLoss)(), [pred, label])
    assert out._ag.node.name == "CTCLoss"
    np.testing.assert_allclose(out.asnumpy(), ref.asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-6)
