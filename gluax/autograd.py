"""``mx.autograd``: recording, training mode, backward, grad, Function."""

import traceback as traceback

from gluax._src.engine.autograd import Function as Function
from gluax._src.engine.autograd import backward as backward
from gluax._src.engine.autograd import grad as grad
from gluax._src.engine.autograd import is_recording as is_recording
from gluax._src.engine.autograd import is_training as is_training
from gluax._src.engine.autograd import mark_variables as mark_variables
from gluax._src.engine.autograd import pause as pause
from gluax._src.engine.autograd import predict_mode as predict_mode
from gluax._src.engine.autograd import record as record
from gluax._src.engine.autograd import set_recording as set_recording
from gluax._src.engine.autograd import set_training as set_training
from gluax._src.engine.autograd import train_mode as train_mode
from gluax._src.engine.ndarray import NDArray as NDArray
from gluax._src.gluon.symbol_autograd import get_symbol as get_symbol
from gluax._src.ops.creation import array as array
from gluax.base import string_types as string_types
from gluax.symbol import Symbol as Symbol
