"""``mx.nd.sparse``: gluax stores every array densely, so each of MXNet's sparse functions
raises an error naming the dense alternative (see docs/operators.md)."""

from gluax._src.engine.namespace import prefixed_function as _prefixed


def __getattr__(name: str):  # every MXNet name here is listed as absent, with its reason
    return _prefixed("_sparse_", name)
