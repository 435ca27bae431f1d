"""MXNet's output (loss) layers: SoftmaxOutput, LinearRegressionOutput,
LogisticRegressionOutput, MAERegressionOutput, MakeLoss; and SoftmaxActivation,
softmax_cross_entropy.

The ``*Output`` operators and ``MakeLoss`` ignore the gradient that arrives from above (as in
MXNet, where they end a Module's graph): their backward emits the loss gradient itself, e.g.
``grad_scale * (softmax(x) - onehot(label))``. ``backward()`` on their output therefore
trains the network below them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import legacy_shape


@jax.custom_vjp
def _emit(data: jax.Array, out: jax.Array, grad: jax.Array) -> jax.Array:
    """``out``, whose gradient with respect to ``data`` is ``grad`` whatever the head gradient."""
    return out


def _emit_fwd(data: jax.Array, out: jax.Array, grad: jax.Array) -> tuple[jax.Array, jax.Array]:
    return out, grad


def _emit_bwd(grad: jax.Array, ct: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    return grad, jnp.zeros_like(grad), jnp.zeros_like(grad)


_emit.defvjp(_emit_fwd, _emit_bwd)


@jax.custom_vjp
def _emit_scaled(data: jax.Array, out: jax.Array, grad: jax.Array) -> jax.Array:
    """``out``, whose gradient with respect to ``data`` is ``grad * head_gradient``."""
    return out


def _emit_scaled_bwd(grad: jax.Array, ct: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    return grad * ct, jnp.zeros_like(grad), jnp.zeros_like(grad)


_emit_scaled.defvjp(_emit_fwd, _emit_scaled_bwd)


def _smoothed_onehot(
    label: jax.Array, k: int, axis: int, ndim: int, alpha: float, dtype: jnp.dtype
) -> jax.Array:
    idx = label.astype(jnp.int32)
    shape = [1] * ndim
    shape[axis] = k
    hit = jnp.expand_dims(idx, axis) == jnp.arange(k, dtype=jnp.int32).reshape(shape)
    if alpha == 0.0:
        return hit.astype(dtype)
    return jnp.where(hit, 1.0 - alpha, alpha / (k - 1)).astype(dtype)


@register("SoftmaxOutput", aliases=("Softmax",))
def softmax_output(
    data: jax.Array,
    label: jax.Array,
    *,
    grad_scale: float = 1.0,
    ignore_label: float = -1.0,
    multi_output: bool = False,
    use_ignore: bool = False,
    preserve_shape: bool = False,
    normalization: str = "null",
    out_grad: bool = False,
    smooth_alpha: float = 0.0,
) -> jax.Array:
    """Softmax forward; backward ``grad_scale * (softmax(data) - onehot(label))``, ignoring
    the head gradient (unless ``out_grad``, which multiplies by it).

    Classes lie on axis 1 of ``(N, C)`` data (all axes but the first are flattened into
    classes); with ``multi_output`` on axis 1 of ``(N, C, d1, ...)`` with labels
    ``(N, d1, ...)``; with ``preserve_shape`` on the last axis with labels
    ``data.shape[:-1]``. A label of ``data``'s shape is a probability target:
    ``grad_scale * (softmax - label)``.

    ``use_ignore`` zeroes the gradient where ``label == ignore_label``; ``normalization``
    divides it by 1 (``'null'``), the batch size (``'batch'``) or the number of labels not
    ignored (``'valid'``); with ``multi_output``, ``'null'`` and ``'batch'`` also divide by
    the number of positions ``d1 * ...``, as MXNet. ``smooth_alpha`` moves that much target
    mass from the true class to the others, evenly.
    """
    if normalization not in ("null", "batch", "valid"):
        raise OperatorError(
            f"SoftmaxOutput: normalization must be 'null', 'batch' or 'valid', got {normalization!r}."
        )
    n = data.shape[0]
    if preserve_shape:
        axis, x = data.ndim - 1, data
    elif multi_output:
        axis, x = 1, data
    else:
        axis, x = 1, data.reshape(n, -1)
    out = jax.nn.softmax(lax.stop_gradient(x), axis=axis)
    lab = lax.stop_gradient(label)
    if tuple(label.shape) == tuple(data.shape):
        grad = (out - lab.reshape(out.shape)) * grad_scale
    else:
        k = x.shape[axis]
        expected = tuple(x.shape[:axis]) + tuple(x.shape[axis + 1 :])
        if multi_output and lab.size == int(np.prod(expected)):
            lab = lab.reshape(expected)  # MXNet also takes (N, d1*...) and (N, 1, d1, ...)
        if tuple(lab.shape) != expected:
            raise OperatorError(
                f"SoftmaxOutput: label of shape {tuple(label.shape)} does not match data of shape "
                f"{tuple(data.shape)}; expected {expected} (or data's shape for probabilities)."
            )
        grad = out - _smoothed_onehot(lab, k, axis, x.ndim, smooth_alpha, out.dtype)
        valid = lab.astype(jnp.int32) != int(ignore_label)
        if use_ignore:
            grad = grad * jnp.expand_dims(valid, axis).astype(grad.dtype)
        scale = grad_scale
        if normalization == "batch":
            scale = scale / n
        elif normalization == "valid":
            scale = scale / jnp.maximum(jnp.sum(valid), 1).astype(grad.dtype)
        if multi_output and normalization != "valid":
            scale = scale / (lab.size // n)
        grad = grad * scale
    emit = _emit_scaled if out_grad else _emit
    return emit(data, out.reshape(data.shape), grad.reshape(data.shape).astype(data.dtype))


def _regression(
    op: str,
    data: jax.Array,
    label: jax.Array,
    grad_scale: float,
    out: jax.Array,
    diff: jax.Array | None = None,
) -> jax.Array:
    if label.size != data.size:
        raise OperatorError(
            f"{op}: label of shape {tuple(label.shape)} must have as many elements as data of shape {tuple(data.shape)}."
        )
    lab = lax.stop_gradient(label).reshape(data.shape).astype(data.dtype)
    per_sample = data.size // data.shape[0] if data.ndim else 1
    d = out - lab if diff is None else diff(out - lab)
    return _emit(data, out, d * (grad_scale / per_sample))


@register("LinearRegressionOutput")
def linear_regression_output(
    data: jax.Array, label: jax.Array, *, grad_scale: float = 1.0
) -> jax.Array:
    """Identity forward; backward ``grad_scale * (data - label) / m`` (``m`` outputs per
    sample), ignoring the head gradient."""
    return _regression("LinearRegressionOutput", data, label, grad_scale, lax.stop_gradient(data))


@register("LogisticRegressionOutput")
def logistic_regression_output(
    data: jax.Array, label: jax.Array, *, grad_scale: float = 1.0
) -> jax.Array:
    """``sigmoid(data)`` forward; backward ``grad_scale * (sigmoid(data) - label) / m``,
    ignoring the head gradient."""
    return _regression(
        "LogisticRegressionOutput", data, label, grad_scale, jax.nn.sigmoid(lax.stop_gradient(data))
    )


@register("MAERegressionOutput")
def mae_regression_output(
    data: jax.Array, label: jax.Array, *, grad_scale: float = 1.0
) -> jax.Array:
    """Identity forward; backward ``grad_scale * sign(data - label) / m``, ignoring the head
    gradient."""
    return _regression(
        "MAERegressionOutput", data, label, grad_scale, lax.stop_gradient(data), jnp.sign
    )


@register("MakeLoss", aliases=("make_loss",))
def make_loss(
    data: jax.Array,
    *,
    grad_scale: float = 1.0,
    valid_thresh: float = 0.0,
    normalization: str = "null",
) -> jax.Array:
    """Identity forward whose backward is the constant ``grad_scale`` (divided by the batch
    size for ``'batch'``, by the number of elements above ``valid_thresh`` for ``'valid'``),
    ignoring the head gradient: makes any expression a loss to call ``backward()`` on."""
    if normalization not in ("null", "batch", "valid"):
        raise OperatorError(
            f"MakeLoss: normalization must be 'null', 'batch' or 'valid', got {normalization!r}."
        )
    x = lax.stop_gradient(data)
    scale = grad_scale
    if normalization == "batch":
        scale = scale / data.shape[0]
    elif normalization == "valid":
        scale = scale / jnp.maximum(jnp.sum(x > valid_thresh), 1).astype(data.dtype)
    return _emit(data, x, jnp.full(data.shape, scale, data.dtype))


@register("SoftmaxActivation")
def softmax_activation(data: jax.Array, *, mode: str = "instance") -> jax.Array:
    """Softmax over the last axis (``mode='instance'``; for ``(N, C)`` data, over each
    sample) or over axis 1 at each position (``mode='channel'``)."""
    if mode == "channel":
        return jax.nn.softmax(data, axis=1)
    if mode != "instance":
        raise OperatorError(
            f"SoftmaxActivation: mode must be 'instance' or 'channel', got {mode!r}."
        )
    return jax.nn.softmax(data, axis=-1)


@register("softmax_cross_entropy")
def softmax_cross_entropy(data: jax.Array, label: jax.Array) -> jax.Array:
    """``sum_i -log(softmax(data[i])[label[i]])`` over the batch of ``(N, C)`` data, shape
    (1,)."""
    if data.ndim != 2 or tuple(label.shape) != (data.shape[0],):
        raise OperatorError(
            f"softmax_cross_entropy: expected (N, C) data and (N,) labels, got {tuple(data.shape)} and {tuple(label.shape)}."
        )
    logp = jax.nn.log_softmax(data, axis=1)
    idx = lax.stop_gradient(label).astype(jnp.int32)
    return legacy_shape(-jnp.sum(jnp.take_along_axis(logp, idx[:, None], axis=1)))
