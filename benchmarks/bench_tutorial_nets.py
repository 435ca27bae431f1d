"""The seed tutorial's two networks, eager and hybridized: the LeNet ``HybridSequential`` and
the ResNet ``BasicBlockV1`` written as a ``HybridBlock`` with its conditional downsample
child. Prints the first call (compilation included) and the median of later training steps
(forward, backward, SGD update) for each. Run: python benchmarks/bench_tutorial_nets.py"""

from __future__ import annotations

import statistics
import time

import gluax as mx
from gluax import autograd, gluon, nd
from gluax.gluon import nn


def lenet() -> nn.HybridSequential:
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(
            nn.Conv2D(channels=6, kernel_size=5, activation="relu"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(channels=16, kernel_size=3, activation="relu"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Flatten(),
            nn.Dense(120, activation="relu"),
            nn.Dense(84, activation="relu"),
            nn.Dense(10),
        )
    return net


class BasicBlockV1(gluon.HybridBlock):
    """Two 3x3 convolutions with batch norm and a residual connection; a 1x1 convolution
    projects the input when the block changes its shape (``downsample``)."""

    def __init__(self, channels: int, stride: int, downsample: bool = False, in_channels: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix="")
        self.body.add(
            nn.Conv2D(channels, 3, stride, 1, use_bias=False, in_channels=in_channels),
            nn.BatchNorm(),
            nn.Activation("relu"),
            nn.Conv2D(channels, 3, 1, 1, use_bias=False, in_channels=channels),
            nn.BatchNorm(),
        )
        if downsample:
            self.downsample = nn.HybridSequential(prefix="")
            self.downsample.add(
                nn.Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels),
                nn.BatchNorm(),
            )
        else:
            self.downsample = None

    def hybrid_forward(self, F, x):
        residual = x if self.downsample is None else self.downsample(x)
        return F.Activation(self.body(x) + residual, act_type="relu")


def measure(make, x, hybridize: bool, steps: int = 20) -> tuple[float, float]:
    mx.random.seed(0)
    net = make()
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})
    times = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        with autograd.record():
            loss = net(x).mean()
        loss.backward()
        trainer.step(x.shape[0])
        loss.wait_to_read()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


def main() -> None:
    cases = {
        "LeNet HybridSequential, batch 64 of 1x28x28": (lenet, nd.ones((64, 1, 28, 28))),
        "BasicBlockV1(32, stride 2, downsample), batch 32 of 16x32x32": (
            lambda: BasicBlockV1(32, 2, downsample=True, in_channels=16),
            nd.ones((32, 16, 32, 32)),
        ),
    }
    for name, (make, x) in cases.items():
        for hybrid in (False, True):
            first, step = measure(make, x, hybrid)
            mode = "hybridized" if hybrid else "eager"
            print(f"{name} | {mode} | first step {first * 1000:.0f} ms | later steps {step * 1000:.1f} ms (median of 20)")


if __name__ == "__main__":
    main()
