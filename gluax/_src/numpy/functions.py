"""The functions of ``mx.np``: ``jax.numpy`` behind MXNet 1.9.1's names, one table.

A call is split into array inputs (``np.ndarray``/``NDArray``, NumPy and jax arrays, numbers
and number lists in array positions) and static arguments (axes, shapes, flags, dtypes). One
unregistered operator per (function, argument layout) runs ``jax.numpy``'s function through the
registry, so calls are cached jitted functions, recorded on the autograd tape and traceable in
hybridized blocks. MXNet's deviations from NumPy live in the tables below:

* ``KEEP_INT``: elementwise math on an integer array keeps its integer dtype (MXNet 1.9.1
  computes in floating point and casts back: ``np.sqrt(int32 [2])`` is ``[1]``).
* ``SCALAR_CAST``: a Python float operand of an integer array is cast to the array's dtype
  first (``i * 2.5`` multiplies by 2).
* Functions whose output size depends on values (``unique``, ``nonzero``, ...) run on the host
  with NumPy, as MXNet's own fallback does: eager only, not differentiable.
* 64-bit types are 32-bit unless jax runs with x64 enabled (MXNet's int64 indices are int32).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as onp

from gluax._src.engine.base import MXNetError
from gluax._src.engine.ndarray import TRACER_VALUE, NDArray, TracerValueError, _is_tracer
from gluax._src.engine.registry import OpDef, invoke
from gluax._src.engine.state import STATE
from gluax._src.numpy.multiarray import ARRAY_TYPES, make_op, ndarray, to_np

# Parameter names (of jax.numpy's signatures) that take arrays: numbers and number lists
# passed there are data, not static attributes.
ARRAY_PARAMS = frozenset(
    "a a1 a2 ar ar1 ar2 arr array arrays ary arys b choicelist condition condlist element fp "
    "test_elements tup v values weights x x1 x2 xi xp y A operands args keys m p q filt "
    "to_begin to_end seq_of_zeros indices fill_value nan posinf neginf left right".split()
)

KEEP_INT = frozenset(
    "sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh exp expm1 log "
    "log2 log10 log1p sqrt cbrt degrees radians deg2rad rad2deg reciprocal ceil floor trunc fix "
    "rint round around round_ std var average clip".split()
)

SCALAR_CAST = frozenset("add subtract multiply mod remainder power maximum minimum".split())

# MXNet name -> (jax.numpy name, {MXNet keyword: jax.numpy keyword}).
RENAMES: dict[str, tuple[str, dict[str, str]]] = {
    "alltrue": ("all", {}),
    "sometrue": ("any", {}),
    "product": ("prod", {}),
    "round_": ("round", {}),
    "around": ("round", {}),
    "row_stack": ("vstack", {}),
    "fix": ("trunc", {"x": "x"}),
    "trapz": ("trapezoid", {}),
    "clip": ("clip", {"a": "arr", "a_min": "min", "a_max": "max"}),
    "reshape": ("reshape", {"newshape": "shape"}),
    "concatenate": ("concatenate", {"seq": "arrays"}),
    "pad": ("pad", {"x": "array"}),
    "ravel": ("ravel", {"x": "a"}),
    "percentile": ("percentile", {"interpolation": "method"}),
    "quantile": ("quantile", {"interpolation": "method"}),
    "nanpercentile": ("nanpercentile", {"interpolation": "method"}),
    "nanquantile": ("nanquantile", {"interpolation": "method"}),
}

# Output size depends on values: computed by NumPy on the host (eager only).
HOST = frozenset(
    "unique nonzero argwhere flatnonzero extract compress trim_zeros bincount histogram "
    "histogram2d histogramdd histogram_bin_edges union1d intersect1d setdiff1d setxor1d roots "
    "genfromtxt piecewise apply_along_axis apply_over_axes".split()
)

# NumPy returns lists for these (tuples for every other multi-output function).
LIST_OUT = frozenset(
    "split array_split hsplit vsplit dsplit meshgrid broadcast_arrays atleast_1d atleast_2d "
    "atleast_3d".split()
)



def _rint(x: Any) -> Any:
    """MXNet's rint: a half rounds down (``rint(3.5) == 3``), not to even."""
    f = jnp.floor(x)
    return jnp.where(x - f <= 0.5, f, f + 1)


def _take(a: Any, indices: Any, axis: Any = None, mode: Any = None) -> Any:
    """NumPy's take; float indices (MXNet's default dtype) are cast to integers."""
    if not jnp.issubdtype(jnp.asarray(indices).dtype, jnp.integer):
        indices = jnp.asarray(indices).astype(jnp.int32)
    return jnp.take(a, indices, axis=axis, mode=mode)


def _take_along_axis(arr: Any, indices: Any, axis: Any) -> Any:
    """NumPy's take_along_axis; float indices are cast to integers."""
    if not jnp.issubdtype(jnp.asarray(indices).dtype, jnp.integer):
        indices = jnp.asarray(indices).astype(jnp.int32)
    return jnp.take_along_axis(arr, indices, axis)


# Functions where MXNet's numbers differ from jax.numpy's.
OVERRIDES: dict[str, Callable[..., Any]] = {
    "rint": _rint, "take": _take, "take_along_axis": _take_along_axis,
}

_SPECS: dict[str, tuple[Callable[..., Any], inspect.Signature, dict[str, str]]] = {}
_OPS: dict[Any, OpDef] = {}


def _spec(name: str, module: Any = jnp) -> tuple[Callable[..., Any], inspect.Signature, dict]:
    key = f"{module.__name__}.{name}"
    s = _SPECS.get(key)
    if s is None:
        jname, renames = RENAMES.get(name, (name, {})) if module is jnp else (name, {})
        fn = OVERRIDES[name] if module is jnp and name in OVERRIDES else getattr(module, jname)
        s = _SPECS[key] = (fn, inspect.signature(fn), renames)
    return s


def _is_array(v: Any) -> bool:
    return isinstance(v, ARRAY_TYPES)


def _numbers(v: Any) -> bool:
    if isinstance(v, (list, tuple)):
        return all(_numbers(e) for e in v)
    return isinstance(v, (int, float, bool, onp.generic))


def _freeze(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_freeze(e) for e in v)
    if isinstance(v, tuple):
        return tuple(_freeze(e) for e in v)
    if isinstance(v, onp.dtype):
        return v.name
    if isinstance(v, onp.generic):
        return v.item()
    return v


def _encode(v: Any, arrayish: bool, inputs: list[Any]) -> Any:
    """The layout code of one argument; its array parts go to ``inputs``."""
    if _is_array(v):
        inputs.append(v)
        return ("A", len(inputs) - 1)
    if isinstance(v, (list, tuple)) and any(_is_array(e) for e in v):
        return ("L", type(v) is tuple, tuple(_encode(e, True, inputs) for e in v))
    if arrayish and isinstance(v, (list, tuple)) and v and _numbers(v):
        inputs.append(jnp.asarray(onp.asarray(v)))
        return ("A", len(inputs) - 1)
    if arrayish and isinstance(v, (int, float, bool)) and not isinstance(v, bool):
        inputs.append(v)
        return ("A", len(inputs) - 1)
    if isinstance(v, onp.generic) and arrayish:
        inputs.append(jnp.asarray(v))
        return ("A", len(inputs) - 1)
    return ("S", _freeze(v))


def _decode(code: Any, xs: tuple[Any, ...]) -> Any:
    kind = code[0]
    if kind == "A":
        return xs[code[1]]
    if kind == "L":
        items = [_decode(c, xs) for c in code[2]]
        return tuple(items) if code[1] else items
    return code[1]


def _post(name: str, res: Any, first: Any) -> Any:
    if isinstance(res, tuple):  # named tuples (SlogdetResult...) as plain tuples
        return tuple(res)
    if (
        name in KEEP_INT
        and first is not None
        and hasattr(first, "dtype")
        and jnp.issubdtype(first.dtype, jnp.integer)
        and jnp.issubdtype(res.dtype, jnp.inexact)
    ):
        return res.astype(first.dtype)
    return res


def _layout(name: str, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
            ) -> tuple[tuple[Any, ...], list[Any]]:
    fn, sig, renames = _spec(name, module)
    if renames:
        kwargs = {renames.get(k, k): v for k, v in kwargs.items()}
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"np.{name}: {e}") from None
    inputs: list[Any] = []
    layout = []
    for pname, v in bound.arguments.items():
        kind = sig.parameters[pname].kind
        if kind == inspect.Parameter.VAR_POSITIONAL:
            layout.append((pname, "*", tuple(_encode(e, True, inputs) for e in v)))
        elif kind == inspect.Parameter.VAR_KEYWORD:
            layout.append((pname, "**", tuple(sorted((k, _encode(e, False, inputs))
                                                     for k, e in v.items()))))
        else:
            pos = "p" if kind == inspect.Parameter.POSITIONAL_ONLY else "k"
            layout.append((pname, pos, _encode(v, pname in ARRAY_PARAMS, inputs)))
    return tuple(layout), inputs


def _make_fn(name: str, module: Any, layout: tuple[Any, ...]) -> Callable[..., Any]:
    fn = _spec(name, module)[0]

    def np_fn(*xs: Any) -> Any:
        args: list[Any] = []
        kw: dict[str, Any] = {}
        for pname, pos, code in layout:
            if pos == "*":
                args.extend(_decode(c, xs) for c in code)
            elif pos == "**":
                kw.update((k, _decode(c, xs)) for k, c in code)
            elif pos == "p":
                args.append(_decode(code, xs))
            else:
                kw[pname] = _decode(code, xs)
        return _post(name, fn(*args, **kw), xs[0] if xs else None)

    np_fn.__name__ = name
    return np_fn


def _host_value(v: Any, name: str) -> Any:
    if isinstance(v, NDArray):
        v = v._value
    if _is_tracer(v):
        raise TracerValueError(TRACER_VALUE.format(what=f"np.{name} (its output size depends "
                                                         "on the values)"))
    if isinstance(v, jax.Array):
        return onp.asarray(v)
    if isinstance(v, (list, tuple)) and any(isinstance(e, (NDArray, jax.Array)) for e in v):
        return type(v)(_host_value(e, name) for e in v)
    return v


def _from_host(res: Any, ctx: Any = None) -> Any:
    if isinstance(res, tuple):
        return tuple(_from_host(r, ctx) for r in res)
    if isinstance(res, list):
        return [_from_host(r, ctx) for r in res]
    if isinstance(res, (onp.ndarray, onp.generic)):
        host = onp.asarray(res)
        return ndarray(jax.device_put(host.astype(jax.dtypes.canonicalize_dtype(host.dtype))))
    return res


def host_call(name: str, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run NumPy's ``name`` on the host values (eager only, not recorded)."""
    host_args = tuple(_host_value(a, name) for a in args)
    host_kwargs = {k: _host_value(v, name) for k, v in kwargs.items()}
    fn = getattr(module, RENAMES.get(name, (name, {}))[0] if module is onp else name)
    return _from_host(fn(*host_args, **host_kwargs))


_CONCRETE_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.TracerBoolConversionError,
    jax.errors.NonConcreteBooleanIndexError,
)


def _write_out(out: Any, res: Any, name: str) -> Any:
    if out is None:
        return res
    if not isinstance(out, NDArray) or tuple(out.shape) != tuple(res.shape):
        raise ValueError(
            f"np.{name}: out= must be an array of the result's shape {tuple(res.shape)}, got "
            f"{getattr(out, 'shape', type(out).__name__)!r}."
        )
    out._set_value(res._value.astype(out._value.dtype))
    return out


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``mx.np.<name>`` (``jax.numpy``'s function with MXNet's deviations)."""
    return call_in(jnp, onp, name, args, kwargs)


def call_in(module: Any, host_module: Any, name: str, args: tuple[Any, ...],
            kwargs: dict[str, Any]) -> Any:
    """``call`` for a function of ``module`` (``jnp`` or ``jnp.linalg``)."""
    out = kwargs.pop("out", None) if kwargs else None
    if kwargs:
        kwargs.pop("ctx", None)
        kwargs.pop("device", None)
        if kwargs.get("mode") == "raise" and name == "take":
            kwargs["mode"] = "clip"  # jax cannot raise inside compiled code
    if name in SCALAR_CAST and len(args) == 2:
        args = _cast_scalars(args)
    if name in HOST:
        res = host_call(name, host_module, args, kwargs)
    else:
        fast = _fast_key(module, name, args, kwargs)
        hit = _FAST.get(fast) if fast is not None else None
        if hit is not None:
            op, picks = hit
            inputs = [args[i] if isinstance(i, int) else kwargs[i] for i in picks]
        else:
            layout, inputs = _layout(name, module, args, kwargs)
            key = (module.__name__, name, layout)
            op = _OPS.get(key)
            if op is None:
                try:
                    hash(key)
                except TypeError:
                    op = make_op(name, _make_fn(name, module, layout))
                else:
                    op = _OPS[key] = make_op(name, _make_fn(name, module, layout))
            if fast is not None:
                _remember(fast, op, inputs, args, kwargs)
        try:
            res = invoke(op, tuple(inputs), {})
        except _CONCRETE_ERRORS:
            if STATE.tracing:
                raise
            res = host_call(name, host_module, args, kwargs)
        res = to_np(res)
    if isinstance(res, list) and name not in LIST_OUT:
        res = tuple(res)
    return _write_out(out, res, name)


# (function, argument signature) -> (operator, where each input comes from): skips binding
# the signature again for a call shaped like an earlier one (all inputs arrays).
_FAST: dict[Any, tuple[OpDef, tuple[Any, ...]]] = {}
_STATIC = (str, type(None), bool, int, float, onp.dtype, type)


def _arg_sig(v: Any) -> Any:
    if isinstance(v, ARRAY_TYPES):
        return "A"
    if isinstance(v, _STATIC):
        return (type(v), v)
    if isinstance(v, tuple) and all(isinstance(e, (int, type(None))) for e in v):
        return (tuple, v)
    raise TypeError  # not a shape the fast path knows


def _fast_key(module: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return (module.__name__, name, tuple(_arg_sig(a) for a in args),
                tuple((k, _arg_sig(v)) for k, v in sorted(kwargs.items())))
    except TypeError:
        return None


def _remember(fast: Any, op: OpDef, inputs: list[Any], args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> None:
    picks: list[Any] = []
    for x in inputs:
        if not isinstance(x, ARRAY_TYPES):
            return  # a number or list became an input: not cached
        where = [i for i, a in enumerate(args) if a is x] + [k for k, v in kwargs.items()
                                                              if v is x]
        if len(where) != 1:
            return
        picks.append(where[0])
    if len(_FAST) > 4096:
        _FAST.clear()
    _FAST[fast] = (op, tuple(picks))


def _cast_scalars(args: tuple[Any, ...]) -> tuple[Any, ...]:
    a, b = args
    if isinstance(a, NDArray) and isinstance(b, float):
        if jnp.issubdtype(a._value.dtype, jnp.integer):
            return a, int(b)
    elif isinstance(b, NDArray) and isinstance(a, float):
        if jnp.issubdtype(b._value.dtype, jnp.integer):
            return int(a), b
    return args


# ---- fast paths for operators (x + y, -x) ------------------------------------------------
def _binary_fn(name: str) -> Callable[..., Any]:
    jfn = getattr(jnp, name)

    def f(x1: Any, x2: Any) -> Any:
        return jfn(x1, x2)

    f.__name__ = name
    return f


_BINARY: dict[str, OpDef] = {}
_UNARY: dict[str, OpDef] = {}


def binary(name: str, a: Any, b: Any) -> Any:
    """``a <op> b`` for the ndarray operators (one cached operator per name)."""
    op = _BINARY.get(name)
    if op is None:
        op = _BINARY[name] = make_op(name, _binary_fn(name))
    if isinstance(a, (list, tuple)):
        a = jnp.asarray(onp.asarray(a))
    if isinstance(b, (list, tuple)):
        b = jnp.asarray(onp.asarray(b))
    return to_np(invoke(op, (a, b), {}))


def unary(name: str, a: Any) -> Any:
    """``<op> a`` for the ndarray operators."""
    op = _UNARY.get(name)
    if op is None:
        jfn = getattr(jnp, name)
        op = _UNARY[name] = make_op(name, lambda x: jfn(x))
    return to_np(invoke(op, (a,), {}))


def function(name: str) -> Callable[..., Any]:
    """The public ``mx.np.<name>``."""

    def f(*args: Any, **kwargs: Any) -> Any:
        return call(name, *args, **kwargs)

    f.__name__ = f.__qualname__ = name
    jname = RENAMES.get(name, (name, {}))[0]
    doc = getattr(onp, jname, None) or getattr(jnp, jname, None)
    first = (getattr(doc, "__doc__", None) or "").strip().split("\n")[0]
    f.__doc__ = f"NumPy's ``{jname}`` on ``mx.np.ndarray``: {first}"
    return f


def error(msg: str) -> MXNetError:
    return MXNetError(msg)


# ndarray methods that are mx.np functions of the array (NumPy's signatures); the legacy
# fluent methods NDArray has beyond these (relu, softmax, pick, topk, ...) stay operators.
NP_METHODS = tuple(
    """sum mean max min prod std var argmax argmin argsort sort all any clip round cumsum
    squeeze repeat swapaxes take tile dot nonzero flip expand_dims diag diagonal trace ravel
    abs sign exp log log2 log10 log1p expm1 sqrt cbrt square sin cos tan arcsin arccos arctan
    sinh cosh tanh arcsinh arccosh arctanh floor ceil trunc fix rint reciprocal degrees radians
    broadcast_to""".split()
)


def _np_method(name: str) -> Callable[..., Any]:
    def m(self: Any, *args: Any, **kwargs: Any) -> Any:
        return call(name, self, *args, **kwargs)

    m.__name__ = name
    m.__doc__ = f"Same as ``mx.np.{name}(self, ...)``."
    return m


for _name in NP_METHODS:
    setattr(ndarray, _name, _np_method(_name))
