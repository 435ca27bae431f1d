"""``mx.contrib.ndarray``: the contrib operators, the same as ``mx.nd.contrib``."""

from gluax.ndarray.contrib import __getattr__ as __getattr__
from gluax.ndarray.contrib import cond as cond
from gluax.ndarray.contrib import foreach as foreach
from gluax.ndarray.contrib import while_loop as while_loop
