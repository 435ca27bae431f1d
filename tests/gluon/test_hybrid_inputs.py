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


def _direct_net():
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(4, in_units=3), mx.gluon.nn.Dropout(0.5))
    net.initialize()
    net.hybridize()
    return net


def test_repeated_calls_use_the_parameters_as_they_are_now():
    # a repeated inference call runs the last executable with the leaves read from the
    # parameters: set_data and a re-initialization are seen by the next call
    net = _direct_net()
    x = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    net(x)
    net(x)
    assert net.__dict__.get("_direct") is not None  # the direct path is taken from now on
    dense = net[0]
    w = np.full((4, 3), 0.5, np.float32)
    dense.weight.set_data(mx.nd.array(w))
    np.testing.assert_allclose(net(x).asnumpy(), x.asnumpy() @ w.T + dense.bias.data().asnumpy(), rtol=1e-6)
    net.initialize(mx.init.Constant(2.0), force_reinit=True)  # (the bias keeps its zeros)
    np.testing.assert_allclose(net(x).asnumpy(), x.asnumpy() @ np.full((3, 4), 2.0), rtol=1e-6)
    # another batch size: the executable refuses it, the call is resolved as a new signature
    x3 = mx.nd.ones((3, 3))
    np.testing.assert_allclose(net(x3).asnumpy(), np.full((3, 4), 6.0), rtol=1e-6)


def test_direct_calls_keep_the_random_stream():
    # training-mode Dropout draws one key per call; a refused direct call (new batch size)
    # must not draw a second one: same masks as calls that never take the direct path
    shapes = [(2, 3), (2, 3), (5, 3), (2, 3), (5, 3), (5, 3)]

    def run(direct):
        mx.random.seed(11)
        net = _direct_net()
        net.initialize(mx.init.Constant(1.0), force_reinit=True)
        outs = []
        for s in shapes:
            if not direct:
                net.__dict__["_direct"] = None
            with mx.autograd.train_mode():
                outs.append(net(mx.nd.ones(s)).asnumpy())
        return outs

    for a, b in zip(run(True), run(False)):
        np.testing.assert_array_equal(a, b)
