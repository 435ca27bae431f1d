"""Fused recurrent layers (RNN, LSTM, GRU) against MXNet 1.9.1 fixtures and properties."""

from __future__ import annotations

import json
import pathlib
from functools import cache

import jax
import numpy as np
import pytest
from helpers import check_eager_vs_hybrid

import gluax as mx
from gluax import autograd
from gluax.gluon import nn, rnn

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"


@cache
def _layer_fixture():
    d = FIXTURES / "rnn_layers"
    return json.loads((d / "rnn_layers.json").read_text())["cases"], dict(
        np.load(d / "rnn_layers.npz")
    )


def _cases():
    return _layer_fixture()[0]


def _head(shape):
    return mx.nd.array(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(np.float32))


def _run(layer, x, states):
    with autograd.record(train_mode=False):
        if states is None:
            return [layer(x)]
        out, new_states = layer(x, states)
        return [out, *new_states]


def _check_layer_case(case, hybrid):
    arrays = _layer_fixture()[1]
    key = case["id"]
    layer = eval(case["ctor"], {"rnn": rnn})
    layer.initialize()
    x = mx.nd.array(arrays[f"{key}/x"])
    x.attach_grad()
    states = None
    if case["with_states"]:
        states = [mx.nd.array(arrays[f"{key}/state/{j}"]) for j in range(len(case["state_info"]))]
        for s in states:
            s.attach_grad()
    # Finish deferred initialization, as the fixture script does (recorded, with the same
    # arguments, so that the eager check below reuses this compilation).
    _run(layer, x, states)
    assert repr(layer) == case["repr"]
    assert [n[len(layer.prefix) :] for n in layer.collect_params()] == case["param_names"]
    params = layer._collect_params_with_prefix()
    assert list(params) == case["structural_names"]
    for name, p in params.items():
        p.set_data(mx.nd.array(arrays[f"{key}/param/{name}"]))
    batch = x.shape[layer._layout.find("N")]
    assert [
        {"shape": list(s["shape"]), "__layout__": s["__layout__"]} for s in layer.state_info(batch)
    ] == case["state_info"]
    layer.hybridize(active=hybrid)
    outs = _run(layer, x, states)
    assert len(outs) == case["n_outputs"]
    for j, o in enumerate(outs):
        np.testing.assert_allclose(o.asnumpy(), arrays[f"{key}/out/{j}"], rtol=1e-5, atol=1e-6)
    if not case["grads"]:
        return
    autograd.backward(outs, [_head(o.shape) for o in outs])
    tol = dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy(), arrays[f"{key}/grad/x"], **tol)
    for j, s in enumerate(states or []):
        np.testing.assert_allclose(s.grad.asnumpy(), arrays[f"{key}/grad/state/{j}"], **tol)
    for name, p in params.items():
        np.testing.assert_allclose(
            p.grad().asnumpy(), arrays[f"{key}/grad/param/{name}"], err_msg=name, **tol
        )


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["ctor"])
def test_layer_matches_mxnet(case):
    _check_layer_case(case, hybrid=False)


# Two bidirectional two-layer cases once more, compiled.
@pytest.mark.parametrize(
    "case",
    [
        c
        for c in _cases()
        if c["ctor"]
        in (
            "rnn.LSTM(3, num_layers=2, bidirectional=True)",
            "rnn.GRU(3, num_layers=2, bidirectional=True, layout='NTC')",
        )
    ],
    ids=lambda c: c["ctor"],
)
def test_hybridized_layer_matches_mxnet(case):
    _check_layer_case(case, hybrid=True)


# ---- parameters saved by MXNet ------------------------------------------------------------


@cache
def _saved():
    d = FIXTURES / "rnn_saved"
    return json.loads((d / "rnn_saved.json").read_text()), dict(np.load(d / "rnn_saved.npz"))


def _char_net():
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Embedding(12, 4))
        net.add(rnn.LSTM(5, num_layers=2, bidirectional=True, layout="NTC"))
        net.add(nn.Dense(12, flatten=False))
    return net


def test_network_saved_by_mxnet_loads_and_gives_mxnet_outputs(tmp_path):
    meta, arrays = _saved()
    net = _char_net()
    assert list(net.collect_params()) == meta["char_net_param_names"]
    net.load_parameters(str(FIXTURES / "rnn_saved" / "char_net.params"))  # no initialize()
    net.hybridize()
    out = net(mx.nd.array(arrays["char_net/x"]))
    np.testing.assert_allclose(out.asnumpy(), arrays["char_net/out"], rtol=1e-5, atol=1e-6)
    # and gluax writes MXNet's keys, byte for byte the same file
    net.save_parameters(str(tmp_path / "again.params"))
    assert sorted(mx.nd.load(str(tmp_path / "again.params"))) == meta["keys"]["char_net.params"]
    original = (FIXTURES / "rnn_saved" / "char_net.params").read_bytes()
    assert (tmp_path / "again.params").read_bytes() == original


@pytest.mark.parametrize("filename", ["lstm.params", "lstm_legacy.params"])
def test_lstm_saved_by_mxnet_loads(filename):
    meta, arrays = _saved()
    assert sorted(mx.nd.load(str(FIXTURES / "rnn_saved" / filename))) == meta["keys"][filename]
    layer = rnn.LSTM(3, input_size=2, prefix="lstm_")
    layer.load_parameters(str(FIXTURES / "rnn_saved" / filename))
    out = layer(mx.nd.array(arrays["lstm/x"]))
    np.testing.assert_allclose(out.asnumpy(), arrays["lstm/out"], rtol=1e-5, atol=1e-6)


# ---- properties -----------------------------------------------------------------------------


def test_states_are_returned_only_when_passed(rng):
    layer = rnn.GRU(3, input_size=2)
    layer.initialize()
    x = mx.nd.array(rng.normal(size=(4, 2, 2)))
    out = layer(x)
    assert isinstance(out, mx.nd.NDArray) and out.shape == (4, 2, 3)
    out2, states = layer(x, layer.begin_state(2))
    assert isinstance(states, list) and [s.shape for s in states] == [(1, 2, 3)]
    np.testing.assert_array_equal(out.asnumpy(), out2.asnumpy())  # zeros are the default state
    # a single state array is accepted for RNN/GRU, as in MXNet
    out3, states3 = layer(x, states[0])
    assert out3.shape == (4, 2, 3) and len(states3) == 1
    # hybridized: the same compiled program serves both call forms
    layer.hybridize()
    assert isinstance(layer(x), mx.nd.NDArray)
    out4, states4 = layer(x, states[0])
    np.testing.assert_allclose(out4.asnumpy(), out3.asnumpy(), rtol=1e-6, atol=1e-7)


def test_input_size_is_inferred_at_the_first_call():
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True, layout="NTC")
    layer.initialize()
    assert layer.l0_i2h_weight.shape == (12, 0) and layer.l1_i2h_weight.shape == (12, 6)
    assert repr(layer) == "LSTM(None -> 3, NTC, num_layers=2, bidirectional)"
    layer(mx.nd.ones((2, 4, 5)))
    assert layer.l0_i2h_weight.shape == (12, 5) and layer.r0_i2h_weight.shape == (12, 5)
    assert layer.l0_i2h_weight.data().shape == (12, 5)


def test_begin_state_and_state_info():
    layer = rnn.LSTM(4, num_layers=2, projection_size=3, bidirectional=True)
    info = layer.state_info(5)
    assert [i["shape"] for i in info] == [(4, 5, 3), (4, 5, 4)]
    assert all(i["__layout__"] == "LNC" for i in info)
    states = layer.begin_state(5, func=mx.nd.ones)
    assert [s.shape for s in states] == [(4, 5, 3), (4, 5, 4)]
    assert all((s.asnumpy() == 1).all() for s in states)
    assert layer.begin_state(2, dtype="float16")[0].dtype == np.float16
    assert [s.shape for s in rnn.RNN(2).begin_state(3)] == [(1, 3, 2)]


def _net(**kw):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(rnn.LSTM(3, num_layers=2, bidirectional=True, layout="NTC", **kw))
        net.add(nn.Dense(2, flatten=False))
    net.initialize()
    return net


def test_eager_and_hybridized_agree(rng):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(rnn.GRU(3, bidirectional=True, layout="NTC"))
        net.add(nn.Dense(2, flatten=False))
    net.initialize()
    check_eager_vs_hybrid(net, rng.normal(size=(2, 4, 3)).astype(np.float32))


def test_hybridized_time_loop_is_a_scan(rng):
    net = _net()
    lengths = []
    for steps in (3, 12):
        apply, params, aux = net.functional(mx.nd.ones((2, steps, 3)))
        jaxpr = jax.make_jaxpr(lambda p, x, apply=apply, aux=aux: apply(p, aux, (x,))[0])(
            params, np.ones((2, steps, 3), np.float32)
        )
        text = str(jaxpr)
        assert text.count("scan[") == 2  # one per layer, both directions inside
        lengths.append(len(jaxpr.jaxpr.eqns))
    assert lengths[0] == lengths[1]  # the program does not grow with the sequence length


def test_eager_layer_call_is_one_operator(rng):
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True, input_size=2)
    layer.initialize()
    with autograd.record():
        out = layer(mx.nd.ones((4, 2, 2)))
    node = out._ag.node
    assert node.name == "_fused_rnn"
    # its inputs are the parameters themselves (no packing or reshaping nodes)
    param_infos = {id(p.data()._ag) for p in layer.collect_params().values()}
    assert {id(i) for i in node.inputs} == param_infos


def test_dropout_between_layers_in_training_only(rng):
    layer = rnn.LSTM(3, num_layers=2, dropout=0.5, input_size=2)
    layer.initialize()
    plain = rnn.LSTM(3, num_layers=2, input_size=2, params=layer.collect_params())
    x = mx.nd.array(rng.normal(size=(3, 2, 2)))
    expected = plain(x).asnumpy()
    np.testing.assert_allclose(layer(x).asnumpy(), expected, rtol=1e-6, atol=1e-7)
    layer.hybridize()
    with autograd.train_mode():
        mx.random.seed(3)
        a, b = layer(x).asnumpy(), layer(x).asnumpy()
        mx.random.seed(3)
        c = layer(x).asnumpy()
    assert not np.allclose(a, expected) and not np.allclose(a, b)
    np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize(
    "ctor",
    [
        "rnn.LSTM(3, num_layers=2, bidirectional=True, layout='NTC', use_sequence_length=True)",
    ],
)
def test_sequence_length_matches_unfused_cells_with_valid_length(rng, ctor):
    # Two independent paths: the fused scan operator, and MXNet's cell stack with unroll's
    # SequenceMask / SequenceLast / SequenceReverse.
    layer = eval(ctor, {"rnn": rnn})
    layer.initialize(mx.init.Uniform(0.5))
    steps, batch = 4, 3
    shape = (batch, steps, 3) if layer._layout == "NTC" else (steps, batch, 3)
    x = mx.nd.array(rng.normal(size=shape))
    lengths = mx.nd.array([2, 4, 1])
    states = layer.begin_state(batch, func=mx.nd.random.uniform)
    out, new_states = layer(x, states, lengths)
    stack = layer._unfuse()
    dirs = layer._dir
    cell_states = [s[k] for k in range(layer._num_layers * dirs) for s in states]
    out2, states2 = stack.unroll(
        steps, x, cell_states, layout=layer._layout, merge_outputs=True, valid_length=lengths
    )
    np.testing.assert_allclose(out.asnumpy(), out2.asnumpy(), rtol=1e-5, atol=1e-6)
    n = len(states)
    for j, s in enumerate(new_states):
        expected = np.stack([states2[k * n + j].asnumpy() for k in range(len(states2) // n)])
        np.testing.assert_allclose(s.asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_unfuse_shares_the_parameters():
    layer = rnn.GRU(2, num_layers=2, dropout=0.3, input_size=3)
    stack = layer._unfuse()
    assert repr(stack) == (
        "HybridSequentialRNNCell(\n(0): GRUCell(3 -> 6)\n(1): DropoutCell(rate=0.3, axes=())"
        "\n(2): GRUCell(2 -> 6)\n)"
    )
    assert set(stack.collect_params().values()) == set(layer.collect_params().values())


def test_cast_changes_parameters_and_states():
    layer = rnn.RNN(2, input_size=2)
    layer.initialize()
    layer.cast("float16")
    assert layer.l0_i2h_weight.data().dtype == np.float16
    assert layer.begin_state(1)[0].dtype == np.float16


ERRORS = [
    (lambda: rnn.LSTM(3, layout="NCT"), ValueError, r"LSTM: invalid layout 'NCT'"),
    (
        lambda: rnn.RNN(3, activation="sigmoid"),
        ValueError,
        r"RNN: activation must be 'relu' or 'tanh'",
    ),
    (lambda: rnn.GRU(3, dropout=1.0), ValueError, r"GRU: dropout must be in \[0, 1\), got 1.0"),
    (
        lambda: rnn.LSTM(3, state_clip_min=-1.0),
        ValueError,
        r"state_clip_min and state_clip_max must be given together",
    ),
    (
        lambda: rnn.LSTM(3, projection_size=2)._unfuse(),
        NotImplementedError,
        r"_unfuse does not support projection_size",
    ),
]


@pytest.mark.parametrize("make, error, match", ERRORS)
def test_layer_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_layer_rejects_bad_inputs_and_states():
    layer = rnn.LSTM(3, input_size=2)
    layer.initialize()
    x = mx.nd.ones((4, 2, 2))
    with pytest.raises(
        ValueError,
        match=r"LSTM 'lstm\d+': invalid recurrent state shape. Expecting \(1, 2, 3\), got \(1, 5, 3\)",
    ):
        layer(x, [mx.nd.zeros((1, 5, 3)), mx.nd.zeros((1, 5, 3))])
    with pytest.raises(ValueError, match=r"LSTM 'lstm\d+': expected 2 state arrays, got 1"):
        layer(x, [mx.nd.zeros((1, 2, 3))])
    with pytest.raises(
        ValueError, match=r"LSTM 'lstm\d+': expected 3-D input in layout 'TNC', got shape \(4, 2\)"
    ):
        layer(mx.nd.ones((4, 2)))
    deferred = rnn.GRU(3)
    deferred.initialize()
    with pytest.raises(
        ValueError, match=r"GRU 'gru\d+': expected 3-D input in layout 'TNC', got shape \(4, 2\)"
    ):
        deferred(mx.nd.ones((4, 2)))
    with pytest.raises(
        ValueError, match=r"RNN: expected l0_i2h_weight of shape \(12, 5\), got \(12, 2\)"
    ):
        layer(mx.nd.ones((4, 2, 5)))


def test_use_sequence_length_needs_the_lengths():
    layer = rnn.GRU(2, input_size=2, use_sequence_length=True)
    layer.initialize()
    with pytest.raises(ValueError, match=r"GRU 'gru\d+' was created with use_sequence_length=True"):
        layer(mx.nd.ones((3, 2, 2)), layer.begin_state(2))
