"""Training-step cost of gluax against the same step in raw JAX, Flax NNX and Equinox, as
ratios measured in one process.

For each network of ``bench_models.MODELS`` (MLP, LeNet, ResNet-18, Dense(16)) one SGD step
(momentum 0.9, wd 1e-4, softmax cross-entropy) is timed, written as:

* raw jax.jit: one ``jax.jit`` function over a parameter pytree, with optax (the reference);
* gluax fused: ``trainer.compile_step(net, loss)``, one XLA program;
* gluax hybridized loop: ``record()`` / ``backward()`` / ``trainer.step()``, hybridized network;
* gluax eager loop: the same loop, un-hybridized (op by op, the tape recording each op);
* raw JAX eager: ``jax.value_and_grad`` and the optax update without ``jit``;
* Flax NNX (``nnx.jit``) and Equinox (``eqx.filter_jit``) twins, when installed;
* and the eager forward pass alone, unrecorded and under ``autograd.record()``.

All cases of one network are interleaved round by round in this process and the best round is
kept, so the ratios hold on a noisy machine; the number of steps per round is picked per case
so that each round lasts about ``--target`` seconds. The first call of each case (tracing and
compilation included) is reported separately. The first losses of raw JAX and the gluax cases,
which start from the same parameters, are checked to agree.

Run: python benchmarks/bench_train.py [--models mlp,lenet,resnet18,tiny] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any, Callable

import jax
import numpy as np

import bench_models as bm
import gluax as mx

# (key, column title, builder(model) -> step or None when not available)
CASES: list[tuple[str, str, Callable[[str], Any]]] = [
    ("raw", "raw jax.jit step (ms)", lambda m: bm.raw_step(m)),
    ("fused", "gluax fused step", lambda m: bm.gluax_step(m, "fused")),
    ("hybrid", "gluax hybridized loop", lambda m: bm.gluax_step(m, "hybrid")),
    ("eager", "gluax eager loop", lambda m: bm.gluax_step(m, "eager")),
    # the loop as before issue 22: backward() walks node by node, trainer.step a second program
    ("hybrid_nodefer", "gluax hybridized loop, backward not deferred",
     lambda m: bm.gluax_step(m, "hybrid", defer=False)),
    ("eager_nodefer", "gluax eager loop, backward not deferred",
     lambda m: bm.gluax_step(m, "eager", defer=False)),
    # the loop before the lazy calls (engine/lazy.py): the network's forward-with-VJP runs at
    # the call, the loss as an operator, then the deferred backward and the update
    ("hybrid_nolazy", "gluax hybridized loop, forward not lazy",
     lambda m: bm.gluax_step(m, "hybrid", lazy=False)),
    # the deferred backward and the update as one program (tape.FUSE_UPDATE, off by default)
    ("hybrid_fuse", "gluax hybridized loop, backward+update one program",
     lambda m: bm.gluax_step(m, "hybrid", fuse=True)),
    # ResNet-18 op by op through jax.value_and_grad: ~6 s a step, ~75 s for the first; opt in
    ("raw_eager", "raw JAX eager value_and_grad (no jit)",
     lambda m: bm.raw_step(m, jit=False) if m != "resnet18" or RESNET_RAW_EAGER else None),
    ("nnx", "Flax NNX (nnx.jit)", lambda m: bm.nnx_step(m) if bm.have("flax") else None),
    ("eqx", "Equinox (filter_jit)",
     lambda m: bm.eqx_step(m) if bm.have("equinox") and m != "resnet18" else None),
    ("fwd", "eager forward", lambda m: bm.gluax_forward(m, recorded=False)),
    ("fwd_rec", "eager forward recorded", lambda m: bm.gluax_forward(m, recorded=True)),
]
RESNET_RAW_EAGER = False
STEP_CASES = ["raw", "fused", "hybrid", "eager", "hybrid_nodefer", "eager_nodefer", "hybrid_nolazy",
              "hybrid_fuse",
              "raw_eager", "nnx", "eqx"]


def _block(out: Any) -> Any:
    """Wait for the step that returned ``out`` to finish: its result, then every live array
    (``nd.waitall``): a loop's update (and, for a network run at its call, its backward)
    runs after the loss is ready, and would otherwise escape the clock."""
    out = jax.block_until_ready(getattr(out, "data", out))
    mx.nd.waitall()
    return out


def _time(fn: Callable[[], Any], n: int) -> float:
    out = None
    start = time.perf_counter()
    for _ in range(n):
        out = fn()
    _block(out)
    return (time.perf_counter() - start) / n


def machine() -> str:
    """One line naming the CPU, backend and package versions."""
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = [f"jax {jax.__version__}", f"python {platform.python_version()}"]
    for pkg in ("optax", "flax", "equinox"):
        if bm.have(pkg):
            versions.append(f"{pkg} {__import__(pkg).__version__}")
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=os.path.dirname(__file__)).stdout.strip()  # fmt: skip
        versions.append(f"gluax {rev}")
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {jax.devices()[0].platform}; "
            + ", ".join(versions))  # fmt: skip


def load() -> str:
    return "load average " + " / ".join(f"{v:.1f}" for v in os.getloadavg())


def bench_model(model: str, rounds: int, target: float, max_steps: int, skip: set[str]) -> dict:
    """First-call and best per-step times (seconds) of every available case of one model."""
    steps: dict[str, Callable[[], Any]] = {}
    for key, _, build in CASES:
        if key in skip:
            continue
        fn = build(model)
        if fn is not None:
            steps[key] = fn
    first, losses, n = {}, {}, {}
    for key, fn in steps.items():
        t0 = time.perf_counter()
        out = _block(fn())
        first[key] = time.perf_counter() - t0
        if key in STEP_CASES:
            losses[key] = float(np.mean(np.asarray(out)))
        one = _time(fn, 1)  # warm call, also sizes the rounds
        n[key] = int(max(1, min(max_steps, target / max(one, 1e-9))))
    ref = losses["raw"]
    for key in ("fused", "hybrid", "eager", "hybrid_nodefer", "eager_nodefer", "hybrid_nolazy",
                "hybrid_fuse", "raw_eager"):
        if key in losses and not np.isclose(losses[key], ref, rtol=1e-3):
            raise AssertionError(f"{model}: first loss of {key} ({losses[key]}) differs from raw "
                                 f"jax.jit's ({ref}); the twins are not the same network")
    best = {k: float("inf") for k in steps}
    for _ in range(rounds):
        for key, fn in steps.items():
            best[key] = min(best[key], _time(fn, n[key]))
    return {"first": first, "best": best, "steps": n}


def report(results: dict[str, dict]) -> str:
    """The markdown tables of ``bench_model`` results."""
    step_cols = [(k, t) for k, t, _ in CASES if k in STEP_CASES]
    lines = ["Training step, as a ratio to raw jax.jit (lower is faster):", "",
             "| network | " + " | ".join(t for _, t in step_cols) + " |",
             "|---|" + "---|" * len(step_cols)]  # fmt: skip
    for model, r in results.items():
        b = r["best"]
        cells = [f"{b['raw'] * 1e3:.2f}"]
        cells += [f"{b[k] / b['raw']:.2f}x" if k in b else "-" for k, _ in step_cols[1:]]
        lines.append(f"| {bm.TITLES[model]} | " + " | ".join(cells) + " |")
    lines += ["", "First call, compilation included (s):", "",
              "| network | " + " | ".join(t.replace(" step (ms)", "") for _, t in step_cols) + " |",
              "|---|" + "---|" * len(step_cols)]  # fmt: skip
    for model, r in results.items():
        f = r["first"]
        lines.append(f"| {bm.TITLES[model]} | "
                     + " | ".join(f"{f[k]:.2f}" if k in f else "-" for k, _ in step_cols) + " |")
    lines += ["", "Eager (un-hybridized) gluax:", "",
              "| network | forward unrecorded (ms) | forward recorded (ms) | recorded / "
              "unrecorded | eager loop step (ms) | raw JAX eager value_and_grad step (ms) | "
              "gluax eager speed-up over raw JAX eager |",
              "|---|---|---|---|---|---|---|"]
    for model, r in results.items():
        b = r["best"]
        if "fwd" not in b:
            continue
        rec = f"{b['fwd_rec'] * 1e3:.2f} | {b['fwd_rec'] / b['fwd']:.2f}x" if "fwd_rec" in b else "- | -"
        if "raw_eager" in b and "eager" in b:
            raw_e = f"{b['raw_eager'] * 1e3:.2f} | {b['raw_eager'] / b['eager']:.2f}x"
        else:
            raw_e = "- | -"
        eager = f"{b['eager'] * 1e3:.2f}" if "eager" in b else "-"
        lines.append(f"| {bm.TITLES[model]} | {b['fwd'] * 1e3:.2f} | {rec} | {eager} | {raw_e} |")
    return "\n".join(lines)


# ---- first calls in fresh processes, empty and warm compilation cache ---------------------------

FIRST_CASES = ("raw", "fused", "hybrid")


def _first_call_process(model: str, case: str) -> float:
    """(in a fresh process) Seconds of the first call of one training step: tracing and
    compilation (or loading from the persistent cache), and the step itself."""
    fn = dict((k, b) for k, _, b in CASES)[case](model)
    t0 = time.perf_counter()
    _block(fn())
    return time.perf_counter() - t0


def first_calls(models: list[str], cases: tuple[str, ...] = FIRST_CASES, repeat: int = 1) -> dict:
    """First-call seconds of each (model, case) in fresh processes: ``"empty"`` with a new,
    empty compilation cache directory, then ``"warm"`` with the directory that run filled
    (gluax's persistent cache, ``GLUAX_COMPILATION_CACHE``, is on by default; it also serves
    the raw-JAX process, which imports gluax for its parameters). Processes alternate case by
    case; with ``repeat`` > 1 the best of the repeats is kept."""
    import tempfile

    out: dict = {}
    for model in models:
        for _ in range(repeat):
            for case in cases:
                with tempfile.TemporaryDirectory(prefix="gluax-first-") as cache:
                    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
                    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
                    env = dict(os.environ, GLUAX_COMPILATION_CACHE=cache, PYTHONPATH=path)
                    for phase in ("empty", "warm"):
                        cmd = [sys.executable, os.path.abspath(__file__), "--first-call-of",
                               f"{model}:{case}"]  # fmt: skip
                        r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                           check=False)  # fmt: skip
                        if r.returncode != 0:
                            raise RuntimeError(f"first call of {model}/{case} failed:\n"
                                               f"{r.stderr[-2000:]}")  # fmt: skip
                        t = float(r.stdout.strip().splitlines()[-1])
                        k = (model, case, phase)
                        out[k] = min(t, out.get(k, float("inf")))
    return out


def first_call_report(first: dict) -> str:
    """The markdown table of ``first_calls``: seconds and ratios to raw jax.jit's first call."""
    models = list(dict.fromkeys(m for m, _, _ in first))
    lines = ["First call in a fresh process (s; ratio to raw jax.jit's first call), compilation "
             "cache empty / warm:", "",
             "| network | raw jax.jit empty | warm | gluax fused empty | warm | gluax hybridized "
             "loop empty | warm |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for m in models:
        cells = []
        for case in FIRST_CASES:
            for phase in ("empty", "warm"):
                t = first.get((m, case, phase))
                raw = first.get((m, "raw", phase))
                if t is None:
                    cells.append("-")
                elif case == "raw":
                    cells.append(f"{t:.2f}")
                else:
                    cells.append(f"{t:.2f} ({t / raw:.2f}x)")
        lines.append(f"| {bm.TITLES[m]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="mlp,lenet,resnet18,tiny")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--target", type=float, default=0.3, help="seconds per case and round")
    ap.add_argument("--max-steps", type=int, default=200)
    ap.add_argument("--skip", default="", help="cases to leave out, e.g. raw_eager,eager")
    ap.add_argument("--json", default="", help="also write the raw results here")
    ap.add_argument("--resnet-raw-eager", action="store_true",
                    help="also time ResNet-18 through raw JAX eager value_and_grad (slow)")
    ap.add_argument("--first-calls", action="store_true",
                    help="also time first calls in fresh processes, cache empty and warm")
    ap.add_argument("--first-call-of", default="", help=argparse.SUPPRESS)  # model:case
    args = ap.parse_args(argv)
    if args.first_call_of:
        model, case = args.first_call_of.split(":")
        print(_first_call_process(model, case))
        return {}
    global RESNET_RAW_EAGER
    RESNET_RAW_EAGER = args.resnet_raw_eager
    print(f"# {machine()}")
    print(f"# start: {load()}", flush=True)
    results = {}
    for model in args.models.split(","):
        t0 = time.perf_counter()
        results[model] = bench_model(model, args.rounds, args.target, args.max_steps,
                                     set(filter(None, args.skip.split(","))))  # fmt: skip
        print(f"# {model} done in {time.perf_counter() - t0:.0f} s, {load()}", flush=True)
    print(report(results))
    if args.first_calls:
        first = first_calls(args.models.split(","))
        print()
        print(first_call_report(first))
    print(f"# end: {load()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
