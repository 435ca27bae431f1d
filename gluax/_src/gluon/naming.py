"""Block naming: process-wide counters, per-block name scopes, prefixes; forward hooks."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable

from gluax._src.engine.scopes import current_name_manager
from gluax._src.gluon.parameter import ParameterDict

if TYPE_CHECKING:
    from gluax._src.gluon.block import Block


class _BlockScope(threading.local):
    current: _Scope | None = None


_CURRENT = _BlockScope()


class _Scope:
    """The naming scope of one block: per-hint counters for the children created in it."""

    def __init__(self, block: Block) -> None:
        self.block = block
        self.counter: dict[str, int] = {}
        self._old: _Scope | None = None

    def __enter__(self) -> _Scope:
        if self.block._empty_prefix:
            return self
        self._old = _CURRENT.current
        _CURRENT.current = self
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.block._empty_prefix:
            return
        _CURRENT.current = self._old


def _create_prefix(
    prefix: str | None, params: ParameterDict | None, hint: str
) -> tuple[str, ParameterDict]:
    current = _CURRENT.current
    if current is None:
        if prefix is None:
            prefix = current_name_manager().get(None, hint) + "_"  # mx.name scopes
        pd = ParameterDict(prefix) if params is None else ParameterDict(params.prefix, params)
        return prefix, pd
    if prefix is None:
        n = current.counter.get(hint, 0)
        prefix = f"{hint}{n}_"
        current.counter[hint] = n + 1
    if params is None:
        parent = current.block.params
        pd = ParameterDict(parent.prefix + prefix, parent._shared)
    else:
        pd = ParameterDict(params.prefix, params)
    return current.block.prefix + prefix, pd


def _indent(s: str, n: int) -> str:
    lines = s.split("\n")
    return "\n".join([lines[0]] + [" " * n + line for line in lines[1:]])


class HookHandle:
    """Returned by ``register_forward_hook``; ``detach()`` removes the hook."""

    _next_id = 0

    def __init__(
        self, hooks: OrderedDict[int, Callable[..., Any]], hook: Callable[..., Any]
    ) -> None:
        HookHandle._next_id += 1
        self.id = HookHandle._next_id
        self._hooks = hooks
        hooks[self.id] = hook

    def detach(self) -> None:
        """Remove the hook from its block; calling it again does nothing."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.detach()
