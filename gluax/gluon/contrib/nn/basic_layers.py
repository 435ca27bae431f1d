"""``mx.gluon.contrib.nn.basic_layers``."""

from gluax._src.contrib.nn import Concurrent as Concurrent
from gluax._src.contrib.nn import HybridConcurrent as HybridConcurrent
from gluax._src.contrib.nn import Identity as Identity
from gluax._src.contrib.nn import PixelShuffle1D as PixelShuffle1D
from gluax._src.contrib.nn import PixelShuffle2D as PixelShuffle2D
from gluax._src.contrib.nn import PixelShuffle3D as PixelShuffle3D
from gluax._src.contrib.nn import SparseEmbedding as SparseEmbedding
from gluax._src.contrib.nn import SyncBatchNorm as SyncBatchNorm
