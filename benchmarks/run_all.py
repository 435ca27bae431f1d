"""All of gluax's speed and memory benchmarks with one command.

1. ``bench_core``: an eager op recorded vs unrecorded; a tiny hybridized call vs raw jax.jit;
2. ``bench_train``: training steps of MLP, LeNet, ResNet-18 and Dense(16) -- gluax fused,
   hybridized loop, eager loop, eager forward recorded and unrecorded, raw jax.jit, raw JAX
   eager ``value_and_grad``, and Flax NNX / Equinox twins when installed -- interleaved in this
   one process, per network, as ratios to raw jax.jit, with first-call (compile) times;
3. ``bench_memory``: peak resident memory of ResNet-18 training steps, one process per case.

Ends with gluax's performance targets (``targets`` below), met or missed. ``--quick`` shortens every part.

Run: python benchmarks/run_all.py [--quick] [--models mlp,lenet,resnet18,tiny] [--no-memory]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_core  # noqa: E402
import bench_memory  # noqa: E402
import bench_train  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds and shorter rounds")
    ap.add_argument("--models", default="mlp,lenet,resnet18,tiny")
    ap.add_argument("--no-memory", action="store_true")
    args = ap.parse_args(argv)
    q = args.quick
    print("## Core overheads\n", flush=True)
    core = bench_core.main(["--repeat", "500" if q else "2000", "--rounds", "3" if q else "7"])
    print("\n## Training steps\n", flush=True)
    res = bench_train.main(["--models", args.models, "--rounds", "3" if q else "5",
                            "--target", "0.15" if q else "0.3"])  # fmt: skip
    mem = {}
    if not args.no_memory and "resnet18" in args.models:
        print("\n## Memory\n", flush=True)
        mem = bench_memory.main(["--steps", "3" if q else "5"])
    print("\n## Targets\n")
    for line in targets(core, res, mem):
        print(line)


def targets(core: dict, res: dict, mem: dict) -> list[str]:
    """gluax's performance targets that the results speak to, each met or missed."""
    out = []

    def check(name: str, value: float, bound: float, more_is_better: bool = False) -> None:
        ok = value >= bound if more_is_better else value <= bound
        rel = ">=" if more_is_better else "<="
        out.append(f"- {name}: {value:.2f}x (target {rel} {bound}x): {'met' if ok else 'MISSED'}")

    for model, r in res.items():
        b = r["best"]
        if model != "tiny" and "hybrid" in b:
            check(f"{model}: hybridized loop / raw jax.jit", b["hybrid"] / b["raw"], 1.1)
        if model != "tiny" and "fused" in b:
            check(f"{model}: fused step / raw jax.jit", b["fused"] / b["raw"], 1.1)
    if "mlp" in res and {"eager", "raw_eager"} <= res["mlp"]["best"].keys():
        b = res["mlp"]["best"]
        check("mlp: raw JAX eager value_and_grad / gluax eager loop", b["raw_eager"] / b["eager"],
              3.0, more_is_better=True)  # fmt: skip
    if "resnet18" in res:
        b = res["resnet18"]["best"]
        check("resnet18 (CPU): raw jax.jit with lax.conv_general_dilated / gluax hybridized loop",
              b["raw"] / b["hybrid"], 2.0, more_is_better=True)  # fmt: skip
    raw = mem.get("raw jax.jit (lax.conv_general_dilated)")
    hyb = mem.get("gluax hybridized loop")
    if raw and hyb:
        check("resnet18 memory: hybridized peak / raw peak (whole process)",
              hyb["peak"] / raw["peak"], 1.2)  # fmt: skip
        check("resnet18 memory: hybridized / raw peak during steps",
              hyb["steps_peak"] / raw["steps_peak"], 1.2)  # fmt: skip
    op, tiny = core["op"], core["tiny"]
    check("tanh 64x64 eager: recorded / unrecorded", op["tanh recorded"] / op["tanh eager"], 2.0)
    check("FullyConnected 64x64 eager: recorded / unrecorded", op["FC recorded"] / op["FC eager"],
          2.0)  # fmt: skip
    check("Dense(16) call: hybridized / raw jax.jit",
          tiny["Dense(16) hybridized"] / tiny["Dense(16) raw jax.jit"], 2.0)  # fmt: skip
    return out


if __name__ == "__main__":
    main()
