"""``mx.lr_scheduler``: learning-rate schedules."""

from gluax._src.optim.lr_scheduler import CosineScheduler as CosineScheduler
from gluax._src.optim.lr_scheduler import FactorScheduler as FactorScheduler
from gluax._src.optim.lr_scheduler import LRScheduler as LRScheduler
from gluax._src.optim.lr_scheduler import MultiFactorScheduler as MultiFactorScheduler
from gluax._src.optim.lr_scheduler import PolyScheduler as PolyScheduler
