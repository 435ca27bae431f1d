"""``mx.gluon.contrib.data.sampler``: IntervalSampler."""

from gluax._src.data.sampler import IntervalSampler as IntervalSampler
