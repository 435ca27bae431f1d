"""ReflectionPad2D against MXNet 1.9.1 fixtures (tests/fixtures/nn_extra/) and numpy's
reflect padding."""

from __future__ import annotations

import numpy as np
import pytest
from nn_extra_fixtures import case_id, cases, check_case

import gluax as mx
from gluax import autograd
from gluax.gluon import nn


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
@pytest.mark.parametrize("case", cases("ReflectionPad2D"), ids=case_id)
def test_matches_mxnet(case, hybrid):
    check_case(case, hybrid)


def test_matches_numpy_reflect_and_its_gradient(rng):
    x = rng.standard_normal((2, 1, 3, 4)).astype(np.float32)
    pad = nn.ReflectionPad2D((0, 0, 0, 0, 2, 1, 0, 3))
    xx = mx.nd.array(x)
    xx.attach_grad()
    with autograd.record():
        y = pad(xx)
    np.testing.assert_array_equal(y.asnumpy(), np.pad(x, ((0, 0), (0, 0), (2, 1), (0, 3)), mode="reflect"))
    y.backward()
    # every input element is counted once per output position that copies it
    index = np.arange(x.size).reshape(x.shape)
    counts = np.bincount(np.pad(index, ((0, 0), (0, 0), (2, 1), (0, 3)), mode="reflect").ravel(), minlength=x.size)
    np.testing.assert_array_equal(xx.grad.asnumpy(), counts.reshape(x.shape))


def test_bad_padding():
    with pytest.raises(ValueError, match=r"ReflectionPad2D: padding must be an int or 8 ints .*got \(1, 1\)"):
        nn.ReflectionPad2D((1, 1))


def test_rejects_input_that_is_not_4d():
    with pytest.raises(mx.MXNetError, match=r"ReflectionPad2D 'reflectionpad2d\d+': expected 4-D input \(N, C, H, W\), got shape \(1, 2, 2\)"):
        nn.ReflectionPad2D(1)(mx.nd.ones((1, 2, 2)))


def test_rejects_padding_as_large_as_the_input():
    with pytest.raises(mx.MXNetError, match=r"pad: reflect padding must be smaller than each padded dim"):
        nn.ReflectionPad2D(2)(mx.nd.ones((1, 1, 2, 2)))
