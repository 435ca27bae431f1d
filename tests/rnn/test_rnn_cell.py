"""Recurrent cells, containers and modifiers against MXNet 1.9.1 fixtures and properties."""

from __future__ import annotations

import json
import pathlib
from functools import cache

import numpy as np
import pytest
import reference as ref
from helpers import check_eager_vs_hybrid

import gluax as mx
from gluax import autograd
from gluax.gluon import HybridBlock, nn, rnn

FIXTURE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "rnn_cells"


@cache
def _fixture():
    meta = json.loads((FIXTURE / "rnn_cells.json").read_text())
    return meta["cases"], dict(np.load(FIXTURE / "rnn_cells.npz"))


def seq(container, *cells):
    for c in cells:
        container.add(c)
    return container


def _head(shape):
    return mx.nd.array(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(np.float32))


def _check_cell_case(case, hybrid):
    arrays = _fixture()[1]
    key, call = case["id"], case["call"]
    cell = eval(case["ctor"], {"rnn": rnn, "seq": seq})
    cell.initialize()
    xs_np = [arrays[f"{key}/x/{j}"] for j in range(case["n_inputs"])]
    step = call[0] == "step"
    with_states = call[2] if step else call[6]
    as_list = not step and call[3][0] == "list"
    if step or as_list:
        batch = xs_np[0].shape[0]
    else:
        batch = xs_np[0].shape[call[2].find("N")]
    valid_np = arrays.get(f"{key}/valid_length")

    def make():
        xs = [mx.nd.array(x) for x in xs_np]
        states = None
        if with_states:
            n = len(case["state_info"])
            states = [mx.nd.array(arrays[f"{key}/state/{j}"]) for j in range(n)]
        elif step:
            states = cell.begin_state(batch_size=batch)
        return xs, states

    def run(xs, states):
        inputs = xs if as_list else xs[0]
        if step:
            out, new_states = cell(inputs, states)
        else:
            valid = None if valid_np is None else mx.nd.array(valid_np)
            out, new_states = cell.unroll(
                call[1], inputs, begin_state=states, layout=call[2], merge_outputs=call[4],
                valid_length=valid,
            )  # fmt: skip
        return (out if isinstance(out, list) else [out]), list(new_states), isinstance(out, list)

    run(*make())  # finish deferred initialization
    assert repr(cell) == case["repr"]
    assert [
        {"shape": list(s["shape"]), "__layout__": s["__layout__"]} for s in cell.state_info(batch)
    ] == case["state_info"]
    params = cell._collect_params_with_prefix()
    assert list(params) == case["structural_names"]
    for name, p in params.items():
        p.set_data(mx.nd.array(arrays[f"{key}/param/{name}"]))
    cell.hybridize(active=hybrid)
    xs, states = make()
    for a in xs + (states if with_states else []):
        a.attach_grad()
    with autograd.record(train_mode=False):
        outs, new_states, out_is_list = run(xs, states)
    assert (out_is_list, len(outs), len(new_states)) == (
        case["out_is_list"],
        case["n_outputs"],
        case["n_states"],
    )
    for j, o in enumerate(outs + new_states):
        np.testing.assert_allclose(o.asnumpy(), arrays[f"{key}/out/{j}"], rtol=1e-5, atol=1e-6)
    heads = outs + [new_states[j] for j in case["state_heads"]]
    autograd.backward(heads, [_head(h.shape) for h in heads])
    tol = dict(rtol=1e-5, atol=1e-5)
    for j, x in enumerate(xs):
        np.testing.assert_allclose(x.grad.asnumpy(), arrays[f"{key}/grad/x/{j}"], **tol)
    for j, s in enumerate(states if with_states else []):
        np.testing.assert_allclose(s.grad.asnumpy(), arrays[f"{key}/grad/state/{j}"], **tol)
    for name, p in params.items():
        np.testing.assert_allclose(
            p.grad().asnumpy(), arrays[f"{key}/grad/param/{name}"], err_msg=name, **tol
        )


def _case_id(case):
    return f"{case['ctor']}-{case['call'][0]}-{case['id']}"


@pytest.mark.parametrize("case", _fixture()[0], ids=_case_id)
def test_cell_matches_mxnet(case):
    _check_cell_case(case, hybrid=False)


HYBRID_IDS = {"c1", "c8", "c10", "c16"}  # LSTM step, stack with residual, bidirectional, zoneout


@pytest.mark.parametrize("case", [c for c in _fixture()[0] if c["id"] in HYBRID_IDS], ids=_case_id)
def test_hybridized_cell_matches_mxnet(case):
    _check_cell_case(case, hybrid=True)


# ---- properties -----------------------------------------------------------------------------


def test_begin_state_and_state_info():
    cell = rnn.LSTMCell(3)
    assert cell.state_info(2) == [
        {"shape": (2, 3), "__layout__": "NC"},
        {"shape": (2, 3), "__layout__": "NC"},
    ]
    states = cell.begin_state(batch_size=2, func=mx.nd.ones)
    assert [s.shape for s in states] == [(2, 3), (2, 3)]
    assert all((s.asnumpy() == 1).all() for s in states)
    stack = seq(rnn.SequentialRNNCell(), rnn.GRUCell(4), rnn.DropoutCell(0.1), rnn.LSTMCell(2))
    assert [s.shape for s in stack.begin_state(batch_size=5)] == [(5, 4), (5, 2), (5, 2)]
    bi = rnn.BidirectionalCell(rnn.GRUCell(2), rnn.LSTMCell(3))
    assert [s["shape"] for s in bi.state_info(1)] == [(1, 2), (1, 3), (1, 3)]
    assert rnn.ZoneoutCell(rnn.RNNCell(2)).begin_state(3)[0].shape == (3, 2)


def test_names_follow_mxnet():
    stack = rnn.SequentialRNNCell(prefix="stack_")
    with stack.name_scope():
        stack.add(rnn.LSTMCell(2))
        stack.add(rnn.DropoutCell(0.3))
        stack.add(rnn.ResidualCell(rnn.GRUCell(2)))
    assert list(stack.collect_params()) == [
        "stack_lstm0_i2h_weight",
        "stack_lstm0_h2h_weight",
        "stack_lstm0_i2h_bias",
        "stack_lstm0_h2h_bias",
        "stack_gru0_i2h_weight",
        "stack_gru0_h2h_weight",
        "stack_gru0_i2h_bias",
        "stack_gru0_h2h_bias",
    ]
    assert list(stack._collect_params_with_prefix())[-1] == "2.base_cell.h2h_bias"
    zone = rnn.ZoneoutCell(rnn.LSTMCell(3, prefix="enc_"), 0.1, 0.2)
    assert (zone.prefix, zone.name) == ("enc_zoneout", "enc_zoneout")
    assert list(zone.collect_params()) == [
        "enc_i2h_weight",
        "enc_h2h_weight",
        "enc_i2h_bias",
        "enc_h2h_bias",
    ]
    assert zone.params is zone.base_cell.params


def test_rnn_cell_with_leaky_relu_activation(rng):
    cell = rnn.RNNCell(3, activation=nn.LeakyReLU(0.2), input_size=2)
    cell.initialize(mx.init.Uniform(0.8))
    x, h = rng.normal(size=(4, 2)), rng.normal(size=(4, 3))
    out, _ = cell(mx.nd.array(x), [mx.nd.array(h)])
    w = {k: p.data().asnumpy() for k, p in cell._collect_params_with_prefix().items()}
    pre = ref.fully_connected(x, w["i2h_weight"], w["i2h_bias"]) + ref.fully_connected(
        h, w["h2h_weight"], w["h2h_bias"]
    )
    np.testing.assert_allclose(out.asnumpy(), ref.leaky_relu(pre, slope=0.2), rtol=1e-5, atol=1e-6)


def test_bidirectional_valid_length_with_default_merge(rng):
    # MXNet 1.9.1 fails here (it stacks an already stacked tensor); gluax returns the tensor
    # that merge_outputs=True gives.
    cell = rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2))
    cell.initialize()
    x = mx.nd.array(rng.normal(size=(2, 3, 4)))
    valid = mx.nd.array([1, 3])
    merged, _ = cell.unroll(3, x, valid_length=valid, merge_outputs=True)
    default, _ = cell.unroll(3, x, valid_length=valid)
    np.testing.assert_array_equal(default.asnumpy(), merged.asnumpy())
    assert merged.shape == (2, 3, 4)


def test_zoneout_in_training_keeps_previous_values(rng):
    base = rnn.GRUCell(3, input_size=2)
    base.initialize()
    x = mx.nd.array(rng.normal(size=(2, 4, 2)))
    begin = [mx.nd.array(rng.normal(size=(2, 3)))]
    # p = 1: every output stays at the previous output (zeros) and every state at the start
    full = rnn.ZoneoutCell(base, zoneout_outputs=1.0, zoneout_states=1.0)
    with autograd.train_mode():
        outs, states = full.unroll(4, x, begin_state=begin, merge_outputs=True)
    assert (outs.asnumpy() == 0).all()
    np.testing.assert_array_equal(states[0].asnumpy(), begin[0].asnumpy())
    # 0 < p < 1 on the outputs only: each output element is the base cell's output at that
    # step or the zoneout output of the step before
    other = rnn.GRUCell(3, input_size=2, params=base.collect_params())
    expected, _ = other.unroll(4, x, begin_state=begin, merge_outputs=True)
    half = rnn.ZoneoutCell(other, zoneout_outputs=0.5)
    with autograd.train_mode():
        got, _ = half.unroll(4, x, begin_state=begin, merge_outputs=True)
    got, expected = got.asnumpy(), expected.asnumpy()
    prev = np.zeros_like(got[:, 0])
    kept = 0
    for t in range(4):
        new, old = got[:, t] == expected[:, t], got[:, t] == prev
        assert (new | old).all()
        kept += int((old & ~new).sum())
        prev = got[:, t]
    assert kept > 0
    # inference: no zoneout
    out, _ = half.unroll(4, x, begin_state=begin, merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6, atol=1e-7)


def test_dropout_cell_in_training(rng):
    x = mx.nd.ones((2, 50, 4))
    cell = rnn.DropoutCell(0.5, axes=(1,))
    out, states = cell.unroll(50, x, merge_outputs=True)
    assert states == [] and (out.asnumpy() == 1).all()  # inference: identity
    with autograd.train_mode():
        out, _ = cell.unroll(50, x, merge_outputs=True)
    out = out.asnumpy()
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert (out == out[:, :1]).all()  # one mask value along axis 1 (time)
    with autograd.train_mode():
        steps, _ = rnn.DropoutCell(0.5).unroll(3, [mx.nd.ones((2, 40))] * 3, merge_outputs=False)
    assert len(steps) == 3 and not np.array_equal(steps[0].asnumpy(), steps[1].asnumpy())


class _Encoder(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.cell = rnn.HybridSequentialRNNCell()
            self.cell.add(rnn.LSTMCell(3))
            self.cell.add(rnn.ResidualCell(rnn.GRUCell(3)))

    def hybrid_forward(self, F, x, valid):
        out, states = self.cell.unroll(3, x, merge_outputs=True, valid_length=valid)
        return out + states[-1].expand_dims(1)


def test_unroll_inside_a_hybridized_block(rng):
    net = _Encoder()
    net.initialize()
    check_eager_vs_hybrid(net, rng.normal(size=(2, 3, 2)).astype(np.float32), np.array([2.0, 3.0]))


def test_reset_clears_the_zoneout_output(rng):
    cell = rnn.ZoneoutCell(rnn.RNNCell(2, input_size=2), zoneout_outputs=0.5)
    cell.initialize()
    cell(mx.nd.ones((1, 2)), cell.begin_state(1))
    assert cell._prev_output is not None and cell._counter == 0
    cell.reset()
    assert cell._prev_output is None and cell._counter == -1


def test_hybridized_zoneout_cell_compiles_only_its_base_cell():
    cell = rnn.ZoneoutCell(rnn.LSTMCell(2, input_size=2), zoneout_outputs=0.5)
    cell.initialize()
    cell.hybridize()
    assert not cell._active and cell.base_cell._active
    with autograd.train_mode():
        outs, _ = cell.unroll(3, mx.nd.ones((1, 3, 2)), merge_outputs=True)
    assert outs.shape == (1, 3, 2)


ERRORS = [
    (lambda: rnn.DropoutCell("0.5"), TypeError, r"DropoutCell: rate must be a number, got str"),
    (
        lambda: rnn.ZoneoutCell(rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2))),
        TypeError,
        r"BidirectionalCell doesn't support zoneout",
    ),
    (
        lambda: rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2))(mx.nd.ones((1, 2)), []),
        NotImplementedError,
        r"Bidirectional cannot be stepped. Please use unroll",
    ),
    (
        lambda: rnn.GRUCell(2).unroll(3, mx.nd.ones((1, 4, 2))),
        ValueError,
        r"unroll: length=3 does not match the 4 time steps of inputs of shape \(1, 4, 2\) in layout 'NTC'",
    ),
    (
        lambda: rnn.GRUCell(2).unroll(3, [mx.nd.ones((1, 2))] * 2),
        ValueError,
        r"unroll: length=3 but 2 input steps were given",
    ),
    (
        lambda: rnn.GRUCell(2).unroll(3, None),
        ValueError,
        r"unroll\(inputs=None\) has been deprecated",
    ),
]


@pytest.mark.parametrize("make, error, match", ERRORS)
def test_cell_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_modified_cells_are_used_through_the_modifier():
    base = rnn.LSTMCell(2)
    rnn.ResidualCell(base)
    with pytest.raises(RuntimeError, match=r"Cell lstm\d+ is already modified"):
        rnn.ZoneoutCell(base)
    with pytest.raises(
        RuntimeError,
        match=r"After applying modifier cells .* the base cell cannot be called directly",
    ):
        base.begin_state(batch_size=1)
    stack = rnn.HybridSequentialRNNCell()
    stack.add(rnn.GRUCell(2))
    rnn.ResidualCell(stack)
    with pytest.raises(RuntimeError, match=r"After applying modifier cells"):
        stack.begin_state(batch_size=1)
    bi = rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2))
    bi._modified = True
    with pytest.raises(RuntimeError, match=r"After applying modifier cells"):
        bi.begin_state(batch_size=1)
    zone = rnn.ZoneoutCell(rnn.GRUCell(2))
    zone._modified = True
    with pytest.raises(RuntimeError, match=r"After applying modifier cells"):
        zone.begin_state(batch_size=1)
