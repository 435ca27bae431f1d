"""Inception v3 (Szegedy et al., 2015), with MXNet 1.9.1's structure and names."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.context import Context, cpu
from gluax._src.gluon.block import HybridBlock
from gluax._src.model_zoo.layers import HybridConcurrent
from gluax._src.model_zoo.model_store import DEFAULT_ROOT, load_pretrained
from gluax._src.nn.basic_layers import Activation, Dense, Flatten, HybridSequential
from gluax._src.nn.conv_layers import AvgPool2D, Conv2D, MaxPool2D
from gluax._src.nn.misc_layers import Dropout
from gluax._src.nn.norm_layers import BatchNorm

# A convolution setting: (channels, kernel_size, strides, padding); None keeps Conv2D's default.
_Setting = tuple[int, Any, Any, Any]


def _make_basic_conv(**kwargs: Any) -> HybridSequential:
    out = HybridSequential(prefix="")
    out.add(Conv2D(use_bias=False, **kwargs))
    out.add(BatchNorm(epsilon=0.001))
    out.add(Activation("relu"))
    return out


def _make_branch(use_pool: str | None, *conv_settings: _Setting) -> HybridSequential:
    out = HybridSequential(prefix="")
    if use_pool == "avg":
        out.add(AvgPool2D(pool_size=3, strides=1, padding=1))
    elif use_pool == "max":
        out.add(MaxPool2D(pool_size=3, strides=2))
    names = ("channels", "kernel_size", "strides", "padding")
    for setting in conv_settings:
        out.add(_make_basic_conv(**{k: v for k, v in zip(names, setting) if v is not None}))
    return out


def _make_A(pool_features: int, prefix: str) -> HybridConcurrent:
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        out.add(_make_branch(None, (64, 1, None, None)))
        out.add(_make_branch(None, (48, 1, None, None), (64, 5, None, 2)))
        out.add(_make_branch(None, (64, 1, None, None), (96, 3, None, 1), (96, 3, None, 1)))
        out.add(_make_branch("avg", (pool_features, 1, None, None)))
    return out


def _make_B(prefix: str) -> HybridConcurrent:
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        out.add(_make_branch(None, (384, 3, 2, None)))
        out.add(_make_branch(None, (64, 1, None, None), (96, 3, None, 1), (96, 3, 2, None)))
        out.add(_make_branch("max"))
    return out


def _make_C(channels_7x7: int, prefix: str) -> HybridConcurrent:
    c = channels_7x7
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        out.add(_make_branch(None, (192, 1, None, None)))
        out.add(
            _make_branch(
                None, (c, 1, None, None), (c, (1, 7), None, (0, 3)), (192, (7, 1), None, (3, 0))
            )
        )
        out.add(
            _make_branch(
                None,
                (c, 1, None, None),
                (c, (7, 1), None, (3, 0)),
                (c, (1, 7), None, (0, 3)),
                (c, (7, 1), None, (3, 0)),
                (192, (1, 7), None, (0, 3)),
            )
        )
        out.add(_make_branch("avg", (192, 1, None, None)))
    return out


def _make_D(prefix: str) -> HybridConcurrent:
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        out.add(_make_branch(None, (192, 1, None, None), (320, 3, 2, None)))
        out.add(
            _make_branch(
                None,
                (192, 1, None, None),
                (192, (1, 7), None, (0, 3)),
                (192, (7, 1), None, (3, 0)),
                (192, 3, 2, None),
            )
        )
        out.add(_make_branch("max"))
    return out


def _split_1x3_3x1() -> HybridConcurrent:
    split = HybridConcurrent(axis=1, prefix="")
    split.add(_make_branch(None, (384, (1, 3), None, (0, 1))))
    split.add(_make_branch(None, (384, (3, 1), None, (1, 0))))
    return split


def _make_E(prefix: str) -> HybridConcurrent:
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        out.add(_make_branch(None, (320, 1, None, None)))

        branch_3x3 = HybridSequential(prefix="")
        out.add(branch_3x3)
        branch_3x3.add(_make_branch(None, (384, 1, None, None)))
        branch_3x3.add(_split_1x3_3x1())

        branch_3x3dbl = HybridSequential(prefix="")
        out.add(branch_3x3dbl)
        branch_3x3dbl.add(_make_branch(None, (448, 1, None, None), (384, 3, None, 1)))
        branch_3x3dbl.add(_split_1x3_3x1())

        out.add(_make_branch("avg", (192, 1, None, None)))
    return out


def make_aux(classes: int) -> HybridSequential:
    """The auxiliary classifier head of the paper (MXNet defines it; ``Inception3`` does not
    use it)."""
    out = HybridSequential(prefix="")
    out.add(AvgPool2D(pool_size=5, strides=3))
    out.add(_make_basic_conv(channels=128, kernel_size=1))
    out.add(_make_basic_conv(channels=768, kernel_size=5))
    out.add(Flatten())
    out.add(Dense(classes))
    return out


class Inception3(HybridBlock):
    """Inception v3 from "Rethinking the Inception Architecture for Computer Vision"
    (Szegedy et al., 2015).

    ``features``: five convolutions (each Conv2D without bias, BatchNorm with epsilon 1e-3,
    ReLU) and two max poolings, the mixed blocks ``A1_``-``A3_``, ``B_``, ``C1_``-``C4_``,
    ``D_``, ``E1_``, ``E2_`` (branches concatenated on the channel axis), 8x8 average pooling
    and Dropout(0.5); ``output``: Dense(classes).

    Parameters
    ----------
    classes : int, default 1000
        Number of classes of the output layer.

    Notes
    -----
    Inputs: ``(N, 3, 299, 299)``. Outputs: ``(N, classes)``.
    """

    def __init__(self, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = HybridSequential(prefix="")
            f = self.features
            f.add(_make_basic_conv(channels=32, kernel_size=3, strides=2))
            f.add(_make_basic_conv(channels=32, kernel_size=3))
            f.add(_make_basic_conv(channels=64, kernel_size=3, padding=1))
            f.add(MaxPool2D(pool_size=3, strides=2))
            f.add(_make_basic_conv(channels=80, kernel_size=1))
            f.add(_make_basic_conv(channels=192, kernel_size=3))
            f.add(MaxPool2D(pool_size=3, strides=2))
            f.add(_make_A(32, "A1_"))
            f.add(_make_A(64, "A2_"))
            f.add(_make_A(64, "A3_"))
            f.add(_make_B("B_"))
            f.add(_make_C(128, "C1_"))
            f.add(_make_C(160, "C2_"))
            f.add(_make_C(160, "C3_"))
            f.add(_make_C(192, "C4_"))
            f.add(_make_D("D_"))
            f.add(_make_E("E1_"))
            f.add(_make_E("E2_"))
            f.add(AvgPool2D(pool_size=8))
            f.add(Dropout(0.5))
            self.output = Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Features, then the classifier.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            Images ``(batch, 3, 299, 299)``.

        Returns
        -------
        NDArray or Symbol
            Class scores ``(batch, classes)``.
        """
        return self.output(self.features(x))


def inception_v3(
    pretrained: bool = False, ctx: Context = cpu(), root: str = DEFAULT_ROOT, **kwargs: Any
) -> Inception3:
    """Inception v3 from "Rethinking the Inception Architecture for Computer Vision".

    Parameters
    ----------
    pretrained : bool, default False
        Load MXNet's pretrained weights ``inceptionv3-<hash>.params`` from ``root`` (never
        downloaded).
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files.
    **kwargs
        Passed to ``Inception3`` (``classes``, ``prefix``, ...).

    Raises
    ------
    FileNotFoundError
        With ``pretrained=True`` when the weight file is not in ``root``.
    """
    net = Inception3(**kwargs)
    if pretrained:
        load_pretrained(net, "inceptionv3", root, ctx)
    return net
