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


@pytest.mark.parametrize("arg", ["stype", "grad_stype"])
def test_parameter_unknown_storage_type_raises_assertion_and_value_error(arg):
    # MXNet 1.9.1 asserts on an unknown storage type (its test_invalid_parameter_stype)
    with pytest.raises(AssertionError, match=rf"'weight': {arg}='invalid' is not a storage"):
        gluon.Parameter("weight", shape=(2, 2), **{arg: "invalid"})
    with pytest.raises(ValueError):
        gluon.Parameter("weight", shape=(2, 2), **{arg: "invalid"})
    with pytest.raises(NotImplementedError, match="sparse storage"):
        gluon.Parameter("weight", shape=(2, 2), **{arg: "row_sparse"})


class _MaybeAdd(gluon.HybridBlock):
    def hybrid_forward(self, F, a, b):
        if a is None:
            return b * 2
        if b is None:
            return a * 3
        return a + b


def test_hybridized_block_keeps_its_first_none_pattern_until_hybridize():
    x = mx.nd.array([1.0, 2.0])
    net = _MaybeAdd()
    net.hybridize()
    np.testing.assert_array_equal(net(None, x).asnumpy(), [2.0, 4.0])
    np.testing.assert_array_equal(net(None, x).asnumpy(), [2.0, 4.0])
    with pytest.raises(ValueError, match=r"first called with inputs \[0\] None, now with \[\]"):
        net(x, x)
    net.hybridize()  # clears the compiled program and the remembered inputs, as in MXNet
    np.testing.assert_array_equal(net(x, x).asnumpy(), [2.0, 4.0])
    eager = _MaybeAdd()
    for args, want in [((None, x), [2.0, 4.0]), ((x, x), [2.0, 4.0]), ((x, None), [3.0, 6.0])]:
        np.testing.assert_array_equal(eager(*args).asnumpy(), want)


@pytest.mark.parametrize("hybridize", [False, True])
def test_mixing_ndarrays_and_symbols_raises_value_error(hybridize):
    net = _Add()
    if hybridize:
        net.hybridize()
    with pytest.raises(ValueError, match="mix NDArrays and Symbols"):
        net(mx.nd.ones((2,)), mx.sym.var("a"))
    with pytest.raises(ValueError, match="mix NDArrays and Symbols"):
        net(mx.sym.var("a"), mx.nd.ones((2,)))
