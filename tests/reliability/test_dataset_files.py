"""Issue 21 item 4: data set files are verified: the gzip CRC always (also of CIFAR's
``tar.gz``, which ``tarfile`` stops reading before the trailer), and MXNet's SHA-1 digests of
the standard MNIST, Fashion-MNIST and CIFAR files when a file is one of those."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile

import numpy as np
import pytest

from gluax._src.data.vision.datasets import KNOWN_SHA1
from gluax._src.engine.serialization import FileFormatError
from gluax.gluon.data.vision import CIFAR10, MNIST, FashionMNIST


def _cifar_archive(path, records=3):
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 255, size=(records, 3073), dtype=np.uint8)
    raw[:, 0] %= 10
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-bin/test_batch.bin")
        info.size = raw.size
        tar.addfile(info, io.BytesIO(raw.tobytes()))
    return raw


def test_cifar_archive_crc_is_checked(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    raw = _cifar_archive(good / "cifar-10-binary.tar.gz")
    ds = CIFAR10(root=str(good), train=False)
    np.testing.assert_array_equal(ds._label, raw[:, 0].astype(np.int32))
    buf = bytearray((good / "cifar-10-binary.tar.gz").read_bytes())
    bad = tmp_path / "bad"
    bad.mkdir()
    buf[-8] ^= 0x01  # the CRC-32 in the gzip trailer; tarfile alone never reads it
    (bad / "cifar-10-binary.tar.gz").write_bytes(bytes(buf))
    with pytest.raises(FileFormatError, match=r"CIFAR10: '.*cifar-10-binary.tar.gz': content: expected an intact gzip file .*CRC"):
        CIFAR10(root=str(bad), train=False)
    assert not (bad / "cifar-10-batches-bin").exists()


def test_mnist_gzip_crc_is_checked(tmp_path):
    labels = b"\0\0\x08\x01" + struct.pack(">I", 3) + bytes([1, 2, 3])
    images = b"\0\0\x08\x03" + struct.pack(">III", 3, 28, 28) + bytes(3 * 784)
    for name, data in (("t10k-images-idx3-ubyte.gz", images), ("t10k-labels-idx1-ubyte.gz", labels)):
        (tmp_path / name).write_bytes(gzip.compress(data))
    assert MNIST(root=str(tmp_path), train=False)._label.tolist() == [1, 2, 3]
    buf = bytearray((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes())
    buf[-6] ^= 0x40
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(buf))
    with pytest.raises(FileFormatError, match=r"MNIST: '.*t10k-labels-idx1-ubyte.gz': content: .*CRC"):
        MNIST(root=str(tmp_path), train=False)


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_standard_mnist_files_are_checked_against_mxnet_digests(tmp_path, cls):
    labels = b"\0\0\x08\x01" + struct.pack(">I", 10000) + bytes(10000)  # the standard shape
    images = b"\0\0\x08\x03" + struct.pack(">III", 10000, 28, 28) + bytes(10000 * 784)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(images, 1))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels, 1))
    want = KNOWN_SHA1[cls.__name__]["t10k-images-idx3-ubyte.gz"]
    with pytest.raises(FileFormatError, match=rf"{cls.__name__}: '.*t10k-images-idx3-ubyte.gz': whole file: expected SHA-1 {want}"):
        cls(root=str(tmp_path), train=False)


def test_standard_cifar_batch_is_checked_against_mxnet_digest(tmp_path):
    (tmp_path / "test_batch.bin").write_bytes(bytes(10000 * 3073))
    with pytest.raises(FileFormatError, match=r"test_batch.bin': whole file: expected SHA-1 67eb016db431130d61cd03c7ad570b013799c88c"):
        CIFAR10(root=str(tmp_path), train=False)


def test_digests_are_mxnets():
    # spot checks against MXNet 1.9.1's gluon/data/vision/datasets.py
    assert KNOWN_SHA1["MNIST"]["train-images-idx3-ubyte.gz"] == "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d"
    assert KNOWN_SHA1["CIFAR100"]["train.bin"] == "e207cd2e05b73b1393c74c7f5e7bea451d63e08e"
    assert sum(len(v) for v in KNOWN_SHA1.values()) == 16
