"""RMSProp's per-parameter state has MXNet's layout ((n,) or (n, g, delta), inside the
multi-precision pair) and one update_multi_precision matches MXNet 1.9.1
(tests/fixtures/rmsprop_state, made by make_rmsprop_state.py there)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import gluax as mx

FX = np.load(
    os.path.join(
        os.path.dirname(os.path.dirname(__file__)), "fixtures", "rmsprop_state", "rmsprop_state.npz"
    )
)
CASES = {
    "plain": ({"wd": 0.05}, "float32"),
    "centered": ({"centered": True, "clip_gradient": 0.5}, "float32"),
    "mp16": ({"wd": 0.05, "multi_precision": True}, "float16"),
}


def _layout(s):
    if isinstance(s, (tuple, list)):
        return "T(" + ",".join(_layout(x) for x in s) + ")"
    return "A"


def _leaves(s):
    if isinstance(s, (tuple, list)):
        return [y for x in s for y in _leaves(x)]
    return [s]


@pytest.mark.parametrize("name", sorted(CASES))
def test_rmsprop_updater_state_and_update_match_mxnet(name):
    kw, dtype = CASES[name]
    opt = mx.optimizer.RMSProp(learning_rate=0.1, **kw)
    w = mx.nd.array(FX["w"], dtype=dtype)
    st = opt.create_state_multi_precision(0, w)
    assert _layout(st) == str(FX[f"{name}_layout"])
    opt.update_multi_precision(0, w, mx.nd.array(FX["g"], dtype=dtype), st)
    tol = 1e-3 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(w.asnumpy(), FX[f"{name}_w"], rtol=tol, atol=tol)
    for i, leaf in enumerate(_leaves(st)):
        np.testing.assert_allclose(leaf.asnumpy(), FX[f"{name}_s{i}"], rtol=1e-5, atol=1e-6)
    # a second update through the same state keeps working
    opt.update_multi_precision(0, w, mx.nd.array(FX["g"], dtype=dtype), st)
    assert _layout(st) == str(FX[f"{name}_layout"])
