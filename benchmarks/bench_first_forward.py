"""``net.initialize()`` and the first forward of the model zoo's ResNet-50 v1 (inference, one
3x224x224 image), each case in a fresh process, against its raw-JAX twin: the same network
written with ``jax.numpy``/``lax``: its parameters made by one jitted ``jax.random``
program (He-normal), its inference forward under one ``jax.jit`` with plain
``lax.conv_general_dilated`` convolutions.

Cases: ``raw`` (the twin: make the parameters, jit, first call), ``eager`` (gluax:
``resnet50_v1()``, ``initialize(mx.init.Xavier())``, ``net(x)``: every layer's operators
compiled one by one) and ``hybrid`` (the same after ``hybridize()``: one program). Each runs
first with a new, empty compilation-cache directory (``GLUAX_COMPILATION_CACHE=<tmp dir>``, the
twin's process imports gluax too, so it uses the same cache), then again on the directory that
run filled (warm). Reported: seconds from building the network to the forward's result, the
interpreter's start-up and imports excluded, and the ratio to the twin's.

Run: python benchmarks/bench_first_forward.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CASES = ("raw", "eager", "hybrid")
# (blocks, channels) of ResNet-50's four stages; the bottleneck's inner width is channels // 4
STAGES = ((3, 256), (4, 512), (6, 1024), (3, 2048))


def _raw() -> tuple[float, float]:
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax import lax

    import gluax  # noqa: F401 -- the same compilation cache as the gluax cases

    t0 = time.perf_counter()
    shapes: dict = {}

    def conv_w(name: str, o: int, i: int, k: int) -> None:
        shapes[name] = (o, i, k, k)

    def bn_p(name: str, c: int) -> None:
        for s in "gbmv":
            shapes[f"{name}.{s}"] = (c,)

    conv_w("stem", 64, 3, 7)
    bn_p("stem_bn", 64)
    cin = 64
    for si, (blocks, ch) in enumerate(STAGES):
        for b in range(blocks):
            pre = f"s{si}b{b}"
            conv_w(pre + "c1", ch // 4, cin, 1)
            bn_p(pre + "bn1", ch // 4)
            conv_w(pre + "c2", ch // 4, ch // 4, 3)
            bn_p(pre + "bn2", ch // 4)
            conv_w(pre + "c3", ch, ch // 4, 1)
            bn_p(pre + "bn3", ch)
            if b == 0:
                conv_w(pre + "down", ch, cin, 1)
                bn_p(pre + "downbn", ch)
            cin = ch
    shapes["fc.w"], shapes["fc.b"] = (1000, 2048), (1000,)

    def init(key):
        # every parameter in one jitted program, as a careful JAX user (or Flax) makes them:
        # He-normal convolutions, BatchNorm gamma/var 1 and beta/mean 0, a small dense layer
        out = {}
        for k, (name, shape) in zip(jax.random.split(key, len(shapes)), shapes.items()):
            if len(shape) == 4:
                std = np.sqrt(2.0 / np.prod(shape[1:]))
                out[name] = jax.random.normal(k, shape, jnp.float32) * std
            elif name == "fc.w":
                out[name] = jax.random.normal(k, shape, jnp.float32) * 0.01
            else:
                out[name] = jnp.full(shape, 1.0 if name.endswith((".g", ".v")) else 0.0)
        return out

    params = jax.jit(init)(jax.random.PRNGKey(0))

    def conv(x, w, s=1, p=0):
        return lax.conv_general_dilated(x, w, (s, s), [(p, p), (p, p)],
                                        dimension_numbers=("NCHW", "OIHW", "NCHW"))  # fmt: skip

    def forward(P, x):
        def bn(x, k):
            scale = P[k + ".g"] * lax.rsqrt(P[k + ".v"] + 1e-5)
            shift = P[k + ".b"] - P[k + ".m"] * scale
            return x * scale[:, None, None] + shift[:, None, None]

        x = jax.nn.relu(bn(conv(x, P["stem"], 2, 3), "stem_bn"))
        x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 3, 3), (1, 1, 2, 2),
                              ((0, 0), (0, 0), (1, 1), (1, 1)))  # fmt: skip
        for si, (blocks, _) in enumerate(STAGES):
            for b in range(blocks):
                pre, s = f"s{si}b{b}", 2 if b == 0 and si > 0 else 1
                h = jax.nn.relu(bn(conv(x, P[pre + "c1"], s), pre + "bn1"))
                h = jax.nn.relu(bn(conv(h, P[pre + "c2"], 1, 1), pre + "bn2"))
                h = bn(conv(h, P[pre + "c3"]), pre + "bn3")
                if b == 0:
                    x = bn(conv(x, P[pre + "down"], s), pre + "downbn")
                x = jax.nn.relu(x + h)
        return x.mean(axis=(2, 3)) @ P["fc.w"].T + P["fc.b"]

    x = jnp.asarray(np.random.default_rng(1).random((1, 3, 224, 224), np.float32))
    fwd = jax.jit(forward)
    out = fwd(params, x)
    out.block_until_ready()
    assert out.shape == (1, 1000)
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    fwd(params, x).block_until_ready()
    return first, time.perf_counter() - t1


def _gluax(hybrid: bool) -> tuple[float, float]:
    import numpy as np

    import gluax as mx

    x = mx.nd.array(np.random.default_rng(1).random((1, 3, 224, 224), np.float32))
    mx.nd.waitall()
    t0 = time.perf_counter()
    net = mx.gluon.model_zoo.vision.resnet50_v1()
    net.initialize(mx.init.Xavier())
    if hybrid:
        net.hybridize()
    out = net(x)
    out.wait_to_read()
    assert out.shape == (1, 1000)
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    net(x).wait_to_read()
    return first, time.perf_counter() - t1


def _process(case: str, cache: str) -> tuple[float, float]:
    env = dict(os.environ, GLUAX_COMPILATION_CACHE=cache)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", case],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return got["seconds"], got["second_call"]


def measure(repeat: int = 1) -> dict:
    """{(case, 'empty' | 'warm' | 'second'): best seconds over ``repeat`` fresh cache
    directories (``second``: the forward called again in the warm process)}."""
    res: dict = {}
    for _ in range(repeat):
        for case in CASES:
            with tempfile.TemporaryDirectory() as cache:
                for phase in ("empty", "warm"):
                    t, again = _process(case, cache)
                    res[(case, phase)] = min(res.get((case, phase), t), t)
                res[(case, "second")] = min(res.get((case, "second"), again), again)
    return res


def report(res: dict) -> str:
    lines = [
        "| ResNet-50 v1, 1x3x224x224 | raw twin (s) | gluax eager | gluax hybridized |",
        "|---|---|---|---|",
    ]
    for phase in ("empty", "warm"):
        raw = res[("raw", phase)]
        cells = [f"{res[(c, phase)]:.2f} ({res[(c, phase)] / raw:.2f}x)" for c in ("eager", "hybrid")]
        lines.append(f"| initialize + first forward, cache {phase} | {raw:.2f} | " + " | ".join(cells) + " |")
    raw = res[("raw", "second")]
    cells = [f"{res[(c, 'second')]:.3f} ({res[(c, 'second')] / raw:.2f}x)" for c in ("eager", "hybrid")]
    lines.append(f"| the forward called again | {raw:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", choices=CASES)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    if args.worker:
        t, again = _raw() if args.worker == "raw" else _gluax(args.worker == "hybrid")
        print(json.dumps({"seconds": t, "second_call": again}))
        return {}
    res = measure(args.repeat)
    print(report(res))
    return res


if __name__ == "__main__":
    main()
