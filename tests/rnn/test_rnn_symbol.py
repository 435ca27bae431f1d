"""Recurrent cells unrolled over free-standing Symbols (``mx.sym.var`` inputs), as MXNet 1.9.1's
own ``test_gluon_rnn`` does: MXNet's output names, shape inference, and the graph's numbers
equal to the eager unroll with the same parameters."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax.gluon import rnn

CELLS = {
    "rnn": lambda p: rnn.RNNCell(4, prefix=p),
    "lstm": lambda p: rnn.LSTMCell(4, prefix=p),
    "gru": lambda p: rnn.GRUCell(4, prefix=p),
}


def _steps(rng, n, shape=(2, 3)):
    return [mx.nd.array(rng.standard_normal(shape).astype(np.float32)) for _ in range(n)]


def _eval(group, params, inputs):
    args = {k: p.data() for k, p in params.items()}
    args.update(inputs)
    return [o.asnumpy() for o in group.eval(**args)]


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_cell_unrolled_on_symbols_names_shapes_and_numbers(kind, rng):
    cell = CELLS[kind]("rnn_")
    syms = [mx.sym.var(f"rnn_t{i}_data") for i in range(3)]
    outputs, states = cell.unroll(3, syms)
    group = mx.sym.Group(outputs)
    # MXNet 1.9.1 names each step's output node <prefix>t<step>_out.
    assert group.list_outputs() == ["rnn_t0_out_output", "rnn_t1_out_output", "rnn_t2_out_output"]
    assert sorted(group.list_arguments()) == sorted(
        [f"rnn_t{i}_data" for i in range(3)]
        + ["rnn_h2h_bias", "rnn_h2h_weight", "rnn_i2h_bias", "rnn_i2h_weight"]
    )
    _, outs, _ = group.infer_shape(**{f"rnn_t{i}_data": (2, 3) for i in range(3)})
    assert outs == [(2, 4)] * 3

    xs = _steps(rng, 3)
    cell.initialize(mx.init.Uniform(0.5))
    eager, _ = cell.unroll(3, xs)
    got = _eval(group, cell.collect_params(), {f"rnn_t{i}_data": x for i, x in enumerate(xs)})
    for g, e in zip(got, eager):
        np.testing.assert_allclose(g, e.asnumpy(), rtol=1e-5, atol=1e-6)
    assert len(states) == (2 if kind == "lstm" else 1)


def test_bidirectional_merged_symbol_input_tnc_matches_eager(rng):
    cell = rnn.BidirectionalCell(
        rnn.LSTMCell(3, prefix="l_"), rnn.GRUCell(3, prefix="r_"), output_prefix="bi_"
    )
    data = mx.sym.var("data")
    out, _ = cell.unroll(4, data, layout="TNC", merge_outputs=True)
    per_step, _ = cell.unroll(4, data, layout="TNC", merge_outputs=False)
    assert out.list_outputs() == ["bi_out_output"]
    assert mx.sym.Group(per_step).list_outputs() == [f"bi_t{i}_output" for i in range(4)]
    _, outs, _ = out.infer_shape(data=(4, 2, 5))
    assert outs == [(4, 2, 6)]

    x = mx.nd.array(rng.standard_normal((4, 2, 5)).astype(np.float32))
    cell.initialize(mx.init.Uniform(0.5))
    eager, _ = cell.unroll(4, x, layout="TNC", merge_outputs=True)
    (got,) = _eval(out, cell.collect_params(), {"data": x})
    np.testing.assert_allclose(got, eager.asnumpy(), rtol=1e-5, atol=1e-6)


def test_stack_with_residual_on_symbols_matches_eager(rng):
    stack = rnn.SequentialRNNCell()
    stack.add(rnn.LSTMCell(3, prefix="s0_"))
    stack.add(rnn.ResidualCell(rnn.GRUCell(3, prefix="s1_")))
    data = mx.sym.var("data")
    out, _ = stack.unroll(2, data, layout="NTC", merge_outputs=True)
    _, outs, _ = out.infer_shape(data=(2, 2, 5))
    assert outs == [(2, 2, 3)]

    x = mx.nd.array(rng.standard_normal((2, 2, 5)).astype(np.float32))
    stack.initialize(mx.init.Uniform(0.5))
    eager, _ = stack.unroll(2, x, layout="NTC", merge_outputs=True)
    (got,) = _eval(out, stack.collect_params(), {"data": x})
    np.testing.assert_allclose(got, eager.asnumpy(), rtol=1e-5, atol=1e-6)


def test_unroll_symbol_with_valid_length_matches_eager(rng):
    cell = rnn.RNNCell(3, prefix="v_")
    data, valid = mx.sym.var("data"), mx.sym.var("valid_length")
    out, states = cell.unroll(4, data, valid_length=valid, merge_outputs=True, layout="NTC")
    group = mx.sym.Group([out, states[0]])
    _, outs, _ = group.infer_shape(data=(2, 4, 5), valid_length=(2,))
    assert outs == [(2, 4, 3), (2, 3)]

    x = mx.nd.array(rng.standard_normal((2, 4, 5)).astype(np.float32))
    vl = mx.nd.array([2, 4])
    cell.initialize(mx.init.Uniform(0.5))
    eager_out, eager_states = cell.unroll(4, x, valid_length=vl, merge_outputs=True)
    got_out, got_state = _eval(group, cell.collect_params(), {"data": x, "valid_length": vl})
    np.testing.assert_allclose(got_out, eager_out.asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, eager_states[0].asnumpy(), rtol=1e-5, atol=1e-6)
    assert np.all(got_out[0, 2:] == 0)


def test_context_default_ctx_is_current_context_with_mxnet_deprecation():
    with pytest.warns(DeprecationWarning, match="default_ctx has been deprecated"):
        ctx = mx.Context.default_ctx
    assert ctx == mx.current_context()
