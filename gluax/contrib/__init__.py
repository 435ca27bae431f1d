"""``mx.contrib``: AMP (``mx.contrib.amp``), the contrib operator namespaces
(``mx.contrib.nd`` / ``mx.contrib.sym``); see docs/modules.md for the absent parts."""

from gluax.contrib import amp as amp
from gluax.contrib import autograd as autograd
from gluax.contrib import ndarray as ndarray
from gluax.contrib import onnx as onnx
from gluax.contrib import quantization as quantization
from gluax.contrib import symbol as symbol
from gluax.contrib import tensorboard as tensorboard
from gluax.contrib import text as text

nd = ndarray
sym = symbol
quant = quantization
