"""``mx.gluon.nn.basic_layers``: containers, Dense, Dropout, normalization, Embedding."""

from gluax._src.nn.basic_layers import Dense as Dense
from gluax._src.nn.basic_layers import Flatten as Flatten
from gluax._src.nn.basic_layers import HybridLambda as HybridLambda
from gluax._src.nn.basic_layers import HybridSequential as HybridSequential
from gluax._src.nn.basic_layers import Lambda as Lambda
from gluax._src.nn.basic_layers import Sequential as Sequential
from gluax._src.nn.misc_layers import Dropout as Dropout
from gluax._src.nn.misc_layers import Embedding as Embedding
from gluax._src.nn.norm_extra import BatchNormReLU as BatchNormReLU
from gluax._src.nn.norm_extra import GroupNorm as GroupNorm
from gluax._src.nn.norm_extra import InstanceNorm as InstanceNorm
from gluax._src.nn.norm_extra import LayerNorm as LayerNorm
from gluax._src.nn.norm_layers import BatchNorm as BatchNorm
