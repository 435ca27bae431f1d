"""The ``mx.np`` namespace: MXNet 1.9.1's names, resolved to creation functions, the
``jax.numpy`` table of ``functions.py`` or NumPy's own helpers."""

from __future__ import annotations

from typing import Any, Callable

import numpy as onp

from gluax._src.numpy import creation
from gluax._src.numpy import functions as _f

# Every function of MXNet 1.9.1's mx.np (tests/fixtures/np_inventory) that runs through the
# jax.numpy table; creation functions and NumPy helpers are listed below it.
TABLE = tuple(
    """abs absolute add all allclose alltrue amax amin any append apply_along_axis
    apply_over_axes arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin
    argpartition argsort argwhere around array_equal array_equiv array_split atleast_1d
    atleast_2d atleast_3d average bincount bitwise_and bitwise_not bitwise_or bitwise_xor
    blackman broadcast_arrays broadcast_to cbrt ceil choose clip column_stack compress
    concatenate copy copysign corrcoef correlate cos cosh count_nonzero cov cumsum deg2rad
    degrees delete diag diag_indices_from diagflat diagonal diff digitize divide divmod dot
    dsplit dstack ediff1d einsum equal exp expand_dims expm1 extract fabs fix flatnonzero flip
    fliplr flipud float_power floor frexp greater greater_equal hamming hanning heaviside
    histogram histogram2d histogram_bin_edges histogramdd hsplit hstack hypot i0 inner insert
    interp intersect1d invert isclose isfinite isin isinf isnan isneginf isposinf ix_ lcm ldexp
    less less_equal lexsort log log10 log1p log2 logical_not matmul max maximum mean meshgrid
    min minimum mod modf moveaxis multiply nan_to_num nanargmax nanargmin nancumprod nancumsum
    nanmax nanmedian nanmin nanpercentile nanprod nanquantile negative nonzero not_equal outer
    packbits pad partition percentile piecewise poly polyadd polydiv polyfit polyint polymul
    polysub polyval positive power prod product ptp quantile rad2deg radians ravel real
    reciprocal remainder repeat reshape resize rint roll rollaxis roots rot90 round round_
    row_stack searchsorted select setdiff1d setxor1d sign signbit sin sinh sometrue sort spacing
    split sqrt square squeeze stack std subtract sum swapaxes take take_along_axis tan tanh
    tensordot tile trace transpose trapz tril tril_indices_from trim_zeros triu_indices_from
    true_divide trunc union1d unique unpackbits unravel_index unwrap vander var vdot vsplit
    vstack where""".split()
)

CREATION = (
    "array", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
    "full_like", "eye", "identity", "arange", "linspace", "logspace", "indices", "shape", "ndim",
    "size", "may_share_memory", "shares_memory", "result_type", "min_scalar_type", "genfromtxt",
)

# NumPy's own objects, as MXNet re-exports them.
NUMPY_ATTRS = (
    "bool_", "float16", "float32", "float64", "int8", "int32", "int64", "uint8", "finfo",
    "promote_types", "set_printoptions", "e", "pi", "inf", "nan", "newaxis",
)
CONSTANTS = {"NAN": onp.nan, "NaN": onp.nan, "NINF": -onp.inf, "PINF": onp.inf, "NZERO": -0.0,
             "PZERO": 0.0, "bool": onp.bool_}

# MXNet 1.9.1 lists these, but they are NumPy financial functions that NumPy itself removed
# in 1.20 (numpy-financial), so MXNet's own call fails; gluax leaves them out.
ABSENT = {n: "NumPy's financial functions moved to the numpy-financial package"
          for n in ("npv", "pv", "rate", "mirr", "ppmt")}


def msort(a: Any) -> Any:
    """A copy of ``a`` sorted along its first axis."""
    return _f.call("sort", a, axis=0)


def in1d(ar1: Any, ar2: Any, assume_unique: bool = False, invert: bool = False) -> Any:
    """Whether each element of ``ar1`` (flattened) is in ``ar2``."""
    return _f.call("isin", _f.call("ravel", ar1), ar2, assume_unique=assume_unique,
                   invert=invert)


EXTRA: dict[str, Callable[..., Any]] = {"msort": msort, "in1d": in1d}

_CACHE: dict[str, Any] = {}


def np_names() -> list[str]:
    """Every public name of ``mx.np`` that is a function or value (modules and the ndarray
    class are attributes of the public module)."""
    return sorted(set(TABLE) | set(CREATION) | set(NUMPY_ATTRS) | set(CONSTANTS) | set(EXTRA))


def np_attr(name: str) -> Any:
    """``mx.np.<name>``; AttributeError for names MXNet 1.9.1 lacks."""
    v = _CACHE.get(name)
    if v is not None:
        return v
    if name in CREATION:
        v = getattr(creation, name)
    elif name in EXTRA:
        v = EXTRA[name]
    elif name in TABLE:
        v = _f.function(name)
    elif name in NUMPY_ATTRS:
        v = getattr(onp, name)
    elif name in CONSTANTS:
        return CONSTANTS[name]
    elif name in ABSENT:
        raise AttributeError(f"gluax.numpy has no {name!r}: {ABSENT[name]}.")
    else:
        raise AttributeError(f"module 'gluax.numpy' has no attribute {name!r}")
    _CACHE[name] = v
    return v
