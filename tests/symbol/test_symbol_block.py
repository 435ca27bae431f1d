"""A HybridBlock called on Symbols, and SymbolBlock over Symbols, against MXNet 1.9.1: the
small CNN of tests/fixtures/symbol_graph/graphs.py with MXNet's saved weights."""

import json
import os
import sys

import numpy as np
import pytest

import gluax as mx

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "symbol_graph")
sys.path.insert(0, HERE)
from graphs import FEATURES, MODEL_ZOO, build_layers, build_net  # noqa: E402

FIX = np.load(os.path.join(HERE, "symbol_graph.npz"))


@pytest.fixture(scope="module")
def net():
    net = build_net(mx)
    net.load_parameters(os.path.join(HERE, "net.params"))
    return net


def test_block_on_symbol_gives_mxnets_graph(net):
    sym = net(mx.sym.var("data"))
    with open(os.path.join(HERE, "net.json")) as f:
        want = json.load(f)
    got = json.loads(sym.tojson())
    # Parameter shapes are known here (loaded), MXNet's graph was made before inference.
    for n in got["nodes"] + want["nodes"]:
        n.get("attrs", {}).pop("__shape__", None)
    assert got == want


def test_network_output_equals_mxnet(net):
    out = net(mx.nd.array(FIX["net/x"]))
    np.testing.assert_allclose(out.asnumpy(), FIX["net/out"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("feature", FEATURES)
@pytest.mark.parametrize("hybridize", [False, True])
def test_feature_extractor_equals_mxnet(net, feature, hybridize):
    data = mx.sym.var("data")
    internals = net(data).get_internals()
    fe = mx.gluon.SymbolBlock(internals[feature], data, params=net.collect_params())
    if hybridize:
        fe.hybridize()
    out = fe(mx.nd.array(FIX["net/x"]))
    np.testing.assert_allclose(out.asnumpy(), FIX[f"net/feature/{feature}"], rtol=1e-5, atol=1e-6)
    # The parameters are the network's own, not copies.
    for name, p in fe.collect_params().items():
        assert p is net.collect_params()[name]


def test_symbol_block_infers_new_parameters_and_trains():
    data = mx.sym.var("data")
    out = mx.sym.FullyConnected(mx.sym.relu(data), num_hidden=3, name="fc")
    block = mx.gluon.SymbolBlock(out, data)
    block.initialize()
    x = np.arange(10, dtype=np.float32).reshape(2, 5) - 4
    with mx.autograd.record():
        y = block(mx.nd.array(x))
    y.backward()
    assert block.collect_params()["fc_weight"].shape == (3, 5)
    w = block.collect_params()["fc_weight"].data().asnumpy()
    b = block.collect_params()["fc_bias"].data().asnumpy()
    np.testing.assert_allclose(y.asnumpy(), np.maximum(x, 0) @ w.T + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        block.collect_params()["fc_weight"].grad().asnumpy(),
        np.tile(np.maximum(x, 0).sum(0), (3, 1)),
        rtol=1e-5,
    )


def test_symbol_block_rejects_non_variable_inputs():
    data = mx.sym.var("data")
    with pytest.raises(TypeError, match="inputs must be variables"):
        mx.gluon.SymbolBlock(mx.sym.relu(data), mx.sym.relu(data))
    with pytest.raises(ValueError, match=r"\['other'\] are not variables"):
        mx.gluon.SymbolBlock(mx.sym.relu(data), mx.sym.var("other"))
    with pytest.raises(TypeError, match="outputs must be a Symbol"):
        mx.gluon.SymbolBlock(mx.nd.ones((2,)), data)


@pytest.mark.parametrize("name", MODEL_ZOO)
def test_model_zoo_graph_equals_mxnet(name):
    with open(os.path.join(HERE, "model_zoo.json")) as f:
        want = json.load(f)[name]
    net = mx.gluon.model_zoo.vision.get_model(name, prefix="m_")
    got = json.loads(net(mx.sym.var("data")).tojson())
    for n in got["nodes"] + want["nodes"]:  # deferred sizes: gluax may know in_channels
        n.get("attrs", {}).pop("__shape__", None)
    assert got == want


with open(os.path.join(HERE, "layers.json")) as _f:
    LAYERS = json.load(_f)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_graph_equals_mxnet(name):
    block = build_layers(mx)[name]
    got = json.loads(block(mx.sym.var("data")).tojson())
    assert got == LAYERS[name]
