"""``mx.kv`` / ``mx.kvstore``: MXNet's key-value store as an API over JAX's runtime.

There is no parameter server. A store keeps one value per key in this process; ``push`` sums
the values given for a key (a list of per-device values, as MXNet's ``local``/``device``
stores do) and, for the ``dist_*`` types, sums that over every process of a
``jax.distributed`` job (a collective: every worker pushes the same keys in the same order, as
MXNet's ``dist_sync`` requires). An updater (``set_optimizer``) then applies the optimizer to
the stored value, identically in every process, so all workers hold the same weights.

Processes join the job through ``gluax.parallel.initialize`` or, when ``mx.kv.create('dist_*')``
runs first in a process that has not joined, through environment variables:
``GLUAX_COORDINATOR`` (``host:port`` of process 0), ``GLUAX_NUM_PROCESSES``,
``GLUAX_PROCESS_ID``; MXNet's launcher variables are read as a fallback
(``DMLC_PS_ROOT_URI``:``DMLC_PS_ROOT_PORT``, ``DMLC_NUM_WORKER``, and ``DMLC_WORKER_ID`` for the
rank, which MXNet's scheduler assigned at run time and gluax needs up front).
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine.base import MXNetError
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.serialization import load as _nd_load
from gluax._src.engine.serialization import save as _nd_save
from gluax._src.optim.rules import Optimizer, get_updater

LOCAL_TYPES = ("local", "device", "nccl", "local_update_cpu", "local_allreduce_cpu",
               "local_allreduce_device")
DIST_TYPES = ("dist_sync", "dist_device_sync", "dist_async", "dist_sync_device", "dist")
OTHER_BACKENDS = {
    "horovod": "Horovod",
    "byteps": "BytePS",
}
NO_HOROVOD = (
    "mx.kv.create({name!r}): gluax does not run on {what}; its collectives are JAX's own. For "
    "data-parallel training over several processes use kvstore='dist_sync' with "
    "gluax.parallel.initialize(coordinator, num_processes, process_id) (or the GLUAX_* "
    "environment variables, see docs/kvstore.md), or trainer.compile_step(net, loss, "
    "mesh=True) for one compiled step sharded over every device."
)


class KVStoreBase:
    """Base class of key-value stores (MXNet's ``mx.kv.KVStoreBase``): ``register`` adds a
    store class under its lower-cased name for ``mx.kv.create``."""

    OPTIMIZER = "optimizer"
    kv_registry: dict[str, type] = {}

    @staticmethod
    def register(klass: type) -> type:
        """Register ``klass`` (a ``KVStoreBase`` subclass) under ``klass.__name__.lower()``."""
        if not (isinstance(klass, type) and issubclass(klass, KVStoreBase)):
            raise TypeError(f"KVStoreBase.register: expected a KVStoreBase subclass, got "
                            f"{klass!r}.")
        KVStoreBase.kv_registry[klass.__name__.lower()] = klass
        return klass

    def is_capable(self, capability: str) -> bool:
        """Whether the store supports ``capability`` (override)."""
        raise NotImplementedError


def _env_rendezvous() -> tuple[str, int, int] | None:
    env = os.environ
    if "GLUAX_COORDINATOR" in env:
        return (env["GLUAX_COORDINATOR"], int(env.get("GLUAX_NUM_PROCESSES", "1")),
                int(env.get("GLUAX_PROCESS_ID", "0")))
    if "DMLC_PS_ROOT_URI" in env and "DMLC_WORKER_ID" in env:
        port = int(env.get("DMLC_PS_ROOT_PORT", "9091"))
        return (f"{env['DMLC_PS_ROOT_URI']}:{port}", int(env.get("DMLC_NUM_WORKER", "1")),
                int(env["DMLC_WORKER_ID"]))
    return None


def _join_job() -> None:
    """Join a jax.distributed job from the environment, unless already in one (checked
    without starting JAX's backend, which would make joining impossible)."""
    try:
        from jax._src import distributed as _jax_distributed

        if _jax_distributed.global_state.client is not None:
            return
    except (ImportError, AttributeError):  # pragma: no cover - other jax layouts
        pass
    rdv = _env_rendezvous()
    if rdv is None or rdv[1] <= 1:
        return
    from gluax._src.parallel.distributed import initialize

    initialize(rdv[0], num_processes=rdv[1], process_id=rdv[2])


def _value(v: Any) -> Any:
    if isinstance(v, NDArray):
        return v._value
    if isinstance(v, (np.ndarray, jax.Array)):
        return jnp.asarray(v)
    raise TypeError(f"kvstore: values must be NDArrays, got {type(v).__name__}.")


class KVStore(KVStoreBase):
    """A key-value store (``mx.kv.create(name)``); see the module notes.

    Notes
    -----
    ``dist_async`` is synchronous in gluax (every push is a collective over all workers):
    results equal ``dist_sync``'s, which an asynchronous run only approximates. The ``local``,
    ``device`` and ``nccl`` types behave alike (a sum over the values given; XLA picks the
    device transfers). Gradient compression is not available.
    """

    def __init__(self, kvstore_type: str = "local") -> None:
        self._type = kvstore_type
        self._dist = kvstore_type.startswith("dist")
        if self._dist:
            _join_job()
        self._store: dict[Any, Any] = {}
        self._key_type: type | None = None
        self._updater: Callable[..., Any] | None = None
        self._optimizer: Optimizer | None = None
        self._compression: dict[str, Any] = {"type": "none"}

    # ---- facts ----------------------------------------------------------------------------
    @property
    def type(self) -> str:
        """The store's type, as given to ``create``."""
        return self._type

    @property
    def rank(self) -> int:
        """This worker's index (``jax.process_index()`` for the dist types, else 0)."""
        return jax.process_index() if self._dist else 0

    @property
    def num_workers(self) -> int:
        """The number of workers (``jax.process_count()`` for the dist types, else 1)."""
        return jax.process_count() if self._dist else 1

    def is_capable(self, capability: str) -> bool:
        """Whether the store supports ``capability`` (``KVStoreBase.OPTIMIZER``: yes)."""
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return True
        raise ValueError(f"KVStore.is_capable: unknown capability {capability!r}.")

    # ---- keys and values ------------------------------------------------------------------
    def _pairs(self, key: Any, value: Any, what: str) -> list[tuple[Any, Any]]:
        if isinstance(key, (list, tuple)):
            if not isinstance(value, (list, tuple)) or len(value) != len(key):
                raise ValueError(f"KVStore.{what}: {len(key)} keys need a list of "
                                 f"{len(key)} values, got {type(value).__name__}.")
            pairs = list(zip(key, value))
        else:
            pairs = [(key, value)]
        for k, _ in pairs:
            kt = str if isinstance(k, str) else int
            if not isinstance(k, (str, int, np.integer)):
                raise TypeError(f"KVStore.{what}: keys are int or str, got {type(k).__name__}.")
            if self._key_type is None:
                self._key_type = kt
            elif self._key_type is not kt:
                raise MXNetError(f"KVStore.{what}: mixed key types are not allowed (this store "
                                 f"uses {self._key_type.__name__} keys, got {k!r}).")
        return pairs

    def _stored(self, k: Any, what: str) -> Any:
        if k not in self._store:
            raise MXNetError(f"KVStore.{what}: key {k!r} has not been initialized; call "
                             f"kv.init({k!r}, value) first.")
        return self._store[k]

    def _allreduce(self, v: Any) -> Any:
        if self._dist and jax.process_count() > 1:
            from jax.experimental import multihost_utils

            return jnp.asarray(multihost_utils.process_allgather(v)).sum(axis=0)
        return v

    def _from_rank0(self, v: Any) -> Any:
        if self._dist and jax.process_count() > 1:
            from jax.experimental import multihost_utils

            return jnp.asarray(multihost_utils.broadcast_one_to_all(v))
        return v

    def init(self, key: Any, value: Any) -> None:
        """Store initial values (worker 0's, for the dist types). A list of values for one key
        stores the first."""
        for k, v in self._pairs(key, value, "init"):
            v = v[0] if isinstance(v, (list, tuple)) else v
            self._store[k] = NDArray(self._from_rank0(_value(v)), getattr(v, "_ctx", None))

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        """Sum the values pushed for each key (a list of values is summed; the dist types also
        sum over all workers), then apply the updater to the stored value, or store the sum
        when there is no updater."""
        for k, v in self._pairs(key, value, "push"):
            stored = self._stored(k, "push")
            vals = [_value(x) for x in (v if isinstance(v, (list, tuple)) else [v])]
            for x in vals:
                if tuple(x.shape) != tuple(stored.shape):
                    raise ValueError(f"KVStore.push: key {k!r} holds shape "
                                     f"{tuple(stored.shape)}, got a value of shape "
                                     f"{tuple(x.shape)}.")
            merged = vals[0]
            for x in vals[1:]:
                merged = merged + jax.device_put(x, merged.sharding)
            merged = self._allreduce(merged)
            if self._updater is not None:
                self._updater(k, NDArray(merged, stored._ctx), stored)
            else:
                stored._set_value(merged.astype(stored._value.dtype))

    def pull(self, key: Any, out: Any = None, priority: int = 0,
             ignore_sparse: bool = True) -> None:
        """Copy each key's stored value into ``out`` (an NDArray, or a list of them)."""
        if out is None:
            raise ValueError("KVStore.pull: give the arrays to fill as out=.")
        for k, o in self._pairs(key, out, "pull"):
            stored = self._stored(k, "pull")
            for x in o if isinstance(o, (list, tuple)) else [o]:
                x._set_value(jax.device_put(stored._value, x._ctx.jax_device)
                             .astype(x._value.dtype))

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """``push`` then ``pull`` (into ``value`` when ``out`` is None)."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """``init`` the key with ``value`` (worker 0's) and ``pull`` it into ``out``."""
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key: Any, out: Any = None, priority: int = 0,
                        row_ids: Any = None) -> None:
        """Pull only the rows ``row_ids`` (others are zero in ``out``; gluax stores densely)."""
        if row_ids is None:
            raise ValueError("KVStore.row_sparse_pull: row_ids is required.")
        if out is None:
            raise ValueError("KVStore.row_sparse_pull: give the arrays to fill as out=.")
        outs = self._pairs(key, out, "row_sparse_pull")
        ids = row_ids if isinstance(row_ids, (list, tuple)) else [row_ids] * len(outs)
        for (k, o), r in zip(outs, ids):
            stored = self._stored(k, "row_sparse_pull")._value
            rows = jnp.asarray(_value(r) if not isinstance(r, (list, tuple)) else
                               _value(r[0])).astype(jnp.int32).ravel()
            keep = jnp.zeros((stored.shape[0],), bool).at[rows].set(True)
            v = jnp.where(keep.reshape((-1,) + (1,) * (stored.ndim - 1)), stored, 0)
            for x in o if isinstance(o, (list, tuple)) else [o]:
                x._set_value(jax.device_put(v, x._ctx.jax_device).astype(x._value.dtype))

    # ---- optimizer ------------------------------------------------------------------------
    def set_optimizer(self, optimizer: Optimizer) -> None:
        """Apply ``optimizer`` to each pushed key (``update(key, summed grad, stored)``)."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"KVStore.set_optimizer: expected an mx.optimizer.Optimizer, got "
                            f"{type(optimizer).__name__}.")
        self._optimizer = optimizer
        self._updater = get_updater(optimizer)

    def _set_updater(self, updater: Callable[..., Any]) -> None:
        """Use ``updater(key, grad, weight)`` on push (MXNet's private hook)."""
        self._updater = updater

    def set_gradient_compression(self, compression_params: dict[str, Any]) -> None:
        """Only ``{'type': 'none'}`` is accepted: gluax exchanges full-precision values."""
        check_compression(compression_params, "KVStore.set_gradient_compression")
        self._compression = dict(compression_params)

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        """Write the updater's per-key states to ``fname`` (MXNet's NDArray-list format,
        atomically; no pickle, so MXNet cannot read it). ``dump_optimizer`` also stores the
        optimizer's update counts."""
        upd = self._updater
        if upd is None or not hasattr(upd, "states"):
            raise RuntimeError("KVStore.save_optimizer_states: no optimizer; call "
                               "kv.set_optimizer(...) first.")
        arrays: dict[str, Any] = {}
        layout: dict[str, Any] = {}
        for k, st in upd.states.items():
            leaves, tree = jax.tree_util.tree_flatten(st, is_leaf=lambda x: isinstance(
                x, NDArray))
            layout[json.dumps(k)] = len(leaves)
            for j, leaf in enumerate(leaves):
                arrays[f"{json.dumps(k)}/{j}"] = leaf if isinstance(leaf, NDArray) else \
                    NDArray(jnp.asarray(leaf))
        meta = {"layout": layout}
        if dump_optimizer and self._optimizer is not None:
            opt = self._optimizer
            meta["num_update"] = opt.num_update
            meta["index_update_count"] = {json.dumps(k): v for k, v in
                                          opt._index_update_count.items()}
        arrays["__kvstore_states__"] = NDArray(jnp.asarray(
            np.frombuffer(json.dumps(meta).encode(), np.uint8)))
        tmp = fname + ".tmp"
        _nd_save(tmp, arrays)
        os.replace(tmp, fname)

    def load_optimizer_states(self, fname: str) -> None:
        """Read states written by ``save_optimizer_states`` into the updater."""
        upd = self._updater
        if upd is None or not hasattr(upd, "states"):
            raise RuntimeError("KVStore.load_optimizer_states: no optimizer; call "
                               "kv.set_optimizer(...) first.")
        if not os.path.exists(fname):
            raise FileNotFoundError(f"KVStore.load_optimizer_states: no such file {fname!r}.")
        arrays = _nd_load(fname)
        if not isinstance(arrays, dict) or "__kvstore_states__" not in arrays:
            raise ValueError(f"KVStore.load_optimizer_states: {fname!r} was not written by "
                             "KVStore.save_optimizer_states (MXNet's pickled states cannot "
                             "be read: gluax runs no pickles).")
        meta = json.loads(bytes(arrays["__kvstore_states__"].asnumpy().astype(np.uint8)))
        for ks, n in meta["layout"].items():
            k = json.loads(ks)
            leaves = [arrays[f"{ks}/{j}"] for j in range(n)]
            cur = upd.states.get(k)
            if cur is None:
                stored = self._stored(k, "load_optimizer_states")
                cur = self._optimizer.create_state_multi_precision(k, stored)  # type: ignore[union-attr]
            _, tree = jax.tree_util.tree_flatten(cur, is_leaf=lambda x: isinstance(x, NDArray))
            if tree.num_leaves != n:
                raise ValueError(f"KVStore.load_optimizer_states: key {k!r} has {n} state "
                                 f"arrays in {fname!r}, the optimizer keeps {tree.num_leaves}.")
            upd.states[k] = jax.tree_util.tree_unflatten(tree, leaves)
        if "num_update" in meta and self._optimizer is not None:
            self._optimizer.num_update = meta["num_update"]
            self._optimizer._index_update_count.update(
                {json.loads(k): v for k, v in meta["index_update_count"].items()})

    # ---- workers --------------------------------------------------------------------------
    def barrier(self) -> None:
        """Wait until every worker reaches this point (dist types; a no-op otherwise)."""
        if self._dist and jax.process_count() > 1:
            from jax.experimental import multihost_utils

            multihost_utils.sync_global_devices("gluax kvstore barrier")

    def _barrier(self) -> None:
        self.barrier()

    @property
    def num_dead_node(self) -> int:
        """Always 0: jax.distributed fails the job when a process dies."""
        return 0

    def get_num_dead_node(self, node_id: int, timeout: int = 60) -> int:
        """Always 0: jax.distributed fails the job when a process dies."""
        return 0

    def send_command_to_servers(self, head: int, body: str) -> None:
        """Not available: gluax's kvstore has no server processes."""
        raise NotImplementedError("KVStore.send_command_to_servers: gluax's kvstore has no "
                                  "server processes (it runs over jax.distributed).")


def check_compression(compression_params: Any, where: str) -> None:
    """Accept ``{'type': 'none'}``; raise for MXNet's '2bit'/'1bit' compression."""
    if not isinstance(compression_params, dict) or "type" not in compression_params:
        raise ValueError(f"{where}: expected a dict with a 'type' key, got "
                         f"{compression_params!r}.")
    if compression_params["type"] != "none":
        raise NotImplementedError(
            f"{where}: {compression_params!r}: gluax has no gradient compression ('2bit', "
            "'1bit'); values are summed at full precision by jax.distributed collectives. "
            "Leave it out, or cast gradients to bfloat16 yourself before push.")


def check_type(name: str, where: str = "mx.kv.create") -> None:
    """Raise for a kvstore type gluax does not run ('horovod', 'byteps', unknown names)."""
    low = name.lower()
    if low in OTHER_BACKENDS:
        raise NotImplementedError(NO_HOROVOD.format(name=name, what=OTHER_BACKENDS[low])
                                  .replace("mx.kv.create", where, 1))
    if low not in LOCAL_TYPES + DIST_TYPES and low not in KVStoreBase.kv_registry:
        raise ValueError(f"{where}: unknown kvstore type {name!r}; gluax has "
                         f"{list(LOCAL_TYPES + DIST_TYPES)}.")


def create(name: str = "local") -> KVStore:
    """A new key-value store: 'local', 'device', 'nccl' (one process), 'dist_sync',
    'dist_device_sync', 'dist_async' (synchronous in gluax) over ``jax.distributed``.
    'horovod' and 'byteps' raise, naming the alternative."""
    if not isinstance(name, str):
        raise TypeError(f"mx.kv.create: name must be a str, got {type(name).__name__}.")
    check_type(name)
    low = name.lower()
    if low in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[low]()
    return KVStore(low)


class KVStoreServer:
    """MXNet's parameter-server process: gluax has none (its kvstore runs over
    ``jax.distributed``); constructing one raises."""

    def __init__(self, kvstore: Any = None) -> None:
        raise NotImplementedError(
            "KVStoreServer: gluax's kvstore has no server processes; start only workers "
            "(gluax.parallel.initialize or the GLUAX_* variables, see docs/kvstore.md).")
