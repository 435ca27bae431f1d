"""Issue 21 items 2 and 3: each reader validates the structure it reads and fails with
gluax's ``FileFormatError`` (an ``MXNetError`` and a ``ValueError``) naming the file, where in
it (offset, line or field) and what was expected."""

from __future__ import annotations

import json
import pickle
import struct

import numpy as np
import pytest

import gluax as mx
from gluax import gluon, nd
from gluax._src.engine.serialization import FileFormatError
from gluax.gluon import nn
from gluax.recordio import MXIndexedRecordIO


def _params(tmp_path, data=None):
    f = tmp_path / "w.params"
    nd.save(str(f), data if data is not None else {"a": nd.array([1.0, 2.0]), "b": nd.ones((2, 2))})
    return f


def test_error_type_is_gluax_and_value_error():
    assert issubclass(FileFormatError, mx.MXNetError) and issubclass(FileFormatError, ValueError)


def test_nd_load_requires_the_whole_file(tmp_path):
    f = _params(tmp_path)
    f.write_bytes(f.read_bytes() + b"\0\0\0\0")
    with pytest.raises(FileFormatError, match=r"w.params': offset \d+ \(end of file\): expected the end of the file, got 4 more bytes"):
        nd.load(str(f))


def test_nd_load_refuses_a_zeroed_length(tmp_path):
    f = _params(tmp_path, {"a": nd.array([1.0, 2.0])})
    buf = bytearray(f.read_bytes())
    buf[32:36] = b"\0\0\0\0"  # ndim of array 0 (after u64 x3, u32 magic, i32 stype)
    f.write_bytes(bytes(buf))
    with pytest.raises(FileFormatError, match=r"offset 24 \(array 0\): expected an array with a shape"):
        nd.load(str(f))


def test_nd_load_names_bad_utf8_and_duplicate_names(tmp_path):
    f = _params(tmp_path, {"ab": nd.array([1.0])})
    buf = f.read_bytes()
    f.write_bytes(buf[:-2] + b"\xff\xfe")
    with pytest.raises(FileFormatError, match=r"\(name 0\): expected UTF-8 text"):
        nd.load(str(f))
    f.write_bytes(buf[:-16] + struct.pack("<QQ", 2, 2) + buf[-2:] + buf[-2:])
    raw = bytearray(buf)
    raw[16:24] = struct.pack("<Q", 2)
    two = bytes(raw[24:-18]) * 2
    f.write_bytes(bytes(raw[:24]) + two + struct.pack("<QQ", 2, 2) + b"ab" + struct.pack("<Q", 2) + b"ab")
    with pytest.raises(FileFormatError, match=r"expected distinct names, got \['ab'\] more than once"):
        nd.load(str(f))


# ---- -symbol.json --------------------------------------------------------------------------


def _graph():
    return {
        "nodes": [
            {"op": "null", "name": "data", "inputs": []},
            {"op": "null", "name": "w", "inputs": []},
            {"op": "null", "name": "b", "inputs": []},
            {"op": "FullyConnected", "name": "fc", "attrs": {"num_hidden": "2"}, "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
        ],
        "arg_nodes": [0, 1, 2],
        "node_row_ptr": [0, 1, 2, 3, 4],
        "heads": [[3, 0, 0]],
    }


@pytest.mark.parametrize(
    "mutate, field, expected",
    [
        (lambda g: g["nodes"][3]["inputs"].__setitem__(1, [-2, 0, 0]), r"nodes\[3\]\.inputs\[1\]", "non-negative ints"),
        (lambda g: g["nodes"][3]["inputs"].__setitem__(1, [3, 0, 0]), r"nodes\[3\]\.inputs\[1\]", "an earlier node"),
        (lambda g: g["nodes"][3]["inputs"].__setitem__(0, [0, 1, 0]), r"nodes\[3\]\.inputs\[0\]", "an output index below 1"),
        (lambda g: g.__setitem__("heads", []), "heads", "a non-empty list"),
        (lambda g: g.__setitem__("heads", [[3, 5, 0]]), r"heads\[0\]", "an output index below 1"),
        (lambda g: g.__setitem__("heads", [[9, 0, 0]]), r"heads\[0\]", "a node"),
        (lambda g: g["nodes"][3].__setitem__("attrs", {"num_hidden": 2}), r"nodes\[3\]\.attrs", "string attributes"),
        (lambda g: g["nodes"][1].pop("name"), r"nodes\[1\]\.name", "a non-empty string"),
        (lambda g: g.__setitem__("node_row_ptr", [0, 1, 2]), "node_row_ptr", "increasing integers"),
        (lambda g: g.__setitem__("arg_nodes", [3]), "arg_nodes", "variable"),
    ],
)
def test_symbol_json_structure_is_validated(tmp_path, mutate, field, expected):
    f = tmp_path / "g-symbol.json"
    g = _graph()
    f.write_text(json.dumps(g))
    gluon.SymbolBlock.imports(str(f), "data")  # the valid graph loads
    mutate(g)
    f.write_text(json.dumps(g))
    for load in (lambda: gluon.SymbolBlock.imports(str(f), "data"), lambda: mx.sym.load(str(f))):
        with pytest.raises(FileFormatError, match=rf"g-symbol.json': field {field}: expected .*{expected}"):
            load()


def test_binary_symbol_json_names_the_offset(tmp_path):
    f = tmp_path / "bin-symbol.json"
    f.write_bytes(b'{"nodes": \xff\xfe}')
    with pytest.raises(FileFormatError, match=r"bin-symbol.json': offset 10: expected UTF-8 JSON"):
        gluon.SymbolBlock.imports(str(f), "data")
    f.write_bytes(b'{"nodes": [}')
    with pytest.raises(FileFormatError, match=r"offset 11 \(line 1, column 12\): expected valid JSON"):
        mx.sym.load(str(f))


# ---- RecordIO .idx ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [(b"0\t-5", "a byte offset"), (b"0\t99999999999999999999999", "a byte offset"), (b"x\t0", "a key of type int"), (b"\xff\t0", "ASCII"), (b"1\t0", "a key not listed before")],
)
def test_recordio_index_lines_are_validated(tmp_path, line, expected):
    rec, idx = tmp_path / "r.rec", tmp_path / "r.idx"
    w = MXIndexedRecordIO(str(idx), str(rec), "w")
    w.write_idx(1, b"hello")
    w.close()
    idx.write_bytes(idx.read_bytes() + line + b"\n")
    with pytest.raises(FileFormatError, match=rf"r.idx': line 2: expected {expected}"):
        MXIndexedRecordIO(str(idx), str(rec), "r")


# ---- Trainer states --------------------------------------------------------------------------


def _trainer(step=False):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    t = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    if step:
        with mx.autograd.record():
            loss = net(nd.ones((1, 3))).sum()
        loss.backward()
        t.step(1)
    return t


def _resave(src, dst, edit):
    raw = nd.load(str(src))
    raw = {k: v.asnumpy() for k, v in raw.items()}
    edit(raw)
    nd.save(str(dst), {k: nd.array(v, dtype=v.dtype) for k, v in raw.items()})


def test_trainer_states_refuse_corrupted_attribute_names_and_dtypes(tmp_path):
    t = _trainer(step=True)
    t.save_states(str(tmp_path / "s.states"))

    def rename(raw):
        meta = json.loads(raw["__trainer_states__"].tobytes())
        meta["attrs"]["mom%ntum"] = meta["attrs"].pop("momentum")
        raw["__trainer_states__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)

    _resave(tmp_path / "s.states", tmp_path / "bad.states", rename)
    with pytest.raises(FileFormatError, match=r"bad.states': .*expected attribute names that are identifiers, got 'mom%ntum'"):
        _trainer().load_states(str(tmp_path / "bad.states"))

    def retype(raw):
        k = next(k for k in raw if k.startswith("0"))
        raw[k] = raw[k].astype(np.int32)

    _resave(tmp_path / "s.states", tmp_path / "bad.states", retype)
    with pytest.raises(FileFormatError, match=r"state array '0.*': expected dtype float32 .*, got int32"):
        _trainer().load_states(str(tmp_path / "bad.states"))


def test_trainer_pickle_errors_are_gluax_errors(tmp_path):
    f = tmp_path / "p.states"
    f.write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 2**57) + b"x")  # BINBYTES8 of 2**57 bytes
    with pytest.raises(FileFormatError, match="p.states': content: expected a Trainer states file"):
        _trainer().load_states(str(f), allow_pickle=True)
    f.write_bytes(pickle.dumps({0: [1, 2]})[:-3])
    with pytest.raises(FileFormatError, match="p.states'"):
        _trainer().load_states(str(f), allow_pickle=True)
