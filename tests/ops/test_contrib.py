"""contrib operators (box_nms, box_iou, isnan/isinf/isfinite, div_sqrt_dim, arange_like,
index_copy, index_array, interleaved attention products) against MXNet 1.9.1
(tests/fixtures/ops_extra)."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from helpers import check_op

import gluax as mx

from .mxnet_cases import check_case, names

# MXNet 1.9.1 registers a zero gradient for box_iou; gluax differentiates it (checked below).
MXNET_ZERO_GRAD = {"box_iou", "box_iou_center"}


@pytest.mark.parametrize("name", names("contrib"))
def test_contrib_op_matches_mxnet(name):
    check_case(name, grad=name not in MXNET_ZERO_GRAD)


@pytest.mark.parametrize("fmt", ["corner", "center"])
def test_box_iou_gradient_matches_numpy(fmt, rng):
    # No two edges coincide (IoU has kinks there).
    a = np.array([[0.1, 0.12, 0.5, 0.61], [0.31, 0.2, 0.93, 0.72]], np.float32)
    b = np.array(
        [[0.22, 0.15, 0.64, 0.53], [0.03, 0.34, 0.41, 0.8], [0.37, 0.26, 0.82, 0.9]], np.float32
    )
    check_op(mx.nd.box_iou, ref.box_iou, [a, b], rng, format=fmt)


def test_box_nms_in_a_hybridized_block_matches_eager():
    class NMS(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.box_nms(x, overlap_thresh=0.5, valid_thresh=0.1, id_index=0)

    x = mx.nd.array(
        [
            [0, 0.5, 0.1, 0.1, 0.4, 0.4],
            [0, 0.9, 0.12, 0.12, 0.42, 0.42],
            [1, 0.8, 0.5, 0.5, 0.9, 0.9],
        ]
    )
    net = NMS()
    eager = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_array_equal(net(x).asnumpy(), eager)
    np.testing.assert_allclose(eager[:, 1], [0.9, 0.8, -1], rtol=1e-6)


def _x(*shape):
    return mx.nd.zeros(shape)


RAISES = [
    (
        lambda: mx.nd.interleaved_matmul_selfatt_qk(_x(3, 2, 10), heads=2),
        r"interleaved_matmul_selfatt_qk: the last axis of shape \(3, 2, 10\) is not divisible by heads \* 3 = 6",
    ),
    (
        lambda: mx.nd.interleaved_matmul_encdec_qk(_x(3, 8), _x(5, 2, 16), heads=2),
        r"interleaved_matmul_encdec_qk: expected queries of shape \(L, B, ...\), got \(3, 8\)",
    ),
    (
        lambda: mx.nd.box_iou(_x(2, 3), _x(2, 4)),
        r"box_iou: boxes must have 4 coordinates on the last axis, got \(2, 3\) and \(2, 4\)",
    ),
    (
        lambda: mx.nd.box_iou(_x(2, 4), _x(2, 4), format="xywh"),
        r"box_iou: box format must be 'corner' or 'center', got 'xywh'",
    ),
    (
        lambda: mx.nd.box_nms(_x(3, 5)),
        r"box_nms: expected rows of at least 6 values \(score at 1, coordinates from 2\), got shape \(3, 5\)",
    ),
    (
        lambda: mx.nd.box_nms(_x(3, 6), out_format="xywh"),
        r"box_nms: box format must be 'corner' or 'center', got 'xywh'",
    ),
    (
        lambda: mx.nd.index_copy(_x(4, 3), mx.nd.array([0, 1]), _x(3, 3)),
        r"index_copy: new_tensor \(3, 3\) must hold one row of old_tensor \(4, 3\) per index of index_vector \(2,\)",
    ),
]


@pytest.mark.parametrize("call, match", RAISES)
def test_contrib_ops_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
