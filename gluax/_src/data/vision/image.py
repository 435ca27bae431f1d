"""Image kernels behind ``gluon.data.vision.transforms`` and the ``_image_*`` operators.

Each kernel takes ``xp`` (``numpy`` or ``jax.numpy``) and works on HWC images (or NHWC
batches where MXNet allows them): the DataLoader's workers and eager calls run them in numpy
(no compilation per image size), a hybridized transform runs them in jax. They reproduce MXNet
1.9's C++ image operators, which call OpenCV for resizing:

* results are computed in float32 and stored back with MXNet's ``saturate_cast``: for uint8,
  clip to [0, 255] then truncate toward zero (not round);
* resizing follows OpenCV's ``cv::resize`` (pixel centres at +0.5; bilinear weights in 11-bit
  fixed point for uint8; an exact 2x shrink in both directions switches bilinear to area
  averaging, as OpenCV does).

Decoding and encoding of JPEG/PNG bytes use Pillow, imported when first needed.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from gluax._src.engine.base import MXNetError, OperatorError

PILLOW_MISSING = (
    "Decoding or encoding images needs Pillow, which is not installed. Install it with\n"
    "    pip install pillow        (or: pip install gluax[examples])"
)

# OpenCV's interpolation codes, as MXNet passes them through.
INTERP_NAMES = {0: "nearest", 1: "bilinear", 2: "bicubic", 3: "area", 4: "lanczos"}


# ---- decoding -----------------------------------------------------------------------------------
def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(PILLOW_MISSING) from None
    return Image


def decode_numpy(
    buf: bytes | bytearray | np.ndarray, flag: int = 1, to_rgb: bool = True
) -> np.ndarray:
    """Decode JPEG/PNG/... bytes into an HWC uint8 numpy array.

    ``flag=1``: 3 channels (RGB, or BGR when ``to_rgb`` is False); ``flag=0``: 1 channel
    (grayscale, shape (H, W, 1)); ``flag=-1``: the channels as stored (alpha kept)."""
    Image = _pil()
    if isinstance(buf, np.ndarray):
        buf = buf.tobytes()
    try:
        img = Image.open(io.BytesIO(bytes(buf)))
        if flag == 0 and img.format == "JPEG":
            img.draft("L", img.size)  # libjpeg converts to gray while decoding, as OpenCV's
        img.load()
    except Exception as e:  # Pillow raises several kinds for bad data
        raise MXNetError(
            f"imdecode: cannot decode the {len(buf)} bytes as an image ({type(e).__name__}: {e})."
        ) from None
    if flag == 0 and img.mode != "L":
        # OpenCV has libpng convert to gray: 15-bit fixed-point luma, truncated; libpng turns
        # OpenCV's (0.299, 0.587) into 29900 * 32768 // 100000 = 9797 and 19234.
        rgb = np.asarray(img.convert("RGB"), dtype=np.int64)
        gray = (rgb[..., 0] * 9797 + rgb[..., 1] * 19234 + rgb[..., 2] * 3737) >> 15
        return np.ascontiguousarray(gray.astype(np.uint8)[:, :, None])
    if flag == 1 or (flag != 0 and img.mode not in ("L", "RGB", "RGBA")):
        img = img.convert("RGB" if flag == 1 or "A" not in img.mode else "RGBA")
    arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if not to_rgb and arr.shape[2] >= 3:
        arr = np.concatenate([arr[:, :, 2::-1], arr[:, :, 3:]], axis=2)
    return np.ascontiguousarray(arr)


def read_numpy(filename: str, flag: int = 1, to_rgb: bool = True) -> np.ndarray:
    """Read and decode an image file (see ``decode_numpy``)."""
    try:
        with open(filename, "rb") as f:
            buf = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"imread: no such image file '{filename}'.") from None
    try:
        return decode_numpy(buf, flag, to_rgb)
    except MXNetError as e:
        raise MXNetError(f"{e} File: '{filename}'.") from None


def encode_numpy(
    img: np.ndarray, img_fmt: str = ".jpg", quality: int = 95, from_bgr: bool = False
) -> bytes:
    """Encode an HWC (or HW) uint8 image as JPEG (``quality`` 1-100) or PNG (``quality`` =
    compression level 0-9)."""
    Image = _pil()
    fmt = img_fmt.lower().lstrip(".")
    arr = np.asarray(img)
    if arr.dtype != np.uint8:
        raise TypeError(f"encode image: expected a uint8 array, got dtype {arr.dtype}.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if from_bgr and arr.ndim == 3:
        arr = np.concatenate([arr[:, :, 2::-1], arr[:, :, 3:]], axis=2)
    out = io.BytesIO()
    pil = Image.fromarray(np.ascontiguousarray(arr))
    if fmt in ("jpg", "jpeg"):
        pil.save(out, format="JPEG", quality=int(quality))
    elif fmt == "png":
        # OpenCV clamps the PNG compression level to 0-9 (pack_img's default quality is 95).
        pil.save(out, format="PNG", compress_level=min(max(int(quality), 0), 9))
    else:
        raise ValueError(f"encode image: img_fmt must be '.jpg' or '.png', got {img_fmt!r}.")
    return out.getvalue()


# ---- helpers ------------------------------------------------------------------------------------
def saturate(xp: Any, val: Any, dtype: Any) -> Any:
    """MXNet's ``saturate_cast`` from float32: uint8 clips to [0, 255] then truncates."""
    if np.dtype(dtype) == np.uint8:
        val = xp.clip(val, 0.0, 255.0)
    return val.astype(dtype)


def check_image(op: str, shape: tuple[int, ...], ndims: tuple[int, ...] = (3,)) -> None:
    """MXNet's image operators take (H, W, C) images with C = 1 or 3 (some also NHWC)."""
    if len(shape) not in ndims or shape[-1] not in (1, 3):
        want = " or ".join({3: "(H, W, C)", 4: "(N, H, W, C)"}[n] for n in ndims)
        raise OperatorError(
            f"{op}: expected an image of shape {want} with C = 1 or 3, got shape {shape}."
        )


# ---- tensor conversion --------------------------------------------------------------------------
def to_tensor(xp: Any, x: Any) -> Any:
    """HWC [0, 255] -> CHW float32 [0, 1] (NHWC -> NCHW for a batch)."""
    if x.ndim not in (3, 4):
        raise OperatorError(
            f"to_tensor: expected an image of shape (H, W, C) or (N, H, W, C), got shape "
            f"{tuple(x.shape)}."
        )
    y = x.astype(xp.float32) / xp.float32(255.0)
    return y.transpose((2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2))


def _per_channel(op: str, name: str, v: Any, c: int) -> np.ndarray:
    """``v`` (one value, or one per channel) as a float32 array of shape (1 or c, 1, 1)."""
    arr = np.asarray(v, dtype=np.float32).reshape(-1)
    if arr.size not in (1, c):
        raise OperatorError(f"{op}: {name} must have 1 or {c} values (one per channel), got {v!r}.")
    return arr.reshape(-1, 1, 1)


def normalize(xp: Any, x: Any, mean: Any = 0.0, std: Any = 1.0) -> Any:
    """``(x[c] - mean[c]) / std[c]`` on CHW (or NCHW); the dtype is kept."""
    if x.ndim not in (3, 4) or x.shape[-3] not in (1, 3):
        raise OperatorError(
            f"normalize: expected a tensor of shape (C, H, W) or (N, C, H, W) with C = 1 or 3, "
            f"got shape {tuple(x.shape)}. Apply ToTensor() first."
        )
    c = x.shape[-3]
    m = _per_channel("normalize", "mean", mean, c)
    s = _per_channel("normalize", "std", std, c)
    out = (x.astype(xp.float32) - m) / s
    return out.astype(x.dtype)


# ---- geometry -----------------------------------------------------------------------------------
def resize_hw(h: int, w: int, size: Any, keep_ratio: bool = False) -> tuple[int, int]:
    """Output (height, width) of MXNet's ``image.resize``: ``size`` is ``(W, H)``, or an int
    (both edges, or the short edge when ``keep_ratio``)."""
    if isinstance(size, (int, np.integer)):
        size = (int(size),)
    size = tuple(int(s) for s in size)
    if len(size) not in (1, 2) or any(s <= 0 for s in size):
        raise OperatorError(
            f"resize: size must be a positive int or a (width, height) pair, got {size}."
        )
    if len(size) == 2:
        return size[1], size[0]
    s = size[0]
    if not keep_ratio:
        return s, s
    # MXNet computes the long edge in integer arithmetic (truncating).
    return (h * s // w, s) if h > w else (s, w * s // h)


def _taps(src: int, dst: int, interp: int, is_x: bool) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and float32 weights per output along one axis, as OpenCV's
    ``resizeGeneric`` computes them: bilinear (1), bicubic (2, A = -0.75), or area (3) when
    enlarging, which is bilinear with area-mode fractions. Indices are clipped to the image
    (border replicated). Along x, OpenCV also zeroes the fraction at the borders of a
    bilinear/area resize; along y it does not, so a border row is a sum of one row with
    itself."""
    scale = 1.0 / (dst / src)
    d = np.arange(dst, dtype=np.float64)
    if interp == 3:
        i0 = np.floor(d * scale).astype(np.int64)
        f = ((d + 1) - (i0 + 1) * (dst / src)).astype(np.float32)
        f = np.where(f <= 0, np.float32(0), f - np.floor(f)).astype(np.float32)
    else:
        f = ((d + 0.5) * scale - 0.5).astype(np.float32)
        i0 = np.floor(f).astype(np.int64)
        f = (f - i0).astype(np.float32)
    if interp == 4:
        return _lanczos_taps(i0, f, src)
    if interp == 2:
        a = np.float32(-0.75)
        w0 = ((a * (f + 1) - 5 * a) * (f + 1) + 8 * a) * (f + 1) - 4 * a
        w1 = ((a + 2) * f - (a + 3)) * f * f + 1
        w2 = ((a + 2) * (1 - f) - (a + 3)) * (1 - f) * (1 - f) + 1
        w = np.stack([w0, w1, w2, 1 - w0 - w1 - w2], axis=1)
        idx = np.stack([i0 - 1, i0, i0 + 1, i0 + 2], axis=1)
    else:
        if is_x:
            low, high = i0 < 0, i0 >= src - 1
            f[low | high] = 0.0
            i0 = np.clip(i0, 0, src - 1)
        w = np.stack([1 - f, f], axis=1)
        idx = np.stack([i0, i0 + 1], axis=1)
    return np.clip(idx, 0, src - 1), w.astype(np.float32)


def _lanczos_taps(i0: np.ndarray, f: np.ndarray, src: int) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV's ``interpolateLanczos4``: 8 taps at ``i0 - 3 .. i0 + 4``, a windowed sinc of
    the fraction normalised to sum 1 (the identity tap when the fraction is ~0)."""
    s45 = 0.70710678118654752440084436210485
    cs = np.array([[1, 0], [-s45, -s45], [0, 1], [s45, -s45], [-1, 0], [s45, s45], [0, -1],
                   [-s45, s45]])
    x = f.astype(np.float64)[:, None]
    y0 = -(x + 3) * np.pi * 0.25
    y = -(x + 3 - np.arange(8)) * np.pi * 0.25
    with np.errstate(divide="ignore", invalid="ignore"):
        w = ((cs[:, 0] * np.sin(y0) + cs[:, 1] * np.cos(y0)) / (y * y)).astype(np.float32)
    w = w * (np.float32(1) / w.sum(axis=1, keepdims=True, dtype=np.float32))
    w[f < np.finfo(np.float32).eps] = np.eye(8, dtype=np.float32)[3]
    idx = i0[:, None] + np.arange(-3, 5)
    return np.clip(idx, 0, src - 1), w.astype(np.float32)


def _area_matrix(src: int, dst: int) -> np.ndarray:
    """OpenCV INTER_AREA when shrinking: each output averages the source cells it covers,
    weighted by overlap. A (dst, src) matrix."""
    scale = src / dst
    m = np.zeros((dst, src), np.float64)
    for d in range(dst):
        lo, hi = d * scale, (d + 1) * scale
        for s in range(int(math.floor(lo)), min(int(math.ceil(hi)), src)):
            m[d, s] = min(hi, s + 1) - max(lo, s)
    return (m / scale).astype(np.float32)


def _apply_taps(xp: Any, x: Any, axis: int, idx: np.ndarray, w: Any) -> Any:
    """Sum over taps of ``x`` gathered along ``axis`` times the weights."""
    shape = [1] * x.ndim
    shape[axis] = idx.shape[0]
    out = None
    for k in range(idx.shape[1]):
        term = xp.take(x, idx[:, k], axis=axis) * w[:, k].reshape(shape)
        out = term if out is None else out + term
    return out


def _round_half_even(xp: Any, x: Any, dtype: Any) -> Any:
    info = np.iinfo(dtype)
    return xp.clip(xp.round(x), info.min, info.max).astype(dtype)


def _resize_separable(xp: Any, x: Any, ha: int, oh: int, ow: int, interp: int) -> Any:
    """Bilinear, bicubic, or area-enlarging resize: a horizontal then a vertical pass. 8-bit
    images use OpenCV's 11-bit fixed-point coefficients and its integer rounding."""
    wa = ha + 1
    h, w = x.shape[ha], x.shape[wa]
    (iy, wy), (ix, wx) = _taps(h, oh, interp, False), _taps(w, ow, interp, True)
    if np.dtype(x.dtype) != np.uint8:
        out = _apply_taps(xp, _apply_taps(xp, x.astype(xp.float32), wa, ix, wx), ha, iy, wy)
        if np.issubdtype(np.dtype(x.dtype), np.integer):
            return _round_half_even(xp, out, x.dtype)
        return out.astype(x.dtype)
    wx, wy = (np.rint(v * 2048.0).astype(np.int32) for v in (wx, wy))
    rows = _apply_taps(xp, x.astype(xp.int32), wa, ix, wx)
    shape = [1] * x.ndim
    shape[ha] = oh
    taps = [(xp.take(rows, iy[:, k], axis=ha), wy[:, k].reshape(shape)) for k in range(iy.shape[1])]
    if interp == 4:
        out = sum(b * t for t, b in taps) + (1 << 21) >> 22
    elif interp == 2:
        out = _cubic_rows_8u(xp, taps, x.shape[-1] * ow)
    else:  # OpenCV's vectorized 8-bit vertical pass: shift, multiply-high, round by 2 bits
        out = sum((b * (t >> 4)) >> 16 for t, b in taps) + 2 >> 2
    return xp.clip(out, 0, 255).astype(xp.uint8)


def _cubic_rows_8u(xp: Any, taps: list, width: int) -> Any:
    """OpenCV's 8-bit bicubic vertical pass: its SSE2 loop (8 values of a row at a time)
    sums ``row * (coef / 2**22)`` in float32 and rounds half to even; the last
    ``width % 8`` values of each row go through the scalar integer formula."""
    ints = sum(b * t for t, b in taps) + (1 << 21) >> 22
    scale = np.float32(1.0 / (1 << 22))
    acc = None
    for t, b in taps:
        term = t.astype(xp.float32) * (b.astype(np.float32) * scale)
        acc = term if acc is None else acc + term
    vec = xp.round(acc).astype(xp.int32)
    lead = ints.shape[:-2]
    nvec = width - width % 8
    cols = (np.arange(width) < nvec).reshape(ints.shape[-2], ints.shape[-1])
    return xp.where(cols, vec.reshape(lead + cols.shape), ints)


def _resize_area_shrink(xp: Any, x: Any, ha: int, oh: int, ow: int) -> Any:
    wa = ha + 1
    h, w = x.shape[ha], x.shape[wa]
    integral = np.dtype(x.dtype).kind in "iu"
    if h % oh == 0 and w % ow == 0:  # OpenCV's fast path for integer factors
        kh, kw = h // oh, w // ow
        shape = x.shape[:ha] + (oh, kh, ow, kw) + x.shape[wa + 1 :]
        acc = (
            x.astype(xp.int32 if integral else xp.float32).reshape(shape).sum(axis=(ha + 1, ha + 3))
        )
        if np.dtype(x.dtype) == np.uint8 and (kh, kw) == (2, 2):
            return ((acc + 2) >> 2).astype(xp.uint8)
        out = acc.astype(xp.float32) * np.float32(1.0 / (kh * kw))
        return _round_half_even(xp, out, x.dtype) if integral else out.astype(x.dtype)
    out = x.astype(xp.float32)
    for axis, m in ((wa, _area_matrix(w, ow)), (ha, _area_matrix(h, oh))):
        out = xp.moveaxis(xp.tensordot(out, m, axes=([axis], [1])), -1, axis)
    return _round_half_even(xp, out, x.dtype) if integral else out.astype(x.dtype)


def resize(xp: Any, x: Any, size: Any, keep_ratio: bool = False, interp: int = 1) -> Any:
    """Resize an HWC image or NHWC batch as MXNet's ``image.resize`` (OpenCV ``cv::resize``)."""
    if x.ndim not in (3, 4):
        raise OperatorError(
            f"resize: expected an image of shape (H, W, C) or (N, H, W, C), got shape "
            f"{tuple(x.shape)}."
        )
    interp = 1 if interp is None else int(interp)
    if interp not in (0, 1, 2, 3, 4):
        raise NotImplementedError(
            f"resize: interpolation {interp} ({INTERP_NAMES.get(interp, 'unknown')}) is not "
            "implemented in gluax; use 0 (nearest), 1 (bilinear), 2 (bicubic), 3 (area) or "
            "4 (lanczos)."
        )
    ha = x.ndim - 3
    h, w = x.shape[ha], x.shape[ha + 1]
    oh, ow = resize_hw(h, w, size, keep_ratio)
    if (oh, ow) == (h, w):
        return x
    if interp == 1 and h == 2 * oh and w == 2 * ow:
        interp = 3  # OpenCV: an exact 2x shrink with INTER_LINEAR is done as INTER_AREA
    if interp == 0:  # OpenCV's nearest: floor(dst * scale), no half-pixel shift
        iy = np.minimum(np.floor(np.arange(oh) * (h / oh)).astype(np.int64), h - 1)
        ix = np.minimum(np.floor(np.arange(ow) * (w / ow)).astype(np.int64), w - 1)
        return xp.take(xp.take(x, iy, axis=ha), ix, axis=ha + 1)
    if interp == 3 and oh <= h and ow <= w:
        return _resize_area_shrink(xp, x, ha, oh, ow)
    return _resize_separable(xp, x, ha, oh, ow, interp)


def crop(x: Any, x0: int, y0: int, width: int, height: int) -> Any:
    """The ``height`` x ``width`` window at column ``x0``, row ``y0`` of an HWC image or NHWC
    batch."""
    check_image("crop", tuple(x.shape), (3, 4))
    h, w = x.shape[-3], x.shape[-2]
    if width <= 0 or height <= 0 or x0 < 0 or y0 < 0 or x0 + width > w or y0 + height > h:
        raise OperatorError(
            f"crop: the window x={x0}, y={y0}, width={width}, height={height} does not fit "
            f"in an image of height {h} and width {w} (shape {tuple(x.shape)})."
        )
    return x[..., y0 : y0 + height, x0 : x0 + width, :]


def scale_down(src_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """MXNet's ``image.scale_down``: shrink a (w, h) crop size to fit in ``src_size``,
    keeping its aspect ratio."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def fixed_crop(
    xp: Any, x: Any, x0: int, y0: int, w: int, h: int, size: Any = None, interp: int = 1
) -> Any:
    """Crop, then resize to ``size`` = (w, h) when given and different (MXNet's
    ``image.fixed_crop``)."""
    out = x[y0 : y0 + h, x0 : x0 + w]
    if size is not None and (w, h) != tuple(size):
        out = resize(xp, out, tuple(size), False, interp)
    return out


def center_crop(xp: Any, x: Any, size: tuple[int, int], interp: int = 1) -> Any:
    """MXNet's ``image.center_crop``: the largest centred crop with the aspect ratio of
    ``size`` = (w, h) that fits, resized to ``size``."""
    h, w = x.shape[0], x.shape[1]
    new_w, new_h = scale_down((w, h), size)
    x0, y0 = int((w - new_w) / 2), int((h - new_h) / 2)
    return fixed_crop(xp, x, x0, y0, new_w, new_h, size, interp)


# ---- flips and colour -----------------------------------------------------------------------
def flip(xp: Any, x: Any, axis: int) -> Any:
    """Reverse an HWC image along ``axis`` (1 = left-right, 0 = top-bottom)."""
    return xp.flip(x, axis=axis)


_GRAY = np.array([0.299, 0.587, 0.114], np.float32)


def adjust_brightness(xp: Any, x: Any, alpha: Any) -> Any:
    return saturate(xp, x.astype(xp.float32) * alpha, x.dtype)


def adjust_contrast(xp: Any, x: Any, alpha: Any) -> Any:
    xf = x.astype(xp.float32)
    gray = (xf * _GRAY).sum(axis=-1) if x.shape[-1] == 3 else xf[..., 0]
    beta = (1.0 - alpha) * gray.mean()
    return saturate(xp, xf * alpha + beta, x.dtype)


def adjust_saturation(xp: Any, x: Any, alpha: Any) -> Any:
    if x.shape[-1] == 1:
        return x
    xf = x.astype(xp.float32)
    # MXNet 1.9 overwrites (not accumulates) the gray value in its channel loop, so the
    # "gray" it blends towards is 0.114 * blue alone.
    gray = xf[..., 2:3] * np.float32(0.114) * (1.0 - alpha)
    return saturate(xp, gray + xf * alpha, x.dtype)


def _rgb_to_hls(xp: Any, r: Any, g: Any, b: Any) -> tuple[Any, Any, Any]:
    r, g, b = r / np.float32(255), g / np.float32(255), b / np.float32(255)
    vmax = xp.maximum(xp.maximum(r, g), b)
    vmin = xp.minimum(xp.minimum(r, g), b)
    diff = vmax - vmin
    l = (vmax + vmin) * np.float32(0.5)
    colored = diff > np.finfo(np.float32).eps
    safe = xp.where(colored, diff, np.float32(1))
    s = xp.where(
        l < 0.5,
        safe / xp.where(colored, vmax + vmin, 1),
        safe / xp.where(colored, 2 - vmax - vmin, 1),
    )
    k = np.float32(60) / safe
    h = xp.where(vmax == r, (g - b) * k, xp.where(vmax == g, (b - r) * k + 120, (r - g) * k + 240))
    h = xp.where(h < 0, h + 360, h)
    zero = xp.zeros_like(l)
    return xp.where(colored, h, zero), l, xp.where(colored, s, zero)


_HLS_SECTORS = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])


def _hls_to_rgb(xp: Any, h: Any, l: Any, s: Any) -> tuple[Any, Any, Any]:
    p2 = xp.where(l <= 0.5, l * (1 + s), l + s - l * s)
    p1 = 2 * l - p2
    h = h * np.float32(1.0 / 60.0)
    for _ in range(4):  # MXNet wraps with repeated +-6 (a few steps cover any shift used)
        h = xp.where(h < 0, h + 6, h)
        h = xp.where(h >= 6, h - 6, h)
    sector = xp.clip(h.astype(xp.int32), 0, 5)
    h = h - sector
    tab = xp.stack([p2, p1, p1 + (p2 - p1) * (1 - h), p1 + (p2 - p1) * h], axis=-1)
    sel = _HLS_SECTORS[sector] if xp is np else xp.asarray(_HLS_SECTORS)[sector]
    b, g, r = (xp.take_along_axis(tab, sel[..., k : k + 1], axis=-1)[..., 0] for k in range(3))
    gray = s == 0
    return xp.where(gray, l, r), xp.where(gray, l, g), xp.where(gray, l, b)


def adjust_hue(xp: Any, x: Any, alpha: Any) -> Any:
    """Rotate the hue by ``alpha * 360`` degrees (through HLS, as MXNet)."""
    if x.shape[-1] == 1:
        return x
    xf = x.astype(xp.float32)
    h, l, s = _rgb_to_hls(xp, xf[..., 0], xf[..., 1], xf[..., 2])
    r, g, b = _hls_to_rgb(xp, h + alpha * np.float32(360), l, s)
    out = xp.stack([r, g, b], axis=-1) * np.float32(255)
    return saturate(xp, out, x.dtype)


# AlexNet's PCA lighting: eigenvalue-scaled eigenvectors of ImageNet RGB covariance (MXNet's).
_EIG = np.array(
    [
        [55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
        [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
        [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203],
    ],
    np.float32,
)


def adjust_lighting(xp: Any, x: Any, alpha: Any) -> Any:
    """Add the PCA colour offset ``eig @ alpha`` to every pixel (AlexNet lighting noise)."""
    if x.shape[-1] == 1:
        return x
    pca = (_EIG * xp.asarray(alpha, dtype=xp.float32)).sum(axis=1)
    return saturate(xp, x.astype(xp.float32) + pca, x.dtype)


ADJUST = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)


def color_jitter(x: np.ndarray, order: Any, alphas: Any, active: tuple[bool, ...]) -> np.ndarray:
    """Apply brightness, contrast, saturation, hue (indices 0-3) in ``order``; ``alphas[k]`` is
    the factor of adjustment ``k``, ``active[k]`` whether it is applied at all."""
    for k in order:
        if active[k]:
            x = ADJUST[k](np, x, alphas[k])
    return x


# ---- rotation ---------------------------------------------------------------------------
def rotate(
    x: np.ndarray, degrees: Any, zoom_in: bool = False, zoom_out: bool = False
) -> np.ndarray:
    """Rotate CHW (or NCHW) float32 images about their centres by ``degrees`` (one per image
    for a batch), as MXNet's ``image.imrotate``: a rotated sampling grid read with bilinear
    interpolation, zeros outside the image; ``zoom_in`` scales so that no zeros show,
    ``zoom_out`` so that the whole image stays in view."""
    single = x.ndim == 3
    if single:
        x = x[None]
    n, _, h, w = x.shape
    rad = np.float32(np.pi) * np.asarray(degrees, np.float32).reshape(-1) / np.float32(180)
    rad = np.broadcast_to(rad, (n,)).reshape(n, 1, 1)
    hs, ws = np.float32((h - 1) / 2), np.float32((w - 1) / 2)
    hm = np.arange(h, dtype=np.float32).reshape(h, 1) - hs
    wm = np.arange(w, dtype=np.float32).reshape(1, w) - ws
    c, s = np.cos(rad), np.sin(rad)
    gx = (wm * c - hm * s) / ws
    gy = (wm * s + hm * c) / hs
    if zoom_in or zoom_out:
        hf, wf = np.float32(h), np.float32(w)
        rho, ang = np.sqrt(hf * hf + wf * wf), np.arctan(hf / wf)
        a = np.abs(rad)
        max_x = np.maximum(np.abs(rho * np.cos(ang + a)), np.abs(rho * np.cos(ang - a)))
        max_y = np.maximum(np.abs(rho * np.sin(ang + a)), np.abs(rho * np.sin(ang - a)))
        if zoom_out:
            scale = np.maximum(max_x / wf, max_y / hf)
        else:
            scale = np.minimum(wf / max_x, hf / max_y)
        gx, gy = gx * scale, gy * scale
    out = _bilinear_sample(x, gx, gy)
    return out[0] if single else out


def _bilinear_sample(x: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """MXNet's ``BilinearSampler``: grid in [-1, 1] per axis, zero outside the image."""
    n, ch, h, w = x.shape
    xr = (gx + 1) * np.float32(w - 1) / 2
    yr = (gy + 1) * np.float32(h - 1) / 2
    x0, y0 = np.floor(xr).astype(np.int64), np.floor(yr).astype(np.int64)
    wx, wy = 1 - (xr - x0), 1 - (yr - y0)
    out = np.zeros((n, ch) + gx.shape[1:], np.float32)
    batch = np.arange(n).reshape(n, 1, 1)
    for dy, dx, weight in (
        (0, 0, wy * wx),
        (0, 1, wy * (1 - wx)),
        (1, 0, (1 - wy) * wx),
        (1, 1, (1 - wy) * (1 - wx)),
    ):
        yy, xx = y0 + dy, x0 + dx
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        v = x[batch, :, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]  # (n, H', W', C)
        out += np.moveaxis(v * (weight * inside)[..., None], -1, 1)
    return out.astype(np.float32)
