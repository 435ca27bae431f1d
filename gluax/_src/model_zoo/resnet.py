"""ResNet V1 and V2 (He et al., 2015 and 2016), with MXNet 1.9.1's structure and names."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.context import Context, cpu
from gluax._src.gluon.block import HybridBlock
from gluax._src.model_zoo.model_store import DEFAULT_ROOT, load_pretrained
from gluax._src.nn.basic_layers import Activation, Dense, Flatten, HybridSequential
from gluax._src.nn.conv_layers import Conv2D, GlobalAvgPool2D, MaxPool2D
from gluax._src.nn.norm_layers import BatchNorm

_BLOCK_DOC = """
    Parameters
    ----------
    channels : int
        Number of output channels.
    stride : int
        Stride of the block's spatial downsampling.
    downsample : bool, default False
        Project the shortcut with a strided 1x1 convolution (when shape or stride change).
    in_channels : int, default 0
        Number of input channels; 0 infers it at the first forward.
    """


def _conv3x3(channels: int, stride: int, in_channels: int) -> Conv2D:
    return Conv2D(
        channels, kernel_size=3, strides=stride, padding=1, use_bias=False, in_channels=in_channels
    )


def _projection(channels: int, stride: int, in_channels: int) -> HybridSequential:
    out = HybridSequential(prefix="")
    out.add(
        Conv2D(channels, kernel_size=1, strides=stride, use_bias=False, in_channels=in_channels)
    )
    out.add(BatchNorm())
    return out


class BasicBlockV1(HybridBlock):
    __doc__ = (
        """Residual block of two 3x3 convolutions, each followed by BatchNorm, with ReLU after
    the first and after the sum with the shortcut (ResNet V1 18 and 34).
    """
        + _BLOCK_DOC
    )

    def __init__(
        self,
        channels: int,
        stride: int,
        downsample: bool = False,
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.body = HybridSequential(prefix="")
        self.body.add(_conv3x3(channels, stride, in_channels))
        self.body.add(BatchNorm())
        self.body.add(Activation("relu"))
        self.body.add(_conv3x3(channels, 1, channels))
        self.body.add(BatchNorm())
        self.downsample = _projection(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """``relu(body(x) + shortcut(x))``: two 3x3 convolutions with batch norm."""
        residual = self.downsample(x) if self.downsample is not None else x
        return F.Activation(residual + self.body(x), act_type="relu")


class BottleneckV1(HybridBlock):
    __doc__ = (
        """Bottleneck residual block: 1x1 (channels/4, strided), 3x3 (channels/4), 1x1
    (channels) convolutions with BatchNorm, ReLU after the sum (ResNet V1 50, 101, 152).
    """
        + _BLOCK_DOC
    )

    def __init__(
        self,
        channels: int,
        stride: int,
        downsample: bool = False,
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.body = HybridSequential(prefix="")
        # MXNet 1.9 keeps the bias of the first and last convolutions of this block.
        self.body.add(Conv2D(channels // 4, kernel_size=1, strides=stride))
        self.body.add(BatchNorm())
        self.body.add(Activation("relu"))
        self.body.add(_conv3x3(channels // 4, 1, channels // 4))
        self.body.add(BatchNorm())
        self.body.add(Activation("relu"))
        self.body.add(Conv2D(channels, kernel_size=1, strides=1))
        self.body.add(BatchNorm())
        self.downsample = _projection(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """``relu(body(x) + shortcut(x))``: 1x1, 3x3, 1x1 convolutions with batch norm."""
        residual = self.downsample(x) if self.downsample is not None else x
        return F.Activation(self.body(x) + residual, act_type="relu")


class BasicBlockV2(HybridBlock):
    __doc__ = (
        """Pre-activation residual block: BatchNorm, ReLU, 3x3 convolution, twice; the
    projected shortcut starts after the first ReLU (ResNet V2 18 and 34).
    """
        + _BLOCK_DOC
    )

    def __init__(
        self,
        channels: int,
        stride: int,
        downsample: bool = False,
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bn1 = BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self.downsample = (
            Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels)
            if downsample
            else None
        )

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Pre-activation block: batch norm and ReLU before each of two 3x3 convolutions, plus the shortcut."""
        residual = x
        x = F.Activation(self.bn1(x), act_type="relu")
        if self.downsample is not None:
            residual = self.downsample(x)
        x = self.conv1(x)
        x = self.conv2(F.Activation(self.bn2(x), act_type="relu"))
        return x + residual


class BottleneckV2(HybridBlock):
    __doc__ = (
        """Pre-activation bottleneck block: (BatchNorm, ReLU, convolution) with 1x1, 3x3
    (strided) and 1x1 kernels (ResNet V2 50, 101, 152).
    """
        + _BLOCK_DOC
    )

    def __init__(
        self,
        channels: int,
        stride: int,
        downsample: bool = False,
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bn1 = BatchNorm()
        self.conv1 = Conv2D(channels // 4, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = BatchNorm()
        self.conv2 = _conv3x3(channels // 4, stride, channels // 4)
        self.bn3 = BatchNorm()
        self.conv3 = Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self.downsample = (
            Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels)
            if downsample
            else None
        )

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Pre-activation bottleneck: batch norm and ReLU before each of the 1x1, 3x3, 1x1 convolutions, plus the shortcut."""
        residual = x
        x = F.Activation(self.bn1(x), act_type="relu")
        if self.downsample is not None:
            residual = self.downsample(x)
        x = self.conv1(x)
        x = self.conv2(F.Activation(self.bn2(x), act_type="relu"))
        x = self.conv3(F.Activation(self.bn3(x), act_type="relu"))
        return x + residual


_NET_DOC = """
    Parameters
    ----------
    block : type
        The residual block class: ``{basic}`` or ``{bottleneck}``.
    layers : list of int
        Number of blocks in each stage.
    channels : list of int
        Channels of the stem, then of each stage (one more entry than ``layers``).
    classes : int, default 1000
        Number of classes of the output layer.
    thumbnail : bool, default False
        Replace the 7x7 stem and its max pooling by one 3x3 convolution (small images).

    Notes
    -----
    Inputs: ``(N, 3, H, W)``. Outputs: ``(N, classes)``.

    Raises
    ------
    ValueError
        If ``len(channels) != len(layers) + 1``.
    """


def _check_spec(cls: str, layers: list[int], channels: list[int]) -> None:
    if len(layers) != len(channels) - 1:
        raise ValueError(
            f"{cls}: channels needs one entry more than layers (the stem's channels first), got "
            f"layers={list(layers)!r} and channels={list(channels)!r}."
        )


def _make_stage(
    block: type, layers: int, channels: int, stride: int, stage_index: int, in_channels: int
) -> HybridSequential:
    stage = HybridSequential(prefix=f"stage{stage_index}_")
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels=in_channels,
                        prefix=""))  # fmt: skip
        for _ in range(layers - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=""))
    return stage


class ResNetV1(HybridBlock):
    __doc__ = """ResNet V1 from "Deep Residual Learning for Image Recognition" (He et al., 2015):
    ``features`` (stem, stages, global average pooling) then ``output`` (Dense).
    """ + _NET_DOC.format(basic="BasicBlockV1", bottleneck="BottleneckV1")

    def __init__(
        self,
        block: type,
        layers: list[int],
        channels: list[int],
        classes: int = 1000,
        thumbnail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_spec(type(self).__name__, layers, channels)
        with self.name_scope():
            self.features = HybridSequential(prefix="")
            if thumbnail:
                self.features.add(_conv3x3(channels[0], 1, 0))
            else:
                self.features.add(Conv2D(channels[0], 7, 2, 3, use_bias=False))
                self.features.add(BatchNorm())
                self.features.add(Activation("relu"))
                self.features.add(MaxPool2D(3, 2, 1))
            for i, num_layer in enumerate(layers):
                stride = 1 if i == 0 else 2
                self.features.add(
                    _make_stage(block, num_layer, channels[i + 1], stride, i + 1, channels[i])
                )
            self.features.add(GlobalAvgPool2D())
            self.output = Dense(classes, in_units=channels[-1])

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Features, then the classifier."""
        return self.output(self.features(x))


class ResNetV2(HybridBlock):
    __doc__ = """ResNet V2 from "Identity Mappings in Deep Residual Networks" (He et al., 2016):
    pre-activation blocks; ``features`` starts with a BatchNorm of fixed scale and shift that
    normalizes the input, ends with BatchNorm, ReLU, global average pooling and Flatten.
    """ + _NET_DOC.format(basic="BasicBlockV2", bottleneck="BottleneckV2")

    def __init__(
        self,
        block: type,
        layers: list[int],
        channels: list[int],
        classes: int = 1000,
        thumbnail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_spec(type(self).__name__, layers, channels)
        with self.name_scope():
            self.features = HybridSequential(prefix="")
            self.features.add(BatchNorm(scale=False, center=False))
            if thumbnail:
                self.features.add(_conv3x3(channels[0], 1, 0))
            else:
                self.features.add(Conv2D(channels[0], 7, 2, 3, use_bias=False))
                self.features.add(BatchNorm())
                self.features.add(Activation("relu"))
                self.features.add(MaxPool2D(3, 2, 1))
            in_channels = channels[0]
            for i, num_layer in enumerate(layers):
                stride = 1 if i == 0 else 2
                self.features.add(
                    _make_stage(block, num_layer, channels[i + 1], stride, i + 1, in_channels)
                )
                in_channels = channels[i + 1]
            self.features.add(BatchNorm())
            self.features.add(Activation("relu"))
            self.features.add(GlobalAvgPool2D())
            self.features.add(Flatten())
            self.output = Dense(classes, in_units=in_channels)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Features, then the classifier."""
        return self.output(self.features(x))


RESNET_SPEC = {
    18: ("basic_block", [2, 2, 2, 2], [64, 64, 128, 256, 512]),
    34: ("basic_block", [3, 4, 6, 3], [64, 64, 128, 256, 512]),
    50: ("bottle_neck", [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
    101: ("bottle_neck", [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
    152: ("bottle_neck", [3, 8, 36, 3], [64, 256, 512, 1024, 2048]),
}

_NETS = {1: ResNetV1, 2: ResNetV2}
_BLOCKS = {
    1: {"basic_block": BasicBlockV1, "bottle_neck": BottleneckV1},
    2: {"basic_block": BasicBlockV2, "bottle_neck": BottleneckV2},
}


def get_resnet(
    version: int,
    num_layers: int,
    pretrained: bool = False,
    ctx: Context = cpu(),
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> HybridBlock:
    """ResNet V1 (He et al., 2015) or V2 (He et al., 2016) of 18, 34, 50, 101 or 152 layers.

    Parameters
    ----------
    version : int
        1 or 2.
    num_layers : int
        18, 34, 50, 101 or 152.
    pretrained : bool, default False
        Load MXNet's pretrained weights ``resnet{num_layers}_v{version}-<hash>.params`` from
        ``root`` (never downloaded; see ``model_store.get_model_file``).
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to ``ResNetV1``/``ResNetV2`` (``classes``, ``thumbnail``, ``prefix``, ...).

    Raises
    ------
    ValueError
        For an unknown ``version`` or ``num_layers``.
    FileNotFoundError
        With ``pretrained=True`` when the weight file is not in ``root``.

    Examples
    --------
    >>> from gluax.gluon.model_zoo import vision
    >>> type(vision.get_resnet(2, 18, classes=10)).__name__
    'ResNetV2'
    """
    if num_layers not in RESNET_SPEC:
        raise ValueError(
            f"Invalid number of layers: {num_layers}. Options are {sorted(RESNET_SPEC)}."
        )
    if version not in _NETS:
        raise ValueError(f"Invalid resnet version: {version}. Options are 1 and 2.")
    block_type, layers, channels = RESNET_SPEC[num_layers]
    net = _NETS[version](_BLOCKS[version][block_type], layers, channels, **kwargs)
    if pretrained:
        load_pretrained(net, f"resnet{num_layers}_v{version}", root, ctx)
    return net


def _constructor(version: int, num_layers: int) -> Any:
    paper = (
        '"Deep Residual Learning for Image Recognition"'
        if version == 1
        else '"Identity Mappings in Deep Residual Networks"'
    )

    def make(**kwargs: Any) -> HybridBlock:
        return get_resnet(version, num_layers, **kwargs)

    make.__name__ = make.__qualname__ = f"resnet{num_layers}_v{version}"
    make.__doc__ = f"""ResNet-{num_layers} V{version} from {paper}.

    Parameters
    ----------
    pretrained : bool, default False
        Load MXNet's pretrained weights from ``root``.
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to the model class (``classes``, ``thumbnail``, ...).
    """
    return make


resnet18_v1 = _constructor(1, 18)
resnet34_v1 = _constructor(1, 34)
resnet50_v1 = _constructor(1, 50)
resnet101_v1 = _constructor(1, 101)
resnet152_v1 = _constructor(1, 152)
resnet18_v2 = _constructor(2, 18)
resnet34_v2 = _constructor(2, 34)
resnet50_v2 = _constructor(2, 50)
resnet101_v2 = _constructor(2, 101)
resnet152_v2 = _constructor(2, 152)
