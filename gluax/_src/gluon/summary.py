"""``Block.summary``: an MXNet-style table of layer output shapes and parameter counts."""

from __future__ import annotations

from typing import Any

import numpy as np

from gluax._src.engine.autograd import pause
from gluax._src.engine.ndarray import NDArray


def _shape_str(out: Any) -> str:
    if isinstance(out, NDArray):
        return str(out.shape)
    if isinstance(out, (list, tuple)):
        return str([_shape_str(o) for o in out]) if len(out) != 1 else _shape_str(out[0])
    return str(type(out).__name__)


class HybridizedSummaryError(RuntimeError, AssertionError):
    """``summary()`` of a hybridized block: a RuntimeError, and an AssertionError as MXNet
    raises (its test_gluon.test_summary expects that class)."""


def summary(block: Any, *inputs: Any) -> None:
    """Run ``inputs`` through ``block`` (eagerly, in inference mode) and print one row per
    layer: its output shape and the number of parameters it owns directly."""
    from gluax._src.gluon.block import HybridBlock

    if isinstance(block, HybridBlock) and block._active:
        raise HybridizedSummaryError(
            f"summary: {type(block).__name__} '{block.name}' is hybridized; a compiled call runs "
            "no Python per layer. Call net.hybridize(active=False) before summary()."
        )
    rows: list[tuple[str, str, int]] = []
    seen: set[int] = set()
    counts = {"total": 0, "trainable": 0, "shared": 0}
    handles = []

    def hook(b: Any, args: Any, out: Any) -> None:
        n = 0
        for p in b._reg_params.values():
            size = int(np.prod(p.shape)) if p.shape else 0
            n += size
            counts["total"] += size
            if p.grad_req != "null":
                counts["trainable"] += size
            if id(p) in seen:
                counts["shared"] += size
            seen.add(id(p))
        rows.append((f"{type(b).__name__}-{len(rows) + 1}", _shape_str(out), n))

    def register(b: Any) -> None:
        if not getattr(b, "_is_container", False):  # Sequential containers get no row
            handles.append(b.register_forward_hook(hook))

    block.apply(register)
    try:
        with pause():
            block(*inputs)
    finally:
        for h in handles:
            h.detach()
    unique = sum(int(np.prod(p.shape)) for p in block.collect_params().values() if p.shape)
    line = "-" * 80
    print(line)
    print("{:>20}  {:>42} {:>15}".format("Layer (type)", "Output Shape", "Param #"))
    print("=" * 80)
    print("{:>20}  {:>42} {:>15}".format("Input", _shape_str(list(inputs)), 0))
    for name, shape, n in rows:
        print(f"{name:>20}  {shape:>42} {n:>15}")
    print("=" * 80)
    print("Parameters in forward computation graph, duplicate included")
    print(f"   Total params: {counts['total']}")
    print(f"   Trainable params: {counts['trainable']}")
    print(f"   Non-trainable params: {counts['total'] - counts['trainable']}")
    print(f"Shared params in forward computation graph: {counts['shared']}")
    print(f"Unique parameters in model: {unique}")
    print(line)
