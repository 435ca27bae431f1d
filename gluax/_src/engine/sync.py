"""``nd.waitall``: wait for all pending device work."""

from __future__ import annotations

import jax


def waitall() -> None:
    """Block until every computation launched so far has finished (MXNet's engine barrier).

    JAX dispatches asynchronously; a computation is pending exactly while one of its output
    arrays is not ready, so waiting on every live array waits on all launched work (arrays
    that were donated or deleted are not live). ``jax.effects_barrier`` alone waits only for
    side effects (callbacks), not for pure computations."""
    jax.block_until_ready(jax.live_arrays())
    jax.effects_barrier()
