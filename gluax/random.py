"""``mx.random``: the global seed and the samplers of ``mx.nd.random``."""

from gluax._src.engine.random import seed as seed
from gluax._src.ops.creation import exponential as exponential
from gluax._src.ops.creation import normal as normal
from gluax._src.ops.creation import randint as randint
from gluax._src.ops.creation import randn as randn
from gluax._src.ops.creation import shuffle as shuffle
from gluax._src.ops.creation import uniform as uniform
