"""``mx.sym.register``: MXNet's operator-function generator; gluax builds ``mx.sym`` from its own
registry."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.base import py_str as py_str
from gluax._src.engine.namespace import op_names as _op_names
from gluax._src.engine.scopes import AttrScope as AttrScope
from gluax._src.engine.scopes import NameManager as NameManager
from gluax._src.gluon.symbol import Symbol as SymbolBase  # noqa: F401  (MXNet's name)
from gluax._src.gluon.symbol import symbol_function as _symbol_function


def __getattr__(name: str):  # operators come from the one registry
    try:
        return _symbol_function(name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)


def __dir__() -> list[str]:
    return _op_names()
