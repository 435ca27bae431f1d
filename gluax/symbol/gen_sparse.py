"""``mx.sym.gen_sparse``: MXNet's generated module behind ``mx.sym.sparse``; gluax stores
every array densely, so each sparse name raises naming the dense alternative."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.gluon.symbol import symbol_function as _symbol_function


def __getattr__(name: str):  # mx.sym.gen_sparse.X is the registered operator _sparse_X
    try:
        return _symbol_function(name, "_sparse_")
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
