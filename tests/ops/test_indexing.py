"""Slicing and indexing operators against MXNet 1.9.1 (tests/fixtures/ops_extra)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd

from .mxnet_cases import check_case, check_error, error_names, names

EAGER_ONLY = {"boolean_mask", "boolean_mask_none"}  # the output shape depends on values
# MXNet 1.9.1's gather_nd reads negative indices from the end but its backward drops them.
MXNET_GRAD_BUG = {"gather_nd_neg"}


@pytest.mark.parametrize("name", names("indexing"))
def test_indexing_op_matches_mxnet(name):
    check_case(name, compiled=name not in EAGER_ONLY, grad=name not in MXNET_GRAD_BUG)


def test_gather_nd_gradient_reaches_negative_indices():
    x = mx.nd.zeros((3, 4))
    x.attach_grad()
    with autograd.record():
        y = mx.nd.gather_nd(x, mx.nd.array([[0, -1], [1, -2]]))
    y.backward(mx.nd.array([2.0, 3.0]))
    expected = np.zeros((3, 4), np.float32)
    expected[0, 1], expected[2, 2] = 2.0, 3.0
    np.testing.assert_array_equal(x.grad.asnumpy(), expected)


ERRORS = {
    "err_slice_like_ndim": r"slice_like: with no axes, data \(2, 3, 4\) and shape_like \(1, 2\)",
    "err_slice_like_big": r"slice_like: shape_like \(1, 2, 9\) is larger than data \(2, 3, 4\) along axis 2",
    "err_slice_axis_end": r"slice_axis: begin=0, end=5 is not a non-empty range of axis 1 with size 3",
    "err_pick_axis_none": r"pick: axis=None is not supported",
    "err_boolean_mask_axis": r"contrib.boolean_mask: only axis=0 is supported",
    "err_diag_k": r"diag: diagonal k=5 does not exist for shape \(3, 4\)",
    "err_batch_take_3d": r"batch_take: expected a 2-D input.*\(2, 3, 4\)",
}


def test_every_rejected_call_is_listed():
    assert sorted(ERRORS) == error_names("indexing")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_indexing_op_rejects_what_mxnet_rejects(name):
    check_error(name, ERRORS[name])


def test_take_raise_mode_fails_eagerly_and_compiled():
    x = mx.nd.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(
        mx.nd.take(x, mx.nd.array([0, 2]), mode="raise").asnumpy(), [1, 3]
    )
    with pytest.raises(RuntimeError, match=r"take: an index is out of range for an axis of size 3"):
        mx.nd.take(x, mx.nd.array([0, 3]), mode="raise").asnumpy()

    class Take(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x, i):
            return F.take(x, i, mode="raise")

    net = Take()
    net.hybridize()
    np.testing.assert_array_equal(net(x, mx.nd.array([1, 0])).asnumpy(), [2, 1])
    with pytest.raises(RuntimeError, match=r"take: an index is out of range"):
        net(x, mx.nd.array([-1, 0])).asnumpy()


def test_boolean_mask_raises_under_hybridize_with_the_fix():
    class Mask(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x, keep):
            return F.boolean_mask(x, keep)

    net = Mask()
    x, keep = mx.nd.ones((3, 2)), mx.nd.array([1, 0, 1])
    assert net(x, keep).shape == (2, 2)
    net.hybridize()
    with pytest.raises(
        ValueError, match=r"boolean_mask: the output shape depends on the values(.|\n)*F.where"
    ):
        net(x, keep)


def test_boolean_mask_matches_numpy_for_several_masks(rng):
    x = mx.nd.array(rng.standard_normal((4, 2)).astype(np.float32))
    for keep in ([1, 0, 1, 0], [0, 1, 1, 1], [0, 0, 0, 0]):
        got = mx.nd._contrib_boolean_mask(x, mx.nd.array(keep))
        np.testing.assert_array_equal(got.asnumpy(), x.asnumpy()[np.array(keep) != 0])


def _x(*shape):
    return mx.nd.zeros(shape)


RAISES = [
    (
        lambda: mx.nd.ravel_multi_index(_x(3, 2), shape=(4, 5)),
        r"ravel_multi_index: data of shape \(3, 2\) must have 2 rows, one per dim of shape=\(4, 5\)",
    ),
    (
        lambda: mx.nd.slice_assign(_x(3, 4), _x(2, 3), begin=(0, 1), end=(2, 3)),
        r"slice_assign: rhs of shape \(2, 3\) does not fill the slice of shape \(2, 2\)",
    ),
    (
        lambda: mx.nd.slice_assign_scalar(_x(3, 4), scalar=1.0, begin=(0,), end=(1,), step=(0,)),
        r"slice_assign_scalar: step cannot be 0",
    ),
    (
        lambda: mx.nd.slice(_x(2, 3), begin=(0,), end=(1, 2)),
        r"slice: begin \(0,\), end \(1, 2\) and step",
    ),
    (lambda: mx.nd.slice(_x(2, 3), begin=(0,), end=(1,), step=(0,)), r"slice: step cannot be 0"),
    (
        lambda: mx.nd.slice_like(_x(2, 3), _x(1, 2), axes=(2,)),
        r"slice_like: axis 2 is out of range for shape_like of shape \(1, 2\)",
    ),
    (
        lambda: mx.nd.take(_x(3), mx.nd.array([0]), mode="fill"),
        r"take: mode must be 'clip', 'wrap' or 'raise', got 'fill'",
    ),
    (
        lambda: mx.nd.pick(_x(3, 4), mx.nd.array([0]), mode="raise"),
        r"pick: mode must be 'clip' or 'wrap', got 'raise'",
    ),
    (
        lambda: mx.nd.pick(_x(3, 4), mx.nd.array([0, 1])),
        r"pick: index of shape \(2,\) does not match data of shape \(3, 4\) without axis -1 \(expected \(3,\)\)",
    ),
    (
        lambda: mx.nd.gather_nd(_x(3, 4), mx.nd.array([[0], [1], [2]])),
        r"gather_nd: indices of shape \(3, 1\) must have a leading dim of at most 2",
    ),
    (
        lambda: mx.nd.scatter_nd(_x(3), mx.nd.array([[0, 1]]), shape=(2, 2)),
        r"scatter_nd: data of shape \(3,\) does not match indices of shape \(1, 2\) and shape=\(2, 2\) \(expected \(2, 2\)\)",
    ),
    (
        lambda: mx.nd.diag(_x(3, 4), axis1=1, axis2=-1),
        r"diag: axis1 and axis2 must differ, got 1 and -1",
    ),
    (
        lambda: mx.nd.boolean_mask(_x(3, 4), mx.nd.array([1, 0])),
        r"contrib.boolean_mask: index must be 1-D with one entry per row of data, got data \(3, 4\) and index \(2,\)",
    ),
]


@pytest.mark.parametrize("call, match", RAISES)
def test_indexing_ops_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
