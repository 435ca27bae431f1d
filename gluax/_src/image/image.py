"""``mx.image``: image functions, augmenters and ``ImageIter``, as MXNet 1.9.1's ``mxnet.image``.

MXNet runs these through its OpenCV build. gluax decodes with Pillow (the same libjpeg-turbo
and libpng results, see docs/image.md) and resizes with the numpy reproduction of OpenCV's
``cv::resize`` in ``gluax._src.data.vision.image``. Images are HWC ``NDArray``s (uint8 as
decoded, float32 after ``CastAug``); the work is done in numpy, one image at a time, and the
result is wrapped back into an NDArray.

Randomness follows MXNet call for call: the augmenters draw from Python's ``random`` module
and from ``numpy.random`` exactly where MXNet does, so after ``random.seed(s)`` and
``np.random.seed(s)`` a pipeline picks the same crops, flips and jitters as MXNet does.
"""

from __future__ import annotations

import json
import logging
import os
import random
import warnings
from numbers import Number
from typing import Any

import numpy as np

from gluax._src.data import recordio
from gluax._src.data.vision import image as _k
from gluax._src.engine import npmode
from gluax._src.engine.ndarray import NDArray
from gluax._src.io.io import DataBatch, DataIter
from gluax._src.numpy.multiarray import to_np
from gluax._src.ops.creation import array as _array

_NUMERIC = (int, float, np.integer, np.floating)


# ---- NDArray <-> numpy ------------------------------------------------------------------------
def _np(src: Any, where: str = "src") -> np.ndarray:
    if isinstance(src, NDArray):
        return src.asnumpy()
    if isinstance(src, np.ndarray):
        return src
    raise TypeError(f"{where}: expected an NDArray image, got {type(src).__name__}.")


def _nd(x: np.ndarray) -> NDArray:
    """An NDArray of ``x``; an ``mx.np.ndarray`` in NumPy mode (``npx.set_np()``), as MXNet."""
    x = np.ascontiguousarray(x)
    out = _array(x, dtype=x.dtype)
    return to_np(out) if npmode.is_np_array() else out


def _hwc(op: str, x: np.ndarray) -> None:
    if x.ndim != 3:
        raise ValueError(f"{op}: expected an image of shape (H, W, C), got shape {x.shape}.")


# ---- reading, decoding, resizing ------------------------------------------------------------
def imread(filename: str, flag: int = 1, to_rgb: bool = True, out: Any = None) -> NDArray:
    """Read an image file into an HWC uint8 NDArray (``flag=1``: 3 channels, RGB unless
    ``to_rgb`` is False; ``flag=0``: grayscale, shape (H, W, 1))."""
    return _out(_nd(_k.read_numpy(str(filename), flag, to_rgb)), out)


def imdecode(buf: Any, flag: int = 1, to_rgb: bool = True, out: Any = None) -> NDArray:
    """Decode JPEG/PNG/... bytes (``bytes``, ``bytearray``, a uint8 numpy array or NDArray)
    into an HWC uint8 NDArray; ``flag`` and ``to_rgb`` as in ``imread``."""
    if isinstance(buf, NDArray):
        buf = buf.asnumpy().astype(np.uint8)
    if not isinstance(buf, (bytes, bytearray, np.ndarray)):
        raise ValueError(
            "imdecode: buf must be of type bytes, bytearray or numpy.ndarray, got "
            f"{type(buf).__name__}; encode a str to bytes first."
        )
    return _out(_nd(_k.decode_numpy(buf, flag, to_rgb)), out)


def _out(res: NDArray, out: Any) -> NDArray:
    if out is None:
        return res
    out[:] = res
    return out


def imresize(src: Any, w: int, h: int, interp: int = 1, out: Any = None) -> NDArray:
    """Resize an HWC image to width ``w`` and height ``h`` (OpenCV interpolation codes:
    0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 lanczos)."""
    x = _np(src, "imresize")
    _hwc("imresize", x)
    return _out(_nd(_k.resize(np, x, (int(w), int(h)), False, interp)), out)


def scale_down(src_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """Shrink the crop size ``size`` = (w, h) to fit in ``src_size`` = (w, h), keeping its
    aspect ratio."""
    return _k.scale_down(src_size, size)


# OpenCV's border codes as MXNet's _cvcopyMakeBorder passes them; BORDER_ISOLATED (16) only
# matters for ROIs, so 16 is a constant border too.
_BORDERS = {0: "constant", 1: "edge", 2: "symmetric", 3: "wrap", 4: "reflect", 16: "constant"}


def copyMakeBorder(  # noqa: N802 (MXNet's name)
    src: Any,
    top: int,
    bot: int,
    left: int,
    right: int,
    type: int = 0,  # noqa: A002
    value: float = 0.0,
    values: Any = None,
    out: Any = None,
) -> NDArray:
    """Pad an HWC image by ``top``, ``bot``, ``left``, ``right`` pixels. ``type`` is OpenCV's
    border code: 0 constant (``values`` per channel, else ``value``), 1 replicate, 2 reflect,
    3 wrap, 4 reflect-101."""
    x = _np(src, "copyMakeBorder")
    _hwc("copyMakeBorder", x)
    pads = [int(top), int(bot), int(left), int(right)]
    if min(pads) < 0:
        raise ValueError(f"copyMakeBorder: top, bot, left, right must be >= 0, got {pads}.")
    if type not in _BORDERS:
        raise ValueError(
            f"copyMakeBorder: type must be an OpenCV border code in {sorted(_BORDERS)}, "
            f"got {type!r}."
        )
    width = ((pads[0], pads[1]), (pads[2], pads[3]), (0, 0))
    mode = _BORDERS[type]
    if mode != "constant":
        return _out(_nd(np.pad(x, width, mode=mode)), out)
    c = x.shape[2]
    fill = np.full(c, float(value)) if not values else np.resize(np.asarray(values, float), c)
    if np.issubdtype(x.dtype, np.integer):  # OpenCV saturate_casts the Scalar (rounding)
        info = np.iinfo(x.dtype)
        fill = np.clip(np.rint(fill), info.min, info.max)
    res = np.empty((x.shape[0] + pads[0] + pads[1], x.shape[1] + pads[2] + pads[3], c), x.dtype)
    res[...] = fill.astype(x.dtype)
    res[pads[0] : pads[0] + x.shape[0], pads[2] : pads[2] + x.shape[1]] = x
    return _out(_nd(res), out)


def _get_interp_method(interp: int, sizes: tuple[int, ...] = ()) -> int:
    """Resolve MXNet's interpolation codes 9 (auto: cubic to enlarge, area to shrink, else
    bilinear; ``sizes`` = (old h, old w, new h, new w)) and 10 (random among 0-4)."""
    if interp == 9:
        if sizes:
            if len(sizes) != 4:
                raise ValueError(f"interp=9 needs sizes = (oh, ow, nh, nw), got {sizes!r}.")
            oh, ow, nh, nw = sizes
            if nh > oh and nw > ow:
                return 2
            if nh < oh and nw < ow:
                return 3
            return 1
        return 2
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError(f"Unknown interp method {interp!r}: use 0-4, 9 (auto) or 10 (random).")
    return interp


def resize_short(src: Any, size: int, interp: int = 2) -> NDArray:
    """Resize so that the shorter edge is ``size`` (the other edge scaled, truncated)."""
    return _nd(_resize_short(_np(src, "resize_short"), size, interp))


def _resize_short(x: np.ndarray, size: int, interp: int) -> np.ndarray:
    _hwc("resize_short", x)
    h, w = x.shape[:2]
    new_h, new_w = (size * h // w, size) if h > w else (size, size * w // h)
    method = _get_interp_method(interp, (h, w, new_h, new_w))
    return _k.resize(np, x, (new_w, new_h), False, method)


def fixed_crop(
    src: Any, x0: int, y0: int, w: int, h: int, size: Any = None, interp: int = 2
) -> NDArray:
    """Crop the ``w`` x ``h`` window at (``x0``, ``y0``), then resize to ``size`` = (w, h)
    when given."""
    return _nd(_fixed_crop(_np(src, "fixed_crop"), x0, y0, w, h, size, interp))


def _fixed_crop(
    x: np.ndarray, x0: int, y0: int, w: int, h: int, size: Any, interp: int
) -> np.ndarray:
    _hwc("fixed_crop", x)
    out = x[y0 : y0 + h, x0 : x0 + w]
    if size is not None and (w, h) != tuple(size):
        method = _get_interp_method(interp, (h, w, size[1], size[0]))
        out = _k.resize(np, out, (int(size[0]), int(size[1])), False, method)
    return out


def random_crop(src: Any, size: tuple[int, int], interp: int = 2) -> tuple[NDArray, tuple]:
    """A random crop with the aspect ratio of ``size`` = (w, h) (shrunk to fit), resized to
    ``size``. Returns the image and the box (x0, y0, w, h)."""
    out, box = _random_crop(_np(src, "random_crop"), size, interp)
    return _nd(out), box


def _random_crop(x: np.ndarray, size: tuple[int, int], interp: int) -> tuple[np.ndarray, tuple]:
    h, w = _shape_hw(x, "random_crop")
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return _fixed_crop(x, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src: Any, size: tuple[int, int], interp: int = 2) -> tuple[NDArray, tuple]:
    """The centred crop with the aspect ratio of ``size`` = (w, h), resized to ``size``.
    Returns the image and the box (x0, y0, w, h)."""
    out, box = _center_crop(_np(src, "center_crop"), size, interp)
    return _nd(out), box


def _center_crop(x: np.ndarray, size: tuple[int, int], interp: int) -> tuple[np.ndarray, tuple]:
    h, w = _shape_hw(x, "center_crop")
    new_w, new_h = scale_down((w, h), size)
    x0, y0 = int((w - new_w) / 2), int((h - new_h) / 2)
    return _fixed_crop(x, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def _shape_hw(src: Any, op: str) -> tuple[int, int]:
    shape = tuple(src.shape)
    if len(shape) != 3:
        raise ValueError(f"{op}: expected an image of shape (H, W, C), got shape {shape}.")
    return shape[0], shape[1]


def color_normalize(src: Any, mean: Any, std: Any = None) -> Any:
    """``(src - mean) / std`` (either may be None); as in MXNet, ``src`` is updated in place."""
    if mean is not None:
        src -= mean
    if std is not None:
        src /= std
    return src


def random_size_crop(
    src: Any,
    size: tuple[int, int],
    area: Any,
    ratio: tuple[float, float],
    interp: int = 2,
    **kwargs: Any,
) -> tuple[NDArray, tuple]:
    """A crop of random area (a fraction in ``area`` = (min, max), or ``(area, 1)``) and aspect
    ratio (log-uniform in ``ratio``), resized to ``size``; falls back to ``center_crop`` after
    10 tries. Returns the image and the box (x0, y0, w, h)."""
    if "min_area" in kwargs:
        warnings.warn(
            "`min_area` is deprecated. Please use `area` instead.", DeprecationWarning, stacklevel=2
        )
        area = kwargs.pop("min_area")
    if kwargs:
        raise TypeError(f"random_size_crop: unexpected keyword arguments {sorted(kwargs)}.")
    out, box = _random_size_crop(_np(src, "random_size_crop"), size, area, ratio, interp)
    return _nd(out), box


def _random_size_crop(
    x: np.ndarray, size: tuple[int, int], area: Any, ratio: tuple[float, float], interp: int
) -> tuple[np.ndarray, tuple]:
    h, w = _shape_hw(x, "random_size_crop")
    if isinstance(area, _NUMERIC):
        area = (area, 1.0)
    src_area = h * w
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        new_ratio = np.exp(random.uniform(np.log(ratio[0]), np.log(ratio[1])))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return _fixed_crop(x, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return _center_crop(x, size, interp)


def imrotate(
    src: Any, rotation_degrees: Any, zoom_in: bool = False, zoom_out: bool = False
) -> NDArray:
    """Rotate float32 CHW images (or an NCHW batch, one angle per image) about their centres;
    zeros fill the corners unless ``zoom_in``; ``zoom_out`` keeps the whole image in view."""
    if zoom_in and zoom_out:
        raise ValueError("imrotate: `zoom_in` and `zoom_out` cannot be both True.")
    x = _np(src, "imrotate")
    if x.dtype != np.float32:
        raise TypeError(f"imrotate: only float32 images are supported, got dtype {x.dtype}.")
    if x.ndim == 3:
        if not isinstance(rotation_degrees, Number):
            raise TypeError(
                "imrotate: when a single image is passed the rotation angle must be a scalar."
            )
    elif x.ndim != 4:
        raise ValueError(f"imrotate: expected a CHW image or NCHW batch, got shape {x.shape}.")
    deg = np.asarray(
        rotation_degrees.asnumpy() if isinstance(rotation_degrees, NDArray) else rotation_degrees,
        np.float32,
    ).reshape(-1)
    if x.ndim == 4 and deg.size not in (1, x.shape[0]):
        raise ValueError(
            f"imrotate: the number of images ({x.shape[0]}) must equal the number of rotation "
            f"angles ({deg.size})."
        )
    return _nd(_k.rotate(x, deg, zoom_in, zoom_out))


def random_rotate(
    src: Any, angle_limits: tuple[float, float], zoom_in: bool = False, zoom_out: bool = False
) -> NDArray:
    """``imrotate`` by angles drawn uniformly from ``angle_limits`` (numpy's global RNG)."""
    if len(src.shape) == 3:
        deg: Any = np.random.uniform(*angle_limits)
    else:
        deg = np.random.uniform(*angle_limits, size=src.shape[0])
    return imrotate(src, deg, zoom_in=zoom_in, zoom_out=zoom_out)


# ---- augmenters -------------------------------------------------------------------------------
class Augmenter:
    """Base class of image augmenters: ``aug(src) -> src``; ``dumps()`` describes it as JSON."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        for k, v in self._kwargs.items():
            if isinstance(v, NDArray):
                v = v.asnumpy()
            if isinstance(v, np.ndarray):
                self._kwargs[k] = v.tolist()

    def dumps(self) -> Any:
        """The augmenter as a JSON string ``[name, kwargs]``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src: Any) -> Any:
        raise NotImplementedError("Must override implementation.")


class _NumpyAug(Augmenter):
    """A built-in augmenter: the work is ``_apply_np`` on a numpy HWC image; ``__call__``
    wraps it for NDArrays. Pipelines of built-in augmenters (``SequentialAug``, ``ImageIter``)
    stay in numpy between steps."""

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, src: Any) -> Any:
        return _nd(self._apply_np(_np(src, type(self).__name__)))


def _run(augs: list, x: np.ndarray) -> np.ndarray:
    """Apply ``augs`` to a numpy image: built-in ones directly, others through NDArrays."""
    for aug in augs:
        if type(aug).__call__ is _NumpyAug.__call__:
            x = aug._apply_np(x)
        else:
            x = _np(aug(_nd(x)), type(aug).__name__)
    return x


class SequentialAug(_NumpyAug):
    """Apply the augmenters ``ts`` in order."""

    def __init__(self, ts: list) -> None:
        super().__init__()
        self.ts = ts

    def dumps(self) -> Any:
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.ts]]

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        return _run(self.ts, x)


class ResizeAug(_NumpyAug):
    """Resize the shorter edge to ``size`` (``resize_short``)."""

    def __init__(self, size: int, interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        return _resize_short(x, self.size, self.interp)


class ForceResizeAug(_NumpyAug):
    """Resize to exactly ``size`` = (w, h), ignoring the aspect ratio."""

    def __init__(self, size: tuple[int, int], interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        _hwc("ForceResizeAug", x)
        sizes = (x.shape[0], x.shape[1], self.size[1], self.size[0])
        method = _get_interp_method(self.interp, sizes)
        return _k.resize(np, x, (int(self.size[0]), int(self.size[1])), False, method)


class RandomCropAug(_NumpyAug):
    """``random_crop`` to ``size`` = (w, h)."""

    def __init__(self, size: tuple[int, int], interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        return _random_crop(x, self.size, self.interp)[0]


class RandomSizedCropAug(_NumpyAug):
    """``random_size_crop`` to ``size`` with area fraction ``area`` and aspect ``ratio``."""

    def __init__(
        self,
        size: tuple[int, int],
        area: Any,
        ratio: tuple[float, float],
        interp: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size = size
        if "min_area" in kwargs:
            warnings.warn(
                "`min_area` is deprecated. Please use `area` instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            area = kwargs.pop("min_area")
        if kwargs:
            raise TypeError(f"RandomSizedCropAug: unexpected keyword arguments {sorted(kwargs)}.")
        self.area, self.ratio, self.interp = area, ratio, interp

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        return _random_size_crop(x, self.size, self.area, self.ratio, self.interp)[0]


class CenterCropAug(_NumpyAug):
    """``center_crop`` to ``size`` = (w, h)."""

    def __init__(self, size: tuple[int, int], interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        return _center_crop(x, self.size, self.interp)[0]


class RandomOrderAug(_NumpyAug):
    """Apply the augmenters ``ts`` in a random order (``random.shuffle``, in place)."""

    def __init__(self, ts: list) -> None:
        super().__init__()
        self.ts = ts

    def dumps(self) -> Any:
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.ts]]

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        random.shuffle(self.ts)
        return _run(self.ts, x)


_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _float(x: np.ndarray, op: str) -> np.ndarray:
    _hwc(op, x)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


class BrightnessJitterAug(_NumpyAug):
    """Multiply by ``1 + U(-brightness, brightness)``."""

    def __init__(self, brightness: float) -> None:
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        alpha = 1.0 + random.uniform(-self.brightness, self.brightness)
        return _float(x, "BrightnessJitterAug") * np.float32(alpha)


class ContrastJitterAug(_NumpyAug):
    """Blend with the mean luma: ``x * alpha + (1 - alpha) * mean_gray``, alpha =
    ``1 + U(-contrast, contrast)``."""

    def __init__(self, contrast: float) -> None:
        super().__init__(contrast=contrast)
        self.contrast = contrast
        self.coef = _nd(_LUMA.reshape(1, 1, 3))

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        alpha = 1.0 + random.uniform(-self.contrast, self.contrast)
        x = _float(x, "ContrastJitterAug")
        gray = x * _LUMA
        # MXNet: 3 * (1 - alpha) / size * sum(gray), i.e. (1 - alpha) * mean over pixels.
        gray = np.float32(3.0 * (1.0 - alpha) / gray.size) * gray.sum(dtype=np.float32)
        return x * np.float32(alpha) + gray


class SaturationJitterAug(_NumpyAug):
    """Blend each pixel with its luma: ``x * alpha + (1 - alpha) * gray``, alpha =
    ``1 + U(-saturation, saturation)``."""

    def __init__(self, saturation: float) -> None:
        super().__init__(saturation=saturation)
        self.saturation = saturation
        self.coef = _nd(_LUMA.reshape(1, 1, 3))

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        alpha = 1.0 + random.uniform(-self.saturation, self.saturation)
        x = _float(x, "SaturationJitterAug")
        gray = (x * _LUMA).sum(axis=2, keepdims=True, dtype=np.float32) * np.float32(1.0 - alpha)
        return x * np.float32(alpha) + gray


class HueJitterAug(_NumpyAug):
    """Rotate the hue by ``U(-hue, hue) * 180`` degrees in YIQ space."""

    def __init__(self, hue: float) -> None:
        super().__init__(hue=hue)
        self.hue = hue
        self.tyiq = np.array(
            [[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]]
        )
        self.ityiq = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        alpha = random.uniform(-self.hue, self.hue)
        u, w = np.cos(alpha * np.pi), np.sin(alpha * np.pi)
        bt = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
        t = (self.ityiq @ bt @ self.tyiq).T.astype(np.float32)
        return _float(x, "HueJitterAug") @ t


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter (those > 0) in a random order."""

    def __init__(self, brightness: float, contrast: float, saturation: float) -> None:
        ts: list = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(_NumpyAug):
    """AlexNet PCA lighting noise: add ``eigvec @ (alpha * eigval)``, alpha ~ N(0, alphastd)
    per channel (numpy's global RNG)."""

    def __init__(self, alphastd: float, eigval: Any, eigvec: Any) -> None:
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd, self.eigval, self.eigvec = alphastd, eigval, eigvec

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        alpha = np.random.normal(0, self.alphastd, size=(3,))
        rgb = np.dot(np.asarray(self.eigvec) * alpha, np.asarray(self.eigval))
        return _float(x, "LightingAug") + rgb.astype(np.float32)


class ColorNormalizeAug(_NumpyAug):
    """``(src - mean) / std`` per channel."""

    def __init__(self, mean: Any, std: Any) -> None:
        super().__init__(mean=mean, std=std)
        self.mean = None if mean is None else _np32(mean)
        self.std = None if std is None else _np32(std)

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        return color_normalize(_float(x, "ColorNormalizeAug").copy(), self.mean, self.std)


def _np32(v: Any) -> np.ndarray:
    return np.asarray(v.asnumpy() if isinstance(v, NDArray) else v, np.float32)


_GRAY_MIX = np.array([[0.21, 0.21, 0.21], [0.72, 0.72, 0.72], [0.07, 0.07, 0.07]], np.float32)


class RandomGrayAug(_NumpyAug):
    """With probability ``p``, replace RGB by its luma (0.21 R + 0.72 G + 0.07 B) in all three
    channels."""

    def __init__(self, p: float) -> None:
        super().__init__(p=p)
        self.p = p
        self.mat = _nd(_GRAY_MIX)

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        if random.random() < self.p:
            x = _float(x, "RandomGrayAug") @ _GRAY_MIX
        return x


class HorizontalFlipAug(_NumpyAug):
    """With probability ``p``, flip left-right."""

    def __init__(self, p: float) -> None:
        super().__init__(p=p)
        self.p = p

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        if random.random() < self.p:
            x = x[:, ::-1]
        return x


class CastAug(_NumpyAug):
    """Cast to ``typ`` (float32 by default)."""

    def __init__(self, typ: str = "float32") -> None:
        super().__init__(type=typ)
        self.typ = typ

    def _apply_np(self, x: np.ndarray) -> np.ndarray:
        return x.astype(self.typ)


# ImageNet's RGB statistics and PCA, MXNet's defaults for mean=True / std=True / pca_noise.
IMAGENET_MEAN = (123.68, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
PCA_EIGVAL = np.array([55.46, 4.794, 1.148])
PCA_EIGVEC = np.array(
    [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]
)


def _mean_std(name: str, v: Any, default: tuple) -> Any:
    if v is True:
        return np.array(default)
    if v is None or v is False:
        return None
    arr = v.asnumpy() if isinstance(v, NDArray) else v
    if not isinstance(arr, np.ndarray) or arr.ndim < 1 or arr.shape[0] not in (1, 3):
        raise ValueError(
            f"{name} must be True, None, or an array of 1 or 3 values (one per channel), got {v!r}."
        )
    return arr


def CreateAugmenter(  # noqa: N802 (MXNet's name)
    data_shape: tuple[int, int, int],
    resize: int = 0,
    rand_crop: bool = False,
    rand_resize: bool = False,
    rand_mirror: bool = False,
    mean: Any = None,
    std: Any = None,
    brightness: float = 0,
    contrast: float = 0,
    saturation: float = 0,
    hue: float = 0,
    pca_noise: float = 0,
    rand_gray: float = 0,
    inter_method: int = 2,
) -> list:
    """MXNet's standard augmenter list: optional short-edge resize, a centre/random/random-sized
    crop to ``data_shape`` (C, H, W), optional flip, cast to float32, colour jitter, hue,
    PCA noise, random gray and normalization (``mean``/``std`` True for ImageNet's)."""
    if len(data_shape) != 3:
        raise ValueError(f"CreateAugmenter: data_shape must be (C, H, W), got {data_shape!r}.")
    auglist: list = []
    if resize > 0:
        auglist.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise ValueError("CreateAugmenter: rand_resize=True needs rand_crop=True.")
        auglist.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method))
    elif rand_crop:
        auglist.append(RandomCropAug(crop_size, inter_method))
    else:
        auglist.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        auglist.append(HorizontalFlipAug(0.5))
    auglist.append(CastAug())
    if brightness or contrast or saturation:
        auglist.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        auglist.append(HueJitterAug(hue))
    if pca_noise > 0:
        auglist.append(LightingAug(pca_noise, PCA_EIGVAL, PCA_EIGVEC))
    if rand_gray > 0:
        auglist.append(RandomGrayAug(rand_gray))
    mean = _mean_std("CreateAugmenter: mean", mean, IMAGENET_MEAN)
    std = _mean_std("CreateAugmenter: std", std, IMAGENET_STD)
    if mean is not None or std is not None:
        auglist.append(ColorNormalizeAug(mean, std))
    return auglist


# ---- ImageIter --------------------------------------------------------------------------------
_LABEL_DTYPES = ("int32", "float32", "int64", "float64")
_LAST_BATCH = ("pad", "discard", "roll_over")


def _open_rec(path_imgrec: str, path_imgidx: str | None) -> Any:
    for p in (path_imgrec, path_imgidx):
        if p and not os.path.isfile(p):
            raise FileNotFoundError(f"ImageIter: no such RecordIO file '{p}'.")
    if path_imgidx:
        return recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
    return recordio.MXRecordIO(path_imgrec, "r")


class ImageIter(DataIter):
    """Batches of images from a RecordIO file (``path_imgrec``, with ``path_imgidx`` for
    shuffling and partitions) or from an image list (``path_imglist`` file or ``imglist``
    list, files under ``path_root``), decoded, augmented (``aug_list``, or
    ``CreateAugmenter(data_shape, **kwargs)``) and transposed to NCHW float32.

    ``last_batch_handle``: 'pad' (fill the last batch from the start, ``pad`` = count),
    'discard', or 'roll_over' (carry the rest into the next epoch).
    """

    def __init__(
        self,
        batch_size: int,
        data_shape: tuple[int, int, int],
        label_width: int = 1,
        path_imgrec: str | None = None,
        path_imglist: str | None = None,
        path_root: str | None = None,
        path_imgidx: str | None = None,
        shuffle: bool = False,
        part_index: int = 0,
        num_parts: int = 1,
        aug_list: list | None = None,
        imglist: list | None = None,
        data_name: str = "data",
        label_name: str = "softmax_label",
        dtype: str = "float32",
        last_batch_handle: str = "pad",
        **kwargs: Any,
    ) -> None:
        super().__init__(batch_size)
        cls = type(self).__name__
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise ValueError(f"{cls}: give path_imgrec, path_imglist or imglist (a list).")
        if dtype not in _LABEL_DTYPES:
            raise ValueError(f"{cls}: dtype must be one of {_LABEL_DTYPES}, got {dtype!r}.")
        if last_batch_handle not in _LAST_BATCH:
            raise ValueError(
                f"{cls}: last_batch_handle must be one of {_LAST_BATCH}, got {last_batch_handle!r}."
            )
        if path_imgrec:
            logging.info("%s: loading recordio %s...", cls, path_imgrec)
            self.imgrec = _open_rec(path_imgrec, path_imgidx)
            self.imgidx = list(self.imgrec.keys) if path_imgidx else None
        else:
            self.imgrec = None
            self.imgidx = None
        imgkeys: list = []
        if path_imglist:
            self.imglist: dict | None = {}
            try:
                fin = open(path_imglist)
            except FileNotFoundError:
                raise FileNotFoundError(f"{cls}: no such image list '{path_imglist}'.") from None
            with fin:
                for n, line in enumerate(fin, 1):
                    parts = line.strip().split("\t")
                    if len(parts) < 3:
                        raise ValueError(
                            f"{cls}: line {n} of '{path_imglist}' must be 'index<TAB>label(s)"
                            f"<TAB>path', got {line.strip()!r}."
                        )
                    key = int(parts[0])
                    label = _array(np.asarray(parts[1:-1], dtype=np.float64), dtype=dtype)
                    self.imglist[key] = (label, parts[-1])
                    imgkeys.append(key)
        elif isinstance(imglist, list):
            self.imglist = {}
            for index, img in enumerate(imglist, 1):
                key = str(index)
                if len(img) > 2:
                    label = _array(np.asarray(img[:-1], np.float64), dtype=dtype)
                elif isinstance(img[0], _NUMERIC):
                    label = _array(np.asarray([img[0]], np.float64), dtype=dtype)
                else:
                    label = _array(np.asarray(img[0], np.float64), dtype=dtype)
                self.imglist[key] = (label, img[-1])
                imgkeys.append(key)
        else:
            self.imglist = None
        self.path_root = path_root
        self.check_data_shape(data_shape)
        data_shape = tuple(int(d) for d in data_shape)
        self.provide_data = [(data_name, (batch_size,) + data_shape)]
        if label_width > 1:
            self.provide_label = [(label_name, (batch_size, label_width))]
        else:
            self.provide_label = [(label_name, (batch_size,))]
        self.batch_size = batch_size
        self.data_shape = data_shape
        self.label_width = label_width
        self.shuffle = shuffle
        if self.imgrec is None:
            self.seq: list | None = imgkeys
        elif shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise ValueError(
                    f"{cls}: shuffle and num_parts > 1 need path_imgidx (the .idx file)."
                )
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            if not 0 <= part_index < num_parts:
                raise ValueError(
                    f"{cls}: part_index must be in [0, num_parts={num_parts}), got {part_index}."
                )
            c = len(self.seq) // num_parts
            self.seq = self.seq[part_index * c : (part_index + 1) * c]
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._cache_data: np.ndarray | None = None
        self._cache_label: np.ndarray | None = None
        self._cache_idx: int | None = None
        self.reset()

    def reset(self) -> None:
        """Start a new epoch (reshuffling); with 'roll_over' a cached partial batch is kept."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != "roll_over" or self._cache_data is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self) -> None:
        """Start a new epoch and drop any rolled-over partial batch."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._cache_data = self._cache_label = self._cache_idx = None

    def next_sample(self) -> tuple[Any, Any]:
        """The next (label, encoded image bytes); StopIteration at the end of the data."""
        if not self._allow_read:
            raise StopIteration
        if self.seq is not None:
            if self.cur >= self.num_image:
                if self.last_batch_handle != "discard":
                    self.cur = 0
                raise StopIteration
            idx = self.seq[self.cur]
            self.cur += 1
            if self.imgrec is not None:
                header, img = recordio.unpack(self.imgrec.read_idx(idx))
                if self.imglist is None:
                    return header.label, img
                return self.imglist[idx][0], img
            label, fname = self.imglist[idx]
            return label, self.read_image(fname)
        s = self.imgrec.read()
        if s is None:
            if self.last_batch_handle != "discard":
                self.imgrec.reset()
            raise StopIteration
        self.cur += 1
        header, img = recordio.unpack(s)
        return header.label, img

    def _numpy_path(self) -> bool:
        """Whether decoding, augmenting and layout are ImageIter's own (then a batch is built in
        numpy without an NDArray per step); a subclass overriding one goes through NDArrays."""
        cls = type(self)
        return all(
            getattr(cls, m) is getattr(ImageIter, m)
            for m in ("imdecode", "check_valid_image", "augmentation_transform", "postprocess_data")
        )

    def _batchify(self, batch_data: np.ndarray, batch_label: np.ndarray, start: int = 0) -> int:
        i = start
        fast = self._numpy_path()
        try:
            while i < self.batch_size:
                label, s = self.next_sample()
                if fast:
                    x = _run(self.auglist, self._decode_np(s))
                    self._store(batch_data, i, np.transpose(x, (2, 0, 1)))
                    self._store_label(batch_label, i, label)
                    i += 1
                    continue
                data = self.imdecode(s)
                try:
                    self.check_valid_image(data)
                except RuntimeError as e:
                    logging.debug("Invalid image, skipping:  %s", str(e))
                    continue
                data = self.augmentation_transform(data)
                self._store(batch_data, i, self.postprocess_data(data))
                self._store_label(batch_label, i, label)
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def _store_label(self, batch_label: np.ndarray, i: int, label: Any) -> None:
        lab = np.asarray(_np(label) if isinstance(label, NDArray) else label, np.float32)
        if lab.size != max(self.label_width, 1):
            raise ValueError(
                f"{type(self).__name__}: a label has {lab.size} values but label_width is "
                f"{self.label_width}."
            )
        batch_label[i] = lab.reshape(batch_label.shape[1:])

    def _store(self, batch_data: np.ndarray, i: int, datum: Any) -> None:
        x = _np(datum, type(self).__name__)
        if x.shape != batch_data.shape[1:]:
            raise ValueError(
                f"{type(self).__name__}: an augmented image has shape {x.shape} but data_shape "
                f"is {batch_data.shape[1:]}. Add a crop or resize augmenter that outputs "
                "data_shape."
            )
        batch_data[i] = x

    def next(self) -> Any:
        """The next DataBatch (data NCHW float32, label float32), ``pad`` set for the last."""
        if self._cache_data is not None:
            batch_data, batch_label, i = self._cache_data, self._cache_label, self._cache_idx
        else:
            batch_data = np.zeros((self.batch_size,) + self.data_shape, np.float32)
            batch_label = np.zeros(self.provide_label[0][1], np.float32)
            i = self._batchify(batch_data, batch_label)
        pad = self.batch_size - i
        if pad:
            if self.last_batch_handle == "discard":
                raise StopIteration
            if self.last_batch_handle == "roll_over" and self._cache_data is None:
                self._cache_data, self._cache_label, self._cache_idx = batch_data, batch_label, i
                raise StopIteration
            self._batchify(batch_data, batch_label, i)
            if self.last_batch_handle == "pad":
                self._allow_read = False
            else:
                self._cache_data = self._cache_label = self._cache_idx = None
        return DataBatch([_nd(batch_data)], [_nd(batch_label)], pad=pad)

    def check_data_shape(self, data_shape: Any) -> None:
        """data_shape must be (3, H, W)."""
        if len(data_shape) != 3:
            raise ValueError(
                f"data_shape should have length 3, with dimensions CxHxW, got {data_shape!r}."
            )
        if data_shape[0] != 3:
            raise ValueError(
                f"This iterator expects inputs to have 3 channels, got data_shape={data_shape!r}."
            )

    def check_valid_image(self, data: Any) -> None:
        """Reject an empty decode result."""
        if len(data[0].shape) == 0:
            raise RuntimeError("Data shape is wrong")

    def _locate(self) -> str:
        if self.seq is not None:
            idx = self.seq[(self.cur - 1) % self.num_image]
        else:
            idx = self.cur - 1
        if self.imglist is not None and idx in self.imglist:
            return f"filename: {os.path.join(self.path_root or '', self.imglist[idx][1])}"
        return f"record index: {idx}"

    def imdecode(self, s: Any) -> NDArray:
        """Decode one image; a broken one raises RuntimeError naming its file or record."""
        return _nd(self._decode_np(s))

    def _decode_np(self, s: Any) -> np.ndarray:
        try:
            return _k.decode_numpy(s, 1, True)
        except Exception as e:  # noqa: BLE001 (MXNet wraps whatever the decoder raises)
            raise RuntimeError(f"Broken image {self._locate()}, {e}") from None

    def read_image(self, fname: str) -> bytes:
        """The bytes of image ``fname`` under ``path_root``."""
        path = os.path.join(self.path_root or "", fname)
        try:
            with open(path, "rb") as fin:
                return fin.read()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{type(self).__name__}: no such image file '{path}' (path_root="
                f"{self.path_root!r})."
            ) from None

    def augmentation_transform(self, data: Any) -> Any:
        """Apply ``self.auglist`` in order."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum: Any) -> NDArray:
        """HWC -> CHW."""
        return _nd(np.transpose(_np(datum, type(self).__name__), (2, 0, 1)))


__all__ = [
    "imread",
    "imdecode",
    "imresize",
    "scale_down",
    "copyMakeBorder",
    "resize_short",
    "fixed_crop",
    "random_crop",
    "center_crop",
    "color_normalize",
    "random_size_crop",
    "imrotate",
    "random_rotate",
    "Augmenter",
    "SequentialAug",
    "ResizeAug",
    "ForceResizeAug",
    "RandomCropAug",
    "RandomSizedCropAug",
    "CenterCropAug",
    "RandomOrderAug",
    "BrightnessJitterAug",
    "ContrastJitterAug",
    "SaturationJitterAug",
    "HueJitterAug",
    "ColorJitterAug",
    "LightingAug",
    "ColorNormalizeAug",
    "RandomGrayAug",
    "HorizontalFlipAug",
    "CastAug",
    "CreateAugmenter",
    "ImageIter",
]
