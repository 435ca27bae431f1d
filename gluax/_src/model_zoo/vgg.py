"""VGG (Simonyan and Zisserman, 2014) with and without BatchNorm, with MXNet 1.9.1's structure,
names and initializers."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.context import Context, cpu
from gluax._src.gluon.block import HybridBlock
from gluax._src.gluon.init import Xavier
from gluax._src.model_zoo.model_store import DEFAULT_ROOT, load_pretrained
from gluax._src.nn.basic_layers import Activation, Dense, HybridSequential
from gluax._src.nn.conv_layers import Conv2D, MaxPool2D
from gluax._src.nn.misc_layers import Dropout
from gluax._src.nn.norm_layers import BatchNorm


class VGG(HybridBlock):
    """VGG from "Very Deep Convolutional Networks for Large-Scale Image Recognition"
    (Simonyan and Zisserman, 2014).

    ``features`` holds the blocks of 3x3 convolutions (each block ending in a 2x2 max pooling)
    and two Dense(4096) layers with ReLU and Dropout(0.5); ``output`` is Dense(classes).
    Convolutions are initialized with ``Xavier(rnd_type='gaussian', factor_type='out',
    magnitude=2)``, Dense weights with ``'normal'``, all biases with zeros.

    Parameters
    ----------
    layers : list of int
        Number of convolutions in each block.
    filters : list of int
        Channels of each block; as long as ``layers``.
    classes : int, default 1000
        Number of classes of the output layer.
    batch_norm : bool, default False
        BatchNorm after every convolution.

    Notes
    -----
    Inputs: ``(N, 3, H, W)`` (224x224 for the pretrained weights). Outputs: ``(N, classes)``.

    Raises
    ------
    ValueError
        If ``layers`` and ``filters`` differ in length.
    """

    def __init__(
        self,
        layers: list[int],
        filters: list[int],
        classes: int = 1000,
        batch_norm: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise ValueError(
                f"VGG: layers and filters need one entry per block, got layers={list(layers)!r} "
                f"and filters={list(filters)!r}."
            )
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(
                    Dense(4096, activation="relu", weight_initializer="normal",
                          bias_initializer="zeros")
                )  # fmt: skip
                self.features.add(Dropout(rate=0.5))
            self.output = Dense(classes, weight_initializer="normal", bias_initializer="zeros")

    def _make_features(
        self, layers: list[int], filters: list[int], batch_norm: bool
    ) -> HybridSequential:
        featurizer = HybridSequential(prefix="")
        for num, channels in zip(layers, filters):
            for _ in range(num):
                featurizer.add(
                    Conv2D(
                        channels,
                        kernel_size=3,
                        padding=1,
                        weight_initializer=Xavier(
                            rnd_type="gaussian", factor_type="out", magnitude=2
                        ),
                        bias_initializer="zeros",
                    )
                )
                if batch_norm:
                    featurizer.add(BatchNorm())
                featurizer.add(Activation("relu"))
            featurizer.add(MaxPool2D(strides=2))
        return featurizer

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Features, then the classifier."""
        return self.output(self.features(x))


VGG_SPEC = {
    11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
    13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
    16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
    19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512]),
}


def get_vgg(
    num_layers: int,
    pretrained: bool = False,
    ctx: Context = cpu(),
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> VGG:
    """VGG of 11, 13, 16 or 19 layers (``batch_norm=True`` for the BatchNorm variants).

    Parameters
    ----------
    num_layers : int
        11, 13, 16 or 19.
    pretrained : bool, default False
        Load MXNet's pretrained weights ``vgg{num_layers}[_bn]-<hash>.params`` from ``root``
        (never downloaded).
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to ``VGG`` (``classes``, ``batch_norm``, ``prefix``, ...).

    Raises
    ------
    ValueError
        For an unknown ``num_layers``.
    FileNotFoundError
        With ``pretrained=True`` when the weight file is not in ``root``.
    """
    if num_layers not in VGG_SPEC:
        raise ValueError(
            f"Invalid number of VGG layers: {num_layers}. Options are {sorted(VGG_SPEC)}."
        )
    layers, filters = VGG_SPEC[num_layers]
    net = VGG(layers, filters, **kwargs)
    if pretrained:
        suffix = "_bn" if kwargs.get("batch_norm") else ""
        load_pretrained(net, f"vgg{num_layers}{suffix}", root, ctx)
    return net


def _constructor(num_layers: int, batch_norm: bool) -> Any:
    def make(**kwargs: Any) -> VGG:
        if batch_norm:
            kwargs["batch_norm"] = True
        return get_vgg(num_layers, **kwargs)

    bn = "_bn" if batch_norm else ""
    make.__name__ = make.__qualname__ = f"vgg{num_layers}{bn}"
    make.__doc__ = f"""VGG-{num_layers}{" with BatchNorm" if batch_norm else ""} from "Very Deep
    Convolutional Networks for Large-Scale Image Recognition".

    Parameters
    ----------
    pretrained : bool, default False
        Load MXNet's pretrained weights from ``root``.
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to ``VGG`` (``classes``, ...).
    """
    return make


vgg11 = _constructor(11, False)
vgg13 = _constructor(13, False)
vgg16 = _constructor(16, False)
vgg19 = _constructor(19, False)
vgg11_bn = _constructor(11, True)
vgg13_bn = _constructor(13, True)
vgg16_bn = _constructor(16, True)
vgg19_bn = _constructor(19, True)
