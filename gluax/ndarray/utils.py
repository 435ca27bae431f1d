"""``mx.nd.utils``: array creation, ``save`` and ``load``."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.serialization import load_frombuffer as load_frombuffer
from gluax._src.engine.serialization import nd_load as load
from gluax._src.engine.serialization import save as save
from gluax._src.ops.creation import array as array
from gluax._src.ops.creation import empty as empty
from gluax._src.ops.creation import zeros as zeros


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
