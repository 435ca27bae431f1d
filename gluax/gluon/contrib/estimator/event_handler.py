"""``mx.gluon.contrib.estimator.event_handler``: the event bases and the handlers."""

from gluax._src.estimator.event_handler import BatchBegin as BatchBegin
from gluax._src.estimator.event_handler import BatchEnd as BatchEnd
from gluax._src.estimator.event_handler import CheckpointHandler as CheckpointHandler
from gluax._src.estimator.event_handler import EarlyStoppingHandler as EarlyStoppingHandler
from gluax._src.estimator.event_handler import EpochBegin as EpochBegin
from gluax._src.estimator.event_handler import EpochEnd as EpochEnd
from gluax._src.estimator.event_handler import EventHandler as EventHandler
from gluax._src.estimator.event_handler import GradientUpdateHandler as GradientUpdateHandler
from gluax._src.estimator.event_handler import LoggingHandler as LoggingHandler
from gluax._src.estimator.event_handler import MetricHandler as MetricHandler
from gluax._src.estimator.event_handler import StoppingHandler as StoppingHandler
from gluax._src.estimator.event_handler import TrainBegin as TrainBegin
from gluax._src.estimator.event_handler import TrainEnd as TrainEnd
from gluax._src.estimator.event_handler import ValidationHandler as ValidationHandler
from gluax._src.estimator.event_handler import _check_event_handlers as _check_event_handlers
