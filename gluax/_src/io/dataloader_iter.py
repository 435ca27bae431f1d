"""``mx.contrib.io.DataLoaderIter``: a Gluon ``DataLoader`` seen as a ``DataIter``."""

from __future__ import annotations

from typing import Any

import numpy as np

from gluax._src.engine.ndarray import NDArray
from gluax._src.io.io import DataDesc, DataIter
from gluax._src.ops.creation import array as _nd_array


class DataLoaderIter(DataIter):
    """Wrap a ``gluon.data.DataLoader`` yielding ``(data, label)`` batches as a ``DataIter``
    (for code written against ``mx.io``).

    The batch size is the first batch's; a shorter last batch is padded at the end (with
    zeros) and ``pad`` counts the padding.

    Parameters
    ----------
    loader : gluon.data.DataLoader
    data_name : str, default 'data'
    label_name : str, default 'softmax_label'
    dtype : str, default 'float32'
        Batches are cast to this type.

    Notes
    -----
    MXNet leaves the padding of the last batch uninitialised; gluax fills it with zeros.
    """

    def __init__(
        self,
        loader: Any,
        data_name: str = "data",
        label_name: str = "softmax_label",
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        self._loader = loader
        self._iter = iter(loader)
        try:
            first = next(self._iter)
        except StopIteration:
            raise ValueError("DataLoaderIter: the DataLoader yields no batch.") from None
        if not isinstance(first, (list, tuple)) or len(first) != 2:
            raise TypeError(
                "DataLoaderIter: the DataLoader must yield (data, label) pairs, got "
                f"{type(first).__name__}"
                + (f" of length {len(first)}." if isinstance(first, (list, tuple)) else ".")
            )
        data, label = first
        self.batch_size = data.shape[0]
        self.dtype = dtype
        self.provide_data = [DataDesc(data_name, tuple(data.shape), dtype)]
        self.provide_label = [DataDesc(label_name, tuple(label.shape), dtype)]
        self._current_batch: Any = None
        self.reset()

    def reset(self) -> None:
        self._iter = iter(self._loader)

    def iter_next(self) -> bool:
        try:
            self._current_batch = next(self._iter)
        except StopIteration:
            self._current_batch = None
        return self._current_batch is not None

    def _padded(self, x: Any) -> NDArray:
        x = x if isinstance(x, NDArray) else _nd_array(np.asarray(x))
        x = x.astype(self.dtype)
        if self.getpad():
            full = np.zeros((self.batch_size,) + tuple(x.shape[1:]), dtype=np.dtype(self.dtype))
            full[: x.shape[0]] = x.asnumpy()
            return _nd_array(full, x.context, dtype=self.dtype)
        return x

    def getdata(self) -> list[NDArray]:
        return [self._padded(self._current_batch[0])]

    def getlabel(self) -> list[NDArray]:
        return [self._padded(self._current_batch[1])]

    def getpad(self) -> int:
        return self.batch_size - self._current_batch[0].shape[0]

    def getindex(self) -> None:
        return None
