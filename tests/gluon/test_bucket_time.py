"""hybridize(bucket_time=...): sequences padded along time to a bucket length give the unpadded
results (outputs, final states, gradients) with one compilation per bucket."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, nd


def _tagger(bidirectional):
    mx.random.seed(1)
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(
            gluon.rnn.LSTM(
                5, num_layers=2 - bidirectional, layout="NTC", bidirectional=bidirectional,
                input_size=4,
            ),
            gluon.nn.Dense(3, flatten=False, in_units=10 if bidirectional else 5),
        )
    net.initialize()
    return net


def _train_steps(net, batches):
    outs = []
    for x in batches:
        with autograd.record():
            y = net(nd.array(x))
        y.backward()
        grads = [p.grad().asnumpy().copy() for p in net.collect_params().values()]
        outs.append((y.asnumpy(), grads))
    return outs


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_time_and_batch_bucketing_equal_the_unpadded_network(bidirectional, rng):
    shapes = [(3, 5), (2, 3), (4, 8)]  # (batch, time)
    batches = [rng.standard_normal((n, t, 4)).astype(np.float32) for n, t in shapes]
    eager = _tagger(bidirectional)
    eager.hybridize(active=False)
    bucketed = _tagger(bidirectional)
    bucketed.hybridize(bucket=4, bucket_time=[8, 12])
    for (ya, ga), (yb, gb) in zip(_train_steps(eager, batches), _train_steps(bucketed, batches)):
        assert yb.shape == ya.shape
        np.testing.assert_allclose(yb, ya, rtol=1e-5, atol=1e-6)
        for a, b in zip(ga, gb):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert bucketed.compile_count == 1


def test_states_are_cut_by_shape_when_batch_equals_the_bucket(rng):
    # batch 8 and a time bucket of 8: the state (2, 8, 6) has an axis of the padded size that
    # is not time; the real output shapes are found without guessing.
    data = [
        (rng.standard_normal((8, t, 4)).astype(np.float32), rng.standard_normal((2, 8, 6)).astype(np.float32))
        for t in (5, 8)
    ]
    results = []
    for kwargs in ({"active": False}, {"bucket_time": 8}):
        mx.random.seed(2)
        layer = gluon.rnn.GRU(6, layout="NTC", bidirectional=True, input_size=4)
        layer.initialize()
        layer.hybridize(**kwargs)
        got = []
        for xv, hv in data:
            x = nd.array(xv)
            x.attach_grad()
            with autograd.record():
                y, states = layer(x, [nd.array(hv)])
                loss = (y * y).sum() + (states[0] * 2).sum()
            loss.backward()
            got.append((y.asnumpy(), states[0].asnumpy(), x.grad.asnumpy()))
        results.append(got)
    for a, b in zip(*results):
        for u, v in zip(a, b):
            assert u.shape == v.shape
            np.testing.assert_allclose(v, u, rtol=1e-5, atol=1e-5)
    assert layer.compile_count == 1


def test_time_major_layout_buckets_axis_zero(rng):
    xs = [rng.standard_normal((t, 2, 3)).astype(np.float32) for t in (4, 2, 6)]
    outs = []
    for kwargs in ({"active": False}, {"bucket_time": 6, "time_axis": 0}):
        mx.random.seed(3)
        layer = gluon.rnn.RNN(4, layout="TNC", activation="tanh", input_size=3)
        layer.initialize()
        layer.hybridize(**kwargs)
        outs.append([layer(nd.array(x)).asnumpy() for x in xs])
    for a, b in zip(*outs):
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert layer.compile_count == 1


def test_bucketing_axis_zero_twice_is_refused():
    net = gluon.nn.Dense(2, flatten=False)
    net.initialize()
    net.hybridize(bucket=4, bucket_time=8, time_axis=0)
    with pytest.raises(ValueError, match=r"would pad axis 0 twice"):
        net(nd.ones((3, 2, 2)))


def test_time_axis_beyond_the_input_is_named():
    net = gluon.nn.Dense(2)
    net.initialize()
    net.hybridize(bucket_time=8)
    with pytest.raises(ValueError, match=r"pads axis 1 \(time_axis\), but the first input has shape \(3,\)"):
        net(nd.ones((3,)))


def test_dataloader_keep_trains_without_recompiling_after_the_first_epoch(rng):
    # 10 samples, batches of 4: the last batch of each epoch has 2 rows
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = rng.integers(0, 2, 10).astype(np.float32)
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=4, last_batch="keep")
    weights = []
    for kwargs in ({"active": False}, {"bucket": 4}):
        mx.random.seed(4)
        net = gluon.nn.HybridSequential()
        with net.name_scope():
            net.add(gluon.nn.Dense(4, in_units=3, activation="relu"), gluon.nn.BatchNorm(in_channels=4), gluon.nn.Dense(2, in_units=4))
        net.initialize()
        net.hybridize(**kwargs)
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        counts = []
        for _ in range(2):
            for xb, yb in loader:
                with autograd.record():
                    loss = loss_fn(net(xb), yb)
                loss.backward()
                trainer.step(xb.shape[0])
            counts.append(net.compile_count if kwargs.get("bucket") else 0)
        weights.append([p.data().asnumpy() for p in net.collect_params().values()])
    assert counts == [1, 1]  # one program for the full and the short batch, none after epoch 1
    # six momentum steps: padded and unpadded batches sum in different orders (float32)
    for a, b in zip(*weights):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
