"""``DataLoader``: batches from a dataset, in the main process, in threads, or in worker
processes."""

from __future__ import annotations

import atexit
import collections
import multiprocessing
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import weakref
import zlib
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Iterator

import numpy as np

from gluax._src.data import _worker
from gluax._src.data.batchify import (
    WireArray,
    default_batchify_fn,
    default_mp_batchify_fn,
    known_batchify,
    make_batch_array,
)
from gluax._src.data.dataset import NDArrayColumn, numpy_items, numpy_safe
from gluax._src.data.sampler import BatchSampler, RandomSampler, SequentialSampler, check_last_batch
from gluax._src.engine.context import Context, cpu, cpu_pinned
from gluax._src.engine.ndarray import NDArray

_GLUAX_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV_FORKSERVER = "GLUAX_DATALOADER_FORKSERVER"


def _worker_env() -> dict[str, str]:
    # Worker arrays live on the host; a worker that does load gluax starts no fork server.
    return dict(os.environ, JAX_PLATFORMS="cpu", **{_worker.ENV_IN_WORKER: "1"})


class _ForkServer:
    """The JAX-free process DataLoader workers are forked from (see ``_worker``); started
    in the background by ``import gluax``, restarted if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._pid = os.getpid()

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._pid != os.getpid():  # a fork of the process that started it: start its own
            self._proc, self._sock, self._pid = None, None, os.getpid()
        if self._proc is not None and self._proc.poll() is None:
            return
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _worker.SERVER_MAIN, str(theirs.fileno()), _GLUAX_DIR],
                pass_fds=(theirs.fileno(),), env=_worker_env(), stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self._sock = mine
        weakref.finalize(self, mine.close)

    def fork(self, fd: int) -> int:
        """A new worker on connection ``fd`` (sent, not closed); its pid."""
        with self._lock:
            for attempt in (0, 1):
                self._start()
                sock = self._sock
                assert sock is not None
                try:
                    socket.send_fds(sock, [b"w"], [fd])
                    got = b""
                    while len(got) < 8:
                        chunk = sock.recv(8 - len(got))
                        if not chunk:
                            raise OSError("fork server closed its socket")
                        got += chunk
                    return struct.unpack("<q", got)[0]
                except OSError:
                    if attempt:
                        raise
                    sock.close()
                    self._proc = None  # start a new one and try once more
        raise AssertionError("unreachable")


    def stop(self) -> None:
        """At exit: close the socket (the server returns on end of file) and reap it, so the
        interpreter does not warn about a child still running."""
        proc, sock = self._proc, self._sock
        if proc is None or self._pid != os.getpid():
            return
        if sock is not None:
            sock.close()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._proc = None


_FORK_SERVER = _ForkServer()
atexit.register(_FORK_SERVER.stop)


def start_fork_server() -> None:
    """Start the fork server in the background unless ``GLUAX_DATALOADER_FORKSERVER=0`` or
    this process is itself a DataLoader worker (called by ``import gluax``)."""
    if os.environ.get(ENV_FORKSERVER, "1").strip().lower() in ("0", "off", "false", "no"):
        return
    if os.environ.get(_worker.ENV_IN_WORKER):
        return
    try:
        _FORK_SERVER.start()
    except OSError:  # no fork server: workers start as fresh interpreters
        pass


class _ForkedWorker:
    """A worker forked by the fork server: not our child, so it is watched by pid."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return -1  # gone; its exit code went to the fork server
        except PermissionError:
            pass
        return None

    def wait(self, timeout: float | None = None) -> None:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"DataLoader worker {self.pid}", timeout)
            time.sleep(0.01)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _use_fork_server() -> bool:
    return _FORK_SERVER._proc is not None and not os.environ.get(_worker.ENV_IN_WORKER)


def _as_in_context(data: Any, ctx: Context) -> Any:
    if isinstance(data, NDArray):
        return data.as_in_context(ctx)
    if isinstance(data, (list, tuple)):
        return [_as_in_context(d, ctx) for d in data]
    return data


def _from_wire(obj: Any, ctx: Context) -> Any:
    if isinstance(obj, WireArray):  # an NDArray, or an np.ndarray in numpy mode
        return make_batch_array(obj.array, ctx)
    if isinstance(obj, list):
        return [_from_wire(o, ctx) for o in obj]
    if type(obj) is tuple:
        return tuple(_from_wire(o, ctx) for o in obj)
    if isinstance(obj, dict):
        return {k: _from_wire(v, ctx) for k, v in obj.items()}
    return obj


def _timeout_error(timeout: float, what: str) -> multiprocessing.TimeoutError:
    return multiprocessing.TimeoutError(
        f"DataLoader: {what} produced no batch within timeout={timeout} seconds. A slow "
        "dataset or transform? Increase DataLoader(timeout=...)."
    )


class _ProcessPool:
    """Worker processes, each a fresh interpreter; batch ``k`` goes to worker ``k % n``."""

    def __init__(
        self, num_workers: int, dataset: Any, batchify_fn: Callable[..., Any], use_numpy: bool
    ) -> None:
        try:
            payload = _worker.dumps((dataset, batchify_fn, use_numpy))
        except Exception as e:
            raise TypeError(
                f"DataLoader(num_workers={num_workers}): the dataset or batchify_fn cannot be "
                f"sent to worker processes ({type(e).__name__}: {e}). Install cloudpickle, "
                "define them at module level, or use thread_pool=True."
            ) from e
        # Seeds differ per worker and follow np.random's state without drawing from it.
        state = np.random.get_state()
        base = zlib.crc32(state[1].tobytes() + int(state[2]).to_bytes(4, "little"))
        forked = _use_fork_server()
        env = None if forked else _worker_env()
        self.procs: list[Any] = []
        self.conns: list[Any] = []
        for i in range(num_workers):
            mine, theirs = multiprocessing.Pipe(duplex=True)
            fd = theirs.fileno()
            try:
                if forked:
                    proc: Any = _ForkedWorker(_FORK_SERVER.fork(fd))
                else:
                    proc = subprocess.Popen(
                        [sys.executable, "-c", _worker.WORKER_MAIN, str(fd), _GLUAX_DIR],
                        pass_fds=(fd,), env=env,
                    )
            finally:
                theirs.close()
            # A dataset defined in code that says ``import mxnet`` under gluax's alias
            # unpickles only where the alias is installed too.
            alias = getattr(sys.modules.get("mxnet"), "_gluax", None) is not None
            mine.send((list(sys.path), os.getcwd(), alias))
            mine.send_bytes(payload)
            mine.send((base + i) % 2**32)
            self.procs.append(proc)
            self.conns.append(mine)
        self._next = 0
        self._owner: dict[int, int] = {}
        self._stash: dict[int, Any] = {}
        self._dropped: set[int] = set()
        self._finalizer = weakref.finalize(self, _shutdown, self.procs, self.conns)

    def submit(self, indices: list[Any]) -> int:
        ticket, self._next = self._next, self._next + 1
        w = ticket % len(self.conns)
        self._owner[ticket] = w
        try:
            self.conns[w].send((ticket, list(indices)))
        except OSError:
            raise self._dead(w) from None
        return ticket

    def _dead(self, w: int) -> RuntimeError:
        proc = self.procs[w]
        code = "" if isinstance(proc, _ForkedWorker) else f" (exit code {proc.poll()})"
        return RuntimeError(
            f"DataLoader worker {w} (pid {proc.pid}) exited unexpectedly{code}; its error, if "
            "any, is printed above."
        )

    def drop(self, tickets: Any) -> None:
        """Forget batches nobody will ask for (an iterator left early)."""
        for t in tickets:
            if t in self._stash:
                del self._stash[t]
                self._owner.pop(t, None)
            elif t in self._owner:
                self._dropped.add(t)

    def get(self, ticket: int, timeout: float) -> Any:
        w = self._owner[ticket]
        conn = self.conns[w]
        while ticket not in self._stash:
            if not conn.poll(timeout):
                raise _timeout_error(timeout, f"worker {w} (pid {self.procs[w].pid})")
            try:
                got, ok, value = conn.recv()
            except (EOFError, OSError):
                raise self._dead(w) from None
            if got in self._dropped:
                self._dropped.discard(got)
                self._owner.pop(got, None)
                continue
            self._stash[got] = (ok, value)
        ok, value = self._stash.pop(ticket)
        del self._owner[ticket]
        if ok:
            return value
        exc, text = value
        remote = RuntimeError(f"DataLoader worker {w} failed; its traceback:\n{text}")
        if exc is None:
            raise remote
        raise exc from remote

    def close(self) -> None:
        self._finalizer()


def _shutdown(procs: list[Any], conns: list[Any]) -> None:
    for c in conns:
        try:
            c.send(None)
            c.close()
        except OSError:
            pass
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


class _ThreadPool:
    """Threads in this process (``thread_pool=True``)."""

    def __init__(
        self, num_workers: int, dataset: Any, batchify_fn: Callable[..., Any], use_numpy: bool
    ) -> None:
        self._exec = ThreadPoolExecutor(num_workers, thread_name_prefix="gluax-dataloader")
        self._dataset, self._batchify_fn, self._use_numpy = dataset, batchify_fn, use_numpy
        self._futures: dict[int, Any] = {}
        self._next = 0
        self._finalizer = weakref.finalize(
            self, self._exec.shutdown, wait=False, cancel_futures=True
        )

    def _work(self, indices: list[Any]) -> Any:
        with numpy_items(self._use_numpy):
            return self._batchify_fn([self._dataset[i] for i in indices])

    def submit(self, indices: list[Any]) -> int:
        ticket, self._next = self._next, self._next + 1
        self._futures[ticket] = self._exec.submit(self._work, list(indices))
        return ticket

    def drop(self, tickets: Any) -> None:
        for t in tickets:
            f = self._futures.pop(t, None)
            if f is not None:
                f.cancel()

    def get(self, ticket: int, timeout: float) -> Any:
        f = self._futures.pop(ticket)
        try:
            return f.result(timeout)
        except FutureTimeout:
            raise _timeout_error(timeout, "a worker thread") from None

    def close(self) -> None:
        self._finalizer()


class _PoolIter:
    """One pass over the batch sampler with up to ``prefetch`` batches requested ahead."""

    def __init__(self, loader: DataLoader) -> None:
        self._pool = loader._worker_pool
        self._batches = iter(loader._batch_sampler)
        self._pending: collections.deque[int] = collections.deque()
        self._timeout = loader._timeout
        self._ctx = cpu_pinned(loader._pin_device_id) if loader._pin_memory else cpu()
        self._wire = isinstance(self._pool, _ProcessPool)
        for _ in range(loader._prefetch):
            self._push()

    def _push(self) -> None:
        indices = next(self._batches, None)
        if indices is not None:
            self._pending.append(self._pool.submit(indices))

    def __iter__(self) -> _PoolIter:
        return self

    def __next__(self) -> Any:
        self._push()
        if not self._pending:
            raise StopIteration
        batch = self._pool.get(self._pending.popleft(), self._timeout)
        if self._wire:
            return _from_wire(batch, self._ctx)
        return _as_in_context(batch, self._ctx) if self._ctx.device_type == "cpu_pinned" else batch

    def __del__(self) -> None:
        try:
            self._pool.drop(self._pending)
        except Exception:  # interpreter shutdown
            pass


class DataLoader:
    """Loads a dataset in mini-batches.

    Parameters
    ----------
    dataset : Dataset
        Any object with ``len()`` and ``[]`` (numpy arrays and NDArrays work too).
    batch_size : int, optional
        Required unless ``batch_sampler`` is given.
    shuffle : bool, default False
        A new random order every epoch (``RandomSampler``, numpy's global generator).
    sampler : Sampler, optional
        The order of the samples; not together with ``shuffle``.
    last_batch : {'keep', 'discard', 'rollover'}, default 'keep'
        What to do with a last incomplete batch. Under ``hybridize()`` a smaller last batch
        compiles the network once more; 'discard' or 'rollover' keep one shape.
    batch_sampler : Sampler, optional
        Yields lists of indices; excludes ``batch_size``, ``shuffle``, ``sampler`` and
        ``last_batch``.
    batchify_fn : callable, optional
        Makes a batch of a list of samples (default: ``default_batchify_fn``).
    num_workers : int, default 0
        Worker processes that read and batchify samples (0: the main process).
    pin_memory : bool, default False
        Put batches in ``cpu_pinned`` memory.
    pin_device_id : int, default 0
    prefetch : int, optional
        Batches requested ahead of the one returned (default ``2 * num_workers``).
    thread_pool : bool, default False
        Use ``num_workers`` threads instead of processes.
    timeout : float, default 120
        Seconds to wait for a worker's batch before raising ``multiprocessing.TimeoutError``.
    auto_reload : bool, default False
        Start prefetching the next epoch as soon as the loader is built and after each epoch.

    Notes
    -----
    Worker processes never import JAX: they are forked, in milliseconds, from a small
    JAX-free server process that ``import gluax`` starts (MXNet forks the main process; JAX's
    threads do not survive a fork), once per DataLoader. ``GLUAX_DATALOADER_FORKSERVER=0``
    starts each worker as a fresh interpreter instead. The dataset and ``batchify_fn`` are sent to them
    pickled, with cloudpickle when it is installed (then lambdas and functions defined in the
    script work). Workers compute on the CPU and send numpy arrays; the batch becomes NDArrays
    in the main process. Each worker seeds numpy's and Python's generators differently (from
    the main process's numpy state), so random transforms differ between workers.

    When the dataset is gluax's own (vision datasets, ``ArrayDataset``, ``transform_first``
    with gluax transforms...) and ``batchify_fn`` is a built-in one, samples are collected as
    numpy arrays and the batch is made into one NDArray at the end; the batches are the same.

    MXNet stacks Python ints and floats into int64 and float64 NDArrays; with JAX's default
    32-bit mode they become int32 and float32.

    Examples
    --------
    >>> import numpy as np
    >>> from gluax.gluon.data import ArrayDataset, DataLoader
    >>> ds = ArrayDataset(np.arange(10, dtype='float32').reshape(5, 2), np.arange(5))
    >>> [(x.shape, y.asnumpy().tolist()) for x, y in DataLoader(ds, batch_size=2)]
    [((2, 2), [0, 1]), ((2, 2), [2, 3]), ((1, 2), [4])]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = None,
        shuffle: bool = False,
        sampler: Any = None,
        last_batch: str | None = None,
        batch_sampler: Any = None,
        batchify_fn: Callable[..., Any] | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        pin_device_id: int = 0,
        prefetch: int | None = None,
        thread_pool: bool = False,
        timeout: float = 120,
        auto_reload: bool = False,
    ) -> None:
        if isinstance(dataset, NDArray) and dataset.ndim > 0:
            dataset = NDArrayColumn(dataset)  # rows without an operator call each
        self._dataset = dataset
        self._pin_memory, self._pin_device_id = pin_memory, pin_device_id
        self._thread_pool = thread_pool
        if not timeout > 0:
            raise ValueError(f"DataLoader: timeout must be positive, got {timeout}.")
        self._timeout = timeout
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("DataLoader: batch_size must be given unless batch_sampler is.")
            if sampler is None:
                sampler = (
                    RandomSampler(len(dataset)) if shuffle else SequentialSampler(len(dataset))
                )
            elif shuffle:
                raise ValueError(
                    "DataLoader: shuffle must not be given together with a sampler (the "
                    "sampler decides the order)."
                )
            last = check_last_batch("DataLoader", last_batch if last_batch else "keep")
            batch_sampler = BatchSampler(sampler, batch_size, last)
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise ValueError(
                "DataLoader: batch_size, shuffle, sampler and last_batch must not be given "
                "together with batch_sampler."
            )
        self._batch_sampler = batch_sampler
        self._num_workers = max(0, int(num_workers))
        if batchify_fn is None:
            batchify_fn = default_mp_batchify_fn if self._num_workers > 0 else default_batchify_fn
        self._batchify_fn = batchify_fn
        self._use_numpy = known_batchify(batchify_fn) and numpy_safe(dataset)
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * self._num_workers)
        self._worker_pool: Any = None
        if self._num_workers > 0:
            pool = _ThreadPool if thread_pool else _ProcessPool
            self._worker_pool = pool(self._num_workers, dataset, batchify_fn, self._use_numpy)
        self.auto_reload = auto_reload
        self._iter: Iterator[Any] | None = None
        if auto_reload:
            self.refresh()

    def _same_process_iter(self) -> Iterator[Any]:
        ctx = cpu_pinned(self._pin_device_id) if self._pin_memory else None
        for indices in self._batch_sampler:
            with numpy_items(self._use_numpy):
                batch = self._batchify_fn([self._dataset[i] for i in indices])
            yield _as_in_context(batch, ctx) if ctx is not None else batch

    def _prefetch_iter(self) -> Iterator[Any]:
        if self._num_workers == 0:
            return self._same_process_iter()
        return _PoolIter(self)

    def __iter__(self) -> Iterator[Any]:
        it = self._iter if self._iter is not None else self._prefetch_iter()
        self._iter = None
        yield from it
        if self.auto_reload and self._iter is None:
            self.refresh()

    def __len__(self) -> int:
        return len(self._batch_sampler)

    def refresh(self) -> None:
        """Start (prefetching) a new pass over the data."""
        self._iter = self._prefetch_iter()

    def clean(self) -> None:
        """Drop a prefetched pass; prefetching starts again at the next ``iter()``."""
        self._iter = None

    def __del__(self) -> None:
        pool = getattr(self, "_worker_pool", None)
        if pool is not None:
            pool.close()


start_fork_server()
