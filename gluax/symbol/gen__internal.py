"""``mx.sym.gen__internal``: MXNet's generated module behind ``mx.sym._internal``."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.namespace import op_names as _op_names
from gluax._src.gluon.symbol import symbol_function as _symbol_function


def __getattr__(name: str):  # operators come from the one registry
    try:
        return _symbol_function(name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)


def __dir__() -> list[str]:
    return _op_names()
