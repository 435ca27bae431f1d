"""gluon.contrib.rnn cells (LSTMPCell, VariationalDropoutCell) against MXNet 1.9.1 fixtures
and properties."""

from __future__ import annotations

import json
import pathlib
from functools import cache

import numpy as np
import pytest

import gluax as mx
from gluax import autograd
from gluax.gluon import rnn
from gluax.gluon.contrib import rnn as crnn

FIXTURE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "rnn_contrib"


@cache
def _fixture():
    meta = json.loads((FIXTURE / "rnn_contrib.json").read_text())
    return meta["cases"], dict(np.load(FIXTURE / "rnn_contrib.npz"))


def _head(shape):
    return mx.nd.array(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(np.float32))


@pytest.mark.parametrize("case", _fixture()[0], ids=lambda c: c["ctor"])
def test_contrib_cell_matches_mxnet(case):
    arrays = _fixture()[1]
    key, call = case["id"], case["call"]
    cell = eval(case["ctor"], {"rnn": rnn, "crnn": crnn})
    cell.initialize()
    valid_np = arrays.get(f"{key}/valid_length")

    def run(x, states):
        if call[0] == "step":
            out, new_states = cell(x, states)
        else:
            valid = None if valid_np is None else mx.nd.array(valid_np)
            out, new_states = cell.unroll(
                call[1], x, begin_state=states, merge_outputs=True, valid_length=valid
            )
        return out, list(new_states)

    def inputs():
        x = mx.nd.array(arrays[f"{key}/x"])
        return x, [mx.nd.array(arrays[f"{key}/state/{j}"]) for j in range(case["n_states"])]

    run(*inputs())
    assert repr(cell) == case["repr"]
    params = cell._collect_params_with_prefix()
    assert list(params) == case["structural_names"]
    for name, p in params.items():
        p.set_data(mx.nd.array(arrays[f"{key}/param/{name}"]))
    x, states = inputs()
    for a in [x, *states]:
        a.attach_grad()
    with autograd.record(train_mode=False):
        out, new_states = run(x, states)
    for j, o in enumerate([out, *new_states]):
        np.testing.assert_allclose(o.asnumpy(), arrays[f"{key}/out/{j}"], rtol=1e-5, atol=1e-6)
    heads = [out] + [new_states[j] for j in case["state_heads"]]
    autograd.backward(heads, [_head(h.shape) for h in heads])
    tol = dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy(), arrays[f"{key}/grad/x"], **tol)
    for j, s in enumerate(states):
        np.testing.assert_allclose(s.grad.asnumpy(), arrays[f"{key}/grad/state/{j}"], **tol)
    for name, p in params.items():
        np.testing.assert_allclose(p.grad().asnumpy(), arrays[f"{key}/grad/param/{name}"], **tol)


def test_lstmp_cell_matches_the_fused_lstm_with_projection(rng):
    # Two independent paths: the cell's FullyConnected steps and the fused scan operator.
    cell = crnn.LSTMPCell(4, 2, input_size=3)
    cell.initialize(mx.init.Uniform(0.5))
    layer = rnn.LSTM(4, projection_size=2, input_size=3, layout="NTC")
    layer.initialize()
    for name in ("i2h_weight", "h2h_weight", "h2r_weight", "i2h_bias", "h2h_bias"):
        getattr(layer, f"l0_{name}").set_data(getattr(cell, name).data())
    x = mx.nd.array(rng.normal(size=(2, 5, 3)))
    begin = [mx.nd.array(rng.normal(size=(2, 2))), mx.nd.array(rng.normal(size=(2, 4)))]
    out, states = cell.unroll(5, x, begin_state=begin, merge_outputs=True)
    out2, states2 = layer(x, [b.expand_dims(0) for b in begin])
    np.testing.assert_allclose(out.asnumpy(), out2.asnumpy(), rtol=1e-5, atol=1e-6)
    for s, s2 in zip(states, states2):
        np.testing.assert_allclose(s.asnumpy(), s2[0].asnumpy(), rtol=1e-5, atol=1e-6)


def test_variational_dropout_shares_one_mask_across_time():
    base = rnn.RNNCell(6, input_size=4, activation="relu", i2h_weight_initializer="ones",
                       h2h_weight_initializer="zeros")  # fmt: skip
    cell = crnn.VariationalDropoutCell(base, drop_inputs=0.5, drop_outputs=0.5)
    cell.initialize()
    x = mx.nd.ones((3, 5, 4))
    with autograd.train_mode():
        out, _ = cell.unroll(5, x, merge_outputs=True)
        steps, _ = cell.unroll(5, [x[:, t] for t in range(5)], merge_outputs=False)
    out = out.asnumpy()
    assert (out == out[:, :1]).all()  # the same masks at every step
    assert len(np.unique(out)) > 1  # ... and something was dropped
    stepped = np.stack([s.asnumpy() for s in steps], axis=1)
    assert (stepped == stepped[:, :1]).all()
    # a new sequence draws new masks
    with autograd.train_mode():
        again, _ = cell.unroll(5, x, merge_outputs=True)
    assert not np.array_equal(again.asnumpy(), out)


def test_variational_dropout_state_mask_is_kept_until_reset():
    cell = crnn.VariationalDropoutCell(rnn.GRUCell(3, input_size=2), drop_states=0.5)
    cell.initialize()
    cell.hybridize()
    assert not cell._active and cell.base_cell._active
    with autograd.train_mode():
        cell(mx.nd.ones((2, 2)), cell.begin_state(2))
        mask = cell.drop_states_mask
        cell(mx.nd.ones((2, 2)), cell.begin_state(2))
        assert cell.drop_states_mask is mask
    cell.reset()
    assert cell.drop_states_mask is None


def test_variational_dropout_rejects_bidirectional_state_dropout():
    bi = rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2))
    with pytest.raises(
        TypeError, match=r"BidirectionalCell doesn't support variational state dropout"
    ):
        crnn.VariationalDropoutCell(bi, drop_states=0.5)
