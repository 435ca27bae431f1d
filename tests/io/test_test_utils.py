"""mx.test_utils against MXNet 1.9.1 (tests/fixtures/io/make_test_utils.py) and properties."""

from __future__ import annotations

import gzip
import json
import os
import pathlib
import struct

import numpy as np
import pytest

import gluax as mx
from gluax import test_utils as tu

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "io"
REF = json.loads((FIX / "test_utils.json").read_text())
NAN = float("nan")


def _message(fn) -> str | None:
    try:
        fn()
    except AssertionError as err:
        return str(err)
    return None


@pytest.mark.parametrize(
    "case", REF["assert"], ids=lambda c: f"{c['a'][:12]}-{c['kind']}-{sorted(c['kw'])}"
)
def test_assert_almost_equal_message_matches_mxnet(case):
    a, b = eval(case["a"], {"nan": NAN}), eval(case["b"], {"nan": NAN})  # noqa: S307 - our own fixture
    if case["kind"] == "numpy":
        x, y = np.array(a, dtype=np.float32), np.array(b, dtype=np.float64)
    else:
        x, y = mx.nd.array(a), mx.nd.array(b)
    kw = dict(case["kw"])
    if "names" in kw:
        kw["names"] = tuple(kw["names"])
    got = _message(lambda: tu.assert_almost_equal(x, y, **kw))
    if case["message"] is None:
        assert got is None
        return
    # MXNet's own text; the ACTUAL/DESIRED arrays after it are numpy's repr (numpy 2 adds shape=)
    assert got.split("\n ACTUAL")[0] == case["message"].split("\n ACTUAL")[0]
    assert " ACTUAL: array(" in got and " DESIRED: array(" in got


def test_almost_equal_and_same():
    for (a, b, kw), expected in zip(
        [
            ([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], {}),
            ([[1.0, 2.0], [3.0, 4.0]], [[1.1, 2.0], [3.0, 4.4]], {}),
            ([0.0, 1.0, 2.0], [0.0, 1.001, 2.0], {}),
            (list(range(30)), [v + 1.0 for v in range(30)], {}),
            ([1.0, NAN], [1.0, NAN], {"equal_nan": True}),
            ([1.0, NAN], [1.0, NAN], {}),
        ],
        REF["almost_equal"],
    ):
        assert tu.almost_equal(np.array(a), np.array(b), **kw) == expected
    assert tu.same(mx.nd.array([1, 2]), np.array([1, 2], dtype=np.float32))
    assert not tu.same(np.zeros(2), np.zeros(3))
    with pytest.raises(AssertionError, match=r"a.shape = \(2,\) and b.shape = \(1, 2\)"):
        tu.assert_almost_equal(np.zeros(2), np.zeros((1, 2)), use_broadcast=False)


def test_default_tolerances_match_mxnet():
    for dt, (rtol, atol) in REF["tols"].items():
        assert tu.default_rtols()[np.dtype(dt)] == rtol
        assert tu.default_atols()[np.dtype(dt)] == atol
    assert tu.get_tols(np.zeros(1, np.float16), np.zeros(1, np.float64), None, None) == (1e-2, 1e-1)
    tu.assert_almost_equal(np.float16(1.0), np.float16(1.05))  # float16 atol 0.1


def test_random_helpers_follow_numpy_seed_as_mxnet():
    np.random.seed(5)
    assert list(tu.rand_shape_2d()) == REF["rand_shape_2d"]
    assert list(tu.rand_shape_3d(3, 4, 5)) == REF["rand_shape_3d"]
    assert list(tu.rand_shape_nd(4, 6)) == REF["rand_shape_nd"]
    arrays = tu.random_arrays((2, 3), (4,))
    for got, ref in zip(arrays, REF["random_arrays"]):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, np.array(ref, dtype=np.float32))
    nd = tu.rand_ndarray((2, 2))
    assert isinstance(nd, mx.nd.NDArray)
    np.testing.assert_array_equal(nd.asnumpy(), np.array(REF["rand_ndarray"], dtype=np.float32))
    assert tu.rand_shape_2d(1, 1) == (1, 1)
    with pytest.raises(
        NotImplementedError, match="stype='csr' is not supported; gluax stores every array densely"
    ):
        tu.rand_ndarray((2, 2), stype="csr")


def test_small_numpy_helpers_match_mxnet():
    np.testing.assert_array_equal(
        tu.collapse_sum_like(np.arange(24.0).reshape(2, 3, 4), (3, 1)), REF["collapse_sum_like"]
    )
    np.testing.assert_array_equal(tu.create_2d_tensor(3, 2).asnumpy(), REF["create_2d_tensor"])
    assert (
        tu.create_2d_tensor(3, 2).dtype == np.int64 or tu.create_2d_tensor(3, 2).dtype == np.int32
    )
    np.testing.assert_array_equal(
        tu.np_reduce(np.arange(6).reshape(2, 3), (0, 1), True, np.sum), [[15]]
    )
    np.testing.assert_array_equal(tu.assign_each(np.array([1.0, 4.0]), np.sqrt), [1.0, 2.0])
    np.testing.assert_array_equal(
        tu.assign_each2(np.array([1, 2]), np.array([3, 4]), lambda x, y: x * y), [3, 8]
    )


def test_assert_exception_and_retry():
    tu.assert_exception(lambda: 1 / 0, ZeroDivisionError)
    with pytest.raises(AssertionError, match="did not raise"):
        tu.assert_exception(lambda: 1, ZeroDivisionError)
    calls = []

    @tu.retry(3)
    def flaky():
        calls.append(1)
        assert len(calls) == 2

    flaky()
    assert len(calls) == 2


def test_default_context_and_environment(monkeypatch):
    assert tu.default_context() == mx.cpu(0)
    with mx.cpu(0):
        tu.set_default_context(mx.cpu(1))
        assert tu.default_context() == mx.cpu(1)
    assert tu.default_context() == mx.cpu(0)
    monkeypatch.delenv("GLUAX_TU_X", raising=False)
    monkeypatch.setenv("GLUAX_TU_Y", "old")
    with tu.environment({"GLUAX_TU_X": "1", "GLUAX_TU_Y": None}):
        assert os.environ["GLUAX_TU_X"] == "1" and "GLUAX_TU_Y" not in os.environ
    assert "GLUAX_TU_X" not in os.environ and os.environ["GLUAX_TU_Y"] == "old"
    with tu.environment("GLUAX_TU_X", "2"):
        assert os.environ["GLUAX_TU_X"] == "2"
    with pytest.raises(TypeError, match="names and values must be str"):
        with tu.environment("GLUAX_TU_X", 3):
            pass


def test_check_numeric_gradient_on_function_and_block():
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3)).astype(np.float32)
    tu.check_numeric_gradient(lambda a: mx.nd.tanh(a) * a, [x], rtol=1e-2, atol=1e-3)
    tu.check_numeric_gradient(lambda a, b: a * b, {"a": x, "b": x + 1}, rtol=1e-2, atol=1e-3)
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize()
    tu.check_numeric_gradient(net, [x], rtol=1e-2, atol=1e-3)

    def wrong(a):  # forward is a*a, but the recorded gradient is 3a (not 2a)
        return mx.nd.stop_gradient(a * a - 1.5 * a * a) + 1.5 * a * a

    with pytest.raises(AssertionError, match=r"NUMERICAL_0=.*BACKWARD_0="):
        tu.check_numeric_gradient(wrong, [x], rtol=1e-2, atol=1e-3)
    with pytest.raises(TypeError, match="neither a Symbol with bind"):
        tu.check_numeric_gradient(3, [x])


def test_check_symbolic_forward_backward_and_numeric_gradient():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    sym = a * b + a
    x = np.array([[1.0, 2.0], [3.0, -1.0]], dtype=np.float32)
    y = np.array([[0.5, -2.0], [1.0, 4.0]], dtype=np.float32)
    tu.check_symbolic_forward(sym, [x, y], [x * y + x])
    with pytest.raises(AssertionError, match="EXPECTED__plus"):
        tu.check_symbolic_forward(sym, {"a": x, "b": y}, [x * y])
    og = np.ones_like(x) * 2
    tu.check_symbolic_backward(sym, [x, y], [og], [og * (y + 1), og * x])
    tu.check_symbolic_backward(sym, [x, y], [og], {"a": og * (y + 1)}, grad_req="add")
    with pytest.raises(AssertionError, match="BACKWARD_b"):
        tu.check_symbolic_backward(sym, [x, y], [og], [og * (y + 1), og * y])
    tu.check_numeric_gradient(mx.sym.tanh(a) * b, [x, y], rtol=1e-2, atol=1e-3)
    assert np.allclose(tu.simple_forward(sym, a=x, b=y), x * y + x)
    with pytest.raises(ValueError, match="location keys"):
        tu.check_symbolic_forward(sym, {"a": x}, [x])
    with pytest.raises(TypeError, match="expected a Symbol that can be bound"):
        tu.check_symbolic_forward(lambda q: q, [x], [x])


def _write_mnist(dirpath: pathlib.Path, prefix: str, n: int) -> None:
    img = (np.arange(n * 28 * 28) % 256).astype(np.uint8)
    with gzip.open(dirpath / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">iiii", 2051, n, 28, 28) + img.tobytes())
    with gzip.open(dirpath / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">ii", 2049, n) + (np.arange(n) % 10).astype(np.uint8).tobytes())


def test_get_mnist_reads_local_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        FileNotFoundError, match=r"gluax does not download.*train-labels-idx1-ubyte\.gz"
    ):
        tu.get_mnist()
    _write_mnist(tmp_path, "train", 3)
    _write_mnist(tmp_path, "t10k", 2)
    d = tu.get_mnist()
    assert d["train_data"].shape == (3, 1, 28, 28) and d["test_label"].tolist() == [0, 1]
    assert d["train_label"].dtype == np.int8 and d["train_data"].dtype == np.float32
    np.testing.assert_allclose(
        d["train_data"].ravel()[:300], (np.arange(300) % 256) / 255.0, rtol=1e-6
    )
    with pytest.raises(FileNotFoundError, match=r"data/cifar10\.zip"):
        tu.get_cifar10()
    with pytest.raises(FileNotFoundError, match="missing"):
        tu.get_mnist_ubyte()
    with pytest.raises(FileNotFoundError, match="gluax does not download"):
        tu.download("http://example.com/x.bin")


def test_dummy_iter_repeats_first_batch():
    it = tu.DummyIter(mx.io.NDArrayIter(np.arange(6.0).reshape(6, 1), batch_size=2))
    first = next(it)
    assert it.batch_size == 2 and next(it) is first and next(it) is first
    np.testing.assert_array_equal(first.data[0].asnumpy().ravel(), [0.0, 1.0])


def test_check_gluon_hybridize_consistency():
    def build(prefix):
        net = mx.gluon.nn.HybridSequential(prefix=prefix)
        with net.name_scope():
            net.add(mx.gluon.nn.Dense(3, in_units=2, activation="tanh"))
        return net

    x = mx.nd.array(np.random.RandomState(1).uniform(size=(4, 2)))
    tu.check_gluon_hybridize_consistency(build, [x])


def test_check_consistency_speed_and_structure():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    sym = mx.sym.tanh(a) * b
    shapes = {"a": (2, 3), "b": (2, 3)}
    settings = [
        dict(ctx=mx.cpu(0), type_dict={"a": t, "b": t}, **shapes) for t in (np.float32, np.float16)
    ]
    rs = np.random.RandomState(3)
    params = {"a": rs.uniform(-1, 1, (2, 3)), "b": rs.uniform(-1, 1, (2, 3))}
    gt = tu.check_consistency(sym, settings, arg_params=params)
    out = sym.list_outputs()[0]
    assert sorted(gt) == sorted([out, "a", "b"])
    t = np.tanh(params["a"])
    np.testing.assert_allclose(gt[out].asnumpy(), t * params["b"], rtol=1e-5)
    # the head gradient is the least precise (float16) output, the same for every setting
    np.testing.assert_allclose(gt["b"].asnumpy(), t * t * params["b"], rtol=2e-3, atol=1e-3)
    with pytest.raises(AssertionError, match="Location of maximum error"):
        tu.check_consistency([sym, sym * 1.1], settings[:1] * 2)
    assert tu.check_speed(sym, N=2, **shapes) > 0
    assert (
        tu.check_speed(
            sym, location={"a": np.ones((2, 3)), "b": np.ones((2, 3))}, typ="forward", N=2
        )
        > 0
    )
    with pytest.raises(ValueError, match="typ must be 'whole' or 'forward'"):
        tu.check_speed(sym, typ="backward", **shapes)
    assert tu.same_symbol_structure(sym, mx.sym.tanh(b) * a)
    assert not tu.same_symbol_structure(sym, a + b)


def test_local_file_helpers(tmp_path, monkeypatch):
    import bz2

    (tmp_path / "x.bz2").write_bytes(bz2.compress(b"hello"))
    tu.get_bz2_data(str(tmp_path), "x.txt", "http://example.com/x.bz2", "x.bz2")
    assert (tmp_path / "x.txt").read_bytes() == b"hello"
    with pytest.raises(FileNotFoundError, match=r"gluax does not download.*y\.bz2"):
        tu.get_bz2_data(str(tmp_path), "y.txt", "http://example.com/y.bz2", "y.bz2")
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    with pytest.raises(OSError, match="Could not find path to tools/im2rec.py"):
        tu.get_im2rec_path()
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "im2rec.py").write_text("")
    assert tu.get_im2rec_path() == str(tmp_path / "tools" / "im2rec.py")
    with pytest.raises(NotImplementedError, match="gluax stores every array densely"):
        tu.rand_sparse_ndarray((2, 2), "row_sparse")
    with pytest.raises(NotImplementedError, match="download_model"):
        tu.download_model("vgg16")


def test_compare_optimizer_and_discard_stderr(capfd):
    sgd = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    tu.compare_optimizer(sgd, mx.optimizer.SGD(learning_rate=0.1, momentum=0.9), (3, 4), np.float32)
    with pytest.raises(AssertionError, match="Location of maximum error"):
        tu.compare_optimizer(
            sgd, mx.optimizer.SGD(learning_rate=0.2, momentum=0.9), (3, 4), np.float32
        )
    capfd.readouterr()
    with tu.discard_stderr():
        os.write(2, b"hidden\n")
    os.write(2, b"shown\n")
    assert capfd.readouterr().err == "shown\n"
