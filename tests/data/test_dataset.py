"""Datasets: views (transform, filter, shard, take, sample), ArrayDataset, RecordFileDataset, and
when the DataLoader may collect numpy samples."""

from __future__ import annotations

import base64
import json
import pathlib
import pickle

import numpy as np
import pytest

import gluax as mx
from gluax._src.data.dataset import NDArrayColumn, numpy_items, numpy_safe
from gluax.gluon.data import (
    ArrayDataset,
    Dataset,
    RecordFileDataset,
    SequentialSampler,
    SimpleDataset,
)
from gluax.gluon.data.vision import transforms

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures"
FIX = json.loads((FIXTURES / "data_loader" / "data_loader.json").read_text())


def test_shard_take_filter_match_mxnet():
    ds = SimpleDataset(list(range(10)))
    assert [[s[j] for j in range(len(s))] for s in (ds.shard(3, i) for i in range(3))] == FIX[
        "shard"
    ]
    assert [len(ds.take(4)), len(ds.take(None)), len(ds.take(20))] == FIX["take"]
    f = ds.filter(lambda x: x % 3 == 0)
    assert [f[i] for i in range(len(f))] == FIX["filter"]


def test_sample_and_transforms():
    ds = ArrayDataset([1, 2, 3], [10, 20, 30])
    s = ds.sample(SequentialSampler(2, start=1))
    assert [s[0], s[1]] == [(2, 20), (3, 30)]
    t = ds.transform(lambda x, y: x + y)
    assert [t[i] for i in range(3)] == [11, 22, 33]
    calls = []
    eager = ds.transform_first(lambda x: calls.append(x) or -x, lazy=False)
    assert calls == [1, 2, 3] and eager[1] == (-2, 20) and calls == [1, 2, 3]
    assert SimpleDataset([5, 6]).transform(lambda x: x * 2)[1] == 12


def test_array_dataset_sample_types_match_mxnet():
    nd2 = mx.nd.array(np.arange(6).reshape(3, 2))
    s = ArrayDataset(nd2, mx.nd.array([5, 6, 7]), [1, 2, 3])[1]
    assert [type(v).__name__ for v in s] + [np.dtype(s[1].dtype).name] == FIX["array_dataset_types"]
    np.testing.assert_array_equal(s[0].asnumpy(), [2, 3])
    assert ArrayDataset(np.arange(3))[2] == 2  # one array: the element, not a tuple


def test_ndarray_column_follows_in_place_writes_and_pickles():
    x = mx.nd.zeros((3, 2))
    col = NDArrayColumn(x)
    assert col[1].asnumpy().tolist() == [0, 0]
    x[:] = 7
    assert col[1].asnumpy().tolist() == [7, 7]
    copy = pickle.loads(pickle.dumps(col))
    assert copy[2].asnumpy().tolist() == [7, 7] and len(copy) == 3
    with numpy_items():
        assert isinstance(col[0], np.ndarray)


def test_record_file_dataset_reads_mxnet_records():
    records = [
        base64.b64decode(r)
        for r in json.loads((FIXTURES / "data_recordio" / "data_recordio.json").read_text())[
            "records"
        ]
    ]
    ds = RecordFileDataset(str(FIXTURES / "data_recordio" / "records.rec"))
    assert len(ds) == len(records) and [ds[i] for i in range(len(ds))] == records


def test_numpy_safe_only_for_gluax_code_all_the_way():
    base = ArrayDataset(mx.nd.zeros((4, 3, 3, 1), dtype="uint8"), np.arange(4))
    ok = base.transform_first(
        transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.5, 0.2)])
    )
    assert numpy_safe(ok) and numpy_safe(ok.take(2).shard(2, 0)) and numpy_safe(np.zeros(3))
    assert not numpy_safe(base.transform_first(lambda x: x))
    assert not numpy_safe(
        base.transform_first(transforms.Compose([transforms.ToTensor(), lambda x: x]))
    )
    assert not numpy_safe(ArrayDataset(mx.nd.zeros((4, 3, 3, 1))).transform(lambda x: x))

    class Mine(ArrayDataset):
        def __getitem__(self, idx):
            return super().__getitem__(idx)

    assert not numpy_safe(Mine(np.zeros(3))) and not numpy_safe([1, 2])
    with numpy_items():
        x, y = ok[0]
    assert isinstance(x, np.ndarray) and x.dtype == np.float32
    x2, _ = ok[0]
    np.testing.assert_array_equal(x2.asnumpy(), x)


def test_dataset_errors():
    with pytest.raises(ValueError, match="at least one array"):
        ArrayDataset()
    with pytest.raises(ValueError, match="array 0 has length 2, array 1 has 3"):
        ArrayDataset([1, 2], [1, 2, 3])
    ds = SimpleDataset([1, 2, 3])
    with pytest.raises(ValueError, match="num_shards must be positive, got 0"):
        ds.shard(0, 0)
    with pytest.raises(ValueError, match=r"index must be in \[0, 2\), got 2"):
        ds.shard(2, 2)
    with pytest.raises(TypeError, match="expected a gluon.data.Sampler, got list"):
        ds.sample([0, 1])
    with pytest.raises(NotImplementedError, match="must implement __getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="must implement __len__"):
        len(Dataset())
