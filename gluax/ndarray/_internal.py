"""``mx.nd._internal``: MXNet's underscore operators (``_plus``, ``_mul``, ``_div_scalar``...),
the same registry entries as ``mx.nd._X``."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.namespace import op_function as _op_function


def __getattr__(name: str):  # the one operator registry; absent MXNet names raise when used
    try:
        return _op_function(name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
