"""Image kernels: decoding against MXNet's imdecode (OpenCV), kernel argument checks."""

from __future__ import annotations

import importlib.util
import io
import pathlib
import sys

import numpy as np
import pytest

from gluax import recordio
from gluax._src.data.vision import image as im
from gluax._src.engine.base import MXNetError, OperatorError

needs_pillow = pytest.mark.skipif(
    importlib.util.find_spec("PIL") is None, reason="decoding images needs Pillow"
)
FIX = pathlib.Path(__file__).parents[2] / "fixtures" / "data_recordio"


def _payloads():
    r = recordio.MXIndexedRecordIO(str(FIX / "images.idx"), str(FIX / "images.rec"), "r")
    return [recordio.unpack(r.read_idx(k))[1] for k in r.keys]


@needs_pillow
def test_decode_matches_mxnet_imdecode_color_and_gray():
    want = np.load(FIX / "data_recordio.npz")
    for k, payload in enumerate(_payloads()):
        np.testing.assert_array_equal(im.decode_numpy(payload, 1), want[f"color_{k}"])
        np.testing.assert_array_equal(im.decode_numpy(payload, 0), want[f"gray_{k}"])
        bgr = im.decode_numpy(payload, 1, to_rgb=False)
        np.testing.assert_array_equal(bgr, want[f"color_{k}"][:, :, ::-1])
    rgba = im.decode_numpy(_payloads()[3], -1)
    np.testing.assert_array_equal(rgba, want["input_3"])  # -1 keeps the alpha channel


@needs_pillow
def test_jpeg_decodes_close_to_the_encoded_image(tmp_path):
    y, x = np.mgrid[0:16, 0:16]
    img = np.stack([x * 15, y * 15, (x + y) * 7], axis=-1).astype(np.uint8)
    buf = im.encode_numpy(img, ".jpg", quality=100)
    assert buf[:2] == b"\xff\xd8"
    err = np.abs(im.decode_numpy(buf, 1).astype(int) - img)  # chroma subsampling blurs colour
    assert err.mean() < 3 and err.max() <= 16
    gray = im.decode_numpy(buf, 0)
    luma = img.astype(float) @ [0.299, 0.587, 0.114]
    assert gray.shape == (16, 16, 1) and np.abs(gray[..., 0] - luma).max() <= 3
    (tmp_path / "a.jpg").write_bytes(buf)
    np.testing.assert_array_equal(im.read_numpy(str(tmp_path / "a.jpg")), im.decode_numpy(buf))


@needs_pillow
def test_decode_and_encode_errors(tmp_path, monkeypatch):
    with pytest.raises(MXNetError, match="cannot decode the 5 bytes as an image"):
        im.decode_numpy(b"hello")
    (tmp_path / "bad.png").write_bytes(b"junk")
    with pytest.raises(MXNetError, match=r"cannot decode .* File: '.*bad.png'"):
        im.read_numpy(str(tmp_path / "bad.png"))
    with pytest.raises(FileNotFoundError, match="no such image file"):
        im.read_numpy(str(tmp_path / "none.png"))
    with pytest.raises(TypeError, match="expected a uint8 array, got dtype float32"):
        im.encode_numpy(np.zeros((2, 2, 3), np.float32))
    with pytest.raises(ValueError, match="img_fmt must be '.jpg' or '.png', got '.bmp'"):
        im.encode_numpy(np.zeros((2, 2, 3), np.uint8), ".bmp")
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="(?s)needs Pillow.*pip install pillow"):
        im.decode_numpy(io.BytesIO(b"x").getvalue())


def test_kernel_argument_errors():
    x = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(OperatorError, match=r"to_tensor: .* got shape \(4, 5\)"):
        im.to_tensor(np, x[:, :, 0])
    with pytest.raises(
        OperatorError, match=r"normalize: .* C = 1 or 3, got shape \(4, 5, 3\). Apply ToTensor"
    ):
        im.normalize(np, x)
    with pytest.raises(OperatorError, match=r"mean must have 1 or 3 values .* got \(0.1, 0.2\)"):
        im.normalize(np, np.zeros((3, 2, 2), np.float32), mean=(0.1, 0.2))
    with pytest.raises(OperatorError, match=r"resize: expected .* got shape \(4, 5\)"):
        im.resize(np, x[:, :, 0], 2)
    with pytest.raises(
        OperatorError,
        match=r"size must be a positive int or a \(width, height\) pair, got \(0, 2\)",
    ):
        im.resize(np, x, (0, 2))
    with pytest.raises(
        NotImplementedError, match=r"interpolation 5 \(unknown\) is not implemented"
    ):
        im.resize(np, x, 2, interp=5)
    with pytest.raises(
        OperatorError,
        match="window x=3, y=0, width=3, height=2 does not fit .* height 4 and width 5",
    ):
        im.crop(x, 3, 0, 3, 2)
    with pytest.raises(
        OperatorError,
        match=r"flip: expected an image of shape \(H, W, C\) with C = 1 or 3, got shape \(4, 5, 2\)",
    ):
        im.check_image("flip", (4, 5, 2))


def test_resize_keep_ratio_sizes_use_integer_arithmetic():
    assert im.resize_hw(5, 7, 3, keep_ratio=True) == (3, 4)  # 7 * 3 // 5
    assert im.resize_hw(7, 5, 3, keep_ratio=True) == (4, 3)
    assert im.resize_hw(5, 7, (9, 2)) == (2, 9) and im.resize_hw(5, 7, 4) == (4, 4)
