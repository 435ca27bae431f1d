"""``mx.engine``: ``bulk`` and ``set_bulk_size``, accepted for compatibility. They change nothing:
in gluax XLA decides which operations fuse (a hybridized block is one compiled program)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.engine import bulk as bulk
from gluax._src.compat.engine import set_bulk_size as set_bulk_size


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
