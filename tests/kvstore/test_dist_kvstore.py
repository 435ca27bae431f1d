"""Two local CPU processes joined by mx.kv.create('dist_sync') (GLUAX_* variables, over
jax.distributed) push/pull as one store and train to the same weights as one process."""

from __future__ import annotations

import os
import runpy
import socket
import subprocess
import sys
import textwrap

import numpy as np

WORKER = textwrap.dedent(
    r"""
    import sys
    import numpy as np
    import gluax as mx
    mode, out = sys.argv[1], sys.argv[2]
    kv = mx.kv.create("dist_sync" if mode == "dist" else "local")  # joins the job first
    rank, n = kv.rank, kv.num_workers
    res = {"rank_workers": np.array([rank, n])}
    kv.init("x", mx.nd.ones((2,)) * (rank + 5))  # worker 0's value wins
    got = mx.nd.zeros((2,))
    kv.pull("x", out=got)
    res["init"] = got.asnumpy()
    kv.push("x", [mx.nd.ones((2,)) * (rank + 1), mx.nd.ones((2,))])
    kv.pull("x", out=got)
    res["pushed"] = got.asnumpy()
    kv.barrier()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 5)).astype(np.float32)
    Y = rng.integers(0, 3, 16).astype(np.float32)
    mx.random.seed(0)
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(6, in_units=5, activation="relu"),
                mx.gluon.nn.Dense(3, in_units=6))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                               {"learning_rate": 0.1, "momentum": 0.9}, kvstore=kv)
    xs, ys = (X[rank * 8:(rank + 1) * 8], Y[rank * 8:(rank + 1) * 8]) if n > 1 else (X, Y)
    for _ in range(3):
        with mx.autograd.record():
            loss = loss_fn(net(mx.nd.array(xs)), mx.nd.array(ys))
        loss.backward()
        trainer.step(8)
    for k, p in net._collect_params_with_prefix().items():
        res["w_" + k] = p.data().asnumpy()
    np.savez(out, **res)
    if n > 1:
        mx.parallel.shutdown()
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_dist_sync(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    port = _free_port()
    procs = []
    for i in range(2):
        wenv = dict(env, GLUAX_COORDINATOR=f"127.0.0.1:{port}", GLUAX_NUM_PROCESSES="2",
                    GLUAX_PROCESS_ID=str(i))
        procs.append(subprocess.Popen(
            [sys.executable, str(script), "dist", str(tmp_path / f"w{i}.npz")], env=wenv,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    # the one-process run, here (the workers ran meanwhile)
    saved = sys.argv
    sys.argv = ["worker", "single", str(tmp_path / "single.npz")]
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = saved
    single = np.load(tmp_path / "single.npz")
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    w = [np.load(tmp_path / f"w{i}.npz") for i in range(2)]
    for i in range(2):
        np.testing.assert_array_equal(w[i]["rank_workers"], [i, 2])
        np.testing.assert_array_equal(w[i]["init"], [5.0, 5.0])
        np.testing.assert_array_equal(w[i]["pushed"], [5.0, 5.0])  # (1 + 1) + (2 + 1)
    np.testing.assert_array_equal(single["pushed"], [2.0, 2.0])
    keys = [k for k in single.files if k.startswith("w_")]
    assert keys
    for k in keys:
        np.testing.assert_array_equal(w[0][k], w[1][k])
        np.testing.assert_allclose(w[0][k], single[k], rtol=1e-5, atol=1e-6)
