"""``mx.nd.gen__internal``: MXNet's generated module behind ``mx.nd._internal``."""

from gluax._src.engine.namespace import op_function as _op_function


def __getattr__(name: str):  # operators come from the one registry
    return _op_function(name)
