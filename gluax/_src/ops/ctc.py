"""Connectionist Temporal Classification loss (``CTCLoss``), in log space with ``lax.scan``.

The forward variable ``alpha_t(s)`` runs over the label extended with blanks,
``z = (blank, l_1, blank, l_2, ..., l_L, blank)`` (``S = 2L + 1`` states):
``alpha_t(s) = y_t(z_s) * (alpha_{t-1}(s) + alpha_{t-1}(s-1) + [skip] alpha_{t-1}(s-2))``,
where the skip from ``s-2`` is allowed only onto a label that differs from the label two
states back (a repeated label needs a blank between its copies). ``p(l | x)`` is
``alpha_T(S-1) + alpha_T(S-2)``. Everything is in log space, and "log 0" is a large finite
negative number rather than ``-inf``, so no ``inf - inf`` ever appears.

The gradient is a ``jax.custom_vjp``, formed the way MXNet's warp-ctc kernel forms it: the
backward variable ``beta`` runs in the same scan as ``alpha`` (backward in time), and
``d loss / d data[t, n, c] = softmax(data)[t, n, c] - sum of alpha * beta / p over the
states of class c``. This is the exact gradient of the recursion above (a test checks it by
finite differences); it compiles faster and runs in one pass instead of reverse-mode through
the scan. The custom VJP supports ``jax.grad``/``jax.vjp``, not forward-mode ``jax.jvp``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register

# "log 0": finite, so that gradients through unreachable states are exact zeros, not NaN.
_LOG_ZERO = -1e30


def _logsumexp3(a: jax.Array, b: jax.Array, c: jax.Array) -> jax.Array:
    """``log(exp(a) + exp(b) + exp(c))`` elementwise, shifted by the (constant) maximum."""
    m = lax.stop_gradient(jnp.maximum(jnp.maximum(a, b), c))
    return m + jnp.log(jnp.exp(a - m) + jnp.exp(b - m) + jnp.exp(c - m))


def _check_lengths(name: str, arr: jax.Array | None, flag: bool, batch: int) -> None:
    if not flag:
        if arr is not None:
            raise OperatorError(
                f"CTCLoss: {name} was given but use_{name}=False; set use_{name}=True to use it."
            )
        return
    if arr is None:
        raise OperatorError(f"CTCLoss: use_{name}=True needs the {name} input, got none.")
    if arr.shape != (batch,):
        raise OperatorError(
            f"CTCLoss: {name} must have shape ({batch},) (one length per sequence), "
            f"got shape {tuple(arr.shape)}."
        )


def _emissions(logp: jax.Array, ext: jax.Array) -> jax.Array:
    """``logp[t, n, ext[n, s]]``, shape (T, N, S)."""
    return jnp.take_along_axis(logp, jnp.broadcast_to(ext[None], logp.shape[:2] + ext.shape[1:]), 2)


def _alpha_step(alpha: jax.Array, e: jax.Array, can_skip: jax.Array) -> jax.Array:
    """``alpha_t`` from ``alpha_{t-1}``: stay, advance one state, or skip a blank."""
    n = alpha.shape[-1]
    padded = jnp.pad(alpha, ((0, 0), (2, 0)), constant_values=_LOG_ZERO)
    skip = jnp.where(can_skip, padded[:, :n], _LOG_ZERO)
    return _logsumexp3(alpha, padded[:, 1 : n + 1], skip) + e


def _beta_step(beta: jax.Array, e: jax.Array, skip_in: jax.Array) -> jax.Array:
    """``beta_t`` from ``beta_{t+1}`` and frame ``t+1``'s emissions (the mirror of alpha);
    ``skip_in[s]`` says whether state ``s + 2`` may be reached from ``s`` by a skip."""
    u = beta + e
    n = u.shape[-1]
    padded = jnp.pad(u, ((0, 0), (0, 2)), constant_values=_LOG_ZERO)
    skip = jnp.where(skip_in, padded[:, 2:], _LOG_ZERO)
    return _logsumexp3(u, padded[:, 1 : n + 1], skip)


def _alpha0(batch: int, n_states: int, dtype: jnp.dtype) -> jax.Array:
    # Before the first frame all the mass sits on a virtual state that feeds states 0 and 1;
    # putting it on state 0 does exactly that (state 0 continues to 0 and 1, not beyond).
    return jnp.full((batch, n_states), _LOG_ZERO, dtype).at[:, 0].set(0.0)


def _log_likelihood(alpha: jax.Array, lab_len: jax.Array) -> jax.Array:
    """``log p``: the final alpha on the last label or the trailing blank."""
    states = jnp.arange(alpha.shape[-1])[None, :]
    last = 2 * lab_len[:, None]  # the trailing blank's state
    end_blank = jnp.sum(jnp.where(states == last, alpha, 0.0), axis=1)
    end_label = jnp.sum(jnp.where(states == last - 1, alpha, 0.0), axis=1)
    end_label = jnp.where(lab_len > 0, end_label, _LOG_ZERO)
    m = jnp.maximum(end_blank, end_label)
    return m + jnp.log(jnp.exp(end_blank - m) + jnp.exp(end_label - m))


@jax.custom_vjp
def _ctc_nll(
    data: jax.Array,
    ext: jax.Array,
    can_skip: jax.Array,
    lab_len: jax.Array,
    seq_len: jax.Array,
    fits: jax.Array,
) -> jax.Array:
    """The loss alone: one forward (alpha) scan."""
    emit = _emissions(jax.nn.log_softmax(data, axis=-1), ext)
    alpha0 = _alpha0(data.shape[1], ext.shape[1], data.dtype)

    def step(alpha: jax.Array, inp: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, None]:
        t, e = inp
        new = _alpha_step(alpha, e, can_skip)
        return jnp.where((t < seq_len)[:, None], new, alpha), None

    alpha, _ = lax.scan(step, alpha0, (jnp.arange(data.shape[0]), emit))
    # MXNet (warp-ctc) gives loss 0 to a label that cannot fit its frames.
    return jnp.where(fits, -_log_likelihood(alpha, lab_len), 0.0)


def _ctc_nll_fwd(
    data: jax.Array,
    ext: jax.Array,
    can_skip: jax.Array,
    lab_len: jax.Array,
    seq_len: jax.Array,
    fits: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """The loss and its gradient w.r.t. ``data`` together, as MXNet's kernel computes them:
    alpha and beta in one scan (alpha forward in time, beta backward), then
    ``grad = softmax(data) - posterior of each class`` on every frame inside the sequence."""
    t_max, batch, _ = data.shape
    n_states = ext.shape[1]
    logp = jax.nn.log_softmax(data, axis=-1)
    emit = _emissions(logp, ext)
    # beta_{T_b - 1} is 1 on the last label and the trailing blank; frame t+1 feeds beta_t.
    states = jnp.arange(n_states)[None, :]
    last = 2 * lab_len[:, None]
    beta_end = jnp.where((states == last) | (states == last - 1), 0.0, _LOG_ZERO).astype(data.dtype)
    emit_next = jnp.concatenate([emit[1:], jnp.zeros_like(emit[:1])], axis=0)
    times = jnp.arange(t_max)
    skip_in = jnp.pad(can_skip[:, 2:], ((0, 0), (0, 2)))

    def step(
        carry: tuple[jax.Array, jax.Array], inp: tuple[jax.Array, jax.Array, jax.Array, jax.Array]
    ) -> tuple[tuple[jax.Array, jax.Array], tuple[jax.Array, jax.Array]]:
        alpha, beta = carry
        t, e, tb, e_next = inp
        alpha = jnp.where((t < seq_len)[:, None], _alpha_step(alpha, e, can_skip), alpha)
        beta = jnp.where((tb >= seq_len - 1)[:, None], beta_end, _beta_step(beta, e_next, skip_in))
        return (alpha, beta), (alpha, beta)

    xs = (times, emit, times[::-1], emit_next[::-1])
    init = (_alpha0(batch, n_states, data.dtype), beta_end)
    (alpha, _), (alphas, betas) = lax.scan(step, init, xs)
    betas = betas[::-1]
    log_p = _log_likelihood(alpha, lab_len)
    inside = (times[:, None] < seq_len[None, :]) & fits[None, :]  # (T, N)
    log_post = jnp.where(inside[..., None], alphas + betas - log_p[None, :, None], _LOG_ZERO)
    # Sum the state posteriors into their classes (a blank or a repeated label has several).
    t_idx, n_idx = jnp.arange(t_max)[:, None, None], jnp.arange(batch)[None, :, None]
    posterior = jnp.zeros_like(data).at[t_idx, n_idx, ext[None]].add(jnp.exp(log_post))
    grad = jnp.where(inside[..., None], jnp.exp(logp) - posterior, 0.0)
    return jnp.where(fits, -log_p, 0.0), grad


def _ctc_nll_bwd(grad: jax.Array, g: jax.Array) -> tuple[jax.Array | None, ...]:
    return (g[None, :, None] * grad, None, None, None, None, None)


_ctc_nll.defvjp(_ctc_nll_fwd, _ctc_nll_bwd)


@register("CTCLoss", aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"), remat=False)
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
    """Connectionist Temporal Classification loss, ``-log p(label | data)`` per sequence.

    ``p(label | data)`` sums, over every frame-by-frame alignment that collapses to ``label``
    (merge repeats, then drop blanks), the product of the per-frame softmax probabilities of
    ``data``. A label that repeats a class needs a blank frame between the copies.

    Parameters
    ----------
    use_data_lengths : bool, default False
        Read each sequence's frame count from ``data_lengths``; otherwise every sequence has
        all ``T`` frames. Frames past a sequence's length get a zero gradient.
    use_label_lengths : bool, default False
        Read each label's length from ``label_lengths``; otherwise a label ends at the first
        padding value (``0`` when ``blank_label='first'``, ``-1`` when ``'last'``) and
        everything after it is ignored.
    blank_label : {'first', 'last'}, default 'first'
        ``'first'``: the blank is class 0 and labels are ``1 .. C-1``. ``'last'``: the blank
        is class ``C-1`` and labels are ``0 .. C-2``.

    Inputs
    ------
    data : (T, N, C) unnormalized activations (a softmax over C is applied inside).
    label : (N, L) class indices, any dtype (float values are truncated), ``L <= T``.
    data_lengths : (N,), only with ``use_data_lengths=True``.
    label_lengths : (N,), only with ``use_label_lengths=True``. As in MXNet, when
        ``use_data_lengths=False`` it may also be given as the third positional input.

    Outputs
    -------
    (N,) negative log-likelihood, in ``data``'s dtype.

    Raises
    ------
    OperatorError
        ``data`` not 3-D; ``label`` not 2-D, with a batch other than ``data``'s, or longer
        than ``T``; an unknown ``blank_label``; a length input missing, of the wrong shape,
        or given while its ``use_*`` flag is off.

    Notes
    -----
    As MXNet 1.9.1 (its CPU warp-ctc kernel): a label that cannot fit its sequence
    (label length plus the number of adjacent repeats exceeds the frame count) gets loss 0 and
    a zero gradient (MXNet leaves that gradient unwritten). On a zero-length sequence MXNet's
    kernel has no defined result; gluax gives 0 (an empty label has probability 1). Label values
    outside ``[0, C)`` are clipped (MXNet reads out of bounds). MXNet accepts only float32
    ``data``; gluax computes float16/bfloat16 in float32 and float64 in float64.

    Examples
    --------
    >>> x = mx.nd.zeros((2, 1, 3))           # uniform over 3 classes at each of 2 frames
    >>> loss = mx.nd.CTCLoss(x, mx.nd.array([[1]]))
    >>> round(float(loss.asnumpy()[0]), 4)   # 3 of the 9 paths give "1": -log(1/3)
    1.0986
    """
    if data.ndim != 3:
        raise OperatorError(f"CTCLoss: data must be 3-D (T, N, C), got shape {tuple(data.shape)}.")
    t_max, batch, n_cls = data.shape
    if label.ndim != 2 or label.shape[0] != batch:
        raise OperatorError(
            f"CTCLoss: label must be 2-D (N, L) with the data's batch size N={batch}, got label "
            f"shape {tuple(label.shape)} for data shape {tuple(data.shape)}."
        )
    l_max = label.shape[1]
    if l_max > t_max:
        raise OperatorError(
            f"CTCLoss: the label length L={l_max} cannot exceed the sequence length T={t_max} "
            f"(label shape {tuple(label.shape)}, data shape {tuple(data.shape)})."
        )
    if blank_label not in ("first", "last"):
        raise OperatorError(f"CTCLoss: blank_label must be 'first' or 'last', got {blank_label!r}.")
    if use_label_lengths and not use_data_lengths and label_lengths is None:
        # MXNet's inputs are positional: without data lengths the third one is label_lengths.
        data_lengths, label_lengths = None, data_lengths
    _check_lengths("data_lengths", data_lengths, use_data_lengths, batch)
    _check_lengths("label_lengths", label_lengths, use_label_lengths, batch)

    ctype = jnp.float64 if data.dtype == jnp.float64 else jnp.float32
    blank = 0 if blank_label == "first" else n_cls - 1
    lab = label.astype(jnp.int32)  # MXNet casts label values to int (truncation)
    if use_label_lengths:
        lab_len = jnp.clip(label_lengths.astype(jnp.int32), 0, l_max)
    else:
        pad_value = 0 if blank_label == "first" else -1
        lab_len = jnp.sum(jnp.cumsum(lab == pad_value, axis=1) == 0, axis=1)
    if use_data_lengths:
        seq_len = jnp.clip(data_lengths.astype(jnp.int32), 0, t_max)
    else:
        seq_len = jnp.full((batch,), t_max, jnp.int32)
    pos = jnp.arange(l_max)
    lab = jnp.where(pos[None, :] < lab_len[:, None], jnp.clip(lab, 0, n_cls - 1), blank)

    # Extended label z (N, S): blanks at even states, the label at odd ones.
    n_states = 2 * l_max + 1
    ext = jnp.full((batch, n_states), blank, jnp.int32).at[:, 1::2].set(lab)
    prev2 = jnp.concatenate([jnp.full((batch, 2), -1, jnp.int32), ext[:, :-2]], axis=1)
    can_skip = (ext != blank) & (ext != prev2)

    repeats = jnp.sum((lab[:, 1:] == lab[:, :-1]) & (pos[None, 1:] < lab_len[:, None]), axis=1)
    fits = lab_len + repeats <= seq_len
    nll = _ctc_nll(data.astype(ctype), ext, can_skip, lab_len, seq_len, fits)
    return nll.astype(data.dtype)
