"""CPU lowerings chosen per shape for the training step's gradients give the default lowering's
results: 1x1 convolutions as a matmul, the im2col weight gradient of convolutions over few input
channels (custom JVP) and max pooling's first-maximum JVP, each against lax's own operator in
forward, reverse and forward mode, and second order."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from gluax._src.ops import nn as N

pytestmark = pytest.mark.skipif(
    jax.default_backend() != "cpu", reason="these lowerings are the CPU ones"
)
RNG = np.random.RandomState(0)


def _prims(fn, *args):
    return {e.primitive.name for e in jax.make_jaxpr(fn)(*args).jaxpr.eqns}


def _close(a, b, tol):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def _check_all_modes(ours, ref, args, tol=1e-4):
    """Forward, VJP to every argument, JVP and reverse-over-reverse agree with ``ref``."""
    y, back = jax.vjp(ours, *args)
    y_ref, back_ref = jax.vjp(ref, *args)
    assert y.shape == y_ref.shape
    _close(y, y_ref, tol)
    g = jnp.asarray(RNG.randn(*y.shape).astype(y.dtype))
    for a, b in zip(back(g), back_ref(g)):
        _close(a, b, tol)
    tangents = tuple(jnp.asarray(RNG.randn(*a.shape).astype(a.dtype)) for a in args)
    _close(jax.jvp(ours, args, tangents)[1], jax.jvp(ref, args, tangents)[1], tol)

    def second(f):
        inner = jax.grad(lambda a: jnp.sum(f(a, *args[1:]) ** 2))
        return jax.grad(lambda a: jnp.sum(inner(a) ** 2))

    _close(second(ours)(args[0]), second(ref)(args[0]), 1e-3)


def _reference_conv(s, p, d):
    return lambda x, w: lax.conv_general_dilated(
        x, w, s, [(q, q) for q in p], rhs_dilation=d, dimension_numbers=("NCHW", "OIHW", "NCHW")
    )


# (in channels, out channels, map, kernel, stride, pad, dilate); maps of fewer output
# positions than POINTWISE_BATCHED_POSITIONS are one matmul over the channel axis, larger ones a
# matmul batched over the samples
POINTWISE = [
    (5, 3, (6, 5), (1, 1), (1, 1), (0, 0), (1, 1)),
    (4, 6, (7, 7), (1, 1), (2, 2), (0, 0), (1, 1)),
    (3, 2, (5, 6), (1, 1), (2, 1), (1, 2), (1, 1)),
    (4, 3, (9, 8), (1, 1), (1, 1), (0, 0), (1, 1)),
    (3, 5, (17, 16), (1, 1), (2, 2), (0, 0), (1, 1)),
    (2, 4, (8, 7), (1, 1), (1, 1), (1, 0), (1, 1)),
]


@pytest.mark.parametrize("c,o,hw,k,s,p,d", POINTWISE)
def test_pointwise_convolution_is_a_matmul(c, o, hw, k, s, p, d):
    x = jnp.asarray(RNG.randn(3, c, *hw).astype("float32"))
    w = jnp.asarray(RNG.randn(o, c, *k).astype("float32"))
    ours = lambda x, w: N.convolution(x, w, kernel=k, num_filter=o, stride=s, pad=p, no_bias=True)
    eqns = jax.make_jaxpr(ours)(x, w).jaxpr.eqns
    assert "conv_general_dilated" not in {e.primitive.name for e in eqns}
    out = [(hw[i] + 2 * p[i] - 1) // s[i] + 1 for i in range(2)]
    batched = out[0] * out[1] >= N.POINTWISE_BATCHED_POSITIONS
    dots = [e for e in eqns if e.primitive.name == "dot_general"]
    assert len(dots) == 1 and (dots[0].params["dimension_numbers"][1] == ((0,), (0,))) == batched
    _check_all_modes(ours, _reference_conv(s, p, d), (x, w))


IM2COL = [
    (1, 4, (9, 9), (5, 5), (1, 1), (0, 0), (1, 1)),  # LeNet's first layer, small
    (3, 4, (11, 10), (7, 7), (2, 2), (3, 3), (1, 1)),  # a ResNet stem, small
    (2, 3, (12, 11), (5, 5), (1, 2), (1, 0), (2, 1)),
]


@pytest.mark.parametrize("c,o,hw,k,s,p,d", IM2COL)
def test_im2col_weight_gradient_matches_default_lowering(c, o, hw, k, s, p, d):
    x = jnp.asarray(RNG.randn(2, c, *hw).astype("float32"))
    w = jnp.asarray(RNG.randn(o, c, *k).astype("float32"))
    ours = lambda x, w: N.convolution(
        x, w, kernel=k, num_filter=o, stride=s, pad=p, dilate=d, no_bias=True
    )
    assert "custom_jvp_call" in _prims(ours, x, w)
    _check_all_modes(ours, _reference_conv(s, p, d), (x, w))
    # the weight alone (the data not differentiated, as for a network's input)
    gw = jax.grad(lambda w: jnp.sum(ours(x, w) ** 2))(w)
    gw_ref = jax.grad(lambda w: jnp.sum(_reference_conv(s, p, d)(x, w) ** 2))(w)
    _close(gw, gw_ref, 1e-3)


def _reference_max_pool(k, s, padding):
    def pool(x):
        y = lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, *k), (1, 1, *s), padding)
        return jnp.maximum(y, jnp.finfo(x.dtype).min)

    return pool


# (map, kernel, stride, pad, convention)
POOLS = [
    ((8, 8), (2, 2), (2, 2), (0, 0), "valid"),
    ((9, 7), (3, 3), (2, 2), (1, 1), "valid"),  # overlapping windows, padding
    ((7, 7), (3, 2), (2, 2), (0, 1), "full"),  # a last window past the padding
    ((5, 6), (2, 3), (1, 1), (0, 0), "valid"),
]


@pytest.mark.parametrize("hw,k,s,p,conv", POOLS)
def test_max_pool_taps_match_select_and_scatter(hw, k, s, p, conv):
    # ReLU-like data: many windows hold equal maxima (zeros); the gradient goes to the first
    x = jnp.asarray(np.maximum(RNG.randn(2, 3, *hw), 0).astype("float32"))
    ours = lambda x: N.pooling(
        x, kernel=k, stride=s, pad=p, pool_type="max", pooling_convention=conv
    )
    assert "custom_jvp_call" in _prims(ours, x)
    extra = [(-(n + 2 * q - kk) % ss) if conv == "full" else 0 for n, q, kk, ss in zip(hw, p, k, s)]
    padding = [(0, 0), (0, 0)] + [(q, q + e) for q, e in zip(p, extra)]
    ref = _reference_max_pool(k, s, padding)
    y, back = jax.vjp(ours, x)
    y_ref, back_ref = jax.vjp(ref, x)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(y_ref))
    g = jnp.asarray(RNG.randn(*y.shape).astype("float32"))
    np.testing.assert_array_equal(np.asarray(back(g)[0]), np.asarray(back_ref(g)[0]))
    t = jnp.asarray(RNG.randn(*x.shape).astype("float32"))
    np.testing.assert_array_equal(
        np.asarray(jax.jvp(ours, (x,), (t,))[1]), np.asarray(jax.jvp(ref, (x,), (t,))[1])
    )


def test_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    x = jnp.asarray([[[[1.0, 2.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0]]]])
    y, back = jax.vjp(lambda x: N.pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="max"), x)
    grad = back(jnp.asarray([[[[10.0, 20.0]]]]))[0]
    np.testing.assert_array_equal(np.asarray(y), [[[[2.0, 0.0]]]])
    np.testing.assert_array_equal(np.asarray(grad), [[[[0, 10, 20, 0], [0, 0, 0, 0]]]])


def test_grouped_convolution_keeps_forward_mode():
    # the grouped (not depthwise) im2col backward is a custom JVP: jax.jvp works as for lax's
    x = jnp.asarray(RNG.randn(2, 6, 6, 5).astype("float32"))
    w = jnp.asarray(RNG.randn(6, 2, 3, 3).astype("float32"))
    ours = lambda x, w: N.convolution(
        x, w, kernel=(3, 3), num_filter=6, pad=(1, 1), num_group=3, no_bias=True
    )
    ref = lambda x, w: lax.conv_general_dilated(
        x, w, (1, 1), [(1, 1), (1, 1)], dimension_numbers=("NCHW", "OIHW", "NCHW"),
        feature_group_count=3,
    )  # fmt: skip
    assert "custom_jvp_call" in _prims(ours, x, w)
    _check_all_modes(ours, ref, (x, w))


def test_small_kernels_over_few_channels_keep_xla_convolution():
    # a 3x3 stem over 3 channels measured faster with XLA's weight gradient: no custom rule
    x = jnp.zeros((1, 3, 8, 8), jnp.float32)
    w = jnp.zeros((4, 3, 3, 3), jnp.float32)
    ours = lambda x, w: N.convolution(x, w, kernel=(3, 3), num_filter=4, no_bias=True)
    assert _prims(ours, x, w) == {"conv_general_dilated"}
