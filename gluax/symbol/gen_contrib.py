"""``mx.sym.gen_contrib``: MXNet's generated module behind ``mx.sym.contrib``."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.gluon.symbol import symbol_function as _symbol_function


def __getattr__(name: str):  # mx.sym.gen_contrib.X is the registered operator _contrib_X
    try:
        return _symbol_function(name, "_contrib_")
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
