"""DataLoader worker processes.

Each worker is a fresh Python interpreter (``python -c ...``), never a fork: the main process
runs JAX, whose threads do not survive ``fork()``. The worker receives the dataset and the
batchify function pickled (with cloudpickle when installed, so lambdas and functions defined in
``__main__`` work), then answers one request per batch: sample indices in, the batch out. Batch
arrays travel as numpy and become NDArrays in the main process.

Messages on the worker's socket (``multiprocessing.connection`` framing):

* main -> worker: ``(sys.path, cwd)``; the pickled ``(dataset, batchify_fn, numpy_items)``;
  the worker's seed; then ``(ticket, indices)`` per batch, ``None`` to stop;
* worker -> main: ``(ticket, True, batch)`` or ``(ticket, False, (exception or None,
  traceback text))``.
"""

from __future__ import annotations

import io
import os
import pickle
import random
import signal
import sys
import traceback
from typing import Any


def dumps(obj: Any) -> bytes:
    """Pickle for a worker: cloudpickle if available (lambdas, ``__main__`` functions), and
    NDArrays as numpy arrays."""
    from gluax._src.engine.ndarray import NDArray

    try:
        import cloudpickle

        base: Any = cloudpickle.Pickler
    except ImportError:
        base = pickle.Pickler

    class _Pickler(base):  # type: ignore[misc, valid-type]
        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, NDArray):
                return _rebuild_ndarray, (obj.asnumpy(),)
            parent = getattr(super(), "reducer_override", None)
            return parent(obj) if parent is not None else NotImplemented

    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def _rebuild_ndarray(arr: Any) -> Any:
    from gluax._src.ops.creation import array

    return array(arr, dtype=arr.dtype)


def to_wire(obj: Any) -> Any:
    """A batch made in a worker, with NDArrays replaced by ``WireArray``s."""
    from gluax._src.data.batchify import WireArray
    from gluax._src.engine.ndarray import NDArray

    if isinstance(obj, NDArray):
        return WireArray(obj.asnumpy())
    if isinstance(obj, list):
        return [to_wire(o) for o in obj]
    if isinstance(obj, tuple) and type(obj) is tuple:
        return tuple(to_wire(o) for o in obj)
    if isinstance(obj, dict):
        return {k: to_wire(v) for k, v in obj.items()}
    return obj


def main(fd: int) -> None:
    from multiprocessing.connection import Connection

    # Ctrl-C reaches the whole process group; the main process stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(fd)
    path, cwd = conn.recv()
    sys.path[:] = path
    os.chdir(cwd)
    import numpy as np

    from gluax._src.data.batchify import WHERE
    from gluax._src.data.dataset import numpy_items

    dataset, batchify_fn, use_numpy = pickle.loads(conn.recv_bytes())
    seed = conn.recv()
    np.random.seed(seed)
    random.seed(seed)
    WHERE.in_worker = True
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        ticket, indices = msg
        try:
            with numpy_items(use_numpy):
                batch = batchify_fn([dataset[i] for i in indices])
            reply = (ticket, True, to_wire(batch))
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            text = traceback.format_exc()
            try:
                pickle.loads(pickle.dumps(e))
                exc: Any = e
            except Exception:
                exc = None
            data = pickle.dumps((ticket, False, (exc, text)), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            conn.send_bytes(data)
        except (BrokenPipeError, OSError):
            return
