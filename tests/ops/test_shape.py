"""Shape operators against MXNet 1.9.1 (tests/fixtures/ops_extra) and numpy."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx

from .mxnet_cases import check_case, check_error, error_names, names


@pytest.mark.parametrize("name", names("shape"))
def test_shape_op_matches_mxnet(name):
    check_case(name)


ERRORS = {
    "err_broadcast_to_rank": r"broadcast_to: cannot broadcast shape \(3,\) to \(4, 3\)",
    "err_broadcast_axis_not1": r"broadcast_axis: axis 0 of shape \(2, 3\) must have size 1",
    "err_broadcast_like_not1": r"broadcast_like: cannot broadcast shape \(2, 3\) to \(5, 3\)",
    "err_pad_nc": r"pad: the padding of the first two axes \(N, C\) must be 0",
    "err_pad_len": r"pad: pad_width needs 8 entries.*\(1, 1, 2, 3\)",
    "err_pad_reflect_big": r"pad: reflect padding must be smaller",
    "err_depth_to_space_ndim": r"depth_to_space: expected a 4-D.*\(8, 1, 2\)",
    "err_depth_to_space_div": r"depth_to_space: the channels of shape \(1, 6, 1, 2\) must be divisible by block_size\*\*2 = 4",
    "err_space_to_depth_div": r"space_to_depth: the height and width of shape \(1, 1, 3, 4\)",
    "err_squeeze_not1": r"squeeze: axis 0 of shape \(2, 3\) is not 1",
    "err_expand_dims_range": r"expand_dims: axis -4 is out of range for shape \(2, 3\)",
    "err_split_v2_uneven": r"split_v2: axis 1 of shape \(2, 5\) does not divide into 2",
    "err_reshape_like_size": r"reshape_like: cannot reshape lhs of shape \(2, 3\) to \(4, 2\)",
}


def test_every_rejected_call_is_listed():
    assert sorted(ERRORS) == error_names("shape")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_shape_op_rejects_what_mxnet_rejects(name):
    check_error(name, ERRORS[name])


# ---- reshape codes: each code equals the numpy reshape it stands for ------------------------

RESHAPES = [
    ((2, 3, 4), (0, -1), (2, 12), False),
    ((2, 3, 4), (-3, 0), (6, 4), False),
    ((2, 3, 4), (-4, 1, 2, -2), (1, 2, 3, 4), False),
    ((2, 3, 4), (0, -2), (2, 3, 4), False),
    ((2, 3, 4), (-2, 1, 1), (2, 3, 4, 1, 1), False),
    ((2, 3, 4, 5), (-3, -3), (6, 20), False),
    ((2, 3, 4), (0, -4, -1, 3, 0), (2, 1, 3, 4), False),
    ((2, 3, 4), (-1, 0), (6, 4), True),
    ((2, 3, 4), (0, -1), (3, 8), True),
    ((10, 5, 4), (-1, 0), (50, 4), True),
    ((10, 5, 4), (-1, 0), (40, 5), False),
    ((3, 4), 12, (12,), False),
]


@pytest.mark.parametrize("src, codes, expected, reverse", RESHAPES)
def test_reshape_codes_match_the_numpy_reshape(src, codes, expected, reverse, rng):
    x = rng.standard_normal(src).astype(np.float32)
    got = mx.nd.reshape(mx.nd.array(x), shape=codes, reverse=reverse)
    np.testing.assert_array_equal(got.asnumpy(), x.reshape(expected))


def test_ndarray_reshape_method_takes_codes_positionally():
    x = mx.nd.zeros((2, 3, 4))
    assert x.reshape(0, -1).shape == (2, 12)
    assert x.reshape((-4, 1, 2, -2)).shape == (1, 2, 3, 4)
    assert x.reshape(shape=(-1, 0), reverse=True).shape == (6, 4)


def test_depth_to_space_inverts_space_to_depth(rng):
    x = mx.nd.array(rng.standard_normal((2, 3, 4, 6)).astype(np.float32))
    y = mx.nd.depth_to_space(mx.nd.space_to_depth(x, block_size=2), block_size=2)
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())


def test_flip_twice_is_identity_and_reverse_is_flip(rng):
    x = mx.nd.array(rng.standard_normal((2, 3)).astype(np.float32))
    np.testing.assert_array_equal(mx.nd.reverse(x, axis=1).asnumpy(), x.asnumpy()[:, ::-1])
    np.testing.assert_array_equal(mx.nd.flip(mx.nd.flip(x, axis=0), axis=0).asnumpy(), x.asnumpy())


def test_shape_array_is_an_integer_array():
    out = mx.nd.shape_array(mx.nd.zeros((2, 3, 4)))
    assert out.dtype == np.int32  # MXNet's int64 without jax's 64-bit mode
    np.testing.assert_array_equal(out.asnumpy(), [2, 3, 4])


def _x(*shape):
    return mx.nd.zeros(shape)


RAISES = [
    (
        lambda: mx.nd.reshape(_x(2, 3), shape=(0, 0, 0)),
        r"reshape: code 0 at position 2 has no input dim to copy; input shape \(2, 3\)",
    ),
    (
        lambda: mx.nd.reshape(_x(2, 3), shape=(-1, -1)),
        r"reshape: only one -1 is allowed, got shape=\(-1, -1\)",
    ),
    (
        lambda: mx.nd.reshape(_x(2, 3), shape=(0, -3)),
        r"reshape: code -3 needs two input dims to merge; input shape \(2, 3\)",
    ),
    (
        lambda: mx.nd.reshape(_x(2, 3), shape=(0, 0, -4, 1, 1)),
        r"reshape: code -4 has no input dim to split",
    ),
    (lambda: mx.nd.reshape(_x(6), shape=(-4, -1, -1)), r"reshape: code -4 takes at most one -1"),
    (lambda: mx.nd.reshape(_x(6), shape=(-4, 4, 2)), r"reshape: code -4 splits dim 6 into 4 x 2"),
    (lambda: mx.nd.reshape(_x(6), shape=(-5,)), r"reshape: invalid code -5"),
    (
        lambda: mx.nd.reshape(_x(6), shape=(4, -1)),
        r"reshape: cannot infer -1 for input shape \(6,\)",
    ),
    (
        lambda: mx.nd.reshape_like(_x(2, 3), _x(6), lhs_begin=0, lhs_end=5),
        r"reshape_like: lhs dims \[0:5\] of shape \(2, 3\)",
    ),
    (
        lambda: mx.nd.broadcast_like(_x(1, 3), _x(4, 3), lhs_axes=(0,), rhs_axes=(0, 1)),
        r"broadcast_like: lhs_axes \(0,\) and rhs_axes \(0, 1\) must have the same length",
    ),
    (
        lambda: mx.nd.broadcast_axis(_x(1, 3), axis=(0,), size=(2, 3)),
        r"broadcast_axis: axis \(0,\) and size \(2, 3\) must have the same length",
    ),
    (
        lambda: mx.nd.pad(_x(1, 1, 2, 2), mode="wrap", pad_width=(0, 0, 0, 0, 1, 1, 1, 1)),
        r"pad: mode must be 'constant', 'edge' or 'reflect', got 'wrap'",
    ),
    (
        lambda: mx.nd.pad(_x(2, 2), mode="constant", pad_width=(1, 1, 1, 1)),
        r"pad: only 4-D and 5-D inputs are supported.*\(2, 2\)",
    ),
    (
        lambda: mx.nd.transpose(_x(2, 3), axes=(0, 0)),
        r"transpose: axes \(0, 0\) are not a permutation of 2 dims",
    ),
    (lambda: mx.nd.stack(_x(2, 3), _x(3, 2)), r"stack: all inputs must have the same shape"),
    (
        lambda: mx.nd.split(_x(2, 3), num_outputs=2),
        r"split: axis 1 of shape \(2, 3\) is not divisible by num_outputs=2",
    ),
    (lambda: mx.nd.concat(), r"concat: needs at least one input"),
    (
        lambda: mx.nd.flip(_x(2, 3), axis=2),
        r"flip: axis 2 is out of range for an input with 2 dims",
    ),
]


@pytest.mark.parametrize("call, match", RAISES)
def test_shape_ops_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
