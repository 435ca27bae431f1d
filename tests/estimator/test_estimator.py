"""Estimator runs from MXNet 1.9.1's initial weights give MXNet's per-epoch metrics, stop at
the same epoch and write MXNet's checkpoint files (tests/fixtures/estimator)."""

from __future__ import annotations

import io
import json
import logging
import os
import pathlib
import re

import numpy as np
import pytest

import gluax as mx
from gluax import gluon
from gluax.gluon import nn
from gluax.gluon.contrib import estimator as E

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "estimator"
REF = json.loads((FIX / "estimator.json").read_text())
ARR = dict(np.load(FIX / "estimator.npz"))
PN = ["0.weight", "0.bias", "1.weight", "1.bias"]
# weights after 16-40 SGD-with-momentum steps: float32 round-off accumulates to ~2e-6
TOL = {"rtol": 1e-4, "atol": 1e-5}


def loaders():
    tr = gluon.data.ArrayDataset(mx.nd.array(ARR["x_train"]), mx.nd.array(ARR["y_train"]))
    va = gluon.data.ArrayDataset(mx.nd.array(ARR["x_val"]), mx.nd.array(ARR["y_val"]))
    return gluon.data.DataLoader(tr, batch_size=8), gluon.data.DataLoader(va, batch_size=8)


def make_net(ctx=None):
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    net.initialize(ctx=ctx)
    for k in PN:
        getattr(net[int(k[0])], k[2:]).set_data(mx.nd.array(ARR["init__" + k]))
    return net


def params(net):
    return {k: getattr(net[int(k[0])], k[2:]).data().asnumpy() for k in PN}


def make_est(lr, ctx=None):
    net = make_net(ctx)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr, "momentum": 0.9})
    # the net lives on cpu(0) (MXNet would pick gpu(0) where a GPU is present)
    est = E.Estimator(
        net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer, context=ctx or mx.cpu()
    )
    buf = io.StringIO()
    est.logger.handlers = [logging.StreamHandler(buf)]
    return net, est, buf


class Recorder(E.EpochEnd):
    def __init__(self):
        self.epochs = []

    def epoch_end(self, estimator, *args, **kwargs):
        ms = estimator.train_metrics + estimator.val_metrics
        self.epochs.append([m.get()[1] for m in ms])


def names(est):
    return [m.name for m in est.train_metrics + est.val_metrics]


def masked(log):
    log = re.sub(r"\d+\.\d+s", "Ts", log)
    log = re.sub(r"total \d+s", "total Ts", log)
    return re.sub(r"as \S*-symbol\.json", "as SYMBOL", log).splitlines()


def check_params(net, scenario, what="final"):
    for k, v in params(net).items():
        np.testing.assert_allclose(v, ARR[f"{scenario}__{what}__{k}"], **TOL, err_msg=k)


def test_fit_with_handlers_matches_mxnet(tmp_path):
    net, est, buf = make_est(0.1)
    tr, va = loaders()
    rec = Recorder()
    ms = est.train_metrics + est.val_metrics
    ckpt = E.CheckpointHandler(
        str(tmp_path), model_prefix="mlp", epoch_period=1, batch_period=3, max_checkpoints=3
    )
    est.fit(
        tr, va, epochs=4, event_handlers=[rec, E.LoggingHandler(log_interval=2, metrics=ms), ckpt]
    )
    ref = REF["fit"]
    assert names(est) == ref["metric_names"]
    np.testing.assert_allclose(rec.epochs, ref["epochs"], rtol=1e-5)
    check_params(net, "fit")
    # MXNet's file names, the oldest checkpoints removed (max_checkpoints=3)
    assert sorted(os.listdir(tmp_path)) == ref["files"]
    # the log reads as MXNet's, line for line (timings and the temp folder masked)
    assert masked(buf.getvalue()) == masked("\n".join(ref["log"]))
    # the last checkpoint loads back into a fresh network and equals MXNet's
    net2 = make_net()
    net2.load_parameters(str(tmp_path / ref["last_ckpt"]))
    check_params(net2, "fit", "ckpt")


@pytest.mark.parametrize(
    "scenario, lr, kw", [("early", 0.5, {"mode": "min"}), ("early_auto", 0.1, {})]
)
def test_early_stopping_stops_at_mxnets_epoch(scenario, lr, kw):
    net, est, _ = make_est(lr)
    tr, va = loaders()
    rec = Recorder()
    if kw:
        es = E.EarlyStoppingHandler(monitor=est.val_metrics[1], patience=1, **kw)
    else:  # auto mode warns which comparison it picked, as MXNet does
        with pytest.warns(
            UserWarning, match="`greater` operator.*validation softmaxcrossentropyloss"
        ):
            es = E.EarlyStoppingHandler(monitor=est.val_metrics[1], patience=1)
    est.fit(tr, va, epochs=10, event_handlers=[rec, es])
    ref = REF[scenario]
    assert es.stopped_epoch == ref["stopped_epoch"]
    assert len(rec.epochs) == len(ref["epochs"])
    np.testing.assert_allclose(rec.epochs, ref["epochs"], rtol=1e-5)
    check_params(net, scenario)


def test_resume_from_checkpoint_matches_mxnet(tmp_path):
    _, est, _ = make_est(0.1)
    tr, va = loaders()
    est.fit(tr, va, epochs=2, event_handlers=[E.CheckpointHandler(str(tmp_path), "res")])
    net, est, buf = make_est(0.1)
    rec = Recorder()
    est.fit(
        tr,
        va,
        epochs=4,
        event_handlers=[
            rec,
            E.CheckpointHandler(str(tmp_path), "res", resume_from_checkpoint=True),
        ],
    )
    ref = REF["resume"]
    np.testing.assert_allclose(rec.epochs, ref["epochs"], rtol=1e-5)
    check_params(net, "resume")
    assert sorted(os.listdir(tmp_path)) == ref["files"]
    assert masked(buf.getvalue()) == masked("\n".join(ref["log"]))


def test_evaluate_before_training_matches_mxnet():
    _, est, _ = make_est(0.1)
    _, va = loaders()
    est.evaluate(va)
    assert [m.name for m in est.val_metrics] == REF["evaluate"]["metric_names"]
    np.testing.assert_allclose(
        [m.get()[1] for m in est.val_metrics], REF["evaluate"]["values"], rtol=1e-5
    )


def test_fit_on_two_devices_matches_mxnets_one_device_run():
    # each batch is split in two halves; summed gradients and step(8) give the same update
    ctx = [mx.cpu(0), mx.cpu(1)]
    net, est, _ = make_est(0.1, ctx)
    tr, va = loaders()
    rec = Recorder()
    est.fit(tr, va, epochs=2, event_handlers=[rec])
    np.testing.assert_allclose(rec.epochs, REF["fit"]["epochs"][:2], rtol=1e-5)
    assert net[0].weight.list_ctx() == ctx
