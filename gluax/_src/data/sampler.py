"""Samplers: which sample indices a DataLoader reads, and how they are grouped in batches."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

LAST_BATCH = ("keep", "discard", "rollover")


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and ``__len__``."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__.")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__.")


class SequentialSampler(Sampler):
    """``start, start + 1, ..., start + length - 1``.

    Parameters
    ----------
    length : int
    start : int, default 0
    """

    def __init__(self, length: int, start: int = 0) -> None:
        self._length, self._start = length, start

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._start, self._start + self._length))

    def __len__(self) -> int:
        return self._length


class RandomSampler(Sampler):
    """A random permutation of ``0 .. length - 1``, new at every pass, drawn with numpy's
    global generator (``np.random.shuffle``, as MXNet): ``np.random.seed`` makes it repeatable.

    Parameters
    ----------
    length : int
    """

    def __init__(self, length: int) -> None:
        self._length = length

    def __iter__(self) -> Iterator[int]:
        indices = np.arange(self._length)
        np.random.shuffle(indices)
        return iter(indices.tolist())

    def __len__(self) -> int:
        return self._length


class FilterSampler(Sampler):
    """The indices of the samples of ``dataset`` for which ``fn(sample)`` is true (evaluated
    once, at construction).

    Parameters
    ----------
    fn : callable
    dataset : Dataset
    """

    def __init__(self, fn: Callable[[Any], bool], dataset: Any) -> None:
        self._fn, self._dataset = fn, dataset
        self._indices = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)


def check_last_batch(where: str, last_batch: Any) -> str:
    if last_batch not in LAST_BATCH:
        raise ValueError(
            f"{where}: last_batch must be one of 'keep', 'discard' or 'rollover', got "
            f"{last_batch!r}."
        )
    return last_batch


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Parameters
    ----------
    sampler : Sampler
    batch_size : int
    last_batch : {'keep', 'discard', 'rollover'}, default 'keep'
        What to do with a last, incomplete batch: yield it, drop it, or carry its indices
        over to the start of the next pass.

    Examples
    --------
    >>> from gluax.gluon.data import BatchSampler, SequentialSampler
    >>> list(BatchSampler(SequentialSampler(10), 3, 'keep'))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    >>> s = BatchSampler(SequentialSampler(10), 3, 'rollover')
    >>> list(s), list(s)
    ([[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[9, 0, 1], [2, 3, 4], [5, 6, 7]])
    """

    def __init__(self, sampler: Any, batch_size: int, last_batch: str = "keep") -> None:
        if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(
                f"BatchSampler: batch_size must be a positive int, got {batch_size!r}."
            )
        self._sampler = sampler
        self._batch_size = int(batch_size)
        self._last_batch = check_last_batch("BatchSampler", last_batch)
        self._prev: list[Any] = []

    def __iter__(self) -> Iterator[list[Any]]:
        batch, self._prev = self._prev, []
        for i in self._sampler:
            batch.append(i)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch

    def __len__(self) -> int:
        n = len(self._sampler)
        if self._last_batch == "keep":
            return (n + self._batch_size - 1) // self._batch_size
        if self._last_batch == "discard":
            return n // self._batch_size
        return (len(self._prev) + n) // self._batch_size


class IntervalSampler(Sampler):
    """``0, interval, 2 * interval, ...``, then (with ``rollover``) the same from 1, 2, ...
    until every index of ``0 .. length - 1`` has been visited (``gluon.contrib.data`` in
    MXNet).

    Parameters
    ----------
    length : int
    interval : int
    rollover : bool, default True

    Notes
    -----
    ``len()`` is the number of indices actually yielded; MXNet 1.9 returns ``length`` even
    with ``rollover=False``.

    Examples
    --------
    >>> from gluax.gluon.data import IntervalSampler
    >>> list(IntervalSampler(13, interval=3))
    [0, 3, 6, 9, 12, 1, 4, 7, 10, 2, 5, 8, 11]
    >>> list(IntervalSampler(13, interval=3, rollover=False))
    [0, 3, 6, 9, 12]
    """

    def __init__(self, length: int, interval: int, rollover: bool = True) -> None:
        if not 0 < interval <= length:
            raise ValueError(
                f"IntervalSampler: interval must be in [1, length={length}], got {interval}."
            )
        self._length, self._interval, self._rollover = length, interval, rollover

    def __iter__(self) -> Iterator[int]:
        for i in range(self._interval if self._rollover else 1):
            yield from range(i, self._length, self._interval)

    def __len__(self) -> int:
        if self._rollover:
            return self._length
        return -(-self._length // self._interval)
