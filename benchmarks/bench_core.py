"""Core overheads as ratios measured in one run, interleaved (targets as in ``run_all.py``):

* an eager op recorded under ``autograd.record()`` vs the same op unrecorded (target <= 2x);
* a hybridized call of a tiny network (Dense(16) on a (1, 16) input) vs a raw jitted call of
  the same function over a parameter pytree (target <= 2x).

Run: python benchmarks/bench_core.py [--repeat N]
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

import gluax as mx
from gluax import autograd, nd


def _time(fn: Callable[[], Any], n: int) -> float:
    out = None
    start = time.perf_counter()
    for _ in range(n):
        out = fn()
    jax.block_until_ready(getattr(out, "data", out))
    return (time.perf_counter() - start) / n


def interleaved(cases: dict[str, Callable[[], Any]], n: int, rounds: int) -> dict[str, float]:
    """Best-of-rounds time per call of each case, the cases alternating round by round."""
    for fn in cases.values():
        for _ in range(50):
            fn()
    best = {k: float("inf") for k in cases}
    for _ in range(rounds):
        for k, fn in cases.items():
            best[k] = min(best[k], _time(fn, n))
    return best


def bench_recorded_op(n: int, rounds: int) -> dict[str, float]:
    x = nd.array(np.random.default_rng(0).standard_normal((64, 64)))
    w = nd.array(np.random.default_rng(1).standard_normal((64, 64)))
    x.attach_grad()

    def unrecorded() -> Any:
        return nd.tanh(x)

    def recorded() -> Any:
        with autograd.record():
            return nd.tanh(x)

    def unrecorded_fc() -> Any:
        return nd.FullyConnected(x, w, no_bias=True, num_hidden=64)

    def recorded_fc() -> Any:
        with autograd.record():
            return nd.FullyConnected(x, w, no_bias=True, num_hidden=64)

    raw = jax.jit(jnp.tanh)
    xv = x.data

    def raw_jit() -> Any:
        return raw(xv)

    return interleaved(
        {"tanh eager": unrecorded, "tanh recorded": recorded, "FC eager": unrecorded_fc,
         "FC recorded": recorded_fc, "tanh raw jax.jit": raw_jit},
        n, rounds,
    )


def bench_tiny_call(n: int, rounds: int) -> dict[str, float]:
    net = mx.gluon.nn.Dense(16, in_units=16)
    net.initialize()
    net.hybridize()
    x = nd.array(np.ones((1, 16), np.float32))
    params = {"weight": net.weight.data().data, "bias": net.bias.data().data}

    @jax.jit
    def raw(p: dict[str, Any], v: Any) -> Any:
        return v @ p["weight"].T + p["bias"]

    xv = x.data

    def gluax_call() -> Any:
        return net(x)

    def raw_call() -> Any:
        return raw(params, xv)

    return interleaved({"Dense(16) hybridized": gluax_call, "Dense(16) raw jax.jit": raw_call}, n, rounds)


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args(argv)
    print(f"# {platform.processor() or platform.machine()}, {jax.devices()[0].platform}, "
          f"jax {jax.__version__}, python {platform.python_version()}")
    op = bench_recorded_op(args.repeat, args.rounds)
    tiny = bench_tiny_call(args.repeat, args.rounds)
    print("| measurement | time per call (us) | ratio | target |")
    print("|---|---|---|---|")
    print(f"| tanh (64x64) eager, unrecorded | {op['tanh eager'] * 1e6:.1f} | 1.00 | |")
    print(f"| tanh (64x64) eager, recorded | {op['tanh recorded'] * 1e6:.1f} | {op['tanh recorded'] / op['tanh eager']:.2f} | <= 2 |")
    print(f"| FullyConnected 64x64 eager, unrecorded | {op['FC eager'] * 1e6:.1f} | 1.00 | |")
    print(f"| FullyConnected 64x64 eager, recorded | {op['FC recorded'] * 1e6:.1f} | {op['FC recorded'] / op['FC eager']:.2f} | <= 2 |")
    print(f"| tanh raw jax.jit call (reference) | {op['tanh raw jax.jit'] * 1e6:.1f} | {op['tanh raw jax.jit'] / op['tanh eager']:.2f} | |")
    print(f"| Dense(16) on (1, 16), raw jax.jit | {tiny['Dense(16) raw jax.jit'] * 1e6:.1f} | 1.00 | |")
    print(f"| Dense(16) on (1, 16), gluax hybridized | {tiny['Dense(16) hybridized'] * 1e6:.1f} | {tiny['Dense(16) hybridized'] / tiny['Dense(16) raw jax.jit']:.2f} | <= 2 |")
    return {"op": op, "tiny": tiny}


if __name__ == "__main__":
    main()
