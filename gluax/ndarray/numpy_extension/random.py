"""``mxnet.ndarray.numpy_extension.random``: ``mx.npx.random``."""

from gluax._src.numpy.random import bernoulli as bernoulli
from gluax._src.numpy.random import normal_n as normal_n
from gluax._src.numpy.random import seed as seed
from gluax._src.numpy.random import uniform_n as uniform_n
