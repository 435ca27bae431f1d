"""Custom operators: host callback (gluax's choice) against tracing the same computation.

Run: python benchmarks/bench_custom_op.py
Times one hybridized forward+backward of MXNet's custom-softmax tutorial operator (numpy in
forward/backward, so it can only run as a callback) and of a ``scaled_tanh`` operator written
with mx.nd (traceable), each against the same math written as a HybridBlock of built-in
operators (what tracing the user's code would compile to).
"""

import time

import numpy as np

import gluax as mx

USER: dict = {}
exec(open("tests/fixtures/custom_op/make_custom_op.py").read().split("def main")[0]
     .replace("import mxnet as mx", "import gluax as mx"), USER)


class TracedSoftmax(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x, label):
        return F.softmax(x)  # the gradient differs (no label term): timing only


class CustomTanh(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.Custom(x, op_type="scaled_tanh", scale=1.5)


class TracedTanh(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.tanh(x) * 1.5


def bench(net, *args, n=200):
    net.hybridize()
    for a in args:
        a.attach_grad()
    def step():
        with mx.autograd.record():
            y = net(*args)
        y.backward()
        mx.nd.waitall()
    step()
    t = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t) / n * 1e6


x = mx.nd.array(np.random.randn(64, 100).astype("float32"))
lab = mx.nd.array(np.random.randint(0, 100, 64).astype("float32"))
print(f"softmax tutorial  custom callback: {bench(USER['SoftmaxBlock'](), x, lab):8.1f} us/step")
print(f"softmax           traced built-in: {bench(TracedSoftmax(), x, lab):8.1f} us/step")
print(f"scaled_tanh       custom callback: {bench(CustomTanh(), x):8.1f} us/step")
print(f"scaled_tanh       traced built-in: {bench(TracedTanh(), x):8.1f} us/step")
t = time.perf_counter()
for _ in range(200):
    mx.nd.Custom(x, op_type="scaled_tanh", scale=1.5).wait_to_read()
print(f"scaled_tanh eager mx.nd.Custom   : {(time.perf_counter() - t) / 200 * 1e6:8.1f} us/call")


@mx.operator.register("scaled_tanh_traced", trace=True)
class TracedTanhProp(USER["ScaledTanhProp"]):
    pass


class CustomTracedTanh(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.Custom(x, op_type="scaled_tanh_traced", scale=1.5)


print(f"scaled_tanh  custom, trace=True  : {bench(CustomTracedTanh(), x):8.1f} us/step")
