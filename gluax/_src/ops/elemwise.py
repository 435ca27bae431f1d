"""Elementwise operators: unary math, the broadcast_* binary family, clip, where, Cast."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax import lax

from gluax._src.engine.base import OperatorError
from gluax._src.engine.registry import register
from gluax._src.ops._util import dtype_of, match_scalar
from gluax._src.ops.nn_basic import _softmax_common as softmax_common

# ---- unary ----------------------------------------------------------------------------------

_UNARY: dict[str, Callable[[jax.Array], jax.Array]] = {
    "exp": jnp.exp,
    "log": jnp.log,
    "log2": jnp.log2,
    "log10": jnp.log10,
    "log1p": jnp.log1p,
    "expm1": jnp.expm1,
    "sqrt": jnp.sqrt,
    "rsqrt": lax.rsqrt,
    "cbrt": jnp.cbrt,
    "rcbrt": lambda x: 1.0 / jnp.cbrt(x),
    "square": jnp.square,
    "reciprocal": jnp.reciprocal,
    "abs": jnp.abs,
    # MXNet's sign gives 0 for NaN (and for -0.0).
    "sign": lambda x: jnp.where(x > 0, 1, jnp.where(x < 0, -1, 0)).astype(x.dtype),
    "negative": jnp.negative,
    "floor": jnp.floor,
    "ceil": jnp.ceil,
    "round": lambda x: jnp.where(x >= 0, jnp.floor(x + 0.5), jnp.ceil(x - 0.5)),
    # MXNet's rint rounds halves down (toward -inf), not to even: rint(0.5) = 0, rint(-0.5) = -1.
    "rint": lambda x: jnp.where(x - jnp.floor(x) <= jnp.ceil(x) - x, jnp.floor(x), jnp.ceil(x)),
    "fix": jnp.trunc,
    "trunc": jnp.trunc,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tan": jnp.tan,
    "arcsin": jnp.arcsin,
    "arccos": jnp.arccos,
    "arctan": jnp.arctan,
    "sinh": jnp.sinh,
    "cosh": jnp.cosh,
    "tanh": jnp.tanh,
    "arcsinh": jnp.arcsinh,
    "arccosh": jnp.arccosh,
    "arctanh": jnp.arctanh,
    "degrees": jnp.degrees,
    "radians": jnp.radians,
    "erf": jax.scipy.special.erf,
    "erfinv": jax.scipy.special.erfinv,
    "gamma": jax.scipy.special.gamma,
    "gammaln": jax.scipy.special.gammaln,
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "softsign": jax.nn.soft_sign,
    "logical_not": lambda x: (x == 0).astype(x.dtype),
    "identity": lambda x: x,
}
_UNARY_ALIASES = {"identity": ("_copy",)}


def _make_unary(name: str, f: Callable[[jax.Array], jax.Array]) -> None:
    def op(data: jax.Array) -> jax.Array:
        return f(data)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}(data)``."
    register(name, aliases=_UNARY_ALIASES.get(name, ()))(op)


for _n, _f in _UNARY.items():
    _make_unary(_n, _f)


@register("stop_gradient", aliases=("BlockGrad",))
def stop_gradient(data: jax.Array) -> jax.Array:
    """The input unchanged, with no gradient flowing back through it."""
    return lax.stop_gradient(data)


@register("zeros_like")
def zeros_like(data: jax.Array) -> jax.Array:
    """Zeros with the shape and dtype of ``data``."""
    return jnp.zeros_like(data)


@register("ones_like")
def ones_like(data: jax.Array) -> jax.Array:
    """Ones with the shape and dtype of ``data``."""
    return jnp.ones_like(data)


@register("Cast", aliases=("cast",))
def cast(data: jax.Array, *, dtype: Any) -> jax.Array:
    """Cast ``data`` to ``dtype``."""
    return data.astype(dtype_of(dtype))


@register("clip")
def clip(data: jax.Array, *, a_min: float, a_max: float) -> jax.Array:
    """Clamp to ``[a_min, a_max]``; the gradient is 1 inside the range and 0 outside."""
    return jnp.clip(data, a_min, a_max).astype(data.dtype)


@register("where")
def where(condition: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
    """``x`` where ``condition`` is non-zero, else ``y``. A 1-D condition selects rows."""
    if condition.ndim == 1 and x.ndim > 1:
        if condition.shape[0] != x.shape[0]:
            raise OperatorError(
                f"where: a 1-D condition must have x.shape[0]={x.shape[0]} elements, got "
                f"shape {tuple(condition.shape)}."
            )
        condition = condition.reshape((-1,) + (1,) * (x.ndim - 1))
    elif condition.shape != x.shape:
        raise OperatorError(
            f"where: condition shape {tuple(condition.shape)} must equal x's shape "
            f"{tuple(x.shape)} (or be 1-D over the first axis)."
        )
    if x.shape != y.shape:
        raise OperatorError(
            f"where: x and y must have the same shape, got {x.shape} and {y.shape}."
        )
    return jnp.where(condition != 0, x, y)


# ---- binary -----------------------------------------------------------------------------------


def _div(lhs: jax.Array, rhs: jax.Array) -> jax.Array:
    if jnp.issubdtype(lhs.dtype, jnp.integer):
        # MXNet divides integers with truncation (lax.div does not broadcast by itself).
        lhs, rhs = jnp.broadcast_arrays(lhs, rhs.astype(lhs.dtype))
        return lax.div(lhs, rhs)
    return lhs / rhs


def _hypot(lhs: jax.Array, rhs: jax.Array) -> jax.Array:
    if jnp.issubdtype(lhs.dtype, jnp.integer):  # MXNet keeps the integer dtype (truncated)
        return jnp.hypot(lhs.astype(jnp.float32), rhs.astype(jnp.float32)).astype(lhs.dtype)
    return jnp.hypot(lhs, rhs)


def _mod(lhs: jax.Array, rhs: jax.Array) -> jax.Array:
    # The result takes the sign of the divisor (Python's %), and MXNet gives 0 for x % 0.
    return jnp.where(rhs == 0, jnp.zeros_like(lhs), jnp.mod(lhs, jnp.where(rhs == 0, 1, rhs)))


_BINARY: dict[str, tuple[Callable[[Any, Any], Any], bool]] = {
    # name: (function, returns a comparison that MXNet gives in the input dtype)
    "add": (jnp.add, False),
    "sub": (jnp.subtract, False),
    "mul": (jnp.multiply, False),
    "div": (_div, False),
    "mod": (_mod, False),
    "power": (jnp.power, False),
    "maximum": (jnp.maximum, False),
    "minimum": (jnp.minimum, False),
    "hypot": (_hypot, False),
    "equal": (jnp.equal, True),
    "not_equal": (jnp.not_equal, True),
    "greater": (jnp.greater, True),
    "greater_equal": (jnp.greater_equal, True),
    "lesser": (jnp.less, True),
    "lesser_equal": (jnp.less_equal, True),
    "logical_and": (lambda a, b: jnp.logical_and(a != 0, b != 0), True),
    "logical_or": (lambda a, b: jnp.logical_or(a != 0, b != 0), True),
    "logical_xor": (lambda a, b: jnp.logical_xor(a != 0, b != 0), True),
}


# MXNet's Python-level functions (``nd.add(x, 2)``, ``nd.equal(x, y)``, ...) broadcast too.
_PUBLIC = {
    "add": ["add", "broadcast_plus"],
    "sub": ["subtract", "broadcast_minus"],
    "mul": ["multiply"],
    "div": ["divide", "true_divide"],
    "mod": ["modulo"],
    "equal": ["equal"],
    "not_equal": ["not_equal"],
    "greater": ["greater"],
    "greater_equal": ["greater_equal"],
    "lesser": ["lesser"],
    "lesser_equal": ["lesser_equal"],
    "logical_and": ["logical_and"],
    "logical_or": ["logical_or"],
    "logical_xor": ["logical_xor"],
}


def _make_binary(name: str, f: Callable[[Any, Any], Any], compare: bool) -> None:
    def op(lhs: jax.Array, rhs: jax.Array, **ignored: Any) -> jax.Array:
        # MXNet's broadcast operators have no attributes and ignore any given (MXNet's own
        # test_loss passes axis=1 to broadcast_maximum).
        lhs, rhs = match_scalar(lhs, rhs)
        out = f(lhs, rhs)
        return out.astype(jnp.result_type(lhs, rhs)) if compare else out

    op.__name__ = f"broadcast_{name}"
    op.__doc__ = (
        f"Elementwise ``{name}`` with numpy broadcasting (comparisons give 0/1 in the input dtype)."
    )
    aliases = [f"_{name}"] if name in ("add", "sub", "mul", "div") else []
    aliases += _PUBLIC.get(name, [])
    if name in (
        "maximum",
        "minimum",
        "power",
        "hypot",
        "equal",
        "not_equal",
        "greater",
        "greater_equal",
        "lesser",
        "lesser_equal",
        "mod",
        "logical_and",
        "logical_or",
        "logical_xor",
    ):
        aliases.append(f"_{name}")
    if name in ("maximum", "minimum", "power", "hypot"):
        aliases.append(name)
    if name == "sub":
        aliases.append("_minus")
    if name == "add":
        aliases.append("_plus")
    register(f"broadcast_{name}", aliases=tuple(aliases))(op)


for _n, (_f, _c) in _BINARY.items():
    _make_binary(_n, _f, _c)


def _make_elemwise(name: str, f: Callable[[Any, Any], Any]) -> None:
    def op(lhs: jax.Array, rhs: jax.Array) -> jax.Array:
        if jnp.shape(lhs) != jnp.shape(rhs):
            raise OperatorError(
                f"elemwise_{name}: the inputs must have the same shape (as in MXNet), got "
                f"{tuple(jnp.shape(lhs))} and {tuple(jnp.shape(rhs))}. Use broadcast_{name} to broadcast."
            )
        return f(lhs, rhs)

    op.__name__ = f"elemwise_{name}"
    op.__doc__ = f"Elementwise ``{name}`` of two arrays of the same shape."
    register(f"elemwise_{name}")(op)


for _n in ("add", "sub", "mul", "div"):
    _make_elemwise(_n, _BINARY[_n][0])


@register("add_n", aliases=("ElementWiseSum",))
def add_n(*args: jax.Array) -> jax.Array:
    """Sum of all inputs (same shapes)."""
    out = args[0]
    for a in args[1:]:
        out = out + a
    return out


@register("hard_sigmoid")
def hard_sigmoid(data: jax.Array, *, alpha: float = 0.2, beta: float = 0.5) -> jax.Array:
    """``clip(alpha * data + beta, 0, 1)``."""
    return jnp.clip(alpha * data + beta, 0.0, 1.0).astype(data.dtype)


@register("smooth_l1")
def smooth_l1(data: jax.Array, *, scalar: float = 1.0) -> jax.Array:
    """Smooth L1 with ``sigma = scalar``: ``0.5 * (sigma * x)^2`` where ``|x| < 1 / sigma^2``,
    else ``|x| - 0.5 / sigma^2``."""
    s2 = scalar * scalar
    ax = jnp.abs(data)
    return jnp.where(ax < 1.0 / s2, 0.5 * s2 * jnp.square(data), ax - 0.5 / s2).astype(data.dtype)


@register("softmin")
def softmin(
    data: jax.Array,
    length: jax.Array | None = None,
    *,
    axis: int = -1,
    temperature: float | None = None,
    dtype: Any = None,
    use_length: bool = False,
) -> jax.Array:
    """``softmax(-data)`` along ``axis``: ``exp(-x / t) / sum(exp(-x / t))``."""
    return softmax_common("softmin", -data, length, axis, temperature, dtype, use_length, False)


@register("amp_cast")
def amp_cast(data: jax.Array, *, dtype: Any) -> jax.Array:
    """Cast for automatic mixed precision (the same as ``Cast``; the gradient is cast back)."""
    return data.astype(dtype_of(dtype))


@register("amp_multicast")
def amp_multicast(
    *data: jax.Array, num_outputs: int | None = None, cast_narrow: bool = False
) -> list[jax.Array]:
    """Cast every floating input to the widest floating dtype among them (the narrowest with
    ``cast_narrow``); other inputs pass unchanged. Returns a list."""
    floats = [x.dtype for x in data if jnp.issubdtype(x.dtype, jnp.floating)]
    if num_outputs is not None and num_outputs != len(data):
        raise OperatorError(
            f"amp_multicast: num_outputs={num_outputs} but {len(data)} inputs were given."
        )
    if not floats:
        return list(data)
    pick = min if cast_narrow else max
    target = pick(floats, key=lambda d: jnp.finfo(d).bits)
    return [x.astype(target) if jnp.issubdtype(x.dtype, jnp.floating) else x for x in data]
