"""mx.io.ImageRecordIter and friends against MXNet 1.9.1's C++ iterators (fixtures/image)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax._src.io import image_record as ir

from .fixtures import META, Z, path

REC, IDX = path("cls.rec"), path("cls.idx")
CONFIGS = {
    "basic": (
        "ImageRecordIter",
        dict(
            path_imgrec=REC,
            data_shape=(3, 8, 8),
            resize=10,
            mean_r=123.68,
            mean_g=116.28,
            mean_b=103.53,
            std_r=58.395,
            std_g=57.12,
            std_b=57.375,
        ),
    ),
    "v1": (
        "ImageRecordIter_v1",
        dict(
            path_imgrec=REC,
            data_shape=(3, 8, 8),
            resize=10,
            mean_r=123.68,
            mean_g=116.28,
            mean_b=103.53,
        ),
    ),
    "upscale": ("ImageRecordIter", dict(path_imgrec=REC, data_shape=(3, 21, 8), scale=1.0 / 255)),
    "upscale_w": ("ImageRecordIter", dict(path_imgrec=REC, data_shape=(3, 8, 25))),
    "cubic": (
        "ImageRecordIter",
        dict(
            path_imgrec=REC,
            path_imgidx=IDX,
            resize=9,
            data_shape=(3, 8, 8),
            inter_method=2,
            mirror=True,
        ),
    ),
    "auto": (
        "ImageRecordIter",
        dict(path_imgrec=REC, resize=30, data_shape=(3, 8, 8), inter_method=9, pad=2, fill_value=0),
    ),
    "norb": (
        "ImageRecordIter",
        dict(path_imgrec=REC, data_shape=(3, 8, 8), resize=10, round_batch=False),
    ),
    "uint8": ("ImageRecordUInt8Iter", dict(path_imgrec=REC, data_shape=(3, 8, 8), resize=8)),
    "gray": ("ImageRecordIter", dict(path_imgrec=REC, data_shape=(1, 8, 8), resize=8)),
    "part0": (
        "ImageRecordIter",
        dict(
            path_imgrec=REC,
            path_imgidx=IDX,
            data_shape=(3, 8, 8),
            resize=8,
            num_parts=2,
            part_index=0,
        ),
    ),
    "part1": (
        "ImageRecordIter",
        dict(
            path_imgrec=REC,
            path_imgidx=IDX,
            data_shape=(3, 8, 8),
            resize=8,
            num_parts=2,
            part_index=1,
        ),
    ),
    "part1_noidx": (
        "ImageRecordIter",
        dict(path_imgrec=REC, data_shape=(3, 8, 8), resize=8, num_parts=2, part_index=1),
    ),
    "lst": (
        "ImageRecordIter",
        dict(path_imgrec=REC, path_imglist=path("list.lst"), data_shape=(3, 8, 8), resize=8),
    ),
    "multi": (
        "ImageRecordIter",
        dict(path_imgrec=path("multi.rec"), data_shape=(3, 8, 8), resize=8, label_width=2),
    ),
    "det": ("ImageDetRecordIter", dict(path_imgrec=path("det.rec"), data_shape=(3, 10, 10))),
    "det_norm": (
        "ImageDetRecordIter",
        dict(
            path_imgrec=path("det.rec"),
            data_shape=(3, 9, 11),
            resize=12,
            inter_method=2,
            mirror=True,
            mean_r=120,
            mean_g=110,
            mean_b=100,
            std_r=50,
            std_g=60,
            std_b=70,
            scale=0.5,
            label_pad_width=20,
        ),
    ),
    "det_shrink": (
        "ImageDetRecordIter",
        dict(path_imgrec=path("det.rec"), data_shape=(3, 10, 12), resize_mode="shrink", mean_r=10),
    ),
    "det_fit": (
        "ImageDetRecordIter",
        dict(
            path_imgrec=path("det.rec"), data_shape=(3, 30, 41), resize_mode="fit", inter_method=9
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_image_record_iter_matches_mxnet(name):
    cls, kw = CONFIGS[name]
    it = getattr(ir, cls)(batch_size=2, **kw)
    meta = META["recordio"][name]
    assert list(it.provide_data[0].shape) == meta["provide_data"][0]
    assert np.dtype(it.provide_data[0].dtype).name == meta["provide_data"][1]
    assert list(it.provide_label[0].shape) == meta["provide_label"]
    for e, pads in enumerate(meta["pads"]):
        got = list(it)
        assert [b.pad for b in got] == pads, (e, [b.pad for b in got])
        for k, b in enumerate(got):
            d, lab = b.data[0].asnumpy(), b.label[0].asnumpy()
            assert d.dtype == np.dtype(meta["provide_data"][1])
            want = Z[f"rec/{name}/{e}/{k}/data"]
            d, lab = d[: len(want)], lab[: len(want)]  # round_batch=False: MXNet's stale rest
            np.testing.assert_allclose(d, want, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(lab, Z[f"rec/{name}/{e}/{k}/label"], rtol=1e-7)
        it.reset()


def test_random_options_are_seeded_and_shaped():
    kw = dict(
        path_imgrec=REC,
        path_imgidx=IDX,
        data_shape=(3, 8, 8),
        batch_size=5,
        resize=12,
        rand_crop=True,
        rand_mirror=True,
        shuffle=True,
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        pca_noise=0.1,
        seed=3,
    )
    runs = [next(iter(ir.ImageRecordIter(**kw))) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].data[0].asnumpy(), runs[1].data[0].asnumpy())
    np.testing.assert_array_equal(runs[0].label[0].asnumpy(), runs[1].label[0].asnumpy())
    assert sorted(runs[0].label[0].asnumpy().tolist()) == [0, 1, 2, 3, 4]
    d = runs[0].data[0].asnumpy()
    assert d.shape == (5, 3, 8, 8) and d.min() >= 0 and d.max() <= 255
    # random_resized_crop resizes the crop to data_shape
    it = ir.ImageRecordIter(
        path_imgrec=REC,
        data_shape=(3, 6, 7),
        batch_size=2,
        random_resized_crop=True,
        min_random_area=0.3,
        max_aspect_ratio=1.3,
        min_aspect_ratio=0.7,
    )
    assert next(iter(it)).data[0].shape == (2, 3, 6, 7)
    # mirror=True flips every image left-right
    plain = next(
        iter(ir.ImageRecordIter(path_imgrec=REC, data_shape=(3, 8, 8), batch_size=2, resize=8))
    )
    flip = next(
        iter(
            ir.ImageRecordIter(
                path_imgrec=REC, data_shape=(3, 8, 8), batch_size=2, resize=8, mirror=True
            )
        )
    )
    np.testing.assert_array_equal(flip.data[0].asnumpy(), plain.data[0].asnumpy()[..., ::-1])


def test_mean_img_is_computed_saved_and_reused(tmp_path):
    mean_file = str(tmp_path / "mean.nd")
    kw = dict(path_imgrec=REC, data_shape=(3, 8, 8), batch_size=5, resize=8)
    it = ir.ImageRecordIter(mean_img=mean_file, **kw)
    raw = next(iter(ir.ImageRecordIter(**kw))).data[0].asnumpy()
    mean = mx.nd.load(mean_file)["mean_img"].asnumpy()
    np.testing.assert_allclose(mean, raw.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(next(iter(it)).data[0].asnumpy(), raw - mean, atol=1e-4)
    again = ir.ImageRecordIter(mean_img=mean_file, **kw)  # loads the saved file
    np.testing.assert_allclose(next(iter(again)).data[0].asnumpy(), raw - mean, atol=1e-4)


def test_bad_input_names_file_or_argument(tmp_path):
    kw = dict(data_shape=(3, 8, 8), batch_size=2)
    with pytest.raises(FileNotFoundError, match="missing.rec"):
        ir.ImageRecordIter(path_imgrec=str(tmp_path / "missing.rec"), **kw)
    bad = tmp_path / "bad.rec"
    bad.write_bytes(b"\x01" * 40)
    with pytest.raises(mx.MXNetError, match="bad.rec.*magic number"):
        ir.ImageRecordIter(path_imgrec=str(bad), **kw)
    with pytest.raises(ValueError, match=r"data_shape must be \(C, H, W\).*got \(8, 8\)"):
        ir.ImageRecordIter(path_imgrec=REC, data_shape=(8, 8), batch_size=2)
    with pytest.raises(ValueError, match=r"data_shape.*C = 1, 3 or 4.*\(2, 8, 8\)"):
        ir.ImageRecordIter(path_imgrec=REC, data_shape=(2, 8, 8), batch_size=2)
    with pytest.raises(TypeError, match="batch_size is required"):
        ir.ImageRecordIter(path_imgrec=REC, data_shape=(3, 8, 8))
    with pytest.raises(TypeError, match=r"unknown arguments \['rezise'\]"):
        ir.ImageRecordIter(path_imgrec=REC, rezise=8, **kw)
    with pytest.raises(NotImplementedError, match="max_rotate_angle=10"):
        ir.ImageRecordIter(path_imgrec=REC, max_rotate_angle=10, **kw)
    with pytest.raises(ValueError, match="2-dimensional labels but label_width is 1"):
        next(iter(ir.ImageRecordIter(path_imgrec=path("multi.rec"), **kw)))
    with pytest.raises(ValueError, match="smaller than max_crop_size=99"):
        next(iter(ir.ImageRecordIter(path_imgrec=REC, max_crop_size=99, min_crop_size=8, **kw)))
    # a record whose image does not decode: the error names the file and the record
    w = mx.recordio.MXRecordIO(str(tmp_path / "junk.rec"), "w")
    w.write(mx.recordio.pack(mx.recordio.IRHeader(0, 1.0, 7, 0), b"junk bytes"))
    w.close()
    with pytest.raises(mx.MXNetError, match="record id 7 .*junk.rec.*does not decode"):
        next(iter(ir.ImageRecordIter(path_imgrec=str(tmp_path / "junk.rec"), **kw)))


def test_det_record_iter_errors(tmp_path):
    kw = dict(path_imgrec=path("det.rec"), data_shape=(3, 8, 8), batch_size=2)
    with pytest.raises(ValueError, match="label_pad_width=5 is smaller than the longest label"):
        ir.ImageDetRecordIter(label_pad_width=5, **kw)
    with pytest.raises(NotImplementedError, match="rand_crop_prob=0.5 .*ImageDetIter"):
        ir.ImageDetRecordIter(rand_crop_prob=0.5, **kw)
    with pytest.raises(ValueError, match="resize_mode must be 'force', 'shrink' or 'fit'"):
        ir.ImageDetRecordIter(resize_mode="fill", **kw)
    with pytest.raises(ValueError, match="packs no detection label"):
        ir.ImageDetRecordIter(path_imgrec=REC, data_shape=(3, 8, 8), batch_size=2)
