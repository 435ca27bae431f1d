"""The benchmark networks, each written several ways, and one training step for each way.

Networks: MLP 784-512-512-10 (batch 128), the tutorial's LeNet (batch 64), ResNet-18 v1 from
gluax's model zoo (3x64x64, batch 16, 1000 classes) and a tiny Dense(16) network (batch 1).

Every ``*_step`` function returns ``run() -> loss`` doing one SGD step (momentum 0.9, weight
decay 1e-4, learning rate 0.01, softmax cross-entropy averaged over the batch):

* gluax: ``gluax_step`` (eager or hybridized ``record()``/``backward()``/``trainer.step()``
  loop, or ``trainer.compile_step``) and ``gluax_forward`` (eager forward, recorded or not);
* raw JAX: ``raw_step`` -- a hand-written function of a parameter pytree with plain
  ``jax.numpy``/``lax`` ops (``lax.conv_general_dilated`` for every convolution) and optax,
  under one ``jax.jit`` or, with ``jit=False``, ``jax.value_and_grad`` run op by op;
* Flax NNX (``nnx_step``: ``nnx.jit``, ``nnx.Optimizer``) and Equinox (``eqx_step``:
  ``eqx.filter_jit``, ``eqx.filter_value_and_grad``) twins, when those packages are installed
  (``pip install gluax[bench]``); they are never imported by gluax itself.

The raw-JAX twins start from the gluax network's own parameters, so their first loss equals
gluax's (``bench_train.py`` checks it); the NNX and Equinox twins use their libraries'
default initializers and channels-last (NNX) or per-sample (Equinox, vmapped) layouts.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

import bench_raw as br
import gluax as mx
from gluax import autograd, gluon, nd
from gluax._src.engine import lazy as _lazy
from gluax._src.engine import tape as _tape

LR, MOMENTUM, WD, tx = br.LR, br.MOMENTUM, br.WD, br.tx


def have(package: str) -> bool:
    """Whether an optional benchmark package (``flax``, ``equinox``) is installed."""
    return importlib.util.find_spec(package) is not None


# ---- gluax networks ---------------------------------------------------------------------------


def mlp(hybrid: bool) -> gluon.Block:
    net = gluon.nn.HybridSequential() if hybrid else gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(512, activation="relu"), gluon.nn.Dense(512, activation="relu"),
                gluon.nn.Dense(10))  # fmt: skip
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


def resnet18(hybrid: bool) -> gluon.Block:
    # a HybridBlock either way; not hybridizing runs it op by op (eager)
    return gluon.model_zoo.vision.resnet18_v1()


# name -> (gluax builder, input shape, number of classes)
MODELS: dict[str, tuple[Callable[[bool], gluon.Block], tuple[int, ...], int]] = {
    "mlp": (mlp, (128, 784), 10),
    "lenet": (lenet, (64, 1, 28, 28), 10),
    "resnet18": (resnet18, (16, 3, 64, 64), 1000),
    "tiny": (tiny, (1, 16), 16),
}
TITLES = {
    "mlp": "MLP 784-512-512-10, batch 128",
    "lenet": "LeNet, batch 64",
    "resnet18": "ResNet-18 v1, 3x64x64, batch 16",
    "tiny": "Dense(16), batch 1",
}


def data(model: str) -> tuple[np.ndarray, np.ndarray]:
    """The fixed input batch and integer labels of a model (NCHW for images)."""
    _, shape, classes = MODELS[model]
    return br.data(shape, classes)


def gluax_net(model: str, hybrid: bool, resolve: bool = True) -> gluon.Block:
    """The gluax network, initialized (Xavier, seed 0); ``resolve``: with its deferred shapes
    resolved by one forward call (else the first training step resolves them)."""
    build, shape, _ = MODELS[model]
    mx.random.seed(0)
    net = build(hybrid)
    net.initialize(mx.init.Xavier())
    if hybrid:
        net.hybridize()
    if resolve:
        net(nd.array(data(model)[0]))  # traced and compiled once when hybridized
    return net


def gluax_step(
    model: str, mode: str, resolve: bool = True, defer: bool = True, fuse: bool = False,
    lazy: bool = True,
) -> Callable[[], Any]:
    """One gluax training step; ``mode`` is ``"eager"``, ``"hybrid"`` (the record/backward/step
    loop on a hybridized network) or ``"fused"`` (``trainer.compile_step``). ``resolve=False``
    leaves the deferred shapes to the first step (no inference forward is run and compiled
    first; the deferred initializers then draw other random values than the raw twin's).
    ``defer=False``: the loop's ``backward()`` walks the graph node by node at once instead of
    running as one program when the step reads the gradients (``engine/tape.py``'s deferred
    backward), as before issue 22; ``fuse=True``: the deferred backward and the update run as
    ONE program (``tape.FUSE_UPDATE``, off by default: measured slower on XLA CPU);
    ``lazy=False``: the hybridized network runs at its call under ``record()`` instead of with
    the loss and the backward as one program at ``backward()`` (``engine/lazy.py``)."""
    net = gluax_net(model, hybrid=mode != "eager", resolve=resolve)
    xs, ys = data(model)
    x, y = nd.array(xs), nd.array(ys.astype(np.float32))
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": LR, "momentum": MOMENTUM, "wd": WD})  # fmt: skip
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    if mode == "fused":
        compiled = trainer.compile_step(net, loss_fn)
        return lambda: compiled(x, y)

    def step() -> Any:
        _tape.DEFER[0], _tape.FUSE_UPDATE[0], _lazy.LAZY[0] = defer, fuse, lazy
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(xs.shape[0])
        _tape.DEFER[0], _tape.FUSE_UPDATE[0], _lazy.LAZY[0] = True, False, True
        return loss

    return step


def gluax_forward(model: str, recorded: bool) -> Callable[[], Any]:
    """The eager (un-hybridized) forward pass alone, under ``autograd.record()`` or not."""
    net = gluax_net(model, hybrid=False)
    x = nd.array(data(model)[0])
    if not recorded:
        return lambda: net(x)

    def fwd() -> Any:
        with autograd.record():
            return net(x)

    return fwd


# ---- raw JAX ----------------------------------------------------------------------------------


def raw_params(model: str, net: gluon.Block) -> tuple[dict, dict, Callable[..., Any]]:
    """(trainable parameters, auxiliary state, ``forward(p, aux, x) -> (logits, new aux)``)
    of the hand-written raw-JAX twin, with the values of the gluax network ``net``."""
    values = [p.data().data for p in net.collect_params().values()]
    if model == "resnet18":
        names = br.resnet18_names()
        assert len(names) == len(values), (len(names), len(values))
        flat = dict(zip(names, values))
        aux = {k: v for k, v in flat.items() if k.endswith((".m", ".v"))}
        params = {k: v for k, v in flat.items() if k not in aux}
        return params, aux, br.resnet18_forward
    layers = [type(c).__name__ for c in net._children.values()]
    acts = [getattr(c, "act", None) is not None for c in net._children.values()]
    params, it = {}, iter(values)
    for i, name in enumerate(layers):
        if name in ("Dense", "Conv2D"):
            params[f"{i}.w"], params[f"{i}.b"] = next(it), next(it)

    def forward(p: dict, aux: dict, x: jax.Array) -> tuple[jax.Array, dict]:
        for i, name in enumerate(layers):
            if name == "Dense":
                x = x.reshape(x.shape[0], -1) @ p[f"{i}.w"].T + p[f"{i}.b"]
            elif name == "Conv2D":
                x = br.conv(x, p[f"{i}.w"]) + p[f"{i}.b"][:, None, None]
            elif name == "MaxPool2D":
                x = br.maxpool(x, 2, 2)
            if acts[i]:
                x = jax.nn.relu(x)
        return x, aux

    return params, {}, forward


def raw_step(model: str, jit: bool = True) -> Callable[[], Any]:
    """The raw-JAX training step of ``model`` from the gluax network's initial parameters:
    one ``jax.jit`` function (``jit=True``) or run op by op (``jit=False``)."""
    params, aux, forward = raw_params(model, gluax_net(model, hybrid=False))
    return br.raw_step(params, aux, forward, *data(model), jit=jit)


# ---- Flax NNX ---------------------------------------------------------------------------------


def nnx_model(model: str) -> Any:
    """The Flax NNX twin (channels-last convolutions, flax's default initializers)."""
    from flax import nnx

    rngs = nnx.Rngs(0)

    class MLP(nnx.Module):
        def __init__(self) -> None:
            self.l1 = nnx.Linear(784, 512, rngs=rngs)
            self.l2 = nnx.Linear(512, 512, rngs=rngs)
            self.l3 = nnx.Linear(512, 10, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            return self.l3(nnx.relu(self.l2(nnx.relu(self.l1(x)))))

    class LeNet(nnx.Module):
        def __init__(self) -> None:
            self.c1 = nnx.Conv(1, 20, (5, 5), padding="VALID", rngs=rngs)
            self.c2 = nnx.Conv(20, 50, (5, 5), padding="VALID", rngs=rngs)
            self.f1 = nnx.Linear(4 * 4 * 50, 512, rngs=rngs)
            self.f2 = nnx.Linear(512, 10, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            x = nnx.max_pool(nnx.relu(self.c1(x)), (2, 2), (2, 2))
            x = nnx.max_pool(nnx.relu(self.c2(x)), (2, 2), (2, 2))
            return self.f2(nnx.relu(self.f1(x.reshape(x.shape[0], -1))))

    class Tiny(nnx.Module):
        def __init__(self) -> None:
            self.l1 = nnx.Linear(16, 16, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            return self.l1(x)

    def conv(cin: int, cout: int, k: int, s: int, pad: int) -> Any:
        return nnx.Conv(cin, cout, (k, k), (s, s), padding=[(pad, pad)] * 2, use_bias=False,
                        rngs=rngs)  # fmt: skip

    def bn(c: int) -> Any:
        return nnx.BatchNorm(c, momentum=MOMENTUM, epsilon=1e-5, rngs=rngs)

    class Block(nnx.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            self.c1, self.b1 = conv(cin, cout, 3, stride, 1), bn(cout)
            self.c2, self.b2 = conv(cout, cout, 3, 1, 1), bn(cout)
            self.dc = conv(cin, cout, 1, stride, 0) if stride != 1 else None
            self.db = bn(cout) if stride != 1 else None

        def __call__(self, x: jax.Array) -> jax.Array:
            h = self.b2(self.c2(nnx.relu(self.b1(self.c1(x)))))
            if self.dc is not None:
                x = self.db(self.dc(x))
            return nnx.relu(x + h)

    class ResNet18(nnx.Module):
        def __init__(self) -> None:
            self.c0, self.b0 = conv(3, 64, 7, 2, 3), bn(64)
            chans = [64, 64, 128, 256, 512]
            self.blocks = nnx.List(
                Block(chans[s] if b == 0 else chans[s + 1], chans[s + 1], 2 if s and b == 0 else 1)
                for s in range(4)
                for b in range(2)
            )
            self.fc = nnx.Linear(512, 1000, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            x = nnx.relu(self.b0(self.c0(x)))
            x = nnx.max_pool(x, (3, 3), (2, 2), padding=((1, 1), (1, 1)))
            for blk in self.blocks:
                x = blk(x)
            return self.fc(x.mean(axis=(1, 2)))

    return {"mlp": MLP, "lenet": LeNet, "tiny": Tiny, "resnet18": ResNet18}[model]()


def nnx_step(model: str) -> Callable[[], Any]:
    """The Flax NNX training step: ``nnx.jit`` over ``nnx.value_and_grad`` and
    ``nnx.Optimizer`` (optax), as in Flax's own examples."""
    from flax import nnx

    net = nnx_model(model)
    optimizer = nnx.Optimizer(net, tx(), wrt=nnx.Param)
    xs, ys = data(model)
    if xs.ndim == 4:
        xs = xs.transpose(0, 2, 3, 1)  # NHWC, flax's layout
    x, y = jnp.asarray(xs), jnp.asarray(ys)

    @nnx.jit
    def train_step(m: Any, opt: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        def loss_fn(m: Any) -> jax.Array:
            return optax.softmax_cross_entropy_with_integer_labels(m(x), y).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(m)
        opt.update(m, grads)
        return loss

    return lambda: train_step(net, optimizer, x, y)


# ---- Equinox ----------------------------------------------------------------------------------


def eqx_model(model: str) -> Any:
    """The Equinox twin: per-sample modules (vmapped over the batch), Equinox's initializers."""
    import equinox as eqx

    keys = iter(jax.random.split(jax.random.PRNGKey(0), 8))

    class MLP(eqx.Module):
        layers: list

        def __init__(self) -> None:
            self.layers = [eqx.nn.Linear(784, 512, key=next(keys)),
                           eqx.nn.Linear(512, 512, key=next(keys)),
                           eqx.nn.Linear(512, 10, key=next(keys))]  # fmt: skip

        def __call__(self, x: jax.Array) -> jax.Array:
            x = jax.nn.relu(self.layers[0](x))
            return self.layers[2](jax.nn.relu(self.layers[1](x)))

    class LeNet(eqx.Module):
        c1: Any
        c2: Any
        f1: Any
        f2: Any
        pool: Any

        def __init__(self) -> None:
            self.c1 = eqx.nn.Conv2d(1, 20, 5, key=next(keys))
            self.c2 = eqx.nn.Conv2d(20, 50, 5, key=next(keys))
            self.f1 = eqx.nn.Linear(50 * 4 * 4, 512, key=next(keys))
            self.f2 = eqx.nn.Linear(512, 10, key=next(keys))
            self.pool = eqx.nn.MaxPool2d(2, 2)

        def __call__(self, x: jax.Array) -> jax.Array:
            x = self.pool(jax.nn.relu(self.c1(x)))
            x = self.pool(jax.nn.relu(self.c2(x)))
            return self.f2(jax.nn.relu(self.f1(x.reshape(-1))))

    class Tiny(eqx.Module):
        l1: Any

        def __init__(self) -> None:
            self.l1 = eqx.nn.Linear(16, 16, key=next(keys))

        def __call__(self, x: jax.Array) -> jax.Array:
            return self.l1(x)

    return {"mlp": MLP, "lenet": LeNet, "tiny": Tiny}[model]()


def eqx_step(model: str) -> Callable[[], Any]:
    """The Equinox training step: ``eqx.filter_jit`` over ``eqx.filter_value_and_grad`` and
    an optax update, as in Equinox's own examples (no ResNet-18 twin)."""
    import equinox as eqx

    net = eqx_model(model)
    opt = tx()
    state = opt.init(eqx.filter(net, eqx.is_inexact_array))
    xs, ys = data(model)
    x, y = jnp.asarray(xs), jnp.asarray(ys)

    def loss_fn(m: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return optax.softmax_cross_entropy_with_integer_labels(jax.vmap(m)(x), y).mean()

    @eqx.filter_jit
    def train_step(m: Any, s: Any, x: jax.Array, y: jax.Array) -> tuple:
        loss, grads = eqx.filter_value_and_grad(loss_fn)(m, x, y)
        updates, s = opt.update(grads, s, eqx.filter(m, eqx.is_inexact_array))
        return eqx.apply_updates(m, updates), s, loss

    box = [net, state]

    def run() -> Any:
        box[0], box[1], loss = train_step(box[0], box[1], x, y)
        return loss

    return run
