"""``mx.gluon.contrib.cnn.conv_layers``: deformable convolutions, absent in gluax until the operator exists (see docs/modules.md)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
