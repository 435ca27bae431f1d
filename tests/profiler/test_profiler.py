"""mx.profiler: a run writes a Chrome trace and jax.profiler's trace, and the aggregate table
names the operators and compiled programs that ran, with their call counts."""

import gzip
import json

import numpy as np
import pytest

import gluax as mx
from gluax._src.engine import profiler as prof
from gluax._src.engine import registry


@pytest.fixture(autouse=True)
def _fresh(tmp_path):
    prof._P.stats.clear()
    prof._P.events.clear()
    mx.profiler.set_config(filename=str(tmp_path / "profile.json"), jax_trace=False)
    yield
    mx.profiler.set_state("stop")


def _table_rows(text, category):
    block = text.split(f"\n{category}\n", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in block.splitlines()[3:]:
        parts = line.split()
        rows[" ".join(parts[:-5])] = int(parts[-5])
    return rows


def test_trace_and_aggregate_table(tmp_path):
    mx.profiler.set_config(profile_all=True, aggregate_stats=True, jax_trace=True)
    orig_invoke = registry.invoke
    net = mx.gluon.nn.HybridSequential(prefix="prof_")
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(3))
    net.initialize()
    net.hybridize()
    x = mx.nd.ones((2, 4))
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd")
    # Compile first: jax.profiler takes seconds to write a trace that holds XLA compilations.
    y = mx.nd.relu(mx.nd.relu(x)) + 1
    net(y)
    with mx.autograd.record():
        out = net(y)
    out.backward()
    trainer.step(2)
    mx.nd.tanh(x)
    mx.profiler.set_state("run")
    assert registry.invoke is not orig_invoke
    y = mx.nd.relu(x)
    y = mx.nd.relu(y) + 1
    net(y)
    with mx.autograd.record():
        out = net(y)
    out.backward()
    trainer.step(2)
    dom = mx.profiler.Domain("train")
    task = dom.new_task("step")
    task.start()
    mx.nd.tanh(x)
    task.stop()
    counter = dom.new_counter("batches", 0)
    counter += 2
    dom.new_marker("epoch_end").mark()
    mx.profiler.set_state("stop")
    assert registry.invoke is orig_invoke  # nothing of the profiler left on the op path
    table = mx.profiler.dumps()
    ops = _table_rows(table, "operator")
    assert ops["relu"] == 2 and ops["tanh"] == 1 and ops["broadcast_add"] == 1
    assert _table_rows(table, "compiled program") == {"prof": 2, "Trainer.step": 1}
    assert _table_rows(table, "train") == {"step": 1}
    mx.profiler.dump()
    events = json.loads((tmp_path / "profile.json").read_text())["traceEvents"]
    names = {(e["name"], e["ph"]) for e in events}
    assert {("relu", "X"), ("prof", "X"), ("step", "X"), ("batches", "C"),
            ("epoch_end", "i")} <= names
    counts = [e["args"]["batches"] for e in events if e["name"] == "batches"]
    assert counts == [0, 2]
    traces = list((tmp_path / "profile_jax").rglob("perfetto_trace.json.gz"))
    assert traces
    with gzip.open(traces[0]) as f:
        jax_events = json.load(f)
    text = json.dumps(jax_events)
    assert "relu" in text and "prof" in text  # MXNet names in jax.profiler's own trace


def test_pause_resume_and_json_stats():
    mx.profiler.set_state("run")
    x = mx.nd.ones((2,))
    mx.nd.exp(x)
    mx.profiler.pause()
    mx.nd.exp(x)
    mx.nd.log(x)
    mx.profiler.resume()
    mx.nd.exp(x)
    mx.profiler.set_state("stop")
    mx.nd.exp(x)  # not counted: stopped
    stats = json.loads(mx.profiler.dumps(format="json", reset=True))["Time"]["operator"]
    assert stats["exp"]["Count"] == 2 and "log" not in stats
    assert stats["exp"]["Min"] <= stats["exp"]["Avg"] <= stats["exp"]["Max"]
    assert "exp" not in mx.profiler.dumps()  # reset cleared the table


def test_scope_prefixes_operator_names_and_sort():
    mx.profiler.set_state("run")
    with mx.profiler.scope("fwd:"):
        mx.nd.sigmoid(mx.nd.ones((2,)))
    mx.profiler.set_state("stop")
    assert "fwd:sigmoid" in _table_rows(mx.profiler.dumps(sort_by="count", ascending=True),
                                         "operator")


def test_custom_operator_and_np_front_end_are_counted():
    mx.profiler.set_state("run")
    mx.np.exp(mx.np.ones((2,)))
    mx.profiler.set_state("stop")
    assert "_np_exp" in _table_rows(mx.profiler.dumps(), "operator")


def test_deprecated_spellings(tmp_path):
    mx.profiler.profiler_set_config(mode="all", filename=str(tmp_path / "old.json"))
    mx.profiler.set_config(jax_trace=False)
    mx.profiler.profiler_set_state("run")
    mx.nd.ones((1,))
    mx.profiler.profiler_set_state("stop")
    mx.profiler.dump_profile()
    ev = json.loads((tmp_path / "old.json").read_text())["traceEvents"]
    assert any(e["name"] == "_ones" for e in ev)


def test_errors():
    with pytest.raises(TypeError, match=r"unknown argument\(s\) \['profile_everything'\]"):
        mx.profiler.set_config(profile_everything=True)
    with pytest.raises(ValueError, match="'run' or 'stop', got 'go'"):
        mx.profiler.set_state("go")
    with pytest.raises(NotImplementedError, match="no servers"):
        mx.profiler.set_state("run", profile_process="server")
    with pytest.raises(RuntimeError, match="stop\\(\\) before start\\(\\)"):
        mx.profiler.Event("e").stop()
    with pytest.raises(ValueError, match="scope must be"):
        mx.profiler.Domain("d").new_marker("m").mark("galaxy")
    with pytest.raises(ValueError, match="format must be"):
        mx.profiler.dumps(format="csv")
    mx.profiler.set_state("run")
    with pytest.raises(RuntimeError, match="before changing its filename"):
        mx.profiler.set_config(filename="x.json")
    np.testing.assert_equal(mx.nd.ones((1,)).asnumpy(), [1.0])
