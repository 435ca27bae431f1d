"""topk, sort, argsort and cumsum against MXNet 1.9.1 (tests/fixtures/ops_extra)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check_op

import gluax as mx

from .mxnet_cases import check_case, check_error, error_names, names


@pytest.mark.parametrize("name", names("sorting"))
def test_sorting_op_matches_mxnet(name):
    check_case(name)


ERRORS = {"err_topk_k": r"topk: k=9 must be at most 4, the size of axis -1 of shape \(2, 4\)"}


def test_every_rejected_call_is_listed():
    assert sorted(ERRORS) == error_names("sorting")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_sorting_op_rejects_what_mxnet_rejects(name):
    check_error(name, ERRORS[name])


@pytest.mark.parametrize("attrs", [{}, {"axis": 0, "is_ascend": False}, {"axis": None}])
def test_sort_gradient_matches_numpy(attrs, rng):
    # MXNet 1.9.1 cannot differentiate sort (its backward rejects sort's attributes).
    def reference(x, axis=-1, is_ascend=True):
        x = x.reshape(-1) if axis is None else x
        out = np.sort(x, axis=axis if axis is not None else 0)
        return out if is_ascend else np.flip(out, axis if axis is not None else 0)

    check_op(mx.nd.sort, reference, [(3, 4)], rng, **attrs)


def test_topk_rejects_an_unknown_ret_typ():
    with pytest.raises(
        ValueError,
        match=r"topk: ret_typ must be 'indices', 'value', 'both' or 'mask', got 'values'",
    ):
        mx.nd.topk(mx.nd.ones((2, 3)), ret_typ="values")
