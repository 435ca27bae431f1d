"""UpSampling, BilinearResize2D, AdaptiveAvgPooling2D and ROIPooling against MXNet 1.9.1
(tests/fixtures/ops_extra)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx

from .mxnet_cases import check_case, names


@pytest.mark.parametrize("name", names("sampling"))
def test_sampling_op_matches_mxnet(name):
    check_case(name)


def _x(*shape):
    return mx.nd.zeros(shape)


RAISES = [
    (
        lambda: mx.nd.GridGenerator(_x(2, 4), transform_type="affine", target_shape=(2, 2)),
        r"GridGenerator: affine transforms must have shape \(N, 6\), got \(2, 4\)",
    ),
    (
        lambda: mx.nd.GridGenerator(_x(1, 3, 2, 2), transform_type="warp"),
        r"GridGenerator: a warp flow field must have shape \(N, 2, H, W\), got \(1, 3, 2, 2\)",
    ),
    (
        lambda: mx.nd.GridGenerator(_x(1, 6), transform_type="perspective"),
        r"GridGenerator: transform_type must be 'affine' or 'warp', got 'perspective'",
    ),
    (
        lambda: mx.nd.BilinearSampler(_x(1, 1, 2, 2), _x(2, 2, 2, 2)),
        r"BilinearSampler: grid must have shape \(N, 2, H', W'\) with N=1, got \(2, 2, 2, 2\)",
    ),
    (
        lambda: mx.nd.SpatialTransformer(
            _x(1, 1, 2, 2), _x(1, 6), target_shape=(2, 2), sampler_type="nearest"
        ),
        r"SpatialTransformer: only transform_type='affine' with sampler_type='bilinear'",
    ),
    (
        lambda: mx.nd.UpSampling(scale=2, sample_type="nearest"),
        r"UpSampling: needs at least one input",
    ),
    (
        lambda: mx.nd.UpSampling(_x(2, 3), scale=2, sample_type="nearest"),
        r"UpSampling: expected input 0 of shape \(N, C, H, W\), got \(2, 3\)",
    ),
    (
        lambda: mx.nd.UpSampling(_x(1, 1, 2, 2), scale=2, sample_type="bilinear"),
        r"UpSampling: sample_type='bilinear' takes \(data, weight\), got 1 inputs",
    ),
    (
        lambda: mx.nd.UpSampling(_x(1, 2, 2, 2), _x(2, 1, 3, 3), scale=2, sample_type="bilinear"),
        r"UpSampling: bilinear weight must have shape \(2, 1, 4, 4\), got \(2, 1, 3, 3\)",
    ),
    (
        lambda: mx.nd.UpSampling(_x(1, 1, 2, 2), scale=2, sample_type="cubic"),
        r"UpSampling: sample_type must be 'nearest' or 'bilinear', got 'cubic'",
    ),
    (
        lambda: mx.nd.UpSampling(_x(1, 1, 2, 2), _x(1, 1, 3, 3), scale=2, sample_type="nearest"),
        r"UpSampling: input 1 of shape \(1, 1, 3, 3\) does not scale by an integer to the output size \(4, 4\)",
    ),
    (
        lambda: mx.nd.UpSampling(
            _x(1, 1, 2, 2), _x(1, 1, 1, 1), scale=2, sample_type="nearest", multi_input_mode="max"
        ),
        r"UpSampling: multi_input_mode must be 'concat' or 'sum', got 'max'",
    ),
    (
        lambda: mx.nd.BilinearResize2D(_x(1, 1, 2, 2), mode="like"),
        r"BilinearResize2D: mode='like' needs the second input `like`",
    ),
    (
        lambda: mx.nd.BilinearResize2D(_x(1, 1, 2, 2), mode="double"),
        r"BilinearResize2D: mode must be one of 'size'.*got 'double'",
    ),
    (
        lambda: mx.nd.BilinearResize2D(_x(1, 1, 2, 2), height=0, width=3),
        r"BilinearResize2D: the output size \(0, 3\) must be positive",
    ),
    (
        lambda: mx.nd.ROIPooling(_x(1, 1, 4, 4), _x(2, 4), pooled_size=(2, 2), spatial_scale=1.0),
        r"ROIPooling: rois must have shape \(R, 5\), got \(2, 4\)",
    ),
]


@pytest.mark.parametrize("call, match", RAISES)
def test_sampling_ops_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_upsampling_bilinear_with_the_bilinear_initializer_interpolates():
    # A ramp stays a ramp inside the map when the weight is MXNet's bilinear kernel.
    w = np.array([0.25, 0.75, 0.75, 0.25], np.float32)
    weight = mx.nd.array(np.outer(w, w)[None, None])
    x = mx.nd.array(np.arange(4, dtype=np.float32).reshape(1, 1, 1, 4).repeat(2, axis=2))
    y = mx.nd.UpSampling(x, weight, scale=2, sample_type="bilinear", num_filter=1).asnumpy()
    np.testing.assert_allclose(np.diff(y[0, 0, 1, 1:-1]), 0.5, rtol=1e-6)
