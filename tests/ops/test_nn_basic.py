"""FullyConnected, Activation, softmax, log_softmax against numpy."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from helpers import check_op

import gluax as mx

OPS = [
    ("FullyConnected", ref.fully_connected, [(2, 6), (5, 6), (5,)], {"num_hidden": 5}),
    ("FullyConnected", ref.fully_connected, [(2, 3, 2), (4, 6), (4,)], {"num_hidden": 4}),
    ("FullyConnected", lambda x, w, num_hidden, flatten: x @ w.T, [(2, 3, 2), (4, 2)], {"num_hidden": 4, "flatten": False, "no_bias": True}),
    ("softmax", ref.softmax, [(3, 4)], {"axis": -1}),
    ("softmax", ref.softmax, [(3, 4)], {"axis": 0, "temperature": 2.0}),
    ("log_softmax", ref.log_softmax, [(3, 4)], {"axis": 1}),
]


@pytest.mark.parametrize("name, reference, shapes, attrs", OPS)
def test_op_matches_numpy(name, reference, shapes, attrs, rng):
    if name == "FullyConnected" and attrs.get("no_bias"):
        check_op(getattr(mx.nd, name), lambda x, w, **a: reference(x, w, a["num_hidden"], a["flatten"]), shapes, rng, **attrs)
    else:
        check_op(getattr(mx.nd, name), reference, shapes, rng, **attrs)


@pytest.mark.parametrize("act, reference", [("relu", ref.relu), ("sigmoid", ref.sigmoid), ("tanh", np.tanh), ("softrelu", ref.softrelu), ("softsign", ref.softsign)])
def test_activation(act, reference, rng):
    check_op(mx.nd.Activation, lambda x, act_type: reference(x), [(3, 4)], rng, act_type=act)


def test_fully_connected_rejects_wrong_weight_shape():
    with pytest.raises(ValueError, match=r"FullyConnected: expected weight of shape \(5, 6\), got \(5, 4\)"):
        mx.nd.FullyConnected(mx.nd.ones((2, 6)), mx.nd.ones((5, 4)), mx.nd.ones(5), num_hidden=5)


def test_activation_rejects_unknown_type():
    with pytest.raises(mx.MXNetError, match="unknown act_type 'swish'"):
        mx.nd.Activation(mx.nd.ones((2,)), act_type="swish")
