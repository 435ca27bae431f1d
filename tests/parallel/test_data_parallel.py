"""Several devices (8 forced CPU devices, in a subprocess so the rest of the suite keeps one):
MXNet's ctx-list idiom and the sharded fused step both equal one-device training."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    r"""
    import os
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    import numpy as np
    import jax
    import gluax as mx
    from gluax import autograd, gluon, nd

    assert len(jax.devices()) == 8
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 5)).astype(np.float32)
    Y = rng.integers(0, 3, 16).astype(np.float32)

    def build(ctx):
        mx.random.seed(0)
        net = gluon.nn.HybridSequential()
        with net.name_scope():
            net.add(gluon.nn.Dense(8, in_units=5, activation="relu"), gluon.nn.Dense(3, in_units=8))
        net.initialize(mx.init.Xavier(), ctx=ctx)
        net.hybridize()
        return net, gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3})

    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

    def weights(net):
        return {k: p.list_data()[0].asnumpy() for k, p in net._collect_params_with_prefix().items()}

    # one device
    net, tr = build(mx.cpu(0))
    for _ in range(3):
        with autograd.record():
            loss = loss_fn(net(nd.array(X)), nd.array(Y))
        loss.backward()
        tr.step(16)
    ref = weights(net)

    # MXNet's idiom: one copy per context, split_and_load, backward per slice, step aggregates
    ctx = [mx.cpu(i) for i in range(4)]
    net, tr = build(ctx)
    for _ in range(3):
        xs = gluon.utils.split_and_load(nd.array(X), ctx)
        ys = gluon.utils.split_and_load(nd.array(Y), ctx)
        with autograd.record():
            losses = [loss_fn(net(a), b) for a, b in zip(xs, ys)]
        autograd.backward(losses)
        tr.step(16)
    multi = weights(net)
    copies = [[d.asnumpy() for d in p.list_data()] for p in net.collect_params().values()]
    copies_equal = all(np.array_equal(c[0], c[i]) for c in copies for i in range(len(c)))

    # the sharded fused step over all 8 devices
    net, tr = build(mx.cpu(0))
    step = tr.compile_step(net, loss_fn, mesh=True)
    for _ in range(3):
        step(nd.array(X), nd.array(Y))
    sharded = weights(net)
    try:
        step(nd.array(X[:10]), nd.array(Y[:10]))
        uneven = "no error"
    except ValueError as e:
        uneven = str(e)

    diff_multi = max(float(np.abs(multi[k] - ref[k]).max()) for k in ref)
    diff_sharded = max(float(np.abs(sharded[k] - ref[k]).max()) for k in ref)
    print("RESULT", diff_multi, diff_sharded, copies_equal, uneven.split(".")[0])
    """
)


def test_multi_device_training_equals_one_device(tmp_path):
    script = tmp_path / "dp.py"
    script.write_text(SCRIPT)
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")][-1]
    _, diff_multi, diff_sharded, copies_equal, *uneven = line.split(" ", 4)
    assert float(diff_multi) < 1e-5, line
    assert float(diff_sharded) < 1e-5, line
    assert copies_equal == "True", "every context's copy must stay equal"
    assert "does not split evenly over 8 devices" in uneven[0]
