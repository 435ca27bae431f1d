"""Peak memory (resident set) of a ResNet-18 training step: gluax against raw JAX, each case in
its own fresh process so that no case sees another's allocations or compiled programs.

Each child process builds its step (ResNet-18 v1, 3x64x64, batch 16, SGD with momentum), then
reads ``VmHWM`` (the peak resident set) from ``/proc/self/status`` around three phases,
resetting the peak in between by writing 5 to ``/proc/self/clear_refs``:

* *setup*: imports, network and parameters (the raw-JAX child never imports gluax);
* *first call*: tracing, XLA compilation and the first step;
* *steps*: ``--steps`` more steps (the steady state).

The table gives the process peak over all phases, the steady-state peak, and the steady peak
above the resident set after setup, each as a ratio to raw ``jax.jit``. The import baselines
(a child that only imports jax and optax, or gluax) show what the imports alone hold.

Run: python benchmarks/bench_memory.py [--steps 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CASES = {
    "import jax + optax": "import_jax",
    "import gluax": "import_gluax",
    "raw jax.jit (lax.conv_general_dilated)": "raw",
    "gluax fused step": "fused",
    "gluax hybridized loop": "hybrid",
    "Flax NNX (nnx.jit)": "nnx",
}


def _status(field: str) -> int:
    """A ``/proc/self/status`` field in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child(case: str, steps: int) -> dict:
    """Run one case in this process and return its memory figures in MiB."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import jax

    import bench_raw as br

    shape = (16, 3, 64, 64)
    if case == "import_jax":
        run = None
    elif case == "import_gluax":
        import gluax  # noqa: F401

        run = None
    elif case == "raw":
        params, aux = br.resnet18_init()
        run = br.raw_step(params, aux, br.resnet18_forward, *br.data(shape, 1000))
        del params, aux
    else:
        import bench_models as bm

        if case == "nnx":
            run = bm.nnx_step("resnet18")
        else:  # initialize, hybridize, train: the deferred shapes resolve in the first step
            run = bm.gluax_step("resnet18", case, resolve=False)
    out: dict = {"setup_rss": _status("VmRSS"), "setup_peak": _status("VmHWM")}
    peak = out["setup_peak"]
    if run is not None:
        can_reset = _reset_peak()
        jax.block_until_ready(getattr(run(), "data", None))
        out["first_peak"] = _status("VmHWM")
        peak = max(peak, out["first_peak"])
        out["after_first_rss"] = _status("VmRSS")
        if not can_reset:
            raise RuntimeError("bench_memory: /proc/self/clear_refs is not writable")
        _reset_peak()
        loss = None
        for _ in range(steps):
            loss = run()
        jax.block_until_ready(getattr(loss, "data", loss))
        out["steps_peak"] = _status("VmHWM")
        peak = max(peak, out["steps_peak"])
    out["peak"] = peak
    return {k: v / 1024 for k, v in out.items()}


def measure(case: str, steps: int) -> dict:
    """Run ``case`` in a fresh Python process and return what it reports."""
    env = dict(os.environ, JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"))
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", case,
                           "--steps", str(steps)], capture_output=True, text=True, env=env)  # fmt: skip
    if proc.returncode:
        raise RuntimeError(f"bench_memory: case {case} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=1, help="runs per case (the smallest is kept)")
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.steps)))
        return {}
    import importlib.util

    cases = {t: c for t, c in CASES.items()
             if c != "nnx" or importlib.util.find_spec("flax") is not None}  # fmt: skip
    print(f"# ResNet-18 v1, 3x64x64, batch 16, {args.steps} steps; "
          f"load average {' / '.join(f'{v:.1f}' for v in os.getloadavg())}", flush=True)
    res: dict = {}
    for _ in range(args.repeat):
        for title, case in cases.items():  # interleaved repeats
            t0 = time.perf_counter()
            r = measure(case, args.steps)
            r["wall_s"] = time.perf_counter() - t0
            if title not in res or r["peak"] < res[title]["peak"]:
                res[title] = r
    raw = res["raw jax.jit (lax.conv_general_dilated)"]
    print("| process | RSS after setup (MiB) | peak, all phases (MiB) | peak during steps (MiB) "
          "| steps peak above setup RSS (MiB) | ratio to raw: peak / steps peak / above setup |")
    print("|---|---|---|---|---|---|")
    for title, r in res.items():
        if "steps_peak" not in r:
            print(f"| {title} | {r['setup_rss']:.0f} | {r['peak']:.0f} | - | - | - |")
            continue
        extra = r["steps_peak"] - r["setup_rss"]
        raw_extra = raw["steps_peak"] - raw["setup_rss"]
        print(f"| {title} | {r['setup_rss']:.0f} | {r['peak']:.0f} | {r['steps_peak']:.0f} | "
              f"{extra:.0f} | {r['peak'] / raw['peak']:.2f}x / "
              f"{r['steps_peak'] / raw['steps_peak']:.2f}x / {extra / raw_extra:.2f}x |")
    return res


if __name__ == "__main__":
    main()
