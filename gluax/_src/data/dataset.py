"""Datasets: ``Dataset`` and its ``transform``/``filter``/``shard``/``take``/``sample`` views,
``SimpleDataset``, ``ArrayDataset``, ``RecordFileDataset``.

Samples are what MXNet 1.9 returns (NDArrays where MXNet gives NDArrays). While the DataLoader
collects samples for a batch it may switch gluax's own datasets to *numpy items*
(``numpy_items()``): they then hand out the numpy arrays they store, gluax's transforms keep
them in numpy, and the batch becomes one NDArray at the end, instead of one NDArray per sample
(each costs tens of microseconds on the host). The DataLoader does this only when every step
between the stored data and the batch is gluax's own code (see ``numpy_safe``), so user code
always sees NDArrays as in MXNet.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from gluax._src.data.recordio import MXIndexedRecordIO
from gluax._src.data.sampler import FilterSampler, Sampler, SequentialSampler
from gluax._src.data._worker import NDArray  # no JAX import: workers unpickle this module
from gluax._src.data._worker import nd_array as _nd_array


class _ItemMode(threading.local):
    numpy = False


ITEM_MODE = _ItemMode()


@contextmanager
def numpy_items(on: bool = True) -> Iterator[None]:
    """Within this block (in this thread), gluax's datasets return stored arrays as numpy."""
    prev, ITEM_MODE.numpy = ITEM_MODE.numpy, on
    try:
        yield
    finally:
        ITEM_MODE.numpy = prev


def as_item(arr: np.ndarray, ctx: Any = None) -> Any:
    """A stored numpy array as a sample: an NDArray (MXNet's type), or the numpy array itself
    under ``numpy_items()``."""
    if ITEM_MODE.numpy:
        return arr
    return _nd_array(arr, ctx=ctx, dtype=arr.dtype)


def numpy_safe(dataset: Any) -> bool:
    """Whether the samples of ``dataset`` may be collected as numpy: true when ``dataset`` is
    a numpy array, or a gluax dataset whose every step (including transforms) is gluax's own
    and accepts numpy."""
    if isinstance(dataset, np.ndarray):
        return True
    check = getattr(dataset, "_numpy_safe", None)
    if check is None or not type(dataset).__module__.startswith("gluax._src.data"):
        return False
    return bool(check())


def known_transform(fn: Any) -> bool:
    """Whether ``fn`` is a gluax transform that maps numpy to numpy."""
    from gluax._src.data.vision.transforms import is_host_transform

    if isinstance(fn, _TransformFirstClosure):
        return known_transform(fn._fn)
    return is_host_transform(fn)


class Dataset:
    """Abstract dataset: override ``__getitem__`` (the i-th sample) and ``__len__``.

    Notes
    -----
    A numpy array or an NDArray can be used directly as a dataset.
    """

    def __getitem__(self, idx: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__.")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__.")

    def _numpy_safe(self) -> bool:
        return False

    def filter(self, fn: Callable[[Any], bool]) -> Dataset:
        """A dataset of the samples for which ``fn(sample)`` is true (evaluated now, once)."""
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards: int, index: int) -> Dataset:
        """The ``index``-th of ``num_shards`` contiguous, near-equal parts (the first
        ``len % num_shards`` parts get one sample more). Shard before shuffling."""
        if num_shards <= 0:
            raise ValueError(f"Dataset.shard: num_shards must be positive, got {num_shards}.")
        if not 0 <= index < num_shards:
            raise ValueError(f"Dataset.shard: index must be in [0, {num_shards}), got {index}.")
        length = len(self)
        shard_len, rest = divmod(length, num_shards)
        start = shard_len * index + min(index, rest)
        end = start + shard_len + (index < rest)
        return _SampledDataset(self, SequentialSampler(end - start, start))

    def take(self, count: int | None) -> Dataset:
        """The first ``count`` samples (all of them if ``count`` is None or too large)."""
        if count is None or count > len(self):
            count = len(self)
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler: Sampler) -> Dataset:
        """The samples at the indices ``sampler`` yields (drawn now, once)."""
        if not isinstance(sampler, Sampler):
            raise TypeError(
                f"Dataset.sample: expected a gluon.data.Sampler, got {type(sampler).__name__}."
            )
        return _SampledDataset(self, sampler)

    def transform(self, fn: Callable[..., Any], lazy: bool = True) -> Dataset:
        """A dataset whose samples are ``fn(*sample)`` (``fn(sample)`` if it is not a tuple).

        With ``lazy=False`` every sample is transformed now and kept; do not use that with a
        random ``fn``, or every epoch sees the same draw."""
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn: Callable[[Any], Any], lazy: bool = True) -> Dataset:
        """Like ``transform``, but ``fn`` gets and replaces only the first field (the image).

        Examples
        --------
        >>> import numpy as np
        >>> from gluax.gluon.data import ArrayDataset
        >>> ds = ArrayDataset([0, 1, 2], [7, 8, 9]).transform_first(lambda x: x * 10)
        >>> ds[2]
        (20, 9)
        """
        return self.transform(_TransformFirstClosure(fn), lazy)


class SimpleDataset(Dataset):
    """Wraps anything with ``len()`` and ``[]`` (a list, an array).

    Parameters
    ----------
    data : dataset-like
    """

    def __init__(self, data: Any) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]

    def _numpy_safe(self) -> bool:
        # The items are the user's own objects, never converted: numpy items change nothing.
        return not isinstance(self._data, Dataset) or numpy_safe(self._data)


class _LazyTransformDataset(Dataset):
    def __init__(self, data: Any, fn: Callable[..., Any]) -> None:
        self._data, self._fn = data, fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)

    def _numpy_safe(self) -> bool:
        return known_transform(self._fn) and numpy_safe(self._data)


class _TransformFirstClosure:
    """``fn`` on the first field only (a class, not a closure, so that it pickles)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self._fn = fn

    def __call__(self, x: Any, *args: Any) -> Any:
        if args:
            return (self._fn(x),) + args
        return self._fn(x)


class _SampledDataset(Dataset):
    def __init__(self, dataset: Any, sampler: Sampler) -> None:
        self._dataset, self._sampler = dataset, sampler
        self._indices = list(iter(sampler))

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, idx: int) -> Any:
        return self._dataset[self._indices[idx]]

    def _numpy_safe(self) -> bool:
        return numpy_safe(self._dataset)


class NDArrayColumn:
    """An NDArray used as a column of a dataset. Rows are read from a host (numpy) view, so
    reading a sample needs no operator call; the view follows in-place writes to the array."""

    def __init__(self, data: NDArray) -> None:
        self._nd = data
        self._seen: Any = None
        self._host: np.ndarray | None = None

    def host(self) -> np.ndarray:
        value = self._nd.data
        if value is not self._seen:
            self._host, self._seen = np.asarray(value), value
        return self._host  # type: ignore[return-value]

    def __len__(self) -> int:
        return self._nd.shape[0]

    def __getitem__(self, idx: Any) -> Any:
        row = self.host()[idx]
        if np.ndim(row) == 0:  # MXNet 1.x has no 0-d arrays: an element of a 1-D array is (1,)
            row = np.reshape(row, (1,))
        return as_item(row, self._nd.context)

    def __getstate__(self) -> dict[str, Any]:
        return {"host": self.host(), "ctx": self._nd.context}

    def __setstate__(self, d: dict[str, Any]) -> None:
        self._nd = _nd_array(d["host"], ctx=d["ctx"], dtype=d["host"].dtype)
        self._seen, self._host = self._nd.data, d["host"]


class ArrayDataset(Dataset):
    """Zips dataset-likes of equal length: sample ``i`` is ``(a[i], b[i], ...)``, or ``a[i]``
    alone for one argument.

    Parameters
    ----------
    *args : dataset-like
        Arrays, lists, Datasets, ... A 1-D NDArray is converted to numpy (so its samples are
        numpy scalars), as in MXNet.

    Examples
    --------
    >>> import numpy as np
    >>> from gluax.gluon.data import ArrayDataset
    >>> ds = ArrayDataset(np.zeros((4, 2)), [0, 1, 0, 1])
    >>> len(ds), ds[1][0].shape, ds[1][1]
    (4, (2,), 1)
    """

    def __init__(self, *args: Any) -> None:
        if not args:
            raise ValueError("ArrayDataset needs at least one array.")
        self._length = len(args[0])
        self._data: list[Any] = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise ValueError(
                    f"ArrayDataset: all arrays must have the same length; array 0 has length "
                    f"{self._length}, array {i} has {len(data)}."
                )
            if isinstance(data, NDArray):
                data = data.asnumpy() if data.ndim == 1 else NDArrayColumn(data)
            self._data.append(data)

    def __getitem__(self, idx: int) -> Any:
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self) -> int:
        return self._length

    def _numpy_safe(self) -> bool:
        return all(
            numpy_safe(d) if isinstance(d, Dataset) else not isinstance(d, NDArray)
            for d in self._data
        )


class RecordFileDataset(Dataset):
    """The raw records (bytes) of a RecordIO file; needs the ``.idx`` next to the ``.rec``.

    Parameters
    ----------
    filename : str
        Path to the ``.rec`` file; the index is the same path with ``.idx``.
    """

    def __init__(self, filename: str) -> None:
        self.idx_file = os.path.splitext(filename)[0] + ".idx"
        self.filename = filename
        self._record = MXIndexedRecordIO(self.idx_file, self.filename, "r")

    def __getitem__(self, idx: int) -> bytes:
        return self._record.read_idx(self._record.keys[idx])

    def __len__(self) -> int:
        return len(self._record.keys)

    def _numpy_safe(self) -> bool:
        return True
