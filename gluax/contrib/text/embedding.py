"""``mxnet.contrib.text.embedding``: MXNet's contrib text API, absent in gluax; GluonNLP's Vocab and embeddings replace it (see docs/modules.md)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
