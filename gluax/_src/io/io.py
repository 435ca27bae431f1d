"""``mx.io``'s Python iterators: ``DataDesc``, ``DataBatch``, ``DataIter``, ``NDArrayIter``,
``ResizeIter`` and ``PrefetchingIter``, with MXNet 1.9's batching, padding and roll-over rules.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from typing import Any

import numpy as np

from gluax._src.engine.ndarray import NDArray
from gluax._src.io.utils import _init_data
from gluax._src.ops.creation import array as _nd_array

_LAST_BATCH = ("pad", "discard", "roll_over")


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name, shape, dtype and layout of one input or label of a data iterator.

    A ``DataDesc`` is a ``(name, shape)`` tuple (so ``name, shape = desc`` works) with two more
    attributes, ``dtype`` and ``layout``.

    Parameters
    ----------
    name : str
    shape : tuple of int
    dtype : numpy dtype, default numpy.float32
    layout : str, default 'NCHW'
        What each axis means; the position of ``'N'`` is the batch axis.

    Examples
    --------
    >>> d = DataDesc("data", (2, 3))
    >>> d.name, d.shape, d.layout
    ('data', (2, 3), 'NCHW')
    """

    def __new__(
        cls, name: str, shape: Any, dtype: Any = np.float32, layout: str = "NCHW"
    ) -> DataDesc:
        ret = super().__new__(cls, name, shape)
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout: str | None) -> int:
        """The axis of ``'N'`` in ``layout`` (0 when layout is None, -1 when it has no N)."""
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(shapes: Any, types: Any) -> list[DataDesc]:
        """``DataDesc`` list from ``[(name, shape)]`` and optional ``[(name, dtype)]``."""
        if types is not None:
            type_dict = dict(types)
            return [DataDesc(x[0], x[1], type_dict[x[0]]) for x in shapes]
        return [DataDesc(x[0], x[1]) for x in shapes]


class DataBatch:
    """One batch from a data iterator.

    Parameters
    ----------
    data : list of NDArray
    label : list of NDArray, optional
    pad : int, optional
        How many examples at the end of the batch are padding (to be ignored in prediction).
    index : numpy.ndarray, optional
        The indices of the examples in this batch.
    bucket_key : int, optional
    provide_data, provide_label : list of DataDesc, optional
    """

    def __init__(
        self,
        data: Any,
        label: Any = None,
        pad: int | None = None,
        index: Any = None,
        bucket_key: Any = None,
        provide_data: Any = None,
        provide_label: Any = None,
    ) -> None:
        if data is not None and not isinstance(data, (list, tuple)):
            raise TypeError(
                f"DataBatch: data must be a list of NDArrays, got {type(data).__name__}."
            )
        if label is not None and not isinstance(label, (list, tuple)):
            raise TypeError(
                f"DataBatch: label must be a list of NDArrays, got {type(label).__name__}."
            )
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self) -> str:
        data_shapes = [d.shape for d in self.data]
        label_shapes = [lab.shape for lab in self.label] if self.label else None
        return f"{type(self).__name__}: data shapes: {data_shapes} label shapes: {label_shapes}"


class DataIter:
    """Base class of the data iterators: ``next()`` returns a :class:`DataBatch` until the
    epoch ends with ``StopIteration``; ``reset()`` starts the next epoch.

    Subclasses implement ``iter_next``, ``getdata``, ``getlabel``, ``getpad`` (and optionally
    ``getindex``) or override ``next`` directly.

    Parameters
    ----------
    batch_size : int, default 0
    """

    def __init__(self, batch_size: int = 0) -> None:
        self.batch_size = batch_size

    def __iter__(self) -> DataIter:
        return self

    def reset(self) -> None:
        """Go back to the first batch."""

    def next(self) -> DataBatch:
        """The next batch; raises ``StopIteration`` at the end of the epoch."""
        if self.iter_next():
            return DataBatch(
                data=self.getdata(), label=self.getlabel(), pad=self.getpad(), index=self.getindex()
            )
        raise StopIteration

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> bool | None:
        """Move to the next batch; whether there was one."""

    def getdata(self) -> Any:
        """The data of the current batch."""

    def getlabel(self) -> Any:
        """The label of the current batch."""

    def getindex(self) -> Any:
        """The indices of the current batch's examples (None when unknown)."""
        return None

    def getpad(self) -> Any:
        """How many examples of the current batch are padding."""


class ResizeIter(DataIter):
    """Make ``data_iter`` yield exactly ``size`` batches per epoch, restarting it when it ends
    early and stopping it when it would run longer.

    Parameters
    ----------
    data_iter : DataIter
    size : int
        Batches per epoch.
    reset_internal : bool, default True
        Whether ``reset()`` also resets ``data_iter`` (False carries on where it stopped).
    """

    def __init__(self, data_iter: DataIter, size: int, reset_internal: bool = True) -> None:
        super().__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch: DataBatch | None = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self) -> None:
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self) -> bool:
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True

    def getdata(self) -> Any:
        return self.current_batch.data

    def getlabel(self) -> Any:
        return self.current_batch.label

    def getindex(self) -> Any:
        return self.current_batch.index

    def getpad(self) -> Any:
        return self.current_batch.pad


class PrefetchingIter(DataIter):
    """Read the next batch of one or several iterators in background threads while the
    current one is used. The batches of several iterators are joined: their data lists and
    label lists are concatenated.

    Parameters
    ----------
    iters : DataIter or list of DataIter
    rename_data : list of dict, optional
        One ``{old_name: new_name}`` per iterator, applied to ``provide_data``.
    rename_label : list of dict, optional
        The same for ``provide_label``.

    Notes
    -----
    gluax uses threads only, never processes: a worker process would import JAX again.
    Call ``close()`` (or drop the iterator) to stop the threads.
    """

    def __init__(self, iters: Any, rename_data: Any = None, rename_label: Any = None) -> None:
        super().__init__()
        if not isinstance(iters, list):
            iters = [iters]
        if not iters:
            raise ValueError("PrefetchingIter: iters must hold at least one DataIter, got [].")
        self.n_iter = len(iters)
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self._ready = [threading.Event() for _ in iters]
        self._taken = [threading.Event() for _ in iters]
        for ev in self._taken:
            ev.set()
        self._running = True
        self.current_batch: DataBatch | None = None
        self._next: list[Any] = [None] * self.n_iter
        self._errors: list[BaseException | None] = [None] * self.n_iter
        self._threads = [
            threading.Thread(
                target=self._fetch, args=(i,), daemon=True, name=f"PrefetchingIter-{i}"
            )
            for i in range(self.n_iter)
        ]
        for t in self._threads:
            t.start()

    def _fetch(self, i: int) -> None:
        while True:
            self._taken[i].wait()
            if not self._running:
                return
            try:
                self._next[i] = self.iters[i].next()
            except StopIteration:
                self._next[i] = None
            except BaseException as err:  # noqa: BLE001 - handed to the consumer thread
                self._next[i], self._errors[i] = None, err
            self._taken[i].clear()
            self._ready[i].set()

    def close(self) -> None:
        """Stop the prefetching threads."""
        if not getattr(self, "_running", False):
            return
        self._running = False
        for ev in self._taken:
            ev.set()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join()

    def __del__(self) -> None:
        self.close()

    def _renamed(self, attr: str, renames: Any) -> list[DataDesc]:
        if renames is None:
            return sum([list(getattr(it, attr)) for it in self.iters], [])
        out = []
        for rename, it in zip(renames, self.iters):
            for x in getattr(it, attr):
                if isinstance(x, DataDesc):
                    out.append(DataDesc(rename[x.name], x.shape, x.dtype))
                else:
                    out.append(DataDesc(*x))
        return out

    @property
    def provide_data(self) -> list[DataDesc]:
        """The inputs of all iterators, renamed by ``rename_data``."""
        return self._renamed("provide_data", self.rename_data)

    @property
    def provide_label(self) -> list[DataDesc]:
        """The labels of all iterators, renamed by ``rename_label``."""
        return self._renamed("provide_label", self.rename_label)

    def _raise_worker_error(self) -> None:
        for i, err in enumerate(self._errors):
            if err is not None:
                self._errors[i] = None
                raise err

    def reset(self) -> None:
        for ev in self._ready:
            ev.wait()
        self._raise_worker_error()
        for it in self.iters:
            it.reset()
        for ev in self._ready:
            ev.clear()
        for ev in self._taken:
            ev.set()

    def iter_next(self) -> bool:
        for ev in self._ready:
            ev.wait()
        self._raise_worker_error()
        batches = self._next
        if batches[0] is None:
            if any(b is not None for b in batches):
                raise ValueError(
                    "PrefetchingIter: the iterators do not have the same number of batches."
                )
            return False
        if any(b is None or b.pad != batches[0].pad for b in batches):
            raise ValueError(
                "PrefetchingIter: the iterators do not have the same number of examples."
            )
        self.current_batch = DataBatch(
            sum([list(b.data) for b in batches], []),
            sum([list(b.label or []) for b in batches], []),
            batches[0].pad,
            batches[0].index,
            provide_data=self.provide_data,
            provide_label=self.provide_label,
        )
        for ev in self._ready:
            ev.clear()
        for ev in self._taken:
            ev.set()
        return True

    def next(self) -> DataBatch:
        if self.iter_next():
            return self.current_batch
        raise StopIteration

    def getdata(self) -> Any:
        return self.current_batch.data

    def getlabel(self) -> Any:
        return self.current_batch.label

    def getindex(self) -> Any:
        return self.current_batch.index

    def getpad(self) -> Any:
        return self.current_batch.pad


class NDArrayIter(DataIter):
    """Iterate in batches over in-memory arrays (NDArray or numpy), as MXNet 1.9 does.

    Parameters
    ----------
    data : array, list of arrays or dict of name to array
        Named ``data_name`` when one array; ``_0_<data_name>``, ``_1_<data_name>``... when a
        list of several; a dict's keys otherwise. Inputs are listed in name order.
    label : same forms as data, optional
    batch_size : int, default 1
    shuffle : bool, default False
        Reorder the examples (with numpy's global generator) at construction and each reset.
    last_batch_handle : {'pad', 'discard', 'roll_over'}, default 'pad'
        ``'pad'``: the last batch is completed with examples from the start and ``pad``
        counts them. ``'discard'``: an incomplete last batch is dropped. ``'roll_over'``: the
        incomplete last batch is dropped from this epoch and its examples start the next
        epoch's first batch (completed by that epoch's first examples; its ``pad`` reports
        how many examples came from the previous epoch).
    data_name : str, default 'data'
    label_name : str, default 'softmax_label'
    layout : str, default 'NCHW'
        The position of ``'N'`` is the batch axis used for slicing.

    Notes
    -----
    As in MXNet 1.9: numpy inputs become float32 NDArrays; shuffling makes every array
    float32 (MXNet rebuilds the arrays with ``nd.array``); a shuffled epoch reorders the
    previous epoch's order. Sparse (CSR) inputs are not supported: gluax stores every array
    densely.

    Examples
    --------
    >>> import numpy as np
    >>> it = NDArrayIter(np.arange(5), batch_size=2, last_batch_handle="pad")
    >>> [(b.data[0].asnumpy().tolist(), b.pad) for b in it]
    [([0.0, 1.0], 0), ([2.0, 3.0], 0), ([4.0, 0.0], 1)]
    """

    def __init__(
        self,
        data: Any,
        label: Any = None,
        batch_size: int = 1,
        shuffle: bool = False,
        last_batch_handle: str = "pad",
        data_name: str = "data",
        label_name: str = "softmax_label",
        layout: str = "NCHW",
    ) -> None:
        super().__init__(batch_size)
        if last_batch_handle not in _LAST_BATCH:
            raise ValueError(
                f"NDArrayIter: last_batch_handle must be one of {_LAST_BATCH}, "
                f"got {last_batch_handle!r}."
            )
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(
                f"NDArrayIter: batch_size must be a positive integer, got {batch_size!r}."
            )
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        self._check_lengths()
        self.idx = np.arange(self.data[0][1].shape[0])
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = int(batch_size)
        self.cursor = -self.batch_size
        self.num_data = self.idx.shape[0]
        self.layout = layout
        self._cache_data: list[NDArray] | None = None
        self._cache_label: list[NDArray] | None = None
        self._host: dict[int, np.ndarray] = {}
        self.reset()
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]
        self.num_source = len(self.data_list)

    def _check_lengths(self) -> None:
        name0, arr0 = self.data[0]
        for kind, source in (("data", self.data), ("label", self.label)):
            for name, arr in source:
                if arr.ndim == 0:
                    raise ValueError(
                        f"NDArrayIter: {kind} {name!r} must have a batch axis, got a scalar."
                    )
                if arr.shape[0] != arr0.shape[0]:
                    raise ValueError(
                        f"NDArrayIter: {kind} {name!r} has {arr.shape[0]} examples (shape "
                        f"{tuple(arr.shape)}) but data {name0!r} has {arr0.shape[0]} (shape "
                        f"{tuple(arr0.shape)}); data and label need the same length."
                    )

    @property
    def _batch_axis(self) -> int:
        return self.layout.find("N")

    def _descs(self, source: list[tuple[str, NDArray]]) -> list[DataDesc]:
        ax = self._batch_axis
        return [
            DataDesc(
                k,
                tuple(list(v.shape[:ax]) + [self.batch_size] + list(v.shape[ax + 1 :])),
                v.dtype,
                layout=self.layout,
            )
            for k, v in source
        ]

    @property
    def provide_data(self) -> list[DataDesc]:
        """Name, batch shape, dtype and layout of each input."""
        return self._descs(self.data)

    @property
    def provide_label(self) -> list[DataDesc]:
        """Name, batch shape, dtype and layout of each label."""
        return self._descs(self.label)

    def hard_reset(self) -> None:
        """Reset ignoring roll-over: the next epoch starts at the first example."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self) -> None:
        if self.shuffle:
            self._shuffle_data()
        # MXNet 1.9: after a rolled-over epoch the cursor starts negative, so the first batch
        # of the next epoch takes the cached tail of the previous one.
        if (
            self.last_batch_handle == "roll_over"
            and self.num_data - self.batch_size < self.cursor < self.num_data
        ):
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self) -> bool:
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[self._batch_axis] != self.batch_size:
            # an incomplete last batch (discard / roll_over): kept for roll_over's next epoch
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _host_array(self, arr: NDArray) -> np.ndarray:
        # one host copy per source array: slicing a batch must not copy the whole array back
        host = self._host.get(id(arr))
        if host is None:
            host = self._host[id(arr)] = arr.asnumpy()
        return host

    def _getdata(
        self, source: list[tuple[str, NDArray]], start: int | None = None, end: int | None = None
    ) -> list[NDArray]:
        start = 0 if start is None else start
        if end is None:
            end = source[0][1].shape[0] if source else 0
        if end > self.num_data:
            # MXNet 1.9 fails here too (slice_axis past the end): roll_over with a batch
            # larger than the data set runs out of examples to complete the rolled-over batch.
            raise ValueError(
                f"NDArrayIter: cannot complete a rolled-over batch of batch_size={self.batch_size} "
                f"from {self.num_data} examples; use batch_size <= {self.num_data} or "
                "last_batch_handle='pad'."
            )
        ax = self._batch_axis
        out = []
        for _, arr in source:
            index = [slice(None)] * arr.ndim
            index[ax] = slice(start, end)
            piece = self._host_array(arr)[tuple(index)]
            out.append(_nd_array(piece, arr.context, dtype=arr.dtype))
        return out

    def _concat(self, first: list[NDArray], second: list[NDArray]) -> list[NDArray]:
        if not first or not second:
            return first if first else second
        ax = self._batch_axis
        return [
            _nd_array(np.concatenate([a.asnumpy(), b.asnumpy()], axis=ax), a.context, dtype=a.dtype)
            for a, b in zip(first, second)
        ]

    def _tile(self, data: list[NDArray], repeats: int) -> list[NDArray]:
        return [
            _nd_array(
                np.tile(d.asnumpy(), [repeats] + [1] * (d.ndim - 1)), d.context, dtype=d.dtype
            )
            for d in data
        ]

    def _batchify(self, source: list[tuple[str, NDArray]]) -> list[NDArray]:
        if self.cursor >= self.num_data:
            raise RuntimeError("NDArrayIter: the epoch is over; call reset() first.")
        bs, n = self.batch_size, self.num_data
        if self.last_batch_handle == "roll_over" and -bs < self.cursor < 0:
            # first batch after a roll-over: the cached tail, then this epoch's first examples.
            # getdata consumes the data cache, getlabel (called after it) the label cache.
            if self._cache_data is None and self._cache_label is None:
                raise RuntimeError(
                    "NDArrayIter: roll_over has no cached batch to start the epoch with."
                )
            if self._cache_data is not None:
                cached, self._cache_data = self._cache_data, None
            else:
                cached, self._cache_label = self._cache_label, None
            return self._concat(cached, self._getdata(source, end=self.cursor + bs))
        if self.last_batch_handle == "pad" and self.cursor + bs > n:
            pad = bs - n + self.cursor
            first = self._getdata(source, start=self.cursor)
            if pad > n:
                second = self._tile(self._getdata(source, end=n), pad // n)
                if pad % n != 0:
                    second = self._concat(second, self._getdata(source, end=pad % n))
            else:
                second = self._getdata(source, end=pad)
            return self._concat(first, second)
        return self._getdata(source, self.cursor, min(self.cursor + bs, n))

    def getdata(self) -> list[NDArray]:
        return self._batchify(self.data)

    def getlabel(self) -> list[NDArray]:
        return self._batchify(self.label)

    def getpad(self) -> int:
        bs = self.batch_size
        if self.last_batch_handle == "pad" and self.cursor + bs > self.num_data:
            return self.cursor + bs - self.num_data
        if self.last_batch_handle == "roll_over" and -bs < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self) -> None:
        # MXNet 1.9 shuffles the index in place and reorders the (already reordered) arrays by
        # it, with numpy's global generator: the same seed gives MXNet's batches. It rebuilds
        # the arrays with nd.array, so they become float32 (_getdata_by_idx); this does the
        # same from the host copies, without reading the arrays back from the device.
        np.random.shuffle(self.idx)
        host: dict[int, np.ndarray] = {}
        for attr in ("data", "label"):
            shuffled = []
            for name, arr in getattr(self, attr):
                values = self._host_array(arr)[self.idx].astype(np.float32)
                new = _nd_array(values, arr.context)
                host[id(new)] = values
                shuffled.append((name, new))
            setattr(self, attr, shuffled)
        self._host = host
