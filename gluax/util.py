"""``mx.util``: NumPy-mode switches and decorators, environment variables, GPU count."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.base import py_str as py_str
from gluax._src.compat.util import get_gpu_count as get_gpu_count
from gluax._src.compat.util import getenv as getenv
from gluax._src.compat.util import is_np_array as is_np_array
from gluax._src.compat.util import is_np_shape as is_np_shape
from gluax._src.compat.util import np_array as np_array
from gluax._src.compat.util import np_shape as np_shape
from gluax._src.compat.util import np_ufunc_legal_option as np_ufunc_legal_option
from gluax._src.compat.util import reset_np as reset_np
from gluax._src.compat.util import set_module as set_module
from gluax._src.compat.util import set_np as set_np
from gluax._src.compat.util import set_np_shape as set_np_shape
from gluax._src.compat.util import setenv as setenv
from gluax._src.compat.util import use_np as use_np
from gluax._src.compat.util import use_np_array as use_np_array
from gluax._src.compat.util import use_np_shape as use_np_shape
from gluax._src.compat.util import wrap_np_binary_func as wrap_np_binary_func
from gluax._src.compat.util import wrap_np_unary_func as wrap_np_unary_func


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
