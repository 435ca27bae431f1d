"""dot, batch_dot and the linalg_* operators against MXNet 1.9.1 (tests/fixtures/ops_extra)."""

from __future__ import annotations

import numpy as np
import pytest

import gluax as mx

from .mxnet_cases import check_case, check_error, error_names, names


@pytest.mark.parametrize("name", names("linalg"))
def test_linalg_op_matches_mxnet(name):
    check_case(name, rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-4)


ERRORS = {
    "err_gemm2_inner": r"linalg_gemm2: shapes A \(2, 3\) and B \(4, 2\) do not multiply",
    "err_gemm2_batch": r"linalg_gemm2: A \(2, 3, 4\) and B \(4, 3\) must have the same number of dims",
    "err_det_square": r"linalg_det: A must be a \(batch of\) square matrices, got shape \(2, 3\)",
    "err_extractdiag_square": r"linalg_extractdiag: A must be a \(batch of\) square matrices",
}


def test_every_rejected_call_is_listed():
    assert sorted(ERRORS) == error_names("linalg")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_linalg_op_rejects_what_mxnet_rejects(name):
    check_error(name, ERRORS[name])


def _x(*shape):
    return mx.nd.ones(shape)


RAISES = [
    (
        lambda: mx.nd.khatri_rao(_x(2, 3), _x(2, 2)),
        r"khatri_rao: expected matrices with the same number of columns, got shapes \[\(2, 3\), \(2, 2\)\]",
    ),
    (
        lambda: mx.nd.linalg_gemm2(_x(3), _x(3)),
        r"linalg_gemm2: A must have at least 2 dims \(a batch of matrices\), got shape \(3,\)",
    ),
    (
        lambda: mx.nd.linalg_gemm2(_x(2, 3), _x(3, 2), axis=-1),
        r"linalg_gemm2: axis=-1 cannot be the last axis",
    ),
    (
        lambda: mx.nd.linalg_gemm(_x(2, 3), _x(3, 2), _x(3, 3)),
        r"linalg_gemm: C must have shape \(2, 2\), got \(3, 3\)",
    ),
    (
        lambda: mx.nd.linalg_trsm(_x(3, 3), _x(2, 3)),
        r"linalg_trsm: A \(3, 3\) and B \(2, 3\) do not match for rightside=False",
    ),
    (
        lambda: mx.nd.linalg_trmm(_x(3, 3), _x(3, 2), rightside=True),
        r"linalg_trmm: A \(3, 3\) and B \(3, 2\) do not match for rightside=True",
    ),
    (
        lambda: mx.nd.linalg_extracttrian(_x(3, 3), offset=3),
        r"linalg_extracttrian: offset 3 is outside matrices of size 3",
    ),
    (
        lambda: mx.nd.linalg_maketrian(_x(4)),
        r"linalg_maketrian: the last axis of shape \(4,\) must hold m\*\(m\+1\)/2 entries",
    ),
    (
        lambda: mx.nd.linalg_gelqf(_x(3, 2)),
        r"linalg_gelqf: matrices must have at most as many rows as columns, got shape \(3, 2\)",
    ),
    (
        lambda: mx.nd.dot(_x(2, 3), _x(2, 3)),
        r"dot: shapes \(2, 3\) and \(2, 3\) do not match for transpose_a=False, transpose_b=False \(3 vs 2\)",
    ),
    (
        lambda: mx.nd.batch_dot(_x(2, 3), _x(2, 3)),
        r"batch_dot: expected two 3-D arrays with the same batch size",
    ),
    (
        lambda: mx.nd.batch_dot(_x(2, 3, 4), _x(2, 3, 4)),
        r"batch_dot: inner sizes differ: \(2, 3, 4\) and \(2, 3, 4\)",
    ),
]


@pytest.mark.parametrize("call, match", RAISES)
def test_linalg_ops_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_potrf_then_potri_inverts_the_matrix(rng):
    m = rng.standard_normal((3, 3))
    a = (m @ m.T + 3 * np.eye(3)).astype(np.float32)
    inv = mx.nd.linalg_potri(mx.nd.linalg_potrf(mx.nd.array(a)))
    np.testing.assert_allclose(inv.asnumpy(), np.linalg.inv(a), rtol=1e-4, atol=1e-5)


def test_maketrian_inverts_extracttrian(rng):
    a = rng.standard_normal((2, 4, 4)).astype(np.float32)
    for offset, lower in ((0, True), (0, False), (1, True), (-2, True)):
        vec = mx.nd.linalg_extracttrian(mx.nd.array(a), offset=offset, lower=lower)
        mat = mx.nd.linalg_maketrian(vec, offset=offset, lower=lower).asnumpy()
        keep = (
            np.tril(np.ones((4, 4)), offset)
            if offset < 0 or (offset == 0 and lower)
            else np.triu(np.ones((4, 4)), offset)
        )
        np.testing.assert_array_equal(mat, a * keep)
