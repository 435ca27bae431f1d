"""Time to the first step: gluax against MXNet 1.9.1 on the same MXNet-API script.

One script, written against the MXNet API only (``mx.gluon``, ``mx.nd``, ``mx.autograd``),
runs in fresh processes on MXNet 1.9.1 (``/opt/mxvenv/bin/python``) and on gluax, interleaved
network by network: MXNet, gluax with an empty compilation cache (cold), MXNet again, gluax
again with the cache the cold run wrote (warm: the second run of a script). In each process:

* ``import``: ``import mxnet as mx`` / ``import gluax as mx``;
* ``fwd``: build, ``initialize()`` and the first eager forward (batch 4);
* ``train``: the first eager training step (``record``/``backward``/``trainer.step``, SGD);
* ``train2``: the second one (steady state, for reference);
* ``fwd_b3``: an eager forward at a new batch size (3);
* ``hyb``: ``hybridize(static_alloc=True, static_shape=True)`` and its first training step;
* ``hyb2``: the second hybridized step (steady state);
* ``hyb_b3``: a hybridized training step at batch size 3 (a batch-size change).

Networks: resnet18_v1 and mobilenet0.25 from the model zoo (3x64x64), a GluonCV-style
MobileNetV3-small (squeeze-excitation blocks, hard-swish; written here with the MXNet API), a
2-layer LSTM language model (vocabulary 100, 8 steps) and the tutorial's LeNet (1x28x28). And
``data``: ``DataLoader`` construction to first batch with 0, 2 and 4 workers (an
``ArrayDataset`` of 64 3x32x32 images, batch 4).

For gluax the time is broken down with ``jax.monitoring``: programs compiled (or loaded from
JAX's persistent cache), tracing, lowering to StableHLO, XLA compilation (or cache load), and
the eager operator executables loaded from gluax's own executable cache (which skip tracing,
lowering and JAX's cache: their load time is in the rest); the rest is Python, execution and
those loads.

``--rounds warm`` runs the cold gluax process only to fill the cache (no MXNet process before
it) and reports the warm round; ``--rounds cold,warm`` (the default) both.

Usage: ``python benchmarks/bench_first_step.py [--nets resnet18,lstm,...] [--json out.json]``.
The machine is shared: read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

MXNET_PYTHON = "/opt/mxvenv/bin/python"
NETS = ("resnet18", "lstm", "lenet", "data", "mobilenet", "mnv3")
PHASES = ("import", "fwd", "train", "train2", "fwd_b3", "hyb", "hyb2", "hyb_b3")


# --------------------------------------------------------------------------------------------
# The MXNet-API script (child process)
# --------------------------------------------------------------------------------------------


def _networks(mx):  # noqa: ANN001, ANN202 -- runs on MXNet too
    nn, rnn = mx.gluon.nn, mx.gluon.rnn

    class HardSwish(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):  # noqa: ANN001, ANN202, N803
            return x * F.clip(x + 3.0, 0.0, 6.0) / 6.0

    class HardSigmoid(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):  # noqa: ANN001, ANN202, N803
            return F.clip(x + 3.0, 0.0, 6.0) / 6.0

    def act(kind):  # noqa: ANN001, ANN202
        return HardSwish() if kind == "hswish" else nn.Activation("relu")

    class SE(mx.gluon.HybridBlock):
        def __init__(self, channels):  # noqa: ANN001, ANN204
            super().__init__()
            with self.name_scope():
                self.pool = nn.GlobalAvgPool2D()
                self.fc1 = nn.Conv2D(max(8, channels // 4), 1, in_channels=channels)
                self.fc2 = nn.Conv2D(channels, 1, in_channels=max(8, channels // 4))
                self.gate = HardSigmoid()

        def hybrid_forward(self, F, x):  # noqa: ANN001, ANN202, N803
            w = self.gate(self.fc2(F.relu(self.fc1(self.pool(x)))))
            return F.broadcast_mul(x, w)

    class Bottleneck(mx.gluon.HybridBlock):
        def __init__(self, cin, k, exp, cout, se, kind, stride):  # noqa: ANN001, ANN204
            super().__init__()
            self.residual = stride == 1 and cin == cout
            with self.name_scope():
                self.body = nn.HybridSequential()
                if exp != cin:
                    self.body.add(nn.Conv2D(exp, 1, use_bias=False, in_channels=cin))
                    self.body.add(nn.BatchNorm(in_channels=exp), act(kind))
                self.body.add(nn.Conv2D(exp, k, stride, k // 2, groups=exp, use_bias=False,
                                        in_channels=exp))
                self.body.add(nn.BatchNorm(in_channels=exp), act(kind))
                if se:
                    self.body.add(SE(exp))
                self.body.add(nn.Conv2D(cout, 1, use_bias=False, in_channels=exp))
                self.body.add(nn.BatchNorm(in_channels=cout))

        def hybrid_forward(self, F, x):  # noqa: ANN001, ANN202, N803
            y = self.body(x)
            return x + y if self.residual else y

    def mobilenetv3_small():  # noqa: ANN202 -- GluonCV's small configuration, width 1
        cfg = [(3, 16, 16, True, "relu", 2), (3, 72, 24, False, "relu", 2),
               (3, 88, 24, False, "relu", 1), (5, 96, 40, True, "hswish", 2),
               (5, 240, 40, True, "hswish", 1), (5, 240, 40, True, "hswish", 1),
               (5, 120, 48, True, "hswish", 1), (5, 144, 48, True, "hswish", 1),
               (5, 288, 96, True, "hswish", 2), (5, 576, 96, True, "hswish", 1),
               (5, 576, 96, True, "hswish", 1)]
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Conv2D(16, 3, 2, 1, use_bias=False), nn.BatchNorm(), HardSwish())
            cin = 16
            for k, exp, cout, se, kind, stride in cfg:
                net.add(Bottleneck(cin, k, exp, cout, se, kind, stride))
                cin = cout
            net.add(nn.Conv2D(576, 1, use_bias=False), nn.BatchNorm(), HardSwish())
            net.add(nn.GlobalAvgPool2D(), nn.Conv2D(1024, 1), HardSwish(), nn.Flatten())
            net.add(nn.Dense(10))
        return net

    class LSTMLM(mx.gluon.HybridBlock):
        def __init__(self, vocab=100):  # noqa: ANN001, ANN204
            super().__init__()
            with self.name_scope():
                self.embed = nn.Embedding(vocab, 32)
                self.lstm = rnn.LSTM(64, num_layers=2, input_size=32)
                self.out = nn.Dense(vocab, flatten=False, in_units=64)

        def hybrid_forward(self, F, x):  # noqa: ANN001, ANN202, N803
            return self.out(self.lstm(self.embed(x)))

    def lenet():  # noqa: ANN202
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Conv2D(20, 5, activation="relu"), nn.MaxPool2D(2, 2))
            net.add(nn.Conv2D(50, 5, activation="relu"), nn.MaxPool2D(2, 2))
            net.add(nn.Dense(512, activation="relu"), nn.Dense(10))
        return net

    vision = mx.gluon.model_zoo.vision
    return {
        # name: (builder, input shape with the batch axis as None, batch axis, classes)
        "resnet18": (lambda: vision.resnet18_v1(classes=10), (None, 3, 64, 64), 0, 10),
        "mobilenet": (lambda: vision.mobilenet0_25(classes=10), (None, 3, 64, 64), 0, 10),
        "mnv3": (mobilenetv3_small, (None, 3, 64, 64), 0, 10),
        "lstm": (LSTMLM, (8, None), 1, 100),
        "lenet": (lenet, (None, 1, 28, 28), 0, 10),
    }


def _child_net(mx, name: str, out: dict) -> None:  # noqa: ANN001
    import numpy as np

    build, shape, axis, classes = _networks(mx)[name]
    rng = np.random.RandomState(0)

    def batch(n):  # noqa: ANN001, ANN202
        s = tuple(n if d is None else d for d in shape)
        if name == "lstm":
            x = mx.nd.array(rng.randint(0, classes, size=s))
            y = mx.nd.array(rng.randint(0, classes, size=s))
        else:
            x = mx.nd.array(rng.rand(*s).astype("float32"))
            y = mx.nd.array(rng.randint(0, classes, size=(n,)))
        return x, y

    x4, y4 = batch(4)
    x3, y3 = batch(3)
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    mx.random.seed(0)

    def timed(phase, fn):  # noqa: ANN001, ANN202
        _timed(out, phase, fn)

    holder = {}

    def first_forward():  # noqa: ANN202
        net = holder["net"] = build()
        net.initialize(mx.init.Xavier())
        net(x4).wait_to_read()
        holder["trainer"] = mx.gluon.Trainer(net.collect_params(), "sgd",
                                             {"learning_rate": 0.01, "momentum": 0.9})

    def step(x, y):  # noqa: ANN001, ANN202
        net, trainer = holder["net"], holder["trainer"]
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[axis])
        loss.wait_to_read()
        mx.nd.waitall()

    def hyb_first():  # noqa: ANN202
        holder["net"].hybridize(static_alloc=True, static_shape=True)
        step(x4, y4)

    timed("fwd", first_forward)
    timed("train", lambda: step(x4, y4))
    timed("train2", lambda: step(x4, y4))
    timed("fwd_b3", lambda: holder["net"](x3).wait_to_read())
    timed("hyb", hyb_first)
    timed("hyb2", lambda: step(x4, y4))
    timed("hyb_b3", lambda: step(x3, y3))


def _child_data(mx, out: dict) -> None:  # noqa: ANN001
    import numpy as np

    data = mx.gluon.data
    images = np.random.RandomState(0).rand(64, 3, 32, 32).astype("float32")
    ds = data.ArrayDataset(images, np.arange(64, dtype="int32"))
    for nw in (0, 2, 4):
        def first_batch():  # noqa: ANN202
            loader = data.DataLoader(ds, batch_size=4, num_workers=nw)
            x, _ = next(iter(loader))
            x.wait_to_read()

        _timed(out, f"dl{nw}", first_batch)


class _Breakdown:
    """jax.monitoring listeners: per phase, programs compiled or loaded, and seconds spent
    tracing, lowering and compiling (or loading from the persistent cache)."""

    EVENTS = {
        "/jax/core/compile/jaxpr_trace_duration": "trace",
        "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
        "/jax/core/compile/backend_compile_duration": "compile",
    }

    def __init__(self) -> None:
        import jax

        self.tot = {"trace": 0.0, "lower": 0.0, "compile": 0.0, "programs": 0, "hits": 0}
        jax.monitoring.register_event_duration_secs_listener(self._duration)
        jax.monitoring.register_event_listener(self._event)
        # gluax's executable cache (engine/compile_cache.py): loads and stores in this process
        self.exe = getattr(sys.modules.get("gluax._src.engine.compile_cache"), "EXE_STATS", {})

    def _duration(self, name: str, secs: float, **kw: object) -> None:
        k = self.EVENTS.get(name)
        if k is not None:
            self.tot[k] += secs
            if k == "compile":
                self.tot["programs"] += 1

    def _event(self, name: str, **kw: object) -> None:
        if name == "/jax/compilation_cache/cache_hits":
            self.tot["hits"] += 1

    def snapshot(self) -> dict:
        return dict(self.tot, exe_loaded=self.exe.get("loaded", 0),
                    exe_stored=self.exe.get("stored", 0))


_PROBE: list = []  # gluax only: the _Breakdown of this process


def _timed(out: dict, phase: str, fn) -> None:  # noqa: ANN001
    """Run ``fn``, store its wall time as ``out[phase]`` (and gluax's breakdown of it)."""
    a = _PROBE[0].snapshot() if _PROBE else None
    t = time.perf_counter()
    fn()
    out[phase] = time.perf_counter() - t
    if a is not None:
        b = _PROBE[0].snapshot()
        out.setdefault("breakdown", {})[phase] = {k: b[k] - a[k] for k in a}


def child(framework: str, name: str) -> dict:
    out: dict = {}
    t = time.perf_counter()
    if framework == "mxnet":
        import mxnet as mx
    else:
        import gluax as mx
    out["import"] = time.perf_counter() - t
    if framework == "gluax":
        _PROBE.append(_Breakdown())
        out["cache_dir"] = mx.compilation_cache_dir()
    if name == "data":
        _child_data(mx, out)
    else:
        _child_net(mx, name, out)
    return out


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------


def _run(python: str, framework: str, name: str, env: dict, timeout: float) -> dict:
    t = time.perf_counter()
    try:
        p = subprocess.run(
            [python, os.path.abspath(__file__), "--child", framework, name],
            env=env, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no result within --timeout {timeout:.0f} s", "stderr": ""}
    wall = time.perf_counter() - t
    if p.returncode != 0:
        return {"error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed",
                "stderr": p.stderr[-4000:]}
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["process"] = wall
    return res


def _fmt(v: float | None) -> str:
    return "-" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.1f}")


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "-"
    return f"{a / b:.1f}x" if a / b >= 10 else f"{a / b:.2f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nets", default=",".join(NETS))
    ap.add_argument("--json", default=None, help="write all numbers here")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per process")
    ap.add_argument("--rounds", default="cold,warm",
                    help="'cold,warm' or 'warm' (the cold gluax process then only fills the cache)")
    ap.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "NET"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    have_mx = os.path.exists(MXNET_PYTHON)
    results: dict = {}
    for name in args.nets.split(","):
        cache = tempfile.mkdtemp(prefix="gluax-first-step-")
        env = dict(os.environ, GLUAX_COMPILATION_CACHE=cache, PYTHONWARNINGS="ignore")
        mx_env = dict(os.environ)
        r = results[name] = {}
        try:
            for rnd in ("cold", "warm"):  # MXNet, gluax, MXNet, gluax
                if rnd not in args.rounds.split(","):
                    if rnd == "cold":  # only to fill the cache
                        _run(sys.executable, "gluax", name, env, args.timeout)
                    continue
                if have_mx:
                    r[f"mxnet_{rnd}"] = _run(MXNET_PYTHON, "mxnet", name, mx_env, args.timeout)
                r[f"gluax_{rnd}"] = _run(sys.executable, "gluax", name, env, args.timeout)
                print(f"# {name} {rnd}: " + json.dumps(
                    {k: {p: round(v, 3) for p, v in d.items() if isinstance(v, float)}
                     for k, d in r.items() if k.endswith(rnd)}), flush=True)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        if args.json:  # after each network, so that a run cut short keeps what it measured
            tmp = args.json + ".tmp"
            with open(tmp, "w") as f:
                json.dump(results, f, indent=1)
            os.replace(tmp, args.json)
    print(report(results))


def report(results: dict) -> str:
    """The markdown table: MXNet seconds, gluax cold and warm seconds, ratios, and the
    breakdown of gluax's cold time."""
    lines = [
        "| network | phase | MXNet s | gluax cold s | cold ratio | gluax warm s | warm ratio "
        "| cold: programs / trace / lower / compile s "
        "| warm: programs (JAX cache hits) / trace / lower / load s / gluax executables loaded |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        mc, gc = r.get("mxnet_cold", {}), r.get("gluax_cold", {})
        mw, gw = r.get("mxnet_warm", {}), r.get("gluax_warm", {})
        for d in (mc, gc, mw, gw):
            if "error" in d:
                lines.append(f"| {name} | error | {d['error'][:120]} |")
        phases = ["dl0", "dl2", "dl4"] if name == "data" else list(PHASES) + ["process"]
        for p in phases:
            if all(p not in d for d in (mc, gc, mw, gw)):
                continue
            b = gc.get("breakdown", {}).get(p)
            bw = gw.get("breakdown", {}).get(p)
            cold_bd = (f"{b['programs']} / {b['trace']:.2f} / {b['lower']:.2f} / "
                       f"{b['compile']:.2f}" if b else "")
            warm_bd = (f"{bw['programs']} ({bw['hits']}) / {bw['trace']:.2f} / "
                       f"{bw['lower']:.2f} / {bw['compile']:.2f} / {bw.get('exe_loaded', 0)}"
                       if bw else "")
            lines.append(
                f"| {name} | {p} | {_fmt(mc.get(p))} | {_fmt(gc.get(p))} | "
                f"{_ratio(gc.get(p), mc.get(p))} | {_fmt(gw.get(p))} | "
                f"{_ratio(gw.get(p), mw.get(p))} | {cold_bd} | {warm_bd} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
