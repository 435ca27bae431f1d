"""The Symbol API's properties and errors: dispatch of mx.sym operators, indexing, attributes,
inference, files and the Executor's grad_req/copy/reshape rules (numpy references)."""

import copy
import json
import os
import sys

import numpy as np
import pytest

import gluax as mx
from gluax.name import NameManager

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "symbol_graph")


def test_sym_operator_runs_eagerly_on_ndarrays():
    out = mx.sym.relu(mx.nd.array([-1.0, 2.0]))
    assert isinstance(out, mx.nd.NDArray)
    np.testing.assert_array_equal(out.asnumpy(), [0.0, 2.0])
    np.testing.assert_array_equal(mx.sym.maximum(mx.nd.array([1.0, 3.0]), 2.0).asnumpy(), [2, 3])


def test_traced_values_are_symbols_inside_hybridize():
    seen = []

    class Probe(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            seen.append(isinstance(x, mx.sym.Symbol))
            return x * 2

    net = Probe()
    net.hybridize()
    np.testing.assert_array_equal(net(mx.nd.ones((2,))).asnumpy(), [2.0, 2.0])
    Probe()(mx.nd.ones((2,)))
    assert seen == [True, False]
    assert not isinstance(mx.nd.ones((1,)), mx.sym.Symbol)


def test_outputs_by_index_name_and_slice():
    with NameManager():
        x = mx.sym.var("x")
        parts = mx.sym.split(x, num_outputs=3, axis=1)
    assert len(parts) == 3
    assert parts[-1].list_outputs() == ["split0_output2"]
    assert parts["split0_output1"].list_outputs() == ["split0_output1"]
    assert parts[1:].list_outputs() == ["split0_output1", "split0_output2"]
    assert [s.name for s in parts] == ["split0"] * 3
    assert parts[0].get_children().list_outputs() == ["x"]
    assert x.get_children() is None
    with pytest.raises(ValueError, match="no output named 'nope'"):
        parts["nope"]
    with pytest.raises(IndexError, match="3 output"):
        parts[3]
    with pytest.raises(ValueError, match="group of 3 outputs"):
        mx.sym.relu(parts)


def test_group_and_internals_evaluate_together():
    x = mx.sym.var("x")
    y = mx.sym.exp(x, name="e")
    g = mx.sym.Group([y, x * 3])
    a = np.array([[0.5, -1.0]], dtype=np.float32)
    outs = g.eval(x=mx.nd.array(a))
    np.testing.assert_allclose(outs[0].asnumpy(), np.exp(a), rtol=1e-6)
    np.testing.assert_allclose(outs[1].asnumpy(), a * 3, rtol=1e-6)
    assert "e_output" in g.get_internals().list_outputs()
    with pytest.raises(TypeError, match="list of Symbols"):
        mx.sym.Group([x, 1])


def test_attributes_and_attr_scope():
    x = mx.sym.var("x", shape=(2, 3), lr_mult=0.5, wd_mult=2.0, dtype="float16",
                   init=mx.init.Constant(1.0), attr={"k": "v"})  # fmt: skip
    assert x.attr("__shape__") == "(2, 3)"
    assert x.attr("__dtype__") == "2"
    assert x.list_attr()["lr_mult"] == "0.5" and x.list_attr()["wd_mult"] == "2.0"
    assert x.attr("k") == "v" and x.attr("missing") is None
    with mx.AttrScope(ctx_group="dev1"):
        y = mx.sym.relu(mx.sym.var("y"), name="r")
    assert y.attr("ctx_group") == "dev1"
    assert y.attr_dict()["y"] == {"ctx_group": "dev1"}
    with pytest.raises(ValueError, match="must be a string"):
        mx.sym.var("z", attr={"k": 1})
    with pytest.raises(TypeError, match="name must be a string"):
        mx.sym.var(3)


def test_inference_partial_and_incomplete():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc")
    out = mx.sym.broadcast_add(fc, mx.sym.var("other"))
    arg, outs, aux = out.infer_shape_partial(data=(2, 5))
    assert arg == [(2, 5), (4, 5), (4,), ()] and outs == [()] and aux == []
    with pytest.warns(UserWarning, match=r"\['other'\]"):
        assert out.infer_shape(data=(2, 5)) == (None, None, None)
    assert out.infer_shape(data=(2, 5), other=(1, 4))[1] == [(2, 4)]
    assert fc.infer_type(data="float16")[1] == [np.float16]
    with pytest.raises(ValueError, match="'nope' is not an argument"):
        fc.infer_shape(nope=(1,))
    with pytest.raises(mx.MXNetError, match=r"needs weight 'fc_weight' of shape \(4, 5\)"):
        fc.infer_shape(data=(2, 5), fc_weight=(4, 6))


def test_save_load_and_copies(tmp_path):
    with NameManager():
        x = mx.sym.var("x")
        y = mx.sym.BatchNorm(mx.sym.FullyConnected(x, num_hidden=2), name="bn") + 1
    path = str(tmp_path / "g-symbol.json")
    y.save(path)
    z = mx.sym.load(path)
    assert z.tojson() == y.tojson()
    assert mx.sym.load_json(y.tojson()).list_auxiliary_states() == [
        "bn_moving_mean",
        "bn_moving_var",
    ]
    assert json.loads(copy.deepcopy(y).tojson()) == json.loads(y.tojson())
    with pytest.raises(FileNotFoundError, match="no such file"):
        mx.sym.load(str(tmp_path / "missing.json"))
    with pytest.raises(mx.MXNetError, match="not an MXNet symbol graph"):
        mx.sym.load_json('{"a": 1}')


def test_executor_grad_req_add_copy_and_reshape():
    x = mx.sym.var("x")
    w = mx.sym.var("w")
    loss = mx.sym.sum(x * w)
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    ex = loss.simple_bind(mx.cpu(), grad_req={"x": "null", "w": "add"}, x=(2, 3), w=(2, 3))
    ex.copy_params_from({"x": mx.nd.array(a), "w": mx.nd.ones((2, 3))})
    for _ in range(2):
        ex.forward(is_train=True)
        ex.backward()
    np.testing.assert_allclose(ex.grad_dict["w"].asnumpy(), 2 * a)
    assert "x" not in ex.grad_dict
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), a.sum())
    ex2 = ex.reshape(x=(1, 3), w=(1, 3))
    out = ex2.forward(x=mx.nd.ones((1, 3)), w=mx.nd.ones((1, 3)) * 2)
    np.testing.assert_allclose(out[0].asnumpy(), 6.0)
    with pytest.raises(ValueError, match="'v' is not an argument"):
        ex.forward(v=mx.nd.ones((1,)))
    with pytest.raises(ValueError, match="has shape \\(1, 1\\)"):
        ex.copy_params_from({"w": mx.nd.ones((1, 1))})
    with pytest.raises(ValueError, match="no array for argument"):
        loss.bind(mx.cpu(), {"x": mx.nd.ones((2, 3))})
    with pytest.raises(ValueError, match="grad_req for 'x'"):
        loss.bind(mx.cpu(), {"x": mx.nd.ones((1,)), "w": mx.nd.ones((1,))}, grad_req="sometimes")


def test_symbols_refuse_arrays_and_truth():
    x = mx.sym.var("x")
    with pytest.raises(TypeError, match="must be a Symbol"):
        mx.sym.broadcast_add(x, mx.nd.ones((1,)))
    with pytest.raises(TypeError, match="Symbol or a number"):
        x + "a"
    with pytest.raises(NotImplementedError, match="no truth value"):
        bool(x)


def test_compose_replaces_variables():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    z = mx.sym.var("z")
    for composed in (fc(data=mx.sym.exp(z, name="e")), fc(mx.sym.exp(z, name="e"))):
        assert composed.list_arguments() == ["z", "fc_weight", "fc_bias"]
        assert fc.list_arguments() == ["data", "fc_weight", "fc_bias"]  # the original stays
    a = np.array([[0.1, 0.2]], dtype=np.float32)
    w, b = np.ones((3, 2), np.float32), np.arange(3, dtype=np.float32)
    out = composed.eval(z=mx.nd.array(a), fc_weight=mx.nd.array(w), fc_bias=mx.nd.array(b))
    np.testing.assert_allclose(out[0].asnumpy(), np.exp(a) @ w.T + b, rtol=1e-6)
    block = mx.gluon.SymbolBlock(fc, data)
    on_graph = block(mx.sym.relu(z, name="r"))
    assert on_graph.list_arguments() == ["z", "fc_weight", "fc_bias"]
    assert on_graph.get_children().list_outputs()[0] == "r_output"
    with pytest.raises(TypeError, match="by position or by name"):
        fc(z, data=z)


def test_get_symbol_matches_mxnets_recorded_graph():
    sys.path.insert(0, HERE)
    from graphs import record_chain

    with open(os.path.join(HERE, "get_symbol.json")) as f:
        want = json.load(f)
    z = record_chain(mx)
    got = json.loads(mx.autograd.get_symbol(z).tojson())

    def skeleton(g):  # MXNet writes scalars as given (2.0) and shapes as lists ([1,2])
        return [(n["op"], n["name"], n["inputs"]) for n in g["nodes"]], g["heads"]

    assert skeleton(got) == skeleton(want)
    sym = mx.autograd.get_symbol(z)
    x = np.array([0.5, -1.0], np.float32)
    values = {"var0": mx.nd.array(x), "null1": mx.nd.array([2.0, 3.0]),
              "null2": mx.nd.ones((3, 2)), "null3": mx.nd.ones((3,))}  # fmt: skip
    out = sym.eval(**values)[0].asnumpy()
    y = np.maximum(x * 2 + 1, 0) * [2.0, 3.0]
    np.testing.assert_allclose(out, np.tile(y.sum() + 1, (1, 3)), rtol=1e-6)
    np.testing.assert_allclose(z.asnumpy(), out, rtol=1e-6)
    with pytest.raises(ValueError, match="not computed under autograd.record"):
        mx.autograd.get_symbol(mx.nd.ones((2,)))
