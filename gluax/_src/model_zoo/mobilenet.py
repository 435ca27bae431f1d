"""MobileNet (Howard et al., 2017) and MobileNetV2 (Sandler et al., 2018), with MXNet 1.9.1's
structure and names."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.context import Context, cpu
from gluax._src.gluon.block import HybridBlock
from gluax._src.model_zoo.model_store import DEFAULT_ROOT, load_pretrained
from gluax._src.nn.basic_layers import Activation, Dense, Flatten, HybridSequential
from gluax._src.nn.conv_layers import Conv2D, GlobalAvgPool2D
from gluax._src.nn.norm_layers import BatchNorm


class RELU6(HybridBlock):
    """``min(max(x, 0), 6)``, the activation of MobileNetV2."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.clip(x, 0, 6)


def _add_conv(
    out: HybridSequential,
    channels: int = 1,
    kernel: int = 1,
    stride: int = 1,
    pad: int = 0,
    num_group: int = 1,
    active: bool = True,
    relu6: bool = False,
) -> None:
    out.add(Conv2D(channels, kernel, stride, pad, groups=num_group, use_bias=False))
    out.add(BatchNorm(scale=True))
    if active:
        out.add(RELU6() if relu6 else Activation("relu"))


def _add_conv_dw(
    out: HybridSequential, dw_channels: int, channels: int, stride: int, relu6: bool = False
) -> None:
    """A depthwise 3x3 convolution followed by a pointwise 1x1 one."""
    _add_conv(out, channels=dw_channels, kernel=3, stride=stride, pad=1, num_group=dw_channels,
              relu6=relu6)  # fmt: skip
    _add_conv(out, channels=channels, relu6=relu6)


class LinearBottleneck(HybridBlock):
    """Inverted residual block of MobileNetV2: 1x1 expansion by ``t``, 3x3 depthwise
    convolution (strided), linear 1x1 projection; the input is added back when the stride is
    1 and the channels are unchanged.

    Parameters
    ----------
    in_channels : int
        Number of input channels.
    channels : int
        Number of output channels.
    t : int
        Expansion ratio.
    stride : int
        Stride of the depthwise convolution.
    """

    def __init__(self, in_channels: int, channels: int, t: int, stride: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        with self.name_scope():
            self.out = HybridSequential()
            _add_conv(self.out, in_channels * t, relu6=True)
            _add_conv(self.out, in_channels * t, kernel=3, stride=stride, pad=1,
                      num_group=in_channels * t, relu6=True)  # fmt: skip
            _add_conv(self.out, channels, active=False, relu6=True)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        out = self.out(x)
        return F.elemwise_add(out, x) if self.use_shortcut else out


class MobileNet(HybridBlock):
    """MobileNet from "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
    Applications" (Howard et al., 2017).

    ``features``: a 3x3/2 convolution, then 13 depthwise-separable pairs (each convolution
    followed by BatchNorm and ReLU), global average pooling and Flatten; ``output``:
    Dense(classes).

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier: every layer has ``int(channels * multiplier)`` channels. MXNet's
        pretrained weights exist for 1.0, 0.75, 0.5 and 0.25.
    classes : int, default 1000
        Number of classes of the output layer.

    Notes
    -----
    Inputs: ``(N, 3, H, W)`` (224x224 for the pretrained weights). Outputs: ``(N, classes)``.
    """

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = HybridSequential(prefix="")
            with self.features.name_scope():
                _add_conv(self.features, channels=int(32 * multiplier), kernel=3, pad=1, stride=2)
                dw_channels = [int(x * multiplier) for x in [32, 64] + [128] * 2 + [256] * 2
                               + [512] * 6 + [1024]]  # fmt: skip
                channels = [int(x * multiplier) for x in [64] + [128] * 2 + [256] * 2
                            + [512] * 6 + [1024] * 2]  # fmt: skip
                strides = [1, 2] * 3 + [1] * 5 + [2, 1]
                for dwc, c, s in zip(dw_channels, channels, strides):
                    _add_conv_dw(self.features, dw_channels=dwc, channels=c, stride=s)
                self.features.add(GlobalAvgPool2D())
                self.features.add(Flatten())
            self.output = Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Features, then the classifier."""
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """MobileNetV2 from "Inverted Residuals and Linear Bottlenecks: Mobile Networks for
    Classification, Detection and Segmentation" (Sandler et al., 2018).

    ``features`` (prefix ``features_``): a 3x3/2 convolution, 17 ``LinearBottleneck`` blocks, a
    1x1 convolution to 1280 channels (``int(1280 * multiplier)`` when the multiplier exceeds
    1), global average pooling, with ReLU6 activations; ``output`` (prefix ``output_``): a
    1x1 convolution without bias to ``classes`` channels (prefix ``pred_``) and Flatten.

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier of the channels. MXNet's pretrained weights exist for 1.0, 0.75, 0.5
        and 0.25.
    classes : int, default 1000
        Number of classes.

    Notes
    -----
    Inputs: ``(N, 3, H, W)`` (224x224 for the pretrained weights). Outputs: ``(N, classes)``.
    """

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = HybridSequential(prefix="features_")
            with self.features.name_scope():
                _add_conv(self.features, int(32 * multiplier), kernel=3, stride=2, pad=1,
                          relu6=True)  # fmt: skip
                in_channels_group = [int(x * multiplier) for x in [32] + [16] + [24] * 2
                                     + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3]  # fmt: skip
                channels_group = [int(x * multiplier) for x in [16] + [24] * 2 + [32] * 3
                                  + [64] * 4 + [96] * 3 + [160] * 3 + [320]]  # fmt: skip
                ts = [1] + [6] * 16
                strides = [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3
                for in_c, c, t, s in zip(in_channels_group, channels_group, ts, strides):
                    self.features.add(LinearBottleneck(in_channels=in_c, channels=c, t=t, stride=s))
                last_channels = int(1280 * multiplier) if multiplier > 1.0 else 1280
                _add_conv(self.features, last_channels, relu6=True)
                self.features.add(GlobalAvgPool2D())

            self.output = HybridSequential(prefix="output_")
            with self.output.name_scope():
                self.output.add(Conv2D(classes, 1, use_bias=False, prefix="pred_"), Flatten())

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Features, then the classifier."""
        return self.output(self.features(x))


def _version_suffix(multiplier: float) -> str:
    # MXNet's file names: 1.0, 0.75, 0.5, 0.25
    suffix = f"{multiplier:.2f}"
    return suffix[:-1] if suffix in ("1.00", "0.50") else suffix


_GET_DOC = """{title}

    Parameters
    ----------
    multiplier : float
        Width multiplier of the channels.
    pretrained : bool, default False
        Load MXNet's pretrained weights ``{stem}<multiplier>-<hash>.params`` from ``root``
        (never downloaded; multipliers 1.0, 0.75, 0.5 and 0.25 exist).
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to ``{cls}`` (``classes``, ``prefix``, ...).

    Raises
    ------
    FileNotFoundError
        With ``pretrained=True`` when the weight file is not in ``root``.
    ValueError
        With ``pretrained=True`` for a multiplier without pretrained weights.
    """


def get_mobilenet(
    multiplier: float,
    pretrained: bool = False,
    ctx: Context = cpu(),
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> MobileNet:
    net = MobileNet(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, f"mobilenet{_version_suffix(multiplier)}", root, ctx)
    return net


def get_mobilenet_v2(
    multiplier: float,
    pretrained: bool = False,
    ctx: Context = cpu(),
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> MobileNetV2:
    net = MobileNetV2(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, f"mobilenetv2_{_version_suffix(multiplier)}", root, ctx)
    return net


get_mobilenet.__doc__ = _GET_DOC.format(
    title="MobileNet with width multiplier ``multiplier``.", stem="mobilenet", cls="MobileNet"
)
get_mobilenet_v2.__doc__ = _GET_DOC.format(
    title="MobileNetV2 with width multiplier ``multiplier``.",
    stem="mobilenetv2_",
    cls="MobileNetV2",
)


def _constructor(getter: Any, multiplier: float, name: str) -> Any:
    def make(**kwargs: Any) -> HybridBlock:
        return getter(multiplier, **kwargs)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"""{getter.__name__}({multiplier}, **kwargs): {
        "MobileNetV2" if "v2" in name else "MobileNet"
    } with width multiplier {multiplier}.

    Parameters
    ----------
    pretrained : bool, default False
        Load MXNet's pretrained weights from ``root``.
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to the model class (``classes``, ...).
    """
    return make


mobilenet1_0 = _constructor(get_mobilenet, 1.0, "mobilenet1_0")
mobilenet0_75 = _constructor(get_mobilenet, 0.75, "mobilenet0_75")
mobilenet0_5 = _constructor(get_mobilenet, 0.5, "mobilenet0_5")
mobilenet0_25 = _constructor(get_mobilenet, 0.25, "mobilenet0_25")
mobilenet_v2_1_0 = _constructor(get_mobilenet_v2, 1.0, "mobilenet_v2_1_0")
mobilenet_v2_0_75 = _constructor(get_mobilenet_v2, 0.75, "mobilenet_v2_0_75")
mobilenet_v2_0_5 = _constructor(get_mobilenet_v2, 0.5, "mobilenet_v2_0_5")
mobilenet_v2_0_25 = _constructor(get_mobilenet_v2, 0.25, "mobilenet_v2_0_25")
