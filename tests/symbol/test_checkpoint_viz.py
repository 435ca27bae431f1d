"""mx.model checkpoints and mx.viz against MXNet 1.9.1's files and printed text
(tests/fixtures/symbol_graph)."""

import contextlib
import io
import json
import os
import sys

import numpy as np
import pytest

import gluax as mx
from gluax import model
from gluax import visualization as viz
from gluax.name import NameManager

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "symbol_graph")
sys.path.insert(0, HERE)
from graphs import NET_INPUT, SHAPES, build_graphs, build_net  # noqa: E402

FIX = np.load(os.path.join(HERE, "symbol_graph.npz"))
CKPT = os.path.join(HERE, "ckpt")


def _read(name, mode="r"):
    with open(os.path.join(HERE, name), mode) as f:
        return f.read()


def _printed(fn, *args, **kwargs):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn(*args, **kwargs)
    return buf.getvalue()


def test_load_checkpoint_reads_mxnets_files_and_runs():
    sym, arg_params, aux_params = model.load_checkpoint(CKPT, 3)
    assert json.loads(sym.tojson()) == json.loads(_read("ckpt-symbol.json"))
    assert sorted(aux_params) == sorted(sym.list_auxiliary_states())
    assert sorted(arg_params) == sorted(n for n in sym.list_arguments() if n != "data")
    ex = sym.bind(mx.cpu(), {"data": mx.nd.array(FIX["net/x"]), **arg_params},
                  aux_states=aux_params, grad_req="null")  # fmt: skip
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), FIX["net/out"], rtol=1e-5, atol=1e-6)
    block = mx.gluon.SymbolBlock(sym, mx.sym.var("data"))
    block.collect_params().load_dict({**arg_params, **aux_params})
    np.testing.assert_allclose(
        block(mx.nd.array(FIX["net/x"])).asnumpy(), FIX["net/out"], rtol=1e-5, atol=1e-6
    )


def test_save_checkpoint_writes_mxnets_bytes(tmp_path):
    sym, arg_params, aux_params = model.load_checkpoint(CKPT, 3)
    prefix = str(tmp_path / "again")
    model.save_checkpoint(prefix, 3, sym, arg_params, aux_params)
    assert (tmp_path / "again-0003.params").read_bytes() == _read("ckpt-0003.params", "rb")
    assert json.loads((tmp_path / "again-symbol.json").read_text()) == json.loads(
        _read("ckpt-symbol.json")
    )
    sym2, arg2, aux2 = model.load_checkpoint(prefix, 3)
    assert sym2.list_outputs() == sym.list_outputs()
    for k, v in arg_params.items():
        np.testing.assert_array_equal(arg2[k].asnumpy(), v.asnumpy())


def test_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        model.load_checkpoint(str(tmp_path / "missing"), 1)
    with pytest.raises(TypeError, match=r"arg_params\['w'\] must be an NDArray"):
        model.save_checkpoint(str(tmp_path / "m"), 1, None, {"w": np.ones(2)}, {})
    with pytest.raises(TypeError, match="symbol must be a Symbol"):
        model.save_checkpoint(str(tmp_path / "m"), 1, "net", {}, {})


def test_print_summary_equals_mxnet():
    net = build_net(mx)
    net.load_parameters(os.path.join(HERE, "net.params"))
    sym = net(mx.sym.var("data"))
    assert _printed(viz.print_summary, sym, shape={"data": NET_INPUT}) == _read("summary.txt")
    with NameManager():
        cnn = build_graphs(mx)["cnn"]
    got = _printed(viz.print_summary, cnn, shape=SHAPES["cnn"], line_length=100,
                   positions=[0.4, 0.6, 0.7, 1.0])  # fmt: skip
    assert got == _read("summary_cnn.txt")


def test_plot_network_equals_mxnet():
    with NameManager():
        cnn = build_graphs(mx)["cnn"]
    dot = mx.viz.plot_network(cnn, shape=SHAPES["cnn"], title="cnn",
                              node_attrs={"fixedsize": "false"})  # fmt: skip
    assert dot.source.rstrip() == _read("plot.gv").rstrip()


def test_viz_errors(monkeypatch):
    with pytest.raises(TypeError, match="symbol must be a Symbol"):
        viz.print_summary(mx.nd.ones((2,)))
    x = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2)
    with pytest.raises(ValueError, match="input shape is incomplete"):
        viz.print_summary(x, shape={})
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"gluax\[viz\]"):
        viz.plot_network(x)
