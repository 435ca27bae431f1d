"""``mx.optimizer``: optimizers on optax with MXNet's update rules."""

from gluax._src.optim.rules import NAG as NAG
from gluax._src.optim.rules import SGD as SGD
from gluax._src.optim.rules import AdaGrad as AdaGrad
from gluax._src.optim.rules import Adam as Adam
from gluax._src.optim.rules import Optimizer as Optimizer
from gluax._src.optim.rules import RMSProp as RMSProp
from gluax._src.optim.rules import Updater as Updater
from gluax._src.optim.rules import create as create
from gluax._src.optim.rules import get_updater as get_updater
from gluax._src.optim.rules import register as register
from gluax.ndarray import abs as NDabs
from gluax.optimizer.optimizer import Test as Test
from gluax.optimizer import contrib as contrib  # mxnet.optimizer.contrib, an attribute
from gluax._src.optim.rules_more import DCASGD as DCASGD
from gluax._src.optim.rules_more import FTML as FTML
from gluax._src.optim.rules_more import LAMB as LAMB
from gluax._src.optim.rules_more import LARS as LARS
from gluax._src.optim.rules_more import LBSGD as LBSGD
from gluax._src.optim.rules_more import SGLD as SGLD
from gluax._src.optim.rules_more import AdaDelta as AdaDelta
from gluax._src.optim.rules_more import Adamax as Adamax
from gluax._src.optim.rules_more import Ftrl as Ftrl
from gluax._src.optim.rules_more import GroupAdaGrad as GroupAdaGrad
from gluax._src.optim.rules_more import Nadam as Nadam
from gluax._src.optim.rules_more import Signum as Signum
from gluax._src.optim.rules_more import ccSGD as ccSGD
