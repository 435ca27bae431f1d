"""``mx.nd.random``: samplers drawing from the global key (or the traced key when compiled)."""

from gluax._src.engine.namespace import prefixed_function as _prefixed
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


def __getattr__(name: str):  # mx.nd.random.X_like is the registered operator _random_X_like
    return _prefixed("_random_", name)
