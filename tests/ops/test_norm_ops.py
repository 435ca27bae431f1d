"""LayerNorm, InstanceNorm, GroupNorm, L2Normalization, LRN and contrib SyncBatchNorm against
numpy references (with finite-difference gradients) and MXNet 1.9.1 fixtures
(tests/fixtures/norm_ops/), eagerly and hybridized."""

from __future__ import annotations

import json
import pathlib
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference as ref
from helpers import check_op

import gluax as mx
from gluax import autograd
from gluax.gluon import nn

FIXTURE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "norm_ops"


def _gamma(rng, n):
    return rng.uniform(0.5, 1.5, n).astype(np.float32)


# One case per operator (the MXNet fixtures below cover more attribute combinations).
OPS = [
    ("LayerNorm", ref.layer_norm, [(2, 3, 4), (3,), (3,)], {"axis": 1, "eps": 1e-3}),
    ("InstanceNorm", ref.instance_norm, [(1, 2, 3, 2), (2,), (2,)], {"eps": 1e-5}),
    ("GroupNorm", ref.group_norm, [(2, 4, 3), (2,), (2,)], {"num_groups": 2}),
    ("L2Normalization", ref.l2_normalization, [(2, 3, 4)], {"mode": "channel", "eps": 1e-3}),
    ("L2Normalization", ref.l2_normalization, [(2, 3, 2)], {"mode": "spatial"}),
    ("LRN", ref.lrn, [(1, 6, 3)], {"nsize": 4, "alpha": 0.3, "beta": 0.6}),
]


@pytest.mark.parametrize("name, reference, shapes, attrs", OPS, ids=lambda v: v if isinstance(v, str) else None)
def test_op_matches_numpy(name, reference, shapes, attrs, rng):
    if name in ("LayerNorm", "InstanceNorm", "GroupNorm"):  # keep gamma away from zero
        shapes = [shapes[0], _gamma(rng, shapes[1]), *shapes[2:]]
    check_op(getattr(mx.nd, name), reference, shapes, rng, **attrs)


@pytest.mark.parametrize("name, shapes, attrs", [
    ("LayerNorm", [(2, 3), (2,), (2,)], {"axis": -2}),
    ("GroupNorm", [(1, 6, 2), (3,), (3,)], {"num_groups": 3}),
])
def test_mean_and_std_outputs(name, shapes, attrs, rng):
    """output_mean_var adds the mean and sqrt(var + eps); no gradient flows through them."""
    xs = [mx.nd.array(rng.standard_normal(s).astype(np.float32)) for s in shapes]
    xs[0].attach_grad()
    with autograd.record():
        out, mean, std = getattr(mx.nd, name)(*xs, output_mean_var=True, **attrs)
        stats = mean.sum() + std.sum()
    expected = getattr(ref, {"LayerNorm": "layer_norm", "GroupNorm": "group_norm"}[name])(*[x.asnumpy() for x in xs], output_mean_var=True, **attrs)
    for got, want in zip((out, mean, std), expected):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    stats.backward()
    np.testing.assert_array_equal(xs[0].grad.asnumpy(), 0)


@cache
def _fixture():
    meta = json.loads((FIXTURE / "norm_ops.json").read_text())
    return meta["cases"], dict(np.load(FIXTURE / "norm_ops.npz"))


def _case_id(case):
    return f"{case['op']}-{case['id']}"


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])
@pytest.mark.parametrize("case", _fixture()[0], ids=_case_id)
def test_matches_mxnet(case, hybrid):
    """Outputs and the gradients of every input equal MXNet's (head gradient linspace(-1, 1)
    on every output)."""
    arrays = _fixture()[1]
    key, op, attrs = case["id"], case["op"], case["attrs"]
    xs = [mx.nd.array(arrays[f"{key}/in{j}"]) for j in range(case["n_in"])]
    for x in xs:
        x.attach_grad()
    block = nn.HybridLambda(lambda F, *a: getattr(F, op)(*a, **attrs))
    block.hybridize(active=hybrid)
    with autograd.record():
        res = block(*xs)
    outs = list(res) if isinstance(res, (list, tuple)) else [res]
    assert len(outs) == case["n_out"]
    heads = [mx.nd.array(np.linspace(-1, 1, o.size).reshape(o.shape).astype(np.float32)) for o in outs]
    autograd.backward(outs, heads)
    for j, o in enumerate(outs):
        np.testing.assert_allclose(o.asnumpy(), arrays[f"{key}/out{j}"], rtol=1e-5, atol=1e-5, err_msg=f"{op} {attrs}: output {j}")
    for j, x in enumerate(xs):
        np.testing.assert_allclose(x.grad.asnumpy(), arrays[f"{key}/grad{j}"], rtol=1e-5, atol=1e-5, err_msg=f"{op} {attrs}: gradient of input {j}")


def test_lrn_even_window_is_one_channel_short():
    # MXNet 1.9.1: nsize=2 normalizes each channel by its own square only, alpha divided by 2.
    x = np.array([[[[1.0]], [[2.0]], [[3.0]]]], np.float32)
    got = mx.nd.LRN(mx.nd.array(x), nsize=2, alpha=1.0, beta=1.0, knorm=1.0).asnumpy()
    np.testing.assert_allclose(got.ravel(), [1 / 1.5, 2 / 3.0, 3 / 5.5], rtol=1e-6)


def test_l2_normalization_1d_normalizes_each_element():
    got = mx.nd.L2Normalization(mx.nd.array([3.0, -4.0]), eps=0.0).asnumpy()
    np.testing.assert_allclose(got, [1.0, -1.0])


def test_float16_data_keeps_its_dtype():
    x = mx.nd.array(np.arange(6).reshape(1, 2, 3), dtype="float16")
    for y in (
        mx.nd.LayerNorm(x, mx.nd.ones(3), mx.nd.zeros(3)),
        mx.nd.InstanceNorm(x, mx.nd.ones(2), mx.nd.zeros(2)),
        mx.nd.GroupNorm(x, mx.nd.ones(1), mx.nd.zeros(1)),
        mx.nd.L2Normalization(x),
        mx.nd.LRN(x, nsize=3),
    ):
        assert y.dtype == np.float16
    expected = ref.layer_norm(np.arange(6.0).reshape(1, 2, 3), np.ones(3), np.zeros(3))
    np.testing.assert_allclose(mx.nd.LayerNorm(x, mx.nd.ones(3), mx.nd.zeros(3)).asnumpy(), expected, rtol=2e-3, atol=2e-3)


ERRORS = [
    ("LayerNorm", [(2, 3), (2,), (3,)], {}, r"LayerNorm: expected gamma of shape \(3,\), got \(2,\)"),
    ("LayerNorm", [(2, 3), (3,), (3,)], {"axis": 2}, r"LayerNorm: axis 2 is out of range for an input with 2 dims"),
    ("InstanceNorm", [(2, 3), (3,), (3,)], {}, r"InstanceNorm: expected data with at least 3 dims .*got shape \(2, 3\)"),
    ("InstanceNorm", [(2, 4, 3), (3,), (4,)], {}, r"InstanceNorm: expected gamma of shape \(4,\), got \(3,\)"),
    ("GroupNorm", [(2, 4), (2,), (2,)], {"num_groups": 2}, r"GroupNorm: expected data with at least 3 dims .*got shape \(2, 4\)"),
    ("GroupNorm", [(2, 5, 2), (2,), (2,)], {"num_groups": 2}, r"GroupNorm: num_groups=2 must divide the 5 channels of data shape \(2, 5, 2\)"),
    ("GroupNorm", [(2, 4, 2), (4,), (4,)], {"num_groups": 2}, r"GroupNorm: expected gamma of shape \(2,\), got \(4,\)"),
    ("L2Normalization", [(2, 3)], {"mode": "foo"}, r"L2Normalization: mode must be one of \('instance', 'channel', 'spatial'\), got 'foo'"),
    ("L2Normalization", [(2, 3)], {"mode": "channel"}, r"L2Normalization: mode='channel' needs data with at least 3 dims, got shape \(2, 3\)"),
    ("LRN", [(2, 3, 2, 2)], {"nsize": 0}, r"LRN: nsize must be at least 1, got 0"),
    ("LRN", [(3,)], {"nsize": 3}, r"LRN: expected data with a channel axis .*got shape \(3,\)"),
]


@pytest.mark.parametrize("name, shapes, attrs, match", ERRORS)
def test_errors(name, shapes, attrs, match):
    with pytest.raises(mx.MXNetError, match=match):
        getattr(mx.nd, name)(*[mx.nd.ones(s) for s in shapes], **attrs)


# ---- contrib SyncBatchNorm ---------------------------------------------------------------------


def _bn_inputs(rng, shape=(4, 3, 2)):
    c = shape[1]
    return [
        rng.standard_normal(shape).astype(np.float32),
        _gamma(rng, c),
        rng.uniform(-1, 1, c).astype(np.float32),
        rng.standard_normal(c).astype(np.float32),
        rng.uniform(0.5, 2, c).astype(np.float32),
    ]


@pytest.mark.parametrize("training", [True, False])
def test_sync_batch_norm_on_one_device_is_batch_norm(training, rng):
    xs = _bn_inputs(rng)
    kw = {"eps": 1e-3, "fix_gamma": False, "training": training}
    got = mx.nd._contrib_SyncBatchNorm(*[mx.nd.array(x) for x in xs], ndev=4, key="k", **kw)
    np.testing.assert_allclose(got.asnumpy(), ref.batch_norm(*xs, **kw), rtol=1e-5, atol=1e-5)


def test_sync_batch_norm_averages_statistics_over_the_mapped_axis(rng):
    """Two 'devices' (a vmapped axis named 'dev') holding half the batch each normalize with
    the statistics of the whole batch; the gradient is that of BatchNorm on the whole batch."""
    x, gamma, beta, mm, mv = _bn_inputs(rng, (6, 3, 2))
    kw = {"eps": 1e-3, "fix_gamma": False}

    def per_device(xd, g):
        out = mx.nd._contrib_SyncBatchNorm(mx.nd.NDArray(xd), mx.nd.NDArray(g), beta, mm, mv, axis_name="dev", training=True, **kw)
        return out._value

    def loss(x_, g):
        shards = x_.reshape(2, 3, 3, 2)
        out = jax.vmap(per_device, in_axes=(0, None), axis_name="dev")(shards, g)
        return jnp.sum(out.reshape(x_.shape) * jnp.linspace(-1, 1, x_.size).reshape(x_.shape))

    out = jax.jit(jax.vmap(per_device, in_axes=(0, None), axis_name="dev"))(jnp.asarray(x).reshape(2, 3, 3, 2), gamma)
    np.testing.assert_allclose(np.asarray(out).reshape(x.shape), ref.batch_norm(x, gamma, beta, mm, mv, training=True, **kw), rtol=1e-5, atol=1e-5)
    gx, gg = jax.jit(jax.grad(loss, argnums=(0, 1)))(jnp.asarray(x), jnp.asarray(gamma))
    head = jnp.linspace(-1, 1, x.size).reshape(x.shape)

    def whole(x_, g):
        y = mx.nd.BatchNorm(mx.nd.NDArray(x_), mx.nd.NDArray(g), beta, mm, mv, training=True, **kw)
        return jnp.sum(y._value * head)

    ex, eg = jax.jit(jax.grad(whole, argnums=(0, 1)))(jnp.asarray(x), jnp.asarray(gamma))
    np.testing.assert_allclose(np.asarray(gx), np.asarray(ex), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(gg), np.asarray(eg), rtol=1e-4, atol=1e-5)


def test_sync_batch_norm_unbound_axis_name():
    xs = [mx.nd.ones((2, 3, 2))] + [mx.nd.ones(3)] * 4
    with pytest.raises(mx.MXNetError, match=r"SyncBatchNorm: axis_name='dev' is not a mapped axis here"):
        mx.nd._contrib_SyncBatchNorm(*xs, axis_name="dev", training=True)
