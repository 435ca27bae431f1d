"""``mx.name.NameManager`` / ``Prefix`` and ``mx.attribute.AttrScope``: the scopes that name
top-level blocks (``dense0_``) and symbols, and attach attributes to symbols.

The default name manager is process-wide (gluax counts ``dense0``, ``dense1``... across
threads, so data-loading threads do not restart the count); a ``with NameManager():`` or
``with Prefix('net_'):`` block replaces it for the current thread only, as in MXNet.
"""

from __future__ import annotations

import threading
from typing import Any


class NameManager:
    """Automatic names ``<hint><n>`` for blocks and symbols created without a prefix; inside
    ``with NameManager():`` counting starts again from 0."""

    def __init__(self) -> None:
        self._counter: dict[str, int] = {}
        self._old_manager: NameManager | None = None
        self._lock = threading.Lock()

    def get(self, name: str | None, hint: str) -> str:
        """``name`` when given, else the next ``<hint><n>`` of this manager."""
        if name:
            return name
        with self._lock:
            n = self._counter.get(hint, 0)
            self._counter[hint] = n + 1
        return f"{hint}{n}"

    def __enter__(self) -> NameManager:
        self._old_manager = current_name_manager()
        _LOCAL.name_manager = self
        return self

    def __exit__(self, *exc: Any) -> None:
        _LOCAL.name_manager = self._old_manager


class Prefix(NameManager):
    """A name manager that puts ``prefix`` in front of every name it makes (and of names given
    explicitly), e.g. ``with mx.name.Prefix('net_'): nn.Dense(2)`` has prefix ``net_dense0_``."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._prefix = prefix

    def get(self, name: str | None, hint: str) -> str:
        return self._prefix + super().get(name, hint)


class _Local(threading.local):
    name_manager: NameManager | None = None
    attr_scope: AttrScope | None = None


_LOCAL = _Local()
_DEFAULT_NAMES = NameManager()


def current_name_manager() -> NameManager:
    """The name manager of the innermost ``with`` block of this thread, else the process-wide
    default."""
    return _LOCAL.name_manager or _DEFAULT_NAMES


class AttrScope:
    """``with mx.AttrScope(ctx_group='dev1'):`` attaches string attributes to the symbols
    created inside; nested scopes add to the outer scope's attributes."""

    def __init__(self, **kwargs: str) -> None:
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise ValueError(f"AttrScope: attribute {key!r} must be a string, got "
                                 f"{type(value).__name__} {value!r}.")
        self._attr = dict(kwargs)
        self._old_scope: AttrScope | None = None

    def get(self, attr: dict[str, str] | None) -> dict[str, str]:
        """The scope's attributes updated with ``attr`` (``attr`` wins)."""
        out = dict(self._attr)
        out.update(attr or {})
        return out

    def __enter__(self) -> AttrScope:
        self._old_scope = current_attr_scope()
        merged = dict(self._old_scope._attr)
        merged.update(self._attr)
        self._attr = merged
        _LOCAL.attr_scope = self
        return self

    def __exit__(self, *exc: Any) -> None:
        _LOCAL.attr_scope = self._old_scope


_DEFAULT_ATTRS = AttrScope()


def current_attr_scope() -> AttrScope:
    """The attribute scope of the innermost ``with`` block of this thread (empty outside)."""
    return _LOCAL.attr_scope or _DEFAULT_ATTRS
