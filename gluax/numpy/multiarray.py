"""``mxnet.numpy.multiarray``: the ``np.ndarray`` type and the ``mx.np`` functions."""

from gluax._src import ops as _ops  # noqa: F401  (fills the operator registry)
from gluax._src.numpy.multiarray import ndarray as ndarray
from gluax._src.numpy.namespace import np_attr as _np_attr
from gluax._src.numpy.namespace import np_names as _np_names


def __getattr__(name: str):  # functions resolve through the jax.numpy table
    return _np_attr(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_np_names()))
