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
