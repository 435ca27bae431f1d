"""MXNet operators that Gluon code in the wild calls and the operator families lacked: CTC loss,
the AMP finiteness checks, straight-through estimators, the gradient multiplier, and the
top-level spellings of the random samplers (``mx.nd.uniform``, ``mx.nd.random_normal``, ...).

Importing this module also installs the table of operators gluax deliberately does not
implement (``gluax._src.ops.absent``), so that asking for one of them says why.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax

from gluax._src.engine import registry
from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops import absent as absent  # noqa: F401  (installs the absent-operator table)
from gluax._src.ops import creation as _creation  # noqa: F401  (registers the samplers aliased)

# MXNet registers these names as aliases of one sampler each (nd.uniform is nd.random_uniform is
# nd._random_uniform); gluax's creation module registers the underscored names.
_SAMPLER_ALIASES = {
    "uniform": "_random_uniform",
    "random_uniform": "_random_uniform",
    "normal": "_random_normal",
    "random_normal": "_random_normal",
    "random_randint": "_random_randint",
    "random_exponential": "_random_exponential",
    "shuffle": "_shuffle",
}
for _alias, _target in _SAMPLER_ALIASES.items():
    # setdefault: if the creation module ever registers an alias itself, that one wins.
    registry.OPS.setdefault(_alias, registry.OPS[_target])


# ---- CTC loss --------------------------------------------------------------------------------


@register("CTCLoss", aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"))
def ctc_loss(
    data: jax.Array,
    label: jax.Array,
    data_lengths: jax.Array | None = None,
    label_lengths: jax.Array | None = None,
    *,
    use_data_lengths: bool = False,
    use_label_lengths: bool = False,
    blank_label: str = "first",
) -> jax.Array:
    """Connectionist Temporal Classification loss: ``-log p(label | data)`` per sequence.

    The probability sums over every alignment of the label to the frames (labels may repeat
    only with a blank between them); a softmax over the last axis of ``data`` is applied
    inside, so ``data`` holds unnormalized activations.

    Parameters
    ----------
    use_data_lengths : bool, default False
        Read each sequence's frame count from ``data_lengths``; otherwise all T frames count.
    use_label_lengths : bool, default False
        Read each label's length from ``label_lengths``; otherwise a label ends at its first
        padding value: ``0`` when ``blank_label='first'``, ``-1`` when ``'last'``.
    blank_label : {'first', 'last'}, default 'first'
        The blank is class 0 (labels are 1..C-1) or class C-1 (labels are 0..C-2).

    Inputs
    ------
    data : (T, N, C) activations, time-major.
    label : (N, L) class indices (any dtype), padded as described above.
    data_lengths : (N,), used when ``use_data_lengths``.
    label_lengths : (N,), used when ``use_label_lengths``.

    Outputs
    -------
    (N,) loss, in ``data``'s dtype.

    Raises
    ------
    OperatorError
        On a ``data`` that is not 3-D, a ``label`` that is not 2-D with N rows, an unknown
        ``blank_label``, or a missing length input that a ``use_*`` flag asks for.

    Examples
    --------
    >>> x = mx.nd.zeros((2, 1, 3))             # uniform over 3 classes at each of 2 frames
    >>> loss = mx.nd.CTCLoss(x, mx.nd.array([[1]]))
    >>> round(float(loss.asnumpy()[0]), 4)     # -log(3 alignments / 9)
    1.0986
    """
    if data.ndim != 3:
        raise OperatorError(f"CTCLoss: data must be 3-D (T, N, C), got shape {data.shape}.")
    t_len, batch, n_cls = data.shape
    if label.ndim != 2 or label.shape[0] != batch:
        raise OperatorError(
            f"CTCLoss: label must be 2-D (N, L) with N={batch}, got shape {label.shape}."
        )
    if blank_label not in ("first", "last"):
        raise OperatorError(f"CTCLoss: blank_label must be 'first' or 'last', got {blank_label!r}.")
    for flag, arr, what in ((use_data_lengths, data_lengths, "data_lengths"),
                            (use_label_lengths, label_lengths, "label_lengths")):
        if flag and arr is None:
            raise OperatorError(f"CTCLoss: use_{what}=True needs the {what} input.")
        if flag and arr.shape != (batch,):
            raise OperatorError(f"CTCLoss: {what} must have shape ({batch},), got {arr.shape}.")
    blank = 0 if blank_label == "first" else n_cls - 1
    lab = jnp.round(label).astype(jnp.int32) if jnp.issubdtype(label.dtype, jnp.inexact) \
        else label.astype(jnp.int32)
    pos = jnp.arange(lab.shape[1])
    if use_label_lengths:
        lab_pad = pos[None, :] >= label_lengths.astype(jnp.int32)[:, None]
    else:
        # MXNet ends a label at the first padding value; anything after it is ignored too.
        pad_value = 0 if blank_label == "first" else -1
        lab_pad = jnp.cumsum(lab == pad_value, axis=1) > 0
    if use_data_lengths:
        frame_pad = jnp.arange(t_len)[None, :] >= data_lengths.astype(jnp.int32)[:, None]
    else:
        frame_pad = jnp.zeros((batch, t_len), bool)
    logits = jnp.swapaxes(data, 0, 1).astype(jnp.float32)
    loss = optax.ctc_loss(
        logits,
        frame_pad.astype(jnp.float32),
        jnp.where(lab_pad, 0, jnp.clip(lab, 0, n_cls - 1)),
        lab_pad.astype(jnp.float32),
        blank_id=blank,
    )
    return loss.astype(data.dtype)


# ---- AMP finiteness checks -------------------------------------------------------------------


@register("all_finite", differentiable=False)
def all_finite(data: jax.Array, *, init_output: bool = True) -> jax.Array:
    """``[1.]`` if every element of ``data`` is finite, else ``[0.]`` (float32, shape (1,)).

    Notes
    -----
    ``init_output`` is accepted for MXNet's signature; the output is always computed afresh
    (MXNet's ``init_output=False`` only keeps a 0 already in an ``out=`` buffer).

    Examples
    --------
    >>> mx.nd.all_finite(mx.nd.array([1.0, float("inf")])).asnumpy()
    array([0.], dtype=float32)
    """
    return jnp.all(jnp.isfinite(data)).astype(jnp.float32).reshape(1)


@register("multi_all_finite", differentiable=False)
def multi_all_finite(*data: jax.Array, num_arrays: int = 1, init_output: bool = True) -> jax.Array:
    """``[1.]`` if every element of every input is finite, else ``[0.]`` (float32, shape (1,)).

    Parameters
    ----------
    num_arrays : int, default 1
        How many arrays follow (MXNet's count; it must match the inputs given).

    Raises
    ------
    OperatorError
        When ``num_arrays`` differs from the number of inputs.

    Examples
    --------
    >>> mx.nd.multi_all_finite(mx.nd.ones(2), mx.nd.zeros(3), num_arrays=2).asnumpy()
    array([1.], dtype=float32)
    """
    if num_arrays != len(data):
        raise OperatorError(
            f"multi_all_finite: num_arrays={num_arrays} but {len(data)} arrays were given."
        )
    ok = jnp.array(True)
    for d in data:
        ok = ok & jnp.all(jnp.isfinite(d))
    return ok.astype(jnp.float32).reshape(1)


# ---- gradient shaping: straight-through estimators and the gradient multiplier ---------------


def _straight_through(forward: Callable[[jax.Array], jax.Array]) -> Any:
    """``forward`` in the forward pass; the backward pass hands the head gradient through to
    the input unchanged."""

    @jax.custom_vjp
    def f(x: jax.Array) -> jax.Array:
        return forward(x)

    def fwd(x: jax.Array) -> tuple[jax.Array, None]:
        return forward(x), None

    def bwd(_: None, g: jax.Array) -> tuple[jax.Array]:
        return (g,)

    f.defvjp(fwd, bwd)
    return f


def _round_half_away(x: jax.Array) -> jax.Array:
    # MXNet's round (and so round_ste) rounds halves away from zero, not to even.
    return jnp.where(x >= 0, jnp.floor(x + 0.5), jnp.ceil(x - 0.5))


_ROUND_STE = _straight_through(_round_half_away)
_SIGN_STE = _straight_through(jnp.sign)


@register("_contrib_round_ste")
def round_ste(data: jax.Array) -> jax.Array:
    """Round half away from zero, with a straight-through gradient (the head gradient
    unchanged), as quantization-aware training uses.

    Examples
    --------
    >>> mx.nd._contrib_round_ste(mx.nd.array([-1.5, 0.4, 2.5])).asnumpy()
    array([-2.,  0.,  3.], dtype=float32)
    """
    return _ROUND_STE(data)


@register("_contrib_sign_ste")
def sign_ste(data: jax.Array) -> jax.Array:
    """Sign (-1, 0 or 1), with a straight-through gradient (the head gradient unchanged), as
    binarized networks use.

    Examples
    --------
    >>> mx.nd._contrib_sign_ste(mx.nd.array([-0.3, 0.0, 2.0])).asnumpy()
    array([-1.,  0.,  1.], dtype=float32)
    """
    return _SIGN_STE(data)


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def _identity_scaled(data: jax.Array, scalar: float) -> jax.Array:
    return data


def _identity_scaled_fwd(data: jax.Array, scalar: float) -> tuple[jax.Array, None]:
    return data, None


def _identity_scaled_bwd(scalar: float, _: None, g: jax.Array) -> tuple[jax.Array]:
    return (g * scalar,)


_identity_scaled.defvjp(_identity_scaled_fwd, _identity_scaled_bwd)


@register("_contrib_gradientmultiplier")
def gradientmultiplier(data: jax.Array, *, scalar: float = 1.0) -> jax.Array:
    """The identity in the forward pass; the backward pass multiplies the gradient by
    ``scalar`` (``scalar=-1`` is the gradient reversal layer of domain adaptation).

    Parameters
    ----------
    scalar : float, default 1.0
        Factor applied to the gradient.

    Examples
    --------
    >>> x = mx.nd.array([1.0, 2.0])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd._contrib_gradientmultiplier(x, scalar=-0.5)
    >>> y.backward()
    >>> x.grad.asnumpy()
    array([-0.5, -0.5], dtype=float32)
    """
    return _identity_scaled(data, float(scalar))
