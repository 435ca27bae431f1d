"""``mx.nd.sparse``: gluax stores every array densely, so each of MXNet's sparse functions
raises an error naming the dense alternative (see docs/operators.md)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.namespace import prefixed_function as _prefixed


def __getattr__(name: str):  # every MXNet name here is listed as absent, with its reason
    try:
        return _prefixed("_sparse_", name)
    except AttributeError as e:  # the sparse array classes: in gluax/_src/compat/absent.py
        return _absent_attribute(__name__, name, e)
