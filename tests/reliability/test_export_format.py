"""Issue 21 item 1: gluax's ``-symbol.stablehlo`` is checked (format version, SHA-256 of the
payload) before JAX's deserializer sees it, written with its ``.params`` as one unit, checked
against its ``.params`` on import, and free of source locations (the same bytes everywhere)."""

from __future__ import annotations

import hashlib
import json
import os
import struct

import numpy as np
import pytest

import gluax as mx
from gluax import gluon, nd
from gluax._src.engine.serialization import FileFormatError
from gluax._src.gluon import symbol_block
from gluax.gluon import nn


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _net(seed: int = 5, units: int = 4):
    mx.random.seed(seed)
    net = nn.HybridSequential(prefix="rel_")
    with net.name_scope():
        net.add(nn.Dense(units, activation="relu", prefix="d0_"), nn.Dense(2, prefix="d1_"))
    net.initialize()
    net.hybridize()
    net(nd.ones((2, 3)))
    return net


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    sym, params = _net().export(str(folder / "net"), epoch=1)
    return folder, sym, params


def test_file_starts_with_versioned_header_and_digest(files):
    _, sym, params = files
    buf = _read(sym)
    assert buf[:8] == b"GLUAXHLO"
    version, n = struct.unpack("<II", buf[8:16])
    header = json.loads(buf[16 : 16 + n])
    payload = buf[16 + n :]
    assert version == 1 and header["payload_size"] == len(payload)
    assert header["payload_sha256"] == hashlib.sha256(payload).hexdigest()
    assert header["params_file"] == os.path.basename(params)
    assert header["params_sha256"] == hashlib.sha256(_read(params)).hexdigest()


@pytest.mark.parametrize("where", ["payload", "header", "version", "magic"])
def test_any_flipped_bit_is_refused_before_deserialization(files, tmp_path, monkeypatch, where):
    _, sym, _ = files
    buf = bytearray(_read(sym))
    n = struct.unpack("<I", buf[12:16])[0]
    pos = {"payload": len(buf) - 37, "header": 16 + n // 2, "version": 8, "magic": 3}[where]
    buf[pos] ^= 0x10
    bad = tmp_path / "bad-symbol.stablehlo"
    bad.write_bytes(bytes(buf))

    def never(*_a, **_k):
        raise AssertionError("the deserializer saw a corrupt file")

    monkeypatch.setattr(symbol_block.jax_export, "deserialize", never)
    with pytest.raises(FileFormatError, match=r"SymbolBlock.imports: '.*bad-symbol.stablehlo': offset \d+") as e:
        gluon.SymbolBlock.imports(str(bad), "data")
    assert e.value.fname == str(bad)


def test_truncated_and_headerless_files_are_refused(files, tmp_path):
    _, sym, _ = files
    buf = _read(sym)
    bad = tmp_path / "t-symbol.stablehlo"
    for cut in (buf[:5], buf[:14], buf[:40], buf[:-1], buf + b"\0"):
        bad.write_bytes(cut)
        with pytest.raises(FileFormatError, match="t-symbol.stablehlo"):
            gluon.SymbolBlock.imports(str(bad), "data")
    bad.write_bytes(buf[16 + struct.unpack("<I", buf[12:16])[0] :])  # the bare jax payload
    with pytest.raises(FileFormatError, match="must be exported again"):
        gluon.SymbolBlock.imports(str(bad), "data")


def test_bytes_are_deterministic_and_hold_no_paths(files, tmp_path):
    _, sym, params = files
    again, again_params = _net().export(str(tmp_path / "net"), epoch=1)
    assert _read(again) == _read(sym)
    assert _read(again_params) == _read(params)
    buf = _read(sym)
    for leak in (b".py", os.path.dirname(__file__).encode(), os.path.dirname(mx.__file__).encode()):
        assert leak not in buf
    block = gluon.SymbolBlock.imports(sym, "data", params)
    x = nd.array(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(block(x).asnumpy(), _net()(x).asnumpy(), rtol=1e-6)


def test_params_of_another_export_are_refused(tmp_path):
    sym, params = _net(seed=1).export(str(tmp_path / "a"), epoch=0)
    old = _read(params)
    _net(seed=2).export(str(tmp_path / "a"), epoch=0)
    with open(params, "wb") as f:  # what a kill between the renames used to leave
        f.write(old)
    with pytest.raises(FileFormatError, match="different exports"):
        gluon.SymbolBlock.imports(sym, "data", params)
    # another epoch's file of the same network is fine; another network's is not
    _, other_epoch = _net(seed=3).export(str(tmp_path / "a"), epoch=7)
    _net(seed=2).export(str(tmp_path / "a"), epoch=0)
    gluon.SymbolBlock.imports(sym, "data", other_epoch)
    _, wide = _net(units=5).export(str(tmp_path / "w"), epoch=0)
    with pytest.raises(FileFormatError, match=r"array 'arg:rel_d0_weight': expected shape \(4, 3\)"):
        gluon.SymbolBlock.imports(sym, "data", wide)


def test_export_failure_leaves_old_files_and_no_temporaries(tmp_path, monkeypatch):
    sym, params = _net(seed=1).export(str(tmp_path / "a"), epoch=0)
    before = {p: _read(p) for p in (sym, params, str(tmp_path / "a-symbol.json"))}
    from gluax._src.engine import serialization

    real = serialization.write_temporary
    calls = []

    def failing(fname, payload):
        calls.append(fname)
        if len(calls) == 3:  # the third file: all earlier ones already sit in temporaries
            raise OSError("disk full")
        return real(fname, payload)

    monkeypatch.setattr(serialization, "write_temporary", failing)
    with pytest.raises(OSError, match="disk full"):
        _net(seed=2).export(str(tmp_path / "a"), epoch=0)
    assert {p: _read(p) for p in before} == before
    assert sorted(os.listdir(tmp_path)) == ["a-0000.params", "a-symbol.json", "a-symbol.stablehlo"]
