"""mx.contrib.io.DataLoaderIter: a gluon DataLoader as a DataIter."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax.contrib.io import DataLoaderIter


def test_dataloaderiter_batches_pad_and_reset():
    x = np.arange(10, dtype=np.float64).reshape(5, 2)
    y = np.arange(5, dtype=np.int32)
    loader = mx.gluon.data.DataLoader(mx.gluon.data.ArrayDataset(x, y), batch_size=2)
    it = DataLoaderIter(loader, data_name="img", dtype="float32")
    assert [(d.name, d.shape) for d in it.provide_data] == [("img", (2, 2))]
    assert [(d.name, d.shape) for d in it.provide_label] == [("softmax_label", (2,))]
    for _ in range(2):
        batches = list(it)
        assert [b.pad for b in batches] == [0, 0, 1]
        got = np.concatenate([b.data[0].asnumpy() for b in batches])
        np.testing.assert_array_equal(got[:5], x)
        np.testing.assert_array_equal(got[5:], 0)
        labels = np.concatenate([b.label[0].asnumpy() for b in batches])
        np.testing.assert_array_equal(labels[:5], y)
        assert all(
            b.data[0].dtype == np.float32 and b.label[0].dtype == np.float32 for b in batches
        )
        it.reset()


def test_dataloaderiter_rejects_loader_without_labels():
    loader = mx.gluon.data.DataLoader(mx.gluon.data.SimpleDataset(list(range(4))), batch_size=2)
    with pytest.raises(TypeError, match=r"must yield \(data, label\) pairs"):
        DataLoaderIter(loader)
