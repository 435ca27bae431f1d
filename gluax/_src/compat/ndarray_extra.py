"""The functions of MXNet's ``mxnet.ndarray.ndarray`` that are not operators: ``concatenate``,
``onehot_encode`` and the dtype/grad_req code tables code reads."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from gluax._src.engine.namespace import op_function
from gluax._src.engine.ndarray import NDArray

# MXNet's dtype codes (the .params file format uses them too)
_DTYPE_NP_TO_MX: dict[Any, int] = {None: -1, np.float32: 0, np.float64: 1, np.float16: 2,
                                   np.uint8: 3, np.int32: 4, np.int8: 5, np.int64: 6,
                                   np.bool_: 7, jnp.bfloat16: 12}
_DTYPE_MX_TO_NP: dict[int, Any] = {v: k for k, v in _DTYPE_NP_TO_MX.items()}
_GRAD_REQ_MAP = {"null": 0, "write": 1, "add": 3}
# MXNet's storage-type ids (gluax stores only "default"; the table is what MXNet code looks up)
_STORAGE_TYPE_UNDEFINED = -1
_STORAGE_TYPE_DEFAULT = 0
_STORAGE_TYPE_ROW_SPARSE = 1
_STORAGE_TYPE_CSR = 2
_STORAGE_TYPE_STR_TO_ID = {"undefined": -1, "default": 0, "row_sparse": 1, "csr": 2}
_STORAGE_TYPE_ID_TO_STR = {v: k for k, v in _STORAGE_TYPE_STR_TO_ID.items()}


def concatenate(arrays: list[NDArray], axis: int = 0, always_copy: bool = True) -> NDArray:
    """Join a list of NDArrays along ``axis`` (MXNet's Python-level ``concat``). With
    ``always_copy=False`` a one-element list returns that array itself."""
    if not isinstance(arrays, list) or not arrays:
        raise ValueError(f"concatenate: arrays must be a non-empty list of NDArrays, got "
                         f"{type(arrays).__name__} {arrays!r}.")
    if not all(isinstance(a, NDArray) for a in arrays):
        raise TypeError(f"concatenate: every element must be an NDArray, got "
                        f"{[type(a).__name__ for a in arrays]}.")
    if not always_copy and len(arrays) == 1:
        return arrays[0]
    first = arrays[0]
    ax = axis % first.ndim if first.ndim else axis
    for i, a in enumerate(arrays[1:], 1):
        if (a.ndim != first.ndim or a.shape[:ax] != first.shape[:ax]
                or a.shape[ax + 1:] != first.shape[ax + 1:]):
            raise ValueError(f"concatenate: array {i} has shape {a.shape!r}, which does not "
                             f"match array 0's shape {first.shape!r} outside axis {axis}.")
        if a.dtype != first.dtype:
            raise TypeError(f"concatenate: array {i} has dtype {np.dtype(a.dtype).name}, "
                            f"array 0 has {np.dtype(first.dtype).name}.")
    if len(arrays) == 1:
        return first.copy()
    return op_function("concat")(*arrays, dim=ax)


def onehot_encode(indices: NDArray, out: NDArray) -> NDArray:
    """Write the one-hot rows of ``indices`` into ``out`` (shape ``(n, depth)``); returns
    ``out``. Deprecated in MXNet in favour of ``mx.nd.one_hot``."""
    if out.ndim != 2 or indices.shape != out.shape[:1]:
        raise ValueError(f"onehot_encode: out must have shape (len(indices), depth), got "
                         f"indices {indices.shape!r} and out {out.shape!r}.")
    out[:] = op_function("one_hot")(indices, depth=out.shape[1], dtype=np.dtype(out.dtype).name)
    return out
