"""Batchify functions: MXNet 1.9.1's default_batchify_fn (fixture data_loader) and MXNet 2.0's
gluon.data.batchify helpers."""

from __future__ import annotations

import json
import pathlib

import jax
import numpy as np
import pytest

import gluax as mx
from gluax.gluon.data import batchify
from gluax.gluon.data.dataloader import default_batchify_fn, default_mp_batchify_fn

FIX = json.loads(
    (
        pathlib.Path(__file__).parent.parent / "fixtures" / "data_loader" / "data_loader.json"
    ).read_text()
)


def _jax_dtype(name: str) -> str:
    """MXNet's dtype as gluax stores it: 64-bit types are 32-bit unless jax runs with x64."""
    if jax.config.jax_enable_x64:
        return name
    return {"int64": "int32", "float64": "float32"}.get(name, name)


def _check(out, want):
    if "list" in want:
        assert isinstance(out, list) and len(out) == len(want["list"])
        for o, w in zip(out, want["list"]):
            _check(o, w)
        return
    assert isinstance(out, mx.nd.NDArray)
    assert np.dtype(out.dtype).name == _jax_dtype(want["dtype"])
    assert list(out.shape) == want["shape"]
    np.testing.assert_array_equal(out.asnumpy().ravel(), np.array(want["values"]))


def _samples():
    img = mx.nd.array(np.arange(12).reshape(2, 2, 3), dtype="uint8")
    return {
        "ndarray_uint8_and_int32": [(img, np.int32(3)), (img + 1, np.int32(4))],
        "python_int": [1, 2, 3],
        "python_float": [0.5, 1.5],
        "numpy_float32_scalar": [np.float32(0.5), np.float32(2.0)],
        "numpy_float64_array": [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
        "numpy_int64_array": [np.array([[1, 2]]), np.array([[3, 4]])],
        "nested_tuple": [
            (np.float32(1), (2, np.array([1, 2], dtype=np.uint8))),
            (np.float32(3), (4, np.array([3, 4], dtype=np.uint8))),
        ],
        "bool": [True, False],
    }


@pytest.mark.parametrize("kind", sorted(FIX["batchify"]))
def test_default_batchify_matches_mxnet(kind):
    _check(default_batchify_fn(_samples()[kind]), FIX["batchify"][kind])
    _check(default_mp_batchify_fn(_samples()[kind]), FIX["batchify"][kind])


def test_default_batchify_keeps_the_context():
    x = mx.nd.ones((2,), ctx=mx.cpu(0))
    assert default_batchify_fn([x, x]).context == mx.cpu(0)


def test_stack_pad_append_group_aslist():
    np.testing.assert_array_equal(batchify.Stack()([[1, 2], [3, 4]]).asnumpy(), [[1, 2], [3, 4]])
    a, b = batchify.Stack()([(np.zeros(2), 1), (np.ones(2), 0)])
    assert a.shape == (2, 2) and b.asnumpy().tolist() == [1, 0]
    x = [mx.nd.array([[1, 2, 3]]), mx.nd.array([[4], [5]])]
    padded = batchify.Pad(val=-1)(x)
    np.testing.assert_array_equal(
        padded.asnumpy(), [[[1, 2, 3], [-1, -1, -1]], [[4, -1, -1], [5, -1, -1]]]
    )
    r = batchify.Pad(dtype="int32", round_to=4)([[1], [2, 3]])
    assert r.shape == (2, 4) and np.dtype(r.dtype) == np.int32
    parts = batchify.Append()([[1, 2, 3], [4]])
    assert [p.shape for p in parts] == [(1, 3), (1, 1)]
    assert [p.shape for p in batchify.Append(expand=False)([[1, 2], [3]])] == [(2,), (1,)]
    x, text = batchify.Group([batchify.Pad(), batchify.AsList()])([([1, 2], "a"), ([3], "bc")])
    assert x.asnumpy().tolist() == [[1, 2], [3, 0]] and text == ["a", "bc"]
    assert batchify.Tuple is batchify.Group


def test_batchify_errors():
    with pytest.raises(
        ValueError, match=r"cannot stack samples of different shapes \[\(2,\), \(3,\)\]"
    ):
        default_batchify_fn([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="cannot be stacked into one array"):
        default_batchify_fn([{"a": 1}, {"a": 2}])
    with pytest.raises(NotImplementedError, match="use Group\\(Pad\\(\\), Stack\\(\\)"):
        batchify.Pad()([(1, 2), (3, 4)])
    with pytest.raises(ValueError, match=r"same number of axes, got \[1, 2\]"):
        batchify.Pad()([np.zeros(2), np.zeros((2, 2))])
    with pytest.raises(ValueError, match="not both"):
        batchify.Group([batchify.Stack()], batchify.Stack())
    with pytest.raises(TypeError, match="function 1 is not callable"):
        batchify.Group(batchify.Stack(), 3)
    with pytest.raises(ValueError, match="must have 2 fields .* got 3"):
        batchify.Group(batchify.Stack(), batchify.Stack())([(1, 2, 3)])
