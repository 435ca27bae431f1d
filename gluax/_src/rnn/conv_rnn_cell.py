"""Convolutional recurrent cells (``mxnet.gluon.contrib.rnn.conv_rnn_cell``): the Elman RNN,
LSTM and GRU cells with both projections (input-to-hidden and hidden-to-hidden) replaced by
convolutions over 1, 2 or 3 spatial axes, as in ConvLSTM (Shi et al., 2015).

Each step runs two ``Convolution`` operators and the gate arithmetic; ``unroll`` is the one of
``RecurrentCell`` (a Python loop over time, traced into one program when hybridized).
"""

from __future__ import annotations

from typing import Any

from gluax._src.rnn.rnn_cell import HybridRecurrentCell

_LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}


def _spec(cell: str, name: str, value: Any, dims: int) -> tuple[int, ...]:
    """An int or a ``dims``-long sequence of ints, as a tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * dims
    if isinstance(value, (tuple, list)) and len(value) == dims:
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(value)
    raise ValueError(
        f"{cell}: {name} must be an int or a tuple of {dims} ints for a {dims}D convolution, "
        f"got {value!r}."
    )


class _BaseConvRNNCell(HybridRecurrentCell):
    """Parameters, shapes and the two convolutions shared by every convolutional cell.

    ``i2h_weight`` is ``(gates * hidden_channels, in_channels, *i2h_kernel)`` and
    ``h2h_weight`` ``(gates * hidden_channels, hidden_channels, *h2h_kernel)`` (kernel axes
    before the channel axis for the channels-last layouts); both biases are
    ``(gates * hidden_channels,)``. The hidden-to-hidden convolution pads by
    ``h2h_dilate * (h2h_kernel - 1) // 2`` so that the state keeps its spatial size, which is the
    size of the input-to-hidden convolution's output (stride 1).
    """

    _gates = 1

    def __init__(
        self,
        input_shape: Any,
        hidden_channels: int,
        i2h_kernel: Any,
        h2h_kernel: Any,
        i2h_pad: Any,
        i2h_dilate: Any,
        h2h_dilate: Any,
        i2h_weight_initializer: Any,
        h2h_weight_initializer: Any,
        i2h_bias_initializer: Any,
        h2h_bias_initializer: Any,
        conv_layout: str,
        activation: Any,
        prefix: str | None,
        params: Any,
        *,
        dims: int,
    ) -> None:
        cls = type(self).__name__
        layouts = _LAYOUTS[dims]
        if conv_layout not in layouts:
            raise ValueError(
                f"{cls}: conv_layout must be {layouts[0]!r} or {layouts[1]!r}, got {conv_layout!r}."
            )
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
        if shape is None or len(shape) != dims + 1 or not all(isinstance(s, int) for s in shape):
            raise ValueError(
                f"{cls}: input_shape must be the {dims + 1} sizes of one step's sample in "
                f"conv_layout {conv_layout!r} without the batch axis "
                f"({conv_layout[1:]}), got {input_shape!r}."
            )
        super().__init__(prefix=prefix, params=params)
        self._input_shape, self._hidden_channels = shape, hidden_channels
        self._conv_layout, self._activation, self._dims = conv_layout, activation, dims
        self._channel_axis = conv_layout.find("C")
        self._i2h_kernel = _spec(cls, "i2h_kernel", i2h_kernel, dims)
        self._i2h_pad = _spec(cls, "i2h_pad", i2h_pad, dims)
        self._i2h_dilate = _spec(cls, "i2h_dilate", i2h_dilate, dims)
        self._h2h_kernel = _spec(cls, "h2h_kernel", h2h_kernel, dims)
        self._h2h_dilate = _spec(cls, "h2h_dilate", h2h_dilate, dims)
        if any(k % 2 == 0 for k in self._h2h_kernel):
            raise ValueError(
                f"{cls}: h2h_kernel must have odd sizes (the state keeps its spatial size), "
                f"got {h2h_kernel!r}."
            )
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(self._h2h_dilate, self._h2h_kernel))
        last = self._channel_axis != 1
        in_channels = shape[-1] if last else shape[0]
        spatial = shape[:-1] if last else shape[1:]
        out = tuple(
            x + 2 * p - d * (k - 1)
            for x, k, p, d in zip(spatial, self._i2h_kernel, self._i2h_pad, self._i2h_dilate)
        )
        if any(s < 1 for s in out):
            raise ValueError(
                f"{cls}: i2h_kernel {self._i2h_kernel} (dilated by {self._i2h_dilate}) does not "
                f"fit the spatial size {spatial} of input_shape={shape} padded by "
                f"{self._i2h_pad}; the state would have spatial size {out}."
            )
        self._state_shape = out + (hidden_channels,) if last else (hidden_channels,) + out
        total = self._gates * hidden_channels

        def weight_shape(channels: int, kernel: tuple[int, ...]) -> tuple[int, ...]:
            return (total, *kernel, channels) if last else (total, channels, *kernel)

        self.i2h_weight = self.params.get(
            "i2h_weight", shape=weight_shape(in_channels, self._i2h_kernel),
            init=i2h_weight_initializer, allow_deferred_init=True,
        )  # fmt: skip
        self.h2h_weight = self.params.get(
            "h2h_weight", shape=weight_shape(hidden_channels, self._h2h_kernel),
            init=h2h_weight_initializer, allow_deferred_init=True,
        )  # fmt: skip
        self.i2h_bias = self.params.get(
            "i2h_bias", shape=(total,), init=i2h_bias_initializer, allow_deferred_init=True
        )
        self.h2h_bias = self.params.get(
            "h2h_bias", shape=(total,), init=h2h_bias_initializer, allow_deferred_init=True
        )

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return [
            {"shape": (batch_size, *self._state_shape), "__layout__": self._conv_layout}
            for _ in range(self._num_states)
        ]

    _num_states = 1

    def __repr__(self) -> str:
        shape = self.i2h_weight.shape
        in_channels = shape[1] if self._channel_axis == 1 else shape[-1]
        return (
            f"{type(self).__name__}({in_channels if in_channels else None} -> {shape[0]}, "
            f"{self._activation}, {self._conv_layout})"
        )

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        # input_shape may leave the channel count 0 (unknown); the first input gives it.
        channels = inputs.shape[self._channel_axis]
        shape = list(self.i2h_weight.shape)
        shape[1 if self._channel_axis == 1 else -1] = channels
        self.i2h_weight.shape = tuple(shape)

    def forward(self, inputs: Any, states: Any) -> Any:
        """One time step: ``(output, new_states)``; checks the shapes of the input and the
        states against ``input_shape`` and ``state_info`` first."""
        got = tuple(inputs.shape)
        want = self._input_shape
        if len(got) != len(want) + 1 or any(w and g != w for g, w in zip(got[1:], want)):
            expected = ", ".join(str(w) if w else "?" for w in want)
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected input of shape "
                f"(batch_size, {expected}) from input_shape={want} in conv_layout "
                f"{self._conv_layout!r}, got shape {got}."
            )
        expected_states = [tuple(s["shape"]) for s in self.state_info(got[0])]
        got_states = [tuple(s.shape) for s in states]
        if got_states != expected_states:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected states of shapes "
                f"{expected_states} (see state_info/begin_state), got {got_states}."
            )
        return super().forward(inputs, states)

    def _convolve(self, F: Any, inputs: Any, h: Any, i2h_weight: Any, h2h_weight: Any,
                  i2h_bias: Any, h2h_bias: Any) -> tuple[Any, Any]:  # fmt: skip
        n, stride = self._gates * self._hidden_channels, (1,) * self._dims
        i2h = F.Convolution(
            inputs, i2h_weight, i2h_bias, kernel=self._i2h_kernel, num_filter=n, stride=stride,
            pad=self._i2h_pad, dilate=self._i2h_dilate, layout=self._conv_layout,
        )  # fmt: skip
        h2h = F.Convolution(
            h, h2h_weight, h2h_bias, kernel=self._h2h_kernel, num_filter=n, stride=stride,
            pad=self._h2h_pad, dilate=self._h2h_dilate, layout=self._conv_layout,
        )  # fmt: skip
        return i2h, h2h

    def _split(self, F: Any, x: Any) -> list[Any]:
        return F.SliceChannel(x, num_outputs=self._gates, axis=self._channel_axis)


class _ConvRNNCell(_BaseConvRNNCell):
    def _alias(self) -> str:
        return "conv_rnn"

    def hybrid_forward(
        self, F: Any, inputs: Any, states: Any, i2h_weight: Any, h2h_weight: Any,
        i2h_bias: Any, h2h_bias: Any,
    ) -> Any:  # fmt: skip
        i2h, h2h = self._convolve(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        output = self._get_activation(F, F.elemwise_add(i2h, h2h), self._activation)
        return output, [output]


class _ConvLSTMCell(_BaseConvRNNCell):
    _gates = 4  # in the weights' output channels: input, forget, cell candidate, output
    _num_states = 2

    def _alias(self) -> str:
        return "conv_lstm"

    def hybrid_forward(
        self, F: Any, inputs: Any, states: Any, i2h_weight: Any, h2h_weight: Any,
        i2h_bias: Any, h2h_bias: Any,
    ) -> Any:  # fmt: skip
        i2h, h2h = self._convolve(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        i, f, g, o = self._split(F, F.elemwise_add(i2h, h2h))
        # MXNet applies `activation` both to the candidate and to the new cell state.
        candidate = self._get_activation(F, g, self._activation)
        next_c = F.elemwise_add(F.sigmoid(f) * states[1], F.sigmoid(i) * candidate)
        next_h = F.elemwise_mul(F.sigmoid(o), self._get_activation(F, next_c, self._activation))
        return next_h, [next_h, next_c]


class _ConvGRUCell(_BaseConvRNNCell):
    _gates = 3  # reset, update, candidate

    def _alias(self) -> str:
        return "conv_gru"

    def hybrid_forward(
        self, F: Any, inputs: Any, states: Any, i2h_weight: Any, h2h_weight: Any,
        i2h_bias: Any, h2h_bias: Any,
    ) -> Any:  # fmt: skip
        i2h, h2h = self._convolve(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        i2h_r, i2h_z, i2h_n = self._split(F, i2h)
        h2h_r, h2h_z, h2h_n = self._split(F, h2h)
        reset = F.sigmoid(F.elemwise_add(i2h_r, h2h_r))
        update = F.sigmoid(F.elemwise_add(i2h_z, h2h_z))
        candidate = self._get_activation(F, F.elemwise_add(i2h_n, reset * h2h_n), self._activation)
        next_h = F.elemwise_add((1.0 - update) * candidate, update * states[0])
        return next_h, [next_h]


# ---- the public cells: MXNet's constructor signatures, one class per (kind, dims) ----------

_RNN_MATH = ["h_t = activation(W * x_t + b_W + R * h_{t-1} + b_R)        (* : convolution)"]
_LSTM_MATH = [
    "i_t = sigmoid(W_i * x_t + R_i * h_{t-1} + b_i)     (* : convolution; gates i, f, c, o)",
    "f_t = sigmoid(W_f * x_t + R_f * h_{t-1} + b_f)",
    "g_t = activation(W_c * x_t + R_c * h_{t-1} + b_c)",
    "o_t = sigmoid(W_o * x_t + R_o * h_{t-1} + b_o)",
    "c_t = f_t . c_{t-1} + i_t . g_t",
    "h_t = o_t . activation(c_t)",
]
_GRU_MATH = [
    "r_t = sigmoid(W_r * x_t + b_Wr + R_r * h_{t-1} + b_Rr)   (* : convolution; gates r, z, n)",
    "z_t = sigmoid(W_z * x_t + b_Wz + R_z * h_{t-1} + b_Rz)",
    "n_t = activation(W_n * x_t + b_Wn + r_t . (R_n * h_{t-1} + b_Rn))",
    "h_t = (1 - z_t) . n_t + z_t . h_{t-1}",
]

_DOC = """{dims}D convolutional {kind} cell.

    ::

        {math}

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one step's input for one sample (no batch or time axis), in ``conv_layout``:
        ``{first_shape}`` for {first!r}, ``{last_shape}`` for {last!r}. The channel count may
        be 0 (inferred at the first call).
    hidden_channels : int
        Channels of the hidden state (and of the output).
    i2h_kernel : int or tuple of {dims} int
        Kernel of the input-to-hidden convolution (stride 1).
    h2h_kernel : int or tuple of {dims} int
        Kernel of the hidden-to-hidden convolution; odd sizes only (it pads to keep the
        state's spatial size).
    i2h_pad : int or tuple of {dims} int, default {zeros}
        Padding of the input-to-hidden convolution.
    i2h_dilate, h2h_dilate : int or tuple of {dims} int, default {ones}
        Dilations of the two convolutions.
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer, optional
        Default: the initializer given to ``initialize()``.
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    conv_layout : str, default {first!r}
        {first!r} or {last!r}, for inputs, states and weights.
    activation : str or Block, default 'tanh'
        An ``Activation`` name, a ``LeakyReLU`` block or any callable.
    prefix : str, optional
        Default ``'{alias}<n>_'``.
    params : ParameterDict, optional
        Share parameters with another cell.

    Parameters of the cell: ``i2h_weight`` ``({gates}*hidden_channels, in_channels,
    *i2h_kernel)``, ``h2h_weight`` ``({gates}*hidden_channels, hidden_channels, *h2h_kernel)``
    (channel axis last in {last!r}), ``i2h_bias`` and ``h2h_bias`` ``({gates}*hidden_channels,)``.

    Inputs: ``data`` ``(N, *input_shape)``; ``states``: {states}, each ``(N, hidden_channels,
    *spatial)`` ({first!r}) where ``spatial`` is the i2h convolution's output size,
    ``input + 2*i2h_pad - i2h_dilate*(i2h_kernel - 1)`` (see ``state_info``).
    Outputs: ``out`` (the new ``h``) and ``next_states``.

    Raises
    ------
    ValueError
        For a malformed kernel, pad or dilation, an even ``h2h_kernel``, a ``conv_layout``
        that is not {first!r} or {last!r}, a kernel larger than the padded input, and at a
        call for an input whose shape disagrees with ``input_shape`` or states whose shapes
        disagree with ``state_info``.

    Notes
    -----
    MXNet 1.9 checks the constructor arguments with ``assert`` and the shapes only inside
    its operators (a broadcast error); gluax raises ``ValueError`` naming the cell and the
    expected shapes, before any convolution runs.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon.contrib.rnn import {name}
    >>> cell = {name}({example_shape}, 2, 3, 3)
    >>> cell
    {name}({example_channels} -> {example_total}, tanh, {first})
    >>> cell.state_info(4)[0]["shape"]
    {example_state}
"""


def _doc(
    name: str, kind: str, dims: int, math: list[str], gates: int, alias: str, states: str
) -> str:
    first, last = _LAYOUTS[dims]
    example_shape = (2,) + (5,) * dims
    return _DOC.format(
        name=name, kind=kind, dims=dims, math="\n        ".join(math), gates=gates,
        alias=alias, states=states, first=first, last=last,
        first_shape="(" + ", ".join(first[1:]) + ")", last_shape="(" + ", ".join(last[1:]) + ")",
        zeros=(0,) * dims, ones=(1,) * dims, example_shape=example_shape, example_channels=2,
        example_total=2 * gates, example_state=(4, 2) + (3,) * dims,
    )  # fmt: skip


_H = "``[h]``"
_HC = "``[h, c]``"


class Conv1DRNNCell(_ConvRNNCell):
    __doc__ = _doc("Conv1DRNNCell", "RNN", 1, _RNN_MATH, 1, "conv_rnn", _H)

    def __init__(
        self, input_shape: Any, hidden_channels: int, i2h_kernel: Any, h2h_kernel: Any,
        i2h_pad: Any = (0,), i2h_dilate: Any = (1,), h2h_dilate: Any = (1,),
        i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
        conv_layout: str = "NCW", activation: Any = "tanh", prefix: str | None = None,
        params: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(
            input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
            h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, conv_layout, activation, prefix, params, dims=1,
        )  # fmt: skip


class Conv2DRNNCell(_ConvRNNCell):
    __doc__ = _doc("Conv2DRNNCell", "RNN", 2, _RNN_MATH, 1, "conv_rnn", _H)

    def __init__(
        self, input_shape: Any, hidden_channels: int, i2h_kernel: Any, h2h_kernel: Any,
        i2h_pad: Any = (0, 0), i2h_dilate: Any = (1, 1), h2h_dilate: Any = (1, 1),
        i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
        conv_layout: str = "NCHW", activation: Any = "tanh", prefix: str | None = None,
        params: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(
            input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
            h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, conv_layout, activation, prefix, params, dims=2,
        )  # fmt: skip


class Conv3DRNNCell(_ConvRNNCell):
    __doc__ = _doc("Conv3DRNNCell", "RNN", 3, _RNN_MATH, 1, "conv_rnn", _H)

    def __init__(
        self, input_shape: Any, hidden_channels: int, i2h_kernel: Any, h2h_kernel: Any,
        i2h_pad: Any = (0, 0, 0), i2h_dilate: Any = (1, 1, 1), h2h_dilate: Any = (1, 1, 1),
        i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
        conv_layout: str = "NCDHW", activation: Any = "tanh", prefix: str | None = None,
        params: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(
            input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
            h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, conv_layout, activation, prefix, params, dims=3,
        )  # fmt: skip


class Conv1DLSTMCell(_ConvLSTMCell):
    __doc__ = _doc("Conv1DLSTMCell", "LSTM", 1, _LSTM_MATH, 4, "conv_lstm", _HC)

    def __init__(
        self, input_shape: Any, hidden_channels: int, i2h_kernel: Any, h2h_kernel: Any,
        i2h_pad: Any = (0,), i2h_dilate: Any = (1,), h2h_dilate: Any = (1,),
        i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
        conv_layout: str = "NCW", activation: Any = "tanh", prefix: str | None = None,
        params: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(
            input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
            h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, conv_layout, activation, prefix, params, dims=1,
        )  # fmt: skip


class Conv2DLSTMCell(_ConvLSTMCell):
    __doc__ = _doc("Conv2DLSTMCell", "LSTM", 2, _LSTM_MATH, 4, "conv_lstm", _HC)

    def __init__(
        self, input_shape: Any, hidden_channels: int, i2h_kernel: Any, h2h_kernel: Any,
        i2h_pad: Any = (0, 0), i2h_dilate: Any = (1, 1), h2h_dilate: Any = (1, 1),
        i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
        conv_layout: str = "NCHW", activation: Any = "tanh", prefix: str | None = None,
        params: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(
            input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
            h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, conv_layout, activation, prefix, params, dims=2,
        )  # fmt: skip


class Conv3DLSTMCell(_ConvLSTMCell):
    __doc__ = _doc("Conv3DLSTMCell", "LSTM", 3, _LSTM_MATH, 4, "conv_lstm", _HC)

    def __init__(
        self, input_shape: Any, hidden_channels: int, i2h_kernel: Any, h2h_kernel: Any,
        i2h_pad: Any = (0, 0, 0), i2h_dilate: Any = (1, 1, 1), h2h_dilate: Any = (1, 1, 1),
        i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
        conv_layout: str = "NCDHW", activation: Any = "tanh", prefix: str | None = None,
        params: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(
            input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
            h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, conv_layout, activation, prefix, params, dims=3,
        )  # fmt: skip


class Conv1DGRUCell(_ConvGRUCell):
    __doc__ = _doc("Conv1DGRUCell", "GRU", 1, _GRU_MATH, 3, "conv_gru", _H)

    def __init__(
        self, input_shape: Any, hidden_channels: int, i2h_kernel: Any, h2h_kernel: Any,
        i2h_pad: Any = (0,), i2h_dilate: Any = (1,), h2h_dilate: Any = (1,),
        i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
        conv_layout: str = "NCW", activation: Any = "tanh", prefix: str | None = None,
        params: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(
            input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
            h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, conv_layout, activation, prefix, params, dims=1,
        )  # fmt: skip


class Conv2DGRUCell(_ConvGRUCell):
    __doc__ = _doc("Conv2DGRUCell", "GRU", 2, _GRU_MATH, 3, "conv_gru", _H)

    def __init__(
        self, input_shape: Any, hidden_channels: int, i2h_kernel: Any, h2h_kernel: Any,
        i2h_pad: Any = (0, 0), i2h_dilate: Any = (1, 1), h2h_dilate: Any = (1, 1),
        i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
        conv_layout: str = "NCHW", activation: Any = "tanh", prefix: str | None = None,
        params: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(
            input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
            h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, conv_layout, activation, prefix, params, dims=2,
        )  # fmt: skip


class Conv3DGRUCell(_ConvGRUCell):
    __doc__ = _doc("Conv3DGRUCell", "GRU", 3, _GRU_MATH, 3, "conv_gru", _H)

    def __init__(
        self, input_shape: Any, hidden_channels: int, i2h_kernel: Any, h2h_kernel: Any,
        i2h_pad: Any = (0, 0, 0), i2h_dilate: Any = (1, 1, 1), h2h_dilate: Any = (1, 1, 1),
        i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
        conv_layout: str = "NCDHW", activation: Any = "tanh", prefix: str | None = None,
        params: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(
            input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
            h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, conv_layout, activation, prefix, params, dims=3,
        )  # fmt: skip
