"""``mx.gluon.model_zoo.vision.alexnet``."""

from gluax._src.model_zoo.alexnet import AlexNet as AlexNet
from gluax._src.model_zoo.alexnet import alexnet as alexnet
