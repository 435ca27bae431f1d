"""gluon.contrib.rnn convolutional cells (Conv{1,2,3}D{RNN,LSTM,GRU}Cell) against MXNet 1.9.1
fixtures (tests/fixtures/rnn_conv/) and properties."""

from __future__ import annotations

import json
import pathlib
from functools import cache

import numpy as np
import pytest

import gluax as mx
from gluax import autograd
from gluax.gluon import HybridBlock
from gluax.gluon.contrib import rnn as crnn

FIXTURE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "rnn_conv"
TOL = dict(rtol=1e-5, atol=1e-5)


@cache
def _fixture():
    meta = json.loads((FIXTURE / "rnn_conv.json").read_text())
    return meta, dict(np.load(FIXTURE / "rnn_conv.npz"))


def _cases():
    return _fixture()[0]["cases"]


def _build(ctor, **overrides):
    if overrides:
        ctor = ctor[:-1] + "".join(f", {k}={v!r}" for k, v in overrides.items()) + ")"
    return eval(ctor, {"crnn": crnn})


def _check_description(cell, case):
    """Names, shapes, state_info and repr as MXNet reports them."""
    params = cell._collect_params_with_prefix()
    assert list(params) == case["structural_names"]
    assert cell.prefix.startswith(case["alias_prefix"])
    assert [n[len(cell.prefix) :] for n in cell.collect_params()] == case["names"]
    assert {n: list(p.shape) for n, p in params.items()} == case["shapes"]
    info = [{"shape": list(s["shape"]), "__layout__": s["__layout__"]} for s in cell.state_info(2)]
    assert info == case["state_info"]
    assert repr(cell) == case["repr"]


class _Unroll(HybridBlock):
    """Runs the whole unroll inside one hybridized block (one traced program)."""

    def __init__(self, cell, length, layout):
        super().__init__()
        self.cell, self._length, self._layout = cell, length, layout

    def hybrid_forward(self, F, x, *states):
        out, new_states = self.cell.unroll(
            self._length, x, begin_state=list(states), layout=self._layout, merge_outputs=True
        )
        return (out, *new_states)


def _run_case(case, mode, transform=None):
    """Unroll ``case`` in ``mode`` ('eager', 'cell': the cell hybridized, 'parent': inside a
    hybridized block); returns numpy outputs+states and the gradients of inputs, begin states
    and parameters. ``transform`` maps (cell, arrays) to a channels-last variant."""
    arrays = _fixture()[1]
    key = case["id"]
    cell = _build(case["ctor"])
    cell.initialize(mx.init.Zero())  # overwritten below; a random init would only compile
    params = cell._collect_params_with_prefix()
    for name, p in params.items():
        p.set_data(mx.nd.array(arrays[f"{key}/param/{name}"]))
    x = mx.nd.array(arrays[f"{key}/x"])
    states = [mx.nd.array(arrays[f"{key}/state/{j}"]) for j in range(case["n_states"])]
    heads = [mx.nd.array(arrays[f"{key}/head/{j}"]) for j in range(case["n_states"] + 1)]
    if transform is not None:
        cell, x, states, heads = transform(cell, x, states, heads)
        params = cell._collect_params_with_prefix()
    for a in [x, *states]:
        a.attach_grad()
    if mode == "parent":
        net = _Unroll(cell, case["length"], case["layout"])
        net.hybridize()
    elif mode == "cell":
        cell.hybridize()
    with autograd.record(train_mode=False):
        if mode == "parent":
            out, *new_states = net(x, *states)
        else:
            out, new_states = cell.unroll(
                case["length"], x, begin_state=states, layout=case["layout"], merge_outputs=True
            )
    results = [out, *new_states]
    autograd.backward(results, heads)
    return (
        [r.asnumpy() for r in results],
        x.grad.asnumpy(),
        [s.grad.asnumpy() for s in states],
        {n: p.grad().asnumpy() for n, p in params.items()},
    )


def _compare(case, got):
    arrays, key = _fixture()[1], case["id"]
    outs, gx, gstates, gparams = got
    for j, o in enumerate(outs):
        np.testing.assert_allclose(o, arrays[f"{key}/out/{j}"], **TOL, err_msg=f"out {j}")
    np.testing.assert_allclose(gx, arrays[f"{key}/grad/x"], **TOL)
    for j, g in enumerate(gstates):
        np.testing.assert_allclose(g, arrays[f"{key}/grad/state/{j}"], **TOL)
    return gparams


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["ctor"].split("(")[0][5:] + c["id"])
def test_conv_cell_matches_mxnet(case):
    cell = _build(case["ctor"])
    _check_description(cell, case)
    gparams = _compare(case, _run_case(case, "eager"))
    arrays = _fixture()[1]
    for name, g in gparams.items():
        np.testing.assert_allclose(g, arrays[f"{case['id']}/grad/param/{name}"], **TOL)


# 'cell': the cell hybridized (each step one compiled call); 'parent': the whole unroll traced
# inside a hybridized block. Few cases: each compiles a program of its own.
@pytest.mark.parametrize("key, mode", [("c0", "cell"), ("c3", "parent"), ("c8", "cell")])
def test_conv_cell_hybridized_matches_eager_and_mxnet(key, mode):
    case = next(c for c in _cases() if c["id"] == key)
    eager = _run_case(case, "eager")
    hybrid = _run_case(case, mode)
    gparams = _compare(case, hybrid)
    for a, b in zip(eager[0], hybrid[0]):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    for name, g in gparams.items():
        np.testing.assert_allclose(g, eager[3][name], rtol=1e-5, atol=1e-6)


def _to_last(a):
    return np.moveaxis(a, 1, -1)


def _channels_last(case):
    """The channels-last twin of a channels-first fixture case: same numbers, transposed."""
    layout = {"Conv1D": "NWC", "Conv2D": "NHWC", "Conv3D": "NDHWC"}[case["ctor"][5:11]]
    shape = eval(case["ctor"].split("(", 1)[1].split(")", 1)[0] + ")")
    last_shape = (*shape[1:], shape[0])
    ctor = case["ctor"].replace(repr(shape), repr(last_shape), 1)

    def transform(cell, x, states, heads):
        twin = _build(ctor, conv_layout=layout)
        twin.initialize(mx.init.Zero())
        for name, p in cell._collect_params_with_prefix().items():
            value = p.data().asnumpy()
            getattr(twin, name).set_data(mx.nd.array(_to_last(value) if value.ndim > 1 else value))

        def last(a, axis=1):  # channel axis of a step tensor is 1, of the sequence 2
            return mx.nd.array(np.moveaxis(a.asnumpy(), axis, -1))

        x_axis = 2  # NTC or TNC: the channel axis follows batch and time
        return (
            twin,
            last(x, x_axis),
            [last(s) for s in states],
            [last(heads[0], x_axis)] + [last(h) for h in heads[1:]],
        )

    return transform


@pytest.mark.parametrize("key, mode", [("c6", "eager"), ("c1", "cell")])
def test_channels_last_layouts_match_mxnet_transposed(key, mode):
    # MXNet's CPU build has no channels-last Convolution; check gluax's against the
    # channels-first fixture with every tensor and weight transposed.
    case = next(c for c in _cases() if c["id"] == key)
    transform = _channels_last(case)
    outs, gx, gstates, _ = _run_case(case, mode, transform)
    arrays = _fixture()[1]
    np.testing.assert_allclose(np.moveaxis(outs[0], -1, 2), arrays[f"{key}/out/0"], **TOL)
    for j, o in enumerate(outs[1:], 1):
        np.testing.assert_allclose(np.moveaxis(o, -1, 1), arrays[f"{key}/out/{j}"], **TOL)
    np.testing.assert_allclose(np.moveaxis(gx, -1, 2), arrays[f"{key}/grad/x"], **TOL)
    for j, g in enumerate(gstates):
        np.testing.assert_allclose(np.moveaxis(g, -1, 1), arrays[f"{key}/grad/state/{j}"], **TOL)


@pytest.mark.parametrize("case", _fixture()[0]["static"], ids=lambda c: c["ctor"].split("(")[0])
def test_constructor_only_cases_match_mxnet(case):
    _check_description(_build(case["ctor"]), case)


def test_unknown_input_channels_are_inferred():
    cell = crnn.Conv2DRNNCell((0, 4, 4), 2, 3, 3)
    assert repr(cell) == "Conv2DRNNCell(None -> 2, tanh, NCHW)"
    cell.initialize(mx.init.One())
    out, states = cell(mx.nd.ones((2, 3, 4, 4)), cell.begin_state(2))
    assert cell.i2h_weight.shape == (2, 3, 3, 3)
    assert repr(cell) == "Conv2DRNNCell(3 -> 2, tanh, NCHW)"
    assert out.shape == (2, 2, 2, 2) and states[0].shape == (2, 2, 2, 2)
    # weights one, biases zero, zero state: each output sums 3 channels x 9 taps of ones
    np.testing.assert_allclose(out.asnumpy(), np.tanh(27.0), rtol=1e-6)


@pytest.mark.parametrize("hybrid", [False, True])
def test_input_disagreeing_with_input_shape_is_rejected(hybrid):
    cell = crnn.Conv2DGRUCell((3, 4, 4), 2, 3, 3, i2h_pad=1)
    cell.initialize(mx.init.Zero())
    if hybrid:
        cell.hybridize()
    states = cell.begin_state(2)
    msg = r"Conv2DGRUCell 'conv_gru\d+'.*\(batch_size, 3, 4, 4\).*got shape \(2, 3, 5, 5\)"
    with pytest.raises(ValueError, match=msg):
        cell(mx.nd.ones((2, 3, 5, 5)), states)
    with pytest.raises(ValueError, match=r"\(batch_size, 3, 4, 4\).*got shape \(2, 2, 3, 4, 4\)"):
        cell.unroll(2, mx.nd.ones((2, 2, 2, 3, 4, 4)))
    with pytest.raises(
        ValueError, match=r"expected states of shapes \[\(2, 2, 4, 4\)\].*\(2, 2, 3, 3\)"
    ):
        cell(mx.nd.ones((2, 3, 4, 4)), [mx.nd.zeros((2, 2, 3, 3))])


def test_input_shape_error_inside_a_hybridized_parent():
    net = _Unroll(crnn.Conv1DGRUCell((3, 5), 2, 3, 3, i2h_pad=1), 2, "NTC")
    net.initialize(mx.init.Zero())
    net.hybridize()
    with pytest.raises(ValueError, match=r"\(batch_size, 3, 5\).*got shape \(2, 3, 6\)"):
        net(mx.nd.ones((2, 2, 3, 6)), mx.nd.zeros((2, 2, 5)))


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: crnn.Conv2DLSTMCell((2, 4, 4), 2, 3, 2),
            r"Conv2DLSTMCell: h2h_kernel must have odd",
        ),
        (
            lambda: crnn.Conv2DLSTMCell((2, 4, 4), 2, (3, 3, 3), 3),
            r"i2h_kernel must be an int or a tuple of 2",
        ),
        (
            lambda: crnn.Conv1DRNNCell((2, 4), 2, 3, 3, i2h_pad=(1, 1)),
            r"i2h_pad must be an int or a tuple of 1",
        ),
        (
            lambda: crnn.Conv3DGRUCell((2, 4, 4, 4), 2, 3, 3, conv_layout="NCHW"),
            r"conv_layout must be 'NCDHW' or 'NDHWC'",
        ),
        (lambda: crnn.Conv2DRNNCell((2, 4), 2, 3, 3), r"input_shape must be the 3 sizes.*\(2, 4\)"),
        (lambda: crnn.Conv1DGRUCell((2, 2), 2, 3, 3), r"i2h_kernel \(3,\).*does not fit"),
    ],
)
def test_bad_constructor_arguments_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_leaky_relu_activation_and_shared_params():
    # A LeakyReLU block as activation equals the named 'relu' where inputs are positive, and
    # params= shares the very same parameters (MXNet's sharing semantics).
    first = crnn.Conv1DRNNCell((2, 4), 2, 1, 1, activation=mx.gluon.nn.LeakyReLU(0.0))
    first.initialize(mx.init.One())
    second = crnn.Conv1DRNNCell((2, 4), 2, 1, 1, activation="relu", params=first.collect_params())
    assert second.i2h_weight is first.i2h_weight
    x = mx.nd.array(np.arange(2 * 2 * 4, dtype=np.float32).reshape(2, 2, 4) - 3)
    h = mx.nd.zeros((2, 2, 4))
    a, _ = first(x, [h])
    b, _ = second(x, [h])
    np.testing.assert_allclose(a.asnumpy(), b.asnumpy())
    # weights one, bias zero, kernel 1: both channels sum the two input channels, then relu
    expected = np.maximum(x.asnumpy().sum(axis=1, keepdims=True), 0).repeat(2, axis=1)
    np.testing.assert_allclose(a.asnumpy(), expected)
