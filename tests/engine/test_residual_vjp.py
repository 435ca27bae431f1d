"""Recorded calls of operators that keep their forward's residuals (``remat=False``: the
recurrent layers, CTC, the linalg factorizations) as two named programs
(``registry._ResidualVjp``): a later process loads both without tracing; the backward can be
traced from a loaded forward; a deferred backward takes such nodes into its plan and gives
the node-by-node walk's gradients."""

import numpy as np
import pytest
from helpers import run_with_cache

from gluax import autograd, gluon, nd
from gluax._src.engine import registry, tape

_SCRIPT = r"""
import json
import numpy as np
import gluax as mx
from gluax import autograd, gluon, nd
from gluax._src.engine import compile_cache as cc, registry

traced = {"fwd": 0}
orig = registry._ResidualVjp.__init__
def counting(self, *a, **k):
    orig(self, *a, **k)
    fwd = self._fwd_fn
    def f(*xs):
        traced["fwd"] += 1
        return fwd(*xs)
    self._fwd_fn = f
    self.fwd = registry._Eager(f, self.fwd.name)
registry._ResidualVjp.__init__ = counting

mx.random.seed(2)
lstm = gluon.rnn.LSTM(6, num_layers=2, input_size=3)
lstm.initialize(mx.init.Xavier())
tr = gluon.Trainer(lstm.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
x = nd.array(np.linspace(-1, 1, 5 * 2 * 3, dtype="float32").reshape(5, 2, 3))
for _ in range(2):
    with autograd.record():
        loss = (lstm(x) ** 2).mean()
    loss.backward()
    tr.step(1)
print(json.dumps({
    "params": {k: v.data().asnumpy().tolist() for k, v in lstm.collect_params().items()},
    "fwd_traced": traced["fwd"],
    "exe": dict(cc.EXE_STATS),
    "jax": cc._JAX_HITS.requests,
}))
"""


def test_second_process_loads_the_recurrent_forward_and_backward(tmp_path):
    a = run_with_cache(_SCRIPT, tmp_path / "cache", tmp_path)
    b = run_with_cache(_SCRIPT, tmp_path / "cache", tmp_path)
    assert a["fwd_traced"] >= 1 and a["exe"]["stored"] > 0
    assert b["fwd_traced"] == 0  # the recurrent forward-with-residuals was loaded
    assert b["jax"] == 0  # nothing of the step went through tracing and JAX's cache
    assert b["exe"]["stored"] == 0 and b["exe"]["failed"] == 0 and b["exe"]["unusable"] == 0
    assert b["params"] == a["params"]


def _lstm_grads(rng_seed=0):
    import gluax as mx

    mx.random.seed(rng_seed)
    lstm = gluon.rnn.LSTM(4, input_size=3)
    lstm.initialize(mx.init.Xavier())
    x = nd.array(np.linspace(-1, 1, 4 * 2 * 3, dtype=np.float32).reshape(4, 2, 3))
    x.attach_grad()

    def run():
        with autograd.record():
            y = (lstm(x) * nd.array(np.arange(4, dtype=np.float32))).sum()
        y.backward()
        return [p.grad().asnumpy() for p in lstm.collect_params().values()] + [x.grad.asnumpy()]

    return lstm, run


def test_backward_traces_the_forward_when_the_forward_was_loaded():
    _, run = _lstm_grads()
    want = run()
    progs = [p for op in registry.OPS.values() for p in op._res_vjps.values()]
    assert progs
    import jax

    saved = [(p, p.res_tree, p.bwd) for p in progs]
    for p in progs:  # as if every forward had been loaded: structures unknown
        p.res_tree = None
        p.bwd = jax.jit(p._bwd)
    old = tape.DEFER[0]
    tape.DEFER[0] = False
    try:
        got = run()
        assert any(p.res_tree is not None for p in progs)
    finally:
        tape.DEFER[0] = old
        for p, tree, bwd in saved:
            p.res_tree, p.bwd = tree, bwd
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("defer", [True, False])
def test_deferred_plan_over_a_recurrent_node_equals_the_walk(defer, fresh_plans):
    old = tape.DEFER[0]
    tape.DEFER[0] = False
    try:
        want = _lstm_grads()[1]()
    finally:
        tape.DEFER[0] = old
    tape.DEFER[0] = defer
    try:
        lstm, run = _lstm_grads()
        with autograd.record():
            y = lstm(nd.ones((4, 2, 3))).sum()
        pend = tape.defer_backward([y], [None])
        assert pend is not None  # the recurrent node is taken into a plan
        pend.materialize()
        got = run()
    finally:
        tape.DEFER[0] = old
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
