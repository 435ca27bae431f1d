"""Convolution, Deconvolution, Pooling, LeakyReLU, BatchNorm, Dropout, Embedding against numpy
references and MXNet's documented behaviour."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import reference as ref
from helpers import check_op

import gluax as mx
from gluax import autograd

CONV = [
    ([(2, 3, 7), (4, 3, 3), (4,)], {"kernel": (3,), "num_filter": 4}),
    ([(2, 4, 6, 5), (6, 2, 3, 2), (6,)], {"kernel": (3, 2), "num_filter": 6, "num_group": 2, "stride": (2, 1), "pad": (1, 0)}),
    ([(1, 2, 7, 7), (3, 2, 3, 3)], {"kernel": (3, 3), "num_filter": 3, "dilate": (2, 1), "pad": (1, 2), "no_bias": True}),
    ([(1, 2, 4, 4, 3), (2, 2, 2, 2, 2), (2,)], {"kernel": (2, 2, 2), "num_filter": 2, "stride": (1, 2, 1)}),
]


@pytest.mark.parametrize("shapes, attrs", CONV)
def test_convolution(shapes, attrs, rng):
    check_op(mx.nd.Convolution, ref.convolution, shapes, rng, **attrs)


def test_convolution_channels_last_matches_channels_first(rng):
    x = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
    w = rng.standard_normal((4, 3, 2, 3)).astype(np.float32)  # (O, kh, kw, I)
    b = rng.standard_normal(4).astype(np.float32)
    got = mx.nd.Convolution(mx.nd.array(x), mx.nd.array(w), mx.nd.array(b), kernel=(3, 2), num_filter=4, pad=(1, 1), layout="NHWC")
    expected = ref.convolution(x.transpose(0, 3, 1, 2), w.transpose(0, 3, 1, 2), b, kernel=(3, 2), num_filter=4, pad=(1, 1))
    np.testing.assert_allclose(got.asnumpy(), expected.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-5)


def test_convolution_ignores_cudnn_attributes():
    x, w = mx.nd.ones((1, 1, 3)), mx.nd.ones((1, 1, 2))
    y = mx.nd.Convolution(x, w, kernel=(2,), num_filter=1, no_bias=True, workspace=512, cudnn_tune="fastest", cudnn_off=True)
    np.testing.assert_array_equal(y.asnumpy(), [[[2.0, 2.0]]])


@pytest.mark.parametrize(
    "data, weight, attrs, match",
    [
        ((2, 3, 5), (4, 3, 3, 3), {"kernel": (3, 3), "no_bias": True}, r"Convolution: expected data with 4 dims .* 2-D kernel, got shape \(2, 3, 5\)"),
        ((2, 3, 5, 5), (4, 3, 2, 2), {"kernel": (3, 3), "no_bias": True}, r"Convolution: expected weight of shape \(4, 3, 3, 3\), got \(4, 3, 2, 2\)"),
        ((2, 3, 5, 5), (4, 3, 3, 3), {"kernel": (3, 3)}, r"Convolution: bias is required unless no_bias=True"),
        ((2, 3, 5, 5), (4, 3, 3, 3), {"kernel": (3, 3), "num_group": 2, "no_bias": True}, r"num_group=2 must divide both the input channels \(3\)"),
        ((2, 3, 5, 5), (4, 3, 7, 7), {"kernel": (7, 7), "no_bias": True}, r"kernel \(7, 7\) .* larger than the padded input \(5, 5\)"),
        ((2, 3, 5, 5), (4, 3, 3, 3), {"kernel": (3, 3), "stride": (1,), "no_bias": True}, r"stride must have the same number of dimensions as kernel 2, got stride=\(1,\)"),
        ((2, 3, 5, 5), (4, 3, 3, 3), {"kernel": (3, 3), "stride": (0, 1), "no_bias": True}, r"stride must be positive in every dimension, got \(0, 1\)"),
        ((2, 3, 5, 5), (4, 3, 3, 3), {"kernel": (3, 3), "pad": (-1, 0), "no_bias": True}, r"pad must be non-negative, got \(-1, 0\)"),
        ((2, 3, 5, 5), (4, 3, 3, 3), {"kernel": (3, 3), "layout": "NCW", "no_bias": True}, r"layout 'NCW' does not fit a 2-D window; expected 'NCHW' or 'NHWC'"),
        ((2, 3, 5, 5), (4, 3, 3, 3), {"kernel": (1, 1, 1, 1), "no_bias": True}, r"kernel must have 1, 2 or 3 dimensions, got kernel=\(1, 1, 1, 1\)"),
        ((2, 3, 5, 5), (4, 3, 3, 3), {"kernel": (0, 3), "no_bias": True}, r"kernel must be positive in every dimension, got \(0, 3\)"),
    ],
)
def test_convolution_errors(data, weight, attrs, match):
    with pytest.raises(mx.MXNetError, match=match):
        mx.nd.Convolution(mx.nd.ones(data), mx.nd.ones(weight), num_filter=weight[0], **attrs)


def test_convolution_bias_shape_error():
    with pytest.raises(ValueError, match=r"Convolution: expected bias of shape \(4,\), got \(3,\)"):
        mx.nd.Convolution(mx.nd.ones((1, 3, 5, 5)), mx.nd.ones((4, 3, 3, 3)), mx.nd.ones(3), kernel=(3, 3), num_filter=4)


DECONV = [
    ([(2, 3, 4), (3, 2, 3), (2,)], {"kernel": (3,), "num_filter": 2, "no_bias": False}),
    ([(1, 4, 3, 3), (4, 3, 3, 2)], {"kernel": (3, 2), "num_filter": 6, "num_group": 2, "stride": (2, 1), "pad": (1, 0), "adj": (1, 0)}),
    ([(1, 2, 3, 2), (2, 2, 2, 2)], {"kernel": (2, 2), "num_filter": 2, "dilate": (2, 1), "stride": (2, 2), "pad": (1, 1)}),
]


@pytest.mark.parametrize("shapes, attrs", DECONV)
def test_deconvolution(shapes, attrs, rng):
    check_op(mx.nd.Deconvolution, ref.deconvolution, shapes, rng, **attrs)


def test_deconvolution_target_shape_sets_pad_and_adj():
    y = mx.nd.Deconvolution(mx.nd.ones((1, 1, 4, 4)), mx.nd.ones((1, 1, 3, 3)), kernel=(3, 3), stride=(2, 2), num_filter=1, target_shape=(8, 7))
    assert y.shape == (1, 1, 8, 7)
    # total padding 1 for height (9 -> 8): pad 1, adj 1; 2 for width (9 -> 7): pad 1, adj 0
    expected = ref.deconvolution(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), kernel=(3, 3), stride=(2, 2), num_filter=1, pad=(1, 1), adj=(1, 0))
    np.testing.assert_allclose(y.asnumpy(), expected)


@pytest.mark.parametrize(
    "data, weight, attrs, err, match",
    [
        ((1, 4, 3, 3), (4, 2, 3, 3), {"kernel": (3, 3), "num_filter": 3}, ValueError, r"Deconvolution: expected weight of shape \(4, 3, 3, 3\), got \(4, 2, 3, 3\)"),
        ((1, 4, 3), (4, 2, 3, 3), {"kernel": (3, 3), "num_filter": 2}, ValueError, r"Deconvolution: expected data with 4 dims"),
        ((1, 3, 3, 3), (3, 2, 3, 3), {"kernel": (3, 3), "num_filter": 4, "num_group": 2}, ValueError, r"num_group=2 must divide both the input channels \(3\)"),
        ((1, 1, 2, 2), (1, 1, 2, 2), {"kernel": (2, 2), "num_filter": 1, "target_shape": (9, 9)}, ValueError, r"target_shape \(9, 9\) is larger than the largest output \(3, 3\)"),
        ((1, 1, 2, 2), (1, 1, 2, 2), {"kernel": (2, 2), "num_filter": 1, "target_shape": (3,)}, ValueError, r"target_shape must have 2 dimensions, got \(3,\)"),
        ((1, 1, 1, 1), (1, 1, 1, 1), {"kernel": (1, 1), "num_filter": 1, "pad": (1, 1)}, ValueError, r"Deconvolution: output would be empty \(\(-1, -1\)\)"),
        ((1, 1, 2, 2), (1, 1, 2, 2), {"kernel": (2, 2), "num_filter": 1, "layout": "NHWC"}, NotImplementedError, r"Deconvolution: layout 'NHWC' is not supported"),
    ],
)
def test_deconvolution_errors(data, weight, attrs, err, match):
    with pytest.raises(err, match=match):
        mx.nd.Deconvolution(mx.nd.ones(data), mx.nd.ones(weight), **attrs)


POOL = [
    ((1, 2, 6), {"kernel": (3,), "stride": (2,), "pool_type": "max"}),
    ((2, 2, 6), {"kernel": (3,), "stride": (2,), "pad": (1,), "pool_type": "max", "pooling_convention": "full"}),
    ((1, 2, 6), {"kernel": (3,), "stride": (2,), "pad": (1,), "pool_type": "avg", "pooling_convention": "full"}),
    ((1, 2, 6), {"kernel": (3,), "stride": (2,), "pad": (1,), "pool_type": "avg", "pooling_convention": "full", "count_include_pad": False}),
    ((1, 2, 5, 6), {"kernel": (2, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg"}),
    ((1, 2, 5, 6), {"kernel": (2, 3), "stride": (1, 2), "pool_type": "sum", "pooling_convention": "full"}),
    ((1, 2, 4, 4, 3), {"kernel": (2, 2, 2), "stride": (2, 1, 1), "pool_type": "max"}),
    ((2, 3, 4, 5), {"pool_type": "avg", "global_pool": True}),
    ((2, 3, 4, 5), {"kernel": (3, 3), "pad": (1, 1), "pool_type": "max", "global_pool": True}),
    ((1, 1, 4, 4), {"kernel": (2, 2), "stride": (2, 2), "pool_type": "lp", "p_value": 2}),
]


@pytest.mark.parametrize("shape, attrs", POOL)
def test_pooling(shape, attrs, rng):
    inputs = [rng.uniform(0.1, 1.0, shape).astype(np.float32)] if attrs["pool_type"] == "lp" else [shape]
    check_op(mx.nd.Pooling, ref.pooling, inputs, rng, **attrs)


def test_pooling_matches_mxnet_numbers():
    # Printed by MXNet 1.9.1 for nd.Pooling(arange(1, 7).reshape(1, 1, 6), kernel=(3,), stride=(2,), pad=(1,), ...)
    x = mx.nd.array(np.arange(1, 7, dtype=np.float32).reshape(1, 1, 6))
    cases = [
        ({"pool_type": "avg", "pooling_convention": "full"}, [1.0, 3.0, 5.0, 3.0]),
        ({"pool_type": "avg", "pooling_convention": "full", "count_include_pad": False}, [1.5, 3.0, 5.0, 6.0]),
        ({"pool_type": "max", "pooling_convention": "full"}, [2.0, 4.0, 6.0, 6.0]),
        ({"pool_type": "sum", "pooling_convention": "valid"}, [3.0, 9.0, 15.0]),
    ]
    for attrs, expected in cases:
        y = mx.nd.Pooling(x, kernel=(3,), stride=(2,), pad=(1,), **attrs)
        np.testing.assert_allclose(y.asnumpy().ravel(), expected, err_msg=str(attrs))


def test_pooling_raw_stride_defaults_to_one():
    y = mx.nd.Pooling(mx.nd.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), kernel=(2,))
    np.testing.assert_array_equal(y.asnumpy(), [[[2.0, 3.0, 4.0, 5.0]]])


def test_pooling_channels_last_matches_channels_first(rng):
    x = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    got = mx.nd.Pooling(mx.nd.array(x), kernel=(2, 3), stride=(2, 1), pad=(1, 1), pool_type="avg", layout="NHWC")
    expected = ref.pooling(x.transpose(0, 3, 1, 2), kernel=(2, 3), stride=(2, 1), pad=(1, 1), pool_type="avg")
    np.testing.assert_allclose(got.asnumpy(), expected.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "shape, attrs, err, match",
    [
        ((1, 1, 6), {"kernel": (2, 2)}, ValueError, r"Pooling: a 2-D kernel \(2, 2\) needs data with 4 dims, got shape \(1, 1, 6\)"),
        ((6,), {"kernel": (2,)}, ValueError, r"Pooling: expected data with 3, 4 or 5 dims .* got shape \(6,\)"),
        ((1, 1, 6), {"kernel": (8,)}, ValueError, r"Pooling: kernel \(8,\) is larger than the padded input \(6,\)"),
        ((1, 1, 6), {"kernel": (2,), "pool_type": "median"}, ValueError, r"pool_type must be one of \('max', 'avg', 'sum', 'lp'\), got 'median'"),
        ((1, 1, 6), {"kernel": (2,), "pooling_convention": "round"}, ValueError, r"pooling_convention must be one of \('valid', 'full'\), got 'round'"),
        ((1, 1, 6), {"kernel": (2,), "pooling_convention": "same"}, NotImplementedError, r"'same' is MXNet's 1-D max-pooling special case"),
        ((1, 1, 6), {"kernel": (2,), "stride": (0,)}, ValueError, r"stride must be positive"),
        ((1, 1, 6), {}, ValueError, r"kernel must have 1, 2 or 3 dimensions, got kernel=\(\)"),
        ((1, 1, 6), {"kernel": (2,), "pool_type": "lp"}, ValueError, r"pool_type='lp' needs p_value"),
        ((1, 1, 6), {"kernel": (2,), "layout": "NHWC"}, ValueError, r"layout 'NHWC' does not fit a 1-D window"),
    ],
)
def test_pooling_errors(shape, attrs, err, match):
    with pytest.raises(err, match=match):
        mx.nd.Pooling(mx.nd.ones(shape), **attrs)


@pytest.mark.parametrize("act_type, attrs", [("leaky", {"slope": 0.1}), ("elu", {}), ("elu", {"slope": 1.0}), ("selu", {}), ("gelu", {})])
def test_leaky_relu(act_type, attrs, rng):
    check_op(mx.nd.LeakyReLU, ref.leaky_relu, [(3, 4)], rng, act_type=act_type, **attrs)


@pytest.mark.parametrize("shapes", [[(2, 3, 4), (3,)], [(2, 3), (1,)], [(3,), (3,)]])
def test_prelu(shapes, rng):
    check_op(mx.nd.LeakyReLU, ref.leaky_relu, shapes, rng, act_type="prelu")


def test_leaky_relu_matches_mxnet_numbers():
    # Printed by MXNet 1.9.1 for nd.LeakyReLU([[-2, -0.5, 0, 0.5, 2]], act_type=...), default slope 0.25
    x = mx.nd.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    expected = {
        "leaky": [-0.5, -0.125, 0.0, 0.5, 2.0],
        "elu": [-0.21616618, -0.09836735, 0.0, 0.5, 2.0],
        "selu": [-1.5201665, -0.6917582, 0.0, 0.5253505, 2.101402],
        "gelu": [-0.0455001, -0.15426877, 0.0, 0.3457312, 1.9544998],
    }
    for act_type, values in expected.items():
        np.testing.assert_allclose(mx.nd.LeakyReLU(x, act_type=act_type).asnumpy()[0], values, rtol=1e-5, atol=1e-6, err_msg=act_type)
    out, mask = mx.nd.LeakyReLU(x, act_type="rrelu")
    np.testing.assert_allclose(out.asnumpy()[0], [-0.459, -0.11475, 0.0, 0.5, 2.0], rtol=1e-6)
    np.testing.assert_array_equal(mask.asnumpy(), np.zeros((1, 5)))


def test_leaky_relu_gradient_at_zero_is_the_slope():
    x = mx.nd.array([-1.0, 0.0, 1.0])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.LeakyReLU(x, act_type="leaky", slope=0.1)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [0.1, 0.1, 1.0])  # MXNet 1.9.1 gives the same


def test_leaky_relu_errors():
    x = mx.nd.ones((2, 3, 2))
    with pytest.raises(ValueError, match=r"act_type must be one of .*got 'swish'"):
        mx.nd.LeakyReLU(x, act_type="swish")
    with pytest.raises(ValueError, match=r"act_type='prelu' needs the gamma input"):
        mx.nd.LeakyReLU(x, act_type="prelu")
    with pytest.raises(ValueError, match=r"gamma of shape \(1,\) or \(3,\) .* got gamma \(2,\) for data \(2, 3, 2\)"):
        mx.nd.LeakyReLU(x, mx.nd.ones(2), act_type="prelu")
    with pytest.raises(NotImplementedError, match=r"act_type='rrelu' in training mode"), autograd.record():
        mx.nd.LeakyReLU(x, act_type="rrelu")


BN_SHAPES = [(4, 3, 2), (3,), (3,), (3,), (3,)]


def _bn_inputs(rng, shape=(4, 3, 2), axis=1):
    c = shape[axis]
    x = rng.standard_normal(shape).astype(np.float32)
    g, b, m = (rng.standard_normal(c).astype(np.float32) for _ in range(3))
    v = rng.uniform(0.5, 2.0, c).astype(np.float32)
    return [x, g, b, m, v]


@pytest.mark.parametrize(
    "attrs",
    [
        {"training": False},
        {"training": False, "fix_gamma": False, "eps": 1e-5},
        {"training": True, "fix_gamma": False},
        {"training": True, "use_global_stats": True, "fix_gamma": False},
        {"training": True, "fix_gamma": False, "output_mean_var": True},
    ],
)
def test_batch_norm(attrs, rng):
    check_op(mx.nd.BatchNorm, ref.batch_norm, _bn_inputs(rng), rng, **attrs)


def test_batch_norm_other_axis(rng):
    check_op(mx.nd.BatchNorm, ref.batch_norm, _bn_inputs(rng, (2, 3, 4), axis=-1), rng, axis=-1, fix_gamma=False, training=True)


def test_batch_norm_follows_training_mode(rng):
    x, g, b, m, v = (mx.nd.array(a) for a in _bn_inputs(rng))
    infer = mx.nd.BatchNorm(x, g, b, m, v)
    with autograd.record():
        train = mx.nd.BatchNorm(x, g, b, m, v)
    np.testing.assert_allclose(infer.asnumpy(), ref.batch_norm(*[a.asnumpy() for a in (x, g, b, m, v)]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(train.asnumpy(), ref.batch_norm(*[a.asnumpy() for a in (x, g, b, m, v)], training=True), rtol=1e-5, atol=1e-5)


def test_batch_norm_matches_mxnet_saved_statistics():
    # MXNet 1.9.1, x = arange(24).reshape(2, 3, 4) / 10 under record(): output_mean_var gives the
    # batch mean and 1 / sqrt(var + eps), not the variance.
    x = mx.nd.array(np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10)
    ones, zeros = mx.nd.ones(3), mx.nd.zeros(3)
    with autograd.record():
        _, mean, invstd = mx.nd.BatchNorm(x, ones, zeros, zeros, ones, output_mean_var=True)
    np.testing.assert_allclose(mean.asnumpy(), [0.75, 1.15, 1.55], rtol=1e-6)
    np.testing.assert_allclose(invstd.asnumpy(), [1.636269] * 3, rtol=1e-6)


def test_batch_norm_shape_error():
    with pytest.raises(ValueError, match=r"BatchNorm: expected moving_var of shape \(3,\), got \(2,\)"):
        mx.nd.BatchNorm(mx.nd.ones((2, 3)), mx.nd.ones(3), mx.nd.ones(3), mx.nd.ones(3), mx.nd.ones(2))


def test_embedding(rng):
    idx = np.array([[0, 3], [2, 2], [1, 0]], dtype=np.int32)
    check_op(mx.nd.Embedding, ref.embedding, [idx, (4, 5)], rng, input_dim=4, output_dim=5)


def test_embedding_truncates_and_clips_indices_like_mxnet():
    w = mx.nd.array(np.arange(12, dtype=np.float32).reshape(4, 3))
    idx = mx.nd.array([-1, 0, 3, 4, 7, 1.7, 2.9, -0.5])
    y = mx.nd.Embedding(idx, w, input_dim=4, output_dim=3)
    np.testing.assert_array_equal(y.asnumpy()[:, 0], [0, 0, 9, 9, 9, 3, 6, 0])  # MXNet 1.9.1
    w.attach_grad()
    with autograd.record():
        y = mx.nd.Embedding(mx.nd.array([-1, 0, 3, 4, 7, 1.7]), w, input_dim=4, output_dim=3)
    y.backward()
    np.testing.assert_array_equal(w.grad.asnumpy()[:, 0], [2, 1, 0, 3])  # MXNet 1.9.1


def test_embedding_weight_shape_error():
    with pytest.raises(ValueError, match=r"Embedding: expected weight of shape \(5, 3\), got \(4, 3\)"):
        mx.nd.Embedding(mx.nd.array([0, 1]), mx.nd.ones((4, 3)), input_dim=5, output_dim=3)


def test_dropout_is_identity_in_inference_and_scales_in_training():
    x = mx.nd.ones((50, 40))
    np.testing.assert_array_equal(mx.nd.Dropout(x, p=0.3).asnumpy(), x.asnumpy())
    with autograd.record():
        y = mx.nd.Dropout(x, p=0.3).asnumpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.05  # 2000 draws: 4 standard deviations is about 0.04


def test_dropout_mode_always_applies_in_inference():
    y = mx.nd.Dropout(mx.nd.ones((20, 20)), p=0.5, mode="always").asnumpy()
    assert set(np.unique(y)) == {0.0, 2.0}


def test_dropout_axes_share_the_mask():
    with autograd.record():
        y = mx.nd.Dropout(mx.nd.ones((4, 3, 8)), p=0.5, axes=(1,)).asnumpy()
    assert (y == y[:, :1, :]).all()
    assert 0 < (y == 0).mean() < 1


def test_dropout_gradient_is_the_mask(rng):
    x = mx.nd.array(rng.standard_normal((6, 7)).astype(np.float32))
    x.attach_grad()
    with autograd.record():
        y = mx.nd.Dropout(x, p=0.4)
    y.backward()
    expected = (y.asnumpy() != 0) / 0.6
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-6)


def test_dropout_follows_the_training_flag_of_a_jitted_caller():
    from gluax._src.engine.ndarray import NDArray

    @jax.jit
    def f(v):
        return mx.nd.Dropout(NDArray(v), p=0.5, training=True)._value

    y = np.asarray(f(np.ones((10, 10), np.float32)))
    assert set(np.unique(y)) == {0.0, 2.0}


def test_dropout_seed_repeats():
    x = mx.nd.ones((8, 8))
    runs = []
    for _ in range(2):
        mx.random.seed(7)
        with autograd.record():
            runs.append([mx.nd.Dropout(x, p=0.5).asnumpy() for _ in range(2)])
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert (runs[0][0] != runs[0][1]).any()


def test_dropout_p_one_gives_zeros():
    with autograd.record():
        y = mx.nd.Dropout(mx.nd.ones((3,)), p=1.0)
    np.testing.assert_array_equal(y.asnumpy(), np.zeros(3))


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"Dropout: mode must be 'training' or 'always', got 'never'"):
        mx.nd.Dropout(mx.nd.ones(3), mode="never")
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\], got 1.5"):
        mx.nd.Dropout(mx.nd.ones(3), p=1.5)


# ---- the small-feature-map convolution path (CPU) -------------------------------------------


@pytest.mark.parametrize(
    "shape, kernel, stride, pad, dilate",
    [((2, 3, 2, 2), (3, 3), (1, 1), (1, 1), (1, 1)), ((2, 3, 5, 4), (2, 3), (2, 1), (0, 1), (1, 2)), ((1, 4, 3, 3), (1, 1), (1, 1), (0, 0), (1, 1))],
)
def test_small_map_convolution_equals_lax_conv(shape, kernel, stride, pad, dilate, rng):
    from jax import lax

    import gluax._src.ops.nn as ops_nn

    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((5, shape[1], *kernel)).astype(np.float32)
    out = [(shape[2 + i] + 2 * pad[i] - dilate[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(2)]
    assert ops_nn._use_shifted_matmuls(2, 1, False, out)  # this case takes the matmul path
    got = mx.nd.Convolution(mx.nd.array(x), mx.nd.array(w), kernel=kernel, stride=stride, pad=pad, dilate=dilate, num_filter=5, no_bias=True)
    want = lax.conv_general_dilated(x, w, stride, [(q, q) for q in pad], rhs_dilation=dilate, dimension_numbers=("NCHW", "OIHW", "NCHW"))
    np.testing.assert_allclose(got.asnumpy(), np.asarray(want), rtol=1e-5, atol=1e-5)
    attrs = dict(kernel=kernel, stride=stride, pad=pad, dilate=dilate, num_filter=5, no_bias=True)
    check_op(mx.nd.Convolution, ref.convolution, [x, w], rng, rtol=1e-4, atol=1e-4, **attrs)
