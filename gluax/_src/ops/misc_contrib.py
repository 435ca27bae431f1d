"""The smaller MXNet operators that had no gluax equivalent: contrib.quadratic,
contrib.allclose, contrib.fft/ifft, contrib.count_sketch, _histogram, im2col/col2im, the
random_pdf_* densities, SVMOutput and Correlation (FlowNet's cost volume)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import gammaln

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import as_tuple
from gluax._src.ops.output import _emit

_sg = lax.stop_gradient


@register("_contrib_quadratic", aliases=("quadratic",))
def quadratic(data: jax.Array, *, a: float = 0.0, b: float = 0.0, c: float = 0.0) -> jax.Array:
    """``a * data**2 + b * data + c`` elementwise (MXNet's example operator)."""
    return (a * data * data + b * data + c).astype(data.dtype)


@register("_contrib_allclose", aliases=("allclose",), differentiable=False)
def allclose(
    a: jax.Array, b: jax.Array, *, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = True
) -> jax.Array:
    """1 (uint8, shape ``()``) when ``|a - b| <= atol + rtol * |b|`` everywhere, else 0."""
    if a.shape != b.shape:
        raise OperatorError(
            f"allclose: a {tuple(a.shape)} and b {tuple(b.shape)} must have the same shape."
        )
    ok = jnp.abs(a - b) <= atol + rtol * jnp.abs(b)
    if equal_nan:
        ok = ok | (jnp.isnan(a) & jnp.isnan(b))
    return jnp.all(ok).astype(jnp.uint8)


@register("_contrib_fft", aliases=("fft",))
def fft(data: jax.Array, *, compute_size: int = 128) -> jax.Array:
    """Discrete Fourier transform along the last axis of real ``data (..., d)``: ``(..., 2d)``
    with real and imaginary parts interleaved. ``compute_size`` (a batching hint) is
    accepted. MXNet 1.9.1 runs this operator on GPU only."""
    y = jnp.fft.fft(data.astype(jnp.float32), axis=-1)
    return jnp.stack([y.real, y.imag], axis=-1).reshape(data.shape[:-1] + (-1,)).astype(data.dtype)


@register("_contrib_ifft", aliases=("ifft",))
def ifft(data: jax.Array, *, compute_size: int = 128) -> jax.Array:
    """Inverse transform of interleaved complex ``data (..., 2d)``: the real part ``(..., d)``,
    not divided by ``d`` (MXNet's convention, so ``ifft(fft(x)) = d * x``)."""
    if data.shape[-1] % 2:
        raise OperatorError(
            f"ifft: the last axis holds interleaved (real, imaginary) pairs and must be even, "
            f"got shape {tuple(data.shape)}."
        )
    z = data.reshape(data.shape[:-1] + (-1, 2)).astype(jnp.float32)
    y = jnp.fft.ifft(z[..., 0] + 1j * z[..., 1], axis=-1) * z.shape[-2]
    return y.real.astype(data.dtype)


@register("_contrib_count_sketch", aliases=("count_sketch",))
def count_sketch(
    data: jax.Array, h: jax.Array, s: jax.Array, *, out_dim: int, processing_batch_size: int = 32
) -> jax.Array:
    """Count sketch of the rows of ``data (N, in_dim)``: ``out[n, h[i]] += s[i] * data[n, i]``
    with ``h (1, in_dim)`` bucket indices below ``out_dim`` and ``s`` signs; output
    ``(N, out_dim)``. MXNet 1.9.1 runs this operator on GPU only."""
    if data.ndim != 2 or h.size != data.shape[1] or s.size != data.shape[1]:
        raise OperatorError(
            f"count_sketch: data must be (N, in_dim) with h and s of in_dim values, got "
            f"{tuple(data.shape)}, {tuple(h.shape)} and {tuple(s.shape)}."
        )
    idx = _sg(h).reshape(-1).astype(jnp.int32)
    sign = _sg(s).reshape(-1).astype(data.dtype)
    onehot = (idx[:, None] == jnp.arange(out_dim)[None, :]).astype(data.dtype) * sign[:, None]
    return data @ onehot


@register("_histogram", differentiable=False)
def histogram(
    data: jax.Array, bins: jax.Array | None = None, *, bin_cnt: int | None = None, range: Any = None
) -> tuple[jax.Array, jax.Array]:
    """Histogram of the values of ``data``: with ``bin_cnt``, that many equal bins over
    ``range`` (the data's min and max when not given); otherwise the edges ``bins``. Values
    outside are not counted; the last bin includes its right edge. Returns ``(counts,
    edges)``."""
    x = data.reshape(-1).astype(jnp.float32)
    if bin_cnt is not None:
        if range is not None:
            lo, hi = (jnp.float32(v) for v in range)
        else:
            lo, hi = jnp.min(x), jnp.max(x)
        n = int(bin_cnt)
        edges = lo + (hi - lo) * jnp.arange(n + 1, dtype=jnp.float32) / n
        k = jnp.floor((x - lo) / (hi - lo) * n).astype(jnp.int32)
        k = jnp.where(x == hi, n - 1, k)
        inside = (x >= lo) & (x <= hi)
    else:
        if bins is None:
            raise OperatorError("_histogram: give either bins (an array of edges) or bin_cnt.")
        edges = bins.reshape(-1).astype(jnp.float32)
        n = edges.shape[0] - 1
        k = jnp.searchsorted(edges, x, side="right") - 1
        k = jnp.where(x == edges[-1], n - 1, k)
        inside = (x >= edges[0]) & (x <= edges[-1])
    counts = jnp.zeros(n, jnp.int32).at[jnp.where(inside, k, n)].add(1, mode="drop")
    return counts.astype(jax.dtypes.canonicalize_dtype(jnp.int64)), edges.astype(data.dtype)


def _conv_geometry(op: str, kernel: Any, stride: Any, dilate: Any, pad: Any, nd: int) -> Any:
    k = as_tuple(kernel, nd)
    if len(k) != nd:
        raise OperatorError(f"{op}: kernel must have {nd} values, got {kernel!r}.")

    def fill(v: Any, d: int) -> tuple[int, ...]:
        t = as_tuple(v, nd)
        return t if t else (d,) * nd

    return k, fill(stride, 1), fill(dilate, 1), fill(pad, 0)


def _im2col(data: jax.Array, k: Any, s: Any, d: Any, p: Any) -> jax.Array:
    n, c = data.shape[:2]
    sp = data.shape[2:]
    nd = len(sp)
    out_sp = [(sp[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    x = jnp.pad(data, [(0, 0), (0, 0)] + [(pi, pi) for pi in p])
    taps = []
    for tap in np.ndindex(*k):
        sl = tuple(
            slice(tap[i] * d[i], tap[i] * d[i] + (out_sp[i] - 1) * s[i] + 1, s[i])
            for i in range(nd)
        )
        taps.append(x[(slice(None), slice(None)) + sl])
    cols = jnp.stack(taps, axis=2)  # (n, c, taps, *out)
    return cols.reshape(n, c * len(taps), -1)


@register("im2col")
def im2col(
    data: jax.Array, *, kernel: Any, stride: Any = (), dilate: Any = (), pad: Any = ()
) -> jax.Array:
    """The sliding blocks of ``data (N, C, *spatial)`` as columns: ``(N, C * prod(kernel),
    L)`` with L the number of output positions, channel-major (``c * taps + tap``)."""
    if data.ndim < 3:
        raise OperatorError(f"im2col: data must be (N, C, *spatial), got {tuple(data.shape)}.")
    return _im2col(data, *_conv_geometry("im2col", kernel, stride, dilate, pad, data.ndim - 2))


@register("col2im")
def col2im(
    data: jax.Array,
    *,
    output_size: Any,
    kernel: Any,
    stride: Any = (),
    dilate: Any = (),
    pad: Any = (),
) -> jax.Array:
    """The adjoint of :func:`im2col`: sums the columns ``(N, C * prod(kernel), L)`` back into
    an image ``(N, C, *output_size)`` (overlapping blocks add up)."""
    size = as_tuple(output_size)
    geo = _conv_geometry("col2im", kernel, stride, dilate, pad, len(size))
    taps = 1
    for v in geo[0]:
        taps *= v
    if data.ndim != 3 or data.shape[1] % taps:
        raise OperatorError(f"col2im: data must be (N, C * {taps}, L), got {tuple(data.shape)}.")
    shape = (data.shape[0], data.shape[1] // taps) + size
    zero = jax.ShapeDtypeStruct(shape, data.dtype)
    back = jax.linear_transpose(lambda x: _im2col(x, *geo), zero)
    expect = jax.eval_shape(lambda x: _im2col(x, *geo), zero).shape
    if tuple(data.shape) != tuple(expect):
        raise OperatorError(
            f"col2im: data {tuple(data.shape)} does not match output_size {size} with this "
            f"kernel/stride/pad (expected {tuple(expect)})."
        )
    return back(data)[0]


# ---- probability densities of samples ---------------------------------------------------------


def _pdf(name: str, sample: jax.Array, params: list[jax.Array], vector: bool = False) -> Any:
    """Broadcast the parameters (shape = the leading axes of ``sample``) over the samples."""
    p0 = params[0]
    for q in params[1:]:
        if q.shape != p0.shape:
            raise OperatorError(
                f"{name}: the parameters must have one shape, got "
                f"{[tuple(x.shape) for x in params]}."
            )
    lead = p0.ndim - (1 if vector else 0)
    if sample.shape[:lead] != p0.shape[:lead] or sample.ndim < p0.ndim:
        raise OperatorError(
            f"{name}: the parameters {tuple(p0.shape)} must match the leading axes of sample "
            f"{tuple(sample.shape)}."
        )
    extra = sample.ndim - p0.ndim
    if vector:
        return [q.reshape(q.shape[:-1] + (1,) * extra + q.shape[-1:]) for q in params]
    return [q.reshape(q.shape + (1,) * extra) for q in params]


def _finish(lpdf: jax.Array, is_log: bool, dtype: Any) -> jax.Array:
    return (lpdf if is_log else jnp.exp(lpdf)).astype(dtype)


@register("_random_pdf_uniform", aliases=("random_pdf_uniform",))
def pdf_uniform(
    sample: jax.Array, low: jax.Array, high: jax.Array, *, is_log: bool = False
) -> jax.Array:
    """Density of the uniform distribution on [low, high] at ``sample`` (MXNet does not check
    the support): ``1 / (high - low)``."""
    lo, hi = _pdf("random_pdf_uniform", sample, [low, high])
    lp = jnp.broadcast_to(-jnp.log(hi - lo), sample.shape)
    return _finish(lp, is_log, sample.dtype)


@register("_random_pdf_normal", aliases=("random_pdf_normal",))
def pdf_normal(
    sample: jax.Array, mu: jax.Array, sigma: jax.Array, *, is_log: bool = False
) -> jax.Array:
    """Normal density with mean ``mu`` and standard deviation ``sigma``."""
    m, s = _pdf("random_pdf_normal", sample, [mu, sigma])
    z = (sample - m) / s
    return _finish(-0.5 * z * z - jnp.log(s) - 0.5 * jnp.log(2 * jnp.pi), is_log, sample.dtype)


@register("_random_pdf_gamma", aliases=("random_pdf_gamma",))
def pdf_gamma(
    sample: jax.Array, alpha: jax.Array, beta: jax.Array, *, is_log: bool = False
) -> jax.Array:
    """Gamma density with shape ``alpha`` and rate ``beta`` (MXNet's pdf parameterization)."""
    a, b = _pdf("random_pdf_gamma", sample, [alpha, beta])
    lp = a * jnp.log(b) + (a - 1) * jnp.log(sample) - b * sample - gammaln(a)
    return _finish(lp, is_log, sample.dtype)


@register("_random_pdf_exponential", aliases=("random_pdf_exponential",))
def pdf_exponential(sample: jax.Array, lam: jax.Array, *, is_log: bool = False) -> jax.Array:
    """Exponential density with rate ``lam``."""
    (lm,) = _pdf("random_pdf_exponential", sample, [lam])
    return _finish(jnp.log(lm) - lm * sample, is_log, sample.dtype)


@register("_random_pdf_poisson", aliases=("random_pdf_poisson",))
def pdf_poisson(sample: jax.Array, lam: jax.Array, *, is_log: bool = False) -> jax.Array:
    """Poisson probability of ``sample`` with rate ``lam``."""
    (lm,) = _pdf("random_pdf_poisson", sample, [lam])
    return _finish(sample * jnp.log(lm) - gammaln(sample + 1) - lm, is_log, sample.dtype)


def _nb_lpdf(x: jax.Array, k: jax.Array, p: jax.Array) -> jax.Array:
    return gammaln(x + k) - gammaln(x + 1) - gammaln(k) + k * jnp.log(p) + x * jnp.log(1 - p)


@register("_random_pdf_negative_binomial", aliases=("random_pdf_negative_binomial",))
def pdf_negative_binomial(
    sample: jax.Array, k: jax.Array, p: jax.Array, *, is_log: bool = False
) -> jax.Array:
    """Negative binomial probability of ``sample`` failures before ``k`` successes of
    probability ``p``."""
    kk, pp = _pdf("random_pdf_negative_binomial", sample, [k, p])
    return _finish(_nb_lpdf(sample, kk, pp), is_log, sample.dtype)


@register(
    "_random_pdf_generalized_negative_binomial",
    aliases=("random_pdf_generalized_negative_binomial",),
)
def pdf_generalized_negative_binomial(
    sample: jax.Array, mu: jax.Array, alpha: jax.Array, *, is_log: bool = False
) -> jax.Array:
    """Generalized negative binomial probability (mean ``mu``, dispersion ``alpha``): the
    negative binomial with ``k = 1 / alpha`` and ``p = 1 / (mu * alpha + 1)``."""
    m, a = _pdf("random_pdf_generalized_negative_binomial", sample, [mu, alpha])
    return _finish(_nb_lpdf(sample, 1 / a, 1 / (m * a + 1)), is_log, sample.dtype)


@register("_random_pdf_dirichlet", aliases=("random_pdf_dirichlet",))
def pdf_dirichlet(sample: jax.Array, alpha: jax.Array, *, is_log: bool = False) -> jax.Array:
    """Dirichlet density of the vectors on the last axis of ``sample`` with concentration
    ``alpha (..., K)``; output ``sample.shape[:-1]`` (``(1,)`` for a single vector)."""
    (a,) = _pdf("random_pdf_dirichlet", sample, [alpha], vector=True)
    lp = jnp.sum((a - 1) * jnp.log(sample), -1) + gammaln(jnp.sum(a, -1)) - jnp.sum(gammaln(a), -1)
    out = _finish(lp, is_log, sample.dtype)
    return out.reshape(1) if sample.ndim == 1 else out


# ---- SVMOutput ----------------------------------------------------------------------------------


@register("SVMOutput")
def svm_output(
    data: jax.Array,
    label: jax.Array,
    *,
    margin: float = 1.0,
    regularization_coefficient: float = 1.0,
    use_linear: bool = False,
) -> jax.Array:
    """Passes ``data (N, K)`` through; its backward emits the one-vs-all hinge-loss gradient
    for ``label (N,)`` whatever the head gradient (L2-SVM by default, L1 with
    ``use_linear``), as MXNet's output layers do."""
    if data.ndim != 2 or label.size != data.shape[0]:
        raise OperatorError(
            f"SVMOutput: expected data (N, K) and label (N,), got {tuple(data.shape)} and "
            f"{tuple(label.shape)}."
        )
    x = _sg(data)
    hit = _sg(label).reshape(-1, 1).astype(jnp.int32) == jnp.arange(data.shape[1])[None, :]
    m, r = jnp.asarray(margin, x.dtype), jnp.asarray(regularization_coefficient, x.dtype)
    if use_linear:
        g = jnp.where(hit, -(m > x).astype(x.dtype), (m > -x).astype(x.dtype)) * r
    else:
        g = jnp.where(hit, jnp.where(m > x, 2 * (m - x), 0), jnp.where(m > -x, -2 * (m + x), 0))
        g = g * -r
    return _emit(data, data, g.astype(data.dtype))


# ---- Correlation ----------------------------------------------------------------------------------


@register("Correlation")
def correlation(
    data1: jax.Array,
    data2: jax.Array,
    *,
    kernel_size: int = 1,
    max_displacement: int = 1,
    stride1: int = 1,
    stride2: int = 1,
    pad_size: int = 0,
    is_multiply: bool = True,
) -> jax.Array:
    """FlowNet's correlation of two feature maps ``(N, C, H, W)``: for every displacement
    ``(dy, dx)`` (multiples of ``stride2`` up to ``max_displacement``) the mean over channels
    and a ``kernel_size`` window of ``data1 * data2`` shifted (``|data1 - data2|`` when
    ``is_multiply`` is False), at every ``stride1``-th position. Output ``(N, D * D, Ho,
    Wo)`` with ``D = 2 * (max_displacement // stride2) + 1``, displacements row-major."""
    if data1.ndim != 4 or data1.shape != data2.shape:
        raise OperatorError(
            f"Correlation: data1 and data2 must be (N, C, H, W) of one shape, got "
            f"{tuple(data1.shape)} and {tuple(data2.shape)}."
        )
    n, c, h, w = data1.shape
    k, md = kernel_size, max_displacement
    hp, wp = h + 2 * pad_size, w + 2 * pad_size
    border = md + (k - 1) // 2
    ho = -(-(hp - 2 * border) // stride1)
    wo = -(-(wp - 2 * border) // stride1)
    if ho < 1 or wo < 1:
        raise OperatorError(
            f"Correlation: maps {(h, w)} padded by {pad_size} are too small for "
            f"max_displacement {md} and kernel_size {k}."
        )
    r = md // stride2
    x1 = jnp.pad(data1, ((0, 0), (0, 0), (pad_size, pad_size), (pad_size, pad_size)))
    x2 = jnp.pad(
        data2, ((0, 0), (0, 0), (pad_size + md, pad_size + md), (pad_size + md, pad_size + md))
    )
    # rows/cols of the window's top-left corner in the padded map, per output position
    ys = md + jnp.arange(ho) * stride1
    xs = md + jnp.arange(wo) * stride1
    outs = []
    for p in range(-r, r + 1):
        for o in range(-r, r + 1):
            dy, dx = p * stride2, o * stride2
            shifted = x2[:, :, md + dy : md + dy + hp, md + dx : md + dx + wp]
            v = x1 * shifted if is_multiply else jnp.abs(x1 - shifted)
            v = jnp.sum(v, axis=1)  # (n, hp, wp)
            win = lax.reduce_window(v, 0.0, lax.add, (1, k, k), (1, 1, 1), "VALID")
            outs.append(win[:, ys][:, :, xs])
    return (jnp.stack(outs, axis=1) / (k * k * c)).astype(data1.dtype)


# ---- log-uniform (Zipfian) candidate sampling for sampled softmax --------------------------------


@register("_sample_unique_zipfian", random=True, differentiable=False)
def sample_unique_zipfian(
    key: jax.Array, *, range_max: int, shape: Any = None
) -> tuple[jax.Array, jax.Array]:
    """Per row of ``shape (batch, n)``, ``n`` distinct classes below ``range_max`` drawn from
    the log-uniform distribution ``round(exp(u * log(range_max))) - 1`` (rejecting repeats),
    and the number of draws it took ``(batch,)``. Integer outputs (int64 with 64-bit JAX)."""
    shp = as_tuple(shape)
    if len(shp) != 2 or shp[1] > range_max:
        raise OperatorError(
            f"_sample_unique_zipfian: shape must be (batch, n) with n <= range_max={range_max}, "
            f"got {shape!r}."
        )
    b, n = shp
    log_max = jnp.log(jnp.float32(range_max))
    block = max(n, 8)

    def row(k: jax.Array) -> tuple[jax.Array, jax.Array]:
        def cond(st: Any) -> Any:
            return st[1] < n

        def body(st: Any) -> Any:
            out, filled, tries, kk = st
            kk, sub = jax.random.split(kk)
            cand = (jnp.round(jnp.exp(jax.random.uniform(sub, (block,)) * log_max)) - 1).astype(
                jnp.int32
            )

            def one(i: Any, s: Any) -> Any:
                out, filled, tries = s
                v = cand[i]
                active = filled < n
                new = active & ~jnp.any((out == v) & (jnp.arange(n) < filled))
                out = jnp.where(new, out.at[jnp.minimum(filled, n - 1)].set(v), out)
                return out, filled + new.astype(jnp.int32), tries + active.astype(jnp.int32)

            out, filled, tries = lax.fori_loop(0, block, one, (out, filled, tries))
            return out, filled, tries, kk

        init = (jnp.zeros(n, jnp.int32), jnp.array(0, jnp.int32), jnp.array(0, jnp.int32), k)
        out, _, tries, _ = lax.while_loop(cond, body, init)
        return out, tries

    samples, tries = jax.vmap(row)(jax.random.split(key, b))
    it = jax.dtypes.canonicalize_dtype(jnp.int64)
    return samples.astype(it), tries.astype(it)


@register("_contrib_rand_zipfian", aliases=("rand_zipfian",), random=True, differentiable=False)
def rand_zipfian(
    key: jax.Array, true_classes: jax.Array, *, num_sampled: int, range_max: int
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``num_sampled`` classes drawn (with replacement) from the log-uniform distribution over
    ``[0, range_max)``, with the expected counts of ``true_classes`` and of the sampled classes
    under it: ``(sampled, expected_count_true, expected_count_sampled)`` as MXNet's
    ``nd.contrib.rand_zipfian`` (float32 counts without 64-bit JAX)."""
    log_range = jnp.log(jnp.float32(range_max + 1))
    u = jax.random.uniform(key, (num_sampled,), jnp.float32) * log_range
    it = jax.dtypes.canonicalize_dtype(jnp.int64)
    sampled = ((jnp.exp(u) - 1).astype(it)) % range_max
    ft = jax.dtypes.canonicalize_dtype(jnp.float64)

    def expected(c: jax.Array) -> jax.Array:
        c = c.astype(ft)
        return jnp.log((c + 2.0) / (c + 1.0)) / log_range.astype(ft) * num_sampled

    return sampled, expected(_sg(true_classes)), expected(sampled)


# ---- IdentityAttachKLSparseReg --------------------------------------------------------------------


@jax.custom_vjp
def _kl_identity(data: jax.Array, moving_avg: jax.Array, consts: jax.Array) -> jax.Array:
    return data


def _kl_fwd(data: jax.Array, moving_avg: jax.Array, consts: jax.Array) -> Any:
    return data, (data, moving_avg, consts)


def _kl_bwd(res: Any, g: jax.Array) -> Any:
    data, moving_avg, consts = res
    target, penalty, momentum = consts[0], consts[1], consts[2]
    axes = tuple(i for i in range(data.ndim) if i != 1)
    avg = jnp.sum(data, axis=axes) / data.shape[0]
    m = (momentum * moving_avg + (1 - momentum) * avg).reshape((1, -1) + (1,) * (data.ndim - 2))
    grad = g + penalty * (-target / m + (1 - target) / (1 - m))
    return grad.astype(data.dtype), jnp.zeros_like(moving_avg), jnp.zeros_like(consts)


_kl_identity.defvjp(_kl_fwd, _kl_bwd)


@register("IdentityAttachKLSparseReg")
def identity_attach_kl_sparse_reg(
    data: jax.Array,
    moving_avg: jax.Array,
    *,
    sparseness_target: float = 0.1,
    penalty: float = 0.001,
    momentum: float = 0.9,
) -> jax.Array:
    """Identity whose backward adds the KL sparseness penalty of the (sigmoid) activations
    ``data (N, C, ...)``: ``penalty * (-t / m + (1 - t) / (1 - m))`` with ``m = momentum *
    moving_avg + (1 - momentum) * mean activation per channel`` (the updated average, as MXNet
    computes it in its backward). ``moving_avg (C,)`` is MXNet's auxiliary state; gluax does
    not write the updated average back into it (keep it yourself: ``momentum * moving_avg +
    (1 - momentum) * data.mean(axis=0)``)."""
    if data.ndim < 2 or moving_avg.shape != (data.shape[1],):
        raise OperatorError(
            f"IdentityAttachKLSparseReg: moving_avg must be (C,) for data (N, C, ...), got "
            f"{tuple(moving_avg.shape)} and {tuple(data.shape)}."
        )
    consts = jnp.array([sparseness_target, penalty, momentum], data.dtype)
    return _kl_identity(data, _sg(moving_avg), consts)


# ---- Hawkes process log-likelihood -----------------------------------------------------------------


@register("_contrib_hawkesll", aliases=("hawkesll",), remat=False)
def hawkesll(
    lda: jax.Array,
    alpha: jax.Array,
    beta: jax.Array,
    state: jax.Array,
    lags: jax.Array,
    marks: jax.Array,
    valid_length: jax.Array,
    max_time: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """Log-likelihood of marked sequences under a multivariate Hawkes process with
    exponential kernels: background rates ``lda (N, K)``, branching ratios ``alpha (K,)``,
    decays ``beta (K,)``, initial kernel states ``state (N, K)``, inter-arrival times ``lags
    (N, T)`` with marks ``marks (N, T)`` (int32), of which the first ``valid_length (N,)``
    count, observed until ``max_time (N,)``. Returns ``(loglike (N,), out_state (N, K))``; the
    gradient flows to ``lda``, ``alpha`` and ``beta`` (a scan over the events, no Python
    loop)."""
    if lda.ndim != 2 or lags.ndim != 2 or marks.shape != lags.shape or state.shape != lda.shape:
        raise OperatorError(
            f"hawkesll: expected lda and state (N, K), lags and marks (N, T), got "
            f"{tuple(lda.shape)}, {tuple(state.shape)}, {tuple(lags.shape)}, {tuple(marks.shape)}."
        )
    n, k = lda.shape
    t_len = lags.shape[1]

    def one(
        mu: jax.Array, st: jax.Array, lag: jax.Array, mk: jax.Array, vl: jax.Array, tmax: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        def step(carry: Any, inp: Any) -> Any:
            ll, t, last, s = carry
            lg, c, j = inp
            live = j < vl
            t_new = t + lg
            d = t_new - last[c]
            ed = jnp.exp(-beta[c] * d)
            lam = mu[c] + alpha[c] * beta[c] * s[c] * ed
            comp = mu[c] * d + alpha[c] * s[c] * (1 - ed)
            ll = jnp.where(live, ll + jnp.log(lam) - comp, ll)
            s = jnp.where(live, s.at[c].set(1 + s[c] * ed), s)
            last = jnp.where(live, last.at[c].set(t_new), last)
            return (ll, jnp.where(live, t_new, t), last, s), None

        init = (jnp.zeros((), mu.dtype), jnp.zeros((), mu.dtype), jnp.zeros(k, mu.dtype), st)
        (ll, _, last, s), _ = lax.scan(step, init, (lag, mk, jnp.arange(t_len)))
        d = tmax - last
        ed = jnp.exp(-beta * d)
        rem = mu * d + alpha * s * (1 - ed)
        return ll - jnp.sum(rem), ed * s

    return jax.vmap(one)(
        lda, _sg(state), _sg(lags), _sg(marks).astype(jnp.int32), _sg(valid_length), _sg(max_time)
    )
