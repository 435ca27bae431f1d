"""FullyConnected, batch_dot and linalg gemm/gemm2 lower to one dot_general naming the
contracted axes (no transposed operand copy): values and gradients against numpy, and the
program checked for the absence of a transpose."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gluax._src.ops.linalg import batch_dot, linalg_gemm2
from gluax._src.ops.nn_basic import fully_connected

RNG = np.random.RandomState(0)


def _prims(fn, *args):
    return {e.primitive.name for e in jax.make_jaxpr(fn)(*args).jaxpr.eqns}


@pytest.mark.parametrize("shape,flatten", [((3, 5), True), ((2, 3, 4), True), ((2, 3, 4), False)])
def test_fully_connected_values_and_grads(shape, flatten):
    x = RNG.randn(*shape).astype("float32")
    k = int(np.prod(shape[1:])) if flatten else shape[-1]
    w = RNG.randn(6, k).astype("float32")
    b = RNG.randn(6).astype("float32")
    f = lambda x, w, b: fully_connected(x, w, b, num_hidden=6, flatten=flatten)
    xm = x.reshape(shape[0], -1) if flatten else x
    want = xm @ w.T + b
    np.testing.assert_allclose(np.asarray(f(x, w, b)), want, rtol=1e-5, atol=1e-5)
    # d(sum(y * g))/dx = g @ w, /dw = g^T x (over all leading axes), /db = sum g
    g = RNG.randn(*want.shape).astype("float32")
    gx, gw, gb = jax.grad(lambda *a: jnp.sum(f(*a) * g), argnums=(0, 1, 2))(x, w, b)
    np.testing.assert_allclose(np.asarray(gx), (g @ w).reshape(shape), rtol=1e-4, atol=1e-4)
    g2, x2 = g.reshape(-1, 6), xm.reshape(-1, k)
    np.testing.assert_allclose(np.asarray(gw), g2.T @ x2, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(gb), g2.sum(0), rtol=1e-4, atol=1e-4)
    assert "transpose" not in _prims(f, x, w, b)


@pytest.mark.parametrize("ta,tb", [(False, False), (False, True), (True, False), (True, True)])
def test_batch_dot_and_gemm2_transposes(ta, tb):
    a = RNG.randn(2, 3, 4).astype("float32")
    b = RNG.randn(2, 4, 5).astype("float32")
    a_in = np.swapaxes(a, 1, 2).copy() if ta else a
    b_in = np.swapaxes(b, 1, 2).copy() if tb else b
    want = a @ b
    got = batch_dot(a_in, b_in, transpose_a=ta, transpose_b=tb)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
    got2 = linalg_gemm2(a_in, b_in, transpose_a=ta, transpose_b=tb, alpha=2.0)
    np.testing.assert_allclose(np.asarray(got2), 2 * want, rtol=1e-5, atol=1e-5)
    assert "transpose" not in _prims(lambda p, q: batch_dot(p, q, transpose_a=ta, transpose_b=tb), a_in, b_in)
    # the gradient of the transposed operand comes back in its own layout
    ga = jax.grad(lambda p: jnp.sum(batch_dot(p, b_in, transpose_a=ta, transpose_b=tb)))(a_in)
    want_ga = np.broadcast_to(b.sum(2)[:, None, :], a.shape)
    np.testing.assert_allclose(np.asarray(ga), np.swapaxes(want_ga, 1, 2) if ta else want_ga, rtol=1e-5)


def test_batch_dot_mixed_dtypes_promote():
    a = np.ones((1, 2, 3), "float32")
    b = np.ones((1, 3, 2), "float16")
    assert batch_dot(a, b).dtype == jnp.float32
