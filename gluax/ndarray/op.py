"""``mx.nd.op``: every registered operator, as ``mx.nd.X``."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.namespace import op_function as _op_function
from gluax._src.engine.namespace import op_names as _op_names


def __getattr__(name: str):  # operators come from the one registry
    try:
        return _op_function(name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)


def __dir__() -> list[str]:
    return _op_names()
