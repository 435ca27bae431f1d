"""``mx.gluon.data.sampler``."""

from gluax._src.data.sampler import BatchSampler as BatchSampler
from gluax._src.data.sampler import FilterSampler as FilterSampler
from gluax._src.data.sampler import IntervalSampler as IntervalSampler
from gluax._src.data.sampler import RandomSampler as RandomSampler
from gluax._src.data.sampler import Sampler as Sampler
from gluax._src.data.sampler import SequentialSampler as SequentialSampler
