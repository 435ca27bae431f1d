"""Convolution and pooling layers: Conv1D/2D/3D, Conv1D/2D/3DTranspose, MaxPool1D/2D/3D,
AvgPool1D/2D/3D, GlobalMaxPool1D/2D/3D, GlobalAvgPool1D/2D/3D."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.base import OperatorError
from gluax._src.gluon.block import HybridBlock
from gluax._src.nn.basic_layers import Activation

_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _ntuple(cls: str, name: str, value: Any, n: int) -> Any:
    """An int becomes an n-tuple; a sequence must have n entries (kept as given, as MXNet
    keeps it, so reprs print what the user wrote)."""
    if isinstance(value, int):
        return (value,) * n
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise ValueError(f"{cls}: {name} must be a number or a list of {n} ints, got {value!r}.")
    return value


def _check_layout(cls: str, layout: str, n: int, channels_last: bool = True) -> None:
    allowed = (_FIRST[n], _LAST[n]) if channels_last else (_FIRST[n],)
    if layout not in allowed:
        raise ValueError(
            f"{cls}: layout must be {' or '.join(repr(a) for a in allowed)}, got {layout!r}."
        )


class _Conv(HybridBlock):
    """Shared body of the convolution layers (``op_name`` Convolution or Deconvolution)."""

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        strides: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        layout: str,
        in_channels: int = 0,
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        op_name: str = "Convolution",
        adj: Any = None,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(prefix=prefix, params=params)
        cls = type(self).__name__
        n = len(kernel_size)
        self._transposed = op_name == "Deconvolution"
        _check_layout(cls, layout, n, channels_last=not self._transposed)
        self._channels, self._in_channels, self._groups = channels, in_channels, groups
        self._layout, self._op_name = layout, op_name
        self._kwargs = {
            "kernel": kernel_size,
            "stride": _ntuple(cls, "strides", strides, n),
            "dilate": _ntuple(cls, "dilation", dilation, n),
            "pad": _ntuple(cls, "padding", padding, n),
            "num_filter": channels,
            "num_group": groups,
            "no_bias": not use_bias,
            "layout": layout,
        }
        if adj is not None:
            self._kwargs["adj"] = adj
        with self.name_scope():
            self.weight = self.params.get(
                "weight",
                shape=self._weight_shape(in_channels),
                init=weight_initializer,
                allow_deferred_init=True,
            )
            self.bias = (
                self.params.get(
                    "bias", shape=(channels,), init=bias_initializer, allow_deferred_init=True
                )
                if use_bias
                else None
            )
            self.act = (
                Activation(activation, prefix=activation + "_") if activation is not None else None
            )

    def _weight_shape(self, in_channels: int) -> tuple[int, ...]:
        k, g = tuple(self._kwargs["kernel"]), self._groups
        if self._transposed:
            return (in_channels, self._channels // g, *k)
        if self._layout == _LAST[len(k)]:
            return (self._channels, *k, in_channels // g)
        return (self._channels, in_channels // g, *k)

    def _alias(self) -> str:
        return "conv"

    def _in_axis(self) -> int:
        return -1 if self._layout == _LAST[len(self._kwargs["kernel"])] else 1

    def _check_input(self, x: Any, in_channels: int) -> None:
        n = len(self._kwargs["kernel"])
        if x.ndim != n + 2:
            raise OperatorError(
                f"{type(self).__name__} '{self.name}': expected {n + 2}-D input "
                f"({self._layout}), got shape {tuple(x.shape)}."
            )
        if in_channels and x.shape[self._in_axis()] != in_channels:
            raise OperatorError(
                f"{type(self).__name__} '{self.name}': expected {in_channels} input channels, "
                f"got shape {tuple(x.shape)}. Set in_channels=0 to infer it."
            )

    def infer_shape(self, x: Any, *args: Any) -> None:
        """Fill in the parameter dimensions left 0 (deferred) from the first input's shape.

        Parameters
        ----------
        x : NDArray or Symbol
            The first input.
        *args
            The other inputs (unused).
        """
        self._check_input(x, 0)
        self.weight.shape = self._weight_shape(x.shape[self._in_axis()])

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        """Convolve ``x`` with ``weight`` (or its transpose), add ``bias``, apply the activation.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            ``(batch, in_channels, *spatial)`` in the channels-first layout.
        weight : NDArray or Symbol
            The kernel; see the class's Notes for its shape.
        bias : NDArray or Symbol, optional
            ``(channels,)``; None when ``use_bias=False``.

        Returns
        -------
        NDArray or Symbol
            ``(batch, channels, *out_spatial)``.
        """
        w = weight.shape
        self._check_input(x, w[0] if self._transposed else w[self._in_axis()] * self._groups)
        y = getattr(F, self._op_name)(x, weight, bias, **self._kwargs)
        return self.act(y) if self.act is not None else y

    def __repr__(self) -> str:
        kw = self._kwargs
        n = len(kw["kernel"])
        # MXNet prints weight.shape[1] -> weight.shape[0], whatever the layout means by them.
        shape = self.weight.shape
        s = (
            f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]}, "
            f"kernel_size={kw['kernel']}, stride={kw['stride']}"
        )
        if tuple(kw["pad"]) != (0,) * n:
            s += f", padding={kw['pad']}"
        if tuple(kw["dilate"]) != (1,) * n:
            s += f", dilation={kw['dilate']}"
        if kw["num_group"] != 1:
            s += f", groups={kw['num_group']}"
        if self.bias is None:
            s += ", bias=False"
        if self.act is not None:
            s += f", {self.act}"
        return s + ")"


_CONV_DOC = """{n}-D convolution layer: ``out = activation(conv(data, weight) + bias)``.

    Parameters
    ----------
    channels : int
        Number of output channels.
    kernel_size : int or tuple of {n} ints
    strides : int or tuple of {n} ints, default 1
    padding : int or tuple of {n} ints, default 0
        Symmetric zero padding on both sides.
    dilation : int or tuple of {n} ints, default 1
    groups : int, default 1
        Split input and output channels into this many independent groups.
    layout : str, default {first!r}
        {first!r} or the channels-last {last!r} (MXNet runs channels-last on GPU only).
    activation : str, optional
        An ``Activation`` applied to the output.
    use_bias : bool, default True
    weight_initializer, bias_initializer : Initializer or str
        Defaults: the global initializer for the weight, ``'zeros'`` for the bias.
    in_channels : int, default 0
        Input channels; 0 infers them at the first forward.

    Notes
    -----
    Inputs: ``(batch, in_channels, *spatial)`` ({first}). Outputs: ``(batch, channels,
    *out_spatial)`` with ``out = floor((x + 2*padding - dilation*(kernel-1) - 1) / stride) + 1``.
    Weight: ``(channels, in_channels/groups, *kernel_size)`` (channels-last:
    ``(channels, *kernel_size, in_channels/groups)``, as MXNet).
    """


class Conv1D(_Conv):
    __doc__ = _CONV_DOC.format(n=1, first="NCW", last="NWC")

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        layout: str = "NCW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        kernel_size = _ntuple("Conv1D", "kernel_size", kernel_size, 1)
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
            activation, use_bias, weight_initializer, bias_initializer, **kwargs,
        )  # fmt: skip


class Conv2D(_Conv):
    __doc__ = (
        _CONV_DOC.format(n=2, first="NCHW", last="NHWC")
        + """
    Examples
    --------
    >>> import gluax as mx
    >>> conv = mx.gluon.nn.Conv2D(4, 3, padding=1, in_channels=2)
    >>> conv
    Conv2D(2 -> 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> conv.initialize()
    >>> conv(mx.nd.ones((1, 2, 5, 5))).shape
    (1, 4, 5, 5)
    """
    )

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: Any = (0, 0),
        dilation: Any = (1, 1),
        groups: int = 1,
        layout: str = "NCHW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        kernel_size = _ntuple("Conv2D", "kernel_size", kernel_size, 2)
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
            activation, use_bias, weight_initializer, bias_initializer, **kwargs,
        )  # fmt: skip


class Conv3D(_Conv):
    __doc__ = _CONV_DOC.format(n=3, first="NCDHW", last="NDHWC")

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        strides: Any = (1, 1, 1),
        padding: Any = (0, 0, 0),
        dilation: Any = (1, 1, 1),
        groups: int = 1,
        layout: str = "NCDHW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        kernel_size = _ntuple("Conv3D", "kernel_size", kernel_size, 3)
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
            activation, use_bias, weight_initializer, bias_initializer, **kwargs,
        )  # fmt: skip


_DECONV_DOC = """{n}-D transposed convolution (deconvolution) layer.

    Parameters as ``Conv{n}D``, plus ``output_padding`` (int or tuple of {n} ints, default 0):
    extra size added to one side of the output. Only the {first!r} layout is supported.

    Inputs: ``(batch, in_channels, *spatial)``. Outputs: ``(batch, channels, *out_spatial)``
    with ``out = (x-1)*strides - 2*padding + dilation*(kernel-1) + output_padding + 1``.
    Weight: ``(in_channels, channels/groups, *kernel_size)``.

    Notes
    -----
    MXNet's repr prints ``weight.shape[1] -> weight.shape[0]``, i.e. ``channels/groups ->
    in_channels`` for these layers; gluax keeps that. MXNet cannot infer the weight shape of a
    grouped transposed convolution without ``in_channels``; gluax infers it at the first
    forward.
    """


class _ConvTranspose(_Conv):
    def __init__(
        self, n: int, channels: int, kernel_size: Any, strides: Any, padding: Any,
        output_padding: Any, dilation: Any, groups: int, layout: str, activation: str | None,
        use_bias: bool, weight_initializer: Any, bias_initializer: Any, in_channels: int,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        cls = type(self).__name__
        kernel_size = _ntuple(cls, "kernel_size", kernel_size, n)
        output_padding = _ntuple(cls, "output_padding", output_padding, n)
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
            activation, use_bias, weight_initializer, bias_initializer,
            op_name="Deconvolution", adj=output_padding, **kwargs,
        )  # fmt: skip
        self.outpad = output_padding


class Conv1DTranspose(_ConvTranspose):
    __doc__ = _DECONV_DOC.format(n=1, first="NCW")

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        layout: str = "NCW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
            activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
        )  # fmt: skip


class Conv2DTranspose(_ConvTranspose):
    __doc__ = _DECONV_DOC.format(n=2, first="NCHW")

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: Any = (0, 0),
        output_padding: Any = (0, 0),
        dilation: Any = (1, 1),
        groups: int = 1,
        layout: str = "NCHW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
            activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
        )  # fmt: skip


class Conv3DTranspose(_ConvTranspose):
    __doc__ = _DECONV_DOC.format(n=3, first="NCDHW")

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        strides: Any = (1, 1, 1),
        padding: Any = (0, 0, 0),
        output_padding: Any = (0, 0, 0),
        dilation: Any = (1, 1, 1),
        groups: int = 1,
        layout: str = "NCDHW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            3, channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
            activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
        )  # fmt: skip


# ---- pooling ----------------------------------------------------------------------------


class _Pooling(HybridBlock):
    """Shared body of the pooling layers: one ``F.Pooling`` call."""

    def __init__(
        self,
        pool_size: Any,
        strides: Any,
        padding: Any,
        ceil_mode: bool,
        global_pool: bool,
        pool_type: str,
        layout: str,
        count_include_pad: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        cls, n = type(self).__name__, len(pool_size)
        _check_layout(cls, layout, n)
        if strides is None:
            strides = pool_size
        self._kwargs: dict[str, Any] = {
            "kernel": pool_size,
            "stride": _ntuple(cls, "strides", strides, n),
            "pad": _ntuple(cls, "padding", padding, n),
            "global_pool": global_pool,
            "pool_type": pool_type,
            "layout": layout,
            "pooling_convention": "full" if ceil_mode else "valid",
        }
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self) -> str:
        return "pool"

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Pool over windows of the spatial axes (the whole extent for global pooling).

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            ``(batch, channels, *spatial)``.

        Returns
        -------
        NDArray or Symbol
            ``(batch, channels, *out_spatial)``.
        """
        n = len(self._kwargs["kernel"])
        if x.ndim != n + 2:
            raise OperatorError(
                f"{type(self).__name__} '{self.name}': expected {n + 2}-D input "
                f"({self._kwargs['layout']}), got shape {tuple(x.shape)}."
            )
        return F.Pooling(x, **self._kwargs)

    def __repr__(self) -> str:
        kw = self._kwargs
        return (
            f"{type(self).__name__}(size={kw['kernel']}, stride={kw['stride']}, "
            f"padding={kw['pad']}, ceil_mode={kw['pooling_convention'] == 'full'}, "
            f"global_pool={kw['global_pool']}, pool_type={kw['pool_type']}, "
            f"layout={kw['layout']})"
        )


_POOL_DOC = """{kind} pooling over {n}-D feature maps.

    Parameters
    ----------
    pool_size : int or tuple of {n} ints, default {size}
    strides : int or tuple of {n} ints, optional
        Defaults to ``pool_size``.
    padding : int or tuple of {n} ints, default 0
    layout : str, default {first!r}
        Or the channels-last {last!r}.
    ceil_mode : bool, default False
        Round the output size up (MXNet's ``pooling_convention='full'``).{extra}

    Notes
    -----
    Inputs: ``(batch, channels, *spatial)`` ({first}). Outputs: ``(batch, channels,
    *out_spatial)`` with ``out = floor((x + 2*padding - pool_size) / strides) + 1`` (``ceil``
    with ``ceil_mode``).
    """
_CIP = """
    count_include_pad : bool, default True
        Divide by the full window size, padding included."""


def _pool_size(cls: str, pool_size: Any, n: int) -> Any:
    return _ntuple(cls, "pool_size", pool_size, n)


class MaxPool1D(_Pooling):
    __doc__ = _POOL_DOC.format(kind="Max", n=1, size=2, first="NCW", last="NWC", extra="")

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: Any = 0,
        layout: str = "NCW",
        ceil_mode: bool = False,
        **kwargs: Any,
    ) -> None:
        pool_size = _pool_size("MaxPool1D", pool_size, 1)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, **kwargs)


class MaxPool2D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Max", n=2, size=(2, 2), first="NCHW", last="NHWC", extra=""
    ) + (
        """
    Examples
    --------
    >>> import gluax as mx
    >>> mx.gluon.nn.MaxPool2D(pool_size=2, strides=2)(mx.nd.ones((1, 3, 28, 28))).shape
    (1, 3, 14, 14)
    """
    )

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: Any = 0,
        layout: str = "NCHW",
        ceil_mode: bool = False,
        **kwargs: Any,
    ) -> None:
        pool_size = _pool_size("MaxPool2D", pool_size, 2)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, **kwargs)


class MaxPool3D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Max", n=3, size=(2, 2, 2), first="NCDHW", last="NDHWC", extra=""
    )

    def __init__(
        self,
        pool_size: Any = (2, 2, 2),
        strides: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        layout: str = "NCDHW",
        **kwargs: Any,
    ) -> None:
        pool_size = _pool_size("MaxPool3D", pool_size, 3)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, **kwargs)


class AvgPool1D(_Pooling):
    __doc__ = _POOL_DOC.format(kind="Average", n=1, size=2, first="NCW", last="NWC", extra=_CIP)

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: Any = 0,
        layout: str = "NCW",
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        **kwargs: Any,
    ) -> None:
        pool_size = _pool_size("AvgPool1D", pool_size, 1)
        super().__init__(
            pool_size, strides, padding, ceil_mode, False, "avg", layout, count_include_pad,
            **kwargs,
        )  # fmt: skip


class AvgPool2D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Average", n=2, size=(2, 2), first="NCHW", last="NHWC", extra=_CIP
    )

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        layout: str = "NCHW",
        count_include_pad: bool = True,
        **kwargs: Any,
    ) -> None:
        pool_size = _pool_size("AvgPool2D", pool_size, 2)
        super().__init__(
            pool_size, strides, padding, ceil_mode, False, "avg", layout, count_include_pad,
            **kwargs,
        )  # fmt: skip


class AvgPool3D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Average", n=3, size=(2, 2, 2), first="NCDHW", last="NDHWC", extra=_CIP
    )

    def __init__(
        self,
        pool_size: Any = (2, 2, 2),
        strides: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        layout: str = "NCDHW",
        count_include_pad: bool = True,
        **kwargs: Any,
    ) -> None:
        pool_size = _pool_size("AvgPool3D", pool_size, 3)
        super().__init__(
            pool_size, strides, padding, ceil_mode, False, "avg", layout, count_include_pad,
            **kwargs,
        )  # fmt: skip


_GLOBAL_DOC = """Global {kind} pooling: each {n}-D feature map pools to size 1.

    Parameters
    ----------
    layout : str, default {first!r}
        Or the channels-last {last!r}.

    Notes
    -----
    Inputs: ``(batch, channels, *spatial)``. Outputs: ``(batch, channels{ones})`` (the spatial
    axes are kept with size 1, so a ``Flatten`` usually follows).
    """


class GlobalMaxPool1D(_Pooling):
    __doc__ = _GLOBAL_DOC.format(kind="max", n=1, first="NCW", last="NWC", ones=", 1")

    def __init__(self, layout: str = "NCW", **kwargs: Any) -> None:
        super().__init__((1,), None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool2D(_Pooling):
    __doc__ = _GLOBAL_DOC.format(kind="max", n=2, first="NCHW", last="NHWC", ones=", 1, 1")

    def __init__(self, layout: str = "NCHW", **kwargs: Any) -> None:
        super().__init__((1, 1), None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool3D(_Pooling):
    __doc__ = _GLOBAL_DOC.format(kind="max", n=3, first="NCDHW", last="NDHWC", ones=", 1, 1, 1")

    def __init__(self, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__((1, 1, 1), None, 0, True, True, "max", layout, **kwargs)


class GlobalAvgPool1D(_Pooling):
    __doc__ = _GLOBAL_DOC.format(kind="average", n=1, first="NCW", last="NWC", ones=", 1")

    def __init__(self, layout: str = "NCW", **kwargs: Any) -> None:
        super().__init__((1,), None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool2D(_Pooling):
    __doc__ = _GLOBAL_DOC.format(kind="average", n=2, first="NCHW", last="NHWC", ones=", 1, 1")

    def __init__(self, layout: str = "NCHW", **kwargs: Any) -> None:
        super().__init__((1, 1), None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool3D(_Pooling):
    __doc__ = _GLOBAL_DOC.format(kind="average", n=3, first="NCDHW", last="NDHWC", ones=", 1, 1, 1")

    def __init__(self, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__((1, 1, 1), None, 0, True, True, "avg", layout, **kwargs)
