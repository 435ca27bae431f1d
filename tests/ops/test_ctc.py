"""The CTCLoss operator (gluax/_src/ops/ctc.py) against MXNet 1.9.1 (tests/fixtures/ctc, outputs
and gradients w.r.t. the activations), a brute-force sum over all alignments, and its errors."""

from __future__ import annotations

import itertools
import json
import pathlib

import jax
import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon
from gluax._src.engine import registry
from gluax._src.engine.base import OperatorError
from gluax._src.ops.ctc import ctc_loss

HERE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "ctc"
FIX = np.load(HERE / "ctc.npz")
META = json.loads((HERE / "ctc.json").read_text())
OP_CASES = sorted(k for k, m in META.items() if m["kind"] == "op")


def _inputs(name: str) -> list[np.ndarray]:
    return [FIX[f"{name}/in{i}"] for i in range(META[name]["inputs"])]


def _op(call: str):
    fn = mx.nd
    for part in call.split("."):
        fn = getattr(fn, part)
    return fn


@pytest.mark.parametrize("name", OP_CASES)
def test_ctc_matches_mxnet(name):
    meta, inputs = META[name], _inputs(name)
    nds = [mx.nd.array(x) for x in inputs]
    nds[0].attach_grad()
    with autograd.record():
        out = _op(meta["call"])(*nds, **meta["attrs"])
    out.backward(mx.nd.array(FIX[f"{name}/head"]))
    np.testing.assert_allclose(out.asnumpy(), FIX[f"{name}/out"], rtol=1e-5, atol=1e-6)
    got, want = nds[0].grad.asnumpy(), FIX[f"{name}/grad"]
    if name == "infeasible":
        # MXNet never writes the gradient of a label that cannot fit (its kernel returns
        # early), so those columns hold uninitialized memory; gluax gives zeros.
        fits = FIX[f"{name}/out"] != 0
        assert fits.tolist() == [False, False, True, False]
        np.testing.assert_array_equal(got[:, ~fits], 0.0)
        got, want = got[:, fits], want[:, fits]
    # float32 round-off: MXNet forms the gradient as softmax - alpha * beta / p, gluax by
    # reverse-mode through the log-space recursion.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _brute_force_nll(logits: np.ndarray, label: list[int], blank: int) -> float:
    """-log of the sum, over all C**T frame paths that collapse to ``label``, of their
    probability (float64)."""
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(p.shape[1]), repeat=p.shape[0]):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in merged if c != blank] == label:
            total += np.prod(p[np.arange(p.shape[0]), path])
    return -np.log(total) if total > 0 else np.inf


@pytest.mark.parametrize("blank_label", ["first", "last"])
def test_ctc_matches_sum_over_alignments(rng, blank_label):
    t, c = 5, 3
    data = rng.normal(size=(t, 4, c)).astype(np.float32) * 2
    off = 1 if blank_label == "first" else 0
    labels = [[0, 1], [1, 1], [0, 0, 1], []]  # a repeat needs a blank between the copies
    pad = 0 if blank_label == "first" else -1
    lab = np.full((4, 3), pad, np.float32)
    for i, row in enumerate(labels):
        lab[i, : len(row)] = np.array(row) + off
    out = mx.nd.CTCLoss(mx.nd.array(data), mx.nd.array(lab), blank_label=blank_label)
    blank = 0 if blank_label == "first" else c - 1
    want = [_brute_force_nll(data[:, i], [v + off for v in row], blank)
            for i, row in enumerate(labels)]
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_ctc_gradient_matches_finite_difference(rng):
    data = rng.normal(size=(4, 2, 3))
    lab = np.array([[1, 1], [2, 0]])

    @jax.jit
    def f(x):
        return ctc_loss(x.astype(np.float32), lab).sum()

    grad = np.asarray(jax.grad(f)(data.astype(np.float32)), np.float64)
    direction = rng.normal(size=data.shape)
    eps = 1e-2
    fd = (float(f(data + eps * direction)) - float(f(data - eps * direction))) / (2 * eps)
    np.testing.assert_allclose((grad * direction).sum(), fd, rtol=1e-3, atol=1e-4)


class _CTCBlock(gluon.HybridBlock):
    def hybrid_forward(self, F, data, label, data_lengths):
        return F.CTCLoss(data, label, data_lengths, use_data_lengths=True)


def test_ctc_hybridized_equals_eager():
    inputs = [mx.nd.array(x) for x in _inputs("data_lengths")]
    results = []
    for hybrid in (False, True):
        net = _CTCBlock()
        net.hybridize(active=hybrid)
        x = inputs[0].copy()
        x.attach_grad()
        with autograd.record():
            out = net(x, *inputs[1:])
        out.backward()
        results.append((out.asnumpy(), x.grad.asnumpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(results[0][0], FIX["data_lengths/out"], rtol=1e-5)


def test_ctc_aliases_are_one_operator():
    ops = {id(registry.OPS[n]) for n in ("CTCLoss", "ctc_loss", "_contrib_CTCLoss",
                                         "_contrib_ctc_loss")}
    assert len(ops) == 1
    assert registry.OPS["CTCLoss"].fn is ctc_loss


def test_ctc_zero_length_sequence_is_zero():
    # MXNet's kernel has no defined result here (it corrupts its heap under autograd); an
    # empty sequence explains an empty label with probability 1, and cannot fit any other.
    data = mx.nd.ones((3, 2, 4))
    data.attach_grad()
    with autograd.record():
        out = mx.nd.CTCLoss(data, mx.nd.array([[0, 0], [2, 0]]), mx.nd.array([0, 0]),
                            use_data_lengths=True)
    out.backward()
    np.testing.assert_array_equal(out.asnumpy(), [0.0, 0.0])
    np.testing.assert_array_equal(data.grad.asnumpy(), 0.0)


def test_ctc_float16_keeps_dtype():
    data, lab = _inputs("first")
    out = mx.nd.CTCLoss(mx.nd.array(data, dtype="float16"), mx.nd.array(lab))
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.asnumpy(), FIX["first/out"], rtol=2e-3)


@pytest.mark.parametrize(
    "shapes, attrs, match",
    [
        ([(6, 2), (2, 3)], {}, r"data must be 3-D \(T, N, C\), got shape \(6, 2\)"),
        ([(6, 2, 4), (3, 3)], {}, r"batch size N=2, got label shape \(3, 3\) for data shape "
                                  r"\(6, 2, 4\)"),
        ([(6, 2, 4), (2,)], {}, r"label must be 2-D.*got label shape \(2,\)"),
        ([(3, 2, 4), (2, 4)], {}, r"L=4 cannot exceed the sequence length T=3"),
        ([(6, 2, 4), (2, 3)], {"blank_label": "middle"}, r"blank_label.*'middle'"),
        ([(6, 2, 4), (2, 3)], {"use_data_lengths": True}, r"needs the data_lengths input"),
        ([(6, 2, 4), (2, 3), (3,)], {"use_data_lengths": True},
         r"data_lengths must have shape \(2,\).*got shape \(3,\)"),
        ([(6, 2, 4), (2, 3), (2,)], {}, r"data_lengths was given but use_data_lengths=False"),
        ([(6, 2, 4), (2, 3), (2, 1)], {"use_label_lengths": True},
         r"label_lengths must have shape \(2,\).*got shape \(2, 1\)"),
    ],
)
def test_ctc_rejects_bad_inputs(shapes, attrs, match):
    args = [mx.nd.ones(s) for s in shapes]
    with pytest.raises(OperatorError, match=match):
        mx.nd.CTCLoss(*args, **attrs)
