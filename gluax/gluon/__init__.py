"""``mx.gluon``: Blocks, Parameters, and the nn package."""

from gluax._src.gluon.block import Block as Block
from gluax._src.gluon.block import Functional as Functional
from gluax._src.gluon.block import HybridBlock as HybridBlock
from gluax._src.compat.base import tensor_types as tensor_types
from gluax._src.engine.base import DeferredInitializationError as DeferredInitializationError
from gluax._src.gluon.parameter import Constant as Constant
from gluax._src.gluon.parameter import Parameter as Parameter
from gluax._src.gluon.parameter import ParameterDict as ParameterDict
from gluax._src.gluon.symbol_block import SymbolBlock as SymbolBlock
from gluax._src.optim.gluon_trainer import Trainer as Trainer
from gluax.gluon import block as block  # mxnet.gluon.block etc. are attributes too
from gluax.gluon import contrib as contrib
from gluax.gluon import data as data
from gluax.gluon import loss as loss
from gluax.gluon import model_zoo as model_zoo
from gluax.gluon import nn as nn
from gluax.gluon import parameter as parameter
from gluax.gluon import rnn as rnn
from gluax.gluon import trainer as trainer
from gluax.gluon import utils as utils
