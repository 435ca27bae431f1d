"""``mx.gluon.model_zoo.vision.mobilenet``."""

from gluax._src.model_zoo.mobilenet import MobileNet as MobileNet
from gluax._src.model_zoo.mobilenet import MobileNetV2 as MobileNetV2
from gluax._src.model_zoo.mobilenet import get_mobilenet as get_mobilenet
from gluax._src.model_zoo.mobilenet import get_mobilenet_v2 as get_mobilenet_v2
from gluax._src.model_zoo.mobilenet import mobilenet0_5 as mobilenet0_5
from gluax._src.model_zoo.mobilenet import mobilenet0_25 as mobilenet0_25
from gluax._src.model_zoo.mobilenet import mobilenet0_75 as mobilenet0_75
from gluax._src.model_zoo.mobilenet import mobilenet1_0 as mobilenet1_0
from gluax._src.model_zoo.mobilenet import mobilenet_v2_0_5 as mobilenet_v2_0_5
from gluax._src.model_zoo.mobilenet import mobilenet_v2_0_25 as mobilenet_v2_0_25
from gluax._src.model_zoo.mobilenet import mobilenet_v2_0_75 as mobilenet_v2_0_75
from gluax._src.model_zoo.mobilenet import mobilenet_v2_1_0 as mobilenet_v2_1_0
