"""Estimator arguments, defaults, warnings and errors, and the handlers' less-travelled paths
(MXNet 1.9.1's behaviour, read from its estimator source)."""

from __future__ import annotations

import io
import json
import logging
import os
import re

import numpy as np
import pytest

import gluax as mx
from gluax import gluon
from gluax.gluon import nn
from gluax.gluon.contrib import estimator as E

rs = np.random.RandomState(1)
X = rs.normal(size=(12, 3)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.float32)


def loader(n=12, batch_size=4):
    return gluon.data.DataLoader(gluon.data.ArrayDataset(X[:n], Y[:n]), batch_size=batch_size)


def make(hybridize=False, **kw):
    net = nn.HybridSequential()
    net.add(nn.Dense(2, in_units=3))
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    kw.setdefault("context", mx.cpu())  # where net was initialized
    est = E.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer, **kw)
    buf = io.StringIO()
    est.logger.handlers = [logging.StreamHandler(buf)]
    return net, est, buf


class Count(E.BatchEnd, E.EpochEnd):
    def __init__(self):
        self.batches = self.epochs = 0

    def batch_end(self, estimator, *args, **kwargs):
        self.batches += 1

    def epoch_end(self, estimator, *args, **kwargs):
        self.epochs += 1


def test_fit_by_batches_stops_mid_epoch():
    _, est, buf = make()
    count = Count()
    est.fit(loader(), batches=5, event_handlers=[count])
    assert (count.batches, count.epochs) == (5, 2)
    assert "Train for 5 batches." in buf.getvalue()


def test_default_metrics_and_custom_metric_names():
    _, est, _ = make(train_metrics=mx.metric.MAE())
    assert [m.name for m in est.train_metrics] == ["training mae"]
    assert [m.name for m in est.val_metrics] == ["validation mae"]
    net = nn.Dense(1, in_units=3)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    est = E.Estimator(net, gluon.loss.L2Loss(), trainer=trainer)
    # no accuracy for a loss other than softmax cross-entropy; the loss metric has its name
    assert [m.name for m in est.train_metrics] == ["training l2loss"]


def test_default_trainer_and_initializer_warnings():
    net = nn.Dense(2, in_units=3)
    with pytest.warns(
        UserWarning, match="No trainer specified, default SGD optimizer with learning rate 0.001"
    ):
        est = E.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss())
    assert est.trainer.learning_rate == 0.001
    assert net.weight.list_ctx() == est.context  # initialized by the estimator
    # MXNet's default device: gpu(0) where a GPU is present, else cpu()
    assert est.context == ([mx.gpu(0)] if mx.num_gpus() else [mx.cpu()])
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    with pytest.warns(UserWarning, match="already fully initialized, skipping initialization"):
        E.Estimator(
            net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer, initializer=mx.init.One()
        )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"loss": "l2"}, r"loss must be a gluon.loss.Loss, got 'l2'"),
        ({"val_loss": 3}, r"val_loss must be a gluon.loss.Loss, got 3"),
        ({"train_metrics": ["acc"]}, r"metrics must be an EvalMetric .* got str 'acc'"),
        ({"trainer": "sgd"}, r"trainer must be a gluon.Trainer, got 'sgd'"),
        ({"context": "cpu"}, r"context must be a Context or a list of Context.*got 'cpu'"),
        (
            {"batch_processor": object()},
            r"batch_processor must have fit_batch\(\) and evaluate_batch\(\)",
        ),
    ],
)
def test_estimator_rejects_wrong_arguments(kwargs, match):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    args = {
        "loss": gluon.loss.SoftmaxCrossEntropyLoss(),
        "trainer": gluon.Trainer(net.collect_params(), "sgd"),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        E.Estimator(net, **args)


def test_fit_and_evaluate_reject_wrong_data():
    _, est, _ = make()
    with pytest.raises(
        ValueError, match=r"fit: train_data must be a gluon.data.DataLoader, got ndarray"
    ):
        est.fit(X, epochs=1)
    with pytest.raises(
        ValueError, match=r"exactly one of epochs and batches, got epochs=1, batches=2"
    ):
        est.fit(loader(), epochs=1, batches=2)
    with pytest.raises(ValueError, match=r"exactly one of epochs and batches"):
        est.fit(loader())
    with pytest.raises(
        ValueError, match=r"evaluate: val_data must be a gluon.data.DataLoader, got list"
    ):
        est.evaluate([1])
    with pytest.raises(ValueError, match=r"event_handlers must be an EventHandler .*got int 3"):
        est.fit(loader(), epochs=1, event_handlers=[3])


def test_handler_with_a_foreign_metric_is_rejected():
    _, est, _ = make()
    with pytest.raises(
        ValueError, match=r"MetricHandler refers to a metric instance .* outside of the known"
    ):
        est.fit(loader(), epochs=1, event_handlers=[E.MetricHandler(metrics=mx.metric.Accuracy())])


def test_custom_batch_processor_is_used():
    class Doubling(E.BatchProcessor):
        def fit_batch(self, estimator, train_batch, batch_axis=0):
            self.calls = getattr(self, "calls", 0) + 1
            return super().fit_batch(estimator, train_batch, batch_axis)

    bp = Doubling()
    _, est, _ = make(batch_processor=bp)
    est.fit(loader(), epochs=1)
    assert bp.calls == 3


def test_gradient_update_counts_the_loss_values():
    net, est, _ = make()
    w0 = net[0].weight.data().asnumpy()
    steps = []
    est.trainer.step = lambda n, **k: steps.append(n)
    est.fit(loader(12, 5), epochs=1)
    assert steps == [5, 5, 2]
    np.testing.assert_array_equal(net[0].weight.data().asnumpy(), w0)


def test_validation_by_batch_period():
    _, est, buf = make()
    v = E.ValidationHandler(loader(8), est.evaluate, epoch_period=None, batch_period=2)
    est.fit(loader(), epochs=2, event_handlers=[v])
    assert buf.getvalue().count("Validation Begin") == 3  # after batches 2, 4, 6


def test_logging_handler_rejects_bad_interval():
    with pytest.raises(
        ValueError, match=r"log_interval must be an integer or 'epoch', got 'batch'"
    ):
        E.LoggingHandler(log_interval="batch")


def test_checkpoint_saves_symbol_of_a_hybridized_net(tmp_path):
    net, est, buf = make(hybridize=True)
    est.fit(loader(), epochs=1, event_handlers=[E.CheckpointHandler(str(tmp_path), "h")])
    assert sorted(os.listdir(tmp_path)) == [
        "h-epoch0batch3.params",
        "h-epoch0batch3.states",
        "h-symbol.json",
    ]
    graph = json.loads((tmp_path / "h-symbol.json").read_text())
    assert any(n["op"] == "FullyConnected" for n in graph["nodes"])
    assert "not saved" not in buf.getvalue()


def test_checkpoint_save_best_and_verbose(tmp_path):
    _, est, buf = make()
    with pytest.warns(UserWarning, match="`greater` operator"):
        ckpt = E.CheckpointHandler(
            str(tmp_path),
            "b",
            monitor=est.train_metrics[0],
            save_best=True,
            verbose=1,
            max_checkpoints=1,
        )
    est.fit(loader(), epochs=3, event_handlers=[ckpt])
    files = sorted(os.listdir(tmp_path))
    assert files == [
        "b-best.params",
        "b-best.states",
        "b-epoch2batch9.params",
        "b-epoch2batch9.states",
    ]
    assert "CheckpointHandler: trained total" in buf.getvalue()
    assert "updating best model" in buf.getvalue()


def test_checkpoint_handler_errors(tmp_path):
    with pytest.raises(ValueError, match="save_best=True needs monitor="):
        E.CheckpointHandler(str(tmp_path), save_best=True)
    _, est, _ = make()
    ckpt = E.CheckpointHandler(str(tmp_path), "r", batch_period=2, resume_from_checkpoint=True)
    with pytest.raises(
        AssertionError, match="training by epochs needs epoch_period set and batch_period=None"
    ):
        est.fit(loader(), epochs=1, event_handlers=[ckpt])
    (tmp_path / "r-epochXbatch1.params").write_bytes(b"")
    ckpt = E.CheckpointHandler(str(tmp_path), "r", resume_from_checkpoint=True)
    with pytest.raises(
        ValueError, match=r"cannot parse the checkpoint file name 'r-epochXbatch1.params'"
    ):
        est.fit(loader(), epochs=1, event_handlers=[ckpt])


def test_resume_when_training_is_already_done(tmp_path):
    _, est, _ = make()
    est.fit(loader(), epochs=2, event_handlers=[E.CheckpointHandler(str(tmp_path), "d")])
    _, est, _ = make()
    ckpt = E.CheckpointHandler(str(tmp_path), "d", resume_from_checkpoint=True)
    with pytest.raises(ValueError, match=r"already reach the 2 epochs asked for"):
        est.fit(loader(), epochs=2, event_handlers=[ckpt])
    os.remove(tmp_path / "d-epoch1batch6.states")
    _, est, _ = make()
    ckpt = E.CheckpointHandler(str(tmp_path), "d", resume_from_checkpoint=True)
    with pytest.raises(FileNotFoundError, match=r"d-epoch1batch6.states does not exist"):
        est.fit(loader(), epochs=3, event_handlers=[ckpt])


def test_early_stopping_arguments():
    with pytest.raises(ValueError, match="monitor must be one of the metric objects"):
        E.EarlyStoppingHandler(monitor="loss")
    with pytest.raises(ValueError, match="CompositeEvalMetric cannot be monitored"):
        E.EarlyStoppingHandler(monitor=mx.metric.CompositeEvalMetric([mx.metric.Accuracy()]))
    with (
        pytest.warns(RuntimeWarning, match="mode best is unknown"),
        pytest.warns(UserWarning, match="`greater`"),
    ):
        E.EarlyStoppingHandler(monitor=mx.metric.Accuracy(), mode="best")
    # a baseline that is never beaten stops after `patience` epochs
    _, est, buf = make()
    es = E.EarlyStoppingHandler(monitor=est.train_metrics[1], mode="min", patience=2, baseline=-1.0)
    count = Count()
    est.fit(loader(), epochs=10, event_handlers=[es, count])
    assert count.epochs == 2 and es.stopped_epoch == 1
    assert (
        "[Epoch 1] EarlyStoppingHanlder: early stopping due to training softmaxcrossentropyloss"
        in buf.getvalue()
    )


def test_early_stopping_warns_on_a_metric_never_updated():
    _, est, _ = make()
    es = E.EarlyStoppingHandler(monitor=est.val_metrics[0], mode="max")
    with pytest.warns(RuntimeWarning, match="validation accuracy is not updated"):
        est.fit(loader(), epochs=1, event_handlers=[es])


def test_progress_bar_counts_the_batches():
    _, est, _ = make()
    log = E.LoggingHandler(metrics=est.train_metrics, progress=True)
    seen = []

    class Peek(E.BatchEnd):
        priority = 1e9  # before LoggingHandler (inf), which moves the bar

        def batch_end(self, estimator, *args, **kwargs):
            seen.append((log._bar.n, log._bar.total))

    est.fit(loader(), epochs=1, event_handlers=[log, Peek()])
    assert seen == [(0, 3), (1, 3), (2, 3)]  # the bar moves at each batch end
    assert log._bar is None


def test_unavailable_gpu_is_rejected():
    net = nn.Dense(2, in_units=3)
    missing = mx.gpu(mx.num_gpus())
    # MXNet asserts here: the error is both an AssertionError and a ValueError
    with pytest.raises(
        AssertionError, match=rf"{re.escape(str(missing))} is not available; use mx.cpu\(\)"
    ):
        E.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), context=missing)


def test_resume_counts_old_checkpoints_towards_max_checkpoints(tmp_path):
    _, est, _ = make()
    est.fit(loader(), epochs=3, event_handlers=[E.CheckpointHandler(str(tmp_path), "m")])
    _, est, _ = make()
    ckpt = E.CheckpointHandler(str(tmp_path), "m", max_checkpoints=2, resume_from_checkpoint=True)
    est.fit(loader(), epochs=4, event_handlers=[ckpt])
    assert sorted(f[:-7] for f in os.listdir(tmp_path) if f.endswith(".params")) == [
        "m-epoch2batch9",
        "m-epoch3batch12",
    ]


def test_removing_an_old_checkpoint_keeps_files_sharing_its_prefix(tmp_path):
    # batch 1's checkpoint must go without taking batch 10's (MXNet matched the prefix only)
    _, est, _ = make()
    (tmp_path / "p-epoch0batch10.params").write_bytes(b"keep")
    ckpt = E.CheckpointHandler(
        str(tmp_path), "p", epoch_period=None, batch_period=1, max_checkpoints=1
    )
    est.fit(loader(), batches=5, event_handlers=[ckpt])
    assert sorted(os.listdir(tmp_path)) == [
        "p-epoch0batch10.params",
        "p-epoch1batch4.params",
        "p-epoch1batch4.states",
    ]
