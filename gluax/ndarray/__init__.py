"""``mx.nd``: NDArray, creation functions, and every registered operator."""

from gluax._src import ops as _ops  # noqa: F401  (fills the operator registry)
from gluax._src.engine.namespace import op_function as _op_function
from gluax._src.engine.namespace import op_names as _op_names
from gluax._src.engine.ndarray import NDArray as NDArray
from gluax._src.engine.serialization import load_frombuffer as load_frombuffer
from gluax._src.engine.serialization import nd_load as load
from gluax._src.engine.serialization import save as save
from gluax._src.engine.sync import waitall as waitall
from gluax._src.ops.extra_ops import reset_arrays as reset_arrays
from gluax._src.ops.creation import arange as arange
from gluax._src.ops.creation import array as array
from gluax._src.ops.creation import empty as empty
from gluax._src.ops.creation import eye as eye
from gluax._src.ops.creation import full as full
from gluax._src.ops.creation import linspace as linspace
from gluax._src.ops.creation import ones as ones
from gluax._src.ops.creation import zeros as zeros
from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.histogram import histogram as histogram
from gluax._src.compat.ndarray_extra import _DTYPE_MX_TO_NP as _DTYPE_MX_TO_NP
from gluax._src.compat.ndarray_extra import _DTYPE_NP_TO_MX as _DTYPE_NP_TO_MX
from gluax._src.compat.ndarray_extra import _GRAD_REQ_MAP as _GRAD_REQ_MAP
from gluax._src.compat.ndarray_extra import concatenate as concatenate
from gluax._src.compat.ndarray_extra import onehot_encode as onehot_encode
from gluax.ndarray import _internal as _internal
from gluax.ndarray import contrib as contrib
from gluax.ndarray import image as image
from gluax.ndarray import linalg as linalg
from gluax.ndarray import random as random
from gluax.ndarray import sparse as sparse
from gluax.ndarray import numpy as numpy  # mxnet.ndarray.numpy, an attribute as in MXNet
from gluax.ndarray import numpy_extension as numpy_extension
from gluax import numpy as np  # F.np inside hybrid_forward
from gluax import numpy_extension as npx  # F.npx


def __getattr__(name: str):  # operators come from the one registry
    try:
        return _op_function(name)
    except AttributeError as e:  # MXNet's non-operator names gluax lacks raise when used
        return _absent_attribute(__name__, name, e)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_op_names()))
