"""MXNet's binary NDArray-list format: the format of ``.params`` files, ``nd.save`` and
``nd.load``. Files written here load in MXNet 1.x and vice versa.

Layout (little-endian): ``u64 0x112, u64 0, u64 n``, then n arrays, then ``u64 n_names`` and
each name as ``u64 len`` + UTF-8 bytes. One dense array (V2): ``u32 0xF993FAC9, i32 stype=0,
i32 ndim, ndim x i64 dims, i32 dev_type, i32 dev_id, i32 type_flag``, raw data.
"""

from __future__ import annotations

import math
import os
import struct
import tempfile
from typing import Any, BinaryIO

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


class _Reader:
    def __init__(self, buf: bytes, fname: str) -> None:
        self.buf, self.pos, self.fname = buf, 0, fname

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.buf):
            raise MXNetError(
                f"nd.load: {self.fname!r} is truncated or not an MXNet NDArray file (needed "
                f"{n} bytes for {what} at offset {self.pos}, file has {len(self.buf)})."
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
        raise MXNetError(f"nd.load: {r.fname!r}: implausible ndim {ndim}; the file is corrupt.")
    dims = r.unpack(dim_fmt * ndim, "shape") if ndim else ()
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if any(d < 0 for d in dims):
        raise MXNetError(f"nd.load: {r.fname!r}: negative dimension in shape {dims}.")
    return dims


def _read_array(r: _Reader) -> np.ndarray | None:
    magic = r.unpack("I", "array magic")
    if magic in (V2, V3):
        stype = r.unpack("i", "storage type")
        if stype != 0:
            raise NotImplementedError(
                f"nd.load: {r.fname!r} holds a sparse array (stype {stype}); gluax reads dense "
                "arrays only. Convert it with MXNet: arr.tostype('default')."
            )
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
            raise MXNetError(
                f"nd.load: {r.fname!r} is not an MXNet NDArray file (bad array magic {magic:#x})."
            )
        if ndim == 0:
            return None
        dims = r.unpack("I" * ndim, "shape")
        shape = (dims,) if isinstance(dims, int) else tuple(dims)
    r.unpack("ii", "context")
    flag = r.unpack("i", "dtype flag")
    if flag not in TYPE_FLAGS:
        raise MXNetError(f"nd.load: {r.fname!r}: unknown dtype flag {flag}.")
    name = TYPE_FLAGS[flag]
    dt = np.dtype("<u2") if name == "bfloat16" else np.dtype(name).newbyteorder("<")
    if any(d > len(r.buf) for d in shape):
        raise MXNetError(f"nd.load: {r.fname!r}: implausible shape {shape}; the file is corrupt.")
    count = math.prod(shape)  # Python ints: a corrupt shape must not overflow into a valid size
    data = np.frombuffer(r.take(count * dt.itemsize, "array data"), dtype=dt).reshape(shape)
    if name == "bfloat16":
        import ml_dtypes

        return data.view(ml_dtypes.bfloat16)
    return data.astype(dt.newbyteorder("="))


def loads(buf: bytes, fname: str = "<bytes>") -> dict[str, np.ndarray] | list[np.ndarray]:
    """Parse an NDArray-list file's bytes into numpy arrays (dict if named, else list)."""
    r = _Reader(buf, fname)
    header = r.unpack("Q", "header")
    if header != LIST_MAGIC:
        raise MXNetError(
            f"nd.load: {fname!r} is not an MXNet NDArray file (header {header:#x}, expected 0x112)."
        )
    r.unpack("Q", "reserved")
    n = r.unpack("Q", "array count")
    if n > len(buf):
        raise MXNetError(f"nd.load: {fname!r}: implausible array count {n}; the file is corrupt.")
    arrays = [_read_array(r) for _ in range(n)]
    n_names = r.unpack("Q", "name count")
    if n_names not in (0, n):
        raise MXNetError(f"nd.load: {fname!r} has {n} arrays but {n_names} names.")
    names = [r.take(r.unpack("Q", "name length"), "name").decode("utf-8") for _ in range(n_names)]
    if names:
        return dict(zip(names, arrays))  # type: ignore[arg-type]
    return arrays  # type: ignore[return-value]


def _write_array(f: BinaryIO, arr: np.ndarray) -> None:
    name = arr.dtype.name
    if name not in FLAG_OF:
        raise TypeError(f"nd.save: dtype {name} has no MXNet type flag.")
    if arr.ndim == 0:
        # V2 cannot hold a 0-d array; V3 (numpy-shape mode) can.
        f.write(struct.pack("<Iii", V3, 0, 0))
    else:
        f.write(struct.pack("<Iii", V2, 0, arr.ndim))
        f.write(struct.pack("<" + "q" * arr.ndim, *arr.shape))
    f.write(struct.pack("<iii", 1, 0, FLAG_OF[name]))
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
    f = io.BytesIO()
    f.write(struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays)))
    for a in arrays:
        _write_array(f, a)
    f.write(struct.pack("<Q", len(names)))
    for k in names:
        b = k.encode("utf-8")
        f.write(struct.pack("<Q", len(b)))
        f.write(b)
    return f.getvalue()


def atomic_write(fname: str, payload: bytes) -> None:
    """Write ``payload`` to ``fname`` atomically: a temporary file in the same folder, then
    rename, so a crash never leaves a half-written file behind."""
    fname = os.fspath(fname)
    folder = os.path.dirname(os.path.abspath(fname))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, fname)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(fname: str, data: Any) -> None:
    """Save NDArrays in MXNet's binary format (``mx.nd.save``); the write is atomic."""
    atomic_write(fname, dumps(data))


def load(fname: str, ctx: Any = None) -> dict[str, NDArray] | list[NDArray]:
    """Load a file written by ``nd.save`` / ``save_parameters`` (gluax's or MXNet's)."""
    from gluax._src.engine.context import as_context

    place = as_context(ctx)
    fname = os.fspath(fname)
    if not os.path.exists(fname):
        raise FileNotFoundError(f"nd.load: no such file {fname!r}.")
    with open(fname, "rb") as f:
        raw = loads(f.read(), fname)

    def conv(a: np.ndarray | None) -> Any:
        if a is None:
            return None
        a = a.astype(jax.dtypes.canonicalize_dtype(a.dtype), copy=False)
        return NDArray(jax.device_put(a, place.jax_device), place)

    if isinstance(raw, dict):
        return {k: conv(v) for k, v in raw.items()}
    return [conv(v) for v in raw]
