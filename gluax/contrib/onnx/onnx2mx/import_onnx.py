"""``mxnet.contrib.onnx.onnx2mx.import_onnx``: ONNX import, absent in gluax (see docs/modules.md)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
