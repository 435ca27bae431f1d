"""Python custom operators: ``mx.operator.CustomOp``/``CustomOpProp``/``register`` and the
``Custom`` operator behind ``mx.nd.Custom``, ``mx.sym.Custom`` and ``F.Custom``.

A custom operator is user Python code (``mx.nd`` or numpy) that reads input NDArrays and writes
output NDArrays through ``assign``. gluax runs it two ways:

* eagerly (``mx.nd.Custom``, a block that is not hybridized): the user's ``forward`` runs on
  the inputs' values as NDArrays; the auxiliary states are the caller's own arrays and are
  updated in place, as in MXNet. Under ``autograd.record()`` the call is one tape node whose
  backward calls the user's ``backward``.
* inside a trace (a hybridized block, ``mx.sym`` graphs, a user's ``jax.jit``): one
  ``jax.custom_vjp`` whose forward and backward are ``jax.pure_callback``s into the same user
  code on the host. The new auxiliary states come back as extra outputs and are written to the
  block's parameters like BatchNorm's running statistics.

Tracing the user's code instead of calling back was measured and rejected as the default: it
only works when the code uses no numpy, no ``asnumpy()`` and keeps no tracer on ``self``
between forward and backward, which MXNet's own examples all do (see docs/custom_op.md for the
numbers).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine import tape as _tape
from gluax._src.engine.base import MXNetError
from gluax._src.engine.context import Context, as_context, current_context
from gluax._src.engine.ndarray import NDArray, Symbol, TracerValueError
from gluax._src.engine.registry import OPS
from gluax._src.engine.registry import register as _register_op
from gluax._src.engine.state import STATE

_PROPS: dict[str, type] = {}
_TRACED: dict[str, bool] = {}


class CustomOp:
    """Base class of a Python operator: override ``forward`` and ``backward``.

    ``forward(is_train, req, in_data, out_data, aux)`` writes each output with
    ``self.assign(out_data[i], req[i], value)``; ``backward(req, out_grad, in_data, out_data,
    in_grad, aux)`` writes the input gradients the same way. Arrays are NDArrays; the code may
    use ``mx.nd`` operators or go through numpy with ``asnumpy()`` and ``mx.nd.array``.
    """

    def __init__(self) -> None:
        pass

    def forward(self, is_train: bool, req: list[str], in_data: list[NDArray],
                out_data: list[NDArray], aux: list[NDArray]) -> None:
        """Compute the outputs into ``out_data`` (override)."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented.")

    def backward(self, req: list[str], out_grad: list[NDArray], in_data: list[NDArray],
                 out_data: list[NDArray], in_grad: list[NDArray], aux: list[NDArray]) -> None:
        """Compute the input gradients into ``in_grad`` (override)."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented.")

    def assign(self, dst: NDArray, req: str, src: Any) -> None:
        """Write ``src`` into ``dst`` by ``req``: 'write'/'inplace' replace, 'add' adds,
        'null' does nothing."""
        if req == "null":
            return
        if req in ("write", "inplace"):
            dst[:] = src
        elif req == "add":
            dst[:] += src
        else:
            raise ValueError(f"CustomOp.assign: req must be 'null', 'write', 'inplace' or "
                             f"'add', got {req!r}.")


class CustomOpProp:
    """Base class of a Python operator's properties: its inputs, outputs, auxiliary states,
    shape and type inference, and the ``CustomOp`` it creates.

    Parameters
    ----------
    need_top_grad : bool, default True
        Whether ``backward`` reads ``out_grad`` (False for loss layers, whose backward ignores
        the head gradient).
    """

    def __init__(self, need_top_grad: bool = True) -> None:
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape: list[list[int]]) -> tuple[Any, ...]:
        """(input shapes, output shapes, aux shapes); by default every output and the inputs
        keep the first input's shape."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type: list[Any]) -> tuple[Any, ...]:
        """(input dtypes, output dtypes, aux dtypes); by default the first input's dtype."""
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype: list[str]) -> tuple[Any, ...]:
        """Storage types: gluax stores every array densely ('default')."""
        return (in_stype, ["default"] * len(self.list_outputs()),
                ["default"] * len(self.list_auxiliary_states()))

    def infer_storage_type_backward(self, ograd_stype: list[str], in_stype: list[str],
                                    out_stype: list[str], igrad_stype: list[str],
                                    aux_stype: list[str]) -> tuple[Any, ...]:
        """Backward storage types: all dense."""
        return ograd_stype, in_stype, out_stype, ["default"] * len(igrad_stype), aux_stype

    def list_outputs(self) -> list[str]:
        """Output names (default ``['output']``)."""
        return ["output"]

    def list_arguments(self) -> list[str]:
        """Input names (default ``['data']``)."""
        return ["data"]

    def list_auxiliary_states(self) -> list[str]:
        """Auxiliary state names (default none)."""
        return []

    def declare_backward_dependency(self, out_grad: list[int], in_data: list[int],
                                    out_data: list[int]) -> list[int]:
        """The arrays ``backward`` reads; gluax keeps them all, this is informational."""
        deps = list(out_grad) if self.need_top_grad_ else []
        return deps + list(in_data) + list(out_data)

    def create_operator(self, ctx: Context, in_shapes: list[Any], in_dtypes: list[Any]) -> Any:
        """The ``CustomOp`` that runs the computation (override)."""
        return CustomOp()


def register(reg_name: str, *, trace: bool = False) -> Callable[[type], type]:
    """Register a ``CustomOpProp`` subclass as operator type ``reg_name``: afterwards
    ``mx.nd.Custom(*inputs, op_type=reg_name, **kwargs)`` runs it (kwargs reach the property's
    ``__init__`` as strings, as in MXNet).

    ``trace=True`` (gluax only): in hybridized blocks and ``mx.sym`` graphs, trace the
    operator's ``forward``/``backward`` into the compiled program instead of calling back to
    Python on each run (about 10x faster, see docs/custom_op.md). Only for operators whose code
    uses ``mx.nd`` operators alone (no numpy, no ``asnumpy()``) and keeps no Python state
    between calls: traced code runs once per compilation, and the backward recomputes the
    forward."""

    def deco(prop_cls: type) -> type:
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise TypeError(f"mx.operator.register({reg_name!r}): expected a subclass of "
                            f"CustomOpProp, got {prop_cls!r}.")
        _PROPS[reg_name] = prop_cls
        _TRACED[reg_name] = trace
        return prop_cls

    return deco


def get_all_registered_operators() -> list[str]:
    """Names of every registered operator (built-in and ``Custom`` op types)."""
    return sorted(set(OPS) | {f"Custom:{k}" for k in _PROPS})


def _as_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return str(v)
    return str(v)


class _Bound:
    """One custom-operator call site: the property, inferred shapes and dtypes, and the
    ``CustomOp`` instance (created once, so state it keeps between forward and backward
    survives)."""

    def __init__(self, op_type: str, kwargs: dict[str, Any], shapes: list[tuple[int, ...]],
                 dtypes: list[Any], ctx: Context) -> None:
        cls = _PROPS.get(op_type)
        if cls is None:
            raise MXNetError(f"Custom: op_type {op_type!r} is not registered; registered: "
                             f"{sorted(_PROPS)}. Decorate its CustomOpProp with "
                             f"@mx.operator.register({op_type!r}).")
        self.op_type = op_type
        prop = cls(**{k: _as_str(v) for k, v in kwargs.items()})
        self.args = list(prop.list_arguments())
        self.outs = list(prop.list_outputs())
        self.auxs = list(prop.list_auxiliary_states())
        n_in, n_aux = len(self.args), len(self.auxs)
        if len(shapes) != n_in + n_aux:
            raise ValueError(
                f"Custom {op_type!r}: expected {n_in + n_aux} inputs (arguments {self.args} "
                f"then auxiliary states {self.auxs}), got {len(shapes)}.")
        ret = prop.infer_shape([list(s) for s in shapes[:n_in]])
        ishape, oshape, ashape = self._split(ret, "infer_shape")
        self._check(oshape, self.outs, "output shapes", "infer_shape")
        self._check(ashape, self.auxs, "aux state shapes", "infer_shape")
        ret = prop.infer_type([np.dtype(d) for d in dtypes[:n_in]])
        _, otype, _ = self._split(ret, "infer_type")
        self._check(otype, self.outs, "output types", "infer_type")
        self.out_shapes = [tuple(int(d) for d in s) for s in oshape]
        self.out_dtypes = [np.dtype(t) for t in otype]
        for name, want, got in zip(self.args + self.auxs, list(ishape) + list(ashape), shapes):
            if want is not None and tuple(int(d) for d in want) != tuple(got):
                raise ValueError(f"Custom {op_type!r}: input {name!r} has shape {tuple(got)}, "
                                 f"infer_shape expects {tuple(want)}.")
        self.need_top_grad = bool(prop.need_top_grad_)
        n_out = len(self.outs)
        prop.declare_backward_dependency(list(range(n_out)), list(range(n_out, n_out + n_in)),
                                         list(range(n_out + n_in, 2 * n_out + n_in)))
        self.ctx = ctx
        self.op = prop.create_operator(ctx, [list(s) for s in shapes[:n_in]],
                                       [np.dtype(d) for d in dtypes[:n_in]])

    def _split(self, ret: Any, what: str) -> tuple[Any, Any, Any]:
        ret = list(ret)
        if len(ret) == 2:
            return ret[0], ret[1], []
        if len(ret) == 3:
            return ret[0], ret[1], ret[2]
        raise ValueError(f"Custom {self.op_type!r}: {what} must return 2 or 3 lists, got "
                         f"{len(ret)}.")

    def _check(self, got: Any, names: list[str], what: str, fn: str) -> None:
        if len(got) != len(names):
            raise ValueError(f"Custom {self.op_type!r}: {fn} returned {len(got)} {what}, "
                             f"expected {len(names)} ({names}).")

    def forward(self, is_train: bool, ins: list[Any], aux: list[Any],
                traced: bool = False) -> tuple[list, list]:
        """Run the user's forward on concrete values (or traced ones, ``traced=True``);
        returns (outputs, new aux values)."""
        ctx, cls = self.ctx, Symbol if traced else NDArray
        in_nd = [cls(jnp.asarray(v), ctx) for v in ins]
        aux_nd = [cls(jnp.asarray(v), ctx) for v in aux]
        out_nd = [cls(jnp.zeros(s, d), ctx)
                  for s, d in zip(self.out_shapes, self.out_dtypes)]
        with _UserCode(traced):
            self.op.forward(is_train, ["write"] * len(out_nd), in_nd, out_nd, aux_nd)
        self._saved = (in_nd, out_nd, aux_nd)
        return [o._value for o in out_nd], [a._value for a in aux_nd]

    def backward(self, ins: list[Any], aux: list[Any], outs: list[Any], cts: list[Any],
                 req: list[str], traced: bool = False) -> list[Any]:
        """Run the user's backward; returns the input gradients (zeros where req='null')."""
        ctx, cls = self.ctx, Symbol if traced else NDArray
        in_nd = [cls(jnp.asarray(v), ctx) for v in ins]
        aux_nd = [cls(jnp.asarray(v), ctx) for v in aux]
        out_nd = [cls(jnp.asarray(v), ctx) for v in outs]
        og = [cls(jnp.asarray(c), ctx) for c in cts]
        ig = [cls(jnp.zeros(jnp.shape(v), jnp.asarray(v).dtype), ctx) for v in ins]
        with _UserCode(traced):
            self.op.backward(req, og, in_nd, out_nd, ig, aux_nd)
        return [g._value for g in ig]


class _UserCode:
    """User code runs unrecorded: eagerly even when called back from a compiled program, or
    traced (``register(..., trace=True)``) with no parameter scope."""

    def __init__(self, traced: bool = False) -> None:
        self.traced = traced

    def __enter__(self) -> None:
        s = STATE
        self._saved = (s.recording, s.tracing, s.param_scopes, s.key_sources)
        s.recording, s.param_scopes = False, []
        if not self.traced:
            s.tracing, s.key_sources = 0, []
        else:
            s.tracing = max(s.tracing, 1)

    def __exit__(self, *exc: Any) -> None:
        s = STATE
        s.recording, s.tracing, s.param_scopes, s.key_sources = self._saved


def _is_float(dtype: Any) -> bool:
    return bool(jnp.issubdtype(dtype, jnp.inexact))


def _split_attrs(attrs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kw = dict(attrs)
    op_type = kw.pop("op_type", None)
    kw.pop("training", None)
    if op_type is None:
        raise TypeError("Custom: missing required argument 'op_type'.")
    return str(op_type), kw


def _eager(inputs: list[Any], vals: list[Any], attrs: dict[str, Any], ctx: Context | None,
           kind: type, out: Any) -> Any:
    op_type, kw = _split_attrs(attrs)
    ctx = ctx if ctx is not None else current_context()
    b = _Bound(op_type, kw, [tuple(jnp.shape(v)) for v in vals],
               [jnp.asarray(v).dtype for v in vals], ctx)
    n_in = len(b.args)
    ins, aux = vals[:n_in], vals[n_in:]
    outs, new_aux = b.forward(STATE.training, ins, aux)
    for a, v in zip(inputs[n_in:], new_aux):  # auxiliary states are updated in place
        if isinstance(a, NDArray):
            a._value = v
    diff = [i for i in range(n_in) if isinstance(inputs[i], NDArray)
            and inputs[i]._ag is not None and _is_float(ins[i].dtype)]
    wrapped = _wrap(outs, ctx, kind.eager_type, out)
    if STATE.recording and diff:
        req = ["write" if i in diff else "null" for i in range(n_in)]

        def backward(cts: list[Any]) -> list[Any]:
            g = b.backward(ins, new_aux, outs, list(cts), req)
            return [g[i] for i in diff]

        node = _tape.Node(f"Custom:{op_type}", backward, [inputs[i]._ag for i in diff],
                          [(tuple(o.shape), o.dtype) for o in outs])
        for k, w in enumerate(wrapped if isinstance(wrapped, list) else [wrapped]):
            w._ag = _tape.OutInfo(node, k)
    return wrapped


def _wrap(outs: list[Any], ctx: Context, cls: type, out: Any) -> Any:
    if out is not None:
        for o, r in zip(out if isinstance(out, (list, tuple)) else [out], outs):
            o._set_value(r)
        return out
    res = [cls(r, ctx) for r in outs]
    return res[0] if len(res) == 1 else res


def _host(values: Any) -> list[np.ndarray]:
    return [np.asarray(v) for v in values]


def custom_function(vals: list[Any], op_type: str, kw: dict[str, Any], is_train: bool,
                    ctx: Context) -> tuple[list[Any], list[Any]]:
    """The traced form: ``(outputs, new aux values)`` of the custom operator on jax values,
    as a ``jax.custom_vjp`` over host callbacks into the user's code."""
    b = _Bound(op_type, kw, [tuple(v.shape) for v in vals], [v.dtype for v in vals], ctx)
    n_in, n_out = len(b.args), len(b.outs)
    in_specs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in vals[:n_in]]
    aux_specs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in vals[n_in:]]
    out_specs = [jax.ShapeDtypeStruct(s, d) for s, d in zip(b.out_shapes, b.out_dtypes)]
    diff = [i for i in range(n_in) if _is_float(vals[i].dtype)]
    req = ["write" if i in diff else "null" for i in range(n_in)]

    if _TRACED.get(op_type):
        return _traced_user_code(b, vals, n_in, n_out, diff, req, is_train)

    def host_fwd(*arrs: Any) -> tuple[Any, ...]:
        outs, aux = b.forward(is_train, list(arrs[:n_in]), list(arrs[n_in:]))
        return tuple(_host(outs) + _host(aux))

    def host_bwd(*arrs: Any) -> tuple[Any, ...]:
        n_aux = len(aux_specs)
        ins, rest = list(arrs[:n_in]), arrs[n_in:]
        aux, outs, cts = list(rest[:n_aux]), list(rest[n_aux:n_aux + n_out]), rest[n_aux + n_out:]
        g = b.backward(ins, aux, outs, list(cts), req)
        return tuple(np.asarray(g[i]) for i in diff)

    def run(ins: tuple[Any, ...], aux: tuple[Any, ...]) -> tuple[Any, ...]:
        return jax.pure_callback(host_fwd, tuple(out_specs + aux_specs), *ins, *aux)

    @jax.custom_vjp
    def f(ins: tuple[Any, ...], aux: tuple[Any, ...]) -> tuple[Any, ...]:
        return run(ins, aux)

    def f_fwd(ins: tuple[Any, ...], aux: tuple[Any, ...]) -> Any:
        res = run(ins, aux)
        return res, (ins, res[n_out:], res[:n_out])

    def f_bwd(saved: Any, cts: tuple[Any, ...]) -> Any:
        ins, new_aux, outs = saved
        ct_out = [jnp.asarray(c) for c in cts[:n_out]]
        g = jax.pure_callback(host_bwd, tuple(in_specs[i] for i in diff),
                              *ins, *new_aux, *outs, *ct_out)
        grads = []
        for i, spec in enumerate(in_specs):
            if i in diff:
                grads.append(g[diff.index(i)])
            else:
                grads.append(np.zeros(spec.shape, jax.dtypes.float0))
        aux_ct = tuple(jnp.zeros(s.shape, s.dtype) if _is_float(s.dtype)
                       else np.zeros(s.shape, jax.dtypes.float0) for s in aux_specs)
        return tuple(grads), aux_ct

    f.defvjp(f_fwd, f_bwd)
    res = f(tuple(vals[:n_in]), tuple(vals[n_in:]))
    return list(res[:n_out]), list(res[n_out:])


def _traced_user_code(b: _Bound, vals: list[Any], n_in: int, n_out: int, diff: list[int],
                      req: list[str], is_train: bool) -> tuple[list[Any], list[Any]]:
    """``register(..., trace=True)``: the user's forward and backward traced into the program;
    the backward re-runs the forward in its own trace (state the forward keeps on ``self``
    then belongs to that trace)."""
    @jax.custom_vjp
    def f(ins: tuple[Any, ...], aux: tuple[Any, ...]) -> tuple[Any, ...]:
        outs, new_aux = b.forward(is_train, list(ins), list(aux), traced=True)
        return tuple(outs) + tuple(new_aux)

    def f_fwd(ins: tuple[Any, ...], aux: tuple[Any, ...]) -> Any:
        return f(ins, aux), (ins, aux)

    def f_bwd(saved: Any, cts: tuple[Any, ...]) -> Any:
        ins, aux = saved
        try:
            outs, new_aux = b.forward(is_train, list(ins), list(aux), traced=True)
            g = b.backward(list(ins), new_aux, outs, list(cts[:n_out]), req, traced=True)
        except _UNTRACEABLE as e:
            raise TypeError(_NOT_TRACEABLE.format(op_type=b.op_type, err=e)) from e
        grads = tuple(g[i] if i in diff else np.zeros(jnp.shape(ins[i]), jax.dtypes.float0)
                      for i in range(n_in))
        aux_ct = tuple(jnp.zeros_like(a) if _is_float(a.dtype)
                       else np.zeros(a.shape, jax.dtypes.float0) for a in aux)
        return grads, aux_ct

    f.defvjp(f_fwd, f_bwd)
    try:
        res = f(tuple(vals[:n_in]), tuple(vals[n_in:]))
    except _UNTRACEABLE as e:
        raise TypeError(_NOT_TRACEABLE.format(op_type=b.op_type, err=e)) from e
    return list(res[:n_out]), list(res[n_out:])


_UNTRACEABLE = (TracerValueError, jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError,
                jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError)
_NOT_TRACEABLE = (
    "Custom {op_type!r} is registered with trace=True but its code needs concrete values "
    "({err.__class__.__name__}): numpy, asnumpy() or Python control flow on array values "
    "cannot be traced. Register it without trace=True (it then runs on the host through "
    "jax.pure_callback)."
)


def _traced(inputs: list[Any], vals: list[Any], attrs: dict[str, Any], ctx: Context | None,
            kind: type, out: Any) -> Any:
    op_type, kw = _split_attrs(attrs)
    ctx = ctx if ctx is not None else current_context()
    vals = [jnp.asarray(v) for v in vals]
    outs, new_aux = custom_function(vals, op_type, kw, STATE.training, ctx)
    n_in = len(vals) - len(new_aux)
    scope = STATE.param_scopes[-1] if STATE.param_scopes else None
    for a, v in zip(inputs[n_in:], new_aux):
        if not isinstance(a, NDArray):
            continue
        a._value = v
        if scope is not None:  # a block's parameter: hand the new value back as aux state
            for p, cur in list(scope.values.items()):
                if cur is a:
                    scope.values[p] = Symbol(v, ctx)
                    scope.written.add(p)
    return _wrap(outs, ctx, kind.traced_type, out)


def _dispatch(inputs: list[Any], vals: list[Any], attrs: dict[str, Any], traced: bool,
              ctx: Context | None, kind: type, ctx_arg: Any, out: Any) -> Any:
    if ctx is None and ctx_arg is not None:
        ctx = as_context(ctx_arg)
    if traced:
        return _traced(inputs, vals, attrs, ctx, kind, out)
    return _eager(inputs, vals, attrs, ctx, kind, out)


@_register_op("Custom")
def custom(*data: jax.Array, op_type: str, **kwargs: Any) -> Any:
    """Apply the Python operator registered as ``op_type`` (``mx.operator.register``) to
    ``data`` (its arguments, then its auxiliary states); keyword arguments reach the
    ``CustomOpProp`` as strings. Returns one output, or a list when the operator has several.

    Run directly (an ``mx.sym`` graph evaluated by jax), the auxiliary states' new values are
    dropped; called through ``mx.nd``/``F`` they are written back to the arrays passed in."""
    outs, _ = custom_function(list(data), op_type, kwargs, STATE.training, current_context())
    return outs[0] if len(outs) == 1 else outs


OPS["Custom"].custom = _dispatch


def aux_slots(attrs: dict[str, Any], n_inputs: int) -> tuple[int, ...]:
    """Input positions of a ``Custom`` graph node that are auxiliary states (after the
    property's arguments); used by ``mx.sym`` to list them."""
    kw = {k: v for k, v in attrs.items() if k != "op_type" and not k.startswith("__")}
    cls = _PROPS.get(str(attrs.get("op_type")))
    if cls is None:
        return ()
    n_args = len(cls(**{k: _as_str(v) for k, v in kw.items()}).list_arguments())
    return tuple(range(n_args, n_inputs))
