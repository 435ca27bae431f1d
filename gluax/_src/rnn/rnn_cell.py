"""Recurrent cells (``mxnet.gluon.rnn.rnn_cell``): the base classes (one time step per call,
``unroll`` for a sequence) and the gated cells ``RNNCell``, ``LSTMCell``, ``GRUCell``. The
containers and modifiers (``SequentialRNNCell``, ``BidirectionalCell``, ``DropoutCell``,
``ZoneoutCell``, ``ResidualCell``) are in ``cell_wrappers.py``.

``unroll`` loops over time in Python, as MXNet's cells do: eagerly each step is one call of the
cell (compiled once when the cell is hybridized); inside a hybridized parent the steps are
traced into one program. For a long sequence prefer the fused layers (``rnn.LSTM``...), whose
time loop is a ``jax.lax.scan``.
"""

from __future__ import annotations

from functools import partial
from math import prod
from typing import Any, Callable, Iterable

from gluax._src.engine.ndarray import NDArray
from gluax._src.gluon.block import Block, HybridBlock
from gluax._src.gluon.symbol import Symbol as _GraphSymbol
from gluax._src.nn.activations import LeakyReLU
from gluax._src.ops.creation import zeros

MODIFIED = (
    "After applying modifier cells (e.g. ZoneoutCell) the base cell cannot be called "
    "directly. Call the modifier cell instead:\n"
    "    cell = rnn.ZoneoutCell(rnn.LSTMCell(10), 0.5)\n"
    "    states = cell.begin_state(batch_size=4)   # not: the base cell's begin_state"
)


def _F(inputs: Any = None) -> Any:
    """``mx.sym`` for free-standing Symbols (a cell unrolled over ``mx.sym.var``s), else
    ``mx.nd``."""
    first = inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs
    if isinstance(first, _GraphSymbol):
        from gluax import symbol

        return symbol
    from gluax import ndarray

    return ndarray


def _is_tensor(x: Any) -> bool:
    """One tensor (an NDArray, or a free-standing Symbol), not a list of per-step tensors."""
    return isinstance(x, (NDArray, _GraphSymbol))


def _symbol_zeros(like: Any, batch_axis: int, name: str | None = None, shape: Any = (),
                  **kwargs: Any) -> Any:  # fmt: skip
    """A begin state for free-standing Symbols. MXNet makes ``sym.zeros`` of batch size 0
    and infers it backward through the graph; gluax infers shapes forward only, so a zero
    batch axis takes its size from the step input ``like`` (``broadcast_like``)."""
    from gluax import symbol as sym

    kwargs.pop("ctx", None)
    shape = tuple(shape)
    if not shape or shape[0] != 0:
        return sym.zeros(shape=shape, name=name, **kwargs)
    zero = sym.zeros(shape=(1, *shape[1:]), name=name, **kwargs)
    return sym.broadcast_like(zero, like, lhs_axes=(0,), rhs_axes=(batch_axis,))


def _cells_state_info(cells: Iterable[Any], batch_size: int) -> list[dict[str, Any]]:
    return sum([c.state_info(batch_size) for c in cells], [])


def _cells_begin_state(cells: Iterable[Any], **kwargs: Any) -> list[Any]:
    return sum([c.begin_state(**kwargs) for c in cells], [])


def _get_begin_state(
    cell: Any, begin_state: Any, inputs: Any, batch_size: int, batch_axis: int = 0
) -> Any:
    """``begin_state`` if given, else the cell's zero states on the inputs' device;
    ``batch_axis`` is where a merged Symbol input has its batch."""
    if begin_state is not None:
        return begin_state
    first = inputs if _is_tensor(inputs) else inputs[0]
    if isinstance(first, _GraphSymbol):
        axis = batch_axis if first is inputs else 0
        return cell.begin_state(func=partial(_symbol_zeros, first, axis), batch_size=batch_size)
    return cell.begin_state(func=zeros, batch_size=batch_size, ctx=first.context)


def _format_sequence(
    length: int | None, inputs: Any, layout: str, merge: bool | None, in_layout: str | None = None
) -> tuple[Any, int, Any, int]:
    """Bring ``inputs`` (one tensor or a list of per-step tensors) to the requested form:
    a list of steps (``merge=False``), one tensor in ``layout`` (``merge=True``), or as it is
    (``None``). Returns ``(inputs, time_axis, F, batch_size)``."""
    if inputs is None:
        raise ValueError(
            "unroll(inputs=None) has been deprecated. Please create input variables outside unroll."
        )
    F = _F(inputs)
    axis, batch_axis = layout.find("T"), layout.find("N")
    in_axis = in_layout.find("T") if in_layout is not None else axis
    if isinstance(inputs, _GraphSymbol):
        # Free-standing Symbols have no shape: MXNet's batch size 0 means "inferred later".
        batch_size = 0
        if merge is False:
            if length is None:
                raise ValueError("unroll: a Symbol input needs the sequence length.")
            steps = F.split(inputs, axis=in_axis, num_outputs=length, squeeze_axis=True)
            inputs = [steps[i] for i in range(length)] if length > 1 else [steps]
    elif isinstance(inputs, NDArray):
        batch_size = inputs.shape[batch_axis]
        if merge is False:
            if length is not None and length != inputs.shape[in_axis]:
                raise ValueError(
                    f"unroll: length={length} does not match the {inputs.shape[in_axis]} time "
                    f"steps of inputs of shape {tuple(inputs.shape)} in layout {layout!r}."
                )
            steps = F.split(
                inputs, axis=in_axis, num_outputs=inputs.shape[in_axis], squeeze_axis=True
            )
            inputs = steps if isinstance(steps, list) else [steps]
    else:
        inputs = list(inputs)
        if length is not None and len(inputs) != length:
            raise ValueError(f"unroll: length={length} but {len(inputs)} input steps were given.")
        batch_size = 0 if isinstance(inputs[0], _GraphSymbol) else inputs[0].shape[0]
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    if _is_tensor(inputs) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, batch_size


def _mask_sequence_variable_length(
    F: Any, data: Any, length: int, valid_length: Any, time_axis: int, merge: bool
) -> Any:
    if not _is_tensor(data):
        data = F.stack(*data, axis=time_axis)
    outputs = F.SequenceMask(
        data, sequence_length=valid_length, use_sequence_length=True, axis=time_axis
    )
    if not merge:
        steps = F.split(outputs, num_outputs=length, axis=time_axis, squeeze_axis=True)
        outputs = steps if isinstance(steps, list) else [steps]
    return outputs


def _reverse_sequences(sequences: list[Any], unroll_step: int, valid_length: Any = None) -> Any:
    F = _F(sequences)
    if valid_length is None:
        return list(reversed(sequences))
    rev = F.SequenceReverse(
        F.stack(*sequences, axis=0), sequence_length=valid_length, use_sequence_length=True
    )
    steps = F.split(rev, axis=0, num_outputs=unroll_step, squeeze_axis=True)
    return steps if isinstance(steps, list) else [steps]


class RecurrentCell(Block):
    """Abstract base class of recurrent cells.

    Parameters
    ----------
    prefix : str, optional
        Prefix of this cell's name and parameter names.
    params : ParameterDict, optional
        Share parameters with another cell.
    """

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self) -> None:
        """Reset the step counters (and a ZoneoutCell's previous output) before reusing the
        cell on a new sequence; ``unroll`` calls it."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            if isinstance(cell, RecurrentCell):
                cell.reset()

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """Shape and layout of each state: ``[{'shape': (N, H), '__layout__': 'NC'}, ...]``.

        Parameters
        ----------
        batch_size : int, default 0
            The batch dimension of the shapes (0: unknown).

        Returns
        -------
        list of dict
            One ``{'shape': ..., '__layout__': ...}`` per state.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement state_info().")

    def begin_state(
        self, batch_size: int = 0, func: Callable[..., Any] = zeros, **kwargs: Any
    ) -> list[Any]:
        """Initial states: ``func(shape=..., **kwargs)`` for each entry of ``state_info``
        (``nd.zeros`` by default); ``kwargs`` such as ``ctx`` or ``dtype`` go to ``func``."""
        if self._modified:
            raise RuntimeError(MODIFIED)
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            info = dict(info or {})
            info.pop("__layout__", None)  # layout metadata, not an argument of gluax's creators
            info.update(kwargs)
            states.append(func(**info))
        return states

    def unroll(
        self,
        length: int,
        inputs: Any,
        begin_state: Any = None,
        layout: str = "NTC",
        merge_outputs: bool | None = None,
        valid_length: Any = None,
    ) -> tuple[Any, list[Any]]:
        """Run the cell over ``length`` time steps.

        Parameters
        ----------
        length : int
        inputs : NDArray or list of NDArray
            One tensor ``(N, T, C)`` ('NTC') or ``(T, N, C)`` ('TNC'), or a list of ``(N, C)``.
        begin_state : list of NDArray, optional
            Default: ``begin_state(batch_size)`` (zeros).
        layout : str, default 'NTC'
        merge_outputs : bool, optional
            True: one tensor in ``layout``; False: a list of steps; None: as the inputs came.
        valid_length : NDArray, optional
            ``(N,)`` lengths: outputs past them are zero and the returned states are those of
            each sequence's last valid step.

        Returns
        -------
        outputs, states
        """
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, False)
        states = _get_begin_state(self, begin_state, inputs, batch_size)
        outputs, all_states = [], []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [
                F.SequenceLast(
                    F.stack(*steps, axis=0),
                    sequence_length=valid_length,
                    use_sequence_length=True,
                    axis=0,
                )
                for steps in zip(*all_states)
            ]
            outputs = _mask_sequence_variable_length(F, outputs, length, valid_length, axis, True)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, F: Any, inputs: Any, activation: Any, **kwargs: Any) -> Any:
        """Apply ``activation``: a name, a LeakyReLU block, or any callable."""
        if isinstance(activation, str):
            func = {"tanh": F.tanh, "relu": F.relu, "sigmoid": F.sigmoid, "softsign": F.softsign}
            if activation in func:
                return func[activation](inputs, **kwargs)
            return F.Activation(inputs, act_type=activation, **kwargs)
        if isinstance(activation, LeakyReLU):
            return F.LeakyReLU(inputs, act_type="leaky", slope=activation._alpha, **kwargs)
        return activation(inputs, **kwargs)

    def forward(self, inputs: Any, states: Any) -> Any:
        """One time step: ``(output, new_states)``."""
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A recurrent cell whose step is a ``hybrid_forward``, so it can be hybridized."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        """One time step; every cell overrides it.

        Parameters
        ----------
        F : module
            ``mx.nd`` or ``mx.sym``.
        x : NDArray or Symbol
            This step's input.
        *args, **kwargs
            The states and the cell's parameters.

        Returns
        -------
        output, new_states
        """
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward().")


class _GatedCell(HybridRecurrentCell):
    """The parameters shared by RNNCell, LSTMCell and GRUCell: ``i2h``/``h2h`` weights and
    biases with ``gates * hidden_size`` rows."""

    _gates = 1

    def __init__(
        self,
        hidden_size: int,
        i2h_weight_initializer: Any,
        h2h_weight_initializer: Any,
        i2h_bias_initializer: Any,
        h2h_bias_initializer: Any,
        input_size: int,
        prefix: str | None,
        params: Any,
    ) -> None:
        super().__init__(prefix=prefix, params=params)
        self._hidden_size, self._input_size = hidden_size, input_size
        g = self._gates * hidden_size
        self.i2h_weight = self.params.get(
            "i2h_weight",
            shape=(g, input_size),
            init=i2h_weight_initializer,
            allow_deferred_init=True,
        )
        self.h2h_weight = self.params.get(
            "h2h_weight",
            shape=(g, hidden_size),
            init=h2h_weight_initializer,
            allow_deferred_init=True,
        )
        self.i2h_bias = self.params.get(
            "i2h_bias", shape=(g,), init=i2h_bias_initializer, allow_deferred_init=True
        )
        self.h2h_bias = self.params.get(
            "h2h_bias", shape=(g,), init=h2h_bias_initializer, allow_deferred_init=True
        )

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """The shapes and layouts of the begin states."""
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        """Fill in ``input_size`` (the weight's 0 dimension) from the first input.

        Parameters
        ----------
        inputs : NDArray or Symbol
            The first step's input.
        *args
            The states (unused).
        """
        self.i2h_weight.shape = (self._gates * self._hidden_size, prod(inputs.shape[1:]))

    def _mapping(self) -> str:
        shape = self.i2h_weight.shape
        return f"{shape[1] if shape[1] else None} -> {shape[0]}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()})"

    def _projections(self, F: Any, inputs: Any, h: Any, i2h_w: Any, h2h_w: Any, i2h_b: Any,
                     h2h_b: Any) -> tuple[Any, Any]:  # fmt: skip
        n = self._gates * self._hidden_size
        i2h = F.FullyConnected(inputs, i2h_w, i2h_b, num_hidden=n)
        h2h = F.FullyConnected(h, h2h_w, h2h_b, num_hidden=n)
        return i2h, h2h


class RNNCell(_GatedCell):
    r"""Elman RNN cell: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    Parameters
    ----------
    hidden_size : int
    activation : str or callable, default 'tanh'
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0 (inferred at the first call)
    prefix, params : as for every Block.

    Notes
    -----
    Inputs: ``data`` ``(N, C)``, ``states`` ``[h]`` with ``h`` ``(N, H)``.
    Outputs: ``out`` ``(N, H)``, ``next_states`` ``[out]``.

    Examples
    --------
    >>> import gluax as mx
    >>> cell = mx.gluon.rnn.RNNCell(3, input_size=2)
    >>> cell.initialize()
    >>> out, states = cell(mx.nd.ones((4, 2)), cell.begin_state(4))
    >>> out.shape, len(states)
    ((4, 3), 1)
    """

    def __init__(
        self,
        hidden_size: int,
        activation: Any = "tanh",
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        input_size: int = 0,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(
            hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, input_size, prefix, params,
        )  # fmt: skip
        self._activation = activation

    def _alias(self) -> str:
        return "rnn"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()}, {self._activation})"

    def hybrid_forward(
        self, F: Any, inputs: Any, states: Any, i2h_weight: Any, h2h_weight: Any,
        i2h_bias: Any, h2h_bias: Any,
    ) -> Any:  # fmt: skip
        """One step: ``h' = activation(W_i x + b_i + W_h h + b_h)``."""
        i2h, h2h = self._projections(
            F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias
        )
        # MXNet names each step's nodes t<step>_...; a Symbol's outputs are then rnn_t0_out...
        output = self._get_activation(
            F, F.elemwise_add(i2h, h2h), self._activation, name=f"t{self._counter}_out"
        )
        return output, [output]


class LSTMCell(_GatedCell):
    r"""Long short-term memory cell; gates ordered ``[i, f, c, o]`` in the weights::

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)     (recurrent_activation)
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)         (activation)
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g
        h' = o * tanh(c')

    Parameters
    ----------
    hidden_size : int
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0 (inferred at the first call)
    prefix, params : as for every Block.
    activation : str, default 'tanh'
    recurrent_activation : str, default 'sigmoid'

    Notes
    -----
    Inputs: ``data`` ``(N, C)``, ``states`` ``[h, c]``, each ``(N, H)``.
    Outputs: ``out`` ``(N, H)``, ``next_states`` ``[h', c']``.

    Examples
    --------
    >>> import gluax as mx
    >>> cell = mx.gluon.rnn.LSTMCell(3)
    >>> cell.initialize()
    >>> outs, states = cell.unroll(5, mx.nd.ones((2, 5, 4)), merge_outputs=True)
    >>> outs.shape, [s.shape for s in states]
    ((2, 5, 3), [(2, 3), (2, 3)])
    """

    _gates = 4

    def __init__(
        self,
        hidden_size: int,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        input_size: int = 0,
        prefix: str | None = None,
        params: Any = None,
        activation: str = "tanh",
        recurrent_activation: str = "sigmoid",
    ) -> None:
        super().__init__(
            hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, input_size, prefix, params,
        )  # fmt: skip
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """The shapes and layouts of the begin states."""
        shape = (batch_size, self._hidden_size)
        return [{"shape": shape, "__layout__": "NC"}, {"shape": shape, "__layout__": "NC"}]

    def _alias(self) -> str:
        return "lstm"

    def hybrid_forward(
        self, F: Any, inputs: Any, states: Any, i2h_weight: Any, h2h_weight: Any,
        i2h_bias: Any, h2h_bias: Any,
    ) -> Any:  # fmt: skip
        """One LSTM step (gates in the order input, forget, cell, output, as MXNet).

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        inputs : NDArray or Symbol
            This time step's input, ``(batch, input_size)``.
        states : list of NDArray or Symbol
            The states from the previous step (see ``state_info``).
        i2h_weight, h2h_weight, i2h_bias, h2h_bias : NDArray or Symbol
            The input-to-hidden and hidden-to-hidden weights and biases.

        Returns
        -------
        output : NDArray or Symbol
            ``(batch, hidden_size)``.
        new_states : list of NDArray or Symbol
            ``[h', c']``, each ``(batch, hidden_size)``.
        """
        i2h, h2h = self._projections(
            F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias
        )
        gates = F.SliceChannel(F.elemwise_add(i2h, h2h), num_outputs=4)
        rec, act = self._recurrent_activation, self._activation
        in_gate = self._get_activation(F, gates[0], rec)
        forget_gate = self._get_activation(F, gates[1], rec)
        in_transform = self._get_activation(F, gates[2], act)
        out_gate = self._get_activation(F, gates[3], rec)
        next_c = F.elemwise_add(
            F.elemwise_mul(forget_gate, states[1]), F.elemwise_mul(in_gate, in_transform)
        )
        # MXNet applies the cell activation through Activation, whatever ``activation`` is.
        next_h = F.elemwise_mul(
            out_gate, F.Activation(next_c, act_type=act), name=f"t{self._counter}_out"
        )
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    r"""Gated recurrent unit cell, cuDNN's variant; gates ordered ``[r, z, n]``::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Parameters
    ----------
    hidden_size : int
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0 (inferred at the first call)
    prefix, params : as for every Block.

    Notes
    -----
    Inputs: ``data`` ``(N, C)``, ``states`` ``[h]``. Outputs: ``out`` ``(N, H)``, ``[out]``.

    Examples
    --------
    >>> import gluax as mx
    >>> cell = mx.gluon.rnn.GRUCell(2, input_size=3)
    >>> cell.state_info(4)
    [{'shape': (4, 2), '__layout__': 'NC'}]
    """

    _gates = 3

    def __init__(
        self,
        hidden_size: int,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        input_size: int = 0,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(
            hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, input_size, prefix, params,
        )  # fmt: skip

    def _alias(self) -> str:
        return "gru"

    def hybrid_forward(
        self, F: Any, inputs: Any, states: Any, i2h_weight: Any, h2h_weight: Any,
        i2h_bias: Any, h2h_bias: Any,
    ) -> Any:  # fmt: skip
        """One GRU step (gates in the order reset, update, new, as MXNet)."""
        prev_h = states[0]
        i2h, h2h = self._projections(F, inputs, prev_h, i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        i2h_r, i2h_z, i2h_n = F.SliceChannel(i2h, num_outputs=3)
        h2h_r, h2h_z, h2h_n = F.SliceChannel(h2h, num_outputs=3)
        reset_gate = F.Activation(F.elemwise_add(i2h_r, h2h_r), act_type="sigmoid")
        update_gate = F.Activation(F.elemwise_add(i2h_z, h2h_z), act_type="sigmoid")
        candidate = F.Activation(
            F.elemwise_add(i2h_n, F.elemwise_mul(reset_gate, h2h_n)), act_type="tanh"
        )
        ones = F.ones_like(update_gate)
        next_h = F.elemwise_add(
            F.elemwise_mul(F.elemwise_sub(ones, update_gate), candidate),
            F.elemwise_mul(update_gate, prev_h),
            name=f"t{self._counter}_out",
        )
        return next_h, [next_h]


# ---- containers ---------------------------------------------------------------------------
