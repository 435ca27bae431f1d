"""Helpers of ``mx.io.utils``: bring data and labels into the canonical ``[(name, NDArray)]`` form.

As in MXNet 1.9, a single array becomes ``[(default_name, array)]``, a list of several arrays
becomes ``_0_<name>``, ``_1_<name>``, ... and every form is sorted by name (so a dict's order
and a long list's order follow string order: ``_10_data`` sorts before ``_1_data``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from gluax._src.engine.ndarray import NDArray
from gluax._src.ops.creation import array as _nd_array


def _init_data(data: Any, allow_empty: bool, default_name: str) -> list[tuple[str, NDArray]]:
    """Canonical ``[(name, NDArray)]`` form of ``data`` (an array, a list of arrays or a dict)."""
    if data is None:
        if not allow_empty:
            raise ValueError(f"'{default_name}' must be given: got None.")
        data = []
    if isinstance(data, (np.ndarray, NDArray)) or (
        not isinstance(data, (list, tuple, dict, str))
        and hasattr(data, "shape")
        and hasattr(data, "__getitem__")
    ):
        data = [data]  # one array-like (an h5py.Dataset, a jax array): read into an NDArray
    if isinstance(data, (list, tuple)):
        if not allow_empty and len(data) == 0:
            raise ValueError(f"'{default_name}' must hold at least one array, got an empty list.")
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict((f"_{i}_{default_name}", d) for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise TypeError(
            f"'{default_name}' must be an NDArray, a numpy.ndarray, a list of them or a dict "
            f"with them as values, got {type(data).__name__}."
        )
    out = {}
    for k, v in data.items():
        if isinstance(v, NDArray):
            out[k] = v
            continue
        try:
            out[k] = _nd_array(v)
        except Exception as err:  # noqa: BLE001 - any conversion failure is the same user error
            raise TypeError(
                f"Invalid type {type(v).__name__!r} for {k!r}: expected an NDArray or a "
                "numpy.ndarray."
            ) from err
    return sorted(out.items())


def _has_instance(data: list[tuple[str, Any]], dtype: type) -> bool:
    """Whether one of the arrays of canonical ``data`` is an instance of ``dtype``."""
    return any(isinstance(arr, dtype) for _, arr in data)


def _getdata_by_idx(data: list[tuple[str, NDArray]], idx: np.ndarray) -> list[tuple[str, NDArray]]:
    """``data`` with every array reordered along its first axis by ``idx``. As in MXNet 1.9,
    the reordered arrays are rebuilt with ``nd.array`` and so become float32."""
    return [(k, _nd_array(v.asnumpy()[idx], v.context)) for k, v in data]


def _slice_along_batch_axis(data: NDArray, s: slice, batch_axis: int) -> NDArray:
    """``data[s]`` along ``batch_axis``."""
    index = [slice(None)] * data.ndim
    index[batch_axis] = s
    return _nd_array(data.asnumpy()[tuple(index)], data.context, dtype=data.dtype)
