"""``mxnet.symbol.numpy.random``: ``mx.np.random``."""

from gluax._src.numpy.random import beta as beta
from gluax._src.numpy.random import chisquare as chisquare
from gluax._src.numpy.random import choice as choice
from gluax._src.numpy.random import exponential as exponential
from gluax._src.numpy.random import gamma as gamma
from gluax._src.numpy.random import gumbel as gumbel
from gluax._src.numpy.random import logistic as logistic
from gluax._src.numpy.random import lognormal as lognormal
from gluax._src.numpy.random import multinomial as multinomial
from gluax._src.numpy.random import multivariate_normal as multivariate_normal
from gluax._src.numpy.random import normal as normal
from gluax._src.numpy.random import pareto as pareto
from gluax._src.numpy.random import power as power
from gluax._src.numpy.random import rand as rand
from gluax._src.numpy.random import randint as randint
from gluax._src.numpy.random import randn as randn
from gluax._src.numpy.random import rayleigh as rayleigh
from gluax._src.numpy.random import shuffle as shuffle
from gluax._src.numpy.random import uniform as uniform
from gluax._src.numpy.random import weibull as weibull
