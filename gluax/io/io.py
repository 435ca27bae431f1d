"""``mx.io.io``: the data iterators."""

from gluax._src.io.file_iters import CSVIter as CSVIter
from gluax._src.io.file_iters import LibSVMIter as LibSVMIter
from gluax._src.io.file_iters import MNISTIter as MNISTIter
from gluax._src.io.file_iters import MXDataIter as MXDataIter
from gluax._src.io.io import DataBatch as DataBatch
from gluax._src.io.io import DataDesc as DataDesc
from gluax._src.io.io import DataIter as DataIter
from gluax._src.io.io import NDArrayIter as NDArrayIter
from gluax._src.io.io import PrefetchingIter as PrefetchingIter
from gluax._src.io.io import ResizeIter as ResizeIter
