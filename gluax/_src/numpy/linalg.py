"""``mx.np.linalg``: ``jax.numpy.linalg`` behind MXNet 1.9.1's names (see ``functions.py``)."""

from __future__ import annotations

from typing import Any, Callable

import jax.numpy as jnp
import numpy as onp

from gluax._src.numpy import functions as _f

NAMES = tuple(
    "cholesky cond det eig eigh eigvals eigvalsh inv lstsq matrix_power matrix_rank multi_dot "
    "norm pinv qr slogdet solve svd tensorinv tensorsolve".split()
)


def _call(name: str, *args: Any, **kwargs: Any) -> Any:
    return _f.call_in(jnp.linalg, onp.linalg, name, args, kwargs)


def svd(a: Any) -> tuple[Any, Any, Any]:
    """MXNet's reduced SVD: ``(ut, s, v)`` with ``a == ut @ np.diag(s) @ v``."""
    return _call("svd", a, full_matrices=False)


def lstsq(a: Any, b: Any, rcond: Any = "warn") -> tuple[Any, Any, Any, Any]:
    """Least-squares solution of ``a @ x = b``: ``(x, residuals, rank, s)``."""
    return _call("lstsq", a, b, rcond=None if rcond == "warn" else rcond)


def _function(name: str) -> Callable[..., Any]:
    def f(*args: Any, **kwargs: Any) -> Any:
        return _call(name, *args, **kwargs)

    f.__name__ = f.__qualname__ = name
    first = (getattr(onp.linalg, name).__doc__ or "").strip().split("\n")[0]
    f.__doc__ = f"NumPy's ``linalg.{name}`` on ``mx.np.ndarray``: {first}"
    return f


_CACHE: dict[str, Any] = {"svd": svd, "lstsq": lstsq}


def linalg_attr(name: str) -> Any:
    """``mx.np.linalg.<name>``."""
    v = _CACHE.get(name)
    if v is None:
        if name not in NAMES:
            raise AttributeError(f"module 'gluax.numpy.linalg' has no attribute {name!r}")
        v = _CACHE[name] = _function(name)
    return v
