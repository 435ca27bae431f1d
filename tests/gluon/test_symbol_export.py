"""HybridBlock.export writing MXNet 1.9.1's -symbol.json (gluon/symbol_export.py).

The fixtures in tests/fixtures/symbol_export were made in two steps: gluax exported the
networks of ``nets.py`` (``write_with_gluax.py``), then MXNet 1.9.1 loaded those graph and
parameter files with its own ``SymbolBlock.imports``, checked its outputs against the same
networks built natively in MXNet, and recorded them (``check_in_mxnet.py``). Here gluax
exports the networks again: the JSON must be the one MXNet checked, and the outputs MXNet's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import pathlib

import jax
import numpy as np
import pytest

import gluax as mx
from gluax import gluon, nd
from gluax._src.gluon.symbol_export import (
    SCALAR_FORMS,
    SymbolExportError,
    dumps,
    format_attr,
    graph_json,
)
from gluax._src.gluon.symbol_json import SPECIAL

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "symbol_export"
_spec = importlib.util.spec_from_file_location("symbol_export_nets", FIX / "nets.py")
nets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nets)

GRAPHS = json.loads((FIX / "mxnet_graphs.json").read_text())
SMALL = [n for n in nets.INPUTS if n not in nets.LARGE]


def _names(name):
    n = len(nets.INPUTS[name])
    return ["data"] if n == 1 else [f"data{i}" for i in range(n)]


def _outputs(y):
    return [o.asnumpy() for o in (y if isinstance(y, (list, tuple)) else [y])]


def _mxnet_outputs(name):
    data = np.load(FIX / "mxnet_outputs.npz")
    return [data[f"{name}_out{i}"] for i in range(sum(k.startswith(name + "_out") for k in data))]


@pytest.fixture(scope="module", params=SMALL)
def exported(request, tmp_path_factory):
    """A small network with the committed weights, hybridized, called and exported."""
    name = request.param
    net = nets.build(name, mx)
    net.collect_params().load(str(FIX / f"{name}-0000.params"))  # arg:/aux: + full names
    net.hybridize()
    data = np.load(FIX / "inputs.npz")
    x = [nd.array(data[f"{name}_x{i}"]) for i in range(len(nets.INPUTS[name]))]
    y = _outputs(net(*x))
    path = str(tmp_path_factory.mktemp("symexp") / name)
    files = net.export(path, symbol_json=True)
    return name, net, x, y, path, files


def test_json_is_the_graph_mxnet_checked(exported):
    name, _, _, _, path, _ = exported
    text = pathlib.Path(path + "-symbol.json").read_bytes()
    assert hashlib.sha256((FIX / f"{name}-symbol.json").read_bytes()).hexdigest() == GRAPHS[name]["sha256"]
    assert text == (FIX / f"{name}-symbol.json").read_bytes()


def test_outputs_equal_mxnet_running_the_json(exported):
    name, _, _, y, _, _ = exported
    want = _mxnet_outputs(name)
    assert len(y) == len(want)
    for got, w in zip(y, want):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


def test_gluax_imports_the_json(exported):
    name, _, x, _, path, (_, params) = exported
    block = gluon.SymbolBlock.imports(path + "-symbol.json", _names(name), params)
    for got, w in zip(_outputs(block(*x)), _mxnet_outputs(name)):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


def test_stablehlo_still_written_and_loaded(exported):
    name, _, x, y, path, (sym, params) = exported
    assert sym == path + "-symbol.stablehlo" and params == path + "-0000.params"
    if name == "two_inputs":  # one network is enough here: test_symbol_block covers more
        block = gluon.SymbolBlock.imports(sym, _names(name), params)
        for got, w in zip(_outputs(block(*x)), y):
            np.testing.assert_allclose(got, w, rtol=1e-6, atol=1e-6)


def _mxnet_form(nodes):
    # MXNet writes ``a + b`` of two symbols as elemwise_add; gluax's ``+`` is broadcast_add,
    # which MXNet also runs (and which does not tie the graph to one batch size).
    return [["broadcast_add" if op == "elemwise_add" else op, attrs] for op, attrs in nodes]


@pytest.mark.parametrize("name", nets.NATIVE_GRAPH)
def test_operators_and_attributes_as_mxnet_writes_them(name):
    spec = json.loads((FIX / f"{name}-symbol.json").read_text())
    ours = [[n["op"], n.get("attrs", {})] for n in spec["nodes"] if n["op"] != "null"]
    assert ours == _mxnet_form(GRAPHS[name]["mxnet_nodes"])


def test_model_zoo_resnet18_graph_is_the_one_mxnet_ran():
    # ResNet-18's weights are too large to commit: its JSON ran in MXNet when the fixture
    # was made; here only the recorded graph is compared (a shape-only trace, no compile).
    x = nd.zeros(nets.INPUTS["resnet18"][0])
    net = nets.build("resnet18", mx)
    net.initialize(mx.init.Zero())
    net._ensure_initialized((x,))
    graph = graph_json(net, jax.tree_util.tree_structure([x]), [x._value])
    text = dumps(graph).encode()
    assert hashlib.sha256(text).hexdigest() == GRAPHS["resnet18"]["sha256"]


class _NumpyInside(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.relu(x) + nd.NDArray(jax.numpy.ones(x.shape))


class _NanCheck(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = gluon.nn.Dense(2, in_units=3)

    def hybrid_forward(self, F, x):
        return F.where(F.isnan(x), F.zeros_like(x), x) + self.dense(x).sum()


def test_operator_without_mxnet_equivalent_warns_and_keeps_stablehlo(tmp_path):
    net = _NanCheck(prefix="chk_")
    net.initialize()
    net.hybridize()
    x = nd.array([[1.0, float("nan"), 2.0]])
    y = net(x)
    msg = r"_NanCheck 'chk': operator '_contrib_isnan' \(in block 'chk'\) has no MXNet 1\.9\.1 equivalent"
    with pytest.warns(UserWarning, match=msg + r".*Skipped .*n-symbol\.json; .*n-symbol\.stablehlo and .*n-0000\.params were written"):
        sym, params = net.export(str(tmp_path / "n"))
    assert not (tmp_path / "n-symbol.json").exists()
    block = gluon.SymbolBlock.imports(sym, ["data"], params)
    np.testing.assert_allclose(block(x).asnumpy(), y.asnumpy(), rtol=1e-6, atol=1e-6)
    with pytest.raises(NotImplementedError, match=msg):
        net.export(str(tmp_path / "n"), symbol_json=True)
    net.export(str(tmp_path / "m"), symbol_json=False)  # not asked for: no warning
    assert not (tmp_path / "m-symbol.json").exists()


def test_array_made_outside_operators_is_named(tmp_path):
    net = _NumpyInside(prefix="np_")
    net.hybridize()
    net(nd.ones((2, 3)))
    with pytest.raises(SymbolExportError, match=r"_NumpyInside 'np': input 1 of operator 'broadcast_add' \(in block 'np'\) is (a constant array|a value) made outside gluax's operators"):
        net.export(str(tmp_path / "n"), symbol_json=True)


def test_scalar_forms_are_the_ones_the_json_reader_runs():
    # Every scalar form written is one gluax's -symbol.json reader maps back.
    for right, left in SCALAR_FORMS.values():
        assert right in SPECIAL and left in SPECIAL


def test_format_attr_is_python_str_as_mxnet_writes():
    assert format_attr((1, 1)) == "(1, 1)"
    assert format_attr([2, 3]) == "(2, 3)"
    assert format_attr(np.float32(0.5)) == "0.5"
    assert format_attr(False) == "False"
