"""Detection operators at detection-typical sizes, gluax against MXNet 1.9.1 (CPU).

Run: ``python benchmarks/bench_detops.py`` (gluax; also runs the same cases under
``/opt/mxvenv/bin/python`` when that interpreter exists, compares outputs and prints the
ratio). ``python benchmarks/bench_detops.py --mxnet`` times MXNet alone.

Cases (inputs from a fixed ``RandomState(0)``):
  * ROIAlign: a stride-16 feature map of an 800x800 image ``(1, 256, 50, 50)``, 300 ROIs,
    ``pooled_size=(7, 7)``, ``spatial_scale=1/16``, ``sample_ratio=2`` (Faster R-CNN's head);
  * MultiBoxDetection: SSD300's 8732 anchors, 21 classes, batch 4, ``nms_topk=400``;
  * DeformableConvolution: ``(1, 64, 50, 50)``, 64 filters, 3x3, pad 1, random offsets.
Times are medians of 5 calls after a warm-up (gluax: eager ``mx.nd`` calls, compiled once per
shape; MXNet: ``mx.nd`` with ``wait_to_read``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

MXNET_PYTHON = "/opt/mxvenv/bin/python"


def inputs() -> dict:
    rs = np.random.RandomState(0)
    f = np.float32
    xy = rs.uniform(0, 700, (300, 2))
    wh = rs.uniform(16, 300, (300, 2))
    rois = np.concatenate([np.zeros((300, 1)), xy, xy + wh], 1).astype(f)
    n = 8732
    a = rs.uniform(0, 0.9, (1, n, 2))
    anchors = np.concatenate([a, a + rs.uniform(0.02, 0.3, (1, n, 2))], -1).astype(f)
    logits = rs.normal(size=(4, 21, n)).astype(f) * 3
    prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return {
        "roi_data": rs.normal(size=(1, 256, 50, 50)).astype(f),
        "rois": rois,
        "cls_prob": prob.astype(f),
        "loc_pred": rs.normal(scale=0.5, size=(4, n * 4)).astype(f),
        "anchors": anchors,
        "dcn_data": rs.normal(size=(1, 64, 50, 50)).astype(f),
        "dcn_offset": rs.normal(scale=2.0, size=(1, 18, 50, 50)).astype(f),
        "dcn_weight": rs.normal(scale=0.05, size=(64, 64, 3, 3)).astype(f),
        "dcn_bias": np.zeros(64, f),
    }


def cases(mx: object, x: dict) -> dict:
    c = mx.nd.contrib
    a = {k: mx.nd.array(v) for k, v in x.items()}
    return {
        "ROIAlign 300 rois 256x50x50 -> 7x7": lambda: c.ROIAlign(
            a["roi_data"], a["rois"], pooled_size=(7, 7), spatial_scale=1 / 16, sample_ratio=2),
        "MultiBoxDetection 4x8732 anchors 21 classes": lambda: c.MultiBoxDetection(
            a["cls_prob"], a["loc_pred"], a["anchors"], nms_topk=400),
        "DeformableConvolution 64x50x50 3x3 64": lambda: c.DeformableConvolution(
            a["dcn_data"], a["dcn_offset"], a["dcn_weight"], a["dcn_bias"], kernel=(3, 3),
            pad=(1, 1), num_filter=64),
    }


def run(mx: object) -> dict:
    res = {}
    for name, fn in cases(mx, inputs()).items():
        out = fn()
        out.wait_to_read()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            fn().wait_to_read()
            times.append(time.perf_counter() - t)
        res[name] = {"ms": 1e3 * float(np.median(times)), "out": out.asnumpy().ravel()[:20000].tolist()}
    return res


def main() -> None:
    if "--mxnet" in sys.argv:
        import mxnet

        print(json.dumps(run(mxnet)))
        return
    import gluax

    ours = run(gluax)
    theirs = None
    if os.path.exists(MXNET_PYTHON):
        p = subprocess.run([MXNET_PYTHON, __file__, "--mxnet"], capture_output=True, text=True)
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        theirs = json.loads(lines[-1]) if lines else None
    print(f"{'case':48s} {'gluax ms':>9s} {'MXNet ms':>9s} {'ratio':>6s}  outputs")
    for name, r in ours.items():
        if theirs:
            t = theirs[name]
            same = np.allclose(np.array(r["out"]), np.array(t["out"]), rtol=1e-3, atol=1e-3)
            print(f"{name:48s} {r['ms']:9.2f} {t['ms']:9.2f} {r['ms'] / t['ms']:6.2f}  "
                  f"{'equal' if same else 'DIFFER'}")
        else:
            print(f"{name:48s} {r['ms']:9.2f}")


if __name__ == "__main__":
    main()
