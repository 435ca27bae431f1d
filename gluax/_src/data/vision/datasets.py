"""``gluon.data.vision`` datasets: MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageRecordDataset,
ImageFolderDataset, ImageListDataset.

Nothing is downloaded. The data sets are read from the files MXNet itself downloads (the same
names, in ``$MXNET_HOME/datasets/<name>``, default ``~/.mxnet/datasets/<name>``, or ``root``);
a missing file raises ``FileNotFoundError`` naming the folder and the files expected there.
Samples have MXNet's types: images are HWC uint8 NDArrays, MNIST/CIFAR labels numpy int32.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tarfile
import warnings
from typing import Any, Callable

import numpy as np

from gluax._src.data.dataset import Dataset, RecordFileDataset, as_item, known_transform
from gluax._src.data.recordio import unpack
from gluax._src.data.vision.image import decode_numpy, read_numpy
from gluax._src.engine.serialization import FileFormatError, reading

# SHA-1 digests of the standard files, as MXNet 1.9.1 lists them for its downloads (the .gz
# files for MNIST and Fashion-MNIST, the extracted binary batches for CIFAR). A file with one
# of these names that claims the standard size (the shape in its header, the CIFAR batch
# size) is checked against its digest; smaller files of the same format are read unchecked.
KNOWN_SHA1 = {
    "MNIST": {
        "train-images-idx3-ubyte.gz": "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d",
        "train-labels-idx1-ubyte.gz": "2a80914081dc54586dbdf242f9805a6b8d2a15fc",
        "t10k-images-idx3-ubyte.gz": "c3a25af1f52dad7f726cce8cacb138654b760d48",
        "t10k-labels-idx1-ubyte.gz": "763e7fa3757d93b0cdec073cef058b2004252c17",
    },
    "FashionMNIST": {
        "train-images-idx3-ubyte.gz": "0cf37b0d40ed5169c6b3aba31069a9770ac9043d",
        "train-labels-idx1-ubyte.gz": "236021d52f1e40852b06a4c3008d8de8aef1e40b",
        "t10k-images-idx3-ubyte.gz": "626ed6a7c06dd17c0eec72fa3be1740f146a2863",
        "t10k-labels-idx1-ubyte.gz": "17f9ab60e7257a1620f4ad76bbbaf857c3920701",
    },
    "CIFAR10": {
        "data_batch_1.bin": "aadd24acce27caa71bf4b10992e9e7b2d74c2540",
        "data_batch_2.bin": "c0ba65cce70568cd57b4e03e9ac8d2a5367c1795",
        "data_batch_3.bin": "1dd00a74ab1d17a6e7d73e185b69dbf31242f295",
        "data_batch_4.bin": "aab85764eb3584312d3c7f65fd2fd016e36a258e",
        "data_batch_5.bin": "26e2849e66a845b7f1e4614ae70f4889ae604628",
        "test_batch.bin": "67eb016db431130d61cd03c7ad570b013799c88c",
    },
    "CIFAR100": {
        "train.bin": "e207cd2e05b73b1393c74c7f5e7bea451d63e08e",
        "test.bin": "8fb6623e830365ff53cf14adec797474f5478006",
    },
}
# The header shapes (MNIST) and byte sizes (CIFAR) of the standard files.
_STANDARD_MNIST = {
    "train-images-idx3-ubyte.gz": (60000, 28, 28),
    "train-labels-idx1-ubyte.gz": (60000,),
    "t10k-images-idx3-ubyte.gz": (10000, 28, 28),
    "t10k-labels-idx1-ubyte.gz": (10000,),
}
_STANDARD_CIFAR = {"train.bin": 50000 * 3074, "test.bin": 10000 * 3074}
_MAX_IDX_VALUES = 1 << 31


def _check_sha1(dataset: str, path: str) -> None:
    """Compare ``path`` with MXNet's known SHA-1 of the file of that name."""
    want = KNOWN_SHA1[dataset][os.path.basename(path)]
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != want:
        raise FileFormatError(
            dataset, path, "whole file",
            f"SHA-1 {want} (MXNet's digest of the standard file of this name)", h.hexdigest(),
            "the file is corrupt or not the standard one; copy it again",
        )  # fmt: skip


def _check_gzip(path: str, reader: str) -> None:
    """Read the whole gzip stream of ``path``, which checks its CRC-32 and length: a
    corrupt archive raises instead of yielding different bytes."""
    with reading(reader, path, "an intact gzip file (its CRC-32 and length checked)"):
        with gzip.open(path, "rb") as f:
            while f.read(1 << 22):
                pass


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


def _read_idx(path: str, magic: int, ndim: int, dataset: str = "MNIST") -> np.ndarray:
    """An IDX file (MNIST's format): big-endian magic and dims, then uint8 values. Gzipped
    files are read to the end of the stream, so their CRC is checked."""
    with reading(dataset, path, f"an IDX file of {ndim}-D uint8 data"):
        with _open_maybe_gz(path) as f:
            head = f.read(4 + 4 * ndim)
            if len(head) < 4 + 4 * ndim:
                raise FileFormatError(
                    dataset, path, "offset 0 (header)", f"{4 + 4 * ndim} bytes", len(head)
                )
            got, *dims = struct.unpack(f">{1 + ndim}I", head)
            if got != magic:
                raise FileFormatError(
                    dataset, path, "offset 0 (magic number)", f"{magic:#x}", f"{got:#x}",
                    f"it is not an IDX file of {ndim}-D uint8 data",
                )  # fmt: skip
            n = int(np.prod(dims, dtype=object))
            if n > _MAX_IDX_VALUES:
                raise FileFormatError(
                    dataset, path, "offset 4 (dimensions)", f"at most {_MAX_IDX_VALUES} values",
                    f"{dims}",
                )  # fmt: skip
            payload = f.read(n)
            extra = f.read(1)  # reaches the end of a gzip stream: its CRC is checked
    if len(payload) != n or extra:
        have = f"{len(payload)}" if not extra else "more"
        raise FileFormatError(
            dataset, path, f"offset {4 + 4 * ndim} (data)",
            f"{n} values as the header promises ({dims})", have,
        )  # fmt: skip
    name = os.path.basename(path)
    if name in KNOWN_SHA1.get(dataset, {}) and tuple(dims) == _STANDARD_MNIST.get(name):
        _check_sha1(dataset, path)
    return np.frombuffer(payload, dtype=np.uint8).reshape(dims)


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
        images = _read_idx(paths[0], 2051, 3, self._name)
        labels = _read_idx(paths[1], 2049, 1, self._name)
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


def _extract(archive: str, root: str, reader: str) -> None:
    _check_gzip(archive, reader)  # tarfile stops before the gzip trailer: check it first
    with reading(reader, archive, "a tar.gz archive of the data set"):
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
            raise FileFormatError(
                self._name, path, "whole file", f"a multiple of the {width}-byte record",
                f"{raw.size} bytes", "it is not a CIFAR binary batch",
            )  # fmt: skip
        name = os.path.basename(path)
        if name in KNOWN_SHA1.get(self._name, {}) and raw.size == _STANDARD_CIFAR.get(
            name, 10000 * 3073
        ):
            _check_sha1(self._name, path)
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
            _extract(archive, self._root, self._name)
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
