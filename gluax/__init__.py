"""gluax: Apache MXNet's Gluon API on JAX. ``import gluax as mx``."""

from gluax._src.engine import compile_cache as _compile_cache  # JAX cache and loggers, first
from gluax import autograd as autograd
from gluax import base as base
from gluax import callback as callback
from gluax import context as context
from gluax import gluon as gluon
from gluax import initializer as initializer
from gluax import io as io
from gluax import lr_scheduler as lr_scheduler
from gluax import metric as metric
from gluax import model as model
from gluax import optimizer as optimizer
from gluax import ndarray as ndarray
from gluax import numpy as numpy
from gluax import numpy_extension as numpy_extension
from gluax import parallel as parallel
from gluax import random as random
from gluax import recordio as recordio
from gluax import symbol as symbol
from gluax import visualization as visualization
from gluax._src.engine.base import MXNetError as MXNetError
from gluax._src.engine.compile_cache import compilation_cache_dir as compilation_cache_dir
from gluax._src.engine.compile_cache import set_compilation_cache as set_compilation_cache
from gluax._src.engine.context import Context as Context
from gluax._src.engine.context import cpu as cpu
from gluax._src.engine.context import cpu_pinned as cpu_pinned
from gluax._src.engine.context import current_context as current_context
from gluax._src.engine.context import gpu as gpu
from gluax._src.engine.context import num_gpus as num_gpus
from gluax.ndarray import NDArray as NDArray

nd = ndarray
np = numpy
npx = numpy_extension
init = initializer
sym = symbol
viz = visualization

__version__ = "0.1.0"
