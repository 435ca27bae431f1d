"""Elementwise operators against MXNet 1.9.1 (tests/fixtures/ops_extra)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax._src.engine.registry import get_op

from .mxnet_cases import check_case, names

TOLERANCE = {"gamma": 1e-4, "gamma_neg": 1e-4, "gammaln_neg": 1e-4, "erfinv": 1e-4}


# MXNet's other names of one operator: the same gluax operator as the case it is paired with
# (checked below without compiling again).
ALIASES = {
    "broadcast_plus": "broadcast_add",
    "broadcast_minus": "broadcast_sub",
    "equal": "broadcast_equal",
    "not_equal": "broadcast_not_equal",
    "greater": "broadcast_greater",
    "greater_equal": "broadcast_greater_equal",
    "lesser": "broadcast_lesser",
    "lesser_equal": "broadcast_lesser_equal",
    "logical_and": "broadcast_logical_and",
    "logical_or": "broadcast_logical_or",
    "logical_xor": "broadcast_logical_xor",
    "maximum": "broadcast_maximum",
    "minimum": "broadcast_minimum",
    "power": "broadcast_power",
    "modulo": "broadcast_mod",
    "BlockGrad": "stop_gradient",
    "ElementWiseSum": "add_n",
}


@pytest.mark.parametrize("name", [n for n in names("elemwise") if n not in ALIASES])
def test_elemwise_op_matches_mxnet(name):
    tol = TOLERANCE.get(name, 1e-5)
    check_case(name, rtol=tol, grad_rtol=max(tol, 1e-5))


def test_mxnet_aliases_are_the_same_operator():
    for alias, name in ALIASES.items():
        assert get_op(alias) is get_op(name), alias
        assert alias in names("elemwise") and name in names("elemwise")


def test_python_level_binary_functions_take_scalars():
    x = mx.nd.array([[1.0, -2.0, 3.5]])
    np.testing.assert_array_equal(mx.nd.add(x, 2).asnumpy(), [[3.0, 0.0, 5.5]])
    np.testing.assert_array_equal(mx.nd.subtract(2, x).asnumpy(), [[1.0, 4.0, -1.5]])
    np.testing.assert_array_equal(mx.nd.modulo(x, 2).asnumpy(), [[1.0, 0.0, 1.5]])
    np.testing.assert_array_equal(mx.nd.greater(x, 1).asnumpy(), [[0.0, 0.0, 1.0]])
    assert mx.nd.multiply(mx.nd.array([3], dtype="int32"), 0.5).dtype == np.int32


def test_ndarray_mod_operator_follows_the_divisor_sign():
    x = mx.nd.array([-5.0, 5.0, 4.0])
    np.testing.assert_array_equal((x % 3).asnumpy(), [1.0, 2.0, 1.0])
    np.testing.assert_array_equal((x % -3).asnumpy(), [-2.0, -1.0, -2.0])


RAISES = [
    (
        lambda: mx.nd.where(mx.nd.ones((3,)), mx.nd.ones((2, 2)), mx.nd.ones((2, 2))),
        r"where: a 1-D condition must have x.shape\[0\]=2 elements, got shape \(3,\)",
    ),
    (
        lambda: mx.nd.where(mx.nd.ones((2, 3)), mx.nd.ones((2, 2)), mx.nd.ones((2, 2))),
        r"where: condition shape \(2, 3\) must equal x's shape \(2, 2\)",
    ),
    (
        lambda: mx.nd.where(mx.nd.ones((2, 2)), mx.nd.ones((2, 2)), mx.nd.ones((2, 1))),
        r"where: x and y must have the same shape",
    ),
]


@pytest.mark.parametrize("call, match", RAISES)
def test_elemwise_ops_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_amp_cast_and_multicast():
    half, single = mx.nd.array([1.5], dtype="float16"), mx.nd.array([2.5])
    assert mx.nd.amp_cast(single, dtype="float16").dtype == np.float16
    wide = mx.nd.amp_multicast(half, single, num_outputs=2)
    assert [x.dtype for x in wide] == [np.float32, np.float32]
    narrow = mx.nd.amp_multicast(half, single, num_outputs=2, cast_narrow=True)
    assert [x.dtype for x in narrow] == [np.float16, np.float16]
    np.testing.assert_array_equal(narrow[1].asnumpy(), [2.5])
    with pytest.raises(ValueError, match=r"amp_multicast: num_outputs=3 but 2 inputs were given"):
        mx.nd.amp_multicast(half, single, num_outputs=3)


def test_elemwise_ops_need_equal_shapes_as_in_mxnet():
    a, b = mx.nd.ones((2, 2)), mx.nd.ones((1, 2))
    np.testing.assert_array_equal(mx.nd.elemwise_mul(a, a * 3).asnumpy(), np.full((2, 2), 3.0))
    with pytest.raises(
        ValueError,
        match=r"elemwise_add: the inputs must have the same shape \(as in MXNet\), got \(2, 2\) and \(1, 2\). Use broadcast_add",
    ):
        mx.nd.elemwise_add(a, b)
