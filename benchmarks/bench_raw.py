"""Raw-JAX pieces of the benchmarks, importable without gluax (``bench_memory.py`` measures a
raw-JAX process that never imports gluax): the SGD rule as optax, plain ``jax.numpy``/``lax``
layers (``lax.conv_general_dilated`` for every convolution), a hand-written ResNet-18 v1 and
the training step over a parameter pytree, jitted or run op by op.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

LR, MOMENTUM, WD = 0.01, 0.9, 1e-4


def tx() -> optax.GradientTransformation:
    """The optax rule equal to gluax's SGD(momentum=0.9, wd=1e-4, lr=0.01)."""
    return optax.chain(optax.add_decayed_weights(WD), optax.sgd(LR, momentum=MOMENTUM))


def resnet18_names() -> list[str]:
    """Raw ResNet-18 parameter names, in the order gluax's model zoo creates its parameters."""
    bn = [".g", ".b", ".m", ".v"]
    names = ["conv0", *("bn0" + s for s in bn)]
    for stage in range(1, 5):
        for block in range(2):
            pre = f"s{stage}b{block}."
            names += [pre + "conv1", *(pre + "bn1" + s for s in bn)]
            names += [pre + "conv2", *(pre + "bn2" + s for s in bn)]
            if stage > 1 and block == 0:
                names += [pre + "down", *(pre + "downbn" + s for s in bn)]
    return names + ["fc.w", "fc.b"]


def conv(x: jax.Array, w: jax.Array, stride: int = 1, pad: int = 0) -> jax.Array:
    return lax.conv_general_dilated(x, w, (stride, stride), [(pad, pad), (pad, pad)],
                                    dimension_numbers=("NCHW", "OIHW", "NCHW"))  # fmt: skip


def maxpool(x: jax.Array, k: int, s: int, pad: int = 0) -> jax.Array:
    pads = ((0, 0), (0, 0), (pad, pad), (pad, pad))
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, k, k), (1, 1, s, s), pads)


def bn(p: dict, aux: dict, new_aux: dict, x: jax.Array, k: str) -> jax.Array:
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    new_aux[k + ".m"] = MOMENTUM * aux[k + ".m"] + (1 - MOMENTUM) * mean
    new_aux[k + ".v"] = MOMENTUM * aux[k + ".v"] + (1 - MOMENTUM) * var
    scale = p[k + ".g"] * lax.rsqrt(var + 1e-5)
    return (x - mean[:, None, None]) * scale[:, None, None] + p[k + ".b"][:, None, None]


def resnet18_forward(p: dict, aux: dict, x: jax.Array) -> tuple[jax.Array, dict]:
    new_aux: dict = {}
    x = jax.nn.relu(bn(p, aux, new_aux, conv(x, p["conv0"], 2, 3), "bn0"))
    x = maxpool(x, 3, 2, 1)
    for stage in range(1, 5):
        for block in range(2):
            pre = f"s{stage}b{block}."
            stride = 2 if stage > 1 and block == 0 else 1
            h = jax.nn.relu(bn(p, aux, new_aux, conv(x, p[pre + "conv1"], stride, 1), pre + "bn1"))
            h = bn(p, aux, new_aux, conv(h, p[pre + "conv2"], 1, 1), pre + "bn2")
            if stride == 2:
                x = bn(p, aux, new_aux, conv(x, p[pre + "down"], 2, 0), pre + "downbn")
            x = jax.nn.relu(x + h)
    x = x.mean(axis=(2, 3))
    return x @ p["fc.w"].T + p["fc.b"], new_aux


def resnet18_shapes() -> dict[str, tuple[int, ...]]:
    """Shape of every raw ResNet-18 (1000 classes) parameter, by name."""
    chans = [64, 64, 128, 256, 512]
    shapes: dict[str, tuple[int, ...]] = {"conv0": (64, 3, 7, 7)}
    for s in ".g", ".b", ".m", ".v":
        shapes["bn0" + s] = (64,)
    for stage in range(1, 5):
        cout = chans[stage]
        for block in range(2):
            pre = f"s{stage}b{block}."
            cin = chans[stage - 1] if block == 0 else cout
            shapes[pre + "conv1"] = (cout, cin, 3, 3)
            shapes[pre + "conv2"] = (cout, cout, 3, 3)
            if stage > 1 and block == 0:
                shapes[pre + "down"] = (cout, cin, 1, 1)
            for bn_name in ("bn1", "bn2", "downbn"):
                for s in ".g", ".b", ".m", ".v":
                    shapes[pre + bn_name + s] = (cout,)
    shapes["fc.w"], shapes["fc.b"] = (1000, 512), (1000,)
    return {k: shapes[k] for k in resnet18_names()}


def resnet18_init(seed: int = 0) -> tuple[dict, dict]:
    """Fresh raw ResNet-18 parameters (He-normal convolutions) and BatchNorm statistics."""
    rng = np.random.default_rng(seed)
    params, aux = {}, {}
    for name, shape in resnet18_shapes().items():
        if name.endswith((".g", ".v")):
            value = np.ones(shape, np.float32)
        elif len(shape) == 1:
            value = np.zeros(shape, np.float32)
        else:
            fan = int(np.prod(shape[1:]))
            value = (rng.standard_normal(shape) * np.sqrt(2.0 / fan)).astype(np.float32)
        (aux if name.endswith((".m", ".v")) else params)[name] = jnp.asarray(value)
    return params, aux


def data(shape: tuple[int, ...], classes: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed input batch and integer labels (below ``min(classes, 10)``)."""
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = np.random.default_rng(1).integers(0, min(classes, 10), shape[0]).astype(np.int32)
    return x, y


def raw_step(
    params: dict, aux: dict, forward: Callable[..., Any], xs: np.ndarray, ys: np.ndarray,
    jit: bool = True,
) -> Callable[[], Any]:
    """``run() -> loss``: one training step of ``forward(p, aux, x) -> (logits, new aux)``, as
    one ``jax.jit`` function with donated buffers (``jit=True``) or with ``jax.value_and_grad``
    and the optax update run eagerly, op by op (``jit=False``). The arrays are copied first."""
    opt = tx()

    def loss_fn(p: dict, a: dict, x: jax.Array, y: jax.Array) -> tuple[jax.Array, dict]:
        logits, new_aux = forward(p, a, x)
        logp = jax.nn.log_softmax(logits)
        return -jnp.take_along_axis(logp, y[:, None], axis=1).mean(), new_aux

    def step(p: dict, s: Any, a: dict, x: jax.Array, y: jax.Array) -> tuple:
        (loss, a), g = jax.value_and_grad(loss_fn, has_aux=True)(p, a, x, y)
        updates, s = opt.update(g, s, p)
        return optax.apply_updates(p, updates), s, a, loss

    if jit:
        step = jax.jit(step, donate_argnums=(0, 1, 2))
    x, y = jnp.asarray(xs), jnp.asarray(ys)
    box = [jax.tree_util.tree_map(jnp.copy, params), None, jax.tree_util.tree_map(jnp.copy, aux)]
    box[1] = opt.init(box[0])

    def run() -> Any:
        box[0], box[1], box[2], loss = step(box[0], box[1], box[2], x, y)
        return loss

    return run
