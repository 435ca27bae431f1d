"""``mx.io``'s file iterators, which MXNet 1.9 runs in C++: ``CSVIter``, ``MNISTIter`` and
``LibSVMIter``, here in Python with the same batches, padding and epoch rules.

CSV and LibSVM batches follow MXNet's batch loader: with ``round_batch=True`` (the default)
an incomplete last batch is completed with the first examples of the file and the next
epoch starts after them; with ``round_batch=False`` the rest of the last batch keeps the
previous batch's examples, and ``pad`` counts them either way. MNISTIter drops an incomplete
last batch and shuffles once, at construction, as MXNet's C++ ``std::shuffle`` with
``std::mt19937(seed)`` does.
"""

from __future__ import annotations

import gzip
import logging
import os
import struct
import warnings
from typing import Any, Callable

import numpy as np

from gluax._src.engine.base import MXNetError
from gluax._src.engine.context import Context
from gluax._src.io.io import DataBatch, DataDesc, DataIter
from gluax._src.ops.creation import array as _nd_array

_DTYPES = {"float32": np.float32, "int32": np.int32, "int64": np.int64}


class DataFileError(MXNetError, ValueError):
    """A data file or iterator argument the iterator cannot use: both ``MXNetError`` (what
    MXNet's C++ iterators raise) and ``ValueError``."""


class DataFileNotFoundError(MXNetError, FileNotFoundError):
    """A data file that does not exist: both ``MXNetError`` (as in MXNet) and
    ``FileNotFoundError``."""


def _read_file(path: Any, arg: str, where: str) -> bytes:
    """The bytes of ``path``, a clear error naming the argument when it cannot be read."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: {arg} must be a file path, got {type(path).__name__}.")
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise DataFileNotFoundError(
            f"{where}: {arg} file {os.fspath(path)!r} does not exist."
        ) from None
    except OSError as err:
        raise DataFileError(f"{where}: cannot read {arg} file {os.fspath(path)!r}: {err}") from None


def _shape(value: Any, arg: str, where: str) -> tuple[int, ...]:
    if isinstance(value, int):
        value = (value,)
    try:
        shape = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise DataFileError(
            f"{where}: {arg} must be a tuple of positive ints, got {value!r}."
        ) from None
    if not shape or any(v <= 0 for v in shape):
        raise DataFileError(f"{where}: {arg} must be a tuple of positive ints, got {value!r}.")
    return shape


def _positive(value: Any, arg: str, where: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise DataFileError(f"{where}: {arg} must be a positive integer, got {value!r}.")
    return int(value)


class MXDataIter(DataIter):
    """Base of the file iterators that MXNet implements in C++ (``CSVIter``, ``MNISTIter``,
    ``LibSVMIter``, the record iterators). As MXNet's, it reads the first batch when it is
    built (so a bad file fails at once) and takes ``provide_data``/``provide_label`` from it.

    Subclasses implement ``_before_first()`` and ``_next_batch()``, which returns
    ``(data, label, pad, index)`` as numpy arrays or None at the end of the epoch.
    """

    def __init__(
        self,
        handle: Any = None,
        data_name: str = "data",
        label_name: str = "softmax_label",
        ctx: Any = None,
        **_: Any,
    ) -> None:
        super().__init__()
        self.handle = handle
        # MXNet's iterators take ctx as a string ('cpu', 'gpu')
        self._ctx = Context(ctx) if isinstance(ctx, str) else ctx
        self._debug_skip_load = False
        self._debug_at_begin = True
        self._current: tuple[Any, Any, int, Any] | None = None
        self.first_batch: DataBatch | None = None
        self.first_batch = self.next()
        data = self.first_batch.data[0]
        label = self.first_batch.label[0]
        self.provide_data = [DataDesc(data_name, data.shape, data.dtype)]
        self.provide_label = [DataDesc(label_name, label.shape, label.dtype)]
        self.batch_size = data.shape[0]

    def _before_first(self) -> None:
        raise NotImplementedError

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray, int, Any] | None:
        raise NotImplementedError

    def debug_skip_load(self) -> None:
        """Return the first batch again and again (to time what consumes the batches)."""
        self._debug_skip_load = True

    def reset(self) -> None:
        self._debug_at_begin = True
        self.first_batch = None
        self._before_first()

    def _batch(self) -> DataBatch:
        return DataBatch(
            data=[self.getdata()], label=[self.getlabel()], pad=self.getpad(), index=self.getindex()
        )

    def next(self) -> DataBatch:
        if self._debug_skip_load and not self._debug_at_begin:
            return self._batch()
        if self.first_batch is not None:
            batch, self.first_batch = self.first_batch, None
            return batch
        self._debug_at_begin = False
        if self.iter_next():
            return self._batch()
        raise StopIteration

    def iter_next(self) -> bool:
        if self.first_batch is not None:
            return True
        self._current = self._next_batch()
        return self._current is not None

    def getdata(self) -> Any:
        return _nd_array(self._current[0], self._ctx, dtype=self._current[0].dtype)

    def getlabel(self) -> Any:
        return _nd_array(self._current[1], self._ctx, dtype=self._current[1].dtype)

    def getindex(self) -> Any:
        return None if self._current[3] is None else np.array(self._current[3], dtype=np.uint64)

    def getpad(self) -> int:
        return int(self._current[2])


class _RowBatcher:
    """MXNet's C++ batch loader over a list of rows: fills persistent buffers (their stale
    rows are what ``round_batch=False`` pads with) and wraps around with ``round_batch``."""

    def __init__(
        self,
        rows: Callable[[int], tuple[np.ndarray, np.ndarray]],
        count: int,
        batch_size: int,
        round_batch: bool,
        data_shape: tuple[int, ...],
        label_shape: tuple[int, ...],
        dtype: Any,
        label_dtype: Any,
        where: str,
    ) -> None:
        self._row, self._count, self._bs = rows, count, batch_size
        self._round = round_batch
        self._where = where
        self._data = np.zeros((batch_size,) + data_shape, dtype=dtype)
        self._label = np.zeros((batch_size,) + label_shape, dtype=label_dtype)
        self._index = np.zeros(batch_size, dtype=np.uint64)
        self._pos = 0
        self._overflow = 0

    def before_first(self) -> None:
        if not self._round or self._overflow == 0:
            self._pos = 0
        else:
            self._overflow = (
                0  # the next epoch goes on after the examples that completed the last batch
            )

    def next_batch(self) -> tuple[np.ndarray, np.ndarray, int, np.ndarray] | None:
        if self._overflow != 0:
            return None
        top = 0
        while top < self._bs and self._pos < self._count:
            self._put(top, self._pos)
            self._pos += 1
            top += 1
        if top == self._bs:
            return self._out(0)
        if top == 0:
            return None
        if not self._round:
            return self._out(self._bs - top)
        if self._count < self._bs - top:
            raise DataFileError(
                f"{self._where}: batch_size={self._bs} needs more examples than the file holds "
                f"({self._count}) to complete a batch with round_batch=True."
            )
        self._pos, self._overflow = 0, 0
        while top < self._bs:
            self._put(top, self._pos)
            self._pos += 1
            top += 1
            self._overflow += 1
        return self._out(self._overflow)

    def _put(self, slot: int, i: int) -> None:
        data, label = self._row(i)
        self._data[slot] = data
        self._label[slot] = label
        self._index[slot] = i

    def _out(self, pad: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        label = (
            self._label.reshape(self._bs)
            if self._label[0].size == 1 and self._label.ndim == 2
            else self._label
        )
        return self._data.copy(), label.copy(), pad, self._index.copy()


def _number(text: str, integer: bool) -> float | int:
    if integer:  # int rows parse exactly (2**53 and above do not survive a float)
        try:
            return int(text)
        except ValueError:
            return int(float(text))
    return float(text)


def _parse_csv(
    raw: bytes, path: Any, arg: str, width: int, dtype: Any, shape_desc: str
) -> np.ndarray:
    integer = np.issubdtype(dtype, np.integer)
    rows = []
    for n, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        fields = line.split(",")
        try:
            values = [_number(v, integer) for v in fields]
        except ValueError:
            raise DataFileError(
                f"CSVIter: {arg} file {os.fspath(path)!r} line {n} is not a row of numbers: {line[:60]!r}."
            ) from None
        if len(values) != width:
            raise DataFileError(
                f"CSVIter: {arg} file {os.fspath(path)!r} line {n} holds {len(values)} values, but "
                f"{shape_desc} asks for {width} per row."
            )
        rows.append(values)
    if not rows:
        raise DataFileError(f"CSVIter: {arg} file {os.fspath(path)!r} holds no rows.")
    return np.asarray(rows, dtype=np.int64 if integer else np.float64).astype(dtype)


class CSVIter(MXDataIter):
    """Batches from a CSV file of numbers, one example per row (MXNet 1.9's ``CSVIter``).

    Parameters
    ----------
    data_csv : str
        The data file.
    data_shape : tuple of int
        The shape of one example; each row holds ``prod(data_shape)`` values.
    label_csv : str, default 'NULL'
        The label file; without one every label is 0.
    label_shape : tuple of int, default (1,)
    batch_size : int
    round_batch : bool, default True
        Complete the last batch with the first rows (the next epoch then starts after them);
        False pads with the rows of the previous batch. ``pad`` counts the padding rows.
    dtype : {'float32', 'int32', 'int64'}, default 'float32'
    data_name, label_name : str
    ctx : Context, optional
        Where the batches are placed (gluax addition; MXNet always gives CPU arrays).

    Notes
    -----
    Labels of shape (1,) come as a (batch_size,) array, as in MXNet.
    """

    def __init__(
        self,
        data_csv: str | None = None,
        data_shape: Any = None,
        label_csv: str = "NULL",
        label_shape: Any = (1,),
        batch_size: int | None = None,
        round_batch: bool = True,
        dtype: str = "float32",
        data_name: str = "data",
        label_name: str = "softmax_label",
        prefetch_buffer: int = 4,
        ctx: Context | None = None,
        **kwargs: Any,
    ) -> None:
        where = "CSVIter"
        if data_csv is None:
            raise DataFileError(f"{where}: data_csv (the path of the data file) is required.")
        if data_shape is None:
            raise DataFileError(f"{where}: data_shape (the shape of one row) is required.")
        if batch_size is None:
            raise DataFileError(f"{where}: batch_size is required.")
        if str(dtype) not in _DTYPES:
            raise DataFileError(f"{where}: dtype must be one of {sorted(_DTYPES)}, got {dtype!r}.")
        _reject_unknown(where, kwargs)
        data_shape = _shape(data_shape, "data_shape", where)
        label_shape = _shape(label_shape, "label_shape", where)
        batch_size = _positive(batch_size, "batch_size", where)
        dt = _DTYPES[str(dtype)]
        data = _parse_csv(
            _read_file(data_csv, "data_csv", where),
            data_csv,
            "data_csv",
            int(np.prod(data_shape)),
            dt,
            f"data_shape={data_shape}",
        ).reshape((-1,) + data_shape)
        if label_csv != "NULL":
            label = _parse_csv(
                _read_file(label_csv, "label_csv", where),
                label_csv,
                "label_csv",
                int(np.prod(label_shape)),
                dt,
                f"label_shape={label_shape}",
            ).reshape((-1,) + label_shape)
            if label.shape[0] < data.shape[0]:
                raise DataFileError(
                    f"{where}: label_csv {os.fspath(label_csv)!r} has {label.shape[0]} rows, fewer "
                    f"than data_csv {os.fspath(data_csv)!r} ({data.shape[0]})."
                )
        else:
            label_shape = (1,)
            label = np.zeros((data.shape[0], 1), dtype=dt)
        self._loader = _RowBatcher(
            lambda i: (data[i], label[i]),
            data.shape[0],
            batch_size,
            bool(round_batch),
            data_shape,
            label_shape,
            dt,
            dt,
            where,
        )
        super().__init__(None, data_name=data_name, label_name=label_name, ctx=ctx)

    def _before_first(self) -> None:
        self._loader.before_first()

    def _next_batch(self) -> Any:
        return self._loader.next_batch()


def _reject_unknown(where: str, kwargs: dict[str, Any]) -> None:
    """MXNet's C++ iterators ignore arguments they do not define (scripts pass some, such as
    ``input_shape``); gluax ignores them too, with a warning naming them."""
    for k in ("silent", "verbose", "prefetch_buffer", "device_id"):
        kwargs.pop(k, None)
    if kwargs:
        warnings.warn(
            f"{where}: ignoring arguments MXNet 1.9 does not define for it: {sorted(kwargs)}.",
            stacklevel=3,
        )


def _mt19937_shuffle(n: int, seed: int) -> list[int]:
    """The permutation ``std::shuffle`` gives with ``std::mt19937(seed)`` in the libstdc++ that
    MXNet 1.9.1's wheels were built with (one uniform draw per position, Knuth's shuffle)."""
    bits = np.random.MT19937(0)
    bits._legacy_seeding(seed & 0xFFFFFFFF)  # std::mt19937(seed): the classic init_genrand
    perm = list(range(n))
    for i in range(1, n):
        scaling = 0xFFFFFFFF // (i + 1)
        past = (i + 1) * scaling
        while True:
            r = int(bits.random_raw())
            if r < past:
                break
        j = r // scaling
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def _idx_payload(path: Any, arg: str, magic: int, header: int) -> tuple[tuple[int, ...], bytes]:
    raw = _read_file(path, arg, "MNISTIter")
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise DataFileError(
                f"MNISTIter: {arg} file {os.fspath(path)!r} is a corrupt gzip file: {err}"
            ) from None
    if len(raw) < header or struct.unpack(">i", raw[:4])[0] != magic:
        raise DataFileError(
            f"MNISTIter: {arg} file {os.fspath(path)!r} is not an MNIST idx file (expected magic "
            f"number {magic} in its first 4 bytes)."
        )
    dims = struct.unpack(">" + "i" * ((header - 4) // 4), raw[4:header])
    need = int(np.prod(dims))
    if len(raw) - header < need:
        raise DataFileError(
            f"MNISTIter: {arg} file {os.fspath(path)!r} is truncated: its header announces "
            f"{need} bytes of data, it holds {len(raw) - header}."
        )
    return dims, raw[header : header + need]


class MNISTIter(MXDataIter):
    """Batches of MNIST from local idx files (optionally gzip-compressed), as MXNet 1.9's
    ``MNISTIter``: pixels divided by 256, an incomplete last batch dropped.

    Parameters
    ----------
    image : str, default './train-images-idx3-ubyte'
    label : str, default './train-labels-idx1-ubyte'
    batch_size : int, default 128
    shuffle : bool, default True
        Shuffle once, when built, in MXNet's order for ``seed``.
    flat : bool, default False
        Batches of shape (batch_size, rows*cols) instead of (batch_size, 1, rows, cols).
    seed : int, default 0
    silent : bool, default False
    num_parts, part_index : int, default 1, 0
        Read only part ``part_index`` of ``num_parts`` equal parts (distributed training).
    data_name, label_name : str
    ctx : Context, optional (gluax addition)

    Notes
    -----
    MXNet fills ``DataBatch.index`` with unset memory for MNIST; gluax gives None.
    """

    def __init__(
        self,
        image: str = "./train-images-idx3-ubyte",
        label: str = "./train-labels-idx1-ubyte",
        batch_size: int = 128,
        shuffle: bool = True,
        flat: bool = False,
        seed: int = 0,
        silent: bool = False,
        num_parts: int = 1,
        part_index: int = 0,
        data_name: str = "data",
        label_name: str = "softmax_label",
        prefetch_buffer: int = 4,
        ctx: Context | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        where = "MNISTIter"
        _reject_unknown(where, kwargs)
        batch_size = _positive(batch_size, "batch_size", where)
        num_parts = _positive(num_parts, "num_parts", where)
        if not 0 <= int(part_index) < num_parts:
            raise DataFileError(
                f"{where}: part_index must be in [0, num_parts={num_parts}), got {part_index!r}."
            )
        (count, rows, cols), pixels = _idx_payload(image, "image", 2051, 16)
        (lcount,), labels = _idx_payload(label, "label", 2049, 8)
        if lcount != count:
            raise DataFileError(
                f"{where}: image file {os.fspath(image)!r} holds {count} images but label file "
                f"{os.fspath(label)!r} holds {lcount} labels."
            )
        start = int(count / num_parts * part_index)
        end = int(count / num_parts * (part_index + 1))
        img = np.frombuffer(pixels, dtype=np.uint8).reshape(count, rows, cols)[start:end]
        img = img.astype(np.float32) * np.float32(1.0 / 256.0)
        lab = np.frombuffer(labels, dtype=np.uint8)[start:end].astype(np.float32)
        if shuffle:
            perm = np.asarray(_mt19937_shuffle(end - start, int(seed)), dtype=np.int64)
            img, lab = img[perm], lab[perm]
        self._img = (
            img.reshape(len(img), rows * cols) if flat else img.reshape(len(img), 1, rows, cols)
        )
        self._lab = lab
        self._bs = batch_size
        if not silent:  # MXNet logs this line at INFO level
            shape = (batch_size, rows * cols) if flat else (batch_size, 1, rows, cols)
            logging.getLogger(__name__).info(
                "MNISTIter: load %d images, shuffle=%d, shape=%s",
                len(img),
                int(bool(shuffle)),
                shape,
            )
        self._loc = 0
        if len(self._img) < batch_size:
            raise DataFileError(
                f"{where}: batch_size={batch_size} is larger than the {len(self._img)} images "
                f"read from {os.fspath(image)!r}; MNISTIter drops incomplete batches."
            )
        super().__init__(None, data_name=data_name, label_name=label_name, ctx=ctx)

    def _before_first(self) -> None:
        self._loc = 0

    def _next_batch(self) -> Any:
        if self._loc + self._bs > len(self._img):
            return None
        s = slice(self._loc, self._loc + self._bs)
        self._loc += self._bs
        return self._img[s], self._lab[s], 0, None


def _libsvm_rows(
    raw: bytes, path: Any, arg: str, width: int, num_parts: int, part_index: int, shape_desc: str
) -> tuple[list[float], list[list[tuple[int, float]]]]:
    """Labels and ``(column, value)`` lists of the lines of part ``part_index``. Parts split
    the file by bytes, each starting after the first line end at or past its offset, as
    dmlc's line splitter does."""
    total = len(raw)
    step = (total + num_parts - 1) // num_parts

    def boundary(offset: int) -> int:
        if offset <= 0 or offset >= total:
            return min(max(offset, 0), total)
        i = offset
        while i < total and raw[i : i + 1] not in (b"\n", b"\r"):
            i += 1
        while i < total and raw[i : i + 1] in (b"\n", b"\r"):
            i += 1
        return i

    begin, end = boundary(step * part_index), boundary(step * (part_index + 1))
    first_line = raw[:begin].count(b"\n") + 1
    labels, rows = [], []
    for n, line in enumerate(
        raw[begin:end].decode("utf-8", errors="replace").splitlines(), start=first_line
    ):
        tokens = line.split()
        if not tokens:
            continue
        try:
            labels.append(float(tokens[0]) if ":" not in tokens[0] else 0.0)
            feats = []
            for tok in tokens[1:] if ":" not in tokens[0] else tokens:
                col, val = tok.split(":")
                feats.append((int(col), float(val)))
        except ValueError:
            raise DataFileError(
                f"LibSVMIter: {arg} file {os.fspath(path)!r} line {n} is not in LibSVM format "
                f"('<label> <column>:<value> ...'): {line[:60]!r}."
            ) from None
        for col, _ in feats:
            if not 0 <= col < width:
                raise DataFileError(
                    f"LibSVMIter: {arg} file {os.fspath(path)!r} line {n} has column {col}, "
                    f"outside the {width} columns of {shape_desc}."
                )
        rows.append(feats)
    return labels, rows


class LibSVMIter(MXDataIter):
    """Batches from a LibSVM text file (MXNet 1.9's ``LibSVMIter``), given as dense arrays.

    Parameters
    ----------
    data_libsvm : str
        Lines ``<label> <column>:<value> ...`` with 0-based columns.
    data_shape : tuple of int
        ``(num_columns,)``.
    label_libsvm : str, default 'NULL'
        A second LibSVM file whose rows are the labels (then ``label_shape`` has more than one
        element); without it the labels are the first number of each data line.
    label_shape : tuple of int, default (1,)
    batch_size : int
    round_batch : bool, default True
        MXNet supports only True here.
    num_parts, part_index : int, default 1, 0
        Read only one byte-range part of the file.
    data_name, label_name : str
    ctx : Context, optional (gluax addition)

    Notes
    -----
    MXNet returns CSR NDArrays; gluax stores every array densely, so the batches are the same
    values in dense NDArrays.
    """

    def __init__(
        self,
        data_libsvm: str | None = None,
        data_shape: Any = None,
        label_libsvm: str = "NULL",
        label_shape: Any = (1,),
        batch_size: int | None = None,
        round_batch: bool = True,
        num_parts: int = 1,
        part_index: int = 0,
        data_name: str = "data",
        label_name: str = "softmax_label",
        prefetch_buffer: int = 4,
        ctx: Context | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        where = "LibSVMIter"
        _reject_unknown(where, kwargs)
        if data_libsvm is None:
            raise DataFileError(f"{where}: data_libsvm (the path of the data file) is required.")
        if data_shape is None:
            raise DataFileError(f"{where}: data_shape (the number of columns) is required.")
        if batch_size is None:
            raise DataFileError(f"{where}: batch_size is required.")
        if not round_batch:
            raise DataFileError(
                f"{where}: round_batch=False is not supported (nor is it by MXNet 1.9)."
            )
        data_shape = _shape(data_shape, "data_shape", where)
        label_shape = _shape(label_shape, "label_shape", where)
        batch_size = _positive(batch_size, "batch_size", where)
        num_parts = _positive(num_parts, "num_parts", where)
        if not 0 <= int(part_index) < num_parts:
            raise DataFileError(
                f"{where}: part_index must be in [0, num_parts={num_parts}), got {part_index!r}."
            )
        width = int(np.prod(data_shape))
        labels, rows = _libsvm_rows(
            _read_file(data_libsvm, "data_libsvm", where),
            data_libsvm,
            "data_libsvm",
            width,
            num_parts,
            int(part_index),
            f"data_shape={data_shape}",
        )
        if not rows:
            raise DataFileError(
                f"{where}: data_libsvm file {os.fspath(data_libsvm)!r} holds no rows for part {part_index}."
            )
        data = np.zeros((len(rows), width), dtype=np.float32)
        for i, feats in enumerate(rows):
            for col, val in feats:
                data[i, col] = val
        if label_libsvm != "NULL":
            lwidth = int(np.prod(label_shape))
            if lwidth <= 1:
                raise DataFileError(
                    f"{where}: label_shape must have more than one element when label_libsvm is set, got {label_shape}."
                )
            _, lrows = _libsvm_rows(
                _read_file(label_libsvm, "label_libsvm", where),
                label_libsvm,
                "label_libsvm",
                lwidth,
                num_parts,
                int(part_index),
                f"label_shape={label_shape}",
            )
            if len(lrows) < len(rows):
                raise DataFileError(
                    f"{where}: label_libsvm {os.fspath(label_libsvm)!r} has {len(lrows)} rows, "
                    f"fewer than data_libsvm {os.fspath(data_libsvm)!r} ({len(rows)})."
                )
            label = np.zeros((len(rows), lwidth), dtype=np.float32)
            for i, feats in enumerate(lrows[: len(rows)]):
                for col, val in feats:
                    label[i, col] = val
            label = label.reshape((-1,) + label_shape)
        else:
            if int(np.prod(label_shape)) != 1:
                raise DataFileError(
                    f"{where}: label_shape must be (1,) when label_libsvm is not set, got {label_shape}."
                )
            label_shape = (1,)
            label = np.asarray(labels, dtype=np.float32).reshape(-1, 1)
        data = data.reshape((-1,) + data_shape)
        self._loader = _RowBatcher(
            lambda i: (data[i], label[i]),
            len(rows),
            batch_size,
            True,
            data_shape,
            label_shape,
            np.float32,
            np.float32,
            where,
        )
        super().__init__(None, data_name=data_name, label_name=label_name, ctx=ctx)

    def _before_first(self) -> None:
        self._loader.before_first()

    def _next_batch(self) -> Any:
        return self._loader.next_batch()
