"""Linear algebra: ``dot`` (tensordot on N-D inputs, as MXNet), ``batch_dot``, and the
``linalg_*`` family (``nd.linalg.gemm2`` and friends): gemm, gemm2, potrf, potri, trsm, trmm,
syrk, sumlogdiag, inverse, det, slogdet, extractdiag, makediag, extracttrian, maketrian,
gelqf, syevd. Each works on the last two axes and batches over the leading ones."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import legacy_shape, norm_axis


@register("dot")
def dot(
    lhs: jax.Array,
    rhs: jax.Array,
    *,
    transpose_a: bool = False,
    transpose_b: bool = False,
    forward_stype: str | None = None,
) -> jax.Array:
    """Contract the last axis of ``lhs`` (first with ``transpose_a``) with the first axis of
    ``rhs`` (last with ``transpose_b``); for N-D inputs this is a tensordot, not a batched
    matmul: ``(2, 3, 4) . (4, 5) -> (2, 3, 5)``."""
    la = 0 if transpose_a else lhs.ndim - 1
    ra = rhs.ndim - 1 if transpose_b else 0
    if lhs.shape[la] != rhs.shape[ra]:
        raise OperatorError(
            f"dot: shapes {tuple(lhs.shape)} and {tuple(rhs.shape)} do not match for "
            f"transpose_a={transpose_a}, transpose_b={transpose_b} ({lhs.shape[la]} vs {rhs.shape[ra]})."
        )
    if lhs.ndim == 1 and rhs.ndim == 1:
        return legacy_shape(jnp.dot(lhs, rhs))
    return legacy_shape(jnp.tensordot(lhs, rhs, axes=([la], [ra])))


@register("batch_dot")
def batch_dot(
    lhs: jax.Array,
    rhs: jax.Array,
    *,
    transpose_a: bool = False,
    transpose_b: bool = False,
    forward_stype: str | None = None,
) -> jax.Array:
    """Batched matrix product of ``(B, M, K)`` and ``(B, K, N)`` arrays."""
    if lhs.ndim != 3 or rhs.ndim != 3 or lhs.shape[0] != rhs.shape[0]:
        raise OperatorError(
            f"batch_dot: expected two 3-D arrays with the same batch size, got shapes "
            f"{tuple(lhs.shape)} and {tuple(rhs.shape)}."
        )
    if lhs.shape[1 if transpose_a else 2] != rhs.shape[2 if transpose_b else 1]:
        raise OperatorError(
            f"batch_dot: inner sizes differ: {tuple(lhs.shape)} and {tuple(rhs.shape)} with "
            f"transpose_a={transpose_a}, transpose_b={transpose_b}."
        )
    return _matmul_t(lhs, rhs, transpose_a, transpose_b)


def _matmul_t(a: jax.Array, b: jax.Array, transpose_a: bool, transpose_b: bool) -> jax.Array:
    """``op(a) @ op(b)`` over the last two axes, batched over the leading ones, as one
    dot_general naming the contracted axes: no transposed copy of an operand is made (a
    transposed operand cost XLA CPU a full copy per call, see FullyConnected)."""
    dtype = jnp.result_type(a, b)  # the promotion matmul did
    a, b = a.astype(dtype), b.astype(dtype)
    nd = a.ndim
    batch = tuple(range(nd - 2))
    ca = nd - 2 if transpose_a else nd - 1
    cb = nd - 1 if transpose_b else nd - 2
    # dot_general puts lhs's free axis before rhs's: (..., M, N) as matmul
    return lax.dot_general(a, b, (((ca,), (cb,)), (batch, batch)))


# ---- the linalg_* family (nd.linalg.*): batched over leading axes ----------------------------


def _check_matrices(op: str, name: str, x: jax.Array, square: bool = True) -> None:
    if x.ndim < 2:
        raise OperatorError(
            f"{op}: {name} must have at least 2 dims (a batch of matrices), got shape {tuple(x.shape)}."
        )
    if square and x.shape[-1] != x.shape[-2]:
        raise OperatorError(
            f"{op}: {name} must be a (batch of) square matrices, got shape {tuple(x.shape)}."
        )


def _mT(x: jax.Array) -> jax.Array:
    return jnp.swapaxes(x, -1, -2)


def _product(
    op: str, a: jax.Array, b: jax.Array, transpose_a: bool, transpose_b: bool, axis: int
) -> tuple[jax.Array, int]:
    """``op(A) @ op(B)`` with the matrix rows on ``axis`` (the columns on the last axis)."""
    _check_matrices(op, "A", a, square=False)
    _check_matrices(op, "B", b, square=False)
    if a.ndim != b.ndim:
        raise OperatorError(
            f"{op}: A {tuple(a.shape)} and B {tuple(b.shape)} must have the same number of dims."
        )
    ax = norm_axis(op, axis, a.ndim)
    if ax == a.ndim - 1:
        raise OperatorError(
            f"{op}: axis={axis} cannot be the last axis, which holds the matrix columns."
        )
    a2, b2 = jnp.moveaxis(a, ax, -2), jnp.moveaxis(b, ax, -2)
    inner_a = a2.shape[-2] if transpose_a else a2.shape[-1]
    inner_b = b2.shape[-1] if transpose_b else b2.shape[-2]
    if a2.shape[:-2] != b2.shape[:-2] or inner_a != inner_b:
        raise OperatorError(
            f"{op}: shapes A {tuple(a.shape)} and B {tuple(b.shape)} do not multiply with "
            f"transpose_a={transpose_a}, transpose_b={transpose_b}, axis={axis}."
        )
    return _matmul_t(a2, b2, transpose_a, transpose_b), ax


@register("_linalg_gemm", aliases=("linalg_gemm",))
def linalg_gemm(
    A: jax.Array,
    B: jax.Array,
    C: jax.Array,
    *,
    transpose_a: bool = False,
    transpose_b: bool = False,
    alpha: float = 1.0,
    beta: float = 1.0,
    axis: int = -2,
) -> jax.Array:
    """``alpha * op(A) @ op(B) + beta * C`` on the last two axes (the rows may sit on ``axis``
    instead of -2); ``op`` transposes when ``transpose_a``/``transpose_b``."""
    prod, ax = _product("linalg_gemm", A, B, transpose_a, transpose_b, axis)
    out = jnp.moveaxis(alpha * prod, -2, ax)
    if out.shape != C.shape:
        raise OperatorError(
            f"linalg_gemm: C must have shape {tuple(out.shape)}, got {tuple(C.shape)}."
        )
    return out + beta * C


@register("_linalg_gemm2", aliases=("linalg_gemm2",))
def linalg_gemm2(
    A: jax.Array,
    B: jax.Array,
    *,
    transpose_a: bool = False,
    transpose_b: bool = False,
    alpha: float = 1.0,
    axis: int = -2,
) -> jax.Array:
    """``alpha * op(A) @ op(B)`` on the last two axes (rows on ``axis``)."""
    prod, ax = _product("linalg_gemm2", A, B, transpose_a, transpose_b, axis)
    return jnp.moveaxis(alpha * prod, -2, ax)


@register("_linalg_potrf", aliases=("linalg_potrf",), remat=False)
def linalg_potrf(A: jax.Array) -> jax.Array:
    """Cholesky factor ``L`` (lower triangular) of symmetric positive-definite ``A = L L^T``.
    A matrix that is not positive definite gives NaNs (MXNet raises)."""
    _check_matrices("linalg_potrf", "A", A)
    return jnp.linalg.cholesky(A)


@register("_linalg_potri", aliases=("linalg_potri",), remat=False)
def linalg_potri(A: jax.Array) -> jax.Array:
    """``(L L^T)^-1`` from the lower Cholesky factor ``L = A`` (the inverse of the matrix
    ``potrf`` factored)."""
    _check_matrices("linalg_potri", "A", A)
    eye = jnp.broadcast_to(jnp.eye(A.shape[-1], dtype=A.dtype), A.shape)
    inv_l = lax.linalg.triangular_solve(A, eye, left_side=True, lower=True)
    return _mT(inv_l) @ inv_l


def _tri_check(op: str, A: jax.Array, B: jax.Array, rightside: bool) -> None:
    _check_matrices(op, "A", A)
    _check_matrices(op, "B", B, square=False)
    n = B.shape[-1] if rightside else B.shape[-2]
    if A.shape[:-2] != B.shape[:-2] or A.shape[-1] != n:
        raise OperatorError(
            f"{op}: A {tuple(A.shape)} and B {tuple(B.shape)} do not match for rightside={rightside}."
        )


@register("_linalg_trsm", aliases=("linalg_trsm",), remat=False)
def linalg_trsm(
    A: jax.Array,
    B: jax.Array,
    *,
    transpose: bool = False,
    rightside: bool = False,
    lower: bool = True,
    alpha: float = 1.0,
) -> jax.Array:
    """Solve ``op(A) X = alpha B`` (or ``X op(A) = alpha B`` with ``rightside``) for the
    triangular ``A`` (only its lower, or with ``lower=False`` upper, triangle is read)."""
    _tri_check("linalg_trsm", A, B, rightside)
    return lax.linalg.triangular_solve(
        A, alpha * B, left_side=not rightside, lower=lower, transpose_a=transpose
    )


@register("_linalg_trmm", aliases=("linalg_trmm",))
def linalg_trmm(
    A: jax.Array,
    B: jax.Array,
    *,
    transpose: bool = False,
    rightside: bool = False,
    lower: bool = True,
    alpha: float = 1.0,
) -> jax.Array:
    """``alpha * op(A) @ B`` (or ``alpha * B @ op(A)`` with ``rightside``) for the triangle
    of ``A`` (lower, or upper with ``lower=False``)."""
    _tri_check("linalg_trmm", A, B, rightside)
    tri = jnp.tril(A) if lower else jnp.triu(A)
    tri = _mT(tri) if transpose else tri
    return alpha * (B @ tri if rightside else tri @ B)


@register("_linalg_syrk", aliases=("linalg_syrk",))
def linalg_syrk(A: jax.Array, *, transpose: bool = False, alpha: float = 1.0) -> jax.Array:
    """``alpha * A @ A^T`` (``alpha * A^T @ A`` with ``transpose``)."""
    _check_matrices("linalg_syrk", "A", A, square=False)
    return alpha * (_mT(A) @ A if transpose else A @ _mT(A))


@register("_linalg_sumlogdiag", aliases=("linalg_sumlogdiag",))
def linalg_sumlogdiag(A: jax.Array) -> jax.Array:
    """``sum(log(diag(A)))`` per matrix; a single matrix gives shape (1,)."""
    _check_matrices("linalg_sumlogdiag", "A", A)
    return legacy_shape(jnp.sum(jnp.log(jnp.diagonal(A, 0, -2, -1)), axis=-1))


@register("_linalg_inverse", aliases=("linalg_inverse",), remat=False)
def linalg_inverse(A: jax.Array) -> jax.Array:
    """The inverse of each square matrix."""
    _check_matrices("linalg_inverse", "A", A)
    return jnp.linalg.inv(A)


@register("_linalg_det", aliases=("linalg_det",), remat=False)
def linalg_det(A: jax.Array) -> jax.Array:
    """The determinant of each square matrix; a single matrix gives shape (1,)."""
    _check_matrices("linalg_det", "A", A)
    return legacy_shape(jnp.linalg.det(A))


@register("_linalg_slogdet", aliases=("linalg_slogdet",), remat=False)
def linalg_slogdet(A: jax.Array) -> list[jax.Array]:
    """``[sign, log|det|]`` of each square matrix (no gradient flows through ``sign``)."""
    _check_matrices("linalg_slogdet", "A", A)
    sign, logdet = jnp.linalg.slogdet(A)
    return [legacy_shape(lax.stop_gradient(sign)), legacy_shape(logdet)]


@register("_linalg_extractdiag", aliases=("linalg_extractdiag",))
def linalg_extractdiag(A: jax.Array, *, offset: int = 0) -> jax.Array:
    """The diagonal ``offset`` (above the main one when positive) of each square matrix."""
    _check_matrices("linalg_extractdiag", "A", A)
    return jnp.diagonal(A, offset, -2, -1)


@register("_linalg_makediag", aliases=("linalg_makediag",))
def linalg_makediag(A: jax.Array, *, offset: int = 0) -> jax.Array:
    """Square matrices with the vectors of ``A`` (last axis) on diagonal ``offset``."""
    n = A.shape[-1] + abs(offset)
    r = jnp.arange(A.shape[-1]) + max(-offset, 0)
    c = jnp.arange(A.shape[-1]) + max(offset, 0)
    out = jnp.zeros(A.shape[:-1] + (n, n), A.dtype)
    return out.at[..., r, c].set(A)


def _trian_layout(offset: int, lower: bool) -> tuple[bool, int]:
    """MXNet stores an upper triangle column by column, i.e. as the lower triangle of the
    transpose (row by row); returns (whether to transpose, the lower-triangle offset)."""
    upper = offset > 0 or (offset == 0 and not lower)
    return upper, -abs(offset)


@register("_linalg_extracttrian", aliases=("linalg_extracttrian",))
def linalg_extracttrian(A: jax.Array, *, offset: int = 0, lower: bool = True) -> jax.Array:
    """The triangle of each square matrix as a vector: the lower triangle (``offset <= 0``)
    row by row, the upper one (``offset > 0``, or ``lower=False`` with ``offset=0``) column
    by column, as MXNet."""
    _check_matrices("linalg_extracttrian", "A", A)
    n = A.shape[-1]
    if abs(offset) >= n:
        raise OperatorError(
            f"linalg_extracttrian: offset {offset} is outside matrices of size {n}."
        )
    upper, k = _trian_layout(offset, lower)
    rows, cols = np.tril_indices(n, k)
    return (_mT(A) if upper else A)[..., rows, cols]


@register("_linalg_maketrian", aliases=("linalg_maketrian",))
def linalg_maketrian(A: jax.Array, *, offset: int = 0, lower: bool = True) -> jax.Array:
    """The inverse of ``extracttrian``: square matrices, zero outside the triangle, from
    vectors of length ``m (m + 1) / 2`` (size ``m + |offset|``)."""
    size = A.shape[-1]
    m = int(round((np.sqrt(8 * size + 1) - 1) / 2))
    if m * (m + 1) // 2 != size:
        raise OperatorError(
            f"linalg_maketrian: the last axis of shape {tuple(A.shape)} must hold m*(m+1)/2 entries of a triangle."
        )
    n = m + abs(offset)
    upper, k = _trian_layout(offset, lower)
    rows, cols = np.tril_indices(n, k)
    out = jnp.zeros(A.shape[:-1] + (n, n), A.dtype).at[..., rows, cols].set(A)
    return _mT(out) if upper else out


@register("_linalg_gelqf", aliases=("linalg_gelqf",), remat=False)
def linalg_gelqf(A: jax.Array) -> list[jax.Array]:
    """LQ factorization ``A = L Q`` of each ``(m, n)`` matrix with ``m <= n``: returns
    ``[Q, L]``, ``Q`` with orthonormal rows, ``L`` lower triangular (LAPACK's signs)."""
    _check_matrices("linalg_gelqf", "A", A, square=False)
    if A.shape[-2] > A.shape[-1]:
        raise OperatorError(
            f"linalg_gelqf: matrices must have at most as many rows as columns, got shape {tuple(A.shape)}."
        )
    q, r = jnp.linalg.qr(_mT(A))
    return [_mT(q), _mT(r)]


@register("_linalg_syevd", aliases=("linalg_syevd",), remat=False)
def linalg_syevd(A: jax.Array) -> list[jax.Array]:
    """Eigendecomposition ``A = U^T diag(L) U`` of each symmetric matrix: returns ``[U, L]``
    with the eigenvectors as the rows of ``U`` and the eigenvalues ascending. As MXNet, each
    row's largest-magnitude entry is positive (the first one on a tie)."""
    _check_matrices("linalg_syevd", "A", A)
    w, v = jnp.linalg.eigh(A)
    u = _mT(v)
    pick = jnp.take_along_axis(u, jnp.argmax(jnp.abs(u), axis=-1)[..., None], axis=-1)
    return [u * jnp.where(pick < 0, -1, 1).astype(u.dtype), w]


@register("khatri_rao")
def khatri_rao(*args: jax.Array) -> jax.Array:
    """Column-wise Kronecker product of matrices ``(m_i, n)``: shape ``(prod m_i, n)``."""
    if not args or any(a.ndim != 2 or a.shape[1] != args[0].shape[1] for a in args):
        raise OperatorError(
            f"khatri_rao: expected matrices with the same number of columns, got shapes {[tuple(a.shape) for a in args]}."
        )
    out = args[0]
    for a in args[1:]:
        out = (out[:, None, :] * a[None, :, :]).reshape(-1, out.shape[1])
    return out
