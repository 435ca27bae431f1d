"""``mx.gluon.contrib.estimator``: the Estimator training loop and its event handlers."""

from gluax._src.estimator.batch_processor import BatchProcessor as BatchProcessor
from gluax._src.estimator.estimator import Estimator as Estimator
from gluax._src.estimator.event_handler import BatchBegin as BatchBegin
from gluax._src.estimator.event_handler import BatchEnd as BatchEnd
from gluax._src.estimator.event_handler import CheckpointHandler as CheckpointHandler
from gluax._src.estimator.event_handler import EarlyStoppingHandler as EarlyStoppingHandler
from gluax._src.estimator.event_handler import EpochBegin as EpochBegin
from gluax._src.estimator.event_handler import EpochEnd as EpochEnd
from gluax._src.estimator.event_handler import GradientUpdateHandler as GradientUpdateHandler
from gluax._src.estimator.event_handler import LoggingHandler as LoggingHandler
from gluax._src.estimator.event_handler import MetricHandler as MetricHandler
from gluax._src.estimator.event_handler import StoppingHandler as StoppingHandler
from gluax._src.estimator.event_handler import TrainBegin as TrainBegin
from gluax._src.estimator.event_handler import TrainEnd as TrainEnd
from gluax._src.estimator.event_handler import ValidationHandler as ValidationHandler
from gluax.gluon.contrib.estimator import batch_processor as batch_processor
from gluax.gluon.contrib.estimator import estimator as estimator
from gluax.gluon.contrib.estimator import event_handler as event_handler
from gluax.gluon.contrib.estimator import utils as utils
