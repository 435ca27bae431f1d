"""mx.nd.random's Python samplers (gamma, poisson, negative_binomial,
generalized_negative_binomial, multinomial) and the X_like operators: output shapes and dtypes
as MXNet 1.9.1 returns them (read off MXNet 1.9.1 for the calls below), and the moments of
each distribution."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx

R = mx.nd.random
A = mx.nd.array([1.0, 2.0])

# (call, MXNet 1.9.1's output shape, dtype)
SHAPES = [
    (lambda: R.gamma(), (1,), np.float32),
    (lambda: R.gamma(2, 3, shape=(2, 2)), (2, 2), np.float32),
    (lambda: R.gamma(A, A, shape=3), (2, 3), np.float32),
    (lambda: R.gamma(2, 2, shape=2, dtype="float16"), (2,), np.float16),
    (lambda: R.poisson(A), (2,), np.float32),
    (lambda: R.poisson(2), (1,), np.float32),
    (lambda: R.negative_binomial(2, 0.5, (4,)), (4,), np.float32),
    (lambda: R.generalized_negative_binomial(A, A), (2,), np.float32),
    (lambda: R.multinomial(mx.nd.array([[0.2, 0.8], [0.5, 0.5]])), (2,), np.int32),
    (lambda: R.multinomial(mx.nd.array([0.2, 0.8]), shape=(3,)), (3,), np.int32),
    (lambda: R.uniform_like(mx.nd.zeros((2, 3))), (2, 3), np.float32),
    (lambda: R.normal_like(mx.nd.zeros((2, 3)), loc=1, scale=2), (2, 3), np.float32),
    (lambda: R.gamma_like(mx.nd.zeros((2, 3), dtype="float16")), (2, 3), np.float16),
]


@pytest.mark.parametrize("i", range(len(SHAPES)))
def test_shapes_and_dtypes_are_mxnets(i):
    make, shape, dtype = SHAPES[i]
    out = make()
    assert out.shape == shape and out.dtype == dtype


N = 20000
MOMENTS = [  # (draw of N samples, mean, variance)
    (lambda: R.gamma(2.0, 3.0, shape=N), 6.0, 18.0),
    (lambda: R.gamma(mx.nd.array([2.0]), mx.nd.array([3.0]), shape=N)[0], 6.0, 18.0),
    (lambda: R.poisson(4.0, shape=N), 4.0, 4.0),
    (lambda: R.negative_binomial(3, 0.4, shape=N), 4.5, 11.25),
    (lambda: R.generalized_negative_binomial(2.0, 0.5, shape=N), 2.0, 4.0),
    (lambda: R.uniform_like(mx.nd.zeros(N), low=-1, high=3), 1.0, 16 / 12),
    (lambda: R.normal_like(mx.nd.zeros(N), loc=1, scale=2), 1.0, 4.0),
    (lambda: R.exponential_like(mx.nd.zeros(N), lam=2.0), 0.5, 0.25),
    (lambda: R.gamma_like(mx.nd.zeros(N), alpha=2.0, beta=0.5), 1.0, 0.5),
    (lambda: R.poisson_like(mx.nd.zeros(N), lam=3.0), 3.0, 3.0),
    (lambda: R.negative_binomial_like(mx.nd.zeros(N), k=2, p=0.5), 2.0, 4.0),
    (lambda: R.generalized_negative_binomial_like(mx.nd.zeros(N), mu=1.0, alpha=1.0), 1.0, 2.0),
]


@pytest.mark.parametrize("i", range(len(MOMENTS)))
def test_samples_have_the_distribution_moments(i):
    mx.random.seed(7)
    draw, mean, var = MOMENTS[i]
    x = draw().asnumpy().astype(np.float64)
    assert abs(x.mean() - mean) < 6 * np.sqrt(var / N)
    assert abs(x.var() / var - 1) < 0.1


def test_multinomial_frequencies_follow_the_probabilities():
    mx.random.seed(3)
    draws = R.multinomial(mx.nd.array([0.1, 0.6, 0.3]), shape=N).asnumpy()
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / N, [0.1, 0.6, 0.3], atol=0.02)


def test_mixed_number_and_array_parameters_are_refused():
    with pytest.raises(TypeError, match=r"random.gamma: the distribution parameters \['alpha', 'beta'\] must be all numbers or all NDArrays"):
        R.gamma(A, 2.0)


def test_like_samplers_work_in_a_hybridized_block():
    class Noise(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x + F.random.normal_like(x, scale=0.0)

    net = Noise()
    net.hybridize()
    x = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(net(x).asnumpy(), x.asnumpy())
