"""Where the Trainer's arrays live: which buffers the fused step may donate (and which it
must copy first), and the data-parallel placement over a ``jax.sharding.Mesh``."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import jax
import numpy as np


def ref_count(leaves: list[Any], k: int) -> int:
    return sys.getrefcount(leaves[k])


def _owned_refs() -> int:
    """What ``ref_count`` counts for an object with exactly one owner besides the list."""
    owner = [object()]
    leaves = [owner[0]]
    return ref_count(leaves, 0)


ONE_OWNER = _owned_refs()


def _buffers(a: Any) -> list[int]:
    try:
        return [a.unsafe_buffer_pointer()]
    except Exception:  # sharded over several devices, or deleted
        try:
            return [s.data.unsafe_buffer_pointer() for s in a.addressable_shards]
        except Exception:
            return []


def _newest_first() -> bool:
    """Whether ``jax.live_arrays()`` lists the newest array first (jaxlib keeps them so)."""
    old = jax.device_put(np.zeros(1, np.float32))
    new = jax.device_put(np.zeros(1, np.float32))
    order = [id(a) for a in jax.live_arrays() if a is old or a is new]
    return order == [id(new), id(old)]


_LIVE_ORDER: list[bool] = []


def aliased(arrays: list[Any]) -> list[int]:
    """Positions of ``arrays`` whose buffer another live ``jax.Array`` shares (such an alias
    comes from ``jax.device_put`` onto the same device, as ``copyto`` does)."""
    if not arrays:
        return []
    if not _LIVE_ORDER:
        _LIVE_ORDER.append(_newest_first())
    owner: dict[int, int] = {}
    for j, a in enumerate(arrays):
        for b in _buffers(a):
            owner[b] = j
    pending = {id(a) for a in arrays}
    platforms = {d.platform for d in arrays[0].devices()}  # a Trainer's parameters share one
    hits = set()
    for platform in platforms:
        for a in jax.live_arrays(platform):
            if id(a) in pending:
                pending.discard(id(a))
                # An alias is newer than its source: past the oldest candidate, none is left.
                if not pending and _LIVE_ORDER[0]:
                    break
                continue
            for b in _buffers(a):
                if b in owner:
                    hits.add(owner[b])
    return sorted(hits)


_DONATION_WARNING = "Some donated buffers were not usable"


class QuietDonation(warnings.catch_warnings):
    """XLA warns when it cannot reuse a donated buffer (a backend without donation): then the
    step only allocates as it would without donation, which is not worth a warning."""

    def __enter__(self) -> Any:
        out = super().__enter__()
        warnings.filterwarnings("ignore", message=_DONATION_WARNING)
        return out


class Sharding:
    """Data parallelism over a mesh: the batch is split along the first mesh axis; parameters
    and optimizer state are replicated, or split along one axis each (``shard_params``)."""

    def __init__(self, mesh: Any, shard_params: bool = False) -> None:
        from jax.sharding import Mesh, NamedSharding
        from jax.sharding import PartitionSpec as P

        if mesh is True:
            mesh = Mesh(np.array(jax.devices()), ("data",))
        if not isinstance(mesh, Mesh):
            raise TypeError(
                "compile_step: mesh must be a jax.sharding.Mesh or True, got "
                f"{type(mesh).__name__}."
            )
        self.mesh = mesh
        self.axis = mesh.axis_names[0]
        self.n = mesh.shape[self.axis]
        self.shard_params = shard_params
        self.repl = NamedSharding(mesh, P())
        self.batch = NamedSharding(mesh, P(self.axis))

    def param_sharding(self, shape: tuple[int, ...]) -> Any:
        """Split along the largest axis whose size divides by the device count (the first on
        a tie); replicated when no axis does or ``shard_params`` is off."""
        from jax.sharding import NamedSharding
        from jax.sharding import PartitionSpec as P

        axes = [a for a, d in enumerate(shape) if d > 0 and d % self.n == 0]
        if not self.shard_params or not axes:
            return self.repl
        ax = max(axes, key=lambda a: (shape[a], -a))
        return NamedSharding(self.mesh, P(*([None] * ax), self.axis))

    def layout(self, names: list[str], shapes: tuple[Any, ...], states: list[Any]) -> Any:
        """Shardings of the parameters (by name) and of the states (a state array shaped like
        its parameter is split like it; other state arrays, such as counts, are replicated)."""
        p_sh = {k: self.param_sharding(s) for k, s in zip(names, shapes)}
        s_sh = [
            jax.tree_util.tree_map(
                lambda a, sh=p_sh[k], shape=s: sh if tuple(a.shape) == shape else self.repl,
                st,
            )
            for k, s, st in zip(names, shapes, states)
        ]
        return p_sh, s_sh

    def place(self, tree: Any, shardings: Any) -> Any:
        if jax.process_count() == 1:
            return jax.device_put(tree, shardings)
        return self.replicate(tree)  # several processes: replicated only

    def replicate(self, tree: Any) -> Any:
        if jax.process_count() == 1:
            return jax.device_put(tree, self.repl)
        # several processes: every process holds the same values; build global arrays
        return jax.tree_util.tree_map(
            lambda a: jax.make_array_from_callback(a.shape, self.repl, lambda idx: a[idx]), tree
        )

    @staticmethod
    def local(tree: Any) -> Any:
        """This process's copy of replicated global arrays."""
        if jax.process_count() == 1:
            return tree
        return jax.tree_util.tree_map(lambda a: a.addressable_data(0), tree)

    def split(self, x: Any, what: str) -> Any:
        n_local = self.n // jax.process_count()
        if x.shape[0] % n_local:
            raise ValueError(
                f"compile_step: the {what} batch of {x.shape[0]} rows does not split evenly over "
                f"{n_local} devices. Use a batch size that divides by {n_local} (DataLoader "
                "last_batch='discard' or 'rollover')."
            )
        if jax.process_count() == 1:
            return jax.device_put(x, self.batch)
        # several processes: each gives its own slice of the global batch
        return jax.make_array_from_process_local_data(self.batch, np.asarray(x))

    def jit(self, fn: Any, p_sh: Any, s_sh: Any) -> Any:
        r, b = self.repl, self.batch
        return jax.jit(
            fn,
            in_shardings=(p_sh, r, s_sh, b, b, r, r, r, r, r, r),
            out_shardings=(p_sh, r, s_sh, b),
            donate_argnums=(0, 2),
        )
