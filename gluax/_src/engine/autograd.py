"""``mx.autograd``: recording scopes, training mode, backward and grad.

Training mode is a thread-local flag, as in MXNet: ``record()`` turns it on by default, so a
bare ``net(x)`` outside ``record()`` runs in inference mode (BatchNorm uses its running
statistics, Dropout is the identity).
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp

from gluax._src.engine import tape as _tape
from gluax._src.engine.base import MXNetError
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.state import STATE


class _Scope:
    """Sets recording and/or training for a ``with`` block and restores them after."""

    def __init__(self, recording: bool | None, training: bool | None) -> None:
        self._rec, self._train = recording, training
        self._prev: tuple[bool, bool] | None = None

    def __enter__(self) -> _Scope:
        self._prev = (STATE.recording, STATE.training)
        if self._rec is not None:
            STATE.recording = self._rec
        if self._train is not None:
            STATE.training = self._train
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._prev is not None
        STATE.recording, STATE.training = self._prev


def record(train_mode: bool = True) -> _Scope:
    """Record operations for ``backward``; by default also switches to training mode.

    Examples
    --------
    >>> import gluax as mx
    >>> x = mx.nd.array([1.0, 2.0]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = x * x
    >>> y.backward(); x.grad.asnumpy().tolist()
    [2.0, 4.0]
    """
    return _Scope(True, train_mode)


def pause(train_mode: bool = False) -> _Scope:
    """Stop recording inside a ``record()`` block; by default also switches to predict mode."""
    return _Scope(False, train_mode)


def train_mode() -> _Scope:
    """Switch to training mode without changing recording."""
    return _Scope(None, True)


def predict_mode() -> _Scope:
    """Switch to inference mode without changing recording."""
    return _Scope(None, False)


def is_recording() -> bool:
    """Whether operations are being recorded."""
    return STATE.recording


def is_training() -> bool:
    """Whether layers run in training mode (BatchNorm batch statistics, Dropout active)."""
    return STATE.training


def set_recording(is_recording: bool) -> bool:  # noqa: FBT001 - MXNet's signature
    """Set recording on or off; returns the previous value."""
    prev, STATE.recording = STATE.recording, bool(is_recording)
    return prev


def set_training(train_mode: bool) -> bool:  # noqa: FBT001
    """Set training mode on or off; returns the previous value."""
    prev, STATE.training = STATE.training, bool(train_mode)
    return prev


def mark_variables(
    variables: NDArray | Sequence[NDArray],
    gradients: NDArray | Sequence[NDArray],
    grad_reqs: str | Sequence[str] = "write",
) -> None:
    """Mark arrays as variables whose gradients ``backward`` writes into ``gradients``."""
    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]  # type: ignore[list-item]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    for v, g, r in zip(variables, gradients, grad_reqs):  # type: ignore[arg-type]
        v._ag = None if r == "null" else _tape.VarInfo(r, g)


def _head_grads(heads: list[NDArray], head_grads: Any) -> list[Any]:
    if head_grads is None:
        return [None] * len(heads)
    if isinstance(head_grads, NDArray):
        head_grads = [head_grads]
    if len(head_grads) != len(heads):
        raise ValueError(
            f"backward: got {len(heads)} head(s) but {len(head_grads)} head gradient(s)."
        )
    out = []
    for h, g in zip(heads, head_grads):
        if g is None:
            out.append(None)
            continue
        gv = g._value if isinstance(g, NDArray) else jnp.asarray(g)
        if tuple(gv.shape) != h.shape:
            raise ValueError(
                f"backward: head gradient of shape {tuple(gv.shape)} does not match the head's "
                f"shape {h.shape}."
            )
        out.append(gv.astype(h._value.dtype))
    return out


def backward(
    heads: NDArray | Sequence[NDArray],
    head_grads: NDArray | Sequence[NDArray | None] | None = None,
    retain_graph: bool = False,
    train_mode: bool = True,
) -> None:
    """Compute the gradients of ``heads`` w.r.t. the marked variables into their ``.grad``.

    A head that is not a scalar is differentiated as if summed (head gradient of ones).
    ``grad_req='write'`` overwrites a variable's gradient, ``'add'`` accumulates into it.
    """
    if isinstance(heads, NDArray):
        heads = [heads]
    heads = list(heads)
    _tape.backward(heads, _head_grads(heads, head_grads), retain_graph)


def grad(
    heads: NDArray | Sequence[NDArray],
    variables: NDArray | Sequence[NDArray],
    head_grads: NDArray | Sequence[NDArray | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    train_mode: bool = True,
) -> list[NDArray]:
    """Gradients of ``heads`` w.r.t. ``variables``, returned as a list of new arrays (a list
    even for a single variable, as MXNet 1.9.1 returns); ``.grad`` buffers are left untouched.
    With ``create_graph=True`` the returned gradients are themselves recorded, so they can be
    differentiated again."""
    var_list = [variables] if isinstance(variables, NDArray) else list(variables)
    if isinstance(heads, NDArray):
        heads = [heads]
    heads = list(heads)
    for v in var_list:
        if not isinstance(v._ag, _tape.VarInfo):
            raise MXNetError(
                "autograd.grad: every variable must be marked with attach_grad() (or be a "
                "Parameter's data) before recording."
            )
    if create_graph:
        hg = _head_grads(heads, head_grads)
        hg = [None if g is None else type(h).eager_type(g, h._ctx) for g, h in zip(hg, heads)]
        with record(train_mode=train_mode):
            gs = _tape.run_backward_graph(heads, hg, var_list)
        return [
            type(v).eager_type(jnp.zeros_like(v._value), v._ctx) if g is None else _as_type_of(g, v)
            for g, v in zip(gs, var_list)
        ]
    retain = create_graph if retain_graph is None else retain_graph
    grads = _tape.run_backward(heads, _head_grads(heads, head_grads), retain)
    out = []
    for v in var_list:
        hit = grads.get(id(v._ag))
        val = jnp.zeros_like(v._value) if hit is None else hit[1].astype(v._value.dtype)
        out.append(type(v).eager_type(val, v._ctx))  # np.ndarray for np.ndarray
    return out


def _as_type_of(g: NDArray, v: NDArray) -> NDArray:
    """``g`` with the array type of ``v`` (an ``np.ndarray`` variable gets one), same tape."""
    t = type(v).eager_type
    if type(g) is t:
        return g
    r = t(g._value, g._ctx)
    r._ag = g._ag
    return r


class Function:
    """A user-defined differentiable function, as ``mx.autograd.Function``.

    Subclass it with ``forward(self, *inputs)`` and ``backward(self, *output_grads)``
    (NDArrays in and out); call an instance once, like a function. ``forward`` runs with
    recording paused; ``backward`` returns one gradient per input.
    """

    def __init__(self) -> None:
        self._saved: tuple[NDArray, ...] = ()

    def save_for_backward(self, *args: NDArray) -> None:
        """Keep arrays from ``forward`` for use in ``backward`` (see ``saved_tensors``).

        Parameters
        ----------
        *args : NDArray
        """
        self._saved = args

    @property
    def saved_tensors(self) -> tuple[NDArray, ...]:
        """The arrays given to ``save_for_backward``, as a tuple."""
        return self._saved

    def forward(self, *inputs: NDArray) -> Any:
        """Compute the outputs; override it.

        Parameters
        ----------
        *inputs : NDArray
            The arrays the function was called with.

        Returns
        -------
        NDArray or tuple of NDArray
        """
        raise NotImplementedError

    def backward(self, *output_grads: NDArray) -> Any:
        """Compute the gradients of the inputs from those of the outputs; override it.

        Parameters
        ----------
        *output_grads : NDArray
            One gradient per output of ``forward``.

        Returns
        -------
        NDArray or tuple of NDArray
            One gradient per input of ``forward``, each of that input's shape.
        """
        raise NotImplementedError

    def __call__(self, *inputs: NDArray) -> Any:
        with pause(train_mode=STATE.training):
            outputs = self.forward(*inputs)
        multi = isinstance(outputs, (list, tuple))
        outs = list(outputs) if multi else [outputs]
        tracked = [i for i, x in enumerate(inputs) if isinstance(x, NDArray) and x._ag is not None]
        if STATE.recording and tracked:
            outs = [o.detach() for o in outs]
            ctxs = [x._ctx for x in inputs]

            def bwd(cts: list[Any]) -> list[Any]:
                with pause():
                    gs = self.backward(*[NDArray(c, o._ctx) for c, o in zip(cts, outs)])
                gs = list(gs) if isinstance(gs, (list, tuple)) else [gs]
                if len(gs) != len(inputs):
                    raise ValueError(
                        f"{type(self).__name__}.backward returned {len(gs)} gradient(s) for "
                        f"{len(inputs)} input(s)."
                    )
                return [jax.device_put(gs[i]._value, ctxs[i].jax_device) for i in tracked]

            node = _tape.Node(
                type(self).__name__,
                bwd,
                [inputs[i]._ag for i in tracked],
                [(o.shape, o._value.dtype) for o in outs],
            )
            for k, o in enumerate(outs):
                o._ag = _tape.OutInfo(node, k)
            return outs if multi else outs[0]
        return outputs
