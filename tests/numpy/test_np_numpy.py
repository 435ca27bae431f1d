"""Property tests: ``mx.np.f(x)`` equals NumPy's ``f(x)`` (values and float dtypes) on random
float32 inputs of a few shapes, where MXNet documents NumPy semantics; gradients through the
table match the analytic ones."""

from __future__ import annotations

import numpy as onp
import pytest

import gluax as mx
from gluax import np

SHAPES = [(3,), (2, 1, 4)]


def _inputs(kind: str, shape, seed: int) -> onp.ndarray:
    rng = onp.random.RandomState(seed)
    if kind == "pos":
        return rng.uniform(0.1, 3.0, shape).astype("float32")
    if kind == "unit":
        return rng.uniform(-0.9, 0.9, shape).astype("float32")
    if kind == "gt1":
        return rng.uniform(1.1, 3.0, shape).astype("float32")
    return rng.uniform(-2.0, 2.0, shape).astype("float32")


UNARY = {
    "any": "sin cos tan arctan sinh cosh tanh arcsinh exp expm1 abs absolute negative positive "
           "sign square floor ceil trunc fix degrees radians deg2rad rad2deg isnan isinf "
           "isfinite signbit fabs rint cbrt".split(),
    "pos": "sqrt log log2 log10 log1p reciprocal".split(),
    "unit": "arcsin arccos arctanh".split(),
    "gt1": ["arccosh"],
}
BINARY = ("add subtract multiply divide true_divide maximum minimum hypot arctan2 copysign "
          "equal not_equal greater greater_equal less less_equal heaviside").split()
REDUCE = "sum mean prod max min amax amin std var ptp argmax argmin all any".split()


def _check(got, want, rtol=2e-5, atol=2e-6):
    assert isinstance(got, np.ndarray), type(got)
    want = onp.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind == "f":
        assert got.dtype == onp.float32
    elif want.dtype.kind == "b":
        assert got.dtype == onp.bool_
    onp.testing.assert_allclose(got.asnumpy().astype(want.dtype), want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,kind", [(n, k) for k, ns in UNARY.items() for n in ns])
def test_unary_equals_numpy(name, kind):
    for i, shape in enumerate(SHAPES):
        x = _inputs(kind, shape, i)
        ref = onp.rint(x) if name == "rint" else getattr(onp, name)(x)
        if name == "rint":  # MXNet's rint rounds halves down; random inputs have no halves
            assert not onp.any(onp.abs(x - onp.floor(x) - 0.5) < 1e-6)
        _check(getattr(np, name)(np.array(x)), ref)


@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcasts_as_numpy(name):
    for i, shape in enumerate(SHAPES):
        a, b = _inputs("any", shape, i), _inputs("any", shape[-1:], i + 10)
        _check(getattr(np, name)(np.array(a), np.array(b)), getattr(onp, name)(a, b))
        _check(getattr(np, name)(np.array(a), 0.5), getattr(onp, name)(a, onp.float32(0.5)))


@pytest.mark.parametrize("name", REDUCE)
def test_reduction_equals_numpy(name):
    for i, shape in enumerate(SHAPES):
        x = _inputs("any", shape, i)
        if name in ("all", "any"):
            x = x > 0
        f, g = getattr(np, name), getattr(onp, name)
        _check(f(np.array(x)), g(x), rtol=1e-4)
        _check(f(np.array(x), axis=-1), g(x, axis=-1), rtol=1e-4)
        if name not in ("argmax", "argmin", "ptp"):
            _check(f(np.array(x), axis=0, keepdims=True), g(x, axis=0, keepdims=True), rtol=1e-4)


SHAPE_CASES = [
    ("transpose", lambda x: ((x,), {})), ("ravel", lambda x: ((x,), {})),
    ("flip", lambda x: ((x,), {"axis": 0})), ("roll", lambda x: ((x, 2), {})),
    ("expand_dims", lambda x: ((x, 1), {})), ("swapaxes", lambda x: ((x, 0, -1), {})),
    ("moveaxis", lambda x: ((x, 0, -1), {})), ("tile", lambda x: ((x, 2), {})),
    ("repeat", lambda x: ((x, 2), {"axis": -1})), ("atleast_3d", lambda x: ((x,), {})),
    ("cumsum", lambda x: ((x,), {"axis": 0})), ("sort", lambda x: ((x,), {})),
    ("argsort", lambda x: ((x,), {})), ("diff", lambda x: ((x,), {})),
    ("clip", lambda x: ((x, -0.5, 0.5), {})), ("round", lambda x: ((x, 1), {})),
    ("nan_to_num", lambda x: ((x,), {})), ("cumsum", lambda x: ((x,), {})),
    ("reshape", lambda x: ((x, (-1,)), {})), ("squeeze", lambda x: ((x[None],), {})),
    ("broadcast_to", lambda x: ((x, (2,) + x.shape), {})),
    ("concatenate", lambda x: (([x, x],), {"axis": -1})),
    ("stack", lambda x: (([x, x],), {"axis": 0})), ("where", lambda x: ((x > 0, x, -x), {})),
    ("count_nonzero", lambda x: ((x > 0,), {})), ("average", lambda x: ((x,), {"axis": 0})),
    ("percentile", lambda x: ((x, 30), {})), ("quantile", lambda x: ((x, 0.25), {})),
    ("isclose", lambda x: ((x, x + 1e-7), {})), ("pad", lambda x: ((x, 1), {})),
]


@pytest.mark.parametrize("name,make", SHAPE_CASES, ids=[f"{n}{i}" for i, (n, _) in
                                                          enumerate(SHAPE_CASES)])
def test_array_function_equals_numpy(name, make):
    for i, shape in enumerate(SHAPES):
        x = _inputs("any", shape, i)
        args, kwargs = make(x)
        margs = tuple(np.array(a) if isinstance(a, onp.ndarray) else
                      [np.array(e) for e in a] if isinstance(a, list) else a for a in args)
        _check(getattr(np, name)(*margs, **kwargs), getattr(onp, name)(*args, **kwargs),
               rtol=1e-5, atol=1e-5)


def test_matrix_functions_equal_numpy():
    rng = onp.random.RandomState(0)
    a = rng.uniform(-1, 1, (3, 3)).astype("float32")
    spd = a @ a.T + 3 * onp.eye(3, dtype="float32")
    b = rng.uniform(-1, 1, (3, 2)).astype("float32")
    A, S, B = np.array(a), np.array(spd), np.array(b)
    _check(np.dot(A, B), a @ b)
    _check(np.matmul(A, B), a @ b)
    _check(A @ B, a @ b)
    _check(np.einsum("ij,jk->ik", A, B), a @ b)
    _check(np.tensordot(A, B, axes=1), onp.tensordot(a, b, axes=1))
    _check(np.inner(A, A), onp.inner(a, a), rtol=1e-5)
    _check(np.linalg.inv(S), onp.linalg.inv(spd), rtol=1e-4, atol=1e-5)
    _check(np.linalg.det(S), onp.linalg.det(spd), rtol=1e-4)
    _check(np.linalg.solve(S, B), onp.linalg.solve(spd, b), rtol=1e-4, atol=1e-5)
    _check(np.linalg.cholesky(S), onp.linalg.cholesky(spd), rtol=1e-4, atol=1e-5)
    _check(np.linalg.eigvalsh(S), onp.linalg.eigvalsh(spd), rtol=1e-4)
    _check(np.linalg.norm(A, axis=0), onp.linalg.norm(a, axis=0), rtol=1e-5)
    _check(np.linalg.pinv(B), onp.linalg.pinv(b), rtol=1e-3, atol=1e-4)
    _check(np.linalg.matrix_power(A, 3), onp.linalg.matrix_power(a, 3), rtol=1e-4, atol=1e-5)
    _check(np.linalg.multi_dot([A, A, B]), a @ a @ b, rtol=1e-4, atol=1e-5)
    sign, logdet = np.linalg.slogdet(S)
    _check(logdet, onp.linalg.slogdet(spd)[1], rtol=1e-4)
    ut, s, v = np.linalg.svd(B.T)
    onp.testing.assert_allclose((ut.asnumpy() * s.asnumpy()) @ v.asnumpy(), b.T, atol=1e-5)


def test_host_functions_equal_numpy():
    x = onp.array([[3, 1, 2], [1, 0, 3]], dtype="float32")
    X = np.array(x)
    _check(np.unique(X), onp.unique(x))
    for got, want in zip(np.unique(X, return_counts=True), onp.unique(x, return_counts=True)):
        _check(got, want)
    for got, want in zip(np.nonzero(X), onp.nonzero(x)):
        _check(got, want)
    _check(np.argwhere(X > 1), onp.argwhere(x > 1))
    _check(np.flatnonzero(X), onp.flatnonzero(x))
    _check(np.bincount(np.array([0, 2, 2], dtype="int32")), onp.bincount([0, 2, 2]))
    _check(np.intersect1d(X, np.array([1.0, 3.0, 5.0])), onp.intersect1d(x, [1, 3, 5]))
    _check(np.setdiff1d(X, np.array([1.0])), onp.setdiff1d(x, [1.0]))
    _check(np.in1d(X, np.array([1.0, 2.0])), onp.isin(x.ravel(), [1.0, 2.0]))
    _check(np.msort(X), onp.sort(x, axis=0))


def test_gradients_through_the_table():
    x = np.array([0.5, -1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = np.sum(np.sin(x) * x) + np.mean(np.exp(x)) + (x ** 2).sum()
    y.backward()
    v = x.asnumpy()
    want = onp.cos(v) * v + onp.sin(v) + onp.exp(v) / 3 + 2 * v
    onp.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-5)
    assert isinstance(x.grad, np.ndarray)
