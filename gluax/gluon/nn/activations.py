"""``mx.gluon.nn.activations``: activation layers."""

from gluax._src.nn.activations import ELU as ELU
from gluax._src.nn.activations import GELU as GELU
from gluax._src.nn.activations import SELU as SELU
from gluax._src.nn.activations import LeakyReLU as LeakyReLU
from gluax._src.nn.activations import PReLU as PReLU
from gluax._src.nn.activations import Swish as Swish
from gluax._src.nn.basic_layers import Activation as Activation
