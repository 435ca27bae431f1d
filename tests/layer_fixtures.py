"""Compare gluax layers with MXNet 1.9.1 on the cases in tests/fixtures/layers_extra/.

Each case rebuilds the layer from MXNet's constructor string, loads MXNet's parameters, runs one
recorded forward and backward (eagerly or hybridized) and compares the output, the input and
parameter gradients, the parameters afterwards (BatchNorm running statistics) and the repr.
"""

from __future__ import annotations

import json
import pathlib
from functools import cache
from typing import Any

import numpy as np

import gluax as mx
from gluax import autograd
from gluax.gluon import nn

FIXTURE = pathlib.Path(__file__).resolve().parent / "fixtures" / "layers_extra"

# Input gradients where MXNet 1.9.1's CPU backward disagrees with its own forward; gluax returns
# the exact gradient (checked against finite differences in tests/ops/test_nn_ops.py).
MXNET_INPUT_GRADIENT_BUGS = {
    # selu backward computes lambda * (y + alpha) instead of y + lambda * alpha for x <= 0
    ("nn.SELU()", True),
    # a ceil_mode window hanging past the padding is divided by the full kernel size in
    # backward, but by its clipped size in forward
    ("nn.AvgPool1D(3, 2, 1, ceil_mode=True)", True),
    # in inference the data gradient still subtracts the batch-mean terms of training mode
    ("nn.BatchNorm()", False),
}


@cache
def _load() -> tuple[list[dict[str, Any]], Any]:
    meta = json.loads((FIXTURE / "layers_extra.json").read_text())
    arrays = dict(np.load(FIXTURE / "layers_extra.npz"))
    return meta["cases"], arrays


def cases(*class_names: str) -> list[dict[str, Any]]:
    """The fixture cases whose constructor is one of ``class_names`` (``nn.<Name>(...)``)."""
    return [c for c in _load()[0] if c["ctor"].split("(")[0][3:] in class_names]


def case_id(case: dict[str, Any]) -> str:
    return f"{case['ctor']}-{'train' if case['train'] else 'infer'}"


def check_case(case: dict[str, Any], hybrid: bool, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    arrays = _load()[1]
    key = case["id"]
    net = eval(case["ctor"], {"nn": nn, "mx": mx})
    net.initialize()
    x = arrays[f"{key}/x"]
    net(mx.nd.array(x))  # finish deferred initialization, as the fixture script does
    params = net._collect_params_with_prefix()
    expected_names = {k.split("/param/")[1] for k in arrays if k.startswith(f"{key}/param/")}
    assert set(params) == expected_names, f"parameter names {sorted(params)} vs MXNet's {sorted(expected_names)}"
    for name, p in params.items():
        p.set_data(mx.nd.array(arrays[f"{key}/param/{name}"]))
    assert repr(net) == case["repr"]
    net.hybridize(active=hybrid)
    xx = mx.nd.array(x)
    if f"{key}/xgrad" in arrays:
        xx.attach_grad()
    with autograd.record(train_mode=case["train"]):
        y = net(xx)
    head = np.linspace(-1, 1, y.size).reshape(y.shape).astype(np.float32)
    y.backward(mx.nd.array(head))
    where = f"{case['ctor']} ({'hybridized' if hybrid else 'eager'})"
    np.testing.assert_allclose(y.asnumpy(), arrays[f"{key}/out"], rtol=rtol, atol=atol, err_msg=f"{where}: output")
    if f"{key}/xgrad" in arrays and (case["ctor"], case["train"]) not in MXNET_INPUT_GRADIENT_BUGS:
        np.testing.assert_allclose(xx.grad.asnumpy(), arrays[f"{key}/xgrad"], rtol=rtol, atol=atol, err_msg=f"{where}: input gradient")
    for name, p in params.items():
        if p.grad_req != "null":
            np.testing.assert_allclose(p.grad().asnumpy(), arrays[f"{key}/grad/{name}"], rtol=rtol, atol=atol, err_msg=f"{where}: gradient of {name}")
        np.testing.assert_allclose(p.data().asnumpy(), arrays[f"{key}/after/{name}"], rtol=rtol, atol=atol, err_msg=f"{where}: {name} after the step")
