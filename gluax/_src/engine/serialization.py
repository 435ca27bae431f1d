"""MXNet's binary NDArray-list format: the format of ``.params`` files, ``nd.save`` and
``nd.load``. Files written here load in MXNet 1.x and vice versa.

Layout (little-endian): ``u64 0x112, u64 0, u64 n``, then n arrays, then ``u64 n_names`` and
each name as ``u64 len`` + UTF-8 bytes. One dense array (V2): ``u32 0xF993FAC9, i32 stype=0,
i32 ndim, ndim x i64 dims, i32 dev_type, i32 dev_id, i32 type_flag``, raw data.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import secrets
import struct
from typing import Any, BinaryIO, Iterator

import jax
import numpy as np

from gluax._src.engine.base import MXNetError
from gluax._src.engine.ndarray import NDArray

LIST_MAGIC = 0x112
V1, V2, V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA

TYPE_FLAGS = {
    0: "float32",
    1: "float64",
    2: "float16",
    3: "uint8",
    4: "int32",
    5: "int8",
    6: "int64",
    7: "bool",
    8: "int16",
    9: "uint16",
    10: "uint32",
    11: "uint64",
    12: "bfloat16",
}
FLAG_OF = {v: k for k, v in TYPE_FLAGS.items()}


class FileFormatError(MXNetError, ValueError):
    """A file gluax reads is corrupt, truncated or of another format.

    The message names the reader, the file, where in it the problem is (an offset or a
    field) and what was expected there. Being an ``MXNetError`` it is what MXNet raises for
    a bad file; being a ``ValueError`` it is caught as bad input. The parts are also kept as
    attributes: ``fname``, ``where`` and ``expected``.

    Examples
    --------
    >>> e = FileFormatError("nd.load", "w.params", "offset 0 (header)", "0x112", "0x0")
    >>> str(e)
    "nd.load: 'w.params': offset 0 (header): expected 0x112, got 0x0."
    """

    def __init__(
        self, reader: str, fname: Any, where: str, expected: str, got: Any = None, hint: str = ""
    ) -> None:
        self.reader, self.fname, self.where, self.expected = reader, str(fname), where, expected
        tail = "" if got is None else f", got {got}"
        hint = f"; {hint}" if hint else ""
        super().__init__(f"{reader}: {self.fname!r}: {where}: expected {expected}{tail}{hint}.")

    def __reduce__(self) -> Any:
        return (MXNetError, (str(self),))


class UnsupportedFileError(MXNetError, NotImplementedError):
    """A well-formed file holding something gluax does not implement (a sparse array)."""


class PickleFormatError(FileFormatError, pickle.UnpicklingError):
    """A ``FileFormatError`` from a pickle; also ``pickle.UnpicklingError``."""


# raised by gluax itself with a message and no errno ("no such file ...")
_FS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


@contextlib.contextmanager
def reading(reader: str, fname: Any, expected: str) -> Iterator[None]:
    """Inside, any failure other than gluax's own errors and the file system's (a missing
    file, permissions) becomes a ``FileFormatError`` naming ``fname`` and ``expected``: parsing a corrupt file
    never surfaces as a bare ``KeyError``, ``UnicodeDecodeError`` or ``MemoryError``."""
    try:
        yield
    except (MXNetError, NotImplementedError):
        raise
    except OSError as e:
        if e.errno is not None or isinstance(e, _FS_ERRORS):  # the file system's, not content
            raise
        raise FileFormatError(  # gzip.BadGzipFile and the like are OSErrors without errno
            reader, fname, "content", expected, f"{type(e).__name__}: {str(e)[:600]}"
        ) from e
    except (Exception, MemoryError, RecursionError) as e:  # noqa: BLE001
        cls = PickleFormatError if isinstance(e, pickle.UnpicklingError) else FileFormatError
        raise cls(
            reader, fname, "content", expected, f"{type(e).__name__}: {str(e)[:600]}"
        ) from e


class _Reader:
    def __init__(self, buf: bytes, fname: str) -> None:
        self.buf, self.pos, self.fname = buf, 0, fname
        self.magics: list[int] = []  # each record's magic: V3 marks numpy-shape semantics
        self.contexts: list[tuple[int, int]] = []  # each record's (dev_type, dev_id)

    def fail(self, what: str, expected: str, got: Any = None, hint: str = "") -> FileFormatError:
        return FileFormatError(
            "nd.load", self.fname, f"offset {self.pos} ({what})", expected, got, hint
        )

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.buf):
            raise self.fail(
                what,
                f"{n} more bytes",
                f"{len(self.buf) - self.pos}",
                "the file is truncated or not an MXNet NDArray file",
            )
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str, what: str) -> Any:
        vals = struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))
        return vals[0] if len(vals) == 1 else vals


def _read_shape(r: _Reader, dim_fmt: str = "q") -> tuple[int, ...] | None:
    ndim = r.unpack("i", "ndim")
    if ndim < 0:
        return None
    if ndim > 32:
        raise r.fail("ndim", "at most 32 dimensions", ndim)
    dims = r.unpack(dim_fmt * ndim, "shape") if ndim else ()
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if any(d < 0 for d in dims):
        raise r.fail("shape", "non-negative dimensions", dims)
    return dims


def _read_array(r: _Reader) -> np.ndarray | None:
    magic = r.unpack("I", "array magic")
    r.magics.append(magic)
    if magic in (V2, V3):
        stype = r.unpack("i", "storage type")
        if stype in (1, 2):
            raise UnsupportedFileError(
                f"nd.load: {r.fname!r} holds a sparse array (stype {stype}); gluax reads dense "
                "arrays only. Convert it with MXNet: arr.tostype('default')."
            )
        if stype != 0:
            r.pos -= 4
            raise r.fail("storage type", "0 (dense; 1 and 2 are MXNet's sparse types)", stype)
        shape = _read_shape(r)
        if shape is None or (magic == V2 and len(shape) == 0):
            return None
    elif magic == V1:
        shape = _read_shape(r)
        if not shape:
            return None
    else:
        # Before V1 the first word was ndim itself, followed by uint32 dims.
        ndim = magic
        if ndim > 32:
            raise r.fail("array magic", "0xf993fac9 (an MXNet NDArray record)", f"{magic:#x}")
        if ndim == 0:
            return None
        dims = r.unpack("I" * ndim, "shape")
        shape = (dims,) if isinstance(dims, int) else tuple(dims)
    r.contexts.append(r.unpack("ii", "context"))
    flag = r.unpack("i", "dtype flag")
    if flag not in TYPE_FLAGS:
        raise r.fail("dtype flag", f"one of MXNet's type flags 0-{max(TYPE_FLAGS)}", flag)
    name = TYPE_FLAGS[flag]
    dt = np.dtype("<u2") if name == "bfloat16" else np.dtype(name).newbyteorder("<")
    count = math.prod(shape)  # Python ints: a corrupt shape must not overflow into a valid size
    if math.prod(d for d in shape if d) * dt.itemsize >= 2**62:  # even an empty one
        raise r.fail("shape", "a shape numpy can hold", shape)
    if count * dt.itemsize > len(r.buf) - r.pos:
        raise r.fail(
            "array data", f"{count * dt.itemsize} bytes for shape {shape}", len(r.buf) - r.pos
        )
    data = np.frombuffer(r.take(count * dt.itemsize, "array data"), dtype=dt).reshape(shape)
    if name == "bfloat16":
        import ml_dtypes

        return data.view(ml_dtypes.bfloat16)
    return data.astype(dt.newbyteorder("="))


def loads(
    buf: bytes, fname: str = "<bytes>", *, check_np_shape: bool = False
) -> dict[str, np.ndarray] | list[np.ndarray]:
    """Parse an NDArray-list file's bytes into numpy arrays (dict if named, else list).

    With ``check_np_shape``, refuse as MXNet's ``nd.load`` does an array saved under the
    other shape semantics (see ``check_semantics``)."""
    with reading("nd.load", fname, "an MXNet NDArray file"):
        return _loads(buf, fname, check_np_shape)


NP_SHAPE_SAVED = (
    "nd.load: {fname!r}: array {i} was saved in numpy shape semantics (shape {shape}) and must be "
    "loaded in them: wrap the load in `with mx.np_shape(True):` (or call npx.set_np())."
)
LEGACY_SAVED = (
    "nd.load: {fname!r}: array {i} was not saved in numpy shape semantics but is loaded in them: "
    "wrap the load in `with mx.np_shape(False):`."
)


def check_semantics(fname: str, magics: list[int], arrays: list[np.ndarray]) -> None:
    """MXNet's rule: a record written under numpy shape semantics (V3) loads only under them,
    and an older record only outside them. gluax writes a 0-d array outside numpy shape
    semantics as V3 (V2 cannot hold one), so a V3 0-d record loads in both."""
    from gluax._src.engine.npmode import is_np_shape

    np_shape = is_np_shape()
    for i, (magic, a) in enumerate(zip(magics, arrays)):
        if magic == V3 and not np_shape and a.ndim > 0:
            raise MXNetError(NP_SHAPE_SAVED.format(fname=fname, i=i, shape=a.shape))
        if magic != V3 and np_shape:
            raise MXNetError(LEGACY_SAVED.format(fname=fname, i=i))


def _loads(
    buf: bytes, fname: str, check_np_shape: bool = False
) -> dict[str, np.ndarray] | list[np.ndarray]:
    r = _Reader(buf, fname)
    header = r.unpack("Q", "header")
    if header != LIST_MAGIC:
        r.pos = 0
        raise r.fail(
            "header", "0x112", hint=f"it is not an MXNet NDArray file (header {header:#x})"
        )
    r.unpack("Q", "reserved")
    n = r.unpack("Q", "array count")
    if n > len(buf):
        r.pos -= 8
        raise r.fail("array count", f"at most {len(buf)} arrays for a file this size", n)
    arrays = []
    for i in range(n):
        start = r.pos
        a = _read_array(r)
        if a is None:
            r.pos = start
            raise r.fail(
                f"array {i}",
                "an array with a shape (this record holds none)",
                hint="the file is truncated or not an MXNet NDArray file",
            )
        arrays.append(a)
    n_names = r.unpack("Q", "name count")
    if n_names not in (0, n):
        r.pos -= 8
        raise r.fail("name count", f"0 or {n} (one per array)", n_names)
    names = []
    for i in range(n_names):
        raw = r.take(r.unpack("Q", f"length of name {i}"), f"name {i}")
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            r.pos -= len(raw)
            raise r.fail(f"name {i}", "UTF-8 text", repr(raw[:40])) from None
    if len(set(names)) != len(names):
        dup = sorted({k for k in names if names.count(k) > 1})
        raise r.fail("names", "distinct names", f"{dup[:5]} more than once")
    if r.pos != len(buf):
        raise r.fail("end of file", "the end of the file", f"{len(buf) - r.pos} more bytes")
    if check_np_shape:
        check_semantics(fname, r.magics, arrays)
    if names:
        return dict(zip(names, arrays))  # type: ignore[arg-type]
    return arrays  # type: ignore[return-value]


def _write_array(
    f: BinaryIO, arr: np.ndarray, np_shape: bool = False, device: tuple[int, int] = (1, 0)
) -> None:
    name = arr.dtype.name
    if name not in FLAG_OF:
        raise TypeError(f"nd.save: dtype {name} has no MXNet type flag.")
    # MXNet writes V3 under numpy shape semantics, V2 outside them; V2 cannot hold a 0-d
    # array, so gluax writes one as V3 in either mode.
    magic = V3 if np_shape or arr.ndim == 0 else V2
    f.write(struct.pack("<Iii", magic, 0, arr.ndim))
    if arr.ndim:
        f.write(struct.pack("<" + "q" * arr.ndim, *arr.shape))
    f.write(struct.pack("<iii", *device, FLAG_OF[name]))
    data = arr.view("<u2") if name == "bfloat16" else arr.astype(arr.dtype.newbyteorder("<"))
    f.write(np.ascontiguousarray(data).tobytes())


def _to_numpy(x: Any, key: Any) -> np.ndarray:
    if isinstance(x, NDArray):
        return x.asnumpy()
    if isinstance(x, (np.ndarray, jax.Array)):
        return np.asarray(x)
    raise TypeError(f"nd.save: entry {key!r} must be an NDArray, got {type(x).__name__}.")


def dumps(data: Any) -> bytes:
    """Serialize an NDArray, a list of them, or a dict of name -> NDArray."""
    import io

    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        names = list(data.keys())
        arrays = [_to_numpy(data[k], k) for k in names]
        for k in names:
            if not isinstance(k, str):
                raise TypeError(f"nd.save: dict keys must be str, got {type(k).__name__}.")
    elif isinstance(data, (list, tuple)):
        names = []
        arrays = [_to_numpy(x, i) for i, x in enumerate(data)]
    else:
        raise TypeError(
            f"nd.save: data must be an NDArray, a list or a dict, got {type(data).__name__}."
        )
    from gluax._src.engine.npmode import is_np_shape

    np_shape = is_np_shape()
    f = io.BytesIO()
    f.write(struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays)))
    for a in arrays:
        _write_array(f, a, np_shape)
    f.write(struct.pack("<Q", len(names)))
    for k in names:
        b = k.encode("utf-8")
        f.write(struct.pack("<Q", len(b)))
        f.write(b)
    return f.getvalue()


TMP_MARK = ".gluax-tmp-"


def temp_name(fname: str) -> str:
    """A fresh temporary next to ``fname``: ``.<name>.gluax-tmp-<pid>-<random>``, so a
    leftover says which file it was for and which process wrote it."""
    folder, base = os.path.split(os.path.abspath(fname))
    return os.path.join(folder, f".{base}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_temporaries(fname: str) -> list[str]:
    """Delete temporaries of ``fname`` left by saves that were killed part-way (those whose
    writing process is gone); returns the paths removed."""
    folder, base = os.path.split(os.path.abspath(fname))
    prefix = f".{base}{TMP_MARK}"
    removed = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        pid_text = entry[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and _pid_alive(int(pid_text)):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
            removed.append(os.path.join(folder, entry))
        except OSError:
            pass
    return removed


def write_temporary(fname: str, payload: bytes) -> str:
    """Write ``payload`` to a new temporary next to ``fname`` (flushed to disk) and return its
    path. The file gets the permissions ``open()`` would give (0666 less the umask)."""
    tmp = temp_name(fname)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write_many(files: list[tuple[str, bytes]]) -> None:
    """Write several files as one unit as far as a file system allows: every payload goes to
    its temporary first, and only when all are on disk are they renamed into place, in the
    order given. A failure before the renames leaves the old files untouched."""
    names = [os.fspath(f) for f, _ in files]
    for fname in names:
        remove_stale_temporaries(fname)
    temps: list[str] = []
    try:
        for fname, (_, payload) in zip(names, files):
            temps.append(write_temporary(fname, payload))
        for tmp, fname in zip(temps, names):
            os.replace(tmp, fname)
    except BaseException:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise


def atomic_write(fname: str, payload: bytes) -> None:
    """Write ``payload`` to ``fname`` atomically: a temporary file in the same folder, then
    rename, so a crash never leaves a half-written file behind. Temporaries left by earlier
    saves of ``fname`` that were killed are removed first."""
    atomic_write_many([(fname, payload)])


def save(fname: str, data: Any) -> None:
    """Save NDArrays in MXNet's binary format (``mx.nd.save``); the write is atomic."""
    atomic_write(fname, dumps(data))


def nd_load(fname: str, ctx: Any = None) -> dict[str, NDArray] | list[NDArray]:
    """Load NDArrays saved by ``nd.save`` (gluax's or MXNet's): ``mx.nd.load``.

    As MXNet, an array saved under numpy shape semantics (``with mx.np_shape(True)``) loads
    only under them and one saved outside them only outside them (``MXNetError``); gluax's
    own Gluon loaders (``load_parameters``) accept both.

    Parameters
    ----------
    fname : str
        The file.
    ctx : Context, default the current context
        gluax only: where the arrays are placed.

    Returns
    -------
    list of NDArray, or dict of str to NDArray
    """
    return load(fname, ctx, check_np_shape=True)


def load_frombuffer(buf: bytes | bytearray | memoryview) -> dict[str, NDArray] | list[NDArray]:
    """``mx.nd.load_frombuffer``: ``nd.load`` of a file's bytes (what ``nd.save`` wrote).

    Raises ``MXNetError`` (a ``FileFormatError``) for truncated or foreign bytes, and as
    ``nd.load`` for arrays saved under the other shape semantics."""
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_frombuffer: buf must be bytes, got {type(buf).__name__}.")
    return _place(loads(bytes(buf), "<buffer>", check_np_shape=True), None)


def load(
    fname: str, ctx: Any = None, *, check_np_shape: bool = False
) -> dict[str, NDArray] | list[NDArray]:
    """Load a file written by ``nd.save`` / ``save_parameters`` (gluax's or MXNet's)."""
    from gluax._src.engine.context import as_context

    place = as_context(ctx)
    fname = os.fspath(fname)
    if not os.path.exists(fname):
        raise FileNotFoundError(f"nd.load: no such file {fname!r}.")
    if os.path.isdir(fname):
        raise IsADirectoryError(f"nd.load: {fname!r} is a folder, not a file.")
    with open(fname, "rb") as f:
        buf = f.read()
    return _place(loads(buf, fname, check_np_shape=check_np_shape), place)


def _place(raw: dict[str, np.ndarray] | list[np.ndarray], ctx: Any) -> Any:
    from gluax._src.engine.context import as_context

    place = as_context(ctx)

    def conv(a: np.ndarray | None) -> Any:
        if a is None:
            return None
        a = a.astype(jax.dtypes.canonicalize_dtype(a.dtype), copy=False)
        return NDArray(jax.device_put(a, place.jax_device), place)

    if isinstance(raw, dict):
        return {k: conv(v) for k, v in raw.items()}
    return [conv(v) for v in raw]


def dumps_record(arr: NDArray) -> bytes:
    """One array as MXNet's raw record (``MXNDArraySaveRawBytes``: no list header), the
    ``'handle'`` bytes of MXNet's ``NDArray.__getstate__``."""
    import io

    f = io.BytesIO()
    ctx = arr.context
    _write_array(f, _to_numpy(arr, 0), device=(ctx.device_typeid, ctx.device_id))
    return f.getvalue()


def loads_record(buf: bytes) -> tuple[np.ndarray | None, tuple[int, int]]:
    """Parse one raw array record (MXNet's pickled ``'handle'``): the array (None for an
    array without a shape) and the (device type, device id) it was saved from."""
    with reading("NDArray.__setstate__", "<state>", "an MXNet NDArray record"):
        r = _Reader(bytes(buf), "<state>")
        a = _read_array(r)
        if r.pos != len(r.buf):
            raise r.fail("end of record", "the end", f"{len(r.buf) - r.pos} more bytes")
        return a, (r.contexts[-1] if r.contexts else (1, 0))
