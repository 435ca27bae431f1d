"""Data-parallel scaling of the sharded fused step (MLP 784-512-512-10, global batch 128) over
1, 2, 4 and 8 devices. Each device count runs in its own process, with forced CPU devices when
no accelerator is present (fake CPU devices share the real cores, so on CPU this measures the
overhead of sharding, not a speedup).

Run: python benchmarks/bench_scaling.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    r"""
    import os, sys, time
    n = int(sys.argv[1])
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={n}"
    import numpy as np, jax
    from jax.sharding import Mesh
    import gluax as mx
    from gluax import gluon, nd
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(512, in_units=784, activation="relu"), gluon.nn.Dense(512, in_units=512, activation="relu"), gluon.nn.Dense(10, in_units=512))
    net.initialize(mx.init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9})
    mesh = Mesh(np.array(jax.devices()[:n]), ("data",))
    step = trainer.compile_step(net, gluon.loss.SoftmaxCrossEntropyLoss(), mesh=mesh)
    x = nd.array(np.random.default_rng(0).standard_normal((128, 784)))
    y = nd.array(np.random.default_rng(1).integers(0, 10, 128).astype(np.float32))
    for _ in range(5):
        step(x, y).wait_to_read()
    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(10):
            out = step(x, y)
        out.wait_to_read()
        best = min(best, (time.perf_counter() - t) / 10)
    print(f"RESULT {n} {best * 1e3:.2f} {jax.devices()[0].platform}")
    """
)


def main() -> None:
    print("| devices | ms per step (batch 128) | samples/s | samples/s per device |")
    print("|---|---|---|---|")
    for n in (1, 2, 4, 8):
        env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
        out = subprocess.run([sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, env=env, timeout=600)
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")]
        if not line:
            print(f"| {n} | failed: {out.stderr.strip().splitlines()[-1] if out.stderr else '?'} | | |")
            continue
        _, _, ms, platform = line[0].split()
        rate = 128 / (float(ms) / 1e3)
        print(f"| {n} ({platform}) | {float(ms):.2f} | {rate:.0f} | {rate / n:.0f} |")


if __name__ == "__main__":
    main()
