"""``mxnet.symbol.symbol``: the Symbol class and the graph-building functions of ``mx.sym``."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.histogram import sym_histogram as histogram  # noqa: F401
from gluax._src.gluon.symbol import Group as Group
from gluax._src.gluon.symbol import Symbol as Symbol
from gluax._src.gluon.symbol import Variable as Variable
from gluax._src.gluon.symbol import arange as arange
from gluax._src.gluon.symbol import eye as eye
from gluax._src.gluon.symbol import full as full
from gluax._src.gluon.symbol import hypot as hypot
from gluax._src.gluon.symbol import linspace as linspace
from gluax._src.gluon.symbol import load as load
from gluax._src.gluon.symbol import load_json as load_json
from gluax._src.gluon.symbol import maximum as maximum
from gluax._src.gluon.symbol import minimum as minimum
from gluax._src.gluon.symbol import ones as ones
from gluax._src.gluon.symbol import pow as pow
from gluax._src.gluon.symbol import power as power
from gluax._src.gluon.symbol import var as var
from gluax._src.gluon.symbol import zeros as zeros
from gluax.symbol import split_v2 as split_v2


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
