"""gluax's executable cache for an eager training loop: a second process loads the Trainer's
fused update program and the deferred backward's plan program (no tracing, no lowering) and
ends with bit-identical parameters; a user's Optimizer subclass is not cached.

Two fresh interpreters share one temporary cache directory (nothing touches the user's cache).
"""

from helpers import run_with_cache

import gluax as mx
from gluax._src.engine import tape
from gluax._src.optim.gluon_trainer import Trainer

# Three tiny eager training loops (SGD with momentum, Adam, a user's Optimizer subclass with
# its own rule); prints one JSON line: per loop the final parameters and how often the update
# was traced, the deferred backward's cached plans and how often they were traced, and the
# executable cache's counts.

_SCRIPT = r"""
import json
import numpy as np
import jax.numpy as jnp
import gluax as mx
from gluax import autograd, gluon, nd
from gluax._src.engine import compile_cache as cc, tape
from gluax._src.optim.rules import Rule, SGD

class MySGD(SGD):  # user code: its rule is not in the sources the cache fingerprints
    def _rule(self):
        def apply(w, g, s, lr, wd, rescale, t):
            return w - lr * jnp.sign(g), s
        return Rule(lambda w: (), apply)

# how often JAX traced the plan programs and the update (the Python functions run only then)
traced = {"walk": 0, "update": 0}
walk, fused = tape.walk, gluon.Trainer._fused_update
def counting_walk(*a):
    traced["walk"] += 1
    return walk(*a)
def counting_update(*a):
    traced["update"] += 1
    return fused(*a)
tape.walk, gluon.Trainer._fused_update = counting_walk, counting_update

out = {}
for name, opt in [("sgd", "sgd"), ("adam", "adam"), ("custom", MySGD(learning_rate=0.1))]:
    mx.random.seed(1)
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(6, activation="tanh", in_units=5), gluon.nn.Dense(3, in_units=6))
    net.initialize(mx.init.Xavier())
    kw = {"sgd": {"learning_rate": 0.1, "momentum": 0.9}, "adam": {"learning_rate": 0.01}}
    tr = gluon.Trainer(net.collect_params(), opt, kw.get(name))
    loss_fn = gluon.loss.L2Loss()
    x = nd.array(np.linspace(-1, 1, 20, dtype="float32").reshape(4, 5))
    y = nd.array(np.linspace(0, 1, 12, dtype="float32").reshape(4, 3))
    traced["update"] = 0
    for _ in range(3):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        tr.step(4)
    out[name] = {
        "params": {k: v.data().asnumpy().tolist() for k, v in net.collect_params().items()},
        "update_traced": traced["update"],
        "cached": tr._update_cache_name() is not None,
    }
out["plans"] = sum(1 for p in tape._PLANS.values() if p.run is not None)
out["walk_traced"] = traced["walk"]
out["exe"] = dict(cc.EXE_STATS)
print(json.dumps(out))
"""


def _run(cache, tmp_path):
    return run_with_cache(_SCRIPT, cache, tmp_path, timeout=240)


def test_second_process_loads_update_and_plan_programs(tmp_path):
    cache = tmp_path / "cache"
    a = _run(cache, tmp_path)
    b = _run(cache, tmp_path)
    # the first process traced the plan and update programs and stored them
    assert a["plans"] >= 1 and a["walk_traced"] >= a["plans"]
    for name in ("sgd", "adam", "custom"):
        assert a[name]["update_traced"] == 1
    assert a["sgd"]["cached"] and a["adam"]["cached"]
    assert a["exe"]["stored"] > 0 and a["exe"]["loaded"] == 0
    # the second loads them: no plan or update of gluax's rules traced again
    assert b["plans"] == a["plans"] and b["walk_traced"] == 0
    assert b["sgd"]["update_traced"] == 0 and b["adam"]["update_traced"] == 0
    assert b["exe"]["loaded"] == a["exe"]["stored"] and b["exe"]["stored"] == 0
    assert b["exe"]["unusable"] == 0 and b["exe"]["failed"] == 0
    # a user's Optimizer subclass: not cached, traced in every process
    assert not a["custom"]["cached"] and not b["custom"]["cached"]
    assert b["custom"]["update_traced"] == 1
    # the same numbers, bit for bit (and the loops did train)
    for name in ("sgd", "adam", "custom"):
        assert b[name]["params"] == a[name]["params"], name
    assert a["sgd"]["params"] != a["adam"]["params"]


def _net():
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize()
    return net


def test_update_key_holds_every_baked_hyperparameter():
    def name(opt, **kw):
        return Trainer(_net().collect_params(), opt, kw)._update_cache_name()

    base = name("sgd", momentum=0.9, learning_rate=0.1)
    # constants of the traced rule change the key
    assert name("sgd", momentum=0.5, learning_rate=0.1) != base
    assert name("sgd", momentum=0.9, learning_rate=0.1, clip_gradient=1.0) != base
    assert name("sgd", momentum=0.9, learning_rate=0.1, multi_precision=True) != base
    assert name("nag", momentum=0.9, learning_rate=0.1) != base
    assert name("adam", beta1=0.8) != name("adam", beta1=0.9)
    # inputs of the program (learning rate, weight decay, rescale) do not
    assert name("sgd", momentum=0.9, learning_rate=0.3, wd=0.1, rescale_grad=0.5) == base
    # an optax transformation is user code
    import optax

    assert Trainer(_net().collect_params(), optax.sgd(0.1))._update_cache_name() is None


def test_plan_with_a_non_operator_node_is_not_cached():
    assert tape._plan_persist_name(((lambda args, cts: cts,), (), (), (), ())) is None


def test_tree_jit_direct_call_meets_new_signatures(tmp_path):
    """After the first call a TreeJit calls the executable directly; other shapes, dtypes or
    a donated input then still give the right numbers (each signature resolved on its own)."""
    import jax.numpy as jnp
    import numpy as np

    from gluax._src.engine import compile_cache as cc

    prev = mx.compilation_cache_dir()
    mx.set_compilation_cache(str(tmp_path))
    try:
        tj = cc.TreeJit(lambda ws, b: ([w * 2 + b for w in ws], b.sum()), lambda: "test.tj",
                        donate_argnums=(0,))  # fmt: skip
        for shape, dtype in [((3,), "float32"), ((3,), "float32"), ((2, 2), "float32"),
                             ((3,), "int32"), ((3,), "float32")]:  # fmt: skip
            w = jnp.asarray(np.arange(np.prod(shape)).reshape(shape), dtype)
            expect = np.asarray(w) * 2 + 1
            out, total = tj([w], jnp.ones(shape, dtype))
            np.testing.assert_array_equal(np.asarray(out[0]), expect)
            assert out[0].dtype == dtype and float(total) == np.prod(shape)
        # several signatures of one tree: no direct call any more, each by its signature
        assert not tj.fast and len(tj.many) == 1
        assert len(next(iter(tj.by_tree.values())).by_sig) == 3
    finally:
        mx.set_compilation_cache(prev)
