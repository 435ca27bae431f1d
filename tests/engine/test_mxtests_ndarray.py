"""Behaviours MXNet 1.9.1's own test_ndarray.py checks (issue 23 item 7), against MXNet's
numbers in tests/fixtures/mxtests_ndarray (made by make_mxtests_ndarray.py there)."""

from __future__ import annotations

import json
import os
import pickle
import struct

import numpy as np
import pytest

import gluax as mx
from gluax._src.engine.serialization import V2, V3

HERE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "mxtests_ndarray")
FX = np.load(os.path.join(HERE, "mxtests_ndarray.npz"))
with open(os.path.join(HERE, "mxtests_ndarray.json")) as _f:
    JS = json.load(_f)
ERR = JS["errors"]


def test_choose_and_fill_element_0index_match_mxnet():
    x = mx.nd.array(FX["x"])
    out = mx.nd.choose_element_0index(x, mx.nd.array(FX["choose_idx"]))
    np.testing.assert_array_equal(out.asnumpy(), FX["choose_out"])
    out = mx.nd.fill_element_0index(x, mx.nd.array(FX["fill_val"]), mx.nd.array(FX["fill_idx"]))
    np.testing.assert_array_equal(out.asnumpy(), FX["fill_out"])


def test_choose_element_0index_rejects_non_matrix():
    assert ERR["choose_3d"]
    with pytest.raises(mx.MXNetError, match=r"choose_element_0index: lhs must be 2-D.*\(2, 3, 4\)"):
        mx.nd.choose_element_0index(mx.nd.ones((2, 3, 4)), mx.nd.ones(2))
    with pytest.raises(ValueError, match=r"fill_element_0index: rhs must have shape \(2,\)"):
        mx.nd.fill_element_0index(mx.nd.ones((2, 3)), mx.nd.ones(2), mx.nd.ones(3))


def test_reset_arrays_zeroes_in_place_as_mxnet():
    a, b = mx.nd.ones((2, 3)), mx.nd.full((4,), 5, dtype="float16")
    out = mx.nd.reset_arrays(a, b, num_arrays=2)
    assert out == JS["reset"]["out"]
    np.testing.assert_array_equal(a.asnumpy(), JS["reset"]["a"])
    np.testing.assert_array_equal(b.asnumpy(), JS["reset"]["b"])
    assert b.dtype.__name__ == JS["reset"]["b_dtype"]


def test_reset_arrays_errors():
    assert ERR["reset_count_mismatch"] and ERR["reset_int"]
    with pytest.raises(mx.MXNetError, match="num_arrays=1 but 2 arrays"):
        mx.nd.reset_arrays(mx.nd.ones(2), mx.nd.ones(2), num_arrays=1)
    with pytest.raises(mx.MXNetError, match="argument 0 has dtype int32"):
        mx.nd.reset_arrays(mx.nd.ones(2, dtype="int32"), num_arrays=1)


@pytest.mark.parametrize("fname", ["np_shape.nd", "legacy.nd"])
@pytest.mark.parametrize("np_shape", [False, True])
def test_nd_load_follows_mxnet_shape_semantics_rule(fname, np_shape):
    path = os.path.join(HERE, fname)
    key = {"np_shape.nd": "np_file", "legacy.nd": "legacy_file"}[fname]
    key += "_in_np_shape" if np_shape else "_in_legacy"
    with mx.np_shape(np_shape):
        if ERR[key]:
            with pytest.raises(mx.MXNetError, match="shape semantics"):
                mx.nd.load(path)
        else:
            got = mx.nd.load(path)
            if fname == "np_shape.nd":
                assert [a.shape for a in got] == [(2, 0, 1), (), (3,)]
                np.testing.assert_array_equal(got[2].asnumpy(), [0, 1, 2])
            else:
                np.testing.assert_array_equal(got[0].asnumpy(), np.arange(6).reshape(2, 3))
    # gluax's Gluon loaders read either kind in either mode
    from gluax._src.engine.serialization import load

    with mx.np_shape(np_shape):
        assert len(load(path)) in (1, 3)


def test_nd_save_writes_mxnet_bytes_in_both_semantics(tmp_path):
    f = str(tmp_path / "a.nd")
    mx.nd.save(f, [mx.nd.arange(6).reshape((2, 3))])
    with open(f, "rb") as fh, open(os.path.join(HERE, "legacy.nd"), "rb") as ref:
        assert fh.read() == ref.read()
    with mx.np_shape(True):
        mx.nd.save(f, [mx.nd.zeros((2, 0, 1)), mx.nd.ones(()), mx.nd.arange(3)])
    with open(f, "rb") as fh, open(os.path.join(HERE, "np_shape.nd"), "rb") as ref:
        assert fh.read() == ref.read()
    # a 0-d array saved outside numpy shape semantics (MXNet cannot make one) still loads there
    mx.nd.save(f, [mx.nd.ones(())])
    with open(f, "rb") as fh:
        assert struct.unpack("<I", fh.read()[24:28])[0] == V3
    assert mx.nd.load(f)[0].shape == ()
    mx.nd.save(f, [mx.nd.ones((0, 2))])
    with open(f, "rb") as fh:
        assert struct.unpack("<I", fh.read()[24:28])[0] == V2
    assert mx.nd.load(f)[0].shape == (0, 2)


def test_load_frombuffer_matches_load(tmp_path):
    with open(os.path.join(HERE, "np_shape.nd"), "rb") as fh:
        buf = fh.read()
    with mx.np_shape(True):
        got = mx.nd.load_frombuffer(buf)
        assert [a.shape for a in got] == [(2, 0, 1), (), (3,)]
        assert ERR["frombuffer_truncated"]
        with pytest.raises(mx.MXNetError, match="<buffer>"):
            mx.nd.load_frombuffer(buf[:-10])
    d = {"w": mx.nd.arange(4)}
    f = str(tmp_path / "d.nd")
    mx.nd.save(f, d)
    with open(f, "rb") as fh:
        got = mx.nd.load_frombuffer(fh.read())
    np.testing.assert_array_equal(got["w"].asnumpy(), [0, 1, 2, 3])
    with pytest.raises(TypeError, match="buf must be bytes"):
        mx.nd.load_frombuffer("w.nd")


def test_setstate_reads_mxnet_pickle_state_and_gpu_records_load_on_cpu():
    raw = bytes.fromhex(JS["state_cpu"])
    a = mx.nd.zeros((1,))
    a.__setstate__({"handle": bytearray(raw)})
    np.testing.assert_array_equal(a.asnumpy(), [0, 1, 2])
    assert a.context == mx.cpu()
    # the same record saved from gpu(0) (dev_type 2): MXNet loads it on the CPU when no GPU
    # is there; the context field follows the shape (magic, stype, ndim, 1 dim)
    pos = 4 + 4 + 4 + 8
    gpu = raw[:pos] + struct.pack("<ii", 2, 0) + raw[pos + 8 :]
    b = mx.nd.zeros((1,))
    b.__setstate__({"handle": bytearray(gpu)})
    np.testing.assert_array_equal(b.asnumpy(), [0, 1, 2])
    if mx.context.num_gpus() == 0:
        assert b.context == mx.cpu()
    with pytest.raises(mx.MXNetError, match="<state>.*array data"):
        b.__setstate__({"handle": bytearray(raw[:-3])})


def test_pickle_round_trip_keeps_value_and_context():
    a = mx.nd.array([[1, 2], [3, 4]], dtype="int32")
    b = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())
    assert b.dtype == np.int32 and b.context == a.context


def test_broadcast_like_refuses_empty_axes_as_mxnet():
    assert ERR["broadcast_like_empty_axes"]
    lhs, rhs = mx.nd.ones((1, 2)), mx.nd.ones((3, 2))
    with pytest.raises(mx.MXNetError, match="broadcast_like: empty lhs_axes/rhs_axes"):
        mx.nd.broadcast_like(lhs, rhs, lhs_axes=(), rhs_axes=())
    assert mx.nd.broadcast_like(lhs, rhs).shape == (3, 2)
