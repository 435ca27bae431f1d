"""box_nms at detection sizes, gluax against MXNet 1.9.1.

Run: ``python benchmarks/bench_nms.py`` (gluax; also runs the same cases under
``/opt/mxvenv/bin/python`` when that interpreter exists and prints the ratio).
``python benchmarks/bench_nms.py --mxnet`` times MXNet alone (used by the first form).

Cases: SSD/YOLO-like heads, ``(batch, 16000, 6)`` rows ``[id, score, x1, y1, x2, y2]``
from a fixed ``RandomState(0)``, ``topk=400``, ``overlap_thresh=0.45``, ``valid_thresh=0.01``,
``id_index=0``. Times are medians of 10 calls after a warm-up (gluax: eager ``mx.nd``
calls, compiled once per shape; MXNet: ``mx.nd`` with ``wait_to_read``). The outputs of the
two are compared when both run in one invocation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

MXNET_PYTHON = "/opt/mxvenv/bin/python"
CASES = [(1, 16000), (4, 16000)]
ATTRS = dict(overlap_thresh=0.45, valid_thresh=0.01, topk=400, id_index=0, score_index=1,
             coord_start=2, force_suppress=False)


def boxes(batch: int, n: int) -> np.ndarray:
    rs = np.random.RandomState(0)
    xy = rs.uniform(0, 500, (batch, n, 2))
    wh = rs.uniform(5, 120, (batch, n, 2))
    ids = rs.randint(0, 20, (batch, n, 1))
    score = rs.uniform(0, 1, (batch, n, 1))
    return np.concatenate([ids, score, xy, xy + wh], -1).astype(np.float32)


def run(mx: object, wait: str) -> dict:
    res = {}
    for batch, n in CASES:
        x = mx.nd.array(boxes(batch, n))
        out = mx.nd.contrib.box_nms(x, **ATTRS)
        getattr(out, wait)()
        times = []
        for _ in range(10):
            t = time.perf_counter()
            getattr(mx.nd.contrib.box_nms(x, **ATTRS), wait)()
            times.append(time.perf_counter() - t)
        res[f"{batch}x{n}"] = {"ms": 1e3 * float(np.median(times)), "out": out.asnumpy().tolist()}
    return res


def main() -> None:
    if "--mxnet" in sys.argv:
        import mxnet

        print(json.dumps(run(mxnet, "wait_to_read")))
        return
    import gluax

    mine = run(gluax, "wait_to_read")
    theirs = None
    if os.path.exists(MXNET_PYTHON):
        p = subprocess.run([MXNET_PYTHON, __file__, "--mxnet"], capture_output=True, text=True, check=True)
        theirs = json.loads(p.stdout.strip().splitlines()[-1])
    print(f"{'case':>10} {'gluax ms':>9} {'mxnet ms':>9} {'ratio':>6}  same output")
    for key, r in mine.items():
        if theirs is None:
            print(f"{key:>10} {r['ms']:9.2f}")
            continue
        t = theirs[key]
        same = np.allclose(np.array(r["out"]), np.array(t["out"]), atol=1e-5)
        print(f"{key:>10} {r['ms']:9.2f} {t['ms']:9.2f} {r['ms'] / t['ms']:6.2f}  {same}")


if __name__ == "__main__":
    main()
