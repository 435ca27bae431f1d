"""Training-step cost of gluax against the same step in raw JAX, as ratios in one run.

For each network (MLP 784-512-512-10 at batch 128, the tutorial's LeNet at batch 64, and a
tiny Dense(16) network), one SGD step (momentum 0.9, wd 1e-4, softmax cross-entropy) is timed:

* gluax eager: Sequential, `autograd.record()` / `backward()` / `trainer.step()`;
* gluax hybridized: the same loop with a hybridized HybridSequential;
* raw JAX: one `jax.jit` function over a parameter pytree, with optax.

Cases are interleaved round by round and the best round is kept. The first call of each
(compilation included) is reported separately.

Run: python benchmarks/bench_train.py [--rounds 5] [--steps 20]
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

import gluax as mx
from gluax import autograd, gluon, nd


def mlp(hybrid: bool) -> gluon.Block:
    net = gluon.nn.HybridSequential() if hybrid else gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(512, activation="relu"), gluon.nn.Dense(512, activation="relu"), gluon.nn.Dense(10))
    return net


def lenet(hybrid: bool) -> gluon.Block:
    net = gluon.nn.HybridSequential() if hybrid else gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Conv2D(channels=20, kernel_size=5, activation="relu"))
        net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
        net.add(gluon.nn.Conv2D(channels=50, kernel_size=5, activation="relu"))
        net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
        net.add(gluon.nn.Dense(512, activation="relu"))
        net.add(gluon.nn.Dense(10))
    return net


def tiny(hybrid: bool) -> gluon.Block:
    net = gluon.nn.HybridSequential() if hybrid else gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(16))
    return net


MODELS = {
    "MLP 784-512-512-10, batch 128": (mlp, (128, 784)),
    "LeNet, batch 64": (lenet, (64, 1, 28, 28)),
    "Dense(16), batch 1": (tiny, (1, 16)),
}


def gluax_step(build: Callable[[bool], gluon.Block], shape: tuple[int, ...], hybrid: bool, fused: bool = False) -> tuple[Callable[[], Any], gluon.Block]:
    mx.random.seed(0)
    net = build(hybrid)
    net.initialize(mx.init.Xavier())
    x = nd.array(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    y = nd.array(np.random.default_rng(1).integers(0, 10, shape[0]).astype(np.float32))
    net(x)  # resolve deferred shapes
    if hybrid:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9, "wd": 1e-4})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

    if fused:
        compiled = trainer.compile_step(net, loss_fn)
        return (lambda: compiled(x, y)), net

    def step() -> Any:
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(shape[0])
        return loss

    return step, net


def raw_step(net: gluon.Block, shape: tuple[int, ...]) -> Callable[[], Any]:
    """The same network as a hand-written JAX function of a parameter pytree."""
    items = net._collect_params_with_prefix()
    params = {k: p.data().data for k, p in items.items()}
    layers = list(net._children.values())

    def forward(p: dict[str, Any], x: Any) -> Any:
        for i, layer in enumerate(layers):
            name = type(layer).__name__
            if name == "Dense":
                x = x.reshape(x.shape[0], -1) @ p[f"{i}.weight"].T + p[f"{i}.bias"]
                x = jax.nn.relu(x) if layer.act is not None else x
            elif name == "Conv2D":
                x = jax.lax.conv_general_dilated(x, p[f"{i}.weight"], (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW"))
                x = jax.nn.relu(x + p[f"{i}.bias"].reshape(1, -1, 1, 1))
            elif name == "MaxPool2D":
                x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        return x

    def loss_fn(p: dict[str, Any], x: Any, y: Any) -> Any:
        logp = jax.nn.log_softmax(forward(p, x))
        return -jnp.take_along_axis(logp, y[:, None].astype(jnp.int32), axis=1).sum()

    opt = optax.chain(optax.add_decayed_weights(1e-4), optax.sgd(0.01, momentum=0.9))
    state = opt.init(params)

    @jax.jit
    def step(p: dict[str, Any], s: Any, x: Any, y: Any) -> Any:
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        g = jax.tree_util.tree_map(lambda v: v / x.shape[0], g)
        updates, s = opt.update(g, s, p)
        return optax.apply_updates(p, updates), s, loss

    x = jnp.asarray(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    y = jnp.asarray(np.random.default_rng(1).integers(0, 10, shape[0]).astype(np.float32))
    box = [params, state]

    def run() -> Any:
        box[0], box[1], loss = step(box[0], box[1], x, y)
        return loss

    return run


def _time(fn: Callable[[], Any], n: int) -> float:
    out = None
    start = time.perf_counter()
    for _ in range(n):
        out = fn()
    jax.block_until_ready(getattr(out, "data", out))
    return (time.perf_counter() - start) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    print(f"# {platform.machine()}, {jax.devices()[0].platform}, jax {jax.__version__}, python {platform.python_version()}")
    print("| network | raw jax.jit step (ms) | gluax fused step | gluax hybridized loop | gluax eager loop | first call: raw / fused / hybridized (s) |")
    print("|---|---|---|---|---|---|")
    for title, (build, shape) in MODELS.items():
        eager, _ = gluax_step(build, shape, hybrid=False)
        hyb, net = gluax_step(build, shape, hybrid=True)
        fused, _ = gluax_step(build, shape, hybrid=True, fused=True)
        raw = raw_step(net, shape)
        cases = (("raw", raw), ("fused", fused), ("hybrid", hyb), ("eager", eager))
        first = {}
        for name, fn in cases:
            t0 = time.perf_counter()
            jax.block_until_ready(getattr(fn(), "data", None))
            first[name] = time.perf_counter() - t0
        best = {name: float("inf") for name, _ in cases}
        for _ in range(args.rounds):
            for name, fn in cases:
                best[name] = min(best[name], _time(fn, args.steps))
        print(f"| {title} | {best['raw'] * 1e3:.2f} | {best['fused'] / best['raw']:.2f}x | {best['hybrid'] / best['raw']:.2f}x | {best['eager'] / best['raw']:.2f}x | {first['raw']:.2f} / {first['fused']:.2f} / {first['hybrid']:.2f} |")


if __name__ == "__main__":
    main()
