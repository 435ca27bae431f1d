"""mx.sym.random.<sampler> builds MXNet's nodes (tests/fixtures/sym_random, made with MXNet
1.9.1), and the nodes sample: seeded runs repeat, a shuffled then sorted range is the range."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import gluax as mx

HERE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "sym_random")
with open(os.path.join(HERE, "sym_random.json")) as _f:
    FX = json.load(_f)


def _cases():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    return {
        "uniform_num": lambda: mx.sym.random.uniform(-1.5, 3.0, shape=(2, 3), dtype="float32"),
        "uniform_sym": lambda: mx.sym.random.uniform(a, b, shape=4),
        "normal_num": lambda: mx.sym.random.normal(1.0, 2.0, shape=(3,)),
        "normal_sym": lambda: mx.sym.random.normal(a, b, shape=(2,)),
        "exponential_num": lambda: mx.sym.random.exponential(4.0, shape=(2,)),
        "exponential_sym": lambda: mx.sym.random.exponential(a, shape=(3,)),
        "gamma_num": lambda: mx.sym.random.gamma(2.0, 3.0, shape=(2,)),
        "poisson_num": lambda: mx.sym.random.poisson(3.0, shape=(2,)),
        "negative_binomial_num": lambda: mx.sym.random.negative_binomial(3, 0.4, shape=(2,)),
        "generalized_negative_binomial_num": lambda: mx.sym.random.generalized_negative_binomial(
            2.0, 0.5, shape=(2,)
        ),
        "randint_num": lambda: mx.sym.random.randint(0, 5, shape=(3,)),
        "randn_num": lambda: mx.sym.random.randn(2, 3, loc=1.0, scale=2.0),
        "multinomial_sym": lambda: mx.sym.random.multinomial(a, shape=3),
        "shuffle_sym": lambda: mx.sym.random.shuffle(a),
    }


def _value(text):
    try:
        return json.loads(text.replace("(", "[").replace(")", "]").replace(",]", "]"))
    except ValueError:
        return text


@pytest.mark.parametrize("case", sorted(k for k in FX if isinstance(FX[k], dict)))
def test_sym_random_builds_mxnets_node(case):
    s = _cases()[case]()
    want = FX[case]
    assert isinstance(s, mx.sym.Symbol)
    node = json.loads(s.tojson())["nodes"][-1]
    assert node["op"] == want["op"]
    attrs = node.get("attrs", {})
    for k, v in want["attrs"].items():
        assert k in attrs, (k, attrs)
        got, exp = _value(attrs[k]), _value(v)
        if isinstance(exp, float):
            assert float(got) == pytest.approx(exp), k
        else:
            assert got == exp or str(got) == str(exp), (k, got, exp)
    assert s.list_arguments() == want["arguments"]
    _, shapes, _ = s.infer_shape(**{n: (2,) for n in want["arguments"]})
    assert list(shapes[0]) == want["out_shape"]
    # the name's counter depends on which cases ran before in this process (test order, and
    # the worker under pytest-xdist); MXNet's fixture ran them all in one sequence
    assert [_uncounted(n) for n in s.list_outputs()] == [_uncounted(n) for n in want["outputs"]]


def _uncounted(name):
    import re

    return re.sub(r"\d+_output$", "N_output", name)


def test_sym_random_nodes_sample_and_repeat_after_seed():
    x = mx.sym.var("X")
    y = mx.sym.random.uniform(low=-1.5, high=3.0, shape=(3, 4), ctx=mx.cpu()) + x
    exe = y.bind(mx.cpu(), {"X": mx.nd.zeros((3, 4))})
    mx.random.seed(7)
    exe.forward()
    first = exe.outputs[0].asnumpy()
    exe.forward()
    second = exe.outputs[0].asnumpy()
    mx.random.seed(7)
    exe.forward()
    again = exe.outputs[0].asnumpy()
    assert np.all((first >= -1.5) & (first < 3.0))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, again)


def test_sym_random_shuffle_is_a_permutation_and_ndarrays_sample_eagerly():
    a = mx.sym.var("a")
    c = mx.sym.random.shuffle(data=mx.sym.random.shuffle(a), name="c")
    data = mx.nd.arange(6)
    out = mx.sym.sort(c, axis=0).eval(a=data)[0]
    np.testing.assert_array_equal(out.asnumpy(), data.asnumpy())
    eager = mx.sym.random.uniform(mx.nd.zeros((2,)), mx.nd.ones((2,)), shape=3)
    assert isinstance(eager, mx.nd.NDArray) and eager.shape == (2, 3)


def test_group_of_a_multi_output_symbol_is_its_outputs():
    s = mx.sym.split(mx.sym.var("t"), num_outputs=3)
    g = mx.sym.Group(s)
    assert len(g.list_outputs()) == 3
    outs = g.eval(t=mx.nd.arange(6).reshape((2, 3)))
    np.testing.assert_array_equal(
        [o.asnumpy().ravel().tolist() for o in outs], [[0, 3], [1, 4], [2, 5]]
    )


def test_rand_zipfian_symbol_has_mxnets_three_outputs():
    g = mx.sym.Group(mx.sym.contrib.rand_zipfian(mx.sym.var("t"), 4, 10))
    assert len(g.list_outputs()) == FX["rand_zipfian_outputs"]
    exe = g.bind(mx.cpu(), {"t": mx.nd.array([1, 3], dtype="int32")})
    exe.forward()
    assert [o.shape for o in exe.outputs] == [(4,), (2,), (4,)]
