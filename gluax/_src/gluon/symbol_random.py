"""``mx.sym.random``: the samplers as graph nodes.

Outside a hybridized trace, ``mx.sym.random.uniform(...)`` makes a node as MXNet's does: a
``_random_<dist>`` node when the distribution's parameters are numbers, a ``_sample_<dist>``
node when they are Symbols. Given NDArrays, or inside a hybridized call (where ``F`` is
``mx.sym`` and the key is traced), it samples as ``mx.nd.random`` does.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.scopes import current_attr_scope
from gluax._src.gluon.symbol import (
    Symbol,
    _graph_creation,
    _has_graph,
    _is_graph,
    _make,
    apply_op,
)
from gluax._src.ops import creation as _creation
from gluax._src.ops import random_api as _random_api

# name -> (eager sampler, op for number parameters, op for Symbol parameters,
#          the sampler's parameter names, the Symbol op's input names)
_PARAMETRIC: dict[str, tuple[Callable[..., Any], str, str, tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (
        _creation.uniform,
        "_random_uniform",
        "_sample_uniform",
        ("low", "high"),
        ("low", "high"),
    ),
    "normal": (
        _creation.normal,
        "_random_normal",
        "_sample_normal",
        ("loc", "scale"),
        ("mu", "sigma"),
    ),
    "exponential": (
        _creation.exponential,
        "_random_exponential",
        "_sample_exponential",
        ("scale",),
        ("lam",),
    ),
    "gamma": (
        _random_api.gamma,
        "_random_gamma",
        "_sample_gamma",
        ("alpha", "beta"),
        ("alpha", "beta"),
    ),
    "poisson": (_random_api.poisson, "_random_poisson", "_sample_poisson", ("lam",), ("lam",)),
    "negative_binomial": (
        _random_api.negative_binomial,
        "_random_negative_binomial",
        "_sample_negative_binomial",
        ("k", "p"),
        ("k", "p"),
    ),
    "generalized_negative_binomial": (
        _random_api.generalized_negative_binomial,
        "_random_generalized_negative_binomial",
        "_sample_generalized_negative_binomial",
        ("mu", "alpha"),
        ("mu", "alpha"),
    ),
}


def _makes_node(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    if _has_graph(args, kwargs):
        return True
    given = (*args, *kwargs.values())
    return _graph_creation() and not any(isinstance(a, NDArray) for a in given)


def _bound(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict:
    """The call's arguments by name (MXNet's ``ctx`` and ``out`` dropped: a node has neither;
    unset ``shape``/``dtype`` dropped so the operator's defaults apply)."""
    b = inspect.signature(fn).bind(*args, **kwargs)
    named = dict(b.arguments)
    named.update(named.pop("kwargs", {}))
    for k in ("ctx", "out"):
        named.pop(k, None)
    for k in ("shape", "dtype"):
        if named.get(k) is None:
            named.pop(k, None)
    return named


def _node(op: str, named: dict[str, Any]) -> Symbol:
    """A node without inputs (the parameters are attributes), as MXNet's ``_random_*``."""
    node_name, attr = named.pop("name", None), named.pop("attr", None)
    return _make(op, op, [], named, node_name, current_attr_scope().get(attr))


def _parametric(name: str) -> Callable[..., Any]:
    eager, random_op, sample_op, params, inputs = _PARAMETRIC[name]
    defaults = inspect.signature(eager).parameters

    def sampler(*args: Any, **kwargs: Any) -> Any:
        if not _makes_node(args, kwargs):
            return eager(*args, **kwargs)
        named = _bound(eager, args, kwargs)
        values = [named.pop(p, defaults[p].default) for p in params]
        if name == "exponential":  # MXNet's exponential takes scale; its operators take 1/scale
            values = [1.0 / values[0]]
        if any(_is_graph(v) for v in values):
            if not all(isinstance(v, Symbol) for v in values):
                raise TypeError(
                    f"mx.sym.random.{name}: parameters {params} must be all Symbols or all "
                    f"numbers, got {[type(v).__name__ for v in values]}."
                )
            return apply_op(sample_op, (), {**dict(zip(inputs, values)), **named})
        op_names = ("lam",) if name == "exponential" else params
        return _node(random_op, {**dict(zip(op_names, values)), **named})

    sampler.__name__ = sampler.__qualname__ = name
    sampler.__doc__ = eager.__doc__
    return sampler


uniform = _parametric("uniform")
normal = _parametric("normal")
exponential = _parametric("exponential")
gamma = _parametric("gamma")
poisson = _parametric("poisson")
negative_binomial = _parametric("negative_binomial")
generalized_negative_binomial = _parametric("generalized_negative_binomial")


def randint(*args: Any, **kwargs: Any) -> Any:
    """Integers in ``[low, high)``: a ``_random_randint`` node (see ``mx.nd.random.randint``)."""
    if not _makes_node(args, kwargs):
        return _creation.randint(*args, **kwargs)
    return _node("_random_randint", _bound(_creation.randint, args, kwargs))


def randn(*shape: int, **kwargs: Any) -> Any:
    """Normal samples of ``shape``: a ``_random_normal`` node (see ``mx.nd.random.randn``)."""
    if not _makes_node(shape, kwargs):
        return _creation.randn(*shape, **kwargs)
    named = _bound(_creation.randn, shape, kwargs)
    named.pop("shape", None)
    return _node("_random_normal", {**named, "shape": tuple(shape)})


def multinomial(*args: Any, **kwargs: Any) -> Any:
    """Samples from the categorical distributions in ``data``: a ``_sample_multinomial`` node
    (see ``mx.nd.random.multinomial``; as in MXNet, ``get_prob`` defaults to True here)."""
    if not _makes_node(args, kwargs):
        return _random_api.multinomial(*args, **kwargs)
    named = _bound(_random_api.multinomial, args, kwargs)
    named.setdefault("get_prob", True)  # MXNet's mx.sym.random.multinomial defaults to True
    named.setdefault("dtype", "int32")
    return apply_op("_sample_multinomial", (), named)


def shuffle(*args: Any, **kwargs: Any) -> Any:
    """A random permutation along the first axis: a ``_shuffle`` node."""
    if not _makes_node(args, kwargs):
        return _creation.shuffle(*args, **kwargs)
    return apply_op("_shuffle", (), _bound(_creation.shuffle, args, kwargs))
