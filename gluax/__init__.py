"""gluax: Apache MXNet's Gluon API on JAX. ``import gluax as mx``."""

from gluax._src.engine import compile_cache as _compile_cache  # JAX cache and loggers, first
from gluax import autograd as autograd
from gluax import api as api
from gluax import attribute as attribute
from gluax import base as base
from gluax import callback as callback
from gluax import context as context
from gluax import gluon as gluon
from gluax import image as image
from gluax import initializer as initializer
from gluax import io as io
from gluax import kvstore as kvstore
from gluax import lr_scheduler as lr_scheduler
from gluax import metric as metric
from gluax import model as model
from gluax import optimizer as optimizer
from gluax import operator as operator
from gluax import ndarray as ndarray
from gluax import numpy as numpy
from gluax import numpy_extension as numpy_extension
from gluax import parallel as parallel
from gluax import profiler as profiler
from gluax import random as random
from gluax import recordio as recordio
from gluax import symbol as symbol
from gluax import visualization as visualization
from gluax import test_utils as test_utils
from gluax import contrib as contrib
from gluax import engine as engine
from gluax import error as error
from gluax import executor as executor
from gluax import executor_manager as executor_manager
from gluax import libinfo as libinfo
from gluax import library as library
from gluax import log as log
from gluax import module as module
from gluax import monitor as monitor
from gluax import name as name
from gluax import ndarray_doc as ndarray_doc
from gluax import notebook as notebook
from gluax import onnx as onnx
from gluax import registry as registry
from gluax import rnn as rnn
from gluax import rtc as rtc
from gluax import runtime as runtime
from gluax import symbol_doc as symbol_doc
from gluax import torch as torch
from gluax import tvmop as tvmop
from gluax import util as util
from gluax._src.compat.alias import install_as_mxnet as install_as_mxnet
from gluax._src.compat.alias import uninstall_mxnet_alias as uninstall_mxnet_alias
from gluax._src.compat.util import is_np_array as is_np_array
from gluax._src.compat.util import is_np_shape as is_np_shape
from gluax._src.compat.util import np_array as np_array
from gluax._src.compat.util import np_shape as np_shape
from gluax._src.compat.util import set_np_shape as set_np_shape
from gluax._src.compat.util import use_np as use_np
from gluax._src.compat.util import use_np_array as use_np_array
from gluax._src.compat.util import use_np_shape as use_np_shape
from gluax._src.engine.scopes import AttrScope as AttrScope
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
mod = module
mon = monitor
rnd = random
th = torch
np = numpy
npx = numpy_extension
init = initializer
kv = kvstore
sym = symbol
viz = visualization

__version__ = "0.1.0"
# The MXNet API level gluax implements; under gluax.install_as_mxnet(), mxnet.__version__.
__mxnet_version__ = "1.9.1"
