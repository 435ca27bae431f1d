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
