"""``mx.init`` / ``mx.initializer``: initializers."""

from gluax._src.gluon.init import Bilinear as Bilinear
from gluax._src.gluon.init import Constant as Constant
from gluax._src.gluon.init import FusedRNN as FusedRNN
from gluax._src.gluon.init import InitDesc as InitDesc
from gluax._src.gluon.init import Initializer as Initializer
from gluax._src.gluon.init import Load as Load
from gluax._src.gluon.init import LSTMBias as LSTMBias
from gluax._src.gluon.init import Mixed as Mixed
from gluax._src.gluon.init import MSRAPrelu as MSRAPrelu
from gluax._src.gluon.init import Normal as Normal
from gluax._src.gluon.init import One as One
from gluax._src.gluon.init import Orthogonal as Orthogonal
from gluax._src.gluon.init import Uniform as Uniform
from gluax._src.gluon.init import Xavier as Xavier
from gluax._src.gluon.init import Zero as Zero
from gluax._src.gluon.init import alias as alias
from gluax._src.gluon.init import create as create
from gluax._src.gluon.init import register as register
