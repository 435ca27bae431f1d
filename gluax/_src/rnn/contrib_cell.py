"""Contributed recurrent cells (``mxnet.gluon.contrib.rnn``): ``VariationalDropoutCell`` and
``LSTMPCell``."""

from __future__ import annotations

from math import prod
from typing import Any

from gluax._src.rnn.cell_wrappers import BidirectionalCell, ModifierCell
from gluax._src.rnn.rnn_cell import (
    HybridRecurrentCell,
    _format_sequence,
    _get_begin_state,
    _is_tensor,
    _mask_sequence_variable_length,
)


class VariationalDropoutCell(ModifierCell):
    """Variational dropout (Gal and Ghahramani, 2016) on a base cell: one dropout mask per
    sequence, shared by all time steps, for the inputs, the first state and the outputs
    (three independent masks). Active in training mode only.

    The masks are drawn at the first step and kept until ``reset()`` (``unroll`` resets);
    when stepping by hand, call ``reset()`` between sequences.

    Parameters
    ----------
    base_cell : RecurrentCell
    drop_inputs, drop_states, drop_outputs : float, default 0.
        Dropout rates; 0 disables that dropout.

    Notes
    -----
    The masks are Python state between steps, as in MXNet; ``hybridize()`` compiles the base
    cell and runs this wrapper eagerly, so that no traced mask outlives its compilation.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon.contrib.rnn import VariationalDropoutCell
    >>> cell = VariationalDropoutCell(mx.gluon.rnn.GRUCell(3), drop_inputs=0.5)
    >>> cell.initialize()
    >>> out, _ = cell.unroll(4, mx.nd.ones((2, 4, 5)), merge_outputs=True)
    >>> out.shape
    (2, 4, 3)
    """

    def __init__(
        self,
        base_cell: Any,
        drop_inputs: float = 0.0,
        drop_states: float = 0.0,
        drop_outputs: float = 0.0,
    ) -> None:
        if drop_states and isinstance(base_cell, BidirectionalCell):
            raise TypeError(
                "BidirectionalCell doesn't support variational state dropout. Please add "
                "VariationalDropoutCell to the cells underneath instead."
            )
        super().__init__(base_cell)
        self.drop_inputs, self.drop_states, self.drop_outputs = (
            drop_inputs,
            drop_states,
            drop_outputs,
        )
        self.drop_inputs_mask: Any = None
        self.drop_states_mask: Any = None
        self.drop_outputs_mask: Any = None

    def _alias(self) -> str:
        return "vardrop"

    def reset(self) -> None:
        """Forget the masks, so the next sequence draws new ones."""
        super().reset()
        self.drop_inputs_mask = self.drop_states_mask = self.drop_outputs_mask = None

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

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p_out = {self.drop_outputs}, p_state = {self.drop_states})"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> Any:
        """One step of the wrapped cell with variational dropout: the same masks on inputs, states and outputs at every step of a sequence."""
        if self.drop_states and self.drop_states_mask is None:
            self.drop_states_mask = F.Dropout(F.ones_like(states[0]), p=self.drop_states)
        if self.drop_inputs and self.drop_inputs_mask is None:
            self.drop_inputs_mask = F.Dropout(F.ones_like(inputs), p=self.drop_inputs)
        if self.drop_states:
            states = [states[0] * self.drop_states_mask, *states[1:]]
        if self.drop_inputs:
            inputs = inputs * self.drop_inputs_mask
        output, next_states = self.base_cell(inputs, states)
        if self.drop_outputs:
            if self.drop_outputs_mask is None:
                self.drop_outputs_mask = F.Dropout(F.ones_like(output), p=self.drop_outputs)
            output = output * self.drop_outputs_mask
        return output, next_states

    def unroll(
        self,
        length: int,
        inputs: Any,
        begin_state: Any = None,
        layout: str = "NTC",
        merge_outputs: bool | None = None,
        valid_length: Any = None,
    ) -> tuple[Any, list[Any]]:
        """Without state dropout: one input mask and one output mask shared along time
        (``Dropout`` with ``axes=(time axis,)``) around the base cell's own ``unroll``; with
        state dropout: step by step."""
        if self.drop_states:
            return super().unroll(length, inputs, begin_state, layout, merge_outputs, valid_length)
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, True)
        states = _get_begin_state(self, begin_state, inputs, batch_size)
        if self.drop_inputs:
            inputs = F.Dropout(inputs, p=self.drop_inputs, axes=(axis,))
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(
                length, inputs, states, layout, merge_outputs=True, valid_length=valid_length
            )
        finally:
            self.base_cell._modified = True
        if self.drop_outputs:
            outputs = F.Dropout(outputs, p=self.drop_outputs, axes=(axis,))
        if merge_outputs is None:
            merge_outputs = _is_tensor(outputs)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(
                F, outputs, length, valid_length, axis, merge_outputs
            )
        return outputs, states


class LSTMPCell(HybridRecurrentCell):
    r"""LSTM cell with a projected recurrent state (LSTMP, Sak et al., 2014)::

        i, f, g, o = gates of W_i x + b_i + W_r r + b_r     (order i, f, c, o)
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h = sigmoid(o) * tanh(c')
        r' = W_hr h                                        (the output and first state)

    Parameters
    ----------
    hidden_size : int
        Size of the cell state.
    projection_size : int
        Size of the output and of the recurrent state ``r``.
    i2h_weight_initializer, h2h_weight_initializer, h2r_weight_initializer : optional
    i2h_bias_initializer, h2h_bias_initializer : default 'zeros'
    input_size : int, default 0 (inferred at the first call)
    prefix, params : as for every Block.

    Notes
    -----
    Inputs: ``data`` ``(N, C)``, ``states`` ``[r (N, P), c (N, H)]``.
    Outputs: ``out`` ``(N, P)``, ``next_states`` ``[r', c']``.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon.contrib.rnn import LSTMPCell
    >>> cell = LSTMPCell(4, 2, input_size=3)
    >>> cell
    LSTMPCell(3 -> 16 -> 2)
    """

    def __init__(
        self,
        hidden_size: int,
        projection_size: int,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        h2r_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        input_size: int = 0,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(prefix=prefix, params=params)
        self._hidden_size, self._input_size = hidden_size, input_size
        self._projection_size = projection_size
        g = 4 * hidden_size
        self.i2h_weight = self.params.get(
            "i2h_weight", shape=(g, input_size), init=i2h_weight_initializer,
            allow_deferred_init=True,
        )  # fmt: skip
        self.h2h_weight = self.params.get(
            "h2h_weight", shape=(g, projection_size), init=h2h_weight_initializer,
            allow_deferred_init=True,
        )  # fmt: skip
        self.h2r_weight = self.params.get(
            "h2r_weight", shape=(projection_size, hidden_size), init=h2r_weight_initializer,
            allow_deferred_init=True,
        )  # fmt: skip
        self.i2h_bias = self.params.get(
            "i2h_bias", shape=(g,), init=i2h_bias_initializer, allow_deferred_init=True
        )
        self.h2h_bias = self.params.get(
            "h2h_bias", shape=(g,), init=h2h_bias_initializer, allow_deferred_init=True
        )

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """The shapes and layouts of the begin states."""
        return [
            {"shape": (batch_size, self._projection_size), "__layout__": "NC"},
            {"shape": (batch_size, self._hidden_size), "__layout__": "NC"},
        ]

    def _alias(self) -> str:
        return "lstmp"

    def __repr__(self) -> str:
        shape, proj = self.i2h_weight.shape, self.h2r_weight.shape
        return f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]} -> {proj[0]})"

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        """Fill in ``input_size`` (the weight's 0 dimension) from the first input.

        Parameters
        ----------
        inputs : NDArray or Symbol
            The first step's input.
        *args
            The states (unused).
        """
        self.i2h_weight.shape = (4 * self._hidden_size, prod(inputs.shape[1:]))

    def hybrid_forward(
        self, F: Any, inputs: Any, states: Any, i2h_weight: Any, h2h_weight: Any,
        h2r_weight: Any, i2h_bias: Any, h2h_bias: Any,
    ) -> Any:  # fmt: skip
        """One LSTM step with a projected hidden state: ``r = h2r_weight @ h``.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        inputs : NDArray or Symbol
            This time step's input, ``(batch, input_size)``.
        states : list of NDArray or Symbol
            The states from the previous step (see ``state_info``).
        i2h_weight, h2h_weight, h2r_weight, i2h_bias, h2h_bias : NDArray or Symbol
            The input-to-hidden, hidden-to-hidden and projection weights, and the biases.

        Returns
        -------
        output : NDArray or Symbol
            ``(batch, projection_size)``.
        new_states : list of NDArray or Symbol
            ``[r', c']``: the projected output ``(batch, projection_size)`` and the cell state ``(batch, hidden_size)``.
        """
        n = 4 * self._hidden_size
        i2h = F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=n)
        h2h = F.FullyConnected(states[0], h2h_weight, h2h_bias, num_hidden=n)
        gates = F.SliceChannel(i2h + h2h, num_outputs=4)
        in_gate = F.Activation(gates[0], act_type="sigmoid")
        forget_gate = F.Activation(gates[1], act_type="sigmoid")
        in_transform = F.Activation(gates[2], act_type="tanh")
        out_gate = F.Activation(gates[3], act_type="sigmoid")
        next_c = F.elemwise_add(forget_gate * states[1], in_gate * in_transform)
        hidden = F.elemwise_mul(out_gate, F.Activation(next_c, act_type="tanh"))
        next_r = F.FullyConnected(
            hidden, h2r_weight, num_hidden=self._projection_size, no_bias=True
        )
        return next_r, [next_r, next_c]
