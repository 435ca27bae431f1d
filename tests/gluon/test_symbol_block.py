"""HybridBlock.export and SymbolBlock.imports (gluax's StableHLO export)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, nd
from gluax.gluon import nn


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    mx.random.seed(5)
    net = nn.HybridSequential(prefix="exp_")
    with net.name_scope():
        net.add(nn.Dense(4, activation="relu"), nn.Dense(2))
    net.initialize()
    net.hybridize()
    x = nd.array(np.random.default_rng(0).standard_normal((3, 5)))
    y = net(x)
    files = net.export(str(tmp_path_factory.mktemp("exp") / "net"), epoch=3)
    return net, x, y, files


def test_export_writes_mxnet_named_files(exported):
    net, _, _, (sym, params) = exported
    assert sym.endswith("net-symbol.stablehlo") and params.endswith("net-0003.params")
    assert sorted(nd.load(params)) == ["arg:exp_dense0_bias", "arg:exp_dense0_weight", "arg:exp_dense1_bias", "arg:exp_dense1_weight"]


def test_imports_runs_without_the_class_for_any_batch(exported):
    net, x, y, (sym, params) = exported
    block = gluon.SymbolBlock.imports(sym, ["data"], params)
    np.testing.assert_allclose(block(x).asnumpy(), y.asnumpy(), rtol=1e-6, atol=1e-6)
    x7 = nd.array(np.random.default_rng(1).standard_normal((7, 5)))
    np.testing.assert_allclose(block(x7).asnumpy(), net(x7).asnumpy(), rtol=1e-6, atol=1e-6)
    block.hybridize()
    np.testing.assert_allclose(block(x).asnumpy(), y.asnumpy(), rtol=1e-6, atol=1e-6)


def test_imported_block_is_differentiable(exported):
    net, x, _, (sym, params) = exported
    block = gluon.SymbolBlock.imports(sym, ["data"], params)
    grads = []
    for b in (net, block):
        xi = nd.array(x.asnumpy())
        xi.attach_grad()
        with autograd.record():
            out = b(xi)
        out.backward()
        grads.append(xi.grad.asnumpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6, atol=1e-6)
    assert block.collect_params()["exp_dense0_weight"].grad().asnumpy().any()


def test_export_requires_a_hybridized_call(tmp_path):
    net = nn.Dense(2, in_units=2)
    net.initialize()
    with pytest.raises(RuntimeError, match=r"first call block.hybridize\(\) and then run forward"):
        net.export(str(tmp_path / "n"))


def test_imports_errors(exported, tmp_path):
    _, _, _, (sym, params) = exported
    with pytest.raises(ValueError, match=r"takes 1 input\(s\), got input_names=\['a', 'b'\]"):
        gluon.SymbolBlock.imports(sym, ["a", "b"], params)
    block = gluon.SymbolBlock.imports(sym, "data", params)
    with pytest.raises(ValueError, match=r"input 0 must have shape \('batch', 5\), got \(2, 4\)"):
        block(nd.ones((2, 4)))
    bad = tmp_path / "bad-symbol.stablehlo"
    bad.write_bytes(b"garbage")
    with pytest.raises(mx.MXNetError, match="is not a graph written by HybridBlock.export"):
        gluon.SymbolBlock.imports(str(bad), "data")
    with pytest.raises(TypeError, match="outputs must be a Symbol"):
        gluon.SymbolBlock(None, None)


# ---- MXNet's -symbol.json ---------------------------------------------------------------------

FIX = __import__("pathlib").Path(__file__).resolve().parent.parent / "fixtures" / "symbol_json"


def test_mxnet_exported_mlp_gives_mxnet_outputs():
    data = np.load(FIX / "symbol_json.npz")
    block = gluon.SymbolBlock.imports(str(FIX / "mlp-symbol.json"), ["data"], str(FIX / "mlp-0000.params"))
    assert sorted(block.collect_params().keys()) == ["mlp_dense0_bias", "mlp_dense0_weight", "mlp_head0_dense0_bias", "mlp_head0_dense0_weight", "mlp_head0_offset"]
    x = nd.array(data["mlp_x"])
    np.testing.assert_allclose(block(x).asnumpy(), data["mlp_y"], rtol=1e-5, atol=1e-6)
    block.hybridize()
    np.testing.assert_allclose(block(x).asnumpy(), data["mlp_y"], rtol=1e-5, atol=1e-6)
    xg = nd.array(data["mlp_x"])
    xg.attach_grad()
    with autograd.record():
        out = block(xg)
    out.backward()
    assert block.collect_params()["mlp_dense0_weight"].grad().asnumpy().any()


def test_json_errors_name_node_and_inputs(tmp_path):
    with pytest.raises(ValueError, match=r"input name\(s\) \['images'\] are not variables"):
        gluon.SymbolBlock.imports(str(FIX / "mlp-symbol.json"), ["images"], str(FIX / "mlp-0000.params"))
    spec = {"nodes": [{"op": "null", "name": "data", "inputs": []}, {"op": "NoSuchOp", "name": "weird0", "inputs": [[0, 0, 0]]}], "heads": [[1, 0, 0]], "arg_nodes": [0]}
    f = tmp_path / "bad-symbol.json"
    f.write_text(__import__("json").dumps(spec))
    with pytest.raises(NotImplementedError, match=r"node 'weird0' uses operator 'NoSuchOp'"):
        gluon.SymbolBlock.imports(str(f), ["data"])


def test_mxnet_exported_convnet_with_batchnorm_gives_mxnet_outputs():
    data = np.load(FIX / "symbol_json.npz")
    block = gluon.SymbolBlock.imports(str(FIX / "convnet-symbol.json"), "data", str(FIX / "convnet-0000.params"))
    assert block.collect_params()["conv_batchnorm0_running_mean"].grad_req == "null"
    x = nd.array(data["convnet_x"])
    np.testing.assert_allclose(block(x).asnumpy(), data["convnet_y"], rtol=1e-5, atol=1e-5)
    block.hybridize()
    np.testing.assert_allclose(block(x).asnumpy(), data["convnet_y"], rtol=1e-5, atol=1e-5)
