"""Python custom operators (mx.operator) against MXNet 1.9.1: the operators of
tests/fixtures/custom_op/make_custom_op.py run unchanged but for their import, eagerly, under
autograd.record(), inside hybridized blocks and in mx.sym graphs."""

import pathlib

import numpy as np
import pytest

import gluax as mx

FIX = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "custom_op"
D = np.load(FIX / "custom_op.npz")
# The user code is MXNet's own: the generator's operator and block definitions, with
# ``import mxnet as mx`` changed to ``import gluax as mx`` (the port this feature promises).
_SRC = (FIX / "make_custom_op.py").read_text().split("def main")[0]
USER: dict = {}
exec(compile(_SRC.replace("import mxnet as mx", "import gluax as mx"), "make_custom_op", "exec"),
     USER)
TOL = {"rtol": 1e-5, "atol": 1e-6}


def test_softmax_tutorial_eager_recorded():
    x = mx.nd.array(D["x"])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Custom(x, mx.nd.array(D["label"]), op_type="softmax")
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), D["softmax_y"], **TOL)
    np.testing.assert_allclose(x.grad.asnumpy(), D["softmax_dx"], **TOL)


@pytest.mark.parametrize("hybridize", [False, True])
def test_softmax_in_block(hybridize):
    net = USER["SoftmaxBlock"]()
    if hybridize:
        net.hybridize()
    for _ in range(2):  # the second call reuses the compiled program
        x = mx.nd.array(D["x"])
        x.attach_grad()
        with mx.autograd.record():
            y = net(x, mx.nd.array(D["label"]))
        y.backward()
        h = int(hybridize)
        np.testing.assert_allclose(y.asnumpy(), D[f"softmax_block_y_{h}"], **TOL)
        np.testing.assert_allclose(x.grad.asnumpy(), D[f"softmax_block_dx_{h}"], **TOL)


def test_kwargs_as_strings_head_gradient_and_grad_add():
    x = mx.nd.array(D["x"])
    x.attach_grad(grad_req="add")
    for _ in range(2):
        with mx.autograd.record():
            y = mx.nd.Custom(x, op_type="scaled_tanh", scale=1.5)
        y.backward(mx.nd.array(D["head"]))
    np.testing.assert_allclose(y.asnumpy(), D["tanh_y"], **TOL)
    np.testing.assert_allclose(x.grad.asnumpy(), D["tanh_dx_add2"], **TOL)


def test_aux_state_updated_in_place_eagerly():
    mm = mx.nd.zeros((3,))
    x = mx.nd.array(D["xc"])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Custom(x, mm, op_type="running_center")
    y.backward(mx.nd.array(D["xc"]))
    np.testing.assert_allclose(y.asnumpy(), D["center_y"], **TOL)
    np.testing.assert_allclose(x.grad.asnumpy(), D["center_dx"], **TOL)
    np.testing.assert_allclose(mm.asnumpy(), D["center_mm"], **TOL)


@pytest.mark.parametrize("hybridize", [False, True])
def test_aux_state_layer(hybridize):
    net = USER["CenterBlock"]()
    net.initialize()
    if hybridize:
        net.hybridize()
    for step in range(2):
        x = mx.nd.array(D["xc"] * (step + 1))
        x.attach_grad()
        with mx.autograd.record():
            y = net(x)
        y.backward()
    h = int(hybridize)
    np.testing.assert_allclose(y.asnumpy(), D[f"block_y_{h}"], **TOL)
    np.testing.assert_allclose(x.grad.asnumpy(), D[f"block_dx_{h}"], **TOL)
    np.testing.assert_allclose(net.moving_mean.data().asnumpy(), D[f"block_mm_{h}"], **TOL)
    np.testing.assert_allclose(net(mx.nd.array(D["xc"])).asnumpy(), D[f"block_infer_{h}"],
                               **TOL)


def test_symbol_graph_eval_and_bind():
    data, label = mx.sym.var("data"), mx.sym.var("label")
    s = mx.sym.Custom(data, label, op_type="softmax", name="sm")
    assert s.list_arguments() == ["data", "label"] and s.list_outputs() == ["sm_output"]
    out = s.eval(data=mx.nd.array(D["x"]), label=mx.nd.array(D["label"]))
    np.testing.assert_allclose(out[0].asnumpy(), D["softmax_y"], **TOL)
    ex = s.simple_bind(mx.cpu(), data=(4, 5), label=(4,))
    ex.arg_dict["data"][:] = D["x"]
    ex.arg_dict["label"][:] = D["label"]
    ex.forward(is_train=True)
    ex.backward()
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy(), D["softmax_dx"], **TOL)
    aux = mx.sym.Custom(mx.sym.var("x"), mx.sym.var("mm"), op_type="running_center")
    assert aux.list_arguments() == ["x"] and aux.list_auxiliary_states() == ["mm"]
    ex = aux.simple_bind(mx.cpu(), x=(4, 3), mm=(3,))
    ex.arg_dict["x"][:] = D["xc"]
    y = ex.forward(is_train=True)[0]
    np.testing.assert_allclose(y.asnumpy(), D["center_y"], **TOL)
    np.testing.assert_allclose(ex.aux_dict["mm"].asnumpy(), D["center_mm"], **TOL)


class _Twice(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * 2)
        self.assign(out_data[1], req[1], in_data[0] + in_data[1])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * 2 + out_grad[1])
        self.assign(in_grad[1], req[1], out_grad[1])


@mx.operator.register("gluax_test_twice")
class _TwiceProp(mx.operator.CustomOpProp):
    def list_arguments(self):
        return ["a", "b"]

    def list_outputs(self):
        return ["double", "sum"]

    def create_operator(self, ctx, shapes, dtypes):
        return _Twice()


@pytest.mark.parametrize("hybridize", [False, True])
def test_two_outputs_gradients_match_numpy(hybridize):
    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, a, b):
            d, s = F.Custom(a, b, op_type="gluax_test_twice")
            return d * 3 + s * s

    net = Net()
    if hybridize:
        net.hybridize()
    an, bn = np.array([1.0, -2.0], "float32"), np.array([0.5, 4.0], "float32")
    a, b = mx.nd.array(an), mx.nd.array(bn)
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        y = net(a, b)
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), an * 6 + (an + bn) ** 2, **TOL)
    np.testing.assert_allclose(a.grad.asnumpy(), 6 + 2 * (an + bn), **TOL)
    np.testing.assert_allclose(b.grad.asnumpy(), 2 * (an + bn), **TOL)


def test_assign_requests():
    op = mx.operator.CustomOp()
    dst = mx.nd.ones((2,))
    op.assign(dst, "add", mx.nd.array([1.0, 2.0]))
    op.assign(dst, "null", mx.nd.array([9.0, 9.0]))
    np.testing.assert_array_equal(dst.asnumpy(), [2.0, 3.0])
    op.assign(dst, "write", mx.nd.array([5.0, 6.0]))
    np.testing.assert_array_equal(dst.asnumpy(), [5.0, 6.0])
    with pytest.raises(ValueError, match="req must be"):
        op.assign(dst, "overwrite", dst)


def test_prop_defaults_as_mxnet():
    p = mx.operator.CustomOpProp()
    assert p.list_arguments() == ["data"] and p.list_outputs() == ["output"]
    assert p.list_auxiliary_states() == []
    assert p.infer_shape([[2, 3]]) == ([[2, 3]], ([2, 3],), ())
    assert p.declare_backward_dependency([0], [1], [2]) == [0, 1, 2]
    assert mx.operator.CustomOpProp(need_top_grad=False).declare_backward_dependency(
        [0], [1], [2]) == [1, 2]
    assert "Custom:softmax" in mx.operator.get_all_registered_operators()


def test_errors():
    with pytest.raises(mx.MXNetError, match="op_type 'nope' is not registered"):
        mx.nd.Custom(mx.nd.ones((2,)), op_type="nope")
    with pytest.raises(ValueError, match=r"'softmax': expected 2 inputs.*\['data', 'label'\]"):
        mx.nd.Custom(mx.nd.ones((2, 3)), op_type="softmax")
    with pytest.raises(ValueError, match=r"input 'label' has shape \(3,\).*\(2,\)"):
        mx.nd.Custom(mx.nd.ones((2, 3)), mx.nd.ones((3,)), op_type="softmax")
    with pytest.raises(TypeError, match="subclass of CustomOpProp"):
        mx.operator.register("bad")(object)


def test_autograd_function_still_works():
    class Square(mx.autograd.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            (x,) = self.saved_tensors
            return 2 * x * dy

    x = mx.nd.array([1.0, -2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = Square()(x)
    y.backward(mx.nd.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, -8.0, 18.0])


class _NumpySigmoid(mx.operator.NumpyOp):
    def __init__(self):
        super().__init__(need_top_grad=True)

    def forward(self, in_data, out_data):
        out_data[0][:] = 1.0 / (1.0 + np.exp(-in_data[0]))

    def backward(self, out_grad, in_data, out_data, in_grad):
        y = out_data[0]
        in_grad[0][:] = out_grad[0] * y * (1 - y)


class _NDArrayDouble(mx.operator.NDArrayOp):
    def forward(self, in_data, out_data):
        out_data[0][:] = in_data[0] * 2

    def backward(self, out_grad, in_data, out_data, in_grad):
        in_grad[0][:] = out_grad[0] * 2


def test_deprecated_numpy_and_ndarray_ops_build_symbols():
    xn = np.array([[0.5, -1.0], [2.0, 0.0]], "float32")
    s = _NDArrayDouble()(data=_NumpySigmoid()(data=mx.sym.var("x")))
    ex = s.simple_bind(mx.cpu(), x=(2, 2))
    ex.arg_dict["x"][:] = xn
    y = ex.forward(is_train=True)[0].asnumpy()
    ex.backward(mx.nd.ones((2, 2)))
    sig = 1 / (1 + np.exp(-xn))
    np.testing.assert_allclose(y, 2 * sig, **TOL)
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), 2 * sig * (1 - sig), **TOL)


def test_get_operator_arguments():
    a = mx.operator.get_operator_arguments("FullyConnected")
    assert a.names[:3] == ["data", "weight", "bias"] and "num_hidden" in a.names
    assert a.narg == len(a.names) == len(a.types)


@mx.operator.register("scaled_tanh_traced", trace=True)
class _TracedTanhProp(USER["ScaledTanhProp"]):
    pass


@mx.operator.register("running_center_traced", trace=True)
class _TracedCenterProp(USER["RunningCenterProp"]):
    pass


@mx.operator.register("softmax_traced", trace=True)
class _TracedSoftmaxProp(USER["SoftmaxProp"]):
    pass


def test_trace_true_runs_the_user_code_in_the_program():
    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.Custom(x, op_type="scaled_tanh_traced", scale=1.5)

    net = Net()
    net.hybridize()
    x = mx.nd.array(D["x"])
    x.attach_grad()
    with mx.autograd.record():
        y = net(x)
    y.backward(mx.nd.array(D["head"]))
    np.testing.assert_allclose(y.asnumpy(), D["tanh_y"], **TOL)
    np.testing.assert_allclose(x.grad.asnumpy() * 2, D["tanh_dx_add2"], rtol=1e-5, atol=1e-5)


def test_trace_true_aux_state_layer():
    class Block(mx.gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            self.moving_mean = self.params.get("moving_mean", shape=(3,), init="zeros",
                                               grad_req="null")

        def hybrid_forward(self, F, x, moving_mean):
            return F.Custom(x, moving_mean, op_type="running_center_traced")

    net = Block()
    net.initialize()
    net.hybridize()
    for step in range(2):
        x = mx.nd.array(D["xc"] * (step + 1))
        x.attach_grad()
        with mx.autograd.record():
            y = net(x)
        y.backward()
    np.testing.assert_allclose(y.asnumpy(), D["block_y_1"], **TOL)
    np.testing.assert_allclose(net.moving_mean.data().asnumpy(), D["block_mm_1"], **TOL)


def test_trace_true_with_numpy_code_says_what_to_do():
    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x, label):
            return F.Custom(x, label, op_type="softmax_traced")

    net = Net()
    net.hybridize()
    with pytest.raises(TypeError, match="'softmax_traced' is registered with trace=True.*"
                                        "without trace=True"):
        net(mx.nd.array(D["x"]), mx.nd.array(D["label"]))
