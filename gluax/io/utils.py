"""``mx.io.utils``: the helpers that bring iterator inputs into canonical form."""

from gluax._src.io.utils import _getdata_by_idx as _getdata_by_idx
from gluax._src.io.utils import _has_instance as _has_instance
from gluax._src.io.utils import _init_data as _init_data
from gluax._src.io.utils import _slice_along_batch_axis as _slice_along_batch_axis
from gluax._src.compat.absent import absent_attribute as _absent_attribute


def __getattr__(name: str):  # MXNet names gluax lacks (sparse_array): importable, raise when used
    return _absent_attribute(__name__, name)
