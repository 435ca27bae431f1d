"""``nd.waitall``: wait for all pending device work."""

from __future__ import annotations

import jax


def waitall() -> None:
    """Block until every computation launched so far has finished (MXNet's engine barrier)."""
    jax.effects_barrier()
