"""``mx.nd.gen_random``: MXNet's generated module behind ``mx.nd.random`` (operators registered
as ``_random_X``)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.namespace import prefixed_function as _prefixed


def __getattr__(name: str):  # mx.nd.gen_random.X is the registered operator _random_X
    try:
        return _prefixed("_random_", name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
