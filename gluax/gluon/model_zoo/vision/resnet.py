"""``mx.gluon.model_zoo.vision.resnet``."""

from gluax._src.model_zoo.resnet import BasicBlockV1 as BasicBlockV1
from gluax._src.model_zoo.resnet import BasicBlockV2 as BasicBlockV2
from gluax._src.model_zoo.resnet import BottleneckV1 as BottleneckV1
from gluax._src.model_zoo.resnet import BottleneckV2 as BottleneckV2
from gluax._src.model_zoo.resnet import ResNetV1 as ResNetV1
from gluax._src.model_zoo.resnet import ResNetV2 as ResNetV2
from gluax._src.model_zoo.resnet import get_resnet as get_resnet
from gluax._src.model_zoo.resnet import resnet18_v1 as resnet18_v1
from gluax._src.model_zoo.resnet import resnet18_v2 as resnet18_v2
from gluax._src.model_zoo.resnet import resnet34_v1 as resnet34_v1
from gluax._src.model_zoo.resnet import resnet34_v2 as resnet34_v2
from gluax._src.model_zoo.resnet import resnet50_v1 as resnet50_v1
from gluax._src.model_zoo.resnet import resnet50_v2 as resnet50_v2
from gluax._src.model_zoo.resnet import resnet101_v1 as resnet101_v1
from gluax._src.model_zoo.resnet import resnet101_v2 as resnet101_v2
from gluax._src.model_zoo.resnet import resnet152_v1 as resnet152_v1
from gluax._src.model_zoo.resnet import resnet152_v2 as resnet152_v2
