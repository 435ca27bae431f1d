"""``mx.sym.image``: image operators (``to_tensor``, ``normalize``, ``resize``, ...); graph nodes
on Symbols."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.gluon.symbol import symbol_function as _symbol_function


def __getattr__(name: str):  # mx.sym.image.X is the registered operator _image_X
    try:
        return _symbol_function(name, "_image_")
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
