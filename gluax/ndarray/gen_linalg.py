"""``mx.nd.gen_linalg``: MXNet's generated module behind ``mx.nd.linalg`` (operators registered
as ``_linalg_X``)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.namespace import prefixed_function as _prefixed


def __getattr__(name: str):  # mx.nd.gen_linalg.X is the registered operator _linalg_X
    try:
        return _prefixed("_linalg_", name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
