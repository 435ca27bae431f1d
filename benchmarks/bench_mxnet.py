"""gluax against Apache MXNet 1.9.1 on one script written against the MXNet API only.

The worker part of this file uses nothing but ``import mxnet as mx`` (``mx.nd``, ``mx.gluon``,
``mx.autograd``): it runs unchanged on MXNet 1.9.1 (``/opt/mxvenv/bin/python``) and on gluax
(``python ... --gluax``, which calls ``gluax.install_as_mxnet()`` before ``import mxnet``).

Cases (a new user's models and loop): the tutorial's LeNet (batch 64), MLP 784-512-512-10
(batch 128), ResNet-18 v1 and MobileNet v1 0.25 from the model zoo (3x64x64, batch 16), a
CIFAR-style DenseNet-BC (3 dense blocks of 6 bottleneck layers, growth 16; 3x32x32, batch 16),
a block with an 8-group 3x3 convolution and squeeze-and-excitation (64x16x16, batch 16), a
ResNeXt bottleneck block with a 32-group 3x3 convolution (64x16x16, batch 16), a
2-layer LSTM language model (vocabulary 2000, 200 units, 35 steps, batch 32) and one Dense(16)
(batch 1); each eager and ``hybridize(static_alloc=True, static_shape=True)``, each as a
training step (``autograd.record`` / ``backward`` / ``trainer.step``, SGD with momentum 0.9,
softmax cross-entropy) and as inference (``net(x)``). Time per step, synchronized with
``mx.nd.waitall()``; warm-up steps (and so gluax's compilation) are not timed.

The driver runs the two interpreters' worker processes interleaved round by round (MXNet,
gluax, MXNet, gluax, ... the order flipped every round), keeps each case's best round and prints
the ratio gluax / MXNet per case in one table (below 1: gluax faster). Targets: hybridized
training steps at most 0.5 (gluax at least 2x faster), eager ones at most 1.0.

Run: python benchmarks/bench_mxnet.py [--rounds 5] [--target 0.3] [--cases lenet,mlp,...]
     [--mxnet-python /opt/mxvenv/bin/python]
gluax alone, this round's CPU convolution/pooling lowerings off and on (hybridized training
steps, interleaved in one process): python benchmarks/bench_mxnet.py --compare-lowerings
One interpreter only (a worker): <python> benchmarks/bench_mxnet.py --worker [--gluax]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CASES = ("lenet", "mlp", "resnet18", "mobilenet", "densenet", "se", "resnext", "lstm", "dense16")
DESCRIBE = {
    "lenet": "LeNet b64",
    "mlp": "MLP 784-512-512-10 b128",
    "resnet18": "resnet18_v1 b16 3x64x64",
    "mobilenet": "mobilenet0.25 b16 3x64x64",
    "densenet": "DenseNet-BC 3x6 layers k=16 b16 3x32x32",
    "se": "SE-ResNeXt-style block 8 groups b16 64x16x16",
    "resnext": "ResNeXt-style block 32x4d b16 64x16x16",
    "lstm": "LSTM LM 2x200 T35 b32",
    "dense16": "Dense(16) b1",
}
MODES = ("hybrid", "eager")
TASKS = ("train", "infer")
TARGET = {("hybrid", "train"): 0.5, ("eager", "train"): 1.0}


# ---- the worker: MXNet API only ---------------------------------------------------------------


def _build(mx, case):
    """(network, input array, label array) for one case, with the MXNet API only."""
    nn, nd = mx.gluon.nn, mx.nd
    if case == "lenet":
        net = nn.HybridSequential()
        net.add(nn.Conv2D(20, kernel_size=5, activation="relu"), nn.MaxPool2D(2, 2),
                nn.Conv2D(50, kernel_size=5, activation="relu"), nn.MaxPool2D(2, 2),
                nn.Dense(512, activation="relu"), nn.Dense(10))  # fmt: skip
        shape, classes = (64, 1, 28, 28), 10
    elif case == "mlp":
        net = nn.HybridSequential()
        net.add(nn.Dense(512, activation="relu"), nn.Dense(512, activation="relu"), nn.Dense(10))
        shape, classes = (128, 784), 10
    elif case == "resnet18":
        net = mx.gluon.model_zoo.vision.resnet18_v1()
        shape, classes = (16, 3, 64, 64), 1000
    elif case == "mobilenet":
        net = mx.gluon.model_zoo.vision.mobilenet0_25()
        shape, classes = (16, 3, 64, 64), 1000
    elif case == "densenet":  # CIFAR-style DenseNet-BC: 3 dense blocks of 6 layers, growth 16

        class DenseLayer(mx.gluon.HybridBlock):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.body = nn.HybridSequential()
                    self.body.add(nn.BatchNorm(), nn.Activation("relu"),
                                  nn.Conv2D(64, 1, use_bias=False), nn.BatchNorm(),
                                  nn.Activation("relu"),
                                  nn.Conv2D(16, 3, padding=1, use_bias=False))  # fmt: skip

            def hybrid_forward(self, F, x):
                return F.concat(x, self.body(x), dim=1)

        net = nn.HybridSequential()
        net.add(nn.Conv2D(32, 3, padding=1, use_bias=False))
        channels = 32
        for block in range(3):
            for _ in range(6):
                net.add(DenseLayer())
            channels += 6 * 16
            if block < 2:
                channels //= 2
                net.add(nn.BatchNorm(), nn.Activation("relu"),
                        nn.Conv2D(channels, 1, use_bias=False), nn.AvgPool2D(2))  # fmt: skip
        net.add(nn.BatchNorm(), nn.Activation("relu"), nn.GlobalAvgPool2D(), nn.Dense(10))
        shape, classes = (16, 3, 32, 32), 10
    elif case == "se":  # a grouped 3x3 convolution with squeeze-and-excitation, and a classifier

        class SEBlock(mx.gluon.HybridBlock):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.body = nn.HybridSequential()
                    self.body.add(nn.Conv2D(64, 1, use_bias=False), nn.BatchNorm(),
                                  nn.Activation("relu"),
                                  nn.Conv2D(64, 3, padding=1, groups=8, use_bias=False),
                                  nn.BatchNorm(), nn.Activation("relu"),
                                  nn.Conv2D(64, 1, use_bias=False), nn.BatchNorm())  # fmt: skip
                    self.squeeze = nn.Dense(16, activation="relu")
                    self.excite = nn.Dense(64, activation="sigmoid")
                    self.head = nn.Dense(10)

            def hybrid_forward(self, F, x):
                y = self.body(x)
                scale = self.excite(self.squeeze(F.contrib.AdaptiveAvgPooling2D(y, output_size=1)))
                y = F.relu(F.broadcast_mul(y, scale.reshape((0, 0, 1, 1))) + x)
                return self.head(F.contrib.AdaptiveAvgPooling2D(y, output_size=1))

        net = SEBlock()
        shape, classes = (16, 64, 16, 16), 10
    elif case == "resnext":  # a ResNeXt bottleneck (32 groups of 4 channels) and a classifier
        net = nn.HybridSequential()
        net.add(nn.Conv2D(128, 1, use_bias=False), nn.BatchNorm(), nn.Activation("relu"),
                nn.Conv2D(128, 3, padding=1, groups=32, use_bias=False), nn.BatchNorm(),
                nn.Activation("relu"), nn.Conv2D(256, 1, use_bias=False), nn.BatchNorm(),
                nn.Activation("relu"), nn.GlobalAvgPool2D(), nn.Dense(10))  # fmt: skip
        shape, classes = (16, 64, 16, 16), 10
    elif case == "lstm":
        vocab, steps, batch = 2000, 35, 32

        class LanguageModel(mx.gluon.HybridBlock):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.embedding = nn.Embedding(vocab, 200)
                    self.lstm = mx.gluon.rnn.LSTM(200, num_layers=2, layout="TNC")
                    self.decoder = nn.Dense(vocab, flatten=False)

            def hybrid_forward(self, F, x):
                return self.decoder(self.lstm(self.embedding(x)))

        net = LanguageModel()
        x = nd.array(_rand_ints(steps * batch, vocab)).reshape((steps, batch))
        y = nd.array(_rand_ints(steps * batch, vocab)).reshape((steps, batch))
        return net, x, y
    elif case == "dense16":
        net = nn.HybridSequential()
        net.add(nn.Dense(16))
        shape, classes = (1, 16), 16
    else:
        raise ValueError(f"bench_mxnet: unknown case {case!r}; expected one of {CASES}")
    x = nd.array(_rand_floats(shape))
    y = nd.array(_rand_ints(shape[0], classes))
    return net, x, y


def _rand_floats(shape):
    import numpy as np

    return np.random.RandomState(0).uniform(-1, 1, shape).astype("float32")


def _rand_ints(n, high):
    import numpy as np

    return np.random.RandomState(1).randint(0, high, n).astype("float32")


def _time(fn, sync, target):
    """Seconds per call: the mean over as many calls as fill ``target`` seconds (at least 3);
    each call's result (and everything queued) is waited for before the next."""
    n, start = 0, time.perf_counter()
    while True:
        sync(fn())
        n += 1
        elapsed = time.perf_counter() - start
        if n >= 3 and elapsed >= target:
            return elapsed / n


def worker(cases, target):
    import mxnet as mx

    res = {}
    for case in cases:
        for mode in MODES:
            mx.random.seed(0)
            net, x, y = _build(mx, case)
            net.initialize(mx.init.Xavier())
            if mode == "hybrid":
                net.hybridize(static_alloc=True, static_shape=True)
            loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
            trainer = mx.gluon.Trainer(
                net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9}
            )
            batch = x.shape[1] if case == "lstm" else x.shape[0]

            def train():
                with mx.autograd.record():
                    loss = loss_fn(net(x), y)
                loss.backward()
                trainer.step(batch)
                return loss

            def infer():
                return net(x)

            def sync(out):
                out.wait_to_read()
                mx.nd.waitall()

            for task, fn in (("train", train), ("infer", infer)):
                for _ in range(2):  # warm-up: first calls (gluax compiles) are not timed
                    sync(fn())
                res[f"{case}/{mode}/{task}"] = _time(fn, sync, target)
    return res


# ---- gluax's CPU lowerings on and off (one gluax process) -------------------------------------

LOWERING_SWITCHES = {  # gluax._src.ops.nn attribute: (value off, value on)
    "POINTWISE_LOWERING": (False, True),
    "IM2COL_WEIGHT_GRAD_CHANNELS": (0, 4),
    "MAX_POOL_TAPS": (False, True),
}


def compare_lowerings(cases, rounds, target):
    """gluax only: each case's hybridized training step built once with this round's
    convolution/pooling lowerings switched off (the previous lowering) and once on, timed
    interleaved round by round in one process; returns {case: (best off, best on)} seconds."""
    import gluax
    from gluax._src.ops import nn as lowering

    gluax.install_as_mxnet()
    import mxnet as mx

    steps = {}
    for case in cases:
        for on in (False, True):
            for name, values in LOWERING_SWITCHES.items():
                setattr(lowering, name, values[on])
            mx.random.seed(0)
            net, x, y = _build(mx, case)
            net.initialize(mx.init.Xavier())
            net.hybridize(static_alloc=True, static_shape=True)
            loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
            trainer = mx.gluon.Trainer(
                net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9}
            )

            def train(net=net, x=x, y=y, loss_fn=loss_fn, trainer=trainer, case=case):
                with mx.autograd.record():
                    loss = loss_fn(net(x), y)
                loss.backward()
                trainer.step(x.shape[1] if case == "lstm" else x.shape[0])
                loss.wait_to_read()
                mx.nd.waitall()
                return loss

            for _ in range(2):  # compiled with this setting of the switches
                train()
            steps[case, on] = train
    for name, values in LOWERING_SWITCHES.items():
        setattr(lowering, name, values[True])
    best = {}
    for _ in range(rounds):
        for key, fn in steps.items():
            best[key] = min(best.get(key, float("inf")), _time(fn, lambda out: None, target))
    return {case: (best[case, False], best[case, True]) for case in cases}


# ---- the driver -------------------------------------------------------------------------------


def _run_worker(python, gluax, cases, target):
    cmd = [python, os.path.abspath(__file__), "--worker", "--cases", ",".join(cases),
           "--target", str(target)] + (["--gluax"] if gluax else [])  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        who = "gluax" if gluax else f"MXNet ({python})"
        raise RuntimeError(f"bench_mxnet: the {who} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def drive(cases, rounds, target, mxnet_python):
    best = {"mxnet": {}, "gluax": {}}
    for r in range(rounds):
        order = ("mxnet", "gluax") if r % 2 == 0 else ("gluax", "mxnet")
        for who in order:
            py = sys.executable if who == "gluax" else mxnet_python
            res = _run_worker(py, who == "gluax", cases, target)
            for k, v in res.items():
                best[who][k] = min(v, best[who].get(k, float("inf")))
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    rows = []
    for case in cases:
        for mode in MODES:
            for task in TASKS:
                k = f"{case}/{mode}/{task}"
                m, g = best["mxnet"][k], best["gluax"][k]
                tgt = TARGET.get((mode, task))
                met = "" if tgt is None else ("met" if g / m <= tgt else "MISSED")
                rows.append((DESCRIBE[case], mode, task, m * 1e3, g * 1e3, g / m, tgt, met))
    return rows


def print_table(rows):
    print("| case | mode | task | MXNet 1.9.1 ms | gluax ms | gluax/MXNet | target |")
    print("|---|---|---|---:|---:|---:|---|")
    for case, mode, task, m, g, ratio, tgt, met in rows:
        t = "" if tgt is None else f"<= {tgt:.2f} {met}"
        print(f"| {case} | {mode} | {task} | {m:.2f} | {g:.2f} | {ratio:.2f}x | {t} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", action="store_true", help="run one interpreter's cases, print JSON")
    ap.add_argument("--gluax", action="store_true", help="worker: import gluax as mxnet")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--target", type=float, default=0.3, help="seconds timed per case and round")
    ap.add_argument("--mxnet-python", default="/opt/mxvenv/bin/python")
    ap.add_argument("--compare-lowerings", action="store_true",
                    help="gluax only: hybridized training steps with this round's CPU "
                         "convolution/pooling lowerings off and on")  # fmt: skip
    args = ap.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        ap.error(f"--cases: unknown {unknown}; expected some of {list(CASES)}")
    if args.worker:
        if args.gluax:
            import gluax

            gluax.install_as_mxnet()
        print(json.dumps(worker(cases, args.target)))
        return None
    if args.compare_lowerings:
        res = compare_lowerings(cases, args.rounds, args.target)
        print("| case | hybridized train, lowerings off ms | on ms | on/off |")
        print("|---|---:|---:|---:|")
        for case, (off, on) in res.items():
            print(f"| {DESCRIBE[case]} | {off * 1e3:.2f} | {on * 1e3:.2f} | {on / off:.2f}x |")
        return res
    rows = drive(cases, args.rounds, args.target, args.mxnet_python)
    print_table(rows)
    return rows


if __name__ == "__main__":
    main()
