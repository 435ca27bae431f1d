"""``mx.gluon.loss``: loss functions."""

from gluax._src.loss.core import L1Loss as L1Loss
from gluax._src.loss.core import _apply_weighting as _apply_weighting
from gluax._src.loss.core import _reshape_like as _reshape_like
from gluax._src.loss.core import L2Loss as L2Loss
from gluax._src.loss.core import Loss as Loss
from gluax._src.loss.core import SoftmaxCELoss as SoftmaxCELoss
from gluax._src.loss.core import SoftmaxCrossEntropyLoss as SoftmaxCrossEntropyLoss
from gluax._src.loss.ctc import CTCLoss as CTCLoss
from gluax._src.loss.losses import CosineEmbeddingLoss as CosineEmbeddingLoss
from gluax._src.loss.losses import HingeLoss as HingeLoss
from gluax._src.loss.losses import HuberLoss as HuberLoss
from gluax._src.loss.losses import KLDivLoss as KLDivLoss
from gluax._src.loss.losses import LogisticLoss as LogisticLoss
from gluax._src.loss.losses import PoissonNLLLoss as PoissonNLLLoss
from gluax._src.loss.losses import SDMLLoss as SDMLLoss
from gluax._src.loss.losses import SigmoidBCELoss as SigmoidBCELoss
from gluax._src.loss.losses import SigmoidBinaryCrossEntropyLoss as SigmoidBinaryCrossEntropyLoss
from gluax._src.loss.losses import SquaredHingeLoss as SquaredHingeLoss
from gluax._src.loss.losses import TripletLoss as TripletLoss
