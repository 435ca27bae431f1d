"""``mx.gluon.data.dataset``."""

from gluax._src.data.dataset import ArrayDataset as ArrayDataset
from gluax._src.data.dataset import Dataset as Dataset
from gluax._src.data.dataset import RecordFileDataset as RecordFileDataset
from gluax._src.data.dataset import SimpleDataset as SimpleDataset
