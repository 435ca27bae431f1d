"""mx.np / mx.npx against MXNet 1.9.1 in numpy mode (tests/fixtures/np_mode, made by MXNet):
function values and result dtypes, indexing and assignment, printing, and a numpy-mode Gluon
MLP trained from identical weights."""

from __future__ import annotations

import json
import pathlib

import jax
import numpy as onp
import pytest

from gluax import autograd, gluon, np, npx

HERE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "np_mode"
META = json.loads((HERE / "np_mode.json").read_text())
DATA = onp.load(HERE / "np_mode.npz")


@pytest.fixture(autouse=True)
def _np_mode():
    npx.set_np()
    yield
    npx.reset_np()


def _env():
    e = {"np": np, "npx": npx}
    for k in ("f", "i", "v", "s"):
        v = DATA["in_" + k]
        e[k.upper()] = np.array(v, dtype=v.dtype)
    return e


def _dtype(name: str) -> str:
    """MXNet's dtype as gluax has it: 64-bit types are 32-bit unless jax runs with x64."""
    return jax.dtypes.canonicalize_dtype(onp.dtype(name)).name


@pytest.mark.parametrize("k", range(len(META["cases"])),
                         ids=[c["expr"] for c in META["cases"]])
def test_case_matches_mxnet(k):
    case = META["cases"][k]
    r = eval(case["expr"], _env())
    if isinstance(r, (list, tuple)):
        r = r[0]
    assert isinstance(r, np.ndarray), type(r)
    assert list(r.shape) == case["shape"]
    assert r.dtype == onp.dtype(_dtype(case["dtype"])), (r.dtype, case["dtype"])
    onp.testing.assert_allclose(r.asnumpy(), DATA[f"case_{k}"], rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("k", range(len(META["set_cases"])), ids=META["set_cases"])
def test_assignment_matches_mxnet(k):
    e = _env()
    e["x"] = e["F"].copy()
    exec(META["set_cases"][k], e)
    assert isinstance(e["x"], np.ndarray)
    onp.testing.assert_allclose(e["x"].asnumpy(), DATA[f"set_{k}"], rtol=1e-6)


@pytest.mark.parametrize("expr", sorted(META["reprs"]))
def test_repr_matches_mxnet(expr):
    got = repr(eval(expr, _env()))
    want = META["reprs"][expr].replace("int64", "int32").replace("float64", "float32")
    assert got == want


def test_numpy_mode_mlp_training_matches_mxnet():
    x, y = DATA["mlp_x"], DATA["mlp_y"]
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(5, activation="relu"), gluon.nn.Dense(3))
    net.initialize()
    out = net(np.array(x))
    assert isinstance(out, np.ndarray)
    params = net.collect_params()
    for i, (_, p) in enumerate(params.items()):
        p.set_data(np.array(DATA[f"mlp_init_{i}"]))
        assert isinstance(p.data(), np.ndarray)
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(params, "sgd", {"learning_rate": 0.5, "momentum": 0.9})
    losses = []
    for _ in range(4):
        with autograd.record():
            loss = loss_fn(net(np.array(x)), np.array(y))
        assert isinstance(loss, np.ndarray)
        loss.backward()
        trainer.step(8)
        losses.append(loss.mean().item())
    onp.testing.assert_allclose(losses, DATA["mlp_losses"], rtol=1e-5)
    for i, (_, p) in enumerate(params.items()):
        assert isinstance(p.grad(), np.ndarray)
        onp.testing.assert_allclose(p.data().asnumpy(), DATA[f"mlp_final_{i}"], rtol=1e-5,
                                    atol=1e-6)
