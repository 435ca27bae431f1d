"""Hybridized blocks in gluax's executable cache (``gluon/block_cache.py``).

A block tree made of gluax's own classes is loaded by a later process without tracing: its
training forward, its backward, the deferred backward's plan and its inference program. The
numbers are the same bit for bit (random layers included: whether a program draws random
numbers is one of its outputs, so the global key advances as in the process that traced it).
A block tree with a user-defined class is traced in every process. Fresh interpreters share one
temporary cache directory; nothing touches the user's cache.
"""

import shutil

import jax
import numpy as np
import pytest
from helpers import run_with_cache

from gluax import autograd, gluon, nd
from gluax._src.gluon import block_cache

_SCRIPT = r"""
import json, sys
import numpy as np
import gluax as mx
from gluax import autograd, gluon, nd
from gluax._src.engine import compile_cache as cc
from gluax._src.gluon.block import HybridBlock

traced = []  # the blocks whose pure function ran (JAX traces it only when it compiles)
pure = HybridBlock._pure
def counting(self, *a, **k):
    traced.append(type(self).__name__)
    return pure(self, *a, **k)
HybridBlock._pure = counting

class Mine(HybridBlock):  # user code: not cached
    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.fc = gluon.nn.Dense(3, in_units=8)
    def hybrid_forward(self, F, x):
        return F.tanh(self.fc(x)) * 2

def build(kind):
    mx.random.seed(3)
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Conv2D(4, 3, padding=1, in_channels=1),
                gluon.nn.BatchNorm(in_channels=4), gluon.nn.Activation("relu"),
                gluon.nn.MaxPool2D(2), gluon.nn.Dropout(0.3), gluon.nn.Flatten(),
                gluon.nn.Dense(8, in_units=64))
        if kind == "mine":
            net.add(Mine())
        else:
            net.add(gluon.nn.Dense(3, in_units=8))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    return net

out = {}
x = nd.array(np.linspace(-1, 1, 4 * 64, dtype="float32").reshape(4, 1, 8, 8))
y = nd.array([0, 1, 2, 1])
for kind in ("zoo", "mine"):
    net = build(kind)
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    del traced[:]
    jax_before = cc._JAX_HITS.requests
    for _ in range(3):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        tr.step(4)
    infer = net(x[:3]).asnumpy().tolist()  # inference program, another batch size
    out[kind] = {
        "params": {k: v.data().asnumpy().tolist() for k, v in net.collect_params().items()},
        "infer": infer,
        "traced": list(traced),
        "compile_count": net.compile_count,
        "jax": cc._JAX_HITS.requests - jax_before,  # programs that went through JAX's cache
        "draws": mx.nd.random.uniform(shape=(2,)).asnumpy().tolist(),
    }
out["exe"] = dict(cc.EXE_STATS)
print(json.dumps(out))
"""


def _run(cache, tmp_path):
    return run_with_cache(_SCRIPT, cache, tmp_path, timeout=300)


def test_a_second_process_loads_a_gluax_network_without_tracing_it(tmp_path):
    cache = tmp_path / "cache"
    a = _run(cache, tmp_path)
    b = _run(cache, tmp_path)
    # the first process traced both networks: training forward at batch 4, inference at 3
    assert "HybridSequential" in a["zoo"]["traced"] and a["zoo"]["compile_count"] == 2
    assert a["exe"]["stored"] > 0
    # the second traced the network of gluax classes not at all; the user's one only to key
    # it (its forward's jaxpr: once per signature, neither differentiated nor lowered)
    assert b["zoo"]["traced"] == []
    assert b["zoo"]["compile_count"] == a["mine"]["compile_count"] == 2  # loads count too
    assert b["mine"]["traced"] == a["mine"]["traced"] == ["HybridSequential"] * 2
    assert b["zoo"]["jax"] == b["mine"]["jax"] == 0 < a["mine"]["jax"]
    assert b["exe"]["unusable"] == 0 and b["exe"]["failed"] == 0 and b["exe"]["stored"] == 0
    # bit for bit the same training, inference and random stream afterwards (Dropout drew)
    for kind in ("zoo", "mine"):
        for what in ("params", "infer", "draws"):
            assert b[kind][what] == a[kind][what], (kind, what)
    assert a["zoo"]["params"] != a["mine"]["params"]


def test_entries_are_rewritten_from_jaxs_cache_after_gluaxs_are_lost(tmp_path):
    # A new gluax version invalidates every entry of gluax's cache while JAX's cache still
    # holds the programs: they are written again from the bytes JAX read (re-serializing a
    # loaded executable gives entries that fail when run), and a third process uses them.
    cache = tmp_path / "cache"
    a = _run(cache, tmp_path)
    shutil.rmtree(cache / "gluax-executables")
    b = _run(cache, tmp_path)
    assert b["exe"]["stored"] >= a["exe"]["stored"] > 0
    c = _run(cache, tmp_path)
    assert c["exe"]["stored"] == 0 and c["exe"]["loaded"] >= b["exe"]["stored"]
    assert c["exe"]["failed"] == 0 and c["exe"]["unusable"] == 0
    assert c["zoo"]["traced"] == []
    for kind in ("zoo", "mine"):
        assert b[kind]["params"] == a[kind]["params"] == c[kind]["params"]


# ---- the structure key ---------------------------------------------------------------------


def _seq(*layers):
    net = gluon.nn.HybridSequential()
    net.add(*layers)
    net.initialize()
    return net


def test_structure_id_changes_with_every_attribute_and_parameter():
    sid = block_cache.structure_id
    base = sid(_seq(gluon.nn.Dense(4, in_units=3, activation="relu")))
    assert base is not None
    assert sid(_seq(gluon.nn.Dense(4, in_units=3, activation="relu"))) == base  # same again
    assert sid(_seq(gluon.nn.Dense(4, in_units=3, activation="tanh"))) != base
    assert sid(_seq(gluon.nn.Dense(5, in_units=3, activation="relu"))) != base
    assert sid(_seq(gluon.nn.Dense(4, in_units=2, activation="relu"))) != base
    assert sid(_seq(gluon.nn.Dense(4, in_units=3, activation="relu", use_bias=False))) != base
    assert sid(_seq(gluon.nn.Dense(4, in_units=3, activation="relu", dtype="float16"))) != base
    conv = sid(_seq(gluon.nn.Conv2D(2, 3, in_channels=1)))
    assert sid(_seq(gluon.nn.Conv2D(2, 3, strides=2, in_channels=1))) != conv
    assert sid(_seq(gluon.nn.Dropout(0.5))) != sid(_seq(gluon.nn.Dropout(0.4)))
    frozen = _seq(gluon.nn.Dense(4, in_units=3, activation="relu"))
    frozen.collect_params().setattr("grad_req", "null")
    assert sid(frozen) != base  # which parameters are differentiated


def test_structure_id_refuses_user_code():
    sid = block_cache.structure_id

    class Mine(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x * 2

    class MyDense(gluon.nn.Dense):  # a subclass of a gluax layer is user code too
        pass

    assert sid(_seq(Mine())) is None
    assert sid(_seq(MyDense(2, in_units=2))) is None
    assert sid(_seq(gluon.nn.HybridLambda(lambda F, x: x + 1))) is None
    hooked = _seq(gluon.nn.Dense(2, in_units=2))
    hooked.register_forward_hook(lambda blk, inp, out: None)
    assert sid(hooked) is None
    odd = gluon.nn.Dense(2, in_units=2)
    odd.note = object()  # an attribute whose repr does not say what it is
    assert sid(_seq(odd)) is None


# ---- the split forward / backward ----------------------------------------------------------


def test_backward_traces_the_forward_when_the_forward_was_loaded(rng):
    # In a process that loaded the forward from the cache, the VJP's structure is unknown
    # until the backward (or a deferred plan over it) is traced: it traces the forward then.
    net = _seq(gluon.nn.Dense(5, in_units=4, activation="tanh"), gluon.nn.Dense(2, in_units=5))
    net.hybridize()
    x = nd.array(rng.standard_normal((3, 4)).astype(np.float32))
    x.attach_grad()

    def grads():
        with autograd.record():
            y = (net(x) ** 2).sum()
        y.backward()
        return [p.grad().asnumpy() for p in net.collect_params().values()] + [x.grad.asnumpy()]

    want = grads()
    (prog,) = [p for p in net._progs.values() if isinstance(p, block_cache.VjpProgram)]
    prog.res_tree = prog.out_tree = None  # as if loaded, never traced here
    prog.bwd = jax.jit(prog._bwd)  # a fresh program (this one traced)
    from gluax._src.engine import tape

    old = tape.DEFER[0]
    tape.DEFER[0] = False  # the node-by-node walk calls this backward program
    try:
        count = net.compile_count
        got = grads()
    finally:
        tape.DEFER[0] = old
    assert prog.res_tree is not None  # learned from the forward's shape pass
    assert net.compile_count == count  # which is not counted as a compilation
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("defer", [True, False])
def test_split_backward_matches_eager_gradients(rng, defer):
    from gluax._src.engine import tape

    net = _seq(gluon.nn.Dense(6, in_units=4, activation="relu"), gluon.nn.Dense(3, in_units=6))
    x = nd.array(rng.standard_normal((5, 4)).astype(np.float32))

    def grads():
        x.attach_grad()
        with autograd.record():
            y = (net(x) * nd.array(np.arange(3, dtype=np.float32))).sum()
        y.backward()
        return [p.grad().asnumpy() for p in net.collect_params().values()] + [x.grad.asnumpy()]

    eager = grads()
    net.hybridize()
    old = tape.DEFER[0]
    tape.DEFER[0] = defer
    try:
        hybrid = grads()
    finally:
        tape.DEFER[0] = old
    for g, w in zip(hybrid, eager):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


# ---- user code: the traced forward's key ---------------------------------------------------


class _Scaled(gluon.HybridBlock):
    def __init__(self, k, **kw):
        super().__init__(**kw)
        self.k = k
        with self.name_scope():
            self.fc = gluon.nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x):
        return self.fc(x) * self.k


def _key(block, *shape):
    block.initialize()
    x = nd.ones(shape or (2, 4))
    block(x)  # (deferred shapes)
    params = {k: p.data()._value for k, p in block._params_list()}
    tree = jax.tree_util.tree_structure([x])
    from gluax._src.engine import random as _random

    got = block_cache.traced_forward(block, (params, {}, [x._value], _random.unused_key(), None),
                                     tree, True)  # fmt: skip
    return None if got is None else got[0]


def test_traced_key_says_what_the_forward_computes():
    a = _key(_Scaled(2.0))
    assert a is not None and a == _key(_Scaled(2.0))
    assert _key(_Scaled(3.0)) != a  # a constant in the user's Python
    assert _key(_Scaled(2.0), 5, 4) != a  # another input shape

    class Const(gluon.HybridBlock):  # a closed-over array: its values are in the key
        def __init__(self, c):
            super().__init__()
            self.c = c

        def hybrid_forward(self, F, x):
            import jax.numpy as jnp

            return x * jnp.asarray(self.c)

    c1 = np.arange(8, dtype=np.float32).reshape(2, 4)
    assert _key(Const(c1)) == _key(Const(c1.copy())) != _key(Const(c1 + 1))


def _custom_jvp_block(slope):
    import jax.numpy as jnp

    @jax.custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        return f(primals[0]), tangents[0] * slope

    class C(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            from gluax._src.engine.ndarray import NDArray

            return type(x)(f(x._value), x._ctx) if isinstance(x, NDArray) else x

    return C()


def test_traced_key_covers_custom_jvp_rules_and_refuses_python_backwards():
    # two custom-JVP functions with the same primal and different rules: different keys
    a, b = _key(_custom_jvp_block(1.0)), _key(_custom_jvp_block(2.0))
    assert a is not None and b is not None and a != b
    assert _key(_custom_jvp_block(1.0)) == a

    import jax.numpy as jnp

    @jax.custom_vjp
    def g(x):
        return jnp.cos(x)

    g.defvjp(lambda x: (jnp.cos(x), x), lambda x, ct: (-jnp.sin(x) * ct,))

    class V(gluon.HybridBlock):  # a custom VJP's backward is Python: no key
        def hybrid_forward(self, F, x):
            from gluax._src.engine.ndarray import NDArray

            return type(x)(g(x._value), x._ctx) if isinstance(x, NDArray) else x

    assert _key(V()) is None
    # gluax's own max pooling (a custom-JVP lowering on CPU) is keyed
    pool = gluon.nn.HybridSequential()
    pool.add(gluon.nn.Conv2D(2, 3, in_channels=1), gluon.nn.MaxPool2D(2))

    class Wrap(gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.body = pool

        def hybrid_forward(self, F, x):
            return self.body(x) + 1

    assert _key(Wrap(), 1, 1, 8, 8) is not None


def test_a_deferred_backward_runs_after_its_block_is_rehybridized(tmp_path, rng):
    # backward() defers; hybridize() (or dropping the network) before trainer.step drops the
    # block's programs; the plan, traced at the step (an empty cache: nothing to load), still
    # has what it needs
    from gluax._src.engine import compile_cache as cc

    old = cc.compilation_cache_dir()
    cc.set_compilation_cache(str(tmp_path))
    try:
        net = _seq(gluon.nn.Dense(5, in_units=7, activation="tanh"), gluon.nn.Dense(2, in_units=5))
        tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
        x = nd.array(rng.standard_normal((3, 7)).astype(np.float32))
        before = [p.data().asnumpy() for p in net.collect_params().values()]
        net.hybridize()
        with autograd.record():
            y = (net(x) ** 2).sum()
        y.backward()
        net.hybridize()  # drops the recorded call's programs
        import gc

        gc.collect()
        tr.step(1)
        after = [p.data().asnumpy() for p in net.collect_params().values()]
    finally:
        cc.set_compilation_cache(old)
    # against the gradient of the same loss, eagerly
    net2 = _seq(gluon.nn.Dense(5, in_units=7, activation="tanh"), gluon.nn.Dense(2, in_units=5))
    for p2, b in zip(net2.collect_params().values(), before):
        p2.set_data(nd.array(b))
    with autograd.record():
        y2 = (net2(x) ** 2).sum()
    y2.backward()
    for p2, b, a in zip(net2.collect_params().values(), before, after):
        np.testing.assert_allclose(a, b - 0.5 * p2.grad().asnumpy(), rtol=1e-5, atol=1e-6)


# ---- Trainer.compile_step's one program ------------------------------------------------------

_STEP_SCRIPT = r"""
import json, numpy as np
import gluax as mx
from gluax import gluon, nd
from gluax._src.engine import compile_cache as cc
from gluax._src.gluon.block import HybridBlock
traced = []
pure = HybridBlock._pure
def counting(self, *a, **k):
    traced.append(type(self).__name__); return pure(self, *a, **k)
HybridBlock._pure = counting
out = {}
for kind in ("zoo", "mine"):
    mx.random.seed(4)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, in_units=5, activation="relu"), gluon.nn.Dropout(0.2), gluon.nn.Dense(3, in_units=8))
    net.initialize(mx.init.Xavier())
    class MyLoss(gluon.loss.Loss):
        def __init__(self):
            super().__init__(None, 0)
        def hybrid_forward(self, F, pred, label):
            return F.mean(F.square(pred - F.one_hot(label, 3)), axis=1)
    loss = gluon.loss.SoftmaxCrossEntropyLoss() if kind == "zoo" else MyLoss()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    step = tr.compile_step(net, loss)
    x = nd.array(np.linspace(-1, 1, 20, dtype="float32").reshape(4, 5)); y = nd.array([0, 1, 2, 1])
    del traced[:]
    for _ in range(3):
        l = step(x, y)
    out[kind] = {"params": {k: v.data().asnumpy().tolist() for k, v in net.collect_params().items()},
                 "loss": l.asnumpy().tolist(), "traced": list(traced),
                 "draw": mx.nd.random.uniform(shape=(2,)).asnumpy().tolist()}
out["exe"] = dict(cc.EXE_STATS)
print(json.dumps(out))
"""


def test_compile_step_program_is_loaded_by_a_second_process(tmp_path):
    a = run_with_cache(_STEP_SCRIPT, tmp_path / "cache", tmp_path)
    b = run_with_cache(_STEP_SCRIPT, tmp_path / "cache", tmp_path)
    # gluax's network, loss and optimizer: the second process traces nothing
    assert a["zoo"]["traced"] == ["HybridSequential", "SoftmaxCrossEntropyLoss"]
    assert b["zoo"]["traced"] == []
    # a loss the user wrote: traced in every process (JAX's cache)
    assert b["mine"]["traced"] == a["mine"]["traced"] == ["HybridSequential", "MyLoss"]
    assert b["exe"]["loaded"] >= 1 and b["exe"]["failed"] == 0 and b["exe"]["unusable"] == 0
    for kind in ("zoo", "mine"):  # bit for bit, the random stream after it too (Dropout)
        for what in ("params", "loss", "draw"):
            assert b[kind][what] == a[kind][what], (kind, what)
