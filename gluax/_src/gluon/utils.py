"""``gluon.utils``: batch splitting across contexts, gradient clipping, file checks."""

from __future__ import annotations

import hashlib
import math
import os
import warnings
from typing import Any, Sequence

import jax
import jax.numpy as jnp

from gluax._src.engine.context import Context
from gluax._src.engine.ndarray import NDArray


def split_data(
    data: NDArray, num_slice: int, batch_axis: int = 0, even_split: bool = True
) -> list[NDArray]:
    """Split ``data`` into ``num_slice`` slices along ``batch_axis``; with ``even_split=False``
    the first slices get one extra row each when the size does not divide."""
    batch_axis = _check_axis("split_data", data, batch_axis)
    if isinstance(num_slice, bool) or not isinstance(num_slice, int) or num_slice < 1:
        raise ValueError(f"split_data: num_slice must be a positive int, got {num_slice!r}.")
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            f"data with shape {data.shape} cannot be evenly split into {num_slice} slices along "
            f"axis {batch_axis}. Use a batch size that's multiple of {num_slice} or set "
            "even_split=False to allow uneven partitioning of data."
        )
    if num_slice > size:
        raise ValueError(
            f"Too many slices for data with shape {data.shape}: {num_slice} slices along axis {batch_axis} of size {size}."
        )
    step, extras = divmod(size, num_slice)
    out, start = [], 0
    for i in range(num_slice):
        end = start + step + (1 if i < extras else 0)
        index = (slice(None),) * batch_axis + (slice(start, end),)
        out.append(data[index] if num_slice > 1 else data)
        start = end
    return out


def _check_axis(where: str, data: NDArray, batch_axis: Any) -> int:
    if isinstance(batch_axis, bool) or not isinstance(batch_axis, int):
        raise TypeError(f"{where}: batch_axis must be an int, got {type(batch_axis).__name__}.")
    if not -data.ndim <= batch_axis < data.ndim:
        raise ValueError(
            f"{where}: batch_axis={batch_axis} is not an axis of data with shape {data.shape} "
            f"({-data.ndim} to {data.ndim - 1})."
        )
    return batch_axis % data.ndim


def split_and_load(
    data: Any, ctx_list: Sequence[Context], batch_axis: int = 0, even_split: bool = True
) -> list[NDArray]:
    """Split ``data`` along ``batch_axis`` and place one slice on each context."""
    if isinstance(ctx_list, Context):
        ctx_list = [ctx_list]
    if not isinstance(ctx_list, (list, tuple)) or not ctx_list:
        raise ValueError(
            f"split_and_load: ctx_list must be a non-empty list of contexts, got {ctx_list!r}."
        )
    if not isinstance(data, NDArray):
        from gluax._src.ops.creation import array

        data = array(data, ctx=ctx_list[0])
    batch_axis = _check_axis("split_and_load", data, batch_axis)
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_context(c) for s, c in zip(slices, ctx_list)]


def clip_global_norm(
    arrays: Sequence[NDArray], max_norm: float, check_isfinite: bool = True
) -> Any:
    """Scale ``arrays`` in place so that their joint L2 norm is at most ``max_norm``.

    Returns the norm before clipping: a Python float when ``check_isfinite`` (warning if it is
    not finite), else a (1,) NDArray.
    """
    if not arrays:
        raise ValueError("clip_global_norm: arrays must not be empty.")
    dev = arrays[0]._ctx.jax_device
    total = jnp.sqrt(
        sum(jax.device_put(jnp.sum(jnp.square(a._value.astype(jnp.float32))), dev) for a in arrays)
    )
    scale = jnp.minimum(max_norm / (total + 1e-8), 1.0)
    for a in arrays:
        a._set_value((a._value * jax.device_put(scale, a._ctx.jax_device)).astype(a._value.dtype))
    if check_isfinite:
        value = float(total)
        if not math.isfinite(value):
            warnings.warn(
                UserWarning("nan or inf is detected. Clipping results will be undefined."),
                stacklevel=2,
            )
        return value
    return NDArray(total.reshape(1), arrays[0]._ctx)


def check_sha1(filename: str, sha1_hash: str) -> bool:
    """Whether the SHA-1 of ``filename`` equals ``sha1_hash``."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha1.update(chunk)
    return sha1.hexdigest() == sha1_hash


def download(
    url: str,
    path: str | None = None,
    overwrite: bool = False,
    sha1_hash: str | None = None,
    retries: int = 5,
    verify_ssl: bool = True,
) -> str:
    """Return the local copy of ``url``'s file; gluax never downloads.

    The file must already be at ``path`` (or, when ``path`` is a folder or None, under its
    name there); otherwise a ``FileNotFoundError`` names where it was expected.
    """
    fname = url.split("/")[-1]
    if path is None:
        path = fname
    elif os.path.isdir(path):
        path = os.path.join(path, fname)
    if os.path.exists(path) and (sha1_hash is None or check_sha1(path, sha1_hash)):
        return path
    raise FileNotFoundError(
        f"gluon.utils.download: gluax does not download files. Put {fname!r} (from {url}) at "
        f"{os.path.abspath(path)!r} and run again."
    )


def shape_is_known(shape: Any) -> bool:
    """Whether every dimension of ``shape`` is known (not 0)."""
    return shape is not None and all(d > 0 for d in shape)
