"""Reductions against MXNet 1.9.1 (tests/fixtures/ops_extra)."""

from __future__ import annotations

import pytest

from .mxnet_cases import check_case, check_error, error_names, names


@pytest.mark.parametrize("name", names("reduce"))
def test_reduce_op_matches_mxnet(name):
    check_case(name, rtol=2e-5)


ERRORS = {
    "err_norm_ord": r"norm: ord must be 1 or 2, got 3",
    "err_moments_noaxes": r"moments: axes must be given.*axes=\(0, 1\)",
    "err_argmax_channel_1d": r"argmax_channel: expected at least 2 dims.*\(3,\)",
}


def test_every_rejected_call_is_listed():
    assert sorted(ERRORS) == error_names("reduce")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_reduce_op_rejects_what_mxnet_rejects(name):
    check_error(name, ERRORS[name])
