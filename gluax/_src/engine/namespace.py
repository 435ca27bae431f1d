"""Build the ``mx.nd`` / ``mx.sym`` namespaces from the operator registry."""

from __future__ import annotations

from typing import Any, Callable

from gluax._src.engine import registry

_FUNCS: dict[str, Callable[..., Any]] = {}


def op_function(name: str) -> Callable[..., Any]:
    """The public function for operator ``name`` (cached); raises AttributeError if none."""
    f = _FUNCS.get(name)
    if f is None:
        try:
            f = _FUNCS[name] = registry.make_function(name)
        except AttributeError:
            raise AttributeError(f"module 'gluax.nd' has no attribute {name!r}") from None
    return f


def op_names() -> list[str]:
    return sorted(registry.OPS)


def prefixed_function(prefix: str, name: str) -> Callable[..., Any]:
    """``mx.nd.image.resize`` and friends: the operator registered as ``prefix + name``."""
    try:
        return op_function(prefix + name)
    except AttributeError:
        raise AttributeError(f"gluax has no operator {prefix + name!r} (for {name!r}).") from None
