"""Convolution lowerings chosen per shape on CPU give the default lowering's results: the
depthwise sum of shifted multiply-adds and the grouped convolution's im2col backward against
lax.conv_general_dilated, forward and gradients to data and weight."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from gluax._src.ops.nn import convolution

RNG = np.random.RandomState(0)


def _reference(x, w, stride, pad, dilate, groups):
    return lax.conv_general_dilated(
        x, w, stride, [(q, q) for q in pad], rhs_dilation=dilate,
        dimension_numbers=("NCHW", "OIHW", "NCHW"), feature_group_count=groups,
    )  # fmt: skip


def _prims(fn, *args):
    return {e.primitive.name for e in jax.make_jaxpr(fn)(*args).jaxpr.eqns}


# (channels, multiplier, map, kernel, stride, pad, dilate)
DEPTHWISE = [
    (4, 1, (7, 7), (3, 3), (1, 1), (1, 1), (1, 1)),
    (3, 1, (9, 8), (3, 3), (2, 2), (1, 1), (1, 1)),
    (2, 2, (8, 8), (3, 2), (1, 2), (0, 1), (2, 1)),
    (4, 1, (3, 3), (3, 3), (1, 1), (1, 1), (1, 1)),  # tiny map
]


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the depthwise sum is the CPU lowering")
@pytest.mark.parametrize("c,mult,hw,k,s,p,d", DEPTHWISE)
def test_depthwise_sum_matches_default_lowering(c, mult, hw, k, s, p, d):
    x = jnp.asarray(RNG.randn(2, c, *hw).astype("float32"))
    w = jnp.asarray(RNG.randn(c * mult, 1, *k).astype("float32"))
    ours = lambda x, w: convolution(
        x, w, kernel=k, num_filter=c * mult, stride=s, pad=p, dilate=d, num_group=c, no_bias=True
    )
    ref = lambda x, w: _reference(x, w, s, p, d, c)
    assert "conv_general_dilated" not in _prims(ours, x, w)  # the depthwise form was taken
    y, back = jax.vjp(ours, x, w)
    y_ref, back_ref = jax.vjp(ref, x, w)
    assert y.shape == y_ref.shape
    np.testing.assert_allclose(np.asarray(y), np.asarray(y_ref), rtol=1e-5, atol=1e-5)
    g = jnp.asarray(RNG.randn(*y.shape).astype("float32"))
    for a, b in zip(back(g), back_ref(g)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)

# (channels, groups, map, kernel, stride, pad, dilate)
GROUPED = [
    (4, 2, (6, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    (6, 3, (7, 6), (3, 2), (2, 1), (1, 0), (1, 2)),
]


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the im2col gradient is the CPU lowering")
@pytest.mark.parametrize("c,groups,hw,k,s,p,d", GROUPED)
def test_grouped_im2col_gradient_matches_default_lowering(c, groups, hw, k, s, p, d):
    x = jnp.asarray(RNG.randn(2, c, *hw).astype("float32"))
    w = jnp.asarray(RNG.randn(c, c // groups, *k).astype("float32"))
    ours = lambda x, w: convolution(
        x, w, kernel=k, num_filter=c, stride=s, pad=p, dilate=d, num_group=groups, no_bias=True
    )
    ref = lambda x, w: _reference(x, w, s, p, d, groups)
    assert any(name.startswith("custom_") for name in _prims(ours, x, w))  # im2col backward used
    y, back = jax.vjp(ours, x, w)
    y_ref, back_ref = jax.vjp(ref, x, w)
    np.testing.assert_allclose(np.asarray(y), np.asarray(y_ref), rtol=1e-5, atol=1e-5)
    g = jnp.asarray(RNG.randn(*y.shape).astype("float32"))
    for a, b in zip(back(g), back_ref(g)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)
    # second order (reverse over reverse) goes through the im2col form too
    hess = jax.grad(lambda x: jnp.sum(jax.grad(lambda x: jnp.sum(ours(x, w) ** 2))(x)))(x)
    hess_ref = jax.grad(lambda x: jnp.sum(jax.grad(lambda x: jnp.sum(ref(x, w) ** 2))(x)))(x)
    np.testing.assert_allclose(np.asarray(hess), np.asarray(hess_ref), rtol=1e-4, atol=1e-3)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the depthwise sum is the CPU lowering")
def test_depthwise_forward_mode_second_order_and_residuals():
    c, k, s, p = 3, (3, 3), (2, 2), (1, 1)
    x = jnp.asarray(RNG.randn(2, c, 9, 8).astype("float32"))
    w = jnp.asarray(RNG.randn(c, 1, *k).astype("float32"))
    ours = lambda x, w: convolution(
        x, w, kernel=k, num_filter=c, stride=s, pad=p, num_group=c, no_bias=True
    )
    ref = lambda x, w: _reference(x, w, s, p, (1, 1), c)
    tx = jnp.asarray(RNG.randn(*x.shape).astype("float32"))
    tw = jnp.asarray(RNG.randn(*w.shape).astype("float32"))
    _, t = jax.jvp(ours, (x, w), (tx, tw))
    _, t_ref = jax.jvp(ref, (x, w), (tx, tw))
    np.testing.assert_allclose(np.asarray(t), np.asarray(t_ref), rtol=1e-4, atol=1e-4)
    hess = jax.grad(lambda w: jnp.sum(jax.grad(lambda x: jnp.sum(ours(x, w) ** 2))(x) ** 2))(w)
    hess_ref = jax.grad(lambda w: jnp.sum(jax.grad(lambda x: jnp.sum(ref(x, w) ** 2))(x) ** 2))(w)
    np.testing.assert_allclose(np.asarray(hess), np.asarray(hess_ref), rtol=1e-4, atol=1e-2)
    # reverse mode keeps the input for the weight gradient, not its kh*kw strided taps
    res = jax.linearize(lambda w: ours(x, w), w)[1]
    kept = [v for v in jax.tree_util.tree_leaves(res) if hasattr(v, "shape")]
    assert sum(v.size for v in kept) <= x.size + w.size + 64, [v.shape for v in kept]
