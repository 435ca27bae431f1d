"""``mx.gluon.parameter``: Parameter, Constant, ParameterDict."""

from gluax._src.compat.base import tensor_types as tensor_types
from gluax._src.engine.base import DeferredInitializationError as DeferredInitializationError
from gluax._src.gluon.parameter import Constant as Constant
from gluax._src.gluon.parameter import Parameter as Parameter
from gluax._src.gluon.parameter import ParameterDict as ParameterDict
