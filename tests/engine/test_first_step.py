"""What a script's first step compiles: initializers draw on the host (no XLA program per weight
shape), with the same distributions, dtypes and ``mx.random.seed`` repeatability."""

import jax
import numpy as np
import pytest

import gluax as mx
from gluax.gluon import nn


class _Compiles:
    """Names of the programs XLA compiles while the block runs."""

    def __enter__(self):
        self.names = []
        self._on = True

        def listen(name, secs, **kw):
            if self._on and name == "/jax/core/compile/backend_compile_duration":
                self.names.append(kw.get("fun_name", "?"))

        jax.monitoring.register_event_duration_secs_listener(listen)
        return self

    def __exit__(self, *exc):
        self._on = False


@pytest.mark.parametrize(
    "init",
    [mx.init.Uniform(0.3), mx.init.Normal(0.2), mx.init.Xavier(), mx.init.Xavier("gaussian"),
     mx.init.MSRAPrelu(), mx.init.Orthogonal()],
    ids=["uniform", "normal", "xavier", "xavier_gaussian", "msra", "orthogonal"],
)
def test_initialize_compiles_no_program_per_weight_shape(init):
    mx.random.seed(5)
    net = nn.HybridSequential()
    # shapes no other test uses: a program per shape would show up here
    net.add(nn.Dense(37, in_units=23), nn.Dense(29, in_units=37), nn.Dense(3, in_units=29))
    with _Compiles() as c:
        net.initialize(init)
    assert not [n for n in c.names if "random" in n], c.names
    for p in net.collect_params().values():
        v = p.data().asnumpy()
        assert v.dtype == np.float32 and np.isfinite(v).all()
        assert np.std(v) > 0 if p.name.endswith("weight") else (v == 0).all()


def test_host_draws_keep_the_distributions():
    mx.random.seed(11)
    w = {}
    for name, init in (("u", mx.init.Uniform(0.5)), ("n", mx.init.Normal(0.25))):
        layer = nn.Dense(400, in_units=500, weight_initializer=init)
        layer.initialize()
        w[name] = layer.weight.data().asnumpy()
    u, n = w["u"], w["n"]
    assert u.min() >= -0.5 and u.max() < 0.5
    assert abs(u.mean()) < 0.005 and abs(u.std() / (0.5 / np.sqrt(3)) - 1) < 0.01
    assert abs(n.mean()) < 0.002 and abs(n.std() / 0.25 - 1) < 0.01
    # standardized fourth moment: 1.8 for a uniform, 3 for a normal
    assert abs(np.mean((u / u.std()) ** 4) - 1.8) < 0.02
    assert abs(np.mean((n / n.std()) ** 4) - 3.0) < 0.05


@pytest.mark.parametrize("dtype", ["float16"])  # (float64 needs jax_enable_x64)
def test_host_draws_take_the_parameter_dtype(dtype):
    layer = nn.Dense(8, in_units=6, dtype=dtype, weight_initializer=mx.init.Xavier())
    layer.initialize()
    v = layer.weight.data()
    assert v.dtype == np.dtype(dtype)
    bound = np.sqrt(3.0 / 7.0)  # Xavier 'avg': magnitude 3 over (6 + 8) / 2
    assert np.abs(v.asnumpy().astype(np.float64)).max() <= bound * (1 + 1e-3)


def test_seed_repeats_initialization_and_differs_between_seeds():
    def weights(seed):
        mx.random.seed(seed)
        layer = nn.Dense(5, in_units=4, weight_initializer=mx.init.Normal(1.0))
        layer.initialize()
        return layer.weight.data().asnumpy()

    a, b, c = weights(7), weights(7), weights(8)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**31 - 1, 2**31, 2**40])
def test_host_made_seed_key_is_jaxs_key(seed):
    # mx.random.seed makes the threefry key [0, seed] on the host (no program); keys outside
    # [0, 2**31) still come from JAX
    from gluax._src.engine import random as _random

    ours, jaxs = _random._prng_key(seed), jax.random.PRNGKey(seed)
    assert ours.dtype == jaxs.dtype and ours.shape == jaxs.shape
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(jaxs))
