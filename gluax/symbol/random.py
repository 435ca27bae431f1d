"""``mx.sym.random``: samplers. Inside a hybridized call they draw from the traced key, as
``mx.nd.random`` does; ``mx.sym.random.X_like`` on a Symbol makes a graph node."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.gluon.symbol import symbol_function as _symbol_function
from gluax._src.gluon.symbol_random import exponential as exponential
from gluax._src.gluon.symbol_random import normal as normal
from gluax._src.gluon.symbol_random import randint as randint
from gluax._src.gluon.symbol_random import randn as randn
from gluax._src.gluon.symbol_random import shuffle as shuffle
from gluax._src.gluon.symbol_random import uniform as uniform
from gluax._src.gluon.symbol_random import gamma as gamma
from gluax._src.gluon.symbol_random import generalized_negative_binomial as generalized_negative_binomial
from gluax._src.gluon.symbol_random import multinomial as multinomial
from gluax._src.gluon.symbol_random import negative_binomial as negative_binomial
from gluax._src.gluon.symbol_random import poisson as poisson


def __getattr__(name: str):  # mx.sym.random.X_like is the registered operator _random_X_like
    try:
        return _symbol_function(name, "_random_")
    except AttributeError as e:
        return _absent_attribute(__name__, name, e)
