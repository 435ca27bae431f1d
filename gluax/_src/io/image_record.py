"""``mx.io.ImageRecordIter`` (and ``ImageRecordUInt8Iter``, ``ImageRecordIter_v1``): batches
of images from a RecordIO ``.rec`` file, as MXNet 1.9.1's C++ ``ImageRecordIter2``.

Per record: decode (gray for ``data_shape[0] == 1``, colour for 3, as stored for 4), take the
label (``path_imglist`` by record id, else the record's labels), resize the shorter edge to
``resize``, pad by ``pad``, enlarge if still smaller than ``data_shape``, crop ``data_shape``
(centred, or random with ``rand_crop``; or ``random_resized_crop``), colour jitter, PCA noise,
mirror (``mirror`` or ``rand_mirror``), then ``(x - mean) * (scale / std)`` per channel in
float32 (``mean_img`` replaces the per-channel means) and CHW layout.

Batching follows MXNet: with ``round_batch`` (the default) the last batch is completed from the
start of the data and ``pad`` counts those records, and the next epoch then starts after them;
without it the last batch keeps the previous batch's values in its unused slots and ``pad`` is
0, as MXNet reports it. The deterministic options give MXNet's batches exactly (the resizing is
OpenCV's, reproduced in numpy); the random ones draw from numpy's generator seeded with ``seed``
/ ``seed_aug``, not from MXNet's C++ engines, so they match MXNet in distribution only.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from gluax._src.data import recordio
from gluax._src.data.vision import image as _k
from gluax._src.engine import npmode, serialization
from gluax._src.engine.base import MXNetError
from gluax._src.io.io import DataBatch, DataDesc, DataIter
from gluax._src.numpy.multiarray import to_np
from gluax._src.ops.creation import array as _array

_PCA = np.array(
    [
        [55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
        [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
        [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203],
    ],
    np.float32,
)

# Arguments MXNet accepts that gluax reads (defaults as in MXNet 1.9.1).
_DEFAULTS: dict[str, Any] = {
    "path_imglist": "",
    "path_imgidx": "",
    "label_width": 1,
    "shuffle": False,
    "seed": 0,
    "num_parts": 1,
    "part_index": 0,
    "round_batch": True,
    "resize": -1,
    "rand_crop": False,
    "random_resized_crop": False,
    "max_aspect_ratio": 0.0,
    "min_aspect_ratio": None,
    "max_random_area": 1.0,
    "min_random_area": 1.0,
    "max_crop_size": -1,
    "min_crop_size": -1,
    "brightness": 0.0,
    "contrast": 0.0,
    "saturation": 0.0,
    "pca_noise": 0.0,
    "inter_method": 1,
    "pad": 0,
    "fill_value": 255,
    "rand_mirror": False,
    "mirror": False,
    "mean_img": "",
    "mean_r": 0.0,
    "mean_g": 0.0,
    "mean_b": 0.0,
    "mean_a": 0.0,
    "std_r": 1.0,
    "std_g": 1.0,
    "std_b": 1.0,
    "std_a": 1.0,
    "scale": 1.0,
    "max_random_contrast": 0.0,
    "max_random_illumination": 0.0,
    "data_name": "data",
    "label_name": "softmax_label",
    "dtype": None,
    "seed_aug": None,
}
# Accepted and ignored: threading, prefetching, logging and placement are gluax's business.
_IGNORED = (
    "preprocess_threads",
    "prefetch_buffer",
    "verbose",
    "ctx",
    "device_id",
    "shuffle_chunk_size",
    "shuffle_chunk_seed",
    "aug_seq",
)
# Accepted, but only at their defaults: the affine warp and HSL jitter are not implemented.
_UNSUPPORTED = {
    "max_rotate_angle": 0,
    "max_shear_ratio": 0.0,
    "rotate": -1,
    "max_random_scale": 1.0,
    "min_random_scale": 1.0,
    "max_img_size": 1e10,
    "min_img_size": 0.0,
    "random_h": 0,
    "random_s": 0,
    "random_l": 0,
}


def _interp(method: int, ow: int, oh: int, nw: int, nh: int, rng: np.random.RandomState) -> int:
    if method == 9:
        if nw > ow and nh > oh:
            return 2
        if nw < ow and nh < oh:
            return 3
        return 1
    if method == 10:
        return int(rng.randint(0, 5))
    return method


def _resize(x: np.ndarray, w: int, h: int, interp: int) -> np.ndarray:
    return _k.resize(np, x, (int(w), int(h)), False, interp)


class ImageRecordIter(DataIter):
    """Batches of decoded, augmented, normalized images from ``path_imgrec`` (NCHW).

    Keyword arguments are MXNet's: ``path_imgrec``, ``data_shape`` (C, H, W), ``batch_size``,
    ``path_imgidx``, ``path_imglist``, ``label_width``, ``shuffle``, ``seed``, ``num_parts``,
    ``part_index``, ``round_batch``, ``resize``, ``rand_crop``, ``random_resized_crop``,
    ``min/max_random_area``, ``min/max_aspect_ratio``, ``min/max_crop_size``, ``rand_mirror``,
    ``mirror``, ``pad``, ``fill_value``, ``inter_method``, ``brightness``, ``contrast``,
    ``saturation``, ``pca_noise``, ``mean_img``, ``mean_r/g/b/a``, ``std_r/g/b/a``, ``scale``,
    ``max_random_contrast``, ``max_random_illumination``, ``dtype`` ('float32', 'uint8',
    'int8'), ``data_name``, ``label_name``, ``seed_aug``. See the module docstring.
    """

    _default_dtype = "float32"
    _defaults = _DEFAULTS
    _ignored = _IGNORED
    _unsupported = _UNSUPPORTED

    def __init__(self, **kwargs: Any) -> None:
        name = type(self).__name__
        for req in ("path_imgrec", "data_shape", "batch_size"):
            if req not in kwargs:
                raise TypeError(f"{name}: the argument {req} is required.")
        path_imgrec = kwargs.pop("path_imgrec")
        data_shape = kwargs.pop("data_shape")
        batch_size = int(kwargs.pop("batch_size"))
        unknown = set(kwargs) - set(self._defaults) - set(self._ignored) - set(self._unsupported)
        if unknown:
            raise TypeError(f"{name}: unknown arguments {sorted(unknown)}.")
        for k, default in self._unsupported.items():
            if k in kwargs and kwargs[k] != default:
                raise NotImplementedError(
                    f"{name}: {k}={kwargs[k]!r} is not implemented in gluax; use "
                    f"{self._instead} with mx.image augmenters."
                )
        p = {k: kwargs.get(k, v) for k, v in self._defaults.items()}
        self.p = p
        super().__init__(batch_size)
        if batch_size <= 0:
            raise ValueError(f"{name}: batch_size must be positive, got {batch_size}.")
        shape = tuple(int(d) for d in data_shape) if np.ndim(data_shape) == 1 else None
        if shape is None or len(shape) != 3 or shape[0] not in (1, 3, 4) or min(shape) <= 0:
            raise ValueError(
                f"{name}: data_shape must be (C, H, W) with C = 1, 3 or 4, got {data_shape!r}."
            )
        self.data_shape = shape
        dtype = p["dtype"] or self._default_dtype
        if dtype not in ("float32", "uint8", "int8"):
            raise ValueError(f"{name}: dtype must be 'float32', 'uint8' or 'int8', got {dtype!r}.")
        self.dtype = dtype
        if not 0 <= p["part_index"] < p["num_parts"]:
            raise ValueError(
                f"{name}: part_index must be in [0, num_parts={p['num_parts']}), got "
                f"{p['part_index']}."
            )
        for path in (path_imgrec, p["path_imgidx"], p["path_imglist"]):
            if path and not os.path.isfile(path):
                raise FileNotFoundError(f"{name}: no such file '{path}'.")
        self.path_imgrec = path_imgrec
        self._rec = recordio.MXRecordIO(path_imgrec, "r")
        self._offsets = self._record_offsets()
        self._labels = self._read_imglist(p["path_imglist"]) if p["path_imglist"] else None
        self._rng = np.random.RandomState(111 + int(p["seed"]))  # MXNet's kRandMagic + seed
        self._aug_rng = np.random.RandomState(111 if p["seed_aug"] is None else None)
        lw = self._label_columns()
        self._mean_img: np.ndarray | None = None
        if p["mean_img"]:
            self._mean_img = self._load_mean_img(p["mean_img"])
        self.provide_data = [DataDesc(p["data_name"], (batch_size,) + shape, np.dtype(dtype).type)]
        lshape = (batch_size,) if lw == 1 else (batch_size, lw)
        self.provide_label = [DataDesc(p["label_name"], lshape, np.float32)]
        self._data = np.zeros((batch_size,) + shape, dtype)
        self._label = np.zeros((batch_size, lw), np.float32)
        self._pos = 0
        self._order = self._new_order()
        self._overflow = False
        self._done = False

    _instead = "mx.image.ImageIter"
    _mirrors = True

    def _label_columns(self) -> int:
        return int(self.p["label_width"])

    # ---- the record list ------------------------------------------------------------------
    def _record_offsets(self) -> list[int]:
        """Byte offsets of this part's records, in reading order."""
        p = self.p
        if p["path_imgidx"]:
            idx = recordio.MXIndexedRecordIO(p["path_imgidx"], self.path_imgrec, "r")
            offs = sorted(idx.idx.values())
            idx.close()
            n = len(offs)
            step = (n + p["num_parts"] - 1) // p["num_parts"]
            lo, hi = min(step * p["part_index"], n), min(step * (p["part_index"] + 1), n)
            return offs[lo:hi]
        offs, pos = [], 0
        while True:
            buf, nxt = recordio.read_record(self._rec._pread, pos, self.path_imgrec)
            if buf is None:
                break
            offs.append(pos)
            pos = nxt
        # dmlc-core splits a plain .rec by bytes (4-aligned); a record belongs to the part its
        # first byte falls in.
        total = pos
        step = (total + p["num_parts"] - 1) // p["num_parts"]
        step = (step + 3) // 4 * 4
        lo, hi = step * p["part_index"], step * (p["part_index"] + 1)
        return [o for o in offs if lo <= o < hi]

    def _new_order(self) -> list[int]:
        order = list(self._offsets)
        if self.p["shuffle"]:
            self._rng.shuffle(order)
        return order

    def _read_imglist(self, path: str) -> dict[int, np.ndarray]:
        lw = int(self.p["label_width"])
        out = {}
        with open(path) as f:
            for n, line in enumerate(f, 1):
                parts = line.strip().split("\t")
                if not parts or parts == [""]:
                    continue
                if len(parts) < lw + 2:
                    raise ValueError(
                        f"{type(self).__name__}: line {n} of '{path}' needs an index, "
                        f"label_width={lw} labels and a path, got {line.strip()!r}."
                    )
                out[int(float(parts[0]))] = np.asarray(parts[1 : 1 + lw], np.float32)
        return out

    def _load_mean_img(self, path: str) -> np.ndarray:
        if os.path.isfile(path):
            data = serialization.load(path)
            arrs = list(data.values()) if isinstance(data, dict) else list(data)
            if len(arrs) != 1 or arrs[0].ndim != 3:
                raise ValueError(
                    f"{type(self).__name__}: mean_img '{path}' must hold one (C, H, W) array."
                )
            return arrs[0].asnumpy().astype(np.float32)
        # MXNet computes the mean image over the data set and saves it for the next run.
        total, count = None, 0
        for off in self._offsets:
            img, _ = self._process(off, normalize=False)
            total = img.astype(np.float64) if total is None else total + img
            count += 1
        if not count:
            raise ValueError(f"{type(self).__name__}: no records to compute mean_img from.")
        mean = (total / count).astype(np.float32)
        serialization.save(path, {"mean_img": _array(mean)})
        return mean

    # ---- one record -------------------------------------------------------------------------
    def _decode(self, off: int) -> tuple[Any, np.ndarray]:
        buf, _ = recordio.read_record(self._rec._pread, off, self.path_imgrec)
        header, img = recordio.unpack(buf)
        c = self.data_shape[0]
        flag = {1: 0, 3: 1, 4: -1}[c]
        try:
            x = _k.decode_numpy(img, flag, to_rgb=True)
        except MXNetError as e:
            raise MXNetError(
                f"{type(self).__name__}: record id {header.id} at byte {off} of "
                f"'{self.path_imgrec}' does not decode: {e}"
            ) from None
        if x.shape[2] != c:
            raise ValueError(
                f"{type(self).__name__}: record id {header.id} of '{self.path_imgrec}' has "
                f"{x.shape[2]} channels but data_shape={self.data_shape} asks for {c}."
            )
        return header, x

    def _label_of(self, header: Any) -> np.ndarray:
        lw = int(self.p["label_width"])
        if self._labels is not None:
            if int(header.id) not in self._labels:
                raise KeyError(
                    f"{type(self).__name__}: record id {header.id} is not in path_imglist "
                    f"'{self.p['path_imglist']}'."
                )
            return self._labels[int(header.id)]
        lab = np.asarray(header.label, np.float32).reshape(-1)
        if lab.size != lw:
            raise ValueError(
                f"{type(self).__name__}: the rec file provides {lab.size}-dimensional labels "
                f"but label_width is {lw}."
            )
        return lab

    def _augment(self, x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
        p, (_, dh, dw) = self.p, self.data_shape
        im = p["inter_method"]
        if p["resize"] != -1:
            r, (h, w) = int(p["resize"]), x.shape[:2]
            nh, nw = (r * h // w, r) if h > w else (r, r * w // h)
            x = _resize(x, nw, nh, _interp(im, w, h, nw, nh, rng))
        if p["pad"] > 0:
            k = int(p["pad"])
            x = np.pad(x, ((k, k), (k, k), (0, 0)), constant_values=np.uint8(p["fill_value"]))
        if p["max_aspect_ratio"] or p["min_aspect_ratio"] is not None:
            hi = (
                p["max_aspect_ratio"]
                if p["min_aspect_ratio"] is not None
                else (1 + p["max_aspect_ratio"])
            )
            lo = (
                p["min_aspect_ratio"]
                if p["min_aspect_ratio"] is not None
                else (1 - p["max_aspect_ratio"])
            )
        else:
            lo = hi = 1.0
        cropped = False
        if p["random_resized_crop"]:
            if (p["max_random_area"], p["min_random_area"], lo, hi) != (1.0, 1.0, 1.0, 1.0):
                h, w = x.shape[:2]
                for _ in range(10):
                    area = rng.uniform(p["min_random_area"], p["max_random_area"]) * h * w
                    ratio = rng.uniform(lo, hi)
                    ya, xa = int(round(np.sqrt(area / ratio))), int(round(np.sqrt(area * ratio)))
                    if rng.uniform() > 0.5:
                        ya, xa = xa, ya
                    if ya <= h and xa <= w:
                        y0, x0 = rng.randint(0, h - ya + 1), rng.randint(0, w - xa + 1)
                        x = _resize(
                            x[y0 : y0 + ya, x0 : x0 + xa], dw, dh, _interp(im, xa, ya, dw, dh, rng)
                        )
                        cropped = True
                        break
        elif p["max_crop_size"] != -1 or p["min_crop_size"] != -1:
            h, w = x.shape[:2]
            if not (
                w >= p["max_crop_size"]
                and h >= p["max_crop_size"]
                and p["max_crop_size"] >= p["min_crop_size"]
            ):
                raise ValueError(
                    f"{type(self).__name__}: image {h}x{w} is smaller than max_crop_size="
                    f"{p['max_crop_size']} (or min_crop_size > max_crop_size)."
                )
            s = rng.randint(p["min_crop_size"], p["max_crop_size"] + 1)
            y0, x0 = h - s, w - s
            if p["rand_crop"]:
                y0, x0 = rng.randint(0, y0 + 1), rng.randint(0, x0 + 1)
            else:
                y0, x0 = y0 // 2, x0 // 2
            x = _resize(x[y0 : y0 + s, x0 : x0 + s], dw, dh, _interp(im, s, s, dw, dh, rng))
            cropped = True
        if not cropped:
            h, w = x.shape[:2]
            method = _interp(im, w, h, dw, dh, rng)
            if h < dh:  # MXNet computes the other edge in float32 and truncates
                nw = int(np.float32(dh) / np.float32(h) * np.float32(w))
                x = _resize(x, nw, dh, method)
            h, w = x.shape[:2]
            if w < dw:
                nh = int(np.float32(dw) / np.float32(w) * np.float32(h))
                x = _resize(x, dw, nh, method)
            h, w = x.shape[:2]
            y0, x0 = h - dh, w - dw
            if p["rand_crop"]:
                y0, x0 = rng.randint(0, y0 + 1), rng.randint(0, x0 + 1)
            else:
                y0, x0 = y0 // 2, x0 // 2
            x = x[y0 : y0 + dh, x0 : x0 + dw]
        if p["brightness"] > 0 or p["contrast"] > 0 or p["saturation"] > 0:
            x = self._color(x, rng)
        if p["pca_noise"] > 0 and x.shape[2] >= 3:
            alpha = rng.normal(0, p["pca_noise"], 3).astype(np.float32)
            rgb = (_PCA * alpha).sum(axis=1)
            # MXNet adds into an int and clamps (the float offset is truncated toward zero).
            x = np.clip(x.astype(np.int32)[:, :, :3] + rgb.astype(np.int32), 0, 255).astype(
                np.uint8
            )
        return x

    def _color(self, x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
        p = self.p
        ab = 1.0 + rng.uniform(-p["brightness"], p["brightness"])
        ac = 1.0 + rng.uniform(-p["contrast"], p["contrast"])
        as_ = 1.0 + rng.uniform(-p["saturation"], p["saturation"])
        xf = x.astype(np.float32)
        for i in rng.permutation(3):
            gray = (xf[:, :, :3] * np.array([0.299, 0.587, 0.114], np.float32)).sum(-1)
            if i == 0:
                xf = np.clip(np.rint(xf * ab), 0, 255)
            elif i == 1:
                xf = np.clip(np.rint(xf * ac + (1 - ac) * gray.mean()), 0, 255)
            else:
                xf = np.clip(np.rint(xf * as_ + (1 - as_) * gray[:, :, None]), 0, 255)
        return xf.astype(np.uint8)

    def _process(self, off: int, normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
        header, x = self._decode(off)
        label = self._label_of(header)
        rng = self._aug_rng
        if self.p["seed_aug"] is not None:
            rng = np.random.RandomState((int(header.id) + int(self.p["seed_aug"]) + 111) % 2**32)
        x = self._augment(x, rng)
        mirrored = self._mirrors and (
            bool(self.p["mirror"]) or (bool(self.p["rand_mirror"]) and rng.rand() < 0.5)
        )
        if mirrored:
            x = x[:, ::-1]
        label = self._final_label(label, x)
        x = self._canvas(x)
        chw = np.ascontiguousarray(x.transpose(2, 0, 1))
        if self.dtype == "uint8":
            return chw, label
        c = chw.shape[0]
        mean = np.array([self.p[f"mean_{k}"] for k in "rgba"[:c]], np.float32)
        if c == 1:
            mean = mean[:1]
        if self.dtype == "int8":
            m = (
                mean.reshape(c, 1, 1)
                if self._mean_img is None or not normalize
                else (np.round(self._mean_img))
            )
            return np.clip(chw.astype(np.float32) - np.round(m), -128, 127).astype(np.int8), label
        pc, pi = self.p["max_random_contrast"], self.p["max_random_illumination"]
        scale = np.float32(self.p["scale"])
        contrast = np.float32((rng.rand() * pc * 2 - pc + 1) * scale) if pc else scale
        illum = np.float32((rng.rand() * pi * 2 - pi) * scale) if pi else np.float32(0)
        std = np.array([self.p[f"std_{k}"] for k in "rgba"[:c]], np.float32)
        mult = (contrast / std).reshape(c, 1, 1)
        bias = (illum / std).reshape(c, 1, 1)
        ref = (
            self._mean_img if (self._mean_img is not None and normalize) else mean.reshape(c, 1, 1)
        )
        out = (chw.astype(np.float32) - ref) * mult + bias
        if mirrored and ref is self._mean_img:
            # MXNet subtracts the mean image before mirroring the pixel positions.
            out = (chw.astype(np.float32) - ref[:, :, ::-1]) * mult + bias
        return out.astype(np.float32), label

    def _final_label(self, label: np.ndarray, x: np.ndarray) -> np.ndarray:
        return label

    def _canvas(self, x: np.ndarray) -> np.ndarray:
        return x

    # ---- batching ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Start the next epoch (after a round_batch wrap-around, where the wrap stopped)."""
        self._done = False
        if self.p["round_batch"] and self._overflow:
            self._overflow = False
            return
        self._pos = 0
        self._order = self._new_order()

    def next(self) -> DataBatch:
        """The next DataBatch; StopIteration at the end of the epoch."""
        if self._done or self._overflow:
            raise StopIteration
        n, pad = 0, 0
        while n < self.batch_size:
            if self._pos >= len(self._order):
                if n == 0:
                    self._done = True
                    raise StopIteration
                if self.p["round_batch"]:
                    if not self._order:
                        break
                    self._overflow = True
                    pad = self.batch_size - n
                    self._pos = 0
                    self._order = self._new_order()
                    continue
                break  # MXNet leaves the rest of the batch as it was and reports pad 0
            data, label = self._process(self._order[self._pos])
            self._pos += 1
            self._data[n] = data
            self._label[n] = label
            n += 1
        label = self._label[:, 0] if self._label.shape[1] == 1 else self._label
        data, label = _array(self._data.copy(), dtype=self.dtype), _array(label.copy())
        if npmode.is_np_array():  # NumPy mode: mx.np.ndarray batches, as MXNet
            data, label = to_np(data), to_np(label)
        return DataBatch(
            [data],
            [label],
            pad=pad,
            index=np.zeros(self.batch_size, np.uint64),
            provide_data=self.provide_data,
            provide_label=self.provide_label,
        )

    def iter_next(self) -> bool:
        try:
            self._current = self.next()
        except StopIteration:
            return False
        return True

    def getdata(self) -> Any:
        return self._current.data

    def getlabel(self) -> Any:
        return self._current.label

    def getpad(self) -> Any:
        return self._current.pad

    def getindex(self) -> Any:
        return self._current.index


_DET_DEFAULTS: dict[str, Any] = {
    "path_imglist": "",
    "label_width": -1,
    "label_pad_width": 0,
    "label_pad_value": -1.0,
    "shuffle": False,
    "seed": 0,
    "num_parts": 1,
    "part_index": 0,
    "round_batch": True,
    "resize": -1,
    "inter_method": 1,
    "resize_mode": "force",
    "fill_value": 127,
    "mean_img": "",
    "mean_r": 0.0,
    "mean_g": 0.0,
    "mean_b": 0.0,
    "mean_a": 0.0,
    "std_r": 1.0,
    "std_g": 1.0,
    "std_b": 1.0,
    "std_a": 1.0,
    "scale": 1.0,
    "mirror": False,
    "rand_mirror": False,
    "max_random_contrast": 0.0,
    "max_random_illumination": 0.0,
    "data_name": "data",
    "label_name": "softmax_label",
    "dtype": None,
    "seed_aug": None,
    "path_imgidx": "",
}
# The random detection augmentations live in mx.image.ImageDetIter (CreateDetAugmenter).
_DET_UNSUPPORTED = {
    "rand_crop_prob": 0.0,
    "rand_pad_prob": 0.0,
    "rand_mirror_prob": 0.0,
    "random_hue_prob": 0.0,
    "random_saturation_prob": 0.0,
    "random_illumination_prob": 0.0,
    "random_contrast_prob": 0.0,
    "min_crop_scales": (0.0,),
    "max_crop_scales": (1.0,),
    "min_crop_aspect_ratios": (1.0,),
    "max_crop_aspect_ratios": (1.0,),
    "min_crop_overlaps": (0.0,),
    "max_crop_overlaps": (1.0,),
    "min_crop_sample_coverages": (0.0,),
    "max_crop_sample_coverages": (1.0,),
    "min_crop_object_coverages": (0.0,),
    "max_crop_object_coverages": (1.0,),
    "num_crop_sampler": 1,
    "crop_emit_mode": "center",
    "emit_overlap_thresh": 0.3,
    "max_crop_trials": (25,),
    "max_pad_scale": 1.0,
    "max_random_hue": 0,
    "max_random_saturation": 0,
}


class ImageDetRecordIter(ImageRecordIter):
    """Detection batches from ``path_imgrec``, as MXNet's C++ ``ImageDetRecordIter``: each
    image is resized (``resize`` on the shorter edge, then forced to ``data_shape``) and
    normalized; each label row is ``[C, H, W, n, record label (n values)...]`` padded with
    ``label_pad_value`` to ``label_pad_width + 4`` (``label_pad_width`` 0: the longest label in
    the file). The random detection augmentations are in ``mx.image.ImageDetIter``.
    """

    _defaults = _DET_DEFAULTS
    _unsupported = _DET_UNSUPPORTED
    _instead = "mx.image.ImageDetIter"
    _mirrors = (
        False  # MXNet accepts mirror/rand_mirror here and ignores them (boxes would not follow)
    )

    def _label_columns(self) -> int:
        p = self.p
        if p["resize_mode"] not in ("force", "shrink", "fit"):
            raise ValueError(
                f"ImageDetRecordIter: resize_mode must be 'force', 'shrink' or 'fit', got "
                f"{p['resize_mode']!r}."
            )
        widest = 0
        for off in self._offsets:
            buf, _ = recordio.read_record(self._rec._pread, off, self.path_imgrec)
            widest = max(widest, self._label_of(recordio.unpack(buf)[0]).size)
        pad = int(p["label_pad_width"])
        if 0 < pad < widest:
            raise ValueError(
                f"ImageDetRecordIter: label_pad_width={pad} is smaller than the longest label "
                f"in '{self.path_imgrec}' ({widest} values)."
            )
        self.label_pad_width = max(pad, widest)
        return self.label_pad_width + 4

    def _label_of(self, header: Any) -> np.ndarray:
        if self._labels is not None:
            return super()._label_of(header)
        lab = np.asarray(header.label, np.float32).reshape(-1)
        if header.flag <= 0:
            raise ValueError(
                f"ImageDetRecordIter: record id {header.id} of '{self.path_imgrec}' packs no "
                "detection label (pack it as a list of floats)."
            )
        lw = int(self.p["label_width"])
        if lw > 0 and lab.size != lw:
            raise ValueError(
                f"ImageDetRecordIter: the rec file provides {lab.size}-dimensional labels but "
                f"label_width is {lw}."
            )
        return lab

    def _read_imglist(self, path: str) -> dict[int, np.ndarray]:
        out = {}
        with open(path) as f:
            for line in f:
                parts = line.strip().split("\t")
                if len(parts) >= 3:
                    out[int(float(parts[0]))] = np.asarray(parts[1:-1], np.float32)
        return out

    def _augment(self, x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
        p, (_, dh, dw) = self.p, self.data_shape
        im = p["inter_method"]
        if p["resize"] != -1:
            r, (h, w) = int(p["resize"]), x.shape[:2]
            nh, nw = (r * h // w, r) if h > w else (r, r * w // h)
            x = _resize(x, nw, nh, _interp(im, w, h, nw, nh, rng))
        h, w = x.shape[:2]
        mode = p["resize_mode"]
        if mode == "force":
            return _resize(x, dw, dh, _interp(im, w, h, dw, dh, rng))
        if mode == "shrink" and h <= dh and w <= dw:
            return x
        # 'shrink' (only when too large) and 'fit' keep the aspect ratio (float32, truncated)
        ratio = min(np.float32(dh) / np.float32(h), np.float32(dw) / np.float32(w))
        nh, nw = int(ratio * np.float32(h)), int(ratio * np.float32(w))
        return _resize(x, nw, nh, _interp(im, w, h, nw, nh, rng))

    def _canvas(self, x: np.ndarray) -> np.ndarray:
        """'shrink'/'fit' images sit at the top left of a zero data_shape canvas, as MXNet's."""
        _, dh, dw = self.data_shape
        if x.shape[:2] == (dh, dw):
            return x
        out = np.zeros((dh, dw, x.shape[2]), x.dtype)
        out[: x.shape[0], : x.shape[1]] = x
        return out

    def _final_label(self, label: np.ndarray, x: np.ndarray) -> np.ndarray:
        row = np.full(self.label_pad_width + 4, self.p["label_pad_value"], np.float32)
        row[:4] = (x.shape[2], x.shape[0], x.shape[1], label.size)
        row[4 : 4 + label.size] = label
        return row


class ImageRecordUInt8Iter(ImageRecordIter):
    """``ImageRecordIter`` with uint8 data (no normalization); deprecated in MXNet in favour of
    ``ImageRecordIter(dtype='uint8')``."""

    _default_dtype = "uint8"


class ImageRecordInt8Iter(ImageRecordIter):
    """``ImageRecordIter`` with int8 data (``pixel - round(mean)``, saturated)."""

    _default_dtype = "int8"


class ImageRecordIter_v1(ImageRecordIter):  # noqa: N801 (MXNet's name)
    """MXNet's first ImageRecordIter; its deterministic batches are those of
    ``ImageRecordIter``."""


class ImageRecordUInt8Iter_v1(ImageRecordUInt8Iter):  # noqa: N801 (MXNet's name)
    """uint8 variant of ``ImageRecordIter_v1``."""
