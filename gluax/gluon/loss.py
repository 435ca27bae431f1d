"""``mx.gluon.loss``: loss functions."""

from gluax._src.loss.core import L1Loss as L1Loss
from gluax._src.loss.core import L2Loss as L2Loss
from gluax._src.loss.core import Loss as Loss
from gluax._src.loss.core import SoftmaxCELoss as SoftmaxCELoss
from gluax._src.loss.core import SoftmaxCrossEntropyLoss as SoftmaxCrossEntropyLoss
