"""Context: names, equality, the default-context stack, device mapping."""

from __future__ import annotations

import pytest

import gluax as mx
from gluax import nd


def test_context_repr_equality_hash():
    assert repr(mx.cpu()) == "cpu(0)" and repr(mx.gpu(1)) == "gpu(1)"
    assert mx.cpu(0) == mx.Context("cpu", 0) and mx.cpu(0) != mx.cpu(1) and mx.cpu(0) != mx.gpu(0)
    assert len({mx.cpu(0), mx.Context("cpu", 0), mx.gpu(0)}) == 2
    assert mx.gpu(2).device_type == "gpu" and mx.gpu(2).device_id == 2
    assert mx.Context(mx.gpu(3)) == mx.gpu(3)


def test_with_context_sets_default():
    assert mx.current_context() == mx.cpu(0)
    with mx.Context("cpu", 1):
        assert mx.current_context() == mx.cpu(1)
        assert nd.zeros((1,)).context == mx.cpu(1)
    assert mx.current_context() == mx.cpu(0)


def test_unknown_device_type():
    with pytest.raises(ValueError, match="unknown device_type 'npu'"):
        mx.Context("npu", 0)


def test_gpu_without_gpu_raises_clearly():
    if mx.num_gpus() > 0:
        pytest.skip("this machine has a GPU; the error path cannot be reached")
    with pytest.raises(mx.MXNetError, match=r"Context gpu\(0\) is not available: JAX sees 0 GPU"):
        nd.ones((2,), ctx=mx.gpu(0))
