"""MXNet operators that Gluon code in the wild calls and the operator families lacked: the AMP
finiteness checks, straight-through estimators, the gradient multiplier, and the top-level
spellings of the random samplers (``mx.nd.uniform``, ``mx.nd.random_normal``, ...). (CTCLoss
lives in ``ctc.py``.)

Importing this module also installs the table of operators gluax deliberately does not
implement (``gluax._src.ops.absent``), so that asking for one of them says why.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp

from gluax._src.engine import registry
from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops import absent as absent  # noqa: F401  (installs the absent-operator table)
from gluax._src.ops import creation as _creation  # noqa: F401  (registers the samplers aliased)

# MXNet registers these names as aliases of one sampler each (nd.uniform is nd.random_uniform is
# nd._random_uniform); gluax's creation module registers the underscored names.
_SAMPLER_ALIASES = {
    "uniform": "_random_uniform",
    "random_uniform": "_random_uniform",
    "normal": "_random_normal",
    "random_normal": "_random_normal",
    "random_randint": "_random_randint",
    "random_exponential": "_random_exponential",
    "shuffle": "_shuffle",
}
for _alias, _target in _SAMPLER_ALIASES.items():
    # setdefault: if the creation module ever registers an alias itself, that one wins.
    registry.OPS.setdefault(_alias, registry.OPS[_target])


# ---- AMP finiteness checks -------------------------------------------------------------------


@register("all_finite", differentiable=False)
def all_finite(data: jax.Array, *, init_output: bool = True) -> jax.Array:
    """``[1.]`` if every element of ``data`` is finite, else ``[0.]`` (float32, shape (1,)).

    Notes
    -----
    ``init_output`` is accepted for MXNet's signature; the output is always computed afresh
    (MXNet's ``init_output=False`` only keeps a 0 already in an ``out=`` buffer).

    Examples
    --------
    >>> mx.nd.all_finite(mx.nd.array([1.0, float("inf")])).asnumpy()
    array([0.], dtype=float32)
    """
    return jnp.all(jnp.isfinite(data)).astype(jnp.float32).reshape(1)


@register("multi_all_finite", differentiable=False)
def multi_all_finite(*data: jax.Array, num_arrays: int = 1, init_output: bool = True) -> jax.Array:
    """``[1.]`` if every element of every input is finite, else ``[0.]`` (float32, shape (1,)).

    Parameters
    ----------
    num_arrays : int, default 1
        How many arrays follow (MXNet's count; it must match the inputs given).

    Raises
    ------
    OperatorError
        When ``num_arrays`` differs from the number of inputs.

    Examples
    --------
    >>> mx.nd.multi_all_finite(mx.nd.ones(2), mx.nd.zeros(3), num_arrays=2).asnumpy()
    array([1.], dtype=float32)
    """
    if num_arrays != len(data):
        raise OperatorError(
            f"multi_all_finite: num_arrays={num_arrays} but {len(data)} arrays were given."
        )
    ok = jnp.array(True)
    for d in data:
        ok = ok & jnp.all(jnp.isfinite(d))
    return ok.astype(jnp.float32).reshape(1)


# ---- gradient shaping: straight-through estimators and the gradient multiplier ---------------


def _straight_through(forward: Callable[[jax.Array], jax.Array]) -> Any:
    """``forward`` in the forward pass; the backward pass hands the head gradient through to
    the input unchanged."""

    @jax.custom_vjp
    def f(x: jax.Array) -> jax.Array:
        return forward(x)

    def fwd(x: jax.Array) -> tuple[jax.Array, None]:
        return forward(x), None

    def bwd(_: None, g: jax.Array) -> tuple[jax.Array]:
        return (g,)

    f.defvjp(fwd, bwd)
    return f


def _round_half_away(x: jax.Array) -> jax.Array:
    # MXNet's round (and so round_ste) rounds halves away from zero, not to even.
    return jnp.where(x >= 0, jnp.floor(x + 0.5), jnp.ceil(x - 0.5))


_ROUND_STE = _straight_through(_round_half_away)
_SIGN_STE = _straight_through(jnp.sign)


@register("_contrib_round_ste")
def round_ste(data: jax.Array) -> jax.Array:
    """Round half away from zero, with a straight-through gradient (the head gradient
    unchanged), as quantization-aware training uses.

    Examples
    --------
    >>> mx.nd._contrib_round_ste(mx.nd.array([-1.5, 0.4, 2.5])).asnumpy()
    array([-2.,  0.,  3.], dtype=float32)
    """
    return _ROUND_STE(data)


@register("_contrib_sign_ste")
def sign_ste(data: jax.Array) -> jax.Array:
    """Sign (-1, 0 or 1), with a straight-through gradient (the head gradient unchanged), as
    binarized networks use.

    Examples
    --------
    >>> mx.nd._contrib_sign_ste(mx.nd.array([-0.3, 0.0, 2.0])).asnumpy()
    array([-1.,  0.,  1.], dtype=float32)
    """
    return _SIGN_STE(data)


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def _identity_scaled(data: jax.Array, scalar: float) -> jax.Array:
    return data


def _identity_scaled_fwd(data: jax.Array, scalar: float) -> tuple[jax.Array, None]:
    return data, None


def _identity_scaled_bwd(scalar: float, _: None, g: jax.Array) -> tuple[jax.Array]:
    return (g * scalar,)


_identity_scaled.defvjp(_identity_scaled_fwd, _identity_scaled_bwd)


@register("_contrib_gradientmultiplier")
def gradientmultiplier(data: jax.Array, *, scalar: float = 1.0) -> jax.Array:
    """The identity in the forward pass; the backward pass multiplies the gradient by
    ``scalar`` (``scalar=-1`` is the gradient reversal layer of domain adaptation).

    Parameters
    ----------
    scalar : float, default 1.0
        Factor applied to the gradient.

    Examples
    --------
    >>> x = mx.nd.array([1.0, 2.0])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd._contrib_gradientmultiplier(x, scalar=-0.5)
    >>> y.backward()
    >>> x.grad.asnumpy()
    array([-0.5, -0.5], dtype=float32)
    """
    return _identity_scaled(data, float(scalar))


def reset_arrays(*data: Any, num_arrays: int) -> list[Any]:
    """Set every array in ``data`` to zero in place (MXNet's ``reset_arrays``, which Gluon's
    Trainer used to zero gradients). ``num_arrays`` must equal ``len(data)``; only
    floating-point arrays are accepted, as in MXNet. Returns an empty list, as MXNet's."""
    from gluax._src.engine.ndarray import NDArray

    if num_arrays != len(data):
        raise OperatorError(
            f"reset_arrays: num_arrays={num_arrays} but {len(data)} arrays were given."
        )
    for i, a in enumerate(data):
        if not isinstance(a, NDArray):
            raise TypeError(f"reset_arrays: argument {i} must be an NDArray, got "
                            f"{type(a).__name__}.")
        if not jnp.issubdtype(a.data.dtype, jnp.floating):
            raise OperatorError(
                f"reset_arrays: argument {i} has dtype {a.data.dtype.name}; only floating-point "
                "arrays can be reset, as in MXNet."
            )
    for a in data:
        a._set_value(jnp.zeros_like(a.data))
    return []
