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
