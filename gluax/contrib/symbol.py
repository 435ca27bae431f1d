"""``mx.contrib.symbol``: the contrib operators, the same as ``mx.sym.contrib``."""

from gluax.symbol.contrib import __getattr__ as __getattr__
