"""``mx.nd.gen_sparse``: MXNet's generated module behind ``mx.nd.sparse`` (operators registered
as ``_sparse_X``)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.namespace import prefixed_function as _prefixed


def __getattr__(name: str):  # mx.nd.gen_sparse.X is the registered operator _sparse_X
    try:
        return _prefixed("_sparse_", name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
