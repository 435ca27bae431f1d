"""``mx.sym.contrib``: what ``F.contrib`` is inside a hybridized call; the same functions and
operators as ``mx.nd.contrib`` (control flow compiles to ``lax.scan``/``lax.cond`` there)."""

from gluax._src.engine.namespace import op_names as _op_names
from gluax._src.gluon.symbol import symbol_function as _symbol_function
from gluax._src.ops.control_flow import cond as cond
from gluax._src.ops.control_flow import foreach as foreach
from gluax._src.ops.control_flow import while_loop as while_loop


def __getattr__(name: str):  # mx.sym.contrib.X is the registered operator _contrib_X
    return _symbol_function(name, "_contrib_")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {n[9:] for n in _op_names() if n.startswith("_contrib_")})
