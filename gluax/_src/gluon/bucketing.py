"""Shape bucketing for hybridized blocks (``hybridize(bucket=..., bucket_time=...)``): ragged
batches (and sequence lengths) are padded up to a few bucket sizes so that one compiled program
serves them all, with the real sizes fed to the trace so that padding reaches no result."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine import random as _random
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.registry import call
from gluax._src.engine.state import STATE


def _is_nd(x: Any) -> bool:
    return isinstance(x, NDArray)


def bucket_size(block: Any, n: int, flag: str = "bucket") -> int:
    bucket = block._flags[flag]
    if isinstance(bucket, int) and not isinstance(bucket, bool):
        return max(n, bucket)
    try:
        sizes = sorted(int(b) for b in bucket)
    except TypeError:
        raise TypeError(
            f"{type(block).__name__} '{block.name}': hybridize({flag}=...) takes an int or a "
            f"list of ints, got {bucket!r}."
        ) from None
    for b in sizes:
        if b >= n:
            return b
    return n  # larger than every bucket: run at its own size


def call_bucketed(block: Any, args: tuple[Any, ...]) -> Any:
    """Pad the batch axis (and, with ``bucket_time``, the time axis) up to bucket sizes,
    run compiled with the real sizes as traced inputs, and cut the padding off the
    outputs. Padded rows reach no result: row-wise layers never mix rows, and batch
    statistics (BatchNorm) are computed over the real rows only. Padded time steps are
    skipped by the recurrent layers, which read the real length from the trace state."""
    flat = [
        a for a in jax.tree_util.tree_leaves(list(args), is_leaf=_is_nd) if isinstance(a, NDArray)
    ]
    if not flat or flat[0].ndim == 0:
        return block._call_cached(args, valid=(None, None))  # nothing to pad
    cuts: list[tuple[int, int, int]] = []  # (axis, real size, padded size)
    rows = steps = None
    if block._flags.get("bucket"):
        n = flat[0].shape[0]
        rows = np.int32(n)
        cuts.append((0, n, bucket_size(block, n)))
    if block._flags.get("bucket_time"):
        ax = int(block._flags.get("time_axis", 1))
        if ax == 0 and rows is not None:
            raise ValueError(
                f"{type(block).__name__} '{block.name}': hybridize(bucket=..., "
                "bucket_time=..., time_axis=0) would pad axis 0 twice; batch bucketing "
                "pads axis 0, so bucket the time axis alone for layout 'TNC'."
            )
        if flat[0].ndim <= ax:
            raise ValueError(
                f"{type(block).__name__} '{block.name}': hybridize(bucket_time=...) pads "
                f"axis {ax} (time_axis), but the first input has shape "
                f"{tuple(flat[0].shape)}."
            )
        t = flat[0].shape[ax]
        steps = np.int32(t)
        cuts.append((ax, t, bucket_size(block, t, "bucket_time")))

    def pad(a: Any) -> Any:
        if not isinstance(a, NDArray):
            return a
        for ax, real, size in cuts:
            if size != real and a.ndim > ax and a.shape[ax] == real:
                shape = list(a.shape)
                shape[ax] = size - real
                zeros = NDArray(jnp.zeros(tuple(shape), a._value.dtype), a._ctx)
                a = call("concat", a, zeros, dim=ax)
        return a

    padded = jax.tree_util.tree_map(pad, list(args), is_leaf=_is_nd)
    out = block._call_cached(tuple(padded), valid=(rows, steps))
    cuts = [c for c in cuts if c[2] != c[1]]
    if not cuts:
        return out
    shapes = _real_output_shapes(block, args, padded, out, cuts)

    def cut(o: Any, shape: Any) -> Any:
        if not isinstance(o, NDArray) or tuple(o.shape) == shape:
            return o
        return o[tuple(slice(0, s) for s in shape)]

    flat_out, out_tree = jax.tree_util.tree_flatten(out, is_leaf=_is_nd)
    return jax.tree_util.tree_unflatten(out_tree, [cut(o, s) for o, s in zip(flat_out, shapes)])


def _real_output_shapes(
    block: Any, args: Any, padded: Any, out: Any, cuts: list[tuple[int, int, int]]
) -> list[Any]:
    """The unpadded shape of each output: an axis of padded size is cut back to the real
    size. When a padded size also occurs on another axis of the inputs (a batch of 32 and
    a bucket of 32 steps), shape alone cannot tell, so the forward's output shapes at the
    real sizes are computed once with ``jax.eval_shape`` (tracing, no compilation)."""
    flat_out = jax.tree_util.tree_leaves(out, is_leaf=_is_nd)
    in_leaves = [
        a for a in jax.tree_util.tree_leaves(list(padded), is_leaf=_is_nd) if isinstance(a, NDArray)
    ]
    ambiguous = any(
        d == size and i != ax
        for a in in_leaves
        for i, d in enumerate(a.shape)
        for ax, _, size in cuts
    ) or len({size for _, _, size in cuts}) < len(cuts)
    if not ambiguous:
        shapes = []
        for o in flat_out:
            if not isinstance(o, NDArray):
                shapes.append(None)
                continue
            shape = list(o.shape)
            for ax, real, size in cuts:
                if o.ndim > ax and shape[ax] == size:
                    shape[ax] = real
            shapes.append(tuple(shape))
        return shapes
    key = tuple(
        (tuple(a.shape), str(a.dtype))
        for a in jax.tree_util.tree_leaves(list(args), is_leaf=_is_nd)
        if isinstance(a, NDArray)
    ) + (STATE.training,)
    cache = block._real_shape_cache
    if key not in cache:
        flat, tree = jax.tree_util.tree_flatten(list(args), is_leaf=_is_nd)
        trainable, aux_items, _ = block._plan()
        params = {k: p.data()._value for k, p in trainable}
        aux = {k: p.data()._value for k, p in aux_items}
        vals = [a._value if isinstance(a, NDArray) else a for a in flat]
        n_sigs = len(block._compile_sigs)
        shaped, _ = jax.eval_shape(
            lambda p, a, v: block._pure(p, a, v, tree, _random.unused_key(), STATE.training),
            params,
            aux,
            vals,
        )
        del block._compile_sigs[n_sigs:]  # a shape query, not a compilation
        cache[key] = [tuple(s.shape) for s in jax.tree_util.tree_leaves(shaped)]
    return list(cache[key])
