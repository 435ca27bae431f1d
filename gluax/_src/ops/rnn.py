"""Recurrent operators: the fused ``RNN`` (vanilla RNN, LSTM, GRU over all layers and both
directions) and the sequence helpers ``SequenceMask``, ``SequenceLast``, ``SequenceReverse``.

The time loop of every stacked layer is one ``jax.lax.scan`` that carries both directions (the
reverse one reads time backwards); the input projections of all time steps are computed
before the loop in one matrix product. ``RNN`` takes MXNet's packed
parameter vector; ``_fused_rnn`` takes the weights one by one (what ``gluon.rnn`` layers call,
so that an eager layer call is a single compiled operator with no packing step).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.engine.state import step_lengths

GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


# ---- sequence helpers ---------------------------------------------------------------------


def _lengths(op: str, sequence_length: jax.Array | None, batch: int) -> jax.Array:
    if sequence_length is None:
        raise OperatorError(f"{op}: use_sequence_length=True needs a sequence_length input.")
    if tuple(sequence_length.shape) != (batch,):
        raise OperatorError(
            f"{op}: expected sequence_length of shape ({batch},) (one length per batch "
            f"element), got {tuple(sequence_length.shape)}."
        )
    return lax.stop_gradient(sequence_length).astype(jnp.int32)


def _time_axis(op: str, data: jax.Array, axis: int) -> int:
    if data.ndim < 2:
        raise OperatorError(
            f"{op}: expected data with at least 2 dims (time and batch), got shape "
            f"{tuple(data.shape)}."
        )
    if axis not in (0, 1):
        raise OperatorError(f"{op}: axis must be 0 or 1 (the time axis), got {axis}.")
    return axis


def _valid_mask(lengths: jax.Array, steps: int, axis: int, ndim: int) -> jax.Array:
    """Boolean mask, True where the time index is below the length, broadcastable to data."""
    t = jnp.arange(steps, dtype=jnp.int32)
    m = t[:, None] < lengths[None, :] if axis == 0 else lengths[:, None] > t[None, :]
    return m.reshape(m.shape + (1,) * (ndim - 2))


@register("SequenceMask")
def sequence_mask(
    data: jax.Array,
    sequence_length: jax.Array | None = None,
    *,
    use_sequence_length: bool = False,
    value: float = 0.0,
    axis: int = 0,
) -> jax.Array:
    """Set the steps past each sequence's length to ``value``.

    ``data`` is ``(T, N, ...)`` for ``axis=0`` or ``(N, T, ...)`` for ``axis=1``;
    ``sequence_length`` is ``(N,)``. Without ``use_sequence_length`` the data pass unchanged.
    """
    ax = _time_axis("SequenceMask", data, axis)
    if not use_sequence_length:
        return data
    lengths = _lengths("SequenceMask", sequence_length, data.shape[1 - ax])
    keep = _valid_mask(lengths, data.shape[ax], ax, data.ndim)
    return jnp.where(keep, data, jnp.asarray(value, data.dtype))


@register("SequenceLast")
def sequence_last(
    data: jax.Array,
    sequence_length: jax.Array | None = None,
    *,
    use_sequence_length: bool = False,
    axis: int = 0,
) -> jax.Array:
    """The last valid step of each sequence: ``data[length - 1]`` along ``axis`` per batch
    element (the final step without ``use_sequence_length``). The time axis is removed."""
    ax = _time_axis("SequenceLast", data, axis)
    if not use_sequence_length:
        return lax.index_in_dim(data, data.shape[ax] - 1, ax, keepdims=False)
    batch = data.shape[1 - ax]
    idx = jnp.clip(_lengths("SequenceLast", sequence_length, batch) - 1, 0, data.shape[ax] - 1)
    time_major = data if ax == 0 else jnp.swapaxes(data, 0, 1)
    return time_major[idx, jnp.arange(batch)]


def reverse_valid(data: jax.Array, lengths: jax.Array) -> jax.Array:
    """Reverse each sequence of time-major ``data`` within its length; the padding past the
    length stays in place. Applying it twice gives ``data`` back."""
    steps = data.shape[0]
    t = jnp.arange(steps, dtype=jnp.int32)[:, None]
    src = jnp.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)
    return jnp.take_along_axis(data, src.reshape(src.shape + (1,) * (data.ndim - 2)), axis=0)


@register("SequenceReverse")
def sequence_reverse(
    data: jax.Array,
    sequence_length: jax.Array | None = None,
    *,
    use_sequence_length: bool = False,
    axis: int = 0,
) -> jax.Array:
    """Reverse time-major ``data`` (``(T, N, ...)``) along time; with ``use_sequence_length``
    only the first ``length`` steps of each sequence are reversed and the padding stays."""
    if axis != 0:
        raise OperatorError(f"SequenceReverse: only axis=0 is supported (as in MXNet), got {axis}.")
    _time_axis("SequenceReverse", data, axis)
    if not use_sequence_length:
        return jnp.flip(data, 0)
    return reverse_valid(data, _lengths("SequenceReverse", sequence_length, data.shape[1]))


# ---- the fused recurrent network ----------------------------------------------------------


class _Config(NamedTuple):
    mode: str
    num_layers: int
    dirs: int
    hidden: int
    proj: int | None
    clip: tuple[float, float] | None
    clip_nan: bool


def _config(
    op: str,
    mode: str,
    num_layers: int,
    bidirectional: bool,
    state_size: int,
    projection_size: int | None,
    clip_min: float | None,
    clip_max: float | None,
    clip_nan: bool,
) -> _Config:
    if mode not in GATES:
        raise OperatorError(f"{op}: mode must be one of {sorted(GATES)}, got {mode!r}.")
    if num_layers < 1 or state_size < 1:
        raise OperatorError(
            f"{op}: num_layers and state_size must be positive, got num_layers={num_layers}, "
            f"state_size={state_size}."
        )
    proj = projection_size or None
    if proj is not None and mode != "lstm":
        raise OperatorError(f"{op}: projection_size is only supported with mode='lstm'.")
    clip = None
    if clip_min is not None or clip_max is not None:
        if mode != "lstm":
            raise OperatorError(f"{op}: lstm_state_clip_min/max need mode='lstm'.")
        if clip_min is None or clip_max is None or clip_min > clip_max:
            raise OperatorError(
                f"{op}: lstm_state_clip_min and lstm_state_clip_max must both be given with "
                f"min <= max, got ({clip_min}, {clip_max})."
            )
        clip = (float(clip_min), float(clip_max))
    return _Config(
        mode, int(num_layers), 2 if bidirectional else 1, int(state_size), proj, clip, clip_nan
    )


def _weight_shapes(cfg: _Config, input_size: int) -> list[list[tuple[str, tuple[int, ...]]]]:
    """Per (layer, direction), layer-major: the weight names and shapes MXNet uses."""
    g, h = GATES[cfg.mode] * cfg.hidden, cfg.hidden
    r = cfg.proj or h
    out = []
    ni = input_size
    for _ in range(cfg.num_layers):
        for _ in range(cfg.dirs):
            shapes = [
                ("i2h_weight", (g, ni)),
                ("h2h_weight", (g, r)),
                ("i2h_bias", (g,)),
                ("h2h_bias", (g,)),
            ]
            if cfg.proj is not None:
                shapes.append(("h2r_weight", (cfg.proj, h)))
            out.append(shapes)
        ni = r * cfg.dirs
    return out


def _clip_cell(c: jax.Array, cfg: _Config) -> jax.Array:
    lo, hi = cfg.clip  # type: ignore[misc]
    if cfg.clip_nan:
        # cuDNN's NOT_PROPAGATE_NAN clipping: fmax/fmin send NaN to the lower bound.
        return jnp.fmin(jnp.fmax(c, lo), hi)
    return jnp.clip(c, lo, hi)


def _layer(
    cfg: _Config,
    x: jax.Array,
    h0: jax.Array,
    c0: jax.Array | None,
    ws: list[dict[str, jax.Array]],
    lengths: jax.Array | None,
) -> tuple[jax.Array, jax.Array, jax.Array | None]:
    """One layer, all its directions in one ``scan`` over time-major ``x`` ``(T, N, C)``.
    ``h0``/``c0`` are ``(D, N, .)``; returns (outputs ``(T, N, D*R)``, last h, last c)."""
    dirs = len(ws)
    stack = {k: jnp.stack([w[k] for w in ws]) for k in ws[0]}
    # The input projections of every step at once: (D, T, N, G).
    xw = jnp.einsum("tnc,dgc->dtng", x, stack["i2h_weight"]) + stack["i2h_bias"][:, None, None]
    if dirs == 2:
        # The reverse direction reads time backwards (within each length when given).
        back = jnp.flip(xw[1], 0) if lengths is None else reverse_valid(xw[1], lengths)
        xw = jnp.stack([xw[0], back])
    valid = None if lengths is None else _valid_mask(lengths, x.shape[0], 0, 3)
    wh, bh, wr = stack["h2h_weight"], stack["h2h_bias"][:, None], stack.get("h2r_weight")
    mode = cfg.mode

    def step(carry: Any, inp: Any) -> Any:
        h, c = carry
        xg, m = inp
        hg = jnp.einsum("dnr,dgr->dng", h, wh) + bh
        if mode == "lstm":
            i, f, g, o = jnp.split(xg + hg, 4, axis=-1)
            c_new = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            if cfg.clip is not None:
                c_new = _clip_cell(c_new, cfg)
            h_new = jax.nn.sigmoid(o) * jnp.tanh(c_new)
            if wr is not None:
                h_new = jnp.einsum("dnh,dph->dnp", h_new, wr)
        elif mode == "gru":
            xr, xz, xn = jnp.split(xg, 3, axis=-1)
            hr, hz, hn = jnp.split(hg, 3, axis=-1)
            r = jax.nn.sigmoid(xr + hr)
            z = jax.nn.sigmoid(xz + hz)
            n = jnp.tanh(xn + r * hn)  # the reset gate acts after the h2h product (cuDNN)
            h_new, c_new = (1.0 - z) * n + z * h, c
        else:
            pre = xg + hg
            h_new = jnp.maximum(pre, 0) if mode == "rnn_relu" else jnp.tanh(pre)
            c_new = c
        if m is None:
            return (h_new, c_new), h_new
        # Past a sequence's length the state is carried unchanged and the output is zero.
        h_new = jnp.where(m, h_new, h)
        c_new = c_new if c is None else jnp.where(m, c_new, c)
        return (h_new, c_new), jnp.where(m, h_new, jnp.zeros((), h_new.dtype))

    (h_last, c_last), ys = lax.scan(step, (h0, c0), (jnp.swapaxes(xw, 0, 1), valid))
    outs = [ys[:, 0]]  # ys: (T, D, N, R)
    if dirs == 2:
        outs.append(jnp.flip(ys[:, 1], 0) if lengths is None else reverse_valid(ys[:, 1], lengths))
    return (outs[0] if dirs == 1 else jnp.concatenate(outs, axis=-1)), h_last, c_last


def _dropout(key: jax.Array, x: jax.Array, p: float) -> jax.Array:
    keep = jax.random.bernoulli(key, 1.0 - p, x.shape)
    scale = np.asarray(1.0 / (1.0 - p) if p < 1 else 0.0, dtype=x.dtype)
    return jnp.where(keep, x * scale, jnp.zeros((), x.dtype))


def _check_states(
    op: str,
    cfg: _Config,
    x: jax.Array,
    state: jax.Array,
    state_cell: jax.Array | None,
) -> None:
    if x.ndim != 3:
        raise OperatorError(
            f"{op}: expected time-major data (sequence_length, batch_size, input_size) with 3 "
            f"dims, got shape {tuple(x.shape)}."
        )
    n = x.shape[1]
    ld = cfg.num_layers * cfg.dirs
    want = (ld, n, cfg.proj or cfg.hidden)
    if tuple(state.shape) != want:
        raise OperatorError(
            f"{op}: expected state of shape {want} (num_layers*directions, batch, "
            f"{'projection_size' if cfg.proj else 'state_size'}), got {tuple(state.shape)}."
        )
    if cfg.mode == "lstm":
        want_c = (ld, n, cfg.hidden)
        if state_cell is None or tuple(state_cell.shape) != want_c:
            got = None if state_cell is None else tuple(state_cell.shape)
            raise OperatorError(f"{op}: mode 'lstm' needs state_cell of shape {want_c}, got {got}.")


def run_rnn(
    cfg: _Config,
    key: jax.Array,
    x: jax.Array,
    state: jax.Array,
    state_cell: jax.Array | None,
    sequence_length: jax.Array | None,
    weights: list[dict[str, jax.Array]],
    p: float,
    training: bool,
) -> list[jax.Array]:
    """The fused network on time-major ``x``: ``[out, hy]`` (``[out, hy, cy]`` for LSTM)."""
    lengths = None if sequence_length is None else _lengths("RNN", sequence_length, x.shape[1])
    padded = step_lengths(x.shape[1])  # hybridize(bucket_time=...): the real number of steps
    if padded is not None:
        lengths = padded if lengths is None else jnp.minimum(lengths, padded)
    drop = p > 0 and training
    keys = jax.random.split(key, cfg.num_layers) if drop else None
    hs, cs = [], []
    inp = x
    d = cfg.dirs
    for layer in range(cfg.num_layers):
        ks = slice(layer * d, (layer + 1) * d)
        c0 = state_cell[ks] if state_cell is not None else None
        inp, h, c = _layer(cfg, inp, state[ks], c0, weights[ks], lengths)
        hs.append(h)
        cs.append(c)
        if drop and layer < cfg.num_layers - 1:
            inp = _dropout(keys[layer], inp, p)  # type: ignore[index]
    result = [inp, jnp.concatenate(hs)]
    if cfg.mode == "lstm":
        result.append(jnp.concatenate(cs))  # type: ignore[arg-type]
    return result


def _needs_key(attrs: dict[str, Any]) -> bool:
    return attrs.get("p", 0.0) > 0 and attrs["training"]


@register("RNN", random=True, mode_dependent=True, needs_key=_needs_key, remat=False)
def rnn(
    key: jax.Array,
    data: jax.Array,
    parameters: jax.Array,
    state: jax.Array,
    state_cell: jax.Array | None = None,
    sequence_length: jax.Array | None = None,
    *,
    state_size: int,
    num_layers: int,
    mode: str,
    bidirectional: bool = False,
    p: float = 0.0,
    state_outputs: bool = False,
    projection_size: int | None = None,
    lstm_state_clip_min: float | None = None,
    lstm_state_clip_max: float | None = None,
    lstm_state_clip_nan: bool = False,
    use_sequence_length: bool = False,
    cudnn_off: bool = False,
    training: bool,
) -> Any:
    """Fused multi-layer RNN (``mode`` 'rnn_relu', 'rnn_tanh', 'lstm' or 'gru') on time-major
    ``data`` ``(T, N, C)`` with MXNet's packed ``parameters``: all weights first (per layer,
    per direction: i2h, h2h[, h2r]), then all biases (i2h, h2h), each flattened.

    LSTM gates are ordered ``[i, f, c, o]``; GRU gates ``[r, z, n]`` with
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` and ``h' = (1 - z) * n + z * h``.
    ``p`` is the dropout on the outputs of every layer but the last, in training mode.
    Returns ``out`` ``(T, N, D*H)`` or, with ``state_outputs``, ``[out, hy]`` (LSTM:
    ``[out, hy, cy]``).

    Notes
    -----
    With ``use_sequence_length`` the steps past each length give zero outputs and leave the
    state unchanged (the reverse direction starts at each sequence's last valid step), as
    MXNet's cuDNN kernel does; MXNet 1.9.1's CPU kernel ignores the lengths. LSTM state
    clipping is applied as cuDNN does; MXNet's CPU kernel ignores it.
    """
    cfg = _config(
        "RNN", mode, num_layers, bidirectional, state_size, projection_size,
        lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan,
    )  # fmt: skip
    _check_states("RNN", cfg, data, state, state_cell)
    shapes = _weight_shapes(cfg, data.shape[2])
    sizes = [int(np.prod(s)) for group in shapes for n, s in group if "weight" in n]
    sizes += [int(np.prod(s)) for group in shapes for n, s in group if "bias" in n]
    if parameters.ndim != 1 or parameters.shape[0] != sum(sizes):
        raise OperatorError(
            f"RNN: expected parameters as one flat vector of {sum(sizes)} values for "
            f"input_size={data.shape[2]}, got shape {tuple(parameters.shape)}."
        )
    offsets = np.cumsum([0] + sizes)
    pieces = iter(range(len(sizes)))
    weights: list[dict[str, jax.Array]] = [{} for _ in shapes]
    for kind in ("weight", "bias"):
        for k, group in enumerate(shapes):
            for name, shape in group:
                if kind in name:
                    j = next(pieces)
                    weights[k][name] = parameters[offsets[j] : offsets[j + 1]].reshape(shape)
    seq = sequence_length if use_sequence_length else None
    if use_sequence_length:
        _lengths("RNN", sequence_length, data.shape[1])
    out = run_rnn(cfg, key, data, state, state_cell, seq, weights, p, training)
    return out if state_outputs else out[0]


@register("_fused_rnn", random=True, mode_dependent=True, needs_key=_needs_key, remat=False)
def fused_rnn(
    key: jax.Array,
    *arrays: jax.Array,
    state_size: int,
    num_layers: int,
    mode: str,
    bidirectional: bool = False,
    p: float = 0.0,
    projection_size: int | None = None,
    lstm_state_clip_min: float | None = None,
    lstm_state_clip_max: float | None = None,
    lstm_state_clip_nan: bool = False,
    use_sequence_length: bool = False,
    layout: str = "TNC",
    training: bool,
) -> list[jax.Array]:
    """The fused RNN with unpacked weights, as ``gluon.rnn`` layers call it.

    ``arrays``: ``data``, ``state``, ``state_cell`` (LSTM only), ``sequence_length`` (with
    ``use_sequence_length`` only), then per layer and direction (layer-major)
    ``i2h_weight, h2h_weight, i2h_bias, h2h_bias`` (and ``h2r_weight`` with a projection).
    ``layout`` 'TNC' or 'NTC' is that of ``data`` and of the returned output. Returns
    ``[out, hy]`` (LSTM: ``[out, hy, cy]``).
    """
    cfg = _config(
        "RNN", mode, num_layers, bidirectional, state_size, projection_size,
        lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan,
    )  # fmt: skip
    if layout not in ("TNC", "NTC"):
        raise OperatorError(f"RNN: layout must be 'TNC' or 'NTC', got {layout!r}.")
    rest = list(arrays)
    data, state = rest.pop(0), rest.pop(0)
    state_cell = rest.pop(0) if mode == "lstm" else None
    seq = rest.pop(0) if use_sequence_length else None
    x = jnp.swapaxes(data, 0, 1) if layout == "NTC" and data.ndim == 3 else data
    _check_states("RNN", cfg, x, state, state_cell)
    shapes = _weight_shapes(cfg, x.shape[2])
    per = len(shapes[0])
    if len(rest) != per * len(shapes):
        raise OperatorError(f"RNN: expected {per * len(shapes)} weight arrays, got {len(rest)}.")
    weights = []
    for k, group in enumerate(shapes):
        w = dict(zip([n for n, _ in group], rest[k * per : (k + 1) * per]))
        for name, shape in group:
            if tuple(w[name].shape) != shape:
                layer, d = divmod(k, cfg.dirs)
                raise OperatorError(
                    f"RNN: expected {'lr'[d]}{layer}_{name} of shape {shape}, got "
                    f"{tuple(w[name].shape)}."
                )
        weights.append(w)
    out = run_rnn(cfg, key, x, state, state_cell, seq, weights, p, training)
    if layout == "NTC":
        out[0] = jnp.swapaxes(out[0], 0, 1)
    return out
