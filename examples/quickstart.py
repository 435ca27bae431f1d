"""The Residual block from MXNet's Gluon tutorials, run eagerly and hybridized.

Only the import changed: ``import gluax as mx`` instead of ``import mxnet as mx``.
Run: python examples/quickstart.py
"""

from __future__ import annotations

import time

import numpy as np

import gluax as mx
from gluax import autograd, gluon, nd


class Residual(gluon.HybridBlock):
    def __init__(self, units, downsample=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = gluon.nn.HybridSequential(prefix="")
            self.body.add(gluon.nn.Dense(units, activation="relu"), gluon.nn.Dense(units))
            self.downsample = gluon.nn.Dense(units) if downsample else None
            self.scale = self.params.get("scale", shape=(units,), init=mx.init.One())

    def hybrid_forward(self, F, x, scale):
        residual = self.downsample(x) if self.downsample else x
        return F.Activation(F.broadcast_mul(self.body(x), scale.reshape((1, -1))) + residual, act_type="relu")


def timed_steps(net, x, steps):
    start = time.perf_counter()
    for _ in range(steps):
        with autograd.record():
            y = net(x)
        y.backward()
    nd.waitall()
    return (time.perf_counter() - start) / steps


def main(steps: int = 200) -> None:
    mx.random.seed(0)
    net = Residual(64, downsample=True)
    net.initialize(mx.init.Xavier())
    x = nd.array(np.random.default_rng(0).standard_normal((32, 128)))
    x.attach_grad()
    print(net)

    with autograd.record():
        y_eager = net(x)
    y_eager.backward()
    grad_eager = x.grad.asnumpy().copy()
    eager_time = timed_steps(net, x, steps)

    net.hybridize()
    with autograd.record():
        y_hybrid = net(x)
    y_hybrid.backward()
    hybrid_time = timed_steps(net, x, steps)

    print(f"outputs equal:   max |eager - hybrid| = {np.abs(y_eager.asnumpy() - y_hybrid.asnumpy()).max():.2e}")
    print(f"gradients equal: max |eager - hybrid| = {np.abs(grad_eager - x.grad.asnumpy()).max():.2e}")
    print(f"forward+backward: eager {eager_time * 1e3:.2f} ms, hybridized {hybrid_time * 1e3:.2f} ms "
          f"({eager_time / hybrid_time:.1f}x faster), compiled {net.compile_count} time(s)")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=200, help="timed steps per mode")
    main(ap.parse_args().steps)
