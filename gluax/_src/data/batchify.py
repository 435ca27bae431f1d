"""Batchify functions: how a list of samples becomes a batch.

``default_batchify_fn`` is MXNet 1.9's: NDArrays are stacked, tuples are batchified field by
field (giving a list), anything else goes through ``np.asarray`` and keeps its dtype. ``Stack``,
``Pad``, ``Append``, ``Group`` (alias ``Tuple``) and ``AsList`` are MXNet 2.0's
``gluon.data.batchify`` (GluonNLP's before that); MXNet 1.9 has no such module.

Inside a DataLoader worker process the arrays of a batch stay numpy (``WireArray``) and become
NDArrays in the main process.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from gluax._src.data._worker import NDArray  # no JAX import: workers unpickle this module
from gluax._src.data._worker import nd_array as _nd_array

if TYPE_CHECKING:
    from gluax._src.engine.context import Context


class _Where(threading.local):
    in_worker = False


WHERE = _Where()


class WireArray:
    """A batch array made in a worker process; the main process turns it into an NDArray."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __reduce__(self) -> Any:
        return (WireArray, (self.array,))


def make_batch_array(arr: np.ndarray, ctx: Context | None = None) -> Any:
    """A stacked numpy batch as the batch array: an NDArray of the same dtype (int64 and
    float64 become int32 and float32 unless jax runs with x64 enabled), or a ``WireArray``
    in a worker process."""
    if arr.dtype == object:
        raise ValueError(
            "batchify: the samples cannot be stacked into one array (different shapes or "
            "non-numeric values). Pad them (gluon.data.batchify.Pad), or pass a batchify_fn."
        )
    if WHERE.in_worker:
        return WireArray(arr)
    from gluax._src.engine import npmode  # (here: workers import no JAX)

    if npmode.is_np_array():  # numpy mode: batches are mx.np.ndarray
        from gluax._src.numpy.multiarray import to_np

        return to_np(_nd_array(arr, ctx=ctx, dtype=arr.dtype))
    return _nd_array(arr, ctx=ctx, dtype=arr.dtype)


def _stack_numpy(data: list[Any]) -> np.ndarray:
    try:
        return np.stack(data)
    except ValueError:
        shapes = sorted({tuple(np.shape(d)) for d in data})
        raise ValueError(
            f"batchify: cannot stack samples of different shapes {shapes[:6]}. Resize or pad "
            "them to one shape (transforms.Resize, gluon.data.batchify.Pad), or pass a "
            "batchify_fn."
        ) from None


def _stack_ndarrays(data: list[NDArray]) -> Any:
    ctx = data[0].context
    # Host arrays: stack in numpy and make one array (no compilation per batch shape).
    return make_batch_array(_stack_numpy([d.asnumpy() for d in data]), ctx)


def default_batchify_fn(data: list[Any]) -> Any:
    """Collate samples into a batch, as MXNet 1.9's ``default_batchify_fn``.

    Examples
    --------
    >>> import numpy as np
    >>> from gluax.gluon.data.dataloader import default_batchify_fn
    >>> x, y = default_batchify_fn([(np.zeros(2), 1), (np.ones(2), 0)])
    >>> x.shape, y.asnumpy().tolist()
    ((2, 2), [1, 0])
    """
    if isinstance(data[0], NDArray):
        return _stack_ndarrays(data)
    if isinstance(data[0], tuple):
        return [default_batchify_fn(list(field)) for field in zip(*data)]
    if isinstance(data[0], np.ndarray) and data[0].ndim > 0:
        return make_batch_array(_stack_numpy(data))
    return make_batch_array(np.asarray(data))


def default_mp_batchify_fn(data: list[Any]) -> Any:
    """``default_batchify_fn`` for worker processes (MXNet's stacks into shared memory; gluax
    sends numpy arrays to the main process, where they become NDArrays)."""
    return default_batchify_fn(data)


class Stack:
    """Stacks samples of one shape into a batch (a tuple/list sample: field by field).

    Parameters
    ----------
    use_shared_mem : bool, default False
        Accepted for compatibility; ignored.

    Examples
    --------
    >>> from gluax.gluon.data import batchify
    >>> batchify.Stack()([[1, 2], [3, 4], [5, 6]]).shape
    (3, 2)
    """

    def __init__(self, use_shared_mem: bool = False) -> None:
        self._use_shared_mem = use_shared_mem

    def __call__(self, data: list[Any]) -> Any:
        if isinstance(data[0], NDArray):
            return _stack_ndarrays(data)
        if isinstance(data[0], (tuple, list)) and not _is_number_seq(data[0]):
            return [self(list(field)) for field in zip(*data)]
        return make_batch_array(_stack_numpy([np.asarray(d) for d in data]))


def _is_number_seq(x: Any) -> bool:
    return all(isinstance(v, (int, float, bool, np.number)) for v in x)


class Pad:
    """Pads samples to the largest size along every axis with ``val``, then stacks them.

    Parameters
    ----------
    val : number, default 0
    dtype : str or numpy dtype, optional
        Output dtype (default: the samples').
    round_to : int, optional
        Round every padded size up to a multiple of this.
    use_shared_mem : bool, default False
        Accepted for compatibility; ignored.

    Examples
    --------
    >>> from gluax.gluon.data import batchify
    >>> batchify.Pad(val=-1)([[1, 2, 3], [4, 5]]).asnumpy().tolist()
    [[1, 2, 3], [4, 5, -1]]
    """

    def __init__(
        self,
        val: Any = None,
        dtype: Any = None,
        round_to: int | None = None,
        use_shared_mem: bool = False,
    ) -> None:
        self._pad_val = 0 if val is None else val
        self._dtype = dtype
        self._round_to = round_to
        self._use_shared_mem = use_shared_mem

    def __call__(self, data: list[Any]) -> Any:
        if not isinstance(data[0], (NDArray, np.ndarray, list)):
            raise NotImplementedError(
                "Pad: each sample must be one array or list; for samples with several fields "
                "use Group(Pad(), Stack(), ...)."
            )
        ctx = data[0].context if isinstance(data[0], NDArray) else None
        arrs = [d.asnumpy() if isinstance(d, NDArray) else np.asarray(d) for d in data]
        ndims = {a.ndim for a in arrs}
        if len(ndims) != 1:
            raise ValueError(
                f"Pad: samples must have the same number of axes, got {sorted(ndims)}."
            )
        dtype = np.dtype(self._dtype) if self._dtype is not None else arrs[0].dtype
        shape = [max(a.shape[k] for a in arrs) for k in range(arrs[0].ndim)]
        if self._round_to:
            shape = [self._round_to * math.ceil(s / self._round_to) for s in shape]
        out = np.full([len(arrs)] + shape, self._pad_val, dtype=dtype)
        for i, a in enumerate(arrs):
            out[(i,) + tuple(slice(0, s) for s in a.shape)] = a
        return make_batch_array(out, ctx)


class Append:
    """Returns the samples as a list of arrays, each with a new batch axis (``expand``), for
    samples of different shapes.

    Parameters
    ----------
    expand : bool, default True
    batch_axis : int, default 0
    use_shared_mem : bool, default False
        Accepted for compatibility; ignored.
    """

    def __init__(
        self, expand: bool = True, batch_axis: int = 0, use_shared_mem: bool = False
    ) -> None:
        self._expand, self._batch_axis = expand, batch_axis

    def __call__(self, data: list[Any]) -> list[Any]:
        out = []
        for d in data:
            arr = d.asnumpy() if isinstance(d, NDArray) else np.asarray(d)
            if self._expand:
                arr = np.expand_dims(arr, self._batch_axis)
            out.append(make_batch_array(arr, d.context if isinstance(d, NDArray) else None))
        return out


class Group:
    """Applies the ``i``-th batchify function to the ``i``-th field of every sample.

    Parameters
    ----------
    fn : callable, or list/tuple of callables
    *args : callable
        More functions (``Group(a, b)`` or ``Group([a, b])``).

    Examples
    --------
    >>> from gluax.gluon.data import batchify
    >>> x, y = batchify.Group(batchify.Pad(), batchify.Stack())([([1, 2], 0), ([3], 1)])
    >>> x.asnumpy().tolist(), y.asnumpy().tolist()
    ([[1, 2], [3, 0]], [0, 1])
    """

    def __init__(self, fn: Any, *args: Callable[[list[Any]], Any]) -> None:
        if isinstance(fn, (list, tuple)):
            if args:
                raise ValueError(
                    "Group: pass the functions as Group(a, b, c) or Group([a, b, c]), not both."
                )
            self._fn = tuple(fn)
        else:
            self._fn = (fn,) + args
        for i, f in enumerate(self._fn):
            if not callable(f):
                raise TypeError(f"Group: batchify function {i} is not callable: {f!r}.")

    def __call__(self, data: list[Any]) -> tuple[Any, ...]:
        if len(data[0]) != len(self._fn):
            raise ValueError(
                f"Group: each sample must have {len(self._fn)} fields (one per function), "
                f"got {len(data[0])}."
            )
        return tuple(f([d[i] for d in data]) for i, f in enumerate(self._fn))


Tuple = Group


class AsList:
    """Returns the samples unchanged, as a list (for text or other non-array fields)."""

    def __call__(self, data: list[Any]) -> list[Any]:
        return list(data)


# Batchify functions that work on numpy samples (the DataLoader may then collect numpy items).
def known_batchify(fn: Any) -> bool:
    if fn in (default_batchify_fn, default_mp_batchify_fn):
        return True
    if type(fn) is Group:
        return all(known_batchify(f) for f in fn._fn)
    return type(fn) in (Stack, Pad, Append)
