"""``mx.callback``: MXNet's training callbacks (Speedometer, do_checkpoint, ...)."""

from gluax._src.estimator.callback import (
    LogValidationMetricsCallback as LogValidationMetricsCallback,
)
from gluax._src.estimator.callback import ProgressBar as ProgressBar
from gluax._src.estimator.callback import Speedometer as Speedometer
from gluax._src.estimator.callback import do_checkpoint as do_checkpoint
from gluax._src.estimator.callback import log_train_metric as log_train_metric
from gluax._src.estimator.callback import module_checkpoint as module_checkpoint
