"""Fused recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (``mxnet.gluon.rnn.rnn_layer``).

A layer call is one ``_fused_rnn`` operator: each stacked layer (both directions together) runs
as one ``jax.lax.scan`` inside it, so an eager call is one compiled operator and a hybridized
network compiles the time loop to ``scan`` rather than unrolling it in Python.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Callable

from gluax._src.engine.base import OperatorError
from gluax._src.engine.ndarray import NDArray
from gluax._src.gluon.block import HybridBlock
from gluax._src.gluon.parameter import Parameter
from gluax._src.ops.creation import zeros
from gluax._src.ops.rnn import GATES
from gluax._src.rnn.cell_wrappers import BidirectionalCell, DropoutCell, HybridSequentialRNNCell
from gluax._src.rnn.rnn_cell import GRUCell, LSTMCell, RNNCell

_PARAM_KEY = re.compile(r"([lr])(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")


class _RNNLayer(HybridBlock):
    """The shared implementation of ``RNN``, ``LSTM`` and ``GRU``."""

    def __init__(
        self,
        hidden_size: int,
        num_layers: int,
        layout: str,
        dropout: float,
        bidirectional: bool,
        input_size: int,
        i2h_weight_initializer: Any,
        h2h_weight_initializer: Any,
        i2h_bias_initializer: Any,
        h2h_bias_initializer: Any,
        mode: str,
        projection_size: int | None,
        h2r_weight_initializer: Any,
        lstm_state_clip_min: float | None,
        lstm_state_clip_max: float | None,
        lstm_state_clip_nan: bool,
        dtype: Any,
        use_sequence_length: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if layout not in ("TNC", "NTC"):
            raise ValueError(
                f"{type(self).__name__}: invalid layout {layout!r}; must be one of ['TNC' or 'NTC']."
            )
        if not 0 <= dropout < 1:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout!r}.")
        self._hidden_size, self._num_layers, self._layout = hidden_size, num_layers, layout
        self._projection_size = projection_size or None
        self._mode, self._dropout, self._dir = mode, dropout, 2 if bidirectional else 1
        self._input_size, self._dtype = input_size, dtype
        self._clip = (lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan)
        self._use_sequence_length = use_sequence_length
        self._i2h_weight_initializer = i2h_weight_initializer
        self._h2h_weight_initializer = h2h_weight_initializer
        self._i2h_bias_initializer = i2h_bias_initializer
        self._h2h_bias_initializer = h2h_bias_initializer
        self._gates = GATES[mode]
        ng, nh, ni = self._gates, hidden_size, input_size
        nr = self._projection_size or nh
        inits = {
            "i2h_weight": i2h_weight_initializer,
            "h2h_weight": h2h_weight_initializer,
            "i2h_bias": i2h_bias_initializer,
            "h2h_bias": h2h_bias_initializer,
            "h2r_weight": h2r_weight_initializer,
        }
        for i in range(num_layers):
            for d in "lr"[: self._dir]:
                shapes = {
                    "i2h_weight": (ng * nh, ni),
                    "h2h_weight": (ng * nh, nr),
                    "i2h_bias": (ng * nh,),
                    "h2h_bias": (ng * nh,),
                }
                if self._projection_size:
                    shapes["h2r_weight"] = (nr, nh)
                for kind, shape in shapes.items():
                    name = f"{d}{i}_{kind}"
                    p = self.params.get(
                        name, shape=shape, init=inits[kind], allow_deferred_init=True, dtype=dtype
                    )
                    setattr(self, name, p)
            ni = nr * self._dir

    def __repr__(self) -> str:
        s = f"{type(self).__name__}({{mapping}}, {self._layout}"
        if self._num_layers != 1:
            s += f", num_layers={self._num_layers}"
        if self._dropout != 0:
            s += f", dropout={self._dropout}"
        if self._dir == 2:
            s += ", bidirectional"
        shape = self.l0_i2h_weight.shape
        mapping = f"{shape[1] if shape[1] else None} -> {shape[0] // self._gates}"
        return s.format(mapping=mapping) + ")"

    def _collect_params_with_prefix(self, prefix: str = "") -> OrderedDict[str, Parameter]:
        # MXNet saves fused layers under the keys of the old unfused cell stack:
        # l0_i2h_weight -> _unfused.0.i2h_weight, or _unfused.0.l_cell.i2h_weight when
        # bidirectional. save_parameters/load_parameters therefore interoperate with MXNet.
        if prefix:
            prefix += "."
        ret: OrderedDict[str, Parameter] = OrderedDict()
        for key, param in self._reg_params.items():
            d, layer, g, t = _PARAM_KEY.match(key).groups()  # type: ignore[union-attr]
            cell = f"{d}_cell." if self._dir == 2 else ""
            ret[f"{prefix}_unfused.{layer}.{cell}{g}_{t}"] = param
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def _unfuse(self) -> HybridSequentialRNNCell:
        """The same network as a stack of cells sharing this layer's parameters (MXNet's
        ``_unfuse``): ``RNNCell``/``LSTMCell``/``GRUCell`` per layer, ``BidirectionalCell``
        pairs when bidirectional, ``DropoutCell`` between layers."""
        if self._projection_size or self._clip[0] is not None:
            raise NotImplementedError(
                f"{type(self).__name__} '{self.name}': _unfuse does not support "
                "projection_size or state clipping; there is no cell for them."
            )
        mode, size = self._mode, self._hidden_size

        def get_cell(**kwargs: Any) -> Any:
            if mode == "lstm":
                return LSTMCell(size, **kwargs)
            if mode == "gru":
                return GRUCell(size, **kwargs)
            return RNNCell(size, activation=mode[4:], **kwargs)

        stack = HybridSequentialRNNCell(prefix=self.prefix, params=self.params)
        with stack.name_scope():
            ni = self._input_size
            for i in range(self._num_layers):
                kwargs = {
                    "input_size": ni,
                    "i2h_weight_initializer": self._i2h_weight_initializer,
                    "h2h_weight_initializer": self._h2h_weight_initializer,
                    "i2h_bias_initializer": self._i2h_bias_initializer,
                    "h2h_bias_initializer": self._h2h_bias_initializer,
                }
                if self._dir == 2:
                    stack.add(
                        BidirectionalCell(
                            get_cell(prefix=f"l{i}_", **kwargs), get_cell(prefix=f"r{i}_", **kwargs)
                        )
                    )
                else:
                    stack.add(get_cell(prefix=f"l{i}_", **kwargs))
                if self._dropout > 0 and i != self._num_layers - 1:
                    stack.add(DropoutCell(self._dropout))
                ni = self._hidden_size * self._dir
        return stack

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """Shape, layout and dtype of each begin state: ``(num_layers*dirs, N, H)``."""
        shape = (self._num_layers * self._dir, batch_size, self._hidden_size)
        return [{"shape": shape, "__layout__": "LNC", "dtype": self._dtype}]

    def begin_state(
        self, batch_size: int = 0, func: Callable[..., Any] = zeros, **kwargs: Any
    ) -> list[Any]:
        """Initial states, made by ``func(shape=..., dtype=..., **kwargs)`` (zeros by
        default); ``kwargs`` such as ``ctx`` go to ``func``."""
        states = []
        for info in self.state_info(batch_size):
            info = dict(info)
            info.pop("__layout__")  # layout metadata, not an argument of gluax's creators
            info.update(kwargs)
            states.append(func(**info))
        return states

    def cast(self, dtype: Any) -> None:
        super().cast(dtype)
        self._dtype = dtype

    def __call__(self, inputs: Any, states: Any = None, sequence_length: Any = None) -> Any:
        skip_states = states is None
        if skip_states:
            batch_size = inputs.shape[self._layout.find("N")]
            states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
        if isinstance(states, NDArray):
            states = [states]
        if self._use_sequence_length:
            out = super().__call__(inputs, list(states), sequence_length)
        else:
            out = super().__call__(inputs, list(states))
        # The compiled function always returns the states; dropping them here keeps the
        # output structure out of the compilation cache key.
        return out[0] if skip_states else out

    def _check_input(self, inputs: Any) -> None:
        if inputs.ndim != 3:
            raise OperatorError(
                f"{type(self).__name__} '{self.name}': expected 3-D input in layout "
                f"{self._layout!r}, got shape {tuple(inputs.shape)}."
            )

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        self._check_input(inputs)
        for d in "lr"[: self._dir]:
            weight = getattr(self, f"{d}0_i2h_weight")
            weight.shape = (weight.shape[0], inputs.shape[2])

    def hybrid_forward(
        self, F: Any, inputs: Any, states: Any, sequence_length: Any = None, **params: Any
    ) -> Any:
        self._check_input(inputs)
        batch_size = inputs.shape[self._layout.find("N")]
        if len(states) != len(self.state_info()):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected {len(self.state_info())} "
                f"state arrays, got {len(states)}."
            )
        if self._use_sequence_length and sequence_length is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' was created with "
                "use_sequence_length=True: call it as layer(inputs, states, sequence_length)."
            )
        for state, info in zip(states, self.state_info(batch_size)):
            if tuple(state.shape) != info["shape"]:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': invalid recurrent state shape. "
                    f"Expecting {info['shape']}, got {tuple(state.shape)}."
                )
        weights = [params[k] for k in self._reg_params]
        seq = [sequence_length] if self._use_sequence_length else []
        min_, max_, nan = self._clip
        out = F._fused_rnn(
            inputs, *states, *seq, *weights, state_size=self._hidden_size,
            num_layers=self._num_layers, mode=self._mode, bidirectional=self._dir == 2,
            p=self._dropout, projection_size=self._projection_size,
            lstm_state_clip_min=min_, lstm_state_clip_max=max_, lstm_state_clip_nan=nan,
            use_sequence_length=self._use_sequence_length, layout=self._layout,
        )  # fmt: skip
        return out[0], list(out[1:])


_COMMON_DOC = """
    Parameters
    ----------
    hidden_size : int
        The number of features in the hidden state h.
    num_layers : int, default 1
        Number of recurrent layers.
    layout : str, default 'TNC'
        The format of input and output tensors: T, N and C stand for sequence length, batch
        size and feature dimensions.
    dropout : float, default 0
        Dropout on the outputs of each layer except the last, in training mode.
    bidirectional : bool, default False
        If True, a bidirectional RNN: outputs of both directions are concatenated.
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
        Initializers of the input and recurrent weight matrices (default: the global one).
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0
        The number of expected input features; 0 infers it at the first forward.
    dtype : str, default 'float32'
    prefix, params : as for every Block.
"""


class RNN(_RNNLayer):
    r"""Multi-layer Elman RNN with ``tanh`` or ``relu`` non-linearity:
    ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.
    """

    __doc__ = (
        (__doc__ or "")
        + _COMMON_DOC
        + """    activation : {'relu', 'tanh'}, default 'relu'

    Inputs: ``data`` ``(T, N, C)`` in layout 'TNC' (``(N, T, C)`` in 'NTC'); ``states``
    (optional) one array ``(num_layers*D, N, H)``, D = 2 if bidirectional else 1.
    Outputs: ``out`` ``(T, N, D*H)``; with states given, ``(out, [h])``.

    Parameters are named ``{l|r}{layer}_{i2h|h2h}_{weight|bias}``, e.g. ``l0_i2h_weight``
    ``(H, C)``; ``save_parameters`` writes them as MXNet does, ``_unfused.0.i2h_weight``
    (``_unfused.0.l_cell.i2h_weight`` when bidirectional).

    Examples
    --------
    >>> import gluax as mx
    >>> layer = mx.gluon.rnn.RNN(4, 2)
    >>> layer.initialize()
    >>> out, h = layer(mx.nd.ones((5, 3, 2)), layer.begin_state(3))
    >>> out.shape, h[0].shape
    ((5, 3, 4), (2, 3, 4))
    """
    )

    def __init__(
        self,
        hidden_size: int,
        num_layers: int = 1,
        activation: str = "relu",
        layout: str = "TNC",
        dropout: float = 0,
        bidirectional: bool = False,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        input_size: int = 0,
        dtype: Any = "float32",
        **kwargs: Any,
    ) -> None:
        if activation not in ("relu", "tanh"):
            raise ValueError(f"RNN: activation must be 'relu' or 'tanh', got {activation!r}.")
        super().__init__(
            hidden_size, num_layers, layout, dropout, bidirectional, input_size,
            i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, "rnn_" + activation, None, None, None, None, False,
            dtype, **kwargs,
        )  # fmt: skip


class LSTM(_RNNLayer):
    r"""Multi-layer long short-term memory (LSTM) RNN. Each step computes (gate order in
    the weights: i, f, c, o)::

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hc h + b_hg)
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g
        h' = o * tanh(c')            (h' = W_hr (o * tanh(c')) with projection_size)
    """

    __doc__ = (
        (__doc__ or "")
        + _COMMON_DOC
        + """    projection_size : int, optional
        Size of the projected hidden state (LSTMP); adds ``h2r_weight`` ``(P, H)``.
    h2r_weight_initializer : str or Initializer, optional
    state_clip_min, state_clip_max : float, optional
        Clip the cell state to this range after every step.
    state_clip_nan : bool, default False
        With clipping, send NaN cell values to ``state_clip_min`` instead of propagating them.

    Inputs: ``data`` ``(T, N, C)`` ('TNC') or ``(N, T, C)`` ('NTC'); ``states`` (optional)
    ``[h, c]``, ``h`` ``(num_layers*D, N, P or H)``, ``c`` ``(num_layers*D, N, H)``.
    Outputs: ``out`` ``(T, N, D*(P or H))``; with states given, ``(out, [h, c])``.

    Notes
    -----
    MXNet 1.9.1's CPU kernel ignores ``state_clip_*`` and cannot train with
    ``projection_size``; gluax clips as MXNet's cuDNN kernel does and differentiates
    everything.

    Examples
    --------
    >>> import gluax as mx
    >>> layer = mx.gluon.rnn.LSTM(4, num_layers=2, bidirectional=True, layout='NTC')
    >>> layer.initialize()
    >>> layer(mx.nd.ones((3, 5, 2))).shape
    (3, 5, 8)
    """
    )

    def __init__(
        self,
        hidden_size: int,
        num_layers: int = 1,
        layout: str = "TNC",
        dropout: float = 0,
        bidirectional: bool = False,
        input_size: int = 0,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        projection_size: int | None = None,
        h2r_weight_initializer: Any = None,
        state_clip_min: float | None = None,
        state_clip_max: float | None = None,
        state_clip_nan: bool = False,
        dtype: Any = "float32",
        **kwargs: Any,
    ) -> None:
        if (state_clip_min is None) != (state_clip_max is None):
            raise ValueError(
                "LSTM: state_clip_min and state_clip_max must be given together, got "
                f"({state_clip_min}, {state_clip_max})."
            )
        super().__init__(
            hidden_size, num_layers, layout, dropout, bidirectional, input_size,
            i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, "lstm", projection_size, h2r_weight_initializer,
            state_clip_min, state_clip_max, state_clip_nan, dtype, **kwargs,
        )  # fmt: skip

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        ld = self._num_layers * self._dir
        h = self._projection_size or self._hidden_size
        return [
            {"shape": (ld, batch_size, h), "__layout__": "LNC", "dtype": self._dtype},
            {
                "shape": (ld, batch_size, self._hidden_size),
                "__layout__": "LNC",
                "dtype": self._dtype,
            },
        ]


class GRU(_RNNLayer):
    r"""Multi-layer gated recurrent unit (GRU) RNN, cuDNN's variant (gate order r, z, n; the
    reset gate multiplies the recurrent product including its bias)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h
    """

    __doc__ = (
        (__doc__ or "")
        + _COMMON_DOC
        + """
    Inputs: ``data`` ``(T, N, C)`` ('TNC') or ``(N, T, C)`` ('NTC'); ``states`` (optional)
    one array ``(num_layers*D, N, H)``.
    Outputs: ``out`` ``(T, N, D*H)``; with states given, ``(out, [h])``.

    Examples
    --------
    >>> import gluax as mx
    >>> layer = mx.gluon.rnn.GRU(3, input_size=2)
    >>> layer.initialize()
    >>> [p for p in layer._collect_params_with_prefix()][:2]
    ['_unfused.0.i2h_weight', '_unfused.0.h2h_weight']
    """
    )

    def __init__(
        self,
        hidden_size: int,
        num_layers: int = 1,
        layout: str = "TNC",
        dropout: float = 0,
        bidirectional: bool = False,
        input_size: int = 0,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        dtype: Any = "float32",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hidden_size, num_layers, layout, dropout, bidirectional, input_size,
            i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
            h2h_bias_initializer, "gru", None, None, None, None, False, dtype, **kwargs,
        )  # fmt: skip
