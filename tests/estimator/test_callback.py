"""mx.callback against MXNet 1.9.1: the lines each callback logs (tests/fixtures/estimator)."""

from __future__ import annotations

import io
import json
import logging
import os
import pathlib
import re
import sys
import types

import pytest

import gluax as mx

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "estimator"
REF = json.loads((FIX / "estimator.json").read_text())["callback"]

MAKE = {
    "speedometer": lambda: mx.callback.Speedometer(4, 2),
    "speedometer_noreset": lambda: mx.callback.Speedometer(4, 2, auto_reset=False),
    "log_train_metric": lambda: mx.callback.log_train_metric(2),
    "progress_bar": lambda: mx.callback.ProgressBar(5, length=10),
    "log_validation": lambda: mx.callback.LogValidationMetricsCallback(),
}


@pytest.fixture
def root_log():
    root = logging.getLogger()
    old_handlers, old_level = root.handlers[:], root.level
    buf = io.StringIO()
    root.handlers = [logging.StreamHandler(buf)]
    root.setLevel(logging.INFO)
    yield buf
    root.handlers, root.level = old_handlers, old_level


@pytest.mark.parametrize("name", sorted(MAKE))
def test_callback_logs_mxnets_lines(name, root_log):
    cb = MAKE[name]()
    acc = mx.metric.Accuracy()
    for n in range(6):
        acc.update([mx.nd.array([n % 3, 1])], [mx.nd.array([[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]])])
        cb(types.SimpleNamespace(epoch=1, nbatch=n, eval_metric=acc, locals=None))
    lines = re.sub(r"Speed: [\d.inf]+", "Speed: S", root_log.getvalue()).splitlines()
    assert lines == REF[name]


def test_speedometer_without_metric_logs_speed(root_log):
    cb = mx.callback.Speedometer(4, 2)
    for n in range(5):
        cb(types.SimpleNamespace(epoch=0, nbatch=n, eval_metric=None, locals=None))
    assert re.findall(
        r"Iter\[0\] Batch \[(\d)\]\tSpeed: [\d.]+ samples/sec", root_log.getvalue()
    ) == ["2", "4"]


def test_do_checkpoint_writes_mxnets_files_every_period(tmp_path, root_log):
    data = mx.sym.var("data")
    sym = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    args = {"fc_weight": mx.nd.ones((2, 3)), "fc_bias": mx.nd.zeros((2,))}
    cb = mx.callback.do_checkpoint(str(tmp_path / "cp"), 2)
    for e in range(4):
        cb(e, sym, args, {})
    assert sorted(os.listdir(tmp_path)) == REF["do_checkpoint"]
    sym2, args2, aux2 = mx.model.load_checkpoint(str(tmp_path / "cp"), 4)
    assert sym2.list_arguments() == ["data", "fc_weight", "fc_bias"] and aux2 == {}
    assert {k: v.asnumpy().tolist() for k, v in args2.items()} == {
        "fc_weight": [[1.0] * 3] * 2,
        "fc_bias": [0.0, 0.0],
    }


def test_do_checkpoint_without_mx_model_says_what_to_use(monkeypatch):
    monkeypatch.setitem(sys.modules, "gluax.model", None)
    cb = mx.callback.do_checkpoint("cp")
    with pytest.raises(NotImplementedError, match=r"mx.model.save_checkpoint.*net.export"):
        cb(0, None, {}, {})


def test_module_checkpoint_calls_the_module():
    calls = []
    mod = types.SimpleNamespace(save_checkpoint=lambda *a: calls.append(a))
    cb = mx.callback.module_checkpoint(mod, "m", period=3, save_optimizer_states=True)
    for e in range(7):
        cb(e)
    assert calls == [("m", 3, True), ("m", 6, True)]
