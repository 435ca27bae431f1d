"""``mx.nd.histogram`` / ``mx.sym.histogram``: MXNet's Python-level front ends of the
``_histogram`` operator (an int ``bins`` with a ``range``, or an array of edges)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from gluax._src.engine.namespace import op_function
from gluax._src.engine.ndarray import NDArray
from gluax._src.gluon.symbol import Symbol, symbol_function
from gluax._src.ops.creation import array


def _is_count(bins: Any) -> bool:
    return isinstance(bins, (numbers.Integral, np.integer)) and not isinstance(bins, bool)


def histogram(a: NDArray, bins: Any = 10, range: Any = None) -> tuple[NDArray, NDArray]:  # noqa: A002
    """Counts of the flattened ``a`` in ``bins`` (an int: that many equal bins over ``range``;
    an NDArray: the bin edges, rightmost included). Returns ``(counts, edges)``. With an int
    ``bins`` and no ``range``, MXNet computes the result with numpy over ``(a.min(), a.max())``
    and warns; so does gluax (float32 counts, as MXNet's)."""
    if isinstance(bins, NDArray):
        return op_function("_histogram")(a, bins)
    if _is_count(bins):
        if range is None:
            warnings.warn("histogram: range is not given; computing it with numpy over "
                          "(a.min(), a.max()) as MXNet does.", stacklevel=2)
            counts, edges = np.histogram(a.asnumpy(), bins=int(bins))
            return array(counts), array(edges)
        return op_function("_histogram")(a, bin_cnt=int(bins), range=tuple(range))
    raise ValueError(f"histogram: bins must be an int or an NDArray of edges, got "
                     f"{type(bins).__name__} {bins!r}.")


def sym_histogram(a: Symbol, bins: Any = 10, range: Any = None, **kwargs: Any) -> Symbol:  # noqa: A002
    """``mx.sym.histogram``: as :func:`histogram` on Symbols; an int ``bins`` needs ``range``
    (symbol mode cannot look at the values)."""
    if isinstance(bins, Symbol):
        return symbol_function("_histogram")(a, bins, **kwargs)
    if _is_count(bins):
        if range is None:
            raise ValueError("histogram: an int bins needs range in symbol mode (MXNet's rule: "
                             "a null range is not supported there).")
        return symbol_function("_histogram")(a, bin_cnt=int(bins), range=tuple(range), **kwargs)
    raise ValueError(f"histogram: bins must be an int or a Symbol of edges, got "
                     f"{type(bins).__name__} {bins!r}.")
