"""SGLD's per-parameter update (the Updater API) draws its noise as MXNet's does: from the
global generator at the call, the sample mx.nd.random.normal(0, sqrt(lr), shape, dtype) gives
after the same seed (MXNet's test_optimizer.test_sgld relies on it). The rest of the rule is
checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx


@pytest.mark.parametrize("kwargs", [{}, {"clip_gradient": 0.4, "wd": 0.05, "rescale_grad": 2.0}])
def test_sgld_update_noise_is_the_global_generators_normal(kwargs):
    rs = np.random.RandomState(0)
    w0 = rs.uniform(-1, 1, (3, 4)).astype("float32")
    g0 = rs.uniform(-1, 1, (3, 4)).astype("float32")
    opt = mx.optimizer.SGLD(learning_rate=0.1, **kwargs)
    w = mx.nd.array(w0)
    state = opt.create_state_multi_precision(0, w)
    mx.random.seed(11)
    noise = mx.nd.random.normal(0, np.sqrt(0.1), shape=(3, 4), dtype="float32").asnumpy()
    mx.random.seed(11)
    opt.update_multi_precision(0, w, mx.nd.array(g0), state)
    g = g0 * kwargs.get("rescale_grad", 1.0)
    if "clip_gradient" in kwargs:
        g = np.clip(g, -kwargs["clip_gradient"], kwargs["clip_gradient"])
    want = w0 - 0.1 / 2 * (g + kwargs.get("wd", 0.0) * w0) + noise
    np.testing.assert_allclose(w.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_sgld_multi_precision_updates_the_float32_master():
    w0 = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    opt = mx.optimizer.SGLD(learning_rate=0.01, multi_precision=True)
    w = mx.nd.array(w0, dtype="float16")
    state = opt.create_state_multi_precision(0, w)
    mx.random.seed(3)
    noise = mx.nd.random.normal(0, 0.1, shape=(2, 3), dtype="float32").asnumpy()
    mx.random.seed(3)
    opt.update_multi_precision(0, w, mx.nd.ones((2, 3), dtype="float16"), state)
    master = w0.astype("float16").astype("float32")
    want = master - 0.01 / 2 * 1.0 + noise
    masters = [s for s in state if isinstance(s, mx.nd.NDArray) and s.dtype == np.float32]
    np.testing.assert_allclose(masters[0].asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w.asnumpy(), want.astype("float16"), rtol=1e-3)
