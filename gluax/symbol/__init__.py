"""``mx.sym``: symbolic graphs (``var``, ``Group``, ``load``) and what ``F`` is inside a
hybridized call. The same operators as ``mx.nd`` (one registry): on Symbols they make graph
nodes, on NDArrays (traced inside a hybridized block) they run."""

from gluax._src import ops as _ops  # noqa: F401  (fills the operator registry)
from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.histogram import sym_histogram as histogram  # noqa: F401
from gluax._src.engine.namespace import op_names as _op_names
from gluax._src.engine.ndarray import NDArray as NDArray
from gluax._src.ops.creation import array as array
from gluax._src.ops.creation import empty as empty
from gluax.symbol import _internal as _internal  # F._internal._plus in hybrid_forward
from gluax.symbol import contrib as contrib
from gluax.symbol import image as image
from gluax.symbol import linalg as linalg
from gluax.symbol import random as random
from gluax.symbol import sparse as sparse
from gluax import numpy as np  # F.np inside hybrid_forward
from gluax import numpy_extension as npx  # F.npx
from gluax._src.gluon.symbol import Group as Group
from gluax._src.gluon.symbol import arange as arange
from gluax._src.gluon.symbol import eye as eye
from gluax._src.gluon.symbol import full as full
from gluax._src.gluon.symbol import hypot as hypot
from gluax._src.gluon.symbol import linspace as linspace
from gluax._src.gluon.symbol import ones as ones
from gluax._src.gluon.symbol import pow as pow
from gluax._src.gluon.symbol import power as power
from gluax._src.gluon.symbol import zeros as zeros
from gluax._src.gluon.symbol import Symbol as Symbol
from gluax._src.gluon.symbol import Variable as Variable
from gluax._src.gluon.symbol import load as load
from gluax._src.gluon.symbol import load_json as load_json
from gluax._src.gluon.symbol import maximum as maximum
from gluax._src.gluon.symbol import minimum as minimum
from gluax._src.gluon.symbol import symbol_function as _symbol_function
from gluax._src.gluon.symbol import var as var
from gluax._src.gluon.symbol_executor import Executor as Executor


def __getattr__(name: str):  # operators come from the one registry
    try:
        return _symbol_function(name)
    except AttributeError as e:  # MXNet's non-operator names gluax lacks raise when used
        return _absent_attribute(__name__, name, e)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_op_names()))
