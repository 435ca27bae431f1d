"""Block and HybridBlock: naming, children, forward, hybridize, the functional core, files."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import check_eager_vs_hybrid

import gluax as mx
from gluax import autograd, gluon, nd
from gluax.gluon import nn


class Residual(gluon.HybridBlock):
    """The issue's example, verbatim apart from the import."""

    def __init__(self, units, downsample=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = gluon.nn.HybridSequential(prefix="")
            self.body.add(gluon.nn.Dense(units, activation="relu"), gluon.nn.Dense(units))
            self.downsample = gluon.nn.Dense(units) if downsample else None
            self.scale = self.params.get("scale", shape=(units,), init=mx.init.One())

    def hybrid_forward(self, F, x, scale):
        residual = self.downsample(x) if self.downsample else x
        return F.Activation(F.broadcast_mul(self.body(x), scale.reshape((1, -1))) + residual, act_type="relu")


def _numpy_residual(net, x):
    p = {k: v.data().asnumpy().astype(np.float64) for k, v in net._collect_params_with_prefix().items()}
    h = np.maximum(x @ p["body.0.weight"].T + p["body.0.bias"], 0)
    body = h @ p["body.1.weight"].T + p["body.1.bias"]
    res = x @ p["downsample.weight"].T + p["downsample.bias"]
    return np.maximum(body * p["scale"][None, :] + res, 0)


@pytest.fixture(scope="module")
def residual():
    mx.random.seed(3)
    net = Residual(8, downsample=True, prefix="res_")
    net.initialize(mx.init.Xavier())
    net(nd.ones((1, 5)))  # shapes known: tests using this module fixture may run in any order
    return net


def test_residual_matches_numpy_eager_and_hybrid(residual, rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    residual.hybridize(active=False)
    eager = residual(nd.array(x)).asnumpy()
    np.testing.assert_allclose(eager, _numpy_residual(residual, x.astype(np.float64)), rtol=1e-5, atol=1e-5)
    residual.hybridize()
    np.testing.assert_allclose(residual(nd.array(x)).asnumpy(), eager, rtol=1e-6, atol=1e-6)
    residual.hybridize(active=False)


def test_residual_eager_equals_hybrid_with_gradients(residual, rng):
    check_eager_vs_hybrid(residual, rng.standard_normal((4, 5)).astype(np.float32))


def test_gradient_matches_finite_difference(residual, rng):
    x = rng.standard_normal((3, 5)).astype(np.float64)
    w = rng.standard_normal((3, 8))
    residual.hybridize()
    xn = nd.array(x)
    xn.attach_grad()
    with autograd.record():
        y = residual(xn)
    y.backward(nd.array(w))
    d = rng.standard_normal(x.shape)
    eps = 1e-4
    numeric = ((_numpy_residual(residual, x + eps * d) * w).sum() - (_numpy_residual(residual, x - eps * d) * w).sum()) / (2 * eps)
    np.testing.assert_allclose((xn.grad.asnumpy() * d).sum(), numeric, rtol=2e-3)
    residual.hybridize(active=False)


def test_naming_and_structural_keys(residual):
    assert residual.prefix == "res_" and residual.name == "res"
    assert list(residual.collect_params().keys()) == [
        "res_scale", "res_dense0_weight", "res_dense0_bias", "res_dense1_weight",
        "res_dense1_bias", "res_dense2_weight", "res_dense2_bias",
    ]
    assert list(residual._collect_params_with_prefix().keys()) == [
        "scale", "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias",
        "downsample.weight", "downsample.bias",
    ]
    assert list(residual.collect_params(".*weight").keys()) == ["res_dense0_weight", "res_dense1_weight", "res_dense2_weight"]
    assert list(residual.collect_params(".*dense0.*|.*bias").keys()) == ["res_dense0_weight", "res_dense0_bias", "res_dense1_bias", "res_dense2_bias"]
    assert list(residual.params.keys()) == ["res_scale"]


def test_global_counter_outside_scope():
    a, b = nn.Dense(2), nn.Dense(2)
    na, nb = int(a.name[len("dense"):]), int(b.name[len("dense"):])
    assert nb == na + 1 and a.prefix == f"dense{na}_"


def test_sequential_naming_and_repr():
    net = nn.HybridSequential(prefix="model_")
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3), nn.Dense(2, activation="relu"), nn.Activation("tanh"))
    assert [b.prefix for b in net._children.values()] == ["model_dense0_", "model_dense1_", "model_tanh0_"]
    assert repr(net) == (
        "HybridSequential(\n  (0): Dense(3 -> 4, linear)\n  (1): Dense(None -> 2, Activation(relu))\n"
        "  (2): Activation(tanh)\n)"
    )
    assert len(net) == 3 and isinstance(net[1], nn.Dense)
    assert len(net[1:]) == 2


def test_shared_params_via_params_argument():
    d0 = nn.Dense(3, in_units=2, prefix="shared_")
    d1 = nn.Dense(3, in_units=2, params=d0.collect_params())
    assert d1.weight is d0.weight
    d0.initialize()
    x = nd.ones((1, 2))
    np.testing.assert_array_equal(d0(x).asnumpy(), d1(x).asnumpy())


def test_second_call_same_shape_does_not_retrace_new_shape_does():
    net = nn.Dense(4, in_units=3)
    net.initialize()
    net.hybridize()
    net(nd.ones((2, 3)))
    net(nd.ones((2, 3)))
    assert net.compile_count == 1
    net(nd.ones((5, 3)))
    assert net.compile_count == 2
    with autograd.record():
        net(nd.ones((5, 3)))
    assert net.compile_count == 3  # training mode is part of the signature


def test_hybridized_block_is_one_tape_node():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3, activation="relu"), nn.Dense(2, in_units=4))
    net.initialize()
    net.hybridize()
    x = nd.ones((2, 3))
    with autograd.record():
        y = net(x)
    assert y._ag.node.name == net.name
    assert all(type(e).__name__ == "VarInfo" for e in y._ag.node.inputs)
    assert len(y._ag.node.inputs) == 4  # the four parameters; x has no gradient attached


def test_hybridized_dropout_like_noise_differs_per_call_and_repeats_after_seed():
    class Noisy(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x + F.random.uniform(shape=(2, 3))

    net = Noisy()
    net.hybridize()
    x = nd.zeros((2, 3))
    mx.random.seed(11)
    a, b = net(x).asnumpy(), net(x).asnumpy()
    assert not np.allclose(a, b)
    mx.random.seed(11)
    np.testing.assert_array_equal(net(x).asnumpy(), a)
    assert net.compile_count == 1


def test_functional_core_with_jit_grad_vmap(rng):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3, activation="tanh"), nn.Dense(2, in_units=4))
    net.initialize()
    apply, params, aux = net.functional()
    assert sorted(params) == ["0.bias", "0.weight", "1.bias", "1.weight"] and aux == {}
    x = rng.standard_normal((5, 3)).astype(np.float32)
    out, new_aux = jax.jit(apply)(params, aux, (x,))
    np.testing.assert_allclose(np.asarray(out), net(nd.array(x)).asnumpy(), rtol=1e-6, atol=1e-6)

    def loss(p, xb):
        return apply(p, aux, (xb,))[0].sum()

    grads = jax.grad(loss)(params, x)
    xn = nd.array(x)
    with autograd.record():
        y = net(xn)
    y.backward()
    for k, p in net._collect_params_with_prefix().items():
        np.testing.assert_allclose(np.asarray(grads[k]), p.grad().asnumpy(), rtol=1e-5, atol=1e-6)
    # per-example gradients: vmap over a batch of one-row batches
    per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0))(params, x[:, None, :])
    np.testing.assert_allclose(np.asarray(per_example["1.bias"]).sum(0), np.asarray(grads["1.bias"]), rtol=1e-5)
    # train with jax and write back
    new = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)
    net.load_pytree(new)
    np.testing.assert_allclose(net[1].bias.data().asnumpy(), np.asarray(new["1.bias"]), rtol=1e-6)


def test_hybridize_and_functional_share_the_pure_function(rng):
    net = nn.Dense(3, in_units=2)
    net.initialize()
    net.hybridize()
    x = nd.array(rng.standard_normal((2, 2)))
    net(x)
    before = net.compile_count
    apply, params, aux = net.functional()
    jax.jit(apply)(params, aux, (x.data,))
    assert net.compile_count == before + 1  # the same traced function, counted by the block


def test_deferred_initialization_resolves_on_first_call_eager_and_hybrid():
    for hybrid in (False, True):
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(4), nn.Dense(2))
        net.initialize()
        with pytest.raises(mx.base.MXNetError if False else RuntimeError, match="initialization was deferred"):
            net[0].weight.data()
        net.hybridize(active=hybrid)
        assert net(nd.ones((3, 7))).shape == (3, 2)
        assert net[0].weight.shape == (4, 7) and net[1].weight.shape == (2, 4)


def test_hooks_apply_cast_summary(capsys):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3), nn.Dense(2, in_units=4))
    net.initialize()
    calls = []
    h = net[0].register_forward_pre_hook(lambda b, args: calls.append(("pre", args[0].shape)))
    h2 = net[0].register_forward_hook(lambda b, args, out: calls.append(("post", out.shape)))
    net(nd.ones((2, 3)))
    assert calls == [("pre", (2, 3)), ("post", (2, 4))]
    h.detach()
    h2.detach()
    net(nd.ones((2, 3)))
    assert len(calls) == 2
    seen = []
    net.apply(lambda b: seen.append(type(b).__name__))
    assert seen == ["Dense", "Dense", "HybridSequential"]
    net.cast("float16")
    assert net[0].weight.dtype == np.float16
    net.cast("float32")
    net.summary(nd.ones((2, 3)))
    out = capsys.readouterr().out
    assert "Dense-1" in out and "(2, 4)" in out and "Total params: 26" in out


def test_save_load_roundtrip_byte_for_byte(tmp_path, residual):
    f1, f2 = tmp_path / "a.params", tmp_path / "b.params"
    residual.save_parameters(str(f1))
    other = Residual(8, downsample=True, prefix="other_")
    other.load_parameters(str(f1))
    for (k, a), (k2, b) in zip(residual._collect_params_with_prefix().items(), other._collect_params_with_prefix().items()):
        assert k == k2
        np.testing.assert_array_equal(a.data().asnumpy(), b.data().asnumpy())
    other.save_parameters(str(f2))
    assert f1.read_bytes() == f2.read_bytes()
    assert sorted(nd.load(str(f1)).keys()) == sorted(residual._collect_params_with_prefix().keys())


def test_load_parameters_missing_and_extra_keys(tmp_path):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(2, in_units=3))
    net.initialize()
    f = tmp_path / "p.params"
    nd.save(str(f), {"0.weight": nd.ones((2, 3))})
    with pytest.raises(RuntimeError, match=r"Parameter '0.bias' is missing in file .*allow_missing=True"):
        net.load_parameters(str(f))
    net.load_parameters(str(f), allow_missing=True)
    np.testing.assert_array_equal(net[0].weight.data().asnumpy(), np.ones((2, 3)))
    nd.save(str(f), {"0.weight": nd.ones((2, 3)), "0.bias": nd.ones(2), "9.gamma": nd.ones(1)})
    with pytest.raises(ValueError, match=r"Parameter '9.gamma' loaded from file .* not present .*ignore_extra=True"):
        net.load_parameters(str(f))
    net.load_parameters(str(f), ignore_extra=True)
    nd.save(str(f), {"0.weight": nd.ones((3, 3)), "0.bias": nd.ones(2)})
    with pytest.raises(ValueError, match=r"shape incompatible expected \(2, 3\) vs saved \(3, 3\)"):
        net.load_parameters(str(f))


def test_load_parameters_on_uninitialized_net(tmp_path):
    a = nn.Dense(2, in_units=3)
    a.initialize()
    f = str(tmp_path / "d.params")
    a.save_parameters(f)
    b = nn.Dense(2)  # in_units unknown and never initialized
    b.load_parameters(f)
    np.testing.assert_array_equal(b.weight.data().asnumpy(), a.weight.data().asnumpy())


def test_legacy_prefixed_keys_load(tmp_path):
    a = nn.Dense(2, in_units=3, prefix="fc_")
    a.initialize()
    f = str(tmp_path / "legacy.params")
    a.collect_params().save(f, strip_prefix="fc_")
    assert sorted(nd.load(f)) == ["bias", "weight"]
    b = nn.Dense(2, in_units=3, prefix="other_")
    b.load_parameters(f)
    np.testing.assert_array_equal(b.weight.data().asnumpy(), a.weight.data().asnumpy())


# ---- errors ---------------------------------------------------------------------------------


def test_non_hybrid_child_in_hybrid_block_raises():
    net = nn.HybridSequential()
    with pytest.raises(ValueError, match=r"(?s)Children of HybridBlock must also be HybridBlock, but Sequential 'sequential\d+' is a plain Block.*nn.HybridSequential\(\)"):
        net.add(nn.Sequential())


def test_call_before_initialize_raises():
    net = nn.Dense(2, in_units=3, prefix="notinit_")
    with pytest.raises(RuntimeError, match=r"Parameter 'notinit_weight' has not been initialized.*net.initialize\(\)"):
        net(nd.ones((1, 3)))
    net.hybridize()
    with pytest.raises(RuntimeError, match=r"Parameter 'notinit_(weight|bias)' has not been initialized"):
        net(nd.ones((1, 3)))


@pytest.mark.parametrize("hybrid", [False, True])
def test_dense_rejects_wrong_in_units(hybrid):
    net = nn.Dense(5, in_units=3)
    net.initialize()
    net.hybridize(active=hybrid)
    with pytest.raises(ValueError, match=r"Dense 'dense\d+': expected 3 input features, got shape \(2, 4\)"):
        net(nd.ones((2, 4)))


def test_custom_deferred_param_without_infer_shape_raises():
    class Bad(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.w = self.params.get("weight", shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return x * w

    net = Bad(prefix="bad_")
    net.initialize()
    with pytest.raises(mx.MXNetError, match=r"Bad 'bad'.*\['bad_weight'\].*infer_shape"):
        net(nd.ones((2,)))


def test_hybridized_call_rejects_non_array_input():
    net = nn.Dense(2, in_units=1)
    net.initialize()
    net.hybridize()
    with pytest.raises(TypeError, match=r"Dense 'dense\d+': hybridized blocks take NDArray inputs .* input 0 is int"):
        net(3)


def test_changing_attribute_type_raises():
    net = nn.Dense(2, in_units=1)
    with pytest.raises(TypeError, match="Changing attribute type for weight"):
        net.weight = nn.Dense(2)


# ---- compile diagnostics and tracer errors ------------------------------------------------------


def test_compile_stats_and_recompile_warning():
    net = nn.Dense(2, in_units=3)
    net.initialize()
    net.hybridize(recompile_warning=3)
    for n in (1, 2, 3):
        net(nd.ones((n, 3)))
    stats = net.compile_stats()
    assert stats["compiles"] == 3 and [sig[0][0][0] for sig in stats["signatures"]] == [(1, 3), (2, 3), (3, 3)]
    with pytest.warns(UserWarning, match=r"compiled 4 times.*\(4, 3\).*last_batch='discard'") as rec:
        net(nd.ones((4, 3)))
    assert rec[0].filename == __file__  # the warning points at the user's line
    net(nd.ones((5, 3)))  # warned once only (warnings are errors in this suite)


def test_python_if_on_traced_value_names_block_and_line():
    class Branchy(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            if x.sum() > 0:
                return x * 2
            return x

    net = Branchy(prefix="branchy_")
    assert net(nd.ones((2,))).asnumpy().tolist() == [2, 2]  # eager: fine
    net.hybridize()
    with pytest.raises(mx.MXNetError, match=r"(?s)Branchy 'branchy' needs the value of an array.*test_block.py:\d+ \(in hybrid_forward\)\n    if x.sum\(\) > 0:.*F.where"):
        net(nd.ones((2,)))


def test_asnumpy_inside_hybridized_child_names_the_child():
    class Peek(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x * float(x.asnumpy().mean())

    net = nn.HybridSequential(prefix="outer_")
    with net.name_scope():
        net.add(nn.Dense(2, in_units=2), Peek())
    net.initialize()
    net.hybridize()
    with pytest.raises(mx.MXNetError, match=r"(?s)Peek 'outer_peek0'.*x.asnumpy\(\).mean\(\)"):
        net(nd.ones((1, 2)))


# ---- hybridize(check=True) --------------------------------------------------------------------


class _Sneaky(gluon.HybridBlock):
    """Deliberately differs when compiled: adds 1 only on the eager (F is nd) path."""

    def hybrid_forward(self, F, x):
        return x + 1 if F is mx.nd else x


def test_check_names_the_first_child_that_differs():
    net = nn.HybridSequential(prefix="chk_")
    with net.name_scope():
        net.add(nn.Dense(3, in_units=2), _Sneaky(), nn.Dense(2, in_units=3))
    net.initialize()
    net.hybridize(check=True)
    with pytest.raises(mx.MXNetError, match=r"HybridSequential 'chk' differs between eager and compiled execution, first at child '1' \(_Sneaky 'chk__sneaky0'\), output 0: max \|eager - compiled\| = 1"):
        net(nd.ones((4, 2)))


def test_check_is_silent_on_equivalent_nets_and_runs_once_per_signature(residual, rng):
    residual.hybridize(check=True)
    x = nd.array(rng.standard_normal((4, 5)))
    with autograd.record():
        y = residual(x)
    y.backward()
    assert len(residual._checked) == 1
    residual(x)  # predict mode: a new signature, checked too
    residual(x)
    assert len(residual._checked) == 2
    residual.hybridize(active=False)


def test_check_catches_a_wrong_gradient():
    class WrongGrad(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.w = self.params.get("weight", shape=(2,), init=mx.init.One())

        def hybrid_forward(self, F, x, w):
            # compiled: x * w; eager: the same value, but w's gradient is blocked
            return x * w if F is not mx.nd else x * F.stop_gradient(w)

    net = WrongGrad(prefix="wg_")
    net.initialize()
    net.hybridize(check=True)
    with pytest.raises(mx.MXNetError, match=r"first at gradient of 'w'"):
        net(nd.ones((3, 2)))


# ---- shape bucketing --------------------------------------------------------------------------


def test_bucketing_reuses_one_compilation_and_matches_unpadded(rng):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3, activation="tanh"), nn.Dense(2, in_units=4))
    net.initialize()
    ref_out, ref_grads = [], []
    batches = [rng.standard_normal((n, 3)).astype(np.float32) for n in (8, 8, 5, 3)]
    for hybrid_kwargs in ({"active": False}, {"bucket": 8}):
        net.hybridize(**hybrid_kwargs)
        outs, grads = [], []
        for b in batches:
            x = nd.array(b)
            x.attach_grad()
            with autograd.record():
                y = net(x)
            y.backward(nd.array(np.arange(y.size, dtype=np.float32).reshape(y.shape)))
            outs.append(y.asnumpy())
            grads.append((x.grad.asnumpy(), net[0].weight.grad().asnumpy().copy()))
        if not ref_out:
            ref_out, ref_grads = outs, grads
    for a, b in zip(ref_out, outs):
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    for (xa, wa), (xb, wb) in zip(ref_grads, grads):
        np.testing.assert_allclose(xb, xa, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(wb, wa, rtol=1e-6, atol=1e-6)
    assert net.compile_count == 1  # sizes 8, 5 and 3 all ran padded to 8


def test_bucket_list_picks_the_next_size():
    net = nn.Dense(2, in_units=3)
    net.initialize()
    net.hybridize(bucket=[4, 8])
    for n in (1, 3, 4, 6, 8):
        assert net(nd.ones((n, 3))).shape == (n, 2)
    assert [sig[0][0][0][0] for sig in net.compile_stats()["signatures"]] == [4, 8]


def test_bucketing_leaves_padding_out_of_batchnorm(rng):
    def build():
        mx.random.seed(1)
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(4, in_units=3), nn.BatchNorm(in_channels=4), nn.Dense(2, in_units=4))
        net.initialize()
        return net

    batches = [rng.standard_normal((n, 3)).astype(np.float32) for n in (8, 5, 3)]
    results = []
    for kwargs in ({"active": False}, {"bucket": 8}):
        net = build()
        net.hybridize(**kwargs)
        outs = []
        for b in batches:
            with autograd.record():
                y = net(nd.array(b))
                # not y itself: the gradient of sum(Dense(BatchNorm(.))) before the BatchNorm
                # is zero up to rounding, and would compare rounding noise
                loss = (y * y).sum()
            loss.backward()
            outs.append((y.asnumpy(), net[0].weight.grad().asnumpy().copy()))
        stats = (net[1].running_mean.data().asnumpy(), net[1].running_var.data().asnumpy())
        results.append((outs, stats, net))
    (eager, e_stats, _), (bucketed, b_stats, bnet) = results
    for (ya, ga), (yb, gb) in zip(eager, bucketed):
        np.testing.assert_allclose(yb, ya, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gb, ga, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b_stats[0], e_stats[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(b_stats[1], e_stats[1], rtol=1e-6, atol=1e-6)
    assert bnet.compile_count == 1
