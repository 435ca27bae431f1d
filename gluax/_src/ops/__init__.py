"""Every operator, registered once (importing this package fills the registry)."""

from gluax._src.ops import contrib as contrib
from gluax._src.ops import creation as creation
from gluax._src.ops import ctc as ctc
from gluax._src.ops import custom as custom
from gluax._src.ops import deformable as deformable
from gluax._src.ops import detection as detection
from gluax._src.ops import elemwise as elemwise
from gluax._src.ops import extra_ops as extra_ops
from gluax._src.ops import indexing as indexing
from gluax._src.ops import linalg as linalg
from gluax._src.ops import misc_contrib as misc_contrib
from gluax._src.ops import nn as nn
from gluax._src.ops import nn_basic as nn_basic
from gluax._src.ops import norm as norm
from gluax._src.ops import output as output
from gluax._src.ops import random_api as random_api
from gluax._src.ops import random_ops as random_ops
from gluax._src.ops import reduce as reduce
from gluax._src.ops import rnn as rnn
from gluax._src.ops import sampling as sampling
from gluax._src.ops import shape as shape
from gluax._src.ops import sorting as sorting
