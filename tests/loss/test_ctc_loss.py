"""gluon.loss.CTCLoss (gluax/_src/loss/ctc.py) against MXNet 1.9.1 (tests/fixtures/ctc): layouts,
lengths, weights; outputs and gradients, eagerly and hybridized; errors."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon

HERE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "ctc"
FIX = np.load(HERE / "ctc.npz")
META = json.loads((HERE / "ctc.json").read_text())
LOSS_CASES = sorted(k for k, m in META.items() if m["kind"] == "loss")


def _run(name: str, hybrid: bool) -> tuple[np.ndarray, np.ndarray]:
    meta = META[name]
    loss = gluon.loss.CTCLoss(**meta["call"])
    loss.hybridize(active=hybrid)
    stored = iter(FIX[f"{name}/in{i}"] for i in range(sum(meta["inputs"])))
    args = [mx.nd.array(next(stored)) if given else None for given in meta["inputs"]]
    args[0].attach_grad()
    with autograd.record():
        out = loss(*args)
    out.backward(mx.nd.array(FIX[f"{name}/head"]))
    return out.asnumpy(), args[0].grad.asnumpy()


# Hybridizing compiles each case again; two cases cover both layouts and every optional input.
@pytest.mark.parametrize(
    "name, hybrid",
    [(n, False) for n in LOSS_CASES] + [("tnc_tn", True), ("lengths_sw", True)],
)
def test_ctc_loss_matches_mxnet(name, hybrid):
    out, grad = _run(name, hybrid)
    np.testing.assert_allclose(out, FIX[f"{name}/out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, FIX[f"{name}/grad"], rtol=1e-5, atol=1e-5)


def test_ctc_loss_hybridized_equals_eager():
    eager, hybrid = _run("label_lengths_only", False), _run("label_lengths_only", True)
    for a, b in zip(eager, hybrid):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_ctc_loss_layouts_agree(rng):
    # The same batch in NTC/NT and TNC/TN layouts gives the same loss: the transposes are right.
    pred = rng.normal(size=(2, 5, 4)).astype(np.float32)
    label = np.array([[0, 2, -1], [1, 1, 2]], np.float32)
    ntc = gluon.loss.CTCLoss()(mx.nd.array(pred), mx.nd.array(label))
    tnc = gluon.loss.CTCLoss("TNC", "TN")(
        mx.nd.array(pred.transpose(1, 0, 2)), mx.nd.array(label.T)
    )
    np.testing.assert_allclose(tnc.asnumpy(), ntc.asnumpy(), rtol=1e-6)


def test_ctc_loss_batch_axis_follows_label_layout():
    assert gluon.loss.CTCLoss()._batch_axis == 0
    assert gluon.loss.CTCLoss(label_layout="TN")._batch_axis == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"layout": "NCT"}, r"CTCLoss: only 'NTC' and 'TNC' layouts .*pred, got 'NCT'"),
        ({"label_layout": "TC"}, r"CTCLoss: only 'NT' and 'TN' layouts .*label, got 'TC'"),
    ],
)
def test_ctc_loss_rejects_bad_layout(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gluon.loss.CTCLoss(**kwargs)


def test_ctc_loss_rejects_label_batch_mismatch():
    loss = gluon.loss.CTCLoss()
    with pytest.raises(ValueError, match=r"batch size N=2, got label shape \(3, 2\) for data "
                                         r"shape \(5, 2, 4\)"):
        loss(mx.nd.ones((2, 5, 4)), mx.nd.zeros((3, 2)))
