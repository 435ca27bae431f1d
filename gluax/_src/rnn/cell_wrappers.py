"""Recurrent cells that hold other cells (``mxnet.gluon.rnn.rnn_cell``): the containers
``SequentialRNNCell``, ``HybridSequentialRNNCell`` and ``BidirectionalCell``, and the
modifiers ``DropoutCell``, ``ModifierCell``, ``ZoneoutCell`` and ``ResidualCell``."""

from __future__ import annotations

from typing import Any, Callable

from gluax._src.gluon.block import Block, _indent
from gluax._src.ops.creation import zeros
from gluax._src.rnn.rnn_cell import (
    MODIFIED,
    HybridRecurrentCell,
    RecurrentCell,
    _cells_begin_state,
    _cells_state_info,
    _format_sequence,
    _get_begin_state,
    _is_tensor,
    _mask_sequence_variable_length,
    _reverse_sequences,
)


def _stack_repr(cell: Block) -> str:
    body = "\n".join(f"({i}): {_indent(repr(m), 2)}" for i, m in cell._children.items())
    return f"{type(cell).__name__}(\n{body}\n)"


class _StackMixin:
    """What SequentialRNNCell and HybridSequentialRNNCell share."""

    _children: Any
    _modified: bool
    _counter: int

    def add(self, cell: Any) -> None:
        """Append ``cell`` to the stack."""
        self.register_child(cell)  # type: ignore[attr-defined]

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """The begin states of every cell in the stack, in order."""
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, batch_size: int = 0, **kwargs: Any) -> list[Any]:
        """The begin states of every cell in the stack, concatenated."""
        if self._modified:
            raise RuntimeError(MODIFIED)
        return _cells_begin_state(self._children.values(), batch_size=batch_size, **kwargs)

    def _step(self, inputs: Any, states: Any) -> Any:
        self._counter += 1
        next_states = []
        p = 0
        for cell in self._children.values():
            n = len(cell.state_info())
            inputs, state = cell(inputs, states[p : p + n])
            p += n
            next_states.extend(state)
        return inputs, next_states

    def unroll(
        self,
        length: int,
        inputs: Any,
        begin_state: Any = None,
        layout: str = "NTC",
        merge_outputs: bool | None = None,
        valid_length: Any = None,
    ) -> tuple[Any, list[Any]]:
        """Unroll each cell in turn over the whole sequence (see ``RecurrentCell.unroll``)."""
        self.reset()  # type: ignore[attr-defined]
        inputs, _, _, batch_size = _format_sequence(length, inputs, layout, None)
        num_cells = len(self._children)
        begin_state = _get_begin_state(
            self, begin_state, inputs, batch_size, batch_axis=layout.find("N")
        )
        p = 0
        next_states: list[Any] = []
        for i, cell in enumerate(self._children.values()):
            n = len(cell.state_info())
            states = begin_state[p : p + n]
            p += n
            inputs, states = cell.unroll(
                length,
                inputs=inputs,
                begin_state=states,
                layout=layout,
                merge_outputs=None if i < num_cells - 1 else merge_outputs,
                valid_length=valid_length,
            )
            next_states.extend(states)
        return inputs, next_states

    def __getitem__(self, i: int) -> Any:
        return self._children[str(i)]

    def __len__(self) -> int:
        return len(self._children)

    def __repr__(self) -> str:
        return _stack_repr(self)  # type: ignore[arg-type]


class SequentialRNNCell(_StackMixin, RecurrentCell):
    """Stacks recurrent cells: each step feeds one cell's output to the next.

    Examples
    --------
    >>> import gluax as mx
    >>> stack = mx.gluon.rnn.SequentialRNNCell()
    >>> stack.add(mx.gluon.rnn.LSTMCell(4))
    >>> stack.add(mx.gluon.rnn.GRUCell(3))
    >>> len(stack.state_info(2))
    3
    """

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def __call__(self, inputs: Any, states: Any) -> Any:
        return self._step(inputs, states)


class HybridSequentialRNNCell(_StackMixin, HybridRecurrentCell):
    """Stacks hybrid recurrent cells; ``hybridize()`` compiles each cell's step."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def __call__(self, inputs: Any, states: Any) -> Any:
        return self._step(inputs, states)

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        """One step through every cell in order; each cell's output is the next one's input.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        inputs : NDArray or Symbol
            This time step's input, ``(batch, input_size)``.
        states : list of NDArray or Symbol
            The states from the previous step (see ``state_info``).

        Returns
        -------
        output : NDArray or Symbol
            ``(batch, hidden_size)``.
        new_states : list of NDArray or Symbol
            The new states of all cells, concatenated in order.
        """
        return self._step(inputs, states)


class DropoutCell(HybridRecurrentCell):
    """Dropout on the input of each step (training mode only); states pass unchanged.

    Parameters
    ----------
    rate : float
        Fraction of the elements to drop.
    axes : tuple of int, default ()
        Axes along which one dropout mask value is shared.
    """

    def __init__(
        self, rate: float, axes: tuple[int, ...] = (), prefix: str | None = None, params: Any = None
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)):
            raise TypeError(f"DropoutCell: rate must be a number, got {type(rate).__name__}.")
        super().__init__(prefix, params)
        self._rate, self._axes = rate, axes

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rate={self._rate}, axes={self._axes})"

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """No states: a dropout cell is stateless; returns ``[]``."""
        return []

    def _alias(self) -> str:
        return "dropout"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        """Apply dropout to the input (training mode only); the states pass through unchanged.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        inputs : NDArray or Symbol
            This time step's input, ``(batch, input_size)``.
        states : list of NDArray or Symbol
            The states from the previous step (see ``state_info``).

        Returns
        -------
        output : NDArray or Symbol
            ``(batch, hidden_size)``.
        new_states : list of NDArray or Symbol
            ``states``, unchanged.
        """
        if self._rate > 0:
            inputs = F.Dropout(inputs, p=self._rate, axes=self._axes)
        return inputs, states

    def unroll(
        self,
        length: int,
        inputs: Any,
        begin_state: Any = None,
        layout: str = "NTC",
        merge_outputs: bool | None = None,
        valid_length: Any = None,
    ) -> tuple[Any, list[Any]]:
        """A tensor input gets one dropout over the whole sequence; a list, one per step.
        As in MXNet, ``valid_length`` is not applied here."""
        self.reset()
        inputs, _, F, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if _is_tensor(inputs):
            return self.hybrid_forward(F, inputs, begin_state if begin_state else [])
        return super().unroll(
            length, inputs, begin_state=begin_state, layout=layout, merge_outputs=merge_outputs
        )


# ---- modifiers ----------------------------------------------------------------------------


class ModifierCell(HybridRecurrentCell):
    """Base class of cells that wrap a ``base_cell`` and change its behaviour. The base cell
    must afterwards be used only through the modifier."""

    def __init__(self, base_cell: Any) -> None:
        if base_cell._modified:
            raise RuntimeError(
                f"Cell {base_cell.name} is already modified. One cell cannot be modified twice."
            )
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self) -> Any:
        """The wrapped cell's parameters."""
        return self.base_cell.params

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """The wrapped cell's begin states."""
        return self.base_cell.state_info(batch_size)

    def begin_state(
        self, batch_size: int = 0, func: Callable[..., Any] = zeros, **kwargs: Any
    ) -> list[Any]:
        """The base cell's begin states.

        Notes
        -----
        MXNet 1.9's default ``func`` here is ``symbol.zeros`` (a Symbol even for NDArray
        code); gluax creates zeros like every other cell."""
        if self._modified:
            raise RuntimeError(MODIFIED)
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(batch_size=batch_size, func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        """One step of the modified cell; subclasses define the modification."""
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward().")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_cell!r})"


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al., 2016): in training, each output and state element keeps its
    previous value with probability ``zoneout_outputs`` / ``zoneout_states``.

    Notes
    -----
    The previous output is Python state between steps, as in MXNet; so that no traced value
    outlives its compilation, ``hybridize()`` compiles the base cell but runs this wrapper
    eagerly.
    """

    def __init__(
        self, base_cell: Any, zoneout_outputs: float = 0.0, zoneout_states: float = 0.0
    ) -> None:
        if isinstance(base_cell, BidirectionalCell):
            raise TypeError(
                "BidirectionalCell doesn't support zoneout since it doesn't support step. "
                "Please add ZoneoutCell to the cells underneath instead."
            )
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output: Any = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(p_out={self.zoneout_outputs}, "
            f"p_state={self.zoneout_states}, {self.base_cell!r})"
        )

    def _alias(self) -> str:
        return "zoneout"

    def reset(self) -> None:
        """Forget the previous step's output, before a new sequence."""
        super().reset()
        self._prev_output = None

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Hybridize the wrapped cell; this cell itself always runs eagerly, since it keeps Python state between steps.

        Parameters
        ----------
        active : bool, default True
        **kwargs
            Passed on to ``HybridBlock.hybridize``.
        """
        super().hybridize(active, **kwargs)
        self._active = False

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        """One step of the wrapped cell, then zoneout: in training mode each output and state element keeps its previous value with probability ``zoneout_outputs`` / ``zoneout_states``.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        inputs : NDArray or Symbol
            This time step's input, ``(batch, input_size)``.
        states : list of NDArray or Symbol
            The states from the previous step (see ``state_info``).

        Returns
        -------
        output : NDArray or Symbol
            ``(batch, hidden_size)``.
        new_states : list of NDArray or Symbol
            The new states, after zoneout.
        """
        p_out, p_state = self.zoneout_outputs, self.zoneout_states
        next_output, next_states = self.base_cell(inputs, states)

        def mask(p: float, like: Any) -> Any:
            return F.Dropout(F.ones_like(like), p=p)

        prev_output = self._prev_output
        if prev_output is None:
            prev_output = F.zeros_like(next_output)
        output = (
            F.where(mask(p_out, next_output), next_output, prev_output)
            if p_out != 0.0
            else next_output
        )
        if p_state != 0.0:
            states = [
                F.where(mask(p_state, new), new, old) for new, old in zip(next_states, states)
            ]
        else:
            states = next_states
        self._prev_output = output
        return output, states


class ResidualCell(ModifierCell):
    """Adds a residual connection (Wu et al., 2016): ``output = base_cell(x) + x``.

    Examples
    --------
    >>> import gluax as mx
    >>> cell = mx.gluon.rnn.ResidualCell(mx.gluon.rnn.GRUCell(3, input_size=3))
    >>> cell.initialize()
    >>> out, _ = cell.unroll(2, mx.nd.zeros((1, 2, 3)), merge_outputs=True)
    >>> out.shape
    (1, 2, 3)
    """

    def __init__(self, base_cell: Any) -> None:
        super().__init__(base_cell)

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        """One step of the wrapped cell, with the input added to its output."""
        output, states = self.base_cell(inputs, states)
        return F.elemwise_add(output, inputs), states

    def unroll(
        self,
        length: int,
        inputs: Any,
        begin_state: Any = None,
        layout: str = "NTC",
        merge_outputs: bool | None = None,
        valid_length: Any = None,
    ) -> tuple[Any, list[Any]]:
        """Unroll the base cell, then add the (masked) inputs to its outputs."""
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(
                length,
                inputs=inputs,
                begin_state=begin_state,
                layout=layout,
                merge_outputs=merge_outputs,
                valid_length=valid_length,
            )
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = _is_tensor(outputs)
        inputs, axis, F, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if valid_length is not None:
            inputs = _mask_sequence_variable_length(
                F, inputs, length, valid_length, axis, merge_outputs
            )
        if merge_outputs:
            return F.elemwise_add(outputs, inputs), states
        return [F.elemwise_add(o, i) for o, i in zip(outputs, inputs)], states


class BidirectionalCell(HybridRecurrentCell):
    """Runs ``l_cell`` forward and ``r_cell`` backward over a sequence and concatenates their
    outputs on the feature axis. Only ``unroll`` is possible (no single step).

    Parameters
    ----------
    l_cell, r_cell : RecurrentCell
    output_prefix : str, default 'bi_'
    """

    def __init__(self, l_cell: Any, r_cell: Any, output_prefix: str = "bi_") -> None:
        super().__init__(prefix="", params=None)
        self.register_child(l_cell, "l_cell")
        self.register_child(r_cell, "r_cell")
        self._output_prefix = output_prefix

    def __call__(self, inputs: Any, states: Any) -> Any:
        raise NotImplementedError("Bidirectional cannot be stepped. Please use unroll")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(forward={self._children['l_cell']!r}, "
            f"backward={self._children['r_cell']!r})"
        )

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """The begin states of the forward cell, then of the backward cell."""
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, batch_size: int = 0, **kwargs: Any) -> list[Any]:
        """The forward cell's begin states, then the backward cell's."""
        if self._modified:
            raise RuntimeError(MODIFIED)
        return _cells_begin_state(self._children.values(), batch_size=batch_size, **kwargs)

    def unroll(
        self,
        length: int,
        inputs: Any,
        begin_state: Any = None,
        layout: str = "NTC",
        merge_outputs: bool | None = None,
        valid_length: Any = None,
    ) -> tuple[Any, list[Any]]:
        """Unroll both directions; the backward one sees each sequence reversed within its
        ``valid_length``. Outputs are concatenated on the feature axis."""
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, False)
        reversed_inputs = list(_reverse_sequences(inputs, length, valid_length))
        states = _get_begin_state(self, begin_state, inputs, batch_size)
        l_cell, r_cell = self._children.values()
        n_l = len(l_cell.state_info(batch_size))
        l_outputs, l_states = l_cell.unroll(
            length,
            inputs=inputs,
            begin_state=states[:n_l],
            layout=layout,
            merge_outputs=merge_outputs,
            valid_length=valid_length,
        )
        r_outputs, r_states = r_cell.unroll(
            length,
            inputs=reversed_inputs,
            begin_state=states[n_l:],
            layout=layout,
            merge_outputs=False,
            valid_length=valid_length,
        )
        reversed_r_outputs = _reverse_sequences(r_outputs, length, valid_length)
        prefix = self._output_prefix
        if merge_outputs is None:
            merge_outputs = _is_tensor(l_outputs)
            l_outputs, _, _, _ = _format_sequence(None, l_outputs, layout, merge_outputs)
            reversed_r_outputs, _, _, _ = _format_sequence(
                None, reversed_r_outputs, layout, merge_outputs
            )
        if merge_outputs:
            if not _is_tensor(reversed_r_outputs):
                reversed_r_outputs = F.stack(*reversed_r_outputs, axis=axis)
            outputs = F.concat(l_outputs, reversed_r_outputs, dim=2, name=f"{prefix}out")
        else:
            outputs = [
                F.concat(lo, ro, dim=1, name=f"{prefix}t{i}")
                for i, (lo, ro) in enumerate(zip(l_outputs, reversed_r_outputs))
            ]
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(
                F, outputs, length, valid_length, axis, merge_outputs
            )
        return outputs, l_states + r_states
