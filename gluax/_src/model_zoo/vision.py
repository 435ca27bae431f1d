"""``get_model``: every model of MXNet 1.9.1's ``gluon.model_zoo.vision`` by name."""

from __future__ import annotations

from typing import Any, Callable

from gluax._src.gluon.block import HybridBlock
from gluax._src.model_zoo import alexnet as _alexnet
from gluax._src.model_zoo import densenet as _densenet
from gluax._src.model_zoo import inception as _inception
from gluax._src.model_zoo import mobilenet as _mobilenet
from gluax._src.model_zoo import resnet as _resnet
from gluax._src.model_zoo import squeezenet as _squeezenet
from gluax._src.model_zoo import vgg as _vgg

MODELS: dict[str, Callable[..., HybridBlock]] = {
    "resnet18_v1": _resnet.resnet18_v1,
    "resnet34_v1": _resnet.resnet34_v1,
    "resnet50_v1": _resnet.resnet50_v1,
    "resnet101_v1": _resnet.resnet101_v1,
    "resnet152_v1": _resnet.resnet152_v1,
    "resnet18_v2": _resnet.resnet18_v2,
    "resnet34_v2": _resnet.resnet34_v2,
    "resnet50_v2": _resnet.resnet50_v2,
    "resnet101_v2": _resnet.resnet101_v2,
    "resnet152_v2": _resnet.resnet152_v2,
    "vgg11": _vgg.vgg11,
    "vgg13": _vgg.vgg13,
    "vgg16": _vgg.vgg16,
    "vgg19": _vgg.vgg19,
    "vgg11_bn": _vgg.vgg11_bn,
    "vgg13_bn": _vgg.vgg13_bn,
    "vgg16_bn": _vgg.vgg16_bn,
    "vgg19_bn": _vgg.vgg19_bn,
    "alexnet": _alexnet.alexnet,
    "densenet121": _densenet.densenet121,
    "densenet161": _densenet.densenet161,
    "densenet169": _densenet.densenet169,
    "densenet201": _densenet.densenet201,
    "squeezenet1.0": _squeezenet.squeezenet1_0,
    "squeezenet1.1": _squeezenet.squeezenet1_1,
    "inceptionv3": _inception.inception_v3,
    "mobilenet1.0": _mobilenet.mobilenet1_0,
    "mobilenet0.75": _mobilenet.mobilenet0_75,
    "mobilenet0.5": _mobilenet.mobilenet0_5,
    "mobilenet0.25": _mobilenet.mobilenet0_25,
    "mobilenetv2_1.0": _mobilenet.mobilenet_v2_1_0,
    "mobilenetv2_0.75": _mobilenet.mobilenet_v2_0_75,
    "mobilenetv2_0.5": _mobilenet.mobilenet_v2_0_5,
    "mobilenetv2_0.25": _mobilenet.mobilenet_v2_0_25,
}


def get_model(name: str, **kwargs: Any) -> HybridBlock:
    """A model of the zoo by name (case-insensitive), e.g. ``'resnet18_v1'``.

    Parameters
    ----------
    name : str
        One of: resnet{18,34,50,101,152}_v{1,2}, vgg{11,13,16,19}[_bn], alexnet,
        densenet{121,161,169,201}, squeezenet1.0, squeezenet1.1, inceptionv3,
        mobilenet{1.0,0.75,0.5,0.25}, mobilenetv2_{1.0,0.75,0.5,0.25}.
    pretrained : bool, default False
        Load MXNet's pretrained weights from ``root``: the model store's file
        ``{name}-{hash}.params`` (e.g. ``resnet18_v1-a0666292.params``). gluax never
        downloads; a missing file raises ``FileNotFoundError`` naming the file and folder.
    classes : int, default 1000
        Number of classes of the output layer.
    ctx : Context, default cpu()
        Context of the loaded weights.
    root : str, default $MXNET_HOME/models
        Folder of the pretrained weight files (``~/.mxnet/models`` unless MXNET_HOME is set).
    **kwargs
        Other arguments of the model's class.

    Returns
    -------
    HybridBlock
        The model, with ``features`` and ``output`` children.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the available ones.

    Examples
    --------
    >>> from gluax.gluon.model_zoo import vision
    >>> net = vision.get_model('ResNet18_v1', classes=10)
    >>> type(net).__name__, net.output.weight.shape
    ('ResNetV1', (10, 512))
    """
    key = name.lower()
    if key not in MODELS:
        raise ValueError(
            f"Model {key} is not supported. Available options are\n\t" + "\n\t".join(sorted(MODELS))
        )
    return MODELS[key](**kwargs)
