"""Control flow inside ``hybrid_forward``: ``F.contrib.foreach``, ``F.contrib.while_loop`` and
``F.contrib.cond`` (MXNet 1.9.1's ``mx.nd.contrib`` / ``mx.sym.contrib`` functions).

Each function has two paths, as MXNet has an NDArray and a Symbol version:

* eagerly (NDArray inputs), the Python loop or branch runs op by op, exactly as MXNet's NDArray
  versions do, so ``autograd.record()`` sees every operator of every iteration;
* inside a trace (a hybridized block, ``F`` is ``mx.sym``), the body is traced once and compiled
  into ``lax.scan`` (foreach, and while_loop as a bounded scan) or ``lax.cond`` (cond), which
  are differentiable, so a hybridized block that loops still has a backward pass.

User functions always receive and return gluax arrays (``NDArray`` eagerly, ``Symbol`` when
traced); the jax values are unwrapped and rewrapped at the boundary. Arrays the body closes
over (a Parameter's data, other inputs) are ordinary values of the enclosing trace, so their
gradients flow through the loop. Random operators inside a traced body draw from a key split
per iteration (per branch for cond) off the block's traced key, so a Dropout inside a
hybridized foreach drops different units at every step and on every call.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax import lax

from gluax._src.engine.ndarray import NDArray, Symbol, TracerValueError
from gluax._src.engine.random import TraceKeySource
from gluax._src.engine.registry import call
from gluax._src.engine.state import STATE

AUX_WRITE_IN_BODY = (
    "{op}: a layer inside the {what} wrote a parameter (e.g. BatchNorm updating its running "
    "statistics) while the block was hybridized. State written inside a compiled loop or branch "
    "cannot be handed back out of it. Keep stateful layers outside the loop body, use "
    "use_global_stats=True / autograd.predict_mode() there, or run the block eagerly "
    "(hybridize(active=False))."
)


# ---- nested lists of arrays ------------------------------------------------------------------
def _flatten(args: Any, op: str, what: str) -> tuple[list[NDArray], Any]:
    """Leaves of a nested list/tuple of arrays and its format (0 for a bare array, else a
    list of formats), as MXNet's ``_flatten``."""
    if isinstance(args, NDArray):
        return [args], 0
    if not isinstance(args, (list, tuple)):
        raise TypeError(
            f"{op}: {what} must be an NDArray or a (nested) list of NDArrays, got "
            f"{type(args).__name__}: {args!r}."
        )
    flat: list[NDArray] = []
    fmts: list[Any] = []
    for a in args:
        leaves, fmt = _flatten(a, op, what)
        flat.extend(leaves)
        fmts.append(fmt)
    return flat, fmts


def _regroup(flat: list[Any], fmt: Any) -> tuple[Any, list[Any]]:
    """Inverse of ``_flatten``: rebuild the nested lists; returns (tree, unused leaves)."""
    if isinstance(fmt, int):
        return flat[0], flat[1:]
    out = []
    for f in fmt:
        item, flat = _regroup(flat, f)
        out.append(item)
    return out, flat


def _unflatten(flat: list[Any], fmt: Any) -> Any:
    return _regroup(list(flat), fmt)[0]


def _traced(flat: list[NDArray]) -> bool:
    """Compile the control flow (instead of running it in Python)?"""
    return STATE.tracing > 0 or any(isinstance(a._value, jax.core.Tracer) for a in flat)


def _ctx(flat: list[NDArray]) -> Any:
    return flat[0]._ctx if flat else None


def _wrap(values: list[Any], ctx: Any) -> list[Symbol]:
    return [Symbol(v, ctx) for v in values]


# ---- random keys and parameter writes inside a traced body -----------------------------------
class _Keys:
    """Keys for the random operators of a traced body, split off the enclosing trace's key.

    The split is taken back (the enclosing key source restored) when the body turns out to
    draw no randomness, so a block without random operators still needs no key."""

    def __init__(self) -> None:
        self.outer = STATE.key_sources[-1] if STATE.key_sources else None
        self.base = None
        self.used = False
        if self.outer is not None:
            self.saved = (self.outer.key, self.outer.used)
            self.base = self.outer.next()

    def split(self, n: int) -> Any:
        return None if self.base is None else jax.random.split(self.base, n)

    def finish(self) -> None:
        if self.outer is not None and not self.used:
            self.outer.key, self.outer.used = self.saved


class _Body:
    """Runs a user function inside a traced body: random operators draw from ``key``, and a
    parameter write (which would leak the body's traced values) is refused."""

    def __init__(self, keys: _Keys | None, key: Any, op: str, what: str) -> None:
        self.keys, self.key, self.op, self.what = keys, key, op, what

    def __enter__(self) -> None:
        self.source = TraceKeySource(self.key) if self.key is not None else None
        if self.source is not None:
            STATE.key_sources.append(self.source)
        self.scope = STATE.param_scopes[-1] if STATE.param_scopes else None
        if self.scope is not None:
            self.before = (dict(self.scope.values), set(self.scope.written))

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if self.source is not None:
            STATE.key_sources.pop()
            if self.source.used and self.keys is not None:
                self.keys.used = True
        if self.scope is not None:
            values, written = self.before
            changed = any(self.scope.values.get(p) is not v for p, v in values.items()) or len(
                self.scope.values
            ) != len(values)
            if changed:
                self.scope.values.clear()
                self.scope.values.update(values)
                self.scope.written = written
                if exc_type is None:
                    raise NotImplementedError(AUX_WRITE_IN_BODY.format(op=self.op, what=self.what))


def _check_same(op: str, what: str, ref_name: str, ref: list[Any], got: list[Any]) -> None:
    """Loop states (or branch outputs) must keep their shapes and dtypes."""
    for i, (r, g) in enumerate(zip(ref, got)):
        if tuple(r.shape) != tuple(g.shape) or jnp.dtype(r.dtype) != jnp.dtype(g.dtype):
            raise ValueError(
                f"{op}: {what} {i} has shape {tuple(g.shape)} and dtype "
                f"{jnp.dtype(g.dtype).name}, but {ref_name} {i} has shape {tuple(r.shape)} and "
                f"dtype {jnp.dtype(r.dtype).name}. A compiled loop or branch needs the same "
                f"shapes and dtypes (MXNet's Symbol version requires it too)."
            )


def _scalar_value(op: str, what: str, x: Any) -> Any:
    """The traced boolean of a one-element array (``cond``'s pred, ``while_loop``'s cond)."""
    if not isinstance(x, NDArray):
        raise TypeError(
            f"{op}: {what} must be an NDArray with one element, got {type(x).__name__}: {x!r}."
        )
    if x.size != 1:
        raise ValueError(f"{op}: {what} must have exactly one element, got shape {x.shape}.")
    return x._value.reshape(()) != 0


def _eager_bool(op: str, what: str, x: Any) -> bool:
    if isinstance(x, NDArray):
        if x.size != 1:
            raise ValueError(f"{op}: {what} must have exactly one element, got shape {x.shape}.")
        return bool(x.asscalar())
    try:
        return bool(x)
    except Exception as e:
        raise TypeError(f"{op}: cannot convert {what} {x!r} to a Python bool.") from e


# ---- foreach -----------------------------------------------------------------------------------
def foreach(body: Callable[..., Any], data: Any, init_states: Any, name: str = "foreach") -> Any:
    """Run ``body`` over the slices of ``data`` along axis 0, threading loop states through.

    Equivalent to::

        states = init_states
        outs = []
        for i in range(data.shape[0]):
            out, states = body(data[i], states)
            outs.append(out)
        outs = stack(*outs)          # per output, along a new axis 0

    Parameters
    ----------
    body : callable
        ``body(data_slice, states) -> (out, new_states)``. ``data_slice`` is an NDArray when
        ``data`` is one, else a list with one slice per array; ``states`` has the structure of
        ``init_states``. ``out`` is an NDArray or a (nested) list of NDArrays (possibly ``[]``);
        ``new_states`` must have the structure of ``init_states``.
    data : NDArray or list of NDArray
        Arrays with the same length along axis 0 (the number of iterations).
    init_states : NDArray or nested list of NDArray
        The initial loop states.
    name : str, default 'foreach'
        Accepted for MXNet compatibility (the Symbol version's node name); unused.

    Returns
    -------
    outputs : NDArray or nested list of NDArray
        Each output of ``body`` stacked over the iterations (axis 0), in ``out``'s structure.
    states : NDArray or nested list of NDArray
        The states after the last iteration.

    Raises
    ------
    TypeError
        When ``data``, ``init_states`` or ``body``'s results are not (nested lists of)
        NDArrays.
    ValueError
        When the data arrays differ in length or have none, or ``body`` returns states of
        another structure than ``init_states`` (or, compiled, of other shapes or dtypes).

    Notes
    -----
    Eagerly the loop runs in Python, as MXNet's NDArray version does, and returns the states
    exactly as the last ``body`` call returned them. Inside a hybridized block it compiles to
    one ``lax.scan``: ``body`` is traced once, the states must keep their shapes and dtypes,
    and the states come back as lists shaped like ``init_states`` (as MXNet's Symbol version
    returns them). gluax checks eagerly too that ``body`` keeps the states' nesting.

    Examples
    --------
    >>> step = lambda x, states: (x + states[0], [states[0] * 2])
    >>> outs, states = mx.nd.contrib.foreach(step, mx.nd.ones((3, 2)), [mx.nd.ones((2,))])
    >>> outs.asnumpy().tolist(), states[0].asnumpy().tolist()
    ([[2.0, 2.0], [3.0, 3.0], [5.0, 5.0]], [8.0, 8.0])
    """
    op = "contrib.foreach"
    if not callable(body):
        raise TypeError(f"{op}: body must be callable, got {type(body).__name__}.")
    flat_data, data_fmt = _flatten(data, op, "data")
    flat_states, state_fmt = _flatten(init_states, op, "init_states")
    if not flat_data:
        raise ValueError(f"{op}: data must hold at least one NDArray, got {data!r}.")
    for d in flat_data:
        if d.ndim == 0:
            raise ValueError(f"{op}: data arrays are sliced along axis 0; got a 0-d array.")
    lengths = {d.shape[0] for d in flat_data}
    if len(lengths) != 1:
        raise ValueError(
            f"{op}: all data arrays must have the same length along axis 0, got shapes "
            f"{[d.shape for d in flat_data]}."
        )
    n = lengths.pop()
    if n == 0:
        raise ValueError(
            f"{op}: data has length 0 along axis 0; the loop needs at least one iteration "
            f"(got shapes {[d.shape for d in flat_data]})."
        )
    if _traced(flat_data + flat_states):
        return _foreach_traced(body, flat_data, data_fmt, flat_states, state_fmt, n)

    states = init_states
    per_step: list[list[NDArray]] = []
    out_fmt: Any = None
    for i in range(n):
        if isinstance(data, NDArray):
            eles = data[i]
        else:
            eles = _unflatten([d[i] for d in flat_data], data_fmt)
        out, states = _call_body(op, body, eles, states)
        flat_out, out_fmt = _flatten(out, op, "the output of body")
        _, fmt = _flatten(states, op, "the states returned by body")
        if fmt != state_fmt:
            raise ValueError(
                f"{op}: body returned states nested as {fmt}, but init_states is nested as "
                f"{state_fmt} (0 is one NDArray, a list one level of nesting)."
            )
        per_step.append(flat_out)
    stacked = [call("stack", *outs, axis=0) for outs in zip(*per_step)]
    return _unflatten(stacked, out_fmt), states


def _call_body(op: str, body: Callable[..., Any], *args: Any) -> tuple[Any, Any]:
    res = body(*args)
    if not isinstance(res, (tuple, list)) or len(res) != 2:
        raise TypeError(
            f"{op}: the body function must return a pair (outputs, states), got "
            f"{type(res).__name__}: {res!r}."
        )
    return res[0], res[1]


def _foreach_traced(
    body: Callable[..., Any],
    flat_data: list[NDArray],
    data_fmt: Any,
    flat_states: list[NDArray],
    state_fmt: Any,
    n: int,
) -> tuple[Any, Any]:
    op = "contrib.foreach"
    ctx = _ctx(flat_data)
    keys = _Keys()
    out_fmt: list[Any] = []

    def step(carry: list[Any], xs: tuple[list[Any], Any]) -> tuple[list[Any], list[Any]]:
        slices, key = xs
        eles = _unflatten(_wrap(slices, ctx), data_fmt)
        states = _unflatten(_wrap(carry, ctx), state_fmt)
        with _Body(keys, key, op, "loop body"):
            out, new_states = _call_body(op, body, eles, states)
        flat_out, fmt_out = _flatten(out, op, "the output of body")
        flat_new, fmt_new = _flatten(new_states, op, "the states returned by body")
        if fmt_new != state_fmt:
            raise ValueError(
                f"{op}: body returned states nested as {fmt_new}, but init_states is nested as "
                f"{state_fmt} (0 is one NDArray, a list one level of nesting)."
            )
        _check_same(op, "state", "init_states", carry, [s._value for s in flat_new])
        out_fmt[:] = [fmt_out]
        return [s._value for s in flat_new], [o._value for o in flat_out]

    init = [s._value for s in flat_states]
    try:
        final, ys = lax.scan(step, init, ([d._value for d in flat_data], keys.split(n)))
    finally:
        keys.finish()
    return _unflatten(_wrap(ys, ctx), out_fmt[0]), _unflatten(_wrap(final, ctx), state_fmt)


# ---- while_loop --------------------------------------------------------------------------------
def while_loop(
    cond: Callable[..., Any],
    func: Callable[..., Any],
    loop_vars: Any,
    max_iterations: Any = None,
    name: str = "while_loop",
) -> tuple[Any, Any]:
    """Repeat ``func`` while ``cond`` holds, at most ``max_iterations`` times.

    Equivalent to::

        steps, outs = 0, []
        while steps < max_iterations and cond(*loop_vars):
            step_output, loop_vars = func(*loop_vars)
            outs.append(step_output)
            steps += 1
        outs = stack(*outs) padded to max_iterations rows   # per output

    Parameters
    ----------
    cond : callable
        ``cond(*loop_vars)`` returns a one-element NDArray; the loop stops when it is zero.
    func : callable
        ``func(*loop_vars) -> (step_output, new_loop_vars)``. ``step_output`` is an NDArray,
        a (nested) list of NDArrays, or ``None``/``[]``; ``new_loop_vars`` has the structure
        of ``loop_vars``.
    loop_vars : NDArray or nested list of NDArray
        The initial loop variables.
    max_iterations : int
        The largest number of iterations; the stacked outputs have this many rows.
    name : str, default 'while_loop'
        Accepted for MXNet compatibility; unused.

    Returns
    -------
    outputs : NDArray or nested list of NDArray
        Each step output stacked along axis 0 and padded to ``max_iterations`` rows (rows past
        the last iteration are zeros in gluax; MXNet leaves them uninitialized). Eagerly, ``[]``
        when ``cond`` fails at once (as MXNet's NDArray version).
    loop_vars : NDArray or list of NDArray
        The loop variables after the last iteration.

    Raises
    ------
    ValueError
        When ``max_iterations`` is missing, ``loop_vars`` is empty, ``cond`` does not return
        one element, or ``func`` changes the structure of the loop variables (or, compiled,
        their shapes or dtypes).

    Notes
    -----
    Eagerly this runs the Python loop of MXNet's NDArray version. Inside a hybridized block it
    compiles to a ``lax.scan`` of ``max_iterations`` steps in which a ``lax.cond`` skips
    ``func`` once ``cond`` has failed: unlike ``lax.while_loop``, a scan has a reverse-mode
    derivative, so the hybridized block can be trained through the loop (MXNet's while_loop
    has a backward pass too). ``func`` and ``cond`` are traced once; compiled outputs always
    have ``max_iterations`` rows (the Symbol version's shape), and the loop variables come
    back shaped like ``loop_vars``.

    Examples
    --------
    >>> cond = lambda i, s: i <= 5
    >>> func = lambda i, s: ([i + s], [i + 1, s + i])
    >>> outs, (i, s) = mx.nd.contrib.while_loop(
    ...     cond, func, [mx.nd.array([0]), mx.nd.array([1])], max_iterations=8)
    >>> outs[0].asnumpy().ravel().tolist(), s.asnumpy().tolist()
    ([1.0, 2.0, 4.0, 7.0, 11.0, 16.0, 0.0, 0.0], [16.0])
    """
    op = "contrib.while_loop"
    if not callable(cond) or not callable(func):
        raise TypeError(f"{op}: cond and func must be callable.")
    if max_iterations is None:
        raise ValueError(f"{op}: max_iterations must be given (an int).")
    if isinstance(max_iterations, NDArray):
        try:
            max_iterations = max_iterations.asscalar()
        except TracerValueError:
            raise ValueError(
                f"{op}: max_iterations fixes the length of the outputs, so it must be a Python "
                "int, not a traced array."
            ) from None
    try:
        max_iterations = int(max_iterations)
    except (TypeError, ValueError):
        raise ValueError(f"{op}: max_iterations must be an int, got {max_iterations!r}.") from None
    if max_iterations < 0:
        raise ValueError(f"{op}: max_iterations must be >= 0, got {max_iterations}.")
    single = isinstance(loop_vars, NDArray)
    if not single and isinstance(loop_vars, (list, tuple)) and len(loop_vars) == 0:
        raise ValueError(f"{op}: loop_vars should contain at least one element.")
    flat_vars, var_fmt = _flatten(loop_vars, op, "loop_vars")
    if _traced(flat_vars):
        return _while_traced(cond, func, flat_vars, var_fmt, max_iterations)

    vars_ = [loop_vars] if single else list(loop_vars)
    steps = 0
    per_step: list[list[NDArray]] = []
    out_fmt: Any = None
    while steps < max_iterations and _eager_bool(op, "the result of cond", cond(*vars_)):
        step_output, new_vars = _call_body(op, func, *vars_)
        step_output = [] if step_output is None else step_output
        new_vars = [] if new_vars is None else new_vars
        new_vars = [new_vars] if isinstance(new_vars, NDArray) else list(new_vars)
        _, fmt = _flatten(new_vars, op, "the loop_vars returned by func")
        if fmt != (var_fmt if not single else [0]):
            raise ValueError(
                f"{op}: func returned loop_vars nested as {fmt}, but loop_vars is nested as "
                f"{var_fmt if not single else [0]}; the loop variables must keep their structure."
            )
        vars_ = new_vars
        flat_out, out_fmt = _flatten(step_output, op, "the step output of func")
        if per_step and len(flat_out) != len(per_step[0]):
            raise ValueError(
                f"{op}: func returned {len(flat_out)} step outputs at step {steps}, but "
                f"{len(per_step[0])} at step 0; the number must be the same in each step."
            )
        per_step.append(flat_out)
        steps += 1
    stacked = []
    for k, items in enumerate(zip(*per_step)):
        shapes = {x.shape for x in items}
        if len(shapes) != 1:
            raise ValueError(
                f"{op}: the shapes of step output {k} differ between steps: "
                f"{[x.shape for x in items]}."
            )
        y = call("stack", *items, axis=0)
        if steps < max_iterations:
            pad = call("_zeros", shape=(max_iterations - steps,) + items[0].shape,
                       dtype=jnp.dtype(items[0]._value.dtype).name, ctx=items[0].context)
            y = call("concat", y, pad, dim=0)
        stacked.append(y)
    # No iteration: MXNet's NDArray version returns [] (it cannot infer the outputs).
    outputs = [] if steps == 0 else _unflatten(stacked, out_fmt)
    return outputs, (vars_[0] if single else vars_)


def _while_traced(
    cond: Callable[..., Any],
    func: Callable[..., Any],
    flat_vars: list[NDArray],
    var_fmt: Any,
    max_iterations: int,
) -> tuple[Any, Any]:
    op = "contrib.while_loop"
    ctx = _ctx(flat_vars)
    keys = _Keys()

    def as_args(values: list[Any]) -> list[Any]:
        tree = _unflatten(_wrap(values, ctx), var_fmt)
        return [tree] if var_fmt == 0 else list(tree)

    out_fmt: list[Any] = [None]

    def run_func(values: list[Any], key: Any) -> tuple[list[Any], list[Any]]:
        with _Body(keys, key, op, "loop body (func)"):
            step_output, new_vars = _call_body(op, func, *as_args(values))
        step_output = [] if step_output is None else step_output
        new_vars = [] if new_vars is None else new_vars
        if var_fmt != 0 and isinstance(new_vars, NDArray):
            new_vars = [new_vars]
        flat_out, fmt_out = _flatten(step_output, op, "the step output of func")
        flat_new, fmt_new = _flatten(new_vars, op, "the loop_vars returned by func")
        if var_fmt == 0 and isinstance(fmt_new, list) and len(fmt_new) == 1:
            flat_new, fmt_new = flat_new, fmt_new[0]
        if fmt_new != var_fmt:
            raise ValueError(
                f"{op}: func returned loop_vars nested as {fmt_new}, but loop_vars is nested as "
                f"{var_fmt}; the loop variables must keep their structure."
            )
        out_fmt[0] = fmt_out
        return [o._value for o in flat_out], [v._value for v in flat_new]

    def run_cond(values: list[Any], key: Any) -> Any:
        with _Body(keys, key, op, "loop condition"):
            c = cond(*as_args(values))
        return _scalar_value(op, "the result of cond", c)

    init = [v._value for v in flat_vars]
    try:
        # Shapes of the step outputs (the skipped steps' zeros need them), checked once.
        out_shapes, new_shapes = jax.eval_shape(lambda v: run_func(v, keys.base), init)
        _check_same(op, "loop variable", "loop_vars", init, new_shapes)

        def step(carry: tuple[Any, list[Any]], key: Any) -> tuple[Any, list[Any]]:
            active, values = carry
            kc, kf = (None, None) if key is None else tuple(jax.random.split(key))
            go = jnp.logical_and(active, run_cond(values, kc))

            def skip(values: list[Any]) -> tuple[list[Any], list[Any]]:
                return [jnp.zeros(s.shape, s.dtype) for s in out_shapes], values

            outs, new_values = lax.cond(go, lambda v: run_func(v, kf), skip, values)
            return (go, new_values), outs

        (_, final), ys = lax.scan(
            step, (jnp.asarray(True), init), keys.split(max_iterations), length=max_iterations
        )
    finally:
        keys.finish()
    return _unflatten(_wrap(ys, ctx), out_fmt[0]), _unflatten(_wrap(final, ctx), var_fmt)


# ---- cond --------------------------------------------------------------------------------------
def cond(
    pred: Any, then_func: Callable[[], Any], else_func: Callable[[], Any], name: str = "cond"
) -> Any:
    """Run ``then_func()`` if the one-element ``pred`` is non-zero, else ``else_func()``.

    Parameters
    ----------
    pred : NDArray
        One element; non-zero selects ``then_func``.
    then_func, else_func : callable
        Functions of no arguments returning an NDArray or a (nested) list of NDArrays; both
        must return the same structure, shapes and dtypes (checked when compiled). They use
        the arrays they need by closure.
    name : str, default 'cond'
        Accepted for MXNet compatibility; unused.

    Returns
    -------
    NDArray or nested list of NDArray
        The chosen branch's outputs.

    Raises
    ------
    ValueError
        When ``pred`` has more than one element, or (compiled) the branches' outputs differ in
        number, shape or dtype.

    Notes
    -----
    Eagerly only the chosen branch runs and its result is returned as is (MXNet's NDArray
    version). Inside a hybridized block both branches are traced into one ``lax.cond``, and
    the result comes back as lists shaped like ``then_func``'s output (the Symbol version).

    Examples
    --------
    >>> a = mx.nd.array([1.0, 2.0])
    >>> out = mx.nd.contrib.cond(a.sum() > 0, lambda: a * 2, lambda: a - 1)
    >>> out.asnumpy().tolist()
    [2.0, 4.0]
    """
    op = "contrib.cond"
    if not callable(then_func) or not callable(else_func):
        raise TypeError(f"{op}: then_func and else_func must be callable.")
    is_nd = isinstance(pred, NDArray)
    if not (is_nd and _traced([pred])):
        return then_func() if _eager_bool(op, "pred", pred) else else_func()
    p = _scalar_value(op, "pred", pred)
    ctx = pred._ctx
    keys = _Keys()
    fmts: dict[str, Any] = {}

    def branch(f: Callable[[], Any], which: str, key: Any) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            with _Body(keys, key, op, which):
                out = f()
            flat, fmts[which] = _flatten(out, op, f"the output of {which}")
            return [o._value for o in flat]

        return run

    try:
        kt, ke = (None, None) if keys.base is None else tuple(jax.random.split(keys.base))
        then_run, else_run = branch(then_func, "then_func", kt), branch(else_func, "else_func", ke)
        then_shapes = jax.eval_shape(then_run)
        else_shapes = jax.eval_shape(else_run)
        if len(then_shapes) != len(else_shapes):
            raise ValueError(
                f"{op}: then_func returns {len(then_shapes)} arrays and else_func "
                f"{len(else_shapes)}; both branches must return the same number of outputs."
            )
        _check_same(op, "else_func output", "then_func output", then_shapes, else_shapes)
        res = lax.cond(p, then_run, else_run)
    finally:
        keys.finish()
    return _unflatten(_wrap(res, ctx), fmts["then_func"])
