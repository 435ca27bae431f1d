"""``mx.sym.linalg``: the same ``_linalg_X`` operators as ``mx.nd.linalg`` (``F.linalg`` inside
a hybridized call)."""

from gluax._src.engine.namespace import op_names as _op_names
from gluax._src.gluon.symbol import symbol_function as _symbol_function


def __getattr__(name: str):  # mx.sym.linalg.X is the registered operator _linalg_X
    return _symbol_function(name, "_linalg_")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {n[8:] for n in _op_names() if n.startswith("_linalg_")})
