"""Max pooling's CPU gradient (``ops/nn.py``'s first-maximum JVP) when XLA fuses the pooled
data's producer: a normalization in the same jitted program must not lose any window's
gradient (it did when the maxima were found by comparing the data with the pooled output)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gluax._src.ops import nn as ops_nn


def _normalized(x):
    m = x.mean(axis=(0, 2, 3), keepdims=True)
    v = ((x - m) ** 2).mean(axis=(0, 2, 3), keepdims=True)
    return jax.nn.relu((x - m) / jnp.sqrt(v + 1e-3) * 1.3 + 0.2)


def _reference(x):
    return jax.lax.reduce_window(
        _normalized(x), -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID"
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_through_a_fused_normalization_equals_lax(seed):
    rs = np.random.RandomState(seed)
    x = jnp.asarray(rs.randn(2, 4, 6, 6).astype(np.float32))
    head = rs.randn(2, 4, 3, 3).astype(np.float32)

    def ours(x):
        return ops_nn.pooling(_normalized(x), kernel=(2, 2), stride=(2, 2), pool_type="max")

    assert ops_nn._use_max_pool_taps(2, False) == (jax.default_backend() == "cpu")
    got = jax.jit(lambda x: jax.vjp(ours, x)[1](head)[0])(x)
    want = jax.jit(lambda x: jax.vjp(_reference, x)[1](head)[0])(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)
