"""``mx.gluon.model_zoo.vision``: the vision models of MXNet 1.9.1, by name (``get_model``)
or by constructor, with MXNet's parameter names so its pretrained weight files load."""

# the submodule first, so that the function below (not the module) stays bound to the name
# `alexnet` even after `import ...vision.alexnet`, as in MXNet
from . import alexnet as _alexnet_module  # noqa: F401
from gluax._src.model_zoo.alexnet import AlexNet as AlexNet
from gluax._src.model_zoo.alexnet import alexnet as alexnet
from gluax._src.model_zoo.densenet import DenseNet as DenseNet
from gluax._src.model_zoo.densenet import densenet121 as densenet121
from gluax._src.model_zoo.densenet import densenet161 as densenet161
from gluax._src.model_zoo.densenet import densenet169 as densenet169
from gluax._src.model_zoo.densenet import densenet201 as densenet201
from gluax._src.model_zoo.inception import Inception3 as Inception3
from gluax._src.model_zoo.inception import inception_v3 as inception_v3
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
from gluax._src.model_zoo.squeezenet import SqueezeNet as SqueezeNet
from gluax._src.model_zoo.squeezenet import squeezenet1_0 as squeezenet1_0
from gluax._src.model_zoo.squeezenet import squeezenet1_1 as squeezenet1_1
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
from gluax._src.model_zoo.vision import get_model as get_model
