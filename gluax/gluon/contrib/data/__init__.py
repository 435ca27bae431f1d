"""``mx.gluon.contrib.data``: IntervalSampler and the WikiText data sets (local files)."""

from gluax._src.data.sampler import IntervalSampler as IntervalSampler
from gluax.gluon.contrib.data import sampler as sampler
from gluax.gluon.contrib.data import text as text
