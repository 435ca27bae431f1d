"""``mx.nd.gen_contrib``: MXNet's generated module behind ``mx.nd.contrib`` (operators registered
as ``_contrib_X``)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.namespace import prefixed_function as _prefixed


def __getattr__(name: str):  # mx.nd.gen_contrib.X is the registered operator _contrib_X
    try:
        return _prefixed("_contrib_", name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
