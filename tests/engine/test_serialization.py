"""MXNet's binary NDArray-list format (.params, nd.save, nd.load)."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

import gluax as mx
from gluax import nd

# The worked example of MXNET-API.md section 20, verified there byte for byte against files
# written by MXNet 1.9.1's mx.nd.save: {'a': float32 [[1,2,3],[4,5,6]], 'bb': float16 [1]}.
EXAMPLE = bytes.fromhex(
    "1201000000000000" "0000000000000000" "0200000000000000"
    "c9fa93f9" "00000000" "02000000" "0200000000000000" "0300000000000000" "01000000" "00000000" "00000000"
    + np.arange(1, 7, dtype="<f4").tobytes().hex()
    + "c9fa93f9" "00000000" "01000000" "0100000000000000" "01000000" "00000000" "02000000" "003c"
    "0200000000000000" "0100000000000000" "61" "0200000000000000" "6262"
)


def test_save_writes_mxnet_bytes(tmp_path):
    f = tmp_path / "ex.params"
    nd.save(str(f), {"a": nd.array([[1, 2, 3], [4, 5, 6]]), "bb": nd.array([1], dtype="float16")})
    assert f.read_bytes() == EXAMPLE


def test_load_reads_mxnet_bytes(tmp_path):
    f = tmp_path / "ex.params"
    f.write_bytes(EXAMPLE)
    d = nd.load(str(f))
    assert list(d) == ["a", "bb"]
    assert d["a"].dtype == np.float32 and d["a"].asnumpy().tolist() == [[1, 2, 3], [4, 5, 6]]
    assert d["bb"].dtype == np.float16 and d["bb"].asnumpy().tolist() == [1.0]


@pytest.mark.parametrize("dtype", ["float32", "float16", "uint8", "int8", "int32"])
def test_roundtrip_dtypes_and_list_form(tmp_path, dtype, rng):
    a = (rng.standard_normal((2, 3)) * 10).astype(dtype)
    f = str(tmp_path / "l.params")
    nd.save(f, [nd.array(a, dtype=dtype), nd.array(a[0], dtype=dtype)])
    out = nd.load(f)
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_array_equal(out[0].asnumpy(), a)
    assert out[0].dtype == np.dtype(dtype).type


def _list_file(array_bytes: bytes, n: int = 1) -> bytes:
    return struct.pack("<QQQ", 0x112, 0, n) + array_bytes + struct.pack("<Q", 0)


def test_reads_v1_and_pre_v1_arrays(tmp_path):
    data = np.array([1.5, -2.0], dtype="<f4").tobytes()
    v1 = struct.pack("<Ii", 0xF993FAC8, 1) + struct.pack("<q", 2) + struct.pack("<iii", 1, 0, 0) + data
    pre = struct.pack("<I", 1) + struct.pack("<I", 2) + struct.pack("<iii", 1, 0, 0) + data
    for name, payload in (("v1", v1), ("pre", pre)):
        f = tmp_path / name
        f.write_bytes(_list_file(payload))
        assert nd.load(str(f))[0].asnumpy().tolist() == [1.5, -2.0]


def test_truncated_and_foreign_files_raise_clearly(tmp_path):
    f = tmp_path / "t.params"
    f.write_bytes(EXAMPLE[:60])
    with pytest.raises(mx.MXNetError, match=r"is truncated or not an MXNet NDArray file"):
        nd.load(str(f))
    f.write_bytes(b"PK\x03\x04 not a params file at all")
    with pytest.raises(mx.MXNetError, match=r"not an MXNet NDArray file \(header"):
        nd.load(str(f))
    with pytest.raises(FileNotFoundError, match="no such file"):
        nd.load(str(tmp_path / "missing.params"))


def test_sparse_entries_are_rejected_with_a_reason(tmp_path):
    payload = struct.pack("<Ii", 0xF993FAC9, 1)  # stype 1 = row_sparse
    f = tmp_path / "s.params"
    f.write_bytes(_list_file(payload))
    with pytest.raises(NotImplementedError, match="sparse array"):
        nd.load(str(f))


def test_save_is_atomic(tmp_path):
    f = tmp_path / "keep.params"
    nd.save(str(f), {"a": nd.ones((2,))})
    before = f.read_bytes()
    with pytest.raises(TypeError, match="entry 'b' must be an NDArray"):
        nd.save(str(f), {"a": nd.zeros((2,)), "b": "oops"})
    assert f.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.params"]


def test_zero_dim_array_roundtrip(tmp_path):
    import jax.numpy as jnp

    from gluax._src.engine.ndarray import NDArray

    f = str(tmp_path / "z.params")
    nd.save(f, {"s": NDArray(jnp.asarray(3.0, dtype=jnp.float32))})
    assert nd.load(f)["s"].asnumpy().tolist() == 3.0
