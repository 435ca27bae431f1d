"""Vision datasets read from local files in the real formats, against what MXNet 1.9.1 returned
for the same files (fixtures data_vision and data_recordio)."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import pathlib
import shutil
import tarfile

import numpy as np
import pytest

import gluax as mx
from gluax.gluon.data import DataLoader
from gluax.gluon.data.vision import (
    CIFAR10,
    CIFAR100,
    MNIST,
    FashionMNIST,
    ImageFolderDataset,
    ImageListDataset,
    ImageRecordDataset,
    transforms,
)

needs_pillow = pytest.mark.skipif(
    importlib.util.find_spec("PIL") is None, reason="decoding images needs Pillow"
)
FIX = pathlib.Path(__file__).parents[2] / "fixtures"
VISION = FIX / "data_vision"
INFO = json.loads((VISION / "data_vision.json").read_text())


def _check(ds, want):
    assert len(ds) == want["len"]
    x, y = ds[0]
    assert type(x).__name__ == want["data_type"] and np.dtype(x.dtype).name == want["data_dtype"]
    assert list(x.shape) == want["data_shape"]
    assert type(y).__name__ == want["label_type"]
    assert [int(ds[i][1]) for i in range(len(ds))] == want["labels"]
    stacked = np.stack([ds[i][0].asnumpy() for i in range(len(ds))])
    assert hashlib.sha1(stacked.tobytes()).hexdigest() == want["images_sha1"]


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_gzipped_and_plain_idx_files(tmp_path, cls):
    for train in (True, False):
        _check(cls(root=str(VISION / "mnist"), train=train), INFO[f"mnist_{train}"])
    for f in (VISION / "mnist").iterdir():  # the same files decompressed, without .gz
        (tmp_path / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes()))
    _check(cls(root=str(tmp_path), train=False), INFO["mnist_False"])


def test_cifar10_from_the_archive_and_from_bin_files(tmp_path):
    shutil.copy(VISION / "cifar10" / "cifar-10-binary.tar.gz", tmp_path)
    for train in (True, False):
        _check(CIFAR10(root=str(tmp_path), train=train), INFO[f"cifar10_{train}"])
    assert (tmp_path / "cifar-10-batches-bin" / "test_batch.bin").is_file()
    flat = tmp_path / "flat"
    shutil.copytree(tmp_path / "cifar-10-batches-bin", flat)
    _check(CIFAR10(root=str(flat), train=True), INFO["cifar10_True"])


def test_cifar100_coarse_and_fine_labels(tmp_path):
    with tarfile.open(VISION / "cifar100" / "cifar-100-binary.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    root = str(tmp_path / "cifar-100-binary")
    for train in (True, False):
        _check(CIFAR100(root=root, train=train), INFO[f"cifar100_coarse_{train}"])
        _check(CIFAR100(root=root, fine_label=True, train=train), INFO[f"cifar100_fine_{train}"])


def test_cifar_images_are_the_chw_bytes_transposed(tmp_path):
    rng = np.random.default_rng(0)
    recs = rng.integers(0, 256, (2, 3073), dtype=np.uint8)
    (tmp_path / "test_batch.bin").write_bytes(recs.tobytes())
    ds = CIFAR10(root=str(tmp_path), train=False)
    np.testing.assert_array_equal(
        ds[1][0].asnumpy(), recs[1, 1:].reshape(3, 32, 32).transpose(1, 2, 0)
    )
    assert ds[1][1] == recs[1, 0] and ds[1][1].dtype == np.int32


def test_transform_argument_and_dataloader_batches():
    ds = MNIST(
        root=str(VISION / "mnist"), transform=lambda x, y: (x.astype("float32") / 255, y + 1)
    )
    x, y = ds[1]
    assert np.dtype(x.dtype) == np.float32 and y == INFO["mnist_True"]["labels"][1] + 1
    t = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.13, 0.31)])
    loader = DataLoader(MNIST(root=str(VISION / "mnist")).transform_first(t), batch_size=2)
    assert loader._use_numpy
    data, label = next(iter(loader))
    assert data.shape == (2, 1, 28, 28) and np.dtype(label.dtype) == np.int32
    raw = MNIST(root=str(VISION / "mnist"))[0][0].asnumpy()
    np.testing.assert_allclose(
        data.asnumpy()[0, 0], (raw[:, :, 0] / np.float32(255) - 0.13) / 0.31, rtol=1e-6
    )


def test_missing_files_name_the_folder_and_the_files(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"MNIST: cannot find t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz in '.*nowhere' \(the folder does not exist\). gluax does not download",
    ):
        MNIST(root=str(tmp_path / "nowhere"), train=False)
    with pytest.raises(
        FileNotFoundError,
        match=r"CIFAR10: cannot find data_batch_1.bin.*\(or cifar-10-binary.tar.gz\) in '.*'",
    ):
        CIFAR10(root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="CIFAR100: cannot find train.bin"):
        CIFAR100(root=str(tmp_path))


def test_corrupt_files_are_value_errors(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"\0\0\x08\x01" + b"\0" * 12)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\0\0\x08\x01\0\0\0\x01" + b"\0")
    with pytest.raises(ValueError, match=r"\(magic number\): expected 0x803, got 0x801"):
        MNIST(root=str(tmp_path), train=False)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(
        b"\0\0\x08\x03\0\0\0\x02\0\0\0\x01\0\0\0\x01" + b"\0" * 2
    )
    with pytest.raises(ValueError, match="holds 2 images but .* holds 1 labels"):
        MNIST(root=str(tmp_path), train=False)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(
        b"\0\0\x08\x03\0\0\0\x02\0\0\0\x01\0\0\0\x01" + b"\0"
    )
    with pytest.raises(ValueError, match=r"expected 2 values as the header promises \(\[2, 1, 1\]\), got 1"):
        MNIST(root=str(tmp_path), train=False)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"\0\0\x08\x03")
    with pytest.raises(ValueError, match=r"\(header\): expected 16 bytes, got 4"):
        MNIST(root=str(tmp_path), train=False)
    (tmp_path / "test_batch.bin").write_bytes(b"\0" * 3000)
    with pytest.raises(ValueError, match="expected a multiple of the 3073-byte record, got 3000 bytes"):
        CIFAR10(root=str(tmp_path), train=False)


@needs_pillow
def test_image_folder_matches_mxnet_and_warns_on_other_files(tmp_path):
    want = INFO["folder"]
    shutil.copytree(VISION / "folder", tmp_path / "f")
    (tmp_path / "f" / "readme.md").write_text("x")
    arrays = np.load(VISION / "data_vision.npz")
    with pytest.warns(UserWarning) as record:
        ds = ImageFolderDataset(str(tmp_path / "f"))
    messages = [str(w.message) for w in record]
    assert any("readme.md, which is not a directory" in m for m in messages)
    assert any("notes.txt of type .txt. Only support .jpg, .jpeg, .png" in m for m in messages)
    assert ds.synsets == want["synsets"]
    assert [[str(pathlib.Path(p).relative_to(tmp_path / "f")), lab] for p, lab in ds.items] == want[
        "items"
    ]
    with pytest.warns(UserWarning):
        gray = ImageFolderDataset(str(tmp_path / "f"), flag=0)
    for i in range(len(ds)):
        x, y = ds[i]
        assert type(x).__name__ == want["data_type"] and type(y).__name__ == want["label_type"]
        np.testing.assert_array_equal(x.asnumpy(), arrays[f"folder_{i}"])
        np.testing.assert_array_equal(gray[i][0].asnumpy(), arrays[f"folder_gray_{i}"])
    with pytest.raises(FileNotFoundError, match="no folder '.*missing'"):
        ImageFolderDataset(str(tmp_path / "missing"))


@needs_pillow
def test_image_list_from_lst_file_and_from_entries():
    arrays = np.load(VISION / "data_vision.npz")
    with pytest.warns(UserWarning):
        items = ImageFolderDataset(str(VISION / "folder")).items
    ds = ImageListDataset(root=str(VISION), imglist="images.lst")
    assert len(ds) == 4
    for i in range(4):
        x, label = ds[i]
        order = [str(pathlib.Path(p).relative_to(VISION / "folder")) for p, _ in items]
        rel = (VISION / ds.items[i][0]).relative_to(VISION / "folder")
        np.testing.assert_array_equal(x.asnumpy(), arrays[f"folder_{order.index(str(rel))}"])
        assert label.asnumpy().tolist() == [i % 2, 0.5 * i] and np.dtype(label.dtype) == np.float32
    entries = ImageListDataset(
        root=str(VISION / "folder"),
        imglist=[[1, "ant/img0.png"], [2.0, 3.0, "dog/img0.png"]],
        flag=0,
    )
    assert entries[0][0].shape == (2, 4, 1) and entries[1][1].asnumpy().tolist() == [2.0, 3.0]


def test_image_list_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no list file '.*none.lst'"):
        ImageListDataset(str(tmp_path), "none.lst")
    (tmp_path / "bad.lst").write_text("0\tpath.png\n")
    with pytest.raises(
        ValueError, match=r"bad.lst' line 1: expected 'index<TAB>label\(s\)<TAB>path'"
    ):
        ImageListDataset(str(tmp_path), "bad.lst")
    with pytest.raises(TypeError, match="entry 0 must end with the image path"):
        ImageListDataset(str(tmp_path), [[1, 2]])
    with pytest.raises(
        ValueError, match="imglist must be a list file name or a list of entries, got NoneType"
    ):
        ImageListDataset(str(tmp_path))


@needs_pillow
def test_image_record_dataset_matches_mxnet():
    info = json.loads((FIX / "data_recordio" / "data_recordio.json").read_text())
    arrays = np.load(FIX / "data_recordio" / "data_recordio.npz")
    ds = ImageRecordDataset(str(FIX / "data_recordio" / "images.rec"))
    assert len(ds) == info["dataset_len"]
    x, y = ds[2]
    assert [
        type(x).__name__,
        np.dtype(x.dtype).name,
        list(x.shape),
        type(y).__name__,
        str(y.dtype),
    ] == info["sample_types"]
    assert type(ds[0][1]).__name__ == info["scalar_label_type"]
    for i, h in enumerate(info["headers"]):
        np.testing.assert_array_equal(ds[i][0].asnumpy(), arrays[f"color_{i}"])
        label = ds[i][1]
        assert (label.tolist() if isinstance(label, np.ndarray) else label) == h["label"]
    gray = ImageRecordDataset(
        str(FIX / "data_recordio" / "images.rec"), flag=0, transform=lambda x, y: (x, y)
    )
    np.testing.assert_array_equal(gray[0][0].asnumpy(), arrays["gray_0"])
    assert isinstance(ds[0][0], mx.nd.NDArray)
