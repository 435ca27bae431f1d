"""Deformable convolutions of ``mx.nd.contrib``: DeformableConvolution (v1) and
ModulatedDeformableConvolution (v2, with a per-sample mask).

Each kernel tap samples the input bilinearly at its regular position moved by a learned
offset; the samples form an im2col matrix (one gather per bilinear corner, no Python loop)
that a grouped matrix product turns into the output. Offsets are laid out as MXNet's:
``offset (B, 2 * deformable_groups * kh * kw, Ho, Wo)``, per deformable group and tap
``k = i * kw + j`` the channel ``2k`` moves rows and ``2k + 1`` columns. Gradients (to data,
offset, mask, weight and bias) are JAX's derivatives of the same sampling, as MXNet's
kernels compute them.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import as_tuple


def _pair(v: Any, default: int) -> tuple[int, int]:
    t = as_tuple(v, 2)
    if not t:
        return default, default
    return (t[0], t[0]) if len(t) == 1 else (t[0], t[1])


def _deformable(
    op: str,
    data: jax.Array,
    offset: jax.Array,
    mask: jax.Array | None,
    weight: jax.Array,
    bias: jax.Array | None,
    kernel: Any,
    stride: Any,
    dilate: Any,
    pad: Any,
    num_filter: int,
    num_group: int,
    num_deformable_group: int,
    no_bias: bool,
    layout: Any,
    v2: bool,
) -> jax.Array:
    if layout not in (None, "NCHW"):
        raise OperatorError(f"{op}: only layout 'NCHW' is supported, got {layout!r}.")
    kh, kw = _pair(kernel, 1)
    sh, sw = _pair(stride, 1)
    dh, dw = _pair(dilate, 1)
    ph, pw = _pair(pad, 0)
    if data.ndim != 4:
        raise OperatorError(f"{op}: data must be (B, C, H, W), got {tuple(data.shape)}.")
    b, c, h, w = data.shape
    dg, g, k = num_deformable_group, num_group, kh * kw
    ho = (h + 2 * ph - (dh * (kh - 1) + 1)) // sh + 1
    wo = (w + 2 * pw - (dw * (kw - 1) + 1)) // sw + 1
    if c % dg or c % g or num_filter % g:
        raise OperatorError(
            f"{op}: channels {c} must divide by num_deformable_group {dg} and num_group {g}, "
            f"num_filter {num_filter} by num_group."
        )
    if tuple(offset.shape) != (b, 2 * dg * k, ho, wo):
        raise OperatorError(
            f"{op}: offset must be {(b, 2 * dg * k, ho, wo)} for data {tuple(data.shape)}, "
            f"got {tuple(offset.shape)}."
        )
    if mask is not None and tuple(mask.shape) != (b, dg * k, ho, wo):
        raise OperatorError(f"{op}: mask must be {(b, dg * k, ho, wo)}, got {tuple(mask.shape)}.")
    if tuple(weight.shape) != (num_filter, c // g, kh, kw):
        raise OperatorError(
            f"{op}: weight must be {(num_filter, c // g, kh, kw)}, got {tuple(weight.shape)}."
        )
    dt = data.dtype
    off = offset.reshape(b, dg, k, 2, ho, wo)
    ki, kj = jnp.arange(kh).repeat(kw), jnp.tile(jnp.arange(kw), kh)
    base_y = (jnp.arange(ho) * sh - ph)[None, :] + (ki * dh)[:, None]  # (k, ho)
    base_x = (jnp.arange(wo) * sw - pw)[None, :] + (kj * dw)[:, None]  # (k, wo)
    y = base_y[None, None, :, :, None].astype(dt) + off[:, :, :, 0]  # (b, dg, k, ho, wo)
    x = base_x[None, None, :, None, :].astype(dt) + off[:, :, :, 1]
    if v2:
        valid = (y > -1) & (x > -1) & (y < h) & (x < w)
    else:
        valid = (y >= 0) & (x >= 0) & (y < h) & (x < w)
    y0, x0 = jnp.floor(y), jnp.floor(x)
    ly, lx = y - y0, x - x0
    if not v2:  # MXNet's v1 CPU kernel reads the last row/column without interpolating
        ly = jnp.where(y0 >= h - 1, 0, ly)
        lx = jnp.where(x0 >= w - 1, 0, lx)
    # indices into the data padded by one zero cell on every side
    iy0 = jnp.clip(y0.astype(jnp.int32) + 1, 0, h + 1)
    ix0 = jnp.clip(x0.astype(jnp.int32) + 1, 0, w + 1)
    iy1, ix1 = jnp.minimum(iy0 + 1, h + 1), jnp.minimum(ix0 + 1, w + 1)
    padded = jnp.pad(data, ((0, 0), (0, 0), (1, 1), (1, 1))).reshape(b, dg, c // dg, -1)
    wp = w + 2
    n = k * ho * wo

    def corner(iy: jax.Array, ix: jax.Array) -> jax.Array:
        idx = (iy * wp + ix).reshape(b, dg, 1, n)
        return jnp.take_along_axis(padded, idx, axis=-1)  # (b, dg, cg, n)

    vm = valid.astype(dt)
    if mask is not None:
        vm = vm * mask.reshape(b, dg, k, ho, wo)
    wts = [((1 - ly) * (1 - lx)), ((1 - ly) * lx), (ly * (1 - lx)), (ly * lx)]
    idxs = [(iy0, ix0), (iy0, ix1), (iy1, ix0), (iy1, ix1)]
    cols = sum(corner(iy, ix) * (wt * vm).reshape(b, dg, 1, n) for (iy, ix), wt in zip(idxs, wts))
    cols = cols.reshape(b, g, c // g, k, ho * wo)
    wg = weight.reshape(g, num_filter // g, c // g, k)
    out = jnp.einsum("bgckp,gfck->bgfp", cols, wg).reshape(b, num_filter, ho, wo)
    if not no_bias:
        if bias is None:
            raise OperatorError(f"{op}: bias is required unless no_bias=True.")
        out = out + bias.reshape(1, -1, 1, 1)
    return out.astype(dt)


@register("_contrib_DeformableConvolution", aliases=("DeformableConvolution",))
def deformable_convolution(
    data: jax.Array,
    offset: jax.Array,
    weight: jax.Array,
    bias: jax.Array | None = None,
    *,
    kernel: Any,
    num_filter: int,
    stride: Any = (),
    dilate: Any = (),
    pad: Any = (),
    num_group: int = 1,
    num_deformable_group: int = 1,
    workspace: int = 1024,
    no_bias: bool = False,
    layout: Any = None,
) -> jax.Array:
    """Deformable convolution (Dai et al. 2017) of ``data (B, C, H, W)`` with ``weight
    (num_filter, C / num_group, kh, kw)``: each tap reads the input bilinearly at its position
    plus ``offset (B, 2 * num_deformable_group * kh * kw, Ho, Wo)``; samples outside the map
    read 0. ``workspace`` is accepted for MXNet compatibility."""
    return _deformable(
        "DeformableConvolution",
        data,
        offset,
        None,
        weight,
        bias,
        kernel,
        stride,
        dilate,
        pad,
        num_filter,
        num_group,
        num_deformable_group,
        no_bias,
        layout,
        v2=False,
    )


@register("_contrib_ModulatedDeformableConvolution", aliases=("ModulatedDeformableConvolution",))
def modulated_deformable_convolution(
    data: jax.Array,
    offset: jax.Array,
    mask: jax.Array,
    weight: jax.Array,
    bias: jax.Array | None = None,
    *,
    kernel: Any,
    num_filter: int,
    stride: Any = (),
    dilate: Any = (),
    pad: Any = (),
    num_group: int = 1,
    num_deformable_group: int = 1,
    workspace: int = 1024,
    no_bias: bool = False,
    im2col_step: int = 64,
    layout: Any = None,
) -> jax.Array:
    """Modulated deformable convolution (DCNv2): :func:`deformable_convolution` whose samples
    are scaled by ``mask (B, num_deformable_group * kh * kw, Ho, Wo)``; samples within one
    cell outside the map interpolate with zeros. ``workspace`` and ``im2col_step`` are
    accepted for MXNet compatibility."""
    return _deformable(
        "ModulatedDeformableConvolution",
        data,
        offset,
        mask,
        weight,
        bias,
        kernel,
        stride,
        dilate,
        pad,
        num_filter,
        num_group,
        num_deformable_group,
        no_bias,
        layout,
        v2=True,
    )
