"""SqueezeNet 1.0 and 1.1 (Iandola et al., 2016), with MXNet 1.9.1's structure and names."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.context import Context, cpu
from gluax._src.gluon.block import HybridBlock
from gluax._src.model_zoo.layers import HybridConcurrent
from gluax._src.model_zoo.model_store import DEFAULT_ROOT, load_pretrained
from gluax._src.nn.basic_layers import Activation, Flatten, HybridSequential
from gluax._src.nn.conv_layers import AvgPool2D, Conv2D, MaxPool2D
from gluax._src.nn.misc_layers import Dropout


def _make_fire_conv(channels: int, kernel_size: int, padding: int = 0) -> HybridSequential:
    out = HybridSequential(prefix="")
    out.add(Conv2D(channels, kernel_size, padding=padding))
    out.add(Activation("relu"))
    return out


def _make_fire(squeeze: int, expand1x1: int, expand3x3: int) -> HybridSequential:
    """A fire module: a 1x1 squeeze, then 1x1 and 3x3 expansions concatenated."""
    out = HybridSequential(prefix="")
    out.add(_make_fire_conv(squeeze, 1))
    paths = HybridConcurrent(axis=1, prefix="")
    paths.add(_make_fire_conv(expand1x1, 1))
    paths.add(_make_fire_conv(expand3x3, 3, 1))
    out.add(paths)
    return out


# (squeeze, expand) channels of the fire modules, "M" a 3x3/2 max pooling (ceil mode)
_LAYOUT = {
    "1.0": (96, 7, [(16, 64), (16, 64), (32, 128), "M", (32, 128), (48, 192), (48, 192),
                    (64, 256), "M", (64, 256)]),
    "1.1": (64, 3, [(16, 64), (16, 64), "M", (32, 128), (32, 128), "M", (48, 192), (48, 192),
                    (64, 256), (64, 256)]),
}  # fmt: skip


class SqueezeNet(HybridBlock):
    """SqueezeNet from "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
    <0.5MB model size" (1.0), and 1.1 from the official SqueezeNet repository (2.4x less
    computation, about as accurate).

    ``features``: a strided convolution, max poolings and fire modules, Dropout(0.5);
    ``output``: 1x1 convolution to ``classes`` channels, ReLU, 13x13 average pooling, Flatten.

    Parameters
    ----------
    version : str
        ``'1.0'`` or ``'1.1'``.
    classes : int, default 1000
        Number of classes.

    Notes
    -----
    Inputs: ``(N, 3, 224, 224)`` (the 13x13 pooling needs the final 13x13 map).
    Outputs: ``(N, classes)``.

    Raises
    ------
    ValueError
        For a version other than '1.0' and '1.1'.
    """

    def __init__(self, version: str, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if version not in _LAYOUT:
            raise ValueError(
                f"Unsupported SqueezeNet version {version!r}: '1.0' or '1.1' expected."
            )
        channels, kernel, fires = _LAYOUT[version]
        with self.name_scope():
            self.features = HybridSequential(prefix="")
            self.features.add(Conv2D(channels, kernel_size=kernel, strides=2))
            self.features.add(Activation("relu"))
            self.features.add(MaxPool2D(pool_size=3, strides=2, ceil_mode=True))
            for fire in fires:
                if fire == "M":
                    self.features.add(MaxPool2D(pool_size=3, strides=2, ceil_mode=True))
                else:
                    squeeze, expand = fire
                    self.features.add(_make_fire(squeeze, expand, expand))
            self.features.add(Dropout(0.5))

            self.output = HybridSequential(prefix="")
            self.output.add(Conv2D(classes, kernel_size=1))
            self.output.add(Activation("relu"))
            self.output.add(AvgPool2D(13))
            self.output.add(Flatten())

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Features, then the classifier."""
        return self.output(self.features(x))


def get_squeezenet(
    version: str,
    pretrained: bool = False,
    ctx: Context = cpu(),
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> SqueezeNet:
    """SqueezeNet ``'1.0'`` or ``'1.1'``.

    Parameters
    ----------
    version : str
        ``'1.0'`` or ``'1.1'``.
    pretrained : bool, default False
        Load MXNet's pretrained weights ``squeezenet{version}-<hash>.params`` from ``root``
        (never downloaded).
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to ``SqueezeNet`` (``classes``, ``prefix``, ...).

    Raises
    ------
    FileNotFoundError
        With ``pretrained=True`` when the weight file is not in ``root``.
    """
    net = SqueezeNet(version, **kwargs)
    if pretrained:
        load_pretrained(net, f"squeezenet{version}", root, ctx)
    return net


def squeezenet1_0(**kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.0; keyword arguments as ``get_squeezenet`` (``pretrained``, ``ctx``,
    ``root``, ``classes``, ...)."""
    return get_squeezenet("1.0", **kwargs)


def squeezenet1_1(**kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.1; keyword arguments as ``get_squeezenet`` (``pretrained``, ``ctx``,
    ``root``, ``classes``, ...)."""
    return get_squeezenet("1.1", **kwargs)
