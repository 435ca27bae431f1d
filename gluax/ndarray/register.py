"""``mx.nd.register``: MXNet's operator-function generator. gluax builds ``mx.nd`` from its own
registry; the fused AdamW operators MXNet defines here are in the operator table."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.base import py_str as py_str
from gluax._src.engine.namespace import op_function as _op_function


def __getattr__(name: str):  # operators come from the one registry; the rest is absent
    try:
        return _op_function(name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
