"""``mx.gluon.contrib.estimator.utils``: metric checks used by the Estimator."""

from gluax._src.estimator.utils import _check_handler_metric_ref as _check_handler_metric_ref
from gluax._src.estimator.utils import _check_metric_known as _check_metric_known
from gluax._src.estimator.utils import _check_metrics as _check_metrics
from gluax._src.estimator.utils import _suggest_metric_for_loss as _suggest_metric_for_loss
