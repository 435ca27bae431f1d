"""``mx.error``: MXNet's error class."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.base import MXNetError as MXNetError


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
