"""Samplers against MXNet 1.9.1's (fixture data_loader)."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from gluax.gluon.data import (
    BatchSampler,
    FilterSampler,
    IntervalSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

FIX = json.loads(
    (
        pathlib.Path(__file__).parent.parent / "fixtures" / "data_loader" / "data_loader.json"
    ).read_text()
)


def test_sequential_sampler_with_start():
    assert list(SequentialSampler(4, start=3)) == [3, 4, 5, 6]
    assert len(SequentialSampler(4, start=3)) == 4


def test_random_sampler_is_numpy_shuffle_of_the_global_generator():
    np.random.seed(3)
    got = [list(RandomSampler(9)) for _ in range(2)]
    np.random.seed(3)
    want = []
    for _ in range(2):
        idx = np.arange(9)
        np.random.shuffle(idx)
        want.append(idx.tolist())
    assert got == want and got[0] != got[1]


def test_batch_sampler_rollover_carries_the_remainder_like_mxnet():
    bs = BatchSampler(SequentialSampler(7), 3, "rollover")
    got = [[list(b) for b in bs] + [len(bs)] for _ in range(3)]
    assert got == FIX["rollover_sampler"]


@pytest.mark.parametrize("mode, want", [("keep", [[0, 1, 2], [3, 4]]), ("discard", [[0, 1, 2]])])
def test_batch_sampler_keep_and_discard(mode, want):
    bs = BatchSampler(SequentialSampler(5), 3, mode)
    assert list(bs) == want and len(bs) == len(want)


def test_interval_sampler_matches_mxnet_contrib():
    assert list(IntervalSampler(13, 3)) == FIX["interval"]["True"]
    assert list(IntervalSampler(13, 3, rollover=False)) == FIX["interval"]["False"]
    assert len(IntervalSampler(13, 3, rollover=False)) == 5  # MXNet says 13 (a bug)
    assert len(IntervalSampler(13, 3)) == 13


def test_filter_sampler():
    s = FilterSampler(lambda x: x > 1, [0, 3, 1, 5])
    assert list(s) == [1, 3] and len(s) == 2


def test_sampler_errors():
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        BatchSampler(SequentialSampler(3), 0)
    with pytest.raises(ValueError, match="last_batch must be one of .* got 'drop'"):
        BatchSampler(SequentialSampler(3), 2, "drop")
    with pytest.raises(ValueError, match=r"interval must be in \[1, length=3\], got 5"):
        IntervalSampler(3, 5)
    with pytest.raises(NotImplementedError, match="must implement __iter__"):
        iter(Sampler())
    with pytest.raises(NotImplementedError, match="must implement __len__"):
        len(Sampler())
