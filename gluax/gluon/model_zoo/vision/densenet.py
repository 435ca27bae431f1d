"""``mx.gluon.model_zoo.vision.densenet``."""

from gluax._src.model_zoo.densenet import DenseNet as DenseNet
from gluax._src.model_zoo.densenet import densenet121 as densenet121
from gluax._src.model_zoo.densenet import densenet161 as densenet161
from gluax._src.model_zoo.densenet import densenet169 as densenet169
from gluax._src.model_zoo.densenet import densenet201 as densenet201
