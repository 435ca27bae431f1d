"""MXNet 1.9.1's outputs for tests/image (made by tests/fixtures/image/make_image.py)."""

from __future__ import annotations

import json
import os

import numpy as np

FIX = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "fixtures", "image"))
with np.load(os.path.join(FIX, "image.npz")) as _z:
    Z = {k: _z[k] for k in _z.files}
with open(os.path.join(FIX, "image.json")) as _f:
    META = json.load(_f)
RAW = {}
for _n in ("a.png", "a.jpg", "b.jpg", "c.png", "g.png"):
    with open(os.path.join(FIX, _n), "rb") as _f:
        RAW[_n] = _f.read()


def path(name: str) -> str:
    return os.path.join(FIX, name)
