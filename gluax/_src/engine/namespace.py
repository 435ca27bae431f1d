"""Build the ``mx.nd`` / ``mx.sym`` namespaces from the operator registry."""

from __future__ import annotations

from typing import Any, Callable

from gluax._src.engine import registry

_FUNCS: dict[str, Callable[..., Any]] = {}

# MXNet operators gluax deliberately lacks: public name -> (reason, alternative). Filled by
# gluax._src.ops.absent (the table lives with the operators; the engine only looks it up).
_ABSENT: dict[str, tuple[str, str]] = {}
# Registry prefix -> the mx.nd sub-namespace MXNet puts those operators in.
_PREFIX_NAMESPACE = {"_contrib_": "contrib", "_linalg_": "linalg", "_image_": "image",
                     "_sparse_": "sparse", "_random_": "random"}


class AbsentOperatorError(AttributeError, NotImplementedError):
    """An MXNet 1.9 operator that gluax does not implement, with the reason and the
    alternative in its message.

    It is an ``AttributeError`` so that ``hasattr(mx.nd, name)`` is False, as for any missing
    attribute, and a ``NotImplementedError`` so that it can be caught as a missing feature.
    """


def declare_absent(table: dict[str, tuple[str, str]]) -> None:
    """Record MXNet operators gluax does not implement (``{name: (reason, alternative)}``)."""
    _ABSENT.update(table)


def absent_error(name: str) -> AbsentOperatorError | None:
    """The error for MXNet operator ``name`` if gluax lists it as absent, else None."""
    entry = _ABSENT.get(name)
    if entry is None:
        return None
    reason, alternative = entry
    return AbsentOperatorError(
        f"gluax does not implement MXNet operator {name!r} ({reason}); use {alternative}."
    )


def op_function(name: str) -> Callable[..., Any]:
    """The public function for operator ``name`` (cached); raises AttributeError if none
    (``AbsentOperatorError``, naming the alternative, for an MXNet operator gluax lacks)."""
    f = _FUNCS.get(name)
    if f is None:
        try:
            f = _FUNCS[name] = registry.make_function(name)
        except AttributeError:
            err = absent_error(name)
            if err is not None:
                raise err from None
            raise AttributeError(f"module 'gluax.nd' has no attribute {name!r}") from None
    return f


def op_names() -> list[str]:
    return sorted(registry.OPS)


def prefixed_function(prefix: str, name: str) -> Callable[..., Any]:
    """``mx.nd.image.resize`` and friends: the operator registered as ``prefix + name``."""
    try:
        return op_function(prefix + name)
    except AttributeError:
        namespace = _PREFIX_NAMESPACE.get(prefix)
        err = absent_error(f"{namespace}.{name}") if namespace else None
        if err is not None:
            raise err from None
        raise AttributeError(f"gluax has no operator {prefix + name!r} (for {name!r}).") from None
