"""``mxnet.ndarray.numpy.linalg``: ``mx.np.linalg``."""

from gluax._src.numpy.linalg import NAMES as _NAMES
from gluax._src.numpy.linalg import linalg_attr as _linalg_attr


def __getattr__(name: str):  # functions resolve through jax.numpy.linalg
    return _linalg_attr(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))
