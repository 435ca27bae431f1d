"""AlexNet (Krizhevsky, 2014: "One weird trick..."), with MXNet 1.9.1's structure and names."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.context import Context, cpu
from gluax._src.gluon.block import HybridBlock
from gluax._src.model_zoo.model_store import DEFAULT_ROOT, load_pretrained
from gluax._src.nn.basic_layers import Dense, Flatten, HybridSequential
from gluax._src.nn.conv_layers import Conv2D, MaxPool2D
from gluax._src.nn.misc_layers import Dropout


class AlexNet(HybridBlock):
    """AlexNet from "One weird trick for parallelizing convolutional neural networks".

    ``features``: five convolutions with ReLU (three 3x3/2 max poolings between them),
    Flatten, then two Dense(4096) with ReLU and Dropout(0.5); ``output``: Dense(classes).

    Parameters
    ----------
    classes : int, default 1000
        Number of classes of the output layer.

    Notes
    -----
    Inputs: ``(N, 3, 224, 224)``. Outputs: ``(N, classes)``.
    """

    def __init__(self, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = HybridSequential(prefix="")
            with self.features.name_scope():
                f = self.features
                f.add(Conv2D(64, kernel_size=11, strides=4, padding=2, activation="relu"))
                f.add(MaxPool2D(pool_size=3, strides=2))
                f.add(Conv2D(192, kernel_size=5, padding=2, activation="relu"))
                f.add(MaxPool2D(pool_size=3, strides=2))
                f.add(Conv2D(384, kernel_size=3, padding=1, activation="relu"))
                f.add(Conv2D(256, kernel_size=3, padding=1, activation="relu"))
                f.add(Conv2D(256, kernel_size=3, padding=1, activation="relu"))
                f.add(MaxPool2D(pool_size=3, strides=2))
                f.add(Flatten())
                f.add(Dense(4096, activation="relu"))
                f.add(Dropout(0.5))
                f.add(Dense(4096, activation="relu"))
                f.add(Dropout(0.5))
            self.output = Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Features, then the classifier."""
        return self.output(self.features(x))


def alexnet(
    pretrained: bool = False, ctx: Context = cpu(), root: str = DEFAULT_ROOT, **kwargs: Any
) -> AlexNet:
    """AlexNet from "One weird trick for parallelizing convolutional neural networks".

    Parameters
    ----------
    pretrained : bool, default False
        Load MXNet's pretrained weights ``alexnet-<hash>.params`` from ``root`` (never
        downloaded).
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to ``AlexNet`` (``classes``, ``prefix``, ...).

    Raises
    ------
    FileNotFoundError
        With ``pretrained=True`` when the weight file is not in ``root``.
    """
    net = AlexNet(**kwargs)
    if pretrained:
        load_pretrained(net, "alexnet", root, ctx)
    return net
