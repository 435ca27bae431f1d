"""``mx.nd.image``: image operators (``to_tensor``, ``normalize``, ``resize``, ...)."""

from gluax._src.engine.namespace import prefixed_function as _prefixed


def __getattr__(name: str):  # mx.nd.image.X is the registered operator _image_X
    return _prefixed("_image_", name)
