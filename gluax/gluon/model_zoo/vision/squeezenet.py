"""``mx.gluon.model_zoo.vision.squeezenet``."""

from gluax._src.model_zoo.squeezenet import SqueezeNet as SqueezeNet
from gluax._src.model_zoo.squeezenet import squeezenet1_0 as squeezenet1_0
from gluax._src.model_zoo.squeezenet import squeezenet1_1 as squeezenet1_1
