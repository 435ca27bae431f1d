"""MXNet's RecordIO format (``.rec`` + ``.idx``), read and written in plain Python.

A ``.rec`` file is a sequence of frames, each ``uint32 magic 0xCED7230A``, ``uint32 lrecord =
(cflag << 29) | length``, then ``length`` payload bytes padded with zeros to a multiple of 4. A
record whose payload holds the magic number at a 4-byte-aligned offset is split there into
several frames (cflag 1 = first, 2 = middle, 3 = last; 0 = a whole record) and the magic bytes
themselves are dropped; the reader puts them back between the parts. This is dmlc-core's
``RecordIOWriter``/``RecordIOReader``, so files written here are byte-identical to MXNet's. An
``.idx`` file is text, one ``key\\toffset`` line per record, ``offset`` being the byte position
of the record's first frame.

``IRHeader``/``pack``/``unpack`` are MXNet's image-record header: ``struct 'IfQQ'`` (flag uint32,
label float32, id uint64, id2 uint64), followed by ``flag`` float32 labels when ``flag > 0``.
"""

from __future__ import annotations

import numbers
import os
import struct
import threading
from collections import namedtuple
from typing import Any, Callable

import numpy as np

from gluax._src.engine.base import MXNetError

MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", MAGIC)
_LEN_MASK = (1 << 29) - 1
_SEEK_LOCK = threading.Lock()


def _pad4(n: int) -> int:
    return (n + 3) & ~3


def encode_record(buf: bytes) -> bytes:
    """The frames that store ``buf``: split at every 4-byte-aligned copy of the magic number,
    as dmlc-core's ``RecordIOWriter::WriteRecord`` does."""
    n = len(buf)
    if n >= 1 << 29:
        raise ValueError(f"RecordIO: a record must be shorter than 2**29 bytes, got {n}.")
    out = []
    start = 0
    for i in range(0, n - n % 4, 4):
        if buf[i : i + 4] == _MAGIC_BYTES:
            out.append(
                _MAGIC_BYTES + struct.pack("<I", ((1 if start == 0 else 2) << 29) | (i - start))
            )
            out.append(buf[start:i])
            start = i + 4
    out.append(_MAGIC_BYTES + struct.pack("<I", ((3 if start else 0) << 29) | (n - start)))
    out.append(buf[start:])
    out.append(b"\0" * (_pad4(n) - n))
    return b"".join(out)


def read_record(read: Callable[[int, int], bytes], pos: int, uri: str) -> tuple[bytes | None, int]:
    """The record whose first frame starts at byte ``pos`` and the position after it;
    ``(None, pos)`` at the end of the file. ``read(pos, n)`` returns up to ``n`` bytes."""
    parts: list[bytes] = []
    while True:
        head = read(pos, 8)
        if not head and not parts:
            return None, pos
        if len(head) != 8:
            raise MXNetError(
                f"Invalid RecordIO file '{uri}': the file ends inside a frame header at byte {pos}."
            )
        magic, lrec = struct.unpack("<II", head)
        if magic != MAGIC:
            raise MXNetError(
                f"Invalid RecordIO file '{uri}': expected the magic number 0xced7230a at byte "
                f"{pos}, got {magic:#010x}. Is the offset in the .idx file right?"
            )
        cflag, length = lrec >> 29, lrec & _LEN_MASK
        if parts and cflag not in (2, 3) or not parts and cflag not in (0, 1):
            want = "2 or 3 (the rest of a split record)" if parts else "0 or 1 (a record start)"
            raise MXNetError(
                f"Invalid RecordIO file '{uri}': the frame at byte {pos} has continuation flag "
                f"{cflag}, expected {want}."
            )
        payload = read(pos + 8, _pad4(length))
        if len(payload) < _pad4(length):
            raise MXNetError(
                f"Invalid RecordIO file '{uri}': the frame at byte {pos} needs {_pad4(length)} "
                f"payload bytes, the file has {len(payload)} left."
            )
        pos += 8 + _pad4(length)
        parts.append(payload[:length])
        if cflag in (0, 3):
            return _MAGIC_BYTES.join(parts), pos


class MXRecordIO:
    """Reads or writes a RecordIO file sequentially, as ``mx.recordio.MXRecordIO``.

    Parameters
    ----------
    uri : str
        Path to the ``.rec`` file.
    flag : str
        ``'w'`` to write (the file is truncated), ``'r'`` to read.

    Examples
    --------
    >>> import os, tempfile
    >>> from gluax import recordio
    >>> path = os.path.join(tempfile.mkdtemp(), 'a.rec')
    >>> w = recordio.MXRecordIO(path, 'w')
    >>> for i in range(3):
    ...     w.write(b'record_%d' % i)
    >>> w.close()
    >>> r = recordio.MXRecordIO(path, 'r')
    >>> r.read(), r.read(), r.read(), r.read()
    (b'record_0', b'record_1', b'record_2', None)
    """

    def __init__(self, uri: str, flag: str) -> None:
        self.uri = os.fspath(uri)
        self.flag = flag
        self.is_open = False
        self._file: Any = None
        self.open()

    def open(self) -> None:
        """Open the file (for ``'w'``, truncate it)."""
        if self.flag == "w":
            self._file = open(self.uri, "wb")
            self.writable = True
        elif self.flag == "r":
            try:
                self._file = open(self.uri, "rb")
            except FileNotFoundError:
                raise FileNotFoundError(f"RecordIO: no such file '{self.uri}'.") from None
            self.writable = False
        else:
            raise ValueError(f"MXRecordIO: flag must be 'r' or 'w', got {self.flag!r}.")
        self._pos = 0
        self.is_open = True

    def close(self) -> None:
        """Close the file."""
        if self.is_open:
            self._file.close()
            self.is_open = False

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __getstate__(self) -> dict[str, Any]:
        # Sent to a DataLoader worker process: reopened there.
        d = {k: v for k, v in self.__dict__.items() if k != "_file"}
        d["_file"] = None
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        self.__dict__.update(d)
        if self.is_open:
            self.is_open = False
            pos = d.get("_pos", 0)
            self.open()
            self._pos = pos

    def reset(self) -> None:
        """Go back to the first record (for ``'w'``, truncate the file)."""
        self.close()
        self.open()

    def _check_open(self, op: str, write: bool) -> None:
        if not self.is_open:
            raise MXNetError(f"MXRecordIO.{op}: the file '{self.uri}' is closed.")
        if write != self.writable:
            raise MXNetError(
                f"MXRecordIO.{op}: the file '{self.uri}' is open with flag {self.flag!r}."
            )

    def _pread(self, pos: int, n: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self._file.fileno(), n, pos)
        with _SEEK_LOCK:  # no positional reads on this platform
            self._file.seek(pos)
            return self._file.read(n)

    def write(self, buf: bytes) -> None:
        """Append ``buf`` (bytes) as one record."""
        self._check_open("write", True)
        if isinstance(buf, str):
            raise TypeError("MXRecordIO.write: buf must be bytes, got str. Use s.encode().")
        data = encode_record(bytes(buf))
        self._file.write(data)
        self._pos += len(data)

    def read(self) -> bytes | None:
        """The next record, or None at the end of the file."""
        self._check_open("read", False)
        rec, self._pos = read_record(self._pread, self._pos, self.uri)
        return rec


class MXIndexedRecordIO(MXRecordIO):
    """A RecordIO file with an index (``.idx``) for random access, as
    ``mx.recordio.MXIndexedRecordIO``.

    Parameters
    ----------
    idx_path : str
        Path to the index file (text, ``key\\toffset`` per line).
    uri : str
        Path to the ``.rec`` file.
    flag : str
        ``'w'`` or ``'r'``.
    key_type : type, default int
        Type the keys are parsed into.

    Notes
    -----
    ``read_idx`` reads at an offset without moving a shared file position, so several threads
    of a ``DataLoader(thread_pool=True)`` can read one file at the same time.

    Examples
    --------
    >>> import os, tempfile
    >>> from gluax import recordio
    >>> d = tempfile.mkdtemp()
    >>> w = recordio.MXIndexedRecordIO(os.path.join(d, 'a.idx'), os.path.join(d, 'a.rec'), 'w')
    >>> for i in range(3):
    ...     w.write_idx(i, b'record_%d' % i)
    >>> w.close()
    >>> r = recordio.MXIndexedRecordIO(os.path.join(d, 'a.idx'), os.path.join(d, 'a.rec'), 'r')
    >>> r.keys, r.read_idx(1)
    ([0, 1, 2], b'record_1')
    """

    def __init__(self, idx_path: str, uri: str, flag: str, key_type: type = int) -> None:
        self.idx_path = os.fspath(idx_path)
        self.idx: dict[Any, int] = {}
        self.keys: list[Any] = []
        self.key_type = key_type
        self.fidx: Any = None
        super().__init__(uri, flag)

    def open(self) -> None:
        """Open the record file and its index (``.idx``): read the index, or start writing one.

        Raises
        ------
        FileNotFoundError
            When reading and the index file is missing.
        """
        super().open()
        self.idx, self.keys = {}, []
        if self.writable:
            self.fidx = open(self.idx_path, "w")
            return
        try:
            with open(self.idx_path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"RecordIO: no index file '{self.idx_path}' for '{self.uri}'. Random access "
                "needs the .idx written next to the .rec (MXNet's im2rec writes both)."
            ) from None
        self.idx, self.keys = _parse_index(raw, self.idx_path, self.key_type)

    def close(self) -> None:
        """Close the record file and the index file (written out when writing)."""
        if self.is_open and self.fidx is not None:
            self.fidx.close()
            self.fidx = None
        super().close()

    def __getstate__(self) -> dict[str, Any]:
        d = super().__getstate__()
        d["fidx"] = None
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        # Reopening re-reads the index; keep the one we have instead.
        idx, keys = d["idx"], d["keys"]
        super().__setstate__(d)
        self.idx, self.keys = idx, keys

    def seek(self, idx: Any) -> None:
        """Move the read position to the record with key ``idx``."""
        self._check_open("seek", False)
        self._pos = self._offset(idx)

    def _offset(self, idx: Any) -> int:
        try:
            return self.idx[idx]
        except KeyError:
            raise KeyError(
                f"MXIndexedRecordIO: no key {idx!r} in '{self.idx_path}' ({len(self.keys)} keys)."
            ) from None

    def tell(self) -> int:
        """The current write position in bytes."""
        self._check_open("tell", True)
        return self._pos

    def read_idx(self, idx: Any) -> bytes:
        """The record with key ``idx``."""
        from gluax._src.engine.serialization import FileFormatError

        self._check_open("read_idx", False)
        pos = self._offset(idx)
        try:
            rec, _ = read_record(self._pread, pos, self.uri)
        except MXNetError as e:  # the offset is the index's: name both files
            raise FileFormatError(
                "MXIndexedRecordIO", self.idx_path, f"key {idx!r} (offset {pos})",
                f"the offset of a record in '{self.uri}'", None, str(e),
            ) from e  # fmt: skip
        if rec is None:
            raise FileFormatError(
                "MXIndexedRecordIO", self.idx_path, f"key {idx!r} (offset {pos})",
                f"an offset inside '{self.uri}'", "one that points past the end",
            )  # fmt: skip
        return rec

    def write_idx(self, idx: Any, buf: bytes) -> None:
        """Append ``buf`` as the record with key ``idx``."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write(f"{key}\t{pos}\n")
        self.idx[key] = pos
        self.keys.append(key)


def _parse_index(raw: bytes, path: str, key_type: type) -> tuple[dict[Any, int], list[Any]]:
    """Parse a ``.idx`` file's bytes (``key<TAB>offset`` lines) into (key -> offset, keys);
    a line that is not one raises ``FileFormatError`` naming the file, line and byte offset."""
    from gluax._src.engine.serialization import FileFormatError

    idx: dict[Any, int] = {}
    keys: list[Any] = []
    pos = 0
    for n, line in enumerate(raw.split(b"\n"), 1):
        start, pos = pos, pos + len(line) + 1
        text = line.strip()
        if not text:
            continue

        def fail(expected: str, got: Any, n: int = n, start: int = start) -> FileFormatError:
            return FileFormatError(
                "MXIndexedRecordIO", path, f"line {n}", expected, got, f"the line starts at byte {start}"
            )

        try:
            fields = text.decode("ascii").split("\t")
        except UnicodeDecodeError:
            raise fail("ASCII 'key<TAB>offset'", repr(line[:40])) from None
        if len(fields) < 2:
            raise fail("'key<TAB>offset'", repr(line[:40]))
        try:
            key = key_type(fields[0])
        except (ValueError, TypeError, OverflowError):
            raise fail(f"a key of type {key_type.__name__}", repr(fields[0][:40])) from None
        off = fields[1].strip()
        if not off.isdigit() or len(off) > 19 or int(off) >= 2**63:
            raise fail("a byte offset (a non-negative integer below 2**63)", repr(off[:40]))
        if key in idx:
            raise fail("a key not listed before", repr(key))
        idx[key] = int(off)
        keys.append(key)
    return idx, keys


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
IRHeader.__doc__ = """Header of an image record: ``flag`` (number of float labels that follow,
0 for one scalar ``label``), ``label`` (float, or an array of floats), ``id`` and ``id2``."""

_IR_FORMAT = "<IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header: Any, s: bytes) -> bytes:
    """Prefix ``s`` with an image-record header; an array ``label`` is stored after the header
    as float32 values and ``flag`` becomes their count.

    Examples
    --------
    >>> from gluax import recordio
    >>> rec = recordio.pack(recordio.IRHeader(0, 3.0, 7, 0), b'png bytes')
    >>> recordio.unpack(rec)
    (HEADER(flag=0, label=3.0, id=7, id2=0), b'png bytes')
    """
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    return struct.pack(_IR_FORMAT, *header) + s


def unpack(s: bytes) -> tuple[Any, bytes]:
    """Split a record into its ``IRHeader`` and the remaining bytes (usually an encoded
    image)."""
    if len(s) < _IR_SIZE:
        raise ValueError(
            f"recordio.unpack: a record needs at least {_IR_SIZE} header bytes, got {len(s)}."
        )
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[header.flag * 4 :]
    return header, s


def unpack_img(s: bytes, iscolor: int = -1) -> tuple[Any, np.ndarray]:
    """Split a record into its header and the decoded image, a numpy array in OpenCV's BGR
    channel order as MXNet returns it (``iscolor``: 1 color, 0 grayscale, -1 as stored).
    Needs Pillow."""
    from gluax._src.data.vision.image import decode_numpy

    header, s = unpack(s)
    flag = {1: 1, 0: 0}.get(iscolor, -1)
    img = decode_numpy(s, flag, to_rgb=False)
    if img.ndim == 3 and img.shape[2] == 1 and iscolor != 1:
        img = img[:, :, 0]  # OpenCV returns grayscale images as 2-D arrays
    return header, img


def pack_img(header: Any, img: np.ndarray, quality: int = 95, img_fmt: str = ".jpg") -> bytes:
    """Encode ``img`` (a numpy array in BGR channel order, as OpenCV's) as JPEG or PNG and
    pack it with ``header``. ``quality`` is the JPEG quality (1-100) or the PNG compression
    level (0-9). Needs Pillow."""
    from gluax._src.data.vision.image import encode_numpy

    return pack(header, encode_numpy(np.asarray(img), img_fmt, quality, from_bgr=True))
