"""Object-detection operators of ``mx.nd.contrib``: box_encode, box_decode,
bipartite_matching, MultiBoxPrior, MultiBoxTarget, MultiBoxDetection (SSD) and ROIAlign.

All are whole-array JAX programs: greedy matchings and suppressions run as a ``fori_loop``
over a static number of steps on masked matrices, never a Python loop over boxes, and every
output has a static shape (MXNet's fixed-size outputs padded with -1 where it pads).

Gradients follow MXNet 1.9.1: the target generators, anchors, matching and detection decoding
have none (zero gradients); ROIAlign differentiates with respect to ``data`` only.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import as_tuple

_sg = lax.stop_gradient


def _div(x: jax.Array, n: Any) -> jax.Array:
    """``x / n`` as a true division (XLA would multiply by a rounded reciprocal of a constant
    ``n``, moving bin edges by one ulp away from MXNet's)."""
    return x / lax.optimization_barrier(jnp.asarray(n, x.dtype))


def _floats(op: str, name: str, v: Any, n: int | None = None) -> tuple[float, ...]:
    vals = tuple(float(x) for x in (v if isinstance(v, (tuple, list)) else (v,)))
    if n is not None and len(vals) != n:
        raise OperatorError(f"{op}: {name} must have {n} values, got {vals!r}.")
    return vals


def _center_form(b: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Corners ``(..., 4)`` -> centre x, centre y, width, height, computed as MXNet does."""
    w = b[..., 2] - b[..., 0]
    h = b[..., 3] - b[..., 1]
    return b[..., 0] + w * 0.5, b[..., 1] + h * 0.5, w, h


# ---- box_encode / box_decode / bipartite_matching -------------------------------------------


@register("_contrib_box_encode", aliases=("box_encode",), differentiable=False)
def box_encode(
    samples: jax.Array,
    matches: jax.Array,
    anchors: jax.Array,
    refs: jax.Array,
    means: jax.Array,
    stds: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """Regression targets of the anchors ``(B, N, 4)`` (corners) towards their matched
    references ``refs (B, M, 4)``: ``((ref_x - a_x) / a_w - means[0]) / stds[0]``, ...,
    ``(log(ref_w / a_w) - means[2]) / stds[2]``, ... for the anchors whose ``samples`` is
    positive (> 0.5), 0 elsewhere. ``matches (B, N)`` indexes ``refs``. Returns
    ``(targets, masks)``, both ``(B, N, 4)``; masks are 1 on the positive anchors."""
    if anchors.ndim != 3 or anchors.shape[-1] != 4 or refs.ndim != 3 or refs.shape[-1] != 4:
        raise OperatorError(
            f"box_encode: anchors and refs must be (B, N, 4) and (B, M, 4), got "
            f"{tuple(anchors.shape)} and {tuple(refs.shape)}."
        )
    b, n = anchors.shape[:2]
    if samples.size != b * n or matches.size != b * n or means.size != 4 or stds.size != 4:
        raise OperatorError(
            f"box_encode: samples {tuple(samples.shape)} and matches {tuple(matches.shape)} must "
            f"hold {b}x{n} values and means/stds 4, got {tuple(means.shape)}/{tuple(stds.shape)}."
        )
    samples, matches = _sg(samples).reshape(b, n), _sg(matches).reshape(b, n)
    anchors, refs, means, stds = _sg(anchors), _sg(refs), _sg(means), _sg(stds)
    idx = jnp.clip(matches.astype(jnp.int32), 0, refs.shape[1] - 1)
    ref = jnp.take_along_axis(refs, idx[..., None], axis=1)
    rx, ry, rw, rh = _center_form(ref)
    ax, ay, aw, ah = _center_form(anchors)
    t = jnp.stack([(rx - ax) / aw, (ry - ay) / ah, jnp.log(rw / aw), jnp.log(rh / ah)], axis=-1)
    t = (t - means.astype(t.dtype)) / stds.astype(t.dtype)
    valid = (samples > 0.5)[..., None]
    masks = jnp.broadcast_to(valid, t.shape).astype(anchors.dtype)
    return jnp.where(valid, t, 0).astype(anchors.dtype), masks


@register("_contrib_box_decode", aliases=("box_decode",), differentiable=False)
def box_decode(
    data: jax.Array,
    anchors: jax.Array,
    *,
    std0: float = 1.0,
    std1: float = 1.0,
    std2: float = 1.0,
    std3: float = 1.0,
    clip: float = -1.0,
    format: str = "center",
) -> jax.Array:
    """Corner boxes ``(B, N, 4)`` from the encoded offsets ``data (B, N, 4)`` and the anchors
    ``(1, N, 4)`` (``format`` 'center' ``[x, y, w, h]`` or 'corner'): ``x = d0 * std0 * a_w +
    a_x``, ``w = exp(min(d2 * std2, clip)) * a_w`` (``clip`` applies when > 0), ..."""
    if data.ndim != 3 or data.shape[-1] != 4 or anchors.ndim < 3 or anchors.shape[-1] != 4:
        raise OperatorError(
            f"box_decode: data must be (B, N, 4) and anchors (1, N, 4), got "
            f"{tuple(data.shape)} and {tuple(anchors.shape)}."
        )
    if format not in ("center", "corner"):
        raise OperatorError(f"box_decode: format must be 'center' or 'corner', got {format!r}.")
    data, a = _sg(data), _sg(anchors).reshape(-1, 4)[: data.shape[1]]
    if format == "corner":
        ax, ay, aw, ah = _center_form(a)
    else:
        ax, ay, aw, ah = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
    ox = data[..., 0] * std0 * aw + ax
    oy = data[..., 1] * std1 * ah + ay
    dw, dh = data[..., 2] * std2, data[..., 3] * std3
    if clip > 0:
        dw, dh = jnp.minimum(dw, clip), jnp.minimum(dh, clip)
    ow, oh = jnp.exp(dw) * aw * 0.5, jnp.exp(dh) * ah * 0.5
    return jnp.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1).astype(data.dtype)


@register("_contrib_bipartite_matching", aliases=("bipartite_matching",), differentiable=False)
def bipartite_matching(
    data: jax.Array, *, threshold: float, is_ascend: bool = False, topk: int = -1
) -> tuple[jax.Array, jax.Array]:
    """Greedy one-to-one matching of the rows and columns of the score matrices ``data (...,
    N, M)``: the best remaining pair (highest score, lowest when ``is_ascend``) is matched while
    it beats ``threshold``. Returns the column of each row ``(..., N)`` and the row of each
    column ``(..., M)``, -1 where unmatched. As in MXNet 1.9.1, ``topk > 0`` stops after
    ``topk + 1`` matches."""
    if data.ndim < 2:
        raise OperatorError(
            f"bipartite_matching: data must have at least 2 dimensions, got {tuple(data.shape)}."
        )
    n, m = data.shape[-2:]
    flat = _sg(data).reshape(-1, n, m)
    limit = min(n, m) if topk <= 0 else min(n, m, topk + 1)
    score = flat if is_ascend else -flat  # smaller is better

    def one(s: jax.Array) -> tuple[jax.Array, jax.Array]:
        def step(_: Any, st: Any) -> Any:
            rows, cols, done = st
            free = (rows[:, None] < 0) & (cols[None, :] < 0)
            masked = jnp.where(free, s, jnp.inf).reshape(-1)
            k = jnp.argmin(masked)
            best = masked[k]
            good = (best < -threshold) if not is_ascend else (best < threshold)
            ok = good & ~done & jnp.isfinite(best)
            r, c = k // m, k % m
            rows = jnp.where(ok, rows.at[r].set(c), rows)
            cols = jnp.where(ok, cols.at[c].set(r), cols)
            return rows, cols, done | ~ok

        init = (jnp.full((n,), -1, jnp.int32), jnp.full((m,), -1, jnp.int32), jnp.array(False))
        rows, cols, _ = lax.fori_loop(0, limit, step, init)
        return rows, cols

    rows, cols = jax.vmap(one)(score)
    return (
        rows.astype(data.dtype).reshape(data.shape[:-1]),
        cols.astype(data.dtype).reshape(data.shape[:-2] + (m,)),
    )


# ---- SSD: MultiBoxPrior / MultiBoxTarget / MultiBoxDetection ---------------------------------


@register("_contrib_MultiBoxPrior", aliases=("MultiBoxPrior",), differentiable=False)
def multibox_prior(
    data: jax.Array,
    *,
    sizes: Any = (1.0,),
    ratios: Any = (1.0,),
    clip: bool = False,
    steps: Any = (-1.0, -1.0),
    offsets: Any = (0.5, 0.5),
) -> jax.Array:
    """Anchor boxes ``(1, H * W * (len(sizes) + len(ratios) - 1), 4)`` (corners, relative to
    the image) centred on every cell of ``data (B, C, H, W)``: per cell, every size with the
    first ratio, then the first size with every other ratio. ``steps``/``offsets`` are (y, x);
    a step <= 0 means 1/H (1/W)."""
    if data.ndim != 4:
        raise OperatorError(f"MultiBoxPrior: data must be (B, C, H, W), got {tuple(data.shape)}.")
    sizes = _floats("MultiBoxPrior", "sizes", sizes)
    ratios = _floats("MultiBoxPrior", "ratios", ratios)
    steps = _floats("MultiBoxPrior", "steps", steps, 2)
    offsets = _floats("MultiBoxPrior", "offsets", offsets, 2)
    h, w = data.shape[2], data.shape[3]
    step_y = steps[0] if steps[0] > 0 else 1.0 / h
    step_x = steps[1] if steps[1] > 0 else 1.0 / w
    f32 = jnp.float32
    cy = (jnp.arange(h, dtype=f32) + f32(offsets[0])) * f32(step_y)
    cx = (jnp.arange(w, dtype=f32) + f32(offsets[1])) * f32(step_x)
    half = [(s, math.sqrt(ratios[0]) if ratios else 1.0) for s in sizes]
    half += [(sizes[0], math.sqrt(r)) for r in ratios[1:]]
    # float32 arithmetic in MXNet's order: size * H / W * sqrt(ratio) / 2, size / sqrt(r) / 2
    hw = jnp.array([f32(f32(f32(s) * h) / w) * f32(r) / 2 for s, r in half], f32)
    hh = jnp.array([f32(f32(s) / f32(r)) / 2 for s, r in half], f32)
    cyg, cxg = jnp.meshgrid(cy, cx, indexing="ij")
    cxg, cyg = cxg[..., None], cyg[..., None]
    out = jnp.stack([cxg - hw, cyg - hh, cxg + hw, cyg + hh], axis=-1).reshape(1, -1, 4)
    if clip:
        out = jnp.clip(out, 0, 1)
    return out.astype(data.dtype)


def _mxnet_iou(a: jax.Array, b: jax.Array) -> jax.Array:
    """IoU ``(n, m)`` of corner boxes, 0 where the union is not positive (MXNet's form)."""
    w = jnp.maximum(
        0, jnp.minimum(a[:, None, 2], b[None, :, 2]) - jnp.maximum(a[:, None, 0], b[None, :, 0])
    )
    h = jnp.maximum(
        0, jnp.minimum(a[:, None, 3], b[None, :, 3]) - jnp.maximum(a[:, None, 1], b[None, :, 1])
    )
    i = w * h
    u = (
        ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))[:, None]
        + ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[None, :]
        - i
    )
    return jnp.where(u > 0, i / jnp.where(u > 0, u, 1), 0)


@register("_contrib_MultiBoxTarget", aliases=("MultiBoxTarget",), differentiable=False)
def multibox_target(
    anchor: jax.Array,
    label: jax.Array,
    cls_pred: jax.Array,
    *,
    overlap_threshold: float = 0.5,
    ignore_label: float = -1.0,
    negative_mining_ratio: float = -1.0,
    negative_mining_thresh: float = 0.5,
    minimum_negative_samples: int = 0,
    variances: Any = (0.1, 0.1, 0.2, 0.2),
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """SSD training targets. ``anchor (1, N, 4)``, ``label (B, M, >=5)`` rows ``[class, xmin,
    ymin, xmax, ymax]`` (the ground truths end at the first row of class -1), ``cls_pred (B,
    classes, N)``. Each ground truth first takes its best anchor (greedily, best overlap
    first), then every anchor overlapping a ground truth above ``overlap_threshold`` is
    positive. The rest are negatives, or, with ``negative_mining_ratio > 0``, only the
    ``ratio * positives`` hardest ones (lowest background probability, overlap below
    ``negative_mining_thresh``) and the others are ignored. Returns ``loc_target (B, N*4)``,
    ``loc_mask (B, N*4)`` and ``cls_target (B, N)`` (class + 1 for positives, 0 for negatives,
    ``ignore_label`` otherwise, and everywhere for an image without ground truth).
    ``minimum_negative_samples`` is accepted and, as in MXNet's CPU kernel, unused."""
    if anchor.shape[-1] != 4 or label.ndim != 3 or label.shape[-1] < 5 or cls_pred.ndim != 3:
        raise OperatorError(
            f"MultiBoxTarget: expected anchor (1, N, 4), label (B, M, >=5) and cls_pred "
            f"(B, classes, N), got {tuple(anchor.shape)}, {tuple(label.shape)} and "
            f"{tuple(cls_pred.shape)}."
        )
    var = _floats("MultiBoxTarget", "variances", variances, 4)
    anchors = _sg(anchor).reshape(-1, 4)
    n, m = anchors.shape[0], label.shape[1]
    if cls_pred.shape[2] != n or cls_pred.shape[0] != label.shape[0]:
        raise OperatorError(
            f"MultiBoxTarget: cls_pred {tuple(cls_pred.shape)} must be (B, classes, N) with "
            f"B = {label.shape[0]} and N = {n} anchors."
        )
    dt = anchor.dtype
    ax, ay, aw, ah = _center_form(anchors)
    arange_n = jnp.arange(n)

    def one(lab: jax.Array, pred: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        gt_valid = jnp.cumprod((lab[:, 0] != -1).astype(jnp.int32)).astype(bool)
        iou = _mxnet_iou(anchors, lab[:, 1:5])  # (n, m)

        def bip(_: Any, st: Any) -> Any:
            pos, match, gt_done = st
            free = ~pos[:, None] & ~gt_done[None, :] & gt_valid[None, :]
            masked = jnp.where(free, iou, -jnp.inf).reshape(-1)
            k = jnp.argmax(masked)
            ok = masked[k] > 1e-6
            j, g = k // m, k % m
            pos = jnp.where(ok, pos.at[j].set(True), pos)
            match = jnp.where(ok, match.at[j].set(g), match)
            gt_done = jnp.where(ok, gt_done.at[g].set(True), gt_done)
            return pos, match, gt_done

        init = (jnp.zeros(n, bool), jnp.zeros(n, jnp.int32), jnp.zeros(m, bool))
        pos, match, _ = lax.fori_loop(0, m, bip, init)
        valid_iou = jnp.where(gt_valid[None, :], iou, -jnp.inf)
        best_gt = jnp.argmax(valid_iou, axis=1).astype(jnp.int32)
        best_iou = jnp.max(valid_iou, axis=1)
        if overlap_threshold > 0:
            extra = ~pos & (best_iou > overlap_threshold)
            match = jnp.where(extra, best_gt, match)
            pos = pos | extra
        num_pos = jnp.sum(pos)
        if negative_mining_ratio > 0:
            num_neg = (num_pos.astype(jnp.float32) * jnp.float32(negative_mining_ratio)).astype(
                jnp.int32
            )
            num_neg = jnp.minimum(num_neg, n - num_pos)
            cand = ~pos & (best_iou < negative_mining_thresh)
            p = pred.astype(jnp.float32)
            p = p - jnp.max(p, axis=0, keepdims=True)
            bg = jnp.exp(p[0]) / jnp.sum(jnp.exp(p), axis=0)
            order = jnp.argsort(jnp.where(cand, bg, jnp.inf), stable=True)
            rank = jnp.zeros(n, jnp.int32).at[order].set(arange_n.astype(jnp.int32))
            neg = cand & (rank < num_neg)
        else:
            neg = ~pos
        gt = lab[match]
        gx, gy, gw, gh = _center_form(gt[:, 1:5])
        loc = jnp.stack(
            [
                (gx - ax) / aw / var[0],
                (gy - ay) / ah / var[1],
                jnp.log(gw / aw) / var[2],
                jnp.log(gh / ah) / var[3],
            ],
            axis=-1,
        )
        any_gt = gt_valid[0]
        pos = pos & any_gt
        neg = neg & any_gt
        loc = jnp.where(pos[:, None], loc, 0).astype(dt)
        mask = jnp.broadcast_to(pos[:, None], (n, 4)).astype(dt)
        cls = jnp.where(pos, gt[:, 0] + 1, jnp.where(neg, 0, ignore_label)).astype(dt)
        return loc.reshape(-1), mask.reshape(-1), cls

    return jax.vmap(one)(_sg(label), _sg(cls_pred))


@register("_contrib_MultiBoxDetection", aliases=("MultiBoxDetection",), differentiable=False)
def multibox_detection(
    cls_prob: jax.Array,
    loc_pred: jax.Array,
    anchor: jax.Array,
    *,
    clip: bool = True,
    threshold: float = 0.01,
    background_id: int = 0,
    nms_threshold: float = 0.5,
    force_suppress: bool = False,
    variances: Any = (0.1, 0.1, 0.2, 0.2),
    nms_topk: int = -1,
) -> jax.Array:
    """SSD detections ``(B, N, 6)`` rows ``[class, score, xmin, ymin, xmax, ymax]`` from the
    class probabilities ``cls_prob (B, classes, N)`` (class 0 is the background), the encoded
    offsets ``loc_pred (B, N*4)`` and the anchors ``(1, N, 4)``. Anchors whose best class scores
    below ``threshold`` are dropped; the others are sorted by score, the first ``nms_topk``
    kept, and non-maximum suppression (IoU >= ``nms_threshold``, same class unless
    ``force_suppress``) sets the class of a suppressed row to -1. Rows past the detections are
    -1. As in MXNet's CPU kernel, ``background_id`` is accepted and class 0 is the background."""
    if cls_prob.ndim != 3 or loc_pred.ndim != 2 or anchor.shape[-1] != 4:
        raise OperatorError(
            f"MultiBoxDetection: expected cls_prob (B, classes, N), loc_pred (B, N*4) and "
            f"anchor (1, N, 4), got {tuple(cls_prob.shape)}, {tuple(loc_pred.shape)} and "
            f"{tuple(anchor.shape)}."
        )
    b, c, n = cls_prob.shape
    if loc_pred.shape != (b, n * 4) or anchor.size != n * 4:
        raise OperatorError(
            f"MultiBoxDetection: loc_pred {tuple(loc_pred.shape)} and anchor "
            f"{tuple(anchor.shape)} must hold 4 values per anchor of cls_prob {tuple(cls_prob.shape)}."
        )
    var = _floats("MultiBoxDetection", "variances", variances, 4)
    dt = cls_prob.dtype
    anchors = _sg(anchor).reshape(n, 4)
    ax, ay, aw, ah = _center_form(anchors)
    nms = 0 < nms_threshold <= 1
    kmax = min(nms_topk, n) if nms_topk > 0 else n

    def one(prob: jax.Array, loc: jax.Array) -> jax.Array:
        if c > 1:
            sub = prob[1:]
            score = jnp.max(sub, axis=0)
            cid = jnp.argmax(sub, axis=0) + 1
            cid = jnp.where(score > -1, cid, 0)
            score = jnp.where(score > -1, score, -1)
        else:
            score, cid = jnp.full((n,), -1, dt), jnp.zeros(n, jnp.int32)
        cid = jnp.where((cid > 0) & (score < threshold), 0, cid) - 1
        loc = loc.reshape(n, 4)
        ox = loc[:, 0] * var[0] * aw + ax
        oy = loc[:, 1] * var[1] * ah + ay
        ow = jnp.exp(loc[:, 2] * var[2]) * aw / 2
        oh = jnp.exp(loc[:, 3] * var[3]) * ah / 2
        box = jnp.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1)
        if clip:
            box = jnp.clip(box, 0, 1)
        rows = jnp.concatenate(
            [cid[:, None].astype(dt), score[:, None].astype(dt), box.astype(dt)], 1
        )
        valid = cid >= 0
        count = jnp.sum(valid)
        slot = jnp.arange(n)
        # the valid rows first, in anchor order (a scatter by running count, not a sort)
        dest = jnp.where(valid, jnp.cumsum(valid) - 1, n)
        compact = jnp.full((n, 6), -1, dt).at[dest].set(rows, mode="drop")
        if not nms:
            return compact
        # the kmax best valid rows by score, ties in anchor order (top_k keeps the lower index)
        _, order = lax.top_k(jnp.where(valid, rows[:, 1], -jnp.inf), kmax)
        nkeep = jnp.minimum(count, kmax)
        srt = rows[order]
        cand = jnp.arange(kmax) < nkeep
        iou = _mxnet_iou(srt[:, 2:], srt[:, 2:])
        sup = iou >= nms_threshold
        if not force_suppress:
            sup = sup & (srt[:, None, 0] == srt[None, :, 0])
        rank = jnp.arange(kmax)
        sup = sup & (rank[:, None] < rank[None, :])

        def step(i: Any, keep: jax.Array) -> jax.Array:
            return keep.at[i].set(cand[i] & ~jnp.any(keep & sup[:, i]))

        keep = lax.fori_loop(0, kmax, step, jnp.zeros(kmax, bool))
        srt = srt.at[:, 0].set(jnp.where(keep, srt[:, 0], -1))
        # rows [nkeep, count) keep the unsorted detections with class -1; rows past count: -1
        tail = compact.at[:, 0].set(jnp.where(slot < count, -1, compact[:, 0]))
        head = jnp.concatenate([srt, jnp.zeros((n - kmax, 6), dt)]) if kmax < n else srt
        return jnp.where((slot < nkeep)[:, None], head, tail)

    return jax.vmap(one)(_sg(cls_prob), _sg(loc_pred))


# ---- ROIAlign ---------------------------------------------------------------------------------


def _axis_weights(
    start: jax.Array, bin_size: jax.Array, grid: jax.Array, pooled: int, gmax: int, size: int
) -> jax.Array:
    """Summed 1-D bilinear weights ``(pooled, size)`` of the ``grid`` samples of each bin along
    one axis (MXNet's rules: samples outside [-1, size] weigh 0, coordinates below 0 read 0,
    past size-1 read the last cell)."""
    p = jnp.arange(pooled, dtype=start.dtype)[:, None]
    g = jnp.arange(gmax, dtype=start.dtype)[None, :]
    y = start + p * bin_size + (g + 0.5) * bin_size / grid.astype(start.dtype)
    inside = (y >= -1.0) & (y <= size) & (g < grid)
    y = jnp.maximum(y, 0)
    low = jnp.floor(y).astype(jnp.int32)
    last = low >= size - 1
    low = jnp.where(last, size - 1, low)
    high = jnp.where(last, size - 1, low + 1)
    frac = jnp.where(last, 0.0, y - low.astype(y.dtype))
    cells = jnp.arange(size)
    w = (1 - frac)[..., None] * (cells == low[..., None]) + frac[..., None] * (
        cells == high[..., None]
    )
    return jnp.sum(jnp.where(inside[..., None], w, 0), axis=1)


def _axis_taps(
    start: jax.Array, bin_size: jax.Array, grid: jax.Array, pooled: int, gmax: int, size: int
) -> tuple[jax.Array, jax.Array]:
    """The same weights as :func:`_axis_weights` as ``(pooled, 2 * gmax)`` cell indices and
    weights: two taps per sample, so that the ROI's bins gather only the rows/columns they
    read instead of contracting the whole map."""
    p = jnp.arange(pooled, dtype=start.dtype)[:, None]
    g = jnp.arange(gmax, dtype=start.dtype)[None, :]
    y = start + p * bin_size + (g + 0.5) * bin_size / grid.astype(start.dtype)
    inside = (y >= -1.0) & (y <= size) & (g < grid)
    y = jnp.maximum(y, 0)
    low = jnp.floor(y).astype(jnp.int32)
    last = low >= size - 1
    low = jnp.where(last, size - 1, low)
    high = jnp.where(last, size - 1, low + 1)
    frac = jnp.where(last, 0.0, y - low.astype(y.dtype))
    idx = jnp.concatenate([low, high], axis=1)
    wts = jnp.where(
        jnp.concatenate([inside, inside], axis=1), jnp.concatenate([1 - frac, frac], axis=1), 0
    )
    return idx, wts


@register("_contrib_ROIAlign", aliases=("ROIAlign",))
def roi_align(
    data: jax.Array,
    rois: jax.Array,
    *,
    pooled_size: Any,
    spatial_scale: float,
    sample_ratio: int = -1,
    position_sensitive: bool = False,
    aligned: bool = False,
) -> jax.Array:
    """Region features ``(R, C, ph, pw)`` of ``data (B, C, H, W)`` for ``rois (R, 5)`` rows
    ``[batch_index, x1, y1, x2, y2]`` (image coordinates, times ``spatial_scale``): each bin
    averages bilinear samples on a ``sample_ratio`` grid (``ceil(bin size)`` when -1, at most
    ``ceil(H / ph) + 1`` per axis so that the program has a static shape; ROIs larger than
    the map in that mode average fewer samples than MXNet). ``aligned`` shifts by half a
    pixel; ``position_sensitive`` reads channel ``c * ph * pw + i * pw + j`` for bin (i, j),
    giving ``C / (ph * pw)`` channels. A negative batch index gives zeros. The gradient flows
    to ``data``."""
    ph, pw = as_tuple(pooled_size, 2)
    if data.ndim != 4 or rois.ndim != 2 or rois.shape[1] not in (4, 5):
        raise OperatorError(
            f"ROIAlign: expected data (B, C, H, W) and rois (R, 5), got {tuple(data.shape)} "
            f"and {tuple(rois.shape)}."
        )
    nb, ch, h, w = data.shape
    if position_sensitive and ch % (ph * pw):
        raise OperatorError(
            f"ROIAlign: position_sensitive needs channels {ch} divisible by {ph}x{pw}."
        )
    rois = _sg(rois)
    if rois.shape[1] == 5:
        bidx, box = rois[:, 0].astype(jnp.int32), rois[:, 1:]
    else:
        bidx, box = jnp.zeros(rois.shape[0], jnp.int32), rois
    off = 0.5 if aligned else 0.0
    box = box.astype(jnp.float32) * jnp.float32(spatial_scale) - off
    rw, rh = box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]
    if not aligned:
        rw, rh = jnp.maximum(rw, 1.0), jnp.maximum(rh, 1.0)
    bh, bw = _div(rh, ph), _div(rw, pw)
    if sample_ratio > 0:
        gh = gw = jnp.full(rois.shape[0], sample_ratio, jnp.int32)
        gmh = gmw = sample_ratio
    else:
        gmh, gmw = -(-h // ph) + 1, -(-w // pw) + 1
        gh = jnp.clip(jnp.ceil(rh / ph), 1, gmh).astype(jnp.int32)
        gw = jnp.clip(jnp.ceil(rw / pw), 1, gmw).astype(jnp.int32)
    count = jnp.maximum(gh * gw, 1).astype(jnp.float32)
    if not position_sensitive:
        # a loop over the (row tap, column tap) pairs of the sampling grid, each step gathering
        # one channel vector per bin of every ROI (channels-last): the work is MXNet's
        # R * C * ph * pw * (2G)^2, with no (R, C, H, W)-sized intermediate
        iy, ty = jax.vmap(lambda s, b, g: _axis_taps(s, b, g, ph, gmh, h))(box[:, 1], bh, gh)
        ix, tx = jax.vmap(lambda s, b, g: _axis_taps(s, b, g, pw, gmw, w))(box[:, 0], bw, gw)
        ty = (ty / count[:, None, None]).astype(data.dtype)
        tx = tx.astype(data.dtype)
        nhwc = jnp.asarray(data).transpose(0, 2, 3, 1)
        bi = jnp.clip(bidx, 0, nb - 1)[:, None, None]
        ky, kx = iy.shape[2], ix.shape[2]

        def tap(t: Any, acc: jax.Array) -> jax.Array:
            a, c = t // kx, t % kx
            yi = lax.dynamic_index_in_dim(iy, a, 2, keepdims=False)
            xi = lax.dynamic_index_in_dim(ix, c, 2, keepdims=False)
            wy_ = lax.dynamic_index_in_dim(ty, a, 2, keepdims=False)
            wx_ = lax.dynamic_index_in_dim(tx, c, 2, keepdims=False)
            v = nhwc[bi, yi[:, :, None], xi[:, None, :]]  # (R, ph, pw, C)
            return acc + v * (wy_[:, :, None] * wx_[:, None, :])[..., None]

        acc = lax.fori_loop(0, ky * kx, tap, jnp.zeros((rois.shape[0], ph, pw, ch), data.dtype))
        out = acc.transpose(0, 3, 1, 2)
        return jnp.where((bidx >= 0)[:, None, None, None], out, 0)
    wy = jax.vmap(lambda s, b, g: _axis_weights(s, b, g, ph, gmh, h))(box[:, 1], bh, gh)
    wx = jax.vmap(lambda s, b, g: _axis_weights(s, b, g, pw, gmw, w))(box[:, 0], bw, gw)
    wy = (wy / count[:, None, None]).astype(data.dtype)
    wx = wx.astype(data.dtype)
    # the image of each ROI as a one-hot factor: no (R, C, H, W) gather is materialised
    wyb = (bidx[:, None] == jnp.arange(nb)[None, :]).astype(data.dtype)[:, :, None, None] * wy[
        :, None
    ]
    if position_sensitive:
        feats = data.reshape(nb, ch // (ph * pw), ph, pw, h, w)
        out = jnp.einsum("rbih,bcijhw,rjw->rcij", wyb, feats, wx)
    else:
        out = jnp.einsum("rbih,bchw,rjw->rcij", wyb, data, wx)
    return jnp.where((bidx >= 0)[:, None, None, None], out, 0)


# ---- Faster R-CNN: Proposal / MultiProposal ---------------------------------------------------


def _rpn_base_anchors(stride: float, ratios: tuple[float, ...], scales: tuple[float, ...]) -> Any:
    """The (ratios x scales, 4) anchors of one cell, as MXNet generates them (float32)."""
    import numpy as np

    f = np.float32
    w = h = f(stride - 1.0) + f(1.0)
    xc, yc = f(0.5 * (w - 1.0)), f(0.5 * (h - 1.0))
    out = []
    for r in ratios:
        for s in scales:
            size_r = np.floor(f(w * h) / f(r))
            nw = f(np.floor(np.sqrt(size_r) + f(0.5))) * f(s)
            nh = f(np.floor(f(nw / f(s) * f(r)) + f(0.5))) * f(s)
            out.append(
                [
                    xc - f(0.5) * (nw - f(1)),
                    yc - f(0.5) * (nh - f(1)),
                    xc + f(0.5) * (nw - f(1)),
                    yc + f(0.5) * (nh - f(1)),
                ]
            )
    return np.asarray(out, np.float32)


def _proposals(
    cls_prob: jax.Array,
    bbox_pred: jax.Array,
    im_info: jax.Array,
    op: str,
    pre_n: int,
    post_n: int,
    threshold: float,
    min_size: float,
    scales: Any,
    ratios: Any,
    stride: int,
    iou_loss: bool,
) -> tuple[jax.Array, jax.Array]:
    """Per image: ``(post_n, 4)`` boxes and ``(post_n,)`` scores."""
    if cls_prob.ndim != 4 or bbox_pred.ndim != 4 or im_info.ndim != 2 or im_info.shape[1] < 3:
        raise OperatorError(
            f"{op}: expected cls_prob (B, 2A, H, W), bbox_pred (B, 4A, H, W) and im_info (B, 3), "
            f"got {tuple(cls_prob.shape)}, {tuple(bbox_pred.shape)} and {tuple(im_info.shape)}."
        )
    scales = _floats(op, "scales", scales)
    ratios = _floats(op, "ratios", ratios)
    b, a2, h, w = cls_prob.shape
    na = a2 // 2
    if na != len(scales) * len(ratios) or bbox_pred.shape != (b, 4 * na, h, w):
        raise OperatorError(
            f"{op}: cls_prob {tuple(cls_prob.shape)} needs 2 x {len(ratios)} ratios x "
            f"{len(scales)} scales channels and bbox_pred {tuple(bbox_pred.shape)} 4 x as many."
        )
    count = na * h * w
    pre = min(pre_n if pre_n > 0 else count, count)
    base = jnp.asarray(_rpn_base_anchors(float(stride), ratios, scales))
    sy, sx = jnp.meshgrid(
        jnp.arange(h, dtype=jnp.float32) * stride,
        jnp.arange(w, dtype=jnp.float32) * stride,
        indexing="ij",
    )
    shift = jnp.stack([sx, sy, sx, sy], -1)[:, :, None, :]
    # (h, w, na, 4) in MXNet's order: index = y * (w * na) + x * na + a
    anchors = (base[None, None] + shift).reshape(count, 4)
    ys = jnp.broadcast_to(jnp.arange(h)[:, None, None], (h, w, na)).reshape(count)
    xs = jnp.broadcast_to(jnp.arange(w)[None, :, None], (h, w, na)).reshape(count)

    def one(prob: jax.Array, deltas: jax.Array, info: jax.Array) -> tuple[jax.Array, jax.Array]:
        score = prob[na:].transpose(1, 2, 0).reshape(count).astype(jnp.float32)
        d = deltas.reshape(na, 4, h, w).transpose(2, 3, 0, 1).reshape(count, 4).astype(jnp.float32)
        im_h, im_w = info[0].astype(jnp.float32), info[1].astype(jnp.float32)
        if iou_loss:
            box = anchors + d
        else:
            bw = anchors[:, 2] - anchors[:, 0] + 1.0
            bh = anchors[:, 3] - anchors[:, 1] + 1.0
            cx, cy = anchors[:, 0] + 0.5 * (bw - 1.0), anchors[:, 1] + 0.5 * (bh - 1.0)
            px, py = d[:, 0] * bw + cx, d[:, 1] * bh + cy
            pw, ph = jnp.exp(d[:, 2]) * bw, jnp.exp(d[:, 3]) * bh
            box = jnp.stack(
                [
                    px - 0.5 * (pw - 1.0),
                    py - 0.5 * (ph - 1.0),
                    px + 0.5 * (pw - 1.0),
                    py + 0.5 * (ph - 1.0),
                ],
                -1,
            )
        lim = jnp.stack([im_w, im_h, im_w, im_h]) - 1.0
        box = jnp.maximum(jnp.minimum(box, lim), 0.0)
        real_h = (info[0] / stride).astype(jnp.int32)
        real_w = (info[1] / stride).astype(jnp.int32)
        score = jnp.where((ys >= real_h) | (xs >= real_w), -1.0, score)
        ms = min_size * info[2].astype(jnp.float32)
        small = ((box[:, 2] - box[:, 0] + 1.0) < ms) | ((box[:, 3] - box[:, 1] + 1.0) < ms)
        box = box + jnp.where(small[:, None], jnp.stack([-ms, -ms, ms, ms]) / 2, 0.0)
        score = jnp.where(small, -1.0, score)
        _, order = lax.top_k(score, pre)  # ties keep the lower index, as a stable sort
        box, score = box[order], score[order]
        area = (box[:, 2] - box[:, 0] + 1) * (box[:, 3] - box[:, 1] + 1)

        def step(i: Any, st: Any) -> Any:
            supp, keep, n_kept = st
            take = ~supp[i] & (n_kept < post_n)
            ww = jnp.maximum(
                0.0, jnp.minimum(box[i, 2], box[:, 2]) - jnp.maximum(box[i, 0], box[:, 0]) + 1.0
            )
            hh = jnp.maximum(
                0.0, jnp.minimum(box[i, 3], box[:, 3]) - jnp.maximum(box[i, 1], box[:, 1]) + 1.0
            )
            inter = ww * hh
            ovr = inter / (area[i] + area - inter)
            later = jnp.arange(pre) > i
            supp = supp | (take & later & (ovr > threshold))
            return supp, keep.at[i].set(take), n_kept + take.astype(jnp.int32)

        init = (jnp.zeros(pre, bool), jnp.zeros(pre, bool), jnp.array(0, jnp.int32))
        _, keep, n_kept = lax.fori_loop(0, pre, step, init)
        kept = jnp.argsort(~keep, stable=True)
        idx = kept[jnp.arange(post_n) % jnp.maximum(n_kept, 1)]
        return box[idx], score[idx]

    return jax.vmap(one)(_sg(cls_prob), _sg(bbox_pred), _sg(im_info))


@register("_contrib_MultiProposal", aliases=("MultiProposal",), differentiable=False)
def multi_proposal(
    cls_prob: jax.Array,
    bbox_pred: jax.Array,
    im_info: jax.Array,
    *,
    rpn_pre_nms_top_n: int = 6000,
    rpn_post_nms_top_n: int = 300,
    threshold: float = 0.7,
    rpn_min_size: int = 16,
    scales: Any = (4.0, 8.0, 16.0, 32.0),
    ratios: Any = (0.5, 1.0, 2.0),
    feature_stride: int = 16,
    output_score: bool = False,
    iou_loss: bool = False,
) -> Any:
    """Region proposals of a region proposal network for a batch: the anchors (``ratios`` x
    ``scales`` per cell of stride ``feature_stride``) moved by ``bbox_pred (B, 4A, H, W)``,
    clipped to the image ``im_info (B, 3)`` rows ``[height, width, scale]``, scored by the
    foreground half of ``cls_prob (B, 2A, H, W)`` (-1 for boxes smaller than
    ``rpn_min_size * scale`` or on padded cells), the best ``rpn_pre_nms_top_n`` kept,
    suppressed (IoU > ``threshold``, +1 pixel convention) down to ``rpn_post_nms_top_n``.
    Returns rois ``(B * post, 5)`` rows ``[batch_index, x1, y1, x2, y2]`` (and, with
    ``output_score``, the scores ``(B * post, 1)``); when fewer boxes survive, MXNet's
    convention repeats them cyclically to fill the rows."""
    boxes, scores = _proposals(
        cls_prob,
        bbox_pred,
        im_info,
        "MultiProposal",
        rpn_pre_nms_top_n,
        rpn_post_nms_top_n,
        threshold,
        float(rpn_min_size),
        scales,
        ratios,
        feature_stride,
        iou_loss,
    )
    b = boxes.shape[0]
    bidx = jnp.broadcast_to(jnp.arange(b, dtype=jnp.float32)[:, None, None], boxes.shape[:2] + (1,))
    rois = jnp.concatenate([bidx, boxes], -1).reshape(-1, 5).astype(cls_prob.dtype)
    if output_score:
        return rois, scores.reshape(-1, 1).astype(cls_prob.dtype)
    return rois


@register("_contrib_Proposal", aliases=("Proposal",), differentiable=False)
def proposal(
    cls_prob: jax.Array,
    bbox_pred: jax.Array,
    im_info: jax.Array,
    *,
    rpn_pre_nms_top_n: int = 6000,
    rpn_post_nms_top_n: int = 300,
    threshold: float = 0.7,
    rpn_min_size: int = 16,
    scales: Any = (4.0, 8.0, 16.0, 32.0),
    ratios: Any = (0.5, 1.0, 2.0),
    feature_stride: int = 16,
    output_score: bool = False,
    iou_loss: bool = False,
) -> Any:
    """:func:`MultiProposal` for a batch of one image (MXNet's Proposal requires B = 1):
    rois ``(post, 5)`` (and scores ``(post, 1)`` with ``output_score``)."""
    if cls_prob.ndim == 4 and cls_prob.shape[0] != 1:
        raise OperatorError(
            f"Proposal: takes one image (use MultiProposal for a batch), got cls_prob "
            f"{tuple(cls_prob.shape)}."
        )
    return multi_proposal(
        cls_prob,
        bbox_pred,
        im_info,
        rpn_pre_nms_top_n=rpn_pre_nms_top_n,
        rpn_post_nms_top_n=rpn_post_nms_top_n,
        threshold=threshold,
        rpn_min_size=rpn_min_size,
        scales=scales,
        ratios=ratios,
        feature_stride=feature_stride,
        output_score=output_score,
        iou_loss=iou_loss,
    )


# ---- position-sensitive ROI pooling (R-FCN) ----------------------------------------------------


def _round_half_away(x: jax.Array) -> jax.Array:
    return jnp.sign(x) * jnp.floor(jnp.abs(x) + 0.5)


def _ps_channels(output_dim: int, group: int, pooled: int) -> Any:
    """The input channel read by output channel c at bin (i, j): ``(c, pooled, pooled)``."""
    import numpy as np

    g = np.clip(np.floor(np.arange(pooled) * group / pooled).astype(int), 0, group - 1)
    c = np.arange(output_dim)[:, None, None]
    return (c * group + g[None, :, None]) * group + g[None, None, :]


def _check_rois(op: str, data: jax.Array, rois: jax.Array) -> None:
    if data.ndim != 4 or rois.ndim != 2 or rois.shape[1] != 5:
        raise OperatorError(
            f"{op}: expected data (B, C, H, W) and rois (R, 5), got {tuple(data.shape)} and "
            f"{tuple(rois.shape)}."
        )


@register("_contrib_PSROIPooling", aliases=("PSROIPooling",))
def psroi_pooling(
    data: jax.Array,
    rois: jax.Array,
    *,
    spatial_scale: float,
    output_dim: int,
    pooled_size: int,
    group_size: int = 0,
) -> jax.Array:
    """Position-sensitive ROI average pooling (R-FCN): ``(R, output_dim, p, p)``, bin (i, j)
    of output channel c averaging the cells of its (rounded, integer) bin in input channel
    ``(c * g + gi) * g + gj`` (``g = group_size``, ``pooled_size`` when 0). The gradient flows
    to ``data``."""
    _check_rois("PSROIPooling", data, rois)
    p, g = int(pooled_size), int(group_size) or int(pooled_size)
    b, ch, h, w = data.shape
    if ch != output_dim * g * g:
        raise OperatorError(
            f"PSROIPooling: data has {ch} channels, expected output_dim * group_size^2 = "
            f"{output_dim * g * g}."
        )
    r = _sg(rois).astype(jnp.float32)
    bidx = r[:, 0].astype(jnp.int32)
    x0, y0 = _round_half_away(r[:, 1]) * spatial_scale, _round_half_away(r[:, 2]) * spatial_scale
    x1 = (_round_half_away(r[:, 3]) + 1) * spatial_scale
    y1 = (_round_half_away(r[:, 4]) + 1) * spatial_scale
    bw, bh = _div(jnp.maximum(x1 - x0, 0.1), p), _div(jnp.maximum(y1 - y0, 0.1), p)

    def cells(start: jax.Array, size: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
        k = jnp.arange(p, dtype=jnp.float32)
        # barriers keep XLA from reassociating the products (bin edges must round as MXNet's)
        lo_p, hi_p = lax.optimization_barrier(
            (k[None] * size[:, None], (k[None] + 1) * size[:, None])
        )
        lo = jnp.clip(jnp.floor(lo_p + start[:, None]), 0, n)
        hi = jnp.clip(jnp.ceil(hi_p + start[:, None]), 0, n)
        idx = jnp.arange(n, dtype=jnp.float32)
        m = (idx[None, None] >= lo[..., None]) & (idx[None, None] < hi[..., None])
        return m.astype(data.dtype), jnp.maximum(hi - lo, 0)

    my, ny = cells(y0, bh, h)
    mx, nx = cells(x0, bw, w)
    area = ny[:, :, None] * nx[:, None, :]  # (R, p, p)
    chans = jnp.asarray(_ps_channels(output_dim, g, p))
    sel = data[:, chans]  # (B, out, p, p, H, W)
    onehot = (bidx[:, None] == jnp.arange(b)[None]).astype(data.dtype)
    s = jnp.einsum("rb,bcijhw,rih,rjw->rcij", onehot, sel, my, mx)
    return jnp.where(area[:, None] > 0, s / jnp.where(area > 0, area, 1)[:, None], 0).astype(
        data.dtype
    )


def _dpsroi_weights(
    start: jax.Array, sub: jax.Array, spp: int, n: int
) -> tuple[jax.Array, jax.Array]:
    """Summed bilinear weights ``(..., n)`` of the ``spp`` samples ``start + k * sub`` and the
    number of samples inside ``[-0.5, n - 0.5]``."""
    k = jnp.arange(spp, dtype=start.dtype)
    v = start[..., None] + k * sub[..., None]
    inside = (v >= -0.5) & (v <= n - 0.5)
    v = jnp.clip(v, 0, n - 1)
    lo = jnp.floor(v)
    d = v - lo
    cells = jnp.arange(n, dtype=start.dtype)
    wts = (1 - d)[..., None] * (cells == lo[..., None]) + d[..., None] * (
        cells == lo[..., None] + 1
    )
    wts = jnp.where(inside[..., None], wts, 0)
    return jnp.sum(wts, axis=-2), jnp.sum(inside, axis=-1)


@register("_contrib_DeformablePSROIPooling", aliases=("DeformablePSROIPooling",))
def deformable_psroi_pooling(
    data: jax.Array,
    rois: jax.Array,
    trans: jax.Array | None = None,
    *,
    spatial_scale: float,
    output_dim: int,
    group_size: int,
    pooled_size: int,
    part_size: int = 0,
    sample_per_part: int = 1,
    trans_std: float = 0.0,
    no_trans: bool = False,
) -> jax.Array:
    """Deformable position-sensitive ROI pooling (Deformable R-FCN): each bin of each ROI is
    moved by ``trans (R, 2 * classes, part, part)`` times ``trans_std`` and the ROI size, and
    averages ``sample_per_part``^2 bilinear samples (those inside the map) of its
    position-sensitive channel. Output ``(R, output_dim, p, p)``; gradients flow to ``data``
    and ``trans``."""
    _check_rois("DeformablePSROIPooling", data, rois)
    p, g, spp = int(pooled_size), int(group_size), int(sample_per_part)
    part = int(part_size) or p
    b, ch, h, w = data.shape
    if ch != output_dim * g * g:
        raise OperatorError(
            f"DeformablePSROIPooling: data has {ch} channels, expected output_dim * "
            f"group_size^2 = {output_dim * g * g}."
        )
    nr = rois.shape[0]
    if not no_trans and trans is None:
        raise OperatorError("DeformablePSROIPooling: trans is required unless no_trans=True.")
    ncls = 1 if no_trans else trans.shape[1] // 2
    if not no_trans and (
        trans.ndim != 4 or trans.shape[0] != nr or trans.shape[2:] != (part, part)
    ):
        raise OperatorError(
            f"DeformablePSROIPooling: trans must be (R, 2 * classes, {part}, {part}) for {nr} "
            f"ROIs, got {tuple(trans.shape)}."
        )
    per_cls = output_dim if no_trans else output_dim // ncls
    r = _sg(rois).astype(jnp.float32)
    bidx = r[:, 0].astype(jnp.int32)
    x0 = _round_half_away(r[:, 1]) * spatial_scale - 0.5
    y0 = _round_half_away(r[:, 2]) * spatial_scale - 0.5
    x1 = (_round_half_away(r[:, 3]) + 1) * spatial_scale - 0.5
    y1 = (_round_half_away(r[:, 4]) + 1) * spatial_scale - 0.5
    rw, rh = jnp.maximum(x1 - x0, 0.1), jnp.maximum(y1 - y0, 0.1)
    bw, bh = _div(rw, p), _div(rh, p)
    import numpy as np

    part_idx = np.floor(np.arange(p) / p * part).astype(int)
    cls_of = np.arange(output_dim) // per_cls  # class of each output channel
    if no_trans:
        tx = ty = jnp.zeros((nr, output_dim, p, p), jnp.float32)
    else:
        t = trans.astype(jnp.float32).reshape(nr, ncls, 2, part, part) * trans_std
        t = t[:, :, :, part_idx][:, :, :, :, part_idx]  # (R, ncls, 2, p, p)
        t = t[:, cls_of]  # (R, out, 2, p, p)
        tx, ty = t[:, :, 0], t[:, :, 1]
    k = jnp.arange(p, dtype=jnp.float32)
    ws = (
        k[None, None, None, :] * bw[:, None, None, None]
        + x0[:, None, None, None]
        + tx * rw[:, None, None, None]
    )
    hs = (
        k[None, None, :, None] * bh[:, None, None, None]
        + y0[:, None, None, None]
        + ty * rh[:, None, None, None]
    )
    wx, cx = _dpsroi_weights(
        ws, jnp.broadcast_to(_div(bw, spp)[:, None, None, None], ws.shape), spp, w
    )
    wy, cy = _dpsroi_weights(
        hs, jnp.broadcast_to(_div(bh, spp)[:, None, None, None], hs.shape), spp, h
    )
    count = (cx * cy).astype(data.dtype)  # (R, out, p, p)
    chans = jnp.asarray(_ps_channels(output_dim, g, p))
    sel = data[:, chans]  # (B, out, p, p, H, W)
    onehot = (bidx[:, None] == jnp.arange(b)[None]).astype(data.dtype)
    s = jnp.einsum(
        "rb,bcijhw,rcijh,rcijw->rcij", onehot, sel, wy.astype(data.dtype), wx.astype(data.dtype)
    )
    return jnp.where(count > 0, s / jnp.where(count > 0, count, 1), 0).astype(data.dtype)


@register("_contrib_RROIAlign", aliases=("RROIAlign",), differentiable=False)
def rroi_align(
    data: jax.Array,
    rois: jax.Array,
    *,
    pooled_size: Any,
    spatial_scale: float,
    sampling_ratio: int = -1,
) -> jax.Array:
    """ROIAlign over rotated boxes ``rois (R, 6)`` rows ``[batch_index, cx, cy, w, h,
    angle_degrees]``: bins of the rotated box average bilinear samples (MXNet's ROIAlign
    sampling rules) of ``data (B, C, H, W)``; output ``(R, C, ph, pw)``. With
    ``sampling_ratio`` -1 the per-bin grid (``ceil(bin size)``) is capped at
    ``ceil(max(H, W) / min(ph, pw)) + 1`` per axis for a static shape. MXNet 1.9.1 has no
    backward for this operator; gluax gives zero gradients."""
    ph, pw = as_tuple(pooled_size, 2)
    if data.ndim != 4 or rois.ndim != 2 or rois.shape[1] != 6:
        raise OperatorError(
            f"RROIAlign: expected data (B, C, H, W) and rois (R, 6), got {tuple(data.shape)} "
            f"and {tuple(rois.shape)}."
        )
    b, ch, h, w = data.shape
    r = _sg(rois).astype(jnp.float32)
    data = _sg(data)
    bidx = jnp.clip(r[:, 0].astype(jnp.int32), 0, b - 1)
    cx, cy = r[:, 1] * spatial_scale, r[:, 2] * spatial_scale
    rw = jnp.maximum(r[:, 3] * spatial_scale, 1.0)
    rh = jnp.maximum(r[:, 4] * spatial_scale, 1.0)
    theta = r[:, 5] * jnp.float32(3.141592653589793 / 180.0)
    bh, bw = _div(rh, ph), _div(rw, pw)
    if sampling_ratio > 0:
        gmax = sampling_ratio
        gh = gw = jnp.full(r.shape[0], sampling_ratio, jnp.int32)
    else:
        gmax = -(-max(h, w) // min(ph, pw)) + 1
        gh = jnp.clip(jnp.ceil(rh / ph), 1, gmax).astype(jnp.int32)
        gw = jnp.clip(jnp.ceil(rw / pw), 1, gmax).astype(jnp.int32)
    g = jnp.arange(gmax, dtype=jnp.float32)
    iy = jnp.arange(ph, dtype=jnp.float32)
    ix = jnp.arange(pw, dtype=jnp.float32)
    # (R, ph, G) and (R, pw, G) local coordinates relative to the centre
    yy = (
        (-rh / 2)[:, None, None]
        + iy[None, :, None] * bh[:, None, None]
        + (g[None, None] + 0.5) * _div(bh, 1)[:, None, None] / gh[:, None, None]
    )
    xx = (
        (-rw / 2)[:, None, None]
        + ix[None, :, None] * bw[:, None, None]
        + (g[None, None] + 0.5) * _div(bw, 1)[:, None, None] / gw[:, None, None]
    )
    my = g[None, None] < gh[:, None, None]
    mx_ = g[None, None] < gw[:, None, None]
    yy = yy[:, :, None, :, None]  # (R, ph, 1, G, 1)
    xx = xx[:, None, :, None, :]  # (R, 1, pw, 1, G)
    cos, sin = jnp.cos(theta)[:, None, None, None, None], jnp.sin(theta)[:, None, None, None, None]
    x = xx * cos + yy * sin + cx[:, None, None, None, None]
    y = yy * cos - xx * sin + cy[:, None, None, None, None]
    valid = (y >= -1.0) & (y <= h) & (x >= -1.0) & (x <= w)
    valid = valid & my[:, :, None, :, None] & mx_[:, None, :, None, :]
    y, x = jnp.maximum(y, 0), jnp.maximum(x, 0)
    y0, x0 = jnp.floor(y).astype(jnp.int32), jnp.floor(x).astype(jnp.int32)
    ylast, xlast = y0 >= h - 1, x0 >= w - 1
    y0, x0 = jnp.where(ylast, h - 1, y0), jnp.where(xlast, w - 1, x0)
    y1, x1 = jnp.where(ylast, h - 1, y0 + 1), jnp.where(xlast, w - 1, x0 + 1)
    ly = jnp.where(ylast, 0.0, y - y0)
    lx = jnp.where(xlast, 0.0, x - x0)
    flat = data.reshape(b, ch, h * w)
    nr = r.shape[0]

    def gather(yi: jax.Array, xi: jax.Array) -> jax.Array:
        idx = (yi * w + xi).reshape(nr, -1)
        return flat[bidx[:, None], :, idx]  # (R, P, C)

    vm = valid.astype(jnp.float32)
    acc = (
        gather(y0, x0) * ((1 - ly) * (1 - lx) * vm).reshape(nr, -1, 1)
        + gather(y0, x1) * ((1 - ly) * lx * vm).reshape(nr, -1, 1)
        + gather(y1, x0) * (ly * (1 - lx) * vm).reshape(nr, -1, 1)
        + gather(y1, x1) * (ly * lx * vm).reshape(nr, -1, 1)
    )
    acc = acc.reshape(nr, ph, pw, gmax * gmax, ch).sum(3)
    count = (gh * gw).astype(jnp.float32)[:, None, None, None]
    return (acc / count).transpose(0, 3, 1, 2).astype(data.dtype)
