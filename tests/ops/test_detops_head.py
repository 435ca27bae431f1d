"""A detection head built only from gluax operators (MultiBoxPrior anchors, MultiBoxTarget
with hard-negative mining, softmax cross-entropy + smooth-L1, MultiBoxDetection) trains 3 SGD
steps on synthetic boxes from MXNet 1.9.1's initial weights with MXNet's losses, weights and
decoded detections (tests/fixtures/detops/make_dethead.py runs the same code in MXNet)."""

from __future__ import annotations

import importlib.util
import os

import numpy as np

import gluax as mx
from gluax.gluon import nn

_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "detops")
_spec = importlib.util.spec_from_file_location("make_dethead", os.path.join(_DIR, "make_dethead.py"))
script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(script)
_FIX = np.load(os.path.join(_DIR, "dethead.npz"))


def test_detection_head_trains_like_mxnet():
    start = {k[len("start/"):]: _FIX[k] for k in _FIX.files if k.startswith("start/")}
    got_start, losses, end, det = script.run(mx, nn, init_params=start)
    assert sorted(got_start) == sorted(start)  # MXNet's parameter names
    np.testing.assert_allclose(losses, _FIX["losses"], rtol=1e-4)
    for k in end:
        np.testing.assert_allclose(end[k], _FIX["end/" + k], rtol=1e-3, atol=1e-5, err_msg=k)
    np.testing.assert_allclose(det, _FIX["det"], rtol=1e-4, atol=1e-5)
