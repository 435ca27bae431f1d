"""``mx.contrib.io``: a Gluon DataLoader as a DataIter."""

from gluax._src.io.dataloader_iter import DataLoaderIter as DataLoaderIter
from gluax._src.io.io import DataDesc as DataDesc
from gluax._src.io.io import DataIter as DataIter
