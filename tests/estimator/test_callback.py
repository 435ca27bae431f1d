"""mx.callback against MXNet 1.9.1: the lines each callback logs (tests/fixtures/estimator)."""

from __future__ import annotations

import io
import json
import logging
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


def test_do_checkpoint_saves_every_period_through_mx_model(monkeypatch):
    calls = []
    fake = types.ModuleType("gluax.model")
    fake.save_checkpoint = lambda prefix, epoch, sym, arg, aux: calls.append((prefix, epoch, sym))
    monkeypatch.setitem(sys.modules, "gluax.model", fake)
    cb = mx.callback.do_checkpoint("cp", 2)
    for e in range(4):
        cb(e, "SYM", {}, {})
    # MXNet wrote cp-0002.params and cp-0004.params: epochs 2 and 4, counted from 1
    saved = [f"cp-{epoch:04d}.params" for _, epoch, _ in calls]
    assert saved == [f for f in REF["do_checkpoint"] if f.endswith(".params")]
    assert {(p, s) for p, _, s in calls} == {("cp", "SYM")}


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
