"""MXNet's ``_fresh_grad`` flag after a backward, whether the backward is deferred or runs at
once because user code holds the gradient buffer (``mark_variables``), as MXNet 1.9.1's
test_autograd.test_detach_updated_grad checks it (MXNet passes that test)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd


@pytest.mark.parametrize("hold_buffers", [True, False])
def test_backward_marks_reached_variables_fresh(hold_buffers):
    x, y = mx.nd.ones((2, 2)), mx.nd.ones((2, 2))
    if hold_buffers:
        dx, dy = mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2))
        autograd.mark_variables([x, y], [dx, dy])
    else:
        x.attach_grad()
        y.attach_grad()
    assert not x._fresh_grad and not y._fresh_grad
    with autograd.record():
        z = (x + 2) + y
    z.backward()
    assert x._fresh_grad and y._fresh_grad
    np.testing.assert_array_equal(x.grad.asnumpy(), np.ones((2, 2)))
    x._fresh_grad = y._fresh_grad = False
    with autograd.record():
        z = (x + 2).detach() + y
    z.backward()
    assert y._fresh_grad and not x._fresh_grad
