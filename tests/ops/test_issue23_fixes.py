"""Issue 23, items 1-4: box_nms with topk, float32 constants, integer broadcast operators over
rank pairs, pooling windows wholly in the padding; against MXNet 1.9.1 (tests/fixtures/issue23)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import gluax as mx
from gluax import gluon

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "issue23")
FX = np.load(os.path.join(HERE, "issue23.npz"))
with open(os.path.join(HERE, "issue23.json")) as _f:
    META = json.load(_f)


@pytest.mark.parametrize("case", sorted(META["nms"]))
def test_box_nms_topk_matches_mxnet(case):
    out = mx.nd.contrib.box_nms(mx.nd.array(FX["nms_x"]), **META["nms"][case])
    np.testing.assert_allclose(out.asnumpy(), FX["nms_" + case], rtol=1e-6, atol=1e-5)


def test_box_nms_topk_bounds_the_work():
    # 20,000 rows, topk 5: the overlap matrix is 5 x 5, so the compiled program holds no
    # n x n buffer (an n x n float32 matrix would be 1.6 GB).
    import jax

    from gluax._src.ops.contrib import box_nms

    x = np.zeros((1, 20000, 6), np.float32)
    text = jax.jit(lambda a: box_nms(a, topk=5)).lower(x).as_text()
    assert "20000x20000" not in text and "5x5" in text


@pytest.mark.parametrize("case", sorted(META["const_dtypes"]))
def test_constant_and_array_dtypes_match_mxnet(case):
    f64 = np.arange(6.0).reshape(2, 3)
    vals = {"f64": f64, "i32": f64.astype(np.int32), "list": [[1, 2], [3, 4]]}
    kind, _, src = case.rpartition("_")
    if kind == "Constant":
        c = gluon.Constant("c_" + src, vals[src])
    elif kind == "get_constant":
        c = gluon.ParameterDict("blk_").get_constant("k_" + src, vals[src])
    else:
        arr = {"f64": f64, "i64": f64.astype(np.int64), "list": [1, 2]}[src]
        assert np.dtype(mx.nd.array(arr).dtype).name == META["const_dtypes"][case]
        return
    c.initialize()
    assert np.dtype(c.dtype).name == META["const_dtypes"][case]
    assert np.dtype(c.data().dtype).name == META["const_dtypes"][case]


def test_constant_from_ndarray_keeps_its_dtype():
    c = gluon.Constant("c_nd", mx.nd.array([1, 2], dtype="int32"))
    c.initialize()
    assert c.data().dtype == np.int32


def _gluax_dtype(name):
    # Without jax x64, 64-bit arrays are held in 32 bits.
    return {"int64": "int32", "float64": "float32"}.get(name, name)


@pytest.mark.parametrize("op", META["bc_ops"])
def test_integer_broadcast_operators_match_mxnet(op):
    f = getattr(mx.nd, "broadcast_" + op)
    for dt in ["int32", "int64", "uint8", "int8"]:
        for i in range(len(META["bc_pairs"])):
            lhs, rhs = FX[f"bc_{dt}_{i}_l"], FX[f"bc_{dt}_{i}_r"]
            out = f(mx.nd.array(lhs, dtype=dt), mx.nd.array(rhs, dtype=dt))
            want = FX[f"bc_{op}_{dt}_{i}"]
            assert np.dtype(out.dtype).name == _gluax_dtype(META["bc_dtype"][f"{op}_{dt}_{i}"]), (dt, i)
            np.testing.assert_array_equal(out.asnumpy(), want, err_msg=f"{op} {dt} pair {i}")


@pytest.mark.parametrize("case", sorted(META["pool"]))
def test_pooling_windows_in_the_padding_match_mxnet(case):
    for key, kernel in (("pool", (2, 2)), ("pool1", (2,))):
        out = mx.nd.Pooling(mx.nd.array(FX[key + "_x"]), kernel=kernel, stride=kernel,
                            pad=(1,) * len(kernel), pooling_convention="full", **META["pool"][case])
        np.testing.assert_allclose(out.asnumpy(), FX[f"{key}_{case}"], rtol=1e-6, atol=1e-7)
