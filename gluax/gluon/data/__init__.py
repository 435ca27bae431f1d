"""``mx.gluon.data``: datasets, samplers, DataLoader."""

from gluax._src.data.dataloader import DataLoader as DataLoader
from gluax._src.data.dataset import ArrayDataset as ArrayDataset
from gluax._src.data.dataset import Dataset as Dataset
from gluax._src.data.dataset import RecordFileDataset as RecordFileDataset
from gluax._src.data.dataset import SimpleDataset as SimpleDataset
from gluax._src.data.sampler import BatchSampler as BatchSampler
from gluax._src.data.sampler import FilterSampler as FilterSampler
from gluax._src.data.sampler import IntervalSampler as IntervalSampler
from gluax._src.data.sampler import RandomSampler as RandomSampler
from gluax._src.data.sampler import Sampler as Sampler
from gluax._src.data.sampler import SequentialSampler as SequentialSampler
from gluax.gluon.data import batchify as batchify
from gluax.gluon.data import dataloader as dataloader
from gluax.gluon.data import dataset as dataset
from gluax.gluon.data import sampler as sampler
from gluax.gluon.data import vision as vision
