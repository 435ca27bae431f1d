"""``mx.error``: MXNet's error class, and gluax's errors for files that do not read."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.base import MXNetError as MXNetError
from gluax._src.engine.serialization import FileFormatError as FileFormatError
from gluax._src.engine.serialization import UnsupportedFileError as UnsupportedFileError


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
