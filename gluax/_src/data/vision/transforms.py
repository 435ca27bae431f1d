"""``gluon.data.vision.transforms``: image transforms as Blocks.

Every transform takes an HWC image (or NHWC batch where MXNet allows it) and returns the
transformed image:

* a numpy array in gives a numpy array out. This is how the DataLoader runs them: its
  workers stay in numpy, and the batch becomes one NDArray at the end;
* an NDArray in gives an NDArray out, computed in numpy on the host (no compilation for each
  new image size) and placed back on the input's context;
* inside a hybridized block (``HybridCompose(...).hybridize()``), the HybridBlock transforms
  run MXNet's ``_image_*`` operators, compiled with the rest of the block; random transforms
  then draw their factors from the engine's key.

Random transforms draw from numpy's global generator (``np.random``), and ``RandomResizedCrop``
and ``RandomApply`` from Python's ``random``, as MXNet 1.9's Python code does; seed those
(``np.random.seed``, ``random.seed``) for repeatable augmentation. The DataLoader seeds each
worker differently.
"""

from __future__ import annotations

import numbers
import random
from typing import Any, Callable

import jax
import numpy as np

from gluax._src.data.vision import image as im
from gluax._src.data.vision import image_ops as _image_ops  # noqa: F401  (registers _image_*)
from gluax._src.engine.base import canonical_dtype
from gluax._src.engine.ndarray import NDArray
from gluax._src.gluon.block import Block, HybridBlock
from gluax._src.nn.basic_layers import HybridSequential, Sequential
from gluax._src.ops.creation import array as _nd_array


def _is_concrete_nd(x: Any) -> bool:
    return isinstance(x, NDArray) and not isinstance(x.data, jax.core.Tracer)


def _back_like(out: np.ndarray, ref: NDArray) -> NDArray:
    return _nd_array(out, ctx=ref.context, dtype=out.dtype)


def _run_host(fn: Callable[[np.ndarray], np.ndarray], x: Any, who: str) -> Any:
    """Apply a numpy kernel to a numpy array or a concrete NDArray (same kind back)."""
    if isinstance(x, NDArray):
        return _back_like(fn(x.asnumpy()), x)
    if isinstance(x, (np.ndarray, np.generic)):
        return fn(np.asarray(x))
    raise TypeError(
        f"{who}: expected an image as an NDArray or a numpy array, got {type(x).__name__}."
    )


class _HostTransform(HybridBlock):
    """A HybridBlock transform with a numpy kernel ``_host`` for numpy arrays and eager
    NDArrays, and ``hybrid_forward`` (an ``_image_*`` operator) when traced or hybridized."""

    def _host(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x: Any, *args: Any) -> Any:
        # Host path: numpy arrays (the DataLoader's fast path) and eager NDArrays that are not
        # compiled on purpose; per-image compilation would cost more than the work itself.
        """Apply the transform: on the host (numpy) for numpy arrays and eager NDArrays, compiled otherwise.

        Parameters
        ----------
        x : NDArray or numpy array
            An image ``(H, W, C)`` or a batch ``(N, H, W, C)``.

        Returns
        -------
        NDArray or numpy array
        """
        if isinstance(x, (np.ndarray, np.generic)) or (_is_concrete_nd(x) and not self._active):
            return _run_host(self._host, x, type(self).__name__)
        return super().forward(x, *args)


class Compose(Sequential):
    """Applies ``transforms`` one after the other.

    Parameters
    ----------
    transforms : list of Block or callable
        The transforms, in order.

    Notes
    -----
    MXNet 1.9 groups consecutive HybridBlocks into a hybridized HybridSequential. gluax keeps
    the transforms as they are and runs them on the host, where one image at a time is
    cheaper than a compiled call per image size; use ``HybridCompose`` and ``hybridize()``
    to compile transforms applied to whole batches.

    Examples
    --------
    >>> import numpy as np
    >>> from gluax.gluon.data.vision import transforms
    >>> t = transforms.Compose([transforms.Resize(4), transforms.ToTensor()])
    >>> t(np.zeros((6, 8, 3), np.uint8)).shape
    (3, 4, 4)
    """

    def __init__(self, transforms: list[Any]) -> None:
        super().__init__()
        for t in transforms:
            if t is not None:
                self.add(t if isinstance(t, Block) else _Callable(t))


class HybridCompose(HybridSequential):
    """Applies HybridBlock ``transforms`` one after the other; ``hybridize()`` compiles them as
    one program (numpy input always runs them on the host).

    Parameters
    ----------
    transforms : list of HybridBlock
        The transforms, in order.

    Notes
    -----
    MXNet 2.0's name; MXNet 1.9 has no HybridCompose.
    """

    def __init__(self, transforms: list[HybridBlock]) -> None:
        super().__init__()
        for t in transforms:
            if not isinstance(t, HybridBlock):
                raise TypeError(
                    f"HybridCompose: every transform must be a HybridBlock, got "
                    f"{type(t).__name__}. Use Compose for plain Blocks and functions."
                )
            self.add(t)

    def forward(self, x: Any, *args: Any) -> Any:
        """Apply the transforms in order (on the host for numpy arrays and eager NDArrays).

        Parameters
        ----------
        x : NDArray or numpy array
            An image ``(H, W, C)`` or a batch ``(N, H, W, C)``.

        Returns
        -------
        NDArray or numpy array
        """
        if isinstance(x, (np.ndarray, np.generic)) or (_is_concrete_nd(x) and not self._active):
            for t in self._children.values():
                x = t(x)
            return x
        return super().forward(x, *args)


class _Callable(Block):
    """A plain function inside Compose."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__()
        self._fn = fn

    def forward(self, x: Any, *args: Any) -> Any:
        return self._fn(x, *args)


class Cast(_HostTransform):
    """Casts the input to ``dtype``.

    Parameters
    ----------
    dtype : str, default 'float32'
    """

    def __init__(self, dtype: Any = "float32") -> None:
        super().__init__()
        self._dtype = canonical_dtype(dtype)

    def _host(self, x: np.ndarray) -> np.ndarray:
        return x.astype(self._dtype)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Cast to the target dtype."""
        return F.Cast(x, dtype=self._dtype)


class ToTensor(_HostTransform):
    """HWC uint8 image in [0, 255] -> CHW float32 tensor in [0, 1] (NHWC -> NCHW for a batch).

    Examples
    --------
    >>> import numpy as np
    >>> from gluax.gluon.data.vision import transforms
    >>> y = transforms.ToTensor()(np.full((2, 3, 1), 255, np.uint8))
    >>> y.shape, y.dtype, float(y.max())
    ((1, 2, 3), dtype('float32'), 1.0)
    """

    def _host(self, x: np.ndarray) -> np.ndarray:
        return im.to_tensor(np, x)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """``(H, W, C)`` uint8 in [0, 255] to ``(C, H, W)`` float32 in [0, 1] (batches likewise)."""
        return F._image_to_tensor(x)


class Normalize(_HostTransform):
    """``out[c] = (x[c] - mean[c]) / std[c]`` on a CHW tensor or NCHW batch.

    Parameters
    ----------
    mean : float or tuple of float, default 0.0
        One value, or one per channel.
    std : float or tuple of float, default 1.0
    """

    def __init__(self, mean: Any = 0.0, std: Any = 1.0) -> None:
        super().__init__()
        self._mean, self._std = mean, std

    def _host(self, x: np.ndarray) -> np.ndarray:
        return im.normalize(np, x, self._mean, self._std)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """``(x - mean) / std`` per channel, on a ``(C, H, W)`` or ``(N, C, H, W)`` tensor."""
        return F._image_normalize(x, mean=self._mean, std=self._std)


class Resize(_HostTransform):
    """Resizes an HWC image or NHWC batch (OpenCV's ``cv::resize``, as MXNet).

    Parameters
    ----------
    size : int or tuple of (W, H)
        Output size; an int sets both edges, or the short edge when ``keep_ratio``.
    keep_ratio : bool, default False
    interpolation : int, default 1
        OpenCV code: 0 nearest, 1 bilinear, 2 bicubic, 3 area.
    """

    def __init__(self, size: Any, keep_ratio: bool = False, interpolation: int = 1) -> None:
        super().__init__()
        self._size, self._keep, self._interp = size, keep_ratio, interpolation

    def _host(self, x: np.ndarray) -> np.ndarray:
        return im.resize(np, x, self._size, self._keep, self._interp)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Resize to the target size."""
        return F._image_resize(x, size=self._size, keep_ratio=self._keep, interp=self._interp)


class CropResize(_HostTransform):
    """Crops the ``height`` x ``width`` window at column ``x``, row ``y``, then resizes it to
    ``size`` = (W, H) if given.

    Parameters
    ----------
    x, y : int
        Left and top of the window.
    width, height : int
    size : int or tuple of (W, H), optional
    interpolation : int, optional (bilinear)
    """

    def __init__(
        self,
        x: int,
        y: int,
        width: int,
        height: int,
        size: Any = None,
        interpolation: int | None = None,
    ) -> None:
        super().__init__()
        self._box = (int(x), int(y), int(width), int(height))
        self._size, self._interp = size, interpolation

    def _host(self, x: np.ndarray) -> np.ndarray:
        out = im.crop(x, *self._box)
        return im.resize(np, out, self._size, False, self._interp) if self._size else out

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Crop the box, then resize it if a size was given."""
        x0, y0, w, h = self._box
        out = F._image_crop(x, x=x0, y=y0, width=w, height=h)
        if self._size:
            out = F._image_resize(out, size=self._size, keep_ratio=False, interp=self._interp or 1)
        return out


def _wh(size: Any) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    return int(size[0]), int(size[1])


class CenterCrop(Block):
    """Crops the centre of an HWC image to ``size`` = (W, H), keeping as much of the image as
    the aspect ratio allows and resizing (up or down) to ``size``.

    Parameters
    ----------
    size : int or tuple of (W, H)
    interpolation : int, default 1
    """

    def __init__(self, size: Any, interpolation: int = 1) -> None:
        super().__init__()
        self._size, self._interp = _wh(size), interpolation

    def forward(self, x: Any) -> Any:
        """Crop the center (resizing first if the image is smaller).

        Parameters
        ----------
        x : NDArray or numpy array
            An image ``(H, W, C)`` or a batch ``(N, H, W, C)``.

        Returns
        -------
        NDArray or numpy array
        """
        return _run_host(lambda a: im.center_crop(np, a, self._size, self._interp), x, "CenterCrop")


class RandomResizedCrop(Block):
    """Crops a random window (area a random fraction ``scale`` of the image, aspect ratio
    log-uniform in ``ratio``) and resizes it to ``size`` = (W, H); falls back to a centre
    crop after 10 tries, as MXNet's ``image.random_size_crop``.

    Parameters
    ----------
    size : int or tuple of (W, H)
    scale : tuple of two floats, default (0.08, 1.0)
    ratio : tuple of two floats, default (3/4, 4/3)
    interpolation : int, default 1
    """

    def __init__(
        self,
        size: Any,
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: int = 1,
    ) -> None:
        super().__init__()
        self._size, self._interp = _wh(size), interpolation
        self._scale = (scale, 1.0) if isinstance(scale, numbers.Number) else tuple(scale)
        self._ratio = tuple(ratio)

    def _crop(self, x: np.ndarray) -> np.ndarray:
        h, w = x.shape[0], x.shape[1]
        for _ in range(10):
            area = random.uniform(self._scale[0], self._scale[1]) * h * w
            r = np.exp(random.uniform(np.log(self._ratio[0]), np.log(self._ratio[1])))
            new_w = int(round(np.sqrt(area * r)))
            new_h = int(round(np.sqrt(area / r)))
            if new_w <= w and new_h <= h:
                x0 = random.randint(0, w - new_w)
                y0 = random.randint(0, h - new_h)
                return im.fixed_crop(np, x, x0, y0, new_w, new_h, self._size, self._interp)
        return im.center_crop(np, x, self._size, self._interp)

    def forward(self, x: Any) -> Any:
        """Crop a random area and aspect ratio, resized to the target size.

        Parameters
        ----------
        x : NDArray or numpy array
            An image ``(H, W, C)`` or a batch ``(N, H, W, C)``.

        Returns
        -------
        NDArray or numpy array
        """
        return _run_host(self._crop, x, "RandomResizedCrop")


def _check_float32(who: str, x: Any) -> None:
    if np.dtype(x.dtype) != np.float32:
        raise TypeError(
            f"{who}: only float32 images are supported, got {np.dtype(x.dtype).name}. Apply it "
            "after ToTensor."
        )


class Rotate(Block):
    """Rotates a CHW (or NCHW) float32 image about its centre by ``rotation_degrees``
    (bilinear, zeros outside the image), as MXNet's ``image.imrotate``.

    Parameters
    ----------
    rotation_degrees : float
    zoom_in : bool, default False
        Zoom so that no zeros show.
    zoom_out : bool, default False
        Zoom out so that the whole image stays in view.
    """

    def __init__(
        self, rotation_degrees: float, zoom_in: bool = False, zoom_out: bool = False
    ) -> None:
        super().__init__()
        if zoom_in and zoom_out:
            raise ValueError("Rotate: zoom_in and zoom_out cannot both be True.")
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def forward(self, x: Any) -> Any:
        """Rotate by the fixed angle (float32 images).

        Parameters
        ----------
        x : NDArray or numpy array
            An image ``(H, W, C)`` or a batch ``(N, H, W, C)``.

        Returns
        -------
        NDArray or numpy array
        """
        _check_float32("Rotate", x)
        return _run_host(lambda a: im.rotate(a, *self._args), x, "Rotate")


class RandomRotation(Block):
    """Rotates a CHW (or NCHW) float32 image by an angle drawn uniformly from
    ``angle_limits`` (numpy's generator), with probability ``rotate_with_proba``.

    Parameters
    ----------
    angle_limits : tuple of two floats
        Lower and upper limit in degrees.
    zoom_in, zoom_out : bool, default False
        As in ``Rotate``.
    rotate_with_proba : float, default 1.0
    """

    def __init__(
        self,
        angle_limits: tuple[float, float],
        zoom_in: bool = False,
        zoom_out: bool = False,
        rotate_with_proba: float = 1.0,
    ) -> None:
        super().__init__()
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError(
                f"RandomRotation: angle_limits must be (lower, upper) with lower < upper, got {angle_limits}."
            )
        if not 0 <= rotate_with_proba <= 1:
            raise ValueError(
                f"RandomRotation: rotate_with_proba must be in [0, 1], got {rotate_with_proba}."
            )
        if zoom_in and zoom_out:
            raise ValueError("RandomRotation: zoom_in and zoom_out cannot both be True.")
        self._limits, self._zoom = (lower, upper), (zoom_in, zoom_out)
        self._p = rotate_with_proba

    def _rotate(self, a: np.ndarray) -> np.ndarray:
        n = None if a.ndim == 3 else a.shape[0]
        return im.rotate(a, np.random.uniform(*self._limits, size=n), *self._zoom)

    def forward(self, x: Any) -> Any:
        """Rotate by a random angle from the range, with the configured probability (float32 images).

        Parameters
        ----------
        x : NDArray or numpy array
            An image ``(H, W, C)`` or a batch ``(N, H, W, C)``.

        Returns
        -------
        NDArray or numpy array
        """
        if np.random.random() > self._p:
            return x
        _check_float32("RandomRotation", x)
        return _run_host(self._rotate, x, "RandomRotation")


class _RandomFlip(_HostTransform):
    _axis = 1
    _op = ""

    def _host(self, x: np.ndarray) -> np.ndarray:
        im.check_image(type(self).__name__, x.shape)
        return np.flip(x, axis=self._axis).copy() if np.random.random() < 0.5 else x

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Flip with probability 0.5."""
        return getattr(F, self._op)(x)


class RandomFlipLeftRight(_RandomFlip):
    """Flips an HWC image left to right with probability 0.5."""

    _axis, _op = 1, "_image_random_flip_left_right"


class RandomFlipTopBottom(_RandomFlip):
    """Flips an HWC image top to bottom with probability 0.5."""

    _axis, _op = 0, "_image_random_flip_top_bottom"


class _RandomEnhance(_HostTransform):
    _kernel: Callable[..., Any] = staticmethod(im.adjust_brightness)
    _op = ""

    def __init__(self, amount: float) -> None:
        super().__init__()
        self._args = (max(0.0, 1.0 - amount), 1.0 + amount)

    def _host(self, x: np.ndarray) -> np.ndarray:
        im.check_image(type(self).__name__, x.shape)
        return self._kernel(np, x, np.float32(np.random.uniform(*self._args)))

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Adjust by a factor drawn from the configured range."""
        return getattr(F, self._op)(x, min_factor=self._args[0], max_factor=self._args[1])


class RandomBrightness(_RandomEnhance):
    """Multiplies an HWC image by a factor drawn from ``[max(0, 1 - brightness), 1 +
    brightness]``.

    Parameters
    ----------
    brightness : float
    """

    _kernel, _op = staticmethod(im.adjust_brightness), "_image_random_brightness"


class RandomContrast(_RandomEnhance):
    """Blends an HWC image with its mean gray level by a factor drawn from ``[max(0, 1 -
    contrast), 1 + contrast]``.

    Parameters
    ----------
    contrast : float
    """

    _kernel, _op = staticmethod(im.adjust_contrast), "_image_random_contrast"


class RandomSaturation(_RandomEnhance):
    """Blends an HWC image with a gray version by a factor drawn from ``[max(0, 1 -
    saturation), 1 + saturation]``.

    Parameters
    ----------
    saturation : float

    Notes
    -----
    Reproduces MXNet 1.9, whose "gray" value is ``0.114 * blue`` (a loop that overwrites
    instead of summing), not the luma.
    """

    _kernel, _op = staticmethod(im.adjust_saturation), "_image_random_saturation"


class RandomHue(_RandomEnhance):
    """Rotates the hue of an HWC image by ``alpha * 360`` degrees, ``alpha`` drawn from
    ``[max(0, 1 - hue), 1 + hue]``.

    Parameters
    ----------
    hue : float

    Notes
    -----
    As in MXNet 1.9: since ``alpha`` is near 1, the rotation is ``(alpha - 1) * 360`` degrees
    modulo a full turn. A 1-channel image is returned unchanged (MXNet leaves its output
    uninitialized).
    """

    _kernel, _op = staticmethod(im.adjust_hue), "_image_random_hue"


class RandomColorJitter(_HostTransform):
    """Jitters brightness, contrast, saturation and hue of an HWC image, in a random order;
    each factor is ``1 + U(-x, x)`` (hue: ``U(-hue, hue)`` turns), and an amount of 0 skips
    that adjustment.

    Parameters
    ----------
    brightness, contrast, saturation, hue : float, default 0
    """

    def __init__(
        self, brightness: float = 0, contrast: float = 0, saturation: float = 0, hue: float = 0
    ) -> None:
        super().__init__()
        self._amounts = (float(brightness), float(contrast), float(saturation), float(hue))

    def _host(self, x: np.ndarray) -> np.ndarray:
        im.check_image("RandomColorJitter", x.shape)
        order = np.random.permutation(4)
        alphas = [0.0] * 4
        for k in order:
            a = self._amounts[k]
            if a > 0:
                alphas[k] = np.float32((1.0 if k < 3 else 0.0) + np.random.uniform(-a, a))
        return im.color_jitter(x, order, alphas, tuple(a > 0 for a in self._amounts))

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Random brightness, contrast, saturation and hue changes."""
        b, c, s, h = self._amounts
        return F._image_random_color_jitter(x, brightness=b, contrast=c, saturation=s, hue=h)


class RandomLighting(_HostTransform):
    """Adds AlexNet-style PCA lighting noise: ``eig @ alpha`` per pixel, ``alpha ~ N(0,
    alpha_std)`` per colour.

    Parameters
    ----------
    alpha : float
        Standard deviation of the noise.
    """

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self._alpha = float(alpha)

    def _host(self, x: np.ndarray) -> np.ndarray:
        im.check_image("RandomLighting", x.shape)
        return im.adjust_lighting(np, x, np.random.normal(0, self._alpha, 3).astype(np.float32))

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """AlexNet-style PCA lighting noise with the configured standard deviation."""
        return F._image_random_lighting(x, alpha_std=self._alpha)


class RandomApply(Sequential):
    """Applies ``transforms`` with probability ``p``, else returns the input unchanged.

    Parameters
    ----------
    transforms : Block or callable
    p : float, default 0.5
    """

    def __init__(self, transforms: Any, p: float = 0.5) -> None:
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x: Any, *args: Any) -> Any:
        """Apply the wrapped transforms with probability ``p``; otherwise return ``x``.

        Parameters
        ----------
        x : NDArray or numpy array
            An image ``(H, W, C)`` or a batch ``(N, H, W, C)``.

        Returns
        -------
        NDArray or numpy array
        """
        if self.p < random.random():
            return x
        return self.transforms(x)


def is_host_transform(fn: Any) -> bool:
    """Whether ``fn`` is one of the transforms above (not a subclass), or a composition of
    them: those accept numpy images, so the DataLoader can keep samples in numpy until the
    batch is built."""
    if type(fn).__module__ != __name__ or isinstance(fn, _Callable):
        return False
    if isinstance(fn, (Compose, HybridCompose)):
        return all(is_host_transform(t) for t in fn._children.values())
    if isinstance(fn, RandomApply):
        return is_host_transform(fn.transforms)
    return True
