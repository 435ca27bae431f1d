"""``mx.nd.gen_image``: MXNet's generated module behind ``mx.nd.image`` (operators registered
as ``_image_X``)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.namespace import prefixed_function as _prefixed


def __getattr__(name: str):  # mx.nd.gen_image.X is the registered operator _image_X
    try:
        return _prefixed("_image_", name)
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
