"""``mx.operator``: operators written in Python (``CustomOp``, ``CustomOpProp``, ``register``),
run by ``mx.nd.Custom`` / ``mx.sym.Custom`` / ``F.Custom(..., op_type=...)``."""

from gluax._src.ops.custom import CustomOp as CustomOp
from gluax._src.ops.custom import CustomOpProp as CustomOpProp
from gluax._src.ops.custom import get_all_registered_operators as get_all_registered_operators
from gluax._src.ops.custom import register as register
from gluax.ndarray import NDArray as NDArray
