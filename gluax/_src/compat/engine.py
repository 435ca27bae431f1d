"""``mx.engine``: MXNet's bulk-execution knobs. Accepted for compatibility; they change
nothing in gluax, where XLA decides which operations fuse (a hybridized block is one compiled
program) and eager operations are dispatched one at a time by jax."""

from __future__ import annotations

from typing import Any

_BULK_SIZE = [0]  # what MXNet 1.9.1 reports before any set_bulk_size


def set_bulk_size(size: int) -> int:
    """Record a bulk size (no effect on execution); returns the previous one."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"set_bulk_size: size must be a non-negative int, got {size!r}.")
    prev, _BULK_SIZE[0] = _BULK_SIZE[0], size
    return prev


class _BulkScope:
    def __init__(self, size: int) -> None:
        self._size, self._old = size, None

    def __enter__(self) -> _BulkScope:
        self._old = set_bulk_size(self._size)
        return self

    def __exit__(self, *exc: Any) -> None:
        set_bulk_size(self._old)


def bulk(size: int) -> _BulkScope:
    """``with mx.engine.bulk(n):`` accepted; XLA decides fusion in gluax."""
    return _BulkScope(size)
