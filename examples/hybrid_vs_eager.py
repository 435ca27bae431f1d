"""Eager vs hybridized training of MXNet's tutorial LeNet, side by side.

The network is the one from MXNet's tutorial "When to use (Hybrid)Sequential and
(Hybrid)Block", built twice: as a Sequential of plain layers that runs eagerly (every operator
dispatched one by one from Python), and as a HybridSequential that ``hybridize()`` compiles
into one XLA program. Both train on scikit-learn's bundled 8x8 handwritten digits (no
download), resized to 28x28. The script prints per-epoch times, test accuracy and the speedup,
and saves a plot of the epoch times.

Run: python examples/hybrid_vs_eager.py [--epochs 8] [--batch-size 64] [--out examples/out]
     [--data ~/.mxnet/datasets/mnist]   # MNIST's idx files instead of the digits
"""

from __future__ import annotations

import argparse
import os
import time

import jax
import numpy as np
from tqdm import tqdm

import gluax as mx
from gluax import autograd, gluon, nd


def load_digits_28(limit: int | None = None) -> tuple[np.ndarray, ...]:
    """scikit-learn's digits (1797 images, 8x8, values 0..16) as (N, 1, 28, 28) float32 in [0, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    labels = digits.target.astype(np.int32)
    if limit:
        images, labels = images[:limit], labels[:limit]
    resized = np.asarray(jax.image.resize(images, (len(images), 28, 28), "bilinear"))[:, None]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(images))
    split = int(0.8 * len(images))
    train, test = order[:split], order[split:]
    return resized[train], labels[train], resized[test], labels[test]


def load_mnist(root: str, limit: int | None = None) -> tuple[np.ndarray, ...]:
    """MNIST from local idx files (as MXNet keeps them in ~/.mxnet/datasets/mnist), as
    (N, 1, 28, 28) float32 in [0, 1]."""
    out = []
    for train in (True, False):
        ds = gluon.data.vision.MNIST(root=root, train=train)
        n = min(len(ds), limit) if limit else len(ds)
        images = np.stack([np.asarray(ds[i][0].asnumpy() if hasattr(ds[i][0], "asnumpy") else ds[i][0]) for i in range(n)])
        labels = np.asarray([int(ds[i][1]) for i in range(n)], dtype=np.int32)
        out += [images.transpose(0, 3, 1, 2).astype(np.float32) / 255.0, labels]
    return out[0], out[1], out[2], out[3]


def lenet(hybrid: bool) -> gluon.Block:
    """The tutorial's LeNet; ``hybrid`` picks HybridSequential or Sequential."""
    net = gluon.nn.HybridSequential() if hybrid else gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Conv2D(channels=20, kernel_size=5, activation="relu"))
        net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
        net.add(gluon.nn.Conv2D(channels=50, kernel_size=5, activation="relu"))
        net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
        net.add(gluon.nn.Dense(512, activation="relu"))
        net.add(gluon.nn.Dense(10))
    return net


def accuracy(net: gluon.Block, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
    correct = 0
    for i in range(0, len(x), batch_size):
        out = net(nd.array(x[i : i + batch_size]))
        correct += int((out.argmax(axis=1).asnumpy() == y[i : i + batch_size]).sum())
    return correct / len(x)


def train(name: str, net: gluon.Block, data: tuple[np.ndarray, ...], epochs: int, batch_size: int) -> tuple[list[float], float]:
    x_train, y_train, x_test, y_test = data
    mx.random.seed(42)
    net.initialize(mx.init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(x_train, y_train), batch_size=batch_size, shuffle=True, last_batch="discard")
    times = []
    for epoch in range(epochs):
        start = time.perf_counter()
        total = 0.0
        bar = tqdm(loader, desc=f"{name} epoch {epoch + 1}/{epochs}", leave=False)
        for x, y in bar:
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(x.shape[0])
            total += float(loss.mean().asscalar())
        nd.waitall()
        times.append(time.perf_counter() - start)
        acc = accuracy(net, x_test, y_test, batch_size)
        print(f"{name:>10} epoch {epoch + 1}: {times[-1]:6.2f} s, loss {total / len(loader):.4f}, test accuracy {acc:.3f}")
    return times, acc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N images (for quick runs)")
    ap.add_argument("--data", default=None, help="a folder with MNIST's idx files; default: scikit-learn's digits")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    args = ap.parse_args()
    data = load_mnist(args.data, args.limit) if args.data else load_digits_28(args.limit)
    print(f"{'MNIST' if args.data else 'digits'}: {len(data[0])} training and {len(data[2])} test images, 1x28x28")

    eager_net = lenet(hybrid=False)
    eager_times, eager_acc = train("eager", eager_net, data, args.epochs, args.batch_size)
    hybrid_net = lenet(hybrid=True)
    hybrid_net.hybridize()
    hybrid_times, hybrid_acc = train("hybridized", hybrid_net, data, args.epochs, args.batch_size)

    # The first epoch includes compilation; later epochs show the steady state.
    steady = slice(1, None) if args.epochs > 1 else slice(0, None)
    speedup = np.mean(eager_times[steady]) / np.mean(hybrid_times[steady])
    print(f"test accuracy: eager {eager_acc:.3f}, hybridized {hybrid_acc:.3f}")
    print(f"hybridized speedup per epoch (after the first): {speedup:.1f}x; "
          f"the hybridized net compiled {hybrid_net.compile_count} time(s)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.out, exist_ok=True)
    epochs = np.arange(1, args.epochs + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, eager_times, "o-", label="eager (Sequential)")
    ax.plot(epochs, hybrid_times, "s-", label="hybridized (HybridSequential)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("seconds")
    ax.set_title(f"LeNet on digits: hybridized is {speedup:.1f}x faster")
    ax.set_xticks(epochs)
    ax.legend()
    fig.tight_layout()
    path = os.path.join(args.out, "epoch_times.png")
    fig.savefig(path)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
