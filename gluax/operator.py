"""``mx.operator``: operators written in Python (``CustomOp``, ``CustomOpProp``, ``register``),
run by ``mx.nd.Custom`` / ``mx.sym.Custom`` / ``F.Custom(..., op_type=...)``."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.gluon.custom_legacy import NDArrayOp as NDArrayOp
from gluax._src.gluon.custom_legacy import NumpyOp as NumpyOp
from gluax._src.gluon.custom_legacy import OperatorArguments as OperatorArguments
from gluax._src.gluon.custom_legacy import PythonOp as PythonOp
from gluax._src.gluon.custom_legacy import get_operator_arguments as get_operator_arguments
from gluax._src.ops.custom import CustomOp as CustomOp
from gluax._src.ops.custom import CustomOpProp as CustomOpProp
from gluax._src.ops.custom import get_all_registered_operators as get_all_registered_operators
from gluax._src.ops.custom import register as register
from gluax.ndarray import NDArray as NDArray


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
