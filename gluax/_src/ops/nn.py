"""Layer operators: Convolution, Deconvolution, Pooling, LeakyReLU, BatchNorm, Dropout,
Embedding.

Dropout, BatchNorm and LeakyReLU behave differently in training and in inference. They take a
static ``training`` attribute which, when the caller does not give it, is filled from
``autograd.is_training()`` at each call (inside a hybridized call, from the mode of that call),
so ``F.Dropout(x, p=0.5)`` in user code follows ``autograd.record()`` as in MXNet.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero

from gluax._src.engine.base import OperatorError, check_shape
from gluax._src.engine.registry import register as _register
from gluax._src.engine.state import batch_mask
from gluax._src.ops._util import as_tuple, norm_axis

# ---- layouts and window arguments ---------------------------------------------------------

_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _channels_last(op: str, layout: str | None, nsp: int) -> bool:
    """Whether ``layout`` puts channels last; None is MXNet's default channels-first layout."""
    if layout is None or layout == _FIRST.get(nsp):
        return False
    if layout == _LAST.get(nsp):
        return True
    raise OperatorError(
        f"{op}: layout {layout!r} does not fit a {nsp}-D window; expected "
        f"{_FIRST.get(nsp)!r} or {_LAST.get(nsp)!r}."
    )


def _check_data(op: str, data: jax.Array, nsp: int, what: str) -> None:
    if data.ndim != nsp + 2:
        raise OperatorError(
            f"{op}: expected data with {nsp + 2} dims (batch, channel and {nsp} spatial) for "
            f"{what}, got shape {tuple(data.shape)}."
        )


def _window_arg(op: str, name: str, value: Any, nsp: int, default: int) -> tuple[int, ...]:
    """A per-spatial-dimension attribute: () means ``default`` everywhere."""
    t = as_tuple(value)
    if not t:
        return (default,) * nsp
    if len(t) != nsp:
        raise OperatorError(
            f"{op}: {name} must have the same number of dimensions as kernel {nsp}, got {name}={t}."
        )
    if name in ("stride", "dilate") and min(t) < 1:
        raise OperatorError(f"{op}: {name} must be positive in every dimension, got {t}.")
    if name == "pad" and min(t) < 0:
        raise OperatorError(f"{op}: pad must be non-negative, got {t}.")
    return t


def _kernel(op: str, kernel: Any) -> tuple[int, ...]:
    k = as_tuple(kernel)
    if not 1 <= len(k) <= 3:
        raise OperatorError(f"{op}: kernel must have 1, 2 or 3 dimensions, got kernel={k}.")
    if min(k) < 1:
        raise OperatorError(f"{op}: kernel must be positive in every dimension, got {k}.")
    return k


def _conv_dims(nsp: int, last: bool) -> tuple[str, str, str]:
    sp = "DHW"[3 - nsp :]
    if last:
        return f"N{sp}C", f"O{sp}I", f"N{sp}C"
    return f"NC{sp}", f"OI{sp}", f"NC{sp}"


def _add_bias(
    op: str, y: jax.Array, bias: jax.Array | None, no_bias: bool, last: bool
) -> jax.Array:
    if no_bias:
        return y
    if bias is None:
        raise OperatorError(f"{op}: bias is required unless no_bias=True.")
    c = y.shape[-1] if last else y.shape[1]
    check_shape(op, "bias", tuple(bias.shape), (c,))
    return y + (bias if last else bias.reshape((c,) + (1,) * (y.ndim - 2)))


# ---- convolution --------------------------------------------------------------------------


@_register("Convolution")
def convolution(
    data: jax.Array,
    weight: jax.Array,
    bias: jax.Array | None = None,
    *,
    kernel: Any,
    num_filter: int,
    stride: Any = (),
    dilate: Any = (),
    pad: Any = (),
    num_group: int = 1,
    workspace: int = 1024,
    no_bias: bool = False,
    cudnn_tune: Any = None,
    cudnn_off: bool = False,
    layout: str | None = None,
) -> jax.Array:
    """1-D, 2-D or 3-D convolution (the kernel's length picks which) with symmetric zero
    padding, stride, dilation and groups.

    ``data`` is ``(N, C, *spatial)`` (``layout`` NCW/NCHW/NCDHW, the default) or
    ``(N, *spatial, C)`` (NWC/NHWC/NDHWC); ``weight`` is ``(num_filter, C/num_group,
    *kernel)`` (channels-last: ``(num_filter, *kernel, C/num_group)``); output size per
    spatial axis ``floor((x + 2*pad - dilate*(kernel-1) - 1) / stride) + 1``. ``workspace``,
    ``cudnn_tune`` and ``cudnn_off`` are accepted and ignored (XLA picks the algorithm).
    """
    k = _kernel("Convolution", kernel)
    nsp = len(k)
    _check_data("Convolution", data, nsp, f"a {nsp}-D kernel")
    if data.dtype != weight.dtype:  # as MXNet: no silent casts of the input (docs/porting.md)
        raise OperatorError(
            f"Convolution: data has dtype {data.dtype.name}, the weight {weight.dtype.name}; "
            "cast the input (x.astype(...)) or the block (block.cast(...)) to match."
        )
    s = _window_arg("Convolution", "stride", stride, nsp, 1)
    d = _window_arg("Convolution", "dilate", dilate, nsp, 1)
    p = _window_arg("Convolution", "pad", pad, nsp, 0)
    last = _channels_last("Convolution", layout, nsp)
    c = data.shape[-1] if last else data.shape[1]
    if num_group < 1 or c % num_group or num_filter % num_group:
        raise OperatorError(
            f"Convolution: num_group={num_group} must divide both the input channels ({c}) "
            f"and num_filter ({num_filter})."
        )
    w_shape = (num_filter, *k, c // num_group) if last else (num_filter, c // num_group, *k)
    check_shape("Convolution", "weight", tuple(weight.shape), w_shape)
    spatial = data.shape[1:-1] if last else data.shape[2:]
    for i in range(nsp):
        if spatial[i] + 2 * p[i] < d[i] * (k[i] - 1) + 1:
            raise OperatorError(
                f"Convolution: kernel {k} (dilated by {d}) is larger than the padded input "
                f"{tuple(x + 2 * q for x, q in zip(spatial, p))} of data shape "
                f"{tuple(data.shape)}."
            )
    out_spatial = [(spatial[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nsp)]
    if all(o == 1 for o in out_spatial) and math.prod(k) > 1:
        y = _conv_one_window(data, weight.astype(data.dtype), k, p, d, num_group, last)
    elif _use_shifted_matmuls(nsp, num_group, last, out_spatial):
        y = _conv2d_shifted(data, weight.astype(data.dtype), s, p, d, out_spatial)
    elif _use_depthwise_sum(nsp, num_group, c, last) and data.dtype in (jnp.float32, jnp.float64):
        y = _conv2d_depthwise(data, weight.astype(data.dtype), s, p, d, out_spatial)
    elif _use_grouped_im2col_grad(nsp, num_group, c, last) and data.dtype in (jnp.float32, jnp.float64):
        y = _conv2d_grouped(data, weight.astype(data.dtype), s, p, d, num_group, out_spatial)
    elif _use_pointwise_matmul(nsp, num_group, k, last):
        y = _conv2d_pointwise(data, weight.astype(data.dtype), s, p)
    elif _use_im2col_weight_grad(nsp, num_group, c, k, last) and data.dtype in _FLOATS:
        y = _conv2d_im2col_weight_grad(data, weight.astype(data.dtype), s, p, d, out_spatial)
    else:
        y = lax.conv_general_dilated(
            data,
            weight.astype(data.dtype),
            window_strides=s,
            padding=[(q, q) for q in p],
            rhs_dilation=d,
            dimension_numbers=_conv_dims(nsp, last),
            feature_group_count=num_group,
        )
    return _add_bias("Convolution", y, bias, no_bias, last)


# XLA's CPU convolution is very slow when the output feature map is tiny (ResNet's last stage at
# small inputs: 3x3 over 2x2 maps ran ~30x slower than the same sum of matmuls, forward and
# backward, measured here). There the convolution is computed as one matmul over stacked
# patches (im2col): against one matmul per kernel offset, this makes a smaller program that
# compiles faster, runs ~10% faster and peaks lower (ResNet-18 3x64x64 training step on CPU:
# ~80 MiB less peak RSS; benchmarks/README.md).
SMALL_MAP = 16  # output positions (H*W) at or below which the matmul form is used on CPU


def _use_shifted_matmuls(nsp: int, groups: int, last: bool, out_spatial: list[int]) -> bool:
    return (
        nsp == 2
        and groups == 1
        and not last
        and out_spatial[0] * out_spatial[1] <= SMALL_MAP
        and jax.default_backend() == "cpu"
    )


# Depthwise convolutions (one group per input channel: MobileNet's 3x3 layers) through XLA
# CPU's grouped convolution ran 5-50x slower forward and 2-10x slower forward+backward than the
# same product written as a sum of kh*kw shifted, per-channel-scaled copies of the input
# (measured interleaved in one process, MobileNet 0.25's layers at 3x64x64 batch 16 and a
# 32-channel 112x112 map; channels-last inside the program measured no better). On CPU every
# 2-D NCHW depthwise convolution takes that form.
def _use_depthwise_sum(nsp: int, groups: int, channels: int, last: bool) -> bool:
    return (
        nsp == 2
        and groups == channels
        and groups > 1
        and not last
        and jax.default_backend() == "cpu"
    )


def _tap(xp: jax.Array, i: int, j: int, s: Any, d: Any, out: Any) -> jax.Array:
    """What kernel offset ``(i, j)`` reads of the padded NCHW ``xp`` at each of the ``out``
    output positions (stride ``s``, dilation ``d``): one strided slice."""
    ho, wo = out
    return xp[:, :, i * d[0] : i * d[0] + (ho - 1) * s[0] + 1 : s[0],
              j * d[1] : j * d[1] + (wo - 1) * s[1] + 1 : s[1]]  # fmt: skip


def _patches(xp: jax.Array, kh: int, kw: int, s: Any, d: Any, out: Any, axis: int) -> jax.Array:
    """Every kernel offset's ``_tap`` of ``xp``, in the weight's row-major (kh, kw) order,
    stacked along ``axis`` (im2col)."""
    return jnp.stack([_tap(xp, i, j, s, d, out) for i in range(kh) for j in range(kw)], axis=axis)


def _conv2d_depthwise_sum(
    x: jax.Array,
    w: jax.Array,
    s: tuple[int, ...],
    p: tuple[int, ...],
    d: tuple[int, ...],
    out: list[int],
) -> jax.Array:
    """NCHW depthwise convolution (weight ``(C*m, 1, kh, kw)``, output channel ``o`` reading
    input channel ``o // m``) as a sum over kernel offsets of strided input slices times
    per-channel weights."""
    o, _, kh, kw = w.shape
    mult = o // x.shape[1]
    xp = jnp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    if mult > 1:
        xp = jnp.repeat(xp, mult, axis=1)
    y = None
    for i in range(kh):
        for j in range(kw):
            term = _tap(xp, i, j, s, d, out) * w[:, 0, i, j][None, :, None, None]
            y = term if y is None else y + term
    return y


def _bilinear_jvp(forward, data_term, weight_term, x, w):
    """``forward(x, w)`` (bilinear: a convolution) with a custom JVP, the tangent
    ``data_term(tx, w) + weight_term(x, tw)``: each term may be another form of the same
    product, whose transpose reverse mode then takes for that gradient. The weight term is under
    ``jax.checkpoint``, so reverse mode keeps ``x``, not what ``weight_term`` builds from it
    (patches, strided taps). Forward mode and second order work; symbolic zeros skip a term."""
    f = jax.custom_jvp(forward)

    def jvp(primals, tangents):
        (x, w), (tx, tw) = primals, tangents
        y = f(x, w)
        ty = None
        if not isinstance(tx, SymbolicZero):
            ty = data_term(tx, w)
        if not isinstance(tw, SymbolicZero):
            term = jax.checkpoint(weight_term)(x, tw)
            ty = term if ty is None else ty + term
        return y, (jnp.zeros_like(y) if ty is None else ty)

    f.defjvp(jvp, symbolic_zeros=True)
    return f(x, w)


# Reverse mode through the shifted sum keeps every kernel offset's strided slice of the input
# for the weight gradient (kh*kw copies of the input per layer), and XLA CPU recomputed the
# producer of the input (BatchNorm, ReLU, padding) into each slice. A custom JVP whose weight
# term is under jax.checkpoint keeps the input once and recomputes the slices in the backward:
# MobileNet 0.25 (3x64x64, batch 16) recorded forward 10.2-11.0 -> 8.4-8.7 ms, hybridized
# training step 23.6-25.1 -> 22.6-23.4 ms (interleaved in one process). A switch for benchmarks.
DEPTHWISE_JVP = [True]


def _conv2d_depthwise(x, w, s, p, d, out):
    """``_conv2d_depthwise_sum`` with a custom JVP: the data term is the same sum (reverse mode
    transposes it), the weight term is under ``jax.checkpoint``; forward mode works."""

    def conv(x, w):
        return _conv2d_depthwise_sum(x, w, s, p, d, out)

    if not DEPTHWISE_JVP[0]:
        return conv(x, w)
    return _bilinear_jvp(conv, conv, conv, x, w)


# Grouped (not depthwise) convolutions: XLA CPU's forward is fine but its backward took
# 0.6-11 s where the gradient of the same product written as one batched matmul per group over
# stacked patches (im2col) took 0.03-0.2x that (ResNeXt-style 3x3 layers, 16-32 groups, 8x8 to
# 32x32 maps, measured interleaved in one process). On CPU the forward stays XLA's grouped
# convolution (same results) and the backward is the im2col form's.
def _use_grouped_im2col_grad(nsp: int, groups: int, channels: int, last: bool) -> bool:
    return (
        nsp == 2
        and 1 < groups < channels
        and not last
        and jax.default_backend() == "cpu"
    )


def _conv2d_grouped_im2col(x, w, s, p, d, groups, out):
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    ho, wo = out
    xp = jnp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    patches = _patches(xp, kh, kw, s, d, out, axis=2).reshape(n, groups, cg, kh * kw, ho, wo)
    wg = w.reshape(groups, o // groups, cg, kh * kw)
    return jnp.einsum("ngckhw,gock->ngohw", patches, wg).reshape(n, o, ho, wo)


def _conv2d_grouped(x, w, s, p, d, groups, out):
    """NCHW grouped convolution: XLA's forward, the im2col form's backward.

    A custom JVP (the tangent is the im2col form's, which reverse mode transposes into its
    gradients) rather than a custom VJP, so that forward mode works too."""

    def conv(x, w):
        return lax.conv_general_dilated(
            x, w, s, [(q, q) for q in p], rhs_dilation=d,
            dimension_numbers=("NCHW", "OIHW", "NCHW"), feature_group_count=groups,
        )  # fmt: skip

    def by_patches(x, w):
        return _conv2d_grouped_im2col(x, w, s, p, d, groups, out)

    return _bilinear_jvp(conv, by_patches, by_patches, x, w)


# 1x1 convolutions (MobileNet's pointwise layers, ResNet's projection shortcuts) are one matmul
# over the channel axis. XLA CPU's convolution took 1.1-3x the time of that matmul forward and
# 1.2-2x for each gradient (MobileNet 0.25 and ResNet-18 1x1 layers at 3x64x64 batch 16, measured
# interleaved in one process); its autodiff is the two gradient matmuls, forward mode works.
# On CPU every 2-D NCHW ungrouped 1x1 convolution (undilated, any stride and padding) is that
# matmul.
POINTWISE_LOWERING = True  # a switch for benchmarks/bench_mxnet.py --compare-lowerings


def _use_pointwise_matmul(nsp: int, groups: int, k: tuple[int, ...], last: bool) -> bool:
    return (
        POINTWISE_LOWERING
        and nsp == 2
        and groups == 1
        and k == (1, 1)
        and not last
        and jax.default_backend() == "cpu"
    )


# Written as one matmul contracting the channel axis, XLA CPU computes an (N, H, W, O) product
# and transposes it to NCHW, forward and in both gradients; as a matmul batched over N with the
# weight broadcast to every sample, the product is NCHW as it stands. At 32x32 maps (DenseNet's
# 1x1 bottlenecks, 64-128 channels, batch 16) forward+backward took 0.52-0.59x the time, at
# MobileNet's 8-channel 32x32 layer 0.35x, at 16x16 0.63x, at 8x8 about the same, but at 4x4
# 2.3x (measured interleaved in one process): the batched form is used from 64 positions up.
# Hybridized training steps, A/B in one process: DenseNet-BC 0.87x, SE block 0.93x, MobileNet
# 0.25 0.95x, ResNet-18 and the ResNeXt block 1.00-1.01x.
POINTWISE_BATCHED_POSITIONS = 64


def _conv2d_pointwise(x, w, s, p):
    """NCHW 1x1 convolution: a strided view of the padded input times ``weight[:, :, 0, 0]``."""
    if p != (0, 0):
        x = jnp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    if s != (1, 1):
        x = x[:, :, :: s[0], :: s[1]]
    n, c, h, wd = x.shape
    w2 = w[:, :, 0, 0]
    if h * wd < POINTWISE_BATCHED_POSITIONS:
        return jnp.einsum("nchw,oc->nohw", x, w2)
    wb = jnp.broadcast_to(w2, (n, *w2.shape))
    y = lax.dot_general(wb, x.reshape(n, c, h * wd), (((2,), (1,)), ((0,), (0,))))
    return y.reshape(n, w2.shape[0], h, wd)


# Convolutions over few input channels with large kernels (an image's 1-3 channels: LeNet's
# 5x5 first layer, a ResNet 7x7 stem): XLA CPU computes the weight gradient as a convolution
# whose window is the whole output map, 1.4-1.5x the time of one matmul of the stacked input
# patches with the output gradient (LeNet's 1x5x5 layer at 64x28x28, ResNet's 3x7x7 stem at
# 16x64x64, measured interleaved in one process; MobileNet's 3x3x3 stem measured 0.7x the other
# way, so 3x3 kernels keep XLA's); the data gradient and forward stay XLA's (the im2col forms
# of those measured slower there). A custom JVP keeps forward mode and second order: the tangent is XLA's
# convolution of the data tangent plus the im2col matmul of the weight tangent, and reverse
# mode transposes each term (so the weight gradient is the matmul).
IM2COL_WEIGHT_GRAD_CHANNELS = 4  # input channels at or below which it is used (0: never)
_FLOATS = (jnp.float32, jnp.float64)


IM2COL_WEIGHT_GRAD_TAPS = 25  # ... and kernel offsets (kh*kw) at or above which


def _use_im2col_weight_grad(
    nsp: int, groups: int, channels: int, k: tuple[int, ...], last: bool
) -> bool:
    return (
        nsp == 2
        and groups == 1
        and channels <= IM2COL_WEIGHT_GRAD_CHANNELS
        and math.prod(k) >= IM2COL_WEIGHT_GRAD_TAPS
        and not last
        and jax.default_backend() == "cpu"
    )


def _conv2d_im2col_weight_grad(x, w, s, p, d, out):
    """NCHW convolution: XLA's forward and data gradient, the im2col matmul's weight gradient."""
    o, c, kh, kw = w.shape
    ho, wo = out

    def conv(x, w):
        return lax.conv_general_dilated(
            x, w, s, [(q, q) for q in p], rhs_dilation=d,
            dimension_numbers=("NCHW", "OIHW", "NCHW"),
        )  # fmt: skip

    def by_patches(x, tw):
        # patches laid out (C*kh*kw, N*Ho*Wo): the weight gradient is one (O, NHW) x (NHW, CK)
        # matmul with the output gradient, no transposed copy of the patches
        xt = jnp.pad(jnp.swapaxes(x, 0, 1), ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
        cols = _patches(xt, kh, kw, s, d, out, axis=1).reshape(c * kh * kw, -1)
        y = lax.dot_general(tw.reshape(o, c * kh * kw), cols, (((1,), (0,)), ((), ())))
        return jnp.swapaxes(y.reshape(o, x.shape[0], ho, wo), 0, 1)

    return _bilinear_jvp(conv, conv, by_patches, x, w)


def _conv_one_window(
    x: jax.Array,
    w: jax.Array,
    k: tuple[int, ...],
    p: tuple[int, ...],
    d: tuple[int, ...],
    groups: int,
    last: bool,
) -> jax.Array:
    """A convolution with one output position per axis (a kernel as large as the padded input,
    as in a 224x224 kernel over a 224x224 image) is one dense (grouped) matmul of the single
    window with the weight. XLA's CPU convolution took minutes for that case (MXNet: 0.04 s)."""
    nsp = len(k)
    if last:  # to channels-first views; the result goes back below
        x = jnp.moveaxis(x, -1, 1)
        w = jnp.moveaxis(w, -1, 1)
    x = jnp.pad(x, ((0, 0), (0, 0), *((q, q) for q in p)))
    window = x[(slice(None), slice(None), *(slice(0, dd * (kk - 1) + 1, dd) for kk, dd in zip(k, d)))]
    n, c, o = x.shape[0], x.shape[1], w.shape[0]
    xg = window.reshape(n, groups, c // groups * math.prod(k))
    wg = w.reshape(groups, o // groups, c // groups * math.prod(k))
    y = jnp.einsum("ngk,gok->ngo", xg, wg).reshape((n, o) + (1,) * nsp)
    return jnp.moveaxis(y, 1, -1) if last else y


def _conv2d_shifted(
    x: jax.Array,
    w: jax.Array,
    s: tuple[int, ...],
    p: tuple[int, ...],
    d: tuple[int, ...],
    out: list[int],
) -> jax.Array:
    """NCHW convolution as one (N*Ho*Wo, C*kh*kw) x (C*kh*kw, O) matmul over stacked patches."""
    o, c, kh, kw = w.shape
    xp = jnp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    # (N, C, kh*kw, Ho, Wo), offsets in the weight's row-major (kh, kw) order
    patches = _patches(xp, kh, kw, s, d, out, axis=2)
    return jnp.einsum("nckhw,ock->nohw", patches, w.reshape(o, c, kh * kw))


@_register("Deconvolution")
def deconvolution(
    data: jax.Array,
    weight: jax.Array,
    bias: jax.Array | None = None,
    *,
    kernel: Any,
    num_filter: int,
    stride: Any = (),
    dilate: Any = (),
    pad: Any = (),
    adj: Any = (),
    target_shape: Any = (),
    num_group: int = 1,
    workspace: int = 512,
    no_bias: bool = True,
    cudnn_tune: Any = None,
    cudnn_off: bool = False,
    layout: str | None = None,
) -> jax.Array:
    """Transposed convolution (the gradient of ``Convolution`` with respect to its input).

    ``data`` is ``(N, C, *spatial)``, ``weight`` ``(C, num_filter/num_group, *kernel)``;
    output size ``stride*(x-1) + dilate*(kernel-1) + 1 - 2*pad + adj``. With
    ``target_shape``, ``pad`` and ``adj`` are chosen to reach that output size. Note that
    ``no_bias`` defaults to True here, as in MXNet.
    """
    k = _kernel("Deconvolution", kernel)
    nsp = len(k)
    _check_data("Deconvolution", data, nsp, f"a {nsp}-D kernel")
    if _channels_last("Deconvolution", layout, nsp):
        raise NotImplementedError(
            f"Deconvolution: layout {layout!r} is not supported by gluax (nor by MXNet on CPU); "
            f"use {_FIRST[nsp]!r} and transpose the data."
        )
    s = _window_arg("Deconvolution", "stride", stride, nsp, 1)
    d = _window_arg("Deconvolution", "dilate", dilate, nsp, 1)
    p = _window_arg("Deconvolution", "pad", pad, nsp, 0)
    a = _window_arg("Deconvolution", "adj", adj, nsp, 0)
    spatial = data.shape[2:]
    target = as_tuple(target_shape)
    if target:
        if len(target) != nsp:
            raise OperatorError(
                f"Deconvolution: target_shape must have {nsp} dimensions, got {target}."
            )
        # MXNet splits the padding that reaches target_shape evenly, any odd unit going to adj.
        full = [s[i] * (spatial[i] - 1) + d[i] * (k[i] - 1) + 1 for i in range(nsp)]
        if any(f < t for f, t in zip(full, target)):
            raise OperatorError(
                f"Deconvolution: target_shape {target} is larger than the largest output {tuple(full)}."
            )
        total = [f - t for f, t in zip(full, target)]
        a = tuple(t % 2 for t in total)
        p = tuple((t + 1) // 2 for t in total)
    c = data.shape[1]
    if num_group < 1 or c % num_group or num_filter % num_group:
        raise OperatorError(
            f"Deconvolution: num_group={num_group} must divide both the input channels ({c}) "
            f"and num_filter ({num_filter})."
        )
    fg = num_filter // num_group
    check_shape("Deconvolution", "weight", tuple(weight.shape), (c, fg, *k))
    # (C, F/g, k) -> (F, C/g, k), spatially flipped: the kernel of the equivalent convolution.
    w = weight.reshape(num_group, c // num_group, fg, *k).swapaxes(1, 2)
    w = jnp.flip(w.reshape(num_filter, c // num_group, *k), axis=tuple(range(2, nsp + 2)))
    out_size = [
        s[i] * (spatial[i] - 1) + d[i] * (k[i] - 1) + 1 - 2 * p[i] + a[i] for i in range(nsp)
    ]
    if min(out_size) < 1:
        raise OperatorError(
            f"Deconvolution: output would be empty ({tuple(out_size)}) for data shape "
            f"{tuple(data.shape)}, kernel {k}, stride {s}, pad {p}, adj {a}."
        )
    edge = [d[i] * (k[i] - 1) - p[i] for i in range(nsp)]
    y = lax.conv_general_dilated(
        data,
        w.astype(data.dtype),
        window_strides=(1,) * nsp,
        padding=[(e, e + a[i]) for i, e in enumerate(edge)],
        lhs_dilation=s,
        rhs_dilation=d,
        dimension_numbers=_conv_dims(nsp, False),
        feature_group_count=num_group,
    )
    return _add_bias("Deconvolution", y, bias, no_bias, False)


# ---- pooling ------------------------------------------------------------------------------

_POOL_TYPES = ("max", "avg", "sum", "lp")
_CONVENTIONS = ("valid", "full")


def _pool_window_counts(
    spatial: tuple[int, ...],
    k: tuple[int, ...],
    s: tuple[int, ...],
    p: tuple[int, ...],
    extra: tuple[int, ...],
    include_pad: bool,
) -> np.ndarray:
    """How many elements each average window divides by (a static array).

    As in MXNet, a window is clipped to the padded extent ``[-pad, x + pad)`` when padding
    counts, else to the data ``[0, x)``; parts beyond the padding (``pooling_convention=
    'full'``) never count."""
    counts = np.ones((), np.float64)
    for x, kk, ss, pp, ee in zip(spatial, k, s, p, extra):
        n = (x + 2 * pp + ee - kk) // ss + 1
        start = np.arange(n) * ss - pp
        lo, hi = (-pp, x + pp) if include_pad else (0, x)
        c = np.maximum(np.minimum(start + kk, hi) - np.maximum(start, lo), 0)
        counts = np.multiply.outer(counts, c.astype(np.float64))
    return counts


# Max pooling's gradient on XLA CPU (select-and-scatter, rewritten there as an argmax
# reduce-window over four index arrays plus a scatter) took ~15 of LeNet's ~48 ms training step.
# On CPU, 2-D NCHW max pooling keeps XLA's forward and takes a custom JVP: the tangent is, per
# kernel offset, the strided slice of the data tangent where that offset holds the window's
# first maximum (row-major order, the element MXNet and select-and-scatter pick on ties);
# reverse mode transposes the slices into one padded sum. Forward mode and second order work.
MAX_POOL_TAPS = True  # a switch for benchmarks/bench_mxnet.py --compare-lowerings


def _use_max_pool_taps(nsp: int, last: bool) -> bool:
    return MAX_POOL_TAPS and nsp == 2 and not last and jax.default_backend() == "cpu"


def _max_pool2d_taps(x, k, s, padding):
    """Max pooling of NCHW floating ``x`` (``-inf`` padding) with the first-maximum JVP."""
    window, strides = (1, 1, *k), (1, 1, *s)
    lowest = np.array(-np.inf, x.dtype)

    def pool(x):
        return lax.reduce_window(x, lowest, lax.max, window, strides, padding)

    f = jax.custom_jvp(pool)

    def jvp(primals, tangents):
        (x,), (tx,) = primals, tangents
        y = f(x)
        ho, wo = y.shape[2:]
        xp = lax.pad(x, lowest, [(lo, hi, 0) for lo, hi in padding])
        tp = jnp.pad(tx, padding)

        def tap(a, i, j):
            return _tap(a, i, j, s, (1, 1), (ho, wo))

        # Each window's first maximum is found by a running maximum over the offsets (strictly
        # greater replaces: ties keep the first), not by comparing the data with ``y``: XLA may
        # recompute a fused producer of x (a BatchNorm's scale and shift) separately for the
        # pooling and for the comparison, with different rounding, and then no element of a
        # window equals its maximum and the window's gradient is lost.
        best, at = None, None
        offsets = [(i, j) for i in range(k[0]) for j in range(k[1])]
        for n, (i, j) in enumerate(offsets):
            v = tap(xp, i, j)
            if best is None:
                best, at = v, jnp.zeros(v.shape, np.int32)
            else:
                more = v > best
                best, at = jnp.where(more, v, best), jnp.where(more, np.int32(n), at)
        ty = None
        for n, (i, j) in enumerate(offsets):
            term = jnp.where(at == n, tap(tp, i, j), 0)
            ty = term if ty is None else ty + term
        return y, ty

    f.defjvp(jvp)
    return f(x)


@_register("Pooling")
def pooling(
    data: jax.Array,
    *,
    kernel: Any = (),
    pool_type: str = "max",
    global_pool: bool = False,
    cudnn_off: bool = False,
    pooling_convention: str = "valid",
    stride: Any = (),
    pad: Any = (),
    p_value: int | None = None,
    count_include_pad: bool | None = None,
    layout: str | None = None,
) -> jax.Array:
    """Max, average, sum or Lp pooling over 1, 2 or 3 spatial axes.

    Output size per axis: ``floor((x + 2*pad - kernel) / stride) + 1`` with
    ``pooling_convention='valid'``, ``ceil(...)`` with ``'full'``. ``stride`` defaults to 1
    (the Gluon pooling layers default it to the pool size). Max pooling ignores padding;
    average pooling divides by the window size including padding unless
    ``count_include_pad=False``. ``global_pool`` pools each whole feature map to size 1.

    Notes
    -----
    With ``pooling_convention='full'`` a last window that hangs past the padding averages over
    its clipped size, in MXNet and gluax alike; MXNet 1.9.1's backward then divides that
    window's gradient by the full kernel size, gluax by the clipped size (the exact gradient
    of the forward).
    """
    if pool_type not in _POOL_TYPES:
        raise OperatorError(f"Pooling: pool_type must be one of {_POOL_TYPES}, got {pool_type!r}.")
    if pooling_convention not in _CONVENTIONS:
        msg = f"Pooling: pooling_convention must be one of {_CONVENTIONS}, got {pooling_convention!r}."
        if pooling_convention == "same":
            raise NotImplementedError(msg + " ('same' is MXNet's 1-D max-pooling special case.)")
        raise OperatorError(msg)
    if not 3 <= data.ndim <= 5:
        raise OperatorError(
            f"Pooling: expected data with 3, 4 or 5 dims (batch, channel, 1 to 3 spatial), got "
            f"shape {tuple(data.shape)}."
        )
    nsp = data.ndim - 2
    last = _channels_last("Pooling", layout, nsp)
    spatial = tuple(data.shape[1:-1] if last else data.shape[2:])
    if global_pool:
        k, s, p = spatial, (1,) * nsp, (0,) * nsp
    else:
        k = _kernel("Pooling", kernel)
        if len(k) != nsp:
            raise OperatorError(
                f"Pooling: a {len(k)}-D kernel {k} needs data with {len(k) + 2} dims, got shape "
                f"{tuple(data.shape)}."
            )
        s = _window_arg("Pooling", "stride", stride, nsp, 1)
        p = _window_arg("Pooling", "pad", pad, nsp, 0)
        for i in range(nsp):
            if k[i] > spatial[i] + 2 * p[i]:
                raise OperatorError(
                    f"Pooling: kernel {k} is larger than the padded input "
                    f"{tuple(x + 2 * q for x, q in zip(spatial, p))} of data shape "
                    f"{tuple(data.shape)}."
                )
    full = pooling_convention == "full" and not global_pool
    extra = tuple((-(x + 2 * q - kk) % ss) if full else 0 for x, q, kk, ss in zip(spatial, p, k, s))
    window = (1, *k, 1) if last else (1, 1, *k)
    strides = (1, *s, 1) if last else (1, 1, *s)
    sp_pad = [(q, q + e) for q, e in zip(p, extra)]
    padding = [(0, 0), *sp_pad, (0, 0)] if last else [(0, 0), (0, 0), *sp_pad]
    if pool_type == "max":
        if not jnp.issubdtype(data.dtype, jnp.floating):
            lowest = np.array(np.iinfo(data.dtype).min, data.dtype)
            return lax.reduce_window(data, lowest, lax.max, window, strides, padding)
        lowest = np.array(-np.inf, data.dtype)  # a concrete init selects the differentiable max
        if _use_max_pool_taps(nsp, last):
            out = _max_pool2d_taps(data, k, s, padding)
        else:
            out = lax.reduce_window(data, lowest, lax.max, window, strides, padding)
        # MXNet starts from the lowest finite value: a window wholly in the padding gives it.
        return jnp.maximum(out, np.array(jnp.finfo(data.dtype).min, data.dtype))
    if pool_type == "lp":
        if p_value is None:
            raise OperatorError("Pooling: pool_type='lp' needs p_value.")
        zero = np.array(0, data.dtype)
        total = lax.reduce_window(data**p_value, zero, lax.add, window, strides, padding)
        return total ** (1.0 / p_value)
    zero = np.array(0, data.dtype)
    total = lax.reduce_window(data, zero, lax.add, window, strides, padding)
    if pool_type == "sum":
        return total
    include = True if count_include_pad is None else count_include_pad
    counts = _pool_window_counts(spatial, k, s, p, extra, include or global_pool)
    counts = counts[..., None] if last else counts
    # A window wholly in the padding counts no element with count_include_pad=False: its sum
    # is 0 and MXNet outputs 0.
    counts = np.where(counts == 0, 1, counts)
    return total / jnp.asarray(counts, total.dtype)


# ---- activations with parameters --------------------------------------------------------

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946
_LEAKY_TYPES = ("leaky", "prelu", "rrelu", "elu", "selu", "gelu")


def _prelu_gamma(gamma: jax.Array, data: jax.Array) -> jax.Array:
    """MXNet broadcasts gamma along axis 1 (axis 0 for 1-D data); one value applies to all."""
    if gamma.size == 1:
        return gamma.reshape(())
    axis = 1 if data.ndim > 1 else 0
    if gamma.ndim != 1 or gamma.shape[0] != data.shape[axis]:
        raise OperatorError(
            f"LeakyReLU: act_type='prelu' expects gamma of shape (1,) or ({data.shape[axis]},) "
            f"(the size of data axis {axis}), got gamma {tuple(gamma.shape)} for data "
            f"{tuple(data.shape)}."
        )
    return gamma.reshape((-1,) + (1,) * (data.ndim - axis - 1))


@_register("LeakyReLU", mode_dependent=True)
def leaky_relu(
    data: jax.Array,
    gamma: jax.Array | None = None,
    *,
    act_type: str = "leaky",
    slope: float = 0.25,
    lower_bound: float = 0.125,
    upper_bound: float = 0.334,
    training: bool,
) -> Any:
    """Leaky rectifiers and relatives, by ``act_type``:

    - ``leaky``: ``x if x > 0 else slope * x``;
    - ``prelu``: ``x if x > 0 else gamma * x`` (gamma learned, along axis 1);
    - ``elu``: ``x if x > 0 else slope * (exp(x) - 1)``;
    - ``selu``: ``lambda * (x if x > 0 else alpha * (exp(x) - 1))`` with the SELU constants;
    - ``gelu``: ``0.5 * x * (1 + erf(x / sqrt(2)))`` (exact, not the tanh approximation);
    - ``rrelu``: in inference, ``leaky`` with slope ``(lower_bound + upper_bound) / 2``;
      returns ``[out, mask]`` as MXNet does.

    Notes
    -----
    Gradients are exact. MXNet 1.9.1's ``selu`` backward gives ``lambda * (y + alpha)`` for
    ``x <= 0`` instead of ``y + lambda * alpha``. ``rrelu`` in training mode (random slopes) is
    not supported; MXNet 1.9.1's CPU build crashes on it.
    """
    if act_type not in _LEAKY_TYPES:
        raise OperatorError(f"LeakyReLU: act_type must be one of {_LEAKY_TYPES}, got {act_type!r}.")
    x = data
    if act_type == "leaky":
        return jnp.where(x > 0, x, slope * x)
    if act_type == "prelu":
        if gamma is None:
            raise OperatorError("LeakyReLU: act_type='prelu' needs the gamma input.")
        return jnp.where(x > 0, x, _prelu_gamma(gamma, x).astype(x.dtype) * x)
    if act_type == "elu":
        return jnp.where(x > 0, x, slope * jnp.expm1(jnp.minimum(x, 0)))
    if act_type == "selu":
        # lambda * alpha folded into one constant, as MXNet rounds it (bit-equal outputs)
        neg = (_SELU_LAMBDA * _SELU_ALPHA) * jnp.expm1(jnp.minimum(x, 0))
        return jnp.where(x > 0, _SELU_LAMBDA * x, neg)
    if act_type == "gelu":
        return 0.5 * x * (1.0 + jax.scipy.special.erf(x * (1.0 / math.sqrt(2.0))))
    if training:
        raise NotImplementedError(
            "LeakyReLU: act_type='rrelu' in training mode (random slopes) is not supported by "
            "gluax; use act_type='leaky' or 'prelu'."
        )
    mid = (lower_bound + upper_bound) / 2
    return [jnp.where(x > 0, x, mid * x), jnp.zeros_like(x)]


# ---- batch normalization ----------------------------------------------------------------


@_register("BatchNorm", mode_dependent=True)
def batch_norm(
    data: jax.Array,
    gamma: jax.Array,
    beta: jax.Array,
    moving_mean: jax.Array,
    moving_var: jax.Array,
    *,
    eps: float = 1e-3,
    momentum: float = 0.9,
    fix_gamma: bool = True,
    use_global_stats: bool = False,
    output_mean_var: bool = False,
    axis: int = 1,
    cudnn_off: bool = False,
    min_calib_range: float | None = None,
    max_calib_range: float | None = None,
    training: bool,
) -> Any:
    """Batch normalization over every axis but ``axis``:
    ``out = (x - mean) / sqrt(var + eps) * gamma + beta``.

    In training mode (unless ``use_global_stats``) mean and var are the batch statistics, with
    the biased variance; otherwise ``moving_mean`` and ``moving_var``. ``fix_gamma`` uses 1 in
    place of gamma (the raw operator's default, unlike ``gluon.nn.BatchNorm``). With
    ``output_mean_var``, returns ``[out, mean, 1/sqrt(var + eps)]``, MXNet's saved statistics.

    Notes
    -----
    The operator is pure: it does not update ``moving_mean``/``moving_var`` (MXNet writes them
    in place) and does not overwrite gamma with 1 under ``fix_gamma`` (MXNet does).
    ``gluon.nn.BatchNorm`` updates its running statistics itself. ``momentum`` is unused here.
    In inference mode MXNet 1.9.1's CPU backward still subtracts the batch-mean terms of the
    training gradient from the data gradient; gluax returns the gradient of the inference
    forward, ``grad * gamma / sqrt(moving_var + eps)``.
    """
    ax = norm_axis("BatchNorm", axis, data.ndim)
    c = data.shape[ax]
    for name, v in (
        ("gamma", gamma),
        ("beta", beta),
        ("moving_mean", moving_mean),
        ("moving_var", moving_var),
    ):
        check_shape("BatchNorm", name, tuple(v.shape), (c,))
    bshape = tuple(c if i == ax else 1 for i in range(data.ndim))
    x = data.astype(jnp.float32) if data.dtype in (jnp.float16, jnp.bfloat16) else data
    if training and not use_global_stats and data.size == 0:
        # an empty batch has no statistics: the moving ones stand in, so a running update
        # computed from this output's mean/var leaves them as they were (not NaN)
        mean, var = moving_mean.astype(x.dtype), moving_var.astype(x.dtype)
    elif training and not use_global_stats:
        axes = tuple(i for i in range(data.ndim) if i != ax)
        # A bucketed (padded) batch: statistics over the real rows only.
        mask = batch_mask(data.shape[0]) if ax != 0 else None
        if mask is None:
            mean = jnp.mean(x, axis=axes)
            var = jnp.mean(jnp.square(x - mean.reshape(bshape)), axis=axes)
        else:
            m = mask.reshape((-1,) + (1,) * (data.ndim - 1)).astype(x.dtype)
            count = jnp.sum(m) * (x.size // (x.shape[0] * c))
            mean = jnp.sum(x * m, axis=axes) / count
            var = jnp.sum(jnp.square(x - mean.reshape(bshape)) * m, axis=axes) / count
    else:
        mean, var = moving_mean.astype(x.dtype), moving_var.astype(x.dtype)
    invstd = lax.rsqrt(var + eps)
    scale = invstd if fix_gamma else invstd * gamma.astype(x.dtype)
    out = (x - mean.reshape(bshape)) * scale.reshape(bshape) + beta.astype(x.dtype).reshape(bshape)
    out = out.astype(data.dtype)
    if output_mean_var:
        return [out, mean, invstd]
    return out


# ---- dropout and embedding ----------------------------------------------------------------


@_register(
    "Dropout",
    random=True,
    mode_dependent=True,
    needs_key=lambda a: a.get("p", 0.5) > 0 and (a["training"] or a.get("mode") == "always"),
)
def dropout(
    key: jax.Array,
    data: jax.Array,
    *,
    p: float = 0.5,
    mode: str = "training",
    axes: Any = (),
    cudnn_off: bool = False,
    training: bool,
) -> jax.Array:
    """Inverted dropout: each element is zeroed with probability ``p`` and the kept ones are
    scaled by ``1 / (1 - p)``. Active in training mode, or always with ``mode='always'``;
    otherwise the identity. ``axes`` lists axes along which one mask value is shared.

    Notes
    -----
    With ``p=1`` gluax returns zeros; MXNet 1.9 returns NaN (``0 * inf``).
    """
    if mode not in ("training", "always"):
        raise OperatorError(f"Dropout: mode must be 'training' or 'always', got {mode!r}.")
    if not 0.0 <= p <= 1.0:
        raise OperatorError(f"Dropout: p must be in [0, 1], got {p!r}.")
    if p == 0 or not (training or mode == "always"):
        return data
    shared = {norm_axis("Dropout", int(a), data.ndim) for a in as_tuple(axes)}
    mask_shape = tuple(1 if i in shared else n for i, n in enumerate(data.shape))
    keep = jax.random.bernoulli(key, 1.0 - p, mask_shape)
    scale = np.asarray(1.0 / (1.0 - p) if p < 1 else 0.0, dtype=data.dtype)
    return jnp.where(keep, data * scale, jnp.zeros((), data.dtype))


@_register("Embedding")
def embedding(
    data: jax.Array,
    weight: jax.Array,
    *,
    input_dim: int,
    output_dim: int,
    dtype: Any = "float32",
    sparse_grad: bool = False,
) -> jax.Array:
    """Rows of ``weight`` (``(input_dim, output_dim)``) picked by the indices in ``data``:
    output shape ``data.shape + (output_dim,)``. Float indices are truncated toward zero and,
    as in MXNet, indices outside ``[0, input_dim)`` are clipped into it. ``sparse_grad`` is
    accepted; the gradient is always dense."""
    check_shape("Embedding", "weight", tuple(weight.shape), (input_dim, output_dim))
    idx = jnp.clip(lax.stop_gradient(data).astype(jnp.int32), 0, input_dim - 1)
    return jnp.take(weight, idx, axis=0)
