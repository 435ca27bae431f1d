"""``mx.gluon.nn``: layers."""

from gluax._src.nn.basic_layers import Activation as Activation
from gluax._src.nn.basic_layers import Dense as Dense
from gluax._src.nn.basic_layers import Flatten as Flatten
from gluax._src.nn.basic_layers import HybridLambda as HybridLambda
from gluax._src.nn.basic_layers import HybridSequential as HybridSequential
from gluax._src.nn.basic_layers import Lambda as Lambda
from gluax._src.nn.basic_layers import Sequential as Sequential
from gluax._src.gluon.block import Block as Block
from gluax._src.gluon.block import HybridBlock as HybridBlock
