"""DataLoader feeding a hybridized LeNet on MNIST-shaped data: loader time per batch against
the training step's time (the loader must keep up with the step).

Run: python benchmarks/bench_data.py
"""
import time, numpy as np, gluax as mx
from gluax import autograd
from gluax.gluon import nn
from gluax.gluon.data import ArrayDataset, DataLoader
from gluax.gluon.data.vision import transforms as T

B = 64
rng = np.random.default_rng(0)
x = rng.integers(0, 256, (60000, 28, 28, 1), dtype=np.uint8); y = rng.integers(0, 10, 60000).astype(np.int32)
tf = T.Compose([T.ToTensor(), T.Normalize(0.13, 0.31)])
ds = ArrayDataset(mx.nd.array(x, dtype="uint8"), y).transform_first(tf)

net = nn.HybridSequential()
net.add(nn.Conv2D(6, 5, activation="relu"), nn.MaxPool2D(2), nn.Conv2D(16, 5, activation="relu"), nn.MaxPool2D(2),
        nn.Flatten(), nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
net.initialize(); net.hybridize()

def step(d, l):
    with autograd.record():
        out = net(d)
        loss = (out * out).mean()
    loss.backward()

def loader_ms(nb=150, **kw):
    it = iter(DataLoader(ds, batch_size=B, shuffle=True, last_batch="discard", **kw)); next(it)
    t = time.perf_counter()
    for _ in range(nb):
        d, l = next(it)
    d.wait_to_read()
    return (time.perf_counter() - t) / nb * 1e3

d0, l0 = next(iter(DataLoader(ds, batch_size=B)))
for _ in range(5): step(d0, l0)
mx.nd.waitall()
t = time.perf_counter()
for _ in range(50): step(d0, l0)
mx.nd.waitall()
step_ms = (time.perf_counter() - t) / 50 * 1e3
print(f"LeNet hybridized fwd+bwd step (batch {B}): {step_ms:.2f} ms")
for kw in ({}, {"num_workers": 2}, {"num_workers": 2, "thread_pool": True}):
    print(f"DataLoader {kw or 'in-process'}: {loader_ms(**kw):.2f} ms/batch")
# the whole epoch-like loop: loader + step
for kw in ({}, {"num_workers": 2}):
    it = iter(DataLoader(ds, batch_size=B, shuffle=True, last_batch="discard", **kw)); next(it)
    t = time.perf_counter()
    for _ in range(50):
        d, l = next(it); step(d, l)
    mx.nd.waitall()
    print(f"loader + step {kw or 'in-process'}: {(time.perf_counter() - t) / 50 * 1e3:.2f} ms/batch")
