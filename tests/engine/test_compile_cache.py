"""The persistent compilation cache (on by default, off, moved), gluax's executable cache of
eager operator programs (a second process loads them and computes the same numbers, a corrupt
entry is recompiled, the switch turns it off) and the quieted JAX loggers.

Each case runs in a fresh interpreter with its own temporary cache directory, so nothing here
touches the user's cache or this process's JAX settings.
"""

import json
import os
import pickle
import subprocess
import sys
import zlib

import pytest

import gluax as mx

# Prints one JSON line: the cache directory in use, the numbers, JAX's cache hits and misses
# while computing them, how many JAX log records reached a DEBUG root logger, and the files in
# two further directories after moving the cache there and then turning it off.
_SCRIPT = r"""
import json, logging, os, sys
records = []
class Count(logging.Handler):
    def emit(self, r):
        if r.name.startswith(("jax", "jaxlib")):
            records.append(r.name)
logging.basicConfig(level=logging.DEBUG, handlers=[Count()])
import gluax as mx  # first: it quiets JAX before JAX loads
import jax
from gluax.gluon import nn
events = {"hits": 0, "misses": 0}
def on_event(name, **kw):
    if name == "/jax/compilation_cache/cache_hits":
        events["hits"] += 1
    elif name == "/jax/compilation_cache/cache_misses":
        events["misses"] += 1
jax.monitoring.register_event_listener(on_event)
mx.random.seed(3)
net = nn.HybridSequential()
net.add(nn.Conv2D(3, 3, in_channels=2), nn.Dense(2, in_units=12))
net.initialize(mx.init.Xavier())
x = mx.nd.array([[[[0.1 * (i + j + c) for j in range(4)] for i in range(4)] for c in range(2)]])
with mx.autograd.record():
    y = (net(x) * 2).sum()
y.backward()
out = {"dir": mx.compilation_cache_dir(), "y": float(y.asscalar()),
       "g": net[0].weight.grad().asnumpy().ravel().tolist(), "records": len(records),
       "hits": events["hits"], "misses": events["misses"],
       "exe": dict(mx._compile_cache.EXE_STATS)}
def count(d):
    return sum(len(files) for _, _, files in os.walk(d))
moved = sys.argv[1]
if moved != "-":
    out["moved_to"] = mx.set_compilation_cache(moved)
    (x * 7 - 1).wait_to_read()
    out["moved_files"] = len(os.listdir(moved))
    out["moved_exe"] = len(os.listdir(os.path.join(moved, "gluax-executables")))
    out["off"] = mx.set_compilation_cache(None)
    before = count(out["dir"]) + count(moved)
    mx.nd.ones((3, 5)).T.wait_to_read()
    (x * 9 + 2).sum().wait_to_read()
    out["off_new_files"] = count(out["dir"]) + count(moved) - before
print(json.dumps(out))
"""


def _start(env_value, tmp_path, moved="-"):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    env.pop("JAX_LOGGING_LEVEL", None)
    env.pop(mx._compile_cache.ENV, None)
    # the executable cache's key includes gluax's sources: fixed here, so that an edit of a
    # source file between two processes of one test cannot make the second miss
    env["_GLUAX_SOURCES_FINGERPRINT"] = str(tmp_path)
    if env_value is not None:
        env[mx._compile_cache.ENV] = env_value
    return subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, moved],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc):
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_cache_on_moved_off_and_second_process_identical(tmp_path):
    cache = tmp_path / "cache"
    first = _start(str(cache), tmp_path, moved=str(tmp_path / "moved"))
    default = _start(None, tmp_path / "d")  # runs alongside: the default directory
    a, d = _result(first), _result(default)
    second = _result(_start(str(cache), tmp_path))

    # on, at the given directory: the first process compiled and wrote every program
    assert a["dir"] == str(cache)
    assert a["misses"] > 0 and a["hits"] == 0
    written = [f for f in os.listdir(cache) if f.endswith("-cache")]
    assert len(written) >= a["misses"]
    # gluax's executable cache: the eager operators' programs, stored by the first process
    exe_dir = cache / "gluax-executables"
    assert a["exe"]["stored"] > 0 and len(os.listdir(exe_dir)) == a["exe"]["stored"]
    assert a["exe"]["loaded"] == 0
    # the second process loads them all (gluax's executables, JAX's cache for the rest),
    # compiles nothing, and computes the same numbers
    assert second["exe"]["loaded"] == a["exe"]["stored"] and second["exe"]["unusable"] == 0
    assert second["exe"]["failed"] == 0  # every stored entry runs
    # (JAX's cache serves what gluax's does not; here gluax's may hold every program: the
    # deferred backward's plan program is cached too)
    assert second["misses"] == 0 and second["hits"] < a["misses"]
    assert second["y"] == a["y"] and second["g"] == a["g"]
    # moved: new programs go to the new directory; off: nowhere
    assert a["moved_to"] == str(tmp_path / "moved") and a["moved_files"] > 0
    assert a["moved_exe"] > 0
    assert a["off"] is None and a["off_new_files"] == 0
    # default: $XDG_CACHE_HOME/gluax/jax, written to
    expect = str(tmp_path / "d" / "xdg" / "gluax" / "jax")
    assert d["dir"] == expect and len(os.listdir(expect)) > 0
    assert d["y"] == a["y"]
    # logging.basicConfig(level=DEBUG) sees no JAX records (hundreds without the quieting)
    assert a["records"] == 0 and second["records"] == 0


def test_env_off_writes_nothing(tmp_path):
    r = _result(_start("0", tmp_path))
    assert r["dir"] is None and r["misses"] == 0 and r["hits"] == 0
    assert r["exe"] == {"loaded": 0, "stored": 0, "unusable": 0, "failed": 0}
    assert not (tmp_path / "xdg").exists()


def test_corrupt_executables_are_recompiled(tmp_path):
    cache = tmp_path / "cache"
    a = _result(_start(str(cache), tmp_path))
    exe_dir = cache / "gluax-executables"
    entries = sorted(exe_dir.iterdir())
    assert len(entries) == a["exe"]["stored"] > 2
    # garbage, a truncated entry, and one holding another program's executable
    entries[0].write_bytes(b"not an executable")
    entries[1].write_bytes(entries[1].read_bytes()[:100])
    entries[2].write_bytes(entries[3].read_bytes())
    for f in cache.glob("*-cache"):  # and JAX's own copies: the programs must compile again
        f.unlink()
    b = _result(_start(str(cache), tmp_path))
    assert b["y"] == a["y"] and b["g"] == a["g"]
    assert b["exe"]["unusable"] == 3 and b["exe"]["stored"] == 3
    assert b["exe"]["loaded"] == a["exe"]["stored"] - 3
    # rewritten whole (write, then rename), each under its own key again
    keys = [pickle.loads(zlib.decompress(f.read_bytes()))[1] for f in entries]
    assert len(set(keys)) == len(entries)
    assert not [f for f in exe_dir.iterdir() if f.suffix == ".tmp"]


def test_bad_path_is_named(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("x")
    with pytest.raises(ValueError, match="a_file.*not a directory"):
        mx.set_compilation_cache(str(f))
    with pytest.raises(TypeError, match="path must be a directory name or None, got int"):
        mx.set_compilation_cache(3)


def test_cache_entries_are_written_whole_and_once(tmp_path):
    # the file cache gluax gives JAX: entries appear by rename, never half-written, and a
    # second writer of the same key leaves the first entry alone
    cache = mx._compile_cache._atomic_cache_class()(str(tmp_path))
    assert cache.get("k1") is None
    cache.put("k1", b"abc")
    cache.put("k1", b"other")
    assert cache.get("k1") == b"abc"
    assert sorted(os.listdir(tmp_path)) == ["k1-cache"]


def test_lowering_switches_are_part_of_every_key():
    # benchmarks/bench_mxnet.py --compare-lowerings flips them: a program compiled with one
    # lowering must not be loaded for the other
    from gluax._src.engine import compile_cache as cc
    from gluax._src.ops import nn as nn_ops

    dev = cc.default_device()
    for name in ("POINTWISE_LOWERING", "MAX_POOL_TAPS"):
        old = getattr(nn_ops, name)
        try:
            a = cc.executable_key("op|x", dev)
            setattr(nn_ops, name, not old)
            assert cc.executable_key("op|x", dev) != a, name
        finally:
            setattr(nn_ops, name, old)
    a = cc.executable_key("op|x", dev)
    nn_ops.DEPTHWISE_JVP[0] = not nn_ops.DEPTHWISE_JVP[0]
    try:
        assert cc.executable_key("op|x", dev) != a, "DEPTHWISE_JVP"
    finally:
        nn_ops.DEPTHWISE_JVP[0] = not nn_ops.DEPTHWISE_JVP[0]


def test_numpy_semantics_are_part_of_every_key():
    import gluax as mx
    from gluax._src.engine import compile_cache as cc

    dev = cc.default_device()
    a = cc.executable_key("op|x", dev)
    mx.npx.set_np()
    try:
        assert cc.executable_key("op|x", dev) != a
    finally:
        mx.npx.reset_np()
    assert cc.executable_key("op|x", dev) == a


def test_tree_jit_with_several_signatures_of_one_tree_stops_direct_calls(tmp_path):
    # BatchNorm's running-statistics update meets layers of several widths with one argument
    # tree: after a refused direct call the tree goes by signature (no exception per call)
    import jax
    import jax.numpy as jnp
    import numpy as np

    from gluax._src.engine import compile_cache as cc

    prev = mx.compilation_cache_dir()
    mx.set_compilation_cache(str(tmp_path))
    try:
        tj = cc.TreeJit(lambda a, b: (a * 2 + b, a.sum()), lambda: "test.several")
        xs = [jnp.arange(n, dtype=jnp.float32) for n in (2, 3, 2, 3, 2)]
        for x in xs:
            out, total = tj(x, x)
            np.testing.assert_allclose(np.asarray(out), 3 * np.asarray(x))
            assert float(total) == float(np.asarray(x).sum())
        tree = jax.tree_util.tree_structure((xs[0], xs[0]))
        assert tree in tj.many and tree not in tj.fast
        # one signature only: the direct call stays
        one = cc.TreeJit(lambda a: a + 1, lambda: "test.one")
        for _ in range(3):
            one(xs[0])
        assert jax.tree_util.tree_structure((xs[0],)) in one.fast
    finally:
        mx.set_compilation_cache(prev)
