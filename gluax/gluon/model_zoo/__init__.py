"""``mx.gluon.model_zoo``: predefined vision models and MXNet's pretrained weight files."""

from gluax.gluon.model_zoo import model_store as model_store
from gluax.gluon.model_zoo import vision as vision
