"""compile_step(mesh=..., shard_params=True) on 8 forced CPU devices (in a subprocess, so the
rest of the suite keeps one device): each parameter and its optimizer state are split along
their largest axis divisible by 8, training equals one device, and the states saved from the
sharded run resume on one device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    r"""
    import os, json, sys
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    import numpy as np
    import jax
    import gluax as mx
    from gluax import gluon, nd

    tmp = sys.argv[1]
    assert len(jax.devices()) == 8
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 5)).astype(np.float32)
    Y = rng.integers(0, 3, 16).astype(np.float32)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

    def build():
        mx.random.seed(0)
        net = gluon.nn.HybridSequential()
        with net.name_scope():
            # weights (16, 5): axis 0; (3, 16): axis 1; bias (16,): axis 0; bias (3,): none
            net.add(gluon.nn.Dense(16, in_units=5, activation="relu"), gluon.nn.Dense(3, in_units=16))
        net.initialize(mx.init.Xavier())
        net.hybridize()
        return net, gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01, "wd": 1e-3})

    def weights(net):
        return {k: p.data().asnumpy() for k, p in net._collect_params_with_prefix().items()}

    def maxdiff(a, b):
        return max(float(np.abs(a[k] - b[k]).max()) for k in a)

    net, tr = build()
    step = tr.compile_step(net, loss_fn)
    for _ in range(3):
        step(nd.array(X), nd.array(Y))
    ref = weights(net)
    step(nd.array(X), nd.array(Y))
    ref4 = weights(net)

    net, tr = build()
    step = tr.compile_step(net, loss_fn, mesh=True, shard_params=True)
    for _ in range(3):
        loss = step(nd.array(X), nd.array(Y))
    sharded = weights(net)
    layout = {}
    index = {id(p): i for i, p in enumerate(tr._params)}
    for k, p in net._collect_params_with_prefix().items():
        v = p.data()._value
        states = jax.tree_util.tree_leaves(tr._states[index[id(p)]])
        layout[k] = {
            "spec": [a for a in v.sharding.spec],
            "shard": list(v.addressable_shards[0].data.shape),
            "states": [[list(s.sharding.spec), list(s.addressable_shards[0].data.shape)] for s in states],
        }
    net.save_parameters(os.path.join(tmp, "s.params"))
    tr.save_states(os.path.join(tmp, "s.states"))
    traces = net.compile_count
    step(nd.array(X), nd.array(Y))
    sharded4 = weights(net)
    net[0].weight.lr_mult = 0.5  # a live change: no new compilation
    step(nd.array(X), nd.array(Y))
    recompiled = net.compile_count - traces

    # resume the sharded run's checkpoint on one device
    net2, tr2 = build()
    net2.load_parameters(os.path.join(tmp, "s.params"))
    tr2.load_states(os.path.join(tmp, "s.states"))
    step2 = tr2.compile_step(net2, loss_fn)
    step2(nd.array(X), nd.array(Y))
    resumed4 = weights(net2)

    print("RESULT " + json.dumps({
        "diff": maxdiff(sharded, ref), "diff4": maxdiff(sharded4, ref4),
        "resumed": maxdiff(resumed4, ref4), "layout": layout, "recompiled": recompiled,
        "loss_shape": list(loss.shape),
    }))
    """
)


def test_sharded_parameters_equal_one_device(tmp_path):
    script = tmp_path / "shard.py"
    script.write_text(SCRIPT)
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    res = json.loads(line[len("RESULT "):])
    assert res["diff"] < 1e-5, res
    assert res["diff4"] < 1e-5, res
    assert res["resumed"] < 1e-5, res
    assert res["recompiled"] == 0
    assert res["loss_shape"] == [16]
    lay = res["layout"]
    # the largest axis divisible by 8 is split; each device holds 1/8 of it
    assert lay["0.weight"]["spec"] == ["data"] and lay["0.weight"]["shard"] == [2, 5]
    assert lay["1.weight"]["spec"] == [None, "data"] and lay["1.weight"]["shard"] == [3, 2]
    assert lay["0.bias"]["spec"] == ["data"] and lay["0.bias"]["shard"] == [2]
    assert lay["1.bias"]["spec"] == [] and lay["1.bias"]["shard"] == [3]  # 3 is not divisible
    # Adam's mean and variance are split like their parameter
    for k, v in lay.items():
        assert len(v["states"]) == 2, k
        for spec, shard in v["states"]:
            assert spec == v["spec"] and shard == v["shard"], (k, spec, shard)
