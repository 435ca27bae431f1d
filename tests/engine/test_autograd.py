"""Autograd: recording scopes, training mode, backward semantics, grad, Function."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx
from gluax import autograd, nd
from gluax._src.engine import registry


def test_mode_flags_follow_mxnet():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
    with autograd.train_mode():
        assert not autograd.is_recording() and autograd.is_training()
    assert autograd.set_training(True) is False
    assert autograd.set_training(False) is True
    assert autograd.set_recording(True) is False
    assert autograd.set_recording(False) is True


def test_gradient_matches_analytic(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = nd.array(a)
    x.attach_grad()
    with autograd.record():
        y = nd.sum(nd.exp(x) * x)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.exp(a) * (1 + a), rtol=1e-5)


def test_head_gradient_scales_result(rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    h = rng.standard_normal((2, 3)).astype(np.float32)
    x = nd.array(a)
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward(out_grad=nd.array(h))
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * a * h, rtol=1e-5)


def test_vector_head_is_gradient_of_sum(rng):
    a = rng.standard_normal((4,)).astype(np.float32)
    x = nd.array(a)
    x.attach_grad()
    with autograd.record():
        y = nd.sigmoid(x)
    y.backward()
    s = 1 / (1 + np.exp(-a))
    np.testing.assert_allclose(x.grad.asnumpy(), s * (1 - s), rtol=1e-5)


def test_grad_req_write_overwrites_and_add_accumulates():
    x = nd.array([1.0, 2.0])
    x.attach_grad(grad_req="add")
    for _ in range(2):
        with autograd.record():
            y = x * 3
        y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [6, 6])
    x.attach_grad(grad_req="write")
    for _ in range(2):
        with autograd.record():
            y = x * 3
        y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [3, 3])


def test_pause_stops_gradient_flow():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
        with autograd.pause():
            z = x * 10  # not recorded: a constant for backward
        out = y * z
    out.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [20 * 1, 20 * 2])


def test_second_backward_needs_retain_graph():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2, 4])
    with pytest.raises(mx.MXNetError, match=r"retain_graph=True"):
        y.backward()


def test_backward_outside_graph_raises():
    x = nd.array([1.0])
    with pytest.raises(mx.MXNetError, match="not in a computational graph"):
        x.backward()


def test_multiple_heads():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        a = x * 2
        b = x * x
    autograd.backward([a, b])
    np.testing.assert_array_equal(x.grad.asnumpy(), [2 + 2, 2 + 4])


def test_head_grad_shape_mismatch_raises():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    with pytest.raises(ValueError, match=r"head gradient of shape \(3,\) does not match the head's shape \(2,\)"):
        y.backward(nd.ones((3,)))


def test_autograd_grad_returns_new_arrays_and_leaves_buffers():
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x * x
    (g,) = autograd.grad(y, x, head_grads=nd.array([1.0, 0.5, 2.0]))  # a list, as MXNet 1.9.1
    np.testing.assert_allclose(g.asnumpy(), 3 * np.array([1, 4, 9]) * [1, 0.5, 2])
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 0, 0])
    with autograd.record():
        y = x * 2
    gs = autograd.grad([y], [x])
    assert isinstance(gs, list) and gs[0].asnumpy().tolist() == [2, 2, 2]


def test_create_graph_gives_second_derivatives(rng):
    a = rng.uniform(-1, 1, 4).astype(np.float32)
    x = nd.array(a)
    x.attach_grad()
    with autograd.record():
        y = nd.tanh(x) * x
        (g,) = autograd.grad([y], [x], create_graph=True)
    g.backward()
    t = np.tanh(a)
    np.testing.assert_allclose(g.asnumpy(), t + a * (1 - t**2), rtol=1e-5)
    # d/dx [tanh + x (1 - tanh^2)] = 2 (1 - t^2) - 2 x t (1 - t^2)
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * (1 - t**2) - 2 * a * t * (1 - t**2), rtol=1e-4, atol=1e-6)


def test_create_graph_through_hybridized_block_is_explicitly_unsupported():
    net = mx.gluon.nn.Dense(2, in_units=2)
    net.initialize()
    net.hybridize()
    x = nd.ones((1, 2))
    x.attach_grad()
    with autograd.record():
        y = net(x)
        with pytest.raises(NotImplementedError, match="hybridized block or custom Function"):
            autograd.grad(y, x, create_graph=True)


def test_inplace_write_to_variable_while_recording_raises():
    x = nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        with pytest.raises(mx.MXNetError, match=r"In-place operations .* not supported while recording"):
            x += 1


def test_integer_inputs_get_no_gradient_but_floats_do():
    x = nd.array([1.0, 2.0, 3.0])
    idx = nd.array([1], dtype="int32")
    x.attach_grad()
    with autograd.record():
        y = x[idx] * 5
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 5, 0])


def test_forward_with_vjp_is_compiled_once_per_signature():
    op = registry.get_op("tanh")
    x = nd.array(np.ones((3, 5), np.float32) * 0.3)
    x.attach_grad()
    sizes = []
    for _ in range(3):
        with autograd.record():
            y = nd.tanh(x)
        y.backward()
        # a recorded remat operator runs the unrecorded call's program and one backward
        # program (registry._remat_backward)
        grads = [g for (k, *_), g in op._grad_ops.items() if k == ()]
        assert len(grads) == 1 and not op._fwd_vjp
        sizes.append((op._fwd[()]._cache_size(), grads[0]._fwd[()]._cache_size()))
    assert sizes[0] == sizes[1] == sizes[2]  # compiled on the first call only
    np.testing.assert_allclose(x.grad.asnumpy(), 1 - np.tanh(0.3) ** 2, rtol=1e-6)


class _Square(autograd.Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        (x,) = self.saved_tensors
        return dy * 2 * x * 10  # deliberately not the true gradient: proves this code ran


def test_custom_function_uses_user_backward():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = _Square()(x)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), [1, 4])
    np.testing.assert_array_equal(x.grad.asnumpy(), [20, 40])


def test_mark_variables():
    x = nd.array([1.0, 2.0])
    g = nd.zeros((2,))
    autograd.mark_variables([x], [g])
    with autograd.record():
        y = x * 4
    y.backward()
    np.testing.assert_array_equal(g.asnumpy(), [4, 4])


def test_copy_is_differentiable():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x.copy() * 3
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [3, 3])


def test_default_head_gradient_is_shared_but_never_written_through():
    # the head gradient of ones is one cached array per shape; a gradient buffer that starts
    # as that array must not carry later writes back into it
    a = nd.array([1.0, 2.0])
    a.attach_grad()
    with autograd.record():
        y = a * 1
    y.backward()
    g = a.grad
    g[:] = 7  # rebinds g's value
    b = nd.array([3.0, 4.0])
    b.attach_grad()
    with autograd.record():
        z = b * 2
    z.backward()
    np.testing.assert_array_equal(b.grad.asnumpy(), [2, 2])
    np.testing.assert_array_equal(a.grad.asnumpy(), [7, 7])


def test_recorded_backward_after_a_freeing_backward_says_the_graph_was_freed():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    y.backward()  # frees the graph, and the inputs it kept for a recorded backward
    with pytest.raises(mx.MXNetError, match="already been differentiated"):
        autograd.grad(y, [x], create_graph=True)


def test_recorded_op_keeps_its_inputs_not_intermediates_and_grads_are_exact(rng):
    import jax
    import jax.numpy as jnp

    v = jnp.asarray(rng.standard_normal((5, 4)).astype(np.float32))
    out, vjp = registry.get_op("tanh").forward_vjp((), (0,))(v)
    # residuals: the input only (the backward recomputes tanh), not 1 - tanh(x)**2
    leaves = jax.tree_util.tree_leaves(vjp)
    assert leaves and all(np.array_equal(np.asarray(a), np.asarray(v)) for a in leaves)
    (g,) = vjp(jnp.ones_like(out))
    np.testing.assert_array_equal(np.asarray(g), np.asarray(jax.grad(lambda a: jnp.tanh(a).sum())(v)))


def test_costly_nonlinear_operators_keep_their_residuals():
    # recomputing these in the backward would repeat a scan, a recursion or a factorization
    for name in ["RNN", "_fused_rnn", "CTCLoss", "sort", "topk", "_linalg_potrf", "_linalg_inverse"]:
        assert registry.get_op(name).remat is False, name
    assert registry.get_op("tanh").remat and registry.get_op("FullyConnected").remat
