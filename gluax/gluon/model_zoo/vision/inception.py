"""``mx.gluon.model_zoo.vision.inception``."""

from gluax._src.model_zoo.inception import Inception3 as Inception3
from gluax._src.model_zoo.inception import inception_v3 as inception_v3
