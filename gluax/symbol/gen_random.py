"""``mx.sym.gen_random``: MXNet's generated module behind ``mx.sym.random``."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.gluon.symbol import symbol_function as _symbol_function


def __getattr__(name: str):  # mx.sym.gen_random.X is the registered operator _random_X
    try:
        return _symbol_function(name, "_random_")
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
