"""``mx.optimizer.contrib``: GroupAdaGrad."""

from gluax._src.optim.rules_more import GroupAdaGrad as GroupAdaGrad
