"""Free-standing Symbols against MXNet 1.9.1 (tests/fixtures/symbol_graph): the same graph
text from the same code, the same names, shapes, outputs and gradients through bind."""

import json
import os
import sys

import numpy as np
import pytest

import gluax as mx
from gluax.name import NameManager

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "symbol_graph")
sys.path.insert(0, HERE)
from graphs import SHAPES, build_graphs  # noqa: E402

with open(os.path.join(HERE, "graphs.json")) as _f:
    META = json.load(_f)
FIX = np.load(os.path.join(HERE, "symbol_graph.npz"))
NAMES = sorted(SHAPES)


@pytest.fixture(scope="module")
def graphs():
    with NameManager():
        return build_graphs(mx)


@pytest.mark.parametrize("name", NAMES)
def test_graph_json_equals_mxnet(graphs, name):
    assert json.loads(graphs[name].tojson()) == META[name]["json"]


@pytest.mark.parametrize("name", NAMES)
def test_names_and_shapes_equal_mxnet(graphs, name):
    sym, want = graphs[name], META[name]
    assert sym.list_arguments() == want["arguments"]
    assert sym.list_auxiliary_states() == want["aux"]
    assert sym.list_outputs() == want["outputs"]
    assert sym.list_inputs() == want["inputs"]
    arg, out, aux = sym.infer_shape(**SHAPES[name])
    assert [list(s) for s in arg] == want["arg_shapes"]
    assert [list(s) for s in out] == want["out_shapes"]
    assert [list(s) for s in aux] == want["aux_shapes"]


@pytest.mark.parametrize("name", NAMES)
def test_bind_forward_backward_equal_mxnet(graphs, name):
    sym = graphs[name]
    args = {n: mx.nd.array(FIX[f"{name}/arg/{n}"]) for n in sym.list_arguments()}
    aux = {n: mx.nd.array(FIX[f"{name}/aux/{n}"]) for n in sym.list_auxiliary_states()}
    ex = sym.bind(mx.cpu(), args, aux_states=aux)
    n_out = len(sym.list_outputs())
    for i, o in enumerate(ex.forward(is_train=False)):
        np.testing.assert_allclose(o.asnumpy(), FIX[f"{name}/infer_out/{i}"], rtol=1e-5, atol=1e-6)
    outs = ex.forward(is_train=True)
    assert len(outs) == n_out
    for i, o in enumerate(outs):
        np.testing.assert_allclose(o.asnumpy(), FIX[f"{name}/train_out/{i}"], rtol=1e-5, atol=1e-6)
    ex.backward([mx.nd.array(FIX[f"{name}/head_grad/{i}"]) for i in range(n_out)])
    for n, g in ex.grad_dict.items():
        np.testing.assert_allclose(g.asnumpy(), FIX[f"{name}/grad/{n}"], rtol=1e-4, atol=1e-5)
    for n, v in ex.aux_dict.items():
        np.testing.assert_allclose(v.asnumpy(), FIX[f"{name}/aux_after/{n}"], rtol=1e-5, atol=1e-6)
