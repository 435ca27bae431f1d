"""``mx.contrib.io``: a Gluon DataLoader as a DataIter."""

from gluax._src.io.dataloader_iter import DataLoaderIter as DataLoaderIter
