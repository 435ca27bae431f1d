"""DataLoader: order, shuffling, last_batch modes (MXNet 1.9.1 fixture data_loader), workers."""

from __future__ import annotations

import json
import multiprocessing
import pathlib
import sys
import threading

import numpy as np
import pytest

import gluax as mx
from gluax.gluon.data import (
    ArrayDataset,
    BatchSampler,
    DataLoader,
    SequentialSampler,
    SimpleDataset,
)
from gluax.gluon.data.vision import transforms

FIX = json.loads(
    (
        pathlib.Path(__file__).parent.parent / "fixtures" / "data_loader" / "data_loader.json"
    ).read_text()
)


def _values(loader):
    return [
        [b.asnumpy().tolist() for b in (batch if isinstance(batch, list) else [batch])]
        for batch in loader
    ]


def test_shuffle_with_numpy_seed_matches_mxnet():
    data = ArrayDataset(np.arange(10, dtype="float32"), np.arange(10)[::-1].copy())
    np.random.seed(7)
    loader = DataLoader(data, batch_size=4, shuffle=True)
    got = [[b[0].asnumpy().astype(int).tolist() for b in loader] for _ in range(2)]
    assert got == FIX["shuffle_seed7"]


@pytest.mark.parametrize("mode", ["keep", "discard", "rollover"])
def test_last_batch_modes_match_mxnet(mode):
    loader = DataLoader(SimpleDataset(list(range(10))), batch_size=4, last_batch=mode)
    epochs = [[b.asnumpy().tolist() for b in loader] for _ in range(3)]
    assert (
        epochs == FIX["last_batch"][mode]["epochs"]
        and len(loader) == FIX["last_batch"][mode]["len"]
    )


def test_batch_sampler_and_batchify_fn():
    loader = DataLoader(
        np.arange(6), batch_sampler=BatchSampler(SequentialSampler(6), 4), batchify_fn=list
    )
    assert [list(map(int, b)) for b in loader] == [[0, 1, 2, 3], [4, 5]] and len(loader) == 2


def test_ndarray_dataset_rows():
    x = mx.nd.array(np.arange(12).reshape(6, 2))
    batches = list(DataLoader(x, batch_size=4))
    np.testing.assert_array_equal(batches[1].asnumpy(), [[8, 9], [10, 11]])
    # MXNet 1.9: an element of a 1-D NDArray has shape (1,), so batches are (B, 1).
    assert [b.shape for b in DataLoader(mx.nd.array([1, 2, 3]), batch_size=2)] == [(2, 1), (1, 1)]


def _mnist_like(n=10):
    rng = np.random.default_rng(0)
    images = mx.nd.array(rng.integers(0, 256, (n, 5, 4, 1)), dtype="uint8")
    return ArrayDataset(images, np.arange(n, dtype=np.int32))


def test_numpy_fast_path_gives_the_same_batches_as_ndarray_samples():
    t = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.5, 0.25)])
    fast = DataLoader(_mnist_like().transform_first(t), batch_size=4)
    slow = DataLoader(_mnist_like().transform_first(lambda x: t(x)), batch_size=4)
    assert fast._use_numpy and not slow._use_numpy
    f, s = list(fast), list(slow)
    for (fx, fy), (sx, sy) in zip(f, s):
        assert fx.dtype == np.float32 and fy.dtype == np.int32 and fx.shape[1:] == (1, 5, 4)
        np.testing.assert_array_equal(fx.asnumpy(), sx.asnumpy())
        np.testing.assert_array_equal(fy.asnumpy(), sy.asnumpy())


def test_two_worker_processes_give_the_single_process_batches():
    # A lambda (sent with cloudpickle) that calls an operator: the workers run gluax too.
    ds = _mnist_like(11).transform_first(
        lambda x: mx.nd.transpose(x.astype("float32"), axes=(2, 0, 1)) / 255
    )
    np.random.seed(1)
    want = _values(DataLoader(ds, batch_size=3, shuffle=True))
    np.random.seed(1)
    loader = DataLoader(ds, batch_size=3, shuffle=True, num_workers=2, prefetch=1)
    assert _values(loader) == want
    assert _values(loader) != want and len(_values(loader)) == 4  # a new order each epoch


def test_worker_error_is_raised_in_the_main_process_then_a_dead_worker():
    def bad(x):
        if int(x) == 2:
            raise KeyError("sample two is broken")
        return x

    loader = DataLoader(SimpleDataset([0, 1, 2, 3]).transform(bad), batch_size=2, num_workers=1)
    it = iter(loader)
    np.testing.assert_array_equal(next(it).asnumpy(), [0, 1])
    with pytest.raises(KeyError, match="sample two is broken") as info:
        next(it)
    assert "DataLoader worker 0 failed" in str(info.value.__cause__)
    loader._worker_pool.procs[0].kill()
    loader._worker_pool.procs[0].wait()
    with pytest.raises(RuntimeError, match=r"DataLoader worker 0 \(pid \d+\) exited unexpectedly"):
        list(loader)


def test_thread_pool_same_batches_and_timeout():
    ds = _mnist_like()
    want = _values(DataLoader(ds, batch_size=3))
    assert _values(DataLoader(ds, batch_size=3, num_workers=2, thread_pool=True)) == want
    gate = threading.Event()
    slow = SimpleDataset([1, 2]).transform(lambda x: gate.wait(5) and x)
    loader = DataLoader(slow, batch_size=1, num_workers=1, thread_pool=True, timeout=0.05)
    with pytest.raises(multiprocessing.TimeoutError, match="within timeout=0.05 seconds"):
        list(loader)
    gate.set()


def test_pin_memory_auto_reload_refresh_clean():
    loader = DataLoader(np.arange(4), batch_size=2, pin_memory=True)
    assert all(b.context == mx.cpu_pinned(0) for b in loader)
    seen = []
    ds = SimpleDataset([0, 1]).transform(lambda x: seen.append(x) or x)
    loader = DataLoader(ds, batch_size=1, auto_reload=True)
    assert seen == []  # a same-process pass is lazy; it is prepared, not run
    assert len(list(loader)) == 2 and loader._iter is not None
    loader.clean()
    assert loader._iter is None and len(list(loader)) == 2


def test_unpicklable_dataset_without_cloudpickle(monkeypatch):
    monkeypatch.setitem(sys.modules, "cloudpickle", None)
    local = threading.Lock()
    with pytest.raises(TypeError, match=r"cannot be sent to worker processes .*thread_pool=True"):
        DataLoader(SimpleDataset([local]), batch_size=1, num_workers=1)


def test_dataloader_errors():
    ds = SimpleDataset([1, 2, 3])
    with pytest.raises(ValueError, match="batch_size must be given unless batch_sampler is"):
        DataLoader(ds)
    with pytest.raises(ValueError, match="shuffle must not be given together with a sampler"):
        DataLoader(ds, batch_size=1, shuffle=True, sampler=SequentialSampler(3))
    with pytest.raises(ValueError, match="must not be given together with batch_sampler"):
        DataLoader(ds, batch_size=1, batch_sampler=BatchSampler(SequentialSampler(3), 1))
    with pytest.raises(ValueError, match="timeout must be positive, got 0"):
        DataLoader(ds, batch_size=1, timeout=0)
    with pytest.raises(ValueError, match="last_batch must be one of .* got 'all'"):
        DataLoader(ds, batch_size=1, last_batch="all")
