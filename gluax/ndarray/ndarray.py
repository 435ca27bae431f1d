"""``mx.nd.ndarray``: the NDArray class and MXNet's Python-level array functions."""

from builtins import slice as py_slice  # noqa: F401

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.histogram import histogram as histogram
from gluax._src.compat.ndarray_extra import _DTYPE_MX_TO_NP as _DTYPE_MX_TO_NP
from gluax._src.compat.ndarray_extra import _DTYPE_NP_TO_MX as _DTYPE_NP_TO_MX
from gluax._src.compat.ndarray_extra import _GRAD_REQ_MAP as _GRAD_REQ_MAP
from gluax._src.compat.ndarray_extra import _STORAGE_TYPE_CSR as _STORAGE_TYPE_CSR
from gluax._src.compat.ndarray_extra import _STORAGE_TYPE_DEFAULT as _STORAGE_TYPE_DEFAULT
from gluax._src.compat.ndarray_extra import _STORAGE_TYPE_ID_TO_STR as _STORAGE_TYPE_ID_TO_STR
from gluax._src.compat.ndarray_extra import _STORAGE_TYPE_ROW_SPARSE as _STORAGE_TYPE_ROW_SPARSE
from gluax._src.compat.ndarray_extra import _STORAGE_TYPE_STR_TO_ID as _STORAGE_TYPE_STR_TO_ID
from gluax._src.compat.ndarray_extra import _STORAGE_TYPE_UNDEFINED as _STORAGE_TYPE_UNDEFINED
from gluax._src.compat.ndarray_extra import concatenate as concatenate
from gluax._src.compat.ndarray_extra import onehot_encode as onehot_encode
from gluax._src.engine.ndarray import NDArray as NDArray
from gluax._src.engine.sync import waitall as waitall
from gluax._src.ops.creation import arange as arange
from gluax._src.ops.creation import array as array
from gluax._src.ops.creation import empty as empty
from gluax._src.ops.creation import eye as eye
from gluax._src.ops.creation import full as full
from gluax._src.ops.creation import linspace as linspace
from gluax._src.ops.creation import ones as ones
from gluax._src.ops.creation import zeros as zeros
from gluax.ndarray import add as add
from gluax.ndarray import divide as divide
from gluax.ndarray import equal as equal
from gluax.ndarray import greater as greater
from gluax.ndarray import greater_equal as greater_equal
from gluax.ndarray import lesser as lesser
from gluax.ndarray import lesser_equal as lesser_equal
from gluax.ndarray import logical_and as logical_and
from gluax.ndarray import logical_or as logical_or
from gluax.ndarray import logical_xor as logical_xor
from gluax.ndarray import maximum as maximum
from gluax.ndarray import minimum as minimum
from gluax.ndarray import modulo as modulo
from gluax.ndarray import moveaxis as moveaxis
from gluax.ndarray import multiply as multiply
from gluax.ndarray import not_equal as not_equal
from gluax.ndarray import power as power
from gluax.ndarray import split_v2 as split_v2
from gluax.ndarray import subtract as subtract
from gluax.ndarray import true_divide as true_divide


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
