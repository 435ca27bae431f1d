"""mx.image against MXNet 1.9.1 (fixtures/image, made by make_image.py) and properties."""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest

import gluax as mx
from gluax import image as img

from .fixtures import FIX, META, RAW, Z


def _dec(name: str) -> mx.nd.NDArray:
    return img.imdecode(RAW[name])


def _close(got, want, tol=1e-4):
    got = got.asnumpy() if hasattr(got, "asnumpy") else np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=tol, atol=tol)


# ---- decoding ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(RAW))
def test_imdecode_matches_mxnet_exactly(name):
    buf = RAW[name]
    for flag, kw in (("1", {}), ("0", {"flag": 0}), ("bgr", {"to_rgb": False})):
        got = img.imdecode(buf, **kw)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got.asnumpy(), Z[f"decode/{name}/{flag}"])
    # numpy and NDArray buffers too
    np.testing.assert_array_equal(
        img.imdecode(np.frombuffer(buf, np.uint8)).asnumpy(), Z[f"decode/{name}/1"]
    )


def test_imread_matches_mxnet():
    np.testing.assert_array_equal(
        img.imread(os.path.join(FIX, "b.jpg")).asnumpy(), Z["imread/b.jpg"]
    )


def test_bad_images_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such.png"):
        img.imread(str(tmp_path / "no-such.png"))
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 this is not a jpeg")
    with pytest.raises(mx.MXNetError, match="cannot decode.*bad.jpg"):
        img.imread(str(bad))
    with pytest.raises(mx.MXNetError, match="cannot decode the 9 bytes"):
        img.imdecode(b"not image")
    with pytest.raises(ValueError, match="buf must be of type bytes"):
        img.imdecode("a string")


# ---- resizing ------------------------------------------------------------------------------
@pytest.mark.parametrize("interp", range(5))
@pytest.mark.parametrize("src", ["a.png", "a.jpg"])
def test_imresize_uint8_matches_mxnet(src, interp):
    x = _dec(src)
    for w, h in ((37, 23), (13, 9), (15, 10), (8, 31)):
        got = img.imresize(x, w, h, interp=interp).asnumpy().astype(int)
        want = Z[f"imresize/{src}/{interp}/{w}x{h}"].astype(int)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("interp", range(5))
def test_imresize_float_matches_mxnet(interp):
    x = _dec("a.png").astype("float32")
    _close(img.imresize(x, 9, 11, interp=interp), Z[f"imresize_f/a.png/{interp}"], 2e-4)


def test_resize_short_and_crops_match_mxnet():
    a, b = _dec("a.png"), _dec("b.jpg")
    np.testing.assert_array_equal(img.resize_short(a, 12).asnumpy(), Z["resize_short/a/12/2"])
    np.testing.assert_array_equal(
        img.resize_short(b, 10, interp=9).asnumpy(), Z["resize_short/b/10/9"]
    )
    np.testing.assert_array_equal(
        img.resize_short(b, 40, interp=9).asnumpy(), Z["resize_short/b/40/9"]
    )
    np.testing.assert_array_equal(
        img.fixed_crop(a, 3, 2, 10, 8, size=(7, 5), interp=1).asnumpy(), Z["fixed_crop/a"]
    )
    np.testing.assert_array_equal(
        img.fixed_crop(a, 3, 2, 10, 8).asnumpy(), Z["fixed_crop/a/nosize"]
    )
    out, box = img.center_crop(b, (10, 12))
    np.testing.assert_array_equal(out.asnumpy(), Z["center_crop/b"])
    assert list(box) == META["center_crop/b"]
    out, box = img.center_crop(a, (40, 40), interp=1)
    np.testing.assert_array_equal(out.asnumpy(), Z["center_crop/a/up"])
    assert list(box) == META["center_crop/a/up"]
    pairs = (((640, 480), (720, 120)), ((30, 20), (10, 40)), ((5, 5), (3, 3)))
    assert [list(img.scale_down(s, z)) for s, z in pairs] == META["scale_down"]


def test_copy_make_border_matches_mxnet():
    a = _dec("a.png")
    np.testing.assert_array_equal(
        img.copyMakeBorder(a, 1, 2, 3, 4, type=0, value=7).asnumpy(), Z["border/0/7"]
    )
    np.testing.assert_array_equal(
        img.copyMakeBorder(a, 2, 1, 0, 3, values=(1, 2, 3)).asnumpy(), Z["border/0/values"]
    )
    for t in (1, 2, 3, 4):
        np.testing.assert_array_equal(
            img.copyMakeBorder(a, 2, 3, 4, 1, type=t).asnumpy(), Z[f"border/{t}"]
        )
    got = img.copyMakeBorder(a.astype("float32"), 1, 1, 2, 2, type=16, values=(127.5, 10, 300))
    _close(got, Z["border/f/16"], 0)
    with pytest.raises(ValueError, match="type must be an OpenCV border code"):
        img.copyMakeBorder(a, 1, 1, 1, 1, type=7)


def test_color_normalize_matches_mxnet():
    af = _dec("a.png").astype("float32")[:6, :8]
    got = img.color_normalize(af, mx.nd.array([120, 110, 100]), mx.nd.array([50, 60, 70]))
    _close(got, Z["color_normalize"], 1e-5)


def test_wrong_shapes_name_the_function():
    with pytest.raises(ValueError, match=r"imresize: expected an image of shape \(H, W, C\)"):
        img.imresize(mx.nd.zeros((4, 5)), 2, 2)
    with pytest.raises(ValueError, match=r"center_crop: .*got shape \(4, 5\)"):
        img.center_crop(mx.nd.zeros((4, 5)), (2, 2))
    with pytest.raises(ValueError, match="Unknown interp method 7"):
        img.resize_short(_dec("a.png"), 4, interp=7)


# ---- seeded randomness: MXNet's call order on Python's and numpy's generators ------------------
def test_random_crops_follow_mxnet_draws():
    a = _dec("a.png")
    random.seed(3)
    out, box = img.random_crop(a, (10, 8))
    np.testing.assert_array_equal(out.asnumpy(), Z["random_crop/a"])
    assert list(box) == META["random_crop/a"]
    random.seed(4)
    out, box = img.random_size_crop(a, (8, 8), 0.3, (0.75, 1.33))
    np.testing.assert_array_equal(out.asnumpy(), Z["random_size_crop/a"])
    assert list(box) == META["random_size_crop/a"]


def _augs():
    return {
        "ResizeAug": img.ResizeAug(5, 1),
        "ForceResizeAug": img.ForceResizeAug((11, 7)),
        "RandomCropAug": img.RandomCropAug((5, 5)),
        "RandomSizedCropAug": img.RandomSizedCropAug((5, 5), 0.2, (0.5, 2.0)),
        "CenterCropAug": img.CenterCropAug((5, 4)),
        "BrightnessJitterAug": img.BrightnessJitterAug(0.4),
        "ContrastJitterAug": img.ContrastJitterAug(0.4),
        "SaturationJitterAug": img.SaturationJitterAug(0.4),
        "HueJitterAug": img.HueJitterAug(0.3),
        "ColorJitterAug": img.ColorJitterAug(0.3, 0.3, 0.3),
        "LightingAug": img.LightingAug(
            0.5,
            np.array([55.46, 4.794, 1.148]),
            np.array(
                [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.814], [-0.5836, -0.6948, 0.4203]]
            ),
        ),
        "ColorNormalizeAug": img.ColorNormalizeAug(
            mx.nd.array([100, 110, 120]), mx.nd.array([40, 50, 60])
        ),
        "RandomGrayAug": img.RandomGrayAug(0.7),
        "HorizontalFlipAug": img.HorizontalFlipAug(0.7),
        "CastAug": img.CastAug(),
    }


@pytest.mark.parametrize("name", sorted(_augs()))
def test_augmenter_matches_mxnet(name):
    aug = _augs()[name]
    af = _dec("a.png").astype("float32")[:6, :8]
    for k in range(3):
        random.seed(10 + k)
        np.random.seed(10 + k)
        _close(aug(af.copy()), Z[f"aug/{name}/{k}"], 2e-4)
    if name not in ("ColorJitterAug",):
        assert json.loads(aug.dumps()) == json.loads(META["dumps"][name])


def test_create_augmenter_pipeline_matches_mxnet():
    pipe = img.CreateAugmenter(
        (3, 12, 12),
        resize=14,
        rand_crop=True,
        rand_mirror=True,
        mean=True,
        std=True,
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.2,
        pca_noise=0.1,
        rand_gray=0.5,
    )
    assert [type(t).__name__ for t in pipe] == META["create_augmenter"]
    random.seed(7)
    np.random.seed(7)
    a = _dec("a.png")
    for k in range(4):
        _close(img.SequentialAug(pipe)(a), Z[f"pipeline/{k}"], 2e-4)
    pipe = img.CreateAugmenter((3, 10, 10), rand_crop=True, rand_resize=True, inter_method=10)
    assert [type(t).__name__ for t in pipe] == META["create_augmenter_rr"]
    random.seed(8)
    b = _dec("b.jpg")
    for k in range(3):
        x = b
        for t in pipe:
            x = t(x)
        _close(x, Z[f"pipeline_rr/{k}"], 1e-4)


def test_flip_flips_and_seeded_runs_repeat():
    a = _dec("a.png")
    np.testing.assert_array_equal(img.HorizontalFlipAug(1.0)(a).asnumpy(), a.asnumpy()[:, ::-1])
    np.testing.assert_array_equal(img.HorizontalFlipAug(0.0)(a).asnumpy(), a.asnumpy())
    pipe = img.CreateAugmenter((3, 8, 8), rand_crop=True, rand_mirror=True, brightness=0.5)
    outs = []
    for _ in range(2):
        random.seed(1)
        outs.append(img.SequentialAug(pipe)(a).asnumpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    assert outs[0].shape == (8, 8, 3) and outs[0].dtype == np.float32


def test_rand_resize_without_rand_crop_is_an_error():
    with pytest.raises(ValueError, match="rand_resize=True needs rand_crop=True"):
        img.CreateAugmenter((3, 8, 8), rand_resize=True)
    with pytest.raises(ValueError, match="mean must be True, None, or an array"):
        img.CreateAugmenter((3, 8, 8), mean=[1, 2])


def test_imrotate_matches_mxnet():
    x = mx.nd.array(np.arange(2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6))
    _close(img.imrotate(x, 90), Z["imrotate/90"], 1e-4)
    _close(img.imrotate(x, 30, zoom_in=True), Z["imrotate/30/in"], 1e-4)
    batch = mx.nd.array(np.stack([x.asnumpy()] * 2))
    _close(
        img.imrotate(batch, mx.nd.array([10, -45]), zoom_out=True), Z["imrotate/batch/out"], 1e-4
    )
    with pytest.raises(TypeError, match="only float32"):
        img.imrotate(x.astype("uint8"), 90)
    with pytest.raises(ValueError, match="cannot be both True"):
        img.imrotate(x, 90, zoom_in=True, zoom_out=True)


def test_out_argument_is_filled_and_returned():
    out = mx.nd.zeros((20, 30, 3), dtype="uint8")
    assert img.imdecode(RAW["a.png"], out=out) is out
    np.testing.assert_array_equal(out.asnumpy(), Z["decode/a.png/1"])
    small = mx.nd.zeros((9, 13, 3), dtype="uint8")
    img.imresize(out, 13, 9, interp=1, out=small)
    np.testing.assert_array_equal(small.asnumpy(), Z["imresize/a.png/1/13x9"])
