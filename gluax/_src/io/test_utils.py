"""``mx.test_utils``: the helpers MXNet 1.9's users call from their own test suites.

Comparisons (``assert_almost_equal`` and friends) keep MXNet 1.9.1's names, tolerances per
dtype and error message. Gradient checks work on Symbols (through ``bind``, duck-typed) and,
as a gluax addition, on any function or Block of NDArrays (through autograd). Data helpers
read local files only: gluax never downloads.
"""

from __future__ import annotations

import gzip
import numbers
import os
import platform
import sys
import zipfile
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np
import numpy.testing as npt

from gluax._src.engine import autograd
from gluax._src.engine.context import Context, current_context, num_gpus
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.state import STATE
from gluax._src.io.file_iters import MNISTIter
from gluax._src.io.io import DataBatch, DataIter
from gluax._src.ops.creation import array as _nd_array

_rnd = np.random

# ---- contexts and tolerances -----------------------------------------------------------------


def default_context() -> Context:
    """The context tests run on: the current default context."""
    return current_context()


def set_default_context(ctx: Context) -> None:
    """Make ``ctx`` the default context of this thread (inside a ``with ctx:`` block, until
    the block ends)."""
    if not isinstance(ctx, Context):
        raise TypeError(f"set_default_context: expected a Context, got {type(ctx).__name__}.")
    if STATE.contexts:
        STATE.contexts[-1] = ctx
    else:
        STATE.contexts.append(ctx)


def default_dtype() -> type:
    """float32, the dtype of test arrays."""
    return np.float32


def default_rtols() -> dict[np.dtype, float]:
    """Relative tolerance per dtype (MXNet 1.9.1's table)."""
    tols = {np.float16: 1e-2, np.float32: 1e-4, np.float64: 1e-5}
    ints = (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64)
    return {np.dtype(k): v for k, v in list(tols.items()) + [(t, 0) for t in ints]}


def default_atols() -> dict[np.dtype, float]:
    """Absolute tolerance per dtype (MXNet 1.9.1's table)."""
    tols = {np.float16: 1e-1, np.float32: 1e-3, np.float64: 1e-20}
    ints = (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64)
    return {np.dtype(k): v for k, v in list(tols.items()) + [(t, 0) for t in ints]}


def default_numeric_eps() -> dict[np.dtype, float]:
    """Finite-difference step per dtype for ``check_numeric_gradient``."""
    return {
        np.dtype(np.float16): 1.0 / 2**6,
        np.dtype(np.float32): 1.0 / 2**9,
        np.dtype(np.float64): 1.0 / 2**14,
    }


def effective_dtype(dat: Any) -> np.dtype:
    """The dtype whose tolerances apply to ``dat`` (MXNet maps float32 on TF32 GPUs to
    float16; XLA's default matmul precision on GPU is TF32-like too, so gluax does the same
    for arrays on a GPU)."""
    dtype = np.dtype(dat.dtype)
    ctx = getattr(dat, "context", None)
    if (
        dtype == np.dtype(np.float32)
        and isinstance(ctx, Context)
        and ctx.device_type == "gpu"
        and os.environ.get("NVIDIA_TF32_OVERRIDE") != "0"
    ):
        return np.dtype(np.float16)
    return dtype


def get_tolerance(dat: Any, tol: Any, default_tol: dict[np.dtype, float]) -> float:
    """``tol`` if it is a number, else its (or the default) entry for ``dat``'s dtype."""
    if isinstance(tol, numbers.Number):
        return tol
    dtype = effective_dtype(dat)
    tol = {} if tol is None else tol
    return tol.get(dtype, default_tol[dtype])


def get_tols(x: Any, y: Any, rtol: Any, atol: Any) -> tuple[float, float]:
    """The looser of the two arrays' ``(rtol, atol)``."""
    x = np.array(x) if isinstance(x, numbers.Number) else x
    y = np.array(y) if isinstance(y, numbers.Number) else y
    x = x if hasattr(x, "dtype") else np.asarray(x)
    y = y if hasattr(y, "dtype") else np.asarray(y)
    rtol = max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols()))
    atol = max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols()))
    return rtol, atol


def get_atol(atol: Any = None, dtype: Any = np.dtype(np.float64)) -> float:
    """``atol``, or float64's default when None."""
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def get_rtol(rtol: Any = None, dtype: Any = np.dtype(np.float64)) -> float:
    """``rtol``, or float64's default when None."""
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_etol(etol: Any = None) -> float:
    """``etol`` (the tolerated fraction of mismatches), 0 when None."""
    return 0 if etol is None else etol


# ---- random inputs ---------------------------------------------------------------------------


def random_arrays(*shapes: Any) -> Any:
    """Standard-normal float32 numpy arrays of the given shapes (one array when one shape)."""
    arrays = [
        np.array(np.random.randn(), dtype=default_dtype())
        if len(s) == 0
        else np.random.randn(*s).astype(default_dtype())
        for s in shapes
    ]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes: Any, **kwargs: Any) -> list[np.ndarray]:
    """Uniform arrays in ``[low, high)`` (keywords ``low=0``, ``high=1``, ``dtype``)."""
    low = kwargs.pop("low", 0.0)
    high = kwargs.pop("high", 1.0)
    dtype = kwargs.pop("dtype", default_dtype())
    if kwargs:
        raise TypeError(f"random_uniform_arrays: unexpected arguments {sorted(kwargs)}.")
    return [np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def random_sample(population: list[Any], k: int) -> list[Any]:
    """``k`` elements of ``population`` in random order."""
    if not 0 <= k <= len(population):
        raise ValueError(f"random_sample: k must be in [0, {len(population)}], got {k}.")
    population_copy = population[:]
    np.random.shuffle(population_copy)
    return population_copy[0:k]


def rand_ndarray(
    shape: Any,
    stype: str = "default",
    density: Any = None,
    dtype: Any = None,
    modifier_func: Any = None,
    shuffle_csr_indices: bool = False,
    distribution: Any = None,
    ctx: Any = None,
) -> NDArray:
    """A standard-normal NDArray of ``shape`` (dtype float32 unless given)."""
    if stype != "default":
        raise NotImplementedError(
            f"rand_ndarray: stype={stype!r} is not supported; gluax stores every array densely. "
            "Use stype='default' (the values of a sparse array are the same dense array)."
        )
    return _nd_array(random_arrays(shape), ctx=ctx or default_context(), dtype=dtype)


def rand_sparse_ndarray(shape: Any, stype: str, *args: Any, **kwargs: Any) -> Any:
    """Not supported: gluax has no sparse storage."""
    raise NotImplementedError(
        f"rand_sparse_ndarray: stype={stype!r} is not supported; gluax stores every array "
        "densely. Use rand_ndarray(shape) for a dense random array."
    )


def create_sparse_array(shape: Any, stype: str, *args: Any, **kwargs: Any) -> Any:
    """Not supported: gluax has no sparse storage."""
    return rand_sparse_ndarray(shape, stype)


def rand_shape_2d(dim0: int = 10, dim1: int = 10, allow_zero_size: bool = False) -> tuple[int, int]:
    """A random 2-d shape with sides in ``[1, dim]`` (``[0, dim]`` with allow_zero_size)."""
    low = 0 if allow_zero_size else 1
    return _rnd.randint(low, dim0 + 1), _rnd.randint(low, dim1 + 1)


def rand_shape_3d(
    dim0: int = 10, dim1: int = 10, dim2: int = 10, allow_zero_size: bool = False
) -> tuple[int, int, int]:
    """A random 3-d shape with sides in ``[1, dim]``."""
    low = 0 if allow_zero_size else 1
    return _rnd.randint(low, dim0 + 1), _rnd.randint(low, dim1 + 1), _rnd.randint(low, dim2 + 1)


def rand_shape_nd(num_dim: int, dim: int = 10, allow_zero_size: bool = False) -> tuple[int, ...]:
    """A random ``num_dim``-d shape with sides in ``[1, dim]``."""
    low = 0 if allow_zero_size else 1
    return tuple(_rnd.randint(low, dim + 1, size=num_dim))


def rand_coord_2d(x_low: int, x_high: int, y_low: int, y_high: int) -> tuple[int, int]:
    """A random integer point in ``[x_low, x_high) x [y_low, y_high)``."""
    x = np.random.randint(x_low, x_high, dtype=np.int64)
    y = np.random.randint(y_low, y_high, dtype=np.int64)
    return x, y


def assign_each(the_input: np.ndarray, function: Callable[[Any], Any] | None) -> np.ndarray:
    """``function`` applied to every element (a float64 array; a copy when None)."""
    if function is None:
        return np.array(the_input)
    flat = np.asarray(the_input).ravel()
    return np.array([function(v) for v in flat], dtype=np.float64).reshape(np.shape(the_input))


def assign_each2(
    input1: np.ndarray, input2: np.ndarray, function: Callable[[Any, Any], Any] | None
) -> np.ndarray:
    """``function`` applied to every pair of elements (a float64 array)."""
    if function is None:
        return np.array(input1)
    if np.shape(input1) != np.shape(input2):
        raise ValueError(f"assign_each2: shapes differ, {np.shape(input1)} and {np.shape(input2)}.")
    a, b = np.asarray(input1).ravel(), np.asarray(input2).ravel()
    return np.array([function(x, y) for x, y in zip(a, b)], dtype=np.float64).reshape(
        np.shape(input1)
    )


def create_2d_tensor(rows: int, columns: int, dtype: Any = np.int64) -> NDArray:
    """``(rows, columns)`` NDArray whose row i is filled with i."""
    return _nd_array(
        np.broadcast_to(np.arange(rows).reshape(rows, 1), (rows, columns)), dtype=dtype
    )


def create_vector(size: int, dtype: Any = np.int64) -> NDArray:
    """``arange(size)`` as an NDArray."""
    return _nd_array(np.arange(size), dtype=dtype)


def get_identity_mat(size: int) -> NDArray:
    """The ``size x size`` identity as a float32 NDArray."""
    return _nd_array(np.eye(size, dtype=np.float32))


def get_identity_mat_batch(size: int) -> NDArray:
    """Two stacked identities, shape ``(2, size, size)``."""
    return _nd_array(np.stack([np.eye(size, dtype=np.float32)] * 2))


def np_reduce(
    dat: np.ndarray, axis: Any, keepdims: bool, numpy_reduce_func: Callable
) -> np.ndarray:
    """Reduce ``dat`` over ``axis`` one axis at a time with ``numpy_reduce_func``."""
    if isinstance(axis, int):
        axis = [axis]
    else:
        axis = list(axis) if axis is not None else range(len(dat.shape))
    ret = dat
    for i in reversed(sorted(axis)):
        ret = numpy_reduce_func(ret, axis=i)
    if keepdims:
        keepdims_shape = list(dat.shape)
        for i in axis:
            keepdims_shape[i] = 1
        ret = ret.reshape(tuple(keepdims_shape))
    return ret


def collapse_sum_like(a: np.ndarray, shape: Any) -> np.ndarray:
    """Sum ``a`` down to ``shape`` (the reverse of broadcasting ``shape`` to ``a.shape``)."""
    shape = tuple(shape)
    if len(a.shape) < len(shape):
        raise ValueError(f"collapse_sum_like: {a.shape} has fewer axes than {shape}.")
    if np.prod(shape) == 0 or a.size == 0:
        return np.zeros(shape, dtype=a.dtype)
    lead = len(a.shape) - len(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s != a.shape[i + lead]:
            if s != 1:
                raise ValueError(f"collapse_sum_like: {shape} does not broadcast to {a.shape}.")
            axes.append(i + lead)
    return np.sum(a, axis=tuple(axes)).reshape(shape)


# ---- comparisons -----------------------------------------------------------------------------


def _host(x: Any) -> Any:
    return x.asnumpy() if hasattr(x, "asnumpy") else x


def same(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` have the same shape and values."""
    return np.array_equal(_host(a), _host(b))


def checkShapes(a: Any, b: Any) -> None:  # noqa: N802 - MXNet's name
    """Raise AssertionError when the shapes differ."""
    if a.shape != b.shape:
        raise AssertionError(
            npt.build_err_msg(
                [a, b], err_msg=f"a.shape = {a.shape} and b.shape = {b.shape} are not equal"
            )
        )


def almost_equal(
    a: Any,
    b: Any,
    rtol: Any = None,
    atol: Any = None,
    equal_nan: bool = False,
    use_broadcast: bool = True,
) -> bool:
    """``np.allclose`` with MXNet's float64 defaults (rtol 1e-5, atol 1e-20)."""
    a, b = _host(a), _host(b)
    if not use_broadcast:
        checkShapes(np.asarray(a), np.asarray(b))
    return bool(np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol), equal_nan=equal_nan))


def locationError(
    a: np.ndarray,
    b: np.ndarray,
    index: Any,
    names: Any,  # noqa: N802
    maxError: bool = False,
) -> str:  # noqa: N803 - MXNet's names
    """``"Location of [maximum ]error: <index>, a=<value>, b=<value>"``."""
    maximum = "maximum " if maxError else ""
    return (
        f"Location of {maximum}error: {index}, {names[0]}={float(a[index]):.8f}, "
        f"{names[1]}={float(b[index]):.8f}"
    )


def _find_max_violation(
    a: np.ndarray, b: np.ndarray, rtol: float, atol: float
) -> tuple[Any, float]:
    with np.errstate(invalid="ignore"):
        absdiff = np.where(np.equal(a, b), 0, np.abs(a - b))
        violation = absdiff / (atol + rtol * np.abs(b) + 1e-20)
    loc = np.argmax(violation)
    index = tuple(int(i) for i in np.unravel_index(loc, violation.shape))
    return index, np.max(violation)


def _violation_report(
    a: np.ndarray,
    b: np.ndarray,
    rtol: float,
    atol: float,
    names: Any,
    equal_nan: bool,
    mismatches: Any,
) -> str:
    index, rel = _find_max_violation(a, b, rtol, atol)
    if index == ():
        return f"Error {rel:f} exceeds tolerance rtol={rtol:e}, atol={atol:e}.\n"
    print(f"\n*** Maximum errors for vector of size {a.size}:  rtol={rtol}, atol={atol}\n")
    # Report the worst violations one by one, as MXNet does: zero the worst pair, look again.
    a_tmp, b_tmp = a.astype(np.float64), b.astype(np.float64)
    first_index, first_rel = index, rel
    i = 1
    while i <= a.size:
        if i <= mismatches[0]:
            print(f"{i:3d}: Error {rel:f}  {locationError(a, b, index, names)}")
        a_tmp[index] = b_tmp[index] = 0
        if almost_equal(a_tmp, b_tmp, rtol, atol, equal_nan=equal_nan):
            break
        i += 1
        if i <= mismatches[1] or mismatches[1] <= 0:
            index, rel = _find_max_violation(a_tmp, b_tmp, rtol, atol)
        else:
            break
    degree = "at least " if mismatches[1] > 0 and i > mismatches[1] else ""
    return (
        f"Error {first_rel:f} exceeds tolerance rtol={rtol:e}, atol={atol:e} "
        f"(mismatch {degree}{100 * i / a.size:f}%).\n"
        + locationError(a, b, first_index, names, maxError=True)
    )


def assert_almost_equal(
    a: Any,
    b: Any,
    rtol: Any = None,
    atol: Any = None,
    names: Any = ("a", "b"),
    equal_nan: bool = False,
    use_broadcast: bool = True,
    mismatches: Any = (10, 10),
) -> None:
    """Assert ``|a - b| <= atol + rtol * |b|`` elementwise (NDArrays or numpy arrays).

    Parameters
    ----------
    a, b : NDArray, numpy.ndarray or number
    rtol, atol : float or dict of dtype to float, optional
        Default per dtype (float32: rtol 1e-4, atol 1e-3; float16: 1e-2, 1e-1; float64:
        1e-5, 1e-20; integers: exact); the looser of a's and b's applies.
    names : tuple of str, default ('a', 'b')
        How the message names the two arrays.
    equal_nan : bool, default False
    use_broadcast : bool, default True
        False requires equal shapes.
    mismatches : (int, int), default (10, 10)
        How many violations to print, and to count before saying "at least".

    Raises
    ------
    AssertionError
        Naming the largest violation's location and the two values there, as MXNet does.
    """
    if not use_broadcast:
        checkShapes(a, b)
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = _host(a), _host(b)
    shown = [a, b]  # the message prints scalars as scalars, as MXNet's does
    a = np.asarray(a) if not isinstance(a, np.ndarray) else a
    b = np.asarray(b) if not isinstance(b, np.ndarray) else b
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        np.testing.assert_equal(a, b)
        return
    if almost_equal(a, b, rtol, atol, equal_nan=equal_nan):
        return
    a_b, b_b = np.broadcast_arrays(a, b)
    msg = _violation_report(a_b, b_b, rtol, atol, names, equal_nan, mismatches)
    with np.printoptions(threshold=4, suppress=True):
        raise AssertionError(npt.build_err_msg(shown, err_msg=msg))


def assert_allclose(
    a: Any, b: Any, rtol: float = 1e-07, atol: float = 0, equal_nan: bool = True
) -> None:
    """``assert_almost_equal`` with numpy's ``assert_allclose`` defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_with_err(
    a: Any,
    b: Any,
    rtol: Any = None,
    atol: Any = None,
    etol: Any = None,
    names: Any = ("a", "b"),
    equal_nan: bool = False,
    mismatches: Any = (10, 10),
) -> None:
    """``assert_almost_equal`` that tolerates a fraction ``etol`` of mismatching elements."""
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan, names=names)
        return
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = np.asarray(_host(a)), np.asarray(_host(b))
    equals = np.isclose(a, b, rtol=rtol, atol=atol)
    err = 1 - np.count_nonzero(equals) / equals.size
    if err > etol:
        a_b, b_b = np.broadcast_arrays(a, b)
        msg = _violation_report(a_b, b_b, rtol, atol, names, equal_nan, mismatches)
        with np.printoptions(threshold=4, suppress=True):
            raise AssertionError(npt.build_err_msg([a, b], err_msg=msg))


def assert_almost_equal_ignore_nan(
    a: Any, b: Any, rtol: Any = None, atol: Any = None, names: Any = ("a", "b")
) -> None:
    """``assert_almost_equal`` after zeroing every position where either side is NaN."""
    a, b = np.copy(_host(a)), np.copy(_host(b))
    nan_mask = np.logical_or(np.isnan(a), np.isnan(b))
    a[nan_mask] = 0
    b[nan_mask] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def assert_exception(f: Callable[..., Any], exception_type: Any, *args: Any, **kwargs: Any) -> None:
    """Assert that ``f(*args, **kwargs)`` raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)!s} did not raise {exception_type}.")


def retry(n: int) -> Callable[[Callable[..., Any]], Callable[..., None]]:
    """Decorator: run a flaky test up to ``n`` times; it fails only if every run fails."""
    if n <= 0:
        raise ValueError(f"retry: n must be positive, got {n}.")

    def decorate(f: Callable[..., Any]) -> Callable[..., None]:
        def wrapper(*args: Any, **kwargs: Any) -> None:
            for i in range(n):
                try:
                    f(*args, **kwargs)
                    return
                except AssertionError:
                    if i == n - 1:
                        raise

        wrapper.__name__ = getattr(f, "__name__", "wrapper")
        return wrapper

    return decorate


def same_array(array1: NDArray, array2: NDArray) -> bool:
    """Whether two NDArrays are the same buffer (writing one changes the other).

    gluax NDArrays are never views of each other (a slice is a copy), so this holds only for
    the same object."""
    if array1 is array2:
        return True
    array1[:] += 1
    try:
        return same(array1.asnumpy(), array2.asnumpy())
    finally:
        array1[:] -= 1


def compare_ndarray_tuple(t1: Any, t2: Any, rtol: Any = None, atol: Any = None) -> None:
    """``assert_almost_equal`` over two (nested) tuples of arrays; None skips."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, tuple):
        for s1, s2 in zip(t1, t2):
            compare_ndarray_tuple(s1, s2, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


def compare_optimizer(
    opt1: Any,
    opt2: Any,
    shape: Any,
    dtype: Any,
    w_stype: str = "default",
    g_stype: str = "default",
    rtol: float = 1e-4,
    atol: float = 1e-5,
    compare_states: bool = True,
    ntensors: int = 1,
) -> None:
    """Run one update of two optimizers on the same random weight and gradient and compare
    states and weights (dense storage only)."""
    if w_stype != "default" or g_stype != "default":
        rand_sparse_ndarray(shape, w_stype if w_stype != "default" else g_stype)
    shapes = shape if isinstance(shape, list) else [shape]
    for i, s in enumerate(shapes[:ntensors] if isinstance(shape, list) else shapes):
        w = np.random.uniform(size=s).astype(dtype)
        g = np.random.uniform(size=s).astype(dtype)
        w1, w2 = _nd_array(w, dtype=dtype), _nd_array(w, dtype=dtype)
        g1, g2 = _nd_array(g, dtype=dtype), _nd_array(g, dtype=dtype)
        state1 = opt1.create_state_multi_precision(i, w1)
        state2 = opt2.create_state_multi_precision(i, w2)
        if compare_states:
            compare_ndarray_tuple(state1, state2)
        opt1.update_multi_precision(i, w1, g1, state1)
        opt2.update_multi_precision(i, w2, g2, state2)
        if compare_states:
            compare_ndarray_tuple(state1, state2, rtol=rtol, atol=atol)
        assert_almost_equal(w1, w2, rtol=rtol, atol=atol)


# ---- gradient checks -------------------------------------------------------------------------

_NOT_A_SYMBOL = (
    "{fn}: {what} is neither a Symbol with bind() nor a function/Block of NDArrays. Pass a "
    "Symbol (mx.sym), or a callable such as lambda x: mx.nd.tanh(x) with location=[array]."
)


def _is_symbol(sym: Any) -> bool:
    return callable(getattr(sym, "bind", None)) and callable(getattr(sym, "list_arguments", None))


def _require_symbol(fn: str, sym: Any) -> None:
    if not _is_symbol(sym):
        raise TypeError(
            f"{fn}: expected a Symbol that can be bound (with bind() and list_arguments()), got "
            f"{type(sym).__name__}. Symbols come from mx.sym; for a function or Block use "
            "check_numeric_gradient(f, [inputs])."
        )


def _sorted_items(d: dict[str, Any]) -> list[tuple[str, Any]]:
    """``d``'s items sorted by key."""
    return sorted(d.items(), key=lambda t: t[0])


def _sorted_dict(d: dict[str, Any]) -> OrderedDict:
    """``d`` as an OrderedDict sorted by key."""
    return OrderedDict(_sorted_items(d))


def _to_nd(v: Any, ctx: Any, dtype: Any) -> Any:
    if isinstance(v, np.ndarray):
        return _nd_array(v, ctx=ctx, dtype=v.dtype if dtype == "asnumpy" else dtype)
    return v


def _parse_location(sym: Any, location: Any, ctx: Any, dtype: Any = np.float32) -> OrderedDict:
    """Symbol arguments as a name-sorted dict of NDArrays."""
    if not isinstance(location, (dict, list, tuple)):
        raise TypeError(f"location must be a dict, list or tuple, got {type(location).__name__}.")
    names = sym.list_arguments()
    if isinstance(location, dict):
        if set(location) != set(names):
            raise ValueError(
                "Symbol arguments and keys of the given location do not match. symbol args: "
                f"{sorted(names)}, location keys: {sorted(location)}."
            )
    else:
        if len(location) != len(names):
            raise ValueError(
                f"location holds {len(location)} arrays, the Symbol has {len(names)} arguments {names}."
            )
        location = dict(zip(names, location))
    return _sorted_dict({k: _to_nd(v, ctx, dtype) for k, v in location.items()})


def _parse_aux_states(sym: Any, aux_states: Any, ctx: Any, dtype: Any = np.float32) -> Any:
    if aux_states is None:
        return None
    names = sym.list_auxiliary_states()
    if isinstance(aux_states, dict):
        if set(aux_states) != set(names):
            raise ValueError(
                "Symbol aux_states names and given aux_states do not match. symbol aux names: "
                f"{sorted(names)}, aux_states keys: {sorted(aux_states)}."
            )
    else:
        aux_states = dict(zip(names, aux_states))
    return {
        k: _nd_array(
            _host(v), ctx=ctx, dtype=np.asarray(_host(v)).dtype if dtype == "asnumpy" else dtype
        )
        for k, v in aux_states.items()
    }


def simple_forward(sym: Any, ctx: Any = None, is_train: bool = False, **inputs: Any) -> Any:
    """The outputs (numpy) of Symbol ``sym`` on ``inputs`` given by argument name."""
    _require_symbol("simple_forward", sym)
    ctx = ctx or default_context()
    exe = sym.bind(ctx, args={k: _nd_array(v) for k, v in inputs.items()})
    exe.forward(is_train=is_train)
    outputs = [x.asnumpy() for x in exe.outputs]
    return outputs[0] if len(outputs) == 1 else outputs


def numeric_grad(
    executor: Any,
    location: dict[str, np.ndarray],
    aux_states: Any = None,
    eps: float = 1e-4,
    use_forward_train: bool = True,
    dtype: Any = np.float32,
) -> dict[str, np.ndarray]:
    """Central finite differences of ``sum(executor.outputs[0])`` with respect to each array
    of ``location`` (a dict of numpy arrays), through a bound executor."""
    approx = {k: np.zeros(v.shape, dtype=dtype) for k, v in location.items()}
    for k, v in location.items():
        executor.arg_dict[k][:] = _nd_array(v, dtype=dtype)
    for k in location:
        location[k] = np.array(location[k], order="C")
    for k, v in location.items():
        if v.dtype.kind != "f":
            continue
        old = v.copy()
        for i in range(v.size):
            outs = []
            for step in (eps / 2.0, -eps):
                v.ravel()[i] += step
                executor.arg_dict[k][:] = _nd_array(v, dtype=dtype)
                if aux_states is not None:
                    for key, val in aux_states.items():
                        executor.aux_dict[key][:] = _nd_array(val, dtype=dtype)
                executor.forward(is_train=use_forward_train)
                outs.append(executor.outputs[0].asnumpy())
            approx[k].ravel()[i] = (outs[0] - outs[1]).sum() / eps
            v.ravel()[i] = old.ravel()[i]
        executor.arg_dict[k][:] = _nd_array(old, dtype=dtype)
    return approx


def _callable_numeric_gradient(
    f: Any,
    location: Any,
    numeric_eps: Any,
    rtol: Any,
    atol: Any,
    grad_nodes: Any,
    ctx: Any,
    dtype: Any,
) -> None:
    """check_numeric_gradient for a function or Block of NDArrays (gluax addition)."""
    if isinstance(location, dict):
        names, values, as_kwargs = list(location), list(location.values()), True
    elif isinstance(location, (list, tuple)):
        names, values, as_kwargs = [str(i) for i in range(len(location))], list(location), False
    else:
        raise TypeError(
            f"check_numeric_gradient: location must be a list of input arrays or a dict of "
            f"keyword inputs, got {type(location).__name__}."
        )
    host = [np.array(_host(v), dtype=dtype) for v in values]
    if grad_nodes is None:
        grad_nodes = names
    unknown = [n for n in grad_nodes if n not in names]
    if unknown:
        raise ValueError(f"check_numeric_gradient: grad_nodes {unknown} are not inputs {names}.")

    def run(arrays: list[np.ndarray], record: bool) -> tuple[Any, list[NDArray]]:
        nds = [_nd_array(a, ctx=ctx, dtype=dtype) for a in arrays]
        if record:
            for x in nds:
                x.attach_grad()
            with autograd.record():
                out = f(**dict(zip(names, nds))) if as_kwargs else f(*nds)
        else:
            with autograd.predict_mode():
                out = f(**dict(zip(names, nds))) if as_kwargs else f(*nds)
        if isinstance(out, (list, tuple)):
            out = out[0]
        return out, nds

    out, _ = run(host, False)
    proj = np.random.rand(*out.shape).astype(dtype) + 0.1
    eps = get_tolerance(out, numeric_eps, default_numeric_eps())
    out, nds = run(host, True)
    out.backward(_nd_array(proj, ctx=ctx, dtype=dtype))
    for name in grad_nodes:
        j = names.index(name)
        fd = np.zeros(host[j].shape, dtype=dtype)
        for i in range(host[j].size):
            vals = []
            for step in (eps / 2.0, -eps / 2.0):
                moved = [a.copy() for a in host]
                moved[j].ravel()[i] += step
                vals.append((run(moved, False)[0].asnumpy() * proj).sum())
            fd.ravel()[i] = (vals[0] - vals[1]) / eps
        assert_almost_equal(fd, nds[j].grad, rtol, atol, (f"NUMERICAL_{name}", f"BACKWARD_{name}"))


def check_numeric_gradient(
    sym: Any,
    location: Any,
    aux_states: Any = None,
    numeric_eps: Any = None,
    rtol: Any = None,
    atol: Any = None,
    grad_nodes: Any = None,
    use_forward_train: bool = True,
    ctx: Any = None,
    grad_stype_dict: Any = None,
    dtype: Any = np.float32,
) -> None:
    """Compare the backward gradient with central finite differences of the sum of the output
    times a random projection.

    Parameters
    ----------
    sym : Symbol, or a function / Block of NDArrays (gluax addition)
        A Symbol is bound (``sym.bind``) as in MXNet; a callable is run through autograd.
    location : list or dict of arrays
        The inputs: by argument name or in ``list_arguments()`` order for a Symbol; positional
        (list) or keyword (dict) inputs for a callable.
    numeric_eps : float, optional
        The finite-difference step (float32: 1/512).
    rtol, atol : float, optional
    grad_nodes : list or dict, optional
        Which inputs to check (a dict also gives each one's grad_req, Symbol only).

    Raises
    ------
    AssertionError
        Naming the input (``NUMERICAL_x`` vs ``BACKWARD_x``) and the worst location.
    """
    if np.dtype(dtype) not in (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"check_numeric_gradient: dtype must be float16/32/64, got {dtype!r}.")
    ctx = ctx or default_context()
    if not _is_symbol(sym):
        if not callable(sym):
            raise TypeError(
                _NOT_A_SYMBOL.format(fn="check_numeric_gradient", what=type(sym).__name__)
            )
        _callable_numeric_gradient(sym, location, numeric_eps, rtol, atol, grad_nodes, ctx, dtype)
        return
    location = _parse_location(sym, location, ctx, dtype)
    location_npy = {k: v.asnumpy() for k, v in location.items()}
    aux_nd = _parse_aux_states(sym, aux_states, ctx, dtype)
    aux_npy = None if aux_nd is None else {k: v.asnumpy() for k, v in aux_nd.items()}
    if grad_nodes is None:
        grad_nodes = sym.list_arguments()
        grad_req = {k: "write" for k in grad_nodes}
    elif isinstance(grad_nodes, (list, tuple)):
        grad_nodes = list(grad_nodes)
        grad_req = {k: "write" for k in grad_nodes}
    elif isinstance(grad_nodes, dict):
        grad_req = dict(grad_nodes)
        grad_nodes = list(grad_nodes)
    else:
        raise TypeError(
            f"check_numeric_gradient: grad_nodes must be a list or dict, got {type(grad_nodes).__name__}."
        )
    for k in location:
        grad_req.setdefault(k, "null")
    # MXNet binds make_loss(sym * proj); binding sym and back-propagating proj is the same
    # gradient, and the numeric side sums outputs[0] * proj.
    args_grad_npy = {k: np.random.normal(0, 0.01, size=location[k].shape) for k in grad_nodes}
    args_grad = {k: _nd_array(v, ctx=ctx, dtype=dtype) for k, v in args_grad_npy.items()}
    executor = sym.bind(
        ctx, args=location, args_grad=args_grad, grad_req=grad_req, aux_states=aux_nd
    )
    executor.forward(is_train=True)
    if len(executor.outputs) != 1:
        raise ValueError(
            f"check_numeric_gradient: the Symbol must have one output, it has {len(executor.outputs)}."
        )
    out = executor.outputs[0]
    proj = np.random.rand(*out.shape) + 0.1
    eps = get_tolerance(out, numeric_eps, default_numeric_eps())
    executor.backward([_nd_array(proj, ctx=ctx, dtype=dtype)])
    symbolic = {
        k: executor.grad_dict[k].asnumpy()
        for k in grad_nodes
        if executor.grad_dict.get(k) is not None
    }

    class _Projected:
        """The executor seen through ``outputs[0] * proj`` for numeric_grad."""

        def __init__(self, ex: Any) -> None:
            self.arg_dict, self.aux_dict, self._ex = ex.arg_dict, ex.aux_dict, ex

        def forward(self, is_train: bool = False) -> None:
            self._ex.forward(is_train=is_train)

        @property
        def outputs(self) -> list[NDArray]:
            return [_nd_array(self._ex.outputs[0].asnumpy() * proj)]

    numeric = numeric_grad(
        _Projected(executor),
        location_npy,
        aux_npy,
        eps=eps,
        use_forward_train=use_forward_train,
        dtype=dtype,
    )
    for name in grad_nodes:
        names = (f"NUMERICAL_{name}", f"BACKWARD_{name}")
        sym_grad = symbolic.get(name, args_grad_npy[name])
        if grad_req[name] == "write":
            assert_almost_equal(numeric[name], sym_grad, rtol, atol, names)
        elif grad_req[name] == "add":
            assert_almost_equal(numeric[name], sym_grad - args_grad_npy[name], rtol, atol, names)
        elif grad_req[name] == "null":
            assert_almost_equal(args_grad_npy[name], sym_grad, rtol, atol, names)
        else:
            raise ValueError(f"Invalid grad_req {grad_req[name]!r} for argument {name!r}.")


def check_symbolic_forward(
    sym: Any,
    location: Any,
    expected: Any,
    rtol: Any = None,
    atol: Any = None,
    aux_states: Any = None,
    ctx: Any = None,
    equal_nan: bool = False,
    dtype: Any = np.float32,
) -> list[NDArray]:
    """Compare the outputs of Symbol ``sym`` on ``location`` with ``expected`` (a list in
    output order or a dict by output name); returns the outputs."""
    _require_symbol("check_symbolic_forward", sym)
    ctx = ctx or default_context()
    location = _parse_location(sym, location, ctx, dtype)
    aux_nd = _parse_aux_states(sym, aux_states, ctx, dtype)
    if isinstance(expected, dict):
        expected = [expected[k] for k in sym.list_outputs()]
    executor = sym.bind(ctx, args=location, aux_states=aux_nd, grad_req="null")
    executor.forward(is_train=False)
    outputs = executor.outputs
    for name, expect, output in zip(sym.list_outputs(), expected, outputs):
        assert_almost_equal(
            expect, output, rtol, atol, (f"EXPECTED_{name}", f"FORWARD_{name}"), equal_nan=equal_nan
        )
    return outputs


def check_symbolic_backward(
    sym: Any,
    location: Any,
    out_grads: Any,
    expected: Any,
    rtol: Any = None,
    atol: Any = None,
    aux_states: Any = None,
    grad_req: Any = "write",
    ctx: Any = None,
    grad_stypes: Any = None,
    equal_nan: bool = False,
    dtype: Any = np.float32,
) -> dict[str, Any]:
    """Compare the gradients of Symbol ``sym`` (head gradients ``out_grads``) with
    ``expected`` (a list in argument order or a dict by argument name); returns them."""
    _require_symbol("check_symbolic_backward", sym)
    if grad_stypes and any(s not in (None, "default") for s in grad_stypes.values()):
        rand_sparse_ndarray(
            (1,), next(s for s in grad_stypes.values() if s not in (None, "default"))
        )
    ctx = ctx or default_context()
    location = _parse_location(sym, location, ctx, dtype)
    aux_nd = _parse_aux_states(sym, aux_states, ctx, dtype)
    if isinstance(expected, (list, tuple)):
        expected = dict(zip(sym.list_arguments(), expected))
    args_grad_npy = {
        k: np.random.normal(size=np.shape(_host(v))) for k, v in sorted(expected.items())
    }
    args_grad = {
        k: _nd_array(
            v, ctx=ctx, dtype=np.asarray(_host(expected[k])).dtype if dtype == "asnumpy" else dtype
        )
        for k, v in args_grad_npy.items()
    }
    if isinstance(grad_req, str):
        grad_req = {k: grad_req for k in sym.list_arguments()}
    elif isinstance(grad_req, (list, tuple)):
        grad_req = dict(zip(sym.list_arguments(), grad_req))
    # arguments without an expected gradient get no gradient buffer, so no gradient
    grad_req = {
        k: grad_req.get(k, "null") if k in args_grad else "null" for k in sym.list_arguments()
    }
    executor = sym.bind(
        ctx, args=location, args_grad=args_grad, aux_states=aux_nd, grad_req=grad_req
    )
    executor.forward(is_train=True)
    if isinstance(out_grads, (list, tuple)):
        out_grads = [_to_nd(g, ctx, dtype) for g in out_grads]
    elif isinstance(out_grads, dict):
        out_grads = [_to_nd(out_grads[k], ctx, dtype) for k in sym.list_outputs()]
    elif out_grads is not None:
        out_grads = [_to_nd(out_grads, ctx, dtype)]
    executor.backward(out_grads)
    grads = {k: executor.grad_dict.get(k, args_grad[k]) for k in args_grad}
    for name in expected:
        names = (f"EXPECTED_{name}", f"BACKWARD_{name}")
        if grad_req[name] == "write":
            assert_almost_equal(expected[name], grads[name], rtol, atol, names, equal_nan=equal_nan)
        elif grad_req[name] == "add":
            assert_almost_equal(
                expected[name],
                _host(grads[name]) - args_grad_npy[name],
                rtol,
                atol,
                names,
                equal_nan=equal_nan,
            )
        elif grad_req[name] == "null":
            assert_almost_equal(
                args_grad_npy[name], grads[name], rtol, atol, names, equal_nan=equal_nan
            )
        else:
            raise ValueError(f"Invalid grad_req {grad_req[name]!r} for argument {name!r}.")
    return grads


def check_speed(
    sym: Any,
    location: Any = None,
    ctx: Any = None,
    N: int = 20,  # noqa: N803
    grad_req: Any = None,
    typ: str = "whole",
    **kwargs: Any,
) -> float:
    """Seconds per call of Symbol ``sym``: forward and backward (``typ='whole'``) or forward
    only (``typ='forward'``), averaged over ``N`` calls after one warm-up (compilation)."""
    import time

    _require_symbol("check_speed", sym)
    if typ not in ("whole", "forward"):
        raise ValueError(f"check_speed: typ must be 'whole' or 'forward', got {typ!r}.")
    ctx = ctx or default_context()
    grad_req = grad_req or "write"
    if location is None:
        exe = sym.simple_bind(ctx=ctx, grad_req=grad_req, **kwargs)
        location = {k: np.random.normal(size=a.shape, scale=1.0) for k, a in exe.arg_dict.items()}
    else:
        if not isinstance(location, dict):
            raise TypeError(f"check_speed: location must be a dict, got {type(location).__name__}.")
        exe = sym.simple_bind(
            ctx=ctx, grad_req=grad_req, **{k: v.shape for k, v in location.items()}
        )
    for name, value in location.items():
        exe.arg_dict[name][:] = _nd_array(_host(value), dtype=exe.arg_dict[name].dtype)

    def step() -> None:
        outs = exe.forward(is_train=typ == "whole")
        if typ == "whole":
            exe.backward(out_grads=exe.outputs)
        for out in outs or exe.outputs:
            out.wait_to_read()
        for g in exe.grad_dict.values() if typ == "whole" else ():
            if g is not None:
                g.wait_to_read()

    step()
    tic = time.time()
    for _ in range(N):
        step()
    return (time.time() - tic) / N


def check_consistency(
    sym: Any,
    ctx_list: list[dict[str, Any]],
    scale: float = 1.0,
    grad_req: Any = "write",
    arg_params: Any = None,
    aux_params: Any = None,
    rtol: Any = None,
    atol: Any = None,
    raise_on_err: bool = True,
    ground_truth: Any = None,
    equal_nan: bool = False,
    use_uniform: bool = False,
    rand_type: Any = np.float64,
) -> dict[str, Any]:
    """Run Symbol ``sym`` under several settings (each a dict of ``simple_bind`` arguments:
    ``ctx``, input shapes, ``type_dict``) on the same random inputs and check outputs and
    gradients against the most precise setting (or ``ground_truth``); returns the reference
    ``{name: array}`` of outputs and gradients."""
    if len(ctx_list) < 2:
        raise ValueError(
            f"check_consistency: ctx_list needs at least two settings, got {len(ctx_list)}."
        )
    syms = list(sym) if isinstance(sym, (list, tuple)) else [sym] * len(ctx_list)
    if len(syms) != len(ctx_list):
        raise ValueError(f"check_consistency: {len(syms)} symbols for {len(ctx_list)} settings.")
    for s in syms:
        _require_symbol("check_consistency", s)
    output_names, arg_names = syms[0].list_outputs(), syms[0].list_arguments()
    exes = [s.simple_bind(grad_req=grad_req, **dict(c)) for s, c in zip(syms, ctx_list)]
    arg_params = {} if arg_params is None else dict(arg_params)
    aux_params = {} if aux_params is None else dict(aux_params)
    for n, arr in _sorted_items(exes[0].arg_dict):
        if n not in arg_params:
            if use_uniform:
                arg_params[n] = np.random.uniform(
                    -0.92 * scale, 0.92 * scale, size=arr.shape
                ).astype(rand_type)
            else:
                arg_params[n] = np.random.normal(size=arr.shape, scale=scale).astype(rand_type)
    for n in exes[0].aux_dict:
        aux_params.setdefault(n, 0)
    for exe in exes:
        for name, arr in exe.arg_dict.items():
            arr[:] = _nd_array(np.broadcast_to(_host(arg_params[name]), arr.shape), dtype=arr.dtype)
        for name, arr in exe.aux_dict.items():
            arr[:] = _nd_array(np.broadcast_to(_host(aux_params[name]), arr.shape), dtype=arr.dtype)

    def check(
        kind: str, i: int, gt_i: int, name: str, arr: Any, ref: Any, rt: Any, at: Any
    ) -> None:
        try:
            assert_almost_equal(arr, ref, rtol=rt, atol=at, equal_nan=equal_nan)
        except AssertionError as err:
            print(f"{kind} Err: setting {i} vs setting {gt_i} at {name}")
            if raise_on_err:
                raise
            print(str(err))

    for exe in exes:
        exe.forward(is_train=False)
    dtypes = [np.dtype(exe.outputs[0].dtype) for exe in exes]
    gt_i = int(np.argmax([d.itemsize for d in dtypes]))
    gt = (
        dict(ground_truth)
        if ground_truth is not None
        else dict(zip(output_names, exes[gt_i].outputs))
    )
    for i, exe in enumerate(exes):
        if i != gt_i:
            for name, arr in zip(output_names, exe.outputs):
                check("Predict", i, gt_i, name, arr, gt[name], rtol, atol)
    if grad_req == "null":
        return gt
    for exe in exes:
        exe.forward(is_train=True)
    # the same head gradient everywhere: the outputs of the least precise setting
    least = min(range(len(exes)), key=lambda i: dtypes[i].itemsize)
    heads = [o.asnumpy().astype(dtypes[least]) for o in exes[least].outputs]
    for exe in exes:
        exe.backward([_nd_array(h, dtype=o.dtype) for h, o in zip(heads, exe.outputs)])
    if ground_truth is None:
        gt.update(zip(output_names, exes[gt_i].outputs))
        gt.update({n: exes[gt_i].grad_dict.get(n) for n in arg_names})
    for i, exe in enumerate(exes):
        if i == gt_i:
            continue
        pairs = list(zip(output_names, exe.outputs)) + [
            (n, exe.grad_dict.get(n)) for n in arg_names
        ]
        for name, arr in pairs:
            ref = gt.get(name)
            if ref is None or arr is None:
                continue
            rt, at = rtol, atol
            if dtypes[i].itemsize < np.dtype(ref.dtype).itemsize:
                rt, at = get_tols(arr, ref, rtol, atol)
            check("Train", i, gt_i, name, arr, ref, rt, at)
    return gt


def same_symbol_structure(sym1: Any, sym2: Any) -> bool:
    """Whether two Symbols have the same operators, node by node (from their JSON)."""
    import json

    nodes1 = json.loads(sym1.tojson())["nodes"]
    nodes2 = json.loads(sym2.tojson())["nodes"]
    return all(n1["op"] == n2["op"] for n1, n2 in zip(nodes1, nodes2))


def check_gluon_hybridize_consistency(
    net_builder: Callable[..., Any],
    data_l: list[NDArray],
    numpy_func: Any = None,
    test_grad: bool = True,
    rtol: float = 1e-4,
    atol: float = 1e-4,
) -> None:
    """Build the network four times (eager/hybridized, with/without autograd) from the same
    initial parameters and check that outputs and input gradients agree (and match
    ``numpy_func`` when given)."""
    saved_out, saved_grads, params = None, None, None
    for hybridize in (False, True):
        for use_autograd in [False, True] if test_grad else [False]:
            net = net_builder(prefix="net_")
            net.initialize()
            if params is not None:
                for (_, p), value in zip(sorted(net.collect_params().items()), params):
                    p.set_data(_nd_array(value, dtype=value.dtype))
            if hybridize:
                net.hybridize()
            inputs = [x.copy() for x in data_l]
            if use_autograd:
                for x in inputs:
                    x.attach_grad()
                with autograd.record():
                    out = net(*inputs)
                out.backward(out)
            else:
                out = net(*inputs)
            if params is None:
                params = [p.data().asnumpy() for _, p in sorted(net.collect_params().items())]
            if saved_out is None:
                saved_out = out.asnumpy()
            else:
                assert_almost_equal(out.asnumpy(), saved_out, rtol=rtol, atol=atol)
            if use_autograd:
                grads = [x.grad.asnumpy() for x in inputs]
                if saved_grads is None:
                    saved_grads = grads
                else:
                    for g, s in zip(grads, saved_grads):
                        assert_almost_equal(g, s, rtol=rtol, atol=atol)
    if numpy_func is not None:
        assert_almost_equal(
            saved_out, numpy_func(*[x.asnumpy() for x in data_l]), rtol=rtol, atol=atol
        )


# ---- random generator checks -----------------------------------------------------------------


def gen_buckets_probs_with_ppf(ppf: Callable[[float], float], nbuckets: int) -> tuple[list, list]:
    """``nbuckets`` equiprobable buckets from a quantile function."""
    if nbuckets <= 0:
        raise ValueError(f"gen_buckets_probs_with_ppf: nbuckets must be positive, got {nbuckets}.")
    probs = [1.0 / nbuckets] * nbuckets
    buckets = [(ppf(i / float(nbuckets)), ppf((i + 1) / float(nbuckets))) for i in range(nbuckets)]
    return buckets, probs


def mean_check(
    generator: Callable[[int], Any], mu: float, sigma: float, nsamples: int = 1000000
) -> bool:
    """Whether the sample mean is within 3 standard errors of ``mu``."""
    m = np.array(_host(generator(nsamples))).mean()
    half = 3 * sigma / np.sqrt(nsamples)
    return bool(mu - half < m < mu + half)


def var_check(generator: Callable[[int], Any], sigma: float, nsamples: int = 1000000) -> bool:
    """Whether the sample variance is within 3 standard errors of ``sigma**2``."""
    v = np.array(_host(generator(nsamples))).var(ddof=1)
    half = 3 * np.sqrt(2 * sigma**4 / (nsamples - 1))
    return bool(sigma**2 - half < v < sigma**2 + half)


def chi_square_check(
    generator: Callable[[int], Any], buckets: list, probs: list, nsamples: int = 1000000
) -> tuple[float, np.ndarray, np.ndarray]:
    """Chi-square test of ``generator``'s samples against bucket probabilities; returns
    ``(p_value, observed, expected)``. Needs scipy."""
    try:
        from scipy import stats
    except ImportError:
        raise ImportError("chi_square_check needs scipy: pip install scipy.") from None
    if len(probs) != len(buckets):
        raise ValueError(
            f"chi_square_check: {len(buckets)} buckets but {len(probs)} probabilities."
        )
    samples = np.asarray(_host(generator(nsamples)))
    expected = (nsamples * np.array(probs, dtype=np.float32)).astype(np.int32)
    if isinstance(buckets[0], (list, tuple)):
        edges = np.array([e for b in buckets for e in b], dtype=np.float32)
        ids = np.searchsorted(edges, samples, side="right") // 2
        observed = np.array([(ids == i).sum() for i in range(len(buckets))])
    else:
        observed = np.array([(samples == b).sum() for b in buckets])
    _, p = stats.chisquare(f_obs=observed, f_exp=expected)
    return p, observed, expected


def verify_generator(
    generator: Callable[[int], Any],
    buckets: list,
    probs: list,
    nsamples: int = 1000000,
    nrepeat: int = 5,
    success_rate: float = 0.2,
    alpha: float = 0.05,
) -> list[float]:
    """Repeat ``chi_square_check``; fail when fewer than ``success_rate`` of the runs pass."""
    runs = [chi_square_check(generator, buckets, probs, nsamples) for _ in range(nrepeat)]
    ps = [r[0] for r in runs]
    if (np.array(ps) > alpha).sum() < nrepeat * success_rate:
        raise AssertionError(
            f"Generator test fails, Chi-square p={ps}, obs_freq={[r[1] for r in runs]}, "
            f"expected_freq={[r[2] for r in runs]}.\nbuckets={buckets}, probs={probs}"
        )
    return ps


# ---- matrices ---------------------------------------------------------------------------------


def new_matrix_with_real_eigvals_2d(n: int) -> np.ndarray:
    """A random well-conditioned ``n x n`` matrix with real eigenvalues in [-10, 10]."""
    while True:
        d = np.diag(np.random.uniform(-1.0, 1.0, n))
        v = np.random.uniform(-1.0, 1.0, n).reshape(n, 1)
        v = v / np.linalg.norm(v, axis=-2, keepdims=True)
        q = (np.eye(n) - 2 * v @ v.T) @ d
        if np.linalg.cond(q, 2) < 3:
            break
    return np.linalg.inv(q) @ np.diag(np.random.uniform(-10.0, 10.0, n)) @ q


def new_matrix_with_real_eigvals_nd(shape: Any) -> np.ndarray:
    """A batch of ``new_matrix_with_real_eigvals_2d`` of the given shape."""
    n = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.array([new_matrix_with_real_eigvals_2d(shape[-1]) for _ in range(n)]).reshape(shape)


def new_orthonormal_matrix_2d(n: int) -> np.ndarray:
    """A random ``n x n`` orthonormal matrix."""
    x = np.random.randn(n, n)
    return np.linalg.qr(x.T @ x)[0]


def new_sym_matrix_with_real_eigvals_2d(n: int) -> np.ndarray:
    """A random symmetric ``n x n`` matrix with eigenvalues in [-10, 10]."""
    q = new_orthonormal_matrix_2d(n)
    return q.T @ np.diag(np.random.uniform(-10.0, 10.0, n)) @ q


def new_sym_matrix_with_real_eigvals_nd(shape: Any) -> np.ndarray:
    """A batch of ``new_sym_matrix_with_real_eigvals_2d`` of the given shape."""
    n = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.array([new_sym_matrix_with_real_eigvals_2d(shape[-1]) for _ in range(n)]).reshape(
        shape
    )


# ---- environment and platform ----------------------------------------------------------------


@contextmanager
def environment(*args: Any) -> Iterator[None]:
    """Set environment variables for the ``with`` block, restoring them after.

    ``environment('NAME', 'value')`` or ``environment({'A': '1', 'B': None})`` (None unsets)."""
    if len(args) == 1 and isinstance(args[0], dict):
        env_vars = args[0]
    elif len(args) == 2:
        env_vars = {args[0]: args[1]}
    else:
        raise TypeError("environment: expected one dict or two arguments (name, value).")
    for k, v in env_vars.items():
        if not isinstance(k, str) or not (v is None or isinstance(v, str)):
            raise TypeError(
                f"environment: names and values must be str (value None unsets), got {k!r}={v!r}."
            )
    snapshot = {k: os.environ.get(k) for k in env_vars}

    def apply(values: dict[str, str | None]) -> None:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    apply(env_vars)
    try:
        yield
    finally:
        apply(snapshot)


@contextmanager
def discard_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (also C-level writes) inside the ``with`` block."""
    fd = 2  # the process's stderr, where C libraries write (sys.stderr may be replaced)
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def list_gpus() -> range:
    """``range(number of GPUs JAX can use)``."""
    return range(num_gpus())


def is_cd_run() -> bool:
    """Whether the ``CD_JOB`` environment variable is ``'1'``."""
    return os.environ.get("CD_JOB", 0) == "1"


def is_aarch64_run() -> bool:
    """Whether this machine is aarch64."""
    return platform.machine() == "aarch64"


def has_tvm_ops() -> bool:
    """False: gluax has no TVM operators."""
    return False


def is_op_runnable() -> bool:
    """True: every gluax operator runs on every backend (no TVM operators)."""
    return True


# ---- data ------------------------------------------------------------------------------------

_NO_DOWNLOAD = (
    "{what}: gluax does not download. Fetch {url} yourself and put {where} (looked in {cwd})."
)


def download(
    url: str,
    fname: str | None = None,
    dirname: str | None = None,
    overwrite: bool = False,
    retries: int = 5,
) -> str:
    """The local path MXNet would download ``url`` to, if that file already exists; gluax
    never downloads, so a missing file is an error naming where to put it."""
    fname = fname or url.split("/")[-1]
    if dirname is not None:
        fname = os.path.join(dirname, fname)
    if os.path.exists(fname) and not overwrite:
        return fname
    raise FileNotFoundError(
        _NO_DOWNLOAD.format(what="download", url=url, where=repr(fname), cwd=os.getcwd())
    )


def download_model(model_name: str, dst_dir: str = "./", meta_info: Any = None) -> Any:
    """Not supported: gluax does not download. Use ``gluon.model_zoo`` with local weights."""
    raise NotImplementedError(
        f"download_model({model_name!r}): gluax does not download model files. Put the "
        "-symbol.json and .params files in place yourself and load them with "
        "gluon.SymbolBlock.imports, or use gluon.model_zoo.vision with local weights."
    )


_MNIST_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def _open_maybe_gz(path: str) -> Any:
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _read_mnist_pair(label_path: str, image_path: str) -> tuple[np.ndarray, np.ndarray]:
    with _open_maybe_gz(label_path) as f:
        head = f.read(8)
        if len(head) != 8 or int.from_bytes(head[:4], "big") != 2049:
            raise ValueError(f"get_mnist: {label_path!r} is not an MNIST label idx file.")
        label = np.frombuffer(f.read(), dtype=np.int8)
    with _open_maybe_gz(image_path) as f:
        head = f.read(16)
        if len(head) != 16 or int.from_bytes(head[:4], "big") != 2051:
            raise ValueError(f"get_mnist: {image_path!r} is not an MNIST image idx file.")
        rows, cols = int.from_bytes(head[8:12], "big"), int.from_bytes(head[12:16], "big")
        raw = np.frombuffer(f.read(), dtype=np.uint8)
    if raw.size != len(label) * rows * cols:
        raise ValueError(
            f"get_mnist: {image_path!r} holds {raw.size} pixels, not {len(label)} images of "
            f"{rows}x{cols} as {label_path!r} implies."
        )
    image = raw.reshape(len(label), 1, rows, cols).astype(np.float32) / 255
    return label, image


def get_mnist() -> dict[str, np.ndarray]:
    """MNIST as numpy arrays, from the four gzip idx files MXNet downloads, read from the
    current directory: ``{'train_data', 'train_label', 'test_data', 'test_label'}`` with images
    of shape (N, 1, 28, 28) scaled to [0, 1] and int8 labels."""
    paths = []
    for name in _MNIST_FILES:
        found = next((p for p in (name, name[:-3]) if os.path.exists(p)), None)
        if found is None:
            raise FileNotFoundError(
                _NO_DOWNLOAD.format(
                    what="get_mnist",
                    url="http://data.mxnet.io/data/mnist/" + name,
                    where="the files "
                    + ", ".join(_MNIST_FILES)
                    + " (gzip or not) in the current directory",
                    cwd=os.getcwd(),
                )
            )
        paths.append(found)
    train_lbl, train_img = _read_mnist_pair(paths[0], paths[1])
    test_lbl, test_img = _read_mnist_pair(paths[2], paths[3])
    return {
        "train_data": train_img,
        "train_label": train_lbl,
        "test_data": test_img,
        "test_label": test_lbl,
    }


def _ensure_extracted(what: str, needed: list[str], zip_name: str, url: str) -> None:
    if all(os.path.exists(p) for p in needed):
        return
    zpath = os.path.join("data", zip_name)
    if os.path.exists(zpath):
        try:
            with zipfile.ZipFile(zpath) as zf:
                zf.extractall("data")
        except zipfile.BadZipFile:
            raise ValueError(f"{what}: {zpath!r} is not a valid zip file.") from None
        if all(os.path.exists(p) for p in needed):
            return
    missing = [p for p in needed if not os.path.exists(p)]
    raise FileNotFoundError(
        _NO_DOWNLOAD.format(
            what=what,
            url=url,
            where=f"its contents under data/ (missing: {missing}), or the zip as {zpath!r}",
            cwd=os.getcwd(),
        )
    )


def get_mnist_ubyte() -> None:
    """Make sure ``data/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` exist, extracting a local
    ``data/mnist.zip`` if needed (gluax never downloads)."""
    needed = [
        os.path.join("data", n)
        for n in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        )
    ]
    _ensure_extracted(
        "get_mnist_ubyte", needed, "mnist.zip", "http://data.mxnet.io/mxnet/data/mnist.zip"
    )


def get_mnist_pkl() -> None:
    """Make sure ``data/mnist.pkl.gz`` exists (gluax never downloads)."""
    if not os.path.exists(os.path.join("data", "mnist.pkl.gz")):
        raise FileNotFoundError(
            _NO_DOWNLOAD.format(
                what="get_mnist_pkl",
                url="http://deeplearning.net/data/mnist/mnist.pkl.gz",
                where="it as 'data/mnist.pkl.gz'",
                cwd=os.getcwd(),
            )
        )


def get_cifar10() -> None:
    """Make sure ``data/cifar/{train,test}.{rec,lst}`` exist, extracting a local
    ``data/cifar10.zip`` if needed (gluax never downloads)."""
    needed = [
        os.path.join("data", "cifar", n) for n in ("train.rec", "test.rec", "train.lst", "test.lst")
    ]
    _ensure_extracted(
        "get_cifar10", needed, "cifar10.zip", "http://data.mxnet.io/mxnet/data/cifar10.zip"
    )


def get_mnist_iterator(
    batch_size: int, input_shape: Any, num_parts: int = 1, part_index: int = 0
) -> tuple[MNISTIter, MNISTIter]:
    """``(train, val)`` MNISTIters over ``data/*-ubyte`` (flat unless input_shape is 3-d)."""
    get_mnist_ubyte()
    flat = len(input_shape) != 3
    train = MNISTIter(
        image="data/train-images-idx3-ubyte",
        label="data/train-labels-idx1-ubyte",
        batch_size=batch_size,
        shuffle=True,
        flat=flat,
        num_parts=num_parts,
        part_index=part_index,
    )
    val = MNISTIter(
        image="data/t10k-images-idx3-ubyte",
        label="data/t10k-labels-idx1-ubyte",
        batch_size=batch_size,
        flat=flat,
        num_parts=num_parts,
        part_index=part_index,
    )
    return train, val


def get_zip_data(data_dir: str, url: str, data_origin_name: str) -> None:
    """Extract ``data_dir/data_origin_name`` (a zip that must already be there) into data_dir."""
    path = os.path.join(data_dir, data_origin_name)
    if not os.path.exists(path):
        raise FileNotFoundError(
            _NO_DOWNLOAD.format(what="get_zip_data", url=url, where=repr(path), cwd=os.getcwd())
        )
    with zipfile.ZipFile(path) as zf:
        zf.extractall(path=data_dir)


def get_bz2_data(data_dir: str, data_name: str, url: str, data_origin_name: str) -> None:
    """Decompress ``data_dir/data_origin_name`` (a bz2 file that must already be there) into
    ``data_dir/data_name``, unless that exists."""
    import bz2

    target = os.path.join(data_dir, data_name)
    if os.path.exists(target):
        return
    origin = os.path.join(data_dir, data_origin_name)
    if not os.path.exists(origin):
        raise FileNotFoundError(
            _NO_DOWNLOAD.format(what="get_bz2_data", url=url, where=repr(origin), cwd=os.getcwd())
        )
    tmp = target + ".part"
    with bz2.BZ2File(origin, "rb") as src, open(tmp, "wb") as dst:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            dst.write(chunk)
    os.replace(tmp, target)


def get_im2rec_path(home_env: str = "MXNET_HOME") -> str:
    """The path of MXNet's ``tools/im2rec.py`` under ``$MXNET_HOME`` (gluax does not ship it)."""
    base = os.environ.get(home_env)
    for cand in (
        [
            os.path.join(base, "tools", "im2rec.py"),
            os.path.join(base, "..", "..", "tools", "im2rec.py"),
        ]
        if base
        else []
    ):
        if os.path.isfile(cand):
            return cand
    raise OSError(
        f"Could not find path to tools/im2rec.py: gluax does not ship it; set {home_env} to an "
        "MXNet source checkout that has tools/im2rec.py."
    )


def shuffle_csr_column_indices(csr: Any) -> Any:
    """Not supported: gluax has no sparse storage."""
    return rand_sparse_ndarray(getattr(csr, "shape", ()), "csr")


def create_sparse_array_zd(
    shape: Any, stype: str, density: float, *args: Any, **kwargs: Any
) -> Any:
    """Not supported: gluax has no sparse storage."""
    return rand_sparse_ndarray(shape, stype)


class DummyIter(DataIter):
    """Return the first batch of ``real_iter`` forever (to time what consumes batches)."""

    def __init__(self, real_iter: DataIter) -> None:
        super().__init__()
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.batch_size = real_iter.batch_size
        self.the_batch = next(real_iter)

    def __iter__(self) -> DummyIter:
        return self

    def next(self) -> DataBatch:
        return self.the_batch
