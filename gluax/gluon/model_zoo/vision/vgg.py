"""``mx.gluon.model_zoo.vision.vgg``."""

from gluax._src.model_zoo.vgg import VGG as VGG
from gluax._src.model_zoo.vgg import get_vgg as get_vgg
from gluax._src.model_zoo.vgg import vgg11 as vgg11
from gluax._src.model_zoo.vgg import vgg11_bn as vgg11_bn
from gluax._src.model_zoo.vgg import vgg13 as vgg13
from gluax._src.model_zoo.vgg import vgg13_bn as vgg13_bn
from gluax._src.model_zoo.vgg import vgg16 as vgg16
from gluax._src.model_zoo.vgg import vgg16_bn as vgg16_bn
from gluax._src.model_zoo.vgg import vgg19 as vgg19
from gluax._src.model_zoo.vgg import vgg19_bn as vgg19_bn
