"""Compare gluax layers with MXNet 1.9.1 on the cases in tests/fixtures/nn_extra/.

Each case builds the layer from the same code MXNet ran (``nn`` = gluon.nn, ``cnn`` =
gluon.contrib.nn), loads MXNet's starting parameters, runs one recorded forward and backward
(eagerly or hybridized) and compares the output, the input and parameter gradients, the
parameters afterwards (running statistics) and the reprs before and after the first call.
"""

from __future__ import annotations

import json
import pathlib
import warnings
from functools import cache
from typing import Any

import numpy as np

import gluax as mx
from gluax import autograd
from gluax.gluon import nn
from gluax.gluon.contrib import nn as cnn

FIXTURE = pathlib.Path(__file__).resolve().parent / "fixtures" / "nn_extra"


@cache
def _load() -> tuple[list[dict[str, Any]], Any]:
    meta = json.loads((FIXTURE / "nn_extra.json").read_text())
    return meta["cases"], dict(np.load(FIXTURE / "nn_extra.npz"))


def build(code: str) -> Any:
    ns: dict[str, Any] = {"nn": nn, "cnn": cnn, "mx": mx}
    exec(code, ns)
    return ns["net"]


def cases(*class_names: str) -> list[dict[str, Any]]:
    """The cases whose (first) constructor is one of ``class_names``."""
    return [c for c in _load()[0] if c["code"].split("(")[0].split(".")[-1] in class_names]


def case_id(case: dict[str, Any]) -> str:
    first = case["code"].split("\n")[0].replace("net = ", "")
    return f"{first}-{'train' if case['train'] else 'infer'}"


def check_case(case: dict[str, Any], hybrid: bool, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    arrays = _load()[1]
    key = case["id"]
    net = build(case["code"])
    assert repr(net) == case["repr"]
    net.initialize()
    x = arrays[f"{key}/x"]
    with autograd.pause():
        net(mx.nd.array(x))  # finish deferred initialization, as the fixture script does
    params = net._collect_params_with_prefix()
    expected_names = {k.split("/param/")[1] for k in arrays if k.startswith(f"{key}/param/")}
    assert set(params) == expected_names, f"parameter names {sorted(params)} vs MXNet's {sorted(expected_names)}"
    for name, p in params.items():
        p.set_data(mx.nd.array(arrays[f"{key}/param/{name}"]))
    assert repr(net) == case["repr_after"]
    with warnings.catch_warnings():
        # MXNet 1.9.1 also warns when a plain Sequential (Concurrent) of HybridBlocks is
        # hybridized; that warning has its own test in tests/compat
        warnings.filterwarnings("ignore", message="All children of this Sequential layer")
        net.hybridize(active=hybrid)
    xx = mx.nd.array(x)
    if f"{key}/xgrad" in arrays:
        xx.attach_grad()
    with autograd.record(train_mode=case["train"]):
        y = net(xx)
    head = np.linspace(-1, 1, y.size).reshape(y.shape).astype(np.float32)
    y.backward(mx.nd.array(head))
    where = f"{case['code']} ({'hybridized' if hybrid else 'eager'})"
    np.testing.assert_allclose(y.asnumpy(), arrays[f"{key}/out"], rtol=rtol, atol=atol, err_msg=f"{where}: output")
    if f"{key}/xgrad" in arrays:
        np.testing.assert_allclose(xx.grad.asnumpy(), arrays[f"{key}/xgrad"], rtol=rtol, atol=atol, err_msg=f"{where}: input gradient")
    for name, p in params.items():
        if f"{key}/grad/{name}" in arrays:
            np.testing.assert_allclose(p.grad().asnumpy(), arrays[f"{key}/grad/{name}"], rtol=rtol, atol=atol, err_msg=f"{where}: gradient of {name}")
        if f"{key}/after/{name}" in arrays:
            np.testing.assert_allclose(p.data().asnumpy(), arrays[f"{key}/after/{name}"], rtol=rtol, atol=atol, err_msg=f"{where}: {name} after the step")
