"""ImageIter and ImageDetIter batches against MXNet 1.9.1 (fixtures/image)."""

from __future__ import annotations

import random

import numpy as np
import pytest

import gluax as mx
from gluax import image as img

from .fixtures import FIX, META, RAW, Z, path

LIST = [(0, "a.png"), (1, "a.jpg"), (2, "b.jpg"), (3, "c.png"), (4, "b.jpg")]
ITERS = {
    "rec_pad": dict(path_imgrec=path("cls.rec"), path_imgidx=path("cls.idx"), resize=10),
    "rec_noidx": dict(path_imgrec=path("cls.rec"), resize=10, inter_method=1),
    "rec_discard": dict(
        path_imgrec=path("cls.rec"),
        path_imgidx=path("cls.idx"),
        last_batch_handle="discard",
        mean=True,
        std=True,
    ),
    "rec_roll": dict(
        path_imgrec=path("cls.rec"), path_imgidx=path("cls.idx"), last_batch_handle="roll_over"
    ),
    "rec_parts": dict(
        path_imgrec=path("cls.rec"), path_imgidx=path("cls.idx"), num_parts=2, part_index=1
    ),
    "lst": dict(path_imglist=path("list.lst"), path_root=FIX),
    "imglist": dict(imglist=[[float(i) + 0.5, n] for i, n in LIST], path_root=FIX, inter_method=9),
    "rec_shuffle": dict(path_imgrec=path("cls.rec"), path_imgidx=path("cls.idx"), shuffle=True),
}


def _check_epochs(it, prefix, pads, tol=1e-4):
    for e, want_pads in enumerate(pads):
        got = list(it)
        assert [b.pad for b in got] == want_pads, (e, [b.pad for b in got])
        for k, b in enumerate(got):
            d, lab = b.data[0].asnumpy(), b.label[0].asnumpy()
            np.testing.assert_allclose(d, Z[f"{prefix}/{e}/{k}/data"], rtol=tol, atol=tol)
            np.testing.assert_allclose(lab, Z[f"{prefix}/{e}/{k}/label"], rtol=1e-6)
        it.reset()


@pytest.mark.parametrize("name", sorted(ITERS))
def test_image_iter_matches_mxnet(name):
    random.seed(0)
    it = img.ImageIter(2, (3, 8, 8), **ITERS[name])
    assert list(it.provide_label[0][1]) == META["imageiter"][name]["provide_label"]
    assert it.provide_data == [("data", (2, 3, 8, 8))]
    _check_epochs(it, f"imageiter/{name}", META["imageiter"][name]["pads"])


def test_image_iter_multi_label_matches_mxnet():
    it = img.ImageIter(2, (3, 8, 8), label_width=2, path_imgrec=path("multi.rec"))
    assert it.provide_label == [("softmax_label", (2, 2))]
    _check_epochs(it, "imageiter/multi", META["imageiter"]["multi"]["pads"])


def test_image_iter_bad_input(tmp_path):
    with pytest.raises(ValueError, match="data_shape should have length 3"):
        img.ImageIter(2, (8, 8), path_imgrec=path("cls.rec"))
    with pytest.raises(ValueError, match="3 channels, got data_shape=\\(1, 8, 8\\)"):
        img.ImageIter(2, (1, 8, 8), path_imgrec=path("cls.rec"))
    with pytest.raises(FileNotFoundError, match="missing.rec"):
        img.ImageIter(2, (3, 8, 8), path_imgrec=str(tmp_path / "missing.rec"))
    with pytest.raises(ValueError, match="give path_imgrec, path_imglist or imglist"):
        img.ImageIter(2, (3, 8, 8))
    with pytest.raises(ValueError, match="last_batch_handle must be one of"):
        img.ImageIter(2, (3, 8, 8), path_imgrec=path("cls.rec"), last_batch_handle="x")
    # a corrupt record: the reader names the file and the byte
    bad = tmp_path / "bad.rec"
    bad.write_bytes(b"\x00" * 64)
    it = img.ImageIter(2, (3, 8, 8), path_imgrec=str(bad))
    with pytest.raises(mx.MXNetError, match="bad.rec.*magic number"):
        it.next()
    # an image that does not decode: the iterator names the file
    (tmp_path / "junk.jpg").write_bytes(b"junk")
    it = img.ImageIter(1, (3, 8, 8), imglist=[[1.0, "junk.jpg"]], path_root=str(tmp_path))
    with pytest.raises(RuntimeError, match="Broken image filename: .*junk.jpg"):
        it.next()
    # an augmenter list that does not produce data_shape
    it = img.ImageIter(1, (3, 8, 8), imglist=[[1.0, "a.png"]], path_root=FIX, aug_list=[])
    with pytest.raises(ValueError, match=r"shape \(3, 20, 30\) but data_shape is \(3, 8, 8\)"):
        it.next()


# ---- detection -------------------------------------------------------------------------------
def test_det_augmenters_match_mxnet():
    det = img.detection
    lab = np.array(
        [1, 0.2, 0.1, 0.8, 0.9, 0, 0.05, 0.5, 0.4, 0.95, 3, 0.5, 0.5, 0.7, 0.6], np.float32
    ).reshape(-1, 5)
    c = img.imdecode(RAW["c.png"])
    augs = {
        "crop": det.DetRandomCropAug(min_object_covered=0.3),
        "pad": det.DetRandomPadAug(pad_val=(1, 2, 3)),
        "flip": det.DetHorizontalFlipAug(0.6),
        "select": det.DetRandomSelectAug([det.DetRandomCropAug(), det.DetRandomPadAug()], 0.3),
    }
    for name, aug in augs.items():
        for k in range(3):
            random.seed(20 + k)
            out, lb = aug(c, lab.copy())
            np.testing.assert_array_equal(out.asnumpy(), Z[f"det/{name}/{k}/data"])
            np.testing.assert_allclose(lb, Z[f"det/{name}/{k}/label"], rtol=1e-6, atol=1e-7)


def test_det_flip_moves_boxes():
    lab = np.array([[0, 0.1, 0.2, 0.4, 0.9]], np.float32)
    x = mx.nd.array(np.arange(24).reshape(2, 4, 3), dtype="uint8")
    out, lb = img.detection.DetHorizontalFlipAug(1.0)(x, lab.copy())
    np.testing.assert_array_equal(out.asnumpy(), x.asnumpy()[:, ::-1])
    np.testing.assert_allclose(lb, [[0, 0.6, 0.2, 0.9, 0.9]], rtol=1e-6)


@pytest.mark.parametrize("name", ["plain", "aug"])
def test_image_det_iter_matches_mxnet(name):
    kw = {
        "plain": {},
        "aug": dict(rand_crop=0.5, rand_pad=0.5, rand_mirror=True, mean=True, std=True),
    }[name]
    random.seed(1)
    np.random.seed(1)
    it = img.ImageDetIter(
        2, (3, 10, 10), path_imgrec=path("det.rec"), path_imgidx=path("det.idx"), **kw
    )
    assert list(it.label_shape) == META["det"][name]["label_shape"]
    assert list(it.provide_label[0][1]) == META["det"][name]["provide_label"]
    _check_epochs(it, f"detiter/{name}", META["det"][name]["pads"])


def test_image_det_iter_reshape_and_errors():
    it = img.ImageDetIter(1, (3, 10, 10), path_imgrec=path("det.rec"))
    it.reshape(label_shape=(5, 5))
    assert it.provide_label == [("label", (1, 5, 5))]
    assert it.next().label[0].shape == (1, 5, 5)
    with pytest.raises(ValueError, match="reduce label count from 5 to 2"):
        it.reshape(label_shape=(2, 5))
    with pytest.raises(ValueError, match="object width inconsistent: 5 vs 6"):
        it.reshape(label_shape=(6, 6))
    with pytest.raises(RuntimeError, match="Label shape is invalid"):
        it._parse_label(np.array([2, 5, 1.0]))
    with pytest.raises(NotImplementedError, match="draw_next"):
        it.draw_next()


class _Plus1(img.Augmenter):
    """A user augmenter on NDArrays (goes through the NDArray path inside a pipeline)."""

    def __call__(self, src):
        return src + 1


def test_subclass_hooks_and_user_augmenters_take_the_ndarray_path():
    kw = dict(path_imgrec=path("cls.rec"), path_imgidx=path("cls.idx"), resize=10)
    fast = img.ImageIter(2, (3, 8, 8), **kw).next().data[0].asnumpy()

    class Hooked(img.ImageIter):
        def postprocess_data(self, datum):
            assert isinstance(datum, mx.nd.NDArray)
            return super().postprocess_data(datum)

    np.testing.assert_array_equal(Hooked(2, (3, 8, 8), **kw).next().data[0].asnumpy(), fast)
    augs = img.CreateAugmenter((3, 8, 8), resize=10) + [_Plus1()]
    plus = img.ImageIter(
        2, (3, 8, 8), aug_list=augs, **{k: v for k, v in kw.items() if k != "resize"}
    )
    np.testing.assert_allclose(plus.next().data[0].asnumpy(), fast + 1, rtol=1e-6)
    seq = img.SequentialAug([img.CastAug(), _Plus1(), img.HorizontalFlipAug(1.0)])
    x = img.imdecode(RAW["a.png"])
    np.testing.assert_allclose(seq(x).asnumpy(), x.asnumpy()[:, ::-1] + 1.0)


def test_numpy_mode_gives_np_arrays():
    from gluax._src.io.image_record import ImageRecordIter

    mx.npx.set_np()
    try:
        assert isinstance(img.imdecode(RAW["a.png"]), mx.np.ndarray)
        b = img.ImageIter(2, (3, 8, 8), path_imgrec=path("cls.rec"), resize=10).next()
        assert isinstance(b.data[0], mx.np.ndarray) and isinstance(b.label[0], mx.np.ndarray)
        b = ImageRecordIter(
            path_imgrec=path("cls.rec"), data_shape=(3, 8, 8), batch_size=2, resize=8
        ).next()
        assert isinstance(b.data[0], mx.np.ndarray) and isinstance(b.label[0], mx.np.ndarray)
    finally:
        mx.npx.reset_np()
    assert not isinstance(img.imdecode(RAW["a.png"]), mx.np.ndarray)
