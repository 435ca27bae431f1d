"""Resampling operators on ``(N, C, H, W)`` maps: UpSampling, contrib.BilinearResize2D,
contrib.AdaptiveAvgPooling2D, ROIPooling, GridGenerator, BilinearSampler and
SpatialTransformer."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import as_tuple


def _check_nchw(op: str, name: str, x: jax.Array) -> None:
    if x.ndim != 4:
        raise OperatorError(f"{op}: expected {name} of shape (N, C, H, W), got {tuple(x.shape)}.")


def _nearest(x: jax.Array, sh: int, sw: int) -> jax.Array:
    return jnp.repeat(jnp.repeat(x, sh, axis=2), sw, axis=3)


@register("UpSampling")
def upsampling(
    *data: jax.Array,
    scale: int,
    sample_type: str,
    num_filter: int = 0,
    multi_input_mode: str = "concat",
    workspace: int = 512,
) -> jax.Array:
    """Upsample ``(N, C, H, W)`` maps by the integer ``scale``.

    ``sample_type='nearest'``: each input is repeated by an integer factor to ``scale``
    times the first input's size, then the results are concatenated along the channels
    (``multi_input_mode='concat'``) or summed (``'sum'``).
    ``sample_type='bilinear'``: ``data`` is ``(input, weight)`` and the result is MXNet's
    depthwise deconvolution with ``weight`` of shape ``(C, 1, 2s - s % 2, 2s - s % 2)``,
    stride ``s``, padding ``ceil((s - 1) / 2)`` (initialize ``weight`` with
    ``mx.init.Bilinear()`` for bilinear interpolation).
    """
    if not data:
        raise OperatorError("UpSampling: needs at least one input.")
    for i, x in enumerate(data):
        _check_nchw("UpSampling", f"input {i}", x)
    if sample_type == "bilinear":
        if len(data) != 2:
            raise OperatorError(
                f"UpSampling: sample_type='bilinear' takes (data, weight), got {len(data)} inputs."
            )
        x, w = data
        c, k = x.shape[1], 2 * scale - scale % 2
        if tuple(w.shape) != (c, 1, k, k):
            raise OperatorError(
                f"UpSampling: bilinear weight must have shape {(c, 1, k, k)}, got {tuple(w.shape)}."
            )
        p = k - 1 - math.ceil((scale - 1) / 2)
        return lax.conv_general_dilated(
            x,
            jnp.flip(w, (2, 3)).astype(x.dtype),
            (1, 1),
            [(p, p), (p, p)],
            lhs_dilation=(scale, scale),
            dimension_numbers=("NCHW", "OIHW", "NCHW"),
            feature_group_count=c,
        )
    if sample_type != "nearest":
        raise OperatorError(
            f"UpSampling: sample_type must be 'nearest' or 'bilinear', got {sample_type!r}."
        )
    oh, ow = data[0].shape[2] * scale, data[0].shape[3] * scale
    outs = []
    for i, x in enumerate(data):
        s = oh // x.shape[2]  # one integer scale per input, from the heights
        if s * x.shape[2] != oh or s * x.shape[3] != ow:
            raise OperatorError(
                f"UpSampling: input {i} of shape {tuple(x.shape)} does not scale by an integer to "
                f"the output size ({oh}, {ow})."
            )
        outs.append(_nearest(x, s, s))
    if len(outs) == 1:
        return outs[0]
    if multi_input_mode == "sum":
        out = outs[0]
        for o in outs[1:]:
            out = out + o
        return out
    if multi_input_mode != "concat":
        raise OperatorError(
            f"UpSampling: multi_input_mode must be 'concat' or 'sum', got {multi_input_mode!r}."
        )
    return jnp.concatenate(outs, axis=1)


def _resize_axis(x: jax.Array, axis: int, out: int, align_corners: bool) -> jax.Array:
    """Linear interpolation along one axis, with MXNet's source coordinates."""
    n = x.shape[axis]
    dst = np.arange(out, dtype=np.float64)
    if align_corners:
        src = dst * ((n - 1) / (out - 1)) if out > 1 else np.zeros(out)
    else:
        src = np.clip((dst + 0.5) * (n / out) - 0.5, 0.0, None)
    lo = np.minimum(np.floor(src).astype(np.int64), n - 1)
    hi = np.minimum(lo + 1, n - 1)
    frac = (src - lo).astype(np.float32)
    shape = [1] * x.ndim
    shape[axis] = out
    f = jnp.asarray(frac, x.dtype).reshape(shape)
    return jnp.take(x, lo, axis=axis) * (1 - f) + jnp.take(x, hi, axis=axis) * f


def _resize_size(
    h: int,
    w: int,
    mode: str,
    height: int,
    width: int,
    scale_height: float | None,
    scale_width: float | None,
    like: Any,
) -> tuple[int, int]:
    if mode == "size":
        return (
            int(h * scale_height) if scale_height is not None else height,
            int(w * scale_width) if scale_width is not None else width,
        )
    if mode == "like":
        if like is None:
            raise OperatorError("BilinearResize2D: mode='like' needs the second input `like`.")
        return like.shape[2], like.shape[3]
    if mode == "odd_scale":
        sh, sw = scale_height or 1.0, scale_width or 1.0
        return (
            int((h - 1) * sh) + 1 if h % 2 else int(h * sh),
            int((w - 1) * sw) + 1 if w % 2 else int(w * sw),
        )
    step = {
        "to_even_down": (0, -1),
        "to_even_up": (0, 1),
        "to_odd_down": (1, -1),
        "to_odd_up": (1, 1),
    }
    if mode not in step:
        raise OperatorError(
            f"BilinearResize2D: mode must be one of 'size', 'like', 'odd_scale', 'to_even_down', "
            f"'to_even_up', 'to_odd_down', 'to_odd_up'; got {mode!r}."
        )
    parity, d = step[mode]
    return tuple(n if n % 2 == parity else n + d for n in (h, w))  # type: ignore[return-value]


@register("_contrib_BilinearResize2D", aliases=("BilinearResize2D",))
def bilinear_resize_2d(
    data: jax.Array,
    like: jax.Array | None = None,
    *,
    height: int = 1,
    width: int = 1,
    scale_height: float | None = None,
    scale_width: float | None = None,
    mode: str = "size",
    align_corners: bool = True,
) -> jax.Array:
    """Bilinear resize of ``(N, C, H, W)`` maps. The output size comes from ``mode``:
    ``'size'`` (``height``/``width``, or the input size times ``scale_height``/
    ``scale_width``), ``'like'`` (the size of ``like``), ``'odd_scale'``, or the nearest
    even/odd size ``'to_even_down'``/``'to_even_up'``/``'to_odd_down'``/``'to_odd_up'``.
    With ``align_corners`` the corner pixels of input and output coincide."""
    _check_nchw("BilinearResize2D", "data", data)
    oh, ow = _resize_size(
        data.shape[2], data.shape[3], mode, height, width, scale_height, scale_width, like
    )
    if oh < 1 or ow < 1:
        raise OperatorError(f"BilinearResize2D: the output size ({oh}, {ow}) must be positive.")
    return _resize_axis(_resize_axis(data, 2, oh, align_corners), 3, ow, align_corners)


def _adaptive_matrix(n: int, out: int) -> np.ndarray:
    """Row i averages input positions floor(i n / out) .. ceil((i + 1) n / out) - 1."""
    m = np.zeros((out, n), np.float32)
    for i in range(out):
        a, b = (i * n) // out, -((-(i + 1) * n) // out)
        m[i, a:b] = 1.0 / (b - a)
    return m


@register("_contrib_AdaptiveAvgPooling2D", aliases=("AdaptiveAvgPooling2D",))
def adaptive_avg_pooling_2d(data: jax.Array, *, output_size: Any = ()) -> jax.Array:
    """Average pooling of ``(N, C, H, W)`` maps to ``output_size`` (an int, a pair, or
    empty for (1, 1)); bin ``i`` covers ``floor(i H / oh)`` to ``ceil((i + 1) H / oh)``."""
    _check_nchw("AdaptiveAvgPooling2D", "data", data)
    size = as_tuple(output_size)
    oh, ow = (1, 1) if not size else (size * 2 if len(size) == 1 else size)
    ph = jnp.asarray(_adaptive_matrix(data.shape[2], oh), data.dtype)
    pw = jnp.asarray(_adaptive_matrix(data.shape[3], ow), data.dtype)
    return jnp.einsum("ih,nchw,jw->ncij", ph, data, pw)


def _roi_bins(start: jax.Array, end: jax.Array, pooled: int, size: int) -> jax.Array:
    """(R, pooled, size) masks of the input positions in each bin of each region."""
    extent = jnp.maximum(end - start + 1, 1).astype(jnp.float32)
    binsz = extent / pooled
    p = jnp.arange(pooled, dtype=jnp.float32)
    lo = jnp.clip(jnp.floor(p[None] * binsz[:, None]).astype(jnp.int32) + start[:, None], 0, size)
    hi = jnp.clip(
        jnp.ceil((p[None] + 1) * binsz[:, None]).astype(jnp.int32) + start[:, None], 0, size
    )
    pos = jnp.arange(size, dtype=jnp.int32)
    return (pos[None, None] >= lo[..., None]) & (pos[None, None] < hi[..., None])


@register("ROIPooling")
def roi_pooling(
    data: jax.Array, rois: jax.Array, *, pooled_size: Any, spatial_scale: float
) -> jax.Array:
    """Max pooling of each region of interest to ``pooled_size`` ``(ph, pw)`` bins.

    ``rois`` is ``(R, 5)``: ``[batch_index, x1, y1, x2, y2]`` in input-image coordinates,
    scaled by ``spatial_scale`` and rounded; the output is ``(R, C, ph, pw)``, 0 for an
    empty bin.
    """
    _check_nchw("ROIPooling", "data", data)
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise OperatorError(f"ROIPooling: rois must have shape (R, 5), got {tuple(rois.shape)}.")
    ph, pw = as_tuple(pooled_size, 2)
    r = lax.stop_gradient(rois)
    batch = r[:, 0].astype(jnp.int32)
    # C's round: halves away from zero (jnp.round would round them to even).
    x1, y1, x2, y2 = (
        (jnp.sign(v) * jnp.floor(jnp.abs(v) + 0.5)).astype(jnp.int32)
        for v in (r[:, i] * spatial_scale for i in range(1, 5))
    )
    mask_h = _roi_bins(y1, y2, ph, data.shape[2])  # (R, ph, H)
    mask_w = _roi_bins(x1, x2, pw, data.shape[3])  # (R, pw, W)
    x = data[batch]  # (R, C, H, W)
    neg = jnp.asarray(-jnp.inf, data.dtype)
    cols = jnp.max(
        jnp.where(mask_w[:, None, None], x[:, :, :, None, :], neg), axis=-1
    )  # (R, C, H, pw)
    out = jnp.max(
        jnp.where(mask_h[:, None, :, :, None], cols[:, :, None], neg), axis=3
    )  # (R, C, ph, pw)
    return jnp.where(jnp.isneginf(out), jnp.zeros_like(out), out)


@register("GridGenerator")
def grid_generator(
    data: jax.Array, *, transform_type: str = "affine", target_shape: Any = (0, 0)
) -> jax.Array:
    """Sampling grids ``(N, 2, H, W)`` in ``[-1, 1]`` coordinates (x first) for
    ``BilinearSampler``: from affine matrices ``data`` of shape ``(N, 6)`` applied to the
    regular ``target_shape`` grid (``transform_type='affine'``), or from a pixel flow field
    ``(N, 2, H, W)`` added to the regular grid (``'warp'``)."""
    if transform_type == "affine":
        h, w = as_tuple(target_shape, 2)
        if data.ndim != 2 or data.shape[1] != 6:
            raise OperatorError(
                f"GridGenerator: affine transforms must have shape (N, 6), got {tuple(data.shape)}."
            )
        ys, xs = jnp.meshgrid(jnp.linspace(-1.0, 1.0, h), jnp.linspace(-1.0, 1.0, w), indexing="ij")
        src = jnp.stack([xs.reshape(-1), ys.reshape(-1), jnp.ones(h * w)]).astype(
            data.dtype
        )  # (3, HW)
        return (data.reshape(-1, 2, 3) @ src).reshape(-1, 2, h, w)
    if transform_type == "warp":
        _check_nchw("GridGenerator", "data", data)
        if data.shape[1] != 2:
            raise OperatorError(
                f"GridGenerator: a warp flow field must have shape (N, 2, H, W), got {tuple(data.shape)}."
            )
        h, w = data.shape[2], data.shape[3]
        ys, xs = jnp.meshgrid(
            jnp.arange(h, dtype=data.dtype), jnp.arange(w, dtype=data.dtype), indexing="ij"
        )
        x = (data[:, 0] + xs) / ((w - 1) / 2) - 1
        y = (data[:, 1] + ys) / ((h - 1) / 2) - 1
        return jnp.stack([x, y], axis=1)
    raise OperatorError(
        f"GridGenerator: transform_type must be 'affine' or 'warp', got {transform_type!r}."
    )


@register("BilinearSampler")
def bilinear_sampler(
    data: jax.Array, grid: jax.Array, *, cudnn_off: bool | None = None
) -> jax.Array:
    """Sample ``(N, C, H, W)`` maps at ``grid`` (``(N, 2, H', W')``, x then y, in ``[-1, 1]``
    from the first to the last pixel) with bilinear interpolation; positions outside the
    map read 0. Output ``(N, C, H', W')``."""
    _check_nchw("BilinearSampler", "data", data)
    if grid.ndim != 4 or grid.shape[1] != 2 or grid.shape[0] != data.shape[0]:
        raise OperatorError(
            f"BilinearSampler: grid must have shape (N, 2, H', W') with N={data.shape[0]}, got {tuple(grid.shape)}."
        )
    n, c, h, w = data.shape
    x = (grid[:, 0] + 1) * (w - 1) / 2
    y = (grid[:, 1] + 1) * (h - 1) / 2
    x0, y0 = jnp.floor(x), jnp.floor(y)
    flat = data.reshape(n, c, h * w)
    out = jnp.zeros((n, c) + tuple(grid.shape[2:]), data.dtype)
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            wgt = (1 - jnp.abs(x - xi)) * (1 - jnp.abs(y - yi))
            inside = (xi >= 0) & (xi <= w - 1) & (yi >= 0) & (yi <= h - 1)
            idx = (
                (jnp.clip(yi, 0, h - 1) * w + jnp.clip(xi, 0, w - 1))
                .astype(jnp.int32)
                .reshape(n, 1, -1)
            )
            vals = jnp.take_along_axis(flat, jnp.broadcast_to(idx, (n, c, idx.shape[-1])), axis=2)
            out = out + vals.reshape(out.shape) * jnp.where(inside, wgt, 0)[:, None].astype(
                data.dtype
            )
    return out


@register("SpatialTransformer")
def spatial_transformer(
    data: jax.Array,
    loc: jax.Array,
    *,
    target_shape: Any = (0, 0),
    transform_type: str = "affine",
    sampler_type: str = "bilinear",
    cudnn_off: bool | None = None,
) -> jax.Array:
    """``BilinearSampler(data, GridGenerator(loc, 'affine', target_shape))``."""
    if transform_type != "affine" or sampler_type != "bilinear":
        raise OperatorError(
            f"SpatialTransformer: only transform_type='affine' with sampler_type='bilinear' exists "
            f"(as in MXNet), got {transform_type!r}, {sampler_type!r}."
        )
    return bilinear_sampler(
        data, grid_generator(loc, transform_type="affine", target_shape=target_shape)
    )
