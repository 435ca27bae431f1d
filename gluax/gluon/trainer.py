"""``mx.gluon.trainer``: Trainer."""

from gluax._src.optim.gluon_trainer import Trainer as Trainer
