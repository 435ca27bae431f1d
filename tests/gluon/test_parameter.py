"""Parameter, Constant, ParameterDict."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, gluon, nd


def test_shape_zero_is_filled_in_and_checked():
    p = gluon.Parameter("w", shape=(3, 0), allow_deferred_init=True)
    p.shape = (3, 5)
    assert p.shape == (3, 5)
    with pytest.raises(ValueError, match=r"Parameter 'w': cannot change shape from \(3, 5\) to \(4, 5\)"):
        p.shape = (4, 5)


def test_initialize_and_data_grad():
    p = gluon.Parameter("fc_weight", shape=(2, 3), init=mx.init.One())
    p.initialize()
    np.testing.assert_array_equal(p.data().asnumpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(p.grad().asnumpy(), np.zeros((2, 3)))
    assert p.list_ctx() == [mx.cpu(0)] and len(p.list_data()) == 1 and len(p.list_grad()) == 1
    with autograd.record():
        y = (p.data() * 3).sum()
    y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), np.full((2, 3), 3))
    p.zero_grad()
    assert p.grad().asnumpy().sum() == 0


def test_repr():
    p = gluon.Parameter("m0_dense0_weight", shape=(2, 5))
    assert repr(p) == "Parameter m0_dense0_weight (shape=(2, 5), dtype=<class 'numpy.float32'>)"


def test_default_init_is_uniform_007_and_runs_for_any_name():
    p = gluon.Parameter("anything_scale", shape=(4000,))
    mx.random.seed(0)
    p.initialize()
    d = p.data().asnumpy()
    assert -0.07 <= d.min() and d.max() <= 0.07 and d.std() > 0.03


def test_own_init_wins_over_global():
    p = gluon.Parameter("x_bias", shape=(3,), init="zeros")
    p.initialize(default_init=mx.init.One())
    assert p.data().asnumpy().tolist() == [0, 0, 0]


def test_xavier_on_vector_without_own_init_raises():
    p = gluon.Parameter("b1_scale", shape=(3,))
    with pytest.raises(ValueError, match=r"Xavier initializer cannot be applied to vector b1_scale"):
        p.initialize(default_init=mx.init.Xavier())


def test_initialize_twice_warns_unless_force():
    p = gluon.Parameter("w", shape=(2,), init="ones")
    p.initialize()
    with pytest.warns(UserWarning, match="Parameter 'w' is already initialized"):
        p.initialize()
    p.set_data(nd.zeros((2,)))
    p.initialize(force_reinit=True)
    assert p.data().asnumpy().tolist() == [1, 1]


def test_set_data_checks_shape():
    p = gluon.Parameter("dense0_weight", shape=(2, 3))
    p.initialize()
    p.set_data(nd.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Parameter 'dense0_weight': set_data expected shape \(2, 3\), got \(3, 2\)"):
        p.set_data(nd.ones((3, 2)))


def test_set_data_before_deferred_init_is_used_at_init():
    net = gluon.nn.Dense(2)
    net.initialize()
    net.weight.set_data(nd.ones((2, 4)))
    net.bias.set_data(nd.ones((2,)))
    np.testing.assert_array_equal(net(nd.ones((1, 4))).asnumpy(), [[5, 5]])


def test_grad_req_null_and_add():
    p = gluon.Parameter("w", shape=(2,), init="ones", grad_req="null")
    p.initialize()
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        p.grad()
    p.grad_req = "add"
    for _ in range(2):
        with autograd.record():
            y = p.data() * 2
        y.backward()
    assert p.grad().asnumpy().tolist() == [4, 4]
    q = gluon.Parameter("q", shape=(1,), differentiable=False)
    assert q.grad_req == "null"


def test_uninitialized_access_raises():
    p = gluon.Parameter("lonely_weight", shape=(2,))
    with pytest.raises(RuntimeError, match=r"Parameter 'lonely_weight' has not been initialized"):
        p.data()
    d = gluon.Parameter("later_weight", shape=(0,), allow_deferred_init=True)
    d.initialize()
    with pytest.raises(mx.MXNetError, match="Please pass one batch of data"):
        d.data()
    with pytest.raises(ValueError, match=r"Cannot initialize Parameter 'bad' because it has invalid shape: \(0,\)"):
        gluon.Parameter("bad", shape=(0,)).initialize()


def test_cast_changes_data_and_grad_dtype():
    p = gluon.Parameter("w", shape=(2,), init="ones")
    p.initialize()
    p.cast("float16")
    assert p.dtype == np.float16 and p.data().dtype == np.float16 and p.grad().dtype == np.float16


def test_constant():
    c = gluon.Constant("const", [[1, 2], [3, 4]])
    assert c.grad_req == "null"
    c.initialize()
    np.testing.assert_array_equal(c.data().asnumpy(), [[1, 2], [3, 4]])
    with pytest.warns(UserWarning, match="does not support grad_req other than 'null'"):
        c.grad_req = "write"


def test_parameter_dict_get_and_setattr():
    pd = gluon.ParameterDict("net_")
    w = pd.get("weight", shape=(2, 0))
    assert w.name == "net_weight" and pd.get("weight", shape=(2, 3)) is w and w.shape == (2, 3)
    with pytest.raises(ValueError, match=r"Cannot retrieve Parameter 'net_weight' because desired shape \(4, 3\) is incompatible"):
        pd.get("weight", shape=(4, 3))
    pd.get("bias", shape=(2,))
    pd.setattr("lr_mult", 0.5)
    assert all(p.lr_mult == 0.5 for p in pd.values())
    c = pd.get_constant("c", [1.0, 2.0])
    assert pd.get_constant("c") is c
    with pytest.raises(KeyError, match="Please specify value"):
        pd.get_constant("missing")
    assert list(pd.keys()) == ["net_weight", "net_bias", "net_c"]
    assert repr(pd).startswith("net_ (\n  Parameter net_weight (shape=(2, 3)")


def test_parameter_dict_update_rejects_conflicts():
    a, b = gluon.ParameterDict("p_"), gluon.ParameterDict("p_")
    a.get("w", shape=(1,))
    b.get("w", shape=(1,))
    with pytest.raises(ValueError, match="different Parameters with the same name 'p_w'"):
        a.update(b)


def test_parameter_dict_save_load_with_prefix(tmp_path):
    pd = gluon.ParameterDict("model_")
    pd.get("weight", shape=(2, 2), init="ones")
    pd.initialize()
    f = str(tmp_path / "pd.params")
    pd.save(f, strip_prefix="model_")
    assert list(nd.load(f)) == ["weight"]
    other = gluon.ParameterDict("other_")
    other.get("weight", shape=(2, 2))
    other.load(f, restore_prefix="other_")
    np.testing.assert_array_equal(other["other_weight"].data().asnumpy(), np.ones((2, 2)))
    with pytest.raises(ValueError, match="Prefix 'zzz_' is to be striped"):
        pd.save(f, strip_prefix="zzz_")


def test_lr_mult_wd_mult_are_plain_attributes():
    net = gluon.nn.Dense(2, in_units=2)
    net.collect_params(".*bias").setattr("wd_mult", 0.0)
    assert net.bias.wd_mult == 0.0 and net.weight.wd_mult == 1.0


def test_repr_prints_dtype_as_given_like_mxnet():
    d = gluon.nn.Dense(2, in_units=3, prefix="rp_")
    assert repr(d.weight) == "Parameter rp_weight (shape=(2, 3), dtype=float32)"
    assert repr(gluon.Parameter("x", shape=(2,))) == "Parameter x (shape=(2,), dtype=<class 'numpy.float32'>)"


def test_gradient_buffer_is_made_when_first_needed_and_keeps_its_identity():
    p = gluon.Parameter("lazy_weight", shape=(2, 3), init=mx.init.One(), grad_req="add")
    p.initialize()
    info = p.data()._ag
    assert info._grad is None  # nothing allocated until read or written
    with autograd.record():
        y = (p.data() * 3).sum()
    y.backward()  # 'add' into a buffer that does not exist yet: zeros + gradient
    g = p.grad()
    np.testing.assert_array_equal(g.asnumpy(), np.full((2, 3), 3))
    with autograd.record():
        y = (p.data() * 2).sum()
    y.backward()
    assert p.grad() is g  # the same NDArray, updated in place, as MXNet's buffer
    np.testing.assert_array_equal(g.asnumpy(), np.full((2, 3), 5))
    p.zero_grad()
    np.testing.assert_array_equal(g.asnumpy(), np.zeros((2, 3)))
    q = gluon.Parameter("read_first_weight", shape=(4,), dtype="float16")
    q.initialize()
    assert q.grad().dtype == np.float16 and q.grad().asnumpy().tolist() == [0, 0, 0, 0]
    assert q.grad().context == q.data().context
