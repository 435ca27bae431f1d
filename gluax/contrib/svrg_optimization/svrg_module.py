"""``mxnet.contrib.svrg_optimization.svrg_module``: SVRG on the Module API, absent in gluax for now (see docs/modules.md)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
