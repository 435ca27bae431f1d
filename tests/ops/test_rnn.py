"""The RNN operator and the Sequence* operators against plain-numpy references."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import reference as ref
from helpers import check_op

import gluax as mx
from gluax import autograd


def _n_params(mode, num_layers, input_size, state_size, bidirectional=False, projection_size=None):
    g = ref._RNN_GATES[mode] * state_size
    r = projection_size or state_size
    dirs = 2 if bidirectional else 1
    total, ni = 0, input_size
    for _ in range(num_layers):
        per = g * ni + g * r + 2 * g + (r * state_size if projection_size else 0)
        total += dirs * per
        ni = r * dirs
    return total


def _rnn_inputs(
    rng,
    T,
    N,
    C,
    mode,
    num_layers,
    state_size,
    bidirectional=False,
    projection_size=None,
    lengths=None,
):
    dirs = 2 if bidirectional else 1
    n = _n_params(mode, num_layers, C, state_size, bidirectional, projection_size)
    r = projection_size or state_size
    xs = [
        rng.normal(0, 0.8, (T, N, C)).astype(np.float32),
        rng.uniform(-0.5, 0.5, (n,)).astype(np.float32),
        rng.normal(0, 0.5, (num_layers * dirs, N, r)).astype(np.float32),
    ]
    if mode == "lstm":
        xs.append(rng.normal(0, 0.5, (num_layers * dirs, N, state_size)).astype(np.float32))
    elif lengths is not None:
        xs.append(None)
    if lengths is not None:
        xs.append(np.array(lengths, np.int32))
    return xs


# Plain multi-layer bidirectional cases are checked against MXNet in tests/rnn; these cover
# what MXNet's CPU kernel cannot (projection gradients, clipping, sequence lengths).
RNN_CASES = [
    ("rnn_tanh", 1, False, None, None, None),
    ("lstm", 1, True, 2, None, None),
    ("lstm", 1, False, None, (-0.3, 0.25), None),
    ("lstm", 2, True, None, None, [2, 4]),
    ("gru", 1, True, None, None, [4, 1]),
]


@pytest.mark.parametrize("mode, layers, bidir, proj, clip, lengths", RNN_CASES)
def test_rnn_op_matches_numpy(rng, mode, layers, bidir, proj, clip, lengths):
    xs = _rnn_inputs(rng, 4, 2, 3, mode, layers, 3, bidir, proj, lengths)
    attrs = dict(
        state_size=3, num_layers=layers, mode=mode, bidirectional=bidir, state_outputs=True
    )
    if proj:
        attrs["projection_size"] = proj
    if clip:
        attrs.update(lstm_state_clip_min=clip[0], lstm_state_clip_max=clip[1])
    if lengths is not None:
        attrs["use_sequence_length"] = True
    if mode != "lstm" and lengths is not None:  # no state_cell input before the lengths
        lengths_arr = xs.pop()
        xs.pop()

        def op(d, p, s, **kw):
            return mx.nd.RNN(d, p, s, None, mx.nd.array(lengths_arr, dtype="int32"), **kw)

        def reference(d, p, s, **kw):
            return ref.rnn(d, p, s, None, lengths_arr, **kw)

        check_op(op, reference, xs, rng, rtol=1e-4, atol=1e-5, **attrs)
        return
    check_op(mx.nd.RNN, ref.rnn, xs, rng, rtol=1e-4, atol=1e-5, **attrs)


def test_rnn_op_clip_nan_sends_nan_to_the_lower_bound():
    # cuDNN's NOT_PROPAGATE_NAN clipping; a NaN input makes the cell state NaN before clipping.
    x = mx.nd.array(np.full((1, 1, 1), np.nan, np.float32))
    n = _n_params("lstm", 1, 1, 1)
    params = mx.nd.ones((n,))
    h, c = mx.nd.zeros((1, 1, 1)), mx.nd.zeros((1, 1, 1))
    kw = dict(state_size=1, num_layers=1, mode="lstm", state_outputs=True,
              lstm_state_clip_min=-0.5, lstm_state_clip_max=0.5)  # fmt: skip
    _, _, cy = mx.nd.RNN(x, params, h, c, lstm_state_clip_nan=True, **kw)
    assert cy.asnumpy().ravel().tolist() == [-0.5]
    _, _, cy = mx.nd.RNN(x, params, h, c, **kw)
    assert np.isnan(cy.asnumpy()).all()


def test_rnn_op_without_state_outputs_returns_the_output_only(rng):
    xs = _rnn_inputs(rng, 3, 2, 2, "gru", 1, 2)
    out = mx.nd.RNN(*[mx.nd.array(x) for x in xs], state_size=2, num_layers=1, mode="gru")
    expected = ref.rnn(*xs, state_size=2, num_layers=1, mode="gru", state_outputs=False)
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-6)


def _dropout_rnn(xs, num_layers):
    return mx.nd.RNN(
        *[mx.nd.array(x) for x in xs], state_size=3, num_layers=num_layers, mode="lstm", p=0.5
    )


def test_rnn_op_dropout_acts_between_layers_in_training_only(rng):
    one = _rnn_inputs(rng, 3, 2, 2, "lstm", 1, 3)
    two = _rnn_inputs(rng, 3, 2, 2, "lstm", 2, 3)
    expected_one = ref.rnn(*one, state_size=3, num_layers=1, mode="lstm", state_outputs=False)
    expected_two = ref.rnn(*two, state_size=3, num_layers=2, mode="lstm", state_outputs=False)
    # inference: no dropout at all
    np.testing.assert_allclose(_dropout_rnn(two, 2).asnumpy(), expected_two, rtol=1e-5, atol=1e-6)
    with autograd.train_mode():
        # one layer: nothing lies between layers, so nothing is dropped
        np.testing.assert_allclose(
            _dropout_rnn(one, 1).asnumpy(), expected_one, rtol=1e-5, atol=1e-6
        )
        mx.random.seed(7)
        a = _dropout_rnn(two, 2).asnumpy()
        b = _dropout_rnn(two, 2).asnumpy()
        mx.random.seed(7)
        c = _dropout_rnn(two, 2).asnumpy()
    assert not np.allclose(a, expected_two) and not np.allclose(a, b)
    np.testing.assert_array_equal(a, c)


def test_rnn_op_dropout_draws_a_fresh_mask_per_compiled_call(rng):
    xs = [mx.nd.array(x)._value for x in _rnn_inputs(rng, 3, 2, 2, "gru", 2, 3)]

    def f(*vals):
        from gluax._src.engine.ndarray import NDArray

        return mx.nd.RNN(
            *[NDArray(v) for v in vals], state_size=3, num_layers=2, mode="gru", p=0.5
        )._value

    with autograd.train_mode():
        a = mx.nd.RNN(*[mx.nd.array(x) for x in xs], state_size=3, num_layers=2, mode="gru", p=0.5)
        b = mx.nd.RNN(*[mx.nd.array(x) for x in xs], state_size=3, num_layers=2, mode="gru", p=0.5)
    assert not np.allclose(a.asnumpy(), b.asnumpy())
    assert jax.jit(f)(*xs).shape == (3, 2, 3)


@pytest.mark.parametrize("axis", [0, 1])
def test_sequence_mask_matches_numpy(rng, axis):
    lengths = np.array([2, 0, 3], np.int32)
    shape = (3, 3, 2)
    check_op(mx.nd.SequenceMask, ref.sequence_mask, [shape, lengths], rng,
             use_sequence_length=True, value=-1.5, axis=axis)  # fmt: skip


@pytest.mark.parametrize("axis", [0, 1])
def test_sequence_last_matches_numpy(rng, axis):
    lengths = np.array([2, 1, 3], np.int32)
    check_op(mx.nd.SequenceLast, ref.sequence_last, [(3, 3, 2), lengths], rng,
             use_sequence_length=True, axis=axis)  # fmt: skip
    check_op(mx.nd.SequenceLast, ref.sequence_last, [(4, 3)], rng, axis=axis)


def test_sequence_reverse_matches_numpy(rng):
    lengths = np.array([2, 4, 1], np.int32)
    check_op(mx.nd.SequenceReverse, ref.sequence_reverse, [(4, 3, 2), lengths], rng,
             use_sequence_length=True)  # fmt: skip
    check_op(mx.nd.SequenceReverse, ref.sequence_reverse, [(4, 3, 2)], rng)


def test_sequence_ops_take_float_lengths():
    x = mx.nd.array(np.arange(6, dtype=np.float32).reshape(3, 2))
    got = mx.nd.SequenceLast(x, mx.nd.array([2.0, 3.0]), use_sequence_length=True)
    assert got.asnumpy().tolist() == [2.0, 5.0]


ERRORS = [
    (
        lambda: mx.nd.SequenceMask(mx.nd.ones((3,))),
        r"SequenceMask: expected data with at least 2 dims.*\(3,\)",
    ),
    (
        lambda: mx.nd.SequenceMask(mx.nd.ones((3, 2)), axis=2),
        r"SequenceMask: axis must be 0 or 1.*got 2",
    ),
    (
        lambda: mx.nd.SequenceLast(mx.nd.ones((3, 2)), use_sequence_length=True),
        r"SequenceLast: use_sequence_length=True needs a sequence_length input",
    ),
    (
        lambda: mx.nd.SequenceMask(mx.nd.ones((3, 2)), mx.nd.ones((3,)), use_sequence_length=True),
        r"SequenceMask: expected sequence_length of shape \(2,\).*got \(3,\)",
    ),
    (lambda: mx.nd.SequenceReverse(mx.nd.ones((3, 2)), axis=1), r"SequenceReverse: only axis=0"),
    (
        lambda: mx.nd.RNN(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((6,)),
            mx.nd.ones((1, 1, 1)),
            state_size=1,
            num_layers=1,
            mode="elman",
        ),
        r"RNN: mode must be one of",
    ),
    (
        lambda: mx.nd.RNN(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((5,)),
            mx.nd.ones((1, 1, 1)),
            state_size=1,
            num_layers=1,
            mode="rnn_tanh",
        ),
        r"RNN: expected parameters as one flat vector of 4 values for input_size=1, got shape \(5,\)",
    ),
    (
        lambda: mx.nd.RNN(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((4,)),
            mx.nd.ones((2, 1, 1)),
            state_size=1,
            num_layers=1,
            mode="rnn_tanh",
        ),
        r"RNN: expected state of shape \(1, 1, 1\).*got \(2, 1, 1\)",
    ),
    (
        lambda: mx.nd.RNN(
            mx.nd.ones((2, 1)),
            mx.nd.ones((4,)),
            mx.nd.ones((1, 1, 1)),
            state_size=1,
            num_layers=1,
            mode="rnn_tanh",
        ),
        r"RNN: expected time-major data .* 3 dims, got shape \(2, 1\)",
    ),
    (
        lambda: mx.nd.RNN(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((16,)),
            mx.nd.ones((1, 1, 1)),
            state_size=1,
            num_layers=1,
            mode="lstm",
        ),
        r"RNN: mode 'lstm' needs state_cell of shape \(1, 1, 1\), got None",
    ),
    (
        lambda: mx.nd.RNN(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((12,)),
            mx.nd.ones((1, 1, 1)),
            state_size=1,
            num_layers=1,
            mode="gru",
            projection_size=1,
        ),
        r"RNN: projection_size is only supported with mode='lstm'",
    ),
    (
        lambda: mx.nd.RNN(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((12,)),
            mx.nd.ones((1, 1, 1)),
            state_size=1,
            num_layers=1,
            mode="gru",
            lstm_state_clip_min=0.0,
            lstm_state_clip_max=1.0,
        ),
        r"RNN: lstm_state_clip_min/max need mode='lstm'",
    ),
    (
        lambda: mx.nd.RNN(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((16,)),
            mx.nd.ones((1, 1, 1)),
            mx.nd.ones((1, 1, 1)),
            state_size=1,
            num_layers=1,
            mode="lstm",
            lstm_state_clip_min=1.0,
            lstm_state_clip_max=0.0,
        ),
        r"RNN: lstm_state_clip_min and lstm_state_clip_max must both be given with min <= max",
    ),
    (
        lambda: mx.nd.RNN(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((4,)),
            mx.nd.ones((1, 1, 1)),
            state_size=0,
            num_layers=1,
            mode="rnn_tanh",
        ),
        r"RNN: num_layers and state_size must be positive",
    ),
    (
        lambda: mx.nd._fused_rnn(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((1, 1, 1)),
            mx.nd.ones((1, 1)),
            mx.nd.ones((1, 1)),
            mx.nd.ones((1,)),
            mx.nd.ones((1,)),
            state_size=1,
            num_layers=1,
            mode="rnn_tanh",
            layout="CTN",
        ),
        r"RNN: layout must be 'TNC' or 'NTC', got 'CTN'",
    ),
    (
        lambda: mx.nd._fused_rnn(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((1, 1, 1)),
            mx.nd.ones((1, 1)),
            state_size=1,
            num_layers=1,
            mode="rnn_tanh",
        ),
        r"RNN: expected 4 weight arrays, got 1",
    ),
    (
        lambda: mx.nd._fused_rnn(
            mx.nd.ones((2, 1, 1)),
            mx.nd.ones((1, 1, 1)),
            mx.nd.ones((1, 2)),
            mx.nd.ones((1, 1)),
            mx.nd.ones((1,)),
            mx.nd.ones((1,)),
            state_size=1,
            num_layers=1,
            mode="rnn_tanh",
        ),
        r"RNN: expected l0_i2h_weight of shape \(1, 1\), got \(1, 2\)",
    ),
]


@pytest.mark.parametrize("call, match", ERRORS)
def test_rnn_ops_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
