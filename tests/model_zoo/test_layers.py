"""HybridConcurrent and Identity (MXNet's gluon.contrib.nn layers the model zoo uses)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax._src.model_zoo.layers import HybridConcurrent, Identity
from gluax.gluon import nn


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
def test_concurrent_concatenates_children_along_axis(hybrid, rng):
    net = HybridConcurrent(axis=1)
    with net.name_scope():
        net.add(Identity())
        net.add(nn.Dense(3, in_units=4, flatten=False))
    net.initialize()
    if hybrid:
        net.hybridize()
    x = rng.normal(size=(2, 4)).astype(np.float32)
    w = net[1].weight.data().asnumpy()
    out = net(mx.nd.array(x)).asnumpy()
    np.testing.assert_allclose(out, np.concatenate([x, x @ w.T], axis=1), rtol=1e-5, atol=1e-6)


def test_concurrent_default_axis_is_last(rng):
    net = HybridConcurrent()
    net.add(Identity(), Identity())
    x = rng.normal(size=(2, 3, 2)).astype(np.float32)
    np.testing.assert_array_equal(net(mx.nd.array(x)).asnumpy(), np.concatenate([x, x], -1))


def test_names_and_repr_are_mxnets():
    net = HybridConcurrent(axis=1, prefix="mix_")
    with net.name_scope():
        net.add(Identity(), nn.Conv2D(4, 1))
    assert net[0].prefix == "mix_identity0_"
    assert list(net.collect_params()) == ["mix_conv0_weight", "mix_conv0_bias"]
    assert repr(net) == (
        "HybridConcurrent(\n  (0): Identity(\n  \n  )\n"
        "  (1): Conv2D(None -> 4, kernel_size=(1, 1), stride=(1, 1))\n)"
    )
