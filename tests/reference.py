"""Plain-numpy reference implementations of operators. Never imports gluax."""

from __future__ import annotations

import numpy as np


def relu(x):
    return np.maximum(x, 0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softrelu(x):
    return np.log1p(np.exp(x))


def softsign(x):
    return x / (1.0 + np.abs(x))


def fully_connected(x, w, b=None, num_hidden=None, no_bias=False, flatten=True):
    if flatten:
        x = x.reshape(x.shape[0], -1)
    y = x @ w.T
    return y if no_bias or b is None else y + b


def softmax(x, axis=-1, temperature=None):
    x = x / (temperature or 1.0)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1, temperature=None):
    x = x / (temperature or 1.0)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


# ---- layer operators (Convolution, Deconvolution, Pooling, LeakyReLU, BatchNorm, ...) -------


def _tup(v, n, default):
    if v is None or v == ():
        return (default,) * n
    return (v,) * n if np.isscalar(v) else tuple(v)


def convolution(x, w, b=None, kernel=None, stride=(), dilate=(), pad=(), num_filter=None, num_group=1, no_bias=False, **_):
    """Direct sum over kernel taps, channels-first, one group at a time."""
    k = tuple(kernel)
    n = len(k)
    s, d, p = _tup(stride, n, 1), _tup(dilate, n, 1), _tup(pad, n, 0)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(q, q) for q in p])
    out_sp = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(n)]
    cg, fg = x.shape[1] // num_group, num_filter // num_group
    y = np.zeros((x.shape[0], num_filter, *out_sp))
    for g in range(num_group):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * fg:(g + 1) * fg]
        for tap in np.ndindex(*k):
            sl = tuple(slice(tap[i] * d[i], tap[i] * d[i] + s[i] * (out_sp[i] - 1) + 1, s[i]) for i in range(n))
            patch = xs[(slice(None), slice(None)) + sl]  # (N, cg, *out)
            y[:, g * fg:(g + 1) * fg] += np.einsum("nc...,fc->nf...", patch, ws[(slice(None), slice(None)) + tap])
    if not no_bias and b is not None:
        y += b.reshape((1, -1) + (1,) * n)
    return y


def deconvolution(x, w, b=None, kernel=None, stride=(), dilate=(), pad=(), adj=(), num_filter=None, num_group=1, no_bias=True, **_):
    """Scatter form: every input element adds ``x * w`` at ``stride*i + dilate*tap - pad``."""
    k = tuple(kernel)
    n = len(k)
    s, d, p, a = _tup(stride, n, 1), _tup(dilate, n, 1), _tup(pad, n, 0), _tup(adj, n, 0)
    full = [s[i] * (x.shape[2 + i] - 1) + d[i] * (k[i] - 1) + 1 + a[i] for i in range(n)]
    y = np.zeros((x.shape[0], num_filter, *full))
    cg, fg = x.shape[1] // num_group, num_filter // num_group
    for g in range(num_group):
        xs = x[:, g * cg:(g + 1) * cg]
        ws = w[g * cg:(g + 1) * cg]  # (cg, fg, *k)
        for tap in np.ndindex(*k):
            contrib = np.einsum("nc...,cf->nf...", xs, ws[(slice(None), slice(None)) + tap])
            sl = tuple(slice(tap[i] * d[i], tap[i] * d[i] + s[i] * (x.shape[2 + i] - 1) + 1, s[i]) for i in range(n))
            y[(slice(None), slice(g * fg, (g + 1) * fg)) + sl] += contrib
    crop = tuple(slice(p[i], full[i] - p[i]) for i in range(n))
    y = y[(slice(None), slice(None)) + crop]
    if not no_bias and b is not None:
        y += b.reshape((1, -1) + (1,) * n)
    return y


def pooling(x, kernel=(), pool_type="max", global_pool=False, pooling_convention="valid", stride=(), pad=(), count_include_pad=True, p_value=None, **_):
    """Loop over output windows; windows are clipped to the padded extent (and to the data for
    max pooling and when padding does not count)."""
    sp = x.shape[2:]
    n = len(sp)
    if global_pool:
        k, s, p = sp, (1,) * n, (0,) * n
    else:
        k, s, p = tuple(kernel), _tup(stride, n, 1), _tup(pad, n, 0)
    rnd = np.ceil if pooling_convention == "full" and not global_pool else np.floor
    out_sp = [int(rnd((sp[i] + 2 * p[i] - k[i]) / s[i])) + 1 for i in range(n)]
    y = np.zeros(x.shape[:2] + tuple(out_sp))
    for o in np.ndindex(*out_sp):
        start = [o[i] * s[i] - p[i] for i in range(n)]
        lo = [max(st, 0) for st in start]
        hi = [min(st + k[i], sp[i]) for i, st in enumerate(start)]
        win = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        if pool_type == "max":
            v = win.max(axis=tuple(range(2, 2 + n)))
        elif pool_type == "lp":
            v = (win**p_value).sum(axis=tuple(range(2, 2 + n))) ** (1.0 / p_value)
        else:
            v = win.sum(axis=tuple(range(2, 2 + n)))
            if pool_type == "avg":
                if count_include_pad and not global_pool:
                    cnt = np.prod([min(st + k[i], sp[i] + p[i]) - max(st, -p[i]) for i, st in enumerate(start)])
                else:
                    cnt = np.prod([b - a for a, b in zip(lo, hi)])
                v = v / cnt
        y[(slice(None), slice(None)) + o] = v
    return y


def leaky_relu(x, gamma=None, act_type="leaky", slope=0.25, lower_bound=0.125, upper_bound=0.334):
    from math import erf, sqrt

    if act_type == "leaky":
        return np.where(x > 0, x, slope * x)
    if act_type == "prelu":
        g = gamma.reshape(()) if gamma.size == 1 else gamma.reshape((-1,) + (1,) * (x.ndim - 2))
        return np.where(x > 0, x, g * x)
    if act_type == "elu":
        return np.where(x > 0, x, slope * (np.exp(np.minimum(x, 0)) - 1))
    if act_type == "selu":
        alpha, lam = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
        return lam * np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))
    if act_type == "gelu":
        return 0.5 * x * (1 + np.vectorize(erf)(x / sqrt(2)))
    if act_type == "rrelu":
        return [np.where(x > 0, x, (lower_bound + upper_bound) / 2 * x), np.zeros_like(x)]
    raise ValueError(act_type)


def batch_norm(x, gamma, beta, moving_mean, moving_var, eps=1e-3, fix_gamma=True, use_global_stats=False, output_mean_var=False, axis=1, training=False, **_):
    ax = axis % x.ndim
    red = tuple(i for i in range(x.ndim) if i != ax)
    shape = [1] * x.ndim
    shape[ax] = -1
    if training and not use_global_stats:
        mean, var = x.mean(axis=red), x.var(axis=red)
    else:
        mean, var = moving_mean, moving_var
    g = np.ones_like(gamma) if fix_gamma else gamma
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * g.reshape(shape) + beta.reshape(shape)
    return [out, mean, 1 / np.sqrt(var + eps)] if output_mean_var else out


def embedding(idx, w, input_dim=None, output_dim=None, **_):
    i = np.clip(np.trunc(idx).astype(np.int64), 0, w.shape[0] - 1)
    return w[i]


# ---- recurrent networks (gluax/_src/ops/rnn.py) -------------------------------------------


def sequence_mask(x, lengths=None, use_sequence_length=False, value=0.0, axis=0):
    out = np.array(x, copy=True)
    if not use_sequence_length:
        return out
    for n, length in enumerate(np.asarray(lengths).astype(int)):
        idx = (slice(int(length), None), n) if axis == 0 else (n, slice(int(length), None))
        out[idx] = value
    return out


def sequence_last(x, lengths=None, use_sequence_length=False, axis=0):
    tm = x if axis == 0 else np.swapaxes(x, 0, 1)
    if not use_sequence_length:
        return tm[-1]
    return np.stack([tm[int(k) - 1, n] for n, k in enumerate(np.asarray(lengths))])


def sequence_reverse(x, lengths=None, use_sequence_length=False, axis=0):
    out = np.array(x, copy=True)
    if not use_sequence_length:
        return out[::-1]
    for n, k in enumerate(np.asarray(lengths).astype(int)):
        out[:k, n] = x[:k, n][::-1]
    return out


_RNN_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def _rnn_cell_step(mode, x, h, c, w, clip):
    """One step of one direction: (new h, new c). ``w``: i2h/h2h weights and biases, h2r."""
    xg = x @ w["i2h_weight"].T + w["i2h_bias"]
    hg = h @ w["h2h_weight"].T + w["h2h_bias"]
    if mode == "lstm":
        i, f, g, o = np.split(xg + hg, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        if clip is not None:
            c = np.clip(c, clip[0], clip[1])
        h = sigmoid(o) * np.tanh(c)
        if "h2r_weight" in w:
            h = h @ w["h2r_weight"].T
        return h, c
    if mode == "gru":
        xr, xz, xn = np.split(xg, 3, axis=-1)
        hr, hz, hn = np.split(hg, 3, axis=-1)
        r, z = sigmoid(xr + hr), sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, c
    pre = xg + hg
    return (relu(pre) if mode == "rnn_relu" else np.tanh(pre)), c


def rnn_unpack(parameters, mode, num_layers, input_size, state_size, bidirectional=False,
               projection_size=None):
    """Split MXNet's packed RNN parameter vector into per-(layer, direction) dicts."""
    g, h = _RNN_GATES[mode] * state_size, state_size
    r = projection_size or h
    dirs = 2 if bidirectional else 1
    shapes, ni = [], input_size
    for _ in range(num_layers):
        for _ in range(dirs):
            s = {"i2h_weight": (g, ni), "h2h_weight": (g, r)}
            if projection_size:
                s["h2r_weight"] = (r, h)
            s.update({"i2h_bias": (g,), "h2h_bias": (g,)})
            shapes.append(s)
        ni = r * dirs
    out, pos = [dict() for _ in shapes], 0
    for kind in ("weight", "bias"):
        for k, s in enumerate(shapes):
            for name, shape in s.items():
                if name.endswith(kind):
                    size = int(np.prod(shape))
                    out[k][name] = parameters[pos : pos + size].reshape(shape)
                    pos += size
    assert pos == parameters.size, (pos, parameters.size)
    return out


def rnn(x, parameters, state, state_cell=None, lengths=None, state_size=None, num_layers=1,
        mode="lstm", bidirectional=False, projection_size=None, lstm_state_clip_min=None,
        lstm_state_clip_max=None, use_sequence_length=False, state_outputs=True, **_):
    """MXNet's fused RNN operator, step by step, on time-major ``x`` (T, N, C). With
    ``use_sequence_length`` each sequence is run on its own first ``length`` steps (the
    reverse direction from its last valid step); outputs past the length are zero."""
    T, N, C = x.shape
    dirs = 2 if bidirectional else 1
    ws = rnn_unpack(parameters, mode, num_layers, C, state_size, bidirectional, projection_size)
    clip = None if lstm_state_clip_min is None else (lstm_state_clip_min, lstm_state_clip_max)
    lens = [T] * N if not use_sequence_length else [int(k) for k in lengths]
    hs, cs = np.zeros_like(state), None if state_cell is None else np.zeros_like(state_cell)
    inp = x
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            y = np.zeros((T, N, state.shape[2]), dtype=x.dtype)
            for n in range(N):
                h, c = state[k, n : n + 1], None if state_cell is None else state_cell[k, n : n + 1]
                steps = range(lens[n]) if d == 0 else range(lens[n] - 1, -1, -1)
                for t in steps:
                    h, c = _rnn_cell_step(mode, inp[t, n : n + 1], h, c, ws[k], clip)
                    y[t, n] = h[0]
                hs[k, n] = h[0]
                if cs is not None:
                    cs[k, n] = c[0]
            outs.append(y)
        inp = np.concatenate(outs, axis=-1)
    if not state_outputs:
        return inp
    return [inp, hs] + ([cs] if mode == "lstm" else [])


# ---- normalization (LayerNorm, InstanceNorm, GroupNorm, L2Normalization, LRN) ----------------


def _bcast(v, axis, ndim):
    return np.reshape(v, [-1 if i == axis else 1 for i in range(ndim)])


def layer_norm(x, gamma, beta, axis=-1, eps=1e-5, output_mean_var=False):
    axis = axis % x.ndim
    mean = x.mean(axis=axis, keepdims=True)
    std = np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    out = (x - mean) / std * _bcast(gamma, axis, x.ndim) + _bcast(beta, axis, x.ndim)
    return [out, mean, std] if output_mean_var else out


def instance_norm(x, gamma, beta, eps=1e-3):
    axes = tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * _bcast(gamma, 1, x.ndim) + _bcast(beta, 1, x.ndim)


def group_norm(x, gamma, beta, num_groups=1, eps=1e-5, output_mean_var=False):
    n, c = x.shape[:2]
    g = x.reshape((n, num_groups, -1))
    mean = g.mean(axis=2, keepdims=True)
    std = np.sqrt(g.var(axis=2, keepdims=True) + eps)
    out = ((g - mean) / std * gamma[None, :, None] + beta[None, :, None]).reshape(x.shape)
    return [out, mean[..., 0], std[..., 0]] if output_mean_var else out


def l2_normalization(x, eps=1e-10, mode="instance"):
    if mode == "instance":
        axes = tuple(range(1, x.ndim))
    elif mode == "channel":
        axes = (1,)
    else:
        axes = tuple(range(2, x.ndim))
    return x / np.sqrt((x * x).sum(axis=axes, keepdims=True) + eps)


def lrn(x, alpha=1e-4, beta=0.75, knorm=2.0, nsize=None):
    half = (nsize - 1) // 2  # MXNet 1.9.1 (CPU): an even nsize sums over nsize - 1 channels
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        lo, hi = max(0, c - half), min(x.shape[1], c + half + 1)
        total = (x[:, lo:hi] ** 2).sum(axis=1)
        out[:, c] = x[:, c] / (knorm + alpha / nsize * total) ** beta
    return out


def pixel_shuffle(x, factors):
    """(N, C*F, *sp) -> (N, C, sp[0]*f[0], ...) with F = prod(factors):
    out[n, c, d*f0 + i0, h*f1 + i1, ...] = x[n, c*F + flat_index(i0, i1, ...), d, h, ...]."""
    n, cf = x.shape[:2]
    big = int(np.prod(factors))
    c = cf // big
    out = np.empty((n, c) + tuple(s * f for s, f in zip(x.shape[2:], factors)), x.dtype)
    for idx in np.ndindex(*factors):
        ch = np.arange(c) * big + np.ravel_multi_index(idx, factors)
        out[(slice(None), slice(None)) + tuple(slice(i, None, f) for i, f in zip(idx, factors))] = x[:, ch]
    return out


# ---- contrib box operators ------------------------------------------------------------------


def box_iou(a, b, format="corner"):
    """IoU of every box of a (n, 4) with every box of b (m, 4)."""
    if format == "center":
        a = np.concatenate([a[:, :2] - a[:, 2:] / 2, a[:, :2] + a[:, 2:] / 2], axis=1)
        b = np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], axis=1)
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            w = max(min(p[2], q[2]) - max(p[0], q[0]), 0)
            h = max(min(p[3], q[3]) - max(p[1], q[1]), 0)
            union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - w * h
            out[i, j] = w * h / union if union > 0 else 0.0
    return out
