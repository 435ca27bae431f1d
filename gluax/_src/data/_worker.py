"""DataLoader worker processes, which never import JAX.

Workers are forked from a small fork server: a fresh Python interpreter that ``import gluax``
starts in the background (``start_fork_server``) and that imports only this module and numpy,
never JAX (nor ``gluax/__init__``: the ``gluax`` package is a stub there, see ``BOOT``). A
fork of it starts in a few milliseconds, as MXNet's forked workers do, where a fresh
interpreter importing JAX took seconds; forking the main process itself is not an option, as
JAX's threads do not survive ``fork()``. With ``GLUAX_DATALOADER_FORKSERVER=0`` each worker is
a fresh interpreter instead (``python -c WORKER_MAIN``), equally JAX-free.

A worker receives the dataset and the batchify function pickled (with cloudpickle when
installed, so lambdas and functions defined in ``__main__`` work), then answers one request per
batch: sample indices in, the batch out. Batch arrays travel as numpy and become NDArrays in
the main process. gluax's data modules (``dataset``, ``batchify``, ``sampler``) import no JAX
at module level (they check for NDArrays with ``NDArray`` below), so unpickling gluax's
datasets and batchify functions does not load it; a dataset whose items need JAX (gluax
transforms on NDArrays, a module that uses ``import gluax as mx`` at import time) loads it
then, in that worker.

Messages on the worker's socket (``multiprocessing.connection`` framing):

* main -> worker: ``(sys.path, cwd, whether the mxnet alias is installed)``; the pickled
  ``(dataset, batchify_fn, numpy_items)``; the worker's seed; then ``(ticket, indices)`` per
  batch, ``None`` to stop;
* worker -> main: ``(ticket, True, batch)`` or ``(ticket, False, (exception or None,
  traceback text))``.

The fork server's socket carries one byte per worker to start, with the worker's end of its
connection as an attached file descriptor; the server answers with the worker's pid.
"""

from __future__ import annotations

import io
import os
import pickle
import random
import signal
import socket
import struct
import sys
import traceback
from typing import Any

ENV_IN_WORKER = "GLUAX_DATALOADER_WORKER"  # set in the fork server and the workers
# The fork server's and a fresh worker's first lines: ``gluax`` as a bare package (its
# ``__init__`` imports JAX), completed on first attribute access (``_complete_gluax``).
BOOT = (
    "import sys, types; g = types.ModuleType('gluax'); g.__path__ = [sys.argv[2]]; "
    "g.__package__ = 'gluax'; sys.modules['gluax'] = g; "
    "from gluax._src.data import _worker as w; w.install_stub(g); "
)
SERVER_MAIN = BOOT + "w.serve(int(sys.argv[1]))"
WORKER_MAIN = BOOT + "w.main(int(sys.argv[1]))"


class _LazyNDArrayType(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        real = _REAL.get("NDArray")
        if real is None:
            mod = sys.modules.get("gluax._src.engine.ndarray")
            real = getattr(mod, "NDArray", None)
            if real is None:  # JAX not loaded here: no NDArray can exist
                return False
            _REAL["NDArray"] = real
        return isinstance(obj, real)


_REAL: dict[str, Any] = {}


class NDArray(metaclass=_LazyNDArrayType):
    """``isinstance(x, NDArray)`` for modules that must not import JAX: true exactly for
    gluax's NDArrays (and false, without importing anything, while the engine is not loaded)."""


def nd_array(arr: Any, ctx: Any = None, dtype: Any = None) -> Any:
    """``mx.nd.array(arr, ctx, dtype)``, importing the engine on first use."""
    from gluax._src.ops.creation import array

    return array(arr, ctx=ctx, dtype=dtype)


def install_stub(pkg: Any) -> None:
    """Make the bare ``gluax`` package of a worker run its real ``__init__`` the first time
    an attribute it lacks is asked for (``mx.nd`` in a user's module)."""

    def __getattr__(name: str) -> Any:  # noqa: N807
        if not pkg.__dict__.get("_gluax_completed"):
            pkg._gluax_completed = True
            init = os.path.join(pkg.__path__[0], "__init__.py")
            pkg.__file__ = init
            with open(init) as f:
                exec(compile(f.read(), init, "exec"), pkg.__dict__)
            if name in pkg.__dict__:
                return pkg.__dict__[name]
        raise AttributeError(f"module 'gluax' has no attribute {name!r}")

    pkg.__getattr__ = __getattr__
    os.environ[ENV_IN_WORKER] = "1"


def serve(fd: int) -> None:
    """The fork server: fork one worker per request until the main process goes away."""
    # Loaded once here and shared by every fork: what a worker needs to unpickle gluax's
    # datasets and batchify functions and to answer requests.
    import multiprocessing.connection  # noqa: F401

    import numpy.random  # noqa: F401 -- numpy imports its random module lazily (0.1 s)

    import gluax._src.data.batchify  # noqa: F401
    import gluax._src.data.dataset  # noqa: F401

    try:
        import cloudpickle  # noqa: F401
    except ImportError:
        pass

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # exited workers are reaped by the kernel
    sock = socket.socket(fileno=fd)
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 1, 1)
        except OSError:
            return
        if not msg or not fds:
            return
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                sock.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                main(fds[0])
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(fds[0])
        try:
            sock.sendall(struct.pack("<q", pid))
        except OSError:
            return


def dumps(obj: Any) -> bytes:
    """Pickle for a worker: cloudpickle if available (lambdas, ``__main__`` functions), and
    NDArrays as numpy arrays."""
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
    return nd_array(arr, dtype=arr.dtype)


def to_wire(obj: Any) -> Any:
    """A batch made in a worker, with NDArrays replaced by ``WireArray``s."""
    from gluax._src.data.batchify import WireArray

    if isinstance(obj, NDArray):
        return WireArray(obj.asnumpy())
    if isinstance(obj, list):
        return [to_wire(o) for o in obj]
    if isinstance(obj, tuple) and type(obj) is tuple:
        return tuple(to_wire(o) for o in obj)
    if isinstance(obj, dict):
        return {k: to_wire(v) for k, v in obj.items()}
    return obj


def _install_mxnet_alias() -> None:
    """``gluax.install_as_mxnet()`` in a worker, whose ``gluax`` is the bare package of
    ``BOOT`` (given the module spec that the alias's finder looks up)."""
    import importlib.machinery

    pkg = sys.modules["gluax"]
    if getattr(pkg, "__spec__", None) is None:
        spec = importlib.machinery.ModuleSpec("gluax", None, is_package=True)
        spec.submodule_search_locations = list(pkg.__path__)
        pkg.__spec__ = spec
    pkg.install_as_mxnet()


class _LazyMXNetAlias:
    """A meta-path finder that installs gluax's ``mxnet`` alias when something in the worker
    first imports ``mxnet`` (a dataset class defined in such a module), so that workers
    whose datasets never name ``mxnet`` do not import JAX."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "mxnet" and not fullname.startswith("mxnet."):
            return None
        sys.meta_path.remove(self)
        _install_mxnet_alias()  # puts the alias's own finder first
        return sys.meta_path[0].find_spec(fullname, path, target)


def main(fd: int) -> None:
    from multiprocessing.connection import Connection

    # Before taking the main process's sys.path, which may hold directories that shadow these
    # (pytest puts tests/ there, and tests/numpy exists).
    import numpy.random as np_random

    from gluax._src.data.batchify import WHERE
    from gluax._src.data.dataset import numpy_items

    # Ctrl-C reaches the whole process group; the main process stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(fd)
    path, cwd, alias = conn.recv()
    sys.path[:] = path
    os.chdir(cwd)
    if alias:  # the main process ran gluax.install_as_mxnet()
        sys.meta_path.insert(0, _LazyMXNetAlias())
    dataset, batchify_fn, use_numpy = pickle.loads(conn.recv_bytes())
    seed = conn.recv()
    np_random.seed(seed)
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
