"""Where the Trainer's arrays live: which buffers the fused step may donate (and which it
must copy first), and the data-parallel placement over a ``jax.sharding.Mesh``."""

from __future__ import annotations

import sys
from typing import Any

import jax
import numpy as np

from gluax._src.engine import compile_cache as _cc


def ref_count(leaves: list[Any], k: int) -> int:
    return sys.getrefcount(leaves[k])


def _owned_refs() -> int:
    """What ``ref_count`` counts for an object with exactly one owner besides the list."""
    owner = [object()]
    leaves = [owner[0]]
    return ref_count(leaves, 0)


ONE_OWNER = _owned_refs()

QuietDonation = _cc.quiet_donation  # (the context the Trainer's donating calls lower under)


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
