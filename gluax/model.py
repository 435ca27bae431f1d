"""``mx.model``: MXNet's checkpoint files for a Symbol and its parameters."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.context import Context as Context
from gluax._src.engine.context import cpu as cpu
from gluax._src.estimator.callback import (
    LogValidationMetricsCallback as LogValidationMetricsCallback,
)
from gluax._src.gluon.symbol_checkpoint import BatchEndParam as BatchEndParam
from gluax._src.gluon.symbol_checkpoint import load_checkpoint as load_checkpoint
from gluax._src.gluon.symbol_checkpoint import load_params as load_params
from gluax._src.gluon.symbol_checkpoint import save_checkpoint as save_checkpoint
from gluax._src.io.io import DataDesc as DataDesc
from gluax.initializer import Uniform as Uniform


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
