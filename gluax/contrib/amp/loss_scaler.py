"""``mx.contrib.amp.loss_scaler``: the dynamic loss scaler."""

from gluax._src.compat.amp import LossScaler as LossScaler
