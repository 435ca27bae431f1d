"""contrib.foreach / while_loop / cond (gluax/_src/ops/control_flow.py) against MXNet 1.9.1
(tests/fixtures/control_flow/, made by make_control_flow.py), eagerly and hybridized, with
gradients; plus F.contrib / F.linalg operators inside hybridized blocks."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, nd

FIX = np.load(pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "control_flow" / "control_flow.npz")
TOL = dict(rtol=1e-5, atol=1e-6)
MODES = pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybrid"])


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [y for v in x for y in _flat(v)]
    return [x]


def _run(net, inputs, loss_of, hybrid):
    """Outputs, input gradients and parameter gradients of ``loss_of(net(*inputs))``."""
    if hybrid:
        net.hybridize()
    xs = [nd.array(x) for x in inputs]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        res = net(*xs)
        loss = loss_of(res)
    loss.backward()
    pgrads = {k.split("_")[-1]: p.grad().asnumpy() for k, p in net.collect_params().items()}
    return res, [x.grad.asnumpy() for x in xs], pgrads


def _param(block, name, value):
    p = block.params.get(name, shape=value.shape, init=mx.init.Zero())
    p.initialize()
    p.set_data(nd.array(value))
    return p


# ---- foreach -----------------------------------------------------------------------------------
class RNNLoop(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.wx = _param(self, "wx", FIX["rnn/wx"])
            self.wh = _param(self, "wh", FIX["rnn/wh"])

    def hybrid_forward(self, F, x, h0, wx, wh):
        def step(xt, states):
            h = F.tanh(F.dot(xt, wx) + F.dot(states[0], wh))
            return [h, F.sum(h, axis=1)], [h]

        return F.contrib.foreach(step, x, [h0])


@MODES
def test_foreach_rnn_matches_mxnet(hybrid):
    def loss(res):
        (o0, o1), (st,) = res
        return ((o0 * nd.array(FIX["rnn/head_out0"])).sum() + (o1 * nd.array(FIX["rnn/head_out1"])).sum()
                + (st * nd.array(FIX["rnn/head_state"])).sum())

    res, grads, pgrads = _run(RNNLoop(), [FIX["rnn/x"], FIX["rnn/h0"]], loss, hybrid)
    (o0, o1), states = res
    assert isinstance(states, list) and len(states) == 1
    np.testing.assert_allclose(o0.asnumpy(), FIX["rnn/out0"], **TOL)
    np.testing.assert_allclose(o1.asnumpy(), FIX["rnn/out1"], **TOL)
    np.testing.assert_allclose(states[0].asnumpy(), FIX["rnn/state"], **TOL)
    np.testing.assert_allclose(grads[0], FIX["rnn/grad_x"], **TOL)
    np.testing.assert_allclose(grads[1], FIX["rnn/grad_h0"], **TOL)
    np.testing.assert_allclose(pgrads["wx"], FIX["rnn/grad_wx"], **TOL)
    np.testing.assert_allclose(pgrads["wh"], FIX["rnn/grad_wh"], **TOL)


class NestLoop(gluon.HybridBlock):
    def hybrid_forward(self, F, a, b, s0, s1, s2):
        def step(data, states):
            xa, xb = data
            t0, (t1, t2) = states
            return xa * t0 + xb, [t0 + xa, [t1 * xb, t2 + t1]]

        return F.contrib.foreach(step, [a, b], [s0, [s1, s2]])


@MODES
def test_foreach_nested_states_match_mxnet(hybrid):
    heads = [nd.array(FIX["nest/" + k]) for k in ("head_out", "head_s0", "head_s1", "head_s2")]

    def loss(res):
        out, (t0, (t1, t2)) = res
        return sum((v * h).sum() for v, h in zip([out, t0, t1, t2], heads))

    names = ["a", "b", "s0", "s1", "s2"]
    res, grads, _ = _run(NestLoop(), [FIX["nest/" + k] for k in names], loss, hybrid)
    out, (t0, (t1, t2)) = res
    assert isinstance(out, nd.NDArray)  # one output array, not a list
    for got, key in zip([out, t0, t1, t2], ["out", "st0", "st1", "st2"]):
        np.testing.assert_allclose(got.asnumpy(), FIX["nest/" + key], **TOL)
    for g, k in zip(grads, names):
        np.testing.assert_allclose(g, FIX["nest/grad_" + k], **TOL)


# ---- while_loop --------------------------------------------------------------------------------
class WhileLoop(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.w = _param(self, "w", FIX["while/w"])

    def hybrid_forward(self, F, i, s, w):
        def func(i, s):
            s2 = s * w + 0.5
            return [s2 * 2, i], [i + 1, s2]

        return F.contrib.while_loop(lambda i, s: F.sum(s) < 3, func, [i, s], max_iterations=6)


@MODES
def test_while_loop_matches_mxnet_and_pads(hybrid):
    steps = int(FIX["while/steps"])

    def loss(res):
        (o0, _), (_, sf) = res
        return (o0[:steps] * nd.array(FIX["while/head_out0"])).sum() + (
            sf * nd.array(FIX["while/head_s"])
        ).sum()

    res, grads, pgrads = _run(WhileLoop(), [FIX["while/i"], FIX["while/s"]], loss, hybrid)
    (o0, o1), (i_final, s_final) = res
    assert o0.shape == (6, 2) and o1.shape == (6, 1)  # padded to max_iterations
    np.testing.assert_allclose(o0.asnumpy()[:steps], FIX["while/out0"], **TOL)
    np.testing.assert_allclose(o1.asnumpy()[:steps], FIX["while/out1"], **TOL)
    np.testing.assert_array_equal(o0.asnumpy()[steps:], 0)  # MXNet: uninitialized; gluax: zeros
    np.testing.assert_allclose(i_final.asnumpy(), FIX["while/i_final"], **TOL)
    np.testing.assert_allclose(s_final.asnumpy(), FIX["while/s_final"], **TOL)
    np.testing.assert_allclose(grads[1], FIX["while/grad_s"], **TOL)
    np.testing.assert_allclose(pgrads["w"], FIX["while/grad_w"], **TOL)


class NeverLoop(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.contrib.while_loop(lambda v: F.sum(v) < 0, lambda v: (v * 2, v + 1), x,
                                    max_iterations=3)


@MODES
def test_while_loop_without_iterations(hybrid):
    x = nd.array([1.0, 2.0])
    net = NeverLoop()
    if hybrid:
        net.hybridize()
    outs, v = net(x)
    np.testing.assert_array_equal(v.asnumpy(), [1.0, 2.0])  # one loop var comes back bare
    if hybrid:  # the Symbol version's shape: max_iterations rows
        np.testing.assert_array_equal(outs.asnumpy(), np.zeros((3, 2)))
    else:  # MXNet's NDArray version cannot infer the outputs and returns []
        assert outs == []


# ---- cond --------------------------------------------------------------------------------------
class CondBlock(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.w = _param(self, "w", FIX["cond/w"])

    def hybrid_forward(self, F, a, w):
        return F.contrib.cond(F.sum(a) > 0, lambda: [a * w, F.exp(a) * 2], lambda: [a - w, a * a])


@MODES
@pytest.mark.parametrize("tag", ["pos", "neg"])
def test_cond_matches_mxnet(hybrid, tag):
    heads = [nd.array(FIX["cond/head0"]), nd.array(FIX["cond/head1"])]
    net = CondBlock()
    res, grads, pgrads = _run(net, [FIX[f"cond/a_{tag}"]], lambda r: sum((v * h).sum() for v, h in zip(r, heads)), hybrid)
    np.testing.assert_allclose(res[0].asnumpy(), FIX[f"cond/{tag}_out0"], **TOL)
    np.testing.assert_allclose(res[1].asnumpy(), FIX[f"cond/{tag}_out1"], **TOL)
    np.testing.assert_allclose(grads[0], FIX[f"cond/{tag}_grad_a"], **TOL)
    np.testing.assert_allclose(pgrads["w"], FIX[f"cond/{tag}_grad_w"], **TOL)


def test_cond_one_compiled_program_takes_both_branches():
    net = CondBlock()
    net.hybridize()
    for tag in ("pos", "neg"):
        out = net(nd.array(FIX[f"cond/a_{tag}"]))
        np.testing.assert_allclose(out[0].asnumpy(), FIX[f"cond/{tag}_out0"], **TOL)
    assert net.compile_stats()["compiles"] == 1


# ---- randomness inside a compiled body ---------------------------------------------------------
class DropLoop(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        outs, _ = F.contrib.foreach(lambda xt, st: (F.Dropout(xt, p=0.5), st), x, [F.sum(x)])
        _, (v,) = F.contrib.while_loop(lambda v: F.sum(v) < 1e9, lambda v: ([], [F.Dropout(v, p=0.5) + 1]),
                                       [x[0]], max_iterations=2)
        c = F.contrib.cond(F.sum(x) > 0, lambda: F.Dropout(x[0], p=0.5), lambda: x[0])
        return outs, v, c


def test_dropout_inside_hybridized_loops_draws_fresh_keys():
    net = DropLoop()
    net.hybridize()
    x = nd.ones((4, 64))
    mx.random.seed(3)
    with autograd.train_mode():
        outs, v, c = (o.asnumpy() for o in net(x))
        outs2 = net(x)[0].asnumpy()
    mx.random.seed(3)
    with autograd.train_mode():
        again = net(x)[0].asnumpy()
    masks = outs != 0
    assert set(np.unique(outs)) <= {0.0, 2.0} and 0 < masks.mean() < 1
    assert all((masks[0] != masks[k]).any() for k in range(1, 4))  # a new mask each step
    assert (outs != outs2).any()  # and on each call
    np.testing.assert_array_equal(outs, again)  # repeatable after mx.random.seed
    assert set(np.unique(c)) <= {0.0, 2.0} and (c == 0).any()
    assert v.shape == (64,) and (v != 2).any()
    with autograd.predict_mode():
        np.testing.assert_array_equal(net(x)[0].asnumpy(), x.asnumpy())


# ---- errors ------------------------------------------------------------------------------------
class Loop(gluon.HybridBlock):
    def __init__(self, fn, **kw):
        super().__init__(**kw)
        self.fn = fn

    def hybrid_forward(self, F, *xs):
        return self.fn(F, *xs)


def _both(fn, *xs):
    """Run fn(F, *xs) eagerly and hybridized; yields once per mode so each can raise."""
    for hybrid in (False, True):
        net = Loop(fn)
        if hybrid:
            net.hybridize()
        yield lambda: net(*[nd.array(x) for x in xs])


@pytest.mark.parametrize("mode", [0, 1], ids=["eager", "hybrid"])
def test_foreach_rejects_changed_state_structure(mode):
    fn = lambda F, x, h: F.contrib.foreach(lambda xt, st: (xt, [st[0], st[0]]), x, [h])
    call = list(_both(fn, np.ones((2, 3)), np.ones(3)))[mode]
    with pytest.raises(ValueError, match=r"contrib.foreach: body returned states nested as \[0, 0\].*\[0\]"):
        call()


def test_foreach_rejects_changed_state_shape_when_compiled():
    fn = lambda F, x, h: F.contrib.foreach(lambda xt, st: (xt, [F.concat(st[0], xt, dim=0)]), x, [h])
    call = list(_both(fn, np.ones((2, 3)), np.ones(3)))[1]
    with pytest.raises(ValueError, match=r"contrib.foreach: state 0 has shape \(6,\).*init_states 0 has shape \(3,\)"):
        call()


@pytest.mark.parametrize("mode", [0, 1], ids=["eager", "hybrid"])
def test_cond_rejects_non_scalar_pred(mode):
    fn = lambda F, a: F.contrib.cond(a > 0, lambda: a * 2, lambda: a * 3)
    call = list(_both(fn, np.array([1.0, -2.0])))[mode]
    with pytest.raises(ValueError, match=r"contrib.cond: pred must have exactly one element, got shape \(2,\)"):
        call()


def test_cond_rejects_mismatched_branches_when_compiled():
    fn = lambda F, a: F.contrib.cond(F.sum(a) > 0, lambda: [a, a], lambda: [a])
    with pytest.raises(ValueError, match=r"then_func returns 2 arrays and else_func 1"):
        list(_both(fn, np.ones(2)))[1]()
    fn = lambda F, a: F.contrib.cond(F.sum(a) > 0, lambda: a, lambda: F.sum(a))
    with pytest.raises(ValueError, match=r"else_func output 0 has shape \(1,\).*then_func output 0 has shape \(2,\)"):
        list(_both(fn, np.ones(2)))[1]()


def test_while_loop_bad_arguments():
    x = nd.ones(2)
    body = lambda v: (v, v + 1)
    with pytest.raises(ValueError, match="max_iterations must be given"):
        nd.contrib.while_loop(lambda v: v.sum() < 3, body, x)
    with pytest.raises(ValueError, match="max_iterations must be an int, got 'a'"):
        nd.contrib.while_loop(lambda v: v.sum() < 3, body, x, max_iterations="a")
    with pytest.raises(ValueError, match="max_iterations must be >= 0, got -1"):
        nd.contrib.while_loop(lambda v: v.sum() < 3, body, x, max_iterations=-1)
    with pytest.raises(ValueError, match="loop_vars should contain at least one element"):
        nd.contrib.while_loop(lambda: True, body, [], max_iterations=2)
    with pytest.raises(TypeError, match="cond and func must be callable"):
        nd.contrib.while_loop(None, body, x, max_iterations=2)
    with pytest.raises(ValueError, match=r"the result of cond must have exactly one element, got shape \(2,\)"):
        nd.contrib.while_loop(lambda v: v < 3, body, x, max_iterations=2)
    with pytest.raises(ValueError, match=r"func returned loop_vars nested as \[0, 0\], but loop_vars is nested as \[0\]"):
        nd.contrib.while_loop(lambda v: v.sum() < 9, lambda v: (v, [v, v]), x, max_iterations=2)
    with pytest.raises(ValueError, match=r"func returned 2 step outputs at step 1, but 1 at step 0"):
        nd.contrib.while_loop(lambda v: v.sum() < 9, lambda v: ([v] * int(v[0].asscalar()), v + 1), x, max_iterations=2)
    with pytest.raises(ValueError, match=r"shapes of step output 0 differ between steps: \[\(1,\), \(2,\)\]"):
        nd.contrib.while_loop(lambda v: v.sum() < 9, lambda v: (v[: int(v[0].asscalar())], v + 1), x, max_iterations=2)


def test_while_loop_errors_when_compiled():
    fn = lambda F, x: F.contrib.while_loop(lambda v: True, lambda v: (v, v), x, max_iterations=2)
    with pytest.raises(TypeError, match="the result of cond must be an NDArray with one element, got bool"):
        list(_both(fn, np.ones(2)))[1]()
    fn = lambda F, x: F.contrib.while_loop(lambda v: F.sum(v) < 3, lambda v: (v, F.concat(v, v, dim=0)), x, max_iterations=2)
    with pytest.raises(ValueError, match=r"loop variable 0 has shape \(4,\).*loop_vars 0 has shape \(2,\)"):
        list(_both(fn, np.ones(2)))[1]()
    fn = lambda F, x: F.contrib.while_loop(lambda v: F.sum(v) < 3, lambda v: (v, v), x, max_iterations=F.sum(x))
    with pytest.raises(ValueError, match="max_iterations fixes the length of the outputs"):
        list(_both(fn, np.ones(2)))[1]()


def test_foreach_bad_arguments():
    x, h = nd.ones((2, 3)), nd.ones(3)
    with pytest.raises(TypeError, match="body must be callable"):
        nd.contrib.foreach(None, x, [h])
    with pytest.raises(TypeError, match=r"init_states must be an NDArray or a \(nested\) list of NDArrays, got int"):
        nd.contrib.foreach(lambda a, s: (a, s), x, [3])
    with pytest.raises(ValueError, match=r"same length along axis 0, got shapes \[\(2, 3\), \(3,\)\]"):
        nd.contrib.foreach(lambda a, s: (a, s), [x, h], [h])
    with pytest.raises(ValueError, match=r"data has length 0 along axis 0"):
        nd.contrib.foreach(lambda a, s: (a, s), nd.ones((0, 3)), [h])
    with pytest.raises(ValueError, match=r"data arrays are sliced along axis 0; got a 0-d array"):
        nd.contrib.foreach(lambda a, s: (a, s), nd.array(np.float32(1)), [h])
    with pytest.raises(ValueError, match=r"data must hold at least one NDArray"):
        nd.contrib.foreach(lambda a, s: (a, s), [], [h])
    with pytest.raises(TypeError, match=r"body function must return a pair \(outputs, states\), got NDArray"):
        nd.contrib.foreach(lambda a, s: a, x, [h])
    with pytest.raises(TypeError, match="then_func and else_func must be callable"):
        nd.contrib.cond(nd.ones(1), None, None)
    with pytest.raises(TypeError, match=r"contrib.cond: cannot convert pred"):
        nd.contrib.cond(object.__new__(_NoBool), lambda: x, lambda: x)


class _NoBool:
    def __bool__(self):
        raise RuntimeError("no")


def test_stateful_layer_inside_compiled_body_is_refused():
    class BNLoop(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.bn = gluon.nn.BatchNorm(in_channels=3)

        def hybrid_forward(self, F, x):
            return F.contrib.foreach(lambda xt, st: (self.bn(xt), st), x, [F.sum(x)])[0]

    net = BNLoop()
    net.initialize()
    net.hybridize()
    with autograd.record(), pytest.raises(NotImplementedError, match="contrib.foreach: a layer inside the loop body wrote a parameter"):
        net(nd.ones((2, 4, 3)))


# ---- F.contrib / F.linalg namespaces -----------------------------------------------------------
class OpsBlock(gluon.HybridBlock):
    def hybrid_forward(self, F, a, b, m, n):
        return F.contrib.box_iou(a, b), F.linalg.gemm2(m, n, transpose_b=True, alpha=2.0)


def _iou(a, b):
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


@MODES
def test_contrib_and_linalg_ops_inside_block(hybrid, rng):
    a = np.array([[0, 0, 2, 2], [1, 1, 3, 4]], np.float32)
    b = np.array([[1, 0, 2, 3], [0, 0, 1, 1], [5, 5, 6, 6]], np.float32)
    m, n = rng.uniform(size=(2, 3)).astype(np.float32), rng.uniform(size=(4, 3)).astype(np.float32)
    net = OpsBlock()
    if hybrid:
        net.hybridize()
    iou, g = net(*[nd.array(v) for v in (a, b, m, n)])
    np.testing.assert_allclose(iou.asnumpy(), _iou(a, b), **TOL)
    np.testing.assert_allclose(g.asnumpy(), 2 * m @ n.T, **TOL)


def test_namespaces():
    assert mx.nd.contrib.box_nms.__name__ == "_contrib_box_nms"
    assert mx.sym._linalg_potrf.__name__ == "_linalg_potrf"  # (made first: its own name)
    assert mx.sym.linalg.potrf.__name__ == "potrf"  # MXNet 1.9.1's name too
    assert mx.sym.linalg.potrf(mx.sym.var("a")).list_arguments() == ["a"]
    assert mx.sym.contrib.foreach is mx.nd.contrib.foreach
    assert {"foreach", "while_loop", "cond", "box_iou", "isnan"} <= set(dir(mx.nd.contrib))
    assert {"gemm", "gemm2", "trsm"} <= set(dir(mx.nd.linalg))
    with pytest.raises(AttributeError, match="gluax has no operator '_contrib_nope'"):
        mx.nd.contrib.nope
