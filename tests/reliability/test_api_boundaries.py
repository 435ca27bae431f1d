"""Issue 21 item 6: bad or degenerate input at API boundaries gets a clear gluax error (or
the obvious result), never an error from inside JAX; input dtypes are checked as in MXNet
(tests/fixtures/api_boundaries, made with MXNet 1.9.1)."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, nd
from gluax.gluon import nn

FIX = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "api_boundaries" / "api_boundaries.json").read_text())


@pytest.mark.parametrize("hybrid", [False, True])
def test_dense_on_a_zero_size_batch_gives_an_empty_output(hybrid):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    if hybrid:
        net.hybridize()
    assert net(nd.zeros((0, 3))).shape == (0, 2)
    assert net(nd.zeros((0, 3, 1))).shape == (0, 2)


def test_trainer_step_zero_is_a_clear_error():
    net = nn.Dense(2, in_units=3)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        loss = net(nd.ones((1, 3))).sum()
    loss.backward()
    before = net.weight.data().asnumpy()
    for bad in (0, -2):
        with pytest.raises(ValueError, match=rf"Trainer.step: batch_size must be positive, got {bad}"):
            trainer.step(bad)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), before)


def test_batchnorm_on_an_empty_batch_keeps_its_running_statistics():
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    with autograd.record():
        bn(nd.array(np.arange(6.0).reshape(2, 3)))
    mean, var = bn.running_mean.data().asnumpy(), bn.running_var.data().asnumpy()
    with autograd.record():
        out = bn(nd.zeros((0, 3)))
    assert out.shape == (0, 3)
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), mean)
    np.testing.assert_array_equal(bn.running_var.data().asnumpy(), var)


def test_creation_shapes_are_checked():
    with pytest.raises(mx.MXNetError, match=r"more than any device holds"):
        nd.ones((2**63,))
    with pytest.raises(mx.MXNetError, match=r"shape \(2.5, 3\): expected integer dimensions, got 2.5"):
        nd.zeros((2.5, 3))
    with pytest.raises(mx.MXNetError, match="must not be negative"):
        nd.zeros((-1, 3))
    assert nd.zeros((2.0, 3)).shape == (2, 3)


def test_split_and_load_arguments_are_checked():
    x = nd.ones((4, 2))
    with pytest.raises(ValueError, match="ctx_list must be a non-empty list of contexts, got \\[\\]"):
        gluon.utils.split_and_load(x, [])
    with pytest.raises(ValueError, match=r"batch_axis=5 is not an axis of data with shape \(4, 2\)"):
        gluon.utils.split_and_load(x, [mx.cpu(0), mx.cpu(1)], batch_axis=5)
    with pytest.raises(TypeError, match="batch_axis must be an int"):
        gluon.utils.split_and_load(x, [mx.cpu()], batch_axis="0")
    parts = gluon.utils.split_and_load(x, [mx.cpu(0), mx.cpu(1)], batch_axis=-1)
    assert [p.shape for p in parts] == [(4, 1), (4, 1)]


def test_blocks_called_on_a_python_list_name_the_block():
    seq = nn.Sequential()
    seq.add(nn.Dense(2, in_units=3))
    seq.initialize()
    with pytest.raises((TypeError, ValueError), match=r"Dense '.*': .*NDArray input"):
        seq([1.0, 2.0, 3.0])


def test_load_parameters_is_transactional(tmp_path):
    src = nn.HybridSequential()
    src.add(nn.Dense(2, in_units=4), nn.Dense(3, in_units=2))
    src.initialize()
    src.save_parameters(str(tmp_path / "a.params"))
    dst = nn.HybridSequential()
    dst.add(nn.Dense(2, in_units=4), nn.Dense(5, in_units=2))
    dst.initialize()
    before = [p.data().asnumpy() for p in dst.collect_params().values()]
    with pytest.raises(ValueError, match=r"shape incompatible expected \(5, 2\) vs saved \(3, 2\)"):
        dst.load_parameters(str(tmp_path / "a.params"))
    for b, p in zip(before, dst.collect_params().values()):
        np.testing.assert_array_equal(p.data().asnumpy(), b)


def test_parameter_left_out_by_allow_missing_is_named_as_the_load_named_it(tmp_path):
    src = nn.HybridSequential()
    src.add(nn.Dense(2, in_units=4))
    src.initialize()
    src.save_parameters(str(tmp_path / "a.params"))
    dst = nn.HybridSequential()
    dst.add(nn.Dense(2, in_units=4), nn.Dense(3, in_units=2))
    dst.load_parameters(str(tmp_path / "a.params"), allow_missing=True)
    with pytest.raises(RuntimeError, match=r"Parameter '1.weight' \(.*\) has not been initialized: it was not in '.*a.params', loaded with allow_missing=True"):
        dst(nd.ones((1, 4)))


# float64 arrays are float32 in gluax without jax_enable_x64: those cases are not comparable
@pytest.mark.parametrize("case", sorted(c for c in FIX if not c.endswith("float64")))
def test_input_dtype_must_match_the_layer_as_in_mxnet(case):
    layer, mode, dtype = case.split("/")
    block = nn.Dense(2, in_units=4) if layer == "dense" else nn.Conv1D(2, 3, in_channels=1)
    block.initialize()
    if mode == "hybrid":
        block.hybridize()
    x = nd.ones((2, 4) if layer == "dense" else (2, 1, 4), dtype=dtype)
    assert np.dtype(x.dtype).name == dtype
    if FIX[case] == "raises":
        with pytest.raises(mx.MXNetError, match=rf"data has dtype {dtype}, the weight float32"):
            block(x)
    else:
        assert np.dtype(block(x).dtype).name == FIX[case]
