"""``gluon.contrib.cnn`` layers: DeformableConvolution (v1) and ModulatedDeformableConvolution
(v2), each with the convolution that predicts its offsets (and mask), under MXNet's parameter
names (``offset_weight``, ``offset_bias``, ``deformable_conv_weight``,
``deformable_conv_bias``) and prefixes (``deformable_conv0_``, ``modulated_deformable_conv0_``)."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.base import OperatorError
from gluax._src.gluon.block import HybridBlock
from gluax._src.nn.basic_layers import Activation


def _two(cls: str, name: str, v: Any) -> tuple[int, int]:
    t = (int(v),) * 2 if isinstance(v, (int, float)) else tuple(int(x) for x in v)
    if len(t) != 2:
        raise OperatorError(f"{cls}: {name} must be an int or 2 ints, got {v!r}.")
    return t  # type: ignore[return-value]


class _Deformable(HybridBlock):
    """Shared body: an offset convolution then the deformable operator."""

    _v2 = False

    def __init__(
        self,
        channels: int,
        kernel_size: Any = (1, 1),
        strides: Any = (1, 1),
        padding: Any = (0, 0),
        dilation: Any = (1, 1),
        groups: int = 1,
        num_deformable_group: int = 1,
        layout: str = "NCHW",
        use_bias: bool = True,
        in_channels: int = 0,
        activation: str | None = None,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        offset_weight_initializer: Any = "zeros",
        offset_bias_initializer: Any = "zeros",
        offset_use_bias: bool = True,
        op_name: str | None = None,
        adj: Any = None,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(prefix=prefix, params=params)
        cls = type(self).__name__
        if layout != "NCHW":
            raise OperatorError(f"{cls}: only layout 'NCHW' is supported, got {layout!r}.")
        k = _two(cls, "kernel_size", kernel_size)
        common = {
            "kernel": k,
            "stride": _two(cls, "strides", strides),
            "dilate": _two(cls, "dilation", dilation),
            "pad": _two(cls, "padding", padding),
            "num_group": groups,
            "layout": layout,
        }
        taps = k[0] * k[1] * num_deformable_group
        self._split = 2 * taps
        self._channels, self._in_channels, self._groups = channels, in_channels, groups
        self._kwargs_offset = dict(
            common, num_filter=(3 if self._v2 else 2) * taps, no_bias=not offset_use_bias
        )
        self._kwargs_deformable_conv = dict(
            common,
            num_filter=channels,
            num_deformable_group=num_deformable_group,
            no_bias=not use_bias,
        )
        with self.name_scope():
            conv = [
                (
                    "deformable_conv_weight",
                    (channels, in_channels // groups, *k),
                    weight_initializer,
                    True,
                ),
                ("deformable_conv_bias", (channels,), bias_initializer, use_bias),
            ]
            off = [
                (
                    "offset_weight",
                    (self._kwargs_offset["num_filter"], in_channels // groups, *k),
                    offset_weight_initializer,
                    True,
                ),
                (
                    "offset_bias",
                    (self._kwargs_offset["num_filter"],),
                    offset_bias_initializer,
                    offset_use_bias,
                ),
            ]
            # MXNet creates the offset parameters first in v1 and last in v2
            for name, shape, init, used in conv + off if self._v2 else off + conv:
                p = (
                    self.params.get(name, shape=shape, init=init, allow_deferred_init=True)
                    if used
                    else None
                )
                setattr(self, name, p)
            self.act = Activation(activation, prefix=activation + "_") if activation else None

    def infer_shape(self, x: Any, *args: Any) -> None:
        """Fill in the input-channel dimension of the weights from the first input's shape.

        Parameters
        ----------
        x : NDArray or Symbol
            The input ``(batch, in_channels, height, width)``.
        *args
            Unused.
        """
        if x.ndim != 4:
            raise OperatorError(
                f"{type(self).__name__} '{self.name}': expected a 4-D input (NCHW), got shape "
                f"{tuple(x.shape)}."
            )
        cin = x.shape[1] // self._groups
        w = self.deformable_conv_weight
        w.shape = (w.shape[0], cin, *w.shape[2:])
        o = self.offset_weight
        o.shape = (o.shape[0], cin, *o.shape[2:])

    def hybrid_forward(
        self,
        F: Any,
        x: Any,
        offset_weight: Any,
        deformable_conv_weight: Any,
        offset_bias: Any = None,
        deformable_conv_bias: Any = None,
    ) -> Any:
        """Predict the offsets (and, for v2, the mask ``2 * sigmoid``) with a convolution of
        ``x``, then apply the deformable convolution and the activation.

        Parameters
        ----------
        F : module
            ``mx.nd`` or ``mx.sym``.
        x : NDArray or Symbol
            ``(batch, in_channels, height, width)``.
        offset_weight, deformable_conv_weight : NDArray or Symbol
            The offset convolution's and the deformable convolution's kernels.
        offset_bias, deformable_conv_bias : NDArray or Symbol, optional
            Their biases (None when disabled).

        Returns
        -------
        NDArray or Symbol
            ``(batch, channels, out_height, out_width)``.
        """
        offset = F.Convolution(x, offset_weight, offset_bias, **self._kwargs_offset)
        if self._v2:
            off = F.slice_axis(offset, axis=1, begin=0, end=self._split)
            mask = F.sigmoid(F.slice_axis(offset, axis=1, begin=self._split, end=None)) * 2
            y = F.contrib.ModulatedDeformableConvolution(
                x,
                off,
                mask,
                deformable_conv_weight,
                deformable_conv_bias,
                **self._kwargs_deformable_conv,
            )
        else:
            y = F.contrib.DeformableConvolution(
                x,
                offset,
                deformable_conv_weight,
                deformable_conv_bias,
                **self._kwargs_deformable_conv,
            )
        return self.act(y) if self.act is not None else y

    def __repr__(self) -> str:
        kw = self._kwargs_deformable_conv
        shape = self.deformable_conv_weight.shape
        s = (
            f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]}, "
            f"kernel_size={kw['kernel']}, stride={kw['stride']}"
        )
        if kw["pad"] != (0, 0):
            s += f", padding={kw['pad']}"
        if kw["dilate"] != (1, 1):
            s += f", dilation={kw['dilate']}"
        if kw["num_group"] != 1:
            s += f", groups={kw['num_group']}"
        if kw["no_bias"]:
            s += ", bias=False"
        if self.act is not None:
            s += f", {self.act}"
        return s + ")"


class DeformableConvolution(_Deformable):
    """2-D deformable convolution v1 (Dai et al. 2017): a convolution (``offset_weight``,
    ``offset_bias``, zero-initialised) predicts ``2 * kh * kw * num_deformable_group`` offset
    channels, and :func:`mx.nd.contrib.DeformableConvolution` samples the input at the moved
    taps with ``deformable_conv_weight``/``deformable_conv_bias``. Arguments as MXNet's
    ``gluon.contrib.cnn.DeformableConvolution`` (layout NCHW).

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon.contrib.cnn import DeformableConvolution
    >>> net = DeformableConvolution(4, kernel_size=3, padding=1)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 2, 5, 5))).shape
    (1, 4, 5, 5)
    """

    def _alias(self) -> str:
        return "deformable_conv"


class ModulatedDeformableConvolution(_Deformable):
    """2-D modulated deformable convolution v2 (Zhu et al. 2018): like
    :class:`DeformableConvolution`, with ``3 * kh * kw * num_deformable_group`` predicted
    channels, the last third a mask (``2 * sigmoid``) scaling each sample.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon.contrib.cnn import ModulatedDeformableConvolution
    >>> net = ModulatedDeformableConvolution(4, kernel_size=3, padding=1)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 2, 5, 5))).shape
    (1, 4, 5, 5)
    """

    _v2 = True

    def _alias(self) -> str:
        return "modulated_deformable_conv"
