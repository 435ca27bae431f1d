"""RecordIO: reading and writing MXNet's .rec/.idx files, against files MXNet 1.9.1 wrote."""

from __future__ import annotations

import base64
import importlib.util
import json
import pathlib
import pickle

import numpy as np
import pytest

from gluax import recordio
from gluax._src.data.recordio import encode_record
from gluax._src.engine.base import MXNetError

FIX = pathlib.Path(__file__).parent.parent / "fixtures" / "data_recordio"
INFO = json.loads((FIX / "data_recordio.json").read_text())
RECORDS = [base64.b64decode(r) for r in INFO["records"]]


def _reader(name: str = "records") -> recordio.MXIndexedRecordIO:
    return recordio.MXIndexedRecordIO(str(FIX / f"{name}.idx"), str(FIX / f"{name}.rec"), "r")


def test_indexed_reader_reads_mxnet_records_including_split_frames():
    r = _reader()
    assert r.keys == list(range(len(RECORDS)))
    assert [r.read_idx(k) for k in reversed(r.keys)] == RECORDS[::-1]


def test_sequential_reader_reads_to_the_end_then_none():
    r = recordio.MXRecordIO(str(FIX / "records.rec"), "r")
    got = [r.read() for _ in range(len(RECORDS) + 1)]
    assert got == RECORDS + [None]
    r.reset()
    assert r.read() == RECORDS[0]


def test_writer_output_is_byte_identical_to_mxnet(tmp_path):
    w = recordio.MXIndexedRecordIO(str(tmp_path / "a.idx"), str(tmp_path / "a.rec"), "w")
    for i, rec in enumerate(RECORDS):
        w.write_idx(i, rec)
    w.close()
    assert (tmp_path / "a.rec").read_bytes() == (FIX / "records.rec").read_bytes()
    assert (tmp_path / "a.idx").read_text() == (FIX / "records.idx").read_text()


def test_records_full_of_magic_numbers_round_trip(tmp_path, rng):
    magic = (0xCED7230A).to_bytes(4, "little")
    pieces = [magic, b"", b"x", b"abcd", b"\0\0\0"]
    records = [
        b"".join(pieces[k] for k in rng.integers(0, len(pieces), n)) for n in range(0, 40, 3)
    ]
    path = str(tmp_path / "m.rec")
    w = recordio.MXRecordIO(path, "w")
    for rec in records:
        w.write(rec)
    w.close()
    r = recordio.MXRecordIO(path, "r")
    assert [r.read() for _ in records] == records


def test_pack_and_unpack_match_mxnet_headers():
    r = _reader("images")
    for k, want in zip(r.keys, INFO["headers"]):
        raw = r.read_idx(k)
        header, payload = recordio.unpack(raw)
        label = header.label.tolist() if isinstance(header.label, np.ndarray) else header.label
        assert (header.flag, label, header.id, header.id2) == (
            want["flag"],
            want["label"],
            want["id"],
            want["id2"],
        )
        assert payload[:8] == b"\x89PNG\r\n\x1a\n"
        packed = recordio.pack(recordio.IRHeader(0, header.label, header.id, header.id2), payload)
        assert packed == raw


@pytest.mark.skipif(importlib.util.find_spec("PIL") is None, reason="encoding images needs Pillow")
def test_pack_img_unpack_img_round_trip_in_bgr_order():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 9
    rec = recordio.pack_img(recordio.IRHeader(0, 2.0, 5, 0), img, quality=3, img_fmt=".png")
    header, out = recordio.unpack_img(rec)
    assert header.label == 2.0 and header.id == 5
    np.testing.assert_array_equal(out, img)
    # The stored PNG is RGB: channel order flips between OpenCV's BGR arrays and the file.
    from gluax._src.data.vision.image import decode_numpy

    np.testing.assert_array_equal(decode_numpy(recordio.unpack(rec)[1], 1), img[:, :, ::-1])
    gray = recordio.pack_img(recordio.IRHeader(0, 0.0, 0, 0), img[:, :, :1], img_fmt=".png")
    assert recordio.unpack_img(gray, iscolor=0)[1].shape == (2, 3)


def test_reader_pickles_and_reopens():
    r = pickle.loads(pickle.dumps(_reader()))
    assert r.read_idx(6) == RECORDS[6]


def test_corrupt_magic_is_an_mxnet_error(tmp_path):
    data = bytearray((FIX / "records.rec").read_bytes())
    data[8] ^= 0xFF  # the second record's magic
    (tmp_path / "bad.rec").write_bytes(bytes(data))
    r = recordio.MXRecordIO(str(tmp_path / "bad.rec"), "r")
    assert r.read() == RECORDS[0]
    with pytest.raises(MXNetError, match=r"bad.rec.*magic number 0xced7230a at byte 8"):
        r.read()


@pytest.mark.parametrize(
    "cut, match",
    [
        (5, "ends inside a frame header at byte 0"),
        (18, "frame at byte 8 needs 4 payload bytes, the file has 2"),  # record 1's padding
        (30, "frame at byte 20 needs 4 payload bytes, the file has 2"),  # inside record 2
    ],
)
def test_truncated_file_is_an_mxnet_error(tmp_path, cut, match):
    (tmp_path / "t.rec").write_bytes((FIX / "records.rec").read_bytes()[:cut])
    r = recordio.MXRecordIO(str(tmp_path / "t.rec"), "r")
    with pytest.raises(MXNetError, match=match):
        for _ in range(4):
            r.read()


def test_continuation_frame_without_start_is_an_mxnet_error(tmp_path):
    head = (0xCED7230A).to_bytes(4, "little") + ((3 << 29) | 0).to_bytes(4, "little")
    (tmp_path / "c.rec").write_bytes(head)
    with pytest.raises(MXNetError, match=r"continuation flag 3, expected 0 or 1"):
        recordio.MXRecordIO(str(tmp_path / "c.rec"), "r").read()


def test_open_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        recordio.MXRecordIO(str(tmp_path / "none.rec"), "r")
    with pytest.raises(ValueError, match="flag must be 'r' or 'w', got 'a'"):
        recordio.MXRecordIO(str(tmp_path / "x.rec"), "a")
    with pytest.raises(FileNotFoundError, match=r"no index file .*none.idx"):
        recordio.MXIndexedRecordIO(str(tmp_path / "none.idx"), str(FIX / "records.rec"), "r")
    (tmp_path / "bad.idx").write_text("0\t0\nnot-a-line\n")
    with pytest.raises(ValueError, match=r"bad.idx': line 2: expected 'key<TAB>offset'"):
        recordio.MXIndexedRecordIO(str(tmp_path / "bad.idx"), str(FIX / "records.rec"), "r")


def test_use_errors(tmp_path):
    r = _reader()
    with pytest.raises(KeyError, match="no key 99"):
        r.read_idx(99)
    with pytest.raises(MXNetError, match="open with flag 'r'"):
        r.write(b"x")
    with pytest.raises(MXNetError, match="open with flag 'r'"):
        r.tell()
    r.close()
    with pytest.raises(MXNetError, match="is closed"):
        r.read_idx(0)
    w = recordio.MXRecordIO(str(tmp_path / "w.rec"), "w")
    with pytest.raises(TypeError, match="must be bytes, got str"):
        w.write("text")
    with pytest.raises(ValueError, match="shorter than 2\\*\\*29"):
        encode_record(_Huge())
    (tmp_path / "k.idx").write_text("0\t100000\n")
    far = recordio.MXIndexedRecordIO(str(tmp_path / "k.idx"), str(FIX / "records.rec"), "r")
    with pytest.raises(MXNetError, match="points past the end"):
        far.read_idx(0)
    with pytest.raises(ValueError, match="at least 24 header bytes, got 3"):
        recordio.unpack(b"abc")


class _Huge(bytes):
    def __len__(self) -> int:
        return 1 << 29
