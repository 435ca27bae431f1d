"""mx.io iterators against the batches MXNet 1.9.1 gives on the same inputs
(tests/fixtures/io/make_io.py)."""

from __future__ import annotations

import json
import pathlib
import shutil
import threading

import numpy as np
import pytest

import gluax as mx

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "io"
REF = dict(np.load(FIX / "io.npz"))

NDARRAY_CASES = {
    "pad": (10, 4, "pad", False, 2),
    "pad_tile": (3, 8, "pad", False, 2),
    "discard": (10, 4, "discard", False, 2),
    "roll_over": (10, 4, "roll_over", False, 4),
    "roll_over_exact": (8, 4, "roll_over", False, 2),
    "roll_over_shuffle": (7, 3, "roll_over", True, 3),
    "pad_shuffle": (7, 3, "pad", True, 3),
    "roll_over_big": (3, 5, "roll_over", False, 2),
    "discard_shuffle": (7, 3, "discard", True, 2),
}


def _compare(key: str, it, epochs: int, index: bool = False) -> None:
    n = 0
    for ep in range(epochs):
        for b in it:
            pre = f"{key}/{ep}/{n}"
            assert f"{pre}/pad" in REF, f"{key}: gluax gives more batches than MXNet ({pre})"
            assert b.pad == int(REF[f"{pre}/pad"]), pre
            for i, d in enumerate(b.data):
                ref = REF[f"{pre}/data{i}"]
                assert d.shape == ref.shape, pre
                assert d.dtype == ref.dtype, pre
                np.testing.assert_array_equal(d.asnumpy(), ref, err_msg=pre)
            for i, lab in enumerate(b.label or []):
                np.testing.assert_array_equal(lab.asnumpy(), REF[f"{pre}/label{i}"], err_msg=pre)
                assert lab.shape == REF[f"{pre}/label{i}"].shape
            n += 1
        it.reset()
    assert n == int(REF[f"{key}/count"]), (
        f"{key}: {n} batches, MXNet gives {int(REF[f'{key}/count'])}"
    )


@pytest.mark.parametrize("name", list(NDARRAY_CASES))
def test_ndarrayiter_matches_mxnet(name):
    n, bs, lbh, shuffle, epochs = NDARRAY_CASES[name]
    data = {
        "x": np.arange(n * 3).reshape(n, 3).astype(np.float32),
        "a": np.arange(n).astype(np.float32) * 10,
    }
    label = [np.arange(n) % 3, np.arange(n) * -1.0]
    state = np.random.get_state()
    np.random.seed(11)  # MXNet's NDArrayIter shuffles with numpy's global generator
    try:
        it = mx.io.NDArrayIter(data, label, batch_size=bs, shuffle=shuffle, last_batch_handle=lbh)
        provide = [[d.name, list(d.shape)] for d in it.provide_data + it.provide_label]
        assert provide == json.loads(str(REF[f"nd_{name}/provide"]))
        _compare(f"nd_{name}", it, epochs)
    finally:
        np.random.set_state(state)


def test_ndarrayiter_single_array_names_and_getters():
    x = mx.nd.array(np.arange(12).reshape(6, 2), dtype="int32")
    it = mx.io.NDArrayIter(x, batch_size=4, last_batch_handle="pad", data_name="img")
    assert [(d.name, d.shape, d.layout) for d in it.provide_data] == [("img", (4, 2), "NCHW")]
    assert it.provide_data[0].dtype == np.int32  # an NDArray keeps its dtype
    assert it.provide_label == []
    assert it.iter_next()
    assert it.getpad() == 0 and it.getindex() is None
    np.testing.assert_array_equal(it.getdata()[0].asnumpy(), np.arange(8).reshape(4, 2))
    assert it.iter_next() and it.getpad() == 2
    np.testing.assert_array_equal(it.getdata()[0].asnumpy()[:, 0], [8, 10, 0, 2])
    assert not it.iter_next()
    it.reset()
    batch = it.next()
    assert batch.label == [] and batch.index is None
    assert str(batch) == "DataBatch: data shapes: [(4, 2)] label shapes: None"


def test_ndarrayiter_list_names_sort_as_strings():
    arrays = [np.full((2, 1), i, dtype=np.float32) for i in range(11)]
    it = mx.io.NDArrayIter(arrays, batch_size=2)
    names = [d.name for d in it.provide_data]
    assert names == sorted(f"_{i}_data" for i in range(11))  # MXNet orders by name
    batch = next(iter(it))
    assert [int(d.asnumpy()[0, 0]) for d in batch.data] == [int(n.split("_")[1]) for n in names]


def test_ndarrayiter_takes_any_array_like():
    import jax.numpy as jnp

    it = mx.io.NDArrayIter(jnp.arange(4.0).reshape(4, 1), batch_size=2)
    assert [d.name for d in it.provide_data] == ["data"]
    np.testing.assert_array_equal(next(it).data[0].asnumpy().ravel(), [0.0, 1.0])


def test_ndarrayiter_layout_batch_axis():
    x = np.arange(2 * 5).reshape(2, 5).astype(np.float32)
    it = mx.io.NDArrayIter(x.T.copy(), batch_size=2, layout="NC")
    assert it.provide_data[0].shape == (2, 2)
    it = mx.io.NDArrayIter(x, batch_size=1, layout="TN")
    assert it.provide_data[0].shape == (2, 1)


def test_ndarrayiter_errors():
    with pytest.raises(
        ValueError, match=r"label 'softmax_label' has 3 examples \(shape \(3,\)\).*'data' has 4"
    ):
        mx.io.NDArrayIter(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="last_batch_handle must be one of"):
        mx.io.NDArrayIter(np.zeros((4, 2)), last_batch_handle="keep")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        mx.io.NDArrayIter(np.zeros((4, 2)), batch_size=0)
    with pytest.raises(TypeError, match="'data' must be an NDArray"):
        mx.io.NDArrayIter(3.0)
    with pytest.raises(TypeError, match="Invalid type 'object' for 'data'"):
        mx.io.NDArrayIter([object()])


def test_ndarrayiter_roll_over_runs_out_as_mxnet():
    it = mx.io.NDArrayIter(np.arange(3.0), batch_size=5, last_batch_handle="roll_over")
    for _ in range(2):
        list(it)
        it.reset()
    with pytest.raises(ValueError, match=r"batch_size=5 from 3 examples"):
        list(it)  # MXNet 1.9 fails at this batch as well


def test_databatch_and_datadesc():
    d = mx.io.DataDesc("data", (2, 3), np.int32, layout="NTC")
    name, shape = d
    assert (name, shape, d.dtype, d.layout) == ("data", (2, 3), np.int32, "NTC")
    assert repr(d) == "DataDesc[data,(2, 3),<class 'numpy.int32'>,NTC]"
    assert mx.io.DataDesc.get_batch_axis("TNC") == 1 and mx.io.DataDesc.get_batch_axis(None) == 0
    descs = mx.io.DataDesc.get_list(
        [("a", (1,)), ("b", (2,))], [("a", np.int64), ("b", np.float16)]
    )
    assert [(x.name, x.dtype) for x in descs] == [("a", np.int64), ("b", np.float16)]
    with pytest.raises(TypeError, match="data must be a list of NDArrays"):
        mx.io.DataBatch(mx.nd.ones((1,)))


class _Counting(mx.io.DataIter):
    """n batches of one value each, the value counting up across epochs."""

    def __init__(self, n: int, pad_last: int = 0) -> None:
        super().__init__(batch_size=2)
        self.n, self.i, self.v, self.pad_last = n, 0, 0, pad_last
        self.provide_data = [mx.io.DataDesc("data", (2,))]
        self.provide_label = [mx.io.DataDesc("softmax_label", (2,))]

    def reset(self) -> None:
        self.i = 0

    def iter_next(self) -> bool:
        if self.i == self.n:
            return False
        self.i += 1
        self.v += 1
        return True

    def getdata(self):
        return [mx.nd.full((2,), self.v)]

    def getlabel(self):
        return [mx.nd.full((2,), -self.v)]

    def getpad(self):
        return self.pad_last if self.i == self.n else 0


def test_dataiter_protocol_and_resizeiter():
    base = _Counting(3)
    assert [int(b.data[0].asnumpy()[0]) for b in base] == [1, 2, 3]
    with pytest.raises(StopIteration):
        base.next()
    it = mx.io.ResizeIter(_Counting(3), 5)
    assert it.batch_size == 2 and it.provide_data[0].name == "data"
    assert [int(b.data[0].asnumpy()[0]) for b in it] == [1, 2, 3, 4, 5]
    it.reset()  # reset_internal: the inner iterator restarts too
    assert [int(b.label[0].asnumpy()[0]) for b in it] == [-6, -7, -8, -9, -10]
    it = mx.io.ResizeIter(_Counting(3), 2, reset_internal=False)
    assert len(list(it)) == 2
    it.reset()
    assert [int(b.data[0].asnumpy()[0]) for b in it] == [3, 4]


def test_prefetchingiter_joins_iterators_in_threads():
    before = threading.active_count()
    it = mx.io.PrefetchingIter(
        [_Counting(3, pad_last=1), _Counting(3, pad_last=1)],
        rename_data=[{"data": "a"}, {"data": "b"}],
    )
    assert [d.name for d in it.provide_data] == ["a", "b"]
    assert it.batch_size == 2
    for epoch in range(2):
        batches = list(it)
        assert len(batches) == 3
        assert [b.pad for b in batches] == [0, 0, 1]
        assert [[int(d.asnumpy()[0]) for d in b.data] for b in batches] == [
            [3 * epoch + k] * 2 for k in (1, 2, 3)
        ]
        assert len(batches[0].label) == 2
        it.reset()
    assert threading.active_count() > before
    it.close()
    assert threading.active_count() == before
    mismatch = mx.io.PrefetchingIter([_Counting(2), _Counting(3)])
    list_err = pytest.raises(ValueError, match="same number of batches")
    with list_err:
        list(mismatch)
    mismatch.close()


def test_csviter_matches_mxnet():
    for rb in (True, False):
        it = mx.io.CSVIter(
            data_csv=str(FIX / "data.csv"),
            data_shape=(2, 3),
            label_csv=str(FIX / "label.csv"),
            label_shape=(2,),
            batch_size=4,
            round_batch=rb,
        )
        assert it.provide_data[0].shape == (4, 2, 3) and it.provide_label[0].shape == (4, 2)
        _compare(f"csv_{int(rb)}", it, 3)
    it = mx.io.CSVIter(data_csv=str(FIX / "data.csv"), data_shape=(6,), batch_size=3)
    assert it.provide_label[0].shape == (3,)
    _compare("csv_nolabel", it, 2)


def test_csviter_index_and_dtype():
    it = mx.io.CSVIter(data_csv=str(FIX / "data.csv"), data_shape=(6,), batch_size=4, dtype="int32")
    batches = list(it)
    assert batches[0].data[0].dtype == np.int32 and batches[0].label[0].dtype == np.int32
    np.testing.assert_array_equal(batches[2].index, [8, 9, 0, 1])


@pytest.mark.parametrize(
    "key, kw",
    [
        ("mnist_shuffle", dict(batch_size=5, seed=3)),
        ("mnist_flat", dict(batch_size=7, shuffle=False, flat=True)),
        ("mnist_part", dict(batch_size=4, shuffle=True, seed=1, num_parts=2, part_index=1)),
    ],
)
def test_mnistiter_matches_mxnet(key, kw):
    it = mx.io.MNISTIter(
        image=str(FIX / "img-idx3-ubyte"), label=str(FIX / "lab-idx1-ubyte"), silent=True, **kw
    )
    _compare(key, it, 2)


def test_mnistiter_reads_gzip():
    it = mx.io.MNISTIter(
        image=str(FIX / "img-idx3-ubyte.gz"),
        label=str(FIX / "lab-idx1-ubyte"),
        batch_size=5,
        seed=3,
    )
    _compare("mnist_shuffle", it, 2)


def test_libsvmiter_matches_mxnet():
    it = mx.io.LibSVMIter(data_libsvm=str(FIX / "data.libsvm"), data_shape=(5,), batch_size=4)
    _compare("libsvm", it, 3)
    it = mx.io.LibSVMIter(
        data_libsvm=str(FIX / "data.libsvm"),
        data_shape=(5,),
        batch_size=2,
        label_libsvm=str(FIX / "label.libsvm"),
        label_shape=(2,),
    )
    _compare("libsvm_label", it, 2)
    for part in (0, 1):
        it = mx.io.LibSVMIter(
            data_libsvm=str(FIX / "data.libsvm"),
            data_shape=(5,),
            batch_size=2,
            num_parts=2,
            part_index=part,
        )
        _compare(f"libsvm_part{part}", it, 1)


def test_file_iter_errors_are_mxnet_errors(tmp_path):
    # MXNet's C++ iterators raise MXNetError; gluax's errors are that and the Python kind
    with pytest.raises(mx.MXNetError, match="does not exist"):
        mx.io.CSVIter(data_csv=str(tmp_path / "none.csv"), data_shape=(6,), batch_size=2)
    with pytest.raises(mx.MXNetError, match="holds 6 values"):
        mx.io.CSVIter(data_csv=str(FIX / "data.csv"), data_shape=(4,), batch_size=2)


def test_file_iter_errors(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=r"data_csv file '.*nope\.csv' does not exist"):
        mx.io.CSVIter(data_csv=str(missing), data_shape=(6,), batch_size=2)
    with pytest.raises(
        ValueError,
        match=r"data\.csv' line 1 holds 6 values, but data_shape=\(4,\) asks for 4 per row",
    ):
        mx.io.CSVIter(data_csv=str(FIX / "data.csv"), data_shape=(4,), batch_size=2)
    with pytest.raises(ValueError, match="data_shape must be a tuple of positive ints"):
        mx.io.CSVIter(data_csv=str(FIX / "data.csv"), data_shape=(0, 6), batch_size=2)
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n3,x\n")
    with pytest.raises(ValueError, match=r"bad\.csv' line 2 is not a row of numbers"):
        mx.io.CSVIter(data_csv=str(bad), data_shape=(2,), batch_size=1)
    with pytest.raises(FileNotFoundError, match=r"image file '.*missing-idx3' does not exist"):
        mx.io.MNISTIter(image=str(tmp_path / "missing-idx3"), label=str(FIX / "lab-idx1-ubyte"))
    with pytest.raises(ValueError, match=r"image file '.*lab-idx1-ubyte' is not an MNIST idx file"):
        mx.io.MNISTIter(image=str(FIX / "lab-idx1-ubyte"), label=str(FIX / "lab-idx1-ubyte"))
    cut = tmp_path / "cut-idx3"
    cut.write_bytes((FIX / "img-idx3-ubyte").read_bytes()[:100])
    with pytest.raises(ValueError, match=r"cut-idx3' is truncated"):
        mx.io.MNISTIter(image=str(cut), label=str(FIX / "lab-idx1-ubyte"))
    with pytest.raises(ValueError, match="batch_size=50 is larger than the 23 images"):
        mx.io.MNISTIter(
            image=str(FIX / "img-idx3-ubyte"), label=str(FIX / "lab-idx1-ubyte"), batch_size=50
        )
    with pytest.raises(
        ValueError,
        match=r"data\.libsvm' line 1 has column 3, outside the 3 columns of data_shape=\(3,\)",
    ):
        mx.io.LibSVMIter(data_libsvm=str(FIX / "data.libsvm"), data_shape=(3,), batch_size=2)
    with pytest.warns(
        UserWarning, match=r"ignoring arguments MXNet 1.9 does not define for it: \['bogus'\]"
    ) as rec:
        mx.io.CSVIter(data_csv=str(FIX / "data.csv"), data_shape=(6,), batch_size=2, bogus=1)
    assert rec[0].filename == __file__  # points at the caller's line


def test_mnistiter_label_count_mismatch(tmp_path):
    lab = tmp_path / "lab"
    raw = (FIX / "lab-idx1-ubyte").read_bytes()
    lab.write_bytes(raw[:4] + (22).to_bytes(4, "big") + raw[8:30])
    shutil.copy(FIX / "img-idx3-ubyte", tmp_path / "img")
    with pytest.raises(ValueError, match="holds 23 images but label file .* holds 22 labels"):
        mx.io.MNISTIter(image=str(tmp_path / "img"), label=str(lab))


class _Failing(_Counting):
    def iter_next(self) -> bool:
        if self.i == 1:
            raise RuntimeError("disk gone")
        return super().iter_next()


def test_prefetchingiter_hands_worker_errors_to_the_caller():
    it = mx.io.PrefetchingIter(_Failing(3))
    assert next(it).data[0].asnumpy()[0] == 1
    with pytest.raises(RuntimeError, match="disk gone"):
        next(it)
    it.close()


def test_gluon_script_over_ndarrayiter_gives_mxnets_numbers():
    """The same training script as MXNet 1.9.1's in make_io.py: NDArrayIter (shuffled, padded)
    inside ResizeIter feeding a Dense net; per-batch losses and per-epoch accuracy."""
    net = mx.gluon.nn.Dense(3, in_units=4)
    net.initialize()
    net.weight.set_data(mx.nd.array(REF["train/w"]))
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    metric = mx.metric.Accuracy()
    state = np.random.get_state()
    np.random.seed(4)
    try:
        it = mx.io.ResizeIter(
            mx.io.NDArrayIter(REF["train/x"], REF["train/y"], batch_size=4, shuffle=True), 5
        )
        losses, accs = [], []
        for _ in range(2):
            it.reset()
            metric.reset()
            for batch in it:
                with mx.autograd.record():
                    out = net(batch.data[0])
                    loss = loss_fn(out, batch.label[0])
                loss.backward()
                trainer.step(batch.data[0].shape[0])
                metric.update([batch.label[0]], [out])
                losses.append(float(loss.mean().asscalar()))
            accs.append(metric.get()[1])
    finally:
        np.random.set_state(state)
    np.testing.assert_allclose(losses, REF["train/losses"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(accs, REF["train/accs"])
