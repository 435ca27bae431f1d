"""``mx.nd.contrib`` operators registered as ``_contrib_X`` (and as ``X``): box_nms,
box_iou, isnan, isinf, isfinite, div_sqrt_dim, arange_like, index_copy, index_array, and the
interleaved multi-head attention products (``interleaved_matmul_selfatt_qk`` and friends)."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import as_tuple, norm_axis


def _corners(b: jax.Array, fmt: str, op: str = "box_nms") -> jax.Array:
    """Boxes ``(..., 4)`` as ``[xmin, ymin, xmax, ymax]``."""
    if fmt == "corner":
        return b
    if fmt != "center":
        raise OperatorError(f"{op}: box format must be 'corner' or 'center', got {fmt!r}.")
    xy, wh = b[..., :2], b[..., 2:]
    return jnp.concatenate([xy - wh / 2, xy + wh / 2], axis=-1)


def _centers(b: jax.Array) -> jax.Array:
    return jnp.concatenate([(b[..., :2] + b[..., 2:]) / 2, b[..., 2:] - b[..., :2]], axis=-1)


def _iou(a: jax.Array, b: jax.Array) -> jax.Array:
    """IoU of every box of ``a (..., n, 4)`` with every box of ``b (..., m, 4)`` (corners)."""
    lt = jnp.maximum(a[..., :, None, :2], b[..., None, :, :2])
    rb = jnp.minimum(a[..., :, None, 2:], b[..., None, :, 2:])
    wh = jnp.maximum(rb - lt, 0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a[..., :, None] + area_b[..., None, :] - inter
    return jnp.where(union > 0, inter / jnp.where(union > 0, union, 1), 0)


@register("_contrib_box_iou", aliases=("box_iou",))
def box_iou(lhs: jax.Array, rhs: jax.Array, *, format: str = "corner") -> jax.Array:
    """Intersection over union of every box of ``lhs`` (``(..., 4)``) with every box of
    ``rhs``: output ``lhs.shape[:-1] + rhs.shape[:-1]``."""
    if lhs.shape[-1] != 4 or rhs.shape[-1] != 4:
        raise OperatorError(
            f"box_iou: boxes must have 4 coordinates on the last axis, got {tuple(lhs.shape)} and {tuple(rhs.shape)}."
        )
    a = _corners(lhs, format, "box_iou").reshape(-1, 4)
    b = _corners(rhs, format, "box_iou").reshape(-1, 4)
    return _iou(a, b).reshape(tuple(lhs.shape[:-1]) + tuple(rhs.shape[:-1]))


def _nms_one(
    x: jax.Array,
    overlap_thresh: float,
    valid_thresh: float,
    topk: int,
    coord_start: int,
    score_index: int,
    id_index: int,
    background_id: int,
    force_suppress: bool,
    in_format: str,
    out_format: str,
) -> jax.Array:
    """NMS over the rows of one ``(n, k)`` block. Only the ``m = min(topk, n)`` best valid
    rows are candidates (as in MXNet), so the overlap matrix is ``m x m`` and the greedy
    pass runs ``m`` steps; the result is padded with rows of -1 back to ``n``."""
    n = x.shape[0]
    m = min(topk, n) if topk > 0 else n
    score = lax.stop_gradient(x[:, score_index])
    valid = score > valid_thresh
    if id_index >= 0 and background_id >= 0:
        valid = valid & (lax.stop_gradient(x[:, id_index]) != background_id)
    order = jnp.argsort(jnp.where(valid, -score, jnp.inf), stable=True)[:m]
    xs = x[order]
    cand = valid[order]
    rank = jnp.arange(m)
    boxes = _corners(lax.stop_gradient(xs[:, coord_start : coord_start + 4]), in_format)
    overlap = (_iou(boxes, boxes) > overlap_thresh) & (rank[None, :] < rank[:, None])
    if id_index >= 0 and not force_suppress:
        ids = lax.stop_gradient(xs[:, id_index])
        overlap = overlap & (ids[:, None] == ids[None, :])

    def step(i: Any, keep: jax.Array) -> jax.Array:
        return keep.at[i].set(cand[i] & ~jnp.any(keep & overlap[i]))

    keep = lax.fori_loop(0, m, step, jnp.zeros(m, bool))
    pos = jnp.argsort(~keep, stable=True)  # kept boxes first, in score order
    out = xs[pos]
    if out_format != in_format:
        coords = _corners(out[:, coord_start : coord_start + 4], in_format)
        coords = coords if out_format == "corner" else _centers(coords)
        out = out.at[:, coord_start : coord_start + 4].set(coords)
    out = jnp.where(keep[pos][:, None], out, jnp.full_like(out, -1))
    if m < n:
        out = jnp.concatenate([out, jnp.full((n - m, x.shape[1]), -1, out.dtype)])
    return out


@register(
    "_contrib_box_nms",
    aliases=("box_nms", "_contrib_box_non_maximum_suppression", "box_non_maximum_suppression"),
)
def box_nms(
    data: jax.Array,
    *,
    overlap_thresh: float = 0.5,
    valid_thresh: float = 0.0,
    topk: int = -1,
    coord_start: int = 2,
    score_index: int = 1,
    id_index: int = -1,
    background_id: int = -1,
    force_suppress: bool = False,
    in_format: str = "corner",
    out_format: str = "corner",
) -> jax.Array:
    """Non-maximum suppression over the boxes (rows) of ``data`` (``(..., n, k)``).

    Boxes scoring above ``valid_thresh`` (and not of class ``background_id``) are sorted by
    score; only the first ``topk`` are considered (all when -1); a box is dropped when it
    overlaps (IoU above ``overlap_thresh``) a kept box of higher score (of the same class
    when ``id_index`` is given, unless ``force_suppress``). The output has ``data``'s shape:
    the kept rows first, by decreasing score, then rows of -1. The gradient flows to the
    kept rows.
    """
    if data.ndim < 2 or coord_start + 4 > data.shape[-1] or score_index >= data.shape[-1]:
        raise OperatorError(
            f"box_nms: expected rows of at least {max(coord_start + 4, score_index + 1)} values "
            f"(score at {score_index}, coordinates from {coord_start}), got shape {tuple(data.shape)}."
        )
    for f in (in_format, out_format):
        if f not in ("corner", "center"):
            raise OperatorError(f"box_nms: box format must be 'corner' or 'center', got {f!r}.")
    flat = data.reshape((-1,) + tuple(data.shape[-2:]))
    run = jax.vmap(
        lambda x: _nms_one(
            x,
            overlap_thresh,
            valid_thresh,
            topk,
            coord_start,
            score_index,
            id_index,
            background_id,
            force_suppress,
            in_format,
            out_format,
        )
    )
    return run(flat).reshape(data.shape)


@register("_contrib_isnan", aliases=("isnan",), differentiable=False)
def isnan(data: jax.Array) -> jax.Array:
    """1 where ``data`` is NaN, else 0, in ``data``'s dtype."""
    return jnp.isnan(data).astype(data.dtype)


@register("_contrib_isinf", aliases=("isinf",), differentiable=False)
def isinf(data: jax.Array) -> jax.Array:
    """1 where ``data`` is +-inf, else 0, in ``data``'s dtype."""
    return jnp.isinf(data).astype(data.dtype)


@register("_contrib_isfinite", aliases=("isfinite",), differentiable=False)
def isfinite(data: jax.Array) -> jax.Array:
    """1 where ``data`` is finite, else 0, in ``data``'s dtype."""
    return jnp.isfinite(data).astype(data.dtype)


@register("_contrib_div_sqrt_dim", aliases=("div_sqrt_dim",))
def div_sqrt_dim(data: jax.Array) -> jax.Array:
    """``data / sqrt(data.shape[-1])`` (attention scaling)."""
    return data / jnp.asarray(math.sqrt(data.shape[-1]), data.dtype)


@register("_contrib_arange_like", aliases=("arange_like",), differentiable=False)
def arange_like(
    data: jax.Array,
    *,
    start: float = 0.0,
    step: float = 1.0,
    repeat: int = 1,
    ctx: str = "",
    axis: int | None = None,
) -> jax.Array:
    """``start, start + step, ...`` (each repeated ``repeat`` times) shaped like ``data``, or
    along one ``axis`` of it as a 1-D array."""
    n = data.size if axis is None else data.shape[norm_axis("arange_like", axis, data.ndim)]
    vals = start + step * (jnp.arange(n, dtype=jnp.float32) // repeat)
    return (vals if axis is not None else vals.reshape(data.shape)).astype(data.dtype)


@register("_contrib_index_copy", aliases=("index_copy",))
def index_copy(old_tensor: jax.Array, index_vector: jax.Array, new_tensor: jax.Array) -> jax.Array:
    """A copy of ``old_tensor`` whose rows ``index_vector`` are the rows of ``new_tensor``."""
    if index_vector.ndim != 1 or tuple(new_tensor.shape) != (index_vector.shape[0],) + tuple(
        old_tensor.shape[1:]
    ):
        raise OperatorError(
            f"index_copy: new_tensor {tuple(new_tensor.shape)} must hold one row of "
            f"old_tensor {tuple(old_tensor.shape)} per index of index_vector {tuple(index_vector.shape)}."
        )
    return old_tensor.at[lax.stop_gradient(index_vector).astype(jnp.int32)].set(new_tensor)


@register("_contrib_index_array", aliases=("index_array",), differentiable=False)
def index_array(data: jax.Array, *, axes: Any = None) -> jax.Array:
    """For ``data`` of shape ``(d1, ..., dn)``: ``idx[i1, ..., in, :] = [i1, ..., in]``
    (only the ``axes`` listed, when given), as int64 (int32 without jax's 64-bit mode)."""
    axes = (
        tuple(range(data.ndim))
        if axes is None
        else tuple(norm_axis("index_array", a, data.ndim) for a in as_tuple(axes))
    )
    grids = jnp.meshgrid(*[jnp.arange(n) for n in data.shape], indexing="ij")
    return jnp.stack([grids[a] for a in axes], axis=-1).astype(
        jax.dtypes.canonicalize_dtype(jnp.int64)
    )


# ---- fused multi-head attention products (GluonNLP's BERT/Transformer) -----------------------
# Projections are time-major (L, B, ...) with the heads interleaved: per head, the query,
# key and value vectors of length D = proj / heads sit next to each other.


def _heads(x: jax.Array, heads: int, parts: int, op: str) -> jax.Array:
    """(L, B, heads * parts * D) -> (parts, B * heads, L, D)."""
    n, b, e = x.shape
    if e % (heads * parts):
        raise OperatorError(
            f"{op}: the last axis of shape {tuple(x.shape)} is not divisible by heads * {parts} = {heads * parts}."
        )
    d = e // (heads * parts)
    return x.reshape(n, b, heads, parts, d).transpose(3, 1, 2, 0, 4).reshape(parts, b * heads, n, d)


def _merge_heads(x: jax.Array, heads: int) -> jax.Array:
    """(B * heads, L, D) -> (L, B, heads * D)."""
    bh, n, d = x.shape
    return (
        x.reshape(bh // heads, heads, n, d).transpose(2, 0, 1, 3).reshape(n, bh // heads, heads * d)
    )


def _check_3d(op: str, name: str, x: jax.Array) -> None:
    if x.ndim != 3:
        raise OperatorError(f"{op}: expected {name} of shape (L, B, ...), got {tuple(x.shape)}.")


@register("_contrib_interleaved_matmul_selfatt_qk", aliases=("interleaved_matmul_selfatt_qk",))
def interleaved_matmul_selfatt_qk(queries_keys_values: jax.Array, *, heads: int) -> jax.Array:
    """Self-attention scores ``q k^T / sqrt(D)`` per head from the interleaved projections
    ``(L, B, heads * 3 * D)``: output ``(B * heads, L, L)``."""
    _check_3d("interleaved_matmul_selfatt_qk", "queries_keys_values", queries_keys_values)
    q, k, _ = _heads(queries_keys_values, heads, 3, "interleaved_matmul_selfatt_qk")
    return (q / jnp.sqrt(jnp.asarray(q.shape[-1], q.dtype))) @ jnp.swapaxes(k, 1, 2)


@register(
    "_contrib_interleaved_matmul_selfatt_valatt", aliases=("interleaved_matmul_selfatt_valatt",)
)
def interleaved_matmul_selfatt_valatt(
    queries_keys_values: jax.Array, attention: jax.Array, *, heads: int
) -> jax.Array:
    """``attention @ v`` per head, from the interleaved projections and attention weights
    ``(B * heads, L, L)``: output ``(L, B, heads * D)``."""
    _check_3d("interleaved_matmul_selfatt_valatt", "queries_keys_values", queries_keys_values)
    _, _, v = _heads(queries_keys_values, heads, 3, "interleaved_matmul_selfatt_valatt")
    return _merge_heads(attention @ v, heads)


@register("_contrib_interleaved_matmul_encdec_qk", aliases=("interleaved_matmul_encdec_qk",))
def interleaved_matmul_encdec_qk(
    queries: jax.Array, keys_values: jax.Array, *, heads: int
) -> jax.Array:
    """Encoder-decoder scores ``q k^T / sqrt(D)`` from queries ``(Lq, B, heads * D)`` and
    interleaved keys/values ``(Lk, B, heads * 2 * D)``: output ``(B * heads, Lq, Lk)``."""
    _check_3d("interleaved_matmul_encdec_qk", "queries", queries)
    _check_3d("interleaved_matmul_encdec_qk", "keys_values", keys_values)
    (q,) = _heads(queries, heads, 1, "interleaved_matmul_encdec_qk")
    k, _ = _heads(keys_values, heads, 2, "interleaved_matmul_encdec_qk")
    return (q / jnp.sqrt(jnp.asarray(q.shape[-1], q.dtype))) @ jnp.swapaxes(k, 1, 2)


@register(
    "_contrib_interleaved_matmul_encdec_valatt", aliases=("interleaved_matmul_encdec_valatt",)
)
def interleaved_matmul_encdec_valatt(
    keys_values: jax.Array, attention: jax.Array, *, heads: int
) -> jax.Array:
    """``attention @ v`` per head from interleaved keys/values ``(Lk, B, heads * 2 * D)`` and
    attention ``(B * heads, Lq, Lk)``: output ``(Lq, B, heads * D)``."""
    _check_3d("interleaved_matmul_encdec_valatt", "keys_values", keys_values)
    _, v = _heads(keys_values, heads, 2, "interleaved_matmul_encdec_valatt")
    return _merge_heads(attention @ v, heads)
