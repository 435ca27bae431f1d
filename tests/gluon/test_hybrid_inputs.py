"""What a hybridized block accepts as inputs, as MXNet 1.9.1's HybridBlock.forward decides
(its test_gluon.test_hybrid_block_hybrid_no_hybrid)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import gluon


class _Add(gluon.HybridBlock):
    def hybrid_forward(self, F, a, b):
        return a + b


def test_hybridized_inputs_on_two_contexts_raise_value_error():
    a = mx.nd.ones((3,), ctx=mx.cpu(1))
    b = mx.nd.ones((3,), ctx=mx.cpu(2))
    eager = _Add()
    np.testing.assert_array_equal(eager(a, b).asnumpy(), [2.0, 2.0, 2.0])
    net = _Add()
    net.hybridize()
    with pytest.raises(ValueError, match=r"_add\d+'.*one context.*cpu\(1\).*cpu\(2\)"):
        net(a, b)
    c = mx.nd.ones((3,), ctx=mx.cpu(1))
    np.testing.assert_array_equal(net(a, c).asnumpy(), [2.0, 2.0, 2.0])
