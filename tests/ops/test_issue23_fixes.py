"""Issue 23, items 1-4: box_nms with topk, float32 constants, integer broadcast operators over
rank pairs, pooling windows wholly in the padding; against MXNet 1.9.1 (tests/fixtures/issue23)."""

from __future__ import annotations

import builtins
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


# ---- item 5: idioms from MXNet's own unit tests -----------------------------------------------


@pytest.mark.parametrize("name", ["uniform", "random_uniform", "normal", "random_normal", "random_exponential"])
def test_top_level_samplers_without_bounds(name):
    f = getattr(mx.nd, name)
    x = f(shape=(2000,)).asnumpy()
    assert x.shape == (2000,) and x.dtype == np.float32
    if "uniform" in name:
        assert 0 <= x.min() and x.max() < 1 and abs(x.mean() - 0.5) < 0.05
    elif "normal" in name:
        assert abs(x.mean()) < 0.1 and abs(x.std() - 1) < 0.1
    else:
        assert x.min() >= 0 and abs(x.mean() - 1) < 0.1
    assert f(shape=(3,), dtype="float16").dtype == np.float16


def test_deepcopy_of_collected_parameters():
    import copy

    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    with mx.autograd.record():
        loss = net(mx.nd.ones((1, 3))).sum()
    loss.backward()
    params = copy.deepcopy(net.collect_params())
    w = params[net.weight.name]
    assert w is not net.weight
    np.testing.assert_array_equal(w.data().asnumpy(), net.weight.data().asnumpy())
    np.testing.assert_array_equal(w.grad().asnumpy(), np.ones((2, 3), np.float32))
    w.set_data(mx.nd.zeros((2, 3)))  # the copy is independent
    assert net.weight.data().asnumpy().any()


def test_init_constant_of_an_ndarray_matches_mxnet():
    p = gluon.Parameter("cinit", shape=(2, 3), init=mx.init.Constant(mx.nd.array([[1, 2, 3], [4, 5, 6]])))
    p.initialize()
    np.testing.assert_array_equal(p.data().asnumpy(), FX["init_constant_nd"])


def test_broadcast_to_takes_a_numpy_shape():
    x = mx.nd.array(np.arange(3.0).reshape(1, 3))
    out = x.broadcast_to(shape=np.array([2, 3]))
    np.testing.assert_array_equal(out.asnumpy(), np.broadcast_to(np.arange(3.0).reshape(1, 3), (2, 3)))


def test_broadcast_maximum_ignores_unknown_attributes_as_mxnet():
    out = mx.nd.broadcast_maximum(mx.nd.array([0]), mx.nd.array(FX["bmax_l"]), axis=1)
    np.testing.assert_array_equal(out.asnumpy(), FX["bmax"])


def test_numpy_conversion_and_truth_of_empty_arrays():
    x = mx.nd.array([[1, 2], [3, 4]])
    a = np.asarray(x)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])
    assert np.asarray(x, dtype="float64").dtype == np.float64
    assert bool(mx.nd.zeros((0,))) is False  # MXNet's __bool__: no elements is False
    assert bool(mx.nd.ones((1, 1))) is True
    with pytest.raises(ValueError):
        bool(mx.nd.ones((2,)))


class _Add(gluon.HybridBlock):
    def hybrid_forward(self, F, a, b=None):
        return a if b is None else a + b


@pytest.mark.parametrize("case", sorted(META["hybrid_errors"]))
def test_hybrid_block_refuses_inputs_as_mxnet(case):
    args = {"all_none": (None, None), "int": (mx.nd.ones((2,)), 3), "ints_only": (3, 4)}[case.rsplit("_", 1)[0]]
    blk = _Add()
    if case.endswith("_hybrid"):
        blk.hybridize()
    want = META["hybrid_errors"][case]
    if want == "none":
        np.testing.assert_array_equal(blk(*args).asnumpy(), [4, 4])
    else:
        with pytest.raises(getattr(builtins, want)):
            blk(*args)


@pytest.mark.parametrize("case", ["conv5", "conv5g", "conv5d"])
def test_convolution_with_one_output_position_matches_mxnet(case):
    kw = {"conv5": dict(kernel=(20, 20), num_filter=4),
          "conv5g": dict(kernel=(14, 14), num_filter=6, num_group=2, pad=(1, 1), no_bias=True),
          "conv5d": dict(kernel=(6, 6), num_filter=4, dilate=(2, 2), no_bias=True)}[case]
    sfx = case[5:]
    args = [mx.nd.array(FX["x5" + sfx]), mx.nd.array(FX["w5" + sfx])]
    if case == "conv5":
        args.append(mx.nd.array(FX["b5"]))
    out = mx.nd.Convolution(*args, **kw)
    np.testing.assert_allclose(out.asnumpy(), FX[case], rtol=1e-4, atol=1e-5)


def test_convolution_with_one_output_position_gradients_match_mxnet():
    x, w = mx.nd.array(FX["x5"]), mx.nd.array(FX["w5"])
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, kernel=(20, 20), num_filter=4, no_bias=True)
    y.backward(mx.nd.array(FX["g5"]))
    np.testing.assert_allclose(x.grad.asnumpy(), FX["conv5_dx"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w.grad.asnumpy(), FX["conv5_dw"], rtol=1e-5, atol=1e-6)


def test_convolution_over_the_whole_input_is_one_matmul():
    # A 224x224 kernel over a 224x224 image: no XLA convolution (minutes on CPU), one dot.
    import jax

    from gluax._src.ops.nn import convolution

    x = jax.ShapeDtypeStruct((4, 3, 224, 224), np.float32)
    w = jax.ShapeDtypeStruct((16, 3, 224, 224), np.float32)
    text = jax.jit(lambda a, b: convolution(a, b, kernel=(224, 224), num_filter=16, no_bias=True)).lower(x, w).as_text()
    assert "convolution" not in text and "dot_general" in text


def test_fresh_grad_flag_follows_backward_and_detach():
    # MXNet's test_autograd.test_detach_updated_grad: the flag a backward pass sets.
    x, y = mx.nd.ones((2, 2)), mx.nd.ones((2, 2))
    dx, dy = mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2))
    mx.autograd.mark_variables([x, y], [dx, dy])
    assert x._fresh_grad is False and y._fresh_grad is False
    with mx.autograd.record():
        (x + 2 + y).backward()
    assert x._fresh_grad is True and y._fresh_grad is True
    x._fresh_grad = y._fresh_grad = False
    dx[:] = 0
    with mx.autograd.record():
        ((x + 2).detach() + y).backward()
    assert x._fresh_grad is False and y._fresh_grad is True
    assert not dx.asnumpy().any()
