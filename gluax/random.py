"""``mx.random``: the global seed and the samplers of ``mx.nd.random``."""

from gluax._src.engine.random import seed as seed
from gluax._src.ops.creation import exponential as exponential
from gluax._src.ops.creation import normal as normal
from gluax._src.ops.creation import randint as randint
from gluax._src.ops.creation import randn as randn
from gluax._src.ops.creation import shuffle as shuffle
from gluax._src.ops.creation import uniform as uniform
from gluax._src.ops.random_api import gamma as gamma
from gluax._src.ops.random_api import generalized_negative_binomial as generalized_negative_binomial
from gluax._src.ops.random_api import multinomial as multinomial
from gluax._src.ops.random_api import negative_binomial as negative_binomial
from gluax._src.ops.random_api import poisson as poisson
