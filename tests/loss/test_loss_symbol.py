"""Losses called on free-standing Symbols (MXNet 1.9.1's test_loss builds ``Loss(sym, sym)``
graphs): the graph evaluates to the eager loss, which tests/loss checks against MXNet."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax.gluon import loss as gloss

_CASES = [
    ("SoftmaxCrossEntropyLoss", {}, "class"),
    ("SoftmaxCrossEntropyLoss", {"sparse_label": False}, "dense"),
    ("SigmoidBinaryCrossEntropyLoss", {}, "binary"),
    ("L2Loss", {}, "dense"),
    ("L1Loss", {}, "flat"),  # a (4, 3) label for a (4, 3) prediction, given as (12,)
    ("HuberLoss", {}, "dense"),
    ("HingeLoss", {}, "sign"),
    ("KLDivLoss", {}, "dense"),
    ("PoissonNLLLoss", {}, "dense"),
]


def _label(kind, rng):
    if kind == "class":
        return rng.integers(0, 3, (4,)).astype(np.float32)
    if kind == "binary":
        return rng.integers(0, 2, (4, 3)).astype(np.float32)
    if kind == "sign":
        return (rng.integers(0, 2, (4, 3)) * 2 - 1).astype(np.float32)
    if kind == "flat":
        return rng.random(12).astype(np.float32)
    return rng.random((4, 3)).astype(np.float32)


@pytest.mark.parametrize("name, kwargs, kind", _CASES)
def test_loss_on_symbols_evaluates_to_eager_loss(name, kwargs, kind, rng):
    loss = getattr(gloss, name)(**kwargs)
    pred = mx.nd.array(rng.standard_normal((4, 3)).astype(np.float32))
    label = mx.nd.array(_label(kind, rng))
    graph = loss(mx.sym.var("pred"), mx.sym.var("label"))
    assert sorted(graph.list_arguments()) == ["label", "pred"]
    (got,) = graph.eval(pred=pred, label=label)
    want = loss(pred, label).asnumpy()
    # one value per sample; PoissonNLLLoss averages over the batch too, as MXNet's does
    assert got.shape == ((1,) if name == "PoissonNLLLoss" else (4,)) == want.shape
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_triplet_loss_on_symbols(rng):
    loss = gloss.TripletLoss()
    a, p, n = (mx.nd.array(rng.standard_normal((4, 3)).astype(np.float32)) for _ in range(3))
    graph = loss(mx.sym.var("a"), mx.sym.var("p"), mx.sym.var("n"))
    (got,) = graph.eval(a=a, p=p, n=n)
    want = np.maximum(
        ((p.asnumpy() - a.asnumpy()) ** 2).sum(1) - ((n.asnumpy() - a.asnumpy()) ** 2).sum(1) + 1,
        0,
    )
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-5)
