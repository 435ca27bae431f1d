"""Conv1D/2D/3D, their Transpose forms and the pooling layers: numbers against MXNet 1.9.1,
eager == hybridized, shape inference and errors."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from helpers import check_eager_vs_hybrid
from layer_fixtures import case_id, cases, check_case

import gluax as mx
from gluax.gluon import nn

CONV_NAMES = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"]
POOL_NAMES = [f"{k}Pool{n}D" for k in ("Max", "Avg", "GlobalMax", "GlobalAvg") for n in (1, 2, 3)]


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
@pytest.mark.parametrize("case", cases(*CONV_NAMES, *POOL_NAMES), ids=case_id)
def test_matches_mxnet(case, hybrid):
    check_case(case, hybrid)


def test_fixture_covers_every_layer():
    covered = {c["ctor"].split("(")[0][3:] for c in cases(*CONV_NAMES, *POOL_NAMES)}
    assert covered == set(CONV_NAMES + POOL_NAMES)


@pytest.fixture(scope="module")
def lenet():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(channels=4, kernel_size=3, activation="relu"))
        net.add(nn.MaxPool2D(pool_size=2, strides=2))
        net.add(nn.Dense(3))
    net.initialize(mx.init.Xavier())
    return net


def test_eager_equals_hybrid(lenet, rng):
    check_eager_vs_hybrid(lenet, rng.standard_normal((2, 1, 10, 10)).astype(np.float32))


def test_conv1d_equals_conv2d_with_height_one_kernel(rng):
    x = rng.standard_normal((2, 3, 9)).astype(np.float32)
    c1 = nn.Conv1D(4, 3, strides=2, padding=1, dilation=2, in_channels=3)
    c2 = nn.Conv2D(4, (1, 3), strides=(1, 2), padding=(0, 1), dilation=(1, 2), in_channels=3)
    c1.initialize()
    c2.initialize()
    c2.weight.set_data(c1.weight.data().reshape((4, 3, 1, 3)))
    c2.bias.set_data(c1.bias.data())
    y1 = c1(mx.nd.array(x)).asnumpy()
    y2 = c2(mx.nd.array(x[:, :, None, :])).asnumpy()
    np.testing.assert_allclose(y2[:, :, 0, :], y1, rtol=1e-5, atol=1e-6)


def test_conv_channels_last_layout(rng):
    x = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
    conv = nn.Conv2D(4, (3, 2), padding=1, layout="NHWC")
    conv.initialize()
    y = conv(mx.nd.array(x))
    assert conv.weight.shape == (4, 3, 2, 3)  # MXNet's (channels, *kernel, in_channels)
    w = conv.weight.data().asnumpy().transpose(0, 3, 1, 2)
    expected = ref.convolution(x.transpose(0, 3, 1, 2), w, conv.bias.data().asnumpy(), kernel=(3, 2), pad=(1, 1), num_filter=4)
    np.testing.assert_allclose(y.asnumpy(), expected.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-5)


def test_pool_channels_last_layout(rng):
    x = rng.standard_normal((1, 4, 6, 2)).astype(np.float32)
    y = nn.AvgPool2D(2, padding=1, layout="NHWC")(mx.nd.array(x))
    expected = ref.pooling(x.transpose(0, 3, 1, 2), kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type="avg")
    np.testing.assert_allclose(y.asnumpy(), expected.transpose(0, 2, 3, 1), rtol=1e-6)


@pytest.mark.parametrize(
    "layer, x_shape, weight, bias",
    [
        (lambda: nn.Conv2D(6, 3, groups=2), (1, 4, 5, 5), (6, 2, 3, 3), (6,)),
        (lambda: nn.Conv3D(2, (1, 2, 3), use_bias=False), (1, 3, 4, 4, 4), (2, 3, 1, 2, 3), None),
        (lambda: nn.Conv1DTranspose(6, 3, groups=3), (1, 3, 4), (3, 2, 3), (6,)),
        (lambda: nn.Conv2DTranspose(8, 3, groups=2), (1, 4, 3, 3), (4, 4, 3, 3), (8,)),
    ],
)
def test_deferred_weight_shape(layer, x_shape, weight, bias):
    net = layer()
    net.initialize()
    net.functional(mx.nd.ones(x_shape))  # shape-only pass: infer_shape, no compilation
    assert net.weight.shape == weight
    assert (net.bias.shape if net.bias is not None else None) == bias


def test_transpose_output_size():
    # (x - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    net = nn.Conv2DTranspose(2, 3, strides=2, padding=1, output_padding=1, dilation=(1, 2))
    net.initialize()
    assert net(mx.nd.ones((1, 3, 4, 5))).shape == (1, 2, 8, 12)


def test_parameter_names_and_prefix():
    net = nn.Conv2D(2, 3)
    pool = nn.MaxPool2D()
    assert net.name.startswith("conv") and pool.name.startswith("pool")
    assert sorted(net.params.keys()) == [net.prefix + "bias", net.prefix + "weight"]


def test_conv_rejects_wrong_input_ndim():
    net = nn.Conv2D(4, 3)
    net.initialize()
    with pytest.raises(mx.MXNetError, match=r"Conv2D 'conv\d+': expected 4-D input \(NCHW\), got shape \(2, 3, 5\)"):
        net(mx.nd.ones((2, 3, 5)))


def test_conv_rejects_wrong_input_ndim_hybridized():
    net = nn.Conv1D(4, 3, in_channels=3)
    net.initialize()
    net.hybridize()
    with pytest.raises(ValueError, match=r"Conv1D 'conv\d+': expected 3-D input \(NCW\), got shape \(2, 3, 5, 5\)"):
        net(mx.nd.ones((2, 3, 5, 5)))


def test_conv_rejects_wrong_in_channels():
    net = nn.Conv2D(4, 3, in_channels=3)
    net.initialize()
    with pytest.raises(ValueError, match=r"expected 3 input channels, got shape \(1, 5, 6, 6\). Set in_channels=0"):
        net(mx.nd.ones((1, 5, 6, 6)))


def test_pool_rejects_wrong_input_ndim():
    with pytest.raises(ValueError, match=r"MaxPool2D 'pool\d+': expected 4-D input \(NCHW\), got shape \(1, 2, 8\)"):
        nn.MaxPool2D()(mx.nd.ones((1, 2, 8)))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: nn.Conv2D(4, (3, 3, 3)), r"Conv2D: kernel_size must be a number or a list of 2 ints, got \(3, 3, 3\)"),
        (lambda: nn.Conv2D(4, 3, strides=(1, 2, 3)), r"Conv2D: strides must be a number or a list of 2 ints"),
        (lambda: nn.Conv1D(4, 3, layout="NCHW"), r"Conv1D: layout must be 'NCW' or 'NWC', got 'NCHW'"),
        (lambda: nn.Conv2DTranspose(4, 3, layout="NHWC"), r"Conv2DTranspose: layout must be 'NCHW', got 'NHWC'"),
        (lambda: nn.Conv3DTranspose(4, 3, output_padding=(1, 1)), r"output_padding must be a number or a list of 3 ints"),
        (lambda: nn.MaxPool2D(pool_size=(2, 2, 2)), r"MaxPool2D: pool_size must be a number or a list of 2 ints"),
        (lambda: nn.AvgPool1D(padding=(1, 1)), r"AvgPool1D: padding must be a number or a list of 1 ints"),
        (lambda: nn.GlobalAvgPool3D(layout="NCHW"), r"GlobalAvgPool3D: layout must be 'NCDHW' or 'NDHWC', got 'NCHW'"),
    ],
)
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_pool_defaults_stride_to_pool_size_and_global_pool_keeps_dims():
    x = mx.nd.ones((1, 2, 9, 9))
    assert nn.MaxPool2D(3)(x).shape == (1, 2, 3, 3)
    assert nn.MaxPool2D(3, ceil_mode=True, strides=2)(x).shape == (1, 2, 4, 4)
    assert nn.GlobalAvgPool2D()(x).shape == (1, 2, 1, 1)
