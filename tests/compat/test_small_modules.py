"""mx.name, mx.attribute, mx.engine, mx.runtime, mx.registry, mx.base, mx.util and the NDArray
methods/functions added for issue 16, against MXNet 1.9.1
(tests/fixtures/module_inventory/small_modules.json, made by make_small_modules.py)."""

from __future__ import annotations

import json
import logging
import pathlib

import jax
import numpy as np
import pytest

import gluax as mx
from gluax.gluon import nn

FIXTURE = (pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "module_inventory"
           / "small_modules.json")
MX = json.loads(FIXTURE.read_text())


def test_name_scopes_give_mxnet_prefixes():
    want = MX["prefixes"]
    before = nn.Dense(2).prefix
    with mx.name.Prefix("net_"):
        scoped = [nn.Dense(2).prefix, nn.Conv2D(3, 3).prefix, nn.Dense(2).prefix]
    with mx.name.NameManager():
        fresh = [nn.Dense(2).prefix, nn.Dense(2).prefix]
    after = nn.Dense(2).prefix
    assert scoped == want[1:4] and fresh == want[4:6]
    # outside any scope the process-wide count goes on where it was
    assert int(after[5:-1]) == int(before[5:-1]) + 1


def test_attr_scope_nests_as_mxnet():
    from gluax._src.engine.scopes import current_attr_scope

    with mx.AttrScope(group="4", data="great"):
        with mx.AttrScope(data="better", lr_mult="0.1"):
            inner = current_attr_scope().get({"own": "x"})
        outer = current_attr_scope().get(None)
    assert {"inner": inner, "outer": outer} == MX["attr_scope"]
    assert current_attr_scope().get(None) == {}
    with pytest.raises(ValueError, match="'lr_mult' must be a string"):
        mx.AttrScope(lr_mult=0.1)


def test_engine_bulk_is_accepted():
    seq = [mx.engine.set_bulk_size(5), mx.engine.set_bulk_size(3)]
    with mx.engine.bulk(7):
        seq.append(mx.engine.set_bulk_size(7))
    seq.append(mx.engine.set_bulk_size(0))
    assert seq[1:] == MX["bulk"][1:]
    with pytest.raises(ValueError, match="size"):
        mx.engine.set_bulk_size(-1)


def test_runtime_features_are_truthful():
    features = mx.runtime.Features()
    assert features is mx.runtime.Features()
    assert set(MX["features"]) <= set(features)
    has_gpu = any(d.platform == "gpu" for d in jax.devices())
    assert features.is_enabled("cuda") == has_gpu
    assert not features.is_enabled("MKLDNN") and not features.is_enabled("TENSORRT")
    assert repr(features["CUDA"]) == ("✔ CUDA" if has_gpu else "✖ CUDA")
    with pytest.raises(RuntimeError, match="unknown"):
        features.is_enabled("NOPE")


def test_registry_matches_mxnet():
    class Base:
        pass

    register = mx.registry.get_register_func(Base, "thing")
    create = mx.registry.get_create_func(Base, "thing")

    @register
    class Alpha(Base):
        def __init__(self, a=1, b=2):
            self.args = [a, b]

    got = {"names": sorted(mx.registry.get_registry(Base)), "plain": create("alpha").args,
           "kwargs": create("ALPHA", b=5).args, "json": create('["alpha", {"a": 3}]').args}
    assert got == MX["registry"]
    inst = Alpha()
    assert create(inst) is inst
    with pytest.raises(ValueError, match="'beta' is not registered as a thing"):
        create("beta")
    with pytest.raises(TypeError, match="subclasses of Base"):
        register(int)


def test_base_helpers():
    assert [repr(mx.base._as_list(v)) for v in ((1, 2), [3], 4, None)] == MX["as_list"]
    assert isinstance(np.float32(1), mx.base.numeric_types)
    assert isinstance(np.int64(1), mx.base.integer_types)
    assert isinstance("s", mx.base.string_types)
    assert mx.base.py_str(b"caf\xc3\xa9") == "café"
    assert issubclass(mx.base.MXNetError, RuntimeError)


def test_util_np_mode_and_env(monkeypatch):
    assert not mx.util.is_np_array() and not mx.util.is_np_shape()

    @mx.util.use_np
    def inside():
        return mx.util.is_np_array(), mx.util.is_np_shape()

    assert inside() == (True, True)
    assert not mx.util.is_np_array()
    with mx.util.np_shape():
        assert mx.util.is_np_shape() and not mx.util.is_np_array()
    monkeypatch.delenv("GLUAX_TEST_ENV", raising=False)
    assert mx.util.getenv("GLUAX_TEST_ENV") is None
    mx.util.setenv("GLUAX_TEST_ENV", "3")
    assert mx.util.getenv("GLUAX_TEST_ENV") == "3"
    mx.util.setenv("GLUAX_TEST_ENV", None)
    assert mx.util.getenv("GLUAX_TEST_ENV") is None


def test_log_get_logger(tmp_path):
    path = tmp_path / "log.txt"
    logger = mx.log.get_logger("gluax_test_log", filename=str(path), level=mx.log.INFO)
    logger.info("hello")
    for h in logger.handlers:
        h.flush()
    line = path.read_text().strip()
    assert line.startswith("I") and line.endswith("] hello")
    assert logger.level == logging.INFO


def _close(got: mx.nd.NDArray, want: dict) -> None:
    a = got.asnumpy()
    assert list(a.shape) == want["shape"]
    np.testing.assert_allclose(a, np.asarray(want["value"], dtype=a.dtype), rtol=1e-5, atol=1e-6)


def test_ndarray_methods_match_mxnet():
    m = MX["methods"]
    x = mx.nd.array(np.linspace(-2.0, 3.0, 12).reshape(3, 4))
    pos = mx.nd.array(np.linspace(0.5, 8.0, 12).reshape(3, 4))
    _close(x.shape_array(), m["shape_array"])
    _close(x.size_array(), m["size_array"])
    for name in ("cbrt", "rcbrt", "log2", "log10", "arcsinh"):
        _close(getattr(pos, name)(), m[name])
    _close((pos + 1).arccosh(), m["arccosh"])
    _close((x / 4).arctanh(), m["arctanh"])
    _close(x.degrees(), m["degrees"])
    _close(x.radians(), m["radians"])
    _close(x.softmin(axis=1), m["softmin"])
    _close(x.argmax_channel(), m["argmax_channel"])
    _close(x.slice_like(mx.nd.zeros((2, 3))), m["slice_like"])
    for got, want in zip(x.split_v2(2, axis=1), m["split_v2"]):
        _close(got, want)
    y = x.copy()
    assert y.slice_assign(mx.nd.ones((2, 2)), (0, 1), (2, 3), (None, None)) is y
    _close(y, m["slice_assign"])
    y.slice_assign_scalar(7.0, (2, 0), (3, 4), (1, 2))
    _close(y, m["slice_assign_scalar"])
    assert y.writable


def test_ndarray_functions_match_mxnet():
    m = MX["methods"]
    x = mx.nd.array(np.linspace(-2.0, 3.0, 12).reshape(3, 4))
    pos = mx.nd.array(np.linspace(0.5, 8.0, 12).reshape(3, 4))
    _close(mx.nd.concatenate([x, pos]), m["concatenate0"])
    _close(mx.nd.concatenate([x, pos[:, :2]], axis=1), m["concatenate1"])
    assert mx.nd.concatenate([x], always_copy=False) is x
    with pytest.raises(ValueError, match=r"array 1 has shape \(2, 4\)"):
        mx.nd.concatenate([x, mx.nd.zeros((2, 4))], axis=1)
    o = mx.nd.zeros((3, 4))
    assert mx.nd.onehot_encode(mx.nd.array([2, 0, 3]), o) is o
    _close(o, m["onehot_encode"])
    _close(mx.nd._internal._plus(x, pos), m["internal_plus"])
    _close(mx.nd._internal._mul(x, pos), m["internal_mul"])


def test_parameter_internals_gluonnlp_uses():
    p = mx.gluon.Parameter("w", shape=(0, 3), allow_deferred_init=True)
    assert p._allow_deferred_init and p._grad is None and p._var is None
    p.initialize()
    with pytest.raises(mx.gluon.parameter.DeferredInitializationError):
        p._check_and_get(p._data, None)
    q = mx.gluon.Parameter("q", shape=(2, 3))
    q.initialize()
    assert q._check_and_get(q._data, None) is q.data()
    assert q._check_and_get(q._data, list) == q.list_data()
    assert q._grad[0] is q.grad()


def test_f_internal_eager_and_hybridized():
    class Block(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x, y):
            return F._internal._plus(x, y) * F._internal._mul(x, y)

    block = Block()
    x, y = mx.nd.array([1.0, -2.0]), mx.nd.array([3.0, 4.0])
    eager = block(x, y).asnumpy()
    block.hybridize()
    np.testing.assert_allclose(block(x, y).asnumpy(), eager)
    np.testing.assert_allclose(eager, [(1 + 3) * 3, (-2 + 4) * -8])
