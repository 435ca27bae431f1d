"""``gluon.data.vision`` datasets: MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageRecordDataset,
ImageFolderDataset, ImageListDataset.

Nothing is downloaded. The data sets are read from the files MXNet itself downloads (the same
names, in ``$MXNET_HOME/datasets/<name>``, default ``~/.mxnet/datasets/<name>``, or ``root``);
a missing file raises ``FileNotFoundError`` naming the folder and the files expected there.
Samples have MXNet's types: images are HWC uint8 NDArrays, MNIST/CIFAR labels numpy int32.
"""

from __future__ import annotations

import gzip
import os
import struct
import tarfile
import warnings
from typing import Any, Callable

import numpy as np

from gluax._src.data.dataset import Dataset, RecordFileDataset, as_item, known_transform
from gluax._src.data.recordio import unpack
from gluax._src.data.vision.image import decode_numpy, read_numpy


def data_dir() -> str:
    """MXNet's data folder: ``$MXNET_HOME``, default ``~/.mxnet``."""
    return os.environ.get("MXNET_HOME", os.path.join(os.path.expanduser("~"), ".mxnet"))


def _missing(name: str, root: str, files: list[str]) -> FileNotFoundError:
    where = f"'{root}'" if os.path.isdir(root) else f"'{root}' (the folder does not exist)"
    return FileNotFoundError(
        f"{name}: cannot find {', '.join(files)} in {where}. gluax does not download data "
        f"sets: copy the files there (MXNet keeps them in ~/.mxnet/datasets/), or pass "
        f"root=<folder with the files>."
    )


class _DownloadedDataset(Dataset):
    """A data set held in memory: ``_data`` (numpy images) and ``_label``."""

    def __init__(self, root: str, transform: Callable[..., Any] | None) -> None:
        self._transform = transform
        self._root = os.path.expanduser(root)
        self._data: np.ndarray
        self._label: np.ndarray
        self._get_data()

    def __getitem__(self, idx: int) -> Any:
        img, label = as_item(self._data[idx]), self._label[idx]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self) -> int:
        return len(self._label)

    def _numpy_safe(self) -> bool:
        return self._transform is None or known_transform(self._transform)

    def _get_data(self) -> None:
        raise NotImplementedError


def _open_maybe_gz(path: str) -> Any:
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _read_idx(path: str, magic: int, ndim: int) -> np.ndarray:
    """An IDX file (MNIST's format): big-endian magic and dims, then uint8 values."""
    with _open_maybe_gz(path) as f:
        head = f.read(4 + 4 * ndim)
        if len(head) < 4 + 4 * ndim:
            raise ValueError(f"IDX file '{path}' is too short for its header.")
        got, *dims = struct.unpack(f">{1 + ndim}I", head)
        if got != magic:
            raise ValueError(
                f"'{path}' is not an IDX file of {ndim}-D uint8 data: magic number {got:#x}, "
                f"expected {magic:#x}."
            )
        data = np.frombuffer(f.read(), dtype=np.uint8)
    n = int(np.prod(dims))
    if data.size != n:
        raise ValueError(
            f"IDX file '{path}': the header promises {n} values ({dims}), the file has {data.size}."
        )
    return data.reshape(dims)


class MNIST(_DownloadedDataset):
    """MNIST handwritten digits: samples ``(image, label)``, image a uint8 NDArray of shape
    (28, 28, 1), label a numpy int32.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/mnist
        Folder with ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz`` (gzipped or not, with or
        without the ``.gz`` suffix).
    train : bool, default True
        The training set, else the test set.
    transform : callable, optional
        Called as ``transform(data, label)``; returns the sample.

    Notes
    -----
    Nothing is downloaded; a missing file raises ``FileNotFoundError``.
    """

    _name = "MNIST"
    _files = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "mnist"),
        train: bool = True,
        transform: Callable[..., Any] | None = None,
    ) -> None:
        self._train = train
        super().__init__(root, transform)

    def _find(self, base: str) -> str | None:
        for name in (base + ".gz", base):
            path = os.path.join(self._root, name)
            if os.path.isfile(path):
                return path
        return None

    def _get_data(self) -> None:
        names = self._files[bool(self._train)]
        paths = [self._find(n) for n in names]
        if None in paths:
            raise _missing(self._name, self._root, [n + ".gz" for n in names])
        images = _read_idx(paths[0], 2051, 3)
        labels = _read_idx(paths[1], 2049, 1)
        if len(images) != len(labels):
            raise ValueError(
                f"{self._name}: {paths[0]} holds {len(images)} images but {paths[1]} holds "
                f"{len(labels)} labels."
            )
        self._data = images[:, :, :, None]
        self._label = labels.astype(np.int32)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST, a drop-in replacement for MNIST (same files and format).

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/fashion-mnist
    train : bool, default True
    transform : callable, optional
    """

    _name = "FashionMNIST"

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "fashion-mnist"),
        train: bool = True,
        transform: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(root, train, transform)


def _extract(archive: str, root: str) -> None:
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(root, filter="data")
        else:  # Python without extraction filters
            tar.extractall(root)


class CIFAR10(_DownloadedDataset):
    """CIFAR-10: samples ``(image, label)``, image a uint8 NDArray of shape (32, 32, 3),
    label a numpy int32.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/cifar10
        Folder with the binary batches ``data_batch_1.bin`` .. ``data_batch_5.bin`` and
        ``test_batch.bin`` (also found in a ``cifar-10-batches-bin`` sub-folder), or with
        ``cifar-10-binary.tar.gz``, which is then extracted there.
    train : bool, default True
    transform : callable, optional
        Called as ``transform(data, label)``.
    """

    _name = "CIFAR10"
    _archive = "cifar-10-binary.tar.gz"
    _subdir = "cifar-10-batches-bin"
    _train_files = [f"data_batch_{i}.bin" for i in range(1, 6)]
    _test_files = ["test_batch.bin"]
    _label_bytes = 1

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "cifar10"),
        train: bool = True,
        transform: Callable[..., Any] | None = None,
    ) -> None:
        self._train = train
        super().__init__(root, transform)

    def _folder(self, names: list[str]) -> str | None:
        for folder in (self._root, os.path.join(self._root, self._subdir)):
            if all(os.path.isfile(os.path.join(folder, n)) for n in names):
                return folder
        return None

    def _read_batch(self, path: str) -> tuple[np.ndarray, np.ndarray]:
        width = 3072 + self._label_bytes
        with open(path, "rb") as f:
            raw = np.frombuffer(f.read(), dtype=np.uint8)
        if raw.size % width:
            raise ValueError(
                f"{self._name}: '{path}' is not a CIFAR binary batch: its size {raw.size} is "
                f"not a multiple of the {width}-byte record."
            )
        raw = raw.reshape(-1, width)
        images = raw[:, self._label_bytes :].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, raw[:, self._label_column()].astype(np.int32)

    def _label_column(self) -> int:
        return 0

    def _get_data(self) -> None:
        names = self._train_files if self._train else self._test_files
        folder = self._folder(names)
        archive = os.path.join(self._root, self._archive)
        if folder is None and os.path.isfile(archive):
            _extract(archive, self._root)
            folder = self._folder(names)
        if folder is None:
            raise _missing(self._name, self._root, names + [f"(or {self._archive})"])
        parts = [self._read_batch(os.path.join(folder, n)) for n in names]
        self._data = np.ascontiguousarray(np.concatenate([p[0] for p in parts]))
        self._label = np.concatenate([p[1] for p in parts])


class CIFAR100(CIFAR10):
    """CIFAR-100: samples ``(image, label)`` as CIFAR10; the label is the coarse class (20
    super-classes) unless ``fine_label``.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/cifar100
        Folder with ``train.bin`` and ``test.bin`` (also in a ``cifar-100-binary`` sub-folder),
        or with ``cifar-100-binary.tar.gz``.
    fine_label : bool, default False
        The 100 fine classes instead of the 20 coarse ones.
    train : bool, default True
    transform : callable, optional
    """

    _name = "CIFAR100"
    _archive = "cifar-100-binary.tar.gz"
    _subdir = "cifar-100-binary"
    _train_files = ["train.bin"]
    _test_files = ["test.bin"]
    _label_bytes = 2

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "cifar100"),
        fine_label: bool = False,
        train: bool = True,
        transform: Callable[..., Any] | None = None,
    ) -> None:
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self) -> int:
        return 1 if self._fine_label else 0


class ImageRecordDataset(RecordFileDataset):
    """Images and labels packed in a RecordIO file (``im2rec``): samples ``(image, label)``,
    image an HWC uint8 NDArray, label the record header's label (a float, or a float32 array
    for multi-label records). Decoding needs Pillow.

    Parameters
    ----------
    filename : str
        The ``.rec`` file (its ``.idx`` must be next to it).
    flag : {0, 1}, default 1
        0: grayscale (1 channel); 1: RGB.
    transform : callable, optional
        Called as ``transform(data, label)``.
    """

    def __init__(
        self, filename: str, flag: int = 1, transform: Callable[..., Any] | None = None
    ) -> None:
        super().__init__(filename)
        self._flag, self._transform = flag, transform

    def __getitem__(self, idx: int) -> Any:
        header, img = unpack(super().__getitem__(idx))
        data = as_item(decode_numpy(img, self._flag))
        if self._transform is not None:
            return self._transform(data, header.label)
        return data, header.label

    def _numpy_safe(self) -> bool:
        return self._transform is None or known_transform(self._transform)


IMAGE_EXTS = (".jpg", ".jpeg", ".png")


class ImageFolderDataset(Dataset):
    """Images in one sub-folder per class (``root/car/0001.jpg``, ``root/bus/123.jpg``...):
    samples ``(image, label)``, label the index of the folder in sorted order. Decoding needs
    Pillow.

    Parameters
    ----------
    root : str
        The folder holding the class folders.
    flag : {0, 1}, default 1
        0: grayscale (1 channel); 1: RGB.
    transform : callable, optional
        Called as ``transform(data, label)``.

    Attributes
    ----------
    synsets : list of str
        Class names; ``synsets[i]`` is the name of label ``i``.
    items : list of (str, int)
        Every image as (file name, label).
    """

    def __init__(
        self, root: str, flag: int = 1, transform: Callable[..., Any] | None = None
    ) -> None:
        self._root = os.path.expanduser(root)
        self._flag, self._transform = flag, transform
        self._exts = list(IMAGE_EXTS)
        self._list_images(self._root)

    def _list_images(self, root: str) -> None:
        if not os.path.isdir(root):
            raise FileNotFoundError(
                f"ImageFolderDataset: no folder '{root}' (expected one sub-folder of images "
                "per class)."
            )
        self.synsets: list[str] = []
        self.items: list[tuple[str, int]] = []
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn(f"Ignoring {path}, which is not a directory.", stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn(
                        f"Ignoring {filename} of type {ext}. Only support {', '.join(self._exts)}",
                        stacklevel=3,
                    )
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx: int) -> Any:
        filename, label = self.items[idx]
        img = as_item(read_numpy(filename, self._flag))
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self) -> int:
        return len(self.items)

    def _numpy_safe(self) -> bool:
        return self._transform is None or known_transform(self._transform)


class ImageListDataset(Dataset):
    """Images listed in a ``.lst`` file (``index<TAB>label(s)<TAB>path`` per line, as
    ``im2rec`` writes) or in a list of ``[label(s)..., path]`` entries: samples ``(image,
    label)``, label a float32 NDArray of the entry's labels. Decoding needs Pillow.

    Parameters
    ----------
    root : str, default '.'
        Folder the image paths (and the list file) are relative to.
    imglist : str or list
        The list file's name, or the entries.
    flag : {0, 1}, default 1
        0: grayscale (1 channel); 1: RGB.

    Notes
    -----
    MXNet 2.0's dataset; MXNet 1.9 has no ImageListDataset.
    """

    def __init__(self, root: str = ".", imglist: Any = None, flag: int = 1) -> None:
        self._root = os.path.expanduser(root)
        self._flag = flag
        self.items: list[tuple[str, np.ndarray]] = []
        if isinstance(imglist, str):
            fname = os.path.join(self._root, imglist)
            try:
                with open(fname) as f:
                    lines = [ln for ln in f.read().splitlines() if ln.strip()]
            except FileNotFoundError:
                raise FileNotFoundError(f"ImageListDataset: no list file '{fname}'.") from None
            for n, line in enumerate(lines, 1):
                fields = line.strip().split("\t")
                if len(fields) < 3:
                    raise ValueError(
                        f"ImageListDataset: '{fname}' line {n}: expected "
                        f"'index<TAB>label(s)<TAB>path', got {line!r}."
                    )
                label = np.array([float(v) for v in fields[1:-1]], np.float32)
                self.items.append((os.path.join(self._root, fields[-1]), label))
        elif isinstance(imglist, list):
            for n, entry in enumerate(imglist):
                if not isinstance(entry[-1], str):
                    raise TypeError(
                        f"ImageListDataset: entry {n} must end with the image path (a str), "
                        f"got {entry!r}."
                    )
                labels = entry[:-1] if len(entry) > 2 else entry[0]
                label = np.atleast_1d(np.asarray(labels, np.float32)).reshape(-1)
                self.items.append((os.path.join(self._root, entry[-1]), label))
        else:
            raise ValueError(
                f"ImageListDataset: imglist must be a list file name or a list of entries, got "
                f"{type(imglist).__name__}."
            )

    def __getitem__(self, idx: int) -> Any:
        filename, label = self.items[idx]
        return as_item(read_numpy(filename, self._flag)), as_item(label)

    def __len__(self) -> int:
        return len(self.items)

    def _numpy_safe(self) -> bool:
        return True
