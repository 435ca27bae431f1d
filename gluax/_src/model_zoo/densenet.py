"""DenseNet-BC (Huang et al., 2016), with MXNet 1.9.1's structure and names."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.context import Context, cpu
from gluax._src.gluon.block import HybridBlock
from gluax._src.model_zoo.layers import HybridConcurrent, Identity
from gluax._src.model_zoo.model_store import DEFAULT_ROOT, load_pretrained
from gluax._src.nn.basic_layers import Activation, Dense, Flatten, HybridSequential
from gluax._src.nn.conv_layers import AvgPool2D, Conv2D, MaxPool2D
from gluax._src.nn.misc_layers import Dropout
from gluax._src.nn.norm_layers import BatchNorm


def _make_dense_layer(growth_rate: int, bn_size: int, dropout: float) -> HybridConcurrent:
    new_features = HybridSequential(prefix="")
    new_features.add(BatchNorm())
    new_features.add(Activation("relu"))
    new_features.add(Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False))
    new_features.add(BatchNorm())
    new_features.add(Activation("relu"))
    new_features.add(Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new_features.add(Dropout(dropout))
    # the layer's output is its input with growth_rate new channels appended
    out = HybridConcurrent(axis=1, prefix="")
    out.add(Identity())
    out.add(new_features)
    return out


def _make_dense_block(
    num_layers: int, bn_size: int, growth_rate: int, dropout: float, stage_index: int
) -> HybridSequential:
    out = HybridSequential(prefix=f"stage{stage_index}_")
    with out.name_scope():
        for _ in range(num_layers):
            out.add(_make_dense_layer(growth_rate, bn_size, dropout))
    return out


def _make_transition(num_output_features: int) -> HybridSequential:
    out = HybridSequential(prefix="")
    out.add(BatchNorm())
    out.add(Activation("relu"))
    out.add(Conv2D(num_output_features, kernel_size=1, use_bias=False))
    out.add(AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(HybridBlock):
    """DenseNet-BC from "Densely Connected Convolutional Networks" (Huang et al., 2016).

    ``features``: 7x7/2 convolution, BatchNorm, ReLU, 3x3/2 max pooling, then dense blocks
    (each layer appends ``growth_rate`` channels) separated by transitions that halve the
    channels and the resolution, then BatchNorm, ReLU, 7x7 average pooling and Flatten;
    ``output``: Dense(classes).

    Parameters
    ----------
    num_init_features : int
        Channels of the first convolution.
    growth_rate : int
        Channels each dense layer adds (``k`` in the paper).
    block_config : list of int
        Number of layers in each dense block.
    bn_size : int, default 4
        The bottleneck 1x1 convolution has ``bn_size * growth_rate`` channels.
    dropout : float, default 0
        Dropout rate after each dense layer.
    classes : int, default 1000
        Number of classes of the output layer.

    Notes
    -----
    Inputs: ``(N, 3, 224, 224)``. Outputs: ``(N, classes)``.
    """

    def __init__(
        self,
        num_init_features: int,
        growth_rate: int,
        block_config: list[int],
        bn_size: int = 4,
        dropout: float = 0,
        classes: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = HybridSequential(prefix="")
            self.features.add(
                Conv2D(num_init_features, kernel_size=7, strides=2, padding=3, use_bias=False)
            )
            self.features.add(BatchNorm())
            self.features.add(Activation("relu"))
            self.features.add(MaxPool2D(pool_size=3, strides=2, padding=1))
            num_features = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(
                    _make_dense_block(num_layers, bn_size, growth_rate, dropout, i + 1)
                )
                num_features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    self.features.add(_make_transition(num_features // 2))
                    num_features //= 2
            self.features.add(BatchNorm())
            self.features.add(Activation("relu"))
            self.features.add(AvgPool2D(pool_size=7))
            self.features.add(Flatten())
            self.output = Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Features, then the classifier."""
        return self.output(self.features(x))


DENSENET_SPEC = {
    121: (64, 32, [6, 12, 24, 16]),
    161: (96, 48, [6, 12, 36, 24]),
    169: (64, 32, [6, 12, 32, 32]),
    201: (64, 32, [6, 12, 48, 32]),
}


def get_densenet(
    num_layers: int,
    pretrained: bool = False,
    ctx: Context = cpu(),
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> DenseNet:
    """DenseNet-BC of 121, 161, 169 or 201 layers.

    Parameters
    ----------
    num_layers : int
        121, 161, 169 or 201.
    pretrained : bool, default False
        Load MXNet's pretrained weights ``densenet{num_layers}-<hash>.params`` from ``root``
        (never downloaded).
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to ``DenseNet`` (``classes``, ``dropout``, ``bn_size``, ...).

    Raises
    ------
    ValueError
        For an unknown ``num_layers``.
    FileNotFoundError
        With ``pretrained=True`` when the weight file is not in ``root``.
    """
    if num_layers not in DENSENET_SPEC:
        raise ValueError(
            f"Invalid number of DenseNet layers: {num_layers}. Options are {sorted(DENSENET_SPEC)}."
        )
    num_init_features, growth_rate, block_config = DENSENET_SPEC[num_layers]
    net = DenseNet(num_init_features, growth_rate, block_config, **kwargs)
    if pretrained:
        load_pretrained(net, f"densenet{num_layers}", root, ctx)
    return net


def _constructor(num_layers: int) -> Any:
    def make(**kwargs: Any) -> DenseNet:
        return get_densenet(num_layers, **kwargs)

    make.__name__ = make.__qualname__ = f"densenet{num_layers}"
    make.__doc__ = f"""DenseNet-BC {num_layers}-layer model from "Densely Connected
    Convolutional Networks".

    Parameters
    ----------
    pretrained : bool, default False
        Load MXNet's pretrained weights from ``root``.
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to ``DenseNet`` (``classes``, ...).
    """
    return make


densenet121 = _constructor(121)
densenet161 = _constructor(161)
densenet169 = _constructor(169)
densenet201 = _constructor(201)
