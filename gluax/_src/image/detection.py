"""``mx.image.detection``: augmenters that move boxes with the image, and ``ImageDetIter``.

A detection label is an (N, 5+) array, one row per object: ``class, xmin, ymin, xmax, ymax``
(coordinates as fractions of the image size) then any extra columns. In a record or image
list it is stored flat with a header: ``[header_width, object_width, ...header...,
objects...]``. Random choices use Python's ``random`` module in MXNet's order, so a seeded run
picks MXNet's crops, pads and flips.
"""

from __future__ import annotations

import json
import logging
import random
import warnings
from math import sqrt
from typing import Any

import numpy as np

from gluax._src.engine.ndarray import NDArray
from gluax._src.image.image import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    PCA_EIGVAL,
    PCA_EIGVEC,
    Augmenter,
    CastAug,
    ColorJitterAug,
    ColorNormalizeAug,
    ForceResizeAug,
    HueJitterAug,
    ImageIter,
    LightingAug,
    RandomGrayAug,
    ResizeAug,
    _mean_std,
    _nd,
    _np,
    copyMakeBorder,
    fixed_crop,
)
from gluax._src.io.io import DataBatch

_NUMERIC = (int, float, np.integer, np.floating)


class DetAugmenter:
    """Base class of detection augmenters: ``aug(src, label) -> (src, label)``."""

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

    def __call__(self, src: Any, label: np.ndarray) -> tuple[Any, np.ndarray]:
        raise NotImplementedError("Must override implementation.")


class DetBorrowAug(DetAugmenter):
    """Use an image-only ``Augmenter`` (resize, colour, cast...) that leaves boxes as they
    are."""

    def __init__(self, augmenter: Augmenter) -> None:
        if not isinstance(augmenter, Augmenter):
            raise TypeError(
                f"DetBorrowAug: expected an mx.image.Augmenter, got {type(augmenter).__name__}."
            )
        super().__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self) -> Any:
        return [self.__class__.__name__.lower(), self.augmenter.dumps()]

    def __call__(self, src: Any, label: np.ndarray) -> tuple[Any, np.ndarray]:
        return self.augmenter(src), label


class DetRandomSelectAug(DetAugmenter):
    """Apply one augmenter of ``aug_list`` chosen at random, or none with probability
    ``skip_prob``."""

    def __init__(self, aug_list: Any, skip_prob: float = 0) -> None:
        super().__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, (list, tuple)):
            aug_list = [aug_list]
        for aug in aug_list:
            if not isinstance(aug, DetAugmenter):
                raise ValueError(
                    f"DetRandomSelectAug: aug_list may hold DetAugmenters only, got "
                    f"{type(aug).__name__}."
                )
        if not aug_list:
            skip_prob = 1
        self.aug_list = list(aug_list)
        self.skip_prob = skip_prob

    def dumps(self) -> Any:
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.aug_list]]

    def __call__(self, src: Any, label: np.ndarray) -> tuple[Any, np.ndarray]:
        if random.random() < self.skip_prob:
            return src, label
        random.shuffle(self.aug_list)
        return self.aug_list[0](src, label)


class DetHorizontalFlipAug(DetAugmenter):
    """With probability ``p``, flip the image left-right and mirror the boxes (in place)."""

    def __init__(self, p: float) -> None:
        super().__init__(p=p)
        self.p = p

    def __call__(self, src: Any, label: np.ndarray) -> tuple[Any, np.ndarray]:
        if random.random() < self.p:
            src = _nd(_np(src, "DetHorizontalFlipAug")[:, ::-1])
            self._flip_label(label)
        return src, label

    def _flip_label(self, label: np.ndarray) -> None:
        tmp = 1.0 - label[:, 1]
        label[:, 1] = 1.0 - label[:, 3]
        label[:, 3] = tmp


def _areas(boxes: np.ndarray) -> np.ndarray:
    """Areas of (N, 4+) boxes ``xmin, ymin, xmax, ymax``; 0 for empty ones."""
    return np.maximum(0, boxes[:, 3] - boxes[:, 1]) * np.maximum(0, boxes[:, 2] - boxes[:, 0])


def _pair(name: str, v: Any) -> tuple:
    if isinstance(v, (tuple, list)):
        return tuple(v)
    if not isinstance(v, _NUMERIC):
        raise TypeError(f"{name} must be a number or a (min, max) pair, got {v!r}.")
    return (v, v)


class DetRandomCropAug(DetAugmenter):
    """Random crop that keeps at least ``min_object_covered`` of every object it cuts;
    boxes are clipped to the crop and dropped when less than ``min_eject_coverage`` of them
    remains. Crop area (fraction of the image) in ``area_range``, aspect ratio in
    ``aspect_ratio_range``; up to ``max_attempts`` tries, else the input is returned."""

    def __init__(
        self,
        min_object_covered: float = 0.1,
        aspect_ratio_range: Any = (0.75, 1.33),
        area_range: Any = (0.05, 1.0),
        min_eject_coverage: float = 0.3,
        max_attempts: int = 50,
    ) -> None:
        aspect_ratio_range = _pair("DetRandomCropAug: aspect_ratio_range", aspect_ratio_range)
        area_range = _pair("DetRandomCropAug: area_range", area_range)
        super().__init__(
            min_object_covered=min_object_covered,
            aspect_ratio_range=aspect_ratio_range,
            area_range=area_range,
            min_eject_coverage=min_eject_coverage,
            max_attempts=max_attempts,
        )
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage
        self.max_attempts = max_attempts
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.enabled = False
        if area_range[1] <= 0 or area_range[0] > area_range[1]:
            warnings.warn(
                f"Skip DetRandomCropAug due to invalid area_range: {area_range}", stacklevel=2
            )
        elif aspect_ratio_range[0] > aspect_ratio_range[1] or aspect_ratio_range[0] <= 0:
            warnings.warn(
                f"Skip DetRandomCropAug due to invalid aspect_ratio_range: {aspect_ratio_range}",
                stacklevel=2,
            )
        else:
            self.enabled = True

    def __call__(self, src: Any, label: np.ndarray) -> tuple[Any, np.ndarray]:
        crop = self._random_crop_proposal(label, src.shape[0], src.shape[1])
        if crop:
            x, y, w, h, label = crop
            src = fixed_crop(src, x, y, w, h, None)
        return src, label

    def _calculate_areas(self, label: np.ndarray) -> np.ndarray:
        return _areas(label)

    def _intersect(
        self, label: np.ndarray, xmin: float, ymin: float, xmax: float, ymax: float
    ) -> np.ndarray:
        left = np.maximum(label[:, 0], xmin)
        right = np.minimum(label[:, 2], xmax)
        top = np.maximum(label[:, 1], ymin)
        bot = np.minimum(label[:, 3], ymax)
        out = label.copy()
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = left, top, right, bot
        out[(left >= right) | (top >= bot), :] = 0
        return out

    def _check_satisfy_constraints(
        self, label: np.ndarray, xmin: int, ymin: int, xmax: int, ymax: int, width: int, height: int
    ) -> bool:
        if (xmax - xmin) * (ymax - ymin) < 2:
            return False
        x1, y1 = float(xmin) / width, float(ymin) / height
        x2, y2 = float(xmax) / width, float(ymax) / height
        object_areas = _areas(label[:, 1:])
        valid = np.where(object_areas * width * height > 2)[0]
        if valid.size < 1:
            return False
        inter = self._intersect(label[valid, 1:], x1, y1, x2, y2)
        coverages = _areas(inter) / object_areas[valid]
        coverages = coverages[coverages > 0]
        return coverages.size > 0 and np.amin(coverages) > self.min_object_covered

    def _update_labels(
        self, label: np.ndarray, crop_box: tuple, height: int, width: int
    ) -> np.ndarray | None:
        xmin, ymin = float(crop_box[0]) / width, float(crop_box[1]) / height
        w, h = float(crop_box[2]) / width, float(crop_box[3]) / height
        out = label.copy()
        out[:, (1, 3)] -= xmin
        out[:, (2, 4)] -= ymin
        out[:, (1, 3)] /= w
        out[:, (2, 4)] /= h
        out[:, 1:5] = np.clip(out[:, 1:5], 0, 1)
        coverage = _areas(out[:, 1:]) * w * h / _areas(label[:, 1:])
        valid = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2])
        valid = np.where(valid & (coverage > self.min_eject_coverage))[0]
        if valid.size < 1:
            return None
        return out[valid, :]

    def _random_crop_proposal(self, label: np.ndarray, height: int, width: int) -> tuple:
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = random.uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = int(round(sqrt(min_area / ratio)))
            max_h = int(round(sqrt(max_area / ratio)))
            if round(max_h * ratio) > width:
                # find the largest h with round(h * ratio) <= width (MXNet's +0.4999999)
                max_h = int((width + 0.4999999) / ratio)
            max_h = min(max_h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            area = w * h
            if area < min_area:
                h += 1
                w = int(round(h * ratio))
                area = w * h
            if area > max_area:
                h -= 1
                w = int(round(h * ratio))
                area = w * h
            if not (min_area <= area <= max_area and 0 <= w <= width and 0 <= h <= height):
                continue
            y = random.randint(0, max(0, height - h))
            x = random.randint(0, max(0, width - w))
            if self._check_satisfy_constraints(label, x, y, x + w, y + h, width, height):
                new_label = self._update_labels(label, (x, y, w, h), height, width)
                if new_label is not None:
                    return x, y, w, h, new_label
        return ()


class DetRandomPadAug(DetAugmenter):
    """Random expansion: place the image on a larger canvas filled with ``pad_val`` (area
    ``area_range`` times the image's, aspect ratio in ``aspect_ratio_range``) and shrink the
    boxes to match."""

    def __init__(
        self,
        aspect_ratio_range: Any = (0.75, 1.33),
        area_range: Any = (1.0, 3.0),
        max_attempts: int = 50,
        pad_val: Any = (128, 128, 128),
    ) -> None:
        if not isinstance(pad_val, (list, tuple)) and not isinstance(pad_val, _NUMERIC):
            raise TypeError(
                f"DetRandomPadAug: pad_val must be a number or a tuple, got {pad_val!r}."
            )
        aspect_ratio_range = _pair("DetRandomPadAug: aspect_ratio_range", aspect_ratio_range)
        area_range = _pair("DetRandomPadAug: area_range", area_range)
        super().__init__(
            aspect_ratio_range=aspect_ratio_range,
            area_range=area_range,
            max_attempts=max_attempts,
            pad_val=pad_val,
        )
        self.pad_val = pad_val
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.max_attempts = max_attempts
        self.enabled = False
        if area_range[1] <= 1.0 or area_range[0] > area_range[1]:
            warnings.warn(
                f"Skip DetRandomPadAug due to invalid parameters: {area_range}", stacklevel=2
            )
        elif aspect_ratio_range[0] <= 0 or aspect_ratio_range[0] > aspect_ratio_range[1]:
            warnings.warn(
                f"Skip DetRandomPadAug due to invalid aspect_ratio_range: {aspect_ratio_range}",
                stacklevel=2,
            )
        else:
            self.enabled = True

    def __call__(self, src: Any, label: np.ndarray) -> tuple[Any, np.ndarray]:
        height, width = src.shape[0], src.shape[1]
        pad = self._random_pad_proposal(label, height, width)
        if pad:
            x, y, w, h, label = pad
            vals = self.pad_val if isinstance(self.pad_val, (list, tuple)) else (self.pad_val,)
            src = copyMakeBorder(src, y, h - y - height, x, w - x - width, 16, values=vals)
        return src, label

    def _update_labels(
        self, label: np.ndarray, pad_box: tuple, height: int, width: int
    ) -> np.ndarray:
        out = label.copy()
        out[:, (1, 3)] = (out[:, (1, 3)] * width + pad_box[0]) / pad_box[2]
        out[:, (2, 4)] = (out[:, (2, 4)] * height + pad_box[1]) / pad_box[3]
        return out

    def _random_pad_proposal(self, label: np.ndarray, height: int, width: int) -> tuple:
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = random.uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = int(round(sqrt(min_area / ratio)))
            max_h = int(round(sqrt(max_area / ratio)))
            if round(h * ratio) < width:
                h = int((width + 0.499999) / ratio)
            h = max(h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            if h - height < 2 or w - width < 2:
                continue
            y = random.randint(0, max(0, h - height))
            x = random.randint(0, max(0, w - width))
            return x, y, w, h, self._update_labels(label, (x, y, w, h), height, width)
        return ()


def CreateMultiRandCropAugmenter(  # noqa: N802 (MXNet's name)
    min_object_covered: Any = 0.1,
    aspect_ratio_range: Any = (0.75, 1.33),
    area_range: Any = (0.05, 1.0),
    min_eject_coverage: Any = 0.3,
    max_attempts: Any = 50,
    skip_prob: float = 0,
) -> DetRandomSelectAug:
    """One ``DetRandomCropAug`` per entry of the list-valued arguments (scalars are shared),
    of which ``DetRandomSelectAug`` applies one at random."""
    params = [min_object_covered, aspect_ratio_range, area_range, min_eject_coverage, max_attempts]
    params = [p if isinstance(p, list) else [p] for p in params]
    num = max(len(p) for p in params)
    for k, p in enumerate(params):
        if len(p) != num:
            if len(p) != 1:
                raise ValueError(
                    "CreateMultiRandCropAugmenter: list arguments must all have the same "
                    f"length, got lengths {[len(q) for q in params]}."
                )
            params[k] = p * num
    augs = [
        DetRandomCropAug(
            min_object_covered=moc,
            aspect_ratio_range=arr,
            area_range=ar,
            min_eject_coverage=mec,
            max_attempts=ma,
        )
        for moc, arr, ar, mec, ma in zip(*params)
    ]
    return DetRandomSelectAug(augs, skip_prob=skip_prob)


def CreateDetAugmenter(  # noqa: N802 (MXNet's name)
    data_shape: tuple[int, int, int],
    resize: int = 0,
    rand_crop: float = 0,
    rand_pad: float = 0,
    rand_gray: float = 0,
    rand_mirror: bool = False,
    mean: Any = None,
    std: Any = None,
    brightness: float = 0,
    contrast: float = 0,
    saturation: float = 0,
    pca_noise: float = 0,
    hue: float = 0,
    inter_method: int = 2,
    min_object_covered: Any = 0.1,
    aspect_ratio_range: Any = (0.75, 1.33),
    area_range: Any = (0.05, 3.0),
    min_eject_coverage: Any = 0.3,
    max_attempts: Any = 50,
    pad_val: Any = (127, 127, 127),
) -> list:
    """MXNet's standard detection augmenters: optional resize, random crop (probability
    ``rand_crop``), flip, random pad (probability ``rand_pad``), a forced resize to
    ``data_shape`` (C, H, W), cast to float32, colour jitter, hue, PCA noise, gray,
    normalization."""
    if len(data_shape) != 3:
        raise ValueError(f"CreateDetAugmenter: data_shape must be (C, H, W), got {data_shape!r}.")
    auglist: list = []
    if resize > 0:
        auglist.append(DetBorrowAug(ResizeAug(resize, inter_method)))
    if rand_crop > 0:
        auglist.append(
            CreateMultiRandCropAugmenter(
                min_object_covered,
                aspect_ratio_range,
                area_range,
                min_eject_coverage,
                max_attempts,
                skip_prob=1 - rand_crop,
            )
        )
    if rand_mirror > 0:
        auglist.append(DetHorizontalFlipAug(0.5))
    if rand_pad > 0:
        pad_aug = DetRandomPadAug(aspect_ratio_range, (1.0, area_range[1]), max_attempts, pad_val)
        auglist.append(DetRandomSelectAug([pad_aug], 1 - rand_pad))
    auglist.append(DetBorrowAug(ForceResizeAug((data_shape[2], data_shape[1]), inter_method)))
    auglist.append(DetBorrowAug(CastAug()))
    if brightness or contrast or saturation:
        auglist.append(DetBorrowAug(ColorJitterAug(brightness, contrast, saturation)))
    if hue:
        auglist.append(DetBorrowAug(HueJitterAug(hue)))
    if pca_noise > 0:
        auglist.append(DetBorrowAug(LightingAug(pca_noise, PCA_EIGVAL, PCA_EIGVEC)))
    if rand_gray > 0:
        auglist.append(DetBorrowAug(RandomGrayAug(rand_gray)))
    mean = _mean_std("CreateDetAugmenter: mean", mean, IMAGENET_MEAN)
    std = _mean_std("CreateDetAugmenter: std", std, IMAGENET_STD)
    if mean is not None or std is not None:
        auglist.append(DetBorrowAug(ColorNormalizeAug(mean, std)))
    return auglist


class ImageDetIter(ImageIter):
    """``ImageIter`` for detection: labels are (batch, max objects, object width) arrays,
    rows past an image's objects filled with -1; augmenters are ``DetAugmenter``s
    (``aug_list``, or ``CreateDetAugmenter(data_shape, **kwargs)``)."""

    def __init__(
        self,
        batch_size: int,
        data_shape: tuple[int, int, int],
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
        label_name: str = "label",
        last_batch_handle: str = "pad",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            batch_size=batch_size,
            data_shape=data_shape,
            path_imgrec=path_imgrec,
            path_imglist=path_imglist,
            path_root=path_root,
            path_imgidx=path_imgidx,
            shuffle=shuffle,
            part_index=part_index,
            num_parts=num_parts,
            aug_list=[],
            imglist=imglist,
            data_name=data_name,
            label_name=label_name,
            last_batch_handle=last_batch_handle,
        )
        self.auglist = CreateDetAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        label_shape = self._estimate_label_shape()
        self.provide_label = [(label_name, (self.batch_size, label_shape[0], label_shape[1]))]
        self.label_shape = label_shape

    def _check_valid_label(self, label: np.ndarray) -> None:
        if label.ndim != 2 or label.shape[1] < 5:
            raise RuntimeError(f"Label with shape (1+, 5+) required, {label!s} received.")
        # MXNet passes three arrays to np.logical_and, so the third is its `out`: only the
        # class and x checks decide.
        valid = np.where((label[:, 0] >= 0) & (label[:, 3] > label[:, 1]))[0]
        if valid.size < 1:
            raise RuntimeError("Invalid label occurs.")

    def _estimate_label_shape(self) -> tuple[int, int]:
        max_count, width = 0, None
        self.reset()
        try:
            while True:
                label, _ = self.next_sample()
                label = self._parse_label(label)
                max_count = max(max_count, label.shape[0])
                width = label.shape[1]
        except StopIteration:
            pass
        self.reset()
        if width is None:
            raise ValueError(f"{type(self).__name__}: the dataset holds no images.")
        return max_count, width

    def _parse_label(self, label: Any) -> np.ndarray:
        raw = np.asarray(_np(label) if isinstance(label, NDArray) else label).ravel()
        if raw.size < 7:
            raise RuntimeError(f"Label shape is invalid: {raw.shape}")
        header_width, obj_width = int(raw[0]), int(raw[1])
        if obj_width < 1 or (raw.size - header_width) % obj_width != 0:
            raise RuntimeError(
                f"Label shape {raw.shape} inconsistent with annotation width {obj_width}."
            )
        out = np.reshape(raw[header_width:], (-1, obj_width))
        valid = np.where((out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2]))[0]
        if valid.size < 1:
            raise RuntimeError("Encounter sample with no valid label.")
        return out[valid, :]

    def reshape(self, data_shape: Any = None, label_shape: Any = None) -> None:
        """Change data_shape (C, H, W) and/or label_shape (max objects, object width)."""
        if data_shape is not None:
            self.check_data_shape(data_shape)
            data_shape = tuple(data_shape)
            self.provide_data = [(self.provide_data[0][0], (self.batch_size,) + data_shape)]
            self.data_shape = data_shape
        if label_shape is not None:
            self.check_label_shape(label_shape)
            label_shape = tuple(label_shape)
            self.provide_label = [(self.provide_label[0][0], (self.batch_size,) + label_shape)]
            self.label_shape = label_shape

    def _batchify(self, batch_data: np.ndarray, batch_label: np.ndarray, start: int = 0) -> int:
        i = start
        try:
            while i < self.batch_size:
                label, s = self.next_sample()
                data = self.imdecode(s)
                try:
                    self.check_valid_image([data])
                    label = self._parse_label(label)
                    data, label = self.augmentation_transform(data, label)
                    self._check_valid_label(label)
                except RuntimeError as e:
                    logging.debug("Invalid image, skipping:  %s", str(e))
                    continue
                self._store(batch_data, i, self.postprocess_data(data))
                n = label.shape[0]
                if n > batch_label.shape[1] or label.shape[1] != batch_label.shape[2]:
                    raise ValueError(
                        f"{type(self).__name__}: a label of shape {label.shape} does not fit "
                        f"label_shape {batch_label.shape[1:]}; call reshape(label_shape=...)."
                    )
                batch_label[i, :n] = label
                batch_label[i, n:] = -1
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def next(self) -> Any:
        """The next DataBatch: data (N, C, H, W), label (N, max objects, object width)."""
        if self._cache_data is not None:
            batch_data, batch_label, i = self._cache_data, self._cache_label, self._cache_idx
        else:
            batch_data = np.zeros((self.batch_size,) + tuple(self.data_shape), np.float32)
            batch_label = np.full(self.provide_label[0][1], -1, np.float32)
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

    def augmentation_transform(self, data: Any, label: np.ndarray) -> tuple[Any, np.ndarray]:
        """Apply ``self.auglist`` to (image, label) in order."""
        for aug in self.auglist:
            data, label = aug(data, label)
        return data, label

    def check_label_shape(self, label_shape: Any) -> None:
        """A new label_shape may only grow the object count and must keep the width."""
        if len(label_shape) != 2:
            raise ValueError(f"label_shape should have length 2, got {label_shape!r}.")
        if label_shape[0] < self.label_shape[0]:
            raise ValueError(
                f"Attempts to reduce label count from {self.label_shape[0]} to "
                f"{label_shape[0]}, not allowed."
            )
        if label_shape[1] != self.provide_label[0][1][2]:
            raise ValueError(
                f"label_shape object width inconsistent: {self.provide_label[0][1][2]} vs "
                f"{label_shape[1]}."
            )

    def draw_next(self, *args: Any, **kwargs: Any) -> Any:
        """Not in gluax: it draws with OpenCV's GUI functions."""
        raise NotImplementedError(
            "ImageDetIter.draw_next draws boxes with OpenCV's GUI; gluax does not. Take the "
            "batches from next() and draw them with matplotlib instead."
        )

    def sync_label_shape(self, it: ImageDetIter, verbose: bool = False) -> ImageDetIter:
        """Give this iterator and ``it`` the same label_shape (the larger object count)."""
        if not isinstance(it, ImageDetIter):
            raise TypeError(f"sync_label_shape: expected an ImageDetIter, got {type(it).__name__}.")
        a, b = self.label_shape, it.label_shape
        if a[1] != b[1]:
            raise ValueError(f"sync_label_shape: object width mismatch: {a[1]} vs {b[1]}.")
        max_count = max(a[0], b[0])
        if max_count > a[0]:
            self.reshape(None, (max_count, a[1]))
        if max_count > b[0]:
            it.reshape(None, (max_count, b[1]))
        if verbose and max_count > min(a[0], b[0]):
            logging.info("Resized label_shape to (%d, %d).", max_count, a[1])
        return it


__all__ = [
    "DetAugmenter",
    "DetBorrowAug",
    "DetRandomSelectAug",
    "DetHorizontalFlipAug",
    "DetRandomCropAug",
    "DetRandomPadAug",
    "CreateMultiRandCropAugmenter",
    "CreateDetAugmenter",
    "ImageDetIter",
]
