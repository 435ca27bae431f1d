"""MXNet's ``_image_*`` operators (``mx.nd.image.to_tensor`` and friends), registered once in
the operator registry so that ``F._image_to_tensor(x)`` works eagerly and inside a hybridized
block. The bodies are the kernels of ``image.py`` run with ``jax.numpy``; the random ones draw
their factors from the key the engine supplies.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gluax._src.data.vision import image as im
from gluax._src.engine.registry import register


@register("_image_to_tensor")
def image_to_tensor(data: jax.Array) -> jax.Array:
    """HWC [0, 255] -> CHW float32 [0, 1]; NHWC -> NCHW."""
    return im.to_tensor(jnp, data)


@register("_image_normalize")
def image_normalize(data: jax.Array, *, mean: Any = 0.0, std: Any = 1.0) -> jax.Array:
    """``(data[c] - mean[c]) / std[c]`` on CHW or NCHW."""
    return im.normalize(jnp, data, mean, std)


@register("_image_resize")
def image_resize(
    data: jax.Array, *, size: Any = (), keep_ratio: bool = False, interp: int = 1
) -> jax.Array:
    """Resize HWC/NHWC to ``size`` = (W, H), or an int (short edge when ``keep_ratio``)."""
    return im.resize(jnp, data, size, keep_ratio, interp)


@register("_image_crop")
def image_crop(data: jax.Array, *, x: int, y: int, width: int, height: int) -> jax.Array:
    """The ``height`` x ``width`` window at column ``x``, row ``y`` of HWC/NHWC."""
    return im.crop(data, x, y, width, height)


@register("_image_flip_left_right")
def image_flip_left_right(data: jax.Array) -> jax.Array:
    im.check_image("flip_left_right", data.shape)
    return jnp.flip(data, axis=1)


@register("_image_flip_top_bottom")
def image_flip_top_bottom(data: jax.Array) -> jax.Array:
    im.check_image("flip_top_bottom", data.shape)
    return jnp.flip(data, axis=0)


@register("_image_random_flip_left_right", random=True, differentiable=False)
def image_random_flip_left_right(key: jax.Array, data: jax.Array) -> jax.Array:
    im.check_image("random_flip_left_right", data.shape)
    return jnp.where(jax.random.bernoulli(key), data, jnp.flip(data, axis=1))


@register("_image_random_flip_top_bottom", random=True, differentiable=False)
def image_random_flip_top_bottom(key: jax.Array, data: jax.Array) -> jax.Array:
    im.check_image("random_flip_top_bottom", data.shape)
    return jnp.where(jax.random.bernoulli(key), data, jnp.flip(data, axis=0))


def _factor(key: jax.Array, lo: float, hi: float) -> jax.Array:
    return jax.random.uniform(key, (), jnp.float32, lo, hi)


@register("_image_random_brightness", random=True, differentiable=False)
def image_random_brightness(
    key: jax.Array, data: jax.Array, *, min_factor: float, max_factor: float
) -> jax.Array:
    im.check_image("random_brightness", data.shape)
    return im.adjust_brightness(jnp, data, _factor(key, min_factor, max_factor))


@register("_image_random_contrast", random=True, differentiable=False)
def image_random_contrast(
    key: jax.Array, data: jax.Array, *, min_factor: float, max_factor: float
) -> jax.Array:
    im.check_image("random_contrast", data.shape)
    return im.adjust_contrast(jnp, data, _factor(key, min_factor, max_factor))


@register("_image_random_saturation", random=True, differentiable=False)
def image_random_saturation(
    key: jax.Array, data: jax.Array, *, min_factor: float, max_factor: float
) -> jax.Array:
    im.check_image("random_saturation", data.shape)
    return im.adjust_saturation(jnp, data, _factor(key, min_factor, max_factor))


@register("_image_random_hue", random=True, differentiable=False)
def image_random_hue(
    key: jax.Array, data: jax.Array, *, min_factor: float, max_factor: float
) -> jax.Array:
    im.check_image("random_hue", data.shape)
    return im.adjust_hue(jnp, data, _factor(key, min_factor, max_factor))


@register("_image_random_color_jitter", random=True, differentiable=False)
def image_random_color_jitter(
    key: jax.Array,
    data: jax.Array,
    *,
    brightness: float,
    contrast: float,
    saturation: float,
    hue: float,
) -> jax.Array:
    im.check_image("random_color_jitter", data.shape)
    k_order, *ks = jax.random.split(key, 5)
    amounts = (brightness, contrast, saturation, hue)
    alphas = [
        _factor(k, -a, a) + (1.0 if i < 3 else 0.0) for i, (k, a) in enumerate(zip(ks, amounts))
    ]
    order = jax.random.permutation(k_order, 4)
    # One loop over the four steps, each a switch on the drawn adjustment: four bodies to
    # compile instead of all sixteen (step, adjustment) pairs.
    branches = [
        (lambda y, k=k: im.ADJUST[k](jnp, y, alphas[k])) if a > 0 else (lambda y: y)
        for k, a in enumerate(amounts)
    ]
    return jax.lax.fori_loop(0, 4, lambda i, y: jax.lax.switch(order[i], branches, y), data)


@register("_image_adjust_lighting")
def image_adjust_lighting(data: jax.Array, *, alpha: Any) -> jax.Array:
    im.check_image("adjust_lighting", data.shape)
    return im.adjust_lighting(jnp, data, jnp.asarray(alpha, jnp.float32))


@register("_image_random_lighting", random=True, differentiable=False)
def image_random_lighting(key: jax.Array, data: jax.Array, *, alpha_std: float = 0.05) -> jax.Array:
    im.check_image("random_lighting", data.shape)
    return im.adjust_lighting(jnp, data, jax.random.normal(key, (3,), jnp.float32) * alpha_std)
