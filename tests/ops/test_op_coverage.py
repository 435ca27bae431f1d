"""No silent gaps: every operator MXNet 1.9.1 puts in ``mx.nd`` (tests/fixtures/op_names, read
from MXNet's registry) is either implemented by gluax or listed in gluax/_src/ops/absent.py,
asking for an absent one raises an error with the reason and the alternative, and
docs/operators.md is what tools/make_op_table.py generates."""

from __future__ import annotations

import importlib.util
import json
import os
import re

import pytest

import gluax as mx
from gluax._src.engine import namespace
from gluax._src.engine.namespace import AbsentOperatorError
from gluax._src.engine.registry import OPS
from gluax._src.ops.absent import ABSENT, REASONS

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    "make_op_table", os.path.join(_ROOT, "tools", "make_op_table.py")
)
table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(table)

with open(os.path.join(_ROOT, "tests", "fixtures", "op_names", "op_names.json")) as _f:
    _FIXTURE = json.load(_f)
MXNET = {e["name"]: e for e in _FIXTURE["ops"]}
IMPLEMENTED = {n for n, e in MXNET.items() if table.gluax_call(e) is not None}
# gluax modules that route unknown attributes through the engine's namespace lookup.
_ROUTED = {"nd": mx.nd, "nd._internal": mx.nd, "nd.contrib": mx.nd.contrib,
           "nd.linalg": mx.nd.linalg, "nd.image": mx.nd.image}
_PREFIX = {"nd.sparse": "_sparse_", "nd.contrib": "_contrib_", "nd.linalg": "_linalg_",
           "nd.image": "_image_"}


def test_fixture_is_mxnet_1_9_1_and_complete():
    assert _FIXTURE["mxnet_version"] == "1.9.1"
    # A few names from each namespace, as MXNet spells them.
    for name in ("FullyConnected", "_plus_scalar", "_backward_Activation", "contrib.box_nms",
                 "linalg.gemm2", "image.to_tensor", "sparse.retain", "random.uniform",
                 "cast_storage", "_sg_mkldnn_conv", "contrib.quantize_v2"):
        assert name in MXNET, name
    assert not any(n.startswith(("_np_", "_npi_", "_npx_")) for n in MXNET)


def test_every_mxnet_op_is_implemented_or_listed_absent():
    missing = sorted(n for n in MXNET if n not in IMPLEMENTED and n not in ABSENT)
    assert not missing, f"silent gaps (add to gluax/_src/ops/absent.py or implement): {missing}"


def test_no_op_is_both_implemented_and_absent():
    both = sorted(IMPLEMENTED & set(ABSENT))
    assert not both, f"implemented now, remove from gluax/_src/ops/absent.py: {both}"


def test_absent_table_lists_only_mxnet_names_with_known_reasons():
    assert sorted(set(ABSENT) - set(MXNET)) == []
    for name, (reason, alternative) in ABSENT.items():
        assert reason in REASONS, name
        assert alternative.strip(), name


def test_absent_alternatives_name_real_gluax_objects():
    refs = {m for _, alt in ABSENT.values() for m in re.findall(r"mx(?:\.[A-Za-z_]\w*)+", alt)}
    assert refs  # the alternatives do point at gluax names
    bad = []
    for ref in sorted(refs):
        try:
            table.resolve(ref)
        except AttributeError:
            bad.append(ref)
    assert not bad, f"alternatives naming what gluax does not have: {bad}"


def _message(name: str) -> str:
    reason, alternative = ABSENT[name]
    return f"gluax does not implement MXNet operator {name!r} ({reason}); use {alternative}."


@pytest.mark.parametrize("name", sorted(n for n in ABSENT if MXNET[n]["namespace"] in _ROUTED))
def test_absent_op_raises_documented_error(name):
    module = _ROUTED[MXNET[name]["namespace"]]
    attr = name.split(".", 1)[1] if "." in name else name
    with pytest.raises(AbsentOperatorError) as info:
        getattr(module, attr)
    assert str(info.value) == _message(name)
    assert isinstance(info.value, AttributeError) and isinstance(info.value, NotImplementedError)
    assert not hasattr(module, attr)


@pytest.mark.parametrize("name", sorted(n for n in ABSENT if MXNET[n]["namespace"] == "nd.sparse"))
def test_absent_sparse_op_raises_documented_error_from_mx_nd_sparse(name):
    # mx.nd.sparse exists only to say so: every name in it is absent, with its alternative
    with pytest.raises(AbsentOperatorError, match=re.escape(_message(name))):
        getattr(mx.nd.sparse, name.split(".", 1)[1])


def test_every_mxnet_random_function_is_in_mx_nd_random():
    names = [n for n in MXNET if MXNET[n]["namespace"] == "nd.random"]
    assert "random.gamma" in names and "random.uniform_like" in names
    for n in names:
        assert callable(getattr(mx.nd.random, n.split(".", 1)[1])), n
    assert not [n for n in names if n in ABSENT]


def test_unknown_names_keep_the_plain_attribute_error():
    for module, attr in ((mx.nd, "no_such_op"), (mx.nd.contrib, "no_such_op"),
                         (mx.nd, "_backward_no_such_op"), (mx.nd.linalg, "quantize")):
        with pytest.raises(AttributeError) as info:
            getattr(module, attr)
        assert not isinstance(info.value, AbsentOperatorError)
    assert not hasattr(mx.nd, "no_such_op")


def test_absent_error_is_catchable_as_not_implemented():
    with pytest.raises(NotImplementedError, match=r"'Crop' \(deprecated in MXNet\); use mx.nd.slice"):
        mx.nd.Crop  # noqa: B018
    with pytest.raises(NotImplementedError, match=r"'contrib.quantize' \(hardware/backend"):
        mx.nd.contrib.quantize  # noqa: B018
    with pytest.raises(AttributeError, match=r"'_backward_FullyConnected' \(internal"):
        mx.sym._backward_FullyConnected  # noqa: B018


def test_implemented_names_reach_a_registered_operator_or_function():
    for name in sorted(IMPLEMENTED):
        obj = table.resolve(table.gluax_call(MXNET[name]))
        assert callable(obj), name
        op = MXNET[name]["op"]
        if op is not None and op in OPS and obj.__name__ in OPS:
            assert OPS[obj.__name__] is OPS[op], name


def test_operators_doc_is_current():
    with open(os.path.join(_ROOT, "docs", "operators.md")) as f:
        current = f.read()
    assert current == table.render(), "docs/operators.md is stale: run python tools/make_op_table.py"
    assert len(table.rows()) == len(MXNET)
