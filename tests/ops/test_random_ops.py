"""Random samplers: shapes, dtypes, and sample moments against the distributions' (MXNet's
numbers cannot be reproduced: gluax draws from jax keys)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd

N = 20000
# (operator, attributes, mean, variance) of scalar-parameter samplers
SCALAR = [
    ("random_gamma", {"alpha": 2.0, "beta": 3.0}, 6.0, 18.0),
    ("random_poisson", {"lam": 3.0}, 3.0, 3.0),
    ("random_negative_binomial", {"k": 3, "p": 0.4}, 4.5, 11.25),
    ("random_generalized_negative_binomial", {"mu": 2.0, "alpha": 0.5}, 2.0, 4.0),
]


@pytest.mark.parametrize("name, attrs, mean, var", SCALAR)
def test_scalar_samplers_have_the_distribution_moments(name, attrs, mean, var, rng):
    x = getattr(mx.nd, name)(shape=(N,), **attrs)
    assert x.shape == (N,) and x.dtype == np.float32
    s = x.asnumpy()
    assert abs(s.mean() - mean) < 4 * np.sqrt(var / N)
    assert abs(s.var() - var) < 0.1 * var


# (operator, parameter arrays, mean per parameter element)
ARRAY = [
    ("sample_uniform", ([0.0, 2.0], [1.0, 6.0]), [0.5, 4.0]),
    ("sample_normal", ([0.0, 5.0], [1.0, 2.0]), [0.0, 5.0]),
    ("sample_gamma", ([1.0, 2.0], [1.0, 3.0]), [1.0, 6.0]),
    ("sample_exponential", ([1.0, 4.0],), [1.0, 0.25]),
    ("sample_poisson", ([1.0, 5.0],), [1.0, 5.0]),
    ("sample_negative_binomial", ([2.0, 3.0], [0.5, 0.4]), [2.0, 4.5]),
    (
        "sample_generalized_negative_binomial",
        ([1.0, 2.0], [0.0, 0.5]),
        [1.0, 2.0],
    ),  # alpha=0: Poisson
]


@pytest.mark.parametrize("name, params, mean", ARRAY)
def test_array_samplers_draw_shape_per_parameter_element(name, params, mean, rng):
    x = getattr(mx.nd, name)(*[mx.nd.array(p) for p in params], shape=(N // 4,))
    assert x.shape == (2, N // 4) and x.dtype == np.float32
    np.testing.assert_allclose(x.asnumpy().mean(axis=1), mean, rtol=0.08, atol=0.03)


def test_sample_multinomial_frequencies_and_log_probability_gradient(rng):
    p = mx.nd.array([[0.2, 0.8], [0.6, 0.4]])
    s = mx.nd.sample_multinomial(p, shape=(N,))
    assert s.shape == (2, N) and s.dtype == np.int32
    np.testing.assert_allclose(s.asnumpy().mean(axis=1), [0.8, 0.4], atol=0.02)
    p.attach_grad()
    with autograd.record():
        idx, logp = mx.nd.sample_multinomial(p, shape=(3,), get_prob=True)
    logp.backward()
    chosen = np.take_along_axis(p.asnumpy(), idx.asnumpy(), axis=1)
    np.testing.assert_allclose(logp.asnumpy(), np.log(chosen), rtol=1e-6)
    counts = np.stack([(idx.asnumpy() == k).sum(1) for k in range(2)], axis=1)
    np.testing.assert_allclose(p.grad.asnumpy(), counts / p.asnumpy(), rtol=1e-6)


def test_samplers_draw_afresh_per_hybridized_call_and_repeat_after_seed():
    class Draw(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, lam):
            return F.sample_poisson(lam, shape=(8,))

    net = Draw()
    net.hybridize()
    lam = mx.nd.array([4.0, 9.0])
    mx.random.seed(7)
    a, b = net(lam).asnumpy(), net(lam).asnumpy()
    assert not np.array_equal(a, b)
    mx.random.seed(7)
    np.testing.assert_array_equal(net(lam).asnumpy(), a)


def test_sample_parameters_must_share_a_shape():
    with pytest.raises(
        ValueError,
        match=r"sample_normal: the parameter arrays must have the same shape, got \[\(2,\), \(3,\)\]",
    ):
        mx.nd.sample_normal(mx.nd.zeros((2,)), mx.nd.ones((3,)))


def test_uniform_and_normal_draw_flat_with_the_values_of_a_shaped_draw():
    # gluax draws a flat vector and reshapes (XLA compiles it several times faster); the
    # values must be exactly JAX's for the shaped draw from the same key
    import jax

    from gluax._src.ops import creation

    key = jax.random.PRNGKey(11)
    for shape in [(4, 3, 5, 5), (7,), (2, 0, 3), ()]:
        u = creation._random_uniform(key, -2.0, 3.0, shape=shape)
        np.testing.assert_array_equal(u, -2.0 + 5.0 * jax.random.uniform(key, shape))
        z = creation._random_normal(key, 1.0, 0.5, shape=shape)
        np.testing.assert_array_equal(z, 1.0 + 0.5 * jax.random.normal(key, shape))
        assert u.shape == z.shape == shape
