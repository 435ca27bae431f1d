"""Two local processes joined by gluax.parallel.initialize (jax.distributed, gloo on CPU)
train the same network data-parallel and end with identical weights, equal to one process."""

from __future__ import annotations

import os
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
    port, pid, mode, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if mode != "single":
        mx.parallel.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=pid, cpu_devices=1)
    from gluax import autograd, gluon, nd

    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 5)).astype(np.float32)
    Y = rng.integers(0, 3, 16).astype(np.float32)
    mx.random.seed(0)
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(6, in_units=5, activation="relu"), gluon.nn.Dense(3, in_units=6))
    net.initialize(mx.init.Xavier())
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    if mode == "fused":
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
        step = trainer.compile_step(net, loss_fn, mesh=True)
        xs, ys = X[pid * 8:(pid + 1) * 8], Y[pid * 8:(pid + 1) * 8]
        for _ in range(3):
            step(nd.array(xs), nd.array(ys))
    else:
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9},
                                kvstore="dist_sync" if mode == "loop" else "device")
        xs, ys = (X, Y) if mode == "single" else (X[pid * 8:(pid + 1) * 8], Y[pid * 8:(pid + 1) * 8])
        for _ in range(3):
            with autograd.record():
                loss = loss_fn(net(nd.array(xs)), nd.array(ys))
            loss.backward()
            trainer.step(8)  # MXNet's dist_sync: each worker steps with its own batch size
    np.savez(out, **{k: p.data().asnumpy() for k, p in net._collect_params_with_prefix().items()})
    if mode != "single":
        mx.parallel.shutdown()
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(tmp_path, mode):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    if mode == "single":
        subprocess.run([sys.executable, str(script), "0", "0", mode, str(tmp_path / "single.npz")], check=True, timeout=300, env=env, capture_output=True)
        return [np.load(tmp_path / "single.npz")]
    port = _free_port()
    procs = [subprocess.Popen([sys.executable, str(script), str(port), str(i), mode, str(tmp_path / f"{mode}{i}.npz")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    return [np.load(tmp_path / f"{mode}{i}.npz") for i in range(2)]


def test_two_processes_train_like_one(tmp_path):
    (single,) = _run(tmp_path, "single")
    for mode in ("loop", "fused"):
        a, b = _run(tmp_path, mode)
        for k in single.files:
            np.testing.assert_array_equal(a[k], b[k], err_msg=f"{mode}: the two processes differ in {k}")
        if mode == "loop":
            # dist_sync sums the two workers' gradients; step(8) rescales by 1/8, exactly as
            # one process with the whole batch of 16 and step(8)
            for k in single.files:
                np.testing.assert_allclose(a[k], single[k], rtol=1e-5, atol=1e-6, err_msg=k)
