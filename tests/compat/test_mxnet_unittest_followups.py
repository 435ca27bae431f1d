"""Follow-ups from running MXNet 1.9.1's own unit tests against gluax: module names those tests
import, ``moveaxis`` permutations, ``inplace=`` arguments, ``histogram`` and the ``pdf_*`` names.
Expected values come from numpy or were read off MXNet 1.9.1 (noted beside each)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx

# the non-underscore module-level names of MXNet 1.9.1's mxnet.test_utils that are modules or
# helpers it imported (dir() of it, less the functions both define); np_symbol belongs to the
# NumPy-interface issue, ss/requests resolve lazily (not through `import *`)
_MX_TEST_UTILS_IMPORTED = {
    "OrderedDict": "collections", "bz2": "bz2", "contextmanager": "contextlib", "errno": "errno",
    "gzip": "gzip", "json": "json", "logging": "logging", "np": "numpy", "npt": "numpy.testing",
    "numbers": "numbers", "os": "os", "platform": "platform", "rnd": "numpy.random",
    "ss": "scipy.stats", "struct": "struct", "sys": "sys", "time": "time",
    "traceback": "traceback", "zipfile": "zipfile",
}


def test_test_utils_exposes_mxnet_module_names():
    import importlib

    tu = mx.test_utils
    for name, target in _MX_TEST_UTILS_IMPORTED.items():
        obj = getattr(tu, name)
        mod = importlib.import_module(target)
        if hasattr(mod, name) and not isinstance(obj, type(np)):
            assert obj is getattr(mod, name), name  # OrderedDict, contextmanager
        else:
            assert obj is mod, name
    assert tu.mx is mx
    assert callable(tu.get_cuda_compute_capability)
    # `import *` brings them (MXNet's test_random relies on rnd being numpy.random)
    ns: dict = {}
    exec("from gluax.test_utils import *", ns)
    assert ns["rnd"] is np.random and ns["np"] is np and ns["mx"] is mx and "time" in ns
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = tu.no_such_name


def test_autograd_and_ndarray_module_names():
    from gluax.ndarray.ndarray import (
        _STORAGE_TYPE_CSR,
        _STORAGE_TYPE_ID_TO_STR,
        _STORAGE_TYPE_STR_TO_ID,
        py_slice,
    )

    assert mx.autograd.NDArray is mx.nd.NDArray
    assert mx.autograd.Symbol is mx.sym.Symbol
    assert py_slice is slice
    # MXNet 1.9.1's values
    assert _STORAGE_TYPE_STR_TO_ID == {"undefined": -1, "default": 0, "row_sparse": 1, "csr": 2}
    assert _STORAGE_TYPE_ID_TO_STR[2] == "csr" and _STORAGE_TYPE_CSR == 2
    assert mx.nd.zeros((2,)).stype in _STORAGE_TYPE_STR_TO_ID


_MOVE_CASES = [
    (0, 2), (2, 0), (0, -1), (-1, 0), ((0, 1), (2, 3)), ((2, 3), (0, 1)), ((0, 1, 2), (2, 3, 0)),
    ((3, 0), (1, 0)), ((0, 3), (0, 1)), ([0, -1], [0, -1]), (range(4), range(4)),
    ((-1, -2), (0, 1)), ((2, 0), (0, 1)),
]


@pytest.mark.parametrize("source,destination", _MOVE_CASES)
def test_moveaxis_matches_numpy(source, destination):
    a = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)
    got = mx.nd.moveaxis(mx.nd.array(a), source, destination).asnumpy()
    np.testing.assert_array_equal(got, np.moveaxis(a, source, destination))


@pytest.mark.parametrize(
    "source,destination",
    [(3, 0), (-4, 0), (0, 5), ([0, 0], [0, 1]), ([0, 1], [1, 1]), (0, [0, 1]), ([0, 1], [0])],
)
def test_moveaxis_bad_axes_raise_value_error(source, destination):
    # MXNet 1.9.1 raises ValueError for each of these (its test_ndarray.test_moveaxis)
    x = mx.nd.zeros((1, 2, 3))
    with pytest.raises(ValueError, match="moveaxis"):
        mx.nd.moveaxis(x, source, destination)


def test_inplace_argument_accepted():
    a = np.arange(6, dtype=np.float32).reshape(2, 1, 3)
    x = mx.nd.array(a)
    for inplace in (False, True):
        np.testing.assert_array_equal(x.flatten(inplace=inplace).asnumpy(), a.reshape(2, 3))
        np.testing.assert_array_equal(
            x.expand_dims(axis=-1, inplace=inplace).asnumpy(), a[..., None]
        )
        np.testing.assert_array_equal(x.squeeze(axis=1, inplace=inplace).asnumpy(), a[:, 0])
        np.testing.assert_array_equal(mx.nd.squeeze(x, inplace=inplace).asnumpy(), a[:, 0])

    class Squeeze(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x.squeeze(inplace=True)

    net = Squeeze()
    net.hybridize()
    np.testing.assert_array_equal(net(x).asnumpy(), a[:, 0])


_HIST_DATA = [0.5, 1.5, 2.0, 3.7, -1.0, 9.0]


def test_nd_histogram_matches_mxnet():
    import warnings

    a = mx.nd.array(_HIST_DATA)
    # MXNet 1.9.1: mx.nd.histogram(a, bins=4) -> numpy's result as float32 NDArrays, with a warning
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        counts, edges = mx.nd.histogram(a, bins=4)
    assert w
    np.testing.assert_array_equal(counts.asnumpy(), [2, 3, 0, 1])
    np.testing.assert_allclose(edges.asnumpy(), [-1.0, 1.5, 4.0, 6.5, 9.0])
    counts, edges = mx.nd.histogram(a, bins=4, range=(0, 4))
    np.testing.assert_array_equal(counts.asnumpy(), [1, 1, 1, 1])
    np.testing.assert_array_equal(edges.asnumpy(), [0, 1, 2, 3, 4])
    counts, edges = mx.nd.histogram(a, bins=mx.nd.array([0, 1, 2.5, 10]))
    np.testing.assert_array_equal(counts.asnumpy(), [1, 2, 2])
    from gluax.ndarray.ndarray import histogram

    assert histogram is mx.nd.histogram
    with pytest.raises(ValueError, match="bins"):
        mx.nd.histogram(a, bins=2.5)


def test_sym_histogram_two_outputs_as_mxnet():
    a = mx.nd.array(_HIST_DATA)
    s = mx.sym.histogram(mx.sym.var("a"), bins=3, range=(0, 4))
    assert len(s.list_outputs()) == 2  # MXNet: _histogram0_output0, _histogram0_output1
    counts, edges = s.eval(a=a)
    np.testing.assert_array_equal(counts.asnumpy(), [1, 2, 1])  # MXNet 1.9.1
    np.testing.assert_allclose(edges.asnumpy(), [0, 4 / 3, 8 / 3, 4], rtol=1e-6)
    s = mx.sym.histogram(mx.sym.var("a"), bins=mx.sym.var("b"))
    counts, _ = s.eval(a=a, b=mx.nd.array([0, 1, 2.5, 10]))
    np.testing.assert_array_equal(counts.asnumpy(), [1, 2, 2])
    with pytest.raises(ValueError, match="range"):
        mx.sym.histogram(mx.sym.var("a"), bins=3)  # MXNet: null range unsupported in symbol mode


def test_gen_random_pdf_names():
    import gluax.ndarray.gen_random as g
    import gluax.symbol.gen_random as sg

    x = mx.nd.array([[0.2, 1.5], [3.0, 0.0]])
    mu, sigma = mx.nd.array([0.0, 1.0]), mx.nd.array([1.0, 2.0])
    # MXNet 1.9.1's random_pdf_normal / random_pdf_poisson / random_pdf_gamma(is_log) values
    want = [[0.39104268, 0.1295176], [0.12098536, 0.17603266]]
    np.testing.assert_allclose(g.pdf_normal(x, mu, sigma).asnumpy(), want, rtol=1e-5)
    got = g.pdf_poisson(mx.nd.array([[0.0, 1.0, 3.0]]), mx.nd.array([2.0])).asnumpy()
    np.testing.assert_allclose(got, [[0.13533528, 0.27067056, 0.18044704]], rtol=1e-5)
    got = g.pdf_gamma(x, mx.nd.array([2.0, 3.0]), mx.nd.array([1.0, 0.5]), is_log=True).asnumpy()
    np.testing.assert_allclose(got, [[-1.8094379, -1.0945349], [-2.0753641, -np.inf]], rtol=1e-5)
    s = sg.pdf_normal(mx.sym.var("x"), mx.sym.var("mu"), mx.sym.var("sigma"))
    np.testing.assert_allclose(s.eval(x=x, mu=mu, sigma=sigma)[0].asnumpy(), want, rtol=1e-5)
    for name in ("dirichlet", "exponential", "gamma", "generalized_negative_binomial",
                 "negative_binomial", "normal", "poisson", "uniform"):
        assert callable(getattr(g, "pdf_" + name)) and callable(getattr(sg, "pdf_" + name))


def test_crop_assign_aliases():
    # MXNet registers _crop_assign(_scalar) as aliases of _slice_assign(_scalar)
    x = mx.nd.ones((2, 3, 4))
    np.testing.assert_array_equal(mx.nd.crop(x, begin=(0, 0, 0), end=(2, 1, 3)).asnumpy(),
                                  np.ones((2, 1, 3)))
    mx.nd._internal._crop_assign(x, mx.nd.zeros((2, 1, 3)), begin=(0, 0, 0), end=(2, 1, 3), out=x)
    want = np.ones((2, 3, 4), np.float32)
    want[:, :1, :3] = 0
    np.testing.assert_array_equal(x.asnumpy(), want)
    y = mx.nd._internal._crop_assign_scalar(x, scalar=5.0, begin=(1, 2, 0), end=(2, 3, 2))
    want[1, 2, :2] = 5
    np.testing.assert_array_equal(y.asnumpy(), want)


@pytest.mark.parametrize("index", [0, (1, 2), (slice(None), [0, 2]), slice(0, 1)])
def test_setitem_drops_leading_one_dims_of_value(index):
    # numpy (and MXNet's test_ndarray.test_ndarray_indexing) accept x[0] = v of shape (1, 1, 1, n)
    x = mx.nd.zeros((2, 3, 4))
    want = np.zeros((2, 3, 4), np.float32)
    v = np.arange(4, dtype=np.float32).reshape(1, 1, 1, 4)
    x[index] = mx.nd.array(v)
    want[index] = v
    np.testing.assert_array_equal(x.asnumpy(), want)


def test_container_and_sequential_warnings():
    import warnings

    nn = mx.gluon.nn

    class ListHolder(mx.gluon.Block):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Dense(2), nn.Dense(2)]  # not registered: MXNet warns

    class Registered(mx.gluon.Block):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential()
            self.layers.add(nn.Dense(2))
            self.data = {"a": "4", "b": 123}

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ListHolder().collect_params()
    assert any("unregistered container" in str(x.message) for x in w)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        Registered().collect_params()
    assert not w
    # MXNet: one warning when every child of a Sequential is a HybridBlock
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        seq = nn.Sequential()
        seq.add(nn.Dense(3))
        seq.hybridize()
    assert len(w) == 1 and "HybridSequential" in str(w[0].message)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        seq = nn.Sequential()
        seq.add(nn.Dense(3), ListHolder())
        seq.hybridize()
    assert not w


def test_summary_of_hybridized_block_raises_assertion_error():
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(2))
    net.initialize()
    net.hybridize()
    with pytest.raises(AssertionError, match="hybridized"):  # MXNet's class
        net.summary(mx.nd.ones((1, 3)))
    with pytest.raises(RuntimeError, match="hybridized"):  # gluax's earlier class still holds
        net.summary(mx.nd.ones((1, 3)))


def test_symbol_block_structural_names_drop_common_prefix(tmp_path):
    nn = mx.gluon.nn

    class Net(mx.gluon.HybridBlock):
        def __init__(self):
            super().__init__(prefix="net_")
            with self.name_scope():
                d = mx.sym.var("data")
                b = nn.HybridSequential(prefix="bb_")
                with b.name_scope():
                    b.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3))
                self.backbone = mx.gluon.SymbolBlock(b(d), d, params=b.collect_params())
                self.body = nn.Dense(2, in_units=2, prefix="body_")

        def hybrid_forward(self, F, x):
            return self.backbone(self.body(x))

    net = Net()
    net.initialize()
    out = net(mx.nd.ones((1, 2)))
    f = str(tmp_path / "p.params")
    net.save_parameters(f)
    # the keys MXNet 1.9.1 writes for this network (its SymbolBlock strips the shared prefix)
    assert sorted(mx.nd.load(f)) == ["backbone.0_bias", "backbone.0_weight", "backbone.1_bias",
                                     "backbone.1_weight", "body.bias", "body.weight"]
    net2 = Net()  # a second instance has other full names (net1_...) but loads by structure
    net2.load_parameters(f)
    np.testing.assert_allclose(net2(mx.nd.ones((1, 2))).asnumpy(), out.asnumpy(), rtol=1e-6)
