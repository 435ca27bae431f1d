"""``mx.base``: MXNet's error types, type tuples and small helpers that ported code imports."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.base import NotImplementedForSymbol as NotImplementedForSymbol
from gluax._src.compat.base import NotSupportedForSparseNDArray as NotSupportedForSparseNDArray
from gluax._src.compat.base import _as_list as _as_list
from gluax._src.compat.base import classproperty as classproperty
from gluax._src.compat.base import data_dir as data_dir
from gluax._src.compat.base import data_dir_default as data_dir_default
from gluax._src.compat.base import integer_types as integer_types
from gluax._src.compat.base import mx_real_t as mx_real_t
from gluax._src.compat.base import mx_uint as mx_uint
from gluax._src.compat.base import numeric_types as numeric_types
from gluax._src.compat.base import py_str as py_str
from gluax._src.compat.base import string_types as string_types
from gluax._src.compat.base import with_metaclass as with_metaclass
from gluax._src.engine.base import MXNetError as MXNetError


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
